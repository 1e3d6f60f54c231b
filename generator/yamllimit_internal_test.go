package generator

import (
	"strings"
	"testing"
)

// TestYAMLLimitsPass checks that text that looks like nesting but is not
// passes the pre-check: brackets inside plain and quoted scalars, comments
// and block scalars, however many.
func TestYAMLLimitsPass(t *testing.T) {
	many := strings.Repeat("[", 200)
	for _, src := range []string{
		"note: call [office] " + many + "\n",
		"note: \"" + many + "\"\n",
		"note: '" + many + "''s'\n",
		"note: \"a\\\"" + many + "\"\n",
		"# " + many + "\nid: x\n",
		"note: x # " + many + "\n",
		"note: |\n  " + many + "\n  - - - - -\n" + strings.Repeat("   x\n", 3) + "id: x\n",
		"note: >-\n" + strings.Repeat("  [[[[\n", 50) + "id: x\n",
		"url: http://a/" + many + "\n",
		"history:\n  - {status: booked, at: 2026-11-21T08:00:00-07:00, note: \"[x]\"}\n",
		"note: [[[1]], {a: [2]}]\n" + strings.Repeat("list:\n  - a: [1, [2]]\n", 200),
	} {
		if line, col, msg, ok := yamlLimits([]byte(src)); !ok {
			t.Errorf("yamlLimits(%.40q) = %d:%d %s; want ok", src, line, col, msg)
		}
	}
}

// TestYAMLLimitsRefuse checks nesting that hides behind what looks like
// text: each must still be counted.
func TestYAMLLimitsRefuse(t *testing.T) {
	deep := strings.Repeat("[", 40) + strings.Repeat("]", 40)
	tabs := ""
	for i := range 40 {
		tabs += strings.Repeat("\t", i) + "a:\n"
	}
	for _, src := range []string{
		// A line less indented than the text of a block scalar ends it.
		"- a: |\n    text\n " + deep + "\n",
		"a: |\n\n  text\n " + deep + "\n",
		// A quoted key and a colon without a space.
		"\"a\":" + deep + "\n",
		"a:" + deep + "\n",
		// Tabs for indentation.
		tabs,
		// An anchor or a tag before the brackets.
		"a: &x " + deep + "\n",
		"a: !!seq " + deep + "\n",
		// A flow collection over many lines.
		"a: [\n" + strings.Repeat("[\n", 40) + strings.Repeat("]\n", 40) + "]\n",
	} {
		if _, _, _, ok := yamlLimits([]byte(src)); ok {
			t.Errorf("yamlLimits(%.60q) = ok; want refused", src)
		}
	}
}

// depth is how deep n nests: 1 for a scalar.
func depth(n *node) int {
	d := 0
	for _, p := range n.pairs {
		d = max(d, depth(p.key), depth(p.value))
	}
	for _, x := range n.items {
		d = max(d, depth(x))
	}
	return d + 1
}

// FuzzYAMLLimits checks that the pre-check never counts fewer levels than
// the parser finds: a document it passes nests no deeper than its limit.
func FuzzYAMLLimits(f *testing.F) {
	for _, s := range []string{
		"a: [[1]]\n", "- - - a\n", "a:\n  b:\n    c: [1, {d: 2}]\n", "a: |\n  x\n b: [[1]]\n",
		"\"a\":[[1]]\n", "a: &x [[1]]\n", "? [a]\n: [[b]]\n", "a: 'x' [[1]]\n", "a: >\n  [[\nb: {c: [d]}\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > 4096 {
			return
		}
		// Repeat the input's brackets so that a miscount shows as
		// a depth past the limit.
		deep := strings.NewReplacer("[[", strings.Repeat("[", 40), "]]", strings.Repeat("]", 40)).Replace(src)
		if _, _, _, ok := yamlLimits([]byte(deep)); !ok {
			return
		}
		var list ErrorList
		n := parseYAML(errs{file: "f.yaml", list: &list}, []byte(deep))
		if n != nil && depth(n) > maxYAMLDepth+1 {
			t.Errorf("yamlLimits passed %q, which nests %d deep", deep, depth(n))
		}
	})
}
