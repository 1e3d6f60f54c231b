package generator

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"unsafe"

	"github.com/quickdumpnow/qdn/internal/atomicfile"
	"github.com/quickdumpnow/qdn/templates"
)

// The build cache lets a rebuild skip what did not change. For every job
// file it records the file's size and modification time, the hash of its
// bytes, what the site-wide checks need (id, token, service, status, end),
// and the hash and stamp of the page it produced. A rebuild that finds a job
// file and its page exactly as recorded neither parses nor renders it.
//
// It records too the stamps of the directories whose listing a rebuild
// would otherwise read: each page's directory, jobs/ and public/track. A
// directory's modification time changes when an entry is made, removed or
// renamed in it, so one with the stamp recorded holds what it held then,
// and is not listed again (see reuse and loadJobs).
//
// Everything else that a tracking page depends on (qdn.yaml, the templates,
// the services, the qdn binary itself) goes into the cache key: when any of
// it changes the whole cache is dropped.
//
// A stamp is recorded only when it can tell a later change, git's rule for
// "racily clean" index entries: a file's modification time is the moment it
// was last changed, rounded down to the file system's resolution and late by
// up to a clock tick, so a file changed after a moment T has a modification
// time of at least T minus that window. A stamp taken from a file whose
// bytes the build knew at T (read them, or wrote them, by T) is recorded
// when its modification time is older than T by more than the window; a
// newer one is recorded as none, so that the next build reads the file
// again, as git "smudges" a racy entry. The files a build reads are known
// as of the moment it began reading; the pages it writes, and their
// directories, as of the moment it finished writing. So a build records the
// stamps of all but the pages it wrote in its last few milliseconds, and
// the next build trusts them (it reads those few pages again, and lists
// their directories): only the public/ tree changing while a build
// writes it, by another hand and within one tick of qdn's own write of the
// same file, goes unseen. public/track, whose listing a build knows as of
// the moment it reads it, is read once its racy window is past (see
// settle), so that its stamp is recorded after a build that wrote in it.
//
// The cache holds tokens, so it lives outside the site, in the user's cache
// directory, readable by its owner only.

const cacheVersion = 5

// racyWindow is how much older than a moment T a modification time must be
// for the file to be known unchanged since T: the clock's tick, plus the
// file system's resolution as the time itself shows it (a time in whole
// seconds is from a file system that keeps no fraction: two seconds on
// FAT, one on ext3 or HFS+; in hundredths, exFAT; in 100 ns, NTFS).
func racyWindow(mtime int64) int64 {
	return clockTick() + resolution(mtime)
}

// resolution is the coarsest timestamp resolution that mtime is a multiple
// of. A file system keeping nanoseconds gives a time in whole
// milliseconds once in a million: its window is then a millisecond wider
// than it need be, which costs nothing.
func resolution(mtime int64) int64 {
	for _, r := range []int64{2e9, 1e9, 1e7, 1e6, 1e3, 100} {
		if mtime%r == 0 {
			return r
		}
	}
	return 1
}

// vet returns s when it can tell any change to its file after the moment
// known (unix nanoseconds), at which the build knew the file's bytes, and
// no stamp otherwise.
func vet(s stamp, known int64) stamp {
	if s.Mtime >= known-racyWindow(s.Mtime) {
		return stamp{}
	}
	return s
}

type stamp struct {
	Size  int64
	Mtime int64
}

// stampOf is the stamp of the file info describes. A directory's time is
// the later of its modification and change times: tools that copy or
// restore a tree (rsync -a, tar, cp -a, touch -r) set a directory's
// modification time back whatever entries it gained, and a rebuild that
// trusts the listing of jobs/ or public/track by its stamp would then miss
// them; setting the time moves the change time, which nothing sets back.
func stampOf(info fs.FileInfo) stamp {
	s := stamp{Size: info.Size(), Mtime: info.ModTime().UnixNano()}
	if info.IsDir() {
		s.Mtime = max(s.Mtime, changeTime(info))
	}
	return s
}

type cacheEntry struct {
	// File is the job file's path in the site, the entry's key in
	// buildCache.Jobs.
	File    string
	Src     [32]byte
	SrcStat stamp
	ID      string
	Token   string
	Service string
	Status  Status
	Ended   int64 // unix nanoseconds; 0 when not ended or unknown
	// Private holds the job's private fields, for the privacy check of
	// outputs the build renders (see packPrivate).
	Private string
	// Page is the hash of the tracking page written for the job, with the
	// stamps of the page and of its directory; zero when it had none.
	Page     [32]byte
	PageStat stamp
	DirStat  stamp
}

type buildCache struct {
	Version int
	Key     [32]byte
	// Jobs holds an entry for each job file, sorted by File, each file
	// once: a rebuild walks them beside the job files, which are in the
	// same order, and looks up none by name (see entriesFor).
	Jobs []*cacheEntry
	// Checked holds the hash of every output but the tracking pages
	// (which their job's entry records), as the privacy check of the
	// build that wrote the cache found it clean; empty when it ran no
	// check. An output rendered again byte for byte needs checking only
	// for the patterns that build did not have.
	Checked map[string][32]byte
	// Track is the stamp of public/track when it held TrackEntries
	// entries, each the directory of a tracking page; zero when unknown.
	// A rebuild that finds public/track with this stamp and as many page
	// directories it can trust does not read it (see reuse).
	Track        stamp
	TrackEntries int
	// JobsStat is the stamp of jobs/ when it was listed; zero when
	// unknown. A rebuild that finds jobs/ with this stamp does not list
	// it: it holds the files of Jobs, and what IgnoredName names.
	JobsStat stamp
	// stream, when set, makes the entries as the cache is written, in
	// the order of their files, instead of Jobs (see Site.cacheFor).
	stream *entryStream
}

// entryStream makes the n entries of a cache being written, a few thousand
// at a time: fill makes the entries from start on into out.
type entryStream struct {
	n    int
	fill func(start int, out []cacheEntry)
}

// jobCount is how many job entries c has.
func (c *buildCache) jobCount() int {
	if c.stream != nil {
		return c.stream.n
	}
	return len(c.Jobs)
}

// jobFiles returns the names of the job files of the cache, in order, when
// jobs/ has the stamp it had when they were its job files, and nil
// otherwise. Every other entry it had then was one that loadJobs ignores:
// any other makes a build fail, and a failed build writes no cache.
func (c *buildCache) jobFiles(now stamp) []string {
	if c == nil || !c.fresh(c.JobsStat, now) || len(c.Jobs) == 0 {
		return nil
	}
	names := make([]string, len(c.Jobs))
	for i, e := range c.Jobs {
		names[i] = strings.TrimPrefix(e.File, JobsDir+"/")
	}
	return names
}

// entriesFor returns the entry of each job file jobs/name of names (sorted,
// each once), nil for a file the cache does not hold. Both are in order:
// one walk beside the other finds them, and when names are the cache's own
// (see jobFiles) they are its entries as they are.
func (c *buildCache) entriesFor(names []string) []*cacheEntry {
	if c == nil || len(c.Jobs) == 0 {
		return nil
	}
	if len(names) == len(c.Jobs) {
		same := true
		for i, e := range c.Jobs {
			if !isJobFile(e.File, names[i]) {
				same = false
				break
			}
		}
		if same {
			return c.Jobs
		}
	}
	out := make([]*cacheEntry, len(names))
	k := 0
	for i, name := range names {
		for k < len(c.Jobs) && compareJobFile(c.Jobs[k].File, name) < 0 {
			k++
		}
		if k < len(c.Jobs) && isJobFile(c.Jobs[k].File, name) {
			out[i] = c.Jobs[k]
		}
	}
	return out
}

// isJobFile reports whether file is jobs/name, without making that path.
func isJobFile(file, name string) bool {
	rest, ok := strings.CutPrefix(file, JobsDir+"/")
	return ok && rest == name
}

// compareJobFile compares file with jobs/name, without making that path.
func compareJobFile(file, name string) int {
	if rest, ok := strings.CutPrefix(file, JobsDir+"/"); ok {
		return strings.Compare(rest, name)
	}
	// Not under jobs/: it compares with jobs/name as with "jobs/".
	return strings.Compare(file, JobsDir+"/")
}

// entry returns the entry of the job file file, or nil.
func (c *buildCache) entry(file string) *cacheEntry {
	if c == nil {
		return nil
	}
	i, ok := sort.Find(len(c.Jobs), func(i int) int { return strings.Compare(file, c.Jobs[i].File) })
	if !ok {
		return nil
	}
	return c.Jobs[i]
}

// jobsTrusted counts the builds that took the job files from the cache
// without listing jobs/, for the tests that check it is listed whenever it
// changed.
var jobsTrusted atomic.Int64

// dirStamp is vet for the stamp of a directory whose listing the build
// knew at the moment known. Creating, removing or renaming an entry of a
// directory sets its modification time on the file systems that keep
// times finer than 10 ms (ext4, XFS, Btrfs, tmpfs, APFS, NTFS); FAT and
// exFAT, whose times are coarser, may not, and their stamps are not
// recorded.
func dirStamp(s stamp, known int64) stamp {
	s = vet(s, known)
	if resolution(s.Mtime) >= 1e7 {
		return stamp{}
	}
	return s
}

// checked reports whether the last build checked the output p holding b.
func (c *buildCache) checked(p string, b []byte) bool {
	if c == nil || b == nil {
		return false
	}
	h, ok := c.Checked[p]
	return ok && h == sha256.Sum256(b)
}

// DefaultCacheDir returns the directory qdn keeps build caches in, under the
// user's cache directory, or "" when there is none.
func DefaultCacheDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "qdn")
}

// cacheFile returns the cache file of the site at dir.
func cacheFile(cacheDir, dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	sum := sha256.Sum256([]byte(abs))
	return filepath.Join(cacheDir, "build", fmtHex(sum[:8])+".gob")
}

func fmtHex(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(out)
}

// cacheKey hashes everything but the job files that tracking pages depend
// on: the qdn binary, qdn.yaml, every template, every service and the
// markdown pages (whose titles make the navigation).
func cacheKey(dir string) ([32]byte, error) {
	h := sha256.New()
	h.Write([]byte{cacheVersion})
	if exe, err := os.Executable(); err == nil {
		if info, err := os.Stat(exe); err == nil {
			s := stampOf(info)
			h.Write(int64Bytes(s.Size))
			h.Write(int64Bytes(s.Mtime))
		}
	}
	add := func(name string, b []byte) {
		h.Write([]byte(name))
		h.Write(int64Bytes(int64(len(b))))
		h.Write(b)
	}
	r, err := openSite(dir)
	if err != nil {
		return [32]byte{}, err
	}
	defer r.Close()
	b, _, err := readSource(r, ConfigFile, maxSourceSize)
	if err != nil {
		return [32]byte{}, err
	}
	add(ConfigFile, b)
	defaults, _ := fs.Glob(templates.FS, "*")
	for _, name := range defaults {
		b, _ := templates.FS.ReadFile(name)
		add("default/"+name, b)
	}
	// Templates may show any page's data on tracking pages: the services,
	// and the navigation made from the pages of content/.
	// A file that cannot be read is left out: the load reports it, and a
	// build with errors writes no cache.
	var files []string
	list := func(dir string, md bool) {
		entries, _ := readSourceDir(r, dir)
		for _, d := range entries {
			if !md || strings.HasSuffix(d.Name(), ".md") {
				files = append(files, dir+"/"+d.Name())
			}
		}
	}
	list(TemplatesDir, false)
	list(BookDir, false)
	list(ContentDir, true)
	entries, _ := readSourceDir(r, ContentDir)
	for _, d := range entries {
		if d.IsDir() {
			list(ContentDir+"/"+d.Name(), true)
		}
	}
	for _, f := range files {
		if b, _, err := readSource(r, f, maxAssetSize); err == nil {
			add(f, b)
		}
	}
	var key [32]byte
	copy(key[:], h.Sum(nil))
	return key, nil
}

func int64Bytes(v int64) []byte {
	b := make([]byte, 8)
	for i := range b {
		b[i] = byte(v >> (8 * i))
	}
	return b
}

// readCache returns the cache for the site at dir if it exists and was made
// with the same key, else an empty cache with that key.
func readCache(cacheDir, dir string) *buildCache {
	key, err := cacheKey(dir)
	if err != nil {
		return nil
	}
	empty := &buildCache{Version: cacheVersion, Key: key}
	b, err := readCacheFile(cacheFile(cacheDir, dir))
	if err != nil {
		return empty
	}
	c, ok := decodeCache(b) // b is the cache's now
	if !ok || c.Key != key {
		return empty
	}
	return c
}

// fresh reports whether a file whose stamp is now can be trusted to hold
// what the cache recorded for it without reading it again. Only stamps that
// can tell a change were recorded (see vet).
func (c *buildCache) fresh(recorded, now stamp) bool {
	return recorded != stamp{} && now == recorded
}

// sameAs reports whether c records what old does: writing c would change
// nothing, and a build that changed nothing need not write it.
func (c *buildCache) sameAs(old *buildCache) bool {
	if c == old {
		return true
	}
	if old == nil || old.Key != c.Key || old.jobCount() != c.jobCount() || old.Track != c.Track || old.TrackEntries != c.TrackEntries ||
		old.JobsStat != c.JobsStat {
		return false
	}
	if c.stream != nil && c.stream.n > 0 || old.stream != nil && old.stream.n > 0 {
		// Entries not made yet: write.
		return false
	}
	for i, e := range c.Jobs {
		if o := old.Jobs[i]; o != e && *o != *e {
			return false
		}
	}
	return sameChecked(old.Checked, c.Checked)
}

// sameChecked reports whether a and b hold the same outputs' hashes.
func sameChecked(a, b map[string][32]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for p, h := range b {
		if o, ok := a[p]; !ok || o != h {
			return false
		}
	}
	return true
}

// write saves the cache.
func (c *buildCache) write(cacheDir, dir string) error {
	file := cacheFile(cacheDir, dir)
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return err
	}
	if err := CheckCacheDir(cacheDir); err != nil {
		return err
	}
	return atomicfile.WriteFunc(file, 0o600, atomicfile.NoSync, c.encodeTo)
}

// maxCacheSize bounds the cache file read back: some 300 bytes a job.
const maxCacheSize = 256 << 20

// readCacheFile reads the cache file when it is a regular file, without
// waiting on a named pipe or reading without end.
func readCacheFile(file string) ([]byte, error) {
	f, err := os.OpenFile(file, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() || info.Size() > maxCacheSize {
		return nil, fmt.Errorf("%s: not a regular file of at most %d bytes", file, maxCacheSize)
	}
	// Read into memory mapped in at once (see makeMapped): the cache of
	// 100,000 jobs is 25 MB.
	b := makeMapped[byte](int(info.Size()) + 1)
	n, err := io.ReadFull(f, b)
	if err != io.ErrUnexpectedEOF && err != io.EOF {
		// Grown since the stat, or unreadable: next build writes it anew.
		if err == nil {
			err = fmt.Errorf("%s: changed while read", file)
		}
		return nil, err
	}
	return b[:n], nil
}

// CacheDirError is a build cache directory that another user could write
// in: they could plant a cache that puts pages of their choosing on the
// site, or read the tokens the cache holds.
type CacheDirError struct {
	Dir string
}

func (e *CacheDirError) Error() string {
	return fmt.Sprintf("the build cache directory %s can be written by another user; qdn will not use it", e.Dir)
}

// Hint says how to fix the directory.
func (e *CacheDirError) Hint() string {
	return "run chmod go-w on it if it is yours, or set QDN_CACHE_DIR to a directory only you can write"
}

// CheckCacheDir returns a *CacheDirError when the cache directory dir, or
// the directory of build caches in it, belongs to another user or can be
// written by one. A directory that does not exist yet is fine: qdn makes it
// for its user alone.
func CheckCacheDir(dir string) error {
	for _, d := range []string{dir, filepath.Join(dir, "build")} {
		info, err := os.Stat(d)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("build cache: %w", err)
		}
		if writableByOthers(info) {
			return &CacheDirError{Dir: d}
		}
	}
	return nil
}

// The cache file is a flat binary record per job: it is read and written on
// every build, and a reflective encoding of 10,000 entries costs more than
// the rest of a build that changed nothing.

// encodeTo writes the cache file to w, about 64 KB at a time: the file of
// a million jobs takes 250 MB, which a build need not hold all at once.
// The entries go in runs of cacheRun, each after its length in bytes, so
// that a build reads them back in parallel (see decodeCache).
func (c *buildCache) encodeTo(w io.Writer) error {
	b := make([]byte, 0, 80<<10)
	var werr error
	flush := func() {
		if werr == nil {
			_, werr = w.Write(b)
		}
		b = b[:0]
	}
	b = binary.AppendUvarint(b, uint64(cacheVersion))
	b = append(b, c.Key[:]...)
	b = binary.AppendUvarint(b, uint64(c.jobCount()))
	var run []byte
	str := func(b []byte, s string) []byte { b = binary.AppendUvarint(b, uint64(len(s))); return append(b, s...) }
	st := func(b []byte, s stamp) []byte {
		b = binary.AppendVarint(b, s.Size)
		return binary.AppendVarint(b, s.Mtime)
	}
	put := func(e *cacheEntry) {
		run = str(run, e.File)
		run = append(run, e.Src[:]...)
		run = st(run, e.SrcStat)
		run = str(run, e.ID)
		run = str(run, e.Token)
		run = str(run, e.Service)
		run = str(run, string(e.Status))
		run = binary.AppendVarint(run, e.Ended)
		run = str(run, e.Private)
		run = append(run, e.Page[:]...)
		run = st(run, e.PageStat)
		run = st(run, e.DirStat)
	}
	// endRun puts the run in b after its length.
	endRun := func() {
		b = binary.AppendUvarint(b, uint64(len(run)))
		b = append(b, run...)
		run = run[:0]
		if len(b) >= 64<<10 {
			flush()
		}
	}
	if c.stream != nil {
		chunk := make([]cacheEntry, min(c.stream.n, cacheRun))
		for start := 0; start < c.stream.n; start += len(chunk) {
			out := chunk[:min(len(chunk), c.stream.n-start)]
			c.stream.fill(start, out)
			for i := range out {
				put(&out[i])
			}
			endRun()
		}
	} else {
		jobs := c.Jobs
		if !slices.IsSortedFunc(jobs, func(a, b *cacheEntry) int { return strings.Compare(a.File, b.File) }) {
			jobs = slices.SortedFunc(slices.Values(jobs), func(a, b *cacheEntry) int { return strings.Compare(a.File, b.File) })
		}
		for start := 0; start < len(jobs); start += cacheRun {
			for _, e := range jobs[start:min(start+cacheRun, len(jobs))] {
				put(e)
			}
			endRun()
		}
	}
	b = binary.AppendUvarint(b, uint64(len(c.Checked)))
	outs := make([]string, 0, len(c.Checked))
	for p := range c.Checked {
		outs = append(outs, p)
	}
	sort.Strings(outs)
	for _, p := range outs {
		h := c.Checked[p]
		b = str(b, p)
		b = append(b, h[:]...)
		if len(b) >= 64<<10 {
			flush()
		}
	}
	b = st(b, c.Track)
	b = binary.AppendUvarint(b, uint64(c.TrackEntries))
	b = st(b, c.JobsStat)
	flush()
	return werr
}

// cacheRun is how many entries of the cache file one run holds (see
// encodeTo): about 1 MB, decoded by one worker.
const cacheRun = 4096

// decodeCache decodes the cache file b, which it takes over: the caller
// must not change b afterwards.
func decodeCache(b []byte) (*buildCache, bool) {
	if len(b) == 0 {
		return nil, false
	}
	// Every string of the cache is a slice of b itself, which no one
	// writes again: tens of thousands of strings, no allocation, and no
	// copy of megabytes.
	r := &cacheReader{all: unsafe.String(&b[0], len(b)), b: b, end: len(b)}
	if r.uvarint() != cacheVersion || r.bad {
		return nil, false
	}
	c := &buildCache{Version: cacheVersion, Key: r.hash()}
	n := r.uvarint()
	// An entry takes at least two hashes and a byte for each of its
	// thirteen lengths and numbers: a count that the rest cannot hold is
	// refused before allocating for it.
	if r.bad || n > uint64(len(r.b))/(2*32+13) {
		return nil, false
	}
	// The entries are one allocation, and no map is made of them: a
	// build that changed nothing keeps them all (see cacheFor), and finds
	// them in order (see entriesFor).
	entries := makeMapped[cacheEntry](int(n))
	c.Jobs = makeMapped[*cacheEntry](int(n))
	// The runs of entries, found one after the other by their lengths,
	// and decoded each by one worker.
	runs := make([]cacheReader, (int(n)+cacheRun-1)/cacheRun)
	for i := range runs {
		size := r.uvarint()
		if r.bad || size > uint64(len(r.b)) {
			return nil, false
		}
		runs[i] = cacheReader{all: r.all, b: r.b[:size], end: r.end - len(r.b) + int(size)}
		r.b = r.b[size:]
	}
	parallel(len(runs), 0, func(i int) {
		run, start := &runs[i], i*cacheRun
		part := entries[start:min(start+cacheRun, int(n))]
		for k := range part {
			part[k] = run.entry()
			if run.bad || k > 0 && part[k].File <= part[k-1].File {
				// Written in order, each once: this cache is damaged.
				run.bad = true
				return
			}
			c.Jobs[start+k] = &part[k]
		}
		if len(run.b) != 0 {
			run.bad = true
		}
	})
	for i := range runs {
		if runs[i].bad || i > 0 && entries[i*cacheRun].File <= entries[i*cacheRun-1].File {
			return nil, false
		}
	}
	n = r.uvarint()
	// Each entry takes at least a length byte and a hash: a damaged count
	// is refused before the map is sized by it.
	if r.bad || n > uint64(len(r.b))/33 {
		return nil, false
	}
	c.Checked = make(map[string][32]byte, n)
	for i := uint64(0); i < n && !r.bad; i++ {
		p := r.str()
		c.Checked[p] = r.hash()
	}
	c.Track = r.stamp()
	if n = r.uvarint(); n > 1<<31 {
		r.bad = true
	}
	c.TrackEntries = int(n)
	c.JobsStat = r.stamp()
	if r.bad || len(r.b) != 0 {
		return nil, false
	}
	return c, true
}

// cacheReader reads the part b of the cache file all, which ends at the
// offset end of all. Its strings are slices of all. Once bad, what it
// reads is zero.
type cacheReader struct {
	all string
	b   []byte
	end int
	bad bool
}

func (r *cacheReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *cacheReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.bad = true
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *cacheReader) hash() (h [32]byte) {
	if len(r.b) < 32 {
		r.bad = true
		return h
	}
	copy(h[:], r.b)
	r.b = r.b[32:]
	return h
}

func (r *cacheReader) str() string {
	n := r.uvarint()
	if r.bad || uint64(len(r.b)) < n {
		r.bad = true
		return ""
	}
	off := r.end - len(r.b)
	r.b = r.b[n:]
	return r.all[off : off+int(n)]
}

func (r *cacheReader) stamp() stamp { return stamp{Size: r.varint(), Mtime: r.varint()} }

// entry reads one job's entry, its fields in the order encodeTo writes them.
func (r *cacheReader) entry() cacheEntry {
	return cacheEntry{File: r.str(), Src: r.hash(), SrcStat: r.stamp(), ID: r.str(), Token: r.str(), Service: r.str(), Status: Status(r.str()),
		Ended: r.varint(), Private: r.str(), Page: r.hash(), PageStat: r.stamp(), DirStat: r.stamp()}
}
