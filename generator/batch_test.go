package generator_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/quickdumpnow/qdn/generator"
	"github.com/quickdumpnow/qdn/internal/sitegen"
)

// tree returns every file under dir with its bytes, and every directory
// with a trailing slash and no bytes.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			out[filepath.ToSlash(rel)+"/"] = ""
			return nil
		}
		b, err := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return out
}

// genSite writes a generated site of n jobs.
func genSite(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	if err := sitegen.Write(exampleSite, dir, n); err != nil {
		t.Fatal(err)
	}
	return dir
}

// batched builds dir as Build does when it has more tracking pages to
// render than it holds in memory: 7 at a time once there are more than 10.
func batched(ctx context.Context, t *testing.T, dir string, opt generator.Options) (*generator.Result, error) {
	t.Helper()
	defer generator.SetBatch(7, 10)()
	return generator.Build(ctx, dir, opt)
}

// TestBatchedBuildAsPlain checks that a build that renders and writes its
// tracking pages in batches makes exactly the public/ and the changes a
// build holding every page in memory makes: into an empty public/, and
// over the public/ of an earlier build after jobs changed, went and came,
// a page was edited by hand and a stray file appeared, with the cache and
// without.
func TestBatchedBuildAsPlain(t *testing.T) {
	for _, cached := range []bool{false, true} {
		t.Run(fmt.Sprintf("cache=%v", cached), func(t *testing.T) {
			plain, batch := genSite(t, 60), genSite(t, 60)
			opts := func() generator.Options {
				o := generator.Options{Now: testNow}
				if cached {
					o.CacheDir = t.TempDir()
				}
				return o
			}
			plainOpt, batchOpt := opts(), opts()
			compare := func(step string, want, got *generator.Result) {
				t.Helper()
				if d := cmp.Diff(tree(t, filepath.Join(plain, generator.PublicDir)), tree(t, filepath.Join(batch, generator.PublicDir))); d != "" {
					t.Errorf("%s: public/ of the batched build differs from the plain build's (-plain +batched):\n%s", step, d)
				}
				if d := cmp.Diff(want.Changes, got.Changes); d != "" {
					t.Errorf("%s: changes of the batched build differ (-plain +batched):\n%s", step, d)
				}
				if d := cmp.Diff(outFiles(t, want.Output), outFiles(t, got.Output)); d != "" {
					t.Errorf("%s: output of the batched build differs (-plain +batched):\n%s", step, d)
				}
			}
			want, err := generator.Build(t.Context(), plain, plainOpt)
			if err != nil {
				t.Fatal(err)
			}
			slim := generator.Slim()
			got, err := batched(t.Context(), t, batch, batchOpt)
			if err != nil {
				t.Fatal(err)
			}
			if generator.Slim() == slim {
				t.Error("the batched build kept every job whole; want it to keep them in part and read them again")
			}
			if got.Changes.Len() != 68 {
				t.Fatalf("the first build changed %d files; want 68", got.Changes.Len())
			}
			compare("into an empty public/", want, got)

			for _, dir := range []string{plain, batch} {
				for i := 0; i < 60; i += 4 {
					writeFiles(t, dir, map[string]string{"jobs/" + sitegen.ID(i) + ".yaml": string(sitegen.Job(i, 1))})
				}
				for i := 1; i < 60; i += 9 {
					os.Remove(filepath.Join(dir, "jobs", sitegen.ID(i)+".yaml"))
				}
				for i := 60; i < 75; i++ {
					writeFiles(t, dir, map[string]string{"jobs/" + sitegen.ID(i) + ".yaml": string(sitegen.Job(i, 0))})
				}
				writeFiles(t, dir, map[string]string{
					"public/track/" + sitegen.Token(3) + "/index.html": "edited by hand",
					"public/track/stray/index.html":                    "not a page of the site",
				})
			}
			waitRacy()
			want, err = generator.Build(t.Context(), plain, plainOpt)
			if err != nil {
				t.Fatal(err)
			}
			got, err = batched(t.Context(), t, batch, batchOpt)
			if err != nil {
				t.Fatal(err)
			}
			if got.Changes.Len() == 0 || len(got.Changes.Modified) == 0 || len(got.Changes.Removed) == 0 {
				t.Fatalf("the second build changed %+v; want files added, modified and removed", got.Changes)
			}
			compare("over an earlier build", want, got)

			// Every page gone: a cached build parses the jobs again.
			for _, dir := range []string{plain, batch} {
				if err := os.RemoveAll(filepath.Join(dir, generator.PublicDir)); err != nil {
					t.Fatal(err)
				}
			}
			want, err = generator.Build(t.Context(), plain, plainOpt)
			if err != nil {
				t.Fatal(err)
			}
			got, err = batched(t.Context(), t, batch, batchOpt)
			if err != nil {
				t.Fatal(err)
			}
			compare("into a public/ removed", want, got)
		})
	}
}

// TestBatchedBuildWritesNothingOnError checks that a batched build that
// fails, on a job's private value shown in the last batch's page of
// another job or on an invalid job, leaves public/ as it was: empty, or as
// an earlier build left it, with no page staged for the batches before.
func TestBatchedBuildWritesNothingOnError(t *testing.T) {
	// Job 58's address, in job 59's private notes: job 58's page shows it.
	address := fmt.Sprintf("%d %s, Boise, ID", 100+58, []string{"Soderblom Ave", "W Hays St", "N 28th St", "E Parkcenter Blvd", "W Franklin Rd", "S Capitol Blvd"}[58%6])
	leakJob := strings.Replace(string(sitegen.Job(59, 0)), "  notes: generated job 59\n", "  notes: \""+address+"\"\n", 1)
	badJob := strings.Replace(string(sitegen.Job(59, 0)), "status: ", "status: finished #", 1)
	for _, tc := range []struct {
		name, job, want string
	}{
		{"private value on a page", leakJob, "private.notes of " + sitegen.ID(59)},
		{"invalid job", badJob, "unknown status"},
	} {
		for _, earlier := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/earlier build %v", tc.name, earlier), func(t *testing.T) {
				dir := genSite(t, 60)
				if earlier {
					for i := 0; i < 60; i += 2 {
						writeFiles(t, dir, map[string]string{"jobs/" + sitegen.ID(i) + ".yaml": string(sitegen.Job(i, 1))})
					}
					if _, err := generator.Build(t.Context(), dir, generator.Options{Now: testNow}); err != nil {
						t.Fatal(err)
					}
					for i := 0; i < 60; i += 2 {
						writeFiles(t, dir, map[string]string{"jobs/" + sitegen.ID(i) + ".yaml": string(sitegen.Job(i, 0))})
					}
				}
				writeFiles(t, dir, map[string]string{"jobs/" + sitegen.ID(59) + ".yaml": tc.job})
				before := tree(t, filepath.Join(dir, generator.PublicDir))
				slim := generator.Slim()
				_, err := batched(t.Context(), t, dir, generator.Options{Now: testNow})
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Build = %v; want an error with %q", err, tc.want)
				}
				if generator.Slim() == slim {
					t.Error("the batched build kept every job whole; want it to keep them in part")
				}
				if d := cmp.Diff(before, tree(t, filepath.Join(dir, generator.PublicDir))); d != "" {
					t.Errorf("a failed build changed public/ (-before +after):\n%s", d)
				}
			})
		}
	}
}

// lastLive returns the index of the generated job whose page a build of dir
// renders last, with the number of tracking pages: the pages are rendered
// in the order of the job files' names.
func lastLive(t *testing.T, dir string, n int) (last, pages int) {
	t.Helper()
	res, err := generator.Build(t.Context(), dir, generator.Options{Now: testNow, NoWrite: true})
	if err != nil {
		t.Fatal(err)
	}
	last = -1
	for i := 0; i < n; i++ {
		if _, err := res.Output.Bytes(generator.TrackPath(sitegen.Token(i))); err != nil {
			continue
		}
		pages++
		if last < 0 || sitegen.ID(i) > sitegen.ID(last) {
			last = i
		}
	}
	return last, pages
}

// TestBuildFailsOnJobChangedAfterValidation checks that a build that keeps
// its jobs in part and reads their files again to render them fails, saying
// which file and what to do, when a job file changed or went after it was
// validated, and leaves public/ as it was: with the pages rendered in
// batches, after staging the batches before the file's; with few pages to
// render, over a cached build.
func TestBuildFailsOnJobChangedAfterValidation(t *testing.T) {
	edits := []struct {
		name string
		edit func(dir string, i int) error
	}{
		{"changed", func(dir string, i int) error {
			return os.WriteFile(filepath.Join(dir, "jobs", sitegen.ID(i)+".yaml"), sitegen.Job(i, 2), 0o644)
		}},
		{"removed", func(dir string, i int) error { return os.Remove(filepath.Join(dir, "jobs", sitegen.ID(i)+".yaml")) }},
	}
	for _, e := range edits {
		for _, how := range []string{"into an empty public/", "over an earlier build", "cached, few pages to render"} {
			t.Run(e.name+"/"+how, func(t *testing.T) {
				dir := genSite(t, 60)
				last, pages := lastLive(t, dir, 60)
				if pages < 3*7 {
					t.Fatalf("%d tracking pages; want more than 3 batches", pages)
				}
				opt := generator.Options{Now: testNow}
				switch how {
				case "over an earlier build":
					if _, err := generator.Build(t.Context(), dir, opt); err != nil {
						t.Fatal(err)
					}
					for i := 0; i < 60; i += 2 {
						writeFiles(t, dir, map[string]string{"jobs/" + sitegen.ID(i) + ".yaml": string(sitegen.Job(i, 1))})
					}
				case "cached, few pages to render":
					opt.CacheDir = t.TempDir()
					if _, err := batched(t.Context(), t, dir, opt); err != nil {
						t.Fatal(err)
					}
					writeFiles(t, dir, map[string]string{"jobs/" + sitegen.ID(last) + ".yaml": string(sitegen.Job(last, 1))})
					waitRacy()
				}
				before := tree(t, filepath.Join(dir, generator.PublicDir))
				slim := generator.Slim()
				var editErr error
				reset := generator.SetAfterValidate(func() { editErr = e.edit(dir, last) })
				_, err := batched(t.Context(), t, dir, opt)
				reset()
				if editErr != nil {
					t.Fatal(editErr)
				}
				if generator.Slim() == slim {
					t.Error("the build kept every job whole")
				}
				file := "jobs/" + sitegen.ID(last) + ".yaml"
				list := generator.Errors(err)
				for _, want := range []string{file + ": changed or removed while the site was being built", "hint: run qdn build again"} {
					if len(list) != 1 || !strings.Contains(list.Format(), want) {
						t.Fatalf("Build with %s %s after validation = %v; want one error with %q", file, e.name, err, want)
					}
				}
				if d := cmp.Diff(before, tree(t, filepath.Join(dir, generator.PublicDir))); d != "" {
					t.Errorf("a failed build changed public/ (-before +after):\n%s", d)
				}
			})
		}
	}
}

// TestBuildFailsOnJobChangedBeforeReuse: in a build that keeps its jobs
// whole, a job the cache trusted but whose page is gone from public/ is
// read again; a file changed since it was validated fails the build, which
// leaves public/ as it was, instead of writing a page that the checks of the
// whole site (a token taken twice, say) never saw.
func TestBuildFailsOnJobChangedBeforeReuse(t *testing.T) {
	dir := genSite(t, 20)
	last, _ := lastLive(t, dir, 20)
	opt := generator.Options{Now: testNow, CacheDir: t.TempDir()}
	if _, err := generator.Build(t.Context(), dir, opt); err != nil {
		t.Fatal(err)
	}
	waitRacy()
	page := "track/" + sitegen.Token(last) + "/index.html"
	if err := os.Remove(filepath.Join(dir, generator.PublicDir, filepath.FromSlash(page))); err != nil {
		t.Fatal(err)
	}
	before := tree(t, filepath.Join(dir, generator.PublicDir))
	file := filepath.Join(dir, "jobs", sitegen.ID(last)+".yaml")
	slim := generator.Slim()
	reset := generator.SetAfterValidate(func() {
		if err := os.WriteFile(file, sitegen.Job(last, 2), 0o644); err != nil {
			t.Error(err)
		}
	})
	_, err := generator.Build(t.Context(), dir, opt)
	reset()
	if generator.Slim() != slim {
		t.Error("a build of 20 jobs kept them in part")
	}
	want := "jobs/" + sitegen.ID(last) + ".yaml: changed or removed while the site was being built"
	if list := generator.Errors(err); len(list) != 1 || !strings.Contains(list.Format(), want) {
		t.Fatalf("Build = %v; want one error with %q", err, want)
	}
	if d := cmp.Diff(before, tree(t, filepath.Join(dir, generator.PublicDir))); d != "" {
		t.Errorf("a failed build changed public/ (-before +after):\n%s", d)
	}
}

// TestBatchedBuildCancelledWhileRenaming checks that a batched build
// cancelled while it puts its staged pages in place returns
// context.Canceled, leaves no staged file behind, and that the next build
// makes the public/ of a clean build.
func TestBatchedBuildCancelledWhileRenaming(t *testing.T) {
	dir := genSite(t, 60)
	if _, err := generator.Build(t.Context(), dir, generator.Options{Now: testNow}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 60; i++ {
		writeFiles(t, dir, map[string]string{"jobs/" + sitegen.ID(i) + ".yaml": string(sitegen.Job(i, 1))})
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var renamed atomic.Int64
	reset := generator.SetAfterWrite(func(string) {
		if renamed.Add(1) == 10 {
			cancel()
		}
	})
	_, err := batched(ctx, t, dir, generator.Options{Now: testNow})
	reset()
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Build cancelled while renaming = %v; want context.Canceled", err)
	}
	for p := range tree(t, filepath.Join(dir, generator.PublicDir)) {
		if strings.Contains(p, ".qdn-tmp") {
			t.Errorf("the cancelled build left %s", p)
		}
	}
	want := cleanBuild(t, dir)
	if _, err := batched(t.Context(), t, dir, generator.Options{Now: testNow}); err != nil {
		t.Fatal(err)
	}
	got, _ := snapshot(t, filepath.Join(dir, generator.PublicDir))
	if !same(got, want) {
		t.Error(describeDiff(got, want))
	}
}

// TestBuildKnowsSums builds a generated site plainly and batched, without
// and with a cache, three times each (the last ones trust the pages the
// cache recorded): once the output forgot its bytes, Output.Sum gives
// every output's SHA-256 and size as public/ holds them, without reading
// them back.
func TestBuildKnowsSums(t *testing.T) {
	for _, tc := range []struct {
		name    string
		batched bool
		cache   bool
	}{{"plain", false, false}, {"plain cached", false, true}, {"batched", true, false}, {"batched cached", true, true}} {
		t.Run(tc.name, func(t *testing.T) {
			dir := genSite(t, 40)
			opt := generator.Options{Now: testNow}
			if tc.cache {
				opt.CacheDir = t.TempDir()
			}
			for i := range 3 {
				var res *generator.Result
				var err error
				if tc.batched {
					res, err = batched(context.Background(), t, dir, opt)
				} else {
					res, err = generator.Build(context.Background(), dir, opt)
				}
				if err != nil {
					t.Fatal(err)
				}
				res.Output.Forget()
				for _, p := range res.Output.Paths() {
					sum, size, ok := res.Output.Sum(p)
					if !ok {
						t.Errorf("build %d: Sum(%s) not known", i+1, p)
						continue
					}
					b, err := os.ReadFile(filepath.Join(dir, "public", filepath.FromSlash(p)))
					if err != nil {
						t.Fatal(err)
					}
					if sum != sha256.Sum256(b) || size != int64(len(b)) {
						t.Errorf("build %d: Sum(%s) = %x %d; public/ holds %x %d", i+1, p, sum, size, sha256.Sum256(b), len(b))
					}
				}
				time.Sleep(100 * time.Millisecond) // past the cache's racy window
			}
		})
	}
}

// TestBatchedOutputListsPagesByToken checks that the output of a batched
// build lists its tracking pages without a path of each in its map of
// pages (at a million pages, that map cost about 100 MB at the build's
// peak), and still gives each: in Paths and Len, to Has, and to Bytes as
// public/ holds it.
func TestBatchedOutputListsPagesByToken(t *testing.T) {
	dir := genSite(t, 40)
	res, err := batched(t.Context(), t, dir, generator.Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	out := res.Output
	for _, p := range generator.HeldPaths(out) {
		if strings.HasPrefix(p, "track/") {
			t.Errorf("the output's map of pages holds %s; want the tracking pages listed by token only", p)
		}
	}
	paths := out.Paths()
	if len(paths) != out.Len() {
		t.Errorf("Len() = %d; Paths() lists %d", out.Len(), len(paths))
	}
	if !slices.IsSorted(paths) {
		t.Errorf("Paths() is not sorted: %v", paths)
	}
	want := tree(t, filepath.Join(dir, generator.PublicDir))
	files := 0
	for p := range want {
		if !strings.HasSuffix(p, "/") {
			files++
		}
	}
	if len(paths) != files {
		t.Errorf("Paths() lists %d paths; public/ holds %d files", len(paths), files)
	}
	track := 0
	for _, p := range paths {
		if strings.HasPrefix(p, "track/") {
			track++
		}
		if !out.Has(p) {
			t.Errorf("Has(%s) = false; want true", p)
		}
		b, err := out.Bytes(p)
		if err != nil {
			t.Errorf("Bytes(%s): %v", p, err)
			continue
		}
		if string(b) != want[p] {
			t.Errorf("Bytes(%s) differs from public/", p)
		}
	}
	if track == 0 {
		t.Error("Paths() lists no tracking page")
	}
	if out.Has("track/nosuchtoken/index.html") {
		t.Error("Has(track/nosuchtoken/index.html) = true; want false")
	}
}
