package deploy

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestCollapsePaths(t *testing.T) {
	tracks := func(n int) []string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprintf("/track/t%03d/", i), fmt.Sprintf("/track/t%03d/index.html", i))
		}
		return out
	}
	tests := []struct {
		name  string
		exact []string
		max   int
		want  []string
	}{
		{"nothing", nil, 10, []string{}},
		{"under the limit stays exact", []string{"/b.css", "/a.css"}, 2, []string{"/a.css", "/b.css"}},
		{"duplicates count once", []string{"/a.css", "/a.css"}, 1, []string{"/a.css"}},
		{"one page's two URIs become its directory", []string{"/track/t/", "/track/t/index.html", "/a.css"}, 2,
			[]string{"/a.css", "/track/t/*"}},
		{"many pages collapse to their parent", tracks(50), 10, []string{"/track/*"}},
		{"the deepest directory that is enough", append(tracks(3), "/book/x/", "/book/x/index.html", "/book/y/", "/book/y/index.html"), 7,
			[]string{"/book/*", "/track/t000/", "/track/t000/index.html", "/track/t001/", "/track/t001/index.html", "/track/t002/", "/track/t002/index.html"}},
		{"files at the root leave only /*", []string{"/a.css", "/b.css", "/c.css"}, 2, []string{"/*"}},
		{"max below one is /*", []string{"/a.css"}, 0, []string{"/*"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CollapsePaths(tt.exact, tt.max)
			if !slices.Equal(got, tt.want) {
				t.Errorf("CollapsePaths(%q, %d) = %q; want %q", tt.exact, tt.max, got, tt.want)
			}
		})
	}
}

// TestCollapsePathsWildcardLimit checks that no collapse uses more than 15
// wildcards, whatever the shape of the paths, and that every exact path
// stays covered.
func TestCollapsePathsWildcardLimit(t *testing.T) {
	var exact []string
	for d := range 40 {
		for f := range 3 {
			exact = append(exact, fmt.Sprintf("/d%02d/f%d.css", d, f))
		}
	}
	exact = append(exact, "/x.css", "/y.css")
	for _, max := range []int{1, 5, 16, 17, 30, 60, 100, 121, 122} {
		got := CollapsePaths(exact, max)
		wild := 0
		for _, p := range got {
			if strings.HasSuffix(p, "*") {
				wild++
			}
		}
		if len(got) > max && !slices.Equal(got, []string{"/*"}) {
			t.Errorf("CollapsePaths(%d paths, %d) = %d paths; want at most %d", len(exact), max, len(got), max)
		}
		if wild > MaxWildcards {
			t.Errorf("CollapsePaths(%d paths, %d) has %d wildcards; want at most %d", len(exact), max, wild, MaxWildcards)
		}
		for _, e := range exact {
			if !slices.ContainsFunc(got, func(p string) bool {
				return p == e || (strings.HasSuffix(p, "*") && strings.HasPrefix(e, strings.TrimSuffix(p, "*")))
			}) {
				t.Errorf("CollapsePaths(%d paths, %d) = %q does not cover %s", len(exact), max, got, e)
				break
			}
		}
	}
}
