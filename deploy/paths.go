package deploy

import (
	"sort"
	"strings"
)

// MaxWildcards is how many wildcard paths CloudFront allows in progress at
// once; a collapsed invalidation never holds more.
const MaxWildcards = 15

// CollapsePaths returns exact, sorted, when it holds at most max paths.
// Otherwise it replaces groups of paths by the wildcard of a parent
// directory ("/track/*") until at most max remain, using at most
// MaxWildcards wildcards, and preferring the deepest directory that is
// enough, so that as little as possible is dropped from the caches. "/*" is
// the last resort, when no set of parent wildcards is enough.
func CollapsePaths(exact []string, max int) []string {
	items := map[string]bool{}
	for _, p := range exact {
		items[p] = true
	}
	if len(items) <= max {
		return sortedKeys(items)
	}
	if max < 1 {
		return []string{"/*"}
	}
	for len(items) > max {
		counts := map[string]int{}
		wildcards := 0
		for it := range items {
			if isWildcard(it) {
				wildcards++
			}
			for _, d := range ancestorDirs(it) {
				counts[d]++
			}
		}
		best, bestGain := "", 0
		enough := ""
		for d, n := range counts {
			gain := n - 1
			if gain <= 0 {
				continue
			}
			// Wildcards the candidate would absorb.
			absorbed := 0
			for it := range items {
				if isWildcard(it) && strings.HasPrefix(it, d) {
					absorbed++
				}
			}
			if wildcards-absorbed+1 > MaxWildcards {
				continue
			}
			if len(items)-gain <= max && (enough == "" || deeper(d, enough)) {
				enough = d
			}
			if gain > bestGain || (gain == bestGain && deeper(d, best)) {
				best, bestGain = d, gain
			}
		}
		if enough != "" {
			best = enough
		}
		if best == "" {
			return []string{"/*"}
		}
		for it := range items {
			if strings.HasPrefix(it, best) {
				delete(items, it)
			}
		}
		items[best+"*"] = true
	}
	return sortedKeys(items)
}

func isWildcard(p string) bool { return strings.HasSuffix(p, "*") }

// ancestorDirs returns the directories whose wildcard would cover p, other
// than the root: for /track/t/index.html, /track/ and /track/t/; for
// /track/t/, the same; for the wildcard /track/t/*, only /track/.
func ancestorDirs(p string) []string {
	limit := len(p)
	if isWildcard(p) {
		limit = len(p) - 3 // the wildcard's own directory is not an ancestor
	}
	var dirs []string
	for i := 1; i < len(p) && i <= limit; i++ {
		if p[i] == '/' {
			dirs = append(dirs, p[:i+1])
		}
	}
	return dirs
}

// deeper says whether directory a is a better, narrower choice than b.
func deeper(a, b string) bool {
	if b == "" {
		return true
	}
	if na, nb := strings.Count(a, "/"), strings.Count(b, "/"); na != nb {
		return na > nb
	}
	return a < b
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
