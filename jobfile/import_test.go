package jobfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quickdumpnow/qdn/generator"
)

const legacyJSON = `[
  {"jobId": "JOB_20240523_001", "name": "Mark", "address": "Soderblom ave",
   "token": "3f1c9a7be40d52e86a1c0f9d3b7e2a64", "status": "booked",
   "createdAt": "2024-05-23T16:02:11.000Z", "phone": "+1 208 555 0142",
   "rate": "$600 all-inclusive", "window": "afternoon"},
  {"jobId": "JOB_20240523_002", "name": "Ruth", "address": "77 Harrison Blvd",
   "token": "9b2e4f6a8c0d1e3f5a7b9c1d3e5f7a9b", "status": "Ready for pickup",
   "createdAt": 1716480000000, "paid": true, "items": ["couch", "mattress"],
   "notes": "call first"},
  {"jobId": "legacy-7", "name": "Tom", "token": "5b5c28196869a601ecdcfdd662e9d0a7", "status": "canceled"}
]
`

var importNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

func jobFiles(t *testing.T, dir string) []string {
	t.Helper()
	ids, err := jobIDs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestImportLegacy(t *testing.T) {
	dir := jobTestSite(t, map[string]string{
		// Takes the number the old id JOB_20240523_002 asks for.
		"JOB-20240523-002.yaml": "id: JOB-20240523-002\ntoken: amjmobezssjp5pia4iukcejbpm\ncustomer: {name: Gloria}\nstatus: booked\n",
	})
	got, err := importLegacy(t.Context(), dir, "old/jobs.json", []byte(legacyJSON), importOpts{Now: importNow})
	if err != nil {
		t.Fatalf("ImportLegacy: %v\n%s", err, generator.Errors(err).Format())
	}
	var ids []string
	for _, im := range got {
		ids = append(ids, im.OldID+"→"+im.Job.ID)
	}
	if want := "JOB_20240523_001→JOB-20240523-001 JOB_20240523_002→JOB-20240523-003 legacy-7→JOB-20261122-001"; strings.Join(ids, " ") != want {
		t.Errorf("ImportLegacy ids = %v; want %s", ids, want)
	}
	want := `# Imported from jobs.json (record 1, JOB_20240523_001).
# The old system recorded no service or price.
id: JOB-20240523-001
legacy_id: JOB_20240523_001
token: 3f1c9a7be40d52e86a1c0f9d3b7e2a64
customer:
  name: Mark
address: Soderblom ave
status: booked
history:
  - {status: booked, at: 2024-05-23T10:02:11-06:00}
private:
  phone: "+1 208 555 0142"
  notes: |-
    rate: $600 all-inclusive
    window: afternoon
`
	if text := readJobText(t, dir, "JOB-20240523-001"); text != want {
		t.Errorf("imported file is\n%s\nwant\n%s", text, want)
	}
	ruth := readJobText(t, dir, "JOB-20240523-003")
	for _, s := range []string{"status: ready_for_pickup\n", "  - {status: booked, at: 2024-05-23T10:00:00-06:00}\n",
		"    call first\n    paid: true\n    items: [\"couch\",\"mattress\"]\n", "legacy_id: JOB_20240523_002\n"} {
		if !strings.Contains(ruth, s) {
			t.Errorf("imported file of Ruth lacks %q:\n%s", s, ruth)
		}
	}
	if tom := readJobText(t, dir, "JOB-20261122-001"); !strings.Contains(tom, "status: cancelled\n") || strings.Contains(tom, "history") {
		t.Errorf("imported file of Tom:\n%s", tom)
	}
	mustLoad(t, dir)

	// A second import of the same file is refused, and writes nothing.
	before := jobFiles(t, dir)
	_, err = importLegacy(t.Context(), dir, "jobs.json", []byte(legacyJSON), importOpts{Now: importNow, Rotate: true})
	list := generator.Errors(err)
	if len(list) != 3 || !strings.Contains(list[0].Error(), "jobs.json:2:3: record 1 (JOB_20240523_001): JOB_20240523_001 was already imported as jobs/JOB-20240523-001.yaml") {
		t.Errorf("second import = %v; want 3 errors, the first at jobs.json:2:3 naming jobs/JOB-20240523-001.yaml", err)
	}
	if after := jobFiles(t, dir); strings.Join(after, " ") != strings.Join(before, " ") {
		t.Errorf("refused import changed jobs/: %v; was %v", after, before)
	}
}

func TestImportLegacyRefuses(t *testing.T) {
	tests := []struct {
		name, json string
		rotate     bool
		want       []string
	}{
		{"not an array", `{"jobId": "x"}`, false, []string{"jobs.json:1:1: jobs.json does not hold a JSON array of jobs"}},
		{"syntax", "[\n  {\"jobId\": \"JOB_1\",}\n]", false, []string{"jobs.json:2:21: invalid JSON"}},
		{"malformed records", `[
  "JOB_1",
  {"jobId": "JOB_2", "status": "booked", "token": "3f1c9a7be40d52e86a1c0f9d3b7e2a64"},
  {"jobId": "JOB_3", "name": "Ann", "status": "paid", "token": "3f1c9a7be40d52e86a1c0f9d3b7e2a65"},
  {"jobId": "JOB_4", "name": "Bo", "status": "booked", "token": "abc123", "createdAt": "last tuesday"},
  {"jobId": "JOB_5", "name": 5, "status": "booked", "token": "3f1c9a7be40d52e86a1c0f9d3b7e2a66", "name": "x"}
]`, false, []string{
			"jobs.json:2:3: record 1: record is a string, not an object",
			"jobs.json:3:3: record 2 (JOB_2): record has no name",
			`jobs.json:4:3: record 3 (JOB_3): unknown status "paid"`,
			`jobs.json:5:3: record 4 (JOB_4): createdAt: "last tuesday" is not a time`,
			`jobs.json:6:3: record 5: record has the key "name" twice`,
		}},
		{"duplicates", `[
  {"jobId": "JOB_1", "name": "Ann", "status": "booked", "token": "3f1c9a7be40d52e86a1c0f9d3b7e2a64"},
  {"jobId": "JOB_1", "name": "Bo", "status": "booked", "token": "3f1c9a7be40d52e86a1c0f9d3b7e2a64"},
  {"jobId": "JOB_2", "name": "Cy", "status": "booked", "token": "amjmobezssjp5pia4iukcejbpm"}
]`, false, []string{
			"jobs.json:3:3: record 2 (JOB_1): jobId JOB_1 is also record 1",
			"jobs.json:3:3: record 2 (JOB_1): token is also the token of record 1",
			"jobs.json:4:3: record 3 (JOB_2): token is already used by jobs/JOB-20261121-001.yaml",
		}},
		{"weak token", `[{"jobId": "JOB_1", "name": "Ann", "status": "booked", "token": "abc123"}]`, false,
			[]string{"jobs.json:1:2: record 1 (JOB_1): token is too weak"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := jobTestSite(t, map[string]string{"JOB-20261121-001.yaml": commentedJob})
			_, err := importLegacy(t.Context(), dir, "jobs.json", []byte(tt.json), importOpts{Now: importNow, Rotate: tt.rotate})
			list := generator.Errors(err)
			if len(list) != len(tt.want) {
				t.Fatalf("ImportLegacy = %d errors:\n%s\nwant %d", len(list), list.Format(), len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(list[i].Error(), w) {
					t.Errorf("error %d = %q; want it to start with %q", i, list[i].Error(), w)
				}
			}
			if ids := jobFiles(t, dir); len(ids) != 1 {
				t.Errorf("refused import left jobs %v", ids)
			}
		})
	}
}

func TestImportLegacyRotate(t *testing.T) {
	dir := jobTestSite(t, nil)
	got, err := importLegacy(t.Context(), dir, "jobs.json", []byte(legacyJSON), importOpts{Now: importNow, Rotate: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range got {
		if strings.Contains(legacyJSON, im.Job.Token) || generator.CheckToken(im.Job.Token) != nil || len(im.Job.Token) != 26 {
			t.Errorf("%s kept or got a bad token %q", im.Job.ID, im.Job.Token)
		}
	}
	mustLoad(t, dir)
}

// TestImportLegacyRollback makes the second write fail: the file written
// before it is removed again.
func TestImportLegacyRollback(t *testing.T) {
	dir := jobTestSite(t, nil)
	if err := os.Mkdir(filepath.Join(dir, generator.JobsDir, "JOB-20240523-002.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := importLegacy(t.Context(), dir, "jobs.json", []byte(legacyJSON), importOpts{Now: importNow})
	if err == nil || !strings.Contains(err.Error(), "no job was imported") {
		t.Fatalf("ImportLegacy = %v; want a failed write", err)
	}
	if ids := jobFiles(t, dir); len(ids) != 0 {
		t.Errorf("failed import left %v", ids)
	}
}
