package generator

import (
	"bytes"
	"sync"
	"unicode/utf8"
)

// readFast reads a YAML file written in the plain form that qdn writes and
// that dispatchers keep to: block mappings of `key: value` lines, block
// lists of `- ` items, { } mappings of scalars (which may wrap after a
// comma), plain scalars, quoted scalars without escapes, comments and blank
// lines. Anything else (tabs, anchors, aliases, tags, block scalars,
// escapes, plain scalars over several lines, [ ] lists, more than one
// document, and whatever it is unsure of) makes it return false, and the
// caller reads the file with the full parser instead.
//
// It exists for speed: a job file is read about twenty times faster than by
// the full parser. What it accepts it must read exactly as the full parser
// does, down to the position of every node; TestReadFastAgrees checks that
// on every file of the example site and on many thousands of mutations of
// them, and FuzzReadFast keeps looking.
func readFast(src []byte) (*node, bool) {
	if !plainText(src) {
		return nil, false
	}
	st := stacks.Get().(*fastStacks)
	defer st.put()
	r := &fastReader{src: src, line: 1, pairStack: st.pairs[:0], itemStack: st.items[:0]}
	defer func() { st.pairs, st.items = r.pairStack, r.itemStack }()
	r.skipBlank()
	if r.eof() || r.indent() != 0 {
		return nil, false
	}
	root, ok := r.blockMap(0)
	return root, ok && r.eof()
}

// fastStacks are the stacks of a fastReader, kept for the next file.
type fastStacks struct {
	pairs []pair
	items []*node
}

var stacks = sync.Pool{New: func() any { return new(fastStacks) }}

// put drops what the stacks point to and gives them back to the pool.
func (st *fastStacks) put() {
	clear(st.pairs[:cap(st.pairs)])
	clear(st.items[:cap(st.items)])
	stacks.Put(st)
}

// plainText reports whether src is valid UTF-8 without a byte-order mark,
// tabs, carriage returns or other control characters, and without the
// characters YAML 1.1 counts as line breaks.
func plainText(src []byte) bool {
	for i := 0; i < len(src); {
		c := src[i]
		if c < utf8.RuneSelf {
			if (c < ' ' && c != '\n') || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, w := utf8.DecodeRune(src[i:])
		switch {
		case r == utf8.RuneError, r == 0xfeff, r == 0x85, r == 0x2028, r == 0x2029, r >= 0x80 && r < 0xa0:
			return false
		}
		i += w
	}
	return true
}

type fastReader struct {
	src  []byte
	off  int // the next byte to read
	line int // the 1-based line of off
	bol  int // where that line begins

	// A job file makes some fifty nodes, a dozen mappings and a list or
	// two, all dropped once it is decoded: they are cut from a few
	// allocations made for the file (newNode, newPairs, newItems) rather
	// than allocated one by one, and a mapping's pairs and a list's items
	// gather on a stack shared by the mappings and lists being read until
	// their number is known.
	nodes     []node
	pairArena []pair
	itemArena []*node
	pairStack []pair
	itemStack []*node
}

// newNode returns a new zero node.
func (r *fastReader) newNode() *node {
	if len(r.nodes) == cap(r.nodes) {
		// A line of a job file makes about three nodes on average (a
		// key and its value; a list item's mapping; a { } mapping of
		// two pairs on a line of its own).
		n := 16
		if r.nodes == nil {
			n = 3*bytes.Count(r.src, []byte("\n")) + 4
		}
		r.nodes = make([]node, 0, n)
	}
	r.nodes = r.nodes[:len(r.nodes)+1]
	return &r.nodes[len(r.nodes)-1]
}

// newPairs returns the pairs of the stack from base on, in memory of their
// own, and pops them.
func (r *fastReader) newPairs(base int) []pair {
	n := len(r.pairStack) - base
	if cap(r.pairArena)-len(r.pairArena) < n {
		r.pairArena = make([]pair, 0, max(n, 32))
	}
	l := len(r.pairArena)
	r.pairArena = append(r.pairArena, r.pairStack[base:]...)
	r.pairStack = r.pairStack[:base]
	return r.pairArena[l : l+n : l+n]
}

// newItems is newPairs for the items of a list.
func (r *fastReader) newItems(base int) []*node {
	n := len(r.itemStack) - base
	if cap(r.itemArena)-len(r.itemArena) < n {
		r.itemArena = make([]*node, 0, max(n, 8))
	}
	l := len(r.itemArena)
	r.itemArena = append(r.itemArena, r.itemStack[base:]...)
	r.itemStack = r.itemStack[:base]
	return r.itemArena[l : l+n : l+n]
}

func (r *fastReader) eof() bool { return r.off >= len(r.src) }

// peek returns the byte at off, or '\n' at the end of the file.
func (r *fastReader) peek() byte {
	if r.off >= len(r.src) {
		return '\n'
	}
	return r.src[r.off]
}

// col returns the 1-based column of offset off on the current line, counted
// in characters as the full parser counts them.
func (r *fastReader) col(off int) int {
	return 1 + utf8.RuneCount(r.src[r.bol:off])
}

// indent returns the number of spaces that begin the current line.
func (r *fastReader) indent() int {
	i := r.bol
	for i < len(r.src) && r.src[i] == ' ' {
		i++
	}
	return i - r.bol
}

// nextLine moves to the start of the next line.
func (r *fastReader) nextLine() {
	i := bytes.IndexByte(r.src[r.off:], '\n')
	if i < 0 {
		r.off = len(r.src)
		return
	}
	r.off += i + 1
	r.line++
	r.bol = r.off
}

// skipBlank moves from the start of a line past blank and comment lines to
// the start of the next line with content, or to the end of the file.
func (r *fastReader) skipBlank() {
	for !r.eof() {
		i := r.bol + r.indent()
		if i < len(r.src) && r.src[i] != '\n' && r.src[i] != '#' {
			return
		}
		r.off = i
		r.nextLine()
	}
}

func (r *fastReader) skipSpaces() {
	for r.off < len(r.src) && r.src[r.off] == ' ' {
		r.off++
	}
}

// endLine accepts spaces and a comment up to the end of the line and moves
// past the blank lines that follow.
func (r *fastReader) endLine() bool {
	r.skipSpaces()
	switch c := r.peek(); {
	case c == '#' && r.off > r.bol && r.src[r.off-1] == ' ':
	case c != '\n':
		return false
	}
	r.nextLine()
	r.skipBlank()
	return true
}

// dashAt reports whether the current line holds a list item at indent.
func (r *fastReader) dashAt(indent int) bool {
	i := r.bol + indent
	return i < len(r.src) && r.src[i] == '-' && (i+1 == len(r.src) || r.src[i+1] == ' ' || r.src[i+1] == '\n')
}

// blockMap reads a block mapping whose keys are at indent; the first key
// starts at off, which may be after a list item's dash.
func (r *fastReader) blockMap(indent int) (*node, bool) {
	m := r.newNode()
	m.kind, m.typ = mapNode, "mapping"
	base := len(r.pairStack)
	for {
		key, ok := r.key()
		if !ok {
			return nil, false
		}
		if hasKey(r.pairStack[base:], key.text) {
			return nil, false // the full parser rejects a repeated key
		}
		if len(r.pairStack) == base {
			m.line, m.col = r.line, r.col(r.off)
		}
		r.off++ // past the colon
		value, ok := r.value(indent)
		if !ok {
			return nil, false
		}
		r.pairStack = append(r.pairStack, pair{key, value})
		if r.eof() {
			m.pairs = r.newPairs(base)
			return m, true
		}
		switch ind := r.indent(); {
		case ind < indent:
			m.pairs = r.newPairs(base)
			return m, true
		case ind > indent || r.dashAt(ind):
			return nil, false
		default:
			r.off = r.bol + ind
		}
	}
}

// key reads a plain key and leaves off at the colon that ends it, which a
// space or the end of the line must follow.
func (r *fastReader) key() (*node, bool) {
	start := r.off
	i := start
	for i < len(r.src) && isKeyByte(r.src[i], i == start) {
		i++
	}
	if i == start || i >= len(r.src) || r.src[i] != ':' || (i+1 < len(r.src) && r.src[i+1] != ' ' && r.src[i+1] != '\n') {
		return nil, false
	}
	text := internKey(r.src[start:i])
	if isNullWord(text) {
		return nil, false
	}
	r.off = i
	n := r.newNode()
	n.kind, n.text, n.line, n.col = scalarNode, text, r.line, r.col(start)
	return n, true
}

// internKey returns key as a string, the same string for every file when
// it is one of the keys job files use: a job keeps the keys under its
// private: block, and a site keeps every job in memory.
func internKey(key []byte) string {
	// A switch on string(key) neither allocates nor compares with every case.
	switch string(key) {
	case "id":
		return "id"
	case "legacy_id":
		return "legacy_id"
	case "token":
		return "token"
	case "customer":
		return "customer"
	case "name":
		return "name"
	case "address":
		return "address"
	case "service":
		return "service"
	case "price":
		return "price"
	case "amount":
		return "amount"
	case "note":
		return "note"
	case "scheduled":
		return "scheduled"
	case "date":
		return "date"
	case "window":
		return "window"
	case "crew":
		return "crew"
	case "status":
		return "status"
	case "history":
		return "history"
	case "at":
		return "at"
	case "forced":
		return "forced"
	case "private":
		return "private"
	case "phone":
		return "phone"
	case "notes":
		return "notes"
	case "email":
		return "email"
	case "gate":
		return "gate"
	case "gate_code":
		return "gate_code"
	}
	return string(key)
}

func hasKey(pairs []pair, key string) bool {
	for _, p := range pairs {
		if p.key.text == key {
			return true
		}
	}
	return false
}

func isKeyByte(c byte, first bool) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_':
		return true
	case c == '-', c == '.':
		return !first
	}
	return false
}

func isNullWord(s string) bool {
	return s == "null" || s == "Null" || s == "NULL" || s == "~"
}

// value reads what follows the colon of a key at indent: a scalar or a
// { } mapping on the same line, or a block below it, or nothing (null).
// It returns at the start of the next line with content.
func (r *fastReader) value(indent int) (*node, bool) {
	r.skipSpaces()
	var v *node
	var ok bool
	switch c := r.peek(); c {
	case '\n', '#':
		if !r.endLine() {
			return nil, false
		}
		if !r.eof() {
			switch ind := r.indent(); {
			case r.dashAt(ind) && ind >= indent:
				return r.blockSeq(ind)
			case ind > indent:
				r.off = r.bol + ind
				return r.blockMap(ind)
			}
		}
		// Where the full parser places a missing value depends on what
		// follows; positions of nulls only ever appear in messages, and
		// those come from the full parser.
		n := r.newNode()
		n.typ = "null"
		return n, true
	case '{':
		v, ok = r.flowMap(indent)
	case '"', '\'':
		v, ok = r.quoted(c)
	default:
		v, ok = r.plain(false)
	}
	if !ok || !r.endLine() {
		return nil, false
	}
	// A more indented line would continue the scalar: not this reader's.
	return v, r.eof() || r.indent() <= indent
}

// blockSeq reads a block list whose dashes are at indent.
func (r *fastReader) blockSeq(indent int) (*node, bool) {
	s := r.newNode()
	s.kind, s.typ, s.line, s.col = seqNode, "list", r.line, indent+1
	base := len(r.itemStack)
	for {
		r.off = r.bol + indent + 1
		if r.peek() != ' ' {
			return nil, false // an empty item
		}
		r.skipSpaces()
		var item *node
		var ok bool
		switch c := r.peek(); {
		case c == '{':
			item, ok = r.flowMap(indent)
			ok = ok && r.endLine()
		case c == '"' || c == '\'':
			item, ok = r.quoted(c)
			ok = ok && r.endLine()
		case r.looksLikeKey():
			item, ok = r.blockMap(r.off - r.bol)
		default:
			item, ok = r.plain(false)
			ok = ok && r.endLine()
		}
		if !ok {
			return nil, false
		}
		r.itemStack = append(r.itemStack, item)
		if r.eof() {
			s.items = r.newItems(base)
			return s, true
		}
		switch ind := r.indent(); {
		case ind > indent:
			return nil, false
		case ind < indent || !r.dashAt(ind):
			s.items = r.newItems(base)
			return s, true
		}
	}
}

// looksLikeKey reports whether a `key:` starts at off.
func (r *fastReader) looksLikeKey() bool {
	i := r.off
	for i < len(r.src) && isKeyByte(r.src[i], i == r.off) {
		i++
	}
	return i > r.off && i < len(r.src) && r.src[i] == ':'
}

// flowMap reads a { } mapping of scalars. It may wrap onto lines indented
// deeper than indent, after its opening brace or a comma.
func (r *fastReader) flowMap(indent int) (*node, bool) {
	m := r.newNode()
	m.kind, m.typ, m.line, m.col = mapNode, "mapping", r.line, r.col(r.off)
	base := len(r.pairStack)
	r.off++
	if !r.flowSpace(indent) || r.peek() == '}' {
		return nil, false
	}
	for {
		key, ok := r.key()
		if !ok || r.off+1 >= len(r.src) || r.src[r.off+1] != ' ' || hasKey(r.pairStack[base:], key.text) {
			return nil, false
		}
		r.off++
		r.skipSpaces()
		var v *node
		switch c := r.peek(); c {
		case '"', '\'':
			v, ok = r.quoted(c)
		default:
			v, ok = r.plain(true)
		}
		if !ok {
			return nil, false
		}
		r.pairStack = append(r.pairStack, pair{key, v})
		r.skipSpaces()
		switch r.peek() {
		case '}':
			r.off++
			m.pairs = r.newPairs(base)
			return m, true
		case ',':
			r.off++
			if !r.flowSpace(indent) || r.peek() == '}' {
				return nil, false
			}
		default:
			return nil, false
		}
	}
}

// flowSpace skips spaces and line breaks inside a { } mapping; a line it
// moves to must be indented deeper than indent and hold no comment.
func (r *fastReader) flowSpace(indent int) bool {
	r.skipSpaces()
	for r.peek() == '\n' {
		if r.eof() {
			return false
		}
		r.nextLine()
		if r.indent() <= indent {
			return false
		}
		r.skipSpaces()
	}
	return r.peek() != '#'
}

// quoted reads a quoted scalar on one line: single-quoted, a quote doubled
// inside it, or double-quoted without escapes.
func (r *fastReader) quoted(q byte) (*node, bool) {
	n := r.newNode()
	n.kind, n.typ, n.line, n.col = scalarNode, "string", r.line, r.col(r.off)
	start := r.off + 1
	for i := start; i < len(r.src); i++ {
		switch c := r.src[i]; {
		case c == '\n' || (c == '\\' && q == '"'):
			return nil, false
		case c == q && q == '\'' && i+1 < len(r.src) && r.src[i+1] == '\'':
			i++
		case c == q:
			n.text = string(r.src[start:i])
			if q == '\'' {
				n.text = string(bytes.ReplaceAll(r.src[start:i], []byte("''"), []byte("'")))
			}
			r.off = i + 1
			return n, true
		}
	}
	return nil, false
}

// plain reads a plain scalar to the end of the line or a comment, or in a
// { } mapping to the next comma or closing brace.
func (r *fastReader) plain(flow bool) (*node, bool) {
	start := r.off
	if start >= len(r.src) || !plainStart(r.src[start]) {
		return nil, false
	}
	end := start
	i := start
	for ; i < len(r.src); i++ {
		c := r.src[i]
		if c == '\n' || (c == '#' && r.src[i-1] == ' ') || (flow && (c == ',' || c == '}')) {
			break
		}
		if c == ':' && (i+1 == len(r.src) || r.src[i+1] == ' ' || r.src[i+1] == '\n' || (flow && (r.src[i+1] == ',' || r.src[i+1] == '}'))) {
			return nil, false // a mapping, or a key with no value
		}
		if flow && (c == '[' || c == ']' || c == '{') {
			return nil, false
		}
		if c != ' ' {
			end = i + 1
		}
	}
	if !flow && i > end && (i == len(r.src) || r.src[i] == '\n') {
		// The full parser shifts the column of a plain scalar by the
		// spaces that trail it on its line.
		return nil, false
	}
	text := string(r.src[start:end])
	n := r.newNode()
	r.off = end
	if isNullWord(text) {
		n.typ = "null"
		return n, true
	}
	n.kind, n.text, n.line, n.col = scalarNode, text, r.line, r.col(start)
	return n, true
}

// plainStart reports whether a plain scalar may start with c: not with any
// of YAML's indicators.
func plainStart(c byte) bool {
	switch c {
	case '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', ' ', '\n':
		return false
	}
	return true
}
