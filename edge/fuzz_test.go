package edge

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRewrite checks what must hold for any request: the function never
// fails; a redirect only adds the slash to a token or service path, never
// leaves the site, and its Location carries nothing that could break out of
// a header or a URL; any other request reaches the origin unchanged or with
// index.html added to a directory; and Rewrite answers as the TestFunction
// path (Run on the JSON event) does. `go test` runs the seeds, the table of
// cases; `go test -fuzz FuzzRewrite ./edge` looks further.
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
		switch got.Status {
		case 0:
			want := uri
			if strings.HasSuffix(uri, "/") {
				want += "index.html"
			}
			if got.URI != want || got.Redirect != "" {
				t.Errorf("Rewrite(%q, %q) = %v; want %s", uri, query, got, want)
			}
		case 301:
			path, _, _ := strings.Cut(got.Redirect, "?")
			if path != uri+"/" || !(strings.HasPrefix(uri, "/track/") || strings.HasPrefix(uri, "/book/")) {
				t.Errorf("Rewrite(%q, %q) redirects to %q; want %s/", uri, query, got.Redirect, uri)
			}
			if strings.HasPrefix(got.Redirect, "//") {
				t.Errorf("Rewrite(%q, %q) redirects off the site: %q", uri, query, got.Redirect)
			}
			for _, r := range got.Redirect {
				if r <= ' ' || r >= 0x7f || strings.ContainsRune("\"<>\\^`{|}#", r) {
					t.Errorf("Rewrite(%q, %q): Location %q holds %q", uri, query, got.Redirect, r)
					break
				}
			}
		case 404:
			lower := strings.ToLower(uri)
			if !strings.HasPrefix(lower, "/.qdn") && !strings.HasPrefix(lower, "/%2eqdn") {
				t.Errorf("Rewrite(%q, %q) = 404; only qdn's state under /.qdn/ is hidden", uri, query)
			}
		default:
			t.Errorf("Rewrite(%q, %q) = %v; want a 301, a 404 for /.qdn/ or the origin", uri, query, got)
		}
	})
}
