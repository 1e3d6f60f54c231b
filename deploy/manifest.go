package deploy

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
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
// held one JSON object per key; version 2 holds the same entries as one
// binary table (see encodeManifest), about half the size and several
// times faster to read and write. Both are read.
const manifestVersion = 2

// manifestJSON is the manifest as it is stored: JSON, with the entries of
// version 2 as a base64 table. A qdn that knows only version 1 refuses it
// rather than misread it.
type manifestJSON struct {
	Version     int             `json:"version"`
	Commit      string          `json:"commit,omitempty"`
	Dirty       bool            `json:"dirty,omitempty"`
	Synced      time.Time       `json:"synced"`
	Objects     json.RawMessage `json:"objects"`
	Invalidated MonthCount      `json:"invalidated"`
}

// tableMagic starts the binary table of a version 2 manifest.
const tableMagic = "qdnm2"

// encodeManifest returns m as the bucket stores it. Its table holds the
// entries sorted by path, each path as the length of the prefix it shares
// with the one before and the rest, then the SHA-256 as 32 bytes, the
// size, the index of its header fingerprint in a table of the distinct
// ones, and the ETag (16 bytes when it is a plain MD5, as text otherwise);
// a CRC-32 of the table ends it.
func encodeManifest(m *Manifest) ([]byte, error) {
	paths := make([]string, 0, len(m.Objects))
	for p := range m.Objects {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	var fps []string
	fpIndex := map[string]int{}
	for _, p := range paths {
		h := m.Objects[p].Headers
		if _, ok := fpIndex[h]; !ok {
			fpIndex[h] = len(fps)
			fps = append(fps, h)
		}
	}
	b := make([]byte, 0, 16+len(paths)*80)
	b = append(b, tableMagic...)
	b = binary.AppendUvarint(b, uint64(len(fps)))
	for _, h := range fps {
		b = appendString(b, h)
	}
	b = binary.AppendUvarint(b, uint64(len(paths)))
	prev := ""
	for _, p := range paths {
		e := m.Objects[p]
		shared := commonPrefix(prev, p)
		b = binary.AppendUvarint(b, uint64(shared))
		b = appendString(b, p[shared:])
		prev = p
		if len(e.Hash) != 64 {
			return nil, fmt.Errorf("write %s: hash %q of %s is not a hex SHA-256", ManifestKey, e.Hash, p)
		}
		var sum [32]byte
		if _, err := hex.Decode(sum[:], []byte(e.Hash)); err != nil {
			return nil, fmt.Errorf("write %s: hash %q of %s is not a hex SHA-256", ManifestKey, e.Hash, p)
		}
		b = append(b, sum[:]...)
		b = binary.AppendUvarint(b, uint64(e.Size))
		b = binary.AppendUvarint(b, uint64(fpIndex[e.Headers]))
		var md5 [16]byte
		if len(e.ETag) == 32 && isLowerHex(e.ETag) {
			hex.Decode(md5[:], []byte(e.ETag))
			b = append(b, 0)
			b = append(b, md5[:]...)
		} else {
			b = binary.AppendUvarint(b, uint64(len(e.ETag))+1)
			b = append(b, e.ETag...)
		}
	}
	b = binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
	table, err := json.Marshal(b) // a []byte is a base64 string in JSON
	if err != nil {
		return nil, err
	}
	return json.Marshal(manifestJSON{
		Version: manifestVersion, Commit: m.Commit, Dirty: m.Dirty, Synced: m.Synced,
		Objects: table, Invalidated: m.Invalidated,
	})
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
	var mj manifestJSON
	if err := json.Unmarshal(b, &mj); err != nil {
		return nil, fmt.Errorf("read %s: %w", ManifestKey, err)
	}
	m := &Manifest{Version: mj.Version, Commit: mj.Commit, Dirty: mj.Dirty, Synced: mj.Synced, Invalidated: mj.Invalidated}
	switch mj.Version {
	case 1:
		if len(mj.Objects) > 0 && string(mj.Objects) != "null" {
			if err := json.Unmarshal(mj.Objects, &m.Objects); err != nil {
				return nil, fmt.Errorf("read %s: %w", ManifestKey, err)
			}
		}
	case manifestVersion:
		var table []byte
		if err := json.Unmarshal(mj.Objects, &table); err != nil {
			return nil, fmt.Errorf("read %s: objects: %w", ManifestKey, err)
		}
		objs, err := decodeTable(table)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", ManifestKey, err)
		}
		m.Objects = objs
	default:
		return nil, fmt.Errorf("read %s: version %d, this qdn knows versions 1 and %d", ManifestKey, mj.Version, manifestVersion)
	}
	if m.Objects == nil {
		m.Objects = map[string]Entry{}
	}
	return m, nil
}

var errTable = errors.New("the table of objects is cut short or damaged")

// decodeTable reads the table encodeManifest writes.
func decodeTable(b []byte) (map[string]Entry, error) {
	if len(b) < len(tableMagic)+4 || string(b[:len(tableMagic)]) != tableMagic {
		return nil, errTable
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil, errTable
	}
	r := tableReader{b: body[len(tableMagic):]}
	fps := make([]string, r.uvarint())
	for i := range fps {
		fps[i] = r.string()
	}
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		return nil, errTable
	}
	objs := make(map[string]Entry, n)
	var prev []byte
	for range n {
		shared := r.uvarint()
		if shared > uint64(len(prev)) {
			return nil, errTable
		}
		path := append(prev[:shared:shared], r.bytes(r.uvarint())...)
		prev = path
		sum := r.bytes(32)
		size := r.uvarint()
		fp := r.uvarint()
		var etag string
		if tag := r.uvarint(); tag == 0 {
			etag = hex.EncodeToString(r.bytes(16))
		} else {
			etag = string(r.bytes(tag - 1))
		}
		if r.err != nil || fp >= uint64(len(fps)) {
			return nil, errTable
		}
		objs[string(path)] = Entry{Hash: hex.EncodeToString(sum), Headers: fps[fp], Size: int64(size), ETag: etag}
	}
	if r.err != nil || len(r.b) != 0 {
		return nil, errTable
	}
	return objs, nil
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
		r.err, r.b = errTable, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *tableReader) bytes(n uint64) []byte {
	if n > uint64(len(r.b)) {
		r.err, r.b = errTable, nil
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
