package deploy

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/quickdumpnow/qdn/generator"
	"github.com/quickdumpnow/qdn/internal/testenv"
)

// putMetrics stores data points of CloudFront's metrics in the CloudWatch
// at endpoint, as CloudFront publishes them: namespace AWS/CloudFront,
// Region=Global, and the distribution's or the function's dimension.
func putMetrics(t *testing.T, endpoint string, dim, value string, at time.Time, metrics map[string][]float64) {
	t.Helper()
	c := cloudwatch.NewFromConfig(aws.Config{Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")},
		CloudWatchOptions, func(o *cloudwatch.Options) { o.BaseEndpoint = aws.String(endpoint) })
	var data []cwtypes.MetricDatum
	for name, vs := range metrics {
		for i, v := range vs {
			data = append(data, cwtypes.MetricDatum{
				MetricName: aws.String(name), Value: aws.Float64(v), Timestamp: aws.Time(at.Add(time.Duration(i) * time.Hour)),
				Dimensions: []cwtypes.Dimension{{Name: aws.String(dim), Value: aws.String(value)}, {Name: aws.String("Region"), Value: aws.String("Global")}},
			})
		}
	}
	_, err := c.PutMetricData(context.Background(), &cloudwatch.PutMetricDataInput{Namespace: aws.String("AWS/CloudFront"), MetricData: data})
	if err != nil {
		t.Fatalf("PutMetricData: %v", err)
	}
}

func metricByName(ms []Metric, name string) Metric {
	for _, m := range ms {
		if m.Name == name {
			return m
		}
	}
	return Metric{Name: name, Verdict: "(missing)"}
}

// TestMetrics puts CloudFront metrics of a distribution and a function into
// moto's CloudWatch, then reads them through the client Open builds (found
// by AWS_ENDPOINT_URL_CLOUDWATCH): sums, averages and the maximum over the
// window, each against its target; CacheHitRate, never put, has no data and
// says how to turn it on. Data points of another distribution, or before
// the window, are not counted.
func TestMetrics(t *testing.T) {
	moto := testenv.Moto(t)
	cleanAWSEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH", moto)
	dist := fmt.Sprintf("EMETRICS%d", time.Now().UnixNano()%1e9)
	fn := "qdn-rewrite-" + strings.ToLower(dist)
	now := time.Now().UTC().Truncate(time.Minute)
	start := now.Add(-24 * time.Hour)

	putMetrics(t, moto, "DistributionId", dist, start.Add(30*time.Minute), map[string][]float64{
		"Requests":     {1000, 3000},
		"4xxErrorRate": {2, 4},
		"5xxErrorRate": {0.1, 0.5},
	})
	putMetrics(t, moto, "DistributionId", dist, start.Add(-2*time.Hour), map[string][]float64{"Requests": {1e6}})
	putMetrics(t, moto, "DistributionId", dist+"X", start.Add(time.Hour), map[string][]float64{"Requests": {77}, "CacheHitRate": {10}})
	putMetrics(t, moto, "FunctionName", fn, start.Add(time.Hour), map[string][]float64{
		"FunctionInvocations":        {900, 100},
		"FunctionExecutionErrors":    {0, 0},
		"FunctionThrottles":          {0, 2},
		"FunctionComputeUtilization": {35, 81},
	})

	tg, err := Open(context.Background(), &generator.Environment{Name: "staging", Bucket: "b", Region: "us-west-2", DistributionID: dist, Function: fn}, 0)
	if err != nil {
		t.Fatal(err)
	}
	m, err := tg.Metrics.Read(context.Background(), start, now, generator.DefaultMonitor)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if m.Unavailable != "" {
		t.Fatalf("Read: unavailable: %s", m.Unavailable)
	}
	for _, tc := range []struct {
		ms              []Metric
		name            string
		value           string
		target, verdict string
	}{
		{m.Distribution, "Requests", "4,000", "", VerdictNone},
		{m.Distribution, "4xxErrorRate", "3.0%", "", VerdictNone},
		{m.Distribution, "5xxErrorRate", "0.30%", "≤ 0.10%", VerdictMissed},
		{m.Distribution, "CacheHitRate", "no data", "≥ 90.0%", VerdictNoData},
		{m.Function, "FunctionInvocations", "1,000", "", VerdictNone},
		{m.Function, "FunctionExecutionErrors", "0", "≤ 0", VerdictOK},
		{m.Function, "FunctionValidationErrors", "no data", "≤ 0", VerdictNoData},
		{m.Function, "FunctionThrottles", "2", "≤ 0", VerdictMissed},
		{m.Function, "FunctionComputeUtilization", "81.0%", "≤ 70.0%", VerdictMissed},
	} {
		got := metricByName(tc.ms, tc.name)
		if got.Format() != tc.value || got.Target.String() != tc.target || got.Verdict != tc.verdict {
			t.Errorf("%s = %s, target %q, %s; want %s, target %q, %s", tc.name, got.Format(), got.Target.String(), got.Verdict, tc.value, tc.target, tc.verdict)
		}
	}
	if hit := metricByName(m.Distribution, "CacheHitRate"); !strings.Contains(hit.Hint, "Enable additional metrics") {
		t.Errorf("CacheHitRate without data: hint %q; want how to enable additional metrics", hit.Hint)
	}
	if len(m.Distribution) != 4 || len(m.Function) != 5 {
		t.Errorf("Read returned %d distribution and %d function metrics; want 4 and 5", len(m.Distribution), len(m.Function))
	}

	// Targets of qdn.yaml's monitor: section.
	mon := generator.DefaultMonitor
	mon.ErrorRate5xx, mon.ComputeUtilization, mon.FunctionErrors, mon.ErrorRate4xx = 1, 90, 5, 2.5
	if m, err = tg.Metrics.Read(context.Background(), start, now, mon); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ms            []Metric
		name, verdict string
	}{
		{m.Distribution, "5xxErrorRate", VerdictOK},
		{m.Distribution, "4xxErrorRate", VerdictMissed},
		{m.Function, "FunctionThrottles", VerdictOK},
		{m.Function, "FunctionComputeUtilization", VerdictOK},
	} {
		if got := metricByName(tc.ms, tc.name); got.Verdict != tc.verdict {
			t.Errorf("with %+v: %s = %s, %s; want %s", mon, tc.name, got.Format(), got.Verdict, tc.verdict)
		}
	}

	// A window with nothing in it: every metric without data, none missed.
	if m, err = tg.Metrics.Read(context.Background(), start.Add(-72*time.Hour), start.Add(-48*time.Hour), generator.DefaultMonitor); err != nil {
		t.Fatal(err)
	}
	for _, x := range append(m.Distribution, m.Function...) {
		if x.Verdict != VerdictNoData {
			t.Errorf("empty window: %s = %s, %s; want no data", x.Name, x.Format(), x.Verdict)
		}
	}
}

// TestMetricsAccessDenied reads the metrics with a role that may read the
// bucket but not CloudWatch, on a moto server that checks IAM: the
// GetMetricData request is refused (AccessDenied, through the real SDK),
// and the metrics say which permission is missing while the bucket is
// still read. (moto names the action monitoring:GetMetricData, after
// CloudWatch's endpoint, where AWS names it cloudwatch:GetMetricData:
// allowing the former makes this test fail.)
func TestMetricsAccessDenied(t *testing.T) {
	endpoint, keyID, secret := testenv.MotoIAM(t, `{"Version": "2012-10-17", "Statement": [
		{"Effect": "Allow", "Action": ["s3:*"], "Resource": "*"}]}`)
	cleanAWSEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", keyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	t.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH", endpoint)
	env := &generator.Environment{Name: "staging", Bucket: "qdn-denied", Region: "us-east-1", Endpoint: endpoint, DistributionID: "EDENIED", Function: "qdn-rewrite"}
	tg, err := Open(context.Background(), env, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tg.Bucket.client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(env.Bucket)}); err != nil {
		t.Fatalf("the user may use S3: %v", err)
	}
	s := &Syncer{Bucket: tg.Bucket}
	if _, err := s.Fetch(context.Background()); err != nil {
		t.Fatalf("Fetch with S3 allowed: %v", err)
	}
	now := time.Now()
	m, err := tg.Metrics.Read(context.Background(), now.Add(-time.Hour), now, generator.DefaultMonitor)
	if err != nil {
		t.Fatalf("Read without cloudwatch:GetMetricData: %v; want the metrics unavailable, not an error", err)
	}
	if m.Unavailable != "needs cloudwatch:GetMetricData" || len(m.Distribution)+len(m.Function) != 0 {
		t.Errorf("Read without permission = %+v; want unavailable: needs cloudwatch:GetMetricData", m)
	}
}
