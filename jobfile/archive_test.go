package jobfile

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quickdumpnow/qdn/generator"
	"github.com/quickdumpnow/qdn/internal/sitegen"
)

// ended is a job that ended at the time given, as a file.
func endedJob(id, token string, st generator.Status, end string) string {
	return "id: " + id + "\ntoken: " + token + "\ncustomer: {name: Ruth}\nstatus: " + string(st) + "\n" +
		"history:\n  - {status: booked, at: 2025-01-02T09:00:00-07:00}\n  - {status: " + string(st) + ", at: " + end + "}\n"
}

func TestPlanArchive(t *testing.T) {
	jobs := map[string]string{
		"JOB-20250102-001.yaml": endedJob("JOB-20250102-001", "amjmobezssjp5pia4iukcejbpa", generator.Completed, "2025-12-31T23:30:00-07:00"),
		"JOB-20250102-002.yaml": endedJob("JOB-20250102-002", "amjmobezssjp5pia4iukcejbpb", generator.Cancelled, "2026-03-01T10:00:00-07:00"),
		// Ended, but within track.expire_after (720h) of the clock.
		"JOB-20250102-003.yaml": endedJob("JOB-20250102-003", "amjmobezssjp5pia4iukcejbpc", generator.Completed, "2026-11-20T10:00:00-07:00"),
		// Not ended.
		"JOB-20250102-004.yaml": "id: JOB-20250102-004\ntoken: amjmobezssjp5pia4iukcejbpd\ncustomer: {name: Ruth}\nstatus: booked\n" +
			"history:\n  - {status: booked, at: 2025-01-02T09:00:00-07:00}\n",
		// Ended at a time no one knows.
		"JOB-20250102-005.yaml": "id: JOB-20250102-005\ntoken: amjmobezssjp5pia4iukcejbpe\ncustomer: {name: Ruth}\nstatus: completed\n",
		// Not valid.
		"JOB-20250102-006.yaml": endedJob("JOB-20250102-006", "abc", generator.Completed, "2025-03-01T10:00:00-07:00"),
	}
	dir := jobTestSite(t, jobs)
	s, err := openAt(dir, testClock, nil)
	if err != nil {
		t.Fatal(err)
	}
	moves, skipped, err := s.PlanArchive(t.Context(), s.ArchiveCutoff())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range moves {
		got = append(got, m.From+" → "+m.To)
	}
	// The year is the one the job ended in, in the site's time zone: the
	// first ended on New Year's Eve in Boise, already 2026 in UTC.
	want := []string{
		"jobs/JOB-20250102-001.yaml → jobs/archive/2025/JOB-20250102-001.yaml",
		"jobs/JOB-20250102-002.yaml → jobs/archive/2026/JOB-20250102-002.yaml",
	}
	if !slices.Equal(got, want) {
		t.Errorf("PlanArchive = %q; want %q", got, want)
	}
	var sk []string
	for _, x := range skipped {
		sk = append(sk, x.File)
	}
	if want := []string{"jobs/JOB-20250102-005.yaml", "jobs/JOB-20250102-006.yaml"}; !slices.Equal(sk, want) {
		t.Errorf("PlanArchive skipped %q; want %q", sk, want)
	}
	if before := jobSources(t, dir); len(before) != len(jobs) {
		t.Errorf("PlanArchive changed jobs/: %v", slices.Collect(maps.Keys(before)))
	}

	// --before a day: only what ended before it.
	early, _, err := s.PlanArchive(t.Context(), time.Date(2026, 1, 1, 0, 0, 0, 0, s.loc()))
	if err != nil || len(early) != 1 || early[0].ID != "JOB-20250102-001" {
		t.Errorf("PlanArchive(before 2026-01-01) = %v, %v; want JOB-20250102-001 alone", early, err)
	}
	// A cutoff later than track.expire_after ago takes pages away.
	_, _, err = s.PlanArchive(t.Context(), testClock.Add(-time.Hour))
	var ce *CutoffError
	if !errors.As(err, &ce) || !ce.Latest.Equal(s.ArchiveCutoff()) {
		t.Errorf("PlanArchive(an hour ago) = %v; want a CutoffError with the latest cutoff", err)
	}

	if err := s.Archive(t.Context(), moves); err != nil {
		t.Fatal(err)
	}
	for _, m := range moves {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(m.To)))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != jobs[m.ID+".yaml"] {
			t.Errorf("%s holds\n%s\nwant the bytes of %s unchanged", m.To, b, m.From)
		}
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(m.From))); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s is still there after the move: %v", m.From, err)
		}
	}
	// Nothing is left to archive; the build reads the rest without error.
	if again, _, err := s.PlanArchive(t.Context(), s.ArchiveCutoff()); err != nil || len(again) != 0 {
		t.Errorf("PlanArchive after Archive = %v, %v; want nothing", again, err)
	}

	// The archive is read by Locate, refused by Resolve, counted by Create.
	id, file, err := s.Locate("job-20250102-001")
	if err != nil || id != "JOB-20250102-001" || file != "jobs/archive/2025/JOB-20250102-001.yaml" {
		t.Errorf("Locate = %q, %q, %v; want the archived file", id, file, err)
	}
	if _, err := s.Resolve("JOB-20250102-002"); !errors.As(err, new(*ArchivedError)) {
		t.Errorf("Resolve(archived) = %v; want an ArchivedError", err)
	}
	if _, _, err := s.SetStatus(t.Context(), "JOB-20250102-002", generator.Booked, StatusChange{Force: true}); !errors.As(err, new(*NotFoundError)) {
		t.Errorf("SetStatus(archived) = %v; want NotFoundError", err)
	}
	archived, err := s.ReadArchive(t.Context(), new(generator.ErrorList))
	if err != nil || len(archived) != 2 || archived[0].ID != "JOB-20250102-001" {
		t.Errorf("ReadArchive = %v, %v; want the two archived jobs", archived, err)
	}

	// A file of the same id in jobs/ and in the archive is an error of
	// every lookup, and the plan refuses to overwrite.
	if err := os.WriteFile(filepath.Join(dir, "jobs", "JOB-20250102-001.yaml"), []byte(jobs["JOB-20250102-001.yaml"]), 0o644); err != nil {
		t.Fatal(err)
	}
	var de *DuplicateError
	if _, _, err := s.Locate("JOB-20250102-001"); !errors.As(err, &de) || len(de.Files) != 2 {
		t.Errorf("Locate(in both) = %v; want a DuplicateError naming both files", err)
	}
	if _, _, err := s.PlanArchive(t.Context(), s.ArchiveCutoff()); !errors.As(err, &de) {
		t.Errorf("PlanArchive(in both) = %v; want a DuplicateError", err)
	}
	if got := readFile(t, filepath.Join(dir, "jobs", "archive", "2025", "JOB-20250102-001.yaml")); got != jobs["JOB-20250102-001.yaml"] {
		t.Errorf("the archived file changed:\n%s", got)
	}
}

// TestArchiveChanged: a file changed between the plan and the move stays.
func TestArchiveChanged(t *testing.T) {
	const id = "JOB-20250102-001"
	src := endedJob(id, "amjmobezssjp5pia4iukcejbpa", generator.Completed, "2025-03-01T10:00:00-07:00")
	dir := jobTestSite(t, map[string]string{id + ".yaml": src})
	s, err := openAt(dir, testClock, nil)
	if err != nil {
		t.Fatal(err)
	}
	moves, _, err := s.PlanArchive(t.Context(), s.ArchiveCutoff())
	if err != nil || len(moves) != 1 {
		t.Fatalf("PlanArchive = %v, %v", moves, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "jobs", id+".yaml"), []byte(src+"# reopened\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Archive(t.Context(), moves); err == nil || !strings.Contains(err.Error(), "changed while qdn was archiving it") {
		t.Errorf("Archive of a changed file = %v; want it refused", err)
	}
	if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(moves[0].To))); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the changed file was archived: %v", err)
	}
}

// TestCreateCountsArchive: a new job's number follows those of the archive
// too, so an id is never given twice.
func TestCreateCountsArchive(t *testing.T) {
	dir := jobTestSite(t, nil)
	day := filepath.Join(dir, "jobs", "archive", "2026")
	if err := os.MkdirAll(day, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(day, "JOB-20261124-004.yaml"), []byte("id: JOB-20261124-004\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	j, err := createJob(t.Context(), dir, generator.Job{Customer: generator.Customer{Name: "Ann"}, Service: "trailer-dump"}, createOpts{})
	if err != nil {
		t.Fatal(err)
	}
	if j.ID != "JOB-20261124-005" {
		t.Errorf("Create gave %s; want JOB-20261124-005, after the archived JOB-20261124-004", j.ID)
	}
}

// publicFiles returns the files a build wrote to dir/public.
func publicFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	root := filepath.Join(dir, generator.PublicDir)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestArchiveBuild holds that a build of a site whose old jobs are archived
// makes exactly the pages of a clean build of the same site unarchived,
// less the pages of the archived jobs (which have none by then).
func TestArchiveBuild(t *testing.T) {
	// 210 generated jobs that changed status on November 1st to 21st; on
	// December 12th with track.expire_after 720h, those that ended before
	// November 12th are archived.
	clock := time.Date(2026, 12, 12, 12, 0, 0, 0, time.UTC)
	opt := generator.Options{Now: func() time.Time { return clock }}
	clean, archived := t.TempDir(), t.TempDir()
	for _, dir := range []string{clean, archived} {
		if err := sitegen.Write("..", dir, 210); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := generator.Build(t.Context(), clean, opt); err != nil {
		t.Fatalf("Build: %v", err)
	}
	s, err := Open(archived, opt.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	moves, skipped, err := s.PlanArchive(t.Context(), s.ArchiveCutoff())
	if err != nil || len(skipped) > 0 {
		t.Fatalf("PlanArchive = %v, skipped %v", err, skipped)
	}
	if len(moves) < 20 {
		t.Fatalf("PlanArchive moves %d jobs; want the ended jobs of 11 days", len(moves))
	}
	if err := s.Archive(t.Context(), moves); err != nil {
		t.Fatal(err)
	}
	if _, err := generator.Build(t.Context(), archived, opt); err != nil {
		t.Fatalf("Build with an archive: %v", err)
	}
	want := publicFiles(t, clean)
	for _, m := range moves {
		var list generator.ErrorList
		j, err := s.ReadFile(m.To, &list)
		if err != nil || len(list) > 0 {
			t.Fatalf("ReadFile(%s) = %v, %v", m.To, err, list)
		}
		delete(want, strings.TrimPrefix(generator.TrackPath(j.Token), "/"))
	}
	got := publicFiles(t, archived)
	if !maps.Equal(got, want) {
		for p := range want {
			if _, ok := got[p]; !ok {
				t.Errorf("the build with an archive lacks %s", p)
			}
		}
		for p, b := range got {
			if w, ok := want[p]; !ok {
				t.Errorf("the build with an archive made %s, which a clean build does not", p)
			} else if w != b {
				t.Errorf("%s differs from a clean build's", p)
			}
		}
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
