package generator

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteTrustedPageGone: a page the build trusted without reading it,
// removed from public/ while the build ran, is an error, not an empty file
// that the next build would trust.
func TestWriteTrustedPageGone(t *testing.T) {
	dir := t.TempDir()
	p := "track/abc/index.html"
	out := &Output{files: map[string][]byte{p: nil, "index.html": []byte("home")}}
	_, _, err := write(t.Context(), dir, out, map[string][]byte{p: nil}, nil)
	if err == nil || !strings.Contains(err.Error(), "removed from") {
		t.Fatalf("write of a trusted page gone from public/: %v; want an error saying it was removed", err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "track", "abc", "index.html")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("write made a page it had no bytes for: %v", err)
	}
}

// TestOutDirRemoved: public/ removed after the build opened it is made
// again, and the page written there, as a build writing by whole paths
// would; not written into the removed directory, where no one would see it.
func TestOutDirRemoved(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "public")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	od := openOutDir(dir)
	defer od.close()
	if err := od.mkdir("track/a"); err != nil {
		t.Fatal(err)
	}
	if err := od.writeNew("track/a/index.html", []byte("a")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := od.mkdir("track/b"); err != nil {
		t.Fatal(err)
	}
	if err := od.writeNew("track/b/index.html", []byte("b")); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]string{"track/b/index.html": "b"} {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil || string(got) != want {
			t.Errorf("%s holds %q, %v; want %q", p, got, err, want)
		}
	}
	if err := od.writeNew("track/b/index.html", []byte("c")); !errors.Is(err, fs.ErrExist) {
		t.Errorf("writeNew over a page: %v; want an error matching fs.ErrExist", err)
	}

	// Gone again: a page at the top (its directory is "."), and one in a
	// directory made through d before public/ went.
	if err := od.mkdir("book/x"); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := od.mkdir("."); err != nil {
		t.Fatal(err)
	}
	if err := od.writeNew("index.html", []byte("home")); err != nil {
		t.Fatal(err)
	}
	if err := od.writeNew("book/x/index.html", []byte("x")); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]string{"index.html": "home", "book/x/index.html": "x"} {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil || string(got) != want {
			t.Errorf("%s holds %q, %v; want %q", p, got, err, want)
		}
	}
}

// TestTrackToken: the stager keys the pages it stages by their tokens, and
// finds a page's token from its output path; no other path has one.
func TestTrackToken(t *testing.T) {
	for _, tc := range []struct {
		path, want string
		ok         bool
	}{
		{TrackPath("k7q2m4x9"), "k7q2m4x9", true},
		{"track/k7q2m4x9/other.html", "", false},
		{"track/a/k7q2m4x9/index.html", "", false},
		{"book/k7q2m4x9/index.html", "", false},
		{"index.html", "", false},
	} {
		if got, ok := trackToken(tc.path); got != tc.want || ok != tc.ok {
			t.Errorf("trackToken(%q) = %q, %v; want %q, %v", tc.path, got, ok, tc.want, tc.ok)
		}
	}
}
