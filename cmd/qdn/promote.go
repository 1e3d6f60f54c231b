package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/quickdumpnow/qdn/deploy"
)

// PromoteCommand is `qdn promote`.
type PromoteCommand struct {
	deployFlags
	From string
	To   string
}

func init() {
	register(command{name: "promote", summary: "copy what staging serves to production and invalidate what changed", order: 21, run: func(m *Main, ctx context.Context, args []string) error {
		return (&PromoteCommand{deployFlags: deployFlags{Main: m}}).Run(ctx, args)
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
	c.register(fs, "promotion", "copies", "--to")
	fs.StringVar(&c.From, "from", "", "the environment of qdn.yaml to promote, such as staging")
	fs.StringVar(&c.To, "to", "", "the environment of qdn.yaml to promote to, such as production")
	if err := c.parse(fs, promoteUsage, args); err != nil {
		return err
	}
	if c.From == "" || c.To == "" {
		return &usageError{msg: "pass the environment to promote and the one to promote to: --from NAME --to NAME", hint: "such as qdn promote --from staging --to production"}
	}
	_, envs, err := loadEnvironments(c.Site, c.From, c.To)
	if err != nil {
		return err
	}
	from, to := envs[0], envs[1]
	switch {
	case from.Name == to.Name || (from.Bucket == to.Bucket && from.Prefix == to.Prefix):
		return &usageError{msg: fmt.Sprintf("--from %s and --to %s are the same bucket and prefix", from.Name, to.Name),
			hint: "promote between two environments of qdn.yaml, such as --from staging --to production"}
	case from.Endpoint != to.Endpoint:
		return withHint(fmt.Errorf("environments %s and %s have different endpoints (%q, %q): objects cannot be copied server-side between them", from.Name, to.Name, from.Endpoint, to.Endpoint),
			"keep both environments in one storage service, or publish to "+to.Name+" with qdn sync --env "+to.Name)
	}
	start := time.Now()

	fromTarget, err := c.open(ctx, from, c.Concurrency)
	if err != nil {
		return err
	}
	toTarget, err := c.open(ctx, to, c.Concurrency)
	if err != nil {
		return err
	}
	toBucket := toTarget.Bucket
	p := &deploy.Promoter{
		From:       &deploy.Syncer{Bucket: fromTarget.Bucket, Prefix: from.Prefix, Now: c.Now},
		FromBucket: from.Bucket,
		To:         &deploy.Syncer{Bucket: toBucket, Prefix: to.Prefix, Invalidator: toTarget.Invalidator(), Concurrency: c.Concurrency, Now: c.Now},
	}
	release := func(context.Context) error { return nil }
	if !c.DryRun {
		lock := deploy.NewLock("qdn promote --from "+from.Name, "")
		if ctx, release, err = c.lock(ctx, p.To, lock, "promote", c.ForceUnlock); err != nil {
			return err
		}
		defer c.releaseOnReturn(ctx, release)
	}

	src, dst, err := p.Fetch(ctx)
	if err != nil {
		return err
	}
	plan, err := p.Plan(src, dst, c.planOptions())
	if err != nil {
		return c.planError(shortenErr(err, c.Verbose), from.Name)
	}
	if plan.Dirty {
		fmt.Fprintf(c.Stderr, "qdn: warning: %s was synced from sources with uncommitted changes (commit %s)\n", from.Name, shortCommit(plan.Commit))
	}
	if c.DryRun {
		if c.JSON {
			return c.printJSON(struct {
				From      string            `json:"from"`
				To        string            `json:"to"`
				DryRun    bool              `json:"dry_run"`
				Promotion *deploy.Promotion `json:"promotion"`
			}{from.Name, to.Name, true, plan})
		}
		c.printPlan(func(w io.Writer) { printPromotion(w, plan, from.Name) })
		return nil
	}

	result, err := p.Apply(ctx, plan)
	if err != nil {
		return c.applyError(err, "run qdn promote again: it copies what is missing and still invalidates every path changed since the last complete promotion or sync of "+to.Name)
	}
	if err := c.finish(ctx, p.To, result.InvalidationID, plan.Invalidation, release); err != nil {
		return err
	}
	elapsed := time.Since(start)
	c.summary("promoted "+from.Name+commitNote(plan.Commit)+" to "+to.Name, "copied", result.Copied, result.CopiedBytes,
		result.Deleted, result.Unchanged, plan.Invalidation, elapsed)
	if c.JSON {
		return c.printJSON(struct {
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
	switch {
	case errors.As(err, &nr) && nr.Lock != nil:
		return withHint(fmt.Errorf("cannot promote %s: %w", from, err),
			fmt.Sprintf("wait for the sync of %s to finish and check %s, then run qdn promote again", from, from))
	case errors.As(err, &nr):
		return withHint(fmt.Errorf("cannot promote %s: %w", from, err),
			fmt.Sprintf("run qdn sync --env %s so that it serves what its sources say, check it, then promote", from))
	}
	return tooManyDeletes(err)
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
	inv := p.Invalidation
	fmt.Fprintf(w, "plan: promote %s%s: copy %d (%s), delete %d, unchanged %d, invalidate %d paths%s\n",
		from, commitNote(p.Commit), len(p.Copies), formatBytes(p.Bytes()), len(p.Deletes), p.Unchanged, len(inv.Paths),
		printInvalidation(w, inv, "an unfinished sync or promotion"))
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
