package generator_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/quickdumpnow/qdn/generator"
	"github.com/quickdumpnow/qdn/internal/sitegen"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// testNow is the clock of the tests: the day after Mark's job was booked.
var testNow = func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }

// exampleSite is the QuickDumpNow site shipped at the root of the repository.
const exampleSite = ".."

func render(t *testing.T, dir string) (*generator.Site, *generator.Output) {
	t.Helper()
	s, err := generator.Load(t.Context(), dir, generator.Options{Now: testNow})
	if err != nil {
		t.Fatalf("Load(%s): %v\n%s", dir, err, generator.Errors(err).Format())
	}
	out, err := generator.Render(t.Context(), s)
	if err != nil {
		t.Fatalf("Render(%s): %v", dir, err)
	}
	return s, out
}

// TestGolden compares every page of the example site with testdata/golden.
// Run `go test ./generator -update` to rewrite them, and review the diff.
func TestGolden(t *testing.T) {
	_, out := render(t, exampleSite)
	golden := filepath.Join("testdata", "golden")
	if *update {
		if err := os.RemoveAll(golden); err != nil {
			t.Fatal(err)
		}
		for p, b := range outFiles(t, out) {
			f := filepath.Join(golden, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(f, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	var want []string
	err := filepath.WalkDir(golden, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(golden, p)
		want = append(want, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(want)
	if diff := cmp.Diff(want, out.Paths()); diff != "" {
		t.Errorf("output paths differ from testdata/golden (-golden +got):\n%s", diff)
	}
	for _, p := range want {
		w, err := os.ReadFile(filepath.Join(golden, filepath.FromSlash(p)))
		if err != nil {
			t.Fatal(err)
		}
		if got := outFiles(t, out)[p]; !bytes.Equal(got, w) {
			t.Errorf("%s differs from its golden file (-golden +got):\n%s", p, cmp.Diff(string(w), string(got)))
		}
	}
}

// TestTrackPage checks what a customer must find on a tracking page.
func TestTrackPage(t *testing.T) {
	_, out := render(t, exampleSite)
	page := string(outFiles(t, out)["track/amjmobezssjp5pia4iukcejbpm/index.html"])
	for _, want := range []string{
		`<meta name="robots" content="noindex,nofollow,noarchive">`,
		`<meta name="referrer" content="no-referrer">`,
		`<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;;`,
		`Hi Mark, your job is ready for pickup`,
		`aria-current="step"`,
		`Sat, Nov 21 at 11:40 am`, // in the site's time zone
		`Saturday, November 21, 2026, 1–5 pm`,
		`1234 Soderblom Ave, Boise, ID`,
		`rel="noreferrer">Open in maps</a>`,
		`Trailer dump`,
		`$600 (all-inclusive)`,
		`<dd>Sergio</dd>`,
		`Your trailer is ready.`, // the override in qdn.yaml
		`href="tel:&#43;12085550100"`,
		`href="sms:&#43;12085550100`,
		`Anyone with this link can see this page.`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("Mark's tracking page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script") {
		t.Errorf("tracking page has a script; it must work without JavaScript")
	}
	// Nothing is loaded from anywhere: no src at all, and the one absolute
	// link is the map link, which is followed only when tapped.
	if strings.Contains(page, " src=") || strings.Contains(page, "<link rel=\"stylesheet") {
		t.Errorf("tracking page loads a resource")
	}
	for _, m := range regexp.MustCompile(`href="((?:https?:)?//[^"]*)"`).FindAllStringSubmatch(page, -1) {
		if !strings.HasPrefix(m[1], "https://www.google.com/maps/") {
			t.Errorf("tracking page links to another origin: %s", m[1])
		}
	}
	for p, b := range outFiles(t, out) {
		if strings.HasPrefix(p, "track/") && len(b) > 20<<10 {
			t.Errorf("%s is %d bytes; tracking pages must stay under 20 KB", p, len(b))
		}
	}

	completed := string(outFiles(t, out)["track/4rfjvuwrl7eyrv2gvjfkkbneqe/index.html"])
	for _, want := range []string{"Receipt", "<dt>Amount</dt>", "$350 (half a truck)", "print this page"} {
		if !strings.Contains(completed, want) {
			t.Errorf("completed job's page lacks %q", want)
		}
	}
	cancelled := string(outFiles(t, out)["track/6oyy7utby5zefaz5v23nysof2i/index.html"])
	for _, want := range []string{"This job was cancelled on November 20, 2026", `class="cancelled" aria-current="step"`, "Customer rented a bin elsewhere"} {
		if !strings.Contains(cancelled, want) {
			t.Errorf("cancelled job's page lacks %q", want)
		}
	}
	if strings.Contains(cancelled, "Not yet") {
		t.Errorf("cancelled job's page still lists steps to come")
	}
	imported := string(outFiles(t, out)["track/3f1c9a7be40d52e86a1c0f9d3b7e2a64/index.html"])
	for _, absent := range []string{"<dt>Price</dt>", "<dt>Service</dt>", "<dt>Crew</dt>"} {
		if strings.Contains(imported, absent) {
			t.Errorf("imported job without %s shows it anyway", absent)
		}
	}
}

// TestExpiry checks that a job that ended more than track.expire_after ago
// gets no page, and one that ended within it still has one.
func TestExpiry(t *testing.T) {
	_, out := render(t, exampleSite)
	if _, ok := outFiles(t, out)["track/qs5noppu3pcssgtaxrmprg3t4a/index.html"]; ok {
		t.Errorf("job completed in September still has a page")
	}
	if _, ok := outFiles(t, out)["track/4rfjvuwrl7eyrv2gvjfkkbneqe/index.html"]; !ok {
		t.Errorf("job completed three days ago has no page")
	}
}

func TestBookPages(t *testing.T) {
	_, out := render(t, exampleSite)
	book := string(outFiles(t, out)["book/index.html"])
	for _, want := range []string{`href="/book/trailer-dump/"`, `$600 all-inclusive`, `Dump fees for up to 2 tons`, `href="/book/junk-removal/"`} {
		if !strings.Contains(book, want) {
			t.Errorf("/book/ lacks %q", want)
		}
	}
	if strings.Index(book, "trailer-dump") > strings.Index(book, "junk-removal") {
		t.Errorf("/book/ does not list services by their order")
	}
	svc := string(outFiles(t, out)["book/trailer-dump/index.html"])
	for _, want := range []string{`href="sms:&#43;12085550100?&amp;body=Hi%20QuickDumpNow%2C%20I%20would%20like%20to%20book%20Trailer%20dump`, `href="mailto:dispatch@quickdumpnow.com?subject=Booking%20request%3A%20Trailer%20dump`, "Up to 3 days on site"} {
		if !strings.Contains(svc, want) {
			t.Errorf("/book/trailer-dump/ lacks %q", want)
		}
	}
	// The message says the price as the page does, price_line included.
	junk := string(outFiles(t, out)["book/junk-removal/index.html"])
	if want := `book%20Junk%20removal%20%E2%80%94%20From%20%24350%20%28half%20a%20truck%29.`; !strings.Contains(junk, want) {
		t.Errorf("/book/junk-removal/ lacks %q", want)
	}
	if strings.Contains(svc, "<form") {
		t.Errorf("service page has a form although booking.form_action is not set")
	}
}

// TestTemplatesBefore renders the example site with its own track.html and
// _base.html as they were before the view model carried preformatted
// strings and the footer was rendered once (testdata/templates-before):
// templates written against the funcs and fields of then still give the
// same pages.
func TestTemplatesBefore(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"qdn.yaml", "content", "jobs"} {
		if err := sitegen.CopyTree(filepath.Join(exampleSite, name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := sitegen.CopyTree(filepath.Join("testdata", "templates-before"), filepath.Join(dir, generator.TemplatesDir)); err != nil {
		t.Fatal(err)
	}
	_, want := render(t, exampleSite)
	_, got := render(t, dir)
	if diff := cmp.Diff(want.Paths(), got.Paths()); diff != "" {
		t.Fatalf("output paths differ (-defaults +before):\n%s", diff)
	}
	// The old _base.html calls {{block "title" .}}, which qdn's home.html
	// and 404.html no longer define (qdn's _base.html prints .FullTitle):
	// there, it gives its own default title.
	ownTitle := map[string]bool{"index.html": true, "404.html": true}
	title := regexp.MustCompile(`<title>.*</title>`)
	for _, p := range want.Paths() {
		w, g := outFiles(t, want)[p], outFiles(t, got)[p]
		if ownTitle[p] {
			w, g = title.ReplaceAll(w, nil), title.ReplaceAll(g, nil)
		}
		if !bytes.Equal(w, g) {
			t.Errorf("%s differs (-defaults +before):\n%s", p, cmp.Diff(string(w), string(g)))
		}
	}
}

// TestUnusedTemplate: a define of a site's own that no page calls is an
// error, since qdn would otherwise ignore it without a word; a partial's
// define that only one page calls is not.
func TestUnusedTemplate(t *testing.T) {
	home := "{{template \"base\" .}}\n{{define \"main\"}}{{template \"hero\" .}}{{end}}\n"
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"title of before", map[string]string{"home.html": "{{template \"base\" .}}\n{{define \"title\"}}Home{{end}}\n{{define \"main\"}}<h1>Home</h1>{{end}}\n"},
			`templates/home.html:2:18: template "title" is defined but no page uses it`},
		{"typo", map[string]string{"_extra.html": `{{define "heroo"}}<p>hi</p>{{end}}`, "home.html": home},
			`templates/_extra.html:1:18: template "heroo" is defined but no page uses it`},
		{"used by one page", map[string]string{"_extra.html": `{{define "hero"}}<p>hi</p>{{end}}`, "home.html": home}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copySite(t, exampleSite)
			for name, src := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, generator.TemplatesDir, name), []byte(src), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := generator.Load(t.Context(), dir, generator.Options{Now: testNow})
			got := ""
			if err != nil {
				got = generator.Errors(err)[0].Error()
			}
			if got != tc.want {
				t.Errorf("Load = %q; want %q", got, tc.want)
			}
		})
	}
}

// outFiles returns every output of out with its bytes.
func outFiles(t testing.TB, out *generator.Output) map[string][]byte {
	t.Helper()
	files, err := out.All()
	if err != nil {
		t.Fatal(err)
	}
	return files
}
