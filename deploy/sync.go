package deploy

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/quickdumpnow/qdn/generator"
)

// DefaultConcurrency is how many uploads run at once unless told.
const DefaultConcurrency = 64

// Syncer publishes plans to one environment: a bucket, a key prefix and,
// when the environment has a distribution, its Invalidator.
type Syncer struct {
	Bucket Bucket
	Prefix string
	// Invalidator is nil when the environment has no CDN in front.
	Invalidator Invalidator
	// Concurrency bounds the uploads in flight.
	Concurrency int
	// Now and Rand are the clock and the randomness of deploy ids; nil means
	// the real ones.
	Now  func() time.Time
	Rand io.Reader
	// Progress, when set, is called after each upload with the uploads done
	// and the bytes sent so far.
	Progress func(done int, bytes int64)
	// CheckEvery, above 1, lets Fetch list a part of the bucket only: the
	// next part of the keys the manifest names, after where the previous
	// sync stopped (.qdn/check.json), in passes of at most CheckEvery
	// syncs (1/CheckEvery of the keys each, when their number stays the
	// same; see Check.Round), so that every key there when a pass starts
	// is listed within CheckEvery syncs. The rest is taken to be
	// as the manifest recorded it. If the part listed differs from the
	// manifest, all of it is listed. A sync that changes the bucket removes
	// the check before its first write and writes it again after the
	// manifest, so one stopped in between leaves the next listing
	// everything. 0 or 1 lists everything every time; so do Promoter's
	// syncers.
	CheckEvery int
	// Building, when set, is open while the site builds beside Fetch (qdn
	// sync closes it when its build is done): until then a partial
	// listing (see CheckEvery) lists one range at a time, then listRanges
	// at a time. Against S3 a part still ends before the build does, one
	// request after the other; a server on the same machine (a local
	// S3-compatible one) then takes the CPU of one range from the build,
	// not of eight. A full listing, twenty times longer, is not paced: one
	// range at a time would leave it running long after the build.
	Building <-chan struct{}
}

func (s *Syncer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Lease returns the lease of the environment's lock for l (see NewLock),
// to Open.
func (s *Syncer) Lease(l Lock) *Lease {
	return &Lease{Bucket: s.Bucket, Key: s.Prefix + LockKey, Lock: l}
}

// Remote is the state of an environment as one listing and the reads of
// the manifest and pending invalidation found it.
type Remote struct {
	// Objects are the objects the listing returned: all of those under
	// the prefix, or, when the listing was partial (Full is false; see
	// Syncer.CheckEvery), those in the part listed only, the others being
	// as the manifest recorded them.
	Objects  []Object
	Manifest *Manifest
	Pending  *Pending
	// Listed is how many keys the listing returned, and Full says it
	// covered the whole prefix.
	Listed int
	Full   bool
	// ManifestTook is how long the manifest took to read and decode, and
	// ListTook how long the listing took (the pending invalidation read
	// with it), for a timing breakdown.
	ManifestTook, ListTook time.Duration

	// check is where the next partial listing starts, to write after the
	// sync; nil when there is nothing to write.
	check *Check
	// after and through bound the paths of a partial listing, as
	// remoteView has them.
	after, through string
}

// Check is where the next sync of an environment starts its partial
// listing, kept in .qdn/check.json (see Syncer.CheckEvery).
type Check struct {
	// After is the last key the previous partial listing covered; ""
	// starts from the first key.
	After string `json:"after"`
	// Next is the part the next sync lists, worked out by the sync that
	// wrote the check from the manifest it left, so that the next one
	// lists it while it reads the manifest instead of after. A check
	// without it (as qdn wrote before) makes the next sync work the part
	// out from the manifest first.
	Next *Part `json:"next,omitempty"`
	// Round is the number, from 0, of the part after After in its pass
	// through the keys: a pass lists the keys still ahead of it in
	// CheckEvery-Round parts of equal size, so that it ends within
	// CheckEvery syncs however many keys the syncs in between add. A
	// check without it (as qdn wrote before) counts from 0.
	Round int `json:"round,omitempty"`
}

// Part is the part of the keys that a partial listing lists: those after
// the Check's After and through Through ("" for the last key), in ranges
// that end at each of Bounds in turn and then at Through, listed in
// parallel.
type Part struct {
	Through string   `json:"through"`
	Bounds  []string `json:"bounds,omitempty"`
}

// DefaultCheckEvery is the CheckEvery of qdn sync. A twentieth of 100,000
// keys is 5 list requests; a tenth took as much CPU of a server on the
// same machine (versitygw) as the cached build beside it.
const DefaultCheckEvery = 20

// Fetch lists the prefix and reads the manifest and the pending
// invalidation.
//
// The manifest's keys, which are what the bucket held after the last
// sync, split the listing into ranges of about 1,000 keys that are listed
// in parallel, listRanges at a time (a part one at a time while Building
// is open). That takes about as many list requests as one listing from
// start to end (ceil(N/1000), plus at most one per range when the bucket
// changed since), in a fraction of the time.
//
// With CheckEvery above 1 and a manifest of more than 8,000 keys, only
// the next 1/CheckEvery of the keys is listed (see CheckEvery), while the
// manifest is read when the check names that part and its ranges (Check.Next);
// if that part differs from the manifest in any way, everything is listed.
func (s *Syncer) Fetch(ctx context.Context) (*Remote, error) {
	r := &Remote{}
	var (
		check   *Check
		listed  []Object // the check's Next part, listed early
		pending *Pending
		early   bool
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		start := time.Now()
		defer func() { r.ManifestTook = time.Since(start) }()
		r.Manifest, err = s.readManifest(gctx)
		return err
	})
	if s.CheckEvery > 1 {
		g.Go(func() (err error) {
			if check, err = s.readCheck(gctx); err != nil || check == nil || check.Next == nil {
				return err
			}
			start := time.Now()
			defer func() { r.ListTook = time.Since(start) }()
			listed, pending, err = s.listPart(gctx, check.After, check.Next.Through, check.Next.Bounds)
			early = true
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	paths := listedPaths(r.Manifest)
	n := paths.len()
	start := time.Now()
	defer func() { r.ListTook += time.Since(start) }()
	if check != nil && r.Manifest != nil && n > partialFrom {
		after, through, round := check.After, "", check.Round
		if early {
			through = check.Next.Through
		} else {
			var bounds []string
			after, through, bounds, round = s.part(paths, check.After, check.Round)
			var err error
			if listed, pending, err = s.listPart(ctx, after, through, bounds); err != nil {
				return nil, err
			}
		}
		if s.matches(r.Manifest, paths, listed, after, through) {
			s.shareETags(listed, r.Manifest)
			r.Pending, r.Objects = pending, listed
			r.after, r.through = strings.TrimPrefix(after, s.Prefix), strings.TrimPrefix(through, s.Prefix)
			r.Listed, r.Full, r.check = len(listed), false, &Check{After: through, Round: round + 1}
			return r, nil
		}
	}
	var err error
	if r.Objects, err = s.list(ctx, paths); err != nil {
		return nil, err
	}
	s.shareETags(r.Objects, r.Manifest)
	r.Listed, r.Full, r.check = len(r.Objects), true, nil
	if s.CheckEvery > 1 {
		// The next sync may list in part, from the first key.
		r.check = &Check{}
	}
	for _, o := range r.Objects {
		if o.Key == s.Prefix+PendingKey {
			if r.Pending, err = s.readPending(ctx); err != nil {
				return nil, err
			}
		}
	}
	return r, nil
}

// readManifest reads the manifest, nil when there is none. From an
// Opener it is decoded as it arrives, so that its bytes (some 90 MB for a
// million keys) are never all in memory.
func (s *Syncer) readManifest(ctx context.Context) (*Manifest, error) {
	key := s.Prefix + ManifestKey
	o, ok := s.Bucket.(Opener)
	if !ok {
		b, err := s.Bucket.Get(ctx, key)
		if errors.Is(err, ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return decodeManifest(b)
	}
	body, size, err := o.Open(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer body.Close()
	return readManifest(body, size)
}

// readCheck reads the check, nil when there is none: the first sync that
// may list in part, or one that changed the bucket stopped before its
// manifest (see apply). A check that cannot be read starts over from the
// first key.
func (s *Syncer) readCheck(ctx context.Context) (*Check, error) {
	b, err := s.Bucket.Get(ctx, s.Prefix+CheckKey)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var c Check
	if json.Unmarshal(b, &c) != nil {
		return &Check{}, nil
	}
	// A round below 0 would split the keys ahead in more parts than a
	// pass has syncs.
	c.Round = max(c.Round, 0)
	return &c, nil
}

// part returns the next part of paths (as listedPaths returns them)
// after the key after, the part numbered round (from 0) of its pass through
// the keys: the keys it lists after and through ("" for no bound), the
// bounds of its ranges, and its round. The keys still ahead are split in
// CheckEvery-round parts, so that the pass ends within CheckEvery syncs
// even when keys are added ahead of it: a part of a pass that stays the
// same size is 1/CheckEvery of the keys. After the last key a new pass
// starts at the first, round 0.
func (s *Syncer) part(paths keyPaths, after string, round int) (from, through string, bounds []string, r int) {
	total := paths.len()
	start := 0
	if after != "" {
		start, _ = paths.search(strings.TrimPrefix(after, s.Prefix))
	}
	if start < total && s.key(paths.at(start)) == after {
		start++
	}
	if start >= total {
		start = 0
	}
	if start == 0 {
		round = 0
	}
	left := max(s.CheckEvery-round, 1)
	n := (total - start + left - 1) / left
	if start > 0 {
		from = s.key(paths.at(start - 1))
	}
	end := min(start+n, total)
	if end < total {
		through = s.key(paths.at(end - 1))
	}
	for i := start + listRange - 1; i < end-1; i += listRange {
		bounds = append(bounds, s.key(paths.at(i)))
	}
	return from, through, bounds, round
}

// listPart lists the keys after after and through through, in ranges
// ending at each of bounds, while it reads the pending invalidation.
func (s *Syncer) listPart(ctx context.Context, after, through string, bounds []string) ([]Object, *Pending, error) {
	var (
		listed  []Object
		pending *Pending
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		listed, err = s.listRanges(gctx, after, append(slices.Clip(bounds), through), s.Building)
		return err
	})
	g.Go(func() (err error) {
		pending, err = s.readPending(gctx)
		return err
	})
	return listed, pending, g.Wait()
}

// matches says whether listed, the keys after after and through through
// ("" for no bound), are exactly the paths of m in that part, as m
// recorded them, with none else but qdn's state; paths are m's, as
// listedPaths returns them.
func (s *Syncer) matches(m *Manifest, paths keyPaths, listed []Object, after, through string) bool {
	seen := 0
	for _, o := range listed {
		path, ok := strings.CutPrefix(o.Key, s.Prefix)
		if !ok || strings.HasPrefix(path, StateDir) {
			continue
		}
		e, ok := m.Lookup(path)
		if !ok || e.ETag != o.ETag || e.Size != o.Size {
			return false
		}
		seen++
	}
	lo, hi := 0, paths.len()
	if after != "" {
		lo, _ = paths.search(strings.TrimPrefix(after, s.Prefix))
		if lo < paths.len() && s.key(paths.at(lo)) == after {
			lo++
		}
	}
	if through != "" {
		var found bool
		hi, found = paths.search(strings.TrimPrefix(through, s.Prefix))
		if found {
			hi++
		}
	}
	for i := lo; i < hi; i++ {
		if !strings.HasPrefix(paths.at(i), StateDir) {
			seen--
		}
	}
	return seen == 0 // else a path of the manifest is missing from its part
}

// key returns the key of path under the prefix, "" for "" (no bound).
func (s *Syncer) key(path string) string {
	if path == "" {
		return ""
	}
	return s.Prefix + path
}

// readPending reads the pending invalidation, nil when there is none.
func (s *Syncer) readPending(ctx context.Context) (*Pending, error) {
	b, err := s.Bucket.Get(ctx, s.Prefix+PendingKey)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decodePending(b)
}

// listRange is how many keys of the manifest make one range of the
// listing, and listRanges how many ranges are listed at once.
const (
	listRange  = 1000
	listRanges = 8
)

// partialFrom is how many keys a bucket must hold for a partial listing
// (see Syncer.CheckEvery): below, a full listing is one round of requests
// in parallel, and the reads and the write of the check would cost more
// than they save.
var partialFrom = listRange * listRanges

// statePaths are qdn's objects in the bucket while a sync lists it: the
// manifest, the lock that the sync holds, and the check, sorted.
var statePaths = []string{CheckKey, LockKey, ManifestKey}

// keyPaths are the paths a listing of an environment expects, sorted: a
// manifest's with statePaths among them, without a copy of the manifest's
// (16 MB of string headers for a million keys).
type keyPaths struct {
	// some says there is a manifest: without one, there are no paths.
	some    bool
	entries []Entry
	// state is where statePaths go among the entries; all, when a
	// manifest has paths under StateDir, which qdn never writes, as the
	// paths sorted.
	state int
	all   []string
}

// listedPaths returns the paths m names with statePaths; none when m is
// nil.
func listedPaths(m *Manifest) keyPaths {
	if m == nil {
		return keyPaths{}
	}
	k := keyPaths{some: true, entries: m.Entries}
	k.state, _ = m.find(StateDir)
	if k.state == len(m.Entries) || !strings.HasPrefix(m.Entries[k.state].Path, StateDir) {
		return k
	}
	k.all = make([]string, len(m.Entries), len(m.Entries)+len(statePaths))
	for i, e := range m.Entries {
		k.all[i] = e.Path
	}
	for _, p := range statePaths {
		if i, found := slices.BinarySearch(k.all, p); !found {
			k.all = slices.Insert(k.all, i, p)
		}
	}
	return k
}

func (k keyPaths) len() int {
	switch {
	case k.all != nil:
		return len(k.all)
	case !k.some:
		return 0
	}
	return len(k.entries) + len(statePaths)
}

// at returns the i-th path.
func (k keyPaths) at(i int) string {
	switch {
	case k.all != nil:
		return k.all[i]
	case i < k.state:
		return k.entries[i].Path
	case i < k.state+len(statePaths):
		return statePaths[i-k.state]
	}
	return k.entries[i-len(statePaths)].Path
}

// search returns where path is or would be, and whether it is there.
func (k keyPaths) search(path string) (int, bool) {
	return sort.Find(k.len(), func(i int) int { return strings.Compare(path, k.at(i)) })
}

// list lists every key under the prefix, in ranges of listRange of
// paths, the paths expected there, listed in parallel.
func (s *Syncer) list(ctx context.Context, paths keyPaths) ([]Object, error) {
	var ends []string // the last key of each range, "" for the last one
	for i := listRange - 1; i < paths.len()-1; i += listRange {
		ends = append(ends, s.Prefix+paths.at(i))
	}
	return s.listRanges(ctx, "", append(ends, ""), nil)
}

// listRanges lists the keys under the prefix after after ("" from the
// first) in ranges that end at each key of ends in turn ("" for the last
// key), listRanges of them at once, or one at a time while building is
// open (see Syncer.Building; nil for no wait). Each range is appended to the listing as soon as those before it
// are, into room for about listRange keys a range, so that the ranges and
// the whole listing are not all held at once.
func (s *Syncer) listRanges(ctx context.Context, after string, ends []string, building <-chan struct{}) ([]Object, error) {
	var (
		mu     sync.Mutex
		ranges = make([][]Object, len(ends))
		done   = make([]bool, len(ends))
		next   int // the first range not appended yet
		listed = make([]Object, 0, len(ends)*listRange+len(statePaths))
	)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(listRanges)
	answered := make(chan struct{}, len(ends)) // a range listed
	for i := range ranges {
		from := after
		if i > 0 {
			from = ends[i-1]
		}
		if i > 0 && building != nil {
			select {
			case <-answered:
			case <-building:
				building = nil
			case <-gctx.Done():
			}
		}
		if gctx.Err() != nil {
			// A range failed, or ctx is done: ask for no more.
			break
		}
		g.Go(func() error {
			objs, err := s.Bucket.List(gctx, s.Prefix, from, ends[i])
			if err != nil {
				return err
			}
			defer func() { answered <- struct{}{} }()
			mu.Lock()
			defer mu.Unlock()
			ranges[i], done[i] = objs, true
			for ; next < len(ranges) && done[next]; next++ {
				listed = append(listed, ranges[next]...)
				ranges[next] = nil
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		// Cancelled between two ranges: say why (the lock lost, say).
		return nil, context.Cause(ctx)
	}
	return listed, nil
}

// shareETags has each object of a listing, sorted by key, that has the
// ETag its entry in m records use the entry's string rather than its own,
// which is then freed: some 30 to 50 MB for a million keys listed.
func (s *Syncer) shareETags(objects []Object, m *Manifest) {
	if m == nil {
		return
	}
	j := 0
	for i := range objects {
		o := &objects[i]
		path, ok := strings.CutPrefix(o.Key, s.Prefix)
		if !ok {
			continue
		}
		for j < len(m.Entries) && m.Entries[j].Path < path {
			j++
		}
		if j < len(m.Entries) && m.Entries[j].Path == path && m.Entries[j].ETag == o.ETag {
			o.ETag = m.Entries[j].ETag
		}
	}
}

// Plan returns what publishing files over r would do (see NewPlan), with
// the syncer's prefix and whether it has an Invalidator. A
// *TooManyDeletesError comes with the plan it refused.
func (s *Syncer) Plan(r *Remote, files []File, opt PlanOptions) (*Plan, error) {
	opt.Prefix = s.Prefix
	opt.Invalidate = s.Invalidator != nil
	if opt.Now.IsZero() {
		opt.Now = s.now()
	}
	view := listedView(r.Objects, s.Prefix, r.Manifest)
	if !r.Full && r.Manifest != nil {
		view.partial, view.after, view.through = true, r.after, r.through
	}
	p, err := newPlan(files, view, r.Manifest, r.Pending, opt)
	if p != nil && (!r.Full || len(files) > partialFrom) {
		// A bucket too small to list in part gets no check.
		p.check = r.check
	}
	return p, err
}

// Deploy describes what is deployed, for the manifest.
type Deploy struct {
	Commit string
	Dirty  bool
}

// Result is what Apply did.
type Result struct {
	Plan          *Plan `json:"plan"`
	Uploaded      int   `json:"uploaded"`
	UploadedBytes int64 `json:"uploaded_bytes"`
	Deleted       int   `json:"deleted"`
	Unchanged     int   `json:"unchanged"`
	// InvalidationID is the CloudFront invalidation made, if any.
	InvalidationID string `json:"invalidation_id,omitempty"`
	// CallerReference is the invalidation's CallerReference.
	CallerReference string `json:"caller_reference,omitempty"`
}

// StepError is a failed step of Apply, naming it.
type StepError struct {
	Step string
	Err  error
}

func (e *StepError) Error() string { return e.Step + ": " + e.Err.Error() }
func (e *StepError) Unwrap() error { return e.Err }

// Apply carries out p: it records the pending invalidation, uploads the
// assets, then the HTML, deletes, writes the manifest and invalidates, each
// step only if every one before succeeded (see change). A failure leaves the
// pending invalidation in the bucket, so that the next sync still makes it.
func (s *Syncer) Apply(ctx context.Context, p *Plan, d Deploy) (*Result, error) {
	res := &Result{Plan: p, Unchanged: p.Unchanged}
	assets := 0
	for _, a := range p.Uploads {
		if f, _ := p.file(a.Path); !isHTML(f) {
			assets++
		}
	}
	c := change{
		verb: "upload", writes: p.Uploads, assets: assets, deletes: p.Deletes,
		pending: p.pending, inv: p.Invalidation, firstSync: p.manifest.Version == 0,
		write: func(ctx context.Context, a Action) (string, error) {
			f, _ := p.file(a.Path)
			body, err := f.bytes()
			if err != nil {
				return "", fmt.Errorf("upload %s: %w", a.Key, err)
			}
			etag, err := s.Bucket.Put(ctx, a.Key, body, f.Headers)
			if err != nil {
				return "", fmt.Errorf("upload %s: %w", a.Key, err)
			}
			return etag, nil
		},
		manifest: func(etags []string) *Manifest { return s.nextManifest(p, etags, d) },
		check:    p.check, dropCheck: p.check != nil, known: p.manifest,
	}
	done, err := s.apply(ctx, c)
	res.Uploaded, res.UploadedBytes, res.Deleted = done.written, done.bytes, done.deleted
	res.CallerReference, res.InvalidationID = done.ref, done.id
	return res, err
}

// change is what applying a sync or a promotion does to an environment:
// objects to write (the first assets of them are assets, the rest HTML),
// keys to delete, and the
// invalidation of the plan. write says how an object gets to the bucket:
// put from local bytes, or copied server-side.
type change struct {
	// verb names a write in errors: "upload" or "copy".
	verb      string
	writes    []Action
	assets    int
	deletes   []Action
	pending   *Pending
	inv       Invalidation
	firstSync bool
	// write brings the object of a to the bucket; its error names it.
	write func(ctx context.Context, a Action) (etag string, err error)
	// manifest returns the manifest once every write is done: etags
	// holds the ETag of each of writes, in their order. A slice, not a
	// map by key: a million of them take 16 MB, not some 60.
	manifest func(etags []string) *Manifest
	// check, when not nil, is written once the manifest is: where the
	// next partial listing starts.
	check *Check
	// dropCheck is set when the bucket may hold a check: a change that
	// writes or deletes removes it first (see apply).
	dropCheck bool
	// known is the manifest in the bucket before the change, for the
	// check's next part when no manifest is written.
	known *Manifest
}

// applied is what apply did.
type applied struct {
	written, deleted int
	bytes            int64
	ref, id          string
}

// apply carries out c in the crash-safe order: record the pending
// invalidation, write the assets, then the HTML, delete, write the
// manifest, invalidate, each step only if every one before succeeded. The
// manifest is written only when something changed or there is none yet.
func (s *Syncer) apply(ctx context.Context, c change) (applied, error) {
	var done applied
	if c.dropCheck && (len(c.writes) > 0 || len(c.deletes) > 0) {
		// Outside the part it lists, a partial listing trusts the
		// manifest. A change of the bucket (a sync, or a promotion to
		// it) removes the check first, so that if it stops before its
		// manifest is written, the next sync finds no check and lists
		// everything.
		if err := s.Bucket.Delete(ctx, []string{s.Prefix + CheckKey}); err != nil {
			return done, &StepError{Step: "remove check", Err: err}
		}
	}
	pending, err := s.recordPending(ctx, c.pending, c.inv.Exact)
	if err != nil {
		return done, err
	}
	etags := make([]string, len(c.writes))
	for _, group := range [][2]int{{0, c.assets}, {c.assets, len(c.writes)}} {
		if err := s.writeAll(ctx, c, group[0], group[1], etags, &done); err != nil {
			return done, &StepError{Step: c.verb, Err: err}
		}
	}
	if err := s.delete(ctx, c.deletes); err != nil {
		return done, err
	}
	done.deleted = len(c.deletes)
	known := c.known
	if len(c.writes) > 0 || len(c.deletes) > 0 || len(c.inv.Paths) > 0 || c.firstSync {
		known = c.manifest(etags)
		if err := s.putManifest(ctx, known); err != nil {
			return done, err
		}
	}
	if c.check != nil {
		// The next part is worked out from the manifest the bucket now
		// has, for the next sync to list while it reads it.
		check := *c.check
		if known != nil {
			// From where the part really starts: after the last key,
			// it starts again at the first.
			from, through, bounds, round := s.part(listedPaths(known), check.After, check.Round)
			check.After, check.Next, check.Round = from, &Part{Through: through, Bounds: bounds}, round
		}
		b, err := json.Marshal(check)
		if err != nil {
			return done, err
		}
		if _, err := s.Bucket.Put(ctx, s.Prefix+CheckKey, b, stateHeaders); err != nil {
			return done, &StepError{Step: "write check", Err: fmt.Errorf("put %s: %w", s.Prefix+CheckKey, err)}
		}
	}
	done.ref, done.id, err = s.invalidate(ctx, pending, c.inv.Paths)
	return done, err
}

// delete removes the keys of deletes in batches.
func (s *Syncer) delete(ctx context.Context, deletes []Action) error {
	if len(deletes) == 0 {
		return nil
	}
	keys := make([]string, len(deletes))
	for i, a := range deletes {
		keys[i] = a.Key
	}
	if err := s.Bucket.Delete(ctx, keys); err != nil {
		return &StepError{Step: "delete", Err: err}
	}
	return nil
}

// putManifest writes m as the environment's manifest: to a Streamer as it
// is encoded (the bytes of a million keys, 87 MB, are never all in
// memory), else from its bytes.
func (s *Syncer) putManifest(ctx context.Context, m *Manifest) error {
	key := s.Prefix + ManifestKey
	var err error
	if st, ok := s.Bucket.(Streamer); ok {
		var r *manifestStream
		if r, err = newManifestStream(m); err != nil {
			return err
		}
		_, err = st.PutFrom(ctx, key, r, r.size, manifestHeaders)
	} else {
		var b []byte
		if b, err = encodeManifest(m); err != nil {
			return err
		}
		_, err = s.Bucket.Put(ctx, key, b, manifestHeaders)
	}
	if err != nil {
		return &StepError{Step: "write manifest", Err: fmt.Errorf("put %s: %w", key, err)}
	}
	return nil
}

// recordPending writes the invalidation of exact to the pending record
// before anything is changed, keeping the id of an invalidation already
// pending, and returns the record (nil when there is nothing to
// invalidate).
func (s *Syncer) recordPending(ctx context.Context, pending *Pending, exact []string) (*Pending, error) {
	if len(exact) == 0 || (pending != nil && slices.Equal(pending.Paths, exact)) {
		return pending, nil
	}
	next := &Pending{Since: s.now().UTC(), Paths: exact}
	if pending != nil {
		next.ID, next.Since = pending.ID, pending.Since
	} else {
		id, err := s.newID()
		if err != nil {
			return nil, err
		}
		next.ID = id
	}
	b, err := json.MarshalIndent(next, "", "  ")
	if err != nil {
		return nil, err
	}
	if _, err := s.Bucket.Put(ctx, s.Prefix+PendingKey, b, stateHeaders); err != nil {
		return nil, &StepError{Step: "record pending invalidation", Err: fmt.Errorf("put %s: %w", s.Prefix+PendingKey, err)}
	}
	return next, nil
}

// invalidate asks the Invalidator for paths, under a CallerReference
// derived from the pending record, and clears the record once CloudFront
// accepted them. It does nothing without paths or an Invalidator.
func (s *Syncer) invalidate(ctx context.Context, pending *Pending, paths []string) (ref, id string, err error) {
	if len(paths) == 0 || s.Invalidator == nil {
		return "", "", nil
	}
	ref = callerReference(pending.ID, paths)
	id, err = s.Invalidator.Invalidate(ctx, ref, paths)
	if err != nil {
		return ref, "", &StepError{Step: "invalidate", Err: err}
	}
	if err := s.Bucket.Delete(ctx, []string{s.Prefix + PendingKey}); err != nil {
		return ref, id, &StepError{Step: "clear pending invalidation", Err: err}
	}
	return ref, id, nil
}

// stateHeaders are the headers of qdn's own objects: never cached.
var (
	stateHeaders    = generator.Headers{ContentType: "application/json", CacheControl: "no-store"}
	manifestHeaders = generator.Headers{ContentType: "application/octet-stream", CacheControl: "no-store"}
)

// writeAll writes the objects of c.writes from from to to, Concurrency at
// a time, each ETag at its index in etags, and reports how many failed and
// the first of them (see shownErrors).
func (s *Syncer) writeAll(ctx context.Context, c change, from, to int, etags []string, done *applied) error {
	group := c.writes[from:to]
	var (
		mu     sync.Mutex
		errs   []error
		failed int
	)
	g := new(errgroup.Group)
	g.SetLimit(max(1, s.Concurrency))
	for i, a := range group {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			etag, err := c.write(ctx, a)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				// An interruption is reported once below, not per key.
				if ctx.Err() == nil {
					failed++
					if len(errs) < shownErrors {
						errs = append(errs, err)
					}
				}
				return nil
			}
			etags[from+i] = etag
			done.written++
			done.bytes += a.Size
			if s.Progress != nil {
				s.Progress(done.written, done.bytes)
			}
			return nil
		})
	}
	_ = g.Wait()
	var err error
	switch {
	case failed > len(errs):
		err = fmt.Errorf("%d of %d %ss failed, the first %d of them:\n%w", failed, len(group), c.verb, len(errs), errors.Join(errs...))
	case len(errs) > 1:
		err = fmt.Errorf("%d of %d %ss failed:\n%w", len(errs), len(group), c.verb, errors.Join(errs...))
	default:
		err = errors.Join(errs...)
	}
	if ctx.Err() != nil {
		// Counted apart from the writes that failed.
		err = errors.Join(err, fmt.Errorf("interrupted after %d %ss: %w", done.written, c.verb, context.Cause(ctx)))
	}
	return err
}

// shownErrors is how many of the writes that failed a sync reports, and
// keeps: a bucket that refuses a million uploads (its disk full) is one
// message of some lines, not a million, held at some KB each.
const shownErrors = 10

// nextManifest returns the manifest of the bucket once p is applied, given
// the ETag of each of p.Uploads, all of them written. It is the manifest p
// was planned against, updated in place when the build made the same paths
// (a sync of a million objects that changed a few then holds one manifest,
// not two), else a new one that keeps the entries of the files not
// written.
func (s *Syncer) nextManifest(p *Plan, etags []string, d Deploy) *Manifest {
	m := &Manifest{Version: manifestVersion, Commit: d.Commit, Dirty: d.Dirty, Synced: s.now().UTC()}
	m.Invalidated = s.countInvalidated(p.manifest.Invalidated, len(p.Invalidation.Paths))
	old := p.manifest.Entries
	same := len(old) == len(p.files)
	for i := 0; same && i < len(old); i++ {
		same = old[i].Path == p.files[i].Path
	}
	if same {
		m.Entries = old
	} else {
		// A file not written is unchanged, so its entry is there: the
		// plan uploads every other. Those written are set below.
		m.Entries = make([]Entry, len(p.files))
		j := 0
		for i, f := range p.files {
			for j < len(old) && old[j].Path < f.Path {
				j++
			}
			if j < len(old) && old[j].Path == f.Path {
				m.Entries[i] = old[j]
			}
		}
	}
	fingerprints := map[generator.Headers]string{}
	for k, a := range p.Uploads {
		i, ok := p.fileIndex(a.Path)
		if !ok {
			// Not a file of the plan (an upload added to it by
			// hand): it has no entry to hold its ETag.
			continue
		}
		f := p.files[i]
		fp, ok := fingerprints[f.Headers]
		if !ok {
			fp = Fingerprint(f.Headers)
			fingerprints[f.Headers] = fp
		}
		m.Entries[i] = Entry{Path: f.Path, Hash: f.Hash, Headers: fp, Size: f.Size, ETag: etags[k]}
	}
	return m
}

// countInvalidated adds paths to the month's count of invalidation paths
// that prev holds, starting over in a new month.
func (s *Syncer) countInvalidated(prev MonthCount, paths int) MonthCount {
	c := MonthCount{Month: s.now().UTC().Format("2006-01")}
	if prev.Month == c.Month {
		c.Paths = prev.Paths
	}
	if s.Invalidator != nil {
		c.Paths += paths
	}
	return c
}

func (s *Syncer) newID() (string, error) {
	r := s.Rand
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, 8)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("deploy id: %w", err)
	}
	return s.now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b), nil
}

// callerReference derives an invalidation's CallerReference from the deploy
// and its paths: the same deploy retried sends the same reference, which
// CloudFront answers with the invalidation it already made instead of
// billing a new one.
func callerReference(id string, paths []string) string {
	sum := sha256.Sum256([]byte(id + "\n" + strings.Join(paths, "\n")))
	return "qdn-" + hex.EncodeToString(sum[:16])
}

// Wait polls the invalidation id every interval until it is completed,
// calling progress with each status it reads.
func (s *Syncer) Wait(ctx context.Context, id string, interval time.Duration, progress func(status string, waited time.Duration)) error {
	start := s.now()
	for {
		st, err := s.Invalidator.InvalidationStatus(ctx, id)
		if err != nil {
			return err
		}
		if progress != nil {
			progress(st, s.now().Sub(start))
		}
		if strings.EqualFold(st, "completed") {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for invalidation %s: %w", id, ctx.Err())
		case <-time.After(interval):
		}
	}
}
