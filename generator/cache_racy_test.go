package generator_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quickdumpnow/qdn/generator"
	"github.com/quickdumpnow/qdn/internal/sitegen"
)

// TestCacheEditInSameTickAfterRead edits a job file twice within one
// timestamp tick, the tick in which a build began reading it, the second
// time right after that build read it, keeping its size: its stamp is then
// the one the build saw, and only the racy rule (a stamp within the window
// of the moment the build began reading is not recorded) makes the next
// build read it again. The build's clock is stopped at that moment, and
// Chtimes stands in for the tick.
func TestCacheEditInSameTickAfterRead(t *testing.T) {
	dir := copySite(t, exampleSite)
	cache := t.TempDir()
	A := filepath.Join(dir, "jobs/JOB-20261121-001.yaml")
	m := time.Now()
	os.Chtimes(A, m, m) // edited in the tick the build begins reading
	reset := generator.SetClock(func() time.Time { return m })
	_, err := generator.Build(t.Context(), dir, generator.Options{Now: testNow, CacheDir: cache})
	reset()
	if err != nil {
		t.Fatal(err)
	}
	// second same-size edit in the same tick as the first (token rotated)
	src, _ := os.ReadFile(A)
	os.WriteFile(A, bytes.Replace(src, []byte("amjmobezssjp5pia4iukcejbpm"), []byte("6soof7sk3kuvrp6zjckbgbfsfm"), 1), 0o644)
	os.Chtimes(A, m, m)
	if _, err := generator.Build(t.Context(), dir, generator.Options{Now: testNow, CacheDir: cache}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "public/track/6soof7sk3kuvrp6zjckbgbfsfm/index.html")); err != nil {
		t.Errorf("rotated token has no page; the old token's page is still served: %v", err)
	}
}

// TestCacheEditPageInTickWritingEnded edits a tracking page by hand in the
// tick in which the build that wrote it ended writing, keeping its size and
// modification time: the next build must still find it and write it again.
func TestCacheEditPageInTickWritingEnded(t *testing.T) {
	dir := copySite(t, exampleSite)
	opt := generator.Options{Now: testNow, CacheDir: t.TempDir()}
	page := filepath.Join(dir, "public/track/amjmobezssjp5pia4iukcejbpm/index.html")
	var end time.Time
	reset := generator.SetClock(func() time.Time {
		// Reading begins now; writing ends in the tick the page got.
		if info, err := os.Stat(page); err == nil {
			end = info.ModTime()
			return end
		}
		return time.Now()
	})
	_, err := generator.Build(t.Context(), dir, opt)
	reset()
	if err != nil {
		t.Fatal(err)
	}
	if end.IsZero() {
		t.Fatal("the build did not write the page")
	}
	b, _ := os.ReadFile(page)
	edited := bytes.Replace(b, []byte("<title>"), []byte("<title>X"), 1)
	edited = bytes.Replace(edited, []byte("</title>"), []byte("</titl>"), 1)
	if bytes.Equal(edited, b) || len(edited) != len(b) {
		t.Fatal("could not edit the page keeping its size")
	}
	os.WriteFile(page, edited, 0o644)
	os.Chtimes(page, end, end)
	res, err := generator.Build(t.Context(), dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(page); !bytes.Equal(got, b) {
		t.Errorf("a page edited in the tick writing ended was kept; changes %v", res.Changes.All())
	}
}

// TestCacheFirstRebuildAfterClean holds that the build right after a clean
// build trusts the stamps of the pages the clean build wrote (all but
// those of its last tick) and gives exactly the pages a clean build gives.
func TestCacheFirstRebuildAfterClean(t *testing.T) {
	dir := t.TempDir()
	if err := sitegen.Write(exampleSite, dir, 100); err != nil {
		t.Fatal(err)
	}
	opt := generator.Options{Now: testNow, CacheDir: t.TempDir()}
	window := generator.RacyWindow(time.Now())
	// Pages written before the pause are older than the end of writing
	// by more than the window, however fast the machine.
	var once sync.Once
	reset := generator.SetAfterWrite(func(p string) {
		if strings.HasPrefix(p, "track/") {
			once.Do(func() { time.Sleep(3 * window) })
		}
	})
	_, err := generator.Build(t.Context(), dir, opt)
	reset()
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * window)
	res, err := generator.Build(t.Context(), dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	if res.Changes.Len() != 0 {
		t.Errorf("the first rebuild after a clean build changed %v", res.Changes.All())
	}
	if n := generator.Unread(res.Output); n == 0 {
		t.Error("the first rebuild after a clean build read back every page it wrote")
	}
	all, err := res.Output.All()
	if err != nil {
		t.Fatal(err)
	}
	if want := cleanBuild(t, dir); !same(all, want) {
		t.Error(describeDiff(all, want))
	}
	got, _ := snapshot(t, filepath.Join(dir, generator.PublicDir))
	if want := cleanBuild(t, dir); !same(got, want) {
		t.Error(describeDiff(got, want))
	}
}

// TestRacyWindowCoversClock measures what the racy rule rests on, in the
// test's temporary directory: a file written after a moment T never has a
// modification time older than T by the window or more.
func TestRacyWindowCoversClock(t *testing.T) {
	dir := t.TempDir()
	for i := range 500 {
		f := filepath.Join(dir, "f")
		before := generator.FileClock()
		if err := os.WriteFile(f, []byte{byte(i)}, 0o644); err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		m := info.ModTime()
		if w := generator.RacyWindow(m); m.Before(before.Add(-w)) || m.Equal(before.Add(-w)) {
			t.Fatalf("a file written at %v has modification time %v, %v earlier; the racy window is %v",
				before, m, before.Sub(m), w)
		}
	}
}
