package generator_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/quickdumpnow/qdn/generator"
	"github.com/quickdumpnow/qdn/internal/sitegen"
)

// snapshot returns every file under dir with its bytes and mtime.
func snapshot(t *testing.T, dir string) (map[string][]byte, map[string]time.Time) {
	t.Helper()
	files := map[string][]byte{}
	mtimes := map[string]time.Time{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)], mtimes[filepath.ToSlash(rel)] = b, info.ModTime()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files, mtimes
}

func copySite(t *testing.T, from string) string {
	t.Helper()
	dir := t.TempDir()
	if err := sitegen.Write(from, dir, 0); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(filepath.Join(dir, "jobs"), os.DirFS(filepath.Join(from, "jobs"))); err != nil {
		t.Fatal(err)
	}
	return dir
}

func build(t *testing.T, dir string) *generator.Result {
	t.Helper()
	res, err := generator.Build(t.Context(), dir, generator.Options{Now: testNow})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return res
}

// TestDeterministic builds the same sources in two places and twice in one
// place: the bytes are identical, and a second build rewrites nothing.
func TestDeterministic(t *testing.T) {
	a, b := copySite(t, exampleSite), copySite(t, exampleSite)
	build(t, a)
	build(t, b)
	filesA, mtimesA := snapshot(t, filepath.Join(a, "public"))
	filesB, _ := snapshot(t, filepath.Join(b, "public"))
	if diff := cmp.Diff(filesA, filesB); diff != "" {
		t.Fatalf("two builds of the same sources differ:\n%s", diff)
	}
	time.Sleep(10 * time.Millisecond) // so that a rewrite would show in mtimes
	res := build(t, a)
	if n := res.Changes.Len(); n != 0 {
		t.Errorf("second build changed %v", res.Changes.All())
	}
	filesA2, mtimesA2 := snapshot(t, filepath.Join(a, "public"))
	if diff := cmp.Diff(filesA, filesA2); diff != "" {
		t.Errorf("second build changed bytes:\n%s", diff)
	}
	if diff := cmp.Diff(mtimesA, mtimesA2); diff != "" {
		t.Errorf("second build rewrote files (mtimes differ):\n%s", diff)
	}
}

// TestWriteChanges edits sources and checks the reported changes, the files
// removed and the files left alone.
func TestWriteChanges(t *testing.T) {
	dir := copySite(t, exampleSite)
	build(t, dir)
	pub := filepath.Join(dir, "public")
	_, before := snapshot(t, pub)

	// One job changes status, one is rotated away (its file removed), a stray
	// file appears in public/ and a killed build left a temporary file.
	mark := filepath.Join(dir, "jobs", "JOB-20261121-001.yaml")
	src, _ := os.ReadFile(mark)
	src = bytes.Replace(src, []byte("status: ready_for_pickup\n"), []byte("status: in_progress\n"), 1)
	if err := os.WriteFile(mark, src, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "jobs", "JOB-20261122-001.yaml")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(pub, "stray.html"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(pub, "book", ".qdn-tmp-123"), []byte("x"), 0o644)

	res := build(t, dir)
	want := &generator.Changes{
		Modified: []string{"track/amjmobezssjp5pia4iukcejbpm/index.html"},
		Removed:  []string{"stray.html", "track/g35dkbjc7bpdaqtnqwiivfozku/index.html"},
	}
	if diff := cmp.Diff(want, res.Changes); diff != "" {
		t.Errorf("Build changes (-want +got):\n%s", diff)
	}
	_, after := snapshot(t, pub)
	for p, m := range before {
		if p == want.Modified[0] || p == want.Removed[1] {
			continue
		}
		if !after[p].Equal(m) {
			t.Errorf("%s was rewritten although it did not change", p)
		}
	}
	for _, gone := range []string{"track/g35dkbjc7bpdaqtnqwiivfozku", "book/.qdn-tmp-123", "stray.html"} {
		if _, err := os.Stat(filepath.Join(pub, gone)); !os.IsNotExist(err) {
			t.Errorf("%s still exists after the build (err %v)", gone, err)
		}
	}
}

// TestWriteFileInTheWay: a file in public/ where the build needs a
// directory (public/track, public/about) is removed, not an error, with
// the cache or without.
func TestWriteFileInTheWay(t *testing.T) {
	for _, cache := range []bool{false, true} {
		dir := copySite(t, exampleSite)
		opt := generator.Options{Now: testNow}
		if cache {
			opt.CacheDir = t.TempDir()
		}
		pub := filepath.Join(dir, "public")
		if err := os.MkdirAll(pub, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"track", "about"} {
			if err := os.WriteFile(filepath.Join(pub, name), []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		res, err := generator.Build(t.Context(), dir, opt)
		if err != nil {
			t.Fatalf("cache %v: %v", cache, err)
		}
		if !slices.Equal(res.Changes.Removed, []string{"about", "track"}) {
			t.Errorf("cache %v: removed %v; want [about track]", cache, res.Changes.Removed)
		}
		got, _ := snapshot(t, pub)
		if want := cleanBuild(t, dir); !same(got, want) {
			t.Errorf("cache %v: %s", cache, describeDiff(got, want))
		}
	}
}

// TestNothingWrittenOnError checks that a build with a bad job leaves
// public/ exactly as it was.
func TestNothingWrittenOnError(t *testing.T) {
	dir := copySite(t, exampleSite)
	build(t, dir)
	pub := filepath.Join(dir, "public")
	files, mtimes := snapshot(t, pub)
	os.WriteFile(filepath.Join(dir, "jobs", "JOB-20261121-001.yaml"), []byte("id: JOB-20261121-001\nstatus: flying\n"), 0o644)
	if _, err := generator.Build(t.Context(), dir, generator.Options{Now: testNow}); len(generator.Errors(err)) == 0 {
		t.Fatalf("Build of a bad job: err = %v; want source errors", err)
	}
	files2, mtimes2 := snapshot(t, pub)
	if !cmp.Equal(files, files2) || !cmp.Equal(mtimes, mtimes2) {
		t.Errorf("a failed build changed public/")
	}
}
