package deploy

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudfront/types"

	"github.com/quickdumpnow/qdn/internal/cffunctions"
)

// TestFunctionStatus reads the stages of the function through the
// CloudFront Functions stand-in: missing, then LIVE running old code, then
// edge/rewrite.js in DEVELOPMENT only (a publish left half done), then
// published. It makes no write.
func TestFunctionStatus(t *testing.T) {
	srv, fn := startFunctions(t)
	ctx := context.Background()
	status := func() EdgeStatus {
		t.Helper()
		before := countOp(srv, "UpdateFunction") + countOp(srv, "PublishFunction") + countOp(srv, "CreateFunction")
		st, err := fn.Status(ctx)
		if err != nil {
			t.Fatalf("Status: %v", err)
		}
		if after := countOp(srv, "UpdateFunction") + countOp(srv, "PublishFunction") + countOp(srv, "CreateFunction"); after != before {
			t.Errorf("Status wrote to the function: %v", ops(srv))
		}
		return st
	}
	liveETag := func() string {
		t.Helper()
		out, err := fn.Client.DescribeFunction(ctx, &cloudfront.DescribeFunctionInput{Name: aws.String(fn.Name), Stage: cftypes.FunctionStageLive})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.ETag)
	}

	if st := status(); st.Exists || st.Published || st.LiveETag != "" || st.LiveIsLocal || st.DevelopmentDiffers {
		t.Errorf("Status of a missing function = %+v; want nothing", st)
	}

	srv.Put(testFunctionName, oldCode)
	srv.Publish(testFunctionName)
	st := status()
	if !st.Exists || !st.Published || st.LiveETag != liveETag() || st.LiveIsLocal || st.DevelopmentDiffers {
		t.Errorf("Status with old code published = %+v; want LIVE %s, not the local code, DEVELOPMENT = LIVE", st, liveETag())
	}

	srv.Put(testFunctionName, fn.Code)
	st = status()
	if st.LiveIsLocal || !st.DevelopmentDiffers {
		t.Errorf("Status with the code in DEVELOPMENT only = %+v; want LIVE not local, DEVELOPMENT differing", st)
	}

	if _, err := fn.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	st = status()
	if !st.LiveIsLocal || st.DevelopmentDiffers || st.LiveETag != liveETag() {
		t.Errorf("Status after publish = %+v; want LIVE %s running the local code, DEVELOPMENT = LIVE", st, liveETag())
	}
	if _, ok := srv.Code(testFunctionName, cffunctions.Live); !ok {
		t.Error("nothing in LIVE after publish")
	}
}

// TestFunctionStatusAccessDenied reads the stages of a published function
// with a role that may not call cloudfront:GetFunction: CloudFront answers
// 403 AccessDenied (the stand-in's Deny, through the real SDK client), and
// Status says which permission is missing instead of the SDK's error.
func TestFunctionStatusAccessDenied(t *testing.T) {
	srv, fn := startFunctions(t)
	srv.Put(testFunctionName, fn.Code)
	srv.Publish(testFunctionName)
	srv.Deny("GetFunction")
	st, err := fn.Status(context.Background())
	if err == nil || err.Error() != "needs cloudfront:GetFunction" {
		t.Errorf("Status without cloudfront:GetFunction = %+v, %v; want error needs cloudfront:GetFunction", st, err)
	}
	if n := countOp(srv, "GetFunction"); n != 2 {
		t.Errorf("Status made %d GetFunction calls (%v); want 2, one per stage", n, ops(srv))
	}
}
