package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/quickdumpnow/qdn/generator"
	"github.com/quickdumpnow/qdn/jobfile"
)

// JobStatusCommand is `qdn job status`.
type JobStatusCommand struct {
	*Main
	Site string
}

const jobStatusUsage = `
Usage: qdn job status ID STATUS [--note TEXT] [--at TIME] [--force] [--site DIR]

Move the job ID to STATUS and add an entry to its history, now or at --at.
The note is shown to the customer with that step. Jobs move forward through
booked, ready_for_pickup, in_progress and completed, and may skip steps; a
job can be cancelled at any status before completed. Any other move is
refused with the statuses allowed next, unless --force is given, which the
history then records as forced: true. A status that is not one of the steps
of the job's service (steps: in content/book/<service>.md) is refused even
with --force.

Only the status line and the new history entry change in the file: its
comments and layout stay as they are.

Examples:

  qdn job status JOB-20261121-001 ready_for_pickup --note "Trailer is ready this afternoon"
  qdn job status job-20261121 completed --at 14:25
`

// Run moves the job.
func (c *JobStatusCommand) Run(ctx context.Context, args []string) error {
	c.Writes = true
	fs := newFlags("job status")
	siteFlag(fs, &c.Site)
	var note, at string
	var force bool
	fs.StringVar(&note, "note", "", "a `note` for the customer, shown with this step")
	fs.StringVar(&at, "at", "", "the `time` the job reached the status: YYYY-MM-DD HH:MM, HH:MM (today) or RFC 3339; default now")
	fs.BoolVar(&force, "force", false, "make a move the status flow does not allow, recorded as forced")
	args, err := c.parseJobArgs(fs, jobStatusUsage, args)
	if err != nil {
		return err
	}
	if len(args) != 2 {
		return &usageError{msg: "qdn job status takes an ID and a STATUS", hint: "for example: qdn job status JOB-20261121-001 in_progress"}
	}
	to, err := generator.ParseStatus(args[1])
	if err != nil {
		return &usageError{msg: err.Error()}
	}
	js, err := c.openJobs(c.Site)
	if err != nil {
		return err
	}
	loc := js.Config.Location()
	id, err := resolveJob(js, args[0])
	if err != nil {
		return err
	}
	when := c.Now()
	if at != "" {
		if when, err = parseAt(at, when, loc); err != nil {
			return &usageError{msg: "--at: " + err.Error(), hint: "write the time as 2026-11-21 14:25, 14:25 (today) or 2026-11-21T14:25:00-07:00"}
		}
	}
	j, before, err := js.SetStatus(ctx, id, to, jobfile.StatusChange{At: when, Note: note, Force: force})
	if err != nil {
		var te *jobfile.TimeError
		if errors.As(err, &te) {
			layout := "2006-01-02 15:04:05"
			if errors.Is(err, jobfile.ErrFuture) {
				return withHint(err, "a history entry records a move that happened: leave out --at to record it now, or pass a time up to "+te.Latest.In(loc).Format(layout))
			}
			return withHint(err, "pass --at with the time the job reached "+string(to)+", "+te.Earliest.In(loc).Format(layout)+" or later")
		}
		return jobError(err, id)
	}
	last := j.History[len(j.History)-1]
	fmt.Fprintf(c.Stderr, "qdn: %s: %s → %s at %s\n", j.ID, before, j.Status, last.At.Format("2006-01-02 15:04"))
	if last.Forced {
		fmt.Fprintf(c.Stderr, "qdn: warning: the status flow does not allow this move; the history records it as forced\n")
	}
	return nil
}

// parseAt reads --at: a time as job files hold it, or a clock time today in
// the site's time zone.
func parseAt(s string, now time.Time, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	s = strings.TrimSpace(s)
	if t, err := time.ParseInLocation("15:04", s, loc); err == nil {
		d := now.In(loc)
		return time.Date(d.Year(), d.Month(), d.Day(), t.Hour(), t.Minute(), 0, 0, loc), nil
	}
	return generator.ParseTime(s, loc)
}
