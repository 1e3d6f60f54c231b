package generator_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/quickdumpnow/qdn/generator"
)

func replaceIn(t *testing.T, dir, rel, old, new string) {
	t.Helper()
	p := filepath.Join(dir, rel)
	src, err := os.ReadFile(p)
	if err != nil || !bytes.Contains(src, []byte(old)) {
		t.Fatalf("%s: %v / no %q", rel, err, old)
	}
	if err := os.WriteFile(p, bytes.Replace(src, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

func cleanOutput(t *testing.T, dir string) *generator.Output {
	t.Helper()
	s, err := generator.Load(t.Context(), dir, generator.Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	out, err := generator.Render(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A valid edit of A in a batch that failed (because of B) is lost when the
// next batch only names B.
func TestBuilderLosesEditFromFailedBatch(t *testing.T) {
	dir := copySite(t, exampleSite)
	b := generator.NewBuilder(dir, generator.Options{Now: testNow})
	if _, err := b.Rebuild(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	A, B := "jobs/JOB-20261121-001.yaml", "jobs/JOB-20261122-001.yaml"
	replaceIn(t, dir, A, "status: ready_for_pickup", "status: in_progress")
	replaceIn(t, dir, B, "status: booked", "status: [")
	if _, err := b.Rebuild(t.Context(), []string{A, B}); err == nil {
		t.Fatal("want error")
	}
	replaceIn(t, dir, B, "status: [", "status: booked")
	res, err := b.Rebuild(t.Context(), []string{B})
	if err != nil {
		t.Fatal(err)
	}
	p := "track/amjmobezssjp5pia4iukcejbpm/index.html"
	if !bytes.Equal(outFiles(t, res.Output)[p], outFiles(t, cleanOutput(t, dir))[p]) {
		t.Errorf("%s differs from a clean build (stale status)", p)
	}
}

// A duplicate token reported against B by a full load is never forgotten
// when the duplicate is fixed by editing A.
func TestBuilderStaleDuplicateError(t *testing.T) {
	dir := copySite(t, exampleSite)
	A, B := "jobs/JOB-20261121-001.yaml", "jobs/JOB-20261122-001.yaml"
	replaceIn(t, dir, B, "g35dkbjc7bpdaqtnqwiivfozku", "amjmobezssjp5pia4iukcejbpm")
	b := generator.NewBuilder(dir, generator.Options{Now: testNow})
	if _, err := b.Rebuild(t.Context(), nil); err == nil {
		t.Fatal("want duplicate-token error")
	}
	replaceIn(t, dir, A, "amjmobezssjp5pia4iukcejbpm", "6soof7sk3kuvrp6zjckbgbfsfm")
	cleanOutput(t, dir) // a clean load succeeds
	if _, err := b.Rebuild(t.Context(), []string{A}); err != nil {
		t.Errorf("incremental rebuild still fails: %v", err)
	}
}

// A full rebuild that fails to render (a template that errors for one job)
// followed by a job-only change: the incremental path reuses every page of
// the output made with the OLD templates.
func TestBuilderAfterFailedRender(t *testing.T) {
	dir := copySite(t, exampleSite)
	b := generator.NewBuilder(dir, generator.Options{Now: testNow})
	if _, err := b.Rebuild(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	src, _ := os.ReadFile("../templates/track.html")
	src = bytes.Replace(src, []byte(`{{define "main"}}{{with .Track}}`),
		[]byte(`{{define "main"}}{{with .Track}}<p>NEW TEMPLATE</p>{{if eq .ID "JOB-20261121-001"}}{{index .Steps 99}}{{end}}`), 1)
	os.MkdirAll(filepath.Join(dir, "templates"), 0o755)
	if err := os.WriteFile(filepath.Join(dir, "templates/track.html"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Rebuild(t.Context(), []string{"templates/track.html"}); err == nil {
		t.Fatal("want render error")
	}
	// the user removes the bad job
	os.Remove(filepath.Join(dir, "jobs/JOB-20261121-001.yaml"))
	res, err := b.Rebuild(t.Context(), []string{"jobs/JOB-20261121-001.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	clean := cleanOutput(t, dir)
	p := "track/g35dkbjc7bpdaqtnqwiivfozku/index.html"
	if !bytes.Equal(outFiles(t, res.Output)[p], outFiles(t, clean)[p]) {
		t.Errorf("%s: builder output made with the old template (clean has NEW TEMPLATE: %v, builder: %v)", p,
			bytes.Contains(outFiles(t, clean)[p], []byte("NEW TEMPLATE")), bytes.Contains(outFiles(t, res.Output)[p], []byte("NEW TEMPLATE")))
	}
}
