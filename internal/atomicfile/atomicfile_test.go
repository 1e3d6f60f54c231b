package atomicfile_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/quickdumpnow/qdn/internal/atomicfile"
)

// leftovers lists the temporary files in dir.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var tmp []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), atomicfile.TempPrefix) {
			tmp = append(tmp, e.Name())
		}
	}
	return tmp
}

func check(t *testing.T, path, want string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s holds %q; want %q", path, got, want)
	}
	if tmp := leftovers(t, filepath.Dir(path)); len(tmp) > 0 {
		t.Errorf("temporary files left in %s: %v", filepath.Dir(path), tmp)
	}
}

func TestWrite(t *testing.T) {
	for _, sync := range []atomicfile.Sync{atomicfile.Durable, atomicfile.NoSync} {
		dir := t.TempDir()
		path := filepath.Join(dir, "page.html")
		if err := atomicfile.Write(path, []byte("one"), 0o644, sync); err != nil {
			t.Fatalf("Write(new, sync %v) = %v", sync, err)
		}
		check(t, path, "one")
		if err := atomicfile.Write(path, []byte("two"), 0o644, sync); err != nil {
			t.Fatalf("Write(over, sync %v) = %v", sync, err)
		}
		check(t, path, "two")
	}
}

// TestWriteFunc holds that WriteFunc puts in place what fill wrote, in
// several writes, and that a fill that fails leaves the file as it was and
// no temporary file.
func TestWriteFunc(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "cache.gob")
	fill := func(parts ...string) func(w io.Writer) error {
		return func(w io.Writer) error {
			for _, p := range parts {
				if _, err := w.Write([]byte(p)); err != nil {
					return err
				}
			}
			return nil
		}
	}
	if err := atomicfile.WriteFunc(path, 0o600, atomicfile.NoSync, fill("one", "two", "three")); err != nil {
		t.Fatalf("WriteFunc(new) = %v", err)
	}
	check(t, path, "onetwothree")
	failed := errors.New("out of entries")
	err := atomicfile.WriteFunc(path, 0o600, atomicfile.NoSync, func(w io.Writer) error {
		if _, err := w.Write([]byte("half")); err != nil {
			return err
		}
		return failed
	})
	if !errors.Is(err, failed) {
		t.Errorf("WriteFunc(failing fill) = %v; want %v", err, failed)
	}
	check(t, path, "onetwothree")
}

// TestWritePlanted holds that a link planted under the old fixed temporary
// name (page.html.qdn-tmp) or in the target's place is never written
// through.
func TestWritePlanted(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symbolic links need privileges on Windows")
	}
	dir := t.TempDir()
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("safe"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "page.html")
	for _, name := range []string{path, path + atomicfile.TempPrefix} {
		if err := os.Symlink(victim, name); err != nil {
			t.Fatal(err)
		}
	}
	if err := atomicfile.Write(path, []byte("page"), 0o644, atomicfile.NoSync); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "safe" {
		t.Errorf("the file a planted link points to holds %q; want it untouched", b)
	}
	if fi, err := os.Lstat(path); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("Lstat(%s) = %v, %v; want a regular file in the link's place", path, fi, err)
	}
}

// TestWriteFails holds that a failed write leaves the target as it was and
// no temporary file.
func TestWriteFails(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "sub")
	if err := os.MkdirAll(filepath.Join(target, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	err := atomicfile.Write(target, []byte("x"), 0o644, atomicfile.Durable)
	if err == nil || !strings.Contains(err.Error(), target) {
		t.Errorf("Write over a directory = %v; want an error naming %s", err, target)
	}
	if tmp := leftovers(t, dir); len(tmp) > 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
	err = atomicfile.Write(filepath.Join(dir, "missing", "f"), []byte("x"), 0o644, atomicfile.NoSync)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Write in a missing directory = %v; want fs.ErrNotExist", err)
	}
}

func TestWriteIn(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "jobs"), 0o755); err != nil {
		t.Fatal(err)
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := atomicfile.WriteIn(r, "jobs/a.yaml", []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.WriteIn(r, "jobs/a.yaml", []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	check(t, filepath.Join(dir, "jobs", "a.yaml"), "two")

	if runtime.GOOS != "windows" {
		outside := t.TempDir()
		if err := os.Symlink(outside, filepath.Join(dir, "out")); err != nil {
			t.Fatal(err)
		}
		if err := atomicfile.WriteIn(r, "out/x.yaml", []byte("x"), 0o644); err == nil {
			t.Error("WriteIn through a link out of the root succeeded; want an error")
		}
		if entries, _ := os.ReadDir(outside); len(entries) > 0 {
			t.Errorf("WriteIn wrote outside the root: %v", entries)
		}
	}
}

func TestCreateIn(t *testing.T) {
	dir := t.TempDir()
	r, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := atomicfile.CreateIn(r, "a.yaml", []byte("first"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = atomicfile.CreateIn(r, "a.yaml", []byte("second"), 0o644)
	if !errors.Is(err, fs.ErrExist) {
		t.Errorf("CreateIn over an existing file = %v; want fs.ErrExist", err)
	}
	check(t, filepath.Join(dir, "a.yaml"), "first")
	b, _ := os.ReadFile(filepath.Join(dir, "a.yaml"))
	if !bytes.Equal(b, []byte("first")) {
		t.Errorf("the existing file was changed to %q", b)
	}
}

func TestMoveIn(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "jobs", "archive", "2025"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"jobs/a.yaml": "a", "jobs/b.yaml": "b", "jobs/archive/2025/b.yaml": "old b"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := atomicfile.MoveIn(r, "jobs/a.yaml", "jobs/archive/2025/a.yaml"); err != nil {
		t.Fatal(err)
	}
	check(t, filepath.Join(dir, "jobs", "archive", "2025", "a.yaml"), "a")
	if _, err := os.Stat(filepath.Join(dir, "jobs", "a.yaml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the old name is still there: %v", err)
	}
	err = atomicfile.MoveIn(r, "jobs/b.yaml", "jobs/archive/2025/b.yaml")
	if !errors.Is(err, fs.ErrExist) {
		t.Errorf("MoveIn over an existing file = %v; want fs.ErrExist", err)
	}
	check(t, filepath.Join(dir, "jobs", "b.yaml"), "b")
	check(t, filepath.Join(dir, "jobs", "archive", "2025", "b.yaml"), "old b")
}

// TestWriteNew holds that WriteNew makes a new file and never writes over
// or through what is already at its name, a link included.
func TestWriteNew(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "page.html")
	if err := atomicfile.WriteNew(name, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(name); err != nil || string(b) != "new" {
		t.Fatalf("read %q, %v; want %q", b, err, "new")
	}
	if err := atomicfile.WriteNew(name, []byte("again"), 0o644); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second WriteNew: %v, want an error matching fs.ErrExist", err)
	}
	if b, _ := os.ReadFile(name); string(b) != "new" {
		t.Fatalf("the file holds %q after a refused WriteNew", b)
	}
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("kept"), 0o644); err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS == "windows" {
		return // symbolic links need privileges on Windows
	}
	link := filepath.Join(dir, "link.html")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.WriteNew(link, []byte("through"), 0o644); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("WriteNew over a link: %v, want an error matching fs.ErrExist", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "kept" {
		t.Fatalf("WriteNew wrote through a link: the target holds %q", b)
	}
}
