// Command qdn builds QuickDumpNow's site from jobs, content and templates,
// and deploys it. Run `qdn help` for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/quickdumpnow/qdn/generator"

	// Time zones come with the binary, so every machine renders the same
	// times whatever its own zone database holds.
	_ "time/tzdata"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs qdn with args and returns the exit code: 0 ok, 1 failure, 2 usage.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	m := &Main{Stdout: stdout, Stderr: stderr, Now: time.Now}
	return m.report(m.Run(ctx, args))
}

// Main holds what every command shares: where it writes and the clock.
type Main struct {
	Stdout io.Writer
	Stderr io.Writer
	Now    func() time.Time
	// Writes is set by the commands that write to the site, whose errors
	// then say that nothing was written.
	Writes bool
}

// CacheDir returns where builds keep their cache: $QDN_CACHE_DIR, else a
// qdn directory in the user's cache directory.
func (m *Main) CacheDir() string {
	if d := os.Getenv("QDN_CACHE_DIR"); d != "" {
		return d
	}
	return generator.DefaultCacheDir()
}

// command is one subcommand. Each subcommand's file registers itself with
// register in an init function.
type command struct {
	name    string
	summary string
	// order places the command in `qdn help`.
	order int
	run   func(m *Main, ctx context.Context, args []string) error
}

var commands []command

func register(c command) {
	commands = append(commands, c)
	sort.SliceStable(commands, func(i, j int) bool { return commands[i].order < commands[j].order })
}

func init() {
	register(command{name: "help", summary: "show help for a command", order: 100, run: func(m *Main, ctx context.Context, args []string) error {
		return m.help(args)
	}})
}

// Run runs the subcommand named by args[0].
func (m *Main) Run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		m.usage(m.Stderr)
		return usageErrorf("no command given")
	}
	name := args[0]
	switch name {
	case "-h", "--help", "-help":
		m.usage(m.Stdout)
		return nil
	case "--version", "-version":
		return (&VersionCommand{Main: m}).Run(ctx, args[1:])
	}
	for _, c := range commands {
		if c.name == name {
			return c.run(m, ctx, args[1:])
		}
	}
	return &usageError{msg: fmt.Sprintf("unknown command %q", name), hint: "run 'qdn help' for the list of commands"}
}

func (m *Main) usage(w io.Writer) {
	fmt.Fprintf(w, "qdn builds and deploys the QuickDumpNow site.\n\nUsage:\n\n  qdn <command> [flags]\n\nCommands:\n\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'qdn help <command>' or 'qdn <command> --help' for a command's flags.\n")
}

func (m *Main) help(args []string) error {
	if len(args) == 0 {
		m.usage(m.Stdout)
		return nil
	}
	for _, c := range commands {
		if c.name == args[0] && c.name != "help" {
			saved := m.Stderr
			m.Stderr = m.Stdout
			defer func() { m.Stderr = saved }()
			// qdn help job new is qdn job new --help.
			err := c.run(m, context.Background(), append(args[1:len(args):len(args)], "--help"))
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return err
		}
	}
	if args[0] == "help" {
		m.usage(m.Stdout)
		return nil
	}
	return &usageError{msg: fmt.Sprintf("unknown command %q", args[0]), hint: "run 'qdn help' for the list of commands"}
}

// usageError is a mistake in how qdn was called; it exits with code 2.
type usageError struct {
	msg  string
	hint string
}

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// hintError is a failure with a suggestion of what to do about it.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

func withHint(err error, hint string) error { return &hintError{err: err, hint: hint} }

// interrupted is a command stopped by Ctrl-C: msg says what it leaves.
type interrupted struct {
	err error
	msg string
}

func (e *interrupted) Error() string { return e.msg }
func (e *interrupted) Unwrap() error { return e.err }

// report prints err to m.Stderr the way qdn prints errors and returns the
// exit code.
func (m *Main) report(err error) int {
	w := m.Stderr
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if list := generator.Errors(err); list != nil {
		fmt.Fprint(w, list.Format())
		noun := "errors"
		if len(list) == 1 {
			noun = "error"
		}
		fmt.Fprintf(w, "qdn: error: %d %s in the site's sources", len(list), noun)
		if m.Writes {
			fmt.Fprint(w, "; nothing was written")
		}
		fmt.Fprintln(w)
		return 1
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(w, "qdn: error: %s\n", ue.msg)
		if ue.hint != "" {
			fmt.Fprintf(w, "qdn: hint: %s\n", ue.hint)
		}
		return 2
	}
	msg := strings.TrimSpace(err.Error())
	if err == context.Canceled {
		msg = "interrupted"
	}
	fmt.Fprintf(w, "qdn: error: %s\n", msg)
	var he *hintError
	var hinter interface{ Hint() string }
	if errors.As(err, &he) {
		fmt.Fprintf(w, "qdn: hint: %s\n", he.hint)
	} else if errors.As(err, &hinter) {
		fmt.Fprintf(w, "qdn: hint: %s\n", hinter.Hint())
	}
	if errors.Is(err, context.Canceled) {
		return 130
	}
	return 1
}

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args, printing the usage on --help and turning flag
// errors into usage errors, then finds the site when fs has --site and it
// was not given.
func (m *Main) parseFlags(fs *flag.FlagSet, usage string, args []string) error {
	if err := m.parseOnly(fs, usage, args); err != nil {
		return err
	}
	return m.findSite(fs)
}

// parseOnly is parseFlags without finding the site.
func (m *Main) parseOnly(fs *flag.FlagSet, usage string, args []string) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(m.Stderr, strings.TrimSpace(usage))
		printFlags(m.Stderr, fs)
		return err
	}
	if err != nil {
		return &usageError{msg: dashDash(err.Error()), hint: "run 'qdn help " + fs.Name() + "' for its flags"}
	}
	return nil
}

// printFlags prints the flags of fs under a Flags: heading, each as --name
// the way qdn's help and errors write them; nothing when fs has none.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	first := true
	fs.VisitAll(func(f *flag.Flag) {
		if first {
			fmt.Fprint(w, "\nFlags:\n")
			first = false
		}
		name, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		fmt.Fprintf(w, "%s\n    \t%s", line, strings.ReplaceAll(usage, "\n", "\n    \t"))
		switch f.DefValue {
		case "", "false", "0", "0s":
		default:
			if g, ok := f.Value.(flag.Getter); ok {
				if _, ok := g.Get().(string); ok {
					fmt.Fprintf(w, " (default %q)", f.DefValue)
					break
				}
			}
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}

// dashDash rewrites the flag package's "-name" in a parse error as "--name".
func dashDash(msg string) string {
	return singleDash.ReplaceAllString(msg, "$1--$2")
}

var singleDash = regexp.MustCompile(`(: |flag )-([^-])`)
