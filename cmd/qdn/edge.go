package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/quickdumpnow/qdn/deploy"
	"github.com/quickdumpnow/qdn/generator"
)

// EdgeCommand is `qdn edge publish` and `qdn edge test`.
type EdgeCommand struct {
	*Main
	Site   string
	Env    string
	DryRun bool
}

func init() {
	register(command{name: "edge", summary: "test and publish the CloudFront Function (edge/rewrite.js)", order: 30, run: func(m *Main, ctx context.Context, args []string) error {
		return (&EdgeCommand{Main: m}).Run(ctx, args)
	}})
}

const edgeUsage = `
Usage: qdn edge publish --env NAME [--dry-run] [--site DIR]
       qdn edge test --env NAME [--site DIR]

publish brings the CloudFront Function of an environment (the function key
of the environment in qdn.yaml) to the code of edge/rewrite.js built into
qdn. It reads the version (ETag) of the function's DEVELOPMENT stage, or
creates the function; does nothing when DEVELOPMENT and LIVE already hold
this code; updates DEVELOPMENT with If-Match; runs every case of the edge
table with CloudFront's TestFunction; and publishes to LIVE with If-Match
only when every case passed. When the function changed since qdn read it,
CloudFront refuses the write, nothing is published, and running again is
safe. --dry-run prints the diff between LIVE and the local code on stdout
and changes nothing.

test updates DEVELOPMENT when it does not hold the local code yet and runs
every case on it; LIVE is left alone.

Credentials come from the standard AWS chain (environment, shared config,
SSO). The environment's profile is used unless the process environment
brings credentials of its own, as a CI job does. AWS_ENDPOINT_URL_CLOUDFRONT
points qdn at another server than CloudFront; the environment's endpoint
key names a storage server and is not used here. See docs/deploying.md.
`

// Run runs `qdn edge`.
func (c *EdgeCommand) Run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return &usageError{msg: "no edge command given", hint: "run 'qdn edge publish --env NAME' or 'qdn edge test --env NAME'"}
	}
	sub := args[0]
	fs := newFlags("edge")
	siteFlag(fs, &c.Site)
	fs.StringVar(&c.Env, "env", "", "the `environment` of qdn.yaml whose function to use, such as staging")
	switch sub {
	case "publish", "-h", "--help", "-help":
		fs.BoolVar(&c.DryRun, "dry-run", false, "publish only: print the diff between LIVE and the local code, and change nothing")
	case "test":
	default:
		return &usageError{msg: fmt.Sprintf("unknown edge command %q", sub), hint: "the edge commands are publish and test; run 'qdn help edge'"}
	}
	if sub != "publish" && sub != "test" {
		return c.parseFlags(fs, edgeUsage, []string{"--help"})
	}
	if err := c.parseFlags(fs, edgeUsage, args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected argument %q", fs.Arg(0))
	}
	cfg, err := generator.LoadConfig(c.Site)
	if err != nil {
		return err
	}
	env, err := c.environment(cfg)
	if err != nil {
		return err
	}
	target, err := c.open(ctx, env, 0)
	if err != nil {
		return err
	}
	fn, err := target.Function()
	if err != nil {
		return err
	}
	fn.Log = c.Stderr
	switch {
	case c.DryRun:
		return c.diff(ctx, fn)
	case sub == "test":
		_, err = fn.Test(ctx)
	default:
		var rep *deploy.FunctionReport
		rep, err = fn.Publish(ctx)
		if err == nil && rep.Published {
			fmt.Fprintf(c.Stderr, "qdn: %s now serves edge/rewrite.js (%d bytes) to %s\n", fn.Name, len(fn.Code), env.Name)
		}
	}
	return c.explain(err)
}

// environment finds the environment named by --env, with its function.
func (c *EdgeCommand) environment(cfg *generator.Config) (*generator.Environment, error) {
	names := strings.Join(cfg.EnvironmentNames(), ", ")
	if c.Env == "" {
		hint := "add environments to qdn.yaml, each with its function name"
		if names != "" {
			hint = "name one of the environments of qdn.yaml: " + names
		}
		return nil, &usageError{msg: "--env is required", hint: hint}
	}
	env := cfg.Environments[c.Env]
	if env == nil {
		hint := "qdn.yaml has no environments"
		if names != "" {
			hint = "the environments of qdn.yaml are " + names
		}
		return nil, &usageError{msg: fmt.Sprintf("unknown environment %q", c.Env), hint: hint}
	}
	if env.Function == "" {
		return nil, withHint(fmt.Errorf("environment %q has no function", env.Name),
			fmt.Sprintf("add environments.%s.function to qdn.yaml: the name of its CloudFront Function, such as qdn-rewrite", env.Name))
	}
	return env, nil
}

func (c *EdgeCommand) diff(ctx context.Context, fn *deploy.Function) error {
	d, err := fn.Diff(ctx)
	if err != nil {
		return c.explain(err)
	}
	if len(d) == 0 {
		fmt.Fprintf(c.Stderr, "qdn: dry run: LIVE of %s already holds edge/rewrite.js; nothing to publish\n", fn.Name)
		return nil
	}
	if _, err := c.Stdout.Write(d); err != nil {
		return err
	}
	fmt.Fprintf(c.Stderr, "qdn: dry run: publishing would change LIVE of %s as shown; nothing was changed\n", fn.Name)
	return nil
}

// explain adds the hint that goes with a failure of publish or test.
func (c *EdgeCommand) explain(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, deploy.ErrFunctionChanged):
		return withHint(err, "someone else changed the function meanwhile; compare LIVE with the local code using 'qdn edge publish --dry-run --env "+c.Env+"', then run again")
	case errors.As(err, new(*deploy.FunctionTestError)):
		return withHint(err, "the cases are in edge/cases.go; 'go test ./edge' runs them locally against edge/rewrite.js")
	}
	return err
}
