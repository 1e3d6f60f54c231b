package generator

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// The sources are decoded by walking the YAML syntax tree instead of by
// reflection: that way every problem in a file is reported in one pass, each
// with the line and column of the offending key or value, and numbers such as
// prices are read from their literal text, never through a float.

// parseYAML parses src and returns the body of its single document, or nil
// after recording why it cannot be used.
func parseYAML(e errs, src []byte) ast.Node {
	f, err := parser.ParseBytes(src, 0)
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
		l, c := pos(docs[1].Body)
		e.at(l, c, "keep one document per file; remove the second `---`", "more than one YAML document")
		return nil
	}
	return unwrap(docs[0].Body)
}

func pos(n ast.Node) (int, int) {
	if n == nil || n.GetToken() == nil {
		return 0, 0
	}
	p := n.GetToken().Position
	return p.Line, p.Column
}

// unwrap looks through tags and anchors to the value they decorate.
func unwrap(n ast.Node) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.TagNode:
			n = v.Value
		case *ast.AnchorNode:
			n = v.Value
		default:
			return n
		}
	}
}

func isNull(n ast.Node) bool {
	n = unwrap(n)
	if n == nil {
		return true
	}
	_, ok := n.(*ast.NullNode)
	return ok
}

// scalar returns the text of a scalar node as written: quoted strings without
// their quotes, numbers and dates exactly as typed.
func scalar(n ast.Node) (string, bool) {
	switch v := unwrap(n).(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		return v.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return v.GetToken().Value, true
	case *ast.NullNode:
		return "", true
	}
	return "", false
}

// str decodes a scalar as a string, recording an error for anything else.
func str(e errs, key string, n ast.Node) string {
	s, ok := scalar(n)
	if !ok {
		l, c := pos(n)
		e.at(l, c, fmt.Sprintf("write %s as a single value, quoted if it contains a colon or a #", key),
			"%s must be a text value, not a %s", key, kind(n))
	}
	return strings.TrimSpace(s)
}

func kind(n ast.Node) string {
	switch unwrap(n).(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "mapping"
	case *ast.SequenceNode:
		return "list"
	case *ast.AliasNode:
		return "alias"
	}
	return strings.ToLower(unwrap(n).Type().String())
}

// field is one key of a mapping with the position of the key.
type field struct {
	Name      string
	Key       ast.Node
	Value     ast.Node
	Line, Col int
}

// mapping returns the fields of a mapping node in source order. Keys not in
// known, duplicated keys and non-mapping nodes are recorded as errors. A nil
// known accepts every key.
func mapping(e errs, what string, n ast.Node, known []string) []field {
	n = unwrap(n)
	var values []*ast.MappingValueNode
	switch v := n.(type) {
	case *ast.MappingNode:
		values = v.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{v}
	case *ast.NullNode:
		return nil
	default:
		l, c := pos(n)
		e.at(l, c, fmt.Sprintf("write %s as `key: value` lines", what), "%s must be a mapping, not a %s", what, kind(n))
		return nil
	}
	seen := map[string]bool{}
	var out []field
	for _, mv := range values {
		name, _ := scalar(mv.Key)
		l, c := pos(mv.Key)
		if seen[name] {
			e.at(l, c, "remove one of the two", "duplicate key %q in %s", name, what)
			continue
		}
		seen[name] = true
		if known != nil && !contains(known, name) {
			e.at(l, c, "known keys are "+strings.Join(sorted(known), ", ")+suggest(name, known),
				"unknown key %q in %s", name, what)
			continue
		}
		out = append(out, field{Name: name, Key: mv.Key, Value: mv.Value, Line: l, Col: c})
	}
	return out
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
func sequence(e errs, what string, n ast.Node) []ast.Node {
	switch v := unwrap(n).(type) {
	case *ast.SequenceNode:
		return v.Values
	case *ast.NullNode:
		return nil
	}
	l, c := pos(n)
	e.at(l, c, fmt.Sprintf("write %s as a list of `- ` items", what), "%s must be a list, not a %s", what, kind(n))
	return nil
}
