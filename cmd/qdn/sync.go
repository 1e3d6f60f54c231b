package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/quickdumpnow/qdn/deploy"
	"github.com/quickdumpnow/qdn/edge"
	"github.com/quickdumpnow/qdn/generator"
)

// SyncCommand is `qdn sync`.
type SyncCommand struct {
	*Main
	Site        string
	Env         string
	DryRun      bool
	JSON        bool
	Concurrency int
	MaxPaths    int
	MaxDeletes  int
	Wait        bool
	AllowDirty  bool
	ForceUnlock bool
	Verbose     bool
	NoCache     bool
}

func init() {
	register(command{name: "sync", summary: "upload what changed to S3 and invalidate it on CloudFront", order: 20, run: func(m *Main, ctx context.Context, args []string) error {
		return (&SyncCommand{Main: m}).Run(ctx, args)
	}})
}

const syncUsage = `
Usage: qdn sync --env NAME [flags]

Build the site, then publish it to the environment NAME of qdn.yaml: upload
to its bucket only the objects that are new or whose bytes or headers
changed, delete the objects the build no longer makes, and invalidate on its
CloudFront distribution exactly the paths under which a changed or deleted
object can be cached.

One listing of the bucket and the manifest the last sync left in it
(.qdn/manifest.json under the prefix) decide what changed; no request is
made per object. Credentials come from the standard AWS chain; an endpoint
key in qdn.yaml or AWS_ENDPOINT_URL_S3 selects an S3-compatible server.

Refuses when jobs/, content/, templates/ or qdn.yaml have uncommitted
changes (unless --allow-dirty), when another sync of the environment holds
its lock, and when it would delete more than --max-deletes objects.
--dry-run prints the plan, each key with its reason and the exact
invalidation paths, and changes nothing in the bucket or on CloudFront (it
takes no lock; it still builds public/).
`

// Run syncs the site to an environment.
func (c *SyncCommand) Run(ctx context.Context, args []string) error {
	fs := newFlags("sync")
	fs.StringVar(&c.Site, "site", ".", "the site's root `directory`, holding qdn.yaml")
	fs.StringVar(&c.Env, "env", "", "the environment of qdn.yaml to publish to, such as staging")
	fs.BoolVar(&c.DryRun, "dry-run", false, "print the plan and change nothing in the bucket or on CloudFront")
	fs.BoolVar(&c.JSON, "json", false, "print the plan or the result as JSON on stdout")
	fs.IntVar(&c.Concurrency, "concurrency", deploy.DefaultConcurrency, "`uploads` in flight at once")
	fs.IntVar(&c.MaxPaths, "max-paths", deploy.DefaultMaxPaths, "exact invalidation `paths` before they collapse to wildcards")
	fs.IntVar(&c.MaxDeletes, "max-deletes", deploy.DefaultMaxDeletes, "refuse a sync that would delete more `objects` than this")
	fs.BoolVar(&c.Wait, "wait", false, "wait until the invalidation is completed")
	fs.BoolVar(&c.AllowDirty, "allow-dirty", false, "deploy even if the sources have uncommitted changes")
	fs.BoolVar(&c.NoCache, "no-cache", false, "build every job and page, ignoring the build cache")
	fs.BoolVar(&c.ForceUnlock, "force-unlock", false, "break the lock of the environment, whoever holds it")
	fs.BoolVar(&c.Verbose, "verbose", false, "show tracking paths in full (/track/<token>/) in the output for people")
	if err := c.parseFlags(fs, syncUsage, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	if c.Concurrency < 1 || c.MaxPaths < 1 || c.MaxDeletes < 0 {
		return &usageError{msg: "--concurrency and --max-paths must be at least 1, --max-deletes at least 0", hint: "run 'qdn help sync' for its flags"}
	}
	cfg, err := generator.LoadConfig(c.Site)
	if err != nil {
		return err
	}
	env, err := pickEnvironment(cfg, c.Env)
	if err != nil {
		return err
	}
	start := time.Now()

	commit, dirty, err := gitState(c.Site)
	switch {
	case err != nil && !c.AllowDirty && !c.DryRun:
		return withHint(fmt.Errorf("cannot tell what is committed: %w", err), "run qdn sync in a git checkout of the site, or pass --allow-dirty")
	case dirty != "" && !c.AllowDirty && !c.DryRun:
		return withHint(fmt.Errorf("uncommitted changes in the site's sources:\n%s", dirty),
			"commit them first so that what is deployed is in git, or pass --allow-dirty")
	case dirty != "":
		fmt.Fprintf(c.Stderr, "qdn: warning: the site's sources have uncommitted changes\n")
	}

	target, err := c.open(ctx, env, c.Concurrency)
	if err != nil {
		return err
	}
	bucket := target.Bucket
	s := &deploy.Syncer{Bucket: bucket, Prefix: env.Prefix, Invalidator: target.Invalidator(), Concurrency: c.Concurrency, Now: c.Now}
	release := func(context.Context) error { return nil }
	if !c.DryRun {
		if ctx, release, err = c.lock(ctx, s, deploy.NewLock("", commit), "sync", c.ForceUnlock); err != nil {
			return err
		}
		defer c.releaseOnReturn(ctx, release)
	}

	// The bucket is listed while the site builds.
	type fetched struct {
		remote *deploy.Remote
		err    error
	}
	fetch := make(chan fetched, 1)
	fctx, cancelFetch := context.WithCancel(ctx)
	defer cancelFetch()
	go func() {
		r, err := s.Fetch(fctx)
		fetch <- fetched{r, err}
	}()
	bopt := generator.Options{Now: c.Now}
	if !c.NoCache {
		bopt.CacheDir = c.CacheDir()
	}
	collectLess()
	res, err := generator.Build(c.Site, bopt)
	if err == nil {
		// A cached build leaves the pages it did not render on disk only.
		err = res.Output.ReadUnread()
	}
	if err != nil {
		cancelFetch()
		<-fetch
		return err
	}
	files := deploy.Files(res.Output, res.Site.Config)
	f := <-fetch
	if f.err != nil {
		return f.err
	}
	plan, err := s.Plan(f.remote, files, deploy.PlanOptions{ViewerURIs: edge.ViewerURIs, MaxPaths: c.MaxPaths, MaxDeletes: c.MaxDeletes})
	if err != nil {
		return c.planError(err)
	}
	if c.DryRun {
		if c.JSON {
			return c.printJSON(struct {
				Env    string       `json:"env"`
				DryRun bool         `json:"dry_run"`
				Plan   *deploy.Plan `json:"plan"`
			}{env.Name, true, plan})
		}
		printPlan(tokenWriter(c.Stdout, c.Verbose || isTerminal(c.Stdout)), plan)
		return nil
	}

	bar := newProgress(c.Stderr, len(plan.Uploads), plan.Bytes())
	s.Progress = bar.update
	result, err := s.Apply(ctx, plan, deploy.Deploy{Commit: commit, Dirty: dirty != ""})
	bar.done()
	if err != nil {
		return withHint(shortenErr(err, c.Verbose), "run qdn sync again: it uploads what is missing and still invalidates every path changed since the last complete sync")
	}
	if result.InvalidationID != "" && c.Wait {
		err := s.Wait(ctx, result.InvalidationID, 5*time.Second, func(status string, waited time.Duration) {
			fmt.Fprintf(c.Stderr, "qdn: invalidation %s: %s (%s)\n", result.InvalidationID, status, waited.Round(time.Second))
		})
		if err != nil {
			return err
		}
	}
	if err := release(ctx); err != nil {
		return err
	}
	elapsed := time.Since(start)
	if len(plan.Invalidation.Paths) > 0 && s.Invalidator != nil {
		fmt.Fprintf(tokenWriter(c.Stderr, c.Verbose), "qdn: invalidated %s\n", strings.Join(plan.Invalidation.Paths, " "))
	}
	fmt.Fprintf(c.Stderr, "qdn: synced %s: uploaded %d (%s), deleted %d, unchanged %d, invalidated %d paths%s, %s\n",
		env.Name, result.Uploaded, formatBytes(result.UploadedBytes), result.Deleted, result.Unchanged,
		len(plan.Invalidation.Paths), costNote(plan.Invalidation.Cost), elapsed.Round(time.Millisecond))
	if c.JSON {
		return c.printJSON(struct {
			Env      string          `json:"env"`
			DryRun   bool            `json:"dry_run"`
			Commit   string          `json:"commit,omitempty"`
			Seconds  float64         `json:"seconds"`
			Requests deploy.Requests `json:"requests"`
			*deploy.Result
		}{env.Name, false, commit, elapsed.Seconds(), bucket.Requests(), result})
	}
	return nil
}

func (c *SyncCommand) planError(err error) error {
	var td *deploy.TooManyDeletesError
	if errors.As(err, &td) {
		return withHint(err, fmt.Sprintf("check with --dry-run what would be deleted; if it is right, pass --max-deletes %d", len(td.Deletes)))
	}
	return err
}

func (c *SyncCommand) printJSON(v any) error {
	enc := json.NewEncoder(c.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// pickEnvironment returns the environment named name, or a usage error
// listing the known ones.
func pickEnvironment(cfg *generator.Config, name string) (*generator.Environment, error) {
	known := cfg.EnvironmentNames()
	hint := "environments are defined under environments: in qdn.yaml; it defines none"
	if len(known) > 0 {
		hint = "qdn.yaml defines " + strings.Join(known, ", ")
	}
	if name == "" {
		return nil, &usageError{msg: "no environment given: pass --env NAME", hint: hint}
	}
	env, ok := cfg.Environments[name]
	if !ok {
		return nil, &usageError{msg: fmt.Sprintf("unknown environment %q", name), hint: hint}
	}
	return env, nil
}

// open returns the clients of env, with the hint that goes with a
// configuration AWS cannot load.
func (m *Main) open(ctx context.Context, env *generator.Environment, concurrency int) (*deploy.Target, error) {
	t, err := deploy.Open(ctx, env, concurrency)
	if err != nil {
		return nil, withHint(err, "set credentials the standard AWS way (environment, ~/.aws/config profile, SSO); see docs/deploying.md")
	}
	return t, nil
}

// gitState returns the commit checked out in dir and the uncommitted
// changes of the sources (git status lines, empty when clean).
func gitState(dir string) (commit, dirty string, err error) {
	out, err := exec.Command("git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		return "", "", fmt.Errorf("git rev-parse HEAD in %s: %w", dir, gitErr(err))
	}
	commit = strings.TrimSpace(string(out))
	out, err = exec.Command("git", "-C", dir, "status", "--porcelain", "--untracked-files=all", "--",
		"jobs", "content", "templates", generator.ConfigFile).Output()
	if err != nil {
		return commit, "", fmt.Errorf("git status in %s: %w", dir, gitErr(err))
	}
	return commit, strings.TrimRight(string(out), "\n"), nil
}

func gitErr(err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) && len(ee.Stderr) > 0 {
		return errors.New(strings.TrimSpace(string(ee.Stderr)))
	}
	return err
}

// Tests shorten the lease and name the machine a lock is taken on, to play
// a sync that died on another CI runner.
var (
	leaseTTL    time.Duration
	lockMachine string
)

// lock takes the lock of s's environment for the command cmd, with a hint
// of what to do when another holds it. It returns a context that is
// cancelled if the lock is lost, for the work done under it, and the
// function that releases the lock, which may be called more than once.
func (m *Main) lock(ctx context.Context, s *deploy.Syncer, l deploy.Lock, cmd string, force bool) (context.Context, func(context.Context) error, error) {
	if lockMachine != "" {
		l.Machine = lockMachine
	}
	lease := s.Lease(l)
	lease.TTL = leaseTTL
	// A lock left by a sync that died on another machine ends within one
	// TTL: waiting that long lets a re-run go on without a flag.
	lease.MaxWait = deploy.DefaultLeaseTTL
	if leaseTTL > 0 {
		lease.MaxWait = leaseTTL
	}
	lease.Force = force
	lease.Notify = func(msg string) { fmt.Fprintf(m.Stderr, "qdn: %s\n", msg) }
	lctx, err := lease.Open(ctx)
	if err != nil {
		var le *deploy.LockedError
		if errors.As(err, &le) {
			return nil, nil, withHint(err, lockHint(le, cmd))
		}
		return nil, nil, err
	}
	return lctx, lease.Close, nil
}

// lockHint says what to do about a lock another holds, and why.
func lockHint(le *deploy.LockedError, cmd string) string {
	again := "run qdn " + cmd + " again"
	switch {
	case le.Unreadable != "":
		return "if no sync is running, " + again + " with --force-unlock"
	case le.Running:
		return fmt.Sprintf("that sync is running (pid %d on this machine): wait for it to finish, then %s", le.Lock.PID, again)
	case le.Renewed:
		return "that sync is running on " + hostOf(le.Lock) + ": wait for it to finish, then " + again
	}
	ends := le.Ends()
	return fmt.Sprintf("its lease ends at %s (in %s) unless it is renewed: %s then; if that sync is dead, %s now with --force-unlock",
		ends.UTC().Format(time.RFC3339), ends.Sub(le.Now).Round(time.Second), again, again)
}

func hostOf(l deploy.Lock) string {
	if l.Host == "" {
		return "another machine"
	}
	return l.Host
}

// releaseOnReturn releases a lock when a command returns, even after
// Ctrl-C or a failure, so that the next sync is not locked out.
func (m *Main) releaseOnReturn(ctx context.Context, release func(context.Context) error) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := release(rctx); err != nil {
		fmt.Fprintf(m.Stderr, "qdn: warning: %v\n", err)
	}
}

// tokenWriter returns w, or, unless full, a writer to w that shortens the
// tokens of tracking paths (/track/amjm…/): output for people ends up in
// CI logs, and a full path is a live link to a customer's page. --json,
// --verbose and --dry-run to a terminal show them in full. Each Write must
// hold whole lines.
func tokenWriter(w io.Writer, full bool) io.Writer {
	if full {
		return w
	}
	return shortWriter{w}
}

type shortWriter struct{ w io.Writer }

func (s shortWriter) Write(b []byte) (int, error) {
	if _, err := io.WriteString(s.w, generator.ShortenTokens(string(b))); err != nil {
		return 0, err
	}
	return len(b), nil
}

// shortenErr returns err with the tokens in its message shortened, unless
// full.
func shortenErr(err error, full bool) error {
	if full {
		return err
	}
	return &shortError{err}
}

type shortError struct{ err error }

func (e *shortError) Error() string { return generator.ShortenTokens(e.err.Error()) }
func (e *shortError) Unwrap() error { return e.err }

// isTerminal says whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// printPlan writes the plan as --dry-run shows it.
func printPlan(w io.Writer, p *deploy.Plan) {
	for _, a := range p.Uploads {
		fmt.Fprintf(w, "upload  %s (%s): %s\n", a.Key, formatBytes(a.Size), a.Reason)
	}
	for _, a := range p.Deletes {
		fmt.Fprintf(w, "delete  %s: %s\n", a.Key, a.Reason)
	}
	for _, u := range p.Invalidation.Paths {
		fmt.Fprintf(w, "invalidate %s\n", u)
	}
	inv := p.Invalidation
	note := ""
	if inv.Collapsed {
		note = fmt.Sprintf(" (collapsed from %d exact paths)", len(inv.Exact))
	}
	if len(inv.Carried) > 0 {
		note += fmt.Sprintf(" (%d left pending by an unfinished sync)", len(inv.Carried))
	}
	fmt.Fprintf(w, "plan: upload %d (%s), delete %d, unchanged %d, invalidate %d paths%s%s\n",
		len(p.Uploads), formatBytes(p.Bytes()), len(p.Deletes), p.Unchanged, len(inv.Paths), note, costNote(inv.Cost))
}

func costNote(c deploy.Cost) string {
	if c.Paths == 0 {
		return ""
	}
	return fmt.Sprintf(" (est. $%.3f this month: %d paths used; $%.3f past the free 1,000)",
		c.Dollars, c.MonthPaths, c.IfPastFree)
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// progress draws an upload progress bar on stderr when it is a terminal.
type progress struct {
	w     io.Writer
	total int
	bytes int64
	on    bool
	last  time.Time
}

func newProgress(w io.Writer, total int, bytes int64) *progress {
	p := &progress{w: w, total: total, bytes: bytes}
	p.on = total > 0 && isTerminal(w) && os.Getenv("TERM") != "dumb"
	return p
}

func (p *progress) update(done int, bytes int64) {
	if !p.on || (done < p.total && time.Since(p.last) < 100*time.Millisecond) {
		return
	}
	p.last = time.Now()
	const width = 30
	fill := width * done / p.total
	fmt.Fprintf(p.w, "\r[%s%s] %d/%d uploads, %s of %s", strings.Repeat("=", fill), strings.Repeat(" ", width-fill),
		done, p.total, formatBytes(bytes), formatBytes(p.bytes))
}

func (p *progress) done() {
	if p.on {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
