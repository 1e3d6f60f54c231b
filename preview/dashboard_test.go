package preview

import (
	"io"
	"net/http"
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
	if !strings.Contains(page, `value="customer 42"`) || !strings.Contains(page, `<option value="booked" selected>`) {
		t.Errorf("the filter form does not keep the search and status")
	}
}
