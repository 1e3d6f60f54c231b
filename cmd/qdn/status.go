package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/quickdumpnow/qdn/deploy"
	"github.com/quickdumpnow/qdn/edge"
	"github.com/quickdumpnow/qdn/generator"
)

// StatusCommand is `qdn status`.
type StatusCommand struct {
	*Main
	Site    string
	Env     string
	Since   time.Duration
	JSON    bool
	Check   bool
	NoCache bool
	Verbose bool
}

func init() {
	register(command{name: "status", summary: "what is live, what is waiting, and how the edge is doing", order: 22, run: func(m *Main, ctx context.Context, args []string) error {
		return (&StatusCommand{Main: m}).Run(ctx, args)
	}})
}

const statusUsage = `
Usage: qdn status --env NAME [--since 24h] [--json] [--check]

Say what the environment NAME of qdn.yaml serves and what is waiting, on one
screen:

  Deployed  the commit the last complete sync or promotion recorded, and
            when; the commits touching jobs/, content/, templates/ or
            qdn.yaml that are not deployed; uncommitted changes to them
  Waiting   what qdn sync would do now (counted as --dry-run counts it,
            without writing public/); an invalidation a failed sync left
            pending; who holds the lock
  Drift     objects of the bucket that no longer match the manifest
  Expiry    when the next tracking page expires (a sync is due then), and
            expired pages still in the bucket
  Edge      the function's LIVE version, whether it runs edge/rewrite.js,
            and whether DEVELOPMENT differs from LIVE
  Cost      the month's invalidation paths and the estimate
  Metrics   CloudFront's metrics from CloudWatch over --since, each against
            its target (monitor: in qdn.yaml)

It changes nothing. A section it cannot read (a permission missing) says
why; the others are still shown. --json prints one object, whose schema the
README documents. --check exits 1, naming the reasons, when a target is
missed, commits are not deployed, the bucket drifted, an invalidation is
pending or an expired page is still served.
`

// Run reports the status of an environment.
func (c *StatusCommand) Run(ctx context.Context, args []string) error {
	fs := newFlags("status")
	siteFlag(fs, &c.Site)
	fs.StringVar(&c.Env, "env", "", "the environment of qdn.yaml, such as production")
	fs.DurationVar(&c.Since, "since", 24*time.Hour, "the `window` of the metrics, ending now")
	fs.BoolVar(&c.JSON, "json", false, "print the status as one JSON object on stdout")
	fs.BoolVar(&c.Check, "check", false, "exit 1 when something needs attention, and say what")
	fs.BoolVar(&c.NoCache, "no-cache", false, "build every job and page, ignoring the build cache")
	fs.BoolVar(&c.Verbose, "verbose", false, "show tracking paths in full (/track/<token>/)")
	if err := c.parseFlags(fs, statusUsage, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	if c.Since < time.Minute {
		return &usageError{msg: fmt.Sprintf("--since %s is shorter than a minute", c.Since), hint: "give a window such as 24h or 168h"}
	}
	cfg, envs, err := loadEnvironments(c.Site, c.Env)
	if err != nil {
		return err
	}
	env := envs[0]
	now := c.Now()
	target, err := c.open(ctx, env, deploy.DefaultConcurrency)
	if err != nil {
		return err
	}
	st := &deploy.Status{Env: env.Name, At: now.UTC()}

	// Everything but the plan is independent: the edge, the metrics and
	// the build run while the bucket is read.
	edgeDone := make(chan struct{})
	go func() {
		defer close(edgeDone)
		if env.Function == "" {
			return
		}
		fn, err := target.Function()
		if err == nil {
			st.Edge, err = fn.Status(ctx)
		}
		if err != nil {
			st.Edge = deploy.EdgeStatus{Function: env.Function, Error: err.Error()}
		}
	}()
	metricsDone := make(chan struct{})
	go func() {
		defer close(metricsDone)
		m, err := target.Metrics.Read(ctx, now.Add(-c.Since), now, cfg.Monitor)
		if err != nil {
			m.Unavailable = err.Error()
		}
		st.Metrics = m
	}()
	type built struct {
		res   *generator.Result
		files []deploy.File
		err   error
	}
	buildDone := make(chan built, 1)
	go func() {
		opt := generator.Options{Now: c.Now, NoWrite: true}
		if !c.NoCache {
			opt.CacheDir = c.CacheDir()
		}
		res, err := generator.Build(ctx, c.Site, opt)
		var files []deploy.File
		if err == nil {
			files, err = deploy.Files(res.Output, res.Config)
		}
		buildDone <- built{res, files, err}
	}()

	// git status reads every source file's stamp: it too runs while the
	// bucket is read.
	type gitRes struct {
		dirty string
		err   error
	}
	gitDone := make(chan gitRes, 1)
	go func() {
		_, dirty, err := gitState(c.Site)
		gitDone <- gitRes{dirty, err}
	}()

	s := &deploy.Syncer{Bucket: target.Bucket, Prefix: env.Prefix, Invalidator: target.Invalidator(), Now: c.Now}
	remote, err := s.Fetch(ctx)
	if err != nil {
		<-buildDone
		<-edgeDone
		<-metricsDone
		<-gitDone
		return withHint(fmt.Errorf("read the bucket of %s: %w", env.Name, err), "qdn status needs s3:ListBucket and s3:GetObject on the bucket; see docs/deploying.md")
	}
	var lock *deploy.Lock
	var lockErr error
	for _, o := range remote.Objects {
		if o.Key == env.Prefix+deploy.LockKey {
			lock, lockErr = deploy.ReadLock(ctx, target.Bucket, o.Key)
		}
	}
	st.Deployed = deploy.NewDeployed(remote.Manifest)
	g := <-gitDone
	c.gitStatus(&st.Deployed, g.dirty, g.err)
	st.Drift = deploy.NewDrift(remote, env.Prefix)

	b := <-buildDone
	var plan *deploy.Plan
	if b.err == nil {
		opt := deploy.PlanOptions{ViewerURIs: edge.ViewerURIs, MaxPaths: deploy.DefaultMaxPaths, MaxDeletes: -1}
		plan, b.err = s.Plan(remote, b.files, opt)
	}
	if b.err != nil {
		b.err = buildProblem(b.err)
		plan = nil
	}
	st.Waiting = deploy.NewWaiting(plan, b.err, remote, lock, now)
	if lockErr != nil {
		st.Waiting.Error = strings.TrimPrefix(st.Waiting.Error+"; ", "; ") + lockErr.Error()
	}
	if b.err == nil {
		st.Expiry = deploy.NewExpiry(b.res.Ended, cfg.Track.ExpireAfter, now, remote, env.Prefix)
	} else {
		st.Expiry = deploy.Expiry{Expired: []deploy.ExpiredPage{}, Error: b.err.Error()}
	}
	st.Cost = deploy.NewCostStatus(plan, remote.Manifest, now)
	<-edgeDone
	<-metricsDone
	if err := ctx.Err(); err != nil {
		return err
	}
	st.Check()

	if c.JSON {
		if err := (&deployFlags{Main: c.Main}).printJSON(st); err != nil {
			return err
		}
	} else {
		w := tokenWriter(c.Stdout, c.Verbose)
		printStatus(w, st, env, cfg, c.Since, now)
	}
	if c.Check {
		// What could not be read is not a failure, but a scheduled check
		// must not pass in silence when it could not look.
		for _, w := range [][2]string{{"commits not deployed", st.Deployed.Error}, {"waiting", st.Waiting.Error}, {"expiry", st.Expiry.Error},
			{"edge", st.Edge.Error}, {"metrics", st.Metrics.Unavailable}} {
			if w[1] != "" {
				fmt.Fprintf(tokenWriter(c.Stderr, c.Verbose), "qdn: warning: %s: unknown: %s\n", w[0], w[1])
			}
		}
	}
	if c.Check && !st.OK {
		return withHint(fmt.Errorf("%s needs attention: %s", env.Name, strings.Join(st.Problems, "; ")), checkHint(st, env.Name))
	}
	return nil
}

// buildProblem says in one line why the site does not build.
func buildProblem(err error) error {
	if list := generator.Errors(err); list != nil {
		return fmt.Errorf("the site does not build: %s in the sources (qdn check lists them)", plural(len(list), "error"))
	}
	return fmt.Errorf("the site does not build: %w", err)
}

// checkHint says what to do about the problems of st.
func checkHint(st *deploy.Status, env string) string {
	var sync, edge bool
	for _, p := range st.Problems {
		if strings.Contains(p, "missed its target") {
			edge = true
		} else {
			sync = true
		}
	}
	var hints []string
	if sync {
		hints = append(hints, "qdn sync --env "+env+" deploys what is waiting, undoes the drift, removes expired pages and makes the pending invalidation")
	}
	if edge {
		hints = append(hints, "a missed target needs a look at the distribution (CloudFront console, Monitoring)")
	}
	return strings.Join(hints, "; ")
}

// gitStatus adds to d what git says of the sources: the commits since the
// deployed one that touch them, and their uncommitted changes (dirty, as
// gitState found them, or its error).
func (c *StatusCommand) gitStatus(d *deploy.Deployed, dirty string, err error) {
	if err != nil {
		d.Error = err.Error()
		return
	}
	if dirty != "" {
		d.Uncommitted = strings.Split(dirty, "\n")
	}
	if d.Commit == "" {
		if d.Synced != nil {
			d.Error = "the last sync recorded no commit"
		}
		return
	}
	git := func(args ...string) (string, error) {
		out, err := exec.Command("git", append([]string{"-C", c.Site}, args...)...).Output()
		return strings.TrimSpace(string(out)), gitErr(err)
	}
	if _, err := git("cat-file", "-e", d.Commit+"^{commit}"); err != nil {
		d.Error = fmt.Sprintf("commit %s is not in this clone: fetch the history (git fetch --unshallow; in CI, actions/checkout with fetch-depth: 0)", short(d.Commit))
		return
	}
	d.Subject, _ = git("log", "-1", "--format=%s", d.Commit)
	specs := append([]string{"--"}, generator.SourcePathspecs()...)
	count, err := git(append([]string{"rev-list", "--count", d.Commit + "..HEAD"}, specs...)...)
	n, convErr := strconv.Atoi(count)
	if err != nil || convErr != nil {
		d.Error = fmt.Sprintf("git rev-list in %s: %v", c.Site, errors.Join(err, convErr))
		return
	}
	d.NotDeployed = &n
	if n > 0 {
		log, err := git(append([]string{"log", "--format=%h %s", "-n", "10", d.Commit + "..HEAD"}, specs...)...)
		if err == nil {
			d.Commits = strings.Split(log, "\n")
		}
	}
}

func short(commit string) string {
	if len(commit) > 7 {
		return commit[:7]
	}
	return commit
}

// printStatus writes the status for people: one section a block, the
// label in the margin, and the problems last.
func printStatus(w io.Writer, st *deploy.Status, env *generator.Environment, cfg *generator.Config, since time.Duration, now time.Time) {
	loc := cfg.Site.Location
	if loc == nil {
		loc = time.UTC
	}
	when := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04 MST") }
	p := &sectionWriter{w: w}
	fmt.Fprintf(w, "qdn status of %s, %s\n\n", st.Env, when(now))

	d := st.Deployed
	switch {
	case d.Synced == nil:
		p.line("Deployed", "nothing: no sync has completed (no %s)", env.Prefix+deploy.ManifestKey)
	case d.Commit == "":
		p.line("Deployed", "synced %s (%s), from no commit", when(*d.Synced), ago(now, *d.Synced))
	default:
		dirty := ""
		if d.Dirty {
			dirty = ", with uncommitted changes"
		}
		subject := ""
		if d.Subject != "" {
			subject = " " + strconv.Quote(d.Subject)
		}
		p.line("Deployed", "%s%s, synced %s (%s)%s", short(d.Commit), subject, when(*d.Synced), ago(now, *d.Synced), dirty)
	}
	switch {
	case d.Error != "":
		p.line("", "commits not deployed: unknown: %s", d.Error)
	case d.NotDeployed != nil && *d.NotDeployed == 0:
		p.line("", "every commit is deployed")
	case d.NotDeployed != nil:
		p.line("", "%s not deployed:", plural(*d.NotDeployed, "commit"))
		for i, c := range d.Commits {
			if i == 3 {
				p.line("", "  and %d more", *d.NotDeployed-3)
				break
			}
			p.line("", "  %s", c)
		}
	}
	if n := len(d.Uncommitted); n > 0 {
		p.line("", "%s in the sources, not committed: %s", plural(n, "change"), firstFiles(d.Uncommitted, 3))
	}

	wt := st.Waiting
	if wt.Error != "" {
		p.line("Waiting", "unknown: %s", wt.Error)
	} else if wt.Uploads+wt.Deletes+wt.InvalidationPaths == 0 {
		p.line("Waiting", "nothing: a sync would change nothing")
	} else {
		p.line("Waiting", "a sync would upload %d, delete %d, invalidate %s", wt.Uploads, wt.Deletes, plural(wt.InvalidationPaths, "path"))
	}
	var none []string
	if wt.Pending == nil {
		none = append(none, "no pending invalidation")
	} else {
		p.line("", "an invalidation of %s is pending since %s: a sync failed; the next one makes it", plural(wt.Pending.Paths, "path"), when(wt.Pending.Since))
	}
	switch l := wt.Lock; {
	case l == nil:
		none = append(none, "no sync running")
	case l.Ended:
		p.line("", "locked by %s since %s; its lease ended %s: it died, the next sync takes over", l.Holder, when(l.Since), ago(now, l.Expires))
	default:
		p.line("", "locked by %s since %s (a sync is running), lease until %s", l.Holder, when(l.Since), when(l.Expires))
	}
	if len(none) > 0 {
		p.line("", "%s", strings.Join(none, "; "))
	}

	if d.Synced == nil {
		p.line("Drift", "nothing to compare: no manifest")
	} else if n := len(st.Drift.Objects); n == 0 {
		p.line("Drift", "none: the bucket holds what the manifest records (%s objects)", formatCount(d.Objects))
	} else {
		p.line("Drift", "%s in the bucket differ from the manifest:", plural(n, "object"))
		for i, o := range st.Drift.Objects {
			if i == 3 {
				p.line("", "  and %d more", n-3)
				break
			}
			p.line("", "  %s: %s", o.Path, o.Reason)
		}
	}

	x := st.Expiry
	switch {
	case x.Error != "":
		p.line("Expiry", "unknown: %s", x.Error)
	case x.Next == nil:
		p.line("Expiry", "no page of an ended job is waiting to expire")
	default:
		p.line("Expiry", "next page expires %s (%s, %s): sync then", when(*x.Next), x.NextJob, until(now, *x.Next))
	}
	if n := len(x.Expired); n > 0 {
		p.line("", "%s past track.expire_after still in the bucket:", plural(n, "expired page"))
		for i, e := range x.Expired {
			if i == 3 {
				p.line("", "  and %d more", n-3)
				break
			}
			p.line("", "  %s (%s)", e.Path, e.Job)
		}
	} else if x.Error == "" {
		p.line("", "no expired page in the bucket")
	}

	e := st.Edge
	switch {
	case env.Function == "":
		p.line("Edge", "no function: environments.%s.function is not set", env.Name)
	case e.Error != "":
		p.line("Edge", "%s: unavailable: %s", env.Function, e.Error)
	case !e.Exists:
		p.line("Edge", "%s does not exist: qdn edge publish --env %s creates it", env.Function, env.Name)
	case !e.Published:
		p.line("Edge", "%s is not published: qdn edge publish --env %s", env.Function, env.Name)
	default:
		code := "runs edge/rewrite.js"
		if !e.LiveIsLocal {
			code = "runs other code than edge/rewrite.js: qdn edge publish --env " + env.Name
		}
		p.line("Edge", "%s LIVE %s %s", env.Function, e.LiveETag, code)
		if e.DevelopmentDiffers {
			p.line("", "DEVELOPMENT differs from LIVE: a publish or a test was left half done")
		} else {
			p.line("", "DEVELOPMENT is LIVE")
		}
	}

	cost := st.Cost
	if env.DistributionID == "" {
		p.line("Cost", "no distribution_id: nothing is invalidated")
	} else {
		p.line("Cost", "%s: %s of the %s free this month (all environments share them)",
			cost.Month, plural(cost.PathsUsed, "invalidation path"), formatCount(cost.FreePaths))
		if cost.WaitingPaths > 0 {
			p.line("", "the waiting sync: %s, est. $%.3f ($%.3f past the free paths)", plural(cost.WaitingPaths, "path"), cost.Dollars, cost.IfPastFree)
		}
	}

	m := st.Metrics
	switch {
	case m.Unavailable != "":
		p.line("Metrics", "unavailable: %s", m.Unavailable)
	case len(m.Distribution)+len(m.Function) == 0:
		p.line("Metrics", "none: the environment has no distribution_id and no function")
	default:
		p.line("Metrics", "CloudWatch, last %s", formatWindow(since))
		var hints []string
		row := func(x deploy.Metric) {
			v := ""
			switch x.Verdict {
			case deploy.VerdictOK:
				v = "ok"
			case deploy.VerdictMissed:
				v = "MISSED"
			}
			p.line("", "  %-36s %9s  %-9s %s", x.Label, x.Format(), x.Target.String(), v)
			if x.Verdict == deploy.VerdictNoData && x.Hint != "" {
				hints = append(hints, x.Hint)
			}
		}
		for _, x := range m.Distribution {
			row(x)
		}
		for _, x := range m.Function {
			row(x)
		}
		for _, h := range hints {
			p.line("", "%s", h)
		}
	}

	fmt.Fprintln(w)
	if st.OK {
		fmt.Fprintln(w, "OK: nothing needs attention")
		return
	}
	fmt.Fprintf(w, "Needs attention (%s):\n", plural(len(st.Problems), "problem"))
	for _, pr := range st.Problems {
		fmt.Fprintf(w, "  - %s\n", pr)
	}
}

// sectionWriter writes the lines of the sections, the label in a margin.
type sectionWriter struct{ w io.Writer }

func (s *sectionWriter) line(label, format string, args ...any) {
	l := fmt.Sprintf("%-10s%s", label, fmt.Sprintf(format, args...))
	fmt.Fprintln(s.w, strings.TrimRight(l, " "))
}

func firstFiles(lines []string, n int) string {
	var names []string
	for i, l := range lines {
		if i == n {
			names = append(names, fmt.Sprintf("and %d more", len(lines)-n))
			break
		}
		names = append(names, strings.TrimSpace(l[min(len(l), 3):]))
	}
	return strings.Join(names, ", ")
}

// ago says how long before now t was, roughly.
func ago(now, t time.Time) string {
	d := now.Sub(t)
	if d < time.Minute {
		return "just now"
	}
	return roughly(d) + " ago"
}

// until says how long after now t is, roughly.
func until(now, t time.Time) string {
	d := t.Sub(now)
	if d < time.Minute {
		return "now"
	}
	return "in " + roughly(d)
}

func roughly(d time.Duration) string {
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
}

func formatWindow(d time.Duration) string {
	if d%(24*time.Hour) == 0 && d > 24*time.Hour {
		return plural(int(d/(24*time.Hour)), "day")
	}
	if d%time.Hour == 0 {
		return strconv.Itoa(int(d/time.Hour)) + "h"
	}
	return d.String()
}

func formatCount(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
