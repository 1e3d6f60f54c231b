package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/quickdumpnow/qdn/deploy"
	"github.com/quickdumpnow/qdn/edge"
	"github.com/quickdumpnow/qdn/generator"
)

// PromoteCommand is `qdn promote`.
type PromoteCommand struct {
	*Main
	Site        string
	From        string
	To          string
	DryRun      bool
	JSON        bool
	Concurrency int
	MaxPaths    int
	MaxDeletes  int
	Wait        bool
	ForceUnlock bool
}

func init() {
	register(command{name: "promote", summary: "copy what staging serves to production and invalidate what changed", order: 21, run: func(m *Main, ctx context.Context, args []string) error {
		return (&PromoteCommand{Main: m}).Run(ctx, args)
	}})
}

const promoteUsage = `
Usage: qdn promote --from staging --to production [flags]

Make the environment --to serve exactly what the environment --from serves,
without building anything: the bytes checked on staging are the bytes that
go live. Objects whose content or headers differ are copied server-side
(CopyObject, headers kept, nothing passes through this machine), objects
that --to has and --from has not are deleted, and exactly the paths under
which a replaced or deleted object can be cached are invalidated on the
CloudFront distribution of --to.

The two environments are compared by their manifests (.qdn/manifest.json:
content hash and header fingerprint of every key) and one listing of each
bucket. Both must be in the same storage service.

Refuses when a sync of --from is running or did not finish (its lock or a
pending invalidation is in its bucket), when --from's bucket no longer
matches its manifest, when another sync or promotion holds the lock of --to,
and when it would delete more than --max-deletes objects. --dry-run prints
the plan, each key with its reason and the exact invalidation paths, and
changes nothing.
`

// Run promotes one environment to another.
func (c *PromoteCommand) Run(ctx context.Context, args []string) error {
	c.Writes = true
	fs := newFlags("promote")
	siteFlag(fs, &c.Site)
	fs.StringVar(&c.From, "from", "", "the environment of qdn.yaml to promote, such as staging")
	fs.StringVar(&c.To, "to", "", "the environment of qdn.yaml to promote to, such as production")
	fs.BoolVar(&c.DryRun, "dry-run", false, "print the plan and change nothing")
	fs.BoolVar(&c.JSON, "json", false, "print the plan or the result as JSON on stdout")
	fs.IntVar(&c.Concurrency, "concurrency", deploy.DefaultConcurrency, "`copies` in flight at once")
	fs.IntVar(&c.MaxPaths, "max-paths", deploy.DefaultMaxPaths, "exact invalidation `paths` before they collapse to wildcards")
	fs.IntVar(&c.MaxDeletes, "max-deletes", deploy.DefaultMaxDeletes, "refuse a promotion that would delete more `objects` than this")
	fs.BoolVar(&c.Wait, "wait", false, "wait until the invalidation is completed")
	fs.BoolVar(&c.ForceUnlock, "force-unlock", false, "break a lock of --to older than "+deploy.DefaultLockTTL.String()+" left by a sync or promotion that died")
	if err := c.parseFlags(fs, promoteUsage, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	if c.Concurrency < 1 || c.MaxPaths < 1 || c.MaxDeletes < 0 {
		return &usageError{msg: "--concurrency and --max-paths must be at least 1, --max-deletes at least 0", hint: "run 'qdn help promote' for its flags"}
	}
	if c.From == "" || c.To == "" {
		return &usageError{msg: "pass the environment to promote and the one to promote to: --from NAME --to NAME", hint: "such as qdn promote --from staging --to production"}
	}
	cfg, err := generator.LoadConfig(c.Site)
	if err != nil {
		return err
	}
	from, err := pickEnvironment(cfg, c.From)
	if err != nil {
		return err
	}
	to, err := pickEnvironment(cfg, c.To)
	if err != nil {
		return err
	}
	switch {
	case from.Name == to.Name || (from.Bucket == to.Bucket && from.Prefix == to.Prefix):
		return &usageError{msg: fmt.Sprintf("--from %s and --to %s are the same bucket and prefix", from.Name, to.Name),
			hint: "promote between two environments of qdn.yaml, such as --from staging --to production"}
	case from.Endpoint != to.Endpoint:
		return withHint(fmt.Errorf("environments %s and %s have different endpoints (%q, %q): objects cannot be copied server-side between them", from.Name, to.Name, from.Endpoint, to.Endpoint),
			"keep both environments in one storage service, or publish to "+to.Name+" with qdn sync --env "+to.Name)
	}
	start := time.Now()

	// The AWS clients and the JSON output are those of qdn sync.
	sc := &SyncCommand{Main: c.Main, Concurrency: c.Concurrency}
	fromBucket, _, err := sc.clients(ctx, from)
	if err != nil {
		return err
	}
	toBucket, inv, err := sc.clients(ctx, to)
	if err != nil {
		return err
	}
	p := &deploy.Promoter{
		From:       &deploy.Syncer{Bucket: fromBucket, Prefix: from.Prefix, Now: c.Now},
		FromBucket: from.Bucket,
		To:         &deploy.Syncer{Bucket: toBucket, Prefix: to.Prefix, Concurrency: c.Concurrency, Now: c.Now},
	}
	if inv != nil {
		p.To.Invalidator = inv
	}
	release := func(context.Context) error { return nil }
	if !c.DryRun {
		lock := deploy.Lock{Holder: fmt.Sprintf("qdn promote --from %s, %s", from.Name, lockHolder()), Since: c.Now().UTC()}
		if release, err = c.lock(ctx, p.To, lock, "promote", c.ForceUnlock); err != nil {
			return err
		}
		defer c.releaseOnReturn(ctx, release)
	}

	src, dst, err := p.Fetch(ctx)
	if err != nil {
		return err
	}
	plan, err := p.Plan(src, dst, deploy.PlanOptions{ViewerURIs: edge.ViewerURIs, MaxPaths: c.MaxPaths, MaxDeletes: c.MaxDeletes})
	if err != nil {
		return c.planError(err, from.Name)
	}
	if plan.Dirty {
		fmt.Fprintf(c.Stderr, "qdn: warning: %s was synced from sources with uncommitted changes (commit %s)\n", from.Name, shortCommit(plan.Commit))
	}
	if c.DryRun {
		if c.JSON {
			return sc.printJSON(struct {
				From      string            `json:"from"`
				To        string            `json:"to"`
				DryRun    bool              `json:"dry_run"`
				Promotion *deploy.Promotion `json:"promotion"`
			}{from.Name, to.Name, true, plan})
		}
		printPromotion(c.Stdout, plan, from.Name)
		return nil
	}

	result, err := p.Apply(ctx, plan)
	if err != nil {
		return withHint(err, "run qdn promote again: it copies what is missing and still invalidates every path changed since the last complete promotion or sync of "+to.Name)
	}
	if result.InvalidationID != "" && c.Wait {
		err := p.To.Wait(ctx, result.InvalidationID, 5*time.Second, func(status string, waited time.Duration) {
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
	fmt.Fprintf(c.Stderr, "qdn: promoted %s%s to %s: copied %d (%s), deleted %d, unchanged %d, invalidated %d paths%s, %s\n",
		from.Name, commitNote(plan.Commit), to.Name, result.Copied, formatBytes(result.CopiedBytes), result.Deleted, result.Unchanged,
		len(plan.Invalidation.Paths), costNote(plan.Invalidation.Cost), elapsed.Round(time.Millisecond))
	if c.JSON {
		return sc.printJSON(struct {
			From     string          `json:"from"`
			To       string          `json:"to"`
			DryRun   bool            `json:"dry_run"`
			Seconds  float64         `json:"seconds"`
			Requests deploy.Requests `json:"requests"`
			*deploy.PromoteResult
		}{from.Name, to.Name, false, elapsed.Seconds(), toBucket.Requests(), result})
	}
	return nil
}

func (c *PromoteCommand) planError(err error, from string) error {
	var nr *deploy.NotReadyError
	var td *deploy.TooManyDeletesError
	switch {
	case errors.As(err, &nr) && nr.Lock != nil:
		return withHint(fmt.Errorf("cannot promote %s: %w", from, err),
			fmt.Sprintf("wait for the sync of %s to finish and check %s, then run qdn promote again", from, from))
	case errors.As(err, &nr):
		return withHint(fmt.Errorf("cannot promote %s: %w", from, err),
			fmt.Sprintf("run qdn sync --env %s so that it serves what its sources say, check it, then promote", from))
	case errors.As(err, &td):
		return withHint(err, fmt.Sprintf("check with --dry-run what would be deleted; if it is right, pass --max-deletes %d", len(td.Deletes)))
	}
	return err
}

// printPromotion writes the plan of a promotion as --dry-run shows it.
func printPromotion(w io.Writer, p *deploy.Promotion, from string) {
	for _, c := range p.Copies {
		fmt.Fprintf(w, "copy    %s (%s): %s\n", c.Key, formatBytes(c.Size), c.Reason)
	}
	for _, a := range p.Deletes {
		reason := a.Reason
		if reason == deploy.ReasonNotInSource {
			reason = "not in " + from
		}
		fmt.Fprintf(w, "delete  %s: %s\n", a.Key, reason)
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
		note += fmt.Sprintf(" (%d left pending by an unfinished sync or promotion)", len(inv.Carried))
	}
	fmt.Fprintf(w, "plan: promote %s%s: copy %d (%s), delete %d, unchanged %d, invalidate %d paths%s%s\n",
		from, commitNote(p.Commit), len(p.Copies), formatBytes(p.Bytes()), len(p.Deletes), p.Unchanged, len(inv.Paths), note, costNote(inv.Cost))
}

func commitNote(commit string) string {
	if commit == "" {
		return ""
	}
	return " at " + shortCommit(commit)
}

func shortCommit(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}
