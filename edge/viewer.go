package edge

import (
	"net/url"
	"path"
	"strings"
)

// ViewerURIs lists the viewer URIs under which the object at key (an output
// path such as "track/t/index.html", "index.html" or "a.css") can be cached:
// the URI of the object itself, which is also the cache key rewrite.js sends
// to the origin, and every other spelling that rewrite.js maps to it. With
// today's rules that is the directory of an index.html:
// "/track/t/index.html" and "/track/t/"; "/index.html" and "/"; "/a.css".
// The URIs are percent-encoded as they travel on the wire, so a key with a
// space or a non-ASCII letter gives URIs that CloudFront matches.
//
// The answer comes from rewrite.js itself: each candidate spelling (the
// object's URI, its directory with and without the trailing slash) is kept
// when the function maps it to the object. Redirects (/track/t without its
// slash) are answered at the edge and never cached, so they are left out.
func ViewerURIs(key string) []string {
	own := (&url.URL{Path: "/" + key}).EscapedPath()
	candidates := []string{own}
	if path.Base("/"+key) == "index.html" {
		dir := strings.TrimSuffix(own, "index.html")
		candidates = append(candidates, dir)
		if dir != "/" {
			candidates = append(candidates, strings.TrimSuffix(dir, "/"))
		}
	}
	uris := []string{own}
	for _, c := range candidates[1:] {
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
