package jobfile

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quickdumpnow/qdn/generator"
	"github.com/quickdumpnow/qdn/internal/testenv"
)

// jobTestSite is testenv.JobSite on the example site of this repository.
func jobTestSite(t *testing.T, jobs map[string]string) string {
	t.Helper()
	return testenv.JobSite(t, "..", jobs)
}

func readJobText(t *testing.T, dir, id string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(generator.JobFile(id))))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// mustLoad builds the site in memory, as qdn build does, and fails the test
// on any error: every file the job commands write must pass.
func mustLoad(t *testing.T, dir string) *generator.Site {
	t.Helper()
	s, err := generator.Load(t.Context(), dir, generator.Options{Now: func() time.Time { return time.Date(2026, 11, 22, 19, 0, 0, 0, time.UTC) }})
	if err != nil {
		if l := generator.Errors(err); l != nil {
			t.Fatalf("Load: %v\n%s", err, l.Format())
		}
		t.Fatalf("Load: %v", err)
	}
	if _, err := generator.Render(t.Context(), s); err != nil {
		t.Fatalf("Render: %v", err)
	}
	return s
}

func boise(t *testing.T) *time.Location { return testenv.Boise(t) }

// fixedRand is a deterministic source of token bytes that look random, as
// generator.CheckToken wants them.
func fixedRand(b byte) *bytes.Reader {
	sum := sha256.Sum256([]byte{b})
	return bytes.NewReader(sum[:16])
}

func fixedToken(t *testing.T, b byte) string {
	tok, err := generator.NewToken(fixedRand(b))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// A person's file, with comments everywhere, keys in an unusual order, a
// history entry spread over two lines and a trailing comment in the list.
const commentedJob = `# Mark's trailer dump on Soderblom Ave.
# Gate code is under private.
id: JOB-20261121-001   # same as the file name
customer:
  name: Mark
token: amjmobezssjp5pia4iukcejbpm  # sent by text 11/21
status: ready_for_pickup   # trailer is out
address: "1234 Soderblom Ave, Boise, ID"

history:
  # booked on the phone
  - {status: booked, at: 2026-11-21T09:05:00-07:00}
  - {status: ready_for_pickup, at: 2026-11-21T11:40:00-07:00,
     note: Trailer is ready this afternoon}
  # crew notes go below this line
private:   # never rendered
  notes: gate code 4411
`

func TestEditKeepsComments(t *testing.T) {
	dir := jobTestSite(t, map[string]string{"JOB-20261121-001.yaml": commentedJob})
	loc := boise(t)
	at := time.Date(2026, 11, 22, 9, 0, 0, 0, loc)
	j, err := setStatus(t.Context(), dir, "JOB-20261121-001", generator.InProgress, statusOpts{At: at, Note: "Crew is on the way, 20 min"})
	if err != nil {
		t.Fatalf("SetStatus: %v", err)
	}
	if j.Status != generator.InProgress || len(j.History) != 3 {
		t.Errorf("SetStatus = status %s, %d history entries; want in_progress, 3", j.Status, len(j.History))
	}
	want := strings.Replace(commentedJob, "status: ready_for_pickup   # trailer", "status: in_progress   # trailer", 1)
	want = strings.Replace(want, "     note: Trailer is ready this afternoon}\n",
		"     note: Trailer is ready this afternoon}\n  - {status: in_progress, at: 2026-11-22T09:00:00-07:00, note: \"Crew is on the way, 20 min\"}\n", 1)
	if got := readJobText(t, dir, "JOB-20261121-001"); got != want {
		t.Fatalf("after SetStatus the file is\n%s\nwant\n%s", got, want)
	}

	tok := fixedToken(t, 7)
	j, err = rotateToken(t.Context(), dir, "JOB-20261121-001", fixedRand(7))
	if err != nil {
		t.Fatalf("RotateToken: %v", err)
	}
	if j.Token != tok {
		t.Errorf("RotateToken gave token %q; want %q", j.Token, tok)
	}
	want = strings.Replace(want, "token: amjmobezssjp5pia4iukcejbpm  # sent", "token: "+tok+"  # sent", 1)
	if got := readJobText(t, dir, "JOB-20261121-001"); got != want {
		t.Fatalf("after RotateToken the file is\n%s\nwant\n%s", got, want)
	}
	mustLoad(t, dir)
}

// TestEditStyles checks the edits of SetStatus in every way a history list
// can be written: each case gives the file before and after moving the job
// to completed at 2026-11-22 10:00 in Boise.
func TestEditStyles(t *testing.T) {
	const head = "id: JOB-1\ntoken: amjmobezssjp5pia4iukcejbpm\ncustomer: {name: Ruth}\n"
	tests := []struct {
		name      string
		src, want string
		note      string
	}{{
		name: "block entries",
		src: head + "status: in_progress\nhistory:\n  - status: booked\n    at: 2026-11-21T09:00:00-07:00\n" +
			"  - status: in_progress\n    at: 2026-11-22T08:00:00-07:00\n    note: |\n      two lines\n      of note\nprivate:\n  phone: x\n",
		want: head + "status: completed\nhistory:\n  - status: booked\n    at: 2026-11-21T09:00:00-07:00\n" +
			"  - status: in_progress\n    at: 2026-11-22T08:00:00-07:00\n    note: |\n      two lines\n      of note\n" +
			"  - status: completed\n    at: 2026-11-22T10:00:00-07:00\n    note: \"Paid: cash\"\nprivate:\n  phone: x\n",
		note: "Paid: cash",
	}, {
		name: "list at the key's indentation",
		src:  head + "status: booked\nhistory:\n- {status: booked, at: 2026-11-21T09:00:00-07:00}\n# end\n",
		want: head + "status: completed\nhistory:\n- {status: booked, at: 2026-11-21T09:00:00-07:00}\n- {status: completed, at: 2026-11-22T10:00:00-07:00}\n# end\n",
	}, {
		name: "flow list",
		src:  head + "status: booked\nhistory: [{status: booked, at: 2026-11-21T09:00:00-07:00}]  # one line\n",
		want: head + "status: completed\nhistory: [{status: booked, at: 2026-11-21T09:00:00-07:00}, {status: completed, at: 2026-11-22T10:00:00-07:00}]  # one line\n",
	}, {
		name: "empty flow list",
		src:  head + "status: booked\nhistory: []\n",
		want: head + "status: completed\nhistory: [{status: completed, at: 2026-11-22T10:00:00-07:00}]\n",
	}, {
		name: "empty history",
		src:  head + "history:   # none yet\nstatus: 'booked'\n",
		want: head + "history:   # none yet\n  - {status: completed, at: 2026-11-22T10:00:00-07:00}\nstatus: completed\n",
	}, {
		name: "no history, no final newline",
		src:  head + "status: booked",
		want: head + "status: completed\nhistory:\n  - {status: completed, at: 2026-11-22T10:00:00-07:00}\n",
	}, {
		name: "CRLF line endings",
		src:  strings.ReplaceAll(head+"status: booked\nhistory:\n  - {status: booked, at: 2026-11-21T09:00:00-07:00}\n", "\n", "\r\n"),
		want: strings.ReplaceAll(head+"status: completed\nhistory:\n  - {status: booked, at: 2026-11-21T09:00:00-07:00}\n  - {status: completed, at: 2026-11-22T10:00:00-07:00}\n", "\n", "\r\n"),
	}}
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, boise(t))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := jobTestSite(t, map[string]string{"JOB-1.yaml": tt.src})
			if _, err := setStatus(t.Context(), dir, "JOB-1", generator.Completed, statusOpts{At: at, Note: tt.note}); err != nil {
				t.Fatalf("SetStatus: %v", err)
			}
			if got := readJobText(t, dir, "JOB-1"); got != tt.want {
				t.Errorf("SetStatus wrote\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestRotateAddsToken(t *testing.T) {
	tok := fixedToken(t, 1)
	tests := []struct{ name, src, want string }{
		{"missing", "# old job\nid: JOB-1\ncustomer: {name: Ruth}\nstatus: booked\n",
			"# old job\nid: JOB-1\ntoken: " + tok + "\ncustomer: {name: Ruth}\nstatus: booked\n"},
		{"empty", "id: JOB-1\ntoken:    # lost\ncustomer: {name: Ruth}\nstatus: booked\n",
			"id: JOB-1\ntoken: " + tok + "    # lost\ncustomer: {name: Ruth}\nstatus: booked\n"},
		{"too weak", "id: JOB-1\ntoken: \"abc123\"\ncustomer: {name: Ruth}\nstatus: booked\n",
			"id: JOB-1\ntoken: " + tok + "\ncustomer: {name: Ruth}\nstatus: booked\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := jobTestSite(t, map[string]string{"JOB-1.yaml": tt.src})
			if _, err := rotateToken(t.Context(), dir, "JOB-1", fixedRand(1)); err != nil {
				t.Fatalf("RotateToken: %v", err)
			}
			if got := readJobText(t, dir, "JOB-1"); got != tt.want {
				t.Errorf("RotateToken wrote\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestSetStatusRefuses(t *testing.T) {
	const done = "id: JOB-1\ntoken: amjmobezssjp5pia4iukcejbpm\ncustomer: {name: Ruth}\nstatus: completed\n" +
		"history:\n  - {status: booked, at: 2026-11-21T09:00:00-07:00}\n  - {status: completed, at: 2026-11-22T09:00:00-07:00}\n"
	const bad = "id: JOB-2\ntoken: amjmobezssjp5pia4iukcejbpm\ncustomer: {name: Ruth}\nstatus: bookd\n"
	dir := jobTestSite(t, map[string]string{"JOB-1.yaml": done, "JOB-2.yaml": bad})
	loc := boise(t)

	_, err := setStatus(t.Context(), dir, "JOB-1", generator.Booked, statusOpts{At: time.Date(2026, 11, 23, 9, 0, 0, 0, loc)})
	var me *MoveError
	if !errors.As(err, &me) || len(me.Allowed()) != 0 || !strings.Contains(err.Error(), "no status follows completed") {
		t.Errorf("SetStatus(completed → booked) = %v; want a MoveError with no allowed status", err)
	}
	_, err = setStatus(t.Context(), dir, "JOB-1", generator.Completed, statusOpts{At: time.Date(2026, 11, 23, 9, 0, 0, 0, loc)})
	if !errors.As(err, &me) || !strings.Contains(err.Error(), "already completed") {
		t.Errorf("SetStatus(completed → completed) = %v; want already completed", err)
	}
	_, err = setStatus(t.Context(), dir, "JOB-1", generator.Booked, statusOpts{At: time.Date(2026, 11, 22, 8, 0, 0, 0, loc), Force: true})
	if err == nil || !strings.Contains(err.Error(), "earlier than the last history entry") {
		t.Errorf("SetStatus with an earlier time = %v; want earlier than the last history entry", err)
	}
	if got := readJobText(t, dir, "JOB-1"); got != done {
		t.Errorf("a refused move changed the file:\n%s", got)
	}
	if _, err := setStatus(t.Context(), dir, "JOB-2", generator.Booked, statusOpts{}); generator.Errors(err) == nil {
		t.Errorf("SetStatus on an invalid file = %v; want its errors", err)
	}
	if _, err := setStatus(t.Context(), dir, "JOB-3", generator.Booked, statusOpts{}); !errors.As(err, new(*NotFoundError)) {
		t.Errorf("SetStatus(JOB-3) = %v; want NotFoundError", err)
	}

	// Forced, the move is made and says so.
	j, err := setStatus(t.Context(), dir, "JOB-1", generator.Booked, statusOpts{At: time.Date(2026, 11, 23, 9, 0, 0, 0, loc), Force: true, Note: "Reopened"})
	if err != nil {
		t.Fatalf("forced SetStatus: %v", err)
	}
	if last := j.History[len(j.History)-1]; !last.Forced || last.Status != generator.Booked || j.Status != generator.Booked {
		t.Errorf("forced move recorded %+v with status %s; want forced booked", last, j.Status)
	}
	if got := readJobText(t, dir, "JOB-1"); !strings.HasSuffix(got, "  - {status: booked, at: 2026-11-23T09:00:00-07:00, note: Reopened, forced: true}\n") {
		t.Errorf("forced move wrote\n%s", got)
	}
	// cancelled is allowed from any status before completed.
	j, err = setStatus(t.Context(), dir, "JOB-1", generator.Cancelled, statusOpts{At: time.Date(2026, 11, 23, 9, 30, 0, 0, loc)})
	if err != nil || j.Status != generator.Cancelled || j.History[len(j.History)-1].Forced {
		t.Errorf("SetStatus(booked → cancelled) = %v, %v; want an unforced move", j, err)
	}
}

func TestResolveID(t *testing.T) {
	dir := jobTestSite(t, map[string]string{
		"JOB-20261121-001.yaml": "", "JOB-20261121-002.yaml": "", "JOB-20261122-001.yaml": "", "JOB-1.yaml": "", "JOB-10.yaml": "",
		".qdn-tmp-123": "", "notes.txt": "",
	})
	tests := []struct {
		query, want string
		matches     []string
	}{
		{"JOB-20261122-001", "JOB-20261122-001", nil},
		{"job-20261122", "JOB-20261122-001", nil},
		{"JOB-20261121-002.yaml", "JOB-20261121-002", nil},
		{"jobs/JOB-20261121-002.yaml", "JOB-20261121-002", nil},
		{"JOB-1", "JOB-1", nil},
		{"job-1", "JOB-1", nil},
		{"JOB-2026112", "", []string{"JOB-20261121-001", "JOB-20261121-002", "JOB-20261122-001"}},
		{"JOB-3", "", nil},
		{"", "", nil},
	}
	for _, tt := range tests {
		got, err := resolveID(dir, tt.query)
		var ae *AmbiguousError
		switch {
		case tt.want != "" && (err != nil || got != tt.want):
			t.Errorf("ResolveID(%q) = %q, %v; want %q", tt.query, got, err, tt.want)
		case tt.matches != nil && (!errors.As(err, &ae) || strings.Join(ae.Matches, " ") != strings.Join(tt.matches, " ")):
			t.Errorf("ResolveID(%q) = %q, %v; want ambiguous %v", tt.query, got, err, tt.matches)
		case tt.want == "" && tt.matches == nil && !errors.As(err, new(*NotFoundError)):
			t.Errorf("ResolveID(%q) = %q, %v; want NotFoundError", tt.query, got, err)
		}
	}
}

// TestSetStatusTimes dates moves around a clock of 14:38: the history
// takes no time before its last entry (09:05) nor more than a minute past
// the clock, and the error says the time that would be accepted.
func TestSetStatusTimes(t *testing.T) {
	const booked = "id: JOB-1\ntoken: amjmobezssjp5pia4iukcejbpm\ncustomer: {name: Ruth}\nstatus: booked\n" +
		"history:\n  - {status: booked, at: 2026-11-22T09:05:00-07:00}\n"
	loc := boise(t)
	clock := func() time.Time { return time.Date(2026, 11, 22, 14, 38, 20, 0, loc) }
	at := func(h, m, s int) time.Time { return time.Date(2026, 11, 22, h, m, s, 0, loc) }
	for _, tc := range []struct {
		name string
		at   time.Time
		want error  // nil: accepted
		text string // in the error
	}{
		{"22 minutes ahead", at(15, 0, 0), ErrFuture, "the latest time accepted is 2026-11-22T14:39:20-07:00"},
		{"tomorrow", at(14, 38, 0).AddDate(0, 0, 1), ErrFuture, "is in the future"},
		{"a minute and a second ahead", at(14, 39, 21), ErrFuture, "in the future"},
		{"before the last entry", at(9, 0, 0), ErrHistoryOrder, "the earliest time accepted is 2026-11-22T09:05:00-07:00"},
		{"a minute ahead", at(14, 39, 20), nil, ""},
		{"now", time.Time{}, nil, ""},
		{"at the last entry", at(9, 5, 0), nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := jobTestSite(t, map[string]string{"JOB-1.yaml": booked})
			j, err := setStatus(t.Context(), dir, "JOB-1", generator.ReadyForPickup, statusOpts{At: tc.at, Now: clock})
			if tc.want == nil {
				if err != nil || j.Status != generator.ReadyForPickup {
					t.Fatalf("SetStatus(at %v) = %v; want it accepted", tc.at, err)
				}
				return
			}
			var te *TimeError
			if !errors.Is(err, tc.want) || !errors.As(err, &te) || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("SetStatus(at %v) = %v; want %v saying %q", tc.at, err, tc.want, tc.text)
			}
			if got := readJobText(t, dir, "JOB-1"); got != booked {
				t.Errorf("job file changed after a refused move:\n%s", got)
			}
		})
	}
}

// TestJobEditsCancelled checks that every job-file operation given a
// cancelled context returns context.Canceled and writes nothing.
func TestJobEditsCancelled(t *testing.T) {
	dir := jobTestSite(t, map[string]string{"JOB-20261121-001.yaml": commentedJob})
	before := jobSources(t, dir)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	at := time.Date(2026, 11, 22, 9, 0, 0, 0, boise(t))
	_, err := setStatus(ctx, dir, "JOB-20261121-001", generator.InProgress, statusOpts{At: at})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("SetStatus = %v; want context.Canceled", err)
	}
	if _, err := rotateToken(ctx, dir, "JOB-20261121-001", nil); !errors.Is(err, context.Canceled) {
		t.Errorf("RotateToken = %v; want context.Canceled", err)
	}
	if _, err := createJob(ctx, dir, generator.Job{Customer: generator.Customer{Name: "Ruth"}, Service: "trailer-dump"}, createOpts{Now: at}); !errors.Is(err, context.Canceled) {
		t.Errorf("CreateJob = %v; want context.Canceled", err)
	}
	if _, err := importLegacy(ctx, dir, "jobs.json", []byte(legacyJSON), importOpts{Now: importNow}); !errors.Is(err, context.Canceled) {
		t.Errorf("ImportLegacy = %v; want context.Canceled", err)
	}
	if after := jobSources(t, dir); !maps.Equal(before, after) {
		t.Errorf("jobs/ changed: %v, was %v", slices.Collect(maps.Keys(after)), slices.Collect(maps.Keys(before)))
	}
}

// jobSources returns the files of dir/jobs with their contents.
func jobSources(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, generator.JobsDir))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, generator.JobsDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(b)
	}
	return files
}

// TestEditKeepsCRLF: a job file saved with Windows line endings keeps them
// through qdn's edits, comments included, and every line it adds ends the
// same way.
func TestEditKeepsCRLF(t *testing.T) {
	crlf := func(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }
	dir := jobTestSite(t, map[string]string{"JOB-20261121-001.yaml": crlf(commentedJob)})
	at := time.Date(2026, 11, 22, 9, 0, 0, 0, boise(t))
	if _, err := setStatus(t.Context(), dir, "JOB-20261121-001", generator.InProgress, statusOpts{At: at, Note: "Crew is on the way, 20 min"}); err != nil {
		t.Fatalf("SetStatus: %v", err)
	}
	want := strings.Replace(commentedJob, "status: ready_for_pickup   # trailer", "status: in_progress   # trailer", 1)
	want = strings.Replace(want, "     note: Trailer is ready this afternoon}\n",
		"     note: Trailer is ready this afternoon}\n  - {status: in_progress, at: 2026-11-22T09:00:00-07:00, note: \"Crew is on the way, 20 min\"}\n", 1)
	if got := readJobText(t, dir, "JOB-20261121-001"); got != crlf(want) {
		t.Fatalf("after SetStatus the file is\n%q\nwant\n%q", got, crlf(want))
	}
	j, err := rotateToken(t.Context(), dir, "JOB-20261121-001", fixedRand(7))
	if err != nil {
		t.Fatalf("RotateToken: %v", err)
	}
	want = strings.Replace(want, "token: amjmobezssjp5pia4iukcejbpm  # sent", "token: "+j.Token+"  # sent", 1)
	if got := readJobText(t, dir, "JOB-20261121-001"); got != crlf(want) {
		t.Fatalf("after RotateToken the file is\n%q\nwant\n%q", got, crlf(want))
	}
	mustLoad(t, dir)
}

// TestSetStatusOffSteps: a move to a status that is not a step of the job's
// service is refused, even forced, with the allowed statuses in the hint,
// and the moves on the steps are made as before.
func TestSetStatusOffSteps(t *testing.T) {
	job := `id: JOB-20261122-001
token: g35dkbjc7bpdaqtnqwiivfozku
customer:
  name: Priya
service: junk-removal
status: booked
history:
  - {status: booked, at: 2026-11-22T08:15:00-07:00}
`
	dir := jobTestSite(t, map[string]string{"JOB-20261122-001.yaml": job})
	for _, force := range []bool{false, true} {
		_, err := setStatus(t.Context(), dir, "JOB-20261122-001", generator.ReadyForPickup, statusOpts{Force: force})
		var se *generator.StepError
		if !errors.As(err, &se) {
			t.Fatalf("SetStatus(ready_for_pickup, force %v) = %v; want a StepError", force, err)
		}
		if want := "JOB-20261122-001 cannot move to ready_for_pickup: a junk-removal job does not go through ready_for_pickup"; err.Error() != want {
			t.Errorf("SetStatus = %q; want %q", err, want)
		}
		if want := "allowed next statuses: in_progress, completed, cancelled; the steps of junk-removal are booked, in_progress, completed (steps: in content/book/junk-removal.md)"; se.Hint() != want {
			t.Errorf("hint = %q; want %q", se.Hint(), want)
		}
	}
	if got := readJobText(t, dir, "JOB-20261122-001"); got != job {
		t.Errorf("a refused move changed the file:\n%s", got)
	}

	if got := readJobText(t, dir, "JOB-20261122-001"); got != job {
		t.Errorf("a refused move changed the file:\n%s", got)
	}
	if _, err := setStatus(t.Context(), dir, "JOB-20261122-001", generator.InProgress, statusOpts{}); err != nil {
		t.Fatal(err)
	}
	mustLoad(t, dir)
}
