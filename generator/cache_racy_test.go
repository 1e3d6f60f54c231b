package generator_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/quickdumpnow/qdn/generator"
)

// TestCacheEditInSameTickAfterRead edits a job file twice within one
// timestamp tick, the second time right after a build read it, keeping its
// size: its stamp is then the one the cache recorded, and only the racy
// rule (stamps close to the moment the build began reading are not
// trusted) makes the next build read it again. Chtimes stands in for the
// tick.
func TestCacheEditInSameTickAfterRead(t *testing.T) {
	dir := copySite(t, exampleSite)
	cache := t.TempDir()
	A := filepath.Join(dir, "jobs/JOB-20261121-001.yaml")
	m := time.Now().Add(-5 * time.Millisecond) // edited just before the build
	os.Chtimes(A, m, m)
	if _, err := generator.Build(t.Context(), dir, generator.Options{Now: testNow, CacheDir: cache}); err != nil {
		t.Fatal(err)
	}
	// second same-size edit in the same tick as the first (token rotated)
	src, _ := os.ReadFile(A)
	os.WriteFile(A, bytes.Replace(src, []byte("amjmobezssjp5pia4iukcejbpm"), []byte("6soof7sk3kuvrp6zjckbgbfsfm"), 1), 0o644)
	os.Chtimes(A, m, m)
	time.Sleep(100 * time.Millisecond)
	if _, err := generator.Build(t.Context(), dir, generator.Options{Now: testNow, CacheDir: cache}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "public/track/6soof7sk3kuvrp6zjckbgbfsfm/index.html")); err != nil {
		t.Errorf("rotated token has no page; the old token's page is still served: %v", err)
	}
}
