package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quickdumpnow/qdn/internal/sitegen"
)

// TestBuildInterrupted sends SIGINT, as Ctrl-C does, to a qdn build of a
// large generated site and checks that it stops with a clear message and
// exit code 130, well before the build would have finished.
func TestBuildInterrupted(t *testing.T) {
	site := t.TempDir()
	if err := sitegen.Write(repoRoot(t), site, 20000); err != nil {
		t.Fatal(err)
	}
	// The test binary is qdn when called by that name (see TestMain).
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	qdn := filepath.Join(t.TempDir(), "qdn")
	if err := os.Symlink(self, qdn); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(qdn, "build", "--site", site, "--no-cache")
	cmd.Stderr = &stderr
	ready := filepath.Join(t.TempDir(), "ready")
	cmd.Env = append(os.Environ(), "QDN_TEST_READY="+ready)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// Once qdn handles Ctrl-C, and a little more for it to be reading
	// the jobs.
	for deadline := time.Now().Add(time.Minute); ; {
		if _, err := os.Stat(ready); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("qdn did not start within a minute")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-exited:
		t.Fatalf("qdn build finished before it was interrupted (%v); the site is too small to test\n%s", err, stderr.String())
	case <-time.After(200 * time.Millisecond):
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err = <-exited:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-exited
		t.Fatalf("qdn build still ran 10 s after SIGINT\n%s", stderr.String())
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 130 {
		t.Fatalf("qdn build after SIGINT: %v; want exit status 130\n%s", err, stderr.String())
	}
	want := "qdn: error: build interrupted; public/ may hold part of this build\n" +
		"qdn: hint: run qdn build again: it replaces what this build left half done\n"
	if got := stderr.String(); !strings.Contains(got, want) {
		t.Errorf("qdn build after SIGINT wrote:\n%s\nwant:\n%s", got, want)
	}
}
