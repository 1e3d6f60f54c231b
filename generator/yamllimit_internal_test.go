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
