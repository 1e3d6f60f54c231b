package generator_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/quickdumpnow/qdn/generator"
)

// TestBuilderMatchesCleanBuild drives a Builder through a series of edits,
// each rebuilt with only the changed paths, and checks after each that its
// output is what a clean load and render of the same sources gives.
func TestBuilderMatchesCleanBuild(t *testing.T) {
	dir := copySite(t, exampleSite)
	b := generator.NewBuilder(dir, generator.Options{Now: testNow})
	if _, err := b.Rebuild(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	write := func(rel, src string) {
		if err := os.WriteFile(filepath.Join(dir, rel), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	edit := func(rel, old, new string) {
		src, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(src, []byte(old)) {
			t.Fatalf("%s has no %q", rel, old)
		}
		write(rel, string(bytes.Replace(src, []byte(old), []byte(new), 1)))
	}
	mark := "jobs/JOB-20261121-001.yaml"
	steps := []struct {
		name    string
		do      func()
		changed []string
		wantErr bool
		want    *generator.Changes
	}{
		{"status change", func() { edit(mark, "status: ready_for_pickup", "status: in_progress") }, []string{mark}, false,
			&generator.Changes{Modified: []string{"track/amjmobezssjp5pia4iukcejbpm/index.html"}}},
		{"broken job keeps the last good output", func() { edit(mark, "status: in_progress", "status: [") }, []string{mark}, true, nil},
		{"fixed again", func() { edit(mark, "status: [", "status: completed") }, []string{mark}, false,
			&generator.Changes{Modified: []string{"track/amjmobezssjp5pia4iukcejbpm/index.html"}}},
		{"token rotated", func() { edit(mark, "amjmobezssjp5pia4iukcejbpm", "6soof7sk3kuvrp6zjckbgbfsfm") }, []string{mark}, false,
			&generator.Changes{Added: []string{"track/6soof7sk3kuvrp6zjckbgbfsfm/index.html"}, Removed: []string{"track/amjmobezssjp5pia4iukcejbpm/index.html"}}},
		{"duplicate token in a new job", func() {
			write("jobs/JOB-20261122-009.yaml", "id: JOB-20261122-009\ntoken: 6soof7sk3kuvrp6zjckbgbfsfm\ncustomer: {name: Zed}\nstatus: booked\n")
		}, []string{"jobs/JOB-20261122-009.yaml"}, true, nil},
		{"new job with its own token", func() {
			write("jobs/JOB-20261122-009.yaml", "id: JOB-20261122-009\ntoken: hp4cwp5ok74hlfpbwdxobc2vce\ncustomer: {name: Zed}\nstatus: booked\n")
		}, []string{"jobs/JOB-20261122-009.yaml"}, false,
			&generator.Changes{Added: []string{"track/hp4cwp5ok74hlfpbwdxobc2vce/index.html"}}},
		{"job removed", func() { os.Remove(filepath.Join(dir, "jobs/JOB-20261122-001.yaml")) }, []string{"jobs/JOB-20261122-001.yaml"}, false,
			&generator.Changes{Removed: []string{"track/g35dkbjc7bpdaqtnqwiivfozku/index.html"}}},
		{"editor swap file", func() { write("jobs/.JOB-20261120-002.yaml.swp", "junk") }, []string{"jobs/.JOB-20261120-002.yaml.swp"}, false,
			&generator.Changes{}},
		{"service renamed", func() { edit("content/book/junk-removal.md", "title: Junk removal", "title: Junk hauling") }, []string{"content/book/junk-removal.md"}, false, nil},
		{"template changed", func() { edit("templates/track.html", "Anyone with this link", "Anyone who has this link") }, []string{"templates/track.html"}, false, nil},
		{"qdn.yaml broken", func() { edit("qdn.yaml", "timezone: America/Boise", "timezone: Nowhere/Land") }, []string{"qdn.yaml"}, true, nil},
		{"job edited while qdn.yaml is broken", func() { edit("jobs/JOB-20261120-002.yaml", "status: in_progress", "status: completed") }, []string{"jobs/JOB-20261120-002.yaml"}, true, nil},
		{"qdn.yaml fixed", func() { edit("qdn.yaml", "timezone: Nowhere/Land", "timezone: America/Denver") }, []string{"qdn.yaml"}, false, nil},
	}
	for _, st := range steps {
		prev := b.Output()
		st.do()
		res, err := b.Rebuild(t.Context(), st.changed)
		if (err != nil) != st.wantErr {
			t.Fatalf("%s: Rebuild error = %v; want error %v", st.name, err, st.wantErr)
		}
		if err != nil {
			if b.Output() != prev {
				t.Errorf("%s: a failed rebuild replaced the output", st.name)
			}
			continue
		}
		if st.want != nil {
			if diff := cmp.Diff(st.want, res.Changes); diff != "" {
				t.Errorf("%s: changes (-want +got):\n%s", st.name, diff)
			}
		}
		_, clean := render(t, dir)
		if diff := cmp.Diff(outFiles(t, clean), outFiles(t, res.Output)); diff != "" {
			t.Fatalf("%s: Builder output differs from a clean build (-clean +builder):\n%s", st.name, diff)
		}
	}
}
