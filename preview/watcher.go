package preview

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/quickdumpnow/qdn/generator"
)

// Batch is a set of source changes reported together.
type Batch struct {
	// Paths are the changed files, slash-separated and relative to the site
	// root (jobs/JOB-1.yaml), sorted. A path may name a file that is gone.
	Paths []string
	// All means something changed that cannot be listed file by file, such
	// as a directory moved away: everything must be read again.
	All bool
	// At is when the first change of the batch was seen.
	At time.Time
}

// Changed returns the paths in the form generator.Builder.Rebuild takes:
// nil when everything may have changed.
func (b Batch) Changed() []string {
	if b.All {
		return nil
	}
	return b.Paths
}

// WatcherOptions adjust a Watcher.
type WatcherOptions struct {
	// Poll makes the watcher poll at this interval instead of listening to
	// file system events. Zero listens, and polls only when the file system
	// gives no events.
	Poll time.Duration
	// Quiet is how long the watcher waits after an event for more before it
	// reports a batch; 0 means 10ms. A burst never waits longer than
	// MaxWait (0 means 250ms).
	Quiet   time.Duration
	MaxWait time.Duration
	// Logf reports what the watcher decided (falling back to polling) and
	// errors it recovered from; nil discards.
	Logf func(format string, args ...any)

	// noEvents makes the watcher behave as on a file system that never
	// delivers events (network shares, some container mounts), for tests.
	noEvents bool
}

// DefaultPoll is the polling interval when the watcher falls back to polling
// by itself.
const DefaultPoll = 500 * time.Millisecond

// Watcher reports changes to a site's sources, as generator.SourceFile
// defines them: qdn.yaml and the files the build reads under content/, jobs/
// and templates/, including in directories created after Open. It ignores
// permission-only changes and the temporary, swap and backup files of
// editors, and batches a burst of events into one Batch. Where the file
// system gives no events it polls instead, at the interval it was given.
type Watcher struct {
	dir string
	opt WatcherOptions

	batches chan Batch
	done    chan struct{}
	wg      sync.WaitGroup

	fsw     *fsnotify.Watcher
	events  <-chan fsnotify.Event
	polling bool
	// dirs are the watched directories, relative to dir.
	dirs map[string]bool
	// initial holds what was seen before the loop started.
	initial map[string]bool
	// scans counts polling passes, for tests.
	scans atomic.Int64
}

// NewWatcher returns a watcher for the site at dir. Nothing happens before
// Open.
func NewWatcher(dir string, opt WatcherOptions) *Watcher {
	if opt.Quiet <= 0 {
		opt.Quiet = 10 * time.Millisecond
	}
	if opt.MaxWait <= 0 {
		opt.MaxWait = 250 * time.Millisecond
	}
	if opt.Logf == nil {
		opt.Logf = func(string, ...any) {}
	}
	return &Watcher{dir: dir, opt: opt, batches: make(chan Batch), done: make(chan struct{}), dirs: map[string]bool{}, initial: map[string]bool{}}
}

// Batches delivers the batches of changes. A batch is held until it is
// received, and changes seen meanwhile join it.
func (w *Watcher) Batches() <-chan Batch { return w.batches }

// Polling reports whether the watcher polls instead of listening to events.
func (w *Watcher) Polling() bool { return w.polling }

// Open starts watching.
func (w *Watcher) Open() error {
	if w.opt.Poll > 0 {
		return w.startPolling(w.opt.Poll)
	}
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		w.opt.Logf("file system events unavailable (%v); polling every %s", err, DefaultPoll)
		return w.startPolling(DefaultPoll)
	}
	w.fsw = fsw
	w.events = fsw.Events
	if w.opt.noEvents {
		w.events = make(chan fsnotify.Event)
	}
	if err := w.addRoot(); err != nil {
		fsw.Close()
		w.opt.Logf("cannot watch %s (%v); polling every %s", w.dir, err, DefaultPoll)
		return w.startPolling(DefaultPoll)
	}
	if !w.probe() {
		fsw.Close()
		w.opt.Logf("the file system gives no change events; polling every %s (set the interval with --poll)", DefaultPoll)
		return w.startPolling(DefaultPoll)
	}
	w.wg.Add(1)
	go w.listen()
	return nil
}

// Close stops watching and waits for the watcher's goroutine.
func (w *Watcher) Close() error {
	close(w.done)
	w.wg.Wait()
	if w.fsw != nil {
		return w.fsw.Close()
	}
	return nil
}

func (w *Watcher) addRoot() error {
	if err := w.fsw.Add(w.dir); err != nil {
		return err
	}
	for _, t := range generator.SourceDirs() {
		if err := w.addTree(t, false); err != nil {
			return err
		}
	}
	return nil
}

// addTree watches the directory rel and every directory under it. With
// report, the files found are recorded as changed: they may have been
// written before the watch was in place.
func (w *Watcher) addTree(rel string, report bool) error {
	root := filepath.Join(w.dir, filepath.FromSlash(rel))
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		r := w.rel(p)
		if p != root && skipped(r, d) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if err := w.fsw.Add(p); err != nil {
				return fmt.Errorf("watch %s: %w", r, err)
			}
			w.dirs[r] = true
		}
		if report && reported(r, d.IsDir()) {
			w.initial[r] = true
		}
		return nil
	})
	return err
}

func (w *Watcher) rel(p string) string {
	r, err := filepath.Rel(w.dir, p)
	if err != nil {
		return filepath.ToSlash(p)
	}
	return filepath.ToSlash(r)
}

// probe writes a hidden file at the site root and waits for its event: on
// some mounts inotify accepts watches and never reports anything. Events of
// real sources seen meanwhile are kept.
func (w *Watcher) probe() bool {
	f, err := os.CreateTemp(w.dir, ".qdn-watch-probe-*")
	if err != nil {
		// A read-only site cannot be probed; trust the events.
		return true
	}
	name := f.Name()
	f.Close()
	defer os.Remove(name)
	timeout := time.NewTimer(time.Second)
	defer timeout.Stop()
	for {
		select {
		case ev := <-w.events:
			if filepath.Clean(ev.Name) == filepath.Clean(name) {
				return true
			}
			w.note(ev, w.initial)
		case <-timeout.C:
			return false
		}
	}
}

// reported reports whether a change to rel is a change of the sources: a
// source file, or a directory in jobs/, which the build refuses.
func reported(rel string, dir bool) bool {
	return generator.SourceFile(rel) && (!dir || path.Dir(rel) == generator.JobsDir)
}

// skipped reports whether the walk of a source directory leaves out the
// entry d at rel and, for a directory, everything under it: an ignored name,
// and the archive of old jobs, which no build reads (a year of it can hold
// thousands of files that would each cost a watch or a stat per poll).
func skipped(rel string, d fs.DirEntry) bool {
	return generator.IgnoredName(d.Name()) || rel == generator.ArchiveDir
}

// inTree reports whether rel is one of the source directories or under
// one, no part of it is ignored and it is not in the archive: a directory
// there is watched.
func inTree(rel string) bool {
	if rel == generator.ArchiveDir || strings.HasPrefix(rel, generator.ArchiveDir+"/") {
		return false
	}
	for _, t := range generator.SourceDirs() {
		if rel == t || strings.HasPrefix(rel, t+"/") {
			for _, part := range strings.Split(rel, "/") {
				if generator.IgnoredName(part) {
					return false
				}
			}
			return true
		}
	}
	return false
}

// note records one event in pending, and returns false when it was not about
// a source. A directory that is removed or renamed makes pending["*"] true:
// its files cannot be listed any more.
func (w *Watcher) note(ev fsnotify.Event, pending map[string]bool) bool {
	if ev.Op == fsnotify.Chmod {
		return false
	}
	r := w.rel(ev.Name)
	if (ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename)) && w.dirs[r] {
		for d := range w.dirs {
			if d == r || strings.HasPrefix(d, r+"/") {
				delete(w.dirs, d)
			}
		}
		pending["*"] = true
		return true
	}
	if ev.Has(fsnotify.Create) && inTree(r) {
		if st, err := os.Stat(ev.Name); err == nil && st.IsDir() {
			if err := w.addTree(r, true); err != nil {
				w.opt.Logf("%v", err)
			}
			for p := range w.initial {
				pending[p] = true
			}
			clear(w.initial)
			return len(pending) > 0
		}
	}
	if !generator.SourceFile(r) {
		return false
	}
	pending[r] = true
	return true
}

func (w *Watcher) listen() {
	defer w.wg.Done()
	pending := map[string]bool{}
	for p := range w.initial {
		pending[p] = true
	}
	clear(w.initial)
	var (
		first  time.Time
		quiet  = time.NewTimer(time.Hour)
		ready  bool
		out    chan Batch
		batch  Batch
		stale  = true
		errors = w.fsw.Errors
	)
	quiet.Stop()
	if len(pending) > 0 {
		first, ready = time.Now(), true
	}
	for {
		if ready && len(pending) > 0 {
			if stale {
				batch, stale = makeBatch(pending, first), false
			}
			out = w.batches
		} else {
			out = nil
		}
		select {
		case <-w.done:
			quiet.Stop()
			return
		case ev := <-w.events:
			if !w.note(ev, pending) {
				continue
			}
			stale = true
			if first.IsZero() {
				first = time.Now()
			}
			if !ready {
				wait := w.opt.Quiet
				if left := w.opt.MaxWait - time.Since(first); left < wait {
					wait = max(left, 0)
				}
				quiet.Reset(wait)
			}
		case err := <-errors:
			w.opt.Logf("watch: %v", err)
			if errorsIsOverflow(err) {
				// Events were lost: read everything again.
				pending["*"], stale = true, true
				if first.IsZero() {
					first = time.Now()
				}
				ready = true
			}
		case <-quiet.C:
			ready = true
		case out <- batch:
			clear(pending)
			first, ready, stale = time.Time{}, false, true
		}
	}
}

func errorsIsOverflow(err error) bool { return errors.Is(err, fsnotify.ErrEventOverflow) }

func makeBatch(pending map[string]bool, first time.Time) Batch {
	b := Batch{At: first}
	for p := range pending {
		if p == "*" {
			b.All = true
			continue
		}
		b.Paths = append(b.Paths, p)
	}
	sort.Strings(b.Paths)
	return b
}

// fileState is what polling compares between two passes.
type fileState struct {
	size    int64
	modTime time.Time
	mode    fs.FileMode
}

func (w *Watcher) startPolling(every time.Duration) error {
	w.polling = true
	w.fsw = nil
	prev, err := w.scan()
	if err != nil {
		return err
	}
	w.wg.Add(1)
	go w.poll(every, prev)
	return nil
}

// poll compares the sources with the previous pass once per interval; the
// differences of one pass are one batch.
func (w *Watcher) poll(every time.Duration, prev map[string]fileState) {
	defer w.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-w.done:
			return
		case <-t.C:
		}
		next, err := w.scan()
		if err != nil {
			w.opt.Logf("poll: %v", err)
			continue
		}
		b := Batch{At: time.Now()}
		for p, s := range next {
			if old, ok := prev[p]; !ok || old != s {
				b.Paths = append(b.Paths, p)
			}
		}
		for p := range prev {
			if _, ok := next[p]; !ok {
				b.Paths = append(b.Paths, p)
			}
		}
		prev = next
		if len(b.Paths) == 0 {
			continue
		}
		sort.Strings(b.Paths)
		select {
		case w.batches <- b:
		case <-w.done:
			return
		}
	}
}

// scan records the state of every source file.
func (w *Watcher) scan() (map[string]fileState, error) {
	w.scans.Add(1)
	out := map[string]fileState{}
	if st, err := os.Stat(filepath.Join(w.dir, generator.ConfigFile)); err == nil {
		out[generator.ConfigFile] = fileState{st.Size(), st.ModTime(), st.Mode()}
	}
	for _, t := range generator.SourceDirs() {
		root := filepath.Join(w.dir, t)
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			r := w.rel(p)
			if p != root && skipped(r, d) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !reported(r, d.IsDir()) {
				return nil
			}
			if d.IsDir() {
				// Whether it is there is all that counts.
				out[r] = fileState{mode: fs.ModeDir}
				return nil
			}
			st, err := d.Info()
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			out[r] = fileState{st.Size(), st.ModTime(), st.Mode()}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("scan %s: %w", t, err)
		}
	}
	return out, nil
}
