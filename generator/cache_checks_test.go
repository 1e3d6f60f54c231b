package generator_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

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
