package deploy

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"maps"
	"slices"
	"strings"
	"time"
)

// Names of the state objects, under the environment's prefix.
const (
	ManifestKey = StateDir + "manifest.json"
	PendingKey  = StateDir + "pending.json"
	LockKey     = StateDir + "lock.json"
	CheckKey    = StateDir + "check.json"
)

// Manifest is what the last complete sync of an environment published. It
// is written after the uploads and deletes, so it never claims an object
// that is not in the bucket.
type Manifest struct {
	Version int
	// Commit is the git commit of the sources deployed, and Dirty says
	// whether they had uncommitted changes (--allow-dirty).
	Commit string
	Dirty  bool
	Synced time.Time
	// Entries are the published objects, sorted by output path (relative
	// to the prefix), each path once. A sorted slice rather than a map:
	// about 90 bytes a key in memory, as the manifest holds its keys
	// anyway, and looked up by binary search (Lookup).
	Entries []Entry
	// Invalidated counts the invalidation paths qdn asked for in a month,
	// for the cost estimate.
	Invalidated MonthCount
}

// Entry records one published object.
type Entry struct {
	// Path is the output path, relative to the prefix.
	Path string
	// Hash is the SHA-256 of the bytes.
	Hash [32]byte
	// Headers is the Fingerprint of Content-Type and Cache-Control.
	Headers string
	// Size and ETag are as S3 lists the object, so that a change made in the
	// bucket by something else than qdn is seen and undone.
	Size int64
	ETag string
}

// Lookup returns the entry of path, and whether m has one; m may be nil.
func (m *Manifest) Lookup(path string) (Entry, bool) {
	if i, ok := m.find(path); ok {
		return m.Entries[i], true
	}
	return Entry{}, false
}

// find returns the index of path in m.Entries, or where it would be, and
// whether it is there.
func (m *Manifest) find(path string) (int, bool) {
	if m == nil {
		return 0, false
	}
	return slices.BinarySearchFunc(m.Entries, path, func(e Entry, path string) int { return strings.Compare(e.Path, path) })
}

// checkSorted returns an error unless entries are sorted by path, each path
// once.
func checkSorted(entries []Entry) error {
	for i := 1; i < len(entries); i++ {
		if entries[i].Path <= entries[i-1].Path {
			return fmt.Errorf("path %q is not after %q in the manifest's order", entries[i].Path, entries[i-1].Path)
		}
	}
	return nil
}

// MonthCount is a number of invalidation paths in a month (YYYY-MM, UTC).
type MonthCount struct {
	Month string `json:"month,omitempty"`
	Paths int    `json:"paths,omitempty"`
}

// manifestVersion is the version of the manifest qdn writes. Version 1
// was JSON, one object per key. Version 2 is binary (see encodeManifest):
// about 90 bytes a key instead of 200, read and written several times
// faster. It keeps the key manifest.json so that a qdn that knows only
// version 1 finds it and refuses it, rather than take the bucket for one
// that was never synced. Both versions are read.
const manifestVersion = 2

// manifestMagic starts a manifest of version 2; a version 1 manifest
// starts with "{".
const manifestMagic = "qdn manifest 2\n"

// manifestMeta is what a manifest holds besides its entries, as JSON.
type manifestMeta struct {
	Version     int        `json:"version"`
	Commit      string     `json:"commit,omitempty"`
	Dirty       bool       `json:"dirty,omitempty"`
	Synced      time.Time  `json:"synced"`
	Invalidated MonthCount `json:"invalidated"`
}

// encodeManifest returns m as the bucket stores it: manifestMagic, the
// length and the JSON of its manifestMeta, the distinct header
// fingerprints, then the entries sorted by path, each path as the length
// of the prefix it shares with the one before and the rest, the SHA-256 as
// 32 bytes, the size, the index of its fingerprint, and the ETag (16 bytes
// when it is a plain MD5, as text otherwise); a CRC-32 of all that ends
// it. Numbers are unsigned varints. The bytes are sized exactly first, so
// that the manifest is one allocation of its size, never grown.
func encodeManifest(m *Manifest) ([]byte, error) {
	meta, err := json.Marshal(manifestMeta{Version: manifestVersion, Commit: m.Commit, Dirty: m.Dirty, Synced: m.Synced, Invalidated: m.Invalidated})
	if err != nil {
		return nil, err
	}
	if err := checkSorted(m.Entries); err != nil {
		// Written so, the manifest would be refused when read.
		return nil, fmt.Errorf("write %s: %w", ManifestKey, err)
	}
	fpIndex := map[string]int{}
	for _, e := range m.Entries {
		fpIndex[e.Headers] = 0
	}
	fps := slices.Sorted(maps.Keys(fpIndex))
	for i, h := range fps {
		fpIndex[h] = i
	}
	size := len(manifestMagic) + uvarintLen(len(meta)) + len(meta) + uvarintLen(len(fps)) + uvarintLen(len(m.Entries)) + 4
	for _, h := range fps {
		size += uvarintLen(len(h)) + len(h)
	}
	prev, prevFP, fp := "", "", 0
	for _, e := range m.Entries {
		shared := commonPrefix(prev, e.Path)
		size += uvarintLen(shared) + uvarintLen(len(e.Path)-shared) + len(e.Path) - shared + 32 + uvarintLen(int(e.Size))
		if e.Headers != prevFP {
			fp, prevFP = fpIndex[e.Headers], e.Headers
		}
		size += uvarintLen(fp)
		if isMD5(e.ETag) {
			size += 1 + 16
		} else {
			size += uvarintLen(len(e.ETag)+1) + len(e.ETag)
		}
		prev = e.Path
	}
	b := make([]byte, 0, size)
	b = append(b, manifestMagic...)
	b = appendString(b, string(meta))
	b = binary.AppendUvarint(b, uint64(len(fps)))
	for _, h := range fps {
		b = appendString(b, h)
	}
	b = binary.AppendUvarint(b, uint64(len(m.Entries)))
	prev, prevFP, fp = "", "", 0
	for _, e := range m.Entries {
		shared := commonPrefix(prev, e.Path)
		b = binary.AppendUvarint(b, uint64(shared))
		b = appendString(b, e.Path[shared:])
		prev = e.Path
		b = append(b, e.Hash[:]...)
		b = binary.AppendUvarint(b, uint64(e.Size))
		if e.Headers != prevFP {
			fp, prevFP = fpIndex[e.Headers], e.Headers
		}
		b = binary.AppendUvarint(b, uint64(fp))
		if isMD5(e.ETag) {
			b = append(b, 0)
			b, _ = hex.AppendDecode(b, []byte(e.ETag))
		} else {
			b = binary.AppendUvarint(b, uint64(len(e.ETag))+1)
			b = append(b, e.ETag...)
		}
	}
	return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b)), nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// uvarintLen is how many bytes binary.AppendUvarint takes for n.
func uvarintLen(n int) int {
	l := 1
	for v := uint64(n); v >= 0x80; v >>= 7 {
		l++
	}
	return l
}

func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// isMD5 says whether etag is a plain MD5 in lowercase hex, which the
// manifest keeps as its 16 bytes.
func isMD5(etag string) bool { return len(etag) == 32 && isLowerHex(etag) }

func isLowerHex(s string) bool {
	for i := range len(s) {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// decodeManifest reads a manifest of version 1 or 2.
func decodeManifest(b []byte) (*Manifest, error) {
	if rest, ok := bytes.CutPrefix(b, []byte(manifestMagic)); ok {
		m, err := decodeBinary(b, rest)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", ManifestKey, err)
		}
		return m, nil
	}
	m, err := decodeJSON(b)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ManifestKey, err)
	}
	return m, nil
}

// v1Entry is an entry of a version 1 manifest, by path.
type v1Entry struct {
	Hash    string `json:"sha256"`
	Headers string `json:"headers"`
	Size    int64  `json:"size"`
	ETag    string `json:"etag"`
}

// decodeJSON reads a manifest of version 1.
func decodeJSON(b []byte) (*Manifest, error) {
	var v1 struct {
		manifestMeta
		Objects map[string]v1Entry `json:"objects"`
	}
	if err := json.Unmarshal(b, &v1); err != nil {
		return nil, err
	}
	if v1.Version != 1 {
		return nil, fmt.Errorf("version %d, this qdn knows versions 1 and %d", v1.Version, manifestVersion)
	}
	m := &Manifest{Version: 1, Commit: v1.Commit, Dirty: v1.Dirty, Synced: v1.Synced, Invalidated: v1.Invalidated,
		Entries: make([]Entry, 0, len(v1.Objects))}
	for _, path := range slices.Sorted(maps.Keys(v1.Objects)) {
		o := v1.Objects[path]
		e := Entry{Path: path, Headers: o.Headers, Size: o.Size, ETag: o.ETag}
		if len(o.Hash) != 64 || !isLowerHex(o.Hash) {
			return nil, fmt.Errorf("hash %q of %s is not a hex SHA-256", o.Hash, path)
		}
		hex.Decode(e.Hash[:], []byte(o.Hash)) // checked above
		m.Entries = append(m.Entries, e)
	}
	return m, nil
}

var errDamaged = errors.New("the manifest is cut short or damaged")

// decodeBinary reads the manifest b that encodeManifest wrote; rest is b
// past manifestMagic. It reads the table twice: once to size and check
// it, once to fill the entries, so that what it allocates is the entries
// and one string each for all the paths and all the ETags, of their exact
// size, with nothing copied or grown on the way.
func decodeBinary(b, rest []byte) (*Manifest, error) {
	if len(rest) < 4 || crc32.ChecksumIEEE(b[:len(b)-4]) != binary.LittleEndian.Uint32(b[len(b)-4:]) {
		return nil, errDamaged
	}
	r := tableReader{b: rest[:len(rest)-4]}
	var meta manifestMeta
	if err := json.Unmarshal(r.bytes(r.uvarint()), &meta); err != nil || r.err != nil {
		return nil, errDamaged
	}
	if meta.Version != manifestVersion {
		return nil, fmt.Errorf("version %d, this qdn knows versions 1 and %d", meta.Version, manifestVersion)
	}
	m := &Manifest{Version: meta.Version, Commit: meta.Commit, Dirty: meta.Dirty, Synced: meta.Synced, Invalidated: meta.Invalidated}
	fps := make([]string, min(r.uvarint(), uint64(len(r.b))))
	for i := range fps {
		fps[i] = r.string()
	}
	n := r.uvarint()
	// Each entry holds at least its 32-byte hash: a count beyond that is
	// damage, refused before anything is allocated for it.
	if r.err != nil || n > uint64(len(r.b)/32) {
		return nil, errDamaged
	}
	table := r
	pathBytes, etagBytes, err := sizeEntries(&r, n, len(fps))
	if err != nil {
		return nil, err
	}
	r = table
	m.Entries = make([]Entry, n)
	// Each entry's end in the paths and in the ETags, for the strings cut
	// from them once they are complete.
	ends := make([]uint32, 2*n)
	var paths, etags strings.Builder
	paths.Grow(pathBytes)
	etags.Grow(etagBytes)
	prev := make([]byte, 0, 256) // the path before
	var md5 [32]byte
	for i := range m.Entries {
		e := &m.Entries[i]
		shared := r.uvarint()
		prev = append(prev[:shared], r.bytes(r.uvarint())...)
		paths.Write(prev)
		copy(e.Hash[:], r.bytes(32))
		e.Size = int64(r.uvarint())
		e.Headers = fps[r.uvarint()]
		if tag := r.uvarint(); tag == 0 {
			etags.Write(hex.AppendEncode(md5[:0], r.bytes(16)))
		} else {
			etags.Write(r.bytes(tag - 1))
		}
		ends[2*i], ends[2*i+1] = uint32(paths.Len()), uint32(etags.Len())
	}
	allPaths, allETags := paths.String(), etags.String()
	var pathAt, etagAt uint32
	for i := range m.Entries {
		e := &m.Entries[i]
		e.Path, e.ETag = allPaths[pathAt:ends[2*i]], allETags[etagAt:ends[2*i+1]]
		if i > 0 && e.Path <= m.Entries[i-1].Path {
			return nil, errDamaged // written sorted, each path once
		}
		pathAt, etagAt = ends[2*i], ends[2*i+1]
	}
	return m, nil
}

// sizeEntries reads the n entries of a manifest's table, whose
// fingerprints are fps many, and returns the bytes of their paths and of
// their ETags once decoded, or errDamaged.
func sizeEntries(r *tableReader, n uint64, fps int) (pathBytes, etagBytes int, err error) {
	prev := 0 // the length of the path before
	for i := range n {
		shared := r.uvarint()
		if shared > uint64(prev) || i == 0 && shared > 0 {
			return 0, 0, errDamaged
		}
		prev = int(shared) + len(r.bytes(r.uvarint()))
		pathBytes += prev
		r.bytes(32)
		size := r.uvarint()
		fp := r.uvarint()
		if tag := r.uvarint(); tag == 0 {
			r.bytes(16)
			etagBytes += 32
		} else {
			etagBytes += len(r.bytes(tag - 1))
		}
		if r.err != nil || fp >= uint64(fps) || size > 1<<62 {
			return 0, 0, errDamaged
		}
	}
	if r.err != nil || len(r.b) != 0 || pathBytes >= 1<<32 || etagBytes >= 1<<32 {
		return 0, 0, errDamaged
	}
	return pathBytes, etagBytes, nil
}

// tableReader reads the table of a manifest; past its end, or at a
// malformed number, it sets err and returns zeros.
type tableReader struct {
	b   []byte
	err error
}

func (r *tableReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err, r.b = errDamaged, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *tableReader) bytes(n uint64) []byte {
	if n > uint64(len(r.b)) {
		r.err, r.b = errDamaged, nil
		return make([]byte, min(n, 32))
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *tableReader) string() string { return string(r.bytes(r.uvarint())) }

// Pending is the invalidation a sync recorded before its first upload; it
// is removed once CloudFront accepted it.
type Pending struct {
	// ID names the deploy the paths belong to; with the paths it makes the
	// invalidation's CallerReference, so that a retried request for the
	// same deploy is not billed twice.
	ID    string    `json:"id"`
	Since time.Time `json:"since"`
	// Paths are exact viewer URIs, before any collapse.
	Paths []string `json:"paths"`
}

func decodePending(b []byte) (*Pending, error) {
	var p Pending
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("read %s: %w", PendingKey, err)
	}
	return &p, nil
}
