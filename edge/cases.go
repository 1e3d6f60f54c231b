package edge

import "strings"

// Case is one viewer request and what rewrite.js must do with it.
type Case struct {
	// Name says what the case protects.
	Name string
	// URI is the viewer's URI as it arrives, percent-encoded.
	URI string
	// Query is the raw query string, without '?'.
	Query string
	// Want is the answer: the URI sent to the origin, or the redirect.
	Want Result
}

// Event returns the event object of the case, as TestFunction takes it.
func (c Case) Event() []byte { return Event(c.URI, c.Query) }

func origin(uri string) Result { return Result{URI: uri} }

func moved(location string) Result { return Result{Status: 301, Redirect: location} }

const token = "amjmobezssjp5pia4iukcejbpm"

// longPath is a path of 60 directories, close to 1,000 bytes.
var longPath = strings.Repeat("/aaaaaaaaaaaaaa", 60)

func notFound() Result { return Result{Status: 404} }

var cases = []Case{
	// qdn's state in the bucket is never served: its manifest names every
	// tracking page.
	{Name: "manifest", URI: "/.qdn/manifest.json", Want: notFound()},
	{Name: "pending invalidation", URI: "/.qdn/pending.json", Want: notFound()},
	{Name: "state directory", URI: "/.qdn/", Want: notFound()},
	{Name: "state directory without slash", URI: "/.qdn", Want: notFound()},
	{Name: "encoded dot", URI: "/%2Eqdn/manifest.json", Want: notFound()},
	{Name: "encoded dot, lower case", URI: "/%2eqdn/lock.json", Want: notFound()},
	{Name: "encoded slash", URI: "/.qdn%2Fmanifest.json", Want: notFound()},
	{Name: "a page that merely starts like it", URI: "/.qdnotes/", Want: origin("/.qdnotes/index.html")},

	// Directories get their index.html.
	{Name: "root", URI: "/", Want: origin("/index.html")},
	{Name: "root with query", URI: "/", Query: "utm_source=sms", Want: origin("/index.html")},
	{Name: "page directory", URI: "/about/", Want: origin("/about/index.html")},
	{Name: "tracking page", URI: "/track/" + token + "/", Want: origin("/track/" + token + "/index.html")},
	{Name: "tracking page with query", URI: "/track/" + token + "/", Query: "a=1", Want: origin("/track/" + token + "/index.html")},
	{Name: "booking list", URI: "/book/", Want: origin("/book/index.html")},
	{Name: "service page", URI: "/book/trailer-dump/", Want: origin("/book/trailer-dump/index.html")},

	// Objects are fetched as they are.
	{Name: "index.html itself", URI: "/index.html", Want: origin("/index.html")},
	{Name: "tracking page object", URI: "/track/" + token + "/index.html", Want: origin("/track/" + token + "/index.html")},
	{Name: "asset", URI: "/assets/site.css", Want: origin("/assets/site.css")},
	{Name: "not found page", URI: "/404.html", Want: origin("/404.html")},
	{Name: "robots.txt", URI: "/robots.txt", Want: origin("/robots.txt")},

	// A token or a service without its trailing slash is redirected, with
	// the query string kept in the viewer's spelling.
	{Name: "token without slash", URI: "/track/" + token, Want: moved("/track/" + token + "/")},
	{Name: "hex token without slash", URI: "/track/3f1c9a7be40d52e86a1c0f9d3b7e2a64", Want: moved("/track/3f1c9a7be40d52e86a1c0f9d3b7e2a64/")},
	{Name: "service without slash", URI: "/book/trailer-dump", Want: moved("/book/trailer-dump/")},
	{Name: "redirect keeps query", URI: "/track/" + token, Query: "utm_source=sms&lang=en", Want: moved("/track/" + token + "/?utm_source=sms&lang=en")},
	{Name: "redirect keeps repeated names in order", URI: "/book/junk-removal", Query: "b=2&a=1&b=3", Want: moved("/book/junk-removal/?b=2&b=3&a=1")},
	{Name: "redirect keeps encoded values as they are", URI: "/track/" + token, Query: "q=caf%C3%A9%20au%20lait&next=%2Ftrack%2F", Want: moved("/track/" + token + "/?q=caf%C3%A9%20au%20lait&next=%2Ftrack%2F")},
	{Name: "redirect writes a name without value bare", URI: "/track/" + token, Query: "print&x=", Want: moved("/track/" + token + "/?print&x")},
	{Name: "redirect encodes what may not stand in a URL", URI: "/track/" + token, Query: "q=a\"b<c>#d", Want: moved("/track/" + token + "/?q=a%22b%3Cc%3E%23d")},
	{Name: "redirect encodes raw letters", URI: "/track/" + token, Query: "q=café&truck=🚚", Want: moved("/track/" + token + "/?q=caf%C3%A9&truck=%F0%9F%9A%9A")},
	{Name: "redirect keeps an equals sign inside a value", URI: "/track/" + token, Query: "t=a=b", Want: moved("/track/" + token + "/?t=a=b")},
	{Name: "redirect drops empty parameters", URI: "/track/" + token, Query: "&&a=1&", Want: moved("/track/" + token + "/?a=1")},

	// Anything else goes to the origin untouched, which answers 404 for
	// what does not exist.
	{Name: "page without slash", URI: "/about", Want: origin("/about")},
	{Name: "track alone", URI: "/track", Want: origin("/track")},
	{Name: "book alone", URI: "/book", Want: origin("/book")},
	{Name: "dot inside a token position", URI: "/track/" + token + ".html", Want: origin("/track/" + token + ".html")},
	{Name: "dot-dot in a token position", URI: "/track/..", Want: origin("/track/..")},
	{Name: "uppercase token", URI: "/track/AMJMOBEZSSJP5PIA4IUKCEJBPM", Want: origin("/track/AMJMOBEZSSJP5PIA4IUKCEJBPM")},
	{Name: "encoded character in a token", URI: "/track/%61mjmobezssjp5pia4iukcejbpm", Want: origin("/track/%61mjmobezssjp5pia4iukcejbpm")},
	{Name: "encoded slash in a token", URI: "/track/abc%2Fdef", Want: origin("/track/abc%2Fdef")},
	{Name: "encoded space in a directory", URI: "/about%20us/", Want: origin("/about%20us/index.html")},
	{Name: "token below another directory", URI: "/x/track/" + token, Want: origin("/x/track/" + token)},
	{Name: "token with a further segment", URI: "/track/" + token + "/extra", Want: origin("/track/" + token + "/extra")},
	{Name: "service slug with a double dash", URI: "/book/trailer--dump", Want: origin("/book/trailer--dump")},
	{Name: "service slug ending in a dash", URI: "/book/trailer-", Want: origin("/book/trailer-")},

	// Double slashes never turn into a protocol-relative Location.
	{Name: "double slash", URI: "//", Want: origin("//index.html")},
	{Name: "double slash before track", URI: "//track/" + token, Want: origin("//track/" + token)},
	{Name: "double slash inside", URI: "/track//" + token, Want: origin("/track//" + token)},
	{Name: "host-like first segment", URI: "//evil.example/track/" + token, Want: origin("//evil.example/track/" + token)},
	{Name: "double slash at the end", URI: "/track/" + token + "//", Want: origin("/track/" + token + "//index.html")},

	// Long input costs no more than a linear scan.
	{Name: "very long path", URI: longPath + "/", Want: origin(longPath + "/index.html")},
	{Name: "very long token", URI: "/track/" + strings.Repeat("a2", 500), Want: moved("/track/" + strings.Repeat("a2", 500) + "/")},
	{Name: "very long slug-like segment", URI: "/book/" + strings.Repeat("a-", 500) + "-", Want: origin("/book/" + strings.Repeat("a-", 500) + "-")},
}

// Cases returns the table of viewer requests and the answers rewrite.js
// must give. The tests run every case locally; qdn edge publish runs every
// case on CloudFront and publishes nothing unless all of them pass.
func Cases() []Case { return append([]Case(nil), cases...) }
