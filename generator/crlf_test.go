package generator

import (
	"fmt"
	"strings"
	"testing"
)

// TestCRLFPositions: the positions of errors in a file with CRLF endings
// are its lines, after a comment as before it.
func TestCRLFPositions(t *testing.T) {
	// A comment line, and a comment after a value, before the error.
	src := "# Mark's trailer dump.\nid: JOB-20261121-001   # same as the file name\n" +
		"customer:\n  name: Mark\ntoken: amjmobezssjp5pia4iukcejbpm  # sent by text\nstatus: complete\n"
	want := ""
	for i, line := range strings.Split(src, "\n") {
		if strings.HasPrefix(line, "status: complete") {
			want = fmt.Sprintf("jobs/JOB-20261121-001.yaml:%d:9", i+1)
		}
	}
	for _, nl := range []string{"\n", "\r\n"} {
		var list ErrorList
		ParseJob("jobs/JOB-20261121-001.yaml", []byte(strings.ReplaceAll(src, "\n", nl)), boise(t), &list)
		if len(list) != 1 || list[0].Pos.String() != want {
			t.Errorf("ParseJob with %q endings: %v; want one error at %s", nl, list, want)
		}
	}
}
