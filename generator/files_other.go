//go:build !unix || qdnportable

package generator

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/quickdumpnow/qdn/internal/atomicfile"
)

// Off Unix (Windows), the build's file access goes through package os. It
// keeps the guarantees of files_unix.go: a stamp is taken from the open file
// before its bytes are read, so a change during the read leaves a stamp that
// no longer matches; only regular files are read; a replaced file is written
// beside its target and renamed over it (os.Rename replaces an existing file
// on Windows, with MoveFileEx and MOVEFILE_REPLACE_EXISTING); a new file is
// created only if it does not exist.
//
// The build tag qdnportable selects this file on Unix too, so that the
// tests of this path run on Linux: go test -tags qdnportable ./generator/.

// readFile returns the contents of the regular file at path.
func readFile(path string) ([]byte, error) {
	b, _, err := readFileStat(path)
	return b, err
}

// readFileStat returns the contents of the file at path and its stamp,
// taken from the open file before its bytes are read.
func readFileStat(path string) ([]byte, stamp, error) {
	return readOutput(path)
}

// writeFileNew writes b to path, which must not exist.
func writeFileNew(path string, b []byte) error { return atomicfile.WriteNew(path, b, 0o644) }

// mkdir makes the directory path and any missing parents.
func mkdir(path string) error { return os.MkdirAll(path, 0o755) }

// outDir makes a build's new directories and files in public/ by their
// paths relative to it.
type outDir struct{ path string }

func openOutDir(path string) *outDir { return &outDir{path: path} }

// mkdir makes the directory rel (slash-separated, below d) and any missing
// parents.
func (d *outDir) mkdir(rel string) error {
	return mkdir(filepath.Join(d.path, filepath.FromSlash(rel)))
}

// writeNew writes b to the file rel (slash-separated, below d), which must
// not exist.
func (d *outDir) writeNew(rel string, b []byte) error {
	full := filepath.Join(d.path, filepath.FromSlash(rel))
	err := writeFileNew(full, b)
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	// public/ went away, and the directories made in it with it.
	if err := mkdir(filepath.Dir(full)); err != nil {
		return err
	}
	return writeFileNew(full, b)
}

func (d *outDir) close() {}

// statDir stats files by their names relative to a directory.
type statDir struct{ path string }

func openStatDir(path string) *statDir { return &statDir{path: path} }

// openRootStatDir is openStatDir: off Unix, every read goes through the
// root.
func openRootStatDir(_ *os.Root, path string) *statDir { return openStatDir(path) }

// read reports false: the caller reads through the site's root.
func (d *statDir) read(string, int64) ([]byte, stamp, bool) { return nil, stamp{}, false }

// statIn is stat of the file dir/name, or of name when dir is "".
func (d *statDir) statIn(dir, name string, follow bool) (stamp, error) {
	if dir != "" {
		name = dir + "/" + name
	}
	return d.stat(name, follow)
}

// stat returns the stamp of the file name (slash-separated, under d),
// following a final link when follow is set.
func (d *statDir) stat(name string, follow bool) (stamp, error) {
	p := filepath.Join(d.path, filepath.FromSlash(name))
	stat := os.Lstat
	if follow {
		stat = os.Stat
	}
	info, err := stat(p)
	if err != nil {
		return stamp{}, err
	}
	return stampOf(info), nil
}

func (d *statDir) close() {}
