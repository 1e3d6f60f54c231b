package deploy

// The edge's metrics, read from CloudWatch: CloudFront publishes those of
// every distribution and function in us-east-1, namespace AWS/CloudFront,
// with the dimension Region=Global.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"

	"github.com/quickdumpnow/qdn/generator"
)

// CloudWatchOptions makes a CloudWatch client read CloudFront's metrics:
// in us-east-1, whatever the bucket's region, and over the query protocol
// of the CloudWatch API. CloudWatch answers it as it answers the SDK's
// default CBOR protocol; moto's server, which the tests run against, speaks
// only the former, and qdn sends the same requests in tests and in use.
func CloudWatchOptions(o *cloudwatch.Options) {
	o.Region = "us-east-1"
	o.Protocol = awsquery.New(schemas.GraniteServiceVersion20100801)
}

// CloudWatch reads the metrics of one distribution and one function.
type CloudWatch struct {
	client         *cloudwatch.Client
	distributionID string
	function       string
}

// NewCloudWatch returns the reader of the metrics of the distribution and
// the function (either may be empty: its metrics are left out).
func NewCloudWatch(client *cloudwatch.Client, distributionID, function string) *CloudWatch {
	return &CloudWatch{client: client, distributionID: distributionID, function: function}
}

// Metrics is the Metrics section of Status.
type Metrics struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Unavailable says why the metrics could not be read, such as "needs
	// cloudwatch:GetMetricData"; the lists are then empty.
	Unavailable string `json:"unavailable,omitempty"`
	// Distribution and Function hold one Metric each, in a fixed order;
	// a list is empty when the environment has no distribution_id or no
	// function.
	Distribution []Metric `json:"distribution"`
	Function     []Metric `json:"function"`
}

// Verdicts of a metric.
const (
	VerdictOK     = "ok"
	VerdictMissed = "missed"
	VerdictNoData = "no_data"
	// VerdictNone is a metric shown without a target, such as Requests.
	VerdictNone = "no_target"
)

// Metric is one metric over the window, against its target.
type Metric struct {
	// Name is CloudWatch's name, Label the one people read.
	Name  string `json:"name"`
	Label string `json:"label"`
	// Stat is the statistic read: Sum, Average or Maximum. Unit is
	// "count" or "percent".
	Stat string `json:"stat"`
	Unit string `json:"unit"`
	// Value is nil when CloudWatch holds no data in the window.
	Value   *float64 `json:"value"`
	Target  *Goal    `json:"target"`
	Verdict string   `json:"verdict"`
	// Hint says what to do about a missed target or missing data.
	Hint string `json:"hint,omitempty"`
}

// Goal is the bound a metric must stay within: at least (Op "min") or at
// most (Op "max") Value.
type Goal struct {
	Op    string  `json:"op"`
	Value float64 `json:"value"`
	unit  string
}

func (t *Goal) String() string {
	if t == nil {
		return ""
	}
	op := "≤"
	if t.Op == "min" {
		op = "≥"
	}
	return op + " " + formatValue(t.Value, t.unit)
}

// Format returns the metric's value for people, "no data" without one.
func (m Metric) Format() string {
	if m.Value == nil {
		return "no data"
	}
	return formatValue(*m.Value, m.Unit)
}

func formatValue(v float64, unit string) string {
	if unit == "percent" {
		switch {
		case v == 0:
			return "0%"
		case v < 1:
			return strconv.FormatFloat(v, 'f', 2, 64) + "%"
		}
		return strconv.FormatFloat(v, 'f', 1, 64) + "%"
	}
	n := strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	for i := len(n) - 3; i > 0 && n[i-1] != '-'; i -= 3 {
		n = n[:i] + "," + n[i:]
	}
	return n
}

// metricDef is a metric qdn reads.
type metricDef struct {
	name, label, stat, unit string
	target                  func(generator.MonitorConfig) *Goal
	noData                  string
}

func atMost(v float64) *Goal  { return &Goal{Op: "max", Value: v} }
func atLeast(v float64) *Goal { return &Goal{Op: "min", Value: v} }

// EnableMetricsHint says how to turn on CacheHitRate, which CloudFront
// publishes only when the distribution's additional metrics are on.
const EnableMetricsHint = "CacheHitRate is an additional metric of the distribution, billed monthly: CloudFront console, Monitoring, the distribution, View distribution metrics, Enable additional metrics (or aws cloudfront create-monitoring-subscription)"

var distributionMetrics = []metricDef{
	{name: "Requests", label: "Requests", stat: "Sum", unit: "count"},
	{name: "4xxErrorRate", label: "4xx error rate", stat: "Average", unit: "percent", target: func(m generator.MonitorConfig) *Goal {
		if m.ErrorRate4xx < 0 {
			return nil
		}
		return atMost(m.ErrorRate4xx)
	}},
	{name: "5xxErrorRate", label: "5xx error rate", stat: "Average", unit: "percent", target: func(m generator.MonitorConfig) *Goal { return atMost(m.ErrorRate5xx) }},
	{name: "CacheHitRate", label: "Cache hit rate", stat: "Average", unit: "percent", target: func(m generator.MonitorConfig) *Goal { return atLeast(m.CacheHitRate) },
		noData: EnableMetricsHint},
}

var functionMetrics = []metricDef{
	{name: "FunctionInvocations", label: "Function invocations", stat: "Sum", unit: "count"},
	{name: "FunctionExecutionErrors", label: "Function execution errors", stat: "Sum", unit: "count", target: func(m generator.MonitorConfig) *Goal { return atMost(m.FunctionErrors) }},
	{name: "FunctionValidationErrors", label: "Function validation errors", stat: "Sum", unit: "count", target: func(m generator.MonitorConfig) *Goal { return atMost(m.FunctionErrors) }},
	{name: "FunctionThrottles", label: "Function throttles", stat: "Sum", unit: "count", target: func(m generator.MonitorConfig) *Goal { return atMost(m.FunctionErrors) }},
	{name: "FunctionComputeUtilization", label: "Function compute utilization (max)", stat: "Maximum", unit: "percent", target: func(m generator.MonitorConfig) *Goal { return atMost(m.ComputeUtilization) }},
}

// Read returns the metrics over [start, end) against the targets of mon.
// A metric without data in the window is reported as such. When CloudWatch
// refuses for want of permission, the error is nil and Unavailable says
// which permission is needed; other failures are returned.
func (c *CloudWatch) Read(ctx context.Context, start, end time.Time, mon generator.MonitorConfig) (Metrics, error) {
	m := Metrics{Start: start.UTC(), End: end.UTC(), Distribution: []Metric{}, Function: []Metric{}}
	type query struct {
		def  metricDef
		dims []cwtypes.Dimension
		into *[]Metric
	}
	var qs []query
	if c.distributionID != "" {
		dims := []cwtypes.Dimension{{Name: aws.String("DistributionId"), Value: aws.String(c.distributionID)}, {Name: aws.String("Region"), Value: aws.String("Global")}}
		for _, d := range distributionMetrics {
			qs = append(qs, query{d, dims, &m.Distribution})
		}
	}
	if c.function != "" {
		dims := []cwtypes.Dimension{{Name: aws.String("FunctionName"), Value: aws.String(c.function)}, {Name: aws.String("Region"), Value: aws.String("Global")}}
		for _, d := range functionMetrics {
			qs = append(qs, query{d, dims, &m.Function})
		}
	}
	if len(qs) == 0 {
		return m, nil
	}
	period := metricPeriod(end.Sub(start))
	in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(start), EndTime: aws.Time(end), ScanBy: cwtypes.ScanByTimestampAscending}
	for i, q := range qs {
		in.MetricDataQueries = append(in.MetricDataQueries, cwtypes.MetricDataQuery{
			Id: aws.String("m" + strconv.Itoa(i)),
			MetricStat: &cwtypes.MetricStat{Period: aws.Int32(period), Stat: aws.String(q.def.stat),
				Metric: &cwtypes.Metric{Namespace: aws.String("AWS/CloudFront"), MetricName: aws.String(q.def.name), Dimensions: q.dims}},
		})
	}
	values := map[string][]float64{}
	p := cloudwatch.NewGetMetricDataPaginator(c.client, in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)

		if accessDenied(err) {
			m.Distribution, m.Function = []Metric{}, []Metric{}
			m.Unavailable = "needs cloudwatch:GetMetricData"
			return m, nil
		}
		if err != nil {
			return m, fmt.Errorf("read the metrics of the edge from CloudWatch: %w", err)
		}
		for _, r := range out.MetricDataResults {
			values[aws.ToString(r.Id)] = append(values[aws.ToString(r.Id)], r.Values...)
		}
	}
	for i, q := range qs {
		*q.into = append(*q.into, verdict(q.def, combine(q.def.stat, values["m"+strconv.Itoa(i)]), mon))
	}
	return m, nil
}

// metricPeriod returns a period that makes the window about 24 data
// points: a multiple of 60 seconds, as CloudWatch requires, an hour for a
// window of a day.
func metricPeriod(window time.Duration) int32 {
	return int32(max(time.Minute, (window/24).Round(time.Minute)) / time.Second)
}

// combine reduces the data points of one metric to its value over the
// window; nil without any. An average is the mean of the periods' means,
// which weighs a quiet hour like a busy one.
func combine(stat string, vs []float64) *float64 {
	if len(vs) == 0 {
		return nil
	}
	var v float64
	switch stat {
	case "Maximum":
		v = vs[0]
		for _, x := range vs[1:] {
			v = max(v, x)
		}
	default:
		for _, x := range vs {
			v += x
		}
		if stat == "Average" {
			v /= float64(len(vs))
		}
	}
	return &v
}

func verdict(d metricDef, v *float64, mon generator.MonitorConfig) Metric {
	m := Metric{Name: d.name, Label: d.label, Stat: d.stat, Unit: d.unit, Value: v, Verdict: VerdictNone}
	if d.target != nil {
		m.Target = d.target(mon)
		if m.Target != nil {
			m.Target.unit = d.unit
		}
	}
	switch {
	case v == nil:
		m.Verdict, m.Hint = VerdictNoData, d.noData
	case m.Target == nil:
	case m.Target.Op == "min" && *v < m.Target.Value, m.Target.Op == "max" && *v > m.Target.Value:
		m.Verdict = VerdictMissed
	default:
		m.Verdict = VerdictOK
	}
	return m
}

// accessDenied reports whether err is AWS refusing a request for want of
// permission.
func accessDenied(err error) bool {
	if err == nil {
		return false
	}
	var ae smithy.APIError
	return errors.As(err, &ae) && (strings.HasPrefix(ae.ErrorCode(), "AccessDenied") || ae.ErrorCode() == "UnauthorizedOperation")
}
