package generator

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/quickdumpnow/qdn/internal/sitegen"
)

// TestCacheListedDirectoryChangedDuringBuild lists a page directory whose
// stamp the cache does not hold, then adds a file to it while the build
// still runs, after it listed the directory and well before writing ends:
// the stamp the build records for the directory must be the one it listed,
// not the one it finds at the end, so that the build after it lists the
// directory again and removes the file.
func TestCacheListedDirectoryChangedDuringBuild(t *testing.T) {
	dir := t.TempDir()
	if err := sitegen.Write("..", dir, 20); err != nil {
		t.Fatal(err)
	}
	opt := Options{Now: laterNow, CacheDir: t.TempDir()}
	build := func(step string) {
		t.Helper()
		if _, err := Build(t.Context(), dir, opt); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	build("clean build")
	// Every stamp old enough to be recorded by the next build.
	old := time.Now().Add(-time.Minute)
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil {
			os.Chtimes(p, old, old)
		}
		return nil
	})
	time.Sleep(100 * time.Millisecond)
	build("build recording the stamps")
	page := filepath.Join(dir, PublicDir, "track", sitegen.Token(3))
	os.Chtimes(page, old, old) // its stamp is no longer the one recorded
	time.Sleep(100 * time.Millisecond)
	stray := filepath.Join(page, "stray.html")
	t.Cleanup(func() { beforeWrite = nil })
	beforeWrite = func(*Output) {
		if err := os.WriteFile(stray, []byte("x"), 0o644); err != nil {
			t.Error(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	build("build listing the directory")
	beforeWrite = nil
	build("build after")
	if _, err := os.Lstat(stray); err == nil {
		t.Error("a file added to a listed page directory during the build is still in public/ after the build after it")
	}
}
