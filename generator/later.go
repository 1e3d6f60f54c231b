package generator

import (
	"bytes"
	"crypto/sha256"
	"hash/maphash"
	"runtime"
)

// laterPages are the tracking pages of a build that are rendered twice:
// once to be checked and then dropped, and once more as they are written.
//
// Held from rendering until writing, the 10,000 tracking pages of a clean
// build are 70 MB of memory fresh from the system, and on a virtual
// machine the first touch of fresh memory costs far more than rendering
// into it does. Rendered into a buffer that every page of a worker reuses,
// a page is written to memory already mapped and in the cache; rendering
// it once more when it is written costs less than holding it did.
//
// Build keeps its promise all the same: nothing is written before every
// page was rendered and checked. A page is the same every time it is
// rendered (its job and the templates alone decide its bytes), and a hash
// of the page as checked stands guard over that: a page whose second
// rendering differs fails the build and is not written.
type laterPages struct {
	r    *renderer
	seed maphash.Seed
	// at holds the place of each page in jobs, sums and written, by
	// output path.
	at   map[string]int
	jobs []*Job
	// sums holds the hash of each page as it was checked.
	sums []uint64
	// written gets the SHA-256 and size of each page as it was written.
	written []pageSum
	// leaks holds what the check found in the pages.
	leaks []leak
	// tags holds a tag cache for each worker, as near as a channel gives
	// (see leakIndex.check).
	tags chan *tagCache
}

// laterPlan is what the first rendering of laterPages fills in, by the
// place of each page in the pages rendered.
type laterPlan struct {
	l     *laterPages
	taken []bool
	found [][]leak
}

func newLaterPlan(r *renderer, n int) *laterPlan {
	l := &laterPages{r: r, seed: maphash.MakeSeed(), jobs: make([]*Job, n), sums: make([]uint64, n),
		tags: make(chan *tagCache, runtime.GOMAXPROCS(0))}
	return &laterPlan{l: l, taken: make([]bool, n), found: make([][]leak, n)}
}

// first renders the tracking page of j, at output path p and place i, into
// a buffer it then drops, and checks it with x unless x is nil (a build
// without the privacy check).
func (pl *laterPlan) first(i int, j *Job, p string, x *leakIndex) error {
	l := pl.l
	b := buffers.Get().(*bytes.Buffer)
	defer buffers.Put(b)
	page, err := l.r.trackInto(b, j)
	if err != nil {
		return err
	}
	if x != nil {
		var tags *tagCache
		select {
		case tags = <-l.tags:
		default:
			tags = new(tagCache)
		}
		pl.found[i] = x.checkPage(p, page, tags)
		select {
		case l.tags <- tags:
		default:
		}
	}
	l.jobs[i], l.sums[i], pl.taken[i] = j, maphash.Bytes(l.seed, page), true
	return nil
}

// done returns the pages first rendered, paths holding their output paths
// by place.
func (pl *laterPlan) done(paths []string) *laterPages {
	l := pl.l
	l.at = make(map[string]int, len(paths))
	for i, p := range paths {
		if pl.taken[i] {
			l.at[p] = i
			l.leaks = append(l.leaks, pl.found[i]...)
		}
	}
	l.written = make([]pageSum, len(paths))
	l.tags = nil
	return l
}

// has reports whether the page at output path p is rendered when written.
func (l *laterPages) has(p string) bool {
	if l == nil {
		return false
	}
	_, ok := l.at[p]
	return ok
}

// again renders the page at output path p a second time, into b, and
// returns it: the page as it was checked, or an error.
func (l *laterPages) again(p string, b *bytes.Buffer) ([]byte, error) {
	k := l.at[p]
	j := l.jobs[k]
	page, err := l.r.trackInto(b, j)
	if err != nil {
		return nil, err
	}
	if maphash.Bytes(l.seed, page) != l.sums[k] {
		return nil, &Error{Pos: Pos{File: j.File}, Msg: "its tracking page " + p + " came out different from the page rendered and checked a moment before, and was not written",
			Hint: "a page is the same every time it is rendered: this is a bug in qdn; run the build again, and report it with this job file and the site's templates"}
	}
	l.written[k] = pageSum{sha256.Sum256(page), int64(len(page))}
	return page, nil
}
