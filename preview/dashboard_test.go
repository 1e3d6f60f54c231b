package preview

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func getBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return string(b)
}

// TestDashboardLongList checks that a large site's dashboard lists a page of
// jobs with the counts of all of them, and that search narrows the list.
func TestDashboardLongList(t *testing.T) {
	ts := startServer(t, benchSite(t, 600))
	page := getBody(t, ts.DashboardURL())
	if rows := strings.Count(page, `<th scope="row">`); rows != maxRows {
		t.Errorf("dashboard lists %d jobs; want the first %d", rows, maxRows)
	}
	for _, want := range []string{"First 500 of 607 jobs shown, 607 in all.", `<span class="n">602</span> Booked`} {
		if !strings.Contains(page, want) {
			t.Errorf("dashboard does not say %q", want)
		}
	}
	page = getBody(t, ts.DashboardURL()+"?q=customer+42&status=booked")
	if rows := strings.Count(page, `<th scope="row">`); rows != 11 {
		t.Errorf("search for customer 42 lists %d jobs; want 11 (42, 420 to 429)", rows)
	}
	if !strings.Contains(page, `value="customer 42"`) || !strings.Contains(page, `<input type="hidden" name="status" value="booked">`) {
		t.Errorf("the search form does not keep the search and status")
	}
	// One way to filter by status: the links above the list.
	if strings.Contains(page, "<select") {
		t.Errorf("the dashboard filters by status twice, with links and with a list box")
	}
}

// TestDashboardAttention: jobs past their scheduled day, without a move for
// days, or with errors are flagged with the reason, and one link lists them.
func TestDashboardAttention(t *testing.T) {
	dir := exampleSite(t)
	// Ruth's job last moved six days and more before the tests' clock.
	ruth := filepath.Join(dir, "jobs", "JOB-20240523-001.yaml")
	if err := os.WriteFile(ruth, []byte(strings.Replace(readFile(t, ruth), "2026-11-21T15:00:00-07:00", "2026-11-15T09:00:00-07:00", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	// Luis's job has a mistake.
	luis := filepath.Join(dir, "jobs", "JOB-20261120-002.yaml")
	if err := os.WriteFile(luis, []byte(strings.Replace(readFile(t, luis), "crew: Sergio Alvarez", "crew: [Sergio]", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, dir)
	page := getBody(t, ts.DashboardURL()+"?status=attention")
	rowRE := regexp.MustCompile(`(?s)<tr class="attn">\n<th scope="row"><span class="id">([^<]+)</span>(.*?)</th>`)
	var got []string
	for _, m := range rowRE.FindAllStringSubmatch(page, -1) {
		flags := regexp.MustCompile(`<span class="flag">([^<]+)</span>|has errors`).FindAllString(m[2], -1)
		got = append(got, m[1]+": "+strings.Join(flags, ", "))
	}
	want := []string{
		`JOB-20261121-001: <span class="flag">past its scheduled day</span>`,
		`JOB-20261120-002: has errors`,
		`JOB-20240523-001: <span class="flag">no move in 6 days</span>`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("jobs that need attention:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := strings.Count(page, `<th scope="row">`); n != 3 {
		t.Errorf("?status=attention lists %d jobs; want 3", n)
	}
	if !strings.Contains(page, `<span class="n">3</span> Needs attention`) {
		t.Errorf("the dashboard does not count 3 jobs that need attention")
	}
}
