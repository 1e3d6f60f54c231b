package edge

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRewrite checks what must hold for any request, stated in Go apart
// from the rules of rewrite.js:
//
//   - the function never fails, and Rewrite answers as the TestFunction
//     path (Run on the JSON event) does;
//   - a URI that does not decode to a clean path (see clean) is refused
//     with 400, and one with a segment .qdn in any case gets 404;
//   - a URI sent to the origin is the viewer's, with index.html added to a
//     directory; it is spelled as Escape spells its decoded path, S3 reads it
//     as a key outside .qdn/, and ViewerURIs of that key lists it, so qdn
//     sync invalidates every URI that can be cached;
//   - a redirect stays on the site, changes the decoded path only by the
//     case, slash and index.html of a tracking or booking page, leads to a
//     URI served at once, and its Location carries nothing that could break
//     out of a header or a URL.
//
// `go test` runs the seeds, the table of cases; `go test -fuzz FuzzRewrite
// ./edge` looks further.
func FuzzRewrite(f *testing.F) {
	for _, c := range Cases() {
		f.Add(c.URI, c.Query)
	}
	f.Fuzz(func(t *testing.T, uri, query string) {
		if !strings.HasPrefix(uri, "/") || !utf8.ValidString(uri) || !utf8.ValidString(query) {
			t.Skip("CloudFront hands functions URIs that start with a slash")
		}
		got, err := Rewrite(uri, query)
		if err != nil {
			t.Fatalf("Rewrite(%q, %q): %v", uri, query, err)
		}
		f, _ := rewrite()
		out, err := f.Run(Event(uri, query))
		if err != nil {
			t.Fatalf("Run(Event(%q, %q)): %v", uri, query, err)
		}
		if want, err := ParseOutput(out); err != nil || got != want {
			t.Errorf("Rewrite(%q, %q) = %v; the TestFunction path gives %v, %v", uri, query, got, want, err)
		}

		decoded, err := url.PathUnescape(uri)
		valid := err == nil && utf8.ValidString(decoded)
		switch {
		case valid && isState(decoded):
			if got.Status != 404 {
				t.Errorf("Rewrite(%q, %q) = %v; want 404 for qdn's state", uri, query, got)
			}
			return
		case !valid || !clean(decoded):
			if got.Status != 400 {
				t.Errorf("Rewrite(%q, %q) = %v; want 400 for a URI that is not a clean path", uri, query, got)
			}
			return
		}

		switch got.Status {
		case 0:
			want := uri
			if strings.HasSuffix(uri, "/") {
				want += "index.html"
			}
			if got.URI != want || got.Redirect != "" {
				t.Errorf("Rewrite(%q, %q) = %v; want %s", uri, query, got, want)
			}
			if e := Escape(decoded); e != uri {
				t.Errorf("Rewrite(%q, %q) sends the origin a spelling other than Escape's, %q", uri, query, e)
			}
			key, err := s3Key(got.URI)
			if err != nil || isState("/"+key) || !clean("/"+key) {
				t.Errorf("Rewrite(%q, %q) sends the origin %q, which S3 reads as the key %q (%v)", uri, query, got.URI, key, err)
			}
			if uris := ViewerURIs(key); !slices.Contains(uris, got.URI) {
				t.Errorf("Rewrite(%q, %q) caches %q, but ViewerURIs(%q) = %q", uri, query, got.URI, key, uris)
			}
		case 301:
			loc, _, _ := strings.Cut(got.Redirect, "?")
			if !strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") {
				t.Errorf("Rewrite(%q, %q) redirects off the site: %q", uri, query, got.Redirect)
			}
			for _, r := range got.Redirect {
				if r <= ' ' || r >= 0x7f || strings.ContainsRune("\"<>\\^`{|}#", r) {
					t.Errorf("Rewrite(%q, %q): Location %q holds %q", uri, query, got.Redirect, r)
					break
				}
			}
			target, err := url.PathUnescape(loc)
			if err != nil {
				t.Fatalf("Rewrite(%q, %q) redirects to %q: %v", uri, query, got.Redirect, err)
			}
			if target != decoded && !(isPage(target) && strings.EqualFold(pageOf(target), pageOf(decoded))) {
				t.Errorf("Rewrite(%q, %q) redirects to %q, another path than %q", uri, query, got.Redirect, decoded)
			}
			if next, err := Rewrite(loc, ""); err != nil || next.Status != 0 {
				t.Errorf("Rewrite(%q, %q) redirects to %q, which gives %v, %v; want it served", uri, query, loc, next, err)
			}
		default:
			t.Errorf("Rewrite(%q, %q) = %v; want a 301 or the origin for a clean path outside .qdn/", uri, query, got)
		}
	})
}

// clean says whether p is a path that every reader takes the same way: it
// starts with a slash and has no empty segment (but a trailing slash), no
// dot segment, no backslash, no '%', and no control character.
func clean(p string) bool {
	if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\\%\x7f") {
		return false
	}
	for _, r := range p {
		if r < ' ' {
			return false
		}
	}
	segs := strings.Split(p[1:], "/")
	for i, s := range segs {
		if s == "." || s == ".." || s == "" && i < len(segs)-1 {
			return false
		}
	}
	return true
}

// isState says whether p has a segment .qdn in any case, with a slash or a
// backslash around it.
func isState(p string) bool {
	return slices.ContainsFunc(strings.FieldsFunc(p, func(r rune) bool { return r == '/' || r == '\\' }), func(s string) bool {
		return strings.EqualFold(s, ".qdn")
	})
}

// s3Key returns the key S3 reads from the path of a request: the path
// without its leading slash, decoded, with a bare '+' read as a space.
func s3Key(uri string) (string, error) {
	return url.PathUnescape(strings.ReplaceAll(strings.TrimPrefix(uri, "/"), "+", " "))
}

// isPage says whether p is a tracking or booking page's canonical path.
func isPage(p string) bool {
	return p == "/book/" || strings.Count(p, "/") == 3 && (strings.HasPrefix(p, "/track/") || strings.HasPrefix(p, "/book/")) && strings.HasSuffix(p, "/")
}

// pageOf strips the index.html and the trailing slash of a page's path.
func pageOf(p string) string {
	if len(p) >= len("/index.html") && strings.EqualFold(p[len(p)-len("/index.html"):], "/index.html") {
		p = p[:len(p)-len("index.html")]
	}
	return strings.TrimSuffix(p, "/")
}
