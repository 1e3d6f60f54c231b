package generator

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"path"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// The privacy check runs on every build, after rendering and before
// anything is written: an output other than a job's own page that holds
// the job's token, or any output that holds a value from any job's
// private: block, fails the build with an error naming the output and the
// job, and public/ is left as it was.
//
// What is searched. Tokens and private values are matched on their
// skeleton: the ASCII letters and digits of the text, lowercased, with
// everything else dropped. "+1 208 555 0142" is found as
// "tel:+12085550142", as "208-555-0142" inside "+1 208" and as
// "+1%20208%20555%200142"; a token is found when markup, spaces or hyphens
// split it. Before the skeleton is taken, HTML character references
// (&#39;, &#x6b;, &amp;), percent escapes (%20, %6B) and JSON and
// JavaScript escapes (\u0041, \x41, \n) are decoded, so that escaping a
// value does not hide it. Markup is transparent: the text of a page is
// read with its tags left out (so k7q2<b>m4x9</b> reads k7q2m4x9), and
// each tag is read on its own (so href="/track/k7q2…/" still shows the
// token).
//
// What is not searched. A private value with fewer than MinPrivateLen
// letters and digits ("yes", a four-digit gate code on its own) is too
// common to search for: any page would match it. A private value that is
// part of one of the site's own public details (site.phone, site.email or
// site.name in qdn.yaml: the dispatch number noted on a job) is on every
// page by design and is not searched either. A private value that is all
// digits and longer than ten is searched for by its last ten, since a
// phone number is written with or without its country code: those end
// every text that holds the whole number, so the whole is searched for
// only where the last ten are not (in binary files, see below). Files that are binary (a NUL byte in their first 8,000 bytes, as
// git decides) are searched only for tokens and for private values of at
// least minBinaryLen letters and digits: shorter ones turn up by chance in
// megabytes of compressed bytes.
//
// How it stays cheap. Every pattern is filed under one window of window
// letters and digits: its last within the first 64 (values share
// beginnings, such as the area code of every phone number, more than
// ends) that is not a window of the site's public details (those are on
// every page). One pass over each output keeps the last window of the
// skeleton in a register, and the last 64 codes in a ring, and tests the
// window against a bit filter; only filter hits look the window up and
// compare the pattern; a filter of 32 KB, which stays in the core's
// first-level cache, is tested before the large one. The pass is a table
// lookup, a shift and a multiply per byte, in parallel over the outputs.
// The index keeps no pointer or string per pattern (see leakIndex), so
// that a million jobs fit. Most of a tracking page is its
// template's, the same bytes on every page, and these parts of it are
// searched once, not on every page:
//   - a style element of 1 KB or more is read on its own and, once found
//     clean, skipped where the same bytes appear again: the inline CSS is
//     more than half of every tracking page. A value that would only show
//     across the edge of such an element (half inside the CSS, half
//     outside) is not found;
//   - a tag is read on its own anyway (see above), so a tag of 16 bytes or
//     more found clean is skipped where the same bytes appear again (see
//     tagCache). The text around it is still read as one: a value split by
//     a skipped tag is found;
//   - so is a run of tags with only white space or punctuation between
//     them, in one step: such bytes add nothing to the text, so the text
//     around the run is read as one too.
//
// What this costs is measured in docs/BENCHMARKS.md.
//
// What a rebuild searches. A cached Build does not render, and may not even
// read, the pages of jobs whose file and page are as the last build left
// them; Builder.Rebuild keeps them in memory. The last build checked those
// pages against every pattern it knew, so a rebuild searches:
//   - every output it rendered (all pages but the tracking pages of
//     unchanged jobs, and the tracking pages of changed jobs) for every
//     pattern;
//   - the pages it kept for the patterns the last build did not have: the
//     token and private values of a changed job that differ from what the
//     job file held last time. Editing a job's status adds none, so such a
//     rebuild reads nothing more; adding a job, rotating a token or editing
//     a private value reads the kept pages once, for those few patterns.
//
// The cache records each job's private values for this, since a cached
// build does not parse unchanged job files.

// MinPrivateLen is the least number of letters and digits a private value
// needs to be searched for in the output.
const MinPrivateLen = 6

// localDigits is how many digits end a number that is all digits and
// longer: they are searched for on their own too.
const localDigits = 10

// minBinaryLen is the least number of letters and digits a private value
// needs to be searched for in a binary file.
const minBinaryLen = 16

// window is the length of the register the scan keeps: the shortest
// pattern. Six characters of six bits fit in one word.
const window = MinPrivateLen

// minFilterBits is the least size of the bit filter, as a power of two:
// 2^21 bits, 256 KB. Each window sets two bits of one word: with 10,000
// jobs it is about 4% full and lets about two windows in a thousand
// through. A larger index has a larger filter, about 32 bits a pattern.
// minDirBits is the least size of the directory, as a power of two; it
// may be no less than 16 (see head).
const (
	minFilterBits = 21
	minDirBits    = 16
)

// skipPrivacyCheck turns the check off, for a benchmark to measure what it
// costs. Nothing else sets it.
var skipPrivacyCheck = false

// maxLeaks bounds the errors one build reports: past it the list says how
// many more there were.
const maxLeaks = 50

// skelCode maps a byte to its skeleton code: 1 to 36 for letters (either
// case) and digits, escSpecial for the bytes that start an escape or a tag,
// 0 for the rest.
var skelCode = func() (t [256]byte) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = byte(c-'a') + 1
		t[c-'a'+'A'] = byte(c-'a') + 1
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c-'0') + 27
	}
	for _, c := range "<>&%\\" {
		t[c] = escSpecial
	}
	return t
}()

const escSpecial = 255

// skeleton returns the letters and digits of s, lowercased, after decoding
// escapes as the scan does.
func skeleton(s string) []byte {
	return appendSkeleton(nil, s)
}

// appendSkeleton appends the skeleton of s to out.
func appendSkeleton(out []byte, s string) []byte {
	b := []byte(s)
	for i := 0; i < len(b); i++ {
		c := skelCode[b[i]]
		if c == escSpecial {
			c, i = unescape(b, i)
		}
		if c != 0 && c != escSpecial {
			out = append(out, codeChar(c))
		}
	}
	return out
}

func codeChar(c byte) byte {
	if c <= 26 {
		return 'a' + c - 1
	}
	return '0' + c - 27
}

// unescape decodes the escape starting at b[i] ('&', '%' or '\'). It returns
// the skeleton code of the character it stands for (0 when that is not a
// letter or digit) and the index of its last byte. '<' and '>' come back
// as they are, with escSpecial.
func unescape(b []byte, i int) (byte, int) {
	switch b[i] {
	case '&':
		j := i + 1
		for j < len(b) && j-i <= 10 && (skelCode[b[j]] != 0 && skelCode[b[j]] != escSpecial || b[j] == '#') {
			j++
		}
		if j >= len(b) || b[j] != ';' || j == i+1 {
			return 0, i
		}
		ref := b[i+1 : j]
		if ref[0] != '#' {
			return 0, j // a named reference: none stands for a letter or digit
		}
		v, ok := 0, len(ref) > 1
		if ref[1] == 'x' || ref[1] == 'X' {
			ok = len(ref) > 2
			for _, c := range ref[2:] {
				d := hexVal(c)
				if d < 0 || v > 0x10ffff {
					ok = false
					break
				}
				v = v*16 + d
			}
		} else {
			for _, c := range ref[1:] {
				if c < '0' || c > '9' || v > 0x10ffff {
					ok = false
					break
				}
				v = v*10 + int(c-'0')
			}
		}
		if !ok {
			return 0, i
		}
		return asciiCode(v), j
	case '%':
		if i+2 < len(b) && hexVal(b[i+1]) >= 0 && hexVal(b[i+2]) >= 0 {
			return asciiCode(hexVal(b[i+1])*16 + hexVal(b[i+2])), i + 2
		}
		return 0, i
	case '\\':
		if i+1 >= len(b) {
			return 0, i
		}
		n := 0
		switch b[i+1] {
		case 'u':
			n = 4
		case 'x':
			n = 2
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			return 0, i + 1
		default:
			return 0, i
		}
		if i+1+n >= len(b) {
			return 0, i
		}
		v := 0
		for _, c := range b[i+2 : i+2+n] {
			d := hexVal(c)
			if d < 0 {
				return 0, i
			}
			v = v*16 + d
		}
		return asciiCode(v), i + 1 + n
	}
	return escSpecial, i
}

func asciiCode(v int) byte {
	if v < 0 || v > 127 {
		return 0
	}
	c := skelCode[v]
	if c == escSpecial {
		return 0
	}
	return c
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// leakOwner is a job's token or one of its private values.
type leakOwner struct {
	job *Job
	// key is "token" or the private key, such as "private.phone". A token
	// may appear in its job's own page, a private value nowhere.
	key string
}

// allowedIn reports whether o may appear in the output at path p.
func (o leakOwner) allowedIn(p string) bool {
	if o.key != "token" {
		return false
	}
	// p == TrackPath(token), without making the string: this runs for
	// every tracking page, whose path holds its token.
	rest, ok := strings.CutPrefix(p, "track/")
	if !ok {
		return false
	}
	rest, ok = strings.CutPrefix(rest, o.job.Token)
	return ok && rest == "/index.html"
}

// owner is a leakOwner as an index keeps it: two small integers, the job's
// place in the index's jobs and the key's in its keys, not a pointer and a
// string.
type owner struct {
	job, key int32
}

// leakIndex finds many patterns in one pass. A pattern is a skeleton that
// must not appear in the output, with every job value that has it (its
// owners); the index knows it by its place in pats.
//
// The index is lean, as a million jobs make three million patterns: about
// 30 bytes a pattern and its codes, in a few slices, with no pointer or
// string per pattern or owner.
type leakIndex struct {
	// pats holds one head a pattern, sorted by the hash of the window the
	// pattern is filed under (see winHash). dir[t] is the first head whose
	// hash has t in its top dirBits bits: a lookup reads one short run of
	// heads, not a binary search over them all.
	pats    []head
	dir     []int32
	dirBits uint
	// filter is a bit filter of the patterns' windows (see hashBits), of
	// 2^filterBits bits.
	filter []uint64
	// near has the bit of the top nearBits bits of every pattern's hash:
	// tested before the filter.
	near       *[1 << nearBits / 64]uint64
	filterBits uint
	// codes holds the skeleton codes of every pattern (see skelCode), each
	// ended by a 0, which no code is.
	codes []byte
	// owners[ownerAt[i]:ownerAt[i+1]] are the owners of pattern i; they
	// point into jobs and keys. keys[0] is "token".
	owners  []owner
	ownerAt []uint32
	jobs    []*Job
	keys    []string
	// publicWin holds the windows of the site's public details, with which
	// the index filed its patterns, for find.
	publicWin map[uint64]bool
	// clean holds the style blocks searched and found clean (at most
	// maxClean of them), copied; cleanMu orders the writers.
	clean   atomic.Pointer[[][]byte]
	cleanMu sync.Mutex
}

// head is a pattern in the index.
type head struct {
	// w holds the low 48 bits of the hash of the pattern's window (the top
	// dirBits are its place in dir: with them, the whole hash), then in
	// bits 48 to 53 at, where the window begins in the pattern (less than
	// ring), and in bits 54 to 56 preLen.
	w uint64
	// pre packs the preLen codes before the window (up to maxPre): most
	// windows that are a pattern's but not where the pattern is are told
	// apart here, without reading the pattern.
	pre uint32
	// off is where the pattern's codes begin in codes.
	off uint32
}

const hashLow = 1<<48 - 1

func (h *head) at() int     { return int(h.w >> 48 & 63) }
func (h *head) preLen() int { return int(h.w >> 54 & 7) }

// maxPre is how many codes before its window a head keeps.
const maxPre = 5

// prefix packs the k codes that end before the mth code of the ring.
func prefix(last *[ring]byte, m, k int) uint32 {
	var v uint32
	for q := m - k; q < m; q++ {
		v = v<<6 | uint32(last[q&(ring-1)])
	}
	return v
}

// ring is how many skeleton codes the scan keeps behind the current one:
// a pattern is filed under a window that ends within them. A power of two,
// so that an index into the ring is a mask.
const ring = 64

const windowMask = 1<<(6*window) - 1

// winHash hashes a window. Multiplying by an odd number is a bijection
// of uint64: windows are equal exactly when their hashes are. A window
// has 36 bits, so the low 48 bits of its hash tell it apart as well.
func winHash(reg uint64) uint64 { return reg * 0x9E3779B97F4A7C15 }

// hashBits returns the word of the filter and the two bits in it that a
// window's hash sets. Both bits in one word: one load per window tested.
func (x *leakIndex) hashBits(h uint64) (uint64, uint64) {
	words := x.filterBits - 6 // the filter has 2^words words of 64 bits
	return h >> (64 - words), 1<<(h>>(64-words-6)&63) | 1<<(h>>(64-words-12)&63)
}

// maybe reports whether a pattern may be filed under the window whose
// hash is h.
func (x *leakIndex) maybe(h uint64) bool {
	if v := h >> (64 - nearBits); x.near[v>>6]>>(v&63)&1 == 0 {
		return false
	}
	w, bits := x.hashBits(h)
	return x.filter[w]&bits == bits
}

// nearBits is the size of leakIndex.near, as a power of two: 2^18 bits,
// 32 KB, which stays in the first-level cache of a core. With 40,000
// patterns it lets about one window in seven through to the filter, whose
// words, spread over 256 KB or more, are slower to load.
const nearBits = 18

// patCodes returns the codes of pattern p.
func (x *leakIndex) patCodes(p int32) []byte {
	c := x.codes[x.pats[p].off:]
	return c[:bytes.IndexByte(c, 0)]
}

// owner returns the owners of pattern p.
func (x *leakIndex) ownersOf(p int32) []owner {
	return x.owners[x.ownerAt[p]:x.ownerAt[p+1]]
}

// leakOwner returns o as a leakOwner.
func (x *leakIndex) leakOwner(o owner) leakOwner {
	return leakOwner{job: x.jobs[o.job], key: x.keys[o.key]}
}

func pack(codes []byte) uint64 {
	var reg uint64
	for _, c := range codes[:window] {
		reg = reg<<6 | uint64(c)
	}
	return reg
}

// newLeakIndex indexes the tokens and private values of every job of s,
// live or not, that keep passes (nil: all).
func newLeakIndex(s *Site, keep func(key string, skel []byte) bool) *leakIndex {
	if keep == nil {
		fullIndexes.Add(1)
	}
	return buildLeakIndex(s, keep)
}

// fullIndexes counts the indexes of every pattern of a site made by this
// process, for the tests that hold a build that changed nothing to making
// none.
var fullIndexes atomic.Int64

// fileAt returns where the window a pattern of codes is filed under
// begins: the last window the ring reaches, as values share beginnings
// (the area code of every phone number) more than ends; and not a window
// of the public details, if another will do: 208-555-5010 is not filed
// under "555010", which the site's own 208-555-0100 shows on every page.
func fileAt(codes []byte, publicWin map[uint64]bool) int {
	at := min(len(codes), ring) - window
	for a := at; a >= 0; a-- {
		if !publicWin[pack(codes[a:])] {
			return a
		}
	}
	return at
}

// buildLeakIndex is newLeakIndex without the count.
func buildLeakIndex(s *Site, keep func(key string, skel []byte) bool) *leakIndex {
	var public [][]byte
	if s.Config != nil {
		for _, v := range []string{s.Config.Site.Phone, s.Config.Site.Email, s.Config.Site.Name} {
			public = append(public, skeleton(v))
		}
	}
	// The windows of the public details, which are on every page: a
	// pattern filed under one of them would be looked up on every page.
	publicWin := map[uint64]bool{}
	for _, p := range public {
		codes := make([]byte, len(p))
		for k, c := range p {
			codes[k] = skelCode[c]
		}
		for k := 0; k+window <= len(codes); k++ {
			publicWin[pack(codes[k:])] = true
		}
	}
	isPublic := func(skel []byte) bool {
		for _, p := range public {
			if bytes.Contains(p, skel) {
				return true
			}
		}
		return false
	}
	x := &leakIndex{jobs: s.Jobs, keys: []string{"token"}, publicWin: publicWin}
	// Count the patterns and codes first, so that the slices never grow:
	// a skeleton has at most as many codes as its text has letters and
	// digits, and a long number adds its local form.
	nPats, nCodes := 0, 0
	for _, j := range s.Jobs {
		nPats++
		nCodes += len(j.Token) + 1
		for _, f := range privateOf(j) {
			n := 0
			for _, c := range []byte(f.Value) {
				if c := skelCode[c]; c != 0 && c != escSpecial {
					n++
				}
			}
			nPats += 2
			nCodes += n + 1
			if n > localDigits {
				nCodes += localDigits + 1
			}
		}
	}
	// Every value is added as it comes, then sorted by its window's hash
	// and its codes, which brings a value shared by many jobs (one phone
	// number on many jobs) together as one pattern of many owners.
	type entry struct {
		hash uint64
		head head
		own  owner
	}
	entries := make([]entry, 0, nPats)
	x.codes = make([]byte, 0, nCodes)
	keyAt := map[string]int32{}
	keyOf := func(k string) int32 {
		if v, ok := keyAt[k]; ok {
			return v
		}
		keyAt[k] = int32(len(x.keys))
		x.keys = append(x.keys, "private."+k)
		return keyAt[k]
	}
	add := func(skel []byte, own owner) {
		if keep != nil && !keep(x.keys[own.key], skel) {
			return
		}
		start := len(x.codes)
		for _, c := range skel {
			if c := skelCode[c]; c != 0 && c != escSpecial {
				x.codes = append(x.codes, c)
			}
		}
		codes := x.codes[start:]
		if len(codes) < window {
			x.codes = x.codes[:start]
			return
		}
		x.codes = append(x.codes, 0)
		at := fileAt(codes, publicWin)
		k := min(at, maxPre)
		var pre uint32
		for _, c := range codes[at-k : at] {
			pre = pre<<6 | uint32(c)
		}
		h := winHash(pack(codes[at:]))
		entries = append(entries, entry{hash: h, own: own,
			head: head{w: h&hashLow | uint64(at)<<48 | uint64(k)<<54, pre: pre, off: uint32(start)}})
	}
	// add copies what it keeps of skel: one buffer serves every value.
	var buf []byte
	for jn, j := range s.Jobs {
		if len(j.Token) >= window {
			buf = append(buf[:0], j.Token...)
			for k, c := range buf {
				if 'A' <= c && c <= 'Z' {
					buf[k] = c + 'a' - 'A'
				}
			}
			add(buf, owner{job: int32(jn), key: 0})
		}
		for _, f := range privateOf(j) {
			skel := appendSkeleton(buf[:0], f.Value)
			buf = skel
			if len(skel) < MinPrivateLen || isPublic(skel) {
				continue
			}
			if len(skel) > localDigits && allDigits(skel) && !isPublic(skel[len(skel)-localDigits:]) {
				// A phone number is also written without its country
				// code: +1 208 555 0142 as (208) 555-0142. The local form
				// ends every skeleton that holds the whole number, so the
				// whole number need not be searched as well, except in
				// binary files, where only the whole may be long enough.
				add(skel[len(skel)-localDigits:], owner{job: int32(jn), key: keyOf(f.Key)})
				if len(skel) < minBinaryLen {
					continue
				}
			}
			add(skel, owner{job: int32(jn), key: keyOf(f.Key)})
		}
	}
	codesOf := func(e *entry) []byte {
		c := x.codes[e.head.off:]
		return c[:bytes.IndexByte(c, 0)]
	}
	// The directory is sized to about two patterns a slot, the filter to
	// about 32 bits a pattern, so that it lets as few windows through at a
	// million jobs as at ten thousand.
	x.filterBits, x.dirBits = minFilterBits, minDirBits
	for x.filterBits < 40 && 1<<x.filterBits < 32*len(entries) {
		x.filterBits++
	}
	for x.dirBits < 32 && 2<<x.dirBits < len(entries) {
		x.dirBits++
	}
	// Sort by hash, then codes, in place: one pass files each entry in its
	// slot of the directory (an American flag sort), then each slot, of
	// about two entries, is sorted on its own.
	shift := 64 - x.dirBits
	next := make([]int32, 1<<x.dirBits+1)
	for i := range entries {
		next[entries[i].hash>>shift+1]++
	}
	for t := 1; t < len(next); t++ {
		next[t] += next[t-1]
	}
	bound := slices.Clone(next)
	for t := range len(next) - 1 {
		for next[t] < bound[t+1] {
			e := entries[next[t]]
			u := e.hash >> shift
			if u == uint64(t) {
				next[t]++
				continue
			}
			entries[next[t]], entries[next[u]] = entries[next[u]], e
			next[u]++
		}
	}
	less := func(a, b *entry) int {
		if c := cmp.Compare(a.hash, b.hash); c != 0 {
			return c
		}
		return bytes.Compare(codesOf(a), codesOf(b))
	}
	for t := range len(bound) - 1 {
		slot := entries[bound[t]:bound[t+1]]
		if len(slot) > 8 {
			slices.SortFunc(slot, func(a, b entry) int { return less(&a, &b) })
			continue
		}
		for i := 1; i < len(slot); i++ {
			for j := i; j > 0 && less(&slot[j], &slot[j-1]) < 0; j-- {
				slot[j], slot[j-1] = slot[j-1], slot[j]
			}
		}
	}
	next, bound = nil, nil
	x.pats = make([]head, 0, len(entries))
	x.owners = make([]owner, len(entries))
	x.ownerAt = make([]uint32, 0, len(entries)+1)
	for i := range entries {
		e := &entries[i]
		if i == 0 || e.hash != entries[i-1].hash || !bytes.Equal(codesOf(e), codesOf(&entries[i-1])) {
			x.ownerAt = append(x.ownerAt, uint32(i))
			x.pats = append(x.pats, e.head)
		}
		x.owners[i] = e.own
	}
	x.ownerAt = append(x.ownerAt, uint32(len(entries)))
	x.pats = slices.Clip(x.pats)
	x.ownerAt = slices.Clip(x.ownerAt)
	x.filter = make([]uint64, 1<<x.filterBits/64)
	x.near = new([1 << nearBits / 64]uint64)
	x.dir = make([]int32, 1<<x.dirBits+1)
	t := 0
	for p := range x.pats {
		top := int(entries[x.ownerAt[p]].hash >> (64 - x.dirBits))
		for ; t <= top; t++ {
			x.dir[t] = int32(p)
		}
	}
	for ; t < len(x.dir); t++ {
		x.dir[t] = int32(len(x.pats))
	}
	for i := range entries {
		w, bits := x.hashBits(entries[i].hash)
		x.filter[w] |= bits
		v := entries[i].hash >> (64 - nearBits)
		x.near[v>>6] |= 1 << (v & 63)
	}
	return x
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// privateOf returns the private fields of j, from its file or, for a job a
// cached build did not parse, from the cache.
func privateOf(j *Job) []PrivateField {
	if j.cached != nil {
		return unpackPrivate(j.cached.Private)
	}
	return j.Private
}

// packPrivate flattens private fields into one string for the cache: each
// key and value as its length in bytes, a colon and its bytes.
func packPrivate(fields []PrivateField) string {
	var b strings.Builder
	for _, f := range fields {
		for _, v := range []string{f.Key, f.Value} {
			b.WriteString(strconv.Itoa(len(v)))
			b.WriteByte(':')
			b.WriteString(v)
		}
	}
	return b.String()
}

func unpackPrivate(s string) []PrivateField {
	var out []PrivateField
	next := func() string {
		n, rest, _ := strings.Cut(s, ":")
		l, err := strconv.Atoi(n)
		if err != nil || l < 0 || l > len(rest) {
			s = ""
			return ""
		}
		s = rest[l:]
		return rest[:l]
	}
	for s != "" {
		k := next()
		out = append(out, PrivateField{Key: k, Value: next()})
	}
	return out
}

// isNew reports whether x has no pattern of skeleton skel (as
// buildLeakIndex hands it to keep) with an owner of key: the index itself
// answers, so it holds no set of its patterns besides.
func (x *leakIndex) isNew(key string, skel []byte) bool {
	if x == nil || len(skel) < window {
		return true
	}
	var stack [64]byte
	codes := stack[:0]
	for _, c := range skel {
		codes = append(codes, skelCode[c])
	}
	at := fileAt(codes, x.publicWin)
	h := winHash(pack(codes[at:]))
	t := h >> (64 - x.dirBits)
	for p := x.dir[t]; p < x.dir[t+1]; p++ {
		hd := &x.pats[p]
		if hd.w&hashLow != h&hashLow || hd.at() != at || !bytes.Equal(x.patCodes(p), codes) {
			continue
		}
		for _, o := range x.ownersOf(p) {
			if x.keys[o.key] == key {
				return false
			}
		}
		return true
	}
	return true
}

// cachedPatterns returns the patterns the last build had for the files of
// jobs, from the cache, made the one way buildLeakIndex makes them (a phone
// number's local form included), as an index (nil when there is no cache).
func cachedPatterns(s *Site, c *buildCache, jobs []*Job) *leakIndex {
	if c == nil {
		return nil
	}
	var before []*Job
	for _, j := range jobs {
		if e := c.entry(j.File); e != nil {
			before = append(before, &Job{File: j.File, Token: e.Token, cached: e})
		}
	}
	return buildLeakIndex(&Site{Config: s.Config, Jobs: before}, nil)
}

// leak is one job value found in one output.
type leak struct {
	path  string
	owner leakOwner
}

// scan calls found for every pattern in b, as often as it occurs.
// Tags are looked up in tags, when not nil.
func (x *leakIndex) scan(b []byte, text bool, tags *tagCache, found func(p int32)) {
	if len(x.pats) == 0 {
		return
	}
	binary := !text && bytes.IndexByte(b[:min(len(b), 8000)], 0) >= 0
	leaks := 0
	report := func(p int32) { leaks++; found(p) }
	// The text, with tags left out: its last window in a register and its
	// last codes in a ring. Each tag is read by scanTag.
	var reg uint64
	var last [ring]byte
	n := 0
	// The run of tags since the text last held a code: from run to runEnd,
	// clean while every tag of it was (see tagCache.run).
	run, runEnd, runClean := -1, 0, false
	endRun := func() {
		if run >= 0 && runClean && tags != nil {
			tags.putRun(b[run : runEnd+1])
		}
		run = -1
	}
	for i := 0; i < len(b); i++ {
		c := skelCode[b[i]]
		if c == 0 {
			continue
		}
		if c == escSpecial {
			if binary {
				continue
			}
			if b[i] == '<' {
				if end := x.sharedBlock(b, i, tags, report); end > i {
					// Read on its own: the text starts again after it.
					endRun()
					i, reg, n = end, 0, 0
					continue
				}
				if run < 0 {
					run, runClean = i, true
				}
				if end := tags.run(b, i); end > i {
					i, runEnd = end, end
					continue
				}
				before := leaks
				i = x.tag(b, i+1, tags, report)
				runEnd = i
				runClean = runClean && leaks == before && i < len(b) && b[i] == '>'
				continue
			}
			endRun()
			if b[i] == '>' {
				continue
			}
			if c, i = unescape(b, i); c == 0 {
				continue
			}
		} else if run >= 0 {
			endRun()
		}
		reg = (reg<<6 | uint64(c)) & windowMask
		last[n&(ring-1)] = c
		n++
		if h := winHash(reg); n >= window && x.maybe(h) {
			x.candidates(b, i, h, &last, n, false, binary, report)
		}
	}
	endRun()
}

// sharedBlock handles a style element at b[i]: the same inline CSS opens
// every tracking page, so each distinct block is searched once, on its
// own, and a block found clean is skipped afterwards. It returns the index
// of the byte before the element's end tag, or i when b[i] does not start
// a style element worth it.
//
// A clean block is known by its bytes, not a hash of them: b[i:] starting
// with a clean block and then the end tag is that block, as the end tag
// cannot overlap itself, so no search for the end tag is needed either.
func (x *leakIndex) sharedBlock(b []byte, i int, tags *tagCache, found func(p int32)) int {
	const open, end = "<style", "</style>"
	if len(b)-i < 1024 || !bytes.HasPrefix(b[i:], []byte(open)) {
		return i
	}
	if clean := x.clean.Load(); clean != nil {
		for _, c := range *clean {
			if bytes.HasPrefix(b[i:], c) && bytes.HasPrefix(b[i+len(c):], []byte(end)) {
				return i + len(c) - 1
			}
		}
	}
	k := bytes.Index(b[i:], []byte(end))
	if k < 1024 {
		return i
	}
	block := b[i : i+k]
	leaked := false
	// The block starts with <style, which scan would hand back here: scan
	// its tag and its text apart.
	t := x.scanTag(block, 1, func(p int32) { leaked = true; found(p) })
	x.scan(block[t+1:], true, tags, func(p int32) { leaked = true; found(p) })
	if !leaked {
		x.cleanMu.Lock()
		var list [][]byte
		if clean := x.clean.Load(); clean != nil {
			list = *clean
		}
		if len(list) < maxClean {
			list = append(slices.Clip(list), bytes.Clone(block))
			x.clean.Store(&list)
		}
		x.cleanMu.Unlock()
	}
	return i + k - 1
}

// maxClean bounds the clean style blocks kept: a site has one stylesheet,
// perhaps a few; a page with a block of its own is searched whole.
const maxClean = 8

// tagCache remembers tags searched and found clean. A tag is read on its
// own: scanTag starts afresh after its '<' and stops at its '>', and no
// escape it decodes reaches past the '>' (none is made of '<' or '>'), so
// what a tag holds depends on its bytes alone, and bytes found clean once
// are clean wherever they appear again. Most tags of a page are its
// template's, the same on every page: once the inline CSS is skipped,
// they are most of the bytes left. The cache is direct-mapped and keeps a
// copy of the bytes themselves: a tag is skipped only when equal to one
// found clean, never on a hash alone. A copy, not a slice of the output:
// a page rendered into a buffer that the next page is rendered into (see
// laterPages) would change under a slice, and a slice of a tag found
// clean would then hold whatever the next page has there.
//
// It keeps runs of tags as well: tags with nothing between them but bytes
// that are no letter, digit or escape (the white space between the tags of
// a template). Such bytes add nothing to the text, so a run of clean tags
// leaves the text as it found it, and the same bytes again are skipped in
// one step: one lookup, not one a tag.
type tagCache struct {
	tags [tagSlots][]byte
	runs [runSlots][]byte
}

// tagSlots is the number of tags a tagCache keeps: several times the
// distinct tags of a site's templates.
const tagSlots = 1 << 12

// runSlots is the number of runs of tags a tagCache keeps, and minRun
// the least length of one worth keeping: a run is looked up by its first
// minRun bytes.
const (
	runBits  = 10
	runSlots = 1 << runBits
	minRun   = 16
)

// runSlot returns the slot of the run that begins with b[:minRun].
func runSlot(b []byte) uint64 {
	h := binary.LittleEndian.Uint64(b) ^ binary.LittleEndian.Uint64(b[8:minRun])*0x9E3779B97F4A7C15
	return (h ^ h>>29) * 0xBF58476D1CE4E5B9 >> (64 - runBits)
}

// run returns the index of the last byte of the clean run of tags that
// b[i:] begins with, or i when the cache holds none.
func (t *tagCache) run(b []byte, i int) int {
	if t == nil || len(b)-i < minRun {
		return i
	}
	r := t.runs[runSlot(b[i:])]
	if len(r) > 0 && bytes.HasPrefix(b[i:], r) {
		return i + len(r) - 1
	}
	return i
}

// putRun keeps r, a run of tags found clean.
func (t *tagCache) putRun(r []byte) {
	if len(r) < minRun {
		return
	}
	if slot := &t.runs[runSlot(r)]; !bytes.Equal(*slot, r) {
		*slot = append((*slot)[:0], r...)
	}
}

// minCachedTag is the least length of a tag worth looking up: hashing a
// shorter one costs about what searching it does.
const minCachedTag = 16

var tagSeed = maphash.MakeSeed()

// tag is scanTag, skipping a tag that tags holds as clean and adding one
// found clean to it.
func (x *leakIndex) tag(b []byte, i int, tags *tagCache, found func(p int32)) int {
	if tags == nil {
		return x.scanTag(b, i, found)
	}
	k := bytes.IndexByte(b[i:], '>')
	if k < minCachedTag-1 || bytes.IndexByte(b[i:i+k], '<') >= 0 {
		return x.scanTag(b, i, found)
	}
	// The tag from after its '<' to its '>'; scanTag would stop at i+k.
	t := b[i : i+k+1]
	slot := &tags.tags[maphash.Bytes(tagSeed, t)&(tagSlots-1)]
	if bytes.Equal(*slot, t) {
		return i + k
	}
	clean := true
	end := x.scanTag(b, i, func(p int32) { clean = false; found(p) })
	if clean {
		*slot = append((*slot)[:0], t...)
	}
	return end
}

// scanTag scans the tag whose first byte after '<' is at b[i], and returns
// the index of the '>' that ends it (or of the '<' that begins the next).
func (x *leakIndex) scanTag(b []byte, i int, found func(p int32)) int {
	var reg uint64
	var last [ring]byte
	n := 0
	for ; i < len(b); i++ {
		c := skelCode[b[i]]
		if c == 0 {
			continue
		}
		if c == escSpecial {
			if b[i] == '>' {
				return i
			}
			if b[i] == '<' {
				return i - 1
			}
			if c, i = unescape(b, i); c == 0 {
				continue
			}
		}
		reg = (reg<<6 | uint64(c)) & windowMask
		last[n&(ring-1)] = c
		n++
		if h := winHash(reg); n >= window && x.maybe(h) {
			x.candidates(b, i, h, &last, n, true, false, found)
		}
	}
	return i
}

// candidates checks the patterns filed under the window of hash h, which
// ends at b[i], the nth code of its stream; last holds the stream's latest
// codes.
func (x *leakIndex) candidates(b []byte, i int, h uint64, last *[ring]byte, n int, inTag, binary bool, found func(p int32)) {
	t := h >> (64 - x.dirBits)
	for p := x.dir[t]; p < x.dir[t+1]; p++ {
		hd := &x.pats[p]
		preLen := hd.preLen()
		if hd.w&hashLow != h&hashLow || n < window+preLen || prefix(last, n-window, preLen) != hd.pre {
			continue
		}
		codes := x.patCodes(p)
		at := hd.at()
		if binary && len(codes) < minBinaryLen || n < at+window {
			continue
		}
		// The codes before the window, from the ring.
		ok := true
		start := n - window - at
		for q := 0; q < at && ok; q++ {
			ok = last[(start+q)&(ring-1)] == codes[q]
		}
		if ok && matchRest(b, i+1, inTag, binary, codes[at+window:]) {
			found(p)
		}
	}
}

// matchRest reports whether the skeleton of b from i on starts with the
// codes rest, reading as the scan does: in the text, tags are left out; in
// a tag, the tag's end ends the match.
func matchRest(b []byte, i int, inTag, binary bool, rest []byte) bool {
	for k := 0; k < len(rest); i++ {
		if i >= len(b) {
			return false
		}
		c := skelCode[b[i]]
		if c == 0 {
			continue
		}
		if c == escSpecial {
			if binary {
				continue
			}
			switch b[i] {
			case '<', '>':
				if inTag {
					return false
				}
				if b[i] == '<' {
					// Skip the tag: the text goes on after it.
					j := bytes.IndexByte(b[i:], '>')
					if j < 0 {
						return false
					}
					i += j
				}
				continue
			}
			if c, i = unescape(b, i); c == 0 {
				continue
			}
		}
		if c != rest[k] {
			return false
		}
		k++
	}
	return true
}

// check searches the outputs in paths for the patterns of x and returns
// every job value found where it may not be, once per output.
func (x *leakIndex) check(out map[string][]byte, paths []string) []leak {
	found := make([][]leak, len(paths))
	// One tag cache for each worker, as near as a pool gives, and for this
	// index only: a tag clean for one index may not be for another. Not a
	// sync.Pool: the runtime keeps every sync.Pool until the second
	// collection after its last use, and a tag cache holds copies of the
	// tags it found clean, which would stay in memory long after the check.
	pool := make(chan *tagCache, runtime.GOMAXPROCS(0))
	parallel(len(paths), 0, func(i int) {
		var tags *tagCache
		select {
		case tags = <-pool:
		default:
			tags = new(tagCache)
		}
		found[i] = x.checkPage(paths[i], out[paths[i]], tags)
		select {
		case pool <- tags:
		default:
		}
	})
	var all []leak
	for _, l := range found {
		all = append(all, l...)
	}
	return all
}

// checkPage searches the output at path p, whose bytes are b, for the
// patterns of x, and returns every job value found where it may not be.
// Tags are looked up in tags, when not nil.
func (x *leakIndex) checkPage(p string, b []byte, tags *tagCache) []leak {
	var found []leak
	// Patterns found in one output are few (a tracking page's path holds
	// its token): a list is cheaper than a map.
	var seen []int32
	report := func(pat int32) {
		if slices.Contains(seen, pat) {
			return
		}
		seen = append(seen, pat)
		for _, o := range x.ownersOf(pat) {
			if o := x.leakOwner(o); !o.allowedIn(p) {
				found = append(found, leak{path: p, owner: o})
			}
		}
	}
	// The path too: a token in a file name is as public as in a page.
	x.scan([]byte(p), true, nil, report)
	x.scan(b, textExt[path.Ext(p)], tags, report)
	return found
}

// leakErrors turns leaks into errors, at most maxLeaks of them.
func leakErrors(leaks []leak) error {
	if len(leaks) == 0 {
		return nil
	}
	sort.SliceStable(leaks, func(i, j int) bool {
		a, b := leaks[i], leaks[j]
		if a.path != b.path {
			return a.path < b.path
		}
		if a.owner.job.File != b.owner.job.File {
			return a.owner.job.File < b.owner.job.File
		}
		return a.owner.key < b.owner.key
	})
	var list ErrorList
	for k, l := range leaks {
		if k == maxLeaks {
			list = append(list, &Error{Msg: fmt.Sprintf("and %d more tokens or private values found in the output", len(leaks)-k)})
			break
		}
		j := l.owner.job
		out := PublicDir + "/" + shortenPath(l.path, l.owner)
		e := &Error{Pos: Pos{File: out}}
		if l.owner.key == "token" {
			e.Msg = fmt.Sprintf("holds the token of %s (%s), which may appear only on that job's own page", j.ID, ShortToken(j.Token))
			e.Hint = fmt.Sprintf("remove the token, or the tracking link, from the source of %s; if it was published, rotate it: qdn job rotate %s", out, j.ID)
		} else {
			e.Msg = fmt.Sprintf("holds %s of %s (%s); nothing under private: may appear in any output", l.owner.key, j.ID, j.File)
			e.Hint = fmt.Sprintf("remove the value from the source of %s; if it is meant to be public, move it out of private: in %s", out, j.File)
		}
		list = append(list, e)
	}
	return list
}

// shortenPath returns an output path fit for a message: the token of a
// tracking page, and the token of o when the path holds it, shortened.
func shortenPath(p string, o leakOwner) string {
	if rest, ok := strings.CutPrefix(p, "track/"); ok {
		if tok, page, ok := strings.Cut(rest, "/"); ok {
			p = "track/" + ShortToken(tok) + "/" + page
		}
	}
	if o.key == "token" && len(o.job.Token) >= window {
		p = strings.ReplaceAll(p, o.job.Token, ShortToken(o.job.Token))
	}
	return p
}

// textExt are the extensions of the files the site makes, known to be
// text; other files are looked at for a NUL byte.
var textExt = map[string]bool{".html": true, ".txt": true, ".css": true, ".js": true, ".json": true, ".xml": true, ".svg": true}

// ShortToken shortens a token for messages: its first four characters and
// an ellipsis, enough to tell tokens apart and too little to use one.
func ShortToken(t string) string {
	if len(t) <= 4 {
		return "…"
	}
	return t[:4] + "…"
}

// CheckPrivacy is the privacy check of Build for an output rendered in
// memory (see Render): it returns an ErrorList naming every output that
// holds a job's token outside the job's own page, or any private value.
func CheckPrivacy(s *Site, out *Output) error {
	x := newLeakIndex(s, nil)
	return leakErrors(x.check(out.files, out.Paths()))
}

// checkAll is the privacy check of a build that rendered every output of
// out. It returns the index it used.
func checkAll(s *Site, out *Output) (*leakIndex, error) {
	x := buildLeakIndex(s, nil)
	return x, leakErrors(x.check(out.files, out.Paths()))
}

// checkBuild is the privacy check of a Build, with x the index of every
// pattern of s. The outputs in kept are the pages of jobs taken from the
// cache, as the last build checked them; their bytes are nil when the build
// did not read them. The rest were rendered. The tracking pages a build
// renders in batches are not in out yet: they were checked batch by batch,
// and leaks holds what that found. So were those out renders again as it
// writes them (see laterPages), listed with nil bytes.
//
// An output rendered byte for byte as the last build checked it (see
// buildCache.Checked) counts as kept, and so do the pages out keeps apart
// from its map (see keptPages). x may be nil: the index is then made
// only if some output needs it, so a build that changed nothing makes none.
func checkBuild(s *Site, x *leakIndex, out *Output, kept map[string][]byte, leaks []leak, cache *buildCache) error {
	if skipPrivacyCheck {
		return nil
	}
	var rendered, old []string
	for p, b := range out.files {
		if b == nil && out.later.has(p) {
			continue
		}
		if _, ok := kept[p]; ok || cache.checked(p, b) {
			old = append(old, p)
		} else {
			rendered = append(rendered, p)
		}
	}
	if len(rendered) > 0 {
		if x == nil {
			x = newLeakIndex(s, nil)
		}
		leaks = append(leaks, x.check(out.files, rendered)...)
	}
	// Only a job parsed again can bring a pattern the last build did not
	// have; one whose file is new, or that took its token or value from
	// another file, counts as new, which costs a read and is never wrong.
	var parsed []*Job
	for _, j := range s.Jobs {
		if j.cached == nil {
			parsed = append(parsed, j)
		}
	}
	if len(old)+out.kept.len() > 0 && len(parsed) > 0 {
		prev := cachedPatterns(s, cache, parsed)
		fresh := newLeakIndex(&Site{Config: s.Config, Jobs: parsed}, prev.isNew)
		if len(fresh.pats) > 0 {
			// The pages kept are old too: listed by path only now.
			old = append(old, out.kept.sortedPaths()...)
			keptReads.Add(int64(len(old)))
			files, err := out.bytesOf(old)
			if err != nil {
				return err
			}
			leaks = append(leaks, fresh.check(files, old)...)
		}
	}
	return leakErrors(leaks)
}

// keptReads counts the kept outputs checkBuild read back, for the tests that
// hold a rebuild to reading only what can hold a new pattern.
var keptReads atomic.Int64
