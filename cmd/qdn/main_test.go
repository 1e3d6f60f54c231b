package main

import (
	"context"
	"github.com/quickdumpnow/qdn/internal/sitegen"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// testNow is the clock of every CLI test, so that which jobs expired does
// not depend on the day the tests run.
var testNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"qdn": func() {
			// As in main: Ctrl-C (kill -INT in a script) cancels the command.
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			if f := os.Getenv("QDN_TEST_READY"); f != "" {
				// Tell TestBuildInterrupted that Ctrl-C is handled now.
				os.WriteFile(f, nil, 0o644)
			}
			m := &Main{Stdout: os.Stdout, Stderr: os.Stderr, Now: func() time.Time { return testNow }}
			code := m.report(m.Run(ctx, os.Args[1:]))
			stop()
			os.Exit(code)
		},
	})
}

// TestScripts runs the CLI scenarios in testdata/script: each one reads like
// the session of a user it protects. `example` copies the example site of
// this repository into the script's work directory.
func TestScripts(t *testing.T) {
	root := repoRoot(t)
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("QDN_REPO", root)
			env.Setenv("NO_COLOR", "1")
			// Free ports for qdn serve, one per script so scripts can run
			// in parallel.
			for _, name := range []string{"PORT", "PORT2"} {
				port, err := freePort()
				if err != nil {
					return err
				}
				env.Setenv(name, strconv.Itoa(port))
			}
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"example":  cmdExample(root),
			"jobtoken": cmdJobToken,
			"get":      cmdGet,
		},
	})
}

func repoRoot(t *testing.T) string {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// cmdExample copies the example site (qdn.yaml, content/, jobs/,
// templates/) into the script's work directory.
func cmdExample(root string) func(ts *testscript.TestScript, neg bool, args []string) {
	return func(ts *testscript.TestScript, neg bool, args []string) {
		for _, name := range []string{"qdn.yaml", "content", "jobs", "templates"} {
			if err := sitegen.CopyTree(filepath.Join(root, name), ts.MkAbs(name)); err != nil {
				ts.Fatalf("copy %s: %v", name, err)
			}
		}
	}
}
