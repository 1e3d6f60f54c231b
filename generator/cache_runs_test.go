package generator

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"
)

// TestCacheRuns: a cache of more entries than a run holds comes back as it
// was, whether its entries were held or made as it was written, and a file
// whose runs are out of order, or whose run lengths do not fit the
// entries, is refused.
func TestCacheRuns(t *testing.T) {
	const n = 2*cacheRun + 17
	c := &buildCache{Version: cacheVersion, Key: [32]byte{1}, Checked: map[string][32]byte{"index.html": {2}}, Track: stamp{3, 4}, TrackEntries: 5,
		JobsStat: stamp{6, 7}}
	entry := func(i int) cacheEntry {
		return cacheEntry{File: fmt.Sprintf("jobs/J%06d.yaml", i), Src: [32]byte{byte(i)}, SrcStat: stamp{int64(i), -int64(i)}, ID: fmt.Sprint("J", i),
			Token: fmt.Sprint("t", i), Service: "junk-removal", Status: "completed", Ended: int64(i) << 20, Private: "p", Page: [32]byte{byte(i >> 8)},
			PageStat: stamp{1, int64(i)}, DirStat: stamp{2, int64(i)}}
	}
	for i := range n {
		e := entry(i)
		c.Jobs = append(c.Jobs, &e)
	}
	encode := func(c *buildCache) []byte {
		var b bytes.Buffer
		if err := c.encodeTo(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	held := encode(c)
	streamed := encode(&buildCache{Version: cacheVersion, Key: c.Key, Checked: c.Checked, Track: c.Track, TrackEntries: c.TrackEntries,
		JobsStat: c.JobsStat, stream: &entryStream{n: n, fill: func(start int, out []cacheEntry) {
			for k := range out {
				out[k] = entry(start + k)
			}
		}}})
	if !bytes.Equal(held, streamed) {
		t.Error("the cache written from entries made as it is written differs from the one written from entries held")
	}
	got, ok := decodeCache(bytes.Clone(held))
	if !ok || !c.sameAs(got) {
		t.Fatalf("decodeCache(encode()) = %v; want the cache back", ok)
	}

	// The file as encodeTo lays it out: the header, then each run after
	// its length, then the rest.
	head := binary.AppendUvarint(nil, cacheVersion)
	head = append(head, c.Key[:]...)
	head = binary.AppendUvarint(head, n)
	rest := held[len(head):]
	var runs [][]byte
	for range (n + cacheRun - 1) / cacheRun {
		size, k := binary.Uvarint(rest)
		runs, rest = append(runs, rest[k:k+int(size)]), rest[k+int(size):]
	}
	file := func(runs ...[]byte) []byte {
		b := bytes.Clone(head)
		for _, r := range runs {
			b = binary.AppendUvarint(b, uint64(len(r)))
			b = append(b, r...)
		}
		return append(b, rest...)
	}
	if got, ok := decodeCache(file(runs...)); !ok || !c.sameAs(got) {
		t.Fatalf("the file put back together does not decode: %v", ok)
	}
	moved := append([]byte{}, runs[0]...)
	for i, tc := range []struct {
		name string
		b    []byte
	}{
		{"runs swapped", file(runs[1], runs[0], runs[2])},
		{"a run twice", file(runs[0], runs[0], runs[2])},
		{"an entry moved to the run before", file(append(moved, runs[1][:len(runs[1])/2]...), runs[1][len(runs[1])/2:], runs[2])},
		{"a run cut short", file(runs[0], runs[1][:len(runs[1])-1], runs[2])},
		{"a run missing", file(runs[0], runs[1])},
	} {
		if _, ok := decodeCache(tc.b); ok {
			t.Errorf("%d: %s: decodeCache accepted it", i, tc.name)
		}
	}
}
