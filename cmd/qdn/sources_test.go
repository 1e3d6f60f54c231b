package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/quickdumpnow/qdn/generator"
	"github.com/quickdumpnow/qdn/internal/sitegen"
	"github.com/quickdumpnow/qdn/preview"
)

// sourceCandidates are files a site may hold, sources or not: job files and
// what editors, the system, git and downloads leave beside them. The
// template is a partial, which the build parses even when no page uses it.
var sourceCandidates = []string{
	"qdn.yaml",
	"qdn.yaml.orig",
	"README.md",
	"notes/todo.md",
	"public/index.html",

	"jobs/JOB-20991231-001.yaml",
	"jobs/notes.txt",
	"jobs/JOB-20991231-001.yml",
	"jobs/.JOB-20991231-001.yaml.swp",
	"jobs/.JOB-20991231-001.yaml.swo",
	"jobs/JOB-20991231-001.yaml~",
	"jobs/#JOB-20991231-001.yaml#",
	"jobs/4913",
	"jobs/JOB-20991231-001.yaml.orig",
	"jobs/JOB-20991231-001.yaml.rej",
	"jobs/JOB-20991231-001.yaml.bak",
	"jobs/JOB-20991231-001.yaml.tmp",
	"jobs/JOB-20991231-001.yaml___jb_tmp___",
	"jobs/.DS_Store",
	"jobs/archive/2025/JOB-20250101-001.yaml",
	"jobs/archive/2025/notes.txt",

	"content/extra.md",
	"content/extra.md.orig",
	"content/extra.md~",
	"content/.extra.md.swp",
	"content/flyer.pdf",
	"content/flyer.pdf.part",
	"content/flyer.pdf.crdownload",
	"content/img/truck.svg",
	"content/img/truck.svg.bak",
	"content/img/.DS_Store",
	"content/.well-known/security.txt",
	"content/.cache/x.css",
	"content/old.bak/x.css",
	"content/deep/er/style.css",
	"content/deep/er/style.css.temp",

	"templates/_extra.html",
	"templates/_extra.html.orig",
	"templates/._extra.html.swx",
	"templates/notes.txt",
	"templates/sub/x.html",
}

// TestSourcesAgree holds the three places that decide which files are
// sources to generator.SourceFile: the files the build reads, the changes
// that rebuild the preview (with events and by polling), and the changes
// that qdn sync asks to commit.
func TestSourcesAgree(t *testing.T) {
	var want []string
	for _, c := range sourceCandidates {
		if generator.SourceFile(c) {
			want = append(want, c)
		}
	}
	sort.Strings(want)

	t.Run("build", func(t *testing.T) {
		dir := candidateSite(t)
		writeCandidates(t, dir)
		got := readByBuild(t, dir)
		if !slices.Equal(got, want) {
			t.Errorf("the build reads %q;\nSourceFile accepts %q", got, want)
		}
	})
	for _, poll := range []time.Duration{0, 20 * time.Millisecond} {
		name := "preview events"
		if poll > 0 {
			name = "preview polling"
		}
		t.Run(name, func(t *testing.T) {
			dir := candidateSite(t)
			w := preview.NewWatcher(dir, preview.WatcherOptions{Poll: poll})
			if err := w.Open(); err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if poll == 0 && w.Polling() {
				t.Fatal("the file system gives no events here")
			}
			writeCandidates(t, dir)
			seen := map[string]bool{}
			for quiet := time.After(time.Second); ; {
				select {
				case b := <-w.Batches():
					if b.All {
						t.Fatalf("batch of everything; want the files")
					}
					for _, p := range b.Paths {
						seen[p] = true
					}
					quiet = time.After(500 * time.Millisecond)
					continue
				case <-quiet:
				}
				break
			}
			got := slices.Sorted(func(yield func(string) bool) {
				for p := range seen {
					if !yield(p) {
						return
					}
				}
			})
			if !slices.Equal(got, want) {
				t.Errorf("the preview rebuilds for %q;\nSourceFile accepts %q", got, want)
			}
		})
	}
	t.Run("sync", func(t *testing.T) {
		dir := candidateSite(t)
		git := func(args ...string) {
			t.Helper()
			cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
			cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t",
				"GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		}
		git("init", "-q")
		git("add", "-A")
		git("commit", "-q", "-m", "site")
		writeCandidates(t, dir)
		_, dirty, err := gitState(dir)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, line := range strings.Split(dirty, "\n") {
			if len(line) > 3 {
				got = append(got, line[3:])
			}
		}
		sort.Strings(got)
		if !slices.Equal(got, want) {
			t.Errorf("qdn sync asks to commit %q;\nSourceFile accepts %q", got, want)
		}
	})
}

// candidateSite copies the example site and adds the directories of the
// candidates, so that the watcher has them in place.
func candidateSite(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, name := range []string{"qdn.yaml", "content", "jobs", "templates"} {
		if err := sitegen.CopyTree(filepath.Join(root, name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// writeCandidates writes every candidate so that the build, if it reads
// the file, says so: a job file or template that does not parse, a page or
// an asset.
func writeCandidates(t *testing.T, dir string) {
	t.Helper()
	for _, c := range sourceCandidates {
		p := filepath.Join(dir, filepath.FromSlash(c))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var content string
		switch {
		case c == generator.ConfigFile:
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			content = string(b) + "\n# changed\n"
		case strings.HasPrefix(c, generator.JobsDir+"/"):
			content = "id: [\n"
		case strings.HasPrefix(c, generator.TemplatesDir+"/"):
			content = "{{ if }}\n"
		case strings.HasSuffix(c, ".md"):
			content = "---\ntitle: Extra\n---\nExtra.\n"
		default:
			content = "x\n"
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// readByBuild returns the candidates the build read, from what it made of
// them: errors, pages and assets.
func readByBuild(t *testing.T, dir string) []string {
	t.Helper()
	site, err := generator.Load(t.Context(), dir, generator.Options{})
	if site == nil {
		t.Fatalf("Load: %v", err)
	}
	read := map[string]bool{generator.ConfigFile: true}
	for _, e := range generator.Errors(err) {
		read[e.Pos.File] = true
	}
	for _, f := range site.Assets {
		read[f] = true
	}
	for _, p := range site.Pages {
		read[p.File] = true
	}
	var got []string
	for _, c := range sourceCandidates {
		if read[c] {
			got = append(got, c)
		}
	}
	sort.Strings(got)
	return got
}
