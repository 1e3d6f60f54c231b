package main

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/quickdumpnow/qdn/internal/cffunctions"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestEdgeScripts runs the scenarios of testdata/edge: qdn edge against a
// CloudFront Functions stand-in started for each script. The stand-in
// speaks CloudFront's REST-XML API, reached through
// AWS_ENDPOINT_URL_CLOUDFRONT with credentials from the environment, the
// way a CI job reaches CloudFront. `cflive NAME FILE` makes FILE the code of
// function NAME on both stages, as an earlier publish would have; `cfrace
// NAME FILE` makes another deployer store FILE in DEVELOPMENT just before
// qdn's next UpdateFunction of NAME.
func TestEdgeScripts(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	var servers sync.Map // work directory → *cffunctions.Server
	testscript.Run(t, testscript.Params{
		Dir: "testdata/edge",
		Setup: func(env *testscript.Env) error {
			srv := &cffunctions.Server{}
			if err := srv.Open(); err != nil {
				return err
			}
			env.Defer(func() { _ = srv.Close() })
			servers.Store(env.WorkDir, srv)
			// The example's environments name the profile quickdumpnow;
			// the shared config holds it, and the credentials come from
			// the environment, as in CI.
			awsConfig := filepath.Join(env.WorkDir, ".aws-config")
			if err := os.WriteFile(awsConfig, []byte("[profile quickdumpnow]\nregion = us-west-2\n"), 0o644); err != nil {
				return err
			}
			env.Setenv("AWS_CONFIG_FILE", awsConfig)
			env.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(env.WorkDir, ".aws-credentials"))
			env.Setenv("AWS_ACCESS_KEY_ID", "AKIDQDNTEST")
			env.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
			env.Setenv("AWS_ENDPOINT_URL_CLOUDFRONT", srv.URL)
			env.Setenv("NO_COLOR", "1")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"example": cmdExample(root),
			"cflive": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 2 {
					ts.Fatalf("usage: cflive NAME FILE")
				}
				v, _ := servers.Load(ts.Getenv("WORK"))
				srv := v.(*cffunctions.Server)
				srv.Put(args[0], []byte(ts.ReadFile(args[1])))
				srv.Publish(args[0])
			},
			"cfrace": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 2 {
					ts.Fatalf("usage: cfrace NAME FILE")
				}
				v, _ := servers.Load(ts.Getenv("WORK"))
				srv := v.(*cffunctions.Server)
				code := []byte(ts.ReadFile(args[1]))
				var once sync.Once
				srv.SetHook(func(op, name string) {
					if op == "UpdateFunction" && name == args[0] {
						once.Do(func() { srv.Put(name, code) })
					}
				})
			},
		},
	})
}
