package generator

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCacheEntriesFor: each job file finds its own entry and no other, by
// walking the cache beside the sorted names, whether the names are the
// cache's own or jobs/ gained, lost or renamed files since; and the cache
// survives encoding as it was.
func TestCacheEntriesFor(t *testing.T) {
	files := []string{"content/x.yaml", "jobs/A.yaml", "jobs/B-2.yaml", "jobs/B.yaml", "jobs/C.yaml", "jobsx/D.yaml"}
	c := &buildCache{Version: cacheVersion}
	for _, f := range files {
		c.Jobs = append(c.Jobs, &cacheEntry{File: f, ID: f})
	}
	var b bytes.Buffer
	if err := c.encodeTo(&b); err != nil {
		t.Fatal(err)
	}
	got, ok := decodeCache(b.Bytes())
	if !ok || !c.sameAs(got) {
		t.Fatalf("decodeCache(encode()) = %v, %v; want the cache back", got, ok)
	}
	c = got
	tests := []struct {
		names []string
		want  []string // the File of the entry found for each name, "" for none
	}{
		{nil, nil},
		{[]string{"A.yaml", "B-2.yaml", "B.yaml", "C.yaml"}, []string{"jobs/A.yaml", "jobs/B-2.yaml", "jobs/B.yaml", "jobs/C.yaml"}},
		{[]string{"A.yaml", "B.yaml", "C.yaml"}, []string{"jobs/A.yaml", "jobs/B.yaml", "jobs/C.yaml"}},
		{[]string{"0.yaml", "B-1.yaml", "B.yaml", "D.yaml", "x.yaml"}, []string{"", "", "jobs/B.yaml", "", ""}},
		{[]string{"A.yaml", "B-2.yaml", "B.yaml", "C.yaml", "Z.yaml", "ZZ.yaml"}, []string{"jobs/A.yaml", "jobs/B-2.yaml", "jobs/B.yaml", "jobs/C.yaml", "", ""}},
		// As many names as entries, but not the same files.
		{[]string{"A.yaml", "B.yaml", "C.yaml", "D.yaml", "E.yaml", "x.yaml"}, []string{"jobs/A.yaml", "jobs/B.yaml", "jobs/C.yaml", "", "", ""}},
	}
	for _, tc := range tests {
		entries := c.entriesFor(tc.names)
		var got []string
		for i := range tc.names {
			f := ""
			if entries[i] != nil {
				f = entries[i].File
			}
			got = append(got, f)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("entriesFor(%q) (-want +got):\n%s", tc.names, diff)
		}
	}
	for _, f := range files {
		if e := c.entry(f); e == nil || e.File != f {
			t.Errorf("entry(%q) = %v; want its entry", f, e)
		}
	}
	if e := c.entry("jobs/AA.yaml"); e != nil {
		t.Errorf("entry(jobs/AA.yaml) = %v; want nil", e)
	}
}
