package generator

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// jobTestSite copies the example site's qdn.yaml and content/ into a
// temporary directory with an empty jobs/, and writes files into jobs/.
func jobTestSite(t *testing.T, jobs map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("..", ConfigFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ConfigFile), src, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(filepath.Join(dir, ContentDir), os.DirFS(filepath.Join("..", ContentDir))); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, JobsDir), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range jobs {
		if err := os.WriteFile(filepath.Join(dir, JobsDir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// mustLoad builds the site in memory, as qdn build does, and fails the test
// on any error.
func mustLoad(t *testing.T, dir string) *Site {
	t.Helper()
	s, err := Load(t.Context(), dir, Options{Now: func() time.Time { return time.Date(2026, 11, 22, 19, 0, 0, 0, time.UTC) }})
	if err != nil {
		if l := Errors(err); l != nil {
			t.Fatalf("Load: %v\n%s", err, l.Format())
		}
		t.Fatalf("Load: %v", err)
	}
	if _, err := Render(t.Context(), s); err != nil {
		t.Fatalf("Render: %v", err)
	}
	return s
}

func boise(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("America/Boise")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
