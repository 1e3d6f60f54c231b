package deploy

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
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
	r, err := newManifestStream(m)
	if err != nil {
		return nil, err
	}
	b := make([]byte, r.size)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b, nil
}

// manifestStream reads the bytes of a manifest as encodeManifest returns
// them, encoded a few thousand entries at a time as they are read: the 87
// MB of a manifest of a million keys are never all in memory. It can seek
// (to read them again, as a request that is signed or retried does), by
// encoding them again from the start.
type manifestStream struct {
	m *Manifest
	// head is what comes before the entries; fps numbers the
	// fingerprints.
	head []byte
	fps  map[string]int
	size int64

	// off is how many bytes were read, and buf what was encoded and not
	// read yet, in chunk.
	off   int64
	buf   []byte
	chunk []byte
	// next is the next entry to encode, -1 before the head; prev and
	// prevFP are the path and fingerprint of the one before, fp the index
	// of prevFP. crc is the CRC-32 of all encoded so far, and done says
	// it was encoded too.
	next         int
	prev, prevFP string
	fp           int
	crc          uint32
	done         bool
}

// manifestChunk is about how many bytes a manifestStream encodes at once.
const manifestChunk = 64 << 10

// newManifestStream returns the stream of m's bytes, sized exactly.
func newManifestStream(m *Manifest) (*manifestStream, error) {
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
	head := append([]byte(manifestMagic), nil...)
	head = appendString(head, string(meta))
	head = binary.AppendUvarint(head, uint64(len(fps)))
	for _, h := range fps {
		head = appendString(head, h)
	}
	head = binary.AppendUvarint(head, uint64(len(m.Entries)))
	size := len(head) + 4
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
	r := &manifestStream{m: m, head: head, fps: fpIndex, size: int64(size)}
	r.rewind()
	return r, nil
}

// rewind starts r over from the first byte.
func (r *manifestStream) rewind() {
	r.off, r.buf, r.next = 0, nil, -1
	r.prev, r.prevFP, r.fp, r.crc, r.done = "", "", 0, 0, false
}

// fill encodes the next bytes into r.buf, and says whether there were
// any.
func (r *manifestStream) fill() bool {
	b := r.chunk[:0]
	switch {
	case r.next < 0:
		b = append(b, r.head...)
		r.next = 0
	case r.next < len(r.m.Entries):
		for ; r.next < len(r.m.Entries) && len(b) < manifestChunk; r.next++ {
			e := &r.m.Entries[r.next]
			shared := commonPrefix(r.prev, e.Path)
			b = binary.AppendUvarint(b, uint64(shared))
			b = appendString(b, e.Path[shared:])
			r.prev = e.Path
			b = append(b, e.Hash[:]...)
			b = binary.AppendUvarint(b, uint64(e.Size))
			if e.Headers != r.prevFP {
				r.fp, r.prevFP = r.fps[e.Headers], e.Headers
			}
			b = binary.AppendUvarint(b, uint64(r.fp))
			if isMD5(e.ETag) {
				b = append(b, 0)
				b, _ = hex.AppendDecode(b, []byte(e.ETag))
			} else {
				b = binary.AppendUvarint(b, uint64(len(e.ETag))+1)
				b = append(b, e.ETag...)
			}
		}
	case !r.done:
		r.done = true
		r.chunk = binary.LittleEndian.AppendUint32(b, r.crc)
		r.buf = r.chunk
		return true
	default:
		return false
	}
	r.crc = crc32.Update(r.crc, crc32.IEEETable, b)
	r.chunk, r.buf = b, b
	return true
}

// Read implements io.Reader.
func (r *manifestStream) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(r.buf) == 0 && !r.fill() {
			break
		}
		c := copy(p[n:], r.buf)
		r.buf = r.buf[c:]
		n += c
	}
	r.off += int64(n)
	if n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, nil
}

// Seek implements io.Seeker.
func (r *manifestStream) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.off
	case io.SeekEnd:
		offset += r.size
	default:
		return 0, fmt.Errorf("seek in the manifest: whence %d", whence)
	}
	if offset < 0 {
		return 0, fmt.Errorf("seek to %d in the manifest: before its start", offset)
	}
	if offset < r.off {
		r.rewind()
	}
	for r.off < offset {
		if len(r.buf) == 0 && !r.fill() {
			r.off = offset // past the end: reads find none
			break
		}
		c := int(min(int64(len(r.buf)), offset-r.off))
		r.buf = r.buf[c:]
		r.off += int64(c)
	}
	return r.off, nil
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
	return readManifest(bytes.NewReader(b), int64(len(b)))
}

// readManifest reads a manifest of version 1 or 2 from r, whose size is
// size bytes (-1 when not known). A version 2 manifest is decoded as it
// arrives: its bytes are never all in memory.
func readManifest(r io.Reader, size int64) (*Manifest, error) {
	mr := &manifestReader{r: r, buf: make([]byte, 64<<10)}
	mr.fill(len(manifestMagic))
	if mr.err != nil {
		return nil, fmt.Errorf("read %s: %w", ManifestKey, mr.err)
	}
	if !bytes.HasPrefix(mr.buf[mr.pos:mr.end], []byte(manifestMagic)) {
		rest, err := io.ReadAll(r)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", ManifestKey, err)
		}
		m, err := decodeJSON(append(mr.buf[mr.pos:mr.end:mr.end], rest...))
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", ManifestKey, err)
		}
		return m, nil
	}
	mr.bytes(uint64(len(manifestMagic)))
	m, err := decodeBinary(mr, size)
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

// arenaChunk is the size of the strings that hold the paths, and the
// ETags, of a manifest's entries as it is read.
const arenaChunk = 1 << 20

// decodeBinary reads the rest of a manifest that encodeManifest wrote,
// past manifestMagic, from r; size is the manifest's (-1 when not known).
// It allocates the entries once, when size bounds their count, and their
// paths and ETags as slices of strings of arenaChunk bytes, filled in
// turn: nothing is copied or grown on the way.
func decodeBinary(r *manifestReader, size int64) (*Manifest, error) {
	var meta manifestMeta
	if err := json.Unmarshal(r.bytes(r.uvarint()), &meta); err != nil || r.err != nil {
		return nil, r.failed()
	}
	if meta.Version != manifestVersion {
		return nil, fmt.Errorf("version %d, this qdn knows versions 1 and %d", meta.Version, manifestVersion)
	}
	m := &Manifest{Version: meta.Version, Commit: meta.Commit, Dirty: meta.Dirty, Synced: meta.Synced, Invalidated: meta.Invalidated}
	fps := make([]string, 0, 16)
	for i := r.uvarint(); i > 0 && r.err == nil; i-- {
		fps = append(fps, string(r.bytes(r.uvarint())))
	}
	n := r.uvarint()
	// Each entry holds at least its 32-byte hash: a count beyond that is
	// damage, refused before anything is allocated for it.
	if r.err != nil || size >= 0 && n > uint64(size/32) {
		return nil, r.failed()
	}
	// Of a size not known, a damaged count must not allocate much before
	// the entries run out: past 4,096, they are grown as they are read.
	capacity := min(n, 1<<12)
	if size >= 0 {
		capacity = n
	}
	m.Entries = make([]Entry, 0, capacity)
	paths := arena{set: func(i int, s string) { m.Entries[i].Path = s }}
	etags := arena{set: func(i int, s string) { m.Entries[i].ETag = s }}
	path := make([]byte, 0, 256) // the path before, then this one
	var md5 [32]byte
	for i := range n {
		shared := r.uvarint()
		suffix := r.bytes(r.uvarint())
		// Written sorted, each path once: this one is after the one
		// before.
		if shared > uint64(len(path)) || i == 0 && shared > 0 ||
			i > 0 && (len(suffix) == 0 || shared < uint64(len(path)) && suffix[0] <= path[shared]) {
			return nil, r.failed()
		}
		path = append(path[:shared], suffix...)
		var e Entry
		copy(e.Hash[:], r.bytes(32))
		e.Size = int64(r.uvarint())
		fp := r.uvarint()
		tag := r.uvarint()
		if r.err != nil || fp >= uint64(len(fps)) || e.Size < 0 {
			return nil, r.failed()
		}
		e.Headers = fps[fp]
		m.Entries = append(m.Entries, e)
		paths.add(int(i), path)
		if tag == 0 {
			etags.add(int(i), hex.AppendEncode(md5[:0], r.bytes(16)))
		} else {
			etags.add(int(i), r.bytes(tag-1))
		}
		if r.err != nil {
			return nil, r.failed()
		}
	}
	paths.flush()
	etags.flush()
	sum := r.sum()
	if crc := r.bytes(4); r.err != nil || binary.LittleEndian.Uint32(crc) != sum || r.fill(1) {
		return nil, r.failed()
	}
	if r.err != nil {
		return nil, r.err
	}
	return m, nil
}

// arena makes strings of many entries as slices of few: it fills a string
// of arenaChunk bytes, then gives each entry its part of it with set.
type arena struct {
	chunk strings.Builder
	// ends are the entries in chunk and where each one's string ends.
	ends []arenaEnd
	set  func(i int, s string)
}

type arenaEnd struct{ i, end int }

// add gives entry i the string of b, once the chunk it is in is full.
func (a *arena) add(i int, b []byte) {
	if a.chunk.Len()+len(b) > a.chunk.Cap() {
		a.flush()
		a.chunk.Grow(max(arenaChunk, len(b)))
	}
	a.chunk.Write(b)
	a.ends = append(a.ends, arenaEnd{i: i, end: a.chunk.Len()})
}

// flush gives the entries of the chunk their strings, and starts a new
// chunk.
func (a *arena) flush() {
	s, start := a.chunk.String(), 0
	for _, e := range a.ends {
		a.set(e.i, s[start:e.end])
		start = e.end
	}
	a.chunk.Reset()
	a.ends = a.ends[:0]
}

// maxField is the longest field a manifest holds: its meta, a path (S3
// keys are at most 1,024 bytes) or an ETag. A length beyond it is damage.
const maxField = 1 << 20

// manifestReader reads a manifest from r through a buffer, and the CRC-32
// of what it consumed. Past the end, at a malformed number or at a field
// too long, it sets err to errDamaged (or the error reading r) and returns
// zeros.
type manifestReader struct {
	r        io.Reader
	buf      []byte
	pos, end int
	// crc is the CRC-32 of what was consumed before buf[0].
	crc uint32
	eof bool
	err error
}

// fill makes n bytes readable past pos, and says whether it could: not
// when r ends first or fails (err).
func (r *manifestReader) fill(n int) bool {
	if r.end-r.pos >= n {
		return true
	}
	r.crc = crc32.Update(r.crc, crc32.IEEETable, r.buf[:r.pos])
	r.end = copy(r.buf, r.buf[r.pos:r.end])
	r.pos = 0
	if n > len(r.buf) {
		r.buf = append(r.buf[:r.end], make([]byte, n-r.end)...)
	}
	for empty := 0; r.end < n && !r.eof && r.err == nil; {
		k, err := r.r.Read(r.buf[r.end:])
		r.end += k
		switch {
		case err == io.EOF:
			r.eof = true
		case err != nil:
			r.err = err
		case k > 0:
			empty = 0
		default:
			// A reader that gives nothing, again and again, and no
			// error: stop as bufio does, rather than spin.
			if empty++; empty == 100 {
				r.err = io.ErrNoProgress
			}
		}
	}
	return r.end >= n
}

// sum returns the CRC-32 of what was consumed.
func (r *manifestReader) sum() uint32 {
	return crc32.Update(r.crc, crc32.IEEETable, r.buf[:r.pos])
}

// failed returns the error reading r, or errDamaged.
func (r *manifestReader) failed() error {
	if r.err != nil && r.err != errDamaged {
		return r.err
	}
	return errDamaged
}

func (r *manifestReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	r.fill(binary.MaxVarintLen64)
	v, n := binary.Uvarint(r.buf[r.pos:r.end])
	if n <= 0 {
		r.err = cmp.Or(r.err, errDamaged)
		return 0
	}
	r.pos += n
	return v
}

// bytes returns the next n bytes, valid until the next read.
func (r *manifestReader) bytes(n uint64) []byte {
	if r.err != nil || n > maxField || !r.fill(int(n)) {
		r.err = cmp.Or(r.err, errDamaged)
		return make([]byte, min(n, 32))
	}
	b := r.buf[r.pos : r.pos+int(n)]
	r.pos += int(n)
	return b
}

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
