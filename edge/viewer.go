package edge

import (
	"path"
	"strings"
)

// ViewerURIs lists the URIs to invalidate when the object at key (an output
// path such as "track/t/index.html", "index.html" or "a.css") changes: the
// object's own URI, which is the cache key rewrite.js sends to the origin
// for every spelling of the object, and each other URI that rewrite.js
// maps to it. With today's rules that is the directory of an index.html:
// "/track/t/index.html" and "/track/t/"; "/index.html" and "/"; "/a.css".
//
// The URIs are written in the one spelling rewrite.js lets through to the
// origin, that of Escape, so a key with a space, a '+' or a non-ASCII letter
// gives the URIs that CloudFront caches. The answer comes from rewrite.js
// itself: each candidate spelling (the object's directory with and without
// the trailing slash) is kept when the function maps it to the object.
// Redirects (/track/t without its slash, /track/t/index.html) are answered
// at the edge and never cached, so they add nothing.
func ViewerURIs(key string) []string {
	own := Escape("/" + key)
	uris := []string{own}
	if path.Base("/"+key) != "index.html" {
		return uris
	}
	dir := strings.TrimSuffix(own, "index.html")
	candidates := []string{dir}
	if dir != "/" {
		candidates = append(candidates, strings.TrimSuffix(dir, "/"))
	}
	for _, c := range candidates {
		res, err := Rewrite(c, "")
		if err != nil {
			// Only a broken rewrite.js fails here, and the tests keep
			// it from being built. Invalidating a spelling too many is
			// harmless; one too few leaves a stale page.
			uris = append(uris, c)
			continue
		}
		if res.Status == 0 && res.URI == own {
			uris = append(uris, c)
		}
	}
	return uris
}

// Escape returns the spelling of a decoded path that rewrite.js lets through
// to the origin: every byte percent-encoded (upper-case hex) but the letters,
// digits, "-_.!~*'()" and the slashes, as JavaScript's encodeURIComponent
// encodes each segment. A '+' is encoded because S3 reads a bare '+' in a
// path as a space.
func Escape(p string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.!~*'()/", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
