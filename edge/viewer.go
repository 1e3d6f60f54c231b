package edge

import (
	"net/url"
	"path"
	"strings"
)

// ViewerURIs lists the viewer URIs under which the object at key (an output
// path such as "track/t/index.html", "index.html" or "a.css") can be cached:
// the URI of the object itself, which is also the cache key rewrite.js sends
// to the origin, and for an index.html the directory URI that rewrite.js
// maps to it: "/track/t/index.html" and "/track/t/"; "/index.html" and "/";
// "/a.css". The URIs are percent-encoded as they travel on the wire, so a
// key with a space or a non-ASCII letter gives URIs that CloudFront matches.
//
// The redirects of rewrite.js (/track/t without its slash) are answered at
// the edge and never cached, so they are not listed. The tests check the
// list against rewrite.js: every URI returned rewrites to the escaped "/"+key.
func ViewerURIs(key string) []string {
	p := (&url.URL{Path: "/" + key}).EscapedPath()
	uris := []string{p}
	if path.Base("/"+key) == "index.html" {
		uris = append(uris, strings.TrimSuffix(p, "index.html"))
	}
	return uris
}
