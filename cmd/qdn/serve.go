package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/quickdumpnow/qdn/preview"
)

// ServeCommand is `qdn serve`.
type ServeCommand struct {
	*Main
	Site string
	Port int
	Bind string
	Poll time.Duration
}

func init() {
	register(command{name: "serve", summary: "preview the site with live reload and a dispatch dashboard", order: 5, run: func(m *Main, ctx context.Context, args []string) error {
		return (&ServeCommand{Main: m}).Run(ctx, args)
	}})
}

const serveUsage = `
Usage: qdn serve [--site DIR] [--port 1313] [--bind 127.0.0.1] [--poll DURATION]

Build the site at DIR and serve it as production does: pretty URLs and
redirects of the edge function, 404.html for unknown paths, and the headers
qdn sync gives each object. Every change to qdn.yaml, jobs/, content/ or
templates/ rebuilds what it affects, and open pages reload when they change.
A build error keeps the last good site up and shows the errors on every page
and here. The dispatch dashboard at /_qdn/ lists every job with its tracking
link.

The preview is built in memory: public/ is not written (run qdn build for
that). Stop it with Ctrl-C.

It listens on loopback only, since the dashboard shows every customer.
--bind 0.0.0.0 (or an address of this computer) lets other computers, such
as a phone on the same network, see the site's pages at this computer's
address (printed as Network:); their pages reload but are not shown build
errors. The dashboard then moves to a secret address, printed at start and
new on each run: anyone who has it sees every customer, so do not share it.
Every request must name the server by localhost, an address or, on a
network bind, this computer's host name; other names are refused, so that
no web page can read the preview through a name of its own.
`

// Run serves the site until ctx is cancelled.
func (c *ServeCommand) Run(ctx context.Context, args []string) error {
	fs := newFlags("serve")
	siteFlag(fs, &c.Site)
	fs.IntVar(&c.Port, "port", 1313, "the `port` to listen on; 0 picks a free one")
	fs.StringVar(&c.Bind, "bind", "127.0.0.1", "the `address` to listen on")
	fs.DurationVar(&c.Poll, "poll", 0, "poll the sources at this `interval` instead of watching for file system events")
	if err := c.parseFlags(fs, serveUsage, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	if c.Port < 0 || c.Port > 65535 {
		return &usageError{msg: fmt.Sprintf("--port %d is not a port", c.Port), hint: "use a number from 1 to 65535, or 0 for any free port"}
	}
	if net.ParseIP(c.Bind) == nil && c.Bind != "localhost" {
		return &usageError{msg: fmt.Sprintf("--bind %q is not an IP address", c.Bind), hint: "use 127.0.0.1 (this computer only) or 0.0.0.0 (every network)"}
	}
	if c.Poll < 0 {
		return &usageError{msg: fmt.Sprintf("--poll %s is negative", c.Poll), hint: "use an interval such as --poll 1s"}
	}
	srv := preview.NewServer(preview.Options{
		Dir:  c.Site,
		Addr: net.JoinHostPort(c.Bind, strconv.Itoa(c.Port)),
		Poll: c.Poll,
		Now:  c.Now,
		Log:  c.Stderr,
	})
	if err := srv.Open(ctx); err != nil {
		if errors.Is(err, errAddrInUse) {
			return withHint(fmt.Errorf("port %d on %s is already in use", c.Port, c.Bind),
				"stop the other server, or choose another port with --port (such as --port "+strconv.Itoa(c.Port+1)+")")
		}
		if errors.Is(err, errAddrNotAvail) {
			return withHint(err, "--bind takes an address of this computer, such as 127.0.0.1")
		}
		return err
	}
	fmt.Fprintf(c.Stdout, "Site:      %s\n", srv.URL())
	for _, u := range srv.NetworkURLs() {
		fmt.Fprintf(c.Stdout, "Network:   %s\n", u)
	}
	fmt.Fprintf(c.Stdout, "Dashboard: %s\n", srv.DashboardURL())
	if srv.Network() {
		fmt.Fprintf(c.Stderr, "qdn: warning: --bind %s lets other computers on the network see the site; the dashboard's address is secret, keep it to yourself\n", c.Bind)
	}
	how := "watching"
	if srv.Polling() {
		how = "polling"
	}
	fmt.Fprintf(c.Stderr, "qdn: serving %s, %s qdn.yaml, jobs/, content/ and templates/; press Ctrl-C to stop\n", c.Site, how)
	<-ctx.Done()
	fmt.Fprintln(c.Stderr, "qdn: stopping")
	if err := srv.Close(); err != nil {
		return fmt.Errorf("stop the preview: %w", err)
	}
	fmt.Fprintln(c.Stderr, "qdn: stopped")
	return nil
}
