package main

import (
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
