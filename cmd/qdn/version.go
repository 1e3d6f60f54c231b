package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at link time by releases: -ldflags "-X main.version=v1.2.3".
var version = ""

// VersionCommand is `qdn version`.
type VersionCommand struct{ *Main }

func init() {
	register(command{name: "version", summary: "print the version of qdn", order: 99, run: func(m *Main, ctx context.Context, args []string) error {
		return (&VersionCommand{Main: m}).Run(ctx, args)
	}})
}

const versionUsage = `
Usage: qdn version

Print the version of qdn and of Go it was built with.
`

// Run prints the version.
func (c *VersionCommand) Run(ctx context.Context, args []string) error {
	fs := newFlags("version")
	if err := c.parseFlags(fs, versionUsage, args); err != nil {
		return err
	}
	v := version
	if v == "" {
		v = "devel"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
	}
	fmt.Fprintf(c.Stdout, "qdn %s %s\n", v, runtime.Version())
	return nil
}
