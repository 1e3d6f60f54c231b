package deploy

// What qdn status reports of an environment: what is deployed, what a sync
// would do, how the bucket differs from the manifest, what expires when,
// the edge function's stages, the month's invalidations and the edge's
// metrics. Each section is computed from what a sync reads anyway (one
// listing, the manifest, the pending invalidation, the lock) and a few
// calls to CloudFront and CloudWatch; a section that cannot be computed
// says why in its Error and leaves the others alone.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/quickdumpnow/qdn/generator"
)

// Status is the report of qdn status. Its JSON form is the schema the
// README documents: fields are added, never renamed or removed.
type Status struct {
	Env string    `json:"env"`
	At  time.Time `json:"at"`
	// OK is false when Problems is not empty.
	OK bool `json:"ok"`
	// Problems are the reasons qdn status --check fails, for people.
	Problems []string `json:"problems"`

	Deployed Deployed   `json:"deployed"`
	Waiting  Waiting    `json:"waiting"`
	Drift    Drift      `json:"drift"`
	Expiry   Expiry     `json:"expiry"`
	Edge     EdgeStatus `json:"edge"`
	Cost     CostStatus `json:"cost"`
	Metrics  Metrics    `json:"metrics"`
}

// Deployed is what the last complete sync or promotion recorded, and how
// the sources in git differ from it.
type Deployed struct {
	// Commit is the full commit the manifest records; empty when nothing
	// was ever synced or the sync was not made from git.
	Commit string `json:"commit"`
	// Subject is the first line of the commit's message, when the clone
	// has the commit.
	Subject string `json:"subject,omitempty"`
	// Dirty says the deployed sources had uncommitted changes.
	Dirty bool `json:"dirty"`
	// Synced is when; nil when nothing was ever synced.
	Synced *time.Time `json:"synced"`
	// Objects is how many objects the manifest records.
	Objects int `json:"objects"`
	// NotDeployed counts the commits since Commit that touch the sources;
	// nil when it cannot be told (see Error). Commits lists their first
	// lines, newest first, at most ten.
	NotDeployed *int     `json:"commits_not_deployed"`
	Commits     []string `json:"commits"`
	// Uncommitted are the sources with uncommitted changes, as git status
	// --porcelain lines.
	Uncommitted []string `json:"uncommitted"`
	Error       string   `json:"error,omitempty"`
}

// Waiting is what a sync would do now, and what an unfinished one left.
type Waiting struct {
	// Uploads, Deletes and InvalidationPaths are the counts of the plan a
	// sync would make (as --dry-run computes it); they are zero when Error
	// says the build failed.
	Uploads           int    `json:"uploads"`
	Deletes           int    `json:"deletes"`
	InvalidationPaths int    `json:"invalidation_paths"`
	Error             string `json:"error,omitempty"`
	// Pending is the invalidation a failed sync left; nil when none.
	Pending *PendingStatus `json:"pending_invalidation"`
	// Lock is the lock of the environment; nil when nobody holds it.
	Lock *LockStatus `json:"lock"`
}

// PendingStatus describes a pending invalidation.
type PendingStatus struct {
	Since time.Time `json:"since"`
	Paths int       `json:"paths"`
}

// LockStatus describes the lock of an environment.
type LockStatus struct {
	Holder  string    `json:"holder"`
	Since   time.Time `json:"since"`
	Expires time.Time `json:"expires"`
	// Ended says the lease ended without being renewed: its holder died,
	// and the next sync takes the lock over.
	Ended bool `json:"ended"`
}

// Drift lists the objects in the bucket that differ from the manifest.
type Drift struct {
	Objects []DriftObject `json:"objects"`
}

// DriftObject is one object of Drift, by output path, with why.
type DriftObject struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Expiry says when the next tracking page expires and which pages are past
// track.expire_after but still in the bucket.
type Expiry struct {
	// Next is when the next page expires (a sync is due then), and NextJob
	// its job's id; nil when no live page of an ended job is left.
	Next    *time.Time `json:"next"`
	NextJob string     `json:"next_job,omitempty"`
	// Expired are the pages of jobs past track.expire_after that the
	// bucket still serves.
	Expired []ExpiredPage `json:"expired_in_bucket"`
	Error   string        `json:"error,omitempty"`
}

// ExpiredPage is a tracking page served past its job's expiry.
type ExpiredPage struct {
	Job  string `json:"job"`
	Path string `json:"path"`
	// Ended is when the job ended; nil when its history does not say.
	Ended *time.Time `json:"ended"`
}

// CostStatus is the month's invalidation paths and the estimate of what
// the waiting ones cost, as the sync plan shows it.
type CostStatus struct {
	Month string `json:"month"`
	// PathsUsed are the paths this environment's syncs invalidated in the
	// month; FreePaths the paths CloudFront does not bill each month (per
	// account, across every environment).
	PathsUsed int `json:"paths_used"`
	FreePaths int `json:"free_paths"`
	// WaitingPaths are those of the waiting sync; Dollars their estimated
	// price given PathsUsed, IfPastFree once the free paths are used up.
	WaitingPaths int     `json:"waiting_paths"`
	Dollars      float64 `json:"dollars"`
	IfPastFree   float64 `json:"if_past_free"`
}

// ReadLock returns the lock at key, nil when there is none.
func ReadLock(ctx context.Context, b Bucket, key string) (*Lock, error) {
	body, err := b.Get(ctx, key)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the lock %s: %w", key, err)
	}
	var l Lock
	if err := json.Unmarshal(body, &l); err != nil {
		return nil, fmt.Errorf("read the lock %s: %w", key, err)
	}
	return &l, nil
}

// NewDeployed returns what the manifest m (nil: none) says is deployed.
func NewDeployed(m *Manifest) Deployed {
	d := Deployed{Commits: []string{}, Uncommitted: []string{}}
	if m == nil {
		return d
	}
	d.Commit, d.Dirty, d.Objects = m.Commit, m.Dirty, len(m.Entries)
	synced := m.Synced.UTC()
	d.Synced = &synced
	return d
}

// NewWaiting returns the counts of p (nil when the build failed, with
// buildErr), the pending invalidation of r and the lock l (nil: none).
func NewWaiting(p *Plan, buildErr error, r *Remote, l *Lock, now time.Time) Waiting {
	var w Waiting
	if p != nil {
		w.Uploads, w.Deletes, w.InvalidationPaths = len(p.Uploads), len(p.Deletes), len(p.Invalidation.Paths)
	}
	if buildErr != nil {
		w.Error = buildErr.Error()
	}
	if r.Pending != nil && len(r.Pending.Paths) > 0 {
		w.Pending = &PendingStatus{Since: r.Pending.Since.UTC(), Paths: len(r.Pending.Paths)}
	}
	if l != nil {
		w.Lock = &LockStatus{Holder: l.Holder, Since: l.Since.UTC(), Expires: l.ends().UTC(), Ended: !now.Before(l.ends())}
	}
	return w
}

// NewDrift compares one listing of the bucket (r.Objects) with the
// manifest: an object changed or removed by something other than qdn, or
// one the manifest does not know (a failed sync's upload, a file put by
// hand). A listing gives sizes and ETags, not headers: a header changed in
// place (a copy onto itself) keeps the ETag and is not seen. Without a
// manifest there is nothing to drift from.
func NewDrift(r *Remote, prefix string) Drift {
	d := Drift{Objects: []DriftObject{}}
	if r.Manifest == nil || !r.Full {
		// Drift is told only from a full listing: outside a part,
		// every object would look missing.
		return d
	}
	listed := map[string]Object{}
	for _, o := range r.Objects {
		if !strings.HasPrefix(o.Key, prefix) || strings.HasPrefix(o.Key, prefix+StateDir) {
			continue
		}
		path := strings.TrimPrefix(o.Key, prefix)
		listed[path] = o
		if _, ok := r.Manifest.Lookup(path); !ok {
			d.Objects = append(d.Objects, DriftObject{Path: path, Reason: ReasonNotInManifest})
		}
	}
	for _, e := range r.Manifest.Entries {
		path := e.Path
		o, ok := listed[path]
		switch {
		case !ok:
			d.Objects = append(d.Objects, DriftObject{Path: path, Reason: ReasonMissing})
		case o.ETag != e.ETag || o.Size != e.Size:
			d.Objects = append(d.Objects, DriftObject{Path: path, Reason: ReasonChangedOutside})
		}
	}
	sort.Slice(d.Objects, func(i, j int) bool { return d.Objects[i].Path < d.Objects[j].Path })
	return d
}

// NewExpiry returns when the next page of the ended jobs expires after
// now, and the pages of those past expire that the listing r still holds.
func NewExpiry(ended []generator.EndedJob, expire time.Duration, now time.Time, r *Remote, prefix string) Expiry {
	x := Expiry{Expired: []ExpiredPage{}}
	listed := make(map[string]bool, len(r.Objects))
	for _, o := range r.Objects {
		listed[o.Key] = true
	}
	for _, j := range ended {
		if !j.At.IsZero() && now.Sub(j.At) <= expire {
			at := j.At.Add(expire).UTC()
			if x.Next == nil || at.Before(*x.Next) {
				x.Next, x.NextJob = &at, j.ID
			}
			continue
		}
		path := generator.TrackPath(j.Token)
		if j.Token == "" || !listed[prefix+path] {
			continue
		}
		p := ExpiredPage{Job: j.ID, Path: path}
		if !j.At.IsZero() {
			at := j.At.UTC()
			p.Ended = &at
		}
		x.Expired = append(x.Expired, p)
	}
	sort.Slice(x.Expired, func(i, j int) bool { return x.Expired[i].Job < x.Expired[j].Job })
	return x
}

// NewCostStatus returns the month's invalidations as the plan p estimates
// them, or, without a plan, as the manifest m recorded them.
func NewCostStatus(p *Plan, m *Manifest, now time.Time) CostStatus {
	var c Cost
	if p != nil && p.Invalidation.Cost.Month != "" {
		c = p.Invalidation.Cost
	} else {
		if m == nil {
			m = &Manifest{}
		}
		c = estimateCost(0, m, now)
	}
	return CostStatus{Month: c.Month, PathsUsed: c.MonthPaths, FreePaths: FreePathsPerMonth, WaitingPaths: c.Paths,
		Dollars: c.Dollars, IfPastFree: c.IfPastFree}
}

// Check fills Problems and OK: a metric that missed its target, commits
// not deployed, a bucket that drifted, a pending invalidation, an expired
// page still served. A section that could not be read is not a problem of
// the site (its Error says why), and neither is a metric without data.
func (s *Status) Check() {
	var p []string
	d := s.Deployed
	switch {
	case d.Synced == nil:
		p = append(p, "nothing was ever synced to "+s.Env)
	case d.NotDeployed != nil && *d.NotDeployed > 0:
		p = append(p, plural(*d.NotDeployed, "commit", "commits")+" not deployed")
	}
	if n := len(s.Drift.Objects); n > 0 {
		p = append(p, fmt.Sprintf("the bucket drifted from the manifest: %s", plural(n, "object", "objects")))
	}
	if w := s.Waiting.Pending; w != nil {
		p = append(p, fmt.Sprintf("an invalidation of %s is pending since %s", plural(w.Paths, "path", "paths"), w.Since.Format(time.RFC3339)))
	}
	if n := len(s.Expiry.Expired); n > 0 {
		p = append(p, fmt.Sprintf("%s past track.expire_after still served", plural(n, "expired page", "expired pages")))
	}
	for _, m := range append(append([]Metric{}, s.Metrics.Distribution...), s.Metrics.Function...) {
		if m.Verdict == VerdictMissed {
			p = append(p, fmt.Sprintf("%s %s missed its target %s", m.Label, m.Format(), m.Target))
		}
	}
	if p == nil {
		p = []string{}
	}
	s.Problems, s.OK = p, len(p) == 0
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
