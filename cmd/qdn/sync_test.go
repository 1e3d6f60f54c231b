package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/quickdumpnow/qdn/deploy"
	"github.com/quickdumpnow/qdn/edge"
	"github.com/quickdumpnow/qdn/generator"
	"github.com/quickdumpnow/qdn/internal/testenv"
)

// TestSyncScripts runs the scenarios of testdata/sync against moto's S3
// and CloudFront on loopback. `awsenv [production]` gives the script a
// bucket and a distribution of its own and points qdn.yaml's staging
// environment at them ($BUCKET, $DIST), or its production environment
// ($PRODUCTION_BUCKET, $PRODUCTION_DIST); `bucket [NAME]` prints every
// object of $BUCKET or NAME with its headers; `invalidations [DIST]` prints
// the paths of each invalidation of $DIST or DIST; `replace FILE OLD NEW`
// edits a file; `lock HOLDER AGE ENDS_IN` writes the lock as a sync on
// another machine that started AGE ago, and whose lease ends in ENDS_IN (a
// negative duration: ended), left it. `slowputs DELAY` makes each upload of
// a site object to $BUCKET take DELAY, and `waitputs N` waits until N such
// uploads went through since. qdn's leases last three seconds in the scripts.
func TestSyncScripts(t *testing.T) {
	root := repoRoot(t)
	endpoint := testenv.Moto(t)
	slow := newSlowS3(t, endpoint)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint, o.UsePathStyle = aws.String(endpoint), true })
	cf := cloudfront.NewFromConfig(cfg, func(o *cloudfront.Options) { o.BaseEndpoint = aws.String(endpoint) })
	testscript.Run(t, testscript.Params{
		Dir: "testdata/sync",
		Setup: func(env *testscript.Env) error {
			env.Setenv("QDN_REPO", root)
			awsScriptEnv(env, slow.URL, endpoint)
			env.Setenv("QDN_TEST_LEASE_TTL", "3s")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"example": cmdExample(root),
			"awsenv": func(ts *testscript.TestScript, neg bool, args []string) {
				// The bucket and distribution id of each environment in the
				// example qdn.yaml.
				placeholders := map[string][2]string{
					"staging":    {"quickdumpnow-staging", "E2QDNSTAGING01"},
					"production": {"quickdumpnow-site", "E1QDNPRODUCT01"},
				}
				name := "staging"
				if len(args) == 1 {
					name = args[0]
				}
				ph, ok := placeholders[name]
				if len(args) > 1 || !ok {
					ts.Fatalf("usage: awsenv [production]")
				}
				bucket, dist := newEnvironment(ts, s3c, cf, "qdn-cli")
				cfgFile := ts.MkAbs("qdn.yaml")
				src, err := os.ReadFile(cfgFile)
				if err != nil {
					ts.Fatalf("%v", err)
				}
				src = bytes.Replace(src, []byte(ph[0]), []byte(bucket), 1)
				src = bytes.Replace(src, []byte(ph[1]), []byte(dist), 1)
				if err := os.WriteFile(cfgFile, src, 0o644); err != nil {
					ts.Fatalf("%v", err)
				}
				if name == "production" {
					ts.Setenv("PRODUCTION_BUCKET", bucket)
					ts.Setenv("PRODUCTION_DIST", dist)
					return
				}
				ts.Setenv("BUCKET", bucket)
				ts.Setenv("DIST", dist)
			},
			"bucket": func(ts *testscript.TestScript, neg bool, args []string) {
				w := ts.Stdout() // an empty bucket prints nothing, and stdout says so
				ctx := context.Background()
				bucket := ts.Getenv("BUCKET")
				if len(args) == 1 {
					bucket = args[0]
				}
				list, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
				if err != nil {
					ts.Fatalf("list: %v", err)
				}
				for _, o := range list.Contents {
					h, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: o.Key})
					if err != nil {
						ts.Fatalf("head: %v", err)
					}
					fmt.Fprintf(w, "%s | %s | %s\n", aws.ToString(o.Key), aws.ToString(h.ContentType), aws.ToString(h.CacheControl))
				}
			},
			"invalidations": func(ts *testscript.TestScript, neg bool, args []string) {
				w := ts.Stdout()
				ctx := context.Background()
				dist := aws.String(ts.Getenv("DIST"))
				if len(args) == 1 {
					dist = aws.String(args[0])
				}
				list, err := cf.ListInvalidations(ctx, &cloudfront.ListInvalidationsInput{DistributionId: dist})
				if err != nil {
					ts.Fatalf("list invalidations: %v", err)
				}
				for _, s := range list.InvalidationList.Items {
					inv, err := cf.GetInvalidation(ctx, &cloudfront.GetInvalidationInput{DistributionId: dist, Id: s.Id})
					if err != nil {
						ts.Fatalf("%v", err)
					}
					paths := inv.Invalidation.InvalidationBatch.Paths.Items
					sort.Strings(paths)
					fmt.Fprintf(w, "invalidation %s\n", strings.Join(paths, " "))
				}
			},
			"replace": cmdReplace,
			"lock": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 3 {
					ts.Fatalf("usage: lock HOLDER AGE ENDS_IN")
				}
				age, err := time.ParseDuration(args[1])
				if err != nil {
					ts.Fatalf("%v", err)
				}
				endsIn, err := time.ParseDuration(args[2])
				if err != nil {
					ts.Fatalf("%v", err)
				}
				now := time.Now().UTC().Truncate(time.Second)
				body, _ := json.Marshal(deploy.Lock{Holder: args[0], Host: "laptop", Machine: "laptop", PID: 4242,
					Since: now.Add(-age), Expires: now.Add(endsIn)})
				_, err = s3c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(ts.Getenv("BUCKET")),
					Key: aws.String(deploy.LockKey), Body: bytes.NewReader(body)})
				if err != nil {
					ts.Fatalf("lock: %v", err)
				}
			},
			"slowputs": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 {
					ts.Fatalf("usage: slowputs DELAY")
				}
				d, err := time.ParseDuration(args[0])
				ts.Check(err)
				slow.setDelay(ts.Getenv("BUCKET"), d)
			},
			"waitputs": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 {
					ts.Fatalf("usage: waitputs N")
				}
				n, err := strconv.Atoi(args[0])
				ts.Check(err)
				deadline := time.Now().Add(time.Minute)
				for slow.puts(ts.Getenv("BUCKET")) < n {
					if time.Now().After(deadline) {
						ts.Fatalf("%d uploads after a minute; want %d", slow.puts(ts.Getenv("BUCKET")), n)
					}
					time.Sleep(10 * time.Millisecond)
				}
			},
		},
	})
}

// init reads the lease settings a script gives qdn: a short lease, so that
// a sync that died on another runner is taken over in seconds, and the
// name of the machine, to play such a runner.
func init() {
	if d, err := time.ParseDuration(os.Getenv("QDN_TEST_LEASE_TTL")); err == nil {
		leaseTTL = d
	}
	lockMachine = os.Getenv("QDN_TEST_MACHINE")
}

// slowS3 is a reverse proxy in front of an S3 server that delays the
// uploads of site objects to the buckets it is told, and counts those
// that completed: a script can stop a sync in the middle of its uploads.
type slowS3 struct {
	URL string

	mu     sync.Mutex
	delay  map[string]time.Duration
	counts map[string]int
}

func newSlowS3(t *testing.T, target string) *slowS3 {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	s := &slowS3{delay: map[string]time.Duration{}, counts: map[string]int{}}
	proxy := httputil.NewSingleHostReverseProxy(u)
	// A killed sync leaves requests behind; they are no news.
	proxy.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) { w.WriteHeader(http.StatusBadGateway) }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		site := r.Method == http.MethodPut && key != "" && !strings.Contains(key, ".qdn/")
		if site {
			s.mu.Lock()
			d := s.delay[bucket]
			s.mu.Unlock()
			time.Sleep(d)
		}
		proxy.ServeHTTP(w, r)
		if site {
			s.mu.Lock()
			s.counts[bucket]++
			s.mu.Unlock()
		}
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

func (s *slowS3) setDelay(bucket string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay[bucket] = d
	s.counts[bucket] = 0
}

func (s *slowS3) puts(bucket string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[bucket]
}

// newEnvironment makes a bucket named prefix and a random suffix, and a
// CloudFront distribution in front of it, for one script's environment.
func newEnvironment(ts *testscript.TestScript, s3c *s3.Client, cf *cloudfront.Client, prefix string) (bucket, dist string) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	bucket = prefix + "-" + hex.EncodeToString(b)
	ctx := context.Background()
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		ts.Fatalf("create bucket: %v", err)
	}
	out, err := cf.CreateDistribution(ctx, &cloudfront.CreateDistributionInput{DistributionConfig: &cftypes.DistributionConfig{
		CallerReference: aws.String(bucket), Comment: aws.String(prefix + " test"), Enabled: aws.Bool(true),
		Origins: &cftypes.Origins{Quantity: aws.Int32(1), Items: []cftypes.Origin{{
			Id: aws.String("s3"), DomainName: aws.String(bucket + ".s3.amazonaws.com"),
			S3OriginConfig: &cftypes.S3OriginConfig{OriginAccessIdentity: aws.String("")},
		}}},
		DefaultCacheBehavior: &cftypes.DefaultCacheBehavior{TargetOriginId: aws.String("s3"),
			ViewerProtocolPolicy: cftypes.ViewerProtocolPolicyRedirectToHttps,
			CachePolicyId:        aws.String("658327ea-f89d-4fab-a63d-7e88639e58f6")},
	}})
	if err != nil {
		ts.Fatalf("create distribution: %v", err)
	}
	return bucket, aws.ToString(out.Distribution.Id)
}

// awsScriptEnv gives a script the local servers' credentials and endpoints
// for S3 and CloudFront, and nothing of this machine's AWS set-up: no
// profile, configuration file or instance metadata.
func awsScriptEnv(env *testscript.Env, s3URL, cloudfrontURL string) {
	env.Setenv("NO_COLOR", "1")
	env.Setenv("HOME", env.WorkDir)
	env.Setenv("AWS_ACCESS_KEY_ID", "test")
	env.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	env.Setenv("AWS_ENDPOINT_URL_S3", s3URL)
	env.Setenv("AWS_ENDPOINT_URL_CLOUDFRONT", cloudfrontURL)
	env.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for _, k := range []string{"AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"} {
		env.Setenv(k, "")
	}
}

// TestPrintPlanJSON checks that the plan streamed into --json's output,
// of a dry run and of a sync applied, leaves it as encoding it whole
// does.
func TestPrintPlanJSON(t *testing.T) {
	h := generator.Headers{ContentType: "text/html; charset=utf-8", CacheControl: generator.CacheHTML}
	var files []deploy.File
	for _, p := range []string{"index.html", "a&b/<x>.html", "track/t1/index.html"} {
		files = append(files, deploy.NewFile(p, []byte(p), h))
	}
	remote := []deploy.Object{{Key: "site/gone.html", Size: 3, ETag: "e"}}
	plan, err := deploy.NewPlan(files, remote, nil, nil, deploy.PlanOptions{Prefix: "site/", ViewerURIs: edge.ViewerURIs, MaxPaths: 100, MaxDeletes: 10, Invalidate: true})
	if err != nil {
		t.Fatal(err)
	}
	result := &deploy.Result{Plan: plan, Uploaded: 3, UploadedBytes: 40, Deleted: 1, InvalidationID: "I1"}
	type dryRun struct {
		Env    string `json:"env"`
		DryRun bool   `json:"dry_run"`
		Plan   any    `json:"plan"`
	}
	type applied struct {
		Env  string    `json:"env"`
		Took syncTimes `json:"took"`
		Plan any       `json:"plan"`
		*deploy.Result
	}
	for _, tc := range []struct {
		name        string
		whole, slot any
		plan        *deploy.Plan
	}{
		{"dry run", dryRun{"staging", true, plan}, dryRun{"staging", true, planSlot{}}, plan},
		{"applied", struct {
			Env  string    `json:"env"`
			Took syncTimes `json:"took"`
			*deploy.Result
		}{"staging", syncTimes{Build: 1.5}, result}, applied{"staging", syncTimes{Build: 1.5}, planSlot{}, result}, plan},
		{"no plan", dryRun{"staging", true, nil}, dryRun{"staging", true, planSlot{}}, nil},
	} {
		var want, got bytes.Buffer
		if err := (&deployFlags{Main: &Main{Stdout: &want}}).printJSON(tc.whole); err != nil {
			t.Fatal(err)
		}
		if err := (&deployFlags{Main: &Main{Stdout: &got}}).printPlanJSON(tc.slot, tc.plan); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("%s: printPlanJSON printed\n%s\nwant, as printJSON prints it whole:\n%s", tc.name, got.String(), want.String())
		}
	}
}
