package generator

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestEditKeepsCRLF: a job file saved with Windows line endings keeps them
// through qdn's edits, comments included, and every line it adds ends the
// same way.
func TestEditKeepsCRLF(t *testing.T) {
	crlf := func(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }
	dir := jobTestSite(t, map[string]string{"JOB-20261121-001.yaml": crlf(commentedJob)})
	at := time.Date(2026, 11, 22, 9, 0, 0, 0, boise(t))
	if _, err := SetStatus(t.Context(), dir, "JOB-20261121-001", InProgress, StatusChange{At: at, Note: "Crew is on the way, 20 min"}); err != nil {
		t.Fatalf("SetStatus: %v", err)
	}
	want := strings.Replace(commentedJob, "status: ready_for_pickup   # trailer", "status: in_progress   # trailer", 1)
	want = strings.Replace(want, "     note: Trailer is ready this afternoon}\n",
		"     note: Trailer is ready this afternoon}\n  - {status: in_progress, at: 2026-11-22T09:00:00-07:00, note: \"Crew is on the way, 20 min\"}\n", 1)
	if got := readJobText(t, dir, "JOB-20261121-001"); got != crlf(want) {
		t.Fatalf("after SetStatus the file is\n%q\nwant\n%q", got, crlf(want))
	}
	j, err := RotateToken(t.Context(), dir, "JOB-20261121-001", fixedRand(7))
	if err != nil {
		t.Fatalf("RotateToken: %v", err)
	}
	want = strings.Replace(want, "token: amjmobezssjp5pia4iukcejbpm  # sent", "token: "+j.Token+"  # sent", 1)
	if got := readJobText(t, dir, "JOB-20261121-001"); got != crlf(want) {
		t.Fatalf("after RotateToken the file is\n%q\nwant\n%q", got, crlf(want))
	}
	mustLoad(t, dir)
}

// TestCRLFPositions: the positions of errors in a file with CRLF endings
// are its lines, after a comment as before it.
func TestCRLFPositions(t *testing.T) {
	src := strings.Replace(commentedJob, "status: ready_for_pickup", "status: complete", 1)
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
