package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/s3"

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
	c.Writes = true
	fs := newFlags("sync")
	siteFlag(fs, &c.Site)
	fs.StringVar(&c.Env, "env", "", "the environment of qdn.yaml to publish to, such as staging")
	fs.BoolVar(&c.DryRun, "dry-run", false, "print the plan and change nothing in the bucket or on CloudFront")
	fs.BoolVar(&c.JSON, "json", false, "print the plan or the result as JSON on stdout")
	fs.IntVar(&c.Concurrency, "concurrency", deploy.DefaultConcurrency, "`uploads` in flight at once")
	fs.IntVar(&c.MaxPaths, "max-paths", deploy.DefaultMaxPaths, "exact invalidation `paths` before they collapse to wildcards")
	fs.IntVar(&c.MaxDeletes, "max-deletes", deploy.DefaultMaxDeletes, "refuse a sync that would delete more `objects` than this")
	fs.BoolVar(&c.Wait, "wait", false, "wait until the invalidation is completed")
	fs.BoolVar(&c.AllowDirty, "allow-dirty", false, "deploy even if the sources have uncommitted changes")
	fs.BoolVar(&c.NoCache, "no-cache", false, "build every job and page, ignoring the build cache")
	fs.BoolVar(&c.ForceUnlock, "force-unlock", false, "break a lock older than "+deploy.DefaultLockTTL.String()+" left by a sync that died")
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

	bucket, inv, err := c.clients(ctx, env)
	if err != nil {
		return err
	}
	s := &deploy.Syncer{Bucket: bucket, Prefix: env.Prefix, Concurrency: c.Concurrency, Now: c.Now}
	if inv != nil {
		s.Invalidator = inv
	}
	release := func(context.Context) error { return nil }
	if !c.DryRun {
		if release, err = c.lock(ctx, s, deploy.Lock{Holder: lockHolder(), Since: c.Now().UTC(), Commit: commit}, "sync", c.ForceUnlock); err != nil {
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
		printPlan(c.Stdout, plan)
		return nil
	}

	bar := newProgress(c.Stderr, len(plan.Uploads), plan.Bytes())
	s.Progress = bar.update
	result, err := s.Apply(ctx, plan, deploy.Deploy{Commit: commit, Dirty: dirty != ""})
	bar.done()
	if err != nil {
		return withHint(err, "run qdn sync again: it uploads what is missing and still invalidates every path changed since the last complete sync")
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
	if len(plan.Invalidation.Paths) > 0 && inv != nil {
		fmt.Fprintf(c.Stderr, "qdn: invalidated %s\n", strings.Join(plan.Invalidation.Paths, " "))
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

// clients returns the bucket and, when the environment has a distribution,
// the invalidator of env, with credentials from the standard AWS chain.
func (c *SyncCommand) clients(ctx context.Context, env *generator.Environment) (*deploy.S3, *deploy.CloudFront, error) {
	var opts []func(*config.LoadOptions) error
	if env.Region != "" {
		opts = append(opts, config.WithRegion(env.Region))
	}
	// A profile in qdn.yaml is the default; credentials or a profile in the
	// environment (as CI sets them) take precedence.
	if env.Profile != "" && os.Getenv("AWS_PROFILE") == "" && os.Getenv("AWS_ACCESS_KEY_ID") == "" {
		opts = append(opts, config.WithSharedConfigProfile(env.Profile))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, nil, withHint(fmt.Errorf("AWS configuration for environment %s: %w", env.Name, err),
			"set credentials the standard AWS way (environment, ~/.aws/config profile, SSO)")
	}
	if awsCfg.Region == "" {
		awsCfg.Region = "us-east-1"
	}
	bucket := deploy.NewS3(s3.NewFromConfig(awsCfg, deploy.S3Options(env.Endpoint, c.Concurrency)), env.Bucket)
	if env.DistributionID == "" {
		return bucket, nil, nil
	}
	cf := cloudfront.NewFromConfig(awsCfg, func(o *cloudfront.Options) {
		if o.BaseEndpoint == nil && env.Endpoint != "" {
			// An S3-compatible test server that also speaks CloudFront,
			// such as moto.
			o.BaseEndpoint = aws.String(env.Endpoint)
		}
	})
	return bucket, deploy.NewCloudFront(cf, env.DistributionID), nil
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

// lock takes the lock of s's environment for the command cmd, with a hint
// of what to do when another holds it. The returned release may be called
// more than once.
func (m *Main) lock(ctx context.Context, s *deploy.Syncer, l deploy.Lock, cmd string, force bool) (release func(context.Context) error, err error) {
	unlock, err := s.Lock(ctx, l, deploy.DefaultLockTTL, force)
	if err != nil {
		var le *deploy.LockedError
		if errors.As(err, &le) {
			hint := "wait for that sync to finish, then run qdn " + cmd + " again"
			if le.Stale {
				hint = fmt.Sprintf("the lock is older than %s: if no sync is running, run again with --force-unlock", deploy.DefaultLockTTL)
			}
			return nil, withHint(err, hint)
		}
		return nil, err
	}
	var once sync.Once
	return func(ctx context.Context) (err error) {
		once.Do(func() { err = unlock(ctx) })
		return err
	}, nil
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

func lockHolder() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("%s@%s (pid %d)", name, host, os.Getpid())
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
	if f, ok := w.(*os.File); ok && total > 0 {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.on = os.Getenv("TERM") != "dumb"
		}
	}
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
