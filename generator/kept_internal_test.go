package generator

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestKeptPagesOrder checks that kept pages are ordered, found and listed
// by their output paths, as Paths sorts them: a token that begins another
// comes before it only when what follows in the other sorts after the
// slash of its path. The tokens are more than two, so that the halves
// sorted apart are merged.
func TestKeptPagesOrder(t *testing.T) {
	tokens := []string{"ab", "ab-c", "abc", "a", "ab.c", "b", "ab0", "abc-"}
	k := &keptPages{tokens: tokens, sums: make([]pageSum, len(tokens))}
	for i := range k.sums {
		k.sums[i].size = int64(i)
	}
	var want []string
	for _, tok := range tokens {
		want = append(want, TrackPath(tok))
	}
	slices.Sort(want)
	if got := k.sortedPaths(); !slices.Equal(got, want) {
		t.Errorf("sortedPaths() = %q; want %q", got, want)
	}
	for i, tok := range tokens {
		if j, ok := k.find(TrackPath(tok)); !ok || j != i {
			t.Errorf("find(%q) = %d, %v; want %d, true", TrackPath(tok), j, ok, i)
		}
	}
	for _, p := range []string{"track/ab/", "track/abd/index.html", "track/ab", "index.html", "track/ab/c/index.html"} {
		if j, ok := k.find(p); ok {
			t.Errorf("find(%q) = %d, true; want false", p, j)
		}
	}
	for p, want := range map[string]bool{"track": true, "track/ab-c": true, "track/zz": false, "track/ab/index.html": false, "book": false} {
		if got := k.under(p); got != want {
			t.Errorf("under(%q) = %v; want %v", p, got, want)
		}
	}
	var none *keptPages
	if _, ok := none.find("track/ab/index.html"); ok || none.len() != 0 || none.sortedPaths() != nil || none.under("track") {
		t.Error("a nil keptPages holds pages")
	}
}

// TestOutputWithKeptPages checks Output's methods on an output that holds
// pages in its map and pages kept apart.
func TestOutputWithKeptPages(t *testing.T) {
	dir := t.TempDir()
	o := &Output{files: map[string][]byte{"index.html": []byte("home"), "track/b/index.html": []byte("page b"), "tracks.html": nil}, dir: dir,
		kept: &keptPages{tokens: []string{"c", "a"}, sums: []pageSum{{size: 3}, {size: 1}}}}
	for name, s := range map[string]string{"track/c/index.html": "ccc", "track/a/index.html": "a", "tracks.html": "list"} {
		f := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"index.html", "track/a/index.html", "track/b/index.html", "track/c/index.html", "tracks.html"}
	if got := o.Paths(); !slices.Equal(got, want) {
		t.Errorf("Paths() = %q; want %q", got, want)
	}
	if o.Len() != len(want) {
		t.Errorf("Len() = %d; want %d", o.Len(), len(want))
	}
	if n := o.TrackingPages(); n != 3 {
		t.Errorf("TrackingPages() = %d; want 3", n)
	}
	for _, p := range want {
		if !o.Has(p) {
			t.Errorf("Has(%q) = false", p)
		}
	}
	if o.Has("track/d/index.html") {
		t.Error(`Has("track/d/index.html") = true`)
	}
	if _, size, ok := o.Sum("track/c/index.html"); !ok || size != 3 {
		t.Errorf(`Sum("track/c/index.html") = %d, %v; want 3, true`, size, ok)
	}
	if _, _, ok := o.Sum("track/b/index.html"); ok {
		t.Error(`Sum("track/b/index.html") is known before the page is written`)
	}
	all, err := o.All()
	if err != nil {
		t.Fatal(err)
	}
	for p, s := range map[string]string{"index.html": "home", "track/a/index.html": "a", "track/b/index.html": "page b", "track/c/index.html": "ccc", "tracks.html": "list"} {
		if string(all[p]) != s {
			t.Errorf("All()[%q] = %q; want %q", p, all[p], s)
		}
	}
}
