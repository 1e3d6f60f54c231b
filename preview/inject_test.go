package preview

import (
	"strings"
	"testing"
)

func TestWidenPolicy(t *testing.T) {
	tests := []struct{ in, want string }{
		{
			"default-src 'none'; style-src 'sha256-abc='; img-src 'self' data:",
			"default-src 'none'; style-src 'sha256-abc='; img-src 'self' data:; script-src 'nonce-N'; connect-src 'self'",
		},
		{
			"default-src 'self'; script-src 'sha256-x'",
			"default-src 'self'; script-src 'sha256-x' 'nonce-N'; connect-src 'self' 'self'",
		},
		{
			"script-src 'none'; connect-src https://api.example.com",
			"script-src 'nonce-N'; connect-src https://api.example.com 'self'",
		},
	}
	for _, tt := range tests {
		if got := widenPolicy(tt.in, "N"); got != tt.want {
			t.Errorf("widenPolicy(%q) =\n%q; want\n%q", tt.in, got, tt.want)
		}
	}
}

func TestInject(t *testing.T) {
	page := `<!doctype html><html><head><meta charset="utf-8">` +
		`<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;sha256-abc=&#39;">` +
		`<title>x</title></head><body><p>hi</p></body></html>`
	orig := page
	got := string(inject([]byte(page), "N0nce", "v1"))
	if page != orig {
		t.Fatal("inject modified its input")
	}
	want := `<!doctype html><html><head><meta charset="utf-8">` +
		`<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; style-src &#39;sha256-abc=&#39;; script-src &#39;nonce-N0nce&#39;; connect-src &#39;self&#39;">` +
		`<title>x</title><script src="/_qdn/reload.js" nonce="N0nce" data-version="v1" defer></script></head><body><p>hi</p></body></html>`
	if got != want {
		t.Errorf("inject =\n%s\nwant\n%s", got, want)
	}
	// A page without head or policy still gets the script.
	if got := string(inject([]byte("<p>bare</p>"), "N", "v")); !strings.HasSuffix(got, "defer></script>") {
		t.Errorf("inject(bare page) = %s", got)
	}
}
