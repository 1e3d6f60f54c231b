package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version and commit are set at link time by scripts/release.sh:
// -ldflags "-X main.version=v1.2.3 -X main.commit=<hash>". Without them qdn
// reports what the Go toolchain recorded: the module version of go install
// ...@v1.2.3, the commit of a build from a clone.
var (
	version = ""
	commit  = ""
)

// VersionCommand is `qdn version`.
type VersionCommand struct{ *Main }

func init() {
	register(command{name: "version", summary: "print the version of qdn", order: 99, run: func(m *Main, ctx context.Context, args []string) error {
		return (&VersionCommand{Main: m}).Run(ctx, args)
	}})
}

const versionUsage = `
Usage: qdn version
       qdn --version

Print the version of qdn, the commit it was built from and the version of Go
that built it, such as:

  qdn v1.2.0 (commit 6598c16d2f0a, go1.26.8 darwin/arm64)
`

// Run prints the version.
func (c *VersionCommand) Run(ctx context.Context, args []string) error {
	fs := newFlags("version")
	if err := c.parseFlags(fs, versionUsage, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	v, rev := version, commit
	bi, ok := debug.ReadBuildInfo()
	if v == "" {
		v = "devel"
		if ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
	}
	if rev == "" && ok {
		modified := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" && modified {
			rev += " with local changes"
		}
	}
	if rev == "" {
		rev = "unknown"
	}
	fmt.Fprintf(c.Stdout, "qdn %s (commit %s, %s %s/%s)\n", v, rev, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}
