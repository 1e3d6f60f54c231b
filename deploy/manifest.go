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
	Version int `json:"version"`
	// Commit is the git commit of the sources deployed, and Dirty says
	// whether they had uncommitted changes (--allow-dirty).
	Commit string    `json:"commit,omitempty"`
	Dirty  bool      `json:"dirty,omitempty"`
	Synced time.Time `json:"synced"`
	// Objects are the published objects by output path (relative to the
	// prefix).
	Objects map[string]Entry `json:"objects"`
	// Invalidated counts the invalidation paths qdn asked for in a month,
	// for the cost estimate.
	Invalidated MonthCount `json:"invalidated"`
}

// sortedPaths returns the paths of m's objects, sorted: paths when it
// holds them (as decodeManifestPaths returns them, or as a sync made m),
// else a new slice.
func sortedPaths(m *Manifest, paths []string) []string {
	if paths != nil && len(paths) == len(m.Objects) {
		return paths
	}
	paths = make([]string, 0, len(m.Objects))
	for p := range m.Objects {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	return paths
}

// Entry records one published object.
type Entry struct {
	// Hash is the hex SHA-256 of the bytes.
	Hash string `json:"sha256"`
	// Headers is the Fingerprint of Content-Type and Cache-Control.
	Headers string `json:"headers"`
	// Size and ETag are as S3 lists the object, so that a change made in the
	// bucket by something else than qdn is seen and undone.
	Size int64  `json:"size"`
	ETag string `json:"etag"`
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
// it. Numbers are unsigned varints.
func encodeManifest(m *Manifest) ([]byte, error) { return encodeSorted(m, nil) }

// encodeSorted is encodeManifest given the sorted paths of m's objects, or
// nil.
func encodeSorted(m *Manifest, paths []string) ([]byte, error) {
	meta, err := json.Marshal(manifestMeta{Version: manifestVersion, Commit: m.Commit, Dirty: m.Dirty, Synced: m.Synced, Invalidated: m.Invalidated})
	if err != nil {
		return nil, err
	}
	paths = sortedPaths(m, paths)
	fpIndex := map[string]int{}
	for _, e := range m.Objects {
		fpIndex[e.Headers] = 0
	}
	fps := slices.Sorted(maps.Keys(fpIndex))
	for i, h := range fps {
		fpIndex[h] = i
	}
	b := make([]byte, 0, 64+len(meta)+len(paths)*90)
	b = append(b, manifestMagic...)
	b = appendString(b, string(meta))
	b = binary.AppendUvarint(b, uint64(len(fps)))
	for _, h := range fps {
		b = appendString(b, h)
	}
	b = binary.AppendUvarint(b, uint64(len(paths)))
	prev, prevFP, fp := "", "", 0
	for i, p := range paths {
		e, ok := m.Objects[p]
		if !ok || i > 0 && p <= prev {
			// A list of paths that is not m's, sorted, would write a
			// manifest that names other objects than m.
			return nil, fmt.Errorf("write %s: path %q is not the next of the manifest's", ManifestKey, p)
		}
		shared := commonPrefix(prev, p)
		b = binary.AppendUvarint(b, uint64(shared))
		b = appendString(b, p[shared:])
		prev = p
		if len(e.Hash) != 64 || !isLowerHex(e.Hash) {
			return nil, fmt.Errorf("write %s: hash %q of %s is not a hex SHA-256", ManifestKey, e.Hash, p)
		}
		b, _ = hex.AppendDecode(b, []byte(e.Hash)) // checked above
		b = binary.AppendUvarint(b, uint64(e.Size))
		if e.Headers != prevFP {
			fp, prevFP = fpIndex[e.Headers], e.Headers
		}
		b = binary.AppendUvarint(b, uint64(fp))
		if len(e.ETag) == 32 && isLowerHex(e.ETag) {
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

func commonPrefix(a, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

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
	m, _, err := decodeManifestPaths(b)
	return m, err
}

// decodeManifestPaths is decodeManifest that also returns the paths of the
// manifest's objects, sorted, when the manifest holds them in order
// (version 2), else nil.
func decodeManifestPaths(b []byte) (*Manifest, []string, error) {
	if rest, ok := bytes.CutPrefix(b, []byte(manifestMagic)); ok {
		m, paths, err := decodeBinary(b, rest)
		if err != nil {
			return nil, nil, fmt.Errorf("read %s: %w", ManifestKey, err)
		}
		return m, paths, nil
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", ManifestKey, err)
	}
	if m.Version != 1 {
		return nil, nil, fmt.Errorf("read %s: version %d, this qdn knows versions 1 and %d", ManifestKey, m.Version, manifestVersion)
	}
	if m.Objects == nil {
		m.Objects = map[string]Entry{}
	}
	return &m, nil, nil
}

var errDamaged = errors.New("the manifest is cut short or damaged")

// decodeBinary reads the manifest b that encodeManifest wrote; rest is b
// past manifestMagic. The paths, hashes and ETags of every entry are
// slices of three strings, one allocation each.
func decodeBinary(b, rest []byte) (*Manifest, []string, error) {
	if len(rest) < 4 || crc32.ChecksumIEEE(b[:len(b)-4]) != binary.LittleEndian.Uint32(b[len(b)-4:]) {
		return nil, nil, errDamaged
	}
	r := tableReader{b: rest[:len(rest)-4]}
	var meta manifestMeta
	if err := json.Unmarshal(r.bytes(r.uvarint()), &meta); err != nil || r.err != nil {
		return nil, nil, errDamaged
	}
	if meta.Version != manifestVersion {
		return nil, nil, fmt.Errorf("version %d, this qdn knows versions 1 and %d", meta.Version, manifestVersion)
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
		return nil, nil, errDamaged
	}
	type span struct{ path, etag, fp, size int }
	spans := make([]span, n)
	paths, hashes, etags := make([]byte, 0, n*48), make([]byte, 0, n*64), make([]byte, 0, n*32)
	prev := 0 // where the path before starts in paths
	for i := range spans {
		shared := r.uvarint()
		if i > 0 && shared > uint64(len(paths)-prev) || i == 0 && shared > 0 {
			return nil, nil, errDamaged
		}
		start := len(paths)
		paths = append(paths, paths[prev:prev+int(shared)]...)
		paths = append(paths, r.bytes(r.uvarint())...)
		prev = start
		hashes = hex.AppendEncode(hashes, r.bytes(32))
		size := r.uvarint()
		fp := r.uvarint()
		if tag := r.uvarint(); tag == 0 {
			etags = hex.AppendEncode(etags, r.bytes(16))
		} else {
			etags = append(etags, r.bytes(tag-1)...)
		}
		if r.err != nil || fp >= uint64(len(fps)) || size > 1<<62 {
			return nil, nil, errDamaged
		}
		spans[i] = span{path: len(paths), etag: len(etags), fp: int(fp), size: int(size)}
	}
	if r.err != nil || len(r.b) != 0 {
		return nil, nil, errDamaged
	}
	allPaths, allHashes, allETags := string(paths), string(hashes), string(etags)
	m.Objects = make(map[string]Entry, n)
	sorted := make([]string, n)
	pathAt, etagAt := 0, 0
	for i, sp := range spans {
		sorted[i] = allPaths[pathAt:sp.path]
		if i > 0 && sorted[i] <= sorted[i-1] {
			return nil, nil, errDamaged // written sorted, each path once
		}
		m.Objects[sorted[i]] = Entry{
			Hash: allHashes[i*64 : i*64+64], Headers: fps[sp.fp], Size: int64(sp.size), ETag: allETags[etagAt:sp.etag],
		}
		pathAt, etagAt = sp.path, sp.etag
	}
	return m, sorted, nil
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
