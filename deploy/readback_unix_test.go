//go:build unix

package deploy_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/quickdumpnow/qdn/deploy"
)

// TestUploadRefusesNamedPipe puts a named pipe in place of a page in
// public/ between the plan and its upload: the sync fails on that page at
// once, rather than wait on the pipe for a writer that never comes.
func TestUploadRefusesNamedPipe(t *testing.T) { onEachS3(t, testUploadRefusesNamedPipe) }

func testUploadRefusesNamedPipe(t *testing.T, e *env) {
	res := e.buildForgotten(t.TempDir())
	files, err := deploy.Files(res.Output, res.Config)
	if err != nil {
		t.Fatal(err)
	}
	page := ""
	for _, f := range files {
		if strings.HasPrefix(f.Path, "track/") {
			page = f.Path
			break
		}
	}
	target := filepath.Join(e.site, "public", filepath.FromSlash(page))
	if err := os.Remove(target); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mkfifo(target, 0o644); err != nil {
		t.Fatal(err)
	}
	s, _ := e.syncer()
	release := lock(t, s, "test")
	defer release(context.Background())
	p, err := plan(t, s, files, planOpts)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Apply(t.Context(), p, deploy.Deploy{Commit: "abc123"})
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), page) {
			t.Errorf("sync with a named pipe in place of %s = %v; want an error naming it", page, err)
		}
	case <-time.After(time.Minute):
		// Let the read end, so the sync does too.
		if w, err := os.OpenFile(target, os.O_WRONLY|unix.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		<-done
		t.Fatalf("the sync waited on the named pipe in place of %s", page)
	}
}
