package preview

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// newSite makes an empty site with the watched directories.
func newSite(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"jobs", "content/book", "templates"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(t, dir, "qdn.yaml", "site: {name: Test}\n")
	return dir
}

func write(t *testing.T, dir, rel, s string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func openWatcher(t *testing.T, dir string, opt WatcherOptions) *Watcher {
	t.Helper()
	opt.Logf = t.Logf
	w := NewWatcher(dir, opt)
	if err := w.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func next(t *testing.T, w *Watcher, within time.Duration) Batch {
	t.Helper()
	select {
	case b := <-w.Batches():
		return b
	case <-time.After(within):
		t.Fatalf("no batch within %s", within)
		return Batch{}
	}
}

func none(t *testing.T, w *Watcher, during time.Duration) {
	t.Helper()
	select {
	case b := <-w.Batches():
		t.Fatalf("unexpected batch %+v", b)
	case <-time.After(during):
	}
}

func TestWatcherBatchesABurst(t *testing.T) {
	dir := newSite(t)
	w := openWatcher(t, dir, WatcherOptions{Quiet: 300 * time.Millisecond, MaxWait: 5 * time.Second})
	if w.Polling() {
		t.Fatal("watcher polls on a file system with events")
	}
	var want []string
	for i := range 30 {
		rel := filepath.ToSlash(filepath.Join("jobs", "JOB-"+string(rune('A'+i%26))+string(rune('a'+i/26))+".yaml"))
		write(t, dir, rel, "id: x\n")
		want = append(want, rel)
	}
	slices.Sort(want)
	b := next(t, w, 2*time.Second)
	if diff := cmp.Diff(want, b.Paths); diff != "" || b.All {
		t.Errorf("batch (-want +got):\n%s (All %v)", diff, b.All)
	}
	none(t, w, 300*time.Millisecond)
}

func TestWatcherIgnores(t *testing.T) {
	dir := newSite(t)
	write(t, dir, "jobs/JOB-1.yaml", "id: JOB-1\n")
	w := openWatcher(t, dir, WatcherOptions{Quiet: 30 * time.Millisecond})

	if err := os.Chmod(filepath.Join(dir, "jobs/JOB-1.yaml"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{
		"jobs/.JOB-1.yaml.swp", "jobs/JOB-1.yaml~", "jobs/4913", "content/#about.md#",
		"content/.about.md.kate-swp", "templates/track.html.tmp", "content/.git/HEAD",
		"public/index.html", "notes.txt", "jobs/JOB-1.yaml___jb_tmp___",
	} {
		write(t, dir, rel, "x")
	}
	none(t, w, 300*time.Millisecond)

	write(t, dir, "jobs/JOB-1.yaml", "id: JOB-1\nstatus: booked\n")
	if b := next(t, w, time.Second); !slices.Equal(b.Paths, []string{"jobs/JOB-1.yaml"}) {
		t.Errorf("batch = %v; want [jobs/JOB-1.yaml]", b.Paths)
	}
}

// TestWatcherLeavesArchive: jobs/archive holds old jobs no build reads; it
// is neither watched nor scanned, and changes there make no batch, whether
// the watcher listens or polls.
func TestWatcherLeavesArchive(t *testing.T) {
	for _, poll := range []time.Duration{0, 20 * time.Millisecond} {
		dir := newSite(t)
		write(t, dir, "jobs/archive/2025/JOB-1.yaml", "id: JOB-1\n")
		w := openWatcher(t, dir, WatcherOptions{Quiet: 30 * time.Millisecond, Poll: poll})
		for d := range w.dirs {
			if strings.HasPrefix(d, "jobs/archive") {
				t.Errorf("poll %s: %s is watched", poll, d)
			}
		}
		scan, err := w.scan()
		if err != nil {
			t.Fatal(err)
		}
		for p := range scan {
			if strings.HasPrefix(p, "jobs/archive") {
				t.Errorf("poll %s: %s is scanned", poll, p)
			}
		}
		write(t, dir, "jobs/archive/2025/JOB-2.yaml", "id: JOB-2\n")
		write(t, dir, "jobs/archive/2026/JOB-3.yaml", "id: JOB-3\n")
		none(t, w, 300*time.Millisecond)
		write(t, dir, "jobs/JOB-4.yaml", "id: JOB-4\n")
		if b := next(t, w, time.Second); !slices.Equal(b.Paths, []string{"jobs/JOB-4.yaml"}) {
			t.Errorf("poll %s: batch = %v; want [jobs/JOB-4.yaml]", poll, b.Paths)
		}
	}
}

func TestWatcherNewDirectories(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "qdn.yaml", "site: {name: Test}\n")
	w := openWatcher(t, dir, WatcherOptions{Quiet: 50 * time.Millisecond})

	// jobs/ itself does not exist at start, and content/ gets a new tree.
	write(t, dir, "jobs/JOB-1.yaml", "id: JOB-1\n")
	write(t, dir, "content/guides/trailers/loading.md", "# Loading\n")
	got := map[string]bool{}
	deadline := time.After(2 * time.Second)
	for !got["jobs/JOB-1.yaml"] || !got["content/guides/trailers/loading.md"] {
		select {
		case b := <-w.Batches():
			for _, p := range b.Paths {
				got[p] = true
			}
		case <-deadline:
			t.Fatalf("saw %v; want jobs/JOB-1.yaml and content/guides/trailers/loading.md", got)
		}
	}
	// The new directories are watched from now on.
	for drained := false; !drained; {
		select {
		case <-w.Batches():
		case <-time.After(150 * time.Millisecond):
			drained = true
		}
	}
	write(t, dir, "content/guides/trailers/hitching.md", "# Hitching\n")
	if b := next(t, w, time.Second); !slices.Contains(b.Paths, "content/guides/trailers/hitching.md") {
		t.Errorf("batch = %v; want content/guides/trailers/hitching.md", b.Paths)
	}

	// A directory moved away takes files that cannot be listed any more.
	if err := os.Rename(filepath.Join(dir, "content/guides"), filepath.Join(dir, "guides-old")); err != nil {
		t.Fatal(err)
	}
	if b := next(t, w, time.Second); !b.All || b.Changed() != nil {
		t.Errorf("batch after moving a directory = %+v; want All", b)
	}
}

func TestWatcherPollsWithoutEvents(t *testing.T) {
	dir := newSite(t)
	w := openWatcher(t, dir, WatcherOptions{noEvents: true})
	if !w.Polling() {
		t.Fatal("watcher did not fall back to polling on a file system without events")
	}
	write(t, dir, "jobs/JOB-1.yaml", "id: JOB-1\n")
	if b := next(t, w, 3*DefaultPoll); !slices.Equal(b.Paths, []string{"jobs/JOB-1.yaml"}) {
		t.Errorf("batch = %v; want [jobs/JOB-1.yaml]", b.Paths)
	}
	if err := os.Remove(filepath.Join(dir, "jobs/JOB-1.yaml")); err != nil {
		t.Fatal(err)
	}
	if b := next(t, w, 3*DefaultPoll); !slices.Equal(b.Paths, []string{"jobs/JOB-1.yaml"}) {
		t.Errorf("batch after remove = %v; want [jobs/JOB-1.yaml]", b.Paths)
	}
}

func TestWatcherHonoursPollInterval(t *testing.T) {
	dir := newSite(t)
	const every = 200 * time.Millisecond
	w := openWatcher(t, dir, WatcherOptions{Poll: every})
	if !w.Polling() {
		t.Fatal("--poll did not make the watcher poll")
	}
	start := w.scans.Load()
	time.Sleep(time.Second + every/2)
	// One pass per interval: 5 in 1.1s, give or take a tick of scheduling.
	if n := w.scans.Load() - start; n < 3 || n > 6 {
		t.Errorf("%d polling passes in %s at an interval of %s; want 5", n, time.Second+every/2, every)
	}
	// A change shows up within one interval and a bit.
	write(t, dir, "templates/track.html", "x")
	if b := next(t, w, 2*every); !slices.Equal(b.Paths, []string{"templates/track.html"}) {
		t.Errorf("batch = %v; want [templates/track.html]", b.Paths)
	}
}
