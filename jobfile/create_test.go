package jobfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quickdumpnow/qdn/generator"
	"github.com/quickdumpnow/qdn/internal/atomicfile"
)

func TestCreateJob(t *testing.T) {
	dir := jobTestSite(t, map[string]string{"JOB-20261122-007.yaml": "", "JOB-20261121-009.yaml": ""})
	loc := boise(t)
	// 05:00 in Boise on the 22nd, though already the 22nd in UTC too; the
	// day is the site's.
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	date := time.Date(2026, 11, 24, 0, 0, 0, 0, loc)
	j, err := createJob(t.Context(), dir, generator.Job{
		Customer:  generator.Customer{Name: " Mark "},
		Address:   "1234 Soderblom Ave, Boise, ID",
		Service:   "trailer-dump",
		Price:     &generator.Price{Amount: 60000, Note: "all-inclusive"},
		Scheduled: &generator.Schedule{Date: date, Window: "1–5 pm"},
		Crew:      "Sergio",
		Private:   []generator.PrivateField{{Key: "phone", Value: "+1 208 555 0142"}, {Key: "notes", Value: "gate code 4411\ndog in the yard"}},
	}, createOpts{Now: now, Rand: fixedRand(3)})
	if err != nil {
		t.Fatalf("CreateJob: %v", err)
	}
	want := `id: JOB-20261122-008
token: ` + fixedToken(t, 3) + `
customer:
  name: Mark
address: 1234 Soderblom Ave, Boise, ID
service: trailer-dump
price: {amount: "600.00", note: all-inclusive}
scheduled: {date: 2026-11-24, window: "1–5 pm"}
crew: Sergio
status: booked
history:
  - {status: booked, at: 2026-11-22T05:00:00-07:00}
private:
  phone: "+1 208 555 0142"
  notes: |-
    gate code 4411
    dog in the yard
`
	if got := readJobText(t, dir, j.ID); got != want {
		t.Errorf("CreateJob wrote\n%s\nwant\n%s", got, want)
	}
	if j.File != "jobs/JOB-20261122-008.yaml" || j.Customer.Name != "Mark" {
		t.Errorf("CreateJob = %s for %q; want jobs/JOB-20261122-008.yaml for Mark", j.File, j.Customer.Name)
	}
	if _, err := createJob(t.Context(), dir, generator.Job{Customer: generator.Customer{Name: "Ruth"}, Service: "trailer-dumps"}, createOpts{Now: now}); !errors.As(err, new(*generator.ServiceError)) ||
		!strings.Contains(err.(*generator.ServiceError).Hint(), `did you mean "trailer-dump"`) {
		t.Errorf("CreateJob with an unknown service = %v; want a ServiceError suggesting trailer-dump", err)
	}
	if _, err := createJob(t.Context(), dir, generator.Job{Customer: generator.Customer{Name: "  "}}, createOpts{Now: now}); err == nil {
		t.Errorf("CreateJob without a name succeeded")
	}
	if _, err := createJob(t.Context(), dir, generator.Job{Customer: generator.Customer{Name: "Ruth"}, Address: "77 Harrison \xff"}, createOpts{Now: now}); err == nil {
		t.Errorf("CreateJob with invalid UTF-8 succeeded")
	}
	if ids := jobFiles(t, dir); len(ids) != 3 {
		t.Errorf("refused jobs left files: %v", ids)
	}
}

// TestCreateJobText checks that whatever a dispatcher types reads back from
// the file exactly as typed.
func TestCreateJobText(t *testing.T) {
	dir := jobTestSite(t, nil)
	texts := []string{
		"O'Brien", `Ann "Annie" Lee`, "null", "Yes", "123", "12 Main St", "2026-11-22", "1–5 pm", "9:30 am",
		"a # not a comment", "#1 customer", "- dash", "key: value", "[x]", "{x}", "a, b", "*star", "&amp", "!bang",
		"@at", "`tick`", "%pct", "|pipe", ">gt", "tab\there", "back\\slash", "café", "日本", "emoji 🚛", "trailing:",
		"?q", "0x1F", "1e3", "~", ".inf", "Jo  Ann", "x\u2028y", "bell\a",
	}
	for i, s := range texts {
		j, err := createJob(t.Context(), dir, generator.Job{
			Customer: generator.Customer{Name: s}, Address: s, Crew: s,
			Price:     &generator.Price{Amount: 100, Note: s},
			Scheduled: &generator.Schedule{Window: s},
			Private:   []generator.PrivateField{{Key: "notes", Value: s}, {Key: "two", Value: s + "\n" + s}},
		}, createOpts{Now: time.Date(2026, 11, 22, 12, 0, i, 0, time.UTC)})
		if err != nil {
			t.Errorf("CreateJob(%q): %v", s, err)
			continue
		}
		if j.Customer.Name != s || j.Address != s || j.Price.Note != s || j.Scheduled.Window != s || j.Private[1].Value != s+"\n"+s {
			t.Errorf("CreateJob(%q) read back %+v", s, j)
		}
	}
	mustLoad(t, dir)
}

// TestCreateJobConcurrent creates many jobs at once, as several dispatchers
// might, and finds every id and token distinct and every file valid.
func TestCreateJobConcurrent(t *testing.T) {
	dir := jobTestSite(t, nil)
	const n = 60
	now := time.Date(2026, 11, 22, 18, 0, 0, 0, time.UTC)
	jobs := make([]*generator.Job, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			jobs[i], errs[i] = createJob(t.Context(), dir, generator.Job{Customer: generator.Customer{Name: fmt.Sprintf("Customer %d", i)}, Service: "junk-removal"}, createOpts{Now: now})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	ids, tokens := map[string]bool{}, map[string]bool{}
	for _, j := range jobs {
		if ids[j.ID] || tokens[j.Token] {
			t.Errorf("duplicate id %s or token %s", j.ID, j.Token)
		}
		ids[j.ID], tokens[j.Token] = true, true
	}
	for i := 1; i <= n; i++ {
		if id := fmt.Sprintf("JOB-20261122-%03d", i); !ids[id] {
			t.Errorf("no job got id %s", id)
		}
	}
	entries, err := os.ReadDir(filepath.Join(dir, generator.JobsDir))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), atomicfile.TempPrefix) {
			t.Errorf("temporary file %s left in jobs/", e.Name())
		}
	}
	if s := mustLoad(t, dir); len(s.Jobs) != n {
		t.Errorf("Load found %d jobs; want %d", len(s.Jobs), n)
	}
}
