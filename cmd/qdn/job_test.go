package main

import (
	"bytes"
	"context"
	"github.com/quickdumpnow/qdn/internal/sitegen"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quickdumpnow/qdn/generator"
	"github.com/rogpeppe/go-internal/testscript"
)

// cmdJobToken is the script command `jobtoken ID VAR`: it sets $VAR to the
// token of the job ID as its file holds it, so that a script can follow a
// link that qdn made up at random.
func cmdJobToken(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: jobtoken ID VAR")
	}
	file := generator.JobFile(args[0])
	var list generator.ErrorList
	j := generator.ParseJob(file, []byte(ts.ReadFile(file)), time.UTC, &list)
	if j.Token == "" {
		ts.Fatalf("%s has no token", file)
	}
	ts.Setenv(args[1], j.Token)
}

// TestJobExitCodes checks that bad input exits 2 when the command was called
// wrongly and 1 when it was called right but cannot be done.
func TestJobExitCodes(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	site := t.TempDir()
	for _, name := range []string{"qdn.yaml", "content", "jobs"} {
		if err := sitegen.CopyTree(filepath.Join(root, name), filepath.Join(site, name)); err != nil {
			t.Fatal(err)
		}
	}
	dup := filepath.Join(site, "dup.json")
	if err := os.WriteFile(dup, []byte(`[{"jobId": "JOB_20240523_001", "name": "Ruth", "status": "booked", "token": "3f1c9a7be40d52e86a1c0f9d3b7e2a64"}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		code int
	}{
		{[]string{"job"}, 2},
		{[]string{"job", "bogus"}, 2},
		{[]string{"job", "new", "--name", "Ruth"}, 2},
		{[]string{"job", "new", "--name", "Ruth", "--address", "x", "--service", "trailer-dump", "--price", "six"}, 2},
		{[]string{"job", "new", "--name", "Ruth", "--address", "x", "--service", "dumpster", "--price", "600"}, 2},
		{[]string{"job", "new", "--bogus"}, 2},
		{[]string{"job", "status", "JOB-20261121-001"}, 2},
		{[]string{"job", "status", "JOB-20261121-001", "shipped"}, 2},
		{[]string{"job", "status", "JOB-9", "completed"}, 1},
		{[]string{"job", "status", "JOB-2026112", "completed"}, 1},
		{[]string{"job", "status", "JOB-20261118-001", "booked"}, 1},
		{[]string{"job", "rotate", "JOB-9"}, 1},
		{[]string{"job", "link", "JOB-2026112"}, 1},
		{[]string{"job", "show"}, 2},
		{[]string{"job", "list", "--status", "shipped"}, 2},
		{[]string{"job", "import"}, 2},
		{[]string{"job", "import", filepath.Join(site, "missing.json")}, 1},
		{[]string{"job", "import", dup}, 1},
		{[]string{"job", "link", "JOB-20261121-001"}, 0},
		{[]string{"job", "list"}, 0},
		{[]string{"job", "--help"}, 0},
		{[]string{"help", "job"}, 0},
	}
	for _, tt := range tests {
		args := append(append([]string{}, tt.args...), "--site", site)
		if len(tt.args) < 2 || tt.args[0] == "help" || tt.args[1] == "--help" {
			args = tt.args
		}
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr); code != tt.code {
			t.Errorf("qdn %s exited %d; want %d\n%s", strings.Join(args, " "), code, tt.code, stderr.String())
		}
	}
}
