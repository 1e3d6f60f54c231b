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
