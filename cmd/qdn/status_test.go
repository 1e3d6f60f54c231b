package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/quickdumpnow/qdn/deploy"
	"github.com/quickdumpnow/qdn/internal/cffunctions"
	"github.com/quickdumpnow/qdn/internal/testenv"
)

// TestStatusScripts runs the scenarios of testdata/status against moto's
// S3, CloudFront and CloudWatch on loopback, and a CloudFront Functions
// stand-in per script: one CloudFront endpoint sends the Functions API to
// the stand-in and the rest (distributions, invalidations) to moto, as
// CloudFront's one endpoint serves both. `statusenv` gives the script a
// bucket, a distribution and a function name of its own and points
// qdn.yaml's staging environment at them ($BUCKET, $DIST, $FUNCTION); `metric DIST|FUNCTION NAME VALUE
// AGO` stores a data point of CloudFront's metric NAME, as CloudFront
// publishes it, for the staging distribution or function, AGO before the
// scripts' clock (testNow);
// `putobject KEY TEXT` writes an object to $BUCKET behind qdn's back;
// `replace FILE OLD NEW` edits a file; `denymetrics` makes qdn's
// credentials those of a role that may not read CloudWatch, and sends its
// CloudWatch requests to a moto server that checks IAM; `denyedge` makes
// the CloudFront Functions stand-in refuse GetFunction, as CloudFront
// refuses a role without cloudfront:GetFunction.
func TestStatusScripts(t *testing.T) {
	root := repoRoot(t)
	moto := testenv.Moto(t)
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.BaseEndpoint, o.UsePathStyle = aws.String(moto), true })
	cf := cloudfront.NewFromConfig(cfg, func(o *cloudfront.Options) { o.BaseEndpoint = aws.String(moto) })
	cw := cloudwatch.NewFromConfig(cfg, deploy.CloudWatchOptions, func(o *cloudwatch.Options) { o.BaseEndpoint = aws.String(moto) })
	motoURL, err := url.Parse(moto)
	if err != nil {
		t.Fatal(err)
	}
	// A CloudWatch that checks IAM, for a role without GetMetricData (moto
	// calls it monitoring:GetMetricData).
	deniedCW, deniedKey, deniedSecret := testenv.MotoIAM(t, `{"Version": "2012-10-17", "Statement": [
		{"Effect": "Allow", "Action": ["s3:*", "cloudfront:*"], "Resource": "*"}]}`)
	var functions sync.Map // work directory → *cffunctions.Server
	testscript.Run(t, testscript.Params{
		Dir: "testdata/status",
		Setup: func(env *testscript.Env) error {
			srv := &cffunctions.Server{}
			if err := srv.Open(); err != nil {
				return err
			}
			env.Defer(func() { _ = srv.Close() })
			functions.Store(env.WorkDir, srv)
			fnURL, err := url.Parse(srv.URL)
			if err != nil {
				return err
			}
			toMoto, toFunctions := httputil.NewSingleHostReverseProxy(motoURL), httputil.NewSingleHostReverseProxy(fnURL)
			router := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(r.URL.Path, "/2020-05-31/function") {
					toFunctions.ServeHTTP(w, r)
					return
				}
				toMoto.ServeHTTP(w, r)
			}))
			env.Defer(router.Close)
			awsScriptEnv(env, moto, router.URL)
			env.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH", moto)
			env.Setenv("QDN_CACHE_DIR", env.WorkDir+"/.cache/qdn")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"example": cmdExample(root),
			"statusenv": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 0 {
					ts.Fatalf("usage: statusenv")
				}
				bucket, dist := newEnvironment(ts, s3c, cf, "qdn-status")
				cfgFile := ts.MkAbs("qdn.yaml")
				src, err := os.ReadFile(cfgFile)
				ts.Check(err)
				src = bytes.Replace(src, []byte("quickdumpnow-staging"), []byte(bucket), 1)
				src = bytes.Replace(src, []byte("E2QDNSTAGING01"), []byte(dist), 1)
				// The metrics of a function are keyed by its name alone.
				function := "qdn-rewrite-" + strings.TrimPrefix(bucket, "qdn-status-")
				src = bytes.Replace(src, []byte("qdn-rewrite-staging"), []byte(function), 1)
				ts.Setenv("FUNCTION", function)
				ts.Check(os.WriteFile(cfgFile, src, 0o644))
				ts.Setenv("BUCKET", bucket)
				ts.Setenv("DIST", dist)
			},
			"metric": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 4 || (args[0] != "DIST" && args[0] != "FUNCTION") {
					ts.Fatalf("usage: metric DIST|FUNCTION NAME VALUE AGO")
				}
				v, err := strconv.ParseFloat(args[2], 64)
				ts.Check(err)
				ago, err := time.ParseDuration(args[3])
				ts.Check(err)
				dim := cwtypes.Dimension{Name: aws.String("DistributionId"), Value: aws.String(ts.Getenv("DIST"))}
				if args[0] == "FUNCTION" {
					dim = cwtypes.Dimension{Name: aws.String("FunctionName"), Value: aws.String(ts.Getenv("FUNCTION"))}
				}
				_, err = cw.PutMetricData(context.Background(), &cloudwatch.PutMetricDataInput{Namespace: aws.String("AWS/CloudFront"),
					MetricData: []cwtypes.MetricDatum{{MetricName: aws.String(args[1]), Value: aws.Float64(v), Timestamp: aws.Time(testNow.Add(-ago)),
						Dimensions: []cwtypes.Dimension{dim, {Name: aws.String("Region"), Value: aws.String("Global")}}}}})
				if err != nil {
					ts.Fatalf("PutMetricData: %v", err)
				}
			},
			"replace": cmdReplace,
			"denymetrics": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 0 {
					ts.Fatalf("usage: denymetrics")
				}
				ts.Setenv("AWS_ACCESS_KEY_ID", deniedKey)
				ts.Setenv("AWS_SECRET_ACCESS_KEY", deniedSecret)
				ts.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH", deniedCW)
			},
			"denyedge": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 0 {
					ts.Fatalf("usage: denyedge")
				}
				v, ok := functions.Load(ts.Getenv("WORK"))
				if !ok {
					ts.Fatalf("no CloudFront Functions stand-in for %s", ts.Getenv("WORK"))
				}
				v.(*cffunctions.Server).Deny("GetFunction")
			},
			"putobject": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 2 {
					ts.Fatalf("usage: putobject KEY TEXT")
				}
				_, err := s3c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(ts.Getenv("BUCKET")),
					Key: aws.String(args[0]), Body: strings.NewReader(args[1])})
				ts.Check(err)
			},
		},
	})
}
