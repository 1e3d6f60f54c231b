package generator

import (
	"context"
	"crypto/sha256"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// Result is what a build made.
type Result struct {
	// Site is the site built, every job of it complete. Build leaves it
	// nil: a cached build parses only the jobs that changed (use Load for
	// the site).
	Site *Site
	// Config is the site's configuration, when it could be read.
	Config  *Config
	Output  *Output
	Changes *Changes
	// Ended lists the jobs that are over, with when they ended (zero when
	// their history does not say), so that what expires when can be told
	// without the Site.
	Ended []EndedJob
}

// EndedJob is a completed or cancelled job, known by its id and token.
type EndedJob struct {
	ID, Token string
	At        time.Time
}

// endedJobs returns the ended jobs of s.
func endedJobs(s *Site) []EndedJob {
	n := 0
	for _, j := range s.Jobs {
		if j.Status.Ended() {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]EndedJob, 0, n)
	for _, j := range s.Jobs {
		if j.Status.Ended() {
			out = append(out, EndedJob{ID: j.ID, Token: j.Token, At: j.EndedAt()})
		}
	}
	return out
}

// Build loads, validates and renders the site at dir and writes it to
// dir/public. Nothing is written unless every source is valid and every page
// rendered and checked (see checkBuild), and a page is written as it was
// checked.
//
// With Options.CacheDir set, jobs whose file and page are as the last build
// left them are neither parsed nor rendered, and their pages are not even
// read: Result.Output lists them, and its Bytes and All read them from
// public/ when asked. The Result holds no Site: such jobs are known only
// by their file, id, token, service, status and end. Use Load for the site.
//
// Build stops soon after ctx is cancelled and returns ctx's error. A build
// stopped before writing leaves public/ as it was; one stopped while writing
// leaves every file either as it was or as this build made it (a page is
// replaced by renaming a complete file over it, a new page written in place
// may be cut short), and the next build, comparing public/ with what it
// renders, replaces or removes whatever differs.
func Build(ctx context.Context, dir string, opt Options) (*Result, error) {
	// The moment reading began: a stamp of a file read from here on is
	// recorded only when older than it (see vet).
	started := clock()
	var cache *buildCache
	var key [32]byte
	if opt.CacheDir != "" {
		if err := CheckCacheDir(opt.CacheDir); err != nil {
			return &Result{}, err
		}
		cache = readCache(opt.CacheDir, dir)
		if cache != nil {
			key = cache.Key
		}
	}
	s, err := load(ctx, dir, opt, cache, skimExpired, true)
	if err != nil && ctx.Err() == nil {
		// Jobs taken from the cache or skimmed lack positions, and a
		// skimmed job is not checked in full: report from a full load.
		s, err = load(ctx, dir, opt, nil, false, false)
		cache = nil
	}
	if err != nil {
		return &Result{Config: s.config()}, err
	}
	if afterValidate != nil {
		afterValidate()
	}
	pub := filepath.Join(dir, PublicDir)
	have, stamps, trusted, kept, keep, err := s.reuse(ctx, pub, cache)
	if err != nil {
		return &Result{Config: s.config()}, err
	}
	// The pages at hand: read or trusted (have), or kept.
	found := len(have) + keep.len()
	// The privacy check's index needs only the site: make it while the
	// pages render, when a page of a job is to be rendered. Otherwise the
	// check makes it if some output needs it, which after a build that
	// changed nothing none does.
	var index chan *leakIndex
	var ready atomic.Pointer[leakIndex]
	if !skipPrivacyCheck && (cache == nil || s.toRender(found) > 0) {
		index = make(chan *leakIndex, 1)
		go func() {
			x := newLeakIndex(s, nil)
			ready.Store(x)
			index <- x
		}()
	}
	var x *leakIndex
	indexed := false
	waitIndex := func() *leakIndex {
		if !indexed && index != nil {
			x, indexed = <-index, true
		}
		return x
	}
	// A build with many pages to render renders, checks and stages them a
	// batch at a time (see stager), so that its memory follows the batch,
	// not the site.
	var st *stager
	var existing, nested map[string]bool
	var emit func(paths, tokens []string, pages [][]byte) error
	var batchLeaks []leak
	if !opt.NoWrite && s.toRender(found) > holdPages {
		if existing, nested, err = listOutput(ctx, pub, trusted); err != nil {
			waitIndex()
			return &Result{Config: s.config()}, err
		}
		st = newStager(pub, existing, s.toRender(found))
		emit = func(paths, tokens []string, pages [][]byte) error {
			if x := waitIndex(); x != nil {
				files := make(map[string][]byte, len(paths))
				for i, p := range paths {
					files[p] = pages[i]
				}
				batchLeaks = append(batchLeaks, x.check(files, paths)...)
			}
			if len(batchLeaks) > 0 {
				// The build fails: check the rest, write nothing more.
				return nil
			}
			return st.stage(ctx, paths, tokens, pages)
		}
	}
	fail := func(err error) (*Result, error) {
		if st != nil {
			st.discard()
		}
		return &Result{Config: s.config()}, err
	}
	// A build that holds its pages until it writes them checks each as it
	// renders it, once the index is made, and renders it again as it
	// writes it (see laterPages).
	var look func() (*leakIndex, bool)
	if !opt.NoWrite && st == nil {
		look = func() (*leakIndex, bool) {
			if skipPrivacyCheck {
				return nil, true
			}
			x := ready.Load()
			return x, x != nil
		}
	}
	if indexFirst {
		waitIndex()
	}
	out, err := render(ctx, s, have, keep, emit, look)
	waitIndex()
	if err != nil {
		return fail(err)
	}
	if l := out.later; l != nil {
		batchLeaks = append(batchLeaks, l.leaks...)
	}
	out.dir = pub
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	// The privacy check does not look at ctx, and takes about a second
	// and a half for 100,000 jobs: on cancel, stop waiting for it. It only
	// reads, and ends on its own.
	done := make(chan error, 1)
	go func() { done <- checkBuild(s, x, out, have, batchLeaks, cache) }()
	select {
	case err := <-done:
		if err != nil {
			return fail(err)
		}
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if opt.NoWrite {
		return &Result{Config: s.Config, Output: out, Ended: endedJobs(s)}, nil
	}
	if beforeWrite != nil {
		beforeWrite(out)
	}
	var c *Changes
	if st != nil {
		st.settle(out)
		c, err = writeListed(ctx, pub, out, existing, have, st)
		if err != nil {
			st.discard()
		}
	} else {
		c, nested, err = write(ctx, pub, out, have, trusted)
	}
	if err != nil {
		return &Result{Config: s.config(), Output: out}, err
	}
	out.wrote()
	// The moment writing ended: the stamps of the pages written are
	// recorded when older than it.
	wrote := clock()
	if key != ([32]byte{}) {
		// A cache that cannot be written only makes the next build slower.
		c := s.cacheFor(cache, key, pub, out, c, have, stamps, trusted, kept, nested, started.UnixNano(), wrote.UnixNano())
		if !c.sameAs(cache) {
			_ = c.write(opt.CacheDir, dir)
		}
	}
	return &Result{Config: s.Config, Output: out, Changes: c, Ended: endedJobs(s)}, nil
}

// clock gives the moments a build began reading and ended writing, which
// decide what stamps it records; tests stop it.
var clock = fileClock

// batchPages is how many tracking pages a build renders and checks at a
// time when it has more than holdPages to render: about 15 MB of pages.
// Fewer pages are held in memory all at once and written in place, which
// spares each a rename.
var (
	batchPages = 2048
	holdPages  = 16384
)

// afterValidate, when set, is called once a build has read and validated
// every source, before it renders: tests change a job file there.
var afterValidate func()

// indexFirst has Build make the privacy check's index before it renders
// the tracking pages, so that each is checked as it is rendered and
// rendered again as it is written (see laterPages): tests set it, to take
// that way for certain. Otherwise the pages rendered while the index is
// being made are held until the check.
var indexFirst bool

// beforeWrite, when set, is called once a build has rendered and checked
// every page, before it writes: tests change what is to be written there.
var beforeWrite func(out *Output)

// skimExpired has Build skim the files of jobs that ended long ago (see
// skimJob); only tests turn it off, to compare.
var skimExpired = true

// toRender is how many tracking pages a build that found pages of found
// live jobs must render. reuse finds pages of live jobs only, one a job:
// their tokens are unique, or the load failed.
func (s *Site) toRender(found int) int { return s.liveCount() - found }

// config returns the site's configuration, or nil when there is no site.
func (s *Site) config() *Config {
	if s == nil {
		return nil
	}
	return s.Config
}

// reuse reads back the pages of the jobs taken from the cache. A page that
// is missing or differs from what the cache recorded makes its job parsed
// and rendered again. It returns the pages by output path, the stamps of
// those it read (one it trusted has the stamp its job's entry recorded) and
// of the page directories it listed, and the page directories known to
// hold nothing else. kept is set, by index in s.Jobs, for each job taken
// from the cache whose page and page directory it trusted without reading
// (see cacheFor). When public/track too is known to hold nothing else,
// those pages are not in have, nor their directories in trusted: keep
// lists them (see keptPages), and is nil otherwise.
func (s *Site) reuse(ctx context.Context, pub string, cache *buildCache) (have map[string][]byte, stamps map[string]stamp, trusted map[string]bool,
	kept []bool, keep *keptPages, err error) {
	if cache == nil {
		return map[string][]byte{}, map[string]stamp{}, map[string]bool{}, nil, nil, nil
	}
	// The live jobs, counted first: a slice grown one job at a time
	// allocates twice what it ends with, some 16 MB for a million jobs.
	nLive := s.liveCount()
	live := make([]*Job, 0, nLive)
	liveAt := make([]int, 0, nLive) // the index in s.Jobs of each of live
	n := 0                          // of them, those taken from the cache
	for i, j := range s.Jobs {
		if s.live(j) {
			live, liveAt = append(live, j), append(liveAt, i)
			if j.cached != nil {
				n++
			}
		}
	}
	stamps = map[string]stamp{}
	kept = make([]bool, len(s.Jobs))
	type found struct {
		page    []byte
		stat    stamp
		trusted bool
		read    bool
		ok      bool
		// listed is set when the page directory was trusted on its
		// listing, not its stamp; dirStat is its stamp then.
		listed  bool
		dirStat stamp
	}
	res := makeMapped[found](len(live))
	// A public/track that is not a directory (a link to one, say) is
	// none of qdn's making, and the write removes it: no page in it is
	// trusted without reading.
	trackInfo, err := os.Lstat(filepath.Join(pub, "track"))
	trackDir := err == nil && trackInfo.IsDir()
	track := openStatDir(filepath.Join(pub, "track"))
	defer track.close()
	err = parallelCtx(ctx, len(live), 0, func(i int) {
		e := live[i].cached
		if e == nil || e.Page == ([32]byte{}) || !trackDir {
			return
		}
		// The page directory, trusted when as the last build left it.
		dirStat, err := track.stat(e.Token, false)
		if err != nil {
			return
		}
		dirTrusted := cache.fresh(e.DirStat, dirStat)
		dir := filepath.Join(pub, "track", e.Token)
		var dirInfo fs.FileInfo
		if !dirTrusted {
			// One that is not a directory (a link to one, say) is none
			// of qdn's making, and the write removes it with the page
			// in it: the page is made again.
			if dirInfo, err = os.Lstat(dir); err != nil || !dirInfo.IsDir() {
				return
			}
		}
		if st, err := track.statIn(e.Token, "index.html", false); err == nil && cache.fresh(e.PageStat, st) {
			// As the last build left it: trust it without reading.
			res[i] = found{stat: e.PageStat, ok: true}
		} else {
			b, st, err := readOutput(filepath.Join(dir, "index.html"))
			if err != nil || sha256.Sum256(b) != e.Page {
				return
			}
			res[i] = found{page: b, stat: st, read: true, ok: true}
		}
		if dirTrusted {
			res[i].trusted = true
		} else if onlyPage(dir) {
			// The directories the last build wrote in its last few
			// milliseconds have no stamp (see vet): each is listed,
			// once its stamp is taken, and is then known as well.
			// Without it, the first build after a clean build would
			// read all of public/track for a few hundred pages.
			res[i].trusted, res[i].listed, res[i].dirStat = true, true, stampOf(dirInfo)
		}
	})
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	dirs := 0
	for i := range res {
		if res[i].trusted {
			dirs++
		}
	}
	// public/track as the last build left it holds the entries it held
	// then: when as many as it held are page directories this build
	// trusts (each of them in it), it holds those and nothing else, and
	// need not be read either. Its pages this build did not read are then
	// known to be in public/ as they are, and are kept out of the maps by
	// path (see keptPages).
	trackKnown := trackDir && cache.fresh(cache.Track, stampOf(trackInfo)) && dirs == cache.TrackEntries
	keepable := func(i int) bool { return res[i].ok && res[i].trusted && !res[i].read && !res[i].listed }
	nKept := 0
	if trackKnown {
		for i := range live {
			if keepable(i) {
				nKept++
			}
		}
		keep = &keptPages{tokens: make([]string, 0, nKept), sums: make([]pageSum, 0, nKept), job: kept}
	}
	// Sized for the jobs taken from the cache and not kept, which alone
	// can have a page in them: a clean build takes none, and a no-op keeps
	// them all; maps sized for every job would hold 80 bytes a job for
	// nothing.
	have = make(map[string][]byte, n-nKept)
	trusted = make(map[string]bool, n-nKept)
	var again []*Job
	for i, j := range live {
		if keepable(i) {
			kept[liveAt[i]] = true
			if keep != nil {
				keep.tokens = append(keep.tokens, j.Token)
				keep.sums = append(keep.sums, pageSum{j.cached.Page, j.cached.PageStat.Size})
				continue
			}
		}
		p := TrackPath(j.Token)
		if res[i].ok {
			have[p] = res[i].page
			if res[i].read {
				stamps[p] = res[i].stat
			}
			if res[i].trusted {
				trusted[path.Dir(p)] = true
			}
			if res[i].listed {
				stamps[path.Dir(p)] = res[i].dirStat
			}
		} else if j.cached != nil {
			again = append(again, j)
		}
	}
	if trackKnown {
		trusted["track"] = true
		trackTrusted.Add(1)
	}
	// The pages that are gone (all of them after rm -rf public) or were
	// changed by hand: parse their jobs to render them again. A build that
	// keeps its jobs in part keeps these in part too, and reads them once
	// more to render them.
	loc := siteLocation(s.Config)
	errs := make([]error, len(again))
	var root *os.Root
	if len(again) > 0 {
		var err error
		if root, err = openSite(s.Dir); err != nil {
			return nil, nil, nil, nil, nil, err
		}
		defer root.Close()
	}
	// Where each is in s.Jobs, sorted by file, found before any changes.
	at := make([]int, len(again))
	for i, j := range again {
		k, ok := slices.BinarySearchFunc(s.Jobs, j.File, func(a *Job, f string) int { return strings.Compare(a.File, f) })
		if !ok {
			k = -1
		}
		at[i] = k
	}
	err = parallelCtx(ctx, len(again), 0, func(i int) {
		j := again[i]
		src, _, err := readSource(root, j.File, maxSourceSize)
		if err != nil {
			errs[i] = err
			return
		}
		var list ErrorList
		full := ParseJob(j.File, src, loc, &list)
		if errs[i] = list.Err(); errs[i] != nil {
			return
		}
		// Its cache entry said the file had this hash when load
		// checked its stamp; a file changed since was not checked
		// against the other jobs (a token taken twice, say).
		if at[i] < 0 || sha256.Sum256(src) != s.sources[at[i]].hash {
			errs[i] = changedError(j.File)
			return
		}
		if !s.slim {
			*j = *full
			return
		}
		*j = *s.slimJob(full, at[i])
	})
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, nil, nil, nil, err
	}
	return have, stamps, trusted, kept, keep, nil
}

// trackTrusted counts the builds that trusted public/track without reading
// it, for the tests that check it is read whenever it changed.
var trackTrusted atomic.Int64

// cacheFor records this build for the next one, with the stamps that can
// tell a change (see vet): those of files read, known as of started, and of
// the pages written and their directories, known as of wrote. nested holds
// the output directories that had a subdirectory when write walked them.
// A job kept (see reuse) whose file was as its entry has it keeps its entry
// when the build wrote no page: nothing of it is looked up again.
// The pages' hashes are those out recorded when they were written. When it
// would record just what old does, it returns old itself: a build that
// changed nothing then allocates no entry.
func (s *Site) cacheFor(old *buildCache, key [32]byte, pub string, out *Output, changes *Changes, have map[string][]byte, stamps map[string]stamp,
	trusted map[string]bool, kept []bool, nested map[string]bool, started, wrote int64) *buildCache {
	// Looked up in the sorted changes, not in a set of them: a set of a
	// million paths would cost about 40 MB more at the build's peak.
	written := func(p string) bool {
		_, added := slices.BinarySearch(changes.Added, p)
		_, modified := slices.BinarySearch(changes.Modified, p)
		return added || modified
	}
	// entry makes the entry of the job s.Jobs[i], with the stamps of its
	// page read through track.
	entry := func(i int, track *statDir) cacheEntry {
		j := s.Jobs[i]
		e := cacheEntry{File: j.File, Src: s.sources[i].hash, SrcStat: vet(s.sources[i].stat, started), ID: j.ID, Token: j.Token,
			Service: j.Service, Status: j.Status}
		if j.cached != nil {
			e.Private = j.cached.Private
		} else {
			e.Private = packPrivate(j.Private)
		}
		if end := j.EndedAt(); !end.IsZero() {
			e.Ended = end.UnixNano()
		}
		p := TrackPath(j.Token)
		b, ok := out.heldPage(p)
		// A page kept (see keptPages) is trusted as one of have is.
		keptPage := out.kept != nil && out.kept.job[i]
		ok = ok || keptPage
		// The page's hash, false when neither its bytes nor its hash
		// are at hand: the entry then records no page, which the next
		// build reads again, rather than the hash of nothing.
		sum := func() ([32]byte, bool) {
			if h, ok := out.heldSum(p); ok {
				return h.sum, true
			}
			return sha256.Sum256(b), b != nil
		}
		switch {
		case !ok:
		case written(p):
			// write left the page's directory holding this page alone,
			// unless it has a subdirectory. A staged page's bytes are
			// gone from out; its hash stands for them.
			// The stamp is recorded only when the file is the size
			// written, which the sums keep for a staged page.
			var known bool
			if e.Page, known = sum(); !known {
				e.Page = [32]byte{}
				break
			}
			size := int64(-1)
			if b != nil {
				size = int64(len(b))
			} else if ps, ok := out.heldSum(p); ok {
				size = ps.size
			}
			if st, err := track.statIn(j.Token, "index.html", false); err == nil && st.Size == size {
				e.PageStat = vet(st, wrote)
			}
			if st, err := track.stat(j.Token, false); err == nil && !nested[path.Dir(p)] {
				e.DirStat = dirStamp(st, wrote)
			}
		default:
			full := filepath.Join(pub, filepath.FromSlash(p))
			if _, ok := have[p]; (ok || keptPage) && j.cached != nil {
				// A page trusted without reading has the stamp
				// recorded.
				st, read := stamps[p]
				if !read {
					st = j.cached.PageStat
				}
				e.Page, e.PageStat = j.cached.Page, vet(st, started)
			} else if h, known := sum(); known {
				if info, err := os.Lstat(full); err == nil {
					e.Page, e.PageStat = h, vet(stampOf(info), started)
				}
			}
			if st, listed := stamps[path.Dir(p)]; listed && trusted[path.Dir(p)] {
				// Listed by reuse, after the build began.
				e.DirStat = dirStamp(st, started)
			} else if (keptPage || trusted[path.Dir(p)]) && j.cached != nil {
				e.DirStat = j.cached.DirStat
			} else if onlyPage(filepath.Dir(full)) {
				// Listed after writing ended.
				if info, err := os.Lstat(filepath.Dir(full)); err == nil {
					e.DirStat = dirStamp(stampOf(info), wrote)
				}
			}
		}
		return e
	}
	trackStamp, trackEntries := trackRecord(old, filepath.Join(pub, "track"), wrote)
	jobsStat := dirStamp(s.jobsStat, started)
	checked := map[string][32]byte{}
	if !skipPrivacyCheck {
		for p, b := range out.files {
			if b != nil && !strings.HasPrefix(p, "track/") {
				checked[p] = sha256.Sum256(b)
			}
		}
	}
	if (old == nil || len(old.Jobs) == 0) && slices.IsSortedFunc(s.Jobs, func(a, b *Job) int { return strings.Compare(a.File, b.File) }) {
		// Nothing to keep from old: the entries are made as the cache
		// is written, a few thousand at a time, in the order it writes
		// them. A million entries held at once cost about 250 MB, at
		// the end of the build, while the jobs and the output are held.
		return &buildCache{Version: cacheVersion, Key: key, Checked: checked, Track: trackStamp, TrackEntries: trackEntries, JobsStat: jobsStat,
			stream: &entryStream{n: len(s.Jobs), fill: func(start int, out []cacheEntry) {
				track := openStatDir(filepath.Join(pub, "track"))
				defer track.close()
				parallel(len(out), 0, func(k int) { out[k] = entry(start+k, track) })
			}}}
	}
	track := openStatDir(filepath.Join(pub, "track"))
	defer track.close()
	entries := make([]*cacheEntry, len(s.Jobs))
	wroteNone := len(changes.Added) == 0 && len(changes.Modified) == 0
	parallel(len(s.Jobs), 0, func(i int) {
		j := s.Jobs[i]
		if e := j.cached; wroteNone && kept != nil && kept[i] && s.sources[i] == (jobSource{hash: e.Src, stat: e.SrcStat}) &&
			vet(e.SrcStat, started) == e.SrcStat && vet(e.PageStat, started) == e.PageStat {
			// Its file, page and page directory are as its entry
			// recorded them, and their stamps can still tell a
			// change: the entry it would get is this one.
			entries[i] = e
			return
		}
		e := entry(i, track)
		if j.cached != nil && e == *j.cached {
			entries[i] = j.cached
		} else {
			// A copy, so that only a new entry is allocated.
			n := e
			entries[i] = &n
		}
	})
	if old != nil && old.Key == key && len(old.Jobs) == len(s.Jobs) && sameChecked(old.Checked, checked) &&
		old.Track == trackStamp && old.TrackEntries == trackEntries && old.JobsStat == jobsStat {
		// Each job's entry is the one old keeps under its file (cachedJob
		// took it from there), so old holds these entries and no others.
		same := true
		for i, j := range s.Jobs {
			if entries[i] != j.cached {
				same = false
				break
			}
		}
		if same {
			return old
		}
	}
	// s.Jobs are sorted by file, as Jobs must be.
	return &buildCache{Version: cacheVersion, Key: key, Jobs: entries, Checked: checked,
		Track: trackStamp, TrackEntries: trackEntries, JobsStat: jobsStat}
}

// trackRecord returns the stamp of the directory track, once writing
// ended at the moment wrote, and how many entries it holds, or a zero stamp
// when they cannot tell a change (see vet). A stamp as old recorded it
// still holds what old counted, and is not read again.
func trackRecord(old *buildCache, track string, wrote int64) (stamp, int) {
	info, err := os.Lstat(track)
	if err != nil || !info.IsDir() {
		return stamp{}, 0
	}
	now := stampOf(info)
	if old != nil && old.fresh(old.Track, now) {
		return old.Track, old.TrackEntries
	}
	if s := dirStamp(now, wrote); s != (stamp{}) {
		now = s
	} else if now = settle(track, now); now == (stamp{}) {
		return stamp{}, 0
	}
	// Listed after the stat: an entry made or removed in between shows
	// in the next build's stamp.
	f, err := os.Open(track)
	if err != nil {
		return stamp{}, 0
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return stamp{}, 0
	}
	return now, len(names)
}

// settle returns the stamp s of the directory dir, which changed in the
// last tick of writing, as known at a moment past its racy window (see vet),
// once that moment has come, or none when it changed meanwhile. A listing
// of dir read after settle returned is known as of that moment. A clean
// build makes the last page directory in public/track in its last few
// milliseconds: without waiting them out, the next build would read the
// whole of public/track again. A window wider than 50 ms (a coarse file
// system) is not waited for.
func settle(dir string, s stamp) stamp {
	w := racyWindow(s.Mtime)
	if w > int64(50*time.Millisecond) {
		return stamp{}
	}
	// The clock moves a tick at a time, and can lag a busy machine's by
	// more than one: a few tries, each past the next tick, none longer
	// than twice the window (a time ahead of the clock is not waited
	// for).
	for range 3 {
		known := clock().UnixNano()
		if s.Mtime < known-w {
			info, err := os.Lstat(dir)
			if err != nil || !info.IsDir() || stampOf(info) != s {
				return stamp{}
			}
			return dirStamp(s, known)
		}
		time.Sleep(time.Duration(min(s.Mtime+w-known+1+clockTick(), 2*w)))
	}
	return stamp{}
}

// onlyPage reports whether the page directory dir holds index.html and
// nothing else, so that its modification time alone can tell it unchanged
// next time. A subdirectory could gain files without touching it.
func onlyPage(dir string) bool {
	entries, err := os.ReadDir(dir)
	return err == nil && len(entries) == 1 && entries[0].Name() == "index.html" && entries[0].Type().IsRegular()
}
