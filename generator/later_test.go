package generator

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quickdumpnow/qdn/internal/sitegen"
)

func laterNow() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }

// renderTwice has the builds of a test check every tracking page as they
// render it and render it again as they write it (see laterPages), and
// calls before, when not nil, before they write.
func renderTwice(t *testing.T, before func(out *Output)) {
	t.Helper()
	indexFirst, beforeWrite = true, before
	t.Cleanup(func() { indexFirst, beforeWrite = false, nil })
}

// publicFiles returns every file under dir/public with its bytes.
func publicFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	pub := filepath.Join(dir, PublicDir)
	err := filepath.WalkDir(pub, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(pub, p)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return files
}

// TestLaterPagesWritten builds a generated site whose tracking pages are
// all checked as rendered and rendered again as written: public/ must hold
// exactly what Render makes in memory, and the output must know the sum
// of every page as written, into an empty public/ and over one where some
// pages are as they were, some changed and some are gone.
func TestLaterPagesWritten(t *testing.T) {
	dir := t.TempDir()
	if err := sitegen.Write("..", dir, 100); err != nil {
		t.Fatal(err)
	}
	var later int
	renderTwice(t, func(out *Output) { later = len(out.later.at) })
	for round := range 2 {
		if round == 1 {
			// Half the jobs change, and a few pages are removed.
			for i := 0; i < 100; i += 2 {
				if err := os.WriteFile(filepath.Join(dir, JobsDir, sitegen.ID(i)+".yaml"), sitegen.Job(i, 1), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for i := 0; i < 100; i += 7 {
				os.Remove(filepath.Join(dir, PublicDir, filepath.FromSlash(TrackPath(sitegen.Token(i)))))
			}
		}
		res, err := Build(t.Context(), dir, Options{Now: laterNow})
		if err != nil {
			t.Fatal(err)
		}
		s, err := Load(t.Context(), dir, Options{Now: laterNow})
		if err != nil {
			t.Fatal(err)
		}
		if later != len(s.LiveJobs()) {
			t.Errorf("round %d: %d tracking pages rendered twice; want all %d", round, later, len(s.LiveJobs()))
		}
		want, err := Render(t.Context(), s)
		if err != nil {
			t.Fatal(err)
		}
		got := publicFiles(t, dir)
		if len(got) != want.Len() {
			t.Errorf("round %d: public/ holds %d files; want %d", round, len(got), want.Len())
		}
		for p, b := range want.files {
			if !bytes.Equal(got[p], b) {
				t.Errorf("round %d: public/%s holds %d bytes; want the %d bytes Render makes", round, p, len(got[p]), len(b))
			}
			sum, size, ok := res.Output.Sum(p)
			if !ok || sum != sha256.Sum256(got[p]) || size != int64(len(got[p])) {
				t.Errorf("round %d: Sum(%s) = %x %d %v; public/ holds %x %d", round, p, sum, size, ok, sha256.Sum256(got[p]), len(got[p]))
			}
		}
	}
}

// TestLaterPageChanged: a tracking page that comes out different when it
// is rendered again to be written than when it was rendered and checked
// fails the build and is not written. Here its job changes in between, to
// show what the check never saw: another job's private phone number.
func TestLaterPageChanged(t *testing.T) {
	dir := t.TempDir()
	if err := sitegen.Write("..", dir, 80); err != nil {
		t.Fatal(err)
	}
	const secret = "+1 208 555 0041"
	var changed *Job
	renderTwice(t, func(out *Output) {
		for k, j := range out.later.jobs {
			if j != nil && j.ID == sitegen.ID(40) {
				changed = out.later.jobs[k]
				changed.Customer.Name = secret
			}
		}
	})
	_, err := Build(t.Context(), dir, Options{Now: laterNow})
	if changed == nil {
		t.Fatalf("the page of %s was not rendered twice", sitegen.ID(40))
	}
	want := fmt.Sprintf("%s: its tracking page %s came out different", changed.File, TrackPath(changed.Token))
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Build = %v; want an error with %q", err, want)
	}
	files := publicFiles(t, dir)
	if _, ok := files[TrackPath(changed.Token)]; ok {
		t.Errorf("the page of %s was written", changed.ID)
	}
	for p, b := range files {
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("public/%s holds %q, which the check never saw", p, secret)
		}
	}
}

// TestLaterPageLeaks: a private value on a tracking page that is checked as
// it is rendered fails the build, which writes nothing.
func TestLaterPageLeaks(t *testing.T) {
	dir := t.TempDir()
	if err := sitegen.Write("..", dir, 80); err != nil {
		t.Fatal(err)
	}
	// Job 58's address, in job 59's private notes: job 58's page shows it.
	address := fmt.Sprintf("%d %s, Boise, ID", 100+58, []string{"Soderblom Ave", "W Hays St", "N 28th St", "E Parkcenter Blvd", "W Franklin Rd", "S Capitol Blvd"}[58%6])
	job := strings.Replace(string(sitegen.Job(59, 0)), "  notes: generated job 59\n", "  notes: \""+address+"\"\n", 1)
	if err := os.WriteFile(filepath.Join(dir, JobsDir, sitegen.ID(59)+".yaml"), []byte(job), 0o644); err != nil {
		t.Fatal(err)
	}
	renderTwice(t, nil)
	_, err := Build(t.Context(), dir, Options{Now: laterNow})
	if want := "private.notes of " + sitegen.ID(59); err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Build = %v; want an error with %q", err, want)
	}
	if files := publicFiles(t, dir); len(files) > 0 {
		t.Errorf("a build that failed its check wrote %d files", len(files))
	}
}
