package deploy

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudfront"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/logging"

	"github.com/quickdumpnow/qdn/edge"
	"github.com/quickdumpnow/qdn/generator"
)

// Target is one environment of qdn.yaml with the clients that deploying to
// it talks to. Open builds it; sync, promote and edge all go through Open,
// so that every command finds the same credentials and endpoints.
type Target struct {
	Env *generator.Environment
	// Bucket is the environment's bucket.
	Bucket *S3
	// CDN is the environment's CloudFront distribution; nil when it has no
	// distribution_id.
	CDN *CloudFront
	// Metrics reads the CloudFront metrics of the environment's
	// distribution and function from CloudWatch.
	Metrics *CloudWatch

	cf *cloudfront.Client
}

// Open returns the clients of env, with concurrency uploads or copies in
// flight at once (DefaultConcurrency when less than 1). It makes no
// request.
//
// Every setting is taken from one place, in this order:
//
//   - Credentials: the standard AWS chain. The environment's profile is
//     used unless the process environment brings credentials of its own
//     (AWS_ACCESS_KEY_ID, AWS_WEB_IDENTITY_TOKEN_FILE, a container role or
//     an AWS_PROFILE set for the run), as a CI job does, since a runner has
//     no such profile.
//   - The bucket's region: the environment's region, else AWS_REGION or the
//     profile's region, else us-east-1.
//   - The S3 endpoint: the environment's endpoint, else AWS_ENDPOINT_URL_S3
//     (or AWS_ENDPOINT_URL), else AWS. Any endpoint other than AWS's is
//     addressed path-style.
//   - The CloudFront endpoint: AWS_ENDPOINT_URL_CLOUDFRONT (or
//     AWS_ENDPOINT_URL), else AWS, in us-east-1 whatever the bucket's
//     region. The environment's endpoint names a storage server and is
//     never used for CloudFront.
//   - The CloudWatch endpoint: AWS_ENDPOINT_URL_CLOUDWATCH (or
//     AWS_ENDPOINT_URL), else AWS, in us-east-1, where CloudFront sends
//     its metrics.
func Open(ctx context.Context, env *generator.Environment, concurrency int) (*Target, error) {
	if concurrency < 1 {
		concurrency = DefaultConcurrency
	}
	// The SDK's own log lines (a response body it could not drain for
	// reuse, say) would reach the user's terminal unasked and in the
	// SDK's words: what matters comes back as an error qdn reports.
	opts := []func(*config.LoadOptions) error{config.WithLogger(logging.Nop{})}
	if env.Region != "" {
		opts = append(opts, config.WithRegion(env.Region))
	}
	if env.Profile != "" && !envCredentials() {
		opts = append(opts, config.WithSharedConfigProfile(env.Profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration for environment %s: %w", env.Name, err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	t := &Target{
		Env:    env,
		Bucket: NewS3(s3.NewFromConfig(cfg, S3Options(env.Endpoint, concurrency)), env.Bucket),
		cf: cloudfront.NewFromConfig(cfg, func(o *cloudfront.Options) {
			o.Region = "us-east-1"
		}),
	}
	if env.DistributionID != "" {
		t.CDN = NewCloudFront(t.cf, env.DistributionID)
	}
	t.Metrics = NewCloudWatch(cloudwatch.NewFromConfig(cfg, CloudWatchOptions), env.DistributionID, env.Function)
	return t, nil
}

// envCredentials reports whether the process environment chooses the AWS
// credentials itself.
func envCredentials() bool {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_PROFILE",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		if os.Getenv(k) != "" {
			return true
		}
	}
	return false
}

// Function returns the environment's CloudFront Function with the embedded
// rewrite.js and its cases.
func (t *Target) Function() (*Function, error) {
	if t.Env.Function == "" {
		return nil, fmt.Errorf("environment %q has no function name", t.Env.Name)
	}
	return &Function{Client: t.cf, Name: t.Env.Function, Code: edge.Code(), Cases: edge.Cases()}, nil
}

// Invalidator returns the environment's CDN as an Invalidator: nil, not a
// nil *CloudFront, when it has none.
func (t *Target) Invalidator() Invalidator {
	if t.CDN == nil {
		return nil
	}
	return t.CDN
}

// cloudFrontEndpoint is the endpoint the CloudFront client was given, or
// "" for AWS's; for tests.
func (t *Target) cloudFrontEndpoint() string { return aws.ToString(t.cf.Options().BaseEndpoint) }
