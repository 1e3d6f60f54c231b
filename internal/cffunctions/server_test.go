package cffunctions

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/smithy-go"
)

func start(t *testing.T) (*Server, *cloudfront.Client) {
	t.Helper()
	s := &Server{}
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	c := cloudfront.New(cloudfront.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	})
	return s, c
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

const code = `function handler(event) {
    console.log('uri', event.request.uri);
    if (event.request.uri === '/old') {
        return { statusCode: 301, statusDescription: 'Moved Permanently', headers: { location: { value: '/new' } } };
    }
    return event.request;
}`

var config = &types.FunctionConfig{Comment: aws.String("test"), Runtime: types.FunctionRuntimeCloudfrontJs20}

// TestLifecycle walks a function through the API with the real SDK client:
// the shapes, headers and errors the client reads must match the reference.
func TestLifecycle(t *testing.T) {
	_, c := start(t)
	ctx := context.Background()
	name := aws.String("fn")

	_, err := c.DescribeFunction(ctx, &cloudfront.DescribeFunctionInput{Name: name})
	var nsf *types.NoSuchFunctionExists
	if !errors.As(err, &nsf) {
		t.Fatalf("DescribeFunction of a missing function: err = %v; want NoSuchFunctionExists", err)
	}

	created, err := c.CreateFunction(ctx, &cloudfront.CreateFunctionInput{Name: name, FunctionCode: []byte(code), FunctionConfig: config})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(created.ETag) == "" || !strings.Contains(aws.ToString(created.Location), "function/") {
		t.Errorf("CreateFunction: ETag %q, Location %q; want both", aws.ToString(created.ETag), aws.ToString(created.Location))
	}
	sum := created.FunctionSummary
	if aws.ToString(sum.Name) != "fn" || aws.ToString(sum.Status) != "UNPUBLISHED" ||
		sum.FunctionConfig.Runtime != types.FunctionRuntimeCloudfrontJs20 ||
		sum.FunctionMetadata.Stage != types.FunctionStageDevelopment || sum.FunctionMetadata.LastModifiedTime == nil {
		t.Errorf("CreateFunction summary = %+v", sum)
	}
	if _, err := c.CreateFunction(ctx, &cloudfront.CreateFunctionInput{Name: name, FunctionCode: []byte(code), FunctionConfig: config}); apiCode(err) != "FunctionAlreadyExists" {
		t.Errorf("second CreateFunction: err = %v; want FunctionAlreadyExists", err)
	}

	desc, err := c.DescribeFunction(ctx, &cloudfront.DescribeFunctionInput{Name: name, Stage: types.FunctionStageDevelopment})
	if err != nil || aws.ToString(desc.ETag) != aws.ToString(created.ETag) {
		t.Fatalf("DescribeFunction = %v, %v; want the ETag of the create", desc, err)
	}
	if _, err := c.DescribeFunction(ctx, &cloudfront.DescribeFunctionInput{Name: name, Stage: types.FunctionStageLive}); !errors.As(err, &nsf) {
		t.Errorf("DescribeFunction LIVE before publishing: err = %v; want NoSuchFunctionExists", err)
	}
	got, err := c.GetFunction(ctx, &cloudfront.GetFunctionInput{Name: name})
	if err != nil || string(got.FunctionCode) != code {
		t.Fatalf("GetFunction = %q, %v; want the code", got.FunctionCode, err)
	}

	update := func(etag *string) (*cloudfront.UpdateFunctionOutput, error) {
		return c.UpdateFunction(ctx, &cloudfront.UpdateFunctionInput{Name: name, IfMatch: etag, FunctionCode: []byte(code + "\n"), FunctionConfig: config})
	}
	if _, err := update(aws.String("")); apiCode(err) != "InvalidIfMatchVersion" {
		t.Errorf("UpdateFunction with an empty If-Match: err = %v; want InvalidIfMatchVersion", err)
	}
	if _, err := update(aws.String("ESTALE0000000")); !errors.As(err, new(*types.PreconditionFailed)) {
		t.Errorf("UpdateFunction with a stale If-Match: err = %v; want PreconditionFailed", err)
	}
	up, err := update(desc.ETag)
	if err != nil {
		t.Fatal(err)
	}
	if e := aws.ToString(up.ETag); e == "" || e == aws.ToString(desc.ETag) {
		t.Errorf("UpdateFunction ETag = %q; want a new version (the SDK reads the ETtag header)", e)
	}
	if _, err := update(desc.ETag); apiCode(err) != "PreconditionFailed" {
		t.Errorf("UpdateFunction with the version before the update: err = %v; want PreconditionFailed", err)
	}

	test := func(uri string) *types.TestResult {
		t.Helper()
		ev := `{"version":"1.0","context":{"eventType":"viewer-request"},"viewer":{"ip":"192.0.2.1"},"request":{"method":"GET","uri":"` + uri + `","querystring":{},"headers":{},"cookies":{}}}`
		out, err := c.TestFunction(ctx, &cloudfront.TestFunctionInput{Name: name, IfMatch: up.ETag, Stage: types.FunctionStageDevelopment, EventObject: []byte(ev)})
		if err != nil {
			t.Fatal(err)
		}
		return out.TestResult
	}
	res := test("/old")
	var output map[string]map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(res.FunctionOutput)), &output); err != nil {
		t.Fatalf("FunctionOutput %q: %v", aws.ToString(res.FunctionOutput), err)
	}
	if r := output["response"]; r == nil || r["statusCode"] != float64(301) || r["cookies"] == nil {
		t.Errorf("FunctionOutput = %v; want a 301 response with cookies filled in", output)
	}
	if len(res.FunctionExecutionLogs) != 1 || res.FunctionExecutionLogs[0] != "uri /old" {
		t.Errorf("FunctionExecutionLogs = %q; want the console.log line", res.FunctionExecutionLogs)
	}
	if aws.ToString(res.ComputeUtilization) == "" || res.FunctionSummary == nil || aws.ToString(res.FunctionSummary.Name) != "fn" {
		t.Errorf("TestResult = %+v; want compute utilization and summary", res)
	}
	if res := test("/x"); !strings.HasPrefix(aws.ToString(res.FunctionOutput), `{"request":{`) || aws.ToString(res.FunctionErrorMessage) != "" {
		t.Errorf("FunctionOutput = %q, error %q; want the request", aws.ToString(res.FunctionOutput), aws.ToString(res.FunctionErrorMessage))
	}
	if _, err := c.TestFunction(ctx, &cloudfront.TestFunctionInput{Name: name, IfMatch: desc.ETag, EventObject: []byte("{}")}); apiCode(err) != "PreconditionFailed" {
		t.Errorf("TestFunction with a stale If-Match: err = %v; want PreconditionFailed", err)
	}

	if _, err := c.PublishFunction(ctx, &cloudfront.PublishFunctionInput{Name: name, IfMatch: desc.ETag}); apiCode(err) != "PreconditionFailed" {
		t.Errorf("PublishFunction with a stale If-Match: err = %v; want PreconditionFailed", err)
	}
	pub, err := c.PublishFunction(ctx, &cloudfront.PublishFunctionInput{Name: name, IfMatch: up.ETag})
	if err != nil {
		t.Fatal(err)
	}
	if pub.FunctionSummary.FunctionMetadata.Stage != types.FunctionStageLive || aws.ToString(pub.FunctionSummary.Status) != "UNASSOCIATED" {
		t.Errorf("PublishFunction summary = %+v", pub.FunctionSummary)
	}
	live, err := c.DescribeFunction(ctx, &cloudfront.DescribeFunctionInput{Name: name, Stage: types.FunctionStageLive})
	if err != nil || aws.ToString(live.ETag) == "" || aws.ToString(live.ETag) == aws.ToString(up.ETag) {
		t.Errorf("DescribeFunction LIVE = %v, %v; want a LIVE version of its own", live, err)
	}
	lc, err := c.GetFunction(ctx, &cloudfront.GetFunctionInput{Name: name, Stage: types.FunctionStageLive})
	if err != nil || string(lc.FunctionCode) != code+"\n" {
		t.Errorf("GetFunction LIVE = %q, %v; want the updated code", lc.FunctionCode, err)
	}
}

func TestErrors(t *testing.T) {
	s, c := start(t)
	ctx := context.Background()
	big := []byte(strings.Repeat("/", 10*1024+1))
	_, err := c.CreateFunction(ctx, &cloudfront.CreateFunctionInput{Name: aws.String("big"), FunctionCode: big, FunctionConfig: config})
	if !errors.As(err, new(*types.FunctionSizeLimitExceeded)) {
		t.Errorf("CreateFunction of 10 KB + 1: err = %v; want FunctionSizeLimitExceeded", err)
	}
	_, err = c.CreateFunction(ctx, &cloudfront.CreateFunctionInput{Name: aws.String("bad name!"), FunctionCode: []byte(code), FunctionConfig: config})
	if apiCode(err) != "InvalidArgument" {
		t.Errorf("CreateFunction with a bad name: err = %v; want InvalidArgument", err)
	}
	s.Put("thrower", []byte("function handler(event) { throw new Error('nope'); }"))
	d, err := c.DescribeFunction(ctx, &cloudfront.DescribeFunctionInput{Name: aws.String("thrower")})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.TestFunction(ctx, &cloudfront.TestFunctionInput{Name: aws.String("thrower"), IfMatch: d.ETag, EventObject: []byte(`{"request":{"uri":"/"}}`)})
	if err != nil || !strings.Contains(aws.ToString(out.TestResult.FunctionErrorMessage), "Error: nope") {
		t.Errorf("TestFunction of a throwing function = %v, %v; want its error message", out, err)
	}
	s.Put("looper", []byte("function handler(event) { for (;;) {} }"))
	d, _ = c.DescribeFunction(ctx, &cloudfront.DescribeFunctionInput{Name: aws.String("looper")})
	out, err = c.TestFunction(ctx, &cloudfront.TestFunctionInput{Name: aws.String("looper"), IfMatch: d.ETag, EventObject: []byte(`{"request":{"uri":"/"}}`)})
	if err != nil || !strings.Contains(aws.ToString(out.TestResult.FunctionErrorMessage), "maximum allowed time") || aws.ToString(out.TestResult.ComputeUtilization) != "100" {
		t.Errorf("TestFunction of an endless loop = %+v, %v; want the time limit at 100%%", out.TestResult, err)
	}

	// An unsigned request is refused, as CloudFront refuses it.
	resp, err := http.Get(s.URL + "/2020-05-31/function/thrower/describe")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("unsigned request: status %d; want 403", resp.StatusCode)
	}
}

// TestDeny refuses GetFunction as CloudFront refuses a user whose policy
// does not allow cloudfront:GetFunction: the real SDK client reads a 403
// AccessDenied, the other operations still answer, and Deny() lifts it.
func TestDeny(t *testing.T) {
	s, c := start(t)
	ctx := context.Background()
	s.Put("fn", []byte(code))
	s.Deny("GetFunction")

	_, err := c.GetFunction(ctx, &cloudfront.GetFunctionInput{Name: aws.String("fn")})
	var status interface{ HTTPStatusCode() int }
	if apiCode(err) != "AccessDenied" || !errors.As(err, &status) || status.HTTPStatusCode() != http.StatusForbidden {
		t.Fatalf("GetFunction denied: err = %v; want 403 AccessDenied", err)
	}
	if !strings.Contains(err.Error(), "not authorized to perform: cloudfront:GetFunction on resource: arn:aws:cloudfront::123456789012:function/fn") {
		t.Errorf("GetFunction denied: err = %v; want the action and resource named", err)
	}
	if _, err := c.DescribeFunction(ctx, &cloudfront.DescribeFunctionInput{Name: aws.String("fn")}); err != nil {
		t.Errorf("DescribeFunction with only GetFunction denied: %v", err)
	}
	if got := s.Calls(); len(got) != 2 || got[0] != "GetFunction fn" {
		t.Errorf("Calls() = %q; want the refused GetFunction listed", got)
	}

	s.Deny()
	if out, err := c.GetFunction(ctx, &cloudfront.GetFunctionInput{Name: aws.String("fn")}); err != nil || string(out.FunctionCode) != code {
		t.Errorf("GetFunction after Deny() = %v; want the code", err)
	}
}
