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

Validate qdn.yaml, every job, the content and the templates, render every
page in memory and check that no page shows a token or a private value, as a
build does, without writing anything. Every problem is listed with its file,
line and column, and a hint. Warnings (a status moved forward by hand with no
history entry, a history entry in the future, a private value too short to
check) are listed too, and do not fail the check.
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
	s, err := generator.Load(ctx, c.Site, generator.Options{Now: c.Now})
	if err != nil {
		return err
	}
	out, err := generator.Render(ctx, s)
	if err != nil {
		return err
	}
	if err := generator.CheckPrivacy(s, out); err != nil {
		return err
	}
	for _, w := range s.Warnings() {
		fmt.Fprintf(c.Stderr, "qdn: warning: %s\n", w.Error())
		if w.Hint != "" {
			fmt.Fprintf(c.Stderr, "    hint: %s\n", w.Hint)
		}
	}
	fmt.Fprintf(c.Stderr, "qdn: ok: %d jobs (%d with a tracking page), %d services, %d pages\n",
		len(s.Jobs), len(s.LiveJobs()), len(s.Services), len(s.Pages))
	return nil
}
