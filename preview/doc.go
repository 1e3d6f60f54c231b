// Package preview is qdn serve: it builds a site, serves it the way
// production does and rebuilds and reloads as its sources change.
//
// Data flows in a loop. A Watcher reports batches of changed source files;
// the Server hands each batch to generator.Builder.Rebuild, which keeps the
// last good output in memory; the Server then tells each connected browser
// tab, over an event stream, whether the page it shows changed, and shows
// build errors in an overlay while the last good site stays up. Requests are
// routed with the rules of the CloudFront Function (route) and answered with
// the headers qdn sync gives each object. The reload script and the local
// dispatch dashboard at /_qdn/ exist only in the preview's responses; the
// output, and so public/, never holds them. Server's doc says what each bind
// serves, and to whom.
package preview
