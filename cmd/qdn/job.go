package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/quickdumpnow/qdn/generator"
	"github.com/quickdumpnow/qdn/jobfile"
)

func init() {
	register(command{name: "job", summary: "create, advance, rotate, list, import and archive jobs", order: 20, run: func(m *Main, ctx context.Context, args []string) error {
		return m.runJob(ctx, args)
	}})
}

// jobCommand is one subcommand of `qdn job`.
type jobCommand struct {
	name    string
	summary string
	run     func(m *Main, ctx context.Context, args []string) error
}

// jobCommands are the subcommands of `qdn job`, in the order of a job's life.
var jobCommands = []jobCommand{
	{"new", "create a job; print its file, tracking link and a text message", func(m *Main, ctx context.Context, args []string) error {
		return (&JobNewCommand{Main: m}).Run(ctx, args)
	}},
	{"status", "move a job to another status and record it in the history", func(m *Main, ctx context.Context, args []string) error {
		return (&JobStatusCommand{Main: m}).Run(ctx, args)
	}},
	{"link", "print a job's tracking link and text message again", func(m *Main, ctx context.Context, args []string) error {
		return (&JobLinkCommand{Main: m}).Run(ctx, args)
	}},
	{"rotate", "give jobs new tokens; their old links stop working", func(m *Main, ctx context.Context, args []string) error {
		return (&JobRotateCommand{Main: m}).Run(ctx, args)
	}},
	{"list", "list the jobs as a table or as JSON", func(m *Main, ctx context.Context, args []string) error {
		return (&JobListCommand{Main: m}).Run(ctx, args)
	}},
	{"show", "show one job", func(m *Main, ctx context.Context, args []string) error {
		return (&JobShowCommand{Main: m}).Run(ctx, args)
	}},
	{"import", "import the old system's jobs.json", func(m *Main, ctx context.Context, args []string) error {
		return (&JobImportCommand{Main: m}).Run(ctx, args)
	}},
	{"archive", "move jobs that ended long ago to jobs/archive/", func(m *Main, ctx context.Context, args []string) error {
		return (&JobArchiveCommand{Main: m}).Run(ctx, args)
	}},
}

const jobUsage = `
Usage: qdn job <command> [flags] [arguments]

Create and edit the jobs in jobs/. The commands write the same YAML files
that qdn build reads, check them the same way, and keep what a person wrote in
them: comments, key order and layout. Tokens and times are never typed by
hand. Wherever a command takes an ID, any unique beginning of it will do
(job-20261121 when one job was booked that day).

Commands:
`

func (m *Main) jobUsage(w io.Writer) {
	fmt.Fprint(w, strings.TrimLeft(jobUsage, "\n"))
	for _, c := range jobCommands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun 'qdn job <command> --help' for a command's flags.\n")
}

// runJob runs the subcommand of `qdn job` named by args[0].
func (m *Main) runJob(ctx context.Context, args []string) error {
	if len(args) == 0 {
		m.jobUsage(m.Stderr)
		return &usageError{msg: "qdn job needs a command", hint: "run 'qdn job --help' for the list"}
	}
	switch args[0] {
	case "-h", "--help", "-help", "help":
		if len(args) > 1 && args[0] == "help" {
			return m.runJob(ctx, []string{args[1], "--help"})
		}
		m.jobUsage(m.Stderr)
		return flag.ErrHelp
	}
	for _, c := range jobCommands {
		if c.name == args[0] {
			return c.run(m, ctx, args[1:])
		}
	}
	return &usageError{msg: fmt.Sprintf("unknown command %q of qdn job", args[0]), hint: "run 'qdn job --help' for the list"}
}

// parseJobArgs parses flags that come before, between or after the
// positional arguments, as dispatchers type them (qdn job status JOB-1
// completed --note "Paid"), and returns the positional arguments. Everything
// after -- is positional.
func (m *Main) parseJobArgs(fs *flag.FlagSet, usage string, args []string) ([]string, error) {
	var pos []string
	for {
		if err := m.parseOnly(fs, usage, args); err != nil {
			var ue *usageError
			if errors.As(err, &ue) {
				ue.hint = "run 'qdn " + fs.Name() + " --help' for its flags"
			}
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, m.findSite(fs)
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(pos, rest...), m.findSite(fs)
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// siteFlag adds --site to fs.
func siteFlag(fs *flag.FlagSet, site *string) {
	fs.StringVar(site, "site", "", siteUsage)
}

// openJobs opens the job files of the site for editing, with the clock of
// the command.
func (m *Main) openJobs(site string) (*jobfile.Site, error) {
	return jobfile.Open(site, m.Now, nil)
}

// resolveJob turns what was typed for an id into the id of one job.
func resolveJob(js *jobfile.Site, query string) (string, error) {
	id, err := js.Resolve(query)
	return id, lookupError(err)
}

// lookupError adds the hint that goes with an error of looking a job up.
func lookupError(err error) error {
	var nf *jobfile.NotFoundError
	var amb *jobfile.AmbiguousError
	var ae *jobfile.ArchivedError
	var de *jobfile.DuplicateError
	switch {
	case errors.As(err, &nf):
		return withHint(err, "run 'qdn job list' to see the jobs")
	case errors.As(err, &amb):
		return withHint(err, "type more of the id")
	case errors.As(err, &ae):
		return withHint(err, ae.Hint())
	case errors.As(err, &de):
		return withHint(err, de.Hint())
	}
	return err
}

// jobError adds the hint that goes with errors of the job commands.
func jobError(err error, id string) error {
	var me *jobfile.MoveError
	var se *generator.ServiceError
	var ste *generator.StepError
	var de *jobfile.DuplicateError
	switch {
	case errors.As(err, &de):
		return withHint(err, de.Hint())
	case errors.As(err, &ste):
		return withHint(err, ste.Hint())
	case errors.As(err, &me) && me.From == me.To:
		return withHint(err, "'qdn job show "+id+"' shows its history")
	case errors.As(err, &me) && len(me.Allowed()) == 0:
		return withHint(err, "to reopen it, use --force; the history will say the move was forced")
	case errors.As(err, &me):
		return withHint(err, "to make this move anyway, add --force; the history will say it was forced")
	case errors.As(err, &se):
		return &usageError{msg: "--service: " + err.Error(), hint: se.Hint()}
	}
	return err
}

// printLink writes the tracking link of j and the text message to send.
func printLink(w io.Writer, cfg *generator.Config, j *generator.Job) {
	fmt.Fprintf(w, "%s\n\n%s\n", cfg.TrackURL(j.Token), cfg.TextMessage(j))
}
