package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/quickdumpnow/qdn/generator"
	"github.com/quickdumpnow/qdn/jobfile"
)

// JobListCommand is `qdn job list`.
type JobListCommand struct {
	*Main
	Site string
}

const jobListUsage = `
Usage: qdn job list [--status S[,S...]] [--all] [--json] [--site DIR]

List the jobs of jobs/, with --all those of jobs/archive/ too, sorted by
id: a table of id, customer, status, scheduled day and last update for
people, or with --json an array of objects for scripts.
Times are in the site's time zone. The JSON fields are stable:

  id, legacy_id, file, customer {name}, address, service,
  price {amount, note}, scheduled {date, window}, crew, status, updated,
  history [{status, at, note, forced}], live, url, private {key: value}

live says whether the job has a tracking page; url is its link. Optional
fields are left out when the job has none.
`

// Run lists the jobs.
func (c *JobListCommand) Run(ctx context.Context, args []string) error {
	fs := newFlags("job list")
	siteFlag(fs, &c.Site)
	var statuses string
	var asJSON bool
	fs.StringVar(&statuses, "status", "", "list only jobs in these `statuses`, separated by commas")
	fs.BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	var all bool
	fs.BoolVar(&all, "all", false, "list the archived jobs too (jobs/archive/)")
	args, err := c.parseJobArgs(fs, jobListUsage, args)
	if err != nil {
		return err
	}
	if len(args) > 0 {
		return &usageError{msg: fmt.Sprintf("unexpected argument %q", args[0]), hint: "to see one job, run 'qdn job show ID'"}
	}
	want := map[generator.Status]bool{}
	for _, s := range strings.Split(statuses, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		st, err := generator.ParseStatus(s)
		if err != nil {
			return &usageError{msg: "--status: " + err.Error()}
		}
		want[st] = true
	}
	s, _, err := loadSite(ctx, c.Main, c.Site)
	if err != nil {
		return err
	}
	js, err := c.openJobs(c.Site)
	if err != nil {
		return err
	}
	// An id with a file in jobs/ and one in the archive is an error even
	// without --all: the build would show the one, the archive the other.
	archived, err := js.Archived()
	if err != nil {
		return lookupError(err)
	}
	listed := s.Jobs
	for _, j := range s.Jobs {
		if j == nil || j.ID == "" {
			continue
		}
		if f, ok := archived[strings.ToLower(j.ID)]; ok {
			return lookupError(&jobfile.DuplicateError{ID: j.ID, Files: []string{j.File, f}})
		}
	}
	if all {
		var own generator.ErrorList
		old, err := js.ReadArchive(ctx, &own)
		if err != nil {
			return lookupError(err)
		}
		if len(own) > 0 {
			fmt.Fprintf(c.Stderr, "qdn: warning: %s in the archive:\n%s", plural(len(own), "problem"), own.Format())
		}
		listed = append(append([]*generator.Job(nil), s.Jobs...), old...)
	}
	var jobs []*generator.Job
	for _, j := range listed {
		if j != nil && (len(want) == 0 || want[j.Status]) {
			jobs = append(jobs, j)
		}
	}
	sort.Slice(jobs, func(a, b int) bool { return jobs[a].ID < jobs[b].ID })
	if asJSON {
		out := make([]jobJSON, 0, len(jobs))
		for _, j := range jobs {
			out = append(out, toJSON(s, j))
		}
		return writeJSON(c.Stdout, out)
	}
	loc := s.Config.Site.Location
	tw := tabwriter.NewWriter(c.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCUSTOMER\tSTATUS\tSCHEDULED\tUPDATED")
	for _, j := range jobs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", orDash(j.ID), orDash(j.Customer.Name), orDash(string(j.Status)), orDash(scheduled(j)), orDash(clock(j.UpdatedAt(), loc)))
	}
	return tw.Flush()
}

// JobShowCommand is `qdn job show`.
type JobShowCommand struct {
	*Main
	Site string
}

const jobShowUsage = `
Usage: qdn job show ID [--json] [--site DIR]

Show everything about one job, private fields included, with its tracking
link and whether the link works. --json prints the object qdn job list --json
prints for it.
`

// Run shows the job.
func (c *JobShowCommand) Run(ctx context.Context, args []string) error {
	fs := newFlags("job show")
	siteFlag(fs, &c.Site)
	var asJSON bool
	fs.BoolVar(&asJSON, "json", false, "print JSON instead of text")
	args, err := c.parseJobArgs(fs, jobShowUsage, args)
	if err != nil {
		return err
	}
	if len(args) != 1 {
		return &usageError{msg: "qdn job show takes the ID of one job", hint: "for example: qdn job show JOB-20261121-001"}
	}
	s, j, err := loadJob(ctx, c.Main, c.Site, args[0])
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(c.Stdout, toJSON(s, j))
	}
	loc := s.Config.Site.Location
	tw := tabwriter.NewWriter(c.Stdout, 0, 0, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "%s\t%s\n", k, v)
		}
	}
	row("id", j.ID)
	row("legacy id", j.LegacyID)
	row("file", j.File)
	row("customer", j.Customer.Name)
	row("address", j.Address)
	row("service", j.Service)
	row("price", j.Price.String())
	row("scheduled", scheduled(j))
	row("crew", j.Crew)
	status := string(j.Status)
	if next := j.Status.NextIn(s.StepsOf(j)); len(next) > 0 {
		var names []string
		for _, n := range next {
			names = append(names, string(n))
		}
		status += " (next: " + strings.Join(names, ", ") + ")"
	}
	row("status", status)
	row("link", s.Config.TrackURL(j.Token))
	row("page", pageState(s, j))
	tw.Flush()
	if len(j.History) > 0 {
		fmt.Fprintln(c.Stdout, "history:")
		for _, ev := range j.History {
			line := "  " + clock(ev.At, loc) + "  " + string(ev.Status)
			if ev.Forced {
				line += " (forced)"
			}
			if ev.Note != "" {
				line += "  " + ev.Note
			}
			fmt.Fprintln(c.Stdout, line)
		}
	}
	if len(j.Private) > 0 {
		fmt.Fprintln(c.Stdout, "private:")
		for _, f := range j.Private {
			fmt.Fprintf(c.Stdout, "  %s: %s\n", f.Key, strings.ReplaceAll(f.Value, "\n", "\n    "))
		}
	}
	return nil
}

// pageState says whether the job's tracking page is online and until when.
func pageState(s *generator.Site, j *generator.Job) string {
	loc := s.Config.Site.Location
	expire := s.Config.Track.ExpireAfter
	switch {
	case !j.Status.Ended():
		return "live"
	case j.Live(s.Now, expire):
		return "live until " + clock(j.EndedAt().Add(expire), loc)
	case j.EndedAt().IsZero():
		return "none: the job ended at an unknown time"
	}
	return "none since " + clock(j.EndedAt().Add(expire), loc) + " (track.expire_after): the link does not work"
}

// jobJSON is the stable JSON form of a job for scripts.
type jobJSON struct {
	ID        string            `json:"id"`
	LegacyID  string            `json:"legacy_id,omitempty"`
	File      string            `json:"file"`
	Customer  customerJSON      `json:"customer"`
	Address   string            `json:"address,omitempty"`
	Service   string            `json:"service,omitempty"`
	Price     *priceJSON        `json:"price,omitempty"`
	Scheduled *scheduleJSON     `json:"scheduled,omitempty"`
	Crew      string            `json:"crew,omitempty"`
	Status    string            `json:"status"`
	Updated   string            `json:"updated,omitempty"`
	History   []eventJSON       `json:"history"`
	Live      bool              `json:"live"`
	URL       string            `json:"url"`
	Private   map[string]string `json:"private,omitempty"`
}

type customerJSON struct {
	Name string `json:"name"`
}

type priceJSON struct {
	// Amount is decimal text, such as "600.00": money is never a float.
	Amount string `json:"amount"`
	Note   string `json:"note,omitempty"`
}

type scheduleJSON struct {
	Date   string `json:"date,omitempty"`
	Window string `json:"window,omitempty"`
}

type eventJSON struct {
	Status string `json:"status"`
	At     string `json:"at"`
	Note   string `json:"note,omitempty"`
	Forced bool   `json:"forced,omitempty"`
}

func toJSON(s *generator.Site, j *generator.Job) jobJSON {
	loc := s.Config.Site.Location
	out := jobJSON{
		ID: j.ID, LegacyID: j.LegacyID, File: j.File, Customer: customerJSON{Name: j.Customer.Name},
		Address: j.Address, Service: j.Service, Crew: j.Crew, Status: string(j.Status),
		History: []eventJSON{}, Live: j.Live(s.Now, s.Config.Track.ExpireAfter), URL: s.Config.TrackURL(j.Token),
	}
	if p := j.Price; p != nil {
		out.Price = &priceJSON{Amount: p.Amount.Decimal(), Note: p.Note}
	}
	if sc := j.Scheduled; sc != nil {
		out.Scheduled = &scheduleJSON{Window: sc.Window}
		if !sc.Date.IsZero() {
			out.Scheduled.Date = sc.Date.Format("2006-01-02")
		}
	}
	if t := j.UpdatedAt(); !t.IsZero() {
		out.Updated = t.In(loc).Format(time.RFC3339)
	}
	for _, ev := range j.History {
		out.History = append(out.History, eventJSON{Status: string(ev.Status), At: ev.At.In(loc).Format(time.RFC3339), Note: ev.Note, Forced: ev.Forced})
	}
	if len(j.Private) > 0 {
		out.Private = map[string]string{}
		for _, f := range j.Private {
			out.Private[f.Key] = f.Value
		}
	}
	return out
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// scheduled formats the schedule of j: "2026-11-21 1–5 pm".
func scheduled(j *generator.Job) string {
	if j.Scheduled == nil {
		return ""
	}
	var parts []string
	if !j.Scheduled.Date.IsZero() {
		parts = append(parts, j.Scheduled.Date.Format("2006-01-02"))
	}
	if j.Scheduled.Window != "" {
		parts = append(parts, j.Scheduled.Window)
	}
	return strings.Join(parts, " ")
}

// clock formats a time in the site's time zone to the minute.
func clock(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format("2006-01-02 15:04")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
