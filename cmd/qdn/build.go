package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"github.com/quickdumpnow/qdn/generator"
)

// BuildCommand is `qdn build`.
type BuildCommand struct {
	*Main
	Site    string
	NoCache bool
}

func init() {
	register(command{name: "build", summary: "build the site into public/", order: 10, run: func(m *Main, ctx context.Context, args []string) error {
		return (&BuildCommand{Main: m}).Run(ctx, args)
	}})
}

const buildUsage = `
Usage: qdn build [--site DIR]

Build the site at DIR into DIR/public: a private tracking page for every live
job, the booking pages and the content pages. Every source is validated first;
when anything is wrong, every problem is listed and nothing is written. Files
whose bytes did not change are left alone.

A cache in the user's cache directory ($XDG_CACHE_HOME/qdn, or
QDN_CACHE_DIR) lets a rebuild skip the jobs and pages that did not change;
--no-cache ignores it.
`

// Run builds the site.
func (c *BuildCommand) Run(ctx context.Context, args []string) error {
	c.Writes = true
	fs := newFlags("build")
	siteFlag(fs, &c.Site)
	fs.BoolVar(&c.NoCache, "no-cache", false, "parse every job and render every page, ignoring the build cache")
	if err := c.parseFlags(fs, buildUsage, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	defer collectLess()()
	start := time.Now()
	opt := generator.Options{Now: c.Now}
	if !c.NoCache {
		opt.CacheDir = c.CacheDir()
	}
	res, err := generator.Build(ctx, c.Site, opt)
	if errors.Is(err, context.Canceled) {
		return withHint(&interrupted{err: err, msg: "build interrupted; public/ may hold part of this build"},
			"run qdn build again: it replaces what this build left half done")
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Stderr, "qdn: built %d files (%d tracking pages) in %s: %d added, %d changed, %d removed\n",
		res.Output.Len(), res.Output.TrackingPages(), time.Since(start).Round(time.Millisecond),
		len(res.Changes.Added), len(res.Changes.Modified), len(res.Changes.Removed))
	return nil
}

// collectLess has the garbage collector run a quarter as often as Go's
// default, for a command that builds the site once and exits: what a build
// allocates mostly lives until it ends (the site and its pages), so
// collecting sooner frees little. A clean build of 10,000 jobs takes about
// 0.1 s less for about 20 MB more. Past 360 MiB of heap the collector runs
// as often as it must to stay below it: a large site is built in batches
// (see generator.Build), and what a build holds at once (about 90 MB at
// 100,000 jobs) then stays near that.
//
// What a build must hold grows with its jobs (650 to 800 bytes a job: the
// job, the privacy check's index, the path and hash of its page), and past
// some 450,000 jobs it nears 360 MiB: a fixed limit would then have the
// collector run nearly all the time. So the limit follows the heap live
// after each collection: an eighth more than it, and 64 MiB for a batch of
// pages, when that passes 360 MiB. An eighth, not a quarter: every byte
// above the live heap is a byte of the build's peak (a million jobs hold
// about 750 MB), and a collection then comes about every three batches
// instead of six. GOGC and GOMEMLIMIT, when set, decide; qdn serve, which
// lives on, keeps the defaults. The returned function stops the following.
func collectLess() (stop func()) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	return limitHeap()
}

// limitHeap keeps the heap of a command that builds the site near what is
// live in it: the collector's memory limit follows the live heap (see
// heapLimit). With Go's default pace alone, the heap of a build of a
// million jobs grows to twice what it holds, near 2 GB. GOMEMLIMIT, when
// set, decides. The returned function stops the following.
func limitHeap() (stop func()) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	debug.SetMemoryLimit(heapLimit(0))
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		set := heapLimit(0)
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			metrics.Read(live)
			if live[0].Value.Kind() != metrics.KindUint64 {
				return
			}
			if limit := heapLimit(live[0].Value.Uint64()); limit != set {
				debug.SetMemoryLimit(limit)
				set = limit
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// heapLimit is the collector's memory limit for a build whose heap live
// after the last collection is live bytes.
func heapLimit(live uint64) int64 {
	return max(360<<20, int64(live+live/8)+64<<20)
}
