package generator

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"github.com/quickdumpnow/qdn/internal/yamlast"
)

// The sources are decoded by walking the YAML syntax tree instead of by
// reflection: that way every problem in a file is reported in one pass, each
// with the line and column of the offending key or value, and numbers such as
// prices are read from their literal text, never through a float.

// node is a YAML value with its position: the tree that the decoders of
// qdn.yaml, job files and front matter walk. It comes from goccy/go-yaml's
// syntax tree (fromAST), or for job files in the plain form qdn writes, from
// a much faster reader of that form alone (yamlfast.go).
type node struct {
	kind      nodeKind
	line, col int
	// text is a scalar as written: quoted strings without their quotes,
	// numbers and dates exactly as typed.
	text string
	// typ names the node's type in messages ("string", "integer", ...).
	// The fast reader leaves it empty on plain scalars: messages about a
	// file always come from the full parser.
	typ   string
	pairs []pair  // of a mapping, in source order
	items []*node // of a list
}

type nodeKind uint8

const (
	nullNode nodeKind = iota
	scalarNode
	mapNode
	seqNode
	otherNode // an alias, or anything else no decoder accepts
)

type pair struct {
	key, value *node
}

// parseYAML parses src with the full YAML parser and returns the body of its
// single document, or nil after recording why it cannot be used.
func parseYAML(e errs, src []byte) *node {
	if line, col, msg, ok := yamlLimits(src); !ok {
		e.at(line, col, fmt.Sprintf("qdn's YAML files nest at most %d levels deep and hold at most %d lines and %s: remove what is extra, or split the file", maxYAMLDepth, maxYAMLEntries, sizeText(maxYAMLSize)), "%s", msg)
		return nil
	}
	// The parser counts a CRLF after a comment as two lines; with LF
	// endings the lines and columns are those of the file. YAML reads a
	// line break as \n either way.
	f, err := parser.ParseBytes(bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n")), 0)
	if err != nil {
		var ye interface {
			GetToken() *token.Token
			GetMessage() string
		}
		if errors.As(err, &ye) && ye.GetToken() != nil {
			p := ye.GetToken().Position
			e.at(p.Line, p.Column, "fix the YAML syntax at this position", "invalid YAML: %s", ye.GetMessage())
		} else {
			e.at(1, 1, "fix the YAML syntax", "invalid YAML: %v", err)
		}
		return nil
	}
	var docs []*ast.DocumentNode
	for _, d := range f.Docs {
		if d != nil && d.Body != nil {
			docs = append(docs, d)
		}
	}
	switch {
	case len(docs) == 0:
		e.at(1, 1, "the file must hold one YAML mapping", "file is empty")
		return nil
	case len(docs) > 1:
		l, c := astPos(docs[1].Body)
		e.at(l, c, "keep one document per file; remove the second `---`", "more than one YAML document")
		return nil
	}
	return fromAST(docs[0].Body)
}

// fromAST converts a goccy/go-yaml node. A node's position is that of the
// node as written, before any tag or anchor is looked through.
func fromAST(n ast.Node) *node {
	l, c := astPos(n)
	out := &node{line: l, col: c}
	switch v := unwrap(n).(type) {
	case nil, *ast.NullNode:
		out.typ = "null"
	case *ast.MappingNode:
		out.kind, out.typ = mapNode, "mapping"
		out.pairs = make([]pair, len(v.Values))
		for i, mv := range v.Values {
			out.pairs[i] = pair{fromAST(mv.Key), fromAST(mv.Value)}
		}
	case *ast.MappingValueNode:
		out.kind, out.typ = mapNode, "mapping"
		out.pairs = []pair{{fromAST(v.Key), fromAST(v.Value)}}
	case *ast.SequenceNode:
		out.kind, out.typ = seqNode, "list"
		out.items = make([]*node, len(v.Values))
		for i, x := range v.Values {
			out.items[i] = fromAST(x)
		}
	default:
		out.typ = astKind(v)
		if s, ok := astScalar(v); ok {
			out.kind, out.text = scalarNode, s
		} else {
			out.kind = otherNode
		}
	}
	return out
}

// The questions asked of the syntax tree are package yamlast's, shared with
// the editing of job files.
func astPos(n ast.Node) (int, int)        { return yamlast.Pos(n) }
func unwrap(n ast.Node) ast.Node          { return yamlast.Unwrap(n) }
func astScalar(n ast.Node) (string, bool) { return yamlast.Scalar(n) }
func astKind(n ast.Node) string           { return yamlast.Kind(n) }

func pos(n *node) (int, int) {
	if n == nil {
		return 0, 0
	}
	return n.line, n.col
}

func isNull(n *node) bool {
	return n == nil || n.kind == nullNode
}

// scalar returns the text of a scalar node as written; a null is "".
func scalar(n *node) (string, bool) {
	switch {
	case isNull(n):
		return "", true
	case n.kind == scalarNode:
		return n.text, true
	}
	return "", false
}

// str decodes a scalar as a string, recording an error for anything else.
func str(e errs, key string, n *node) string {
	s, ok := scalar(n)
	if !ok {
		l, c := pos(n)
		e.at(l, c, fmt.Sprintf("write %s as a single value, quoted if it contains a colon or a #", key),
			"%s must be a text value, not a %s", key, kind(n))
	}
	return strings.TrimSpace(s)
}

// strOf is str for the key prefix+name, put together only for a message:
// the keys of every job file are read at every build.
func strOf(e errs, prefix, name string, n *node) string {
	if s, ok := scalar(n); ok {
		return strings.TrimSpace(s)
	}
	return str(e, prefix+name, n)
}

func kind(n *node) string {
	switch {
	case n == nil:
		return "null"
	case n.typ == "":
		return "string"
	}
	return n.typ
}

// field is one key of a mapping with the position of the key.
type field struct {
	Name      string
	Key       *node
	Value     *node
	Line, Col int
}

// mapping returns the fields of a mapping node in source order. Keys not in
// known, duplicated keys and non-mapping nodes are recorded as errors. A nil
// known accepts every key.
func mapping(e errs, what string, n *node, known []string) []field {
	switch {
	case isNull(n):
		return nil
	case n.kind != mapNode:
		l, c := pos(n)
		e.at(l, c, fmt.Sprintf("write %s as `key: value` lines", what), "%s must be a mapping, not a %s", what, kind(n))
		return nil
	}
	out := make([]field, 0, len(n.pairs))
	for i, mv := range n.pairs {
		name, _ := scalar(mv.key)
		l, c := pos(mv.key)
		if seenBefore(n.pairs[:i], name) {
			e.at(l, c, "remove one of the two", "duplicate key %q in %s", name, what)
			continue
		}
		if known != nil && !contains(known, name) {
			e.at(l, c, "known keys are "+strings.Join(sorted(known), ", ")+suggest(name, known),
				"unknown key %q in %s", name, what)
			continue
		}
		out = append(out, field{Name: name, Key: mv.key, Value: mv.value, Line: l, Col: c})
	}
	return out
}

// seenBefore reports whether one of pairs has the key name. Mappings are
// small: a scan is cheaper than a map.
func seenBefore(pairs []pair, name string) bool {
	for _, p := range pairs {
		if s, _ := scalar(p.key); s == name {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sorted(list []string) []string {
	out := append([]string(nil), list...)
	sort.Strings(out)
	return out
}

// suggest names the closest known key when the unknown one looks like a typo.
func suggest(name string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := distance(name, k); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// sequence returns the items of a list node, recording an error for
// anything else.
func sequence(e errs, what string, n *node) []*node {
	switch {
	case isNull(n):
		return nil
	case n.kind == seqNode:
		return n.items
	}
	l, c := pos(n)
	e.at(l, c, fmt.Sprintf("write %s as a list of `- ` items", what), "%s must be a list, not a %s", what, kind(n))
	return nil
}
