package preview

import "strings"

// routeResult is what the edge does with a viewer request: fetch the object
// at URI, or answer Status with a redirect to Redirect.
type routeResult struct {
	URI      string
	Redirect string
	Status   int
}

// route maps a request URI and query to what CloudFront fetches, following
// the rules of the viewer-request function in edge/rewrite.js: a URI ending
// in / gets index.html; an extensionless /track/<token> or /book/<slug> is
// redirected (301) to its trailing-slash form with the query kept; anything
// else is fetched as it is.
//
// It stands in for edge.Rewrite, which runs the real function, and keeps its
// rules in this one place so that swapping it is a one-function change.
func route(uri, rawQuery string) routeResult {
	if strings.HasSuffix(uri, "/") {
		return routeResult{URI: uri + "index.html"}
	}
	for _, prefix := range []string{"/track/", "/book/"} {
		rest, ok := strings.CutPrefix(uri, prefix)
		if !ok || rest == "" || strings.ContainsAny(rest, "/.") {
			continue
		}
		loc := uri + "/"
		if rawQuery != "" {
			loc += "?" + rawQuery
		}
		return routeResult{Redirect: loc, Status: 301}
	}
	return routeResult{URI: uri}
}
