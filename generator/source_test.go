package generator_test

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/quickdumpnow/qdn/generator"
)

// secret is what a file outside the site holds; it must never reach an
// error message or public/.
const secret = "AWS_SESSION_TOKEN=secret-7f3a9c"

// plant is one hostile change to a site at dir; out is a directory outside
// the site holding secret.txt and secret.md.
type plant struct {
	name  string
	setup func(t *testing.T, dir, out string)
	// want is the start of the error's line: file and message.
	want string
}

// outside makes a directory outside the site with files holding secret.
func outside(t *testing.T) string {
	t.Helper()
	out := t.TempDir()
	for _, name := range []string{"secret.txt", "secret.md", "secret.yaml", "secret.html"} {
		if err := os.WriteFile(filepath.Join(out, name), []byte(secret+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func symlink(old string, parts ...string) func(t *testing.T, dir, out string) {
	return func(t *testing.T, dir, out string) {
		t.Helper()
		target := old
		if strings.HasPrefix(old, "OUT/") {
			target = filepath.Join(out, strings.TrimPrefix(old, "OUT/"))
		} else if old == "OUT" {
			target = out
		}
		p := filepath.Join(append([]string{dir}, parts...)...)
		if err := os.RemoveAll(p); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			if runtime.GOOS == "windows" {
				// Making a link needs a privilege or developer
				// mode there.
				t.Skipf("cannot make a link on Windows: %v", err)
			}
			t.Fatal(err)
		}
	}
}

func writeSize(n int, parts ...string) func(t *testing.T, dir, out string) {
	return func(t *testing.T, dir, out string) {
		t.Helper()
		b := bytes.Repeat([]byte("a"), n)
		if err := os.WriteFile(filepath.Join(append([]string{dir}, parts...)...), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// buildWithin runs Build and fails the test when it has not returned within
// a minute: a build that waits on a named pipe or reads without end never
// does.
func buildWithin(t *testing.T, dir string, opt generator.Options) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := generator.Build(t.Context(), dir, opt)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Minute):
		t.Fatalf("Build(%s) did not return within a minute", dir)
		return nil
	}
}

// checkRefused builds a good copy of the example site, plants p in it and
// checks that the build fails with p's error, leaves public/ as it was and
// shows the secret nowhere, with the build cache and without.
func checkRefused(t *testing.T, p plant) {
	for _, cached := range []bool{false, true} {
		name := p.name
		if cached {
			name += "/cached"
		}
		t.Run(name, func(t *testing.T) {
			dir := copySite(t, exampleSite)
			out := outside(t)
			opt := generator.Options{Now: testNow}
			if cached {
				opt.CacheDir = t.TempDir()
			}
			if err := buildWithin(t, dir, opt); err != nil {
				t.Fatalf("Build of the good site: %v", err)
			}
			pub := filepath.Join(dir, generator.PublicDir)
			files, mtimes := snapshot(t, pub)
			p.setup(t, dir, out)
			err := buildWithin(t, dir, opt)
			list := generator.Errors(err)
			if list == nil {
				t.Fatalf("Build = %v; want source errors", err)
			}
			text := list.Format()
			if !strings.Contains(text, "\n"+p.want) && !strings.HasPrefix(text, p.want) {
				t.Errorf("Build errors:\n%s\nwant a line starting %q", text, p.want)
			}
			if !strings.Contains(text, "hint: ") {
				t.Errorf("Build errors:\n%s\nwant a hint", text)
			}
			if strings.Contains(text, "secret-7f3a9c") {
				t.Errorf("Build errors show the secret:\n%s", text)
			}
			files2, mtimes2 := snapshot(t, pub)
			if !cmp.Equal(files, files2) || !cmp.Equal(mtimes, mtimes2) {
				t.Errorf("a refused build changed public/")
			}
			for f, b := range files2 {
				if bytes.Contains(b, []byte("secret-7f3a9c")) {
					t.Errorf("public/%s holds the secret", f)
				}
			}
		})
	}
}

// sourcePlants are the hostile changes every system can make.
var sourcePlants = []plant{
	{"asset links out", symlink("OUT/secret.txt", "content", "env.txt"), "content/env.txt: a link that leads out of the site"},
	{"page links out", symlink("OUT/secret.md", "content", "env.md"), "content/env.md: a link that leads out of the site"},
	{"service links out", symlink("OUT/secret.md", "content", "book", "leak.md"), "content/book/leak.md: a link that leads out of the site"},
	{"qdn.yaml links out", symlink("OUT/secret.yaml", "qdn.yaml"), "qdn.yaml: a link that leads out of the site"},
	{"job links out", symlink("OUT/secret.yaml", "jobs", "JOB-20261121-001.yaml"), "jobs/JOB-20261121-001.yaml: a link that leads out of the site"},
	{"template links out", func(t *testing.T, dir, out string) {
		os.Mkdir(filepath.Join(dir, "templates"), 0o755)
		symlink("OUT/secret.html", "templates", "page.html")(t, dir, out)
	}, "templates/page.html: a link that leads out of the site"},
	{"directory in content links out", symlink("OUT", "content", "leak"), "content/leak: a link that leads out of the site"},
	{"content links out", symlink("OUT", "content"), "content: a link that leads out of the site"},
	{"jobs links out", symlink("OUT", "jobs"), "jobs: a link that leads out of the site"},
	{"link by a relative path out", symlink("../../../../../../../../../../../../etc/hosts", "content", "hosts.txt"), "content/hosts.txt: a link that leads out of the site"},
	{"link loop", func(t *testing.T, dir, out string) {
		symlink("b.txt", "content", "a.txt")(t, dir, out)
		symlink("a.txt", "content", "b.txt")(t, dir, out)
	}, "content/a.txt: a link that loops"},
	{"link to a directory inside", symlink("book", "content", "more"), "content/more: a directory where a file was expected"},
	// The site is often the git repository: .git/config of a CI checkout
	// holds its credentials.
	{"asset links into .git", gitConfig(symlink("../.git/config", "content", "config.txt")), "content/config.txt: a link to .git, a hidden file of the site"},
	{"asset links through a link into .git", gitConfig(func(t *testing.T, dir, out string) {
		symlink(".git", "repo")(t, dir, out)
		symlink("../repo/config", "content", "config.txt")(t, dir, out)
	}), "content/config.txt: a link to .git, a hidden file of the site"},
	{"page links to .env", func(t *testing.T, dir, out string) {
		writeSecret(t, filepath.Join(dir, ".env"))
		symlink("../.env", "content", "env.md")(t, dir, out)
	}, "content/env.md: a link to .env, a hidden file of the site"},
	{"page too large", writeSize(1<<20+1, "content", "big.md"), "content/big.md: larger than 1 MiB"},
	{"job too large", writeSize(1<<20+1, "jobs", "JOB-20261121-001.yaml"), "jobs/JOB-20261121-001.yaml: larger than 1 MiB"},
	{"qdn.yaml too large", writeSize(1<<20+1, "qdn.yaml"), "qdn.yaml: larger than 1 MiB"},
}

// TestSourcesRefused checks that every file qdn reads is a regular file
// inside the site, not too large.
func TestSourcesRefused(t *testing.T) {
	for _, p := range sourcePlants {
		checkRefused(t, p)
	}
}

// TestLinkInsideSite checks that links that stay inside the site are
// followed: a page, an asset and a job file.
func TestLinkInsideSite(t *testing.T) {
	dir := copySite(t, exampleSite)
	os.MkdirAll(filepath.Join(dir, "shared"), 0o755)
	os.WriteFile(filepath.Join(dir, "shared", "logo.txt"), []byte("logo\n"), 0o644)
	symlink("../shared/logo.txt", "content", "logo.txt")(t, dir, "")
	symlink("about.md", "content", "about-us.md")(t, dir, "")
	// A job file kept elsewhere in the site: the link leaves jobs/ but
	// not the site.
	job := filepath.Join("jobs", "JOB-20261121-001.yaml")
	if err := os.Rename(filepath.Join(dir, job), filepath.Join(dir, "shared", "job.yaml")); err != nil {
		t.Fatal(err)
	}
	symlink("../shared/job.yaml", "jobs", "JOB-20261121-001.yaml")(t, dir, "")
	res, err := generator.Build(t.Context(), dir, generator.Options{Now: testNow})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if got := string(outFiles(t, res.Output)["logo.txt"]); got != "logo\n" {
		t.Errorf("logo.txt = %q; want %q", got, "logo\n")
	}
	site, err := generator.Load(t.Context(), dir, generator.Options{Now: testNow})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got := len(site.Jobs); got != 7 {
		t.Errorf("Load read %d jobs; want 7, the linked one with them", got)
	}
	if us := outFiles(t, res.Output)["about-us/index.html"]; !bytes.Contains(us, []byte("We are a small crew based in Boise.")) {
		t.Errorf("about-us/index.html does not hold the text of about.md:\n%s", us)
	}
}

// gitConfig wraps setup with a .git/config in the site holding a secret.
func gitConfig(setup func(t *testing.T, dir, out string)) func(t *testing.T, dir, out string) {
	return func(t *testing.T, dir, out string) {
		if err := os.MkdirAll(filepath.Join(dir, ".git"), 0o755); err != nil {
			t.Fatal(err)
		}
		writeSecret(t, filepath.Join(dir, ".git", "config"))
		setup(t, dir, out)
	}
}

// writeSecret writes a file holding secret at path.
func writeSecret(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("url = https://user:"+secret+"@example.com/site.git\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
