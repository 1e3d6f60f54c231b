package deploy

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// v1Manifest is a manifest as qdn wrote it before version 2: one JSON
// object per key.
const v1Manifest = `{"version":1,"commit":"abc123","synced":"2026-11-22T12:00:00Z","objects":{` +
	`"index.html":{"sha256":"4f2b0c6a2d6f1e3a9d1b7c8e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a","headers":"a1b2c3d4e5f60718","size":1234,"etag":"0123456789abcdef0123456789abcdef"},` +
	`"media/tour.mp4":{"sha256":"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff","headers":"1122334455667788","size":17825792,"etag":"0123456789abcdef0123456789abcdef-3"}},` +
	`"invalidated":{"month":"2026-11","paths":12}}`

func TestDecodeManifestVersion1(t *testing.T) {
	m, err := decodeManifest([]byte(v1Manifest))
	if err != nil {
		t.Fatalf("decodeManifest(version 1) = %v", err)
	}
	want := &Manifest{
		Version: 1, Commit: "abc123", Synced: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC),
		Entries: []Entry{
			{Path: "index.html", Hash: hexSum(t, "4f2b0c6a2d6f1e3a9d1b7c8e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a"), Headers: "a1b2c3d4e5f60718", Size: 1234, ETag: "0123456789abcdef0123456789abcdef"},
			{Path: "media/tour.mp4", Hash: hexSum(t, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"), Headers: "1122334455667788", Size: 17825792, ETag: "0123456789abcdef0123456789abcdef-3"},
		},
		Invalidated: MonthCount{Month: "2026-11", Paths: 12},
	}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("decodeManifest(version 1) (-want +got):\n%s", diff)
	}
	// Written again, it is version 2 and reads back the same.
	b, err := encodeManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodeManifest(b)
	if err != nil {
		t.Fatalf("decodeManifest(encodeManifest(version 1)) = %v", err)
	}
	want.Version = manifestVersion
	m.Version = manifestVersion
	if diff := cmp.Diff(want, back); diff != "" {
		t.Errorf("round trip of a version 1 manifest (-want +got):\n%s", diff)
	}
}

// TestDecodeManifestVersion2 reads testdata/manifest-v2.bin, a version 2
// manifest as qdn wrote it when it kept its entries in a map and its
// hashes in hex: plain MD5 ETags, a multipart one, one that is not an
// MD5, an empty one, paths that share prefixes, three header
// fingerprints. Written again, it is the same bytes.
func TestDecodeManifestVersion2(t *testing.T) {
	b, err := os.ReadFile("testdata/manifest-v2.bin")
	if err != nil {
		t.Fatal(err)
	}
	m, err := decodeManifest(b)
	if err != nil {
		t.Fatalf("decodeManifest(testdata/manifest-v2.bin) = %v", err)
	}
	want := &Manifest{
		Version: 2, Commit: "0123456789abcdef0123456789abcdef01234567", Dirty: true,
		Synced: time.Date(2026, 11, 30, 9, 15, 0, 0, time.UTC), Invalidated: MonthCount{Month: "2026-11", Paths: 37},
		Entries: []Entry{
			{Path: "index.html", Hash: hexSum(t, "4f2b0c6a2d6f1e3a9d1b7c8e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a"), Headers: "a1b2c3d4e5f60718", Size: 1234, ETag: "0123456789abcdef0123456789abcdef"},
			{Path: "media/tour.mp4", Hash: hexSum(t, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"), Headers: "1122334455667788", Size: 17825792, ETag: "0123456789abcdef0123456789abcdef-3"},
			{Path: "track/k3v9x2/index.html", Hash: hexSum(t, "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"), Headers: "a1b2c3d4e5f60718", Size: 7012, ETag: "fedcba9876543210fedcba9876543210"},
			{Path: "track/k3v9x7/index.html", Hash: hexSum(t, "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"), Headers: "a1b2c3d4e5f60718", Size: 6990, ETag: `"quoted by a server"`},
			{Path: "track/k3v9x7/index.html.br", Hash: hexSum(t, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), Headers: "99aabbccddeeff00", Size: 0, ETag: ""},
		},
	}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("decodeManifest(testdata/manifest-v2.bin) (-want +got):\n%s", diff)
	}
	for _, e := range want.Entries {
		if got, ok := m.Lookup(e.Path); !ok || got != e {
			t.Errorf("Lookup(%q) = %+v, %v; want %+v, true", e.Path, got, ok, e)
		}
	}
	if got, ok := m.Lookup("track/k3v9x5/index.html"); ok {
		t.Errorf("Lookup of a path not in the manifest = %+v, true; want false", got)
	}
	again, err := encodeManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, b) {
		t.Errorf("encodeManifest(decodeManifest(testdata/manifest-v2.bin)) differs from it:\n%x\nwant\n%x", again, b)
	}
}

// TestReadManifestStreamed reads a manifest as it arrives from a reader,
// a byte at a time or in the pieces of a network connection, with or
// without its size: the same manifest as from its bytes. A reader that
// fails part way fails the read with its error, not as damage.
func TestReadManifestStreamed(t *testing.T) {
	m := genManifest(5000) // some 450 KB: the reader's buffer is refilled
	b, err := encodeManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]func() io.Reader{
		"a byte at a time": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) },
		"in halves":        func() io.Reader { return iotest.HalfReader(bytes.NewReader(b)) },
	} {
		for _, size := range []int64{int64(len(b)), -1} {
			got, err := readManifest(r(), size)
			if err != nil {
				t.Fatalf("readManifest(%s, size %d) = %v", name, size, err)
			}
			if diff := cmp.Diff(m, got); diff != "" {
				t.Errorf("readManifest(%s, size %d) (-want +got):\n%s", name, size, diff)
			}
		}
	}
	broken := errors.New("connection reset")
	_, err = readManifest(io.MultiReader(bytes.NewReader(b[:len(b)/2]), iotest.ErrReader(broken)), int64(len(b)))
	if !errors.Is(err, broken) {
		t.Errorf("readManifest(cut by a failing connection) = %v; want its error", err)
	}
	// A reader that gives nothing and no error, without end, fails the
	// read rather than holding the sync.
	stuck := io.MultiReader(bytes.NewReader(b[:len(b)/2]), emptyReader{})
	if _, err = readManifest(stuck, int64(len(b))); !errors.Is(err, io.ErrNoProgress) {
		t.Errorf("readManifest(a reader that stops giving bytes) = %v; want %v", err, io.ErrNoProgress)
	}
	// A size too small for the entries announced is damage.
	if _, err := readManifest(bytes.NewReader(b), 100); err == nil || !strings.Contains(err.Error(), errDamaged.Error()) {
		t.Errorf("readManifest(size 100) = %v; want it refused as damaged", err)
	}
	// A version 1 manifest streams too.
	if got, err := readManifest(iotest.OneByteReader(strings.NewReader(v1Manifest)), -1); err != nil || len(got.Entries) != 2 {
		t.Errorf("readManifest(version 1) = %v, %v; want its 2 entries", got, err)
	}
}

// emptyReader reads nothing, and no error, every time.
type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, nil }

// TestReadBody reads a response into one slice of the size announced, and
// still reads one longer or without a size whole; one shorter is cut.
func TestReadBody(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 1000)
	for _, size := range []int64{int64(len(body)), int64(len(body)) - 1, int64(len(body)) - 7, 0, -1} {
		got, err := readBody(iotest.HalfReader(bytes.NewReader(body)), size)
		if err != nil || !bytes.Equal(got, body) {
			t.Errorf("readBody(size %d) = %d bytes, %v; want the %d bytes", size, len(got), err, len(body))
		}
	}
	if _, err := readBody(bytes.NewReader(body), int64(len(body))+1); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("readBody(a body shorter than announced) = %v; want %v", err, io.ErrUnexpectedEOF)
	}
}

// TestEncodeManifestUnsorted refuses to write entries out of order or a
// path twice: read back, such a manifest is refused as damaged.
func TestEncodeManifestUnsorted(t *testing.T) {
	a := Entry{Path: "a.css", ETag: "e"}
	b := Entry{Path: "b.css", ETag: "e"}
	for name, entries := range map[string][]Entry{
		"out of order": {b, a},
		"twice":        {a, a},
	} {
		_, err := encodeManifest(&Manifest{Entries: entries})
		if err == nil || !strings.HasPrefix(err.Error(), "write .qdn/manifest.json: path ") {
			t.Errorf("encodeManifest(%s) = %v; want it refused", name, err)
		}
	}
}

// hexSum returns the SHA-256 written in hex as s.
func hexSum(t testing.TB, s string) (sum [32]byte) {
	t.Helper()
	if n, err := hex.Decode(sum[:], []byte(s)); err != nil || n != len(sum) {
		t.Fatalf("hex SHA-256 %q: %d bytes, %v", s, n, err)
	}
	return sum
}

// genManifest returns a manifest of n keys shaped like a site's: most of
// them tracking pages under random tokens, a few header sets.
func genManifest(n int) *Manifest {
	m := &Manifest{Version: manifestVersion, Commit: strings.Repeat("c", 40), Synced: time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC), Entries: make([]Entry, 0, n)}
	fps := []string{"a1b2c3d4e5f60718", "1122334455667788", "99aabbccddeeff00"}
	for i := range n {
		sum := sha256.Sum256(binary.LittleEndian.AppendUint64(nil, uint64(i)))
		tok := strings.ToLower(hex.EncodeToString(sum[16:29]))[:26]
		path := "track/" + tok + "/index.html"
		etag := hex.EncodeToString(sum[:16])
		if i%1000 == 0 {
			path = fmt.Sprintf("media/%06d.jpg", i)
			etag += "-2"
		}
		m.Entries = append(m.Entries, Entry{Path: path, Hash: sum, Headers: fps[i%len(fps)], Size: int64(6000 + i%500), ETag: etag})
	}
	slices.SortFunc(m.Entries, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	return m
}

func TestManifestRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 2500} {
		m := genManifest(n)
		b, err := encodeManifest(m)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeManifest(b)
		if err != nil {
			t.Fatalf("decodeManifest(%d keys) = %v", n, err)
		}
		if diff := cmp.Diff(m, back); diff != "" {
			t.Errorf("round trip of %d keys (-want +got):\n%s", n, diff)
		}
	}
}

func TestDecodeManifestDamaged(t *testing.T) {
	b, err := encodeManifest(genManifest(10))
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(b)
	flipped[len(flipped)/2] ^= 1
	for name, bad := range map[string][]byte{
		"cut short":    b[:len(b)/2],
		"flipped byte": flipped,
		"only a magic": []byte(manifestMagic),
	} {
		_, err := decodeManifest(bad)
		if err == nil || err.Error() != "read .qdn/manifest.json: the manifest is cut short or damaged" {
			t.Errorf("decodeManifest(%s) = %v; want it refused as damaged", name, err)
		}
	}
	_, err = decodeManifest([]byte(`{"version":3,"objects":{}}`))
	if err == nil || !strings.Contains(err.Error(), "version 3, this qdn knows versions 1 and 2") {
		t.Errorf("decodeManifest(version 3) = %v; want it refused by version", err)
	}
}

// BenchmarkManifest writes and reads manifests of 10,000, 100,000 and
// 1,000,000 keys, reporting the size written:
//
//	go test -run '^$' -bench Manifest -benchmem ./deploy/
func BenchmarkManifest(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			m := genManifest(n)
			enc, err := encodeManifest(m)
			if err != nil {
				b.Fatal(err)
			}
			v1 := struct {
				Version int                `json:"version"`
				Objects map[string]v1Entry `json:"objects"`
			}{1, map[string]v1Entry{}}
			for _, e := range m.Entries {
				v1.Objects[e.Path] = v1Entry{Hash: hex.EncodeToString(e.Hash[:]), Headers: e.Headers, Size: e.Size, ETag: e.ETag}
			}
			encV1 := mustMarshal(b, v1)
			b.Run("write", func(b *testing.B) {
				for b.Loop() {
					if _, err := encodeManifest(m); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(enc)), "bytes")
			})
			b.Run("read", func(b *testing.B) {
				for b.Loop() {
					if _, err := decodeManifest(enc); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("v1-write", func(b *testing.B) {
				for b.Loop() {
					if _, err := json.Marshal(v1); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(encV1)), "bytes")
			})
			b.Run("v1-read", func(b *testing.B) {
				for b.Loop() {
					if _, err := decodeManifest(encV1); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

func mustMarshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestManifestStream reads the bytes of manifests of one chunk and of many
// as the bucket is sent them, in reads of odd sizes and after seeks (as a
// signed or retried request seeks): they are what encodeManifest returns,
// and decode to the manifest.
func TestManifestStream(t *testing.T) {
	for _, n := range []int{0, 1, 2500} {
		m := genManifest(n)
		whole, err := encodeManifest(m)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeManifest(whole)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(m.Entries, back.Entries); diff != "" {
			t.Fatalf("%d keys: decodeManifest(encodeManifest) differs (-want +got):\n%s", n, diff)
		}
		r, err := newManifestStream(m)
		if err != nil {
			t.Fatal(err)
		}
		if r.size != int64(len(whole)) {
			t.Fatalf("%d keys: stream of %d bytes; want %d", n, r.size, len(whole))
		}
		var got []byte
		for buf := make([]byte, 777); ; {
			k, err := r.Read(buf)
			got = append(got, buf[:k]...)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(got, whole) {
			t.Fatalf("%d keys: the stream read in 777-byte reads differs from encodeManifest", n)
		}
		if k, err := r.Read(make([]byte, 10)); k != 0 || err != io.EOF {
			t.Errorf("%d keys: a read past the end = %d, %v; want 0, EOF", n, k, err)
		}
		for _, off := range []int64{0, 1, int64(len(whole)) / 3, int64(len(whole)) - 4, int64(len(whole))} {
			for _, whence := range []int{io.SeekStart, io.SeekCurrent, io.SeekEnd} {
				from := map[int]int64{io.SeekStart: 0, io.SeekCurrent: r.off, io.SeekEnd: r.size}[whence]
				at, err := r.Seek(off-from, whence)
				if err != nil || at != off {
					t.Fatalf("%d keys: Seek(%d, %d) = %d, %v; want %d", n, off-from, whence, at, err, off)
				}
				rest, err := io.ReadAll(r)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(rest, whole[off:]) {
					t.Fatalf("%d keys: after Seek to %d, read %d bytes that differ from the %d after it", n, off, len(rest), len(whole)-int(off))
				}
			}
		}
		if _, err := r.Seek(-1, io.SeekStart); err == nil {
			t.Errorf("%d keys: Seek before the start succeeded", n)
		}
	}
}
