package generator_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/quickdumpnow/qdn/generator"
)

// TestTemplateMistakes: a mistake in track.html fails every tracking page
// of the site, and is reported once, at its position, in the template's
// terms, with a hint that fits it.
func TestTemplateMistakes(t *testing.T) {
	orig, err := os.ReadFile(filepath.Join(exampleSite, generator.TemplatesDir, generator.TemplateTrack))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, old, new string
		want, hint     string
	}{
		{"misspelt field", "{{.CustomerName}}, your job", "{{.CustomerNam}}, your job",
			"templates/track.html:LINE:9: .CustomerNam: .Track has no field CustomerNam",
			"did you mean .CustomerName? .Track has ID, CustomerName, Status, StatusLabel, "},
		{"field of a step", `<span class="label">{{.Label}}`, `<span class="label">{{.label}}`,
			"templates/track.html:LINE:22: .label: an item of .Track.Steps has no field label",
			"did you mean .Label? an item of .Track.Steps has Label, State, "},
		{"missing value", "{{- if .Scheduled}}", "{{.Scheduled.Window}}{{- if .Scheduled}}",
			"templates/track.html:LINE:12: .Scheduled.Window: .Scheduled is empty on this page",
			"not every job has it: print it inside {{with .Scheduled}}...{{end}}, where it is the dot"},
		{"misspelt function", "{{.ScheduledText}}", "{{lowr .ScheduledText}}",
			`templates/track.html:LINE: function "lowr" not defined`,
			"did you mean lower? the functions are date, day, iso, lower, mapURL, when, and, "},
		{"missing template", "{{.ScheduledText}}", `{{template "dates" .}}`,
			`templates/track.html:LINE:15: no such template "dates"`,
			`define it in a file of templates/ with {{define "dates"}}...{{end}}, or correct the name`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(string(orig), tc.old) {
				t.Fatalf("track.html has no %q", tc.old)
			}
			dir := copySite(t, exampleSite)
			src := strings.Replace(string(orig), tc.old, tc.new, 1)
			if err := os.WriteFile(filepath.Join(dir, generator.TemplatesDir, generator.TemplateTrack), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := generator.Load(t.Context(), dir, generator.Options{Now: testNow})
			if err == nil {
				_, err = generator.Render(t.Context(), s)
			}
			list := generator.Errors(err)
			if len(list) != 1 {
				t.Fatalf("Render gave %d errors; want 1:\n%s", len(list), list.Format())
			}
			// The line is where the mistake was put, wherever that is today.
			line := strings.Count(string(orig)[:strings.Index(string(orig), tc.old)], "\n") + 1
			want := strings.Replace(tc.want, "LINE", strconv.Itoa(line), 1)
			if got := list[0].Error(); got != want {
				t.Errorf("error = %q; want %q", got, want)
			}
			if got := list[0].Hint; !strings.HasPrefix(got, tc.hint) {
				t.Errorf("hint = %q; want it to start with %q", got, tc.hint)
			}
			if strings.Contains(list.Format(), "generator.") {
				t.Errorf("the error names Go types:\n%s", list.Format())
			}
		})
	}
}
