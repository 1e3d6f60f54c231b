package main

import "strings"

// viewerURIs returns the viewer URIs under which CloudFront can cache the
// object at an output path: the path itself, and for an index.html the
// directory URI that the edge function rewrites to it
// ("track/t/index.html" → "/track/t/", "/track/t/index.html"). It stands in
// for package edge's ViewerURIs, which derives the same from the edge
// function's rules.
func viewerURIs(key string) []string {
	uri := "/" + key
	if key == "index.html" || strings.HasSuffix(key, "/index.html") {
		return []string{strings.TrimSuffix(uri, "index.html"), uri}
	}
	return []string{uri}
}
