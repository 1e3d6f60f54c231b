//go:build unix

package generator_test

import (
	"net"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/quickdumpnow/qdn/generator"
	"golang.org/x/sys/unix"
)

func mkfifo(parts ...string) func(t *testing.T, dir, out string) {
	return func(t *testing.T, dir, out string) {
		t.Helper()
		p := filepath.Join(append([]string{dir}, parts...)...)
		os.Remove(p)
		if err := unix.Mkfifo(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// listen leaves a Unix socket at the path, listening until the test ends.
func listen(parts ...string) func(t *testing.T, dir, out string) {
	return func(t *testing.T, dir, out string) {
		t.Helper()
		// A socket's path is limited to about a hundred bytes: listen
		// from inside the directory.
		p := filepath.Join(append([]string{dir}, parts...)...)
		t.Chdir(filepath.Dir(p))
		l, err := net.Listen("unix", filepath.Base(p))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
	}
}

// TestSpecialFilesRefused checks that named pipes, sockets and devices are
// refused at once: none of them is waited on or read without end.
func TestSpecialFilesRefused(t *testing.T) {
	plants := []plant{
		{"asset links to /dev/zero", symlink("/dev/zero", "content", "z.bin"), "content/z.bin: a link that leads out of the site"},
		{"asset links to /etc/passwd", symlink("/etc/passwd", "content", "p.txt"), "content/p.txt: a link that leads out of the site"},
		{"named pipe asset", mkfifo("content", "p.txt"), "content/p.txt: a named pipe, not a regular file"},
		{"named pipe page", mkfifo("content", "p.md"), "content/p.md: a named pipe, not a regular file"},
		{"named pipe job", mkfifo("jobs", "JOB-20261121-001.yaml"), "jobs/JOB-20261121-001.yaml: a named pipe, not a regular file"},
		{"named pipe qdn.yaml", mkfifo("qdn.yaml"), "qdn.yaml: a named pipe, not a regular file"},
		{"named pipe template", func(t *testing.T, dir, out string) {
			os.Mkdir(filepath.Join(dir, "templates"), 0o755)
			mkfifo("templates", "page.html")(t, dir, out)
		}, "templates/page.html: a named pipe, not a regular file"},
		{"socket asset", listen("content", "s.sock"), "content/s.sock: a socket, not a regular file"},
	}
	if runtime.GOOS == "linux" {
		plants = append(plants, plant{"asset links to /proc/self/environ", symlink("/proc/self/environ", "content", "env.txt"),
			"content/env.txt: a link that leads out of the site"})
	}
	for _, p := range plants {
		checkRefused(t, p)
	}
}

// TestSpecialFileInPublic checks that a rebuild replaces a named pipe or a
// link in public/ with the page, instead of waiting on it or writing
// through it.
func TestSpecialFileInPublic(t *testing.T) {
	dir := copySite(t, exampleSite)
	out := outside(t)
	opt := generator.Options{Now: testNow, CacheDir: t.TempDir()}
	if err := buildWithin(t, dir, opt); err != nil {
		t.Fatal(err)
	}
	mkfifo("public", "index.html")(t, dir, out)
	// A tracking page, which a build with the cache reads back.
	pages, _ := filepath.Glob(filepath.Join(dir, "public", "track", "*", "index.html"))
	if len(pages) == 0 {
		t.Fatal("no tracking page in public/track")
	}
	rel, _ := filepath.Rel(dir, pages[0])
	mkfifo(rel)(t, dir, out)
	symlink("OUT/secret.txt", "public", "404.html")(t, dir, out)
	if err := buildWithin(t, dir, opt); err != nil {
		t.Fatalf("Build: %v", err)
	}
	for _, name := range []string{"index.html", "404.html", filepath.Join("..", rel)} {
		info, err := os.Lstat(filepath.Join(dir, "public", name))
		if err != nil || !info.Mode().IsRegular() {
			t.Errorf("public/%s after the build: %v, %v; want a regular file", name, info, err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(out, "secret.txt")); string(b) != secret+"\n" {
		t.Errorf("the build wrote through a link in public/: secret.txt = %q", b)
	}
}

// TestCacheDirRefused checks that a build cache directory another user can
// write is refused, and that the cache file is created afresh, never opened
// under a name planted in advance.
func TestCacheDirRefused(t *testing.T) {
	dir := copySite(t, exampleSite)
	cache := t.TempDir()
	if err := os.Chmod(cache, 0o777); err != nil {
		t.Fatal(err)
	}
	_, err := generator.Build(t.Context(), dir, generator.Options{Now: testNow, CacheDir: cache})
	if _, ok := err.(*generator.CacheDirError); !ok {
		t.Fatalf("Build with a world-writable cache directory = %v; want a *CacheDirError", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "public")); err == nil {
		t.Errorf("Build with a refused cache wrote public/")
	}

	// A private cache directory, with a file planted in advance in
	// build/ under every name qdn could once have used.
	os.Chmod(cache, 0o700)
	build := filepath.Join(cache, "build")
	os.Mkdir(build, 0o700)
	if _, err := generator.Build(t.Context(), dir, generator.Options{Now: testNow, CacheDir: cache}); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(build)
	if len(entries) != 1 {
		t.Fatalf("build/ holds %d files; want 1", len(entries))
	}
	file := filepath.Join(build, entries[0].Name())
	planted := file + ".qdn-tmp"
	if err := os.WriteFile(planted, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	os.Chmod(planted, 0o666)
	// A job less: the build writes the cache again.
	if err := os.Remove(filepath.Join(dir, "jobs", "JOB-20240523-001.yaml")); err != nil {
		t.Fatal(err)
	}
	if _, err := generator.Build(t.Context(), dir, generator.Options{Now: testNow, CacheDir: cache}); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("cache file mode = %v; want 0600", perm)
	}
	if b, _ := os.ReadFile(planted); len(b) != 0 {
		t.Errorf("the build wrote the cache into the planted file")
	}
}
