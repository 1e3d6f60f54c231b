package testenv

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// JobSite copies the qdn.yaml and content/ of the example site at root
// into a temporary directory with an empty jobs/, writes jobs (file name →
// text) into jobs/, and returns the directory.
func JobSite(t testing.TB, root string, jobs map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(root, "qdn.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "qdn.yaml"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(filepath.Join(dir, "content"), os.DirFS(filepath.Join(root, "content"))); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "jobs"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range jobs {
		if err := os.WriteFile(filepath.Join(dir, "jobs", name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// Boise is the example site's time zone, America/Boise.
func Boise(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/Boise")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
