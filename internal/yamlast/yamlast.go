// Package yamlast holds the few questions qdn asks of a goccy/go-yaml
// syntax tree, for the generator, which reads sources with it, and for
// package jobfile, which edits job files with it.
package yamlast

import (
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// Pos returns the 1-based line and column of n, or 0, 0 when it has none.
func Pos(n ast.Node) (int, int) {
	if n == nil || n.GetToken() == nil {
		return 0, 0
	}
	p := n.GetToken().Position
	return p.Line, p.Column
}

// Unwrap looks through tags and anchors to the value they decorate.
func Unwrap(n ast.Node) ast.Node {
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

// Scalar returns the text of a scalar node as written: quoted strings
// without their quotes, numbers and dates exactly as typed.
func Scalar(n ast.Node) (string, bool) {
	switch v := Unwrap(n).(type) {
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

// Kind names the kind of n for an error message: mapping, list, alias, or
// the scalar's type.
func Kind(n ast.Node) string {
	switch Unwrap(n).(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return "mapping"
	case *ast.SequenceNode:
		return "list"
	case *ast.AliasNode:
		return "alias"
	}
	return strings.ToLower(Unwrap(n).Type().String())
}
