package generator_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/quickdumpnow/qdn/generator"
)

// TestCacheChecksChangedJobs: a rebuild that finds every job as the cache
// has it does not check the jobs against each other again (the build that
// wrote the cache did), and one job changed by hand, or added, is checked
// against all the others, which the cache alone knows.
func TestCacheChecksChangedJobs(t *testing.T) {
	for _, tc := range []struct {
		name string
		file string // the job file written, from JOB-20261121-001.yaml
		old  string
		new  string
		want string // the one error the build must report
	}{
		{"token taken from another job", "JOB-20261121-001.yaml", "amjmobezssjp5pia4iukcejbpm", "gnpwtovg6kxp6tjqvyyyw65dly",
			"jobs/JOB-20261121-001.yaml:3:8: token is also used by jobs/JOB-20261120-002.yaml"},
		{"id taken from another job", "JOB-20261121-001.yaml", "id: JOB-20261121-001", "id: job-20261120-002",
			`jobs/JOB-20261121-001.yaml:2:5: id "job-20261120-002" is also used by jobs/JOB-20261120-002.yaml`},
		{"new job with a token taken", "JOB-20261121-009.yaml", "id: JOB-20261121-001", "id: JOB-20261121-009",
			"jobs/JOB-20261121-009.yaml:3:8: token is also used by jobs/JOB-20261121-001.yaml"},
		{"service that does not exist", "JOB-20261121-001.yaml", "service: trailer-dump", "service: pool-fill",
			`jobs/JOB-20261121-001.yaml:7:10: service "pool-fill" has no content/book/pool-fill.md`},
		{"status off its service's steps", "JOB-20261121-001.yaml", "service: trailer-dump", "service: junk-removal",
			"jobs/JOB-20261121-001.yaml:11:9: status ready_for_pickup is not a step of service junk-removal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copySite(t, exampleSite)
			opt := settledCache(t, dir, generator.JobChecksKept, "checked the jobs again")
			b, err := os.ReadFile(filepath.Join(dir, "jobs/JOB-20261121-001.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(b, []byte(tc.old)) {
				t.Fatalf("the job has no %q", tc.old)
			}
			write(t, filepath.Join(dir, "jobs", tc.file), string(bytes.Replace(b, []byte(tc.old), []byte(tc.new), 1)))
			_, err = generator.Build(t.Context(), dir, opt)
			l := generator.Errors(err)
			if len(l) == 0 {
				t.Fatalf("Build = %v; want the error %s", err, tc.want)
			}
			found := false
			for _, e := range l {
				found = found || e.Pos.String()+": "+e.Msg == tc.want
			}
			if !found {
				t.Errorf("Build = %v; want the error %s", err, tc.want)
			}
		})
	}
}

// TestCacheRecordsNewStamps: a page whose stamp changed but not its bytes
// (touched), or whose directory's did (a file made and removed in it), is
// read once, and its new stamp recorded, so that the build after trusts it
// again without reading; a rebuild that wrote nothing must not keep the
// entry as it was.
func TestCacheRecordsNewStamps(t *testing.T) {
	const page = "public/track/amjmobezssjp5pia4iukcejbpm"
	for _, tc := range []struct {
		name   string
		change func(t *testing.T, dir string)
	}{
		{"page touched", func(t *testing.T, dir string) {
			old := time.Now().Add(-2 * time.Minute)
			if err := os.Chtimes(filepath.Join(dir, page, "index.html"), old, old); err != nil {
				t.Fatal(err)
			}
		}},
		{"file made and removed beside a page", func(t *testing.T, dir string) {
			write(t, filepath.Join(dir, page, "notes.txt"), "x")
			if err := os.Remove(filepath.Join(dir, page, "notes.txt")); err != nil {
				t.Fatal(err)
			}
			// Past the racy window of the directory's new stamp.
			time.Sleep(100 * time.Millisecond)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copySite(t, exampleSite)
			opt := settledCache(t, dir, generator.TrackTrusted, "read public/track")
			rebuild := func(step string) (*generator.Result, bool) {
				t.Helper()
				before := generator.TrackTrusted()
				res, err := generator.Build(t.Context(), dir, opt)
				if err != nil {
					t.Fatalf("%s: Build: %v", step, err)
				}
				if res.Changes.Len() != 0 {
					t.Fatalf("%s: changes %v", step, res.Changes.All())
				}
				return res, generator.TrackTrusted() > before
			}
			res, _ := rebuild("before")
			unread := generator.Unread(res.Output)
			tc.change(t, dir)
			rebuild("after the change")
			res, trackTrusted := rebuild("the build after")
			if n := generator.Unread(res.Output); n != unread || !trackTrusted {
				t.Errorf("the build after the one that saw the change left %d outputs unread (want %d), trusted public/track: %v (want true)",
					n, unread, trackTrusted)
			}
		})
	}
}
