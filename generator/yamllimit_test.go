package generator_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestYAMLLimits checks that YAML nested or sized past the limits is
// refused with its position before the full parser sees it, in job files,
// qdn.yaml and front matter, and that the build returns promptly.
func TestYAMLLimits(t *testing.T) {
	job := "jobs/JOB-20261121-001.yaml"
	var keys strings.Builder
	for i := 0; keys.Len() < 70<<10; i++ {
		keys.WriteString("k")
		keys.WriteString(strings.Repeat("x", i%7))
		keys.WriteString(": v\n")
	}
	// Where the 64 KiB limit falls in the keys.
	head := keys.String()[:64<<10]
	keysAt := fmt.Sprintf("%s:%d:%d: YAML document larger than 64 KiB", job, strings.Count(head, "\n")+1, len(head)-strings.LastIndex(head, "\n"))
	indented := ""
	for i := range 40 {
		indented += strings.Repeat(" ", i) + "a:\n"
	}
	tests := []struct {
		name, file, src, want string
	}{
		{"nested brackets, 80 KB", job, "id: JOB-20261121-001\nnote: " + strings.Repeat("[", 40000) + strings.Repeat("]", 40000) + "\n",
			job + ":2:65516: YAML document larger than 64 KiB"},
		{"nested brackets", job, "id: JOB-20261121-001\nnote: " + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "\n",
			job + ":2:38: YAML nests deeper than 32 levels"},
		{"nested mappings", job, "id: JOB-20261121-001\nnote: " + strings.Repeat("{a: ", 100) + "1" + strings.Repeat("}", 100) + "\n",
			job + ":2:131: YAML nests deeper than 32 levels"},
		{"nested after an anchor", job, "id: JOB-20261121-001\nnote: &a " + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "\n",
			job + ":2:41: YAML nests deeper than 32 levels"},
		{"nested lists of dashes", job, "id: JOB-20261121-001\nnote:\n" + strings.Repeat("- ", 100) + "x\n",
			job + ":3:63: YAML nests deeper than 32 levels"},
		{"nested by indentation", job, indented, job + ":33:33: YAML nests deeper than 32 levels"},
		{"many keys", job, keys.String(), keysAt},
		{"qdn.yaml", "qdn.yaml", "site:\n  name: " + strings.Repeat("[", 100) + strings.Repeat("]", 100) + "\n",
			"qdn.yaml:2:39: YAML nests deeper than 32 levels"},
		{"front matter", "content/faq.md", "---\ntitle: " + strings.Repeat("{a: ", 100) + "1" + strings.Repeat("}", 100) + "\n---\n# FAQ\n",
			"content/faq.md:2:132: YAML nests deeper than 32 levels"},
	}
	for _, tt := range tests {
		checkRefused(t, plant{tt.name, func(t *testing.T, dir, out string) {
			if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(tt.file)), []byte(tt.src), 0o644); err != nil {
				t.Fatal(err)
			}
		}, tt.want})
	}
}
