package generator

import (
	"fmt"
	"strings"
)

// The full YAML parser takes time and memory far beyond linear in how deep
// a document nests: 80 KB of nested brackets took it 40 seconds and 2.5 GB.
// No source of a site needs more than a few levels, so before a document
// reaches the parser, yamlLimits measures its size and depth in one pass and
// refuses it past the limits below.

const (
	// maxYAMLSize bounds a YAML document: qdn.yaml, a job file, front
	// matter. The parser's time grows faster than the size: 200 KB of
	// plain keys took it 25 seconds. qdn's biggest files are a few KB.
	maxYAMLSize = 64 << 10
	// maxYAMLDepth bounds how deep a document nests, counting every
	// indented block, every dash of a list and every bracket. qdn's own
	// files nest four deep.
	maxYAMLDepth = 32
	// maxYAMLEntries bounds the lines and the items of flow collections
	// of a document: the parser's time grows with the square of the keys
	// of a mapping. A job file has some thirty.
	maxYAMLEntries = 2000
)

// yamlLimits reports where src first goes past maxYAMLSize, maxYAMLDepth or
// maxYAMLEntries,
// with a message, or ok when it stays within them.
//
// It is not a YAML parser. It follows what makes a document nest, the
// indentation of block lines, the dashes of block lists and the brackets of
// flow collections, and skips what cannot: comments, quoted strings and
// block scalars. Where it cannot tell, it counts a level more, never less,
// so a document it passes has no more depth than it counted; a bracket in
// the middle of a plain scalar, as in "call [office]", is text and not
// counted.
func yamlLimits(src []byte) (line, col int, msg string, ok bool) {
	if len(src) > maxYAMLSize {
		l, c := lineCol(src, maxYAMLSize)
		return l, c, fmt.Sprintf("YAML document larger than %s", sizeText(maxYAMLSize)), false
	}
	var (
		indents []int // the indentation of the open block levels
		flow    int   // open brackets
		// prev is the last character that was not a space: a bracket or
		// a quote opens a node only after one of "-?:,[{" or at the
		// start of a line.
		prev  byte = '\n'
		block      = -1 // the indentation of a block scalar's parent, or -1
		// blockText is the indentation of a block scalar's first line of
		// text: a line less indented ends the scalar, as in YAML.
		blockText     = -1
		entries   int // lines and flow items so far
	)
	deep := func(dashes int) bool { return len(indents)+dashes+flow > maxYAMLDepth }
	nodeStart := func() bool {
		switch prev {
		case '\n', '-', '?', ':', ',', '[', '{':
			return true
		}
		return false
	}
	i := 0
	for i < len(src) {
		// The start of a line.
		start := i
		// A tab counts as one column: YAML allows none in indentation,
		// and counting it keeps a lenient parser's levels counted.
		for i < len(src) && (src[i] == ' ' || src[i] == '\t') {
			i++
		}
		indent := i - start
		blank := i == len(src) || src[i] == '\n' || src[i] == '\r' || src[i] == '#'
		if block >= 0 {
			if !blank && blockText < 0 && indent > block {
				blockText = indent
			}
			if blank || blockText >= 0 && indent >= blockText {
				i = nextLine(src, i)
				continue
			}
			block, blockText = -1, -1
		}
		if blank {
			i = nextLine(src, i)
			if flow == 0 {
				prev = '\n'
			}
			continue
		}
		dashes := 0
		if entries++; entries > maxYAMLEntries {
			l, c := lineCol(src, i)
			return l, c, fmt.Sprintf("YAML document with more than %d lines and items", maxYAMLEntries), false
		}
		if flow == 0 {
			prev = '\n'
			for len(indents) > 0 && indents[len(indents)-1] > indent {
				indents = indents[:len(indents)-1]
			}
			if len(indents) == 0 || indents[len(indents)-1] < indent {
				indents = append(indents, indent)
			}
			if deep(0) {
				l, c := lineCol(src, i)
				return l, c, fmt.Sprintf("YAML nests deeper than %d levels", maxYAMLDepth), false
			}
		}
		// The rest of the line, and of any lines a quoted string or a
		// flow collection runs on to.
		for i < len(src) && src[i] != '\n' {
			c := src[i]
			switch {
			case c == ' ' || c == '\t' || c == '\r':
				i++
				continue
			case c == '#' && (i == start || src[i-1] == ' ' || src[i-1] == '\t'):
				i = lineEnd(src, i)
				continue
			case (c == '"' || c == '\'') && nodeStart():
				i = quotedEnd(src, i)
				prev = c
				continue
			case (c == '-' || c == '?') && flow == 0 && prev == '\n' || prev == '-' && c == '-':
				if i+1 < len(src) && (src[i+1] == ' ' || src[i+1] == '\n') {
					if c == '-' {
						dashes++
						if deep(dashes) {
							l, col := lineCol(src, i)
							return l, col, fmt.Sprintf("YAML nests deeper than %d levels", maxYAMLDepth), false
						}
					}
					prev = c
					i++
					continue
				}
			case (c == '&' || c == '!') && nodeStart():
				// An anchor or a tag comes before the node it names.
				for i < len(src) && src[i] != ' ' && src[i] != '\n' && src[i] != ',' && (flow == 0 || src[i] != ']' && src[i] != '}') {
					i++
				}
				continue
			case (c == '[' || c == '{') && (flow > 0 || nodeStart()):
				flow++
				if deep(dashes) {
					l, col := lineCol(src, i)
					return l, col, fmt.Sprintf("YAML nests deeper than %d levels", maxYAMLDepth), false
				}
				prev = c
				i++
				continue
			case (c == ']' || c == '}') && flow > 0:
				flow--
				prev = c
				i++
				continue
			case (c == '|' || c == '>') && flow == 0 && nodeStart():
				// The scalar's parent is where the line's
				// content starts, after any dashes: its text
				// must be indented deeper than that.
				block = contentIndent(src, start, i)
				i = lineEnd(src, i)
				continue
			case c == ':' && (i+1 == len(src) || strings.IndexByte(" \t\r\n[{", src[i+1]) >= 0 || flow > 0 || strings.IndexByte("\"']}", prev) >= 0):
				// A colon and a space end a key; so does a colon
				// after a quoted key or in a flow collection, and
				// a colon before a bracket is counted as if.
				prev = c
				i++
				continue
			case c == ',' && flow > 0:
				if entries++; entries > maxYAMLEntries {
					l, col := lineCol(src, i)
					return l, col, fmt.Sprintf("YAML document with more than %d lines and items", maxYAMLEntries), false
				}
				prev = c
				i++
				continue
			}
			// Plain text: up to the next space or indicator.
			prev = 'a'
			i++
		}
		if i < len(src) {
			i++
		}
	}
	return 0, 0, "", true
}

// contentIndent returns the column where the content of the line that
// starts at start begins, after its indentation and any "- " dashes, but
// not past end.
func contentIndent(src []byte, start, end int) int {
	i := start
	for i < end {
		switch {
		case src[i] == ' ' || src[i] == '\t':
			i++
		case src[i] == '-' && i+1 < end && (src[i+1] == ' ' || src[i+1] == '\t'):
			i += 2
		default:
			return i - start
		}
	}
	return i - start
}

// nextLine returns the offset after the line break at or after i.
func nextLine(src []byte, i int) int {
	i = lineEnd(src, i)
	if i < len(src) {
		i++
	}
	return i
}

// lineEnd returns the offset of the line break at or after i, or len(src).
func lineEnd(src []byte, i int) int {
	for i < len(src) && src[i] != '\n' {
		i++
	}
	return i
}

// quotedEnd returns the offset after the string quoted at i, which may run
// over several lines, or len(src) when it is not closed.
func quotedEnd(src []byte, i int) int {
	q := src[i]
	for i++; i < len(src); i++ {
		switch {
		case q == '"' && src[i] == '\\':
			i++
		case src[i] == q && q == '\'' && i+1 < len(src) && src[i+1] == '\'':
			i++
		case src[i] == q:
			return i + 1
		}
	}
	return len(src)
}

// lineCol returns the 1-based line and column of the byte at off.
func lineCol(src []byte, off int) (int, int) {
	line, bol := 1, 0
	for i := 0; i < off && i < len(src); i++ {
		if src[i] == '\n' {
			line, bol = line+1, i+1
		}
	}
	return line, off - bol + 1
}
