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

func refused() Result { return Result{Status: 400} }

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
	{Name: "a page that merely ends like it", URI: "/x.qdn/", Want: origin("/x.qdn/index.html")},
	{Name: "a dot directory", URI: "/.well-known/security.txt", Want: origin("/.well-known/security.txt")},
	{Name: "a name of two dots and more", URI: "/..notes/", Want: origin("/..notes/index.html")},
	// S3 decodes the URI into a key, so every spelling that decodes to
	// qdn's state is its state, and S3 keys are case-sensitive but the
	// function does not rely on it.
	{Name: "encoded q", URI: "/.%71dn/manifest.json", Want: notFound()},
	{Name: "encoded n", URI: "/.qd%6E/pending.json", Want: notFound()},
	{Name: "every letter encoded", URI: "/%2E%71%64%6E/manifest.json", Want: notFound()},
	{Name: "state in upper case", URI: "/.QDN/manifest.json", Want: notFound()},
	{Name: "state in mixed case, encoded slash", URI: "/.Qdn%2fmanifest.json", Want: notFound()},
	{Name: "state behind a dot-dot segment", URI: "/track/../.qdn/manifest.json", Want: notFound()},
	{Name: "state behind an encoded dot-dot segment", URI: "/track/%2e%2e/.qdn/manifest.json", Want: notFound()},
	{Name: "state behind a dot segment", URI: "/./.qdn/manifest.json", Want: notFound()},
	{Name: "state behind a double slash", URI: "//.qdn/manifest.json", Want: notFound()},
	{Name: "state below another directory", URI: "/site/.qdn/manifest.json", Want: notFound()},
	{Name: "state before a backslash", URI: "/.qdn%5Cmanifest.json", Want: notFound()},
	{Name: "state with a query", URI: "/.%71dn/manifest.json", Query: "x=1", Want: notFound()},
	{Name: "double-encoded dot", URI: "/%252eqdn/manifest.json", Want: refused()},
	{Name: "overlong dot", URI: "/%C0%AEqdn/manifest.json", Want: refused()},
	{Name: "three-byte overlong dot", URI: "/%E0%80%AEqdn/manifest.json", Want: refused()},
	{Name: "state with a NUL", URI: "/.qdn%00/manifest.json", Want: refused()},

	// A URI that is not a clean path is refused before any rule: percent
	// signs that encode nothing or no UTF-8, control characters, dot
	// segments, empty segments and backslashes, which S3 or a browser
	// would read otherwise than the rules do.
	{Name: "lone percent sign", URI: "/%", Want: refused()},
	{Name: "short escape", URI: "/a%2", Want: refused()},
	{Name: "escape of no hex digits", URI: "/%zz/", Want: refused()},
	{Name: "truncated UTF-8", URI: "/caf%C3/", Want: refused()},
	{Name: "encoded surrogate", URI: "/%ED%A0%80/", Want: refused()},
	{Name: "code point past Unicode", URI: "/%F4%90%80%80/", Want: refused()},
	{Name: "encoded NUL", URI: "/a%00b", Want: refused()},
	{Name: "encoded line break", URI: "/track/" + token + "%0D%0ASet-Cookie:%20a=b", Want: refused()},
	{Name: "encoded DEL", URI: "/a%7F/", Want: refused()},
	{Name: "raw tab", URI: "/a\tb/", Want: refused()},
	{Name: "dot segment", URI: "/./", Want: refused()},
	{Name: "trailing dot segment", URI: "/about/.", Want: refused()},
	{Name: "encoded dot-dot segment", URI: "/track/%2E%2E/", Want: refused()},
	{Name: "backslash", URI: "/about\\team/", Want: refused()},
	{Name: "encoded backslashes", URI: "/%5C%5Cevil.example/", Want: refused()},
	{Name: "encoded double slash", URI: "/%2F%2Fevil.example/", Want: refused()},
	{Name: "double-encoded slash", URI: "/track%252F" + token + "/", Want: refused()},

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

	// A tracking or booking page is served under one URI only, the one
	// its links use and its invalidation clears: lowercase, unencoded,
	// with the trailing slash. Every other spelling is redirected there.
	{Name: "encoded character in a token", URI: "/track/%61mjmobezssjp5pia4iukcejbpm/", Want: moved("/track/" + token + "/")},
	{Name: "encoded character in a token without slash", URI: "/track/%61mjmobezssjp5pia4iukcejbpm", Query: "from=sms", Want: moved("/track/" + token + "/?from=sms")},
	{Name: "encoded letter of track", URI: "/%74rack/" + token + "/", Want: moved("/track/" + token + "/")},
	{Name: "encoded slash after track", URI: "/track%2F" + token + "/", Want: moved("/track/" + token + "/")},
	{Name: "encoded trailing slash", URI: "/track/" + token + "%2F", Want: moved("/track/" + token + "/")},
	{Name: "uppercase token", URI: "/track/AMJMOBEZSSJP5PIA4IUKCEJBPM/", Want: moved("/track/" + token + "/")},
	{Name: "uppercase token without slash", URI: "/track/AMJMOBEZSSJP5PIA4IUKCEJBPM", Want: moved("/track/" + token + "/")},
	{Name: "uppercase track", URI: "/TRACK/" + token + "/", Want: moved("/track/" + token + "/")},
	{Name: "tracking page object", URI: "/track/" + token + "/index.html", Want: moved("/track/" + token + "/")},
	{Name: "tracking page object with query", URI: "/track/" + token + "/index.html", Query: "utm_source=sms", Want: moved("/track/" + token + "/?utm_source=sms")},
	{Name: "tracking page object in upper case", URI: "/track/" + token + "/INDEX.HTML", Want: moved("/track/" + token + "/")},
	{Name: "tracking page object encoded", URI: "/track/" + token + "/%69ndex.html", Want: moved("/track/" + token + "/")},
	{Name: "book alone", URI: "/book", Want: moved("/book/")},
	{Name: "booking list object", URI: "/book/index.html", Want: moved("/book/")},
	{Name: "service page object", URI: "/book/trailer-dump/index.html", Want: moved("/book/trailer-dump/")},
	{Name: "service in mixed case", URI: "/Book/Trailer-Dump/", Want: moved("/book/trailer-dump/")},
	{Name: "encoded dash in a service", URI: "/book/trailer%2Ddump/", Want: moved("/book/trailer-dump/")},

	// Any other page is served under one spelling as well: the path
	// decoded, then encoded as encodeURIComponent does with the slashes
	// kept. That is the cache key qdn sync invalidates.
	{Name: "encoded letter in a page", URI: "/%61bout/", Want: moved("/about/")},
	{Name: "encoded slash in a page", URI: "/about%2Fteam/", Want: moved("/about/team/")},
	{Name: "lowercase escape", URI: "/caf%c3%a9/", Want: moved("/caf%C3%A9/")},
	{Name: "canonical escape", URI: "/caf%C3%A9/", Want: origin("/caf%C3%A9/index.html")},
	{Name: "raw letter", URI: "/café/", Want: moved("/caf%C3%A9/")},
	{Name: "encoded tilde", URI: "/%7Eann/", Want: moved("/~ann/")},
	{Name: "raw plus, which S3 reads as a space", URI: "/a+b.pdf", Want: moved("/a%2Bb.pdf")},
	{Name: "encoded plus", URI: "/a%2Bb.pdf", Want: origin("/a%2Bb.pdf")},
	{Name: "raw colon", URI: "/a:b/", Query: "x=1", Want: moved("/a%3Ab/?x=1")},
	{Name: "page object", URI: "/about/index.html", Want: origin("/about/index.html")},

	// Anything else goes to the origin untouched, which answers 404 for
	// what does not exist.
	{Name: "page without slash", URI: "/about", Want: origin("/about")},
	{Name: "track alone", URI: "/track", Want: origin("/track")},
	{Name: "dot inside a token position", URI: "/track/" + token + ".html", Want: origin("/track/" + token + ".html")},
	{Name: "dot-dot in a token position", URI: "/track/..", Want: refused()},
	{Name: "encoded slash in a token position", URI: "/track/abc%2Fdef", Want: moved("/track/abc/def")},
	{Name: "encoded space in a directory", URI: "/about%20us/", Want: origin("/about%20us/index.html")},
	{Name: "token below another directory", URI: "/x/track/" + token, Want: origin("/x/track/" + token)},
	{Name: "token with a further segment", URI: "/track/" + token + "/extra", Want: origin("/track/" + token + "/extra")},
	{Name: "service slug with a double dash", URI: "/book/trailer--dump", Want: origin("/book/trailer--dump")},
	{Name: "service slug ending in a dash", URI: "/book/trailer-", Want: origin("/book/trailer-")},

	// Double slashes are refused, so they never reach S3 as a key with an
	// empty segment nor turn into a protocol-relative Location.
	{Name: "double slash", URI: "//", Want: refused()},
	{Name: "double slash before track", URI: "//track/" + token, Want: refused()},
	{Name: "double slash inside", URI: "/track//" + token, Want: refused()},
	{Name: "host-like first segment", URI: "//evil.example/track/" + token, Want: refused()},
	{Name: "double slash at the end", URI: "/track/" + token + "//", Want: refused()},

	// Long input costs no more than a linear scan.
	{Name: "very long path", URI: longPath + "/", Want: origin(longPath + "/index.html")},
	{Name: "very long token", URI: "/track/" + strings.Repeat("a2", 500), Want: moved("/track/" + strings.Repeat("a2", 500) + "/")},
	{Name: "very long slug-like segment", URI: "/book/" + strings.Repeat("a-", 500) + "-", Want: origin("/book/" + strings.Repeat("a-", 500) + "-")},
}

// Cases returns the table of viewer requests and the answers rewrite.js
// must give. The tests run every case locally; qdn edge publish runs every
// case on CloudFront and publishes nothing unless all of them pass.
func Cases() []Case { return append([]Case(nil), cases...) }
