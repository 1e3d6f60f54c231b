package htmlexec

import (
	"html/template"
	"reflect"
	"strings"
)

// The escaping functions below follow html/template's own (html.go and
// url.go of the Go distribution, Copyright The Go Authors, BSD licence),
// for the content types they are given here. They must give the same bytes
// as html/template: FuzzEscapers and the page tests compare the two.

// kind is the content type html/template's stringify gives a value: plain
// for a string, or one of its typed strings.
type kind int

const (
	plain kind = iota
	kindHTML
	kindCSS
	kindURL
)

var kinds = map[reflect.Type]kind{
	reflect.TypeFor[string]():        plain,
	reflect.TypeFor[template.HTML](): kindHTML,
	reflect.TypeFor[template.CSS]():  kindCSS,
	reflect.TypeFor[template.URL]():  kindURL,
}

// escaper returns the function html/template's escaper of that name applies
// to a value of kind k, or nil when this package does not do what it does
// for that kind.
func escaper(name string, k kind) func(string) string {
	switch name {
	case "_html_template_htmlescaper":
		if k == kindHTML {
			return same
		}
		return escapeHTML
	case "_html_template_attrescaper":
		if k == kindHTML {
			return nil // html/template strips the tags first
		}
		return escapeHTML
	case "_html_template_rcdataescaper":
		if k == kindHTML {
			return normalizeHTML
		}
		return escapeHTML
	case "_html_template_urlfilter":
		if k == kindURL {
			return same
		}
		return filterURL
	case "_html_template_urlnormalizer":
		return normalizeURL
	case "_html_template_urlescaper":
		if k == kindURL {
			return normalizeURL
		}
		return escapeURL
	case "_html_template_cssvaluefilter":
		if k == kindCSS {
			return same
		}
		return nil // html/template decodes and checks the CSS
	}
	return nil
}

func same(s string) string { return s }

// htmlReplacements are html/template's htmlReplacementTable: a string is
// escaped byte by byte, since every byte it replaces is ASCII.
var htmlReplacements = [256]string{
	0:    "\uFFFD",
	'"':  "&#34;",
	'&':  "&amp;",
	'\'': "&#39;",
	'+':  "&#43;",
	'<':  "&lt;",
	'>':  "&gt;",
}

// htmlNormReplacements are htmlNormReplacementTable: the same, but an
// ampersand is left alone, as it already starts an entity in HTML content.
var htmlNormReplacements = func() [256]string {
	t := htmlReplacements
	t['&'] = ""
	return t
}()

func escapeHTML(s string) string    { return replace(s, &htmlReplacements) }
func normalizeHTML(s string) string { return replace(s, &htmlNormReplacements) }

func replace(s string, table *[256]string) string {
	var b strings.Builder
	written := 0
	for i := 0; i < len(s); i++ {
		r := table[s[i]]
		if r == "" {
			continue
		}
		if written == 0 {
			b.Grow(len(s) + 16)
		}
		b.WriteString(s[written:i])
		b.WriteString(r)
		written = i + 1
	}
	if written == 0 {
		return s
	}
	b.WriteString(s[written:])
	return b.String()
}

// filterURL is urlFilter for an untyped string: a URL whose scheme is not
// http, https or mailto becomes html/template's failsafe.
func filterURL(s string) string {
	if protocol, _, ok := strings.Cut(s, ":"); ok && !strings.Contains(protocol, "/") {
		if !strings.EqualFold(protocol, "http") && !strings.EqualFold(protocol, "https") && !strings.EqualFold(protocol, "mailto") {
			return "#ZgotmplZ"
		}
	}
	return s
}

func normalizeURL(s string) string { return processURL(s, true) }
func escapeURL(s string) string    { return processURL(s, false) }

// processURL is urlProcessor: it percent-encodes every byte that is not
// unreserved in RFC 3986 and, when norm is set, leaves reserved characters
// and valid escapes alone.
func processURL(s string, norm bool) string {
	const hex = "0123456789abcdef"
	var b strings.Builder
	written := 0
	for i, n := 0, len(s); i < n; i++ {
		c := s[i]
		switch c {
		case '!', '#', '$', '&', '*', '+', ',', '/', ':', ';', '=', '?', '@', '[', ']':
			if norm {
				continue
			}
		case '-', '.', '_', '~':
			continue
		case '%':
			if norm && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
				continue
			}
		default:
			if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
				continue
			}
		}
		if written == 0 {
			b.Grow(len(s) + 16)
		}
		b.WriteString(s[written:i])
		b.Write([]byte{'%', hex[c>>4], hex[c&15]})
		written = i + 1
	}
	if written == 0 {
		return s
	}
	b.WriteString(s[written:])
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
