package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
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
	deployFlags
	Env        string
	AllowDirty bool
	NoCache    bool
	Verify     bool
}

// deployFlags are the flags, the lock and the output that qdn sync and
// qdn promote share.
type deployFlags struct {
	*Main
	Site        string
	DryRun      bool
	JSON        bool
	Concurrency int
	MaxPaths    int
	MaxDeletes  int
	Wait        bool
	ForceUnlock bool
	Verbose     bool
}

// register adds the shared flags to fs: op names the operation ("sync",
// "promotion"), writes what is in flight ("uploads", "copies"), and lockOf
// the environment whose lock is taken.
func (d *deployFlags) register(fs *flag.FlagSet, op, writes, lockOf string) {
	siteFlag(fs, &d.Site)
	fs.BoolVar(&d.DryRun, "dry-run", false, "print the plan and change nothing in the bucket or on CloudFront")
	fs.BoolVar(&d.JSON, "json", false, "print the plan or the result as JSON on stdout")
	fs.IntVar(&d.Concurrency, "concurrency", deploy.DefaultConcurrency, "`"+writes+"` in flight at once")
	fs.IntVar(&d.MaxPaths, "max-paths", deploy.DefaultMaxPaths, "exact invalidation `paths` before they collapse to wildcards")
	fs.IntVar(&d.MaxDeletes, "max-deletes", deploy.DefaultMaxDeletes, "refuse a "+op+" that would delete more `objects` than this")
	fs.BoolVar(&d.Wait, "wait", false, "wait until the invalidation is completed")
	fs.BoolVar(&d.ForceUnlock, "force-unlock", false, "break the lock of "+lockOf+", whoever holds it")
	fs.BoolVar(&d.Verbose, "verbose", false, "show tracking paths in full (/track/<token>/) in the output for people")
}

// parse parses args with fs and checks the shared flags.
func (d *deployFlags) parse(fs *flag.FlagSet, usage string, args []string) error {
	if err := d.parseFlags(fs, usage, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	if d.Concurrency < 1 || d.MaxPaths < 1 || d.MaxDeletes < 0 {
		return &usageError{msg: "--concurrency and --max-paths must be at least 1, --max-deletes at least 0", hint: "run 'qdn help " + fs.Name() + "' for its flags"}
	}
	return nil
}

// planOptions are the options of a plan given by the shared flags.
func (d *deployFlags) planOptions() deploy.PlanOptions {
	return deploy.PlanOptions{ViewerURIs: edge.ViewerURIs, MaxPaths: d.MaxPaths, MaxDeletes: d.MaxDeletes}
}

// printPlan prints a plan as --dry-run shows it, with tokens shortened
// unless stdout is a terminal or --verbose.
func (d *deployFlags) printPlan(print func(w io.Writer)) {
	print(tokenWriter(d.Stdout, d.Verbose || isTerminal(d.Stdout)))
}

// applyError gives a failed apply its hint: running again is safe.
func (d *deployFlags) applyError(err error, again string) error {
	return withHint(shortenErr(err, d.Verbose), again)
}

// finish waits for the invalidation id with --wait, releases the lock,
// and says which paths of inv were invalidated.
func (d *deployFlags) finish(ctx context.Context, s *deploy.Syncer, id string, inv deploy.Invalidation, release func(context.Context) error) error {
	if id != "" && d.Wait {
		err := s.Wait(ctx, id, 5*time.Second, func(status string, waited time.Duration) {
			fmt.Fprintf(d.Stderr, "qdn: invalidation %s: %s (%s)\n", id, status, waited.Round(time.Second))
		})
		if err != nil {
			return err
		}
	}
	if err := release(ctx); err != nil {
		return err
	}
	if len(inv.Paths) > 0 && s.Invalidator != nil {
		fmt.Fprintf(tokenWriter(d.Stderr, d.Verbose), "qdn: invalidated %s\n", strings.Join(inv.Paths, " "))
	}
	return nil
}

// summary prints the line that says what an applied sync or promotion
// did: what, then how many objects were written (and how), deleted, left
// alone and invalidated, and how long it took.
func (d *deployFlags) summary(what, written string, n int, bytes int64, deleted, unchanged int, inv deploy.Invalidation, elapsed time.Duration) {
	fmt.Fprintf(d.Stderr, "qdn: %s: %s %d (%s), deleted %d, unchanged %d, invalidated %d paths%s, %s\n",
		what, written, n, formatBytes(bytes), deleted, unchanged, len(inv.Paths), costNote(inv.Cost), elapsed.Round(time.Millisecond))
}

// tooManyDeletes adds its hint to a *deploy.TooManyDeletesError.
func tooManyDeletes(err error) error {
	var td *deploy.TooManyDeletesError
	if errors.As(err, &td) {
		return withHint(err, fmt.Sprintf("check with --dry-run what would be deleted; if it is right, pass --max-deletes %d", len(td.Deletes)))
	}
	return err
}

func (d *deployFlags) printJSON(v any) error {
	enc := json.NewEncoder(d.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// planSlot stands, in a value printPlanJSON prints, for the plan that it
// writes there one action at a time.
type planSlot struct{}

// planMark is what a planSlot encodes to: no string that qdn prints holds
// a NUL.
const planMark = `"\u0000qdn:plan\u0000"`

func (planSlot) MarshalJSON() ([]byte, error) { return []byte(planMark), nil }

// printPlanJSON prints v as printJSON does, with p where v has its
// planSlot, written by p.WriteJSON: a plan of a million uploads is not
// encoded whole in memory (nor indented in a second copy, as an Encoder
// does), only the rest of v is.
func (d *deployFlags) printPlanJSON(v any, p *deploy.Plan) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	i := bytes.Index(b, []byte(planMark))
	if i < 0 {
		return fmt.Errorf("no plan in the JSON of %T", v)
	}
	line := b[bytes.LastIndexByte(b[:i], '\n')+1 : i]
	indent := string(line[:len(line)-len(bytes.TrimLeft(line, " "))])
	if _, err := d.Stdout.Write(b[:i]); err != nil {
		return err
	}
	if p == nil {
		_, err = io.WriteString(d.Stdout, "null")
	} else {
		err = p.WriteJSON(d.Stdout, indent, "  ")
	}
	if err != nil {
		return err
	}
	_, err = d.Stdout.Write(append(b[i+len(planMark):], '\n'))
	return err
}

func init() {
	register(command{name: "sync", summary: "upload what changed to S3 and invalidate it on CloudFront", order: 20, run: func(m *Main, ctx context.Context, args []string) error {
		return (&SyncCommand{deployFlags: deployFlags{Main: m}}).Run(ctx, args)
	}})
}

const syncUsage = `
Usage: qdn sync --env NAME [flags]

Build the site, then publish it to the environment NAME of qdn.yaml: upload
to its bucket only the objects that are new or whose bytes or headers
changed, delete the objects the build no longer makes, and invalidate on its
CloudFront distribution exactly the paths under which a changed or deleted
object can be cached.

A listing of the bucket and the manifest the last sync left in it
(.qdn/manifest.json under the prefix) decide what changed; no request is
made per object. Credentials come from the standard AWS chain; an endpoint
key in qdn.yaml or AWS_ENDPOINT_URL_S3 selects an S3-compatible server.

Refuses when jobs/, content/, templates/ or qdn.yaml have uncommitted
changes (unless --allow-dirty), when another sync of the environment holds
its lock, and when it would delete more than --max-deletes objects. The lock
is a lease the running sync renews: one left by a sync that died (a
cancelled CI job) is taken over once its lease ended, within a minute, or
at once when that sync ran on this machine; --force-unlock breaks any lock.
Tracking paths are shortened in the output for people (/track/amjm…/) unless
--verbose.

A sync lists only part of a bucket whose manifest names more than 8,000
keys: the next part of them, in turn, in passes of at most 20 syncs (a
twentieth each while the keys stay as many), so that every key is listed
at least once every 20 syncs, or 40 while syncs add keys; the rest is
taken to be as the manifest says.
An object changed, removed or added by hand is put right when its part is
listed, and if that part differs from the manifest at all, the whole
bucket is listed in the same sync. --verify lists every key now.

The lock is taken, and the manifest and the listing read, while the site
builds; a partial listing makes one list request at a time until the build
is done, then 8 at a time. With --json, "took" gives the seconds of each
step.

--dry-run prints the plan, each key with its reason and the exact
invalidation paths, and changes nothing in the bucket or on CloudFront (it
takes no lock; it still builds public/).
`

// Run syncs the site to an environment.
func (c *SyncCommand) Run(ctx context.Context, args []string) error {
	c.Writes = true
	fs := newFlags("sync")
	c.register(fs, "sync", "uploads", "the environment")
	fs.StringVar(&c.Env, "env", "", "the environment of qdn.yaml to publish to, such as staging")
	fs.BoolVar(&c.AllowDirty, "allow-dirty", false, "deploy even if the sources have uncommitted changes")
	fs.BoolVar(&c.NoCache, "no-cache", false, "build every job and page, ignoring the build cache")
	fs.BoolVar(&c.Verify, "verify", false, "list every key of the bucket, not only the part whose turn it is")
	if err := c.parse(fs, syncUsage, args); err != nil {
		return err
	}
	_, envs, err := loadEnvironments(c.Site, c.Env)
	if err != nil {
		return err
	}
	env := envs[0]
	start := time.Now()
	var took syncTimes
	since := func(t time.Time) float64 { return time.Since(t).Seconds() }

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
	s := &deploy.Syncer{Bucket: bucket, Prefix: env.Prefix, Invalidator: target.Invalidator(), Concurrency: c.Concurrency, Now: c.Now,
		CheckEvery: deploy.DefaultCheckEvery}
	if c.Verify {
		s.CheckEvery = 0
	}
	took.Setup = since(start)

	// The lock is taken first: while another sync holds it, that sync
	// may be uploading from public/, which this build would rewrite.
	// Then the bucket is read under the lock while the site builds:
	// neither needs the other. A build that fails stops the reading and
	// releases the lock.
	type fetched struct {
		remote *deploy.Remote
		// ctx is cancelled if the lock is lost, for the work done under it.
		ctx     context.Context
		release func(context.Context) error
		err     error
	}
	fctx, cancelFetch := context.WithCancel(ctx)
	defer cancelFetch()
	locked := fetched{ctx: fctx, release: func(context.Context) error { return nil }}
	if !c.DryRun {
		t0 := time.Now()
		lctx, release, err := c.lock(fctx, s, deploy.NewLock("", commit), "sync", c.ForceUnlock)
		took.Lock = since(t0)
		if err != nil {
			return err
		}
		locked.ctx, locked.release = lctx, release
	}
	// A partial listing goes one range at a time while the site builds
	// (see deploy.Syncer.Building).
	building := make(chan struct{})
	s.Building = building
	fetch := make(chan fetched, 1)
	go func() {
		f := locked
		f.remote, f.err = s.Fetch(f.ctx)
		fetch <- f
	}()
	bopt := generator.Options{Now: c.Now}
	if !c.NoCache {
		bopt.CacheDir = c.CacheDir()
	}
	// The collector keeps its default pace (not collectLess): a sync
	// of 100,000 objects then peaks below 500 MB, its cached build
	// included. Its limit follows the live heap, as a build's does: a
	// million objects would otherwise let the heap grow to twice what
	// the build holds.
	defer limitHeap()()
	t0 := time.Now()
	res, err := generator.Build(ctx, c.Site, bopt)
	if err != nil {
		// Before the listing may go faster: it is stopped.
		cancelFetch()
	}
	close(building)
	took.Build = since(t0)
	t0 = time.Now()
	var files []deploy.File
	if err == nil {
		// The build knows the hash and size of every page it wrote or
		// trusted; a page is read from public/ only to upload it, and
		// checked against them then: memory holds the objects in
		// flight, not the site.
		res.Output.Forget()
		files, err = deploy.Files(res.Output, res.Config)
	}
	if err != nil {
		cancelFetch()
		f := <-fetch
		c.releaseOnReturn(ctx, f.release)
		return err
	}
	took.Files = since(t0)
	t0 = time.Now()
	f := <-fetch
	took.FetchWait = since(t0)
	defer c.releaseOnReturn(ctx, f.release)
	if f.err != nil {
		return f.err
	}
	ctx = f.ctx
	took.Manifest, took.Listing = f.remote.ManifestTook.Seconds(), f.remote.ListTook.Seconds()
	t0 = time.Now()
	plan, err := s.Plan(f.remote, files, c.planOptions())
	if err != nil {
		return tooManyDeletes(err)
	}
	took.Plan = since(t0)
	if c.DryRun {
		if c.JSON {
			return c.printPlanJSON(struct {
				Env    string   `json:"env"`
				DryRun bool     `json:"dry_run"`
				Plan   planSlot `json:"plan"`
			}{env.Name, true, planSlot{}}, plan)
		}
		c.printPlan(func(w io.Writer) { printPlan(w, plan) })
		return nil
	}

	bar := newProgress(c.Stderr, len(plan.Uploads), plan.Bytes())
	s.Progress = bar.update
	// Apply updates the manifest read in place: count its keys first.
	known := 0
	if f.remote.Manifest != nil {
		known = len(f.remote.Manifest.Entries)
	}
	t0 = time.Now()
	result, err := s.Apply(ctx, plan, deploy.Deploy{Commit: commit, Dirty: dirty != ""})
	bar.done()
	if err != nil {
		return c.applyError(err, "run qdn sync again: it uploads what is missing and still invalidates every path changed since the last complete sync")
	}
	took.Apply = since(t0)
	t0 = time.Now()
	if err := c.finish(ctx, s, result.InvalidationID, plan.Invalidation, f.release); err != nil {
		return err
	}
	took.Release = since(t0)
	elapsed := time.Since(start)
	c.summary("synced "+env.Name, "uploaded", result.Uploaded, result.UploadedBytes, result.Deleted, result.Unchanged, plan.Invalidation, elapsed)
	if r := f.remote; !r.Full {
		fmt.Fprintf(c.Stderr, "qdn: listed %d keys of %d, the part whose turn it was (every key is listed at least once every %d syncs; --verify lists all)\n",
			r.Listed, known, s.CheckEvery)
	}
	if c.JSON {
		// The result's plan is printed where it is, streamed.
		return c.printPlanJSON(struct {
			Env      string          `json:"env"`
			DryRun   bool            `json:"dry_run"`
			Commit   string          `json:"commit,omitempty"`
			Seconds  float64         `json:"seconds"`
			Requests deploy.Requests `json:"requests"`
			Listed   int             `json:"listed"`
			Full     bool            `json:"full_listing"`
			Took     syncTimes       `json:"took"`
			Plan     planSlot        `json:"plan"`
			*deploy.Result
		}{env.Name, false, commit, elapsed.Seconds(), bucket.Requests(), f.remote.Listed, f.remote.Full, took, planSlot{}, result}, result.Plan)
	}
	return nil
}

// syncTimes are the seconds each step of a sync took, for --json. The
// manifest and the listing are read while the site builds: fetch_wait is
// how long the sync waited for them once the build was done.
type syncTimes struct {
	// Setup is the configuration, git and the AWS clients.
	Setup     float64 `json:"setup"`
	Lock      float64 `json:"lock"`
	Build     float64 `json:"build"`
	Files     float64 `json:"files"`
	Manifest  float64 `json:"manifest"`
	Listing   float64 `json:"listing"`
	FetchWait float64 `json:"fetch_wait"`
	Plan      float64 `json:"plan"`
	Apply     float64 `json:"apply"`
	Release   float64 `json:"release"`
}

// loadEnvironments reads the configuration of the site and returns it with
// the environments named, in order.
func loadEnvironments(site string, names ...string) (*generator.Config, []*generator.Environment, error) {
	cfg, err := generator.LoadConfig(site)
	if err != nil {
		return nil, nil, err
	}
	envs := make([]*generator.Environment, len(names))
	for i, name := range names {
		if envs[i], err = pickEnvironment(cfg, name); err != nil {
			return nil, nil, err
		}
	}
	return cfg, envs, nil
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
	out, err = exec.Command("git", append([]string{"-C", dir, "status", "--porcelain", "--untracked-files=all", "--"},
		generator.SourcePathspecs()...)...).Output()
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
	inv := p.Invalidation
	fmt.Fprintf(w, "plan: upload %d (%s), delete %d, unchanged %d, invalidate %d paths%s\n",
		len(p.Uploads), formatBytes(p.Bytes()), len(p.Deletes), p.Unchanged, len(inv.Paths), printInvalidation(w, inv, "an unfinished sync"))
}

// printInvalidation writes the invalidate lines of a plan and returns the
// notes of its summary line: collapsed paths, paths carried over from what
// unfinished left pending, and the cost.
func printInvalidation(w io.Writer, inv deploy.Invalidation, unfinished string) string {
	for _, u := range inv.Paths {
		fmt.Fprintf(w, "invalidate %s\n", u)
	}
	note := ""
	if inv.Collapsed {
		note = fmt.Sprintf(" (collapsed from %d exact paths)", len(inv.Exact))
	}
	if len(inv.Carried) > 0 {
		note += fmt.Sprintf(" (%d left pending by %s)", len(inv.Carried), unfinished)
	}
	return note + costNote(inv.Cost)
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
