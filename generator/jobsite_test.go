package generator

import (
	"testing"
	"time"

	"github.com/quickdumpnow/qdn/internal/testenv"
)

// jobTestSite is testenv.JobSite on the example site of this repository.
func jobTestSite(t *testing.T, jobs map[string]string) string {
	t.Helper()
	return testenv.JobSite(t, "..", jobs)
}

// mustLoad builds the site in memory, as qdn build does, and fails the test
// on any error.
func mustLoad(t *testing.T, dir string) *Site {
	t.Helper()
	s, err := Load(t.Context(), dir, Options{Now: func() time.Time { return time.Date(2026, 11, 22, 19, 0, 0, 0, time.UTC) }})
	if err != nil {
		if l := Errors(err); l != nil {
			t.Fatalf("Load: %v\n%s", err, l.Format())
		}
		t.Fatalf("Load: %v", err)
	}
	if _, err := Render(t.Context(), s); err != nil {
		t.Fatalf("Render: %v", err)
	}
	return s
}

func boise(t *testing.T) *time.Location { return testenv.Boise(t) }
