package generator_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/quickdumpnow/qdn/generator"
	"github.com/quickdumpnow/qdn/internal/sitegen"
)

// TestCachedBuildIsExact runs a series of edits through cached builds and
// checks after each that public/ holds exactly what a build without cache
// makes, and that the reported changes are right.
func TestCachedBuildIsExact(t *testing.T) {
	dir := copySite(t, exampleSite)
	cache := t.TempDir()
	clean := func() map[string][]byte {
		ref := copySite(t, dir)
		os.RemoveAll(filepath.Join(ref, "public"))
		build(t, ref)
		files, _ := snapshot(t, filepath.Join(ref, "public"))
		return files
	}
	cached := func(step string) *generator.Result {
		res, err := generator.Build(t.Context(), dir, generator.Options{Now: testNow, CacheDir: cache})
		if err != nil {
			t.Fatalf("%s: Build: %v", step, err)
		}
		got, _ := snapshot(t, filepath.Join(dir, "public"))
		if diff := cmp.Diff(clean(), got); diff != "" {
			t.Fatalf("%s: cached build differs from a clean build (-clean +cached):\n%s", step, diff)
		}
		for _, p := range res.Output.Paths() {
			if b, err := res.Output.Bytes(p); err != nil || !bytes.Equal(b, got[p]) {
				t.Fatalf("%s: Output.Bytes(%s) = %d bytes, %v; public/ holds %d bytes", step, p, len(b), err, len(got[p]))
			}
		}
		if diff := cmp.Diff(got, outFiles(t, res.Output)); diff != "" {
			t.Fatalf("%s: Output differs from public/:\n%s", step, diff)
		}
		return res
	}
	edit := func(rel, old, new string) {
		p := filepath.Join(dir, rel)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte(old)) {
			t.Fatalf("%s has no %q", rel, old)
		}
		if err := os.WriteFile(p, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Make every file older than the racy window, as between two builds a
	// person runs, so that the cache trusts stamps.
	age := func() {
		old := time.Now().Add(-time.Minute)
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil {
				os.Chtimes(p, old, old)
			}
			return nil
		})
	}

	cached("first build")
	age()
	if res := cached("no change"); res.Changes.Len() != 0 {
		t.Errorf("no change: changes %v", res.Changes.All())
	}
	// A job edited so quickly that its stamp may not tell.
	edit("jobs/JOB-20261121-001.yaml", "status: ready_for_pickup", "status: in_progress")
	if res := cached("status change"); !cmp.Equal(res.Changes.Modified, []string{"track/amjmobezssjp5pia4iukcejbpm/index.html"}) {
		t.Errorf("status change: changes %v", res.Changes.All())
	}
	age()
	// A page damaged by hand, one deleted, a stray file in a page directory.
	os.WriteFile(filepath.Join(dir, "public/track/g35dkbjc7bpdaqtnqwiivfozku/index.html"), []byte("tampered"), 0o644)
	os.Remove(filepath.Join(dir, "public/track/gnpwtovg6kxp6tjqvyyyw65dly/index.html"))
	os.WriteFile(filepath.Join(dir, "public/track/4rfjvuwrl7eyrv2gvjfkkbneqe/notes.txt"), []byte("stray"), 0o644)
	res := cached("hand edits in public/")
	want := []string{"track/4rfjvuwrl7eyrv2gvjfkkbneqe/notes.txt", "track/g35dkbjc7bpdaqtnqwiivfozku/index.html", "track/gnpwtovg6kxp6tjqvyyyw65dly/index.html"}
	if !cmp.Equal(res.Changes.All(), want) {
		t.Errorf("hand edits: changes %v; want %v", res.Changes.All(), want)
	}
	age()
	// A template change re-renders every page; a service change too.
	edit("templates/track.html", "Anyone with this link", "Anyone who has this link")
	cached("template change")
	age()
	edit("content/book/trailer-dump.md", "title: Trailer dump", "title: Trailer dump-off")
	cached("service change")
	age()
	// A job rotated to a new token, and one removed.
	edit("jobs/JOB-20261120-002.yaml", "gnpwtovg6kxp6tjqvyyyw65dly", "snjujfjutqhhrmo7udxxpb3oee")
	os.Remove(filepath.Join(dir, "jobs/JOB-20261119-003.yaml"))
	cached("rotate and remove")
	age()
	// A later clock expires the completed job.
	if _, err := generator.Build(t.Context(), dir, generator.Options{Now: func() time.Time { return testNow().Add(40 * 24 * time.Hour) }, CacheDir: cache}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "public/track/4rfjvuwrl7eyrv2gvjfkkbneqe")); !os.IsNotExist(err) {
		t.Errorf("expired job's page survived a cached build (err %v)", err)
	}
	// A bad job gets its exact position even when the others are cached.
	edit("jobs/JOB-20261121-001.yaml", "status: in_progress", "status: flying")
	_, err := generator.Build(t.Context(), dir, generator.Options{Now: testNow, CacheDir: cache})
	if l := generator.Errors(err); len(l) != 1 || l[0].Pos.String() != "jobs/JOB-20261121-001.yaml:11:9" {
		t.Errorf("bad job with cache: err = %v; want one error at jobs/JOB-20261121-001.yaml:11:9", err)
	}
}

// TestNoopBuildKeepsCache: a build that finds everything as the cache
// already trusts it does not rewrite the cache; one that changes something
// does, and the build after it sees the change.
func TestNoopBuildKeepsCache(t *testing.T) {
	dir := copySite(t, exampleSite)
	cache := t.TempDir()
	opt := generator.Options{Now: testNow, CacheDir: cache}
	old := time.Now().Add(-time.Minute)
	age := func() {
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil {
				os.Chtimes(p, old, old)
			}
			return nil
		})
		// Setting a time sets the change time to now, which a
		// directory's stamp holds: let it age past the racy window.
		time.Sleep(100 * time.Millisecond)
	}
	cacheFile := func() []byte {
		files, _ := filepath.Glob(filepath.Join(cache, "build", "*.gob"))
		if len(files) != 1 {
			t.Fatalf("cache files %v; want one", files)
		}
		b, err := os.ReadFile(files[0])
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	build := func() *generator.Result {
		res, err := generator.Build(t.Context(), dir, opt)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	build()
	age()
	build() // reads back the pages the first build wrote, and trusts them from now on
	before := cacheFile()
	// The pages it neither read nor wrote are kept apart from the
	// output's map (see keptPages): all of them.
	tracking := func(o *generator.Output) int {
		n := 0
		for _, p := range o.Paths() {
			if strings.HasPrefix(p, "track/") {
				n++
			}
		}
		return n
	}
	res := build()
	if res.Changes.Len() != 0 {
		t.Fatalf("no-op build changed %v", res.Changes.All())
	}
	if n := tracking(res.Output); n == 0 || generator.Kept(res.Output) != n {
		t.Errorf("no-op build kept %d pages apart; want all %d", generator.Kept(res.Output), n)
	}
	if !bytes.Equal(cacheFile(), before) {
		t.Error("a build that changed nothing rewrote the cache")
	}
	job := filepath.Join(dir, "jobs", "JOB-20261121-001.yaml")
	b, _ := os.ReadFile(job)
	os.WriteFile(job, bytes.Replace(b, []byte("status: ready_for_pickup"), []byte("status: in_progress"), 1), 0o644)
	os.Chtimes(job, old.Add(time.Second), old.Add(time.Second))
	if res := build(); res.Changes.Len() != 1 {
		t.Fatalf("after an edit, changes %v; want one page", res.Changes.All())
	}
	if bytes.Equal(cacheFile(), before) {
		t.Error("a build that changed a page left the cache as it was")
	}
	if res := build(); res.Changes.Len() != 0 {
		t.Errorf("the build after the edit changed %v", res.Changes.All())
	}
}

// TestCachedOutputBytes checks that the output of a cached build that read
// no page back still gives every page's real bytes, through Bytes and All.
func TestCachedOutputBytes(t *testing.T) {
	dir := t.TempDir()
	if err := sitegen.Write(exampleSite, dir, 50); err != nil {
		t.Fatal(err)
	}
	opt := generator.Options{Now: testNow, CacheDir: t.TempDir()}
	age := func() {
		old := time.Now().Add(-time.Minute)
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil {
				os.Chtimes(p, old, old)
			}
			return nil
		})
	}
	// The first build writes every page; the second reads them back and
	// records their stamps; the third trusts the stamps and reads none.
	var res *generator.Result
	for i := range 3 {
		var err error
		if res, err = generator.Build(t.Context(), dir, opt); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			age()
		}
	}
	// Its jobs are known only as far as the cache tells: no Site.
	if res.Site != nil || res.Config == nil {
		t.Errorf("a cached Build's result has Site %v, Config %v; want no Site and the Config", res.Site != nil, res.Config != nil)
	}
	if generator.Unread(res.Output) == 0 {
		t.Fatal("the cached build read every page; nothing to test")
	}
	want := cleanBuild(t, dir)
	for _, p := range res.Output.Paths() {
		b, err := res.Output.Bytes(p)
		if err != nil {
			t.Fatalf("Bytes(%s): %v", p, err)
		}
		if !bytes.Equal(b, want[p]) {
			t.Errorf("Bytes(%s) = %d bytes; a clean build makes %d", p, len(b), len(want[p]))
		}
	}
	all, err := res.Output.All()
	if err != nil {
		t.Fatal(err)
	}
	if !same(all, want) {
		t.Error(describeDiff(all, want))
	}
	if _, err := res.Output.Bytes("no/such/page.html"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Bytes of a path not in the output = %v; want fs.ErrNotExist", err)
	}
}
