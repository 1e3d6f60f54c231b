package main

import (
	"context"
	"fmt"

	"github.com/quickdumpnow/qdn/generator"
)

// CheckCommand is `qdn check`.
type CheckCommand struct {
	*Main
	Site string
}

func init() {
	register(command{name: "check", summary: "validate jobs, content, templates and qdn.yaml without writing", order: 11, run: func(m *Main, ctx context.Context, args []string) error {
		return (&CheckCommand{Main: m}).Run(ctx, args)
	}})
}

const checkUsage = `
Usage: qdn check [--site DIR]

Validate qdn.yaml, every job, the content and the templates, and render every
page in memory, without writing anything. Every problem is listed with its
file, line and column, and a hint.
`

// Run checks the site.
func (c *CheckCommand) Run(ctx context.Context, args []string) error {
	fs := newFlags("check")
	siteFlag(fs, &c.Site)
	if err := c.parseFlags(fs, checkUsage, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	s, err := generator.Load(c.Site, generator.Options{Now: c.Now})
	if err != nil {
		return err
	}
	if _, err := generator.Render(s); err != nil {
		return err
	}
	fmt.Fprintf(c.Stderr, "qdn: ok: %d jobs (%d with a tracking page), %d services, %d pages\n",
		len(s.Jobs), len(s.LiveJobs()), len(s.Services), len(s.Pages))
	return nil
}
