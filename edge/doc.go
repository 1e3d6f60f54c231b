// Package edge holds qdn's CloudFront Function, rewrite.js, and runs it in
// Go so that the preview and the tests route requests exactly as CloudFront
// does.
//
// rewrite.js is embedded as it is published: Code returns its bytes, Rewrite
// runs it (in goja) on a viewer request, and ViewerURIs answers the reverse
// question that qdn sync asks: which URIs to invalidate when an object
// changes. rewrite.js reads every URI decoded, as S3 does, so that no
// spelling reaches qdn's state, and lets only one spelling of each object
// through to the origin, the one Escape writes, so that each object has one
// cache key. Cases is the one table of requests and expected answers; the Go
// tests run it here and qdn edge publish sends the same events to
// CloudFront's TestFunction before anything reaches the LIVE stage.
//
// Data flows through the event object CloudFront passes to a function:
// Event builds it from a URI and a raw query string, the function returns a
// request or a response, and ParseOutput reads that answer in the form
// TestFunction reports it.
package edge
