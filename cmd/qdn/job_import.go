package main

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/quickdumpnow/qdn/generator"
	"github.com/quickdumpnow/qdn/jobfile"
)

// JobImportCommand is `qdn job import`.
type JobImportCommand struct {
	*Main
	Site string
}

const jobImportUsage = `
Usage: qdn job import FILE [--rotate] [--site DIR]

Migrate the old system's jobs.json into one job file per record, and print
what was written. Each record keeps its token, so that links already sent
keep working, unless --rotate gives every job a new one. Old ids such as
JOB_20240523_001 become JOB-20240523-001 (the next free number of that day
when it is taken) and stay in the job as legacy_id; createdAt becomes the
first history entry; phone and email go under private:, and every other field
of a record becomes a "key: value" line of private.notes.

Every record is checked before anything is written; a malformed record, an
unknown status, a record imported before, or a duplicate id or token stops
the import with every problem listed, and no file is written.

The old jobs.json was public: every token in it has been exposed to anyone
who fetched it. --rotate revokes them all in the same step; send customers
their new links (qdn job link ID).
`

// Run imports the file.
func (c *JobImportCommand) Run(ctx context.Context, args []string) error {
	c.Writes = true
	fs := newFlags("job import")
	siteFlag(fs, &c.Site)
	var rotate bool
	fs.BoolVar(&rotate, "rotate", false, "give every imported job a new token instead of the exposed one")
	args, err := c.parseJobArgs(fs, jobImportUsage, args)
	if err != nil {
		return err
	}
	if len(args) != 1 {
		return &usageError{msg: "qdn job import takes one FILE", hint: "for example: qdn job import jobs.json"}
	}
	file := args[0]
	data, err := jobfile.ReadImport(file)
	if err != nil {
		return err
	}
	js, err := c.openJobs(c.Site)
	if err != nil {
		return err
	}
	cfg := js.Config
	jobs, err := js.Import(ctx, file, data, rotate)
	if list := generator.Errors(err); list != nil {
		fmt.Fprint(c.Stderr, list.Format())
		return fmt.Errorf("%s in %s; no job was imported", plural(len(list), "problem"), file)
	}
	if err != nil {
		return err
	}
	if len(jobs) == 0 {
		fmt.Fprintf(c.Stderr, "qdn: %s holds no jobs; nothing was written\n", file)
		return nil
	}
	tw := tabwriter.NewWriter(c.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tOLD ID\tCUSTOMER\tSTATUS\tLINK")
	for _, im := range jobs {
		j := im.Job
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", j.File, im.OldID, j.Customer.Name, j.Status, cfg.TrackURL(j.Token))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(c.Stderr, "qdn: imported %s from %s\n", plural(len(jobs), "job"), file)
	if rotate {
		fmt.Fprintf(c.Stderr, "qdn: every imported job has a new token: the links sent from the old system stop working once the site is built and synced; send customers their new links (qdn job link ID)\n")
	} else {
		fmt.Fprintf(c.Stderr, "qdn: warning: %s was public, so the %s of the imported jobs have been exposed: anyone who fetched it can open those tracking pages\n", file, plural(len(jobs), "token"))
		fmt.Fprintf(c.Stderr, "qdn: hint: to revoke them, run 'qdn job rotate ID...' on the imported jobs (or remove the new files and import again with --rotate), then send customers their new links\n")
	}
	return nil
}

// plural writes a count with its noun: 1 job, 3 jobs.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
