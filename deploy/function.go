package deploy

// Publishing the edge function (edge/rewrite.js) to CloudFront Functions
// with the ETag flow: read the DEVELOPMENT stage's version, update it with
// If-Match, run every case of edge.Cases through TestFunction, and publish
// to LIVE with If-Match only when every case passed. A version that changed
// under us makes CloudFront refuse the write (412), and nothing reaches LIVE.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"
	"github.com/aws/smithy-go"
	"github.com/rogpeppe/go-internal/diff"

	"github.com/quickdumpnow/qdn/edge"
)

// ErrFunctionChanged is returned when CloudFront refused a write because the
// function changed since qdn read its version.
var ErrFunctionChanged = errors.New("the function changed since it was read; nothing was published; run again")

// FunctionComment is the comment qdn gives the function on CloudFront.
const FunctionComment = "qdn: pretty URLs and redirects of the site (edge/rewrite.js)"

// Function is the CloudFront Function of one environment, and the local
// code and table of cases to publish to it.
type Function struct {
	Client *cloudfront.Client
	// Name is the function's name on CloudFront, the environment's
	// function key in qdn.yaml.
	Name string
	// Code is the source to publish, edge.Code() unless a test says
	// otherwise; Cases are the cases it must pass on CloudFront.
	Code  []byte
	Cases []edge.Case
	// Log receives one line per step; nil discards them.
	Log io.Writer
}

// FunctionReport says what publishing or testing the function did.
type FunctionReport struct {
	// Created is set when the function did not exist and was created;
	// Updated when its DEVELOPMENT stage received the local code.
	Created, Updated bool
	// UpToDate is set when DEVELOPMENT and LIVE already held the local
	// code, so that publishing had nothing to do.
	UpToDate bool
	// Tests holds one outcome per case run on CloudFront.
	Tests []FunctionTest
	// Published is set when the code reached the LIVE stage.
	Published bool
}

// FunctionTest is the outcome of one case run with TestFunction.
type FunctionTest struct {
	Case edge.Case
	Got  edge.Result
	// Err is the function's error, an unreadable output or a mismatch.
	Err error
	// ComputeUtilization is the percentage of the allowed run time the
	// function used, as CloudFront reports it; -1 when not reported.
	ComputeUtilization int
}

// Failed counts the cases that did not pass.
func (r *FunctionReport) Failed() int {
	n := 0
	for _, t := range r.Tests {
		if t.Err != nil {
			n++
		}
	}
	return n
}

// MaxComputeUtilization is the highest compute utilization of the tests,
// -1 when none was reported.
func (r *FunctionReport) MaxComputeUtilization() int {
	m := -1
	for _, t := range r.Tests {
		m = max(m, t.ComputeUtilization)
	}
	return m
}

func (f *Function) logf(format string, args ...any) {
	if f.Log != nil {
		fmt.Fprintf(f.Log, "qdn: "+format+"\n", args...)
	}
}

// Publish brings the local code to LIVE: DescribeFunction at DEVELOPMENT for
// the ETag (CreateFunction when the function does not exist), nothing more
// when DEVELOPMENT and LIVE already hold the code, UpdateFunction with
// If-Match, TestFunction with every case, and PublishFunction with If-Match
// only when every case passed.
func (f *Function) Publish(ctx context.Context) (*FunctionReport, error) {
	rep := &FunctionReport{}
	etag, err := f.upload(ctx, rep, true)
	if err != nil || rep.UpToDate {
		return rep, err
	}
	if err := f.test(ctx, etag, rep); err != nil {
		return rep, err
	}
	_, err = f.Client.PublishFunction(ctx, &cloudfront.PublishFunctionInput{Name: aws.String(f.Name), IfMatch: aws.String(etag)})
	if err != nil {
		return rep, f.wrap("publish", err)
	}
	rep.Published = true
	f.logf("published %s to LIVE", f.Name)
	return rep, nil
}

// Test brings the local code to the DEVELOPMENT stage when it is not there
// yet and runs every case on it with TestFunction. LIVE is left alone.
func (f *Function) Test(ctx context.Context) (*FunctionReport, error) {
	rep := &FunctionReport{}
	etag, err := f.upload(ctx, rep, false)
	if err != nil {
		return rep, err
	}
	return rep, f.test(ctx, etag, rep)
}

// upload makes DEVELOPMENT hold the local code and returns its ETag. With
// checkLive set it also reads LIVE, and sets rep.UpToDate when LIVE holds
// the code too.
func (f *Function) upload(ctx context.Context, rep *FunctionReport, checkLive bool) (string, error) {
	if len(f.Code) >= edge.MaxCodeSize {
		return "", fmt.Errorf("function code is %d bytes; CloudFront takes less than %d", len(f.Code), edge.MaxCodeSize)
	}
	fnConfig := &cftypes.FunctionConfig{Comment: aws.String(FunctionComment), Runtime: cftypes.FunctionRuntime(edge.Runtime)}
	desc, err := f.Client.DescribeFunction(ctx, &cloudfront.DescribeFunctionInput{Name: aws.String(f.Name), Stage: cftypes.FunctionStageDevelopment})
	if isAPIError(err, "NoSuchFunctionExists") {
		out, err := f.Client.CreateFunction(ctx, &cloudfront.CreateFunctionInput{
			Name: aws.String(f.Name), FunctionCode: f.Code, FunctionConfig: fnConfig,
		})
		if err != nil {
			return "", f.wrap("create", err)
		}
		rep.Created = true
		f.logf("created %s (DEVELOPMENT) with %d bytes of code", f.Name, len(f.Code))
		return aws.ToString(out.ETag), nil
	}
	if err != nil {
		return "", f.wrap("describe", err)
	}
	etag := aws.ToString(desc.ETag)
	dev, _, err := f.get(ctx, cftypes.FunctionStageDevelopment)
	if err != nil {
		return "", err
	}
	runtimeOK := desc.FunctionSummary != nil && desc.FunctionSummary.FunctionConfig != nil &&
		desc.FunctionSummary.FunctionConfig.Runtime == cftypes.FunctionRuntime(edge.Runtime)
	if bytes.Equal(dev, f.Code) && runtimeOK {
		if checkLive {
			live, ok, err := f.get(ctx, cftypes.FunctionStageLive)
			if err != nil {
				return "", err
			}
			if ok && bytes.Equal(live, f.Code) {
				rep.UpToDate = true
				f.logf("%s: DEVELOPMENT and LIVE already hold this code; nothing to do", f.Name)
				return etag, nil
			}
		}
		f.logf("%s: DEVELOPMENT already holds this code", f.Name)
		return etag, nil
	}
	out, err := f.Client.UpdateFunction(ctx, &cloudfront.UpdateFunctionInput{
		Name: aws.String(f.Name), IfMatch: aws.String(etag), FunctionCode: f.Code, FunctionConfig: fnConfig,
	})
	if err != nil {
		return "", f.wrap("update", err)
	}
	rep.Updated = true
	f.logf("updated %s (DEVELOPMENT) with %d bytes of code", f.Name, len(f.Code))
	if e := aws.ToString(out.ETag); e != "" {
		return e, nil
	}
	// CloudFront names the header of the new version ETtag and the SDK
	// reads it from there; should it ever be missing, take the version
	// from GetFunction, and only if that version holds our code.
	code, err := f.Client.GetFunction(ctx, &cloudfront.GetFunctionInput{Name: aws.String(f.Name), Stage: cftypes.FunctionStageDevelopment})
	if err != nil {
		return "", f.wrap("read back", err)
	}
	if !bytes.Equal(code.FunctionCode, f.Code) {
		return "", ErrFunctionChanged
	}
	return aws.ToString(code.ETag), nil
}

// get returns the code of a stage, and false when the stage does not exist
// (LIVE before the first publish).
func (f *Function) get(ctx context.Context, st cftypes.FunctionStage) ([]byte, bool, error) {
	out, err := f.Client.GetFunction(ctx, &cloudfront.GetFunctionInput{Name: aws.String(f.Name), Stage: st})
	if isAPIError(err, "NoSuchFunctionExists") {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, f.wrap("get "+strings.ToLower(string(st))+" code of", err)
	}
	return out.FunctionCode, true, nil
}

// test runs every case on the DEVELOPMENT stage at version etag, and fails
// when any case failed.
func (f *Function) test(ctx context.Context, etag string, rep *FunctionReport) error {
	if len(f.Cases) == 0 {
		return errors.New("no test cases to run; nothing was published")
	}
	for _, c := range f.Cases {
		out, err := f.Client.TestFunction(ctx, &cloudfront.TestFunctionInput{
			Name: aws.String(f.Name), IfMatch: aws.String(etag), Stage: cftypes.FunctionStageDevelopment,
			EventObject: c.Event(),
		})
		if err != nil {
			return f.wrap("test", err)
		}
		rep.Tests = append(rep.Tests, checkFunctionTest(c, out.TestResult))
	}
	var errs []error
	for _, t := range rep.Tests {
		if t.Err != nil {
			errs = append(errs, fmt.Errorf("case %q (%s): %w", t.Case.Name, describeRequest(t.Case), t.Err))
		}
	}
	f.logf("%s: %d of %d cases passed on CloudFront; highest compute utilization %d%%",
		f.Name, len(rep.Tests)-len(errs), len(rep.Tests), rep.MaxComputeUtilization())
	if len(errs) > 0 {
		return &FunctionTestError{Total: len(rep.Tests), Failures: errs}
	}
	return nil
}

// FunctionTestError reports the cases that failed on CloudFront.
type FunctionTestError struct {
	Total    int
	Failures []error
}

func (e *FunctionTestError) Error() string {
	return fmt.Sprintf("%d of %d test cases failed on CloudFront; nothing was published:\n%v", len(e.Failures), e.Total, errors.Join(e.Failures...))
}

func describeRequest(c edge.Case) string {
	if c.Query == "" {
		return c.URI
	}
	return c.URI + "?" + c.Query
}

// checkFunctionTest compares what CloudFront answered for one case with
// the case's expectation.
func checkFunctionTest(c edge.Case, res *cftypes.TestResult) FunctionTest {
	t := FunctionTest{Case: c, ComputeUtilization: -1}
	if res == nil {
		t.Err = errors.New("CloudFront returned no test result")
		return t
	}
	if n, err := strconv.Atoi(strings.TrimSpace(aws.ToString(res.ComputeUtilization))); err == nil {
		t.ComputeUtilization = n
	}
	if msg := aws.ToString(res.FunctionErrorMessage); msg != "" {
		t.Err = fmt.Errorf("the function failed: %s", msg)
		return t
	}
	got, err := edge.ParseOutput(aws.ToString(res.FunctionOutput))
	if err != nil {
		t.Err = err
		return t
	}
	t.Got = got
	if got != c.Want {
		t.Err = fmt.Errorf("got %v; want %v", got, c.Want)
	}
	return t
}

// Diff returns the unified diff from the code of the LIVE stage to the local
// code, empty when they are the same. It changes nothing.
func (f *Function) Diff(ctx context.Context) ([]byte, error) {
	live, ok, err := f.get(ctx, cftypes.FunctionStageLive)
	if err != nil {
		return nil, err
	}
	name := "LIVE " + f.Name
	if !ok {
		name = "LIVE " + f.Name + " (not published yet)"
	}
	return diff.Diff(name, live, "local edge/rewrite.js", f.Code), nil
}

// wrap names the step and the function in err, and turns CloudFront's
// refusal of a stale version into ErrFunctionChanged.
func (f *Function) wrap(step string, err error) error {
	if isAPIError(err, "PreconditionFailed") || isAPIError(err, "FunctionAlreadyExists") {
		return fmt.Errorf("%s function %s: %w", step, f.Name, ErrFunctionChanged)
	}
	return fmt.Errorf("%s function %s: %w", step, f.Name, err)
}

func isAPIError(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}
