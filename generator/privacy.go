package generator

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"hash/maphash"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
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
// digits and longer than ten is also searched for by its last ten, since a
// phone number is written with or without its country code. Files that are binary (a NUL byte in their first 8,000 bytes, as
// git decides) are searched only for tokens and for private values of at
// least minBinaryLen letters and digits: shorter ones turn up by chance in
// megabytes of compressed bytes.
//
// How it stays cheap. Every pattern is filed under one window of window
// letters and digits: its last within the first 64 (values share
// beginnings, such as the area code of every phone number, more than
// ends). One pass over each output keeps the last window of the skeleton
// in a register, and the last 64 codes in a ring, and tests the window
// against a bit filter; only filter hits look the window up and compare
// the pattern. The pass is a table lookup, a shift and a multiply per
// byte, in parallel over the outputs. A style element of 1 KB or more is
// read on its own and, once found clean, skipped where it appears again:
// the inline CSS is more than half of every tracking page. A value that
// would only show across the edge of such an element (half inside the CSS,
// half outside) is not found.
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

// filterBits is the size of the bit filter, as a power of two: 2^21 bits,
// 256 KB. Each window sets two bits: with 10,000 jobs it is about 3% full
// and lets about one window in a thousand through.
const filterBits = 21

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
	var out []byte
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
	return o.key == "token" && strings.HasPrefix(p, "track/") && p == TrackPath(o.job.Token)
}

// leakPattern is one skeleton that must not appear in the output, with
// every job value that has it.
type leakPattern struct {
	// codes are the skeleton codes of the pattern (see skelCode).
	codes []byte
	// at is where the window the pattern is filed under begins.
	at     int
	owners []leakOwner
}

// leakIndex finds many patterns in one pass.
type leakIndex struct {
	pats   []*leakPattern
	filter []uint64
	// heads are the windows of the patterns, sorted, with the index of
	// each pattern in pats.
	heads []head
	// have holds every pattern's key and skeleton, to tell which ones are
	// new to a later build.
	have map[string]bool
	// clean holds the hashes of the style blocks searched and found clean.
	clean sync.Map
}

type head struct {
	reg uint64
	pat int32
}

// ring is how many skeleton codes the scan keeps behind the current one:
// a pattern is filed under a window that ends within them.
const ring = 64

const windowMask = 1<<(6*window) - 1

// windowBits returns the two filter bits of a window.
func windowBits(reg uint64) (uint64, uint64) {
	h := reg * 0x9E3779B97F4A7C15
	return h >> (64 - filterBits), (h >> (64 - 2*filterBits)) & (1<<filterBits - 1)
}

func (x *leakIndex) maybe(reg uint64) bool {
	h1, h2 := windowBits(reg)
	return x.filter[h1>>6]&(1<<(h1&63)) != 0 && x.filter[h2>>6]&(1<<(h2&63)) != 0
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
	return buildLeakIndex(s, keep, false)
}

// buildLeakIndex is newLeakIndex; with remember set the index also records
// every pattern in have, for isNew.
func buildLeakIndex(s *Site, keep func(key string, skel []byte) bool, remember bool) *leakIndex {
	var public [][]byte
	if s.Config != nil {
		for _, v := range []string{s.Config.Site.Phone, s.Config.Site.Email, s.Config.Site.Name} {
			public = append(public, skeleton(v))
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
	x := &leakIndex{filter: make([]uint64, 1<<filterBits/64), have: map[string]bool{}}
	bySkel := make(map[string]*leakPattern, 2*len(s.Jobs))
	codeArena := make([]byte, 0, 64*len(s.Jobs))
	patArena := make([]leakPattern, 0, 3*len(s.Jobs))
	add := func(skel []byte, o leakOwner) {
		if remember {
			x.have[o.key+"\x00"+string(skel)] = true
		}
		if keep != nil && !keep(o.key, skel) {
			return
		}
		// Tokens are unique (Load refuses two jobs with one token); private
		// values may repeat, one phone number on many jobs.
		var p *leakPattern
		if o.key != "token" {
			p = bySkel[string(skel)]
		}
		if p == nil {
			// One allocation for all codes and patterns, not one each.
			start := len(codeArena)
			for _, c := range skel {
				codeArena = append(codeArena, skelCode[c])
			}
			codes := codeArena[start:len(codeArena):len(codeArena)]
			// Filed under the last window the ring reaches: values share
			// beginnings (the area code of every phone number) more than
			// ends.
			patArena = append(patArena, leakPattern{codes: codes, at: min(len(codes), ring) - window})
			p = &patArena[len(patArena)-1]
			if o.key != "token" {
				bySkel[string(skel)] = p
			}
			x.pats = append(x.pats, p)
		}
		p.owners = append(p.owners, o)
	}
	keys := map[string]string{}
	keyOf := func(k string) string {
		if v, ok := keys[k]; ok {
			return v
		}
		keys[k] = "private." + k
		return keys[k]
	}
	for _, j := range s.Jobs {
		if len(j.Token) >= window {
			add([]byte(strings.ToLower(j.Token)), leakOwner{job: j, key: "token"})
		}
		for _, f := range privateOf(j) {
			skel := skeleton(f.Value)
			if len(skel) < MinPrivateLen || isPublic(skel) {
				continue
			}
			add(skel, leakOwner{job: j, key: keyOf(f.Key)})
			if len(skel) > localDigits && strings.Trim(string(skel), "0123456789") == "" && !isPublic(skel[len(skel)-localDigits:]) {
				// A phone number is also written without its country
				// code: +1 208 555 0142 as (208) 555-0142.
				add(skel[len(skel)-localDigits:], leakOwner{job: j, key: keyOf(f.Key)})
			}
		}
	}
	x.heads = make([]head, len(x.pats))
	for i, p := range x.pats {
		reg := pack(p.codes[p.at:])
		h1, h2 := windowBits(reg)
		x.filter[h1>>6] |= 1 << (h1 & 63)
		x.filter[h2>>6] |= 1 << (h2 & 63)
		x.heads[i] = head{reg: reg, pat: int32(i)}
	}
	slices.SortFunc(x.heads, func(a, b head) int { return cmp.Compare(a.reg, b.reg) })
	return x
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

// isNew reports whether the pattern was not in x.
func (x *leakIndex) isNew(key string, skel []byte) bool {
	return x == nil || !x.have[key+"\x00"+string(skel)]
}

// cachedPatterns returns the patterns the last build had for the files of
// jobs, as leakIndex.have holds them.
func cachedPatterns(c *buildCache, jobs []*Job) map[string]bool {
	have := map[string]bool{}
	if c == nil {
		return have
	}
	for _, j := range jobs {
		e := c.Jobs[j.File]
		if e == nil {
			continue
		}
		have["token\x00"+e.Token] = true
		for _, f := range unpackPrivate(e.Private) {
			have["private."+f.Key+"\x00"+string(skeleton(f.Value))] = true
		}
	}
	return have
}

// leak is one job value found in one output.
type leak struct {
	path  string
	owner leakOwner
}

// scan calls found for every pattern in b, as often as it occurs.
func (x *leakIndex) scan(b []byte, text bool, found func(p *leakPattern)) {
	if len(x.pats) == 0 {
		return
	}
	binary := !text && bytes.IndexByte(b[:min(len(b), 8000)], 0) >= 0
	// The text, with tags left out: its last window in a register and its
	// last codes in a ring. Each tag is read by scanTag.
	var reg uint64
	var last [ring]byte
	n := 0
	for i := 0; i < len(b); i++ {
		c := skelCode[b[i]]
		if c == 0 {
			continue
		}
		if c == escSpecial {
			if binary || b[i] == '>' {
				continue
			}
			if b[i] == '<' {
				if end := x.sharedBlock(b, i, found); end > i {
					// Read on its own: the text starts again after it.
					i, reg, n = end, 0, 0
					continue
				}
				i = x.scanTag(b, i+1, found)
				continue
			}
			if c, i = unescape(b, i); c == 0 {
				continue
			}
		}
		reg = (reg<<6 | uint64(c)) & windowMask
		last[n%ring] = c
		n++
		if n >= window && x.maybe(reg) {
			x.candidates(b, i, reg, &last, n, false, binary, found)
		}
	}
}

// sharedBlock handles a style element at b[i]: the same inline CSS opens
// every tracking page, so each distinct block is searched once, on its
// own, and a block found clean is skipped afterwards. It returns the index
// of the byte before the element's end tag, or i when b[i] does not start
// a style element worth it.
func (x *leakIndex) sharedBlock(b []byte, i int, found func(p *leakPattern)) int {
	const open, end = "<style", "</style>"
	if len(b)-i < 1024 || !bytes.HasPrefix(b[i:], []byte(open)) {
		return i
	}
	k := bytes.Index(b[i:], []byte(end))
	if k < 1024 {
		return i
	}
	block := b[i : i+k]
	h := maphash.Bytes(blockSeed, block)
	if _, ok := x.clean.Load(h); !ok {
		leaked := false
		// The block starts with <style, which scan would hand back here:
		// scan its tag and its text apart.
		t := x.scanTag(block, 1, func(p *leakPattern) { leaked = true; found(p) })
		x.scan(block[t+1:], true, func(p *leakPattern) { leaked = true; found(p) })
		if !leaked {
			x.clean.Store(h, true)
		}
	}
	return i + k - 1
}

var blockSeed = maphash.MakeSeed()

// scanTag scans the tag whose first byte after '<' is at b[i], and returns
// the index of the '>' that ends it (or of the '<' that begins the next).
func (x *leakIndex) scanTag(b []byte, i int, found func(p *leakPattern)) int {
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
		last[n%ring] = c
		n++
		if n >= window && x.maybe(reg) {
			x.candidates(b, i, reg, &last, n, true, false, found)
		}
	}
	return i
}

// candidates checks the patterns filed under the window reg, which ends at
// b[i], the nth code of its stream; last holds the stream's latest codes.
func (x *leakIndex) candidates(b []byte, i int, reg uint64, last *[ring]byte, n int, inTag, binary bool, found func(p *leakPattern)) {
	k, _ := slices.BinarySearchFunc(x.heads, reg, func(h head, reg uint64) int { return cmp.Compare(h.reg, reg) })
	for ; k < len(x.heads) && x.heads[k].reg == reg; k++ {
		p := x.pats[x.heads[k].pat]
		if binary && len(p.codes) < minBinaryLen || n < p.at+window {
			continue
		}
		// The codes before the window, from the ring.
		ok := true
		start := n - window - p.at
		for q := 0; q < p.at && ok; q++ {
			ok = last[(start+q)%ring] == p.codes[q]
		}
		if ok && matchRest(b, i+1, inTag, binary, p.codes[p.at+window:]) {
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
	parallel(len(paths), 0, func(i int) {
		p := paths[i]
		var seen map[*leakPattern]bool
		report := func(pat *leakPattern) {
			if seen[pat] {
				return
			}
			if seen == nil {
				seen = map[*leakPattern]bool{}
			}
			seen[pat] = true
			for _, o := range pat.owners {
				if !o.allowedIn(p) {
					found[i] = append(found[i], leak{path: p, owner: o})
				}
			}
		}
		// The path too: a token in a file name is as public as in a page.
		x.scan([]byte(p), true, report)
		x.scan(out[p], textExt[path.Ext(p)], report)
	})
	var all []leak
	for _, l := range found {
		all = append(all, l...)
	}
	return all
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
	x := buildLeakIndex(s, nil, true)
	return x, leakErrors(x.check(out.files, out.Paths()))
}

// checkBuild is the privacy check of a Build, with x the index of every
// pattern of s. The outputs in kept are the pages of jobs taken from the
// cache, as the last build checked them; their bytes are nil when the build
// did not read them. The rest were rendered.
func checkBuild(s *Site, x *leakIndex, pub string, out *Output, kept map[string][]byte, cache *buildCache) error {
	if skipPrivacyCheck {
		return nil
	}
	var rendered, old []string
	for p := range out.files {
		if _, ok := kept[p]; ok {
			old = append(old, p)
		} else {
			rendered = append(rendered, p)
		}
	}
	leaks := x.check(out.files, rendered)
	// Only a job parsed again can bring a pattern the last build did not
	// have; one whose file is new, or that took its token or value from
	// another file, counts as new, which costs a read and is never wrong.
	var parsed []*Job
	for _, j := range s.Jobs {
		if j.cached == nil {
			parsed = append(parsed, j)
		}
	}
	if len(old) > 0 && len(parsed) > 0 {
		prev := cachedPatterns(cache, parsed)
		fresh := newLeakIndex(&Site{Config: s.Config, Jobs: parsed}, func(key string, skel []byte) bool { return !prev[key+"\x00"+string(skel)] })
		if len(fresh.pats) > 0 {
			files, err := readKept(pub, out, old)
			if err != nil {
				return err
			}
			leaks = append(leaks, fresh.check(files, old)...)
		}
	}
	return leakErrors(leaks)
}

// readKept returns the bytes of the outputs in paths, reading from public/
// those the build left unread.
func readKept(pub string, out *Output, paths []string) (map[string][]byte, error) {
	bs := make([][]byte, len(paths))
	errs := make([]error, len(paths))
	parallel(len(paths), 8, func(i int) {
		if b := out.files[paths[i]]; b != nil {
			bs[i] = b
			return
		}
		bs[i], errs[i] = readFile(filepath.Join(pub, filepath.FromSlash(paths[i])))
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	files := make(map[string][]byte, len(paths))
	for i, p := range paths {
		files[p] = bs[i]
	}
	return files, nil
}
