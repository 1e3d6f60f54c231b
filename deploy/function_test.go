package deploy

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/google/go-cmp/cmp"

	"github.com/quickdumpnow/qdn/edge"
	"github.com/quickdumpnow/qdn/internal/cffunctions"
)

const testFunctionName = "qdn-rewrite-test"

// oldCode is a previous version of the function: it rewrites directories
// but knows nothing of the redirects.
var oldCode = []byte(`function handler(event) {
    var r = event.request;
    if (r.uri.endsWith('/')) { r.uri += 'index.html'; }
    return r;
}
`)

// startFunctions starts the stand-in and returns it with a Function of the
// embedded code and cases whose client talks to it.
func startFunctions(t *testing.T) (*cffunctions.Server, *Function) {
	t.Helper()
	srv := &cffunctions.Server{}
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	client := cloudfront.New(cloudfront.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDQDNTEST", "secret", ""),
	})
	var log bytes.Buffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log:\n%s", log.String())
		}
	})
	return srv, &Function{Client: client, Name: testFunctionName, Code: edge.Code(), Cases: edge.Cases(), Log: &log}
}

// ops returns the operations the stand-in served, without function names.
func ops(srv *cffunctions.Server) []string {
	var out []string
	for _, c := range srv.Calls() {
		out = append(out, strings.Replace(c, " "+testFunctionName, "", 1))
	}
	return out
}

func countOp(srv *cffunctions.Server, op string) int {
	n := 0
	for _, c := range ops(srv) {
		if strings.HasPrefix(c, op) {
			n++
		}
	}
	return n
}

func code(t *testing.T, srv *cffunctions.Server, stage string) string {
	t.Helper()
	b, ok := srv.Code(testFunctionName, stage)
	if !ok {
		return "(none)"
	}
	return string(b)
}

func TestPublishCreatesTheFunction(t *testing.T) {
	srv, fn := startFunctions(t)
	rep, err := fn.Publish(context.Background())
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if !rep.Created || rep.Updated || !rep.Published || rep.UpToDate {
		t.Errorf("Publish report = %+v; want created and published", rep)
	}
	if got, want := len(rep.Tests), len(edge.Cases()); got != want || rep.Failed() != 0 {
		t.Errorf("ran %d cases with %d failures; want %d passing", got, rep.Failed(), want)
	}
	if u := rep.MaxComputeUtilization(); u < 1 || u > 100 {
		t.Errorf("MaxComputeUtilization = %d; want a percentage", u)
	}
	if got := code(t, srv, cffunctions.Live); got != string(edge.Code()) {
		t.Errorf("LIVE holds %q; want rewrite.js", got)
	}
	want := []string{"DescribeFunction DEVELOPMENT", "CreateFunction"}
	for range edge.Cases() {
		want = append(want, "TestFunction")
	}
	want = append(want, "PublishFunction")
	if diff := cmp.Diff(want, ops(srv)); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestPublishUnchangedIsNoOp(t *testing.T) {
	srv, fn := startFunctions(t)
	if _, err := fn.Publish(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := len(srv.Calls())
	rep, err := fn.Publish(context.Background())
	if err != nil {
		t.Fatalf("second Publish: %v", err)
	}
	if !rep.UpToDate || rep.Updated || rep.Published || len(rep.Tests) != 0 {
		t.Errorf("second Publish report = %+v; want up to date and nothing done", rep)
	}
	got := ops(srv)[before:]
	want := []string{"DescribeFunction DEVELOPMENT", "GetFunction DEVELOPMENT", "GetFunction LIVE"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("calls of the second publish (-want +got):\n%s", diff)
	}
}

func TestPublishUpdatesAndPublishes(t *testing.T) {
	srv, fn := startFunctions(t)
	srv.Put(testFunctionName, oldCode)
	srv.Publish(testFunctionName)
	rep, err := fn.Publish(context.Background())
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if rep.Created || !rep.Updated || !rep.Published {
		t.Errorf("Publish report = %+v; want updated and published", rep)
	}
	if got := code(t, srv, cffunctions.Live); got != string(edge.Code()) {
		t.Errorf("LIVE holds %q; want rewrite.js", got)
	}
	want := []string{"DescribeFunction DEVELOPMENT", "GetFunction DEVELOPMENT", "UpdateFunction"}
	for range edge.Cases() {
		want = append(want, "TestFunction")
	}
	want = append(want, "PublishFunction")
	if diff := cmp.Diff(want, ops(srv)); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

// TestPublishUpdateETagHeader publishes with UpdateFunction answering its
// new version in either spelling of the header: ETtag, which the SDK reads,
// or ETag, which it does not, so that qdn reads the version back with
// GetFunction and goes on only if that version holds its code.
func TestPublishUpdateETagHeader(t *testing.T) {
	readBack := []string{"UpdateFunction", "GetFunction DEVELOPMENT", "TestFunction"}
	for _, tc := range []struct {
		header   string
		readBack bool
	}{{"ETtag", false}, {"ETag", true}} {
		t.Run(tc.header, func(t *testing.T) {
			srv, fn := startFunctions(t)
			srv.SetUpdateETagHeader(tc.header)
			srv.Put(testFunctionName, oldCode)
			rep, err := fn.Publish(context.Background())
			if err != nil || !rep.Published {
				t.Fatalf("Publish = %+v, %v; want published", rep, err)
			}
			calls := ops(srv)
			i := slices.Index(calls, "UpdateFunction")
			if got := i >= 0 && len(calls) >= i+3 && slices.Equal(calls[i:i+3], readBack); got != tc.readBack {
				t.Errorf("calls %q; read back after UpdateFunction %t, want %t", calls, got, tc.readBack)
			}
		})
	}

	// Another deployer's code reaches DEVELOPMENT between the update and
	// the read back: nothing is tested or published.
	srv, fn := startFunctions(t)
	srv.SetUpdateETagHeader("ETag")
	srv.Put(testFunctionName, oldCode)
	var once sync.Once
	srv.SetHook(func(op, name string) {
		if op == "GetFunction" && slices.Contains(srv.Calls(), "UpdateFunction "+testFunctionName) {
			once.Do(func() { srv.Put(testFunctionName, []byte("function handler(e) { return e.request; }\n")) })
		}
	})
	if _, err := fn.Publish(context.Background()); !errors.Is(err, ErrFunctionChanged) {
		t.Errorf("Publish with the code changed before the read back = %v; want ErrFunctionChanged", err)
	}
	if n := countOp(srv, "TestFunction") + countOp(srv, "PublishFunction"); n != 0 {
		t.Errorf("%d TestFunction or PublishFunction calls after the code changed; want none", n)
	}
}

// TestPublishConcurrentUpdate changes the function between qdn's
// DescribeFunction and its UpdateFunction, as a second deployer would:
// CloudFront refuses the stale version and nothing is published.
func TestPublishConcurrentUpdate(t *testing.T) {
	srv, fn := startFunctions(t)
	srv.Put(testFunctionName, oldCode)
	srv.Publish(testFunctionName)
	other := []byte("function handler(event) { return event.request; }\n")
	var once sync.Once
	srv.SetHook(func(op, name string) {
		if op == "UpdateFunction" {
			once.Do(func() { srv.Put(name, other) })
		}
	})
	rep, err := fn.Publish(context.Background())
	if !errors.Is(err, ErrFunctionChanged) {
		t.Fatalf("Publish error = %v; want ErrFunctionChanged", err)
	}
	if want := "the function changed since it was read; nothing was published; run again"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	if rep.Published || rep.Updated {
		t.Errorf("report = %+v; want nothing updated or published", rep)
	}
	if got := code(t, srv, cffunctions.Live); got != string(oldCode) {
		t.Errorf("LIVE holds %q; want the old code untouched", got)
	}
	if got := code(t, srv, cffunctions.Development); got != string(other) {
		t.Errorf("DEVELOPMENT holds %q; want the other deployer's code kept", got)
	}
	if n := countOp(srv, "TestFunction") + countOp(srv, "PublishFunction"); n != 0 {
		t.Errorf("%d test or publish calls after the refused update; want none", n)
	}
}

// TestPublishChangedBeforePublish changes the function after the tests
// passed and before PublishFunction: the publish is refused too.
func TestPublishChangedBeforePublish(t *testing.T) {
	srv, fn := startFunctions(t)
	srv.Put(testFunctionName, oldCode)
	srv.Publish(testFunctionName)
	srv.SetHook(func(op, name string) {
		if op == "PublishFunction" {
			srv.Put(name, []byte("function handler(event) { return event.request; }\n"))
		}
	})
	_, err := fn.Publish(context.Background())
	if !errors.Is(err, ErrFunctionChanged) {
		t.Fatalf("Publish error = %v; want ErrFunctionChanged", err)
	}
	if got := code(t, srv, cffunctions.Live); got != string(oldCode) {
		t.Errorf("LIVE holds %q; want the old code untouched", got)
	}
}

// TestPublishFailingCase publishes code that breaks a case of the table:
// the tests run on CloudFront, fail, and LIVE keeps the old code.
func TestPublishFailingCase(t *testing.T) {
	srv, fn := startFunctions(t)
	srv.Put(testFunctionName, oldCode)
	srv.Publish(testFunctionName)
	// The tracking redirect loses its query string.
	fn.Code = bytes.Replace(edge.Code(), []byte("+ queryString(request.querystring || {})"), nil, 1)
	if bytes.Equal(fn.Code, edge.Code()) {
		t.Fatal("the test no longer breaks rewrite.js; update it")
	}
	rep, err := fn.Publish(context.Background())
	if err == nil {
		t.Fatal("Publish of broken code succeeded")
	}
	for _, want := range []string{"test cases failed on CloudFront; nothing was published", `case "redirect keeps query"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if rep.Published || rep.Failed() == 0 || len(rep.Tests) != len(fn.Cases) {
		t.Errorf("report: published %v, %d of %d failed; want every case run, some failed, nothing published", rep.Published, rep.Failed(), len(rep.Tests))
	}
	if got := code(t, srv, cffunctions.Live); got != string(oldCode) {
		t.Errorf("LIVE holds %q; want the old code untouched", got)
	}
	if n := countOp(srv, "PublishFunction"); n != 0 {
		t.Errorf("PublishFunction was called %d times; want 0", n)
	}
}

// TestPublishFunctionError publishes code that throws: CloudFront reports
// the error for every case and nothing is published.
func TestPublishFunctionError(t *testing.T) {
	srv, fn := startFunctions(t)
	fn.Code = []byte("function handler(event) { return event.request.nothing.uri; }\n")
	_, err := fn.Publish(context.Background())
	if err == nil || !strings.Contains(err.Error(), "the function failed: TypeError") {
		t.Fatalf("Publish error = %v; want the function's TypeError", err)
	}
	if _, ok := srv.Code(testFunctionName, cffunctions.Live); ok {
		t.Error("the function reached LIVE")
	}
}

func TestPublishTooLarge(t *testing.T) {
	srv, fn := startFunctions(t)
	fn.Code = append(edge.Code(), bytes.Repeat([]byte("//"), edge.MaxCodeSize)...)
	if _, err := fn.Publish(context.Background()); err == nil || !strings.Contains(err.Error(), "CloudFront takes less than") {
		t.Fatalf("Publish error = %v; want the size limit", err)
	}
	if len(srv.Calls()) != 0 {
		t.Errorf("calls = %q; want none", srv.Calls())
	}
}

// TestTestLeavesLiveAlone runs only the tests: DEVELOPMENT gets the local
// code, LIVE keeps what it had.
func TestTestLeavesLiveAlone(t *testing.T) {
	srv, fn := startFunctions(t)
	srv.Put(testFunctionName, oldCode)
	srv.Publish(testFunctionName)
	rep, err := fn.Test(context.Background())
	if err != nil {
		t.Fatalf("Test: %v", err)
	}
	if rep.Published || !rep.Updated || len(rep.Tests) != len(fn.Cases) || rep.Failed() != 0 {
		t.Errorf("report = %+v; want updated, every case passing, nothing published", rep)
	}
	if got := code(t, srv, cffunctions.Live); got != string(oldCode) {
		t.Errorf("LIVE holds %q; want the old code", got)
	}
	if n := countOp(srv, "PublishFunction"); n != 0 {
		t.Errorf("PublishFunction was called %d times; want 0", n)
	}
	// The old code fails the table: Test says so.
	fn.Code = oldCode
	if _, err := fn.Test(context.Background()); err == nil || !strings.Contains(err.Error(), "token without slash") {
		t.Errorf("Test of the old code: err = %v; want the redirect cases failing", err)
	}
}

func TestDiff(t *testing.T) {
	srv, fn := startFunctions(t)
	d, err := fn.Diff(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(d), "(not published yet)") || !strings.Contains(string(d), "+function handler(event) {") {
		t.Errorf("Diff before the first publish:\n%s\nwant every line added", d)
	}
	srv.Put(testFunctionName, oldCode)
	srv.Publish(testFunctionName)
	if d, err = fn.Diff(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--- LIVE " + testFunctionName, "+++ local edge/rewrite.js", "-    if (r.uri.endsWith('/'))", "+var PRETTY"} {
		if !strings.Contains(string(d), want) {
			t.Errorf("Diff does not contain %q:\n%s", want, d)
		}
	}
	if _, err := fn.Publish(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d, err = fn.Diff(context.Background()); err != nil || len(d) != 0 {
		t.Errorf("Diff after publishing = %q, %v; want empty", d, err)
	}
	if n := countOp(srv, "UpdateFunction"); n != 1 {
		t.Errorf("UpdateFunction called %d times; want 1, by Publish only", n)
	}
}
