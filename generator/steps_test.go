package generator

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeService replaces the front matter line of content/book/<slug>.md
// that starts with key by line, or adds line when none does.
func writeService(t *testing.T, dir, slug, key, line string) {
	t.Helper()
	p := filepath.Join(dir, ContentDir, "book", slug+".md")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	done := false
	for i, l := range lines {
		if i > 0 && strings.HasPrefix(l, key+":") {
			lines[i], done = line, true
		}
	}
	if !done {
		lines = append(lines[:1], append([]string{line}, lines[1:]...)...)
	}
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestServiceSteps: a service's steps are checked against the status flow,
// each mistake at its line and column with a hint.
func TestServiceSteps(t *testing.T) {
	for _, tc := range []struct {
		line      string
		want      string
		wantHint  string
		wantSteps []Status
	}{
		{"steps: [booked, in_progress, completed]", "", "", []Status{Booked, InProgress, Completed}},
		{"steps: [booked, completed]", "", "", []Status{Booked, Completed}},
		{"steps: [booked, in_progres, completed]", `content/book/trailer-dump.md:2:17: steps has unknown status "in_progres"`, `(did you mean "in_progress"?)`, nil},
		{"steps: [booked, cancelled, completed]", `content/book/trailer-dump.md:2:17: steps lists cancelled`, "can be cancelled at any step", nil},
		{"steps: [booked, in_progress, ready_for_pickup, completed]", `content/book/trailer-dump.md:2:30: steps lists ready_for_pickup after in_progress`, "booked, ready_for_pickup, in_progress, completed", nil},
		{"steps: [booked, booked, completed]", `content/book/trailer-dump.md:2:17: steps lists booked twice`, "once", nil},
		{"steps: [in_progress, completed]", `content/book/trailer-dump.md:2:8: steps does not start with booked`, "booked first", nil},
		{"steps: [booked, in_progress]", `content/book/trailer-dump.md:2:8: steps does not end with completed`, "end the steps with completed", nil},
		{"steps: booked", `content/book/trailer-dump.md:2:8: steps must be a list, not a string`, "", nil},
		{"", "", "", Flow},
	} {
		t.Run(tc.line, func(t *testing.T) {
			dir := jobTestSite(t, nil)
			if tc.line != "" {
				writeService(t, dir, "trailer-dump", "steps", tc.line)
			}
			s, err := Load(t.Context(), dir, Options{})
			var got, hint string
			if l := Errors(err); len(l) > 0 {
				got, hint = l[0].Error(), l[0].Hint
			} else if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(got, tc.want) || (tc.want == "") != (got == "") {
				t.Errorf("Load with %q = %q; want %q", tc.line, got, tc.want)
			}
			if !strings.Contains(hint, tc.wantHint) {
				t.Errorf("hint = %q; want it to hold %q", hint, tc.wantHint)
			}
			if tc.wantSteps != nil {
				if got := s.Service("trailer-dump").Steps; statusNames(got) != statusNames(tc.wantSteps) {
					t.Errorf("Steps = %v; want %v", got, tc.wantSteps)
				}
			}
		})
	}
}

// TestJobOffSteps: a job whose status or history leaves its service's steps
// is refused by the build, with the allowed statuses in the hint; the
// tracking page lists only the service's steps. (jobfile's
// TestSetStatusOffSteps holds that qdn job status refuses it too.)
func TestJobOffSteps(t *testing.T) {
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
	s := mustLoad(t, dir)
	page, err := Render(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	html := string(page.files[TrackPath("g35dkbjc7bpdaqtnqwiivfozku")])
	if strings.Contains(html, "Ready for pickup") || !strings.Contains(html, "In progress") {
		t.Errorf("the page of a junk removal job lists other steps than booked, in progress, completed:\n%s", html)
	}

	// Written by hand, the same move is an error of the build.
	bad := strings.Replace(job, "status: booked\n", "status: ready_for_pickup\n", 1) + "  - {status: ready_for_pickup, at: 2026-11-22T09:00:00-07:00}\n"
	if err := os.WriteFile(filepath.Join(dir, JobsDir, "JOB-20261122-001.yaml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(t.Context(), dir, Options{})
	l := Errors(err)
	var got []string
	for _, e := range l {
		got = append(got, e.Error()+" | "+e.Hint)
	}
	want := []string{
		"jobs/JOB-20261122-001.yaml:6:9: status ready_for_pickup is not a step of service junk-removal | a junk-removal job goes through booked, in_progress, completed (or is cancelled); use one of those, or add ready_for_pickup to steps: in content/book/junk-removal.md",
		"jobs/JOB-20261122-001.yaml:9:5: history entry 2 has status ready_for_pickup, which is not a step of service junk-removal | a junk-removal job goes through booked, in_progress, completed (or is cancelled); use one of those, or add ready_for_pickup to steps: in content/book/junk-removal.md",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Load =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

}

// TestPriceLine: a service's price_line is how its price reads on the pages,
// with {price} for the amount; any other brace is a mistake.
func TestPriceLine(t *testing.T) {
	for _, tc := range []struct{ line, want, wantErr string }{
		{"", "$600 all-inclusive", ""},
		{"price_line: From {price} (half a truck)", "From $600 (half a truck)", ""},
		{"price_line: Call for a quote", "Call for a quote", ""},
		{"price_line: From {amount}", "", `content/book/trailer-dump.md:2:13: price_line "From {amount}" holds a { or } that is not {price}`},
	} {
		dir := jobTestSite(t, nil)
		if tc.line != "" {
			writeService(t, dir, "trailer-dump", "price_line", tc.line)
		}
		s, err := Load(t.Context(), dir, Options{})
		if tc.wantErr != "" {
			if l := Errors(err); len(l) == 0 || l[0].Error() != tc.wantErr {
				t.Errorf("Load with %q = %v; want %q", tc.line, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Service("trailer-dump").PriceLine; got != tc.want {
			t.Errorf("PriceLine with %q = %q; want %q", tc.line, got, tc.want)
		}
	}
}
