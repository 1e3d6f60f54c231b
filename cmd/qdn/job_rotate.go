package main

import (
	"context"
	"fmt"

	"github.com/quickdumpnow/qdn/generator"
	"github.com/quickdumpnow/qdn/jobfile"
)

// JobRotateCommand is `qdn job rotate`.
type JobRotateCommand struct {
	*Main
	Site string
}

const jobRotateUsage = `
Usage: qdn job rotate ID... [--site DIR]

Give each job a new tracking token and print its new link and text message.
The old link stops working at the next build and sync, when its page
disappears. Use it when a link went to the wrong person, or to give a job
whose token is missing or too weak a proper one. Only the token line changes
in the file.
`

// Run rotates the tokens.
func (c *JobRotateCommand) Run(ctx context.Context, args []string) error {
	c.Writes = true
	fs := newFlags("job rotate")
	siteFlag(fs, &c.Site)
	args, err := c.parseJobArgs(fs, jobRotateUsage, args)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		return &usageError{msg: "qdn job rotate needs the ID of a job", hint: "for example: qdn job rotate JOB-20261121-001"}
	}
	js, err := c.openJobs(c.Site)
	if err != nil {
		return err
	}
	cfg := js.Config
	// Every id must name a job before any token changes.
	var ids []string
	for _, a := range args {
		id, err := resolveJob(js, a)
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	for i, id := range ids {
		j, err := js.RotateToken(ctx, id)
		if err != nil {
			return jobError(err, id)
		}
		if i > 0 {
			fmt.Fprintln(c.Stdout)
		}
		fmt.Fprintln(c.Stdout, j.File)
		printLink(c.Stdout, cfg, j)
		fmt.Fprintf(c.Stderr, "qdn: %s has a new token; its old link stops working once the site is built and synced\n", j.ID)
	}
	return nil
}

// JobLinkCommand is `qdn job link`.
type JobLinkCommand struct {
	*Main
	Site string
}

const jobLinkUsage = `
Usage: qdn job link ID [--site DIR]

Print the tracking link of the job and the text message to send with it.
`

// Run prints the link.
func (c *JobLinkCommand) Run(ctx context.Context, args []string) error {
	fs := newFlags("job link")
	siteFlag(fs, &c.Site)
	args, err := c.parseJobArgs(fs, jobLinkUsage, args)
	if err != nil {
		return err
	}
	if len(args) != 1 {
		return &usageError{msg: "qdn job link takes the ID of one job", hint: "for example: qdn job link JOB-20261121-001"}
	}
	s, j, err := loadJob(ctx, c.Main, c.Site, args[0])
	if err != nil {
		return err
	}
	printLink(c.Stdout, s.Config, j)
	if !j.Live(s.Now, s.Config.Track.ExpireAfter) {
		fmt.Fprintf(c.Stderr, "qdn: warning: %s ended more than track.expire_after ago and has no page: this link does not work\n", j.ID)
	}
	return nil
}

// loadJob loads the site and returns the job query names, in jobs/ or in
// the archive. Problems of other
// files are a warning: they do not stop a dispatcher from looking at a job.
// The job's own problems are printed in full.
func loadJob(ctx context.Context, m *Main, site, query string) (*generator.Site, *generator.Job, error) {
	js, err := m.openJobs(site)
	if err != nil {
		return nil, nil, err
	}
	id, file, err := js.Locate(query)
	if err != nil {
		return nil, nil, lookupError(err)
	}
	s, list, err := loadSite(ctx, m, site)
	if err != nil {
		return nil, nil, err
	}
	if file != generator.JobFile(id) {
		// An archived job: the build does not read it, this does.
		var own generator.ErrorList
		j, err := js.ReadFile(file, &own)
		if err != nil {
			return nil, nil, err
		}
		if len(own) > 0 {
			fmt.Fprintf(m.Stderr, "qdn: warning: %s is not valid:\n%s", j.File, own.Format())
		}
		return s, j, nil
	}
	for _, j := range s.Jobs {
		if j == nil || j.File != file {
			continue
		}
		var own generator.ErrorList
		for _, e := range list {
			if e.Pos.File == j.File {
				own = append(own, e)
			}
		}
		if len(own) > 0 {
			fmt.Fprintf(m.Stderr, "qdn: warning: %s is not valid; qdn build will refuse it:\n%s", j.File, own.Format())
		}
		return s, j, nil
	}
	return nil, nil, &jobfile.NotFoundError{Query: query}
}

// loadSite loads every source of the site for the commands that read jobs.
// When some file is invalid, it warns, and returns what could be read with
// the problems.
func loadSite(ctx context.Context, m *Main, site string) (*generator.Site, generator.ErrorList, error) {
	s, err := generator.Load(ctx, site, generator.Options{Now: m.Now})
	if l := generator.Errors(err); l != nil && s != nil && s.Config != nil && !configErrors(l) {
		fmt.Fprintf(m.Stderr, "qdn: warning: %s in the site's sources; run 'qdn check' to see them\n", plural(len(l), "problem"))
		return s, l, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return s, nil, nil
}

// configErrors reports whether any problem is in qdn.yaml, without which no
// link or time can be shown right.
func configErrors(l generator.ErrorList) bool {
	for _, e := range l {
		if e.Pos.File == generator.ConfigFile {
			return true
		}
	}
	return false
}
