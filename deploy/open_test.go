package deploy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/quickdumpnow/qdn/generator"
	"github.com/quickdumpnow/qdn/internal/cffunctions"
	"github.com/quickdumpnow/qdn/internal/testenv"
)

// cleanAWSEnv clears every variable of the process environment that the
// AWS chain reads, and gives the test a HOME of its own.
func cleanAWSEnv(t *testing.T) (home string) {
	t.Helper()
	for _, k := range []string{
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
		"AWS_ROLE_SESSION_NAME", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
		"AWS_ENDPOINT_URL_CLOUDFRONT", "AWS_ENDPOINT_URL_STS",
	} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	home = t.TempDir()
	t.Setenv("HOME", home)
	// The SDK computes its default paths under HOME when the test binary
	// starts, so the files of this HOME are named explicitly.
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(home, ".aws", "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, ".aws", "credentials"))
	return home
}

// writeProfile writes the shared config and credentials files of a
// person's machine under home, with the profile quickdumpnow.
func writeProfile(t *testing.T, home, keyID, secret, region string) {
	t.Helper()
	dir := filepath.Join(home, ".aws")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"config":      "[profile quickdumpnow]\nregion = " + region + "\n",
		"credentials": "[quickdumpnow]\naws_access_key_id = " + keyID + "\naws_secret_access_key = " + secret + "\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func credentialsOf(t *testing.T, tg *Target) aws.Credentials {
	t.Helper()
	c, err := tg.Bucket.client.Options().Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatalf("credentials: %v", err)
	}
	return c
}

// TestOpenProfile reads the environment's profile from the shared config
// and credentials files of HOME when the process environment brings no
// credentials, and makes a real request with them: versitygw accepts only
// its own key.
func TestOpenProfile(t *testing.T) {
	endpoint := testenv.VersityGW(t)
	home := cleanAWSEnv(t)
	writeProfile(t, home, testenv.VersityGWCredentials, testenv.VersityGWCredentials, "us-east-1")
	env := &generator.Environment{Name: "staging", Bucket: "qdn-open-profile", Profile: "quickdumpnow", Endpoint: endpoint}
	tg, err := Open(context.Background(), env, 0)
	if err != nil {
		t.Fatal(err)
	}
	if c := credentialsOf(t, tg); c.AccessKeyID != testenv.VersityGWCredentials {
		t.Errorf("access key = %q; want the profile's %q", c.AccessKeyID, testenv.VersityGWCredentials)
	}
	if _, err := tg.Bucket.client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(env.Bucket)}); err != nil {
		t.Fatalf("create bucket with the profile's credentials: %v", err)
	}
	if _, err := tg.Bucket.List(context.Background(), "", "", ""); err != nil {
		t.Errorf("List with the profile's credentials: %v", err)
	}

	// A wrong key in the profile is refused by the server: the request
	// above did use the profile.
	writeProfile(t, home, "AKIDWRONG", "wrong", "eu-west-3")
	tg, err = Open(context.Background(), env, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tg.Bucket.List(context.Background(), "", "", ""); err == nil {
		t.Error("List with a wrong key in the profile succeeded")
	}
	if r := tg.Bucket.client.Options().Region; r != "eu-west-3" {
		t.Errorf("region = %q; want the profile's eu-west-3", r)
	}

	// The environment's region beats the profile's.
	env.Region = "us-west-2"
	if tg, err = Open(context.Background(), env, 0); err != nil {
		t.Fatal(err)
	}
	if r := tg.Bucket.client.Options().Region; r != "us-west-2" {
		t.Errorf("region = %q; want the environment's us-west-2", r)
	}
}

// TestOpenEnvironmentCredentials gives way to credentials that the
// process environment brings, as a CI job's: keys, or a web identity token
// that STS (moto's) exchanges for a role's credentials.
func TestOpenEnvironmentCredentials(t *testing.T) {
	moto := testenv.Moto(t)
	env := &generator.Environment{Name: "production", Bucket: "quickdumpnow-site", Profile: "quickdumpnow"}

	t.Run("keys", func(t *testing.T) {
		home := cleanAWSEnv(t)
		writeProfile(t, home, "AKIDPROFILE", "secret", "us-east-1")
		t.Setenv("AWS_ACCESS_KEY_ID", "AKIDFROMCI")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
		tg, err := Open(context.Background(), env, 0)
		if err != nil {
			t.Fatal(err)
		}
		if c := credentialsOf(t, tg); c.AccessKeyID != "AKIDFROMCI" {
			t.Errorf("access key = %q; want AKIDFROMCI from the environment", c.AccessKeyID)
		}
	})
	t.Run("web identity", func(t *testing.T) {
		home := cleanAWSEnv(t)
		writeProfile(t, home, "AKIDPROFILE", "secret", "us-east-1")
		token := filepath.Join(home, "token")
		if err := os.WriteFile(token, []byte("eyJhbGciOiJub25lIn0.eyJzdWIiOiJjaSJ9."), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", token)
		t.Setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/qdn-deploy")
		t.Setenv("AWS_ROLE_SESSION_NAME", "qdn-ci")
		t.Setenv("AWS_ENDPOINT_URL_STS", moto)
		tg, err := Open(context.Background(), env, 0)
		if err != nil {
			t.Fatal(err)
		}
		c := credentialsOf(t, tg)
		if c.AccessKeyID == "AKIDPROFILE" || c.AccessKeyID == "" || c.SessionToken == "" {
			t.Errorf("credentials = %q (session token %t, source %s); want a role's from STS, not the profile's",
				c.AccessKeyID, c.SessionToken != "", c.Source)
		}
		if !strings.Contains(c.Source, "WebIdentity") {
			t.Errorf("credentials source = %q; want the web identity provider", c.Source)
		}
	})
}

// TestOpenEndpoints keeps the storage endpoint away from CloudFront: an
// environment whose bucket is on another server (R2, MinIO) and that has a
// distribution sends invalidations and function calls to CloudFront, or to
// AWS_ENDPOINT_URL_CLOUDFRONT, never to the storage server.
func TestOpenEndpoints(t *testing.T) {
	cleanAWSEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDQDNTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	env := &generator.Environment{Name: "staging", Bucket: "b", Endpoint: "http://127.0.0.1:9", DistributionID: "E2QDNSTAGING01", Function: "qdn-rewrite-staging"}

	tg, err := Open(context.Background(), env, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := tg.cloudFrontEndpoint(); got != "" {
		t.Errorf("CloudFront endpoint = %q; want AWS's, not the storage endpoint", got)
	}
	if got := aws.ToString(tg.Bucket.client.Options().BaseEndpoint); got != env.Endpoint {
		t.Errorf("S3 endpoint = %q; want the environment's %q", got, env.Endpoint)
	}
	if tg.CDN == nil || tg.Invalidator() == nil {
		t.Error("no CDN for an environment with a distribution_id")
	}

	// AWS_ENDPOINT_URL_CLOUDFRONT reaches the function's calls.
	srv := &cffunctions.Server{}
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	t.Setenv("AWS_ENDPOINT_URL_CLOUDFRONT", srv.URL)
	t.Setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:8")
	if tg, err = Open(context.Background(), env, 0); err != nil {
		t.Fatal(err)
	}
	fn, err := tg.Function()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fn.Publish(context.Background()); err != nil {
		t.Fatalf("Publish through AWS_ENDPOINT_URL_CLOUDFRONT: %v", err)
	}
	if _, ok := srv.Code(env.Function, cffunctions.Live); !ok {
		t.Error("the function did not reach LIVE")
	}
	// The environment's endpoint beats AWS_ENDPOINT_URL_S3.
	if got := aws.ToString(tg.Bucket.client.Options().BaseEndpoint); got != env.Endpoint {
		t.Errorf("S3 endpoint = %q; want the environment's %q over AWS_ENDPOINT_URL_S3", got, env.Endpoint)
	}

	// Without an endpoint key, AWS_ENDPOINT_URL_S3; without a
	// distribution_id or function, neither.
	env = &generator.Environment{Name: "staging", Bucket: "b"}
	if tg, err = Open(context.Background(), env, 0); err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(tg.Bucket.client.Options().BaseEndpoint); got != "http://127.0.0.1:8" {
		t.Errorf("S3 endpoint = %q; want AWS_ENDPOINT_URL_S3's", got)
	}
	if tg.CDN != nil || tg.Invalidator() != nil {
		t.Error("a CDN for an environment without a distribution_id")
	}
	if _, err := tg.Function(); err == nil {
		t.Error("Function of an environment without a function name succeeded")
	}
}
