package generator

import (
	"slices"
	"strings"
	"sync"
)

// keptPages are the tracking pages a cached build kept in public/ without
// reading them (see reuse): each is as the last build left it, in a page
// directory holding nothing else, in a public/track holding nothing but
// such directories. Nothing of them is rendered, checked or written, and
// the build that changed nothing keeps all of its pages so: listing them
// as a token and a sum each, not as an entry of the output's map by path,
// spares it a map and a path string a page (about a third of its time at
// 100,000 pages).
type keptPages struct {
	// tokens are the pages' jobs' tokens, in the order of their jobs;
	// sums their pages' hashes and sizes, as the cache recorded them.
	tokens []string
	sums   []pageSum
	// job is set, by index in the site's Jobs, for each job whose page
	// k holds.
	job []bool
	// paths are their output paths, sorted, and at the index of each in
	// tokens: made when first asked for by path (see byPath), which a
	// build that changed nothing does not do.
	once  sync.Once
	paths []string
	at    []int32
}

// len is how many pages k holds; a nil k holds none.
func (k *keptPages) len() int {
	if k == nil {
		return 0
	}
	return len(k.tokens)
}

// byPath returns the output paths of k's pages, sorted, and the index in
// tokens of each. The two halves are sorted on two cores, then merged.
func (k *keptPages) byPath() ([]string, []int32) {
	k.once.Do(func() {
		type page struct {
			path string
			at   int32
		}
		pages := make([]page, len(k.tokens))
		for i, tok := range k.tokens {
			pages[i] = page{TrackPath(tok), int32(i)}
		}
		byPath := func(a, b page) int { return strings.Compare(a.path, b.path) }
		half := len(pages) / 2
		var wg sync.WaitGroup
		wg.Go(func() { slices.SortFunc(pages[:half], byPath) })
		slices.SortFunc(pages[half:], byPath)
		wg.Wait()
		k.paths, k.at = make([]string, 0, len(pages)), make([]int32, 0, len(pages))
		a, b := pages[:half], pages[half:]
		for len(a) > 0 || len(b) > 0 {
			var next page
			if len(b) == 0 || len(a) > 0 && a[0].path < b[0].path {
				next, a = a[0], a[1:]
			} else {
				next, b = b[0], b[1:]
			}
			k.paths, k.at = append(k.paths, next.path), append(k.at, next.at)
		}
	})
	return k.paths, k.at
}

// find returns the index of the page at the output path p, and false when
// k holds none there.
func (k *keptPages) find(p string) (int, bool) {
	if k.len() == 0 || !strings.HasPrefix(p, "track/") {
		return 0, false
	}
	paths, at := k.byPath()
	i, found := slices.BinarySearch(paths, p)
	if !found {
		return 0, false
	}
	return int(at[i]), true
}

// sortedPaths returns the output paths of k's pages, sorted. They are k's own:
// do not change them.
func (k *keptPages) sortedPaths() []string {
	if k.len() == 0 {
		return nil
	}
	paths, _ := k.byPath()
	return paths
}

// under reports whether k holds a page under the directory p: track, or the
// page directory track/<token>.
func (k *keptPages) under(p string) bool {
	if k.len() == 0 {
		return false
	}
	if p == "track" {
		return true
	}
	tok, ok := strings.CutPrefix(p, "track/")
	if !ok || strings.Contains(tok, "/") {
		return false
	}
	_, ok = k.find(TrackPath(tok))
	return ok
}
