package preview

import (
	"net/url"

	"github.com/quickdumpnow/qdn/edge"
)

// routeResult is what the edge does with a viewer request: fetch the object
// at URI, or answer Status with a redirect to Redirect.
type routeResult struct {
	URI      string
	Redirect string
	Status   int
}

// route maps a request to what CloudFront fetches by running the real
// viewer-request function, edge/rewrite.js, as CloudFront would: on the URI
// as the viewer spelled it (percent-encoded) and its query. The URI it
// returns is decoded, ready to look up in the output.
func route(escapedURI, rawQuery string) (routeResult, error) {
	res, err := edge.Rewrite(escapedURI, rawQuery)
	if err != nil {
		return routeResult{}, err
	}
	if res.Status != 0 {
		return routeResult{Redirect: res.Redirect, Status: res.Status}, nil
	}
	uri, err := url.PathUnescape(res.URI)
	if err != nil {
		// Not valid percent-encoding: no object has that name.
		uri = res.URI
	}
	return routeResult{URI: uri}, nil
}
