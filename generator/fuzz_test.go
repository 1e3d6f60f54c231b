package generator_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/quickdumpnow/qdn/generator"
)

// FuzzParseJob feeds job decoding arbitrary bytes: it must never panic, and
// every error it reports must name the file and a line and column.
func FuzzParseJob(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(exampleSite, "jobs", "*.yaml"))
	bad, _ := filepath.Glob(filepath.Join("testdata", "sites", "*", "jobs", "*.yaml"))
	for _, p := range append(seeds, bad...) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("id: [\n"))
	f.Add([]byte("history: {a: b}\n"))
	f.Add([]byte("---\nid: a\n---\nid: b\n"))
	f.Add([]byte("id: &a x\ntoken: *a\n"))
	loc, err := time.LoadLocation("America/Boise")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		var list generator.ErrorList
		j := generator.ParseJob("jobs/JOB-1.yaml", src, loc, &list)
		if j == nil {
			t.Fatal("ParseJob returned nil")
		}
		for _, e := range list {
			if e.Pos.File != "jobs/JOB-1.yaml" || e.Pos.Line < 1 || e.Pos.Col < 1 {
				t.Errorf("error without a position: %q at %+v", e.Msg, e.Pos)
			}
		}
	})
}
