package generator_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/quickdumpnow/qdn/generator"
	"github.com/quickdumpnow/qdn/internal/sitegen"
)

// skimmedFields is what a build keeps of a job it skimmed.
func skimmedFields(j *generator.Job) string {
	return fmt.Sprintf("id=%s token=%s service=%s status=%s end=%s private=%v",
		j.ID, j.Token, j.Service, j.Status, j.EndedAt().UTC().Format(time.RFC3339), j.Private)
}

// TestSkimJobAsParsed checks that whatever skimJob takes from a job file
// is what the parser reads there, for the example site's jobs and
// generated ones in every status.
func TestSkimJobAsParsed(t *testing.T) {
	loc, err := time.LoadLocation("America/Boise")
	if err != nil {
		t.Fatal(err)
	}
	later := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	files := map[string][]byte{}
	names, err := filepath.Glob(filepath.Join(exampleSite, "jobs", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		files["jobs/"+filepath.Base(n)] = b
	}
	for i := 0; i < 30; i++ {
		for v := 0; v < 3; v++ {
			files[fmt.Sprintf("jobs/%s.yaml#%d", sitegen.ID(i), v)] = sitegen.Job(i, v)
		}
	}
	took := 0
	for name, src := range files {
		file, _, _ := strings.Cut(name, "#")
		var list generator.ErrorList
		full := generator.ParseJob(file, src, loc, &list)
		j, ok := generator.SkimJob(file, src, loc, later, time.Hour)
		if want := full.Status.Ended() && !full.EndedAt().IsZero(); ok != want {
			t.Errorf("skimJob(%s) took it: %v; want %v (status %s)", name, ok, want, full.Status)
		}
		if !ok {
			continue
		}
		took++
		if len(list) > 0 {
			t.Fatalf("ParseJob(%s): %v", name, list)
		}
		if got, want := skimmedFields(j), skimmedFields(full); got != want {
			t.Errorf("skimJob(%s) = %s; want %s", name, got, want)
		}
	}
	if took < 30 {
		t.Errorf("skimJob took %d files; want at least 30", took)
	}
}

// TestSkimJobLeaves checks that skimJob leaves to the parser a job that has
// not ended long enough ago, and every file in a form it does not read.
func TestSkimJobLeaves(t *testing.T) {
	loc, err := time.LoadLocation("America/Boise")
	if err != nil {
		t.Fatal(err)
	}
	later := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	base := `id: JOB-1
token: qs5noppu3pcssgtaxrmprg3t4a
customer:
  name: Gloria
service: junk-removal
status: completed
history:
  - {status: booked, at: 2026-09-04T12:30:00-06:00}
  - {status: completed, at: 2026-09-05T10:40:00-06:00}
private:
  phone: "+1 208 555 0111"
`
	if _, ok := generator.SkimJob("jobs/JOB-1.yaml", []byte(base), loc, later, time.Hour); !ok {
		t.Fatal("skimJob did not take the base file")
	}
	for _, tc := range []struct{ name, old, new string }{
		{"booked", "status: completed", "status: booked"},
		{"ended recently", "2026-09-05T10:40", "2029-12-31T23:40"},
		{"a comma in a note", "10:40:00-06:00}", "10:40:00-06:00, note: late, then done}"},
		{"an escape", `"+1 208 555 0111"`, `"+1 208 555 \u0030111"`},
		{"status twice", "status: completed\n", "status: completed\nstatus: booked\n"},
		{"a comment after the status", "status: completed", "status: completed # or not"},
		{"a tab", "  phone:", "\tphone:"},
		{"a carriage return", "status: completed\n", "status: completed\r\n"},
		{"an entry without a time", "{status: booked, at: 2026-09-04T12:30:00-06:00}", "{status: booked}"},
		{"a history over two lines", "{status: booked, at: 2026-09-04T12:30:00-06:00}", "{status: booked,\n     at: 2026-09-04T12:30:00-06:00}"},
		{"a value below a scalar key", "service: junk-removal", "service:\n  junk-removal"},
		{"an unknown key", "service: junk-removal", "service: junk-removal\nservise: x"},
		{"a nested private value", `  phone: "+1 208 555 0111"`, "  phone:\n    home: \"+1 208 555 0111\""},
		{"a null status", "status: completed", "status: ~"},
		{"a time that is no time", "2026-09-05T10:40:00-06:00", "yesterday"},
	} {
		src := strings.Replace(base, tc.old, tc.new, 1)
		if src == base {
			t.Fatalf("%s: %q is not in the base file", tc.name, tc.old)
		}
		if j, ok := generator.SkimJob("jobs/JOB-1.yaml", []byte(src), loc, later, time.Hour); ok {
			t.Errorf("%s: skimJob took the file: %s", tc.name, skimmedFields(j))
		}
	}
}

// TestBuildSkimsExpiredJobs checks that a build that skims the jobs that
// ended more than track.expire_after ago makes exactly the public/ and the
// changes a build that parses every job makes: into an empty public/, and
// later, when more jobs have expired and their pages go.
func TestBuildSkimsExpiredJobs(t *testing.T) {
	skim, plain := genSite(t, 60), genSite(t, 60)
	for _, dir := range []string{skim, plain} {
		replaceIn(t, dir, "qdn.yaml", "expire_after: 720h", "expire_after: 168h")
	}
	for _, cached := range []bool{false, true} {
		for _, now := range []time.Time{testNow(), testNow().Add(4 * 24 * time.Hour)} {
			t.Run(fmt.Sprintf("cache=%v/%s", cached, now.Format("Jan 2")), func(t *testing.T) {
				opt := func(dir string) generator.Options {
					o := generator.Options{Now: func() time.Time { return now }}
					if cached {
						o.CacheDir = filepath.Join(dir, ".cache")
					}
					return o
				}
				before := generator.Skimmed()
				got, err := generator.Build(t.Context(), skim, opt(skim))
				if err != nil {
					t.Fatal(err)
				}
				if generator.Skimmed() == before && !cached {
					t.Error("the build skimmed no job")
				}
				reset := generator.SetSkim(false)
				want, err := generator.Build(t.Context(), plain, opt(plain))
				reset()
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(tree(t, filepath.Join(plain, generator.PublicDir)), tree(t, filepath.Join(skim, generator.PublicDir))); d != "" {
					t.Errorf("public/ of the skimming build differs (-parsing +skimming):\n%s", d)
				}
				if d := cmp.Diff(want.Changes, got.Changes); d != "" {
					t.Errorf("changes of the skimming build differ (-parsing +skimming):\n%s", d)
				}
				if !now.Equal(testNow()) && !cached && len(got.Changes.Removed) == 0 {
					t.Error("no page was removed four days later")
				}
			})
		}
	}
}
