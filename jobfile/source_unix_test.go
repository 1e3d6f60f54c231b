//go:build unix

package jobfile

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/quickdumpnow/qdn/generator"
)

// TestJobCommandsRefuseLinks checks that the commands that edit a job
// neither read nor write through a link out of the site.
func TestJobCommandsRefuseLinks(t *testing.T) {
	dir := jobTestSite(t, nil)
	out := t.TempDir()
	target := filepath.Join(out, "job.yaml")
	if err := os.WriteFile(target, []byte(commentedJob), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(dir, "jobs", "JOB-20261121-001.yaml")); err != nil {
		t.Fatal(err)
	}
	_, err := setStatus(t.Context(), dir, "JOB-20261121-001", generator.Completed, statusOpts{Force: true})
	if err == nil || !strings.Contains(err.Error(), "jobs/JOB-20261121-001.yaml: a link that leads out of the site") {
		t.Errorf("SetStatus through a link out = %v; want it refused", err)
	}
	if b, _ := os.ReadFile(target); !bytes.Equal(b, []byte(commentedJob)) {
		t.Errorf("SetStatus wrote through the link")
	}

	// jobs/ itself a link out: a new job is not created there.
	dir = jobTestSite(t, nil)
	os.RemoveAll(filepath.Join(dir, "jobs"))
	if err := os.Symlink(out, filepath.Join(dir, "jobs")); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadDir(out)
	_, err = createJob(t.Context(), dir, generator.Job{Customer: generator.Customer{Name: "Ann"}, Address: "1 Main St", Service: "trailer-dump"}, createOpts{})
	if err == nil {
		t.Errorf("Create with jobs/ linked out of the site = nil; want an error")
	}
	if after, _ := os.ReadDir(out); len(after) != len(before) {
		t.Errorf("Create wrote %d files out of the site", len(after)-len(before))
	}
}

// TestReadImportRefused checks that qdn job import refuses a named pipe and
// a device at once instead of waiting on them or reading without end.
func TestReadImportRefused(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "jobs.json")
	if err := unix.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ path, want string }{
		{fifo, fifo + ": a named pipe, not a regular file"},
		{"/dev/zero", "/dev/zero: a device, not a regular file"},
	} {
		done := make(chan error, 1)
		go func() {
			_, err := ReadImport(tt.path)
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || err.Error() != tt.want {
				t.Errorf("ReadImport(%s) = %v; want %q", tt.path, err, tt.want)
			}
		case <-time.After(time.Minute):
			t.Fatalf("ReadImport(%s) did not return within a minute", tt.path)
		}
	}
}
