package generator_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quickdumpnow/qdn/generator"
	"github.com/quickdumpnow/qdn/internal/sitegen"
)

// stopGuard is how long a cancelled build may take to return: far more than
// it needs, so that the tests check that it stops, not how fast.
const stopGuard = 10 * time.Second

// TestBuildCancelled cancels builds of a generated site at different
// moments, and checks that each returns context.Canceled soon after.
func TestBuildCancelled(t *testing.T) {
	dir := t.TempDir()
	if err := sitegen.Write(exampleSite, dir, 3000); err != nil {
		t.Fatal(err)
	}
	opt := generator.Options{Now: testNow, CacheDir: t.TempDir()}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := generator.Build(ctx, dir, opt); !errors.Is(err, context.Canceled) {
		t.Fatalf("Build with a cancelled context = %v; want context.Canceled", err)
	}
	if _, err := os.Stat(filepath.Join(dir, generator.PublicDir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a build cancelled before it began made public/ (%v)", err)
	}
	if _, err := generator.Load(ctx, dir, opt); !errors.Is(err, context.Canceled) {
		t.Fatalf("Load with a cancelled context = %v; want context.Canceled", err)
	}

	stopped := 0
	for _, d := range []time.Duration{time.Millisecond, 20 * time.Millisecond, 100 * time.Millisecond, 300 * time.Millisecond} {
		ctx, cancel := context.WithCancel(t.Context())
		var at atomic.Pointer[time.Time]
		timer := time.AfterFunc(d, func() {
			now := time.Now()
			at.Store(&now)
			cancel()
		})
		_, err := generator.Build(ctx, dir, generator.Options{Now: testNow})
		end := time.Now()
		timer.Stop()
		cancel()
		switch {
		case err == nil:
			// Finished before the cancel came.
		case !errors.Is(err, context.Canceled):
			t.Fatalf("Build cancelled after %s = %v; want context.Canceled", d, err)
		default:
			stopped++
			if took := end.Sub(*at.Load()); took > stopGuard {
				t.Errorf("Build cancelled after %s returned %s later", d, took)
			}
		}
	}
	if stopped == 0 {
		t.Fatal("every build finished before it was cancelled; the site is too small to test")
	}
}

// TestBuildCancelledMidWrite stops a build while it writes public/, over
// the output of an earlier build, and checks that the next build leaves
// public/ exactly as a clean build of the same sources does.
func TestBuildCancelledMidWrite(t *testing.T) {
	const n = 2000
	dir := t.TempDir()
	if err := sitegen.Write(exampleSite, dir, n); err != nil {
		t.Fatal(err)
	}
	opt := generator.Options{Now: testNow, CacheDir: t.TempDir()}
	if _, err := generator.Build(t.Context(), dir, opt); err != nil {
		t.Fatal(err)
	}
	// Every job moves on, one in seven is deleted (its page is to be
	// removed) and 300 are new (their pages are written in place).
	for i := 0; i < n+300; i++ {
		file := filepath.Join(dir, "jobs", sitegen.ID(i)+".yaml")
		if i < n && i%7 == 0 {
			if err := os.Remove(file); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(file, sitegen.Job(i, 1), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var written, atCancel atomic.Int64
	var at atomic.Pointer[time.Time]
	reset := generator.SetAfterWrite(func(string) {
		if written.Add(1) == 500 {
			now := time.Now()
			at.Store(&now)
			cancel()
			// Counted once cancel returned: other writers may have
			// written more while this one waited to call it.
			atCancel.Store(written.Load())
		}
	})
	_, err := generator.Build(ctx, dir, opt)
	end := time.Now()
	reset()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Build cancelled mid-write = %v; want context.Canceled", err)
	}
	if at.Load() == nil {
		t.Fatal("the build wrote fewer than 500 files")
	}
	if took := end.Sub(*at.Load()); took > stopGuard {
		t.Errorf("Build cancelled mid-write returned %s later", took)
	}
	// Each of the other 7 writers finishes the file it is writing, and
	// starts no other.
	if w, c := written.Load(), atCancel.Load(); w > c+7 {
		t.Errorf("the cancelled build wrote %d files, %d after it was cancelled", w, w-c)
	}
	got, _ := snapshot(t, filepath.Join(dir, generator.PublicDir))
	want := cleanBuild(t, dir)
	if same(got, want) {
		t.Fatal("the cancelled build wrote everything; it was cancelled too late to test")
	}

	// What a killed build could leave besides: a new page cut short and a
	// temporary file.
	pub := filepath.Join(dir, generator.PublicDir)
	cut := filepath.Join(pub, filepath.FromSlash(generator.TrackPath(sitegen.Token(n+299))))
	if err := os.MkdirAll(filepath.Dir(cut), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cut, []byte("<!doctype html><html><he"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pub, "index.html.qdn-tmp"), []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}

	if _, err := generator.Build(t.Context(), dir, opt); err != nil {
		t.Fatalf("Build after the cancelled one: %v", err)
	}
	got, _ = snapshot(t, pub)
	if !same(got, want) {
		t.Error(describeDiff(got, want))
	}
}

// cleanBuild builds a copy of the sources of the site at dir, without a
// cache, and returns what it wrote.
func cleanBuild(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	clean := copySite(t, dir)
	if _, err := generator.Build(t.Context(), clean, generator.Options{Now: testNow}); err != nil {
		t.Fatal(err)
	}
	files, _ := snapshot(t, filepath.Join(clean, generator.PublicDir))
	return files
}

func same(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for p, x := range a {
		if y, ok := b[p]; !ok || !bytes.Equal(x, y) {
			return false
		}
	}
	return true
}

func describeDiff(got, want map[string][]byte) string {
	var extra, missing, differ []string
	for p, x := range got {
		if y, ok := want[p]; !ok {
			extra = append(extra, p)
		} else if !bytes.Equal(x, y) {
			differ = append(differ, p)
		}
	}
	for p := range want {
		if _, ok := got[p]; !ok {
			missing = append(missing, p)
		}
	}
	firstFew := func(l []string) []string {
		sort.Strings(l)
		return l[:min(len(l), 5)]
	}
	return fmt.Sprintf("public/ differs from a clean build's: %d extra %v, %d missing %v, %d different %v",
		len(extra), firstFew(extra), len(missing), firstFew(missing), len(differ), firstFew(differ))
}

// TestRebuildCancelled checks that a cancelled Rebuild returns
// context.Canceled and that the next one gives the output of a clean
// render.
func TestRebuildCancelled(t *testing.T) {
	dir := copySite(t, exampleSite)
	b := generator.NewBuilder(dir, generator.Options{Now: testNow})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := b.Rebuild(ctx, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("Rebuild with a cancelled context = %v; want context.Canceled", err)
	}
	if b.Output() != nil {
		t.Error("a cancelled first Rebuild left an output")
	}
	res, err := b.Rebuild(t.Context(), []string{"jobs/JOB-20261121-001.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	_, want := render(t, dir)
	if !same(outFiles(t, res.Output), outFiles(t, want)) {
		t.Error(describeDiff(outFiles(t, res.Output), outFiles(t, want)))
	}
}
