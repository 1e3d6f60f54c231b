package preview

import (
	"bufio"
	"bytes"
	"context"
	"github.com/quickdumpnow/qdn/internal/sitegen"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/quickdumpnow/qdn/generator"
)

// testNow is the build clock of the tests, so that which example jobs
// expired does not depend on the day they run.
var testNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// exampleSite copies the example site of this repository to a temporary
// directory.
func exampleSite(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"qdn.yaml", "content", "jobs", "templates"} {
		if err := sitegen.CopyTree(filepath.Join("..", name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// rebuild is one finished rebuild as the test hook saw it.
type rebuild struct {
	batch Batch
	res   *generator.Result
	err   error
	took  time.Duration
}

// testServer is a Server on a free loopback port with its rebuilds on a
// channel.
type testServer struct {
	*Server
	dir      string
	rebuilds chan rebuild
	log      *syncBuffer
}

type syncBuffer struct {
	mu chan struct{}
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu <- struct{}{}
	defer func() { <-s.mu }()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu <- struct{}{}
	defer func() { <-s.mu }()
	return s.b.String()
}

func startServer(t testing.TB, dir string) *testServer {
	t.Helper()
	return startServerAt(t, dir, "127.0.0.1:0")
}

func startServerAt(t testing.TB, dir, addr string) *testServer {
	t.Helper()
	log := &syncBuffer{mu: make(chan struct{}, 1)}
	s := NewServer(Options{Dir: dir, Addr: addr, Now: func() time.Time { return testNow }, Log: log})
	ts := &testServer{Server: s, dir: dir, rebuilds: make(chan rebuild, 64), log: log}
	s.rebuilt = func(b Batch, res *generator.Result, err error, took time.Duration) {
		ts.rebuilds <- rebuild{b, res, err, took}
	}
	if err := s.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	<-ts.rebuilds // the first build
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if t.Failed() {
			t.Logf("server log:\n%s", log.String())
		}
	})
	return ts
}

// edit writes (or, with content "", removes) a source file and waits for
// the rebuilds it causes, returning their changes merged and the last error.
func (ts *testServer) edit(t testing.TB, rel, content string) (*generator.Changes, error) {
	t.Helper()
	p := filepath.Join(ts.dir, filepath.FromSlash(rel))
	if content == "" {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	} else {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return ts.settle(t, rel)
}

// settle waits for a rebuild that covers rel and then for quiet.
func (ts *testServer) settle(t testing.TB, rel string) (*generator.Changes, error) {
	t.Helper()
	all := &generator.Changes{}
	var last error
	seen := false
	timeout := time.After(5 * time.Second)
	for {
		wait := 5 * time.Second
		if seen {
			wait = 200 * time.Millisecond
		}
		select {
		case r := <-ts.rebuilds:
			if r.batch.All || slices.Contains(r.batch.Paths, rel) {
				seen = true
			}
			last = r.err
			if r.err == nil {
				all.Added = append(all.Added, r.res.Changes.Added...)
				all.Modified = append(all.Modified, r.res.Changes.Modified...)
				all.Removed = append(all.Removed, r.res.Changes.Removed...)
			}
		case <-time.After(wait):
			if seen {
				slices.Sort(all.Added)
				slices.Sort(all.Modified)
				slices.Sort(all.Removed)
				return all, last
			}
		case <-timeout:
			t.Fatalf("no rebuild for %s within 5s", rel)
		}
	}
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

const markToken = "amjmobezssjp5pia4iukcejbpm"

var markPage = generator.TrackPath(markToken)

// TestRebuildsMatchACleanBuild edits every kind of source in turn and
// checks, after each edit, which outputs changed and that the preview holds
// exactly what a clean build of the same sources gives.
func TestRebuildsMatchACleanBuild(t *testing.T) {
	dir := exampleSite(t)
	ts := startServer(t, dir)
	markFile := "jobs/JOB-20261121-001.yaml"
	mark := readFile(t, filepath.Join(dir, markFile))
	priyaFile, priyaPage := "jobs/JOB-20261122-001.yaml", generator.TrackPath("g35dkbjc7bpdaqtnqwiivfozku")
	priya := readFile(t, filepath.Join(dir, priyaFile))
	st := ts.snapshot()
	var trackPages []string
	for p := range outFiles(t, st.out) {
		if strings.HasPrefix(p, "track/") {
			trackPages = append(trackPages, p)
		}
	}
	slices.Sort(trackPages)
	all := st.out.Paths()

	steps := []struct {
		name     string
		file     string
		content  string
		want     generator.Changes
		contains []string // for edits whose exact set is the whole site
		wantErr  bool
	}{
		{name: "job status", file: markFile, content: strings.Replace(mark, "status: ready_for_pickup", "status: in_progress", 1),
			want: generator.Changes{Modified: []string{markPage}}},
		{name: "new job", file: "jobs/JOB-20261123-001.yaml", content: "id: JOB-20261123-001\ntoken: snjujfjutqhhrmo7udxxpb3oee\ncustomer: {name: Lee}\nstatus: booked\n",
			want: generator.Changes{Added: []string{"track/snjujfjutqhhrmo7udxxpb3oee/index.html"}}},
		{name: "broken job", file: markFile, content: strings.Replace(mark, "status: ready_for_pickup", "status: ready", 1), wantErr: true},
		{name: "another job while one is broken", file: priyaFile, content: strings.Replace(priya, "name: Priya Raman", "name: Priya R.", 1), wantErr: true},
		{name: "fixed job", file: markFile, content: mark, want: generator.Changes{Modified: []string{markPage, priyaPage}}},
		{name: "removed job", file: "jobs/JOB-20261123-001.yaml",
			want: generator.Changes{Removed: []string{"track/snjujfjutqhhrmo7udxxpb3oee/index.html"}}},
		{name: "content page", file: "content/faq.md", content: readFile(t, filepath.Join(dir, "content/faq.md")) + "\nOne more answer.\n",
			want: generator.Changes{Modified: []string{"faq/index.html"}}},
		{name: "new content page", file: "content/areas/meridian.md", content: "---\ntitle: Meridian\n---\nWe serve Meridian.\n",
			want: generator.Changes{Added: []string{"areas/meridian/index.html"}}},
		{name: "service", file: "content/book/trailer-dump.md", content: strings.Replace(readFile(t, filepath.Join(dir, "content/book/trailer-dump.md")), "Up to 3 days on site", "Up to 4 days on site", 1),
			want: generator.Changes{Modified: []string{"book/index.html", "book/trailer-dump/index.html"}}},
		{name: "track template", file: "templates/track.html", content: strings.Replace(readFile(t, filepath.Join(dir, "templates/track.html")), "Anyone with this link", "Anybody with this link", 1),
			want: generator.Changes{Modified: trackPages}},
		{name: "configuration", file: "qdn.yaml", content: strings.Replace(readFile(t, filepath.Join(dir, "qdn.yaml")), "555 0100", "555 0199", 1),
			contains: all},
	}
	for _, step := range steps {
		got, err := ts.edit(t, step.file, step.content)
		if (err != nil) != step.wantErr {
			t.Fatalf("%s: rebuild error %v; want error %v", step.name, err, step.wantErr)
		}
		if err == nil {
			if step.contains != nil {
				if len(got.Modified) != len(step.contains) {
					t.Errorf("%s: %d outputs modified; want all %d", step.name, len(got.Modified), len(step.contains))
				}
			} else if diff := cmp.Diff(step.want, *got, cmpEmpty); diff != "" {
				t.Errorf("%s: changes (-want +got):\n%s", step.name, diff)
			}
		}
		assertCleanBuild(t, ts)
	}
}

var cmpEmpty = cmp.Comparer(func(a, b []string) bool { return slices.Equal(a, b) })

// assertCleanBuild compares the preview's output with a clean build of the
// same sources, and checks that no output holds the reload script.
func assertCleanBuild(t *testing.T, ts *testServer) {
	t.Helper()
	s, err := generator.Load(t.Context(), ts.dir, generator.Options{Now: func() time.Time { return testNow }})
	if err != nil {
		// A failed build keeps the last good output; nothing to compare.
		return
	}
	want, err := generator.Render(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	got := ts.snapshot().out
	if diff := cmp.Diff(want.Paths(), got.Paths()); diff != "" {
		t.Fatalf("output paths differ from a clean build (-clean +preview):\n%s", diff)
	}
	for p, b := range outFiles(t, want) {
		if !bytes.Equal(b, outFiles(t, got)[p]) {
			t.Errorf("%s differs from a clean build", p)
		}
		if bytes.Contains(outFiles(t, got)[p], []byte(reloadScriptPath)) || bytes.Contains(outFiles(t, got)[p], []byte("EventSource")) {
			t.Errorf("%s holds the reload script", p)
		}
	}
	if _, err := os.Stat(filepath.Join(ts.dir, generator.PublicDir)); err == nil {
		t.Errorf("the preview wrote %s/", generator.PublicDir)
	}
}

// stream is an event-stream client, as a page's reload script is.
type stream struct {
	events chan string
	cancel context.CancelFunc
}

func openStream(t testing.TB, base, page, version string) *stream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	u := base + "_qdn/events?path=" + url.QueryEscape(page) + "&v=" + url.QueryEscape(version)
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("events Content-Type = %q", ct)
	}
	s := &stream{events: make(chan string, 64), cancel: cancel}
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if name, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				s.events <- name
			}
		}
		close(s.events)
	}()
	t.Cleanup(cancel)
	return s
}

// expect waits up to three seconds for the next event and checks its name.
func (s *stream) expect(t testing.TB, name string) { s.expectWithin(t, name, 3*time.Second) }

func (s *stream) expectWithin(t testing.TB, name string, d time.Duration) {
	t.Helper()
	select {
	case got := <-s.events:
		if got != name {
			t.Fatalf("event %q; want %q", got, name)
		}
	case <-time.After(d):
		t.Fatalf("no %q event within %s", name, d)
	}
}

func (s *stream) quiet(t testing.TB, during time.Duration) {
	t.Helper()
	select {
	case got := <-s.events:
		t.Fatalf("unexpected event %q", got)
	case <-time.After(during):
	}
}

// servedVersion fetches a page and returns the version its reload script
// carries, checking that the HTML response holds the script and the output
// does not.
func servedVersion(t testing.TB, base, page string) string {
	t.Helper()
	resp, err := http.Get(base + strings.TrimPrefix(page, "/"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	_, rest, ok := strings.Cut(string(b), `data-version="`)
	if !ok {
		t.Fatalf("%s has no reload script:\n%s", page, b)
	}
	v, _, _ := strings.Cut(rest, `"`)
	return v
}

// TestReloadOnlyWhatChanged checks that a page is told to reload exactly
// when what it shows changed, that build errors reach every page and that a
// page reconnecting with an old version is reloaded at once.
func TestReloadOnlyWhatChanged(t *testing.T) {
	dir := exampleSite(t)
	ts := startServer(t, dir)
	base := ts.URL()
	markURL, priyaURL, missingURL := "/track/"+markToken+"/", "/track/g35dkbjc7bpdaqtnqwiivfozku/", "/track/snjujfjutqhhrmo7udxxpb3oee/"

	mark := openStream(t, base, markURL, servedVersion(t, base, markURL))
	priya := openStream(t, base, priyaURL, servedVersion(t, base, priyaURL))
	missing := openStream(t, base, missingURL, servedVersion(t, base, missingURL))
	dash := openStream(t, base, "/_qdn/", servedVersion(t, base, "/_qdn/"))
	for _, s := range []*stream{mark, priya, missing, dash} {
		s.expect(t, "ok")
	}

	markFile := "jobs/JOB-20261121-001.yaml"
	src := readFile(t, filepath.Join(dir, markFile))
	ts.edit(t, markFile, strings.Replace(src, "status: ready_for_pickup", "status: in_progress", 1))
	mark.expect(t, "reload")
	dash.expect(t, "reload")
	priya.quiet(t, 100*time.Millisecond)
	missing.quiet(t, 0)

	// A page that does not exist yet reloads when it appears.
	ts.edit(t, "jobs/JOB-20261123-001.yaml", "id: JOB-20261123-001\ntoken: snjujfjutqhhrmo7udxxpb3oee\ncustomer: {name: Lee}\nstatus: booked\n")
	missing.expect(t, "reload")
	dash.expect(t, "reload")
	mark.quiet(t, 100*time.Millisecond)
	priya.quiet(t, 0)

	// Touching a file without changing it reloads nothing.
	ts.edit(t, "jobs/JOB-20261123-001.yaml", "id: JOB-20261123-001\ntoken: snjujfjutqhhrmo7udxxpb3oee\ncustomer: {name: Lee}\nstatus: booked\n")
	dash.quiet(t, 100*time.Millisecond)
	missing.quiet(t, 0)

	// Errors reach every page; fixing them clears the overlay.
	ts.edit(t, markFile, "id: JOB-20261121-001\n")
	for _, s := range []*stream{mark, priya, dash} {
		s.expect(t, "errors")
	}
	ts.edit(t, markFile, src)
	priya.expect(t, "ok")
	priya.quiet(t, 100*time.Millisecond)
	mark.expect(t, "ok")
	mark.expect(t, "reload") // back to ready_for_pickup

	// After a restart a page reconnects with the version it shows.
	current := servedVersion(t, base, priyaURL)
	again := openStream(t, base, priyaURL, current)
	again.expect(t, "ok")
	again.quiet(t, 100*time.Millisecond)
	stale := openStream(t, base, priyaURL, "an-older-version")
	stale.expect(t, "ok")
	stale.expect(t, "reload")
}

// TestPreviewOnlyHeaders checks what only the preview's responses carry.
func TestPreviewOnlyHeaders(t *testing.T) {
	ts := startServer(t, exampleSite(t))
	resp, err := http.Get(ts.URL() + "track/" + markToken + "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(b)
	if !strings.Contains(page, `<script src="/_qdn/reload.js" nonce="`) {
		t.Errorf("served page has no reload script")
	}
	if !strings.Contains(page, "connect-src &#39;self&#39;") {
		t.Errorf("served page's policy does not allow the event stream")
	}
	built := string(outFiles(t, ts.snapshot().out)[markPage])
	if strings.Contains(built, "nonce") || strings.Contains(built, "_qdn") {
		t.Errorf("the output itself was changed")
	}
	// Two responses never share a nonce.
	resp2, _ := http.Get(ts.URL() + "track/" + markToken + "/")
	b2, _ := io.ReadAll(resp2.Body)
	resp2.Body.Close()
	if bytes.Equal(b, b2) {
		t.Errorf("two responses carry the same nonce")
	}
}

// TestRenamedTemporaryFile checks the way sed -i saves: a temporary file in
// jobs/ renamed over the job file. The builder is told only of the job file,
// so it can rebuild that one page.
func TestRenamedTemporaryFile(t *testing.T) {
	dir := exampleSite(t)
	ts := startServer(t, dir)
	file := filepath.Join(dir, "jobs", "JOB-20261121-001.yaml")
	src := strings.Replace(readFile(t, file), "status: ready_for_pickup", "status: in_progress", 1)
	tmp := filepath.Join(dir, "jobs", "sedX1b2c3")
	if err := os.WriteFile(tmp, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, file); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for {
		select {
		case r := <-ts.rebuilds:
			if r.err != nil {
				t.Fatalf("rebuild: %v", r.err)
			}
			paths = append(paths, r.batch.Paths...)
			continue
		case <-time.After(500 * time.Millisecond):
		}
		break
	}
	if want := []string{"jobs/JOB-20261121-001.yaml"}; !slices.Equal(paths, want) {
		t.Errorf("rebuilt for %v; want %v", paths, want)
	}
	assertCleanBuild(t, ts)

	// A file that is not a job file and stays is an error, and its removal
	// clears it.
	ts.edit(t, "jobs/notes.txt", "call back Tuesday")
	if errs := ts.snapshot().errs; len(errs) != 1 || errs[0].File != "jobs/notes.txt" {
		t.Fatalf("errors after adding jobs/notes.txt = %+v", errs)
	}
	if _, err := ts.edit(t, "jobs/notes.txt", ""); err != nil {
		t.Fatalf("rebuild after removing jobs/notes.txt: %v", err)
	}
	assertCleanBuild(t, ts)
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
