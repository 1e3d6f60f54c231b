package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/quickdumpnow/qdn/jobfile"
)

// JobArchiveCommand is `qdn job archive`.
type JobArchiveCommand struct {
	*Main
	Site string
}

const jobArchiveUsage = `
Usage: qdn job archive [--before DATE] [--dry-run] [--site DIR]

Move the files of jobs that ended (completed or cancelled) more than
track.expire_after ago, and so have no tracking page, to
jobs/archive/<year>/<id>.yaml, the year being the one the job ended in.
qdn build does not read the archive, so old jobs cost it nothing; qdn job
list --all and qdn job show still read it. The files are renamed, not
rewritten: commit with git add -A and git records each move as a rename.
A file already in the archive is never overwritten.

With --before, only jobs that ended before DATE (YYYY-MM-DD, the start of
that day in the site's time zone) are archived; DATE cannot be later than
track.expire_after ago. --dry-run prints the moves and makes none.

Examples:

  qdn job archive --dry-run
  qdn job archive --before 2026-01-01
`

// Run archives the jobs.
func (c *JobArchiveCommand) Run(ctx context.Context, args []string) error {
	c.Writes = true
	fs := newFlags("job archive")
	siteFlag(fs, &c.Site)
	var before string
	var dryRun bool
	fs.StringVar(&before, "before", "", "archive only jobs that ended before this `date` (YYYY-MM-DD)")
	fs.BoolVar(&dryRun, "dry-run", false, "print the moves without making them")
	args, err := c.parseJobArgs(fs, jobArchiveUsage, args)
	if err != nil {
		return err
	}
	if len(args) > 0 {
		return &usageError{msg: fmt.Sprintf("unexpected argument %q", args[0]), hint: "qdn job archive takes no ID: it archives every job that ended long enough ago"}
	}
	js, err := c.openJobs(c.Site)
	if err != nil {
		return err
	}
	loc := js.Config.Location()
	cutoff := js.ArchiveCutoff()
	if before != "" {
		d, err := parseDay(before, c.Now(), loc)
		if err != nil {
			return &usageError{msg: "--before: " + err.Error(), hint: "write the day as YYYY-MM-DD"}
		}
		cutoff = d
	}
	moves, skipped, err := js.PlanArchive(ctx, cutoff)
	var ce *jobfile.CutoffError
	if errors.As(err, &ce) {
		return &usageError{msg: "--before: " + err.Error(), hint: "pass --before " + ce.Latest.Format("2006-01-02") + " or earlier, or leave it out"}
	}
	if err != nil {
		return jobError(err, "")
	}
	for _, sk := range skipped {
		fmt.Fprintf(c.Stderr, "qdn: warning: %s is not archived: %s\n", sk.File, sk.Reason)
	}
	for _, m := range moves {
		fmt.Fprintf(c.Stdout, "%s → %s\t%s %s\n", m.From, m.To, m.Status, m.Ended.In(loc).Format("2006-01-02"))
	}
	when := "ended before " + cutoff.In(loc).Format("2006-01-02 15:04")
	if len(moves) == 0 {
		fmt.Fprintf(c.Stderr, "qdn: no job %s is left in jobs/; nothing to archive\n", when)
		return nil
	}
	if dryRun {
		fmt.Fprintf(c.Stderr, "qdn: dry run: would archive %s that %s\n", plural(len(moves), "job"), when)
		return nil
	}
	if err := js.Archive(ctx, moves); err != nil {
		return jobError(err, "")
	}
	fmt.Fprintf(c.Stderr, "qdn: archived %s that %s; commit the moves with git add -A\n", plural(len(moves), "job"), when)
	return nil
}
