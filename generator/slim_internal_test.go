package generator

import (
	"strings"
	"testing"
	"time"
)

// TestSlimJobKeepsEndWithoutHistory checks that a job kept in part keeps
// when it ended without a history to hold it (an event cost 80 bytes a
// job, 80 MB at a million ended jobs), and gives the same end, liveness
// and status as the whole job; and that an end nanoseconds since 1970
// cannot hold is kept as it was.
func TestSlimJobKeepsEndWithoutHistory(t *testing.T) {
	loc := time.FixedZone("MST", -7*3600)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, loc)
	for _, tc := range []struct {
		name     string
		status   Status
		at       time.Time
		kept     bool // the slim job keeps a history
		wantLive bool
	}{
		{"completed", Completed, time.Date(2026, 11, 20, 15, 4, 5, 6, loc), false, true},
		{"cancelled long ago", Cancelled, time.Date(2020, 1, 2, 3, 4, 5, 0, loc), false, false},
		{"in progress", InProgress, time.Date(2026, 11, 30, 9, 0, 0, 0, loc), false, true},
		{"ended past 2262", Completed, time.Date(2300, 1, 1, 0, 0, 0, 0, loc), true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := &Job{File: "jobs/JOB-1.yaml", ID: "JOB-1", Token: "tok", Status: tc.status,
				History: []Event{{Status: Booked, At: tc.at.Add(-time.Hour)}, {Status: tc.status, At: tc.at}}}
			s := &Site{}
			k := s.slimJob(j, 0)
			if (k.History != nil) != tc.kept {
				t.Errorf("slimJob kept history %v; want kept %v", k.History, tc.kept)
			}
			if got, want := k.EndedAt(), j.EndedAt(); !got.Equal(want) {
				t.Errorf("EndedAt() = %v; want %v", got, want)
			}
			expire := 90 * 24 * time.Hour
			if got := k.Live(now, expire); got != tc.wantLive || got != j.Live(now, expire) {
				t.Errorf("Live() = %v; want %v", got, tc.wantLive)
			}
		})
	}
}

// TestRenderRefusesCachedJob checks that a job taken from the cache, which
// knows no history, is never rendered: reuse parses such a job again when
// its page is to be made, and render fails the build if one reaches it.
func TestRenderRefusesCachedJob(t *testing.T) {
	s, err := Load(t.Context(), "..", Options{Now: func() time.Time { return time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	live := s.LiveJobs()
	if len(live) == 0 {
		t.Fatal("the example site has no live job")
	}
	j := live[0]
	j.cached = &cacheEntry{File: j.File, ID: j.ID, Token: j.Token, Service: j.Service, Status: j.Status}
	_, err = render(t.Context(), s, map[string][]byte{}, nil, nil, nil)
	if err == nil || !strings.Contains(err.Error(), j.File) || !strings.Contains(err.Error(), "cache") {
		t.Errorf("render with a job taken from the cache = %v; want an error naming %s and the cache", err, j.File)
	}
}
