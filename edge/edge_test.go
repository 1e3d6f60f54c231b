package edge

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dop251/goja"
	"github.com/google/go-cmp/cmp"
	"github.com/quickdumpnow/qdn/generator"
)

// TestCases runs the table of cases through the embedded rewrite.js, as
// qdn edge publish runs it through CloudFront.
func TestCases(t *testing.T) {
	for _, c := range Cases() {
		t.Run(c.Name, func(t *testing.T) {
			got, err := Rewrite(c.URI, c.Query)
			if err != nil {
				t.Fatalf("Rewrite(%q, %q): %v", c.URI, c.Query, err)
			}
			if got != c.Want {
				t.Errorf("Rewrite(%q, %q) = %v; want %v", c.URI, c.Query, got, c.Want)
			}
		})
	}
}

// TestRewriteAgreesWithRun holds the direct path of Rewrite to the answers
// of the path TestFunction takes: the JSON event of Event, the handler's
// answer serialized, and ParseOutput.
func TestRewriteAgreesWithRun(t *testing.T) {
	f, err := Compile("rewrite.js", Code())
	if err != nil {
		t.Fatal(err)
	}
	requests := [][2]string{{"/track/abc", "a=1&a=2&a=3&b&c=%41&__proto__=1&constructor=x"}, {"/book/a-b", "toString=1&hasOwnProperty=2&__proto__=3&__proto__=4"}}
	for _, c := range Cases() {
		requests = append(requests, [2]string{c.URI, c.Query})
	}
	for _, r := range requests {
		out, err := f.Run(Event(r[0], r[1]))
		if err != nil {
			t.Fatal(err)
		}
		want, err := ParseOutput(out)
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.Rewrite(r[0], r[1])
		if err != nil || got != want {
			t.Errorf("Rewrite(%q, %q) = %v, %v; Run gives %v", r[0], r[1], got, err, want)
		}
	}
}

func TestCaseNamesAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range Cases() {
		if seen[c.Name] {
			t.Errorf("two cases are named %q", c.Name)
		}
		seen[c.Name] = true
	}
}

// TestCodeSize keeps rewrite.js under CloudFront's limit.
func TestCodeSize(t *testing.T) {
	if n := len(Code()); n >= MaxCodeSize {
		t.Errorf("rewrite.js is %d bytes; CloudFront takes at most %d", n, MaxCodeSize)
	}
	src, err := os.ReadFile("rewrite.js")
	if err != nil {
		t.Fatal(err)
	}
	if string(src) != string(Code()) {
		t.Error("Code() differs from rewrite.js")
	}
}

func TestEvent(t *testing.T) {
	got := string(Event("/a b/", "x=1&y=%20&x=2&flag&&<=>"))
	want := `{"version":"1.0","context":{"eventType":"viewer-request"},"viewer":{"ip":"192.0.2.1"},` +
		`"request":{"method":"GET","uri":"/a b/","querystring":{` +
		`"x":{"value":"1","multiValue":[{"value":"1"},{"value":"2"}]},"y":{"value":"%20"},"flag":{"value":""},"<":{"value":">"}},` +
		`"headers":{"host":{"value":"example.com"}},"cookies":{}}}`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Event mismatch (-want +got):\n%s", diff)
	}
}

func TestParseOutput(t *testing.T) {
	for _, tc := range []struct {
		out     string
		want    Result
		wantErr string
	}{
		{out: `{"request":{"headers":{},"method":"GET","querystring":{},"uri":"/index.html","cookies":{}}}`, want: Result{URI: "/index.html"}},
		{out: `{"response":{"headers":{"location":{"value":"/book/x/?a=1"}},"statusDescription":"Moved Permanently","cookies":{},"statusCode":301}}`, want: Result{Status: 301, Redirect: "/book/x/?a=1"}},
		{out: `{"response":{"headers":{},"statusCode":403}}`, want: Result{Status: 403}},
		{out: `{"request":{"method":"GET"}}`, wantErr: "neither"},
		{out: `{"response":{"headers":{}}}`, wantErr: "without statusCode"},
		{out: `not json`, wantErr: "read function output"},
	} {
		got, err := ParseOutput(tc.out)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParseOutput(%q) error = %v; want one containing %q", tc.out, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseOutput(%q) = %v, %v; want %v", tc.out, got, err, tc.want)
		}
	}
}

func TestViewerURIs(t *testing.T) {
	for _, tc := range []struct {
		key  string
		want []string
	}{
		{"index.html", []string{"/index.html", "/"}},
		{"track/" + token + "/index.html", []string{"/track/" + token + "/index.html", "/track/" + token + "/"}},
		{"book/index.html", []string{"/book/index.html", "/book/"}},
		{"a.css", []string{"/a.css"}},
		{"404.html", []string{"/404.html"}},
		{"robots.txt", []string{"/robots.txt"}},
		{"notindex.html", []string{"/notindex.html"}},
		{"about us/index.html", []string{"/about%20us/index.html", "/about%20us/"}},
		{"café/menu.pdf", []string{"/caf%C3%A9/menu.pdf"}},
		{"a+b.pdf", []string{"/a%2Bb.pdf"}},
		{"a:b/index.html", []string{"/a%3Ab/index.html", "/a%3Ab/"}},
		{"~ann/(1).pdf", []string{"/~ann/(1).pdf"}},
	} {
		if got := ViewerURIs(tc.key); !cmp.Equal(got, tc.want) {
			t.Errorf("ViewerURIs(%q) = %q; want %q", tc.key, got, tc.want)
		}
	}
}

// TestEscapeAgreesWithEncodeURIComponent holds Escape to the encoding
// rewrite.js uses for the cache key, over every ASCII character and a few
// longer ones.
func TestEscapeAgreesWithEncodeURIComponent(t *testing.T) {
	var b strings.Builder
	for c := 1; c < 0x80; c++ {
		b.WriteByte(byte(c))
	}
	s := b.String() + "é€🚚\u0000"
	f, err := Compile("encode.js", []byte(`function handler(event) { return { uri: encodeURIComponent(event.request.uri).replace(/%2F/g, '/') }; }`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.Rewrite(s, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := Escape(s); got.URI != want {
		t.Errorf("encodeURIComponent with slashes kept gives %q; Escape gives %q", got.URI, want)
	}
}

// TestViewerURIsAgreeWithRewrite checks ViewerURIs against rewrite.js for
// every page of the example site and a few odd keys: the object's page is
// reached through a listed URI that rewrites to the object's own URI (the
// cache key), every listed URI but the own one rewrites to it, and no
// other obvious spelling is served from it.
func TestViewerURIsAgreeWithRewrite(t *testing.T) {
	site, err := generator.Load(t.Context(), "..", generator.Options{Now: func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	out, err := generator.Render(t.Context(), site)
	if err != nil {
		t.Fatal(err)
	}
	keys := append(out.Paths(), "a.css", "about us/index.html", "café/index.html", "x/y/z/index.html", "x/index.htm", "a+b/index.html")
	if len(keys) < 15 {
		t.Fatalf("the example site has %d outputs; want at least 10", len(keys)-6)
	}
	for _, key := range keys {
		uris := ViewerURIs(key)
		own := uris[0]
		reached := false
		for i, uri := range uris {
			got, err := Rewrite(uri, "")
			if err != nil {
				t.Fatal(err)
			}
			if got == (Result{URI: own}) {
				reached = true
			} else if i > 0 {
				t.Errorf("ViewerURIs(%q) lists %q, which rewrites to %v; want %s", key, uri, got, own)
			}
		}
		if !reached {
			t.Errorf("no URI of ViewerURIs(%q) = %q reaches the object", key, uris)
		}
		// The directory without its slash is never a cached spelling.
		if len(uris) == 2 && uris[1] != "/" {
			bare := strings.TrimSuffix(uris[1], "/")
			if got, _ := Rewrite(bare, ""); got.URI == own {
				t.Errorf("%q rewrites to %s but ViewerURIs(%q) does not list it", bare, own, key)
			}
		}
	}
}

func TestRewriteConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				uri := fmt.Sprintf("/track/t%d%d", g, i)
				got, err := Rewrite(uri, "n="+fmt.Sprint(i))
				want := Result{Status: 301, Redirect: fmt.Sprintf("%s/?n=%d", uri, i)}
				if err != nil || got != want {
					errs <- fmt.Errorf("Rewrite(%q) = %v, %v; want %v", uri, got, err, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestCompileErrors(t *testing.T) {
	if _, err := Compile("broken.js", []byte("function handler(event) {")); err == nil {
		t.Error("Compile of a syntax error succeeded")
	}
	if _, err := Compile("nohandler.js", []byte("var x = 1;")); err == nil || !strings.Contains(err.Error(), "handler") {
		t.Errorf("Compile without handler: err = %v; want one naming handler", err)
	}
	f, err := Compile("throws.js", []byte("function handler(event) { throw new TypeError('boom'); }"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Rewrite("/", ""); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("Rewrite with a throwing handler: err = %v; want the exception", err)
	}
}

func BenchmarkRewrite(b *testing.B) {
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := Rewrite("/track/"+token, "utm_source=sms"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestOriginGetsNoQuery checks that the request sent on to the origin holds
// no query string, so that S3 never reads a parameter of the viewer's, such
// as versionId or response-content-type.
func TestOriginGetsNoQuery(t *testing.T) {
	f, err := Compile("rewrite.js", Code())
	if err != nil {
		t.Fatal(err)
	}
	for _, uri := range []string{"/", "/track/" + token + "/", "/a.css"} {
		out, err := f.Run(Event(uri, "versionId=3HL4kqtJlcpXroDTDmJ&response-content-type=text/html&partNumber=1"))
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Request struct {
				QueryString map[string]any `json:"querystring"`
			} `json:"request"`
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Request.QueryString) != 0 {
			t.Errorf("the origin gets the query %v for %s; want none", got.Request.QueryString, uri)
		}
	}
}

// TestStateUnderEverySpelling tries every mix of raw, upper-case, encoded
// and double-encoded spellings of "/.qdn/" behind the prefixes a viewer
// could use to reach it: none reaches the origin or is redirected.
func TestStateUnderEverySpelling(t *testing.T) {
	spell := func(c byte) []string {
		up := strings.ToUpper(string(c))
		return []string{string(c), up, fmt.Sprintf("%%%x", c), fmt.Sprintf("%%%X", up[0]), fmt.Sprintf("%%25%X", c)}
	}
	dots := []string{".", "%2e", "%2E", "%252E"}
	seps := []string{"/", "%2f", "%5C", "%252F"}
	prefixes := []string{"", "/x/..", "/.", "/"}
	n := 0
	for _, dot := range dots {
		for _, q := range spell('q') {
			for _, d := range spell('d') {
				for _, nn := range spell('n') {
					for _, sep := range seps {
						for _, p := range prefixes {
							uri := p + "/" + dot + q + d + nn + sep + "manifest.json"
							got, err := Rewrite(uri, "")
							if err != nil {
								t.Fatal(err)
							}
							n++
							if got.Status != 404 && got.Status != 400 {
								t.Errorf("Rewrite(%q) = %v; want 404 or 400", uri, got)
							}
						}
					}
				}
			}
		}
	}
	if n < 8000 {
		t.Errorf("tried %d spellings; want at least 8000", n)
	}
}

// TestLoneSurrogate hands the handler a URI that no Go string and no
// JSON.parse of goja can hold, one with a lone UTF-16 surrogate, built in
// the runtime: encodeURIComponent cannot encode it, and the function
// refuses it rather than fail.
func TestLoneSurrogate(t *testing.T) {
	rt := goja.New()
	if _, err := rt.RunScript("rewrite.js", string(Code())); err != nil {
		t.Fatal(err)
	}
	got, err := rt.RunString(`handler({request: {method: 'GET', uri: '/a' + String.fromCharCode(0xD800) + 'b/', querystring: {}, headers: {}, cookies: {}}}).statusCode`)
	if err != nil {
		t.Fatal(err)
	}
	if got.ToInteger() != 400 {
		t.Errorf("handler on a URI with a lone surrogate answers %v; want 400", got)
	}
}
