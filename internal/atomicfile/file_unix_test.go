//go:build unix && !qdnportable

package atomicfile_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quickdumpnow/qdn/internal/atomicfile"
	"golang.org/x/sys/unix"
)

// TestWriteNewAt writes a new file relative to an open directory, and
// refuses one that exists, naming it by its whole path.
func TestWriteNewAt(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	name := filepath.Join("sub", "page.html")
	if err := atomicfile.WriteNewAt(fd, dir, name, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	check(t, filepath.Join(dir, name), "new")
	err = atomicfile.WriteNewAt(fd, dir, name, []byte("again"), 0o644)
	if !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), filepath.Join(dir, name)) {
		t.Errorf("WriteNewAt over an existing file: %v; want an error matching fs.ErrExist naming %s", err, filepath.Join(dir, name))
	}
	check(t, filepath.Join(dir, name), "new")
}
