package main

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quickdumpnow/qdn/internal/sitegen"
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
			"replace":  cmdReplace,
			"append":   cmdAppend,
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

// cmdReplace is "replace FILE OLD NEW": FILE with its first OLD replaced by
// NEW, failing when OLD is not in it. It stands in for sed, which Windows
// lacks.
func cmdReplace(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: replace FILE OLD NEW")
	}
	name := ts.MkAbs(args[0])
	b, err := os.ReadFile(name)
	ts.Check(err)
	if !strings.Contains(string(b), args[1]) {
		ts.Fatalf("%s does not contain %q", args[0], args[1])
	}
	ts.Check(os.WriteFile(name, []byte(strings.Replace(string(b), args[1], args[2], 1)), 0o644))
}

// cmdAppend is "append FILE FROM...": the files FROM added to the end of
// FILE. It stands in for cat with a redirection, which needs a shell.
func cmdAppend(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: append FILE FROM...")
	}
	f, err := os.OpenFile(ts.MkAbs(args[0]), os.O_WRONLY|os.O_APPEND, 0)
	ts.Check(err)
	for _, from := range args[1:] {
		b, err := os.ReadFile(ts.MkAbs(from))
		ts.Check(err)
		_, err = f.Write(b)
		ts.Check(err)
	}
	ts.Check(f.Close())
}
