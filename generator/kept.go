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
	// sorted orders them by output path, made when first asked for by
	// path (see byPath): a build that changed nothing asks for none.
	once   sync.Once
	sorted []int32
}

// len is how many pages k holds; a nil k holds none.
func (k *keptPages) len() int {
	if k == nil {
		return 0
	}
	return len(k.tokens)
}

// comparePath compares the output paths of the tokens a and b: the path
// of a token is TrackPath(token), which a slash ends before the file name.
func comparePath(a, b string) int {
	n := min(len(a), len(b))
	if c := strings.Compare(a[:n], b[:n]); c != 0 {
		return c
	}
	// One token begins the other: the shorter is followed by a slash.
	switch {
	case len(a) == len(b):
		return 0
	case len(a) < len(b):
		return strings.Compare("/", b[n:n+1])
	default:
		return strings.Compare(a[n:n+1], "/")
	}
}

// byPath returns the indexes of k's pages in the order of their paths.
func (k *keptPages) byPath() []int32 {
	k.once.Do(func() {
		k.sorted = make([]int32, len(k.tokens))
		for i := range k.sorted {
			k.sorted[i] = int32(i)
		}
		slices.SortFunc(k.sorted, func(a, b int32) int { return comparePath(k.tokens[a], k.tokens[b]) })
	})
	return k.sorted
}

// find returns the index of the page at the output path p, and false when
// k holds none there.
func (k *keptPages) find(p string) (int, bool) {
	if k.len() == 0 {
		return 0, false
	}
	tok, ok := trackToken(p)
	if !ok {
		return 0, false
	}
	order := k.byPath()
	i, found := slices.BinarySearchFunc(order, tok, func(a int32, tok string) int { return comparePath(k.tokens[a], tok) })
	if !found {
		return 0, false
	}
	return int(order[i]), true
}

// paths returns the output paths of k's pages, sorted.
func (k *keptPages) paths() []string {
	if k.len() == 0 {
		return nil
	}
	out := make([]string, len(k.tokens))
	for i, at := range k.byPath() {
		out[i] = TrackPath(k.tokens[at])
	}
	return out
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
