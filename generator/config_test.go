package generator_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quickdumpnow/qdn/generator"
)

// TestEnvironmentsOverlap: two environments whose keys one sync would take
// for its own (same bucket and endpoint, one prefix starting the other) are
// refused at the second one's line; separate places are accepted.
func TestEnvironmentsOverlap(t *testing.T) {
	dir := t.TempDir()
	base := "site:\n  name: QuickDumpNow\n  base_url: https://quickdumpnow.com\n  timezone: America/Boise\n  phone: \"+1 208 555 0100\"\nenvironments:\n"
	for _, tc := range []struct{ envs, want string }{
		{"  a: {bucket: bk1}\n  b: {bucket: bk2}\n", ""},
		{"  a: {bucket: bk1, prefix: staging/}\n  b: {bucket: bk1, prefix: production/}\n", ""},
		{"  a: {bucket: bk1, prefix: site}\n  b: {bucket: bk1, prefix: site2/}\n", ""},
		{"  a: {bucket: bk1}\n  b: {bucket: bk1, endpoint: \"http://127.0.0.1:9000\"}\n", ""},
		{"  a: {bucket: bk1}\n  b: {bucket: bk1, prefix: staging/}\n",
			`qdn.yaml:8:3: environments a and b share bucket "bk1" with prefixes "" and "staging/": a sync of one would delete the other's objects`},
		{"  a: {bucket: bk1, prefix: site/staging}\n  b: {bucket: bk1, prefix: site/}\n",
			`qdn.yaml:8:3: environments a and b share bucket "bk1" with prefixes "site/staging/" and "site/"`},
		{"  a: {bucket: bk1, prefix: site/}\n  b: {bucket: bk2}\n  c: {bucket: bk1, prefix: site}\n",
			`qdn.yaml:9:3: environments a and c share bucket "bk1" with prefixes "site/" and "site/"`},
	} {
		if err := os.WriteFile(filepath.Join(dir, "qdn.yaml"), []byte(base+tc.envs), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := generator.LoadConfig(dir)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("environments\n%s: %v; want no error", tc.envs, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("environments\n%s: %v; want %s", tc.envs, err, tc.want)
		case tc.want != "" && !strings.Contains(generator.Errors(err).Format(), "hint: give each environment its own bucket"):
			t.Errorf("environments\n%s: no hint in %s", tc.envs, generator.Errors(err).Format())
		}
	}
}
