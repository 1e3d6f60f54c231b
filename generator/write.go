package generator

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/quickdumpnow/qdn/internal/atomicfile"
)

// PublicDir is the build output directory under the site root.
const PublicDir = "public"

// Changes are the output paths a build added, modified and removed, each
// sorted. qdn serve reloads and qdn sync uploads from this set.
type Changes struct {
	Added    []string
	Modified []string
	Removed  []string
}

// Len is the number of changed paths.
func (c *Changes) Len() int { return len(c.Added) + len(c.Modified) + len(c.Removed) }

// All returns every changed path, sorted.
func (c *Changes) All() []string {
	out := append(append(append([]string{}, c.Added...), c.Modified...), c.Removed...)
	sort.Strings(out)
	return out
}

// What writing did to one path.
const (
	same = iota
	added
	modified
)

// afterWrite, when set, is called after each file a write wrote, for the
// tests that stop a build mid-write.
var afterWrite func(path string)

// tmpPrefix begins the name of a file being written; one left behind by a
// killed build is removed by the next.
const tmpPrefix = atomicfile.TempPrefix

// Write makes dir hold exactly the files of out. A file whose bytes are
// already right is left alone, so its modification time stays; every other
// file is replaced atomically (a temporary file, then a rename); files that
// no longer belong are removed, and so are directories they leave empty.
//
// Write stops soon after ctx is cancelled and returns ctx's error; every
// file is then as it was or as out has it, nothing is removed, and a second
// Write finishes the job.
func Write(ctx context.Context, dir string, out *Output) (*Changes, error) {
	c, _, err := write(ctx, dir, out, nil, nil)
	return c, err
}

// write is Write for a build that already knows some of dir: the paths in
// current hold the bytes of out (the build read or trusted them), and the
// directories in trusted hold nothing but their one page, so neither needs
// to be read again. It also returns the directories that hold a
// subdirectory (those it walked).
func write(ctx context.Context, dir string, out *Output, current map[string][]byte, trusted map[string]bool) (*Changes, map[string]bool, error) {
	dir = filepath.Clean(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	existing, nested, err := listOutput(ctx, dir, trusted)
	if err != nil {
		return nil, nil, err
	}
	c, err := writeListed(ctx, dir, out, existing, current, nil)
	return c, nested, err
}

// listOutput returns the files under dir, the public/ directory of a
// build, by slash-separated path, and removes what is none of qdn's output:
// the temporary files a killed build left behind, links, pipes and
// devices. The directories in trusted are known to hold only their
// index.html, and are not read; track, when in trusted, is known to hold
// only the trusted directories in it. It also returns the directories that hold a
// subdirectory (those it walked).
func listOutput(ctx context.Context, dir string, trusted map[string]bool) (map[string]bool, map[string]bool, error) {
	existing := make(map[string]bool, len(trusted))
	nested := map[string]bool{}
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return existing, nested, nil
	}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		// WalkDir gives every path below dir as dir joined with the rest.
		rel := filepath.ToSlash(strings.TrimPrefix(p[len(dir):], string(filepath.Separator)))
		if d.IsDir() {
			nested[path.Dir(rel)] = true
			if rel == "track" && trusted[rel] {
				// It holds the trusted page directories and nothing
				// else (see reuse).
				for t := range trusted {
					if path.Dir(t) == rel {
						nested[rel] = true
						existing[t+"/index.html"] = true
					}
				}
				return filepath.SkipDir
			}
			if trusted[rel] {
				existing[rel+"/index.html"] = true
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(d.Name(), tmpPrefix) || strings.HasPrefix(d.Name(), tmpPrefix) {
			// Left over by a build that was killed mid-write.
			return os.Remove(p)
		}
		if !d.Type().IsRegular() {
			// A link, a named pipe, a socket or a device is none of
			// qdn's output: reading it could wait for ever or read
			// outside the site, and writing could go through it.
			return os.Remove(p)
		}
		// A copy: rel is the end of p, the file's whole path, which as a
		// key would be held whole, about 30 bytes a page more.
		existing[strings.Clone(rel)] = true
		return nil
	})
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", dir, err)
	}
	return existing, nested, nil
}

// writeListed is write once dir has been listed (see listOutput). The
// pages st staged are put in place by renaming; those it found unchanged, like
// those in current, already hold their bytes.
func writeListed(ctx context.Context, dir string, out *Output, existing map[string]bool, current map[string][]byte, st *stager) (*Changes, error) {
	// The pages kept are in public/ as they are, in directories listOutput
	// did not read: nothing to write.
	paths := out.filePaths()
	cleared, err := clearWay(dir, existing, out, paths)
	if err != nil {
		return nil, err
	}
	// A byte a path, and the errors apart: at a million pages, an int and
	// an error a path would cost 24 MB at the build's peak.
	results := make([]uint8, len(paths))
	var (
		mu     sync.Mutex
		failed []pathError
	)
	fail := func(i int, err error) {
		if err == nil {
			return
		}
		mu.Lock()
		failed = append(failed, pathError{i, err})
		mu.Unlock()
	}
	var made sync.Map
	od := openOutDir(dir)
	defer od.close()
	// Eight at a time: writing is mostly waiting on the file system.
	cancelled := parallelCtx(ctx, len(paths), 8, func(i int) {
		p := paths[i]
		if _, ok := current[p]; ok && existing[p] {
			return
		}
		target := filepath.Join(dir, filepath.FromSlash(p))
		if st != nil {
			if st.unchanged(p) {
				return
			}
			if r, ok := st.staged(p); ok {
				results[i] = uint8(r)
				fail(i, os.Rename(target+tmpPrefix, target))
				if afterWrite != nil {
					afterWrite(p)
				}
				return
			}
		}
		page := out.files[p]
		if page == nil {
			if !out.later.has(p) {
				// A page the build trusted without reading is gone
				// from public/: its bytes are not at hand to write
				// again.
				fail(i, fmt.Errorf("%s was removed from %s during the build; run the build again", p, dir))
				return
			}
			b := buffers.Get().(*bytes.Buffer)
			defer buffers.Put(b)
			var err error
			if page, err = out.later.again(p, b); err != nil {
				fail(i, err)
				return
			}
		}
		if existing[p] {
			old, err := readFile(target)
			if err == nil && bytes.Equal(old, page) {
				return
			}
			results[i] = modified
		} else {
			results[i] = added
		}
		parent := path.Dir(p)
		if _, ok := made.Load(parent); !ok {
			if err := od.mkdir(parent); err != nil {
				fail(i, err)
				return
			}
			made.Store(parent, true)
		}
		if results[i] == added {
			// Nothing to replace: write in place. A file cut short by
			// a killed build differs from its page, so the next
			// build replaces it.
			fail(i, od.writeNew(p, page))
		} else {
			fail(i, writeFileAtomic(target, page))
		}
		if afterWrite != nil {
			afterWrite(p)
		}
	})
	if len(failed) > 0 {
		// In the order of the paths, as each was found.
		slices.SortFunc(failed, func(a, b pathError) int { return a.i - b.i })
		errs := make([]error, len(failed))
		for k, f := range failed {
			errs[k] = f.err
		}
		return nil, errors.Join(errs...)
	}
	if cancelled != nil {
		return nil, cancelled
	}
	// Sized first: grown by appending, the lists of a million pages
	// would pass through twice their size.
	var nAdded, nModified int
	for _, r := range results {
		switch r {
		case added:
			nAdded++
		case modified:
			nModified++
		}
	}
	c := &Changes{}
	if nAdded > 0 {
		c.Added = make([]string, 0, nAdded)
	}
	if nModified > 0 {
		c.Modified = make([]string, 0, nModified)
	}
	for i, p := range paths {
		switch results[i] {
		case added:
			c.Added = append(c.Added, p)
		case modified:
			c.Modified = append(c.Modified, p)
		}
	}
	for p := range existing {
		if out.Has(p) {
			continue
		}
		if cleared[p] {
			c.Removed = append(c.Removed, p)
			continue
		}
		if err := os.Remove(filepath.Join(dir, filepath.FromSlash(p))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		c.Removed = append(c.Removed, p)
	}
	sort.Strings(c.Removed)
	// Remove the directories that removals left empty, deepest first.
	emptied := map[string]bool{}
	for _, p := range c.Removed {
		for d := filepath.Dir(filepath.FromSlash(p)); d != "."; d = filepath.Dir(d) {
			emptied[d] = true
		}
	}
	var dirs []string
	for d := range emptied {
		dirs = append(dirs, d)
	}
	sort.Slice(dirs, func(i, j int) bool { return len(dirs[i]) > len(dirs[j]) })
	for _, d := range dirs {
		// Fails harmlessly when the directory still has files.
		_ = os.Remove(filepath.Join(dir, d))
	}
	return c, nil
}

// pathError is the error of writing the i-th path.
type pathError struct {
	i   int
	err error
}

// clearWay removes the files of dir that are none of out's and stand where
// out needs a directory (a file named track where track/<token>/ goes):
// they would be removed at the end anyway, and nothing could be written
// under them before. It returns them, to be counted as removed. paths are
// those of out.files, sorted.
func clearWay(dir string, existing map[string]bool, out *Output, paths []string) (map[string]bool, error) {
	var cleared map[string]bool
	for p := range existing {
		if out.Has(p) {
			continue
		}
		i := sort.SearchStrings(paths, p+"/")
		if (i == len(paths) || !strings.HasPrefix(paths[i], p+"/")) && !out.kept.under(p) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, filepath.FromSlash(p))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		if cleared == nil {
			cleared = map[string]bool{}
		}
		cleared[p] = true
	}
	return cleared, nil
}

// stager writes the tracking pages of a build that renders them in batches
// (see Build): each page public/ does not already hold as it is goes
// beside its place, as path+tmpPrefix, and is renamed into place only
// once every page has been rendered and checked (see writeListed). A build
// that fails before then removes what it staged (see discard), so public/
// is left as it was; a build killed before then leaves temporary files,
// which the next one removes.
type stager struct {
	dir      string
	existing map[string]bool
	// pages gets the SHA-256 and size of every page staged or found in
	// public/ as it is, by its job's token, for the cache and the Output
	// (see settle); sorted by token by then. Putting a page staged in
	// place adds it, or modifies it when it is in existing. By the token
	// the job holds anyway, not by the page's path, and in one slice made
	// as long as the pages to render, not in maps: at a million pages,
	// each path held while the pages render costs 48 MB, and a map by
	// token about 80 MB where the slice takes 56. The output takes it
	// over (see Output.staged).
	pages []stagedPage
	// n is how many pages the build renders, the length pages is made
	// with as the first batch is staged: not before, when the privacy
	// check's index, which the first batch waits for, is being made, and
	// the build holds the most it will hold.
	n int
	// before holds public/ and public/track when they existed before the
	// build, which discard then leaves.
	before map[string]bool
}

// stagedPage is a tracking page a stager staged, or found in public/ as it
// is (same), with the SHA-256 and size of its bytes. The size is a uint32,
// which keeps the struct at 56 bytes: stage refuses a page of 4 GiB or more,
// which no tracking page comes near.
type stagedPage struct {
	tok  string
	sum  [32]byte
	size uint32
	same bool
}

// newStager returns a stager of the pages of a build over public/ at dir,
// which holds the files in existing, for n pages to render.
func newStager(dir string, existing map[string]bool, n int) *stager {
	st := &stager{dir: dir, existing: existing, n: n, before: map[string]bool{}}
	for _, d := range []string{dir, filepath.Join(dir, "track")} {
		if _, err := os.Lstat(d); err == nil {
			st.before[d] = true
		}
	}
	return st
}

// findStaged returns the page of pages, sorted by token, at the output
// path p, and false when p is not a tracking page there.
func findStaged(pages []stagedPage, p string) (*stagedPage, bool) {
	tok, ok := trackToken(p)
	if !ok || len(pages) == 0 {
		return nil, false
	}
	i, ok := slices.BinarySearchFunc(pages, tok, func(sp stagedPage, tok string) int { return strings.Compare(sp.tok, tok) })
	if !ok {
		return nil, false
	}
	return &pages[i], true
}

// trackToken returns the token of the tracking page at the output path p,
// and false when p is not one.
func trackToken(p string) (string, bool) {
	rest, ok := strings.CutPrefix(p, "track/")
	if !ok {
		return "", false
	}
	tok, ok := strings.CutSuffix(rest, "/index.html")
	if !ok || strings.Contains(tok, "/") {
		return "", false
	}
	return tok, true
}

// staged returns what putting the page at p in place does (added or
// modified), and false when st did not stage it. st is settled.
func (st *stager) staged(p string) (int, bool) {
	sp, ok := findStaged(st.pages, p)
	if !ok || sp.same {
		return 0, false
	}
	if st.existing[p] {
		return modified, true
	}
	return added, true
}

// unchanged reports whether st found the page at p in public/ as it is.
// st is settled.
func (st *stager) unchanged(p string) bool {
	sp, ok := findStaged(st.pages, p)
	return ok && sp.same
}

// settle sorts the pages st staged or found as they are by token, and adds
// them to out, which the batches left without them (see render), once the
// privacy check has passed: out takes them over, with their sums (see
// Output.staged). In public/ once the build is written, they are read from
// there when asked (see Output.Bytes).
func (st *stager) settle(out *Output) {
	slices.SortFunc(st.pages, func(a, b stagedPage) int { return strings.Compare(a.tok, b.tok) })
	out.staged = st.pages
}

// stage compares each page with public/ and writes beside its place the
// ones that differ.
func (st *stager) stage(ctx context.Context, paths, tokens []string, pages [][]byte) error {
	results := make([]int, len(paths))
	for i := range results {
		results[i] = -1
	}
	errs := make([]error, len(paths))
	sums := make([]pageSum, len(paths))
	// Eight at a time: writing is mostly waiting on the file system.
	cancelled := parallelCtx(ctx, len(paths), 8, func(i int) {
		p := paths[i]
		if uint64(len(pages[i])) > math.MaxUint32 {
			errs[i] = fmt.Errorf("%s: the page is %d bytes, more than a build writes", p, len(pages[i]))
			return
		}
		sums[i] = pageSum{sha256.Sum256(pages[i]), int64(len(pages[i]))}
		target := filepath.Join(st.dir, filepath.FromSlash(p))
		r := added
		if st.existing[p] {
			old, err := readFile(target)
			if err == nil && bytes.Equal(old, pages[i]) {
				results[i] = same
				return
			}
			r = modified
		} else {
			// Each tracking page has a directory of its own: none is
			// made twice, and remembering them cost about 180 bytes a
			// page (a million pages make 180 MB).
			if err := mkdir(filepath.Dir(target)); err != nil {
				errs[i] = err
				return
			}
		}
		if errs[i] = writeFileNew(target+tmpPrefix, pages[i]); errs[i] == nil {
			results[i] = r
			return
		}
		// Not staged, so discard would not know of it: what the failed
		// write left, and the directory made for it, go now.
		_ = os.Remove(target + tmpPrefix)
		if r == added {
			_ = os.Remove(filepath.Dir(target))
		}
	})
	if st.pages == nil {
		st.pages = make([]stagedPage, 0, max(st.n, len(tokens)))
	}
	for i, tok := range tokens {
		if results[i] >= 0 {
			st.pages = append(st.pages, stagedPage{tok: tok, sum: sums[i].sum, size: uint32(sums[i].size), same: results[i] == same})
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return cancelled
}

// discard removes what stage wrote, and the page directories it made for
// it when nothing else is in them.
func (st *stager) discard() {
	for _, sp := range st.pages {
		if sp.same {
			continue
		}
		p := TrackPath(sp.tok)
		r := added
		if st.existing[p] {
			r = modified
		}
		target := filepath.Join(st.dir, filepath.FromSlash(p))
		_ = os.Remove(target + tmpPrefix)
		if r == added {
			// Fails harmlessly when the directory holds anything else.
			_ = os.Remove(filepath.Dir(target))
		}
	}
	st.pages = nil
	for _, d := range []string{filepath.Join(st.dir, "track"), st.dir} {
		if !st.before[d] {
			_ = os.Remove(d)
		}
	}
}
