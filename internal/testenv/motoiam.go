package testenv

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// MotoIAM starts a moto server of the test's own that checks every request
// against IAM, as AWS does, and returns its endpoint with the access key of
// a user whose only policy is policy (a JSON policy document). The first
// three requests, which make the user, are let through unchecked. moto
// names an action after its service's endpoint: CloudWatch's
// GetMetricData is monitoring:GetMetricData there, cloudwatch:GetMetricData
// on AWS. The server stops with the test.
func MotoIAM(t testing.TB, policy string) (endpoint, keyID, secret string) {
	t.Helper()
	bin := os.Getenv("QDN_MOTO_SERVER")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("moto_server"); err != nil {
			t.Fatalf("moto_server not found on PATH: %v (scripts/test.sh installs what the tests need)", err)
		}
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Env = append(os.Environ(), "INITIAL_NO_AUTH_ACTION_COUNT=3")
	dieWithParent(cmd)
	logf, err := os.Create(filepath.Join(t.TempDir(), "moto-iam.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	endpoint = fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(endpoint + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logf.Name())
			t.Fatalf("%s with IAM checks did not answer on %s within 60s: %v; its output:\n%s", bin, endpoint, err, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
	iam := func(form url.Values) []byte {
		t.Helper()
		form.Set("Version", "2010-05-08")
		req, err := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		// moto routes a request by its credential scope; these first
		// ones are not checked, so the signature does not matter.
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=setup/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("IAM %s: %s\n%s", form.Get("Action"), resp.Status, b)
		}
		return b
	}
	iam(url.Values{"Action": {"CreateUser"}, "UserName": {"qdn-test"}})
	var key struct {
		ID     string `xml:"CreateAccessKeyResult>AccessKey>AccessKeyId"`
		Secret string `xml:"CreateAccessKeyResult>AccessKey>SecretAccessKey"`
	}
	if err := xml.Unmarshal(iam(url.Values{"Action": {"CreateAccessKey"}, "UserName": {"qdn-test"}}), &key); err != nil || key.ID == "" {
		t.Fatalf("CreateAccessKey: %v (%+v)", err, key)
	}
	iam(url.Values{"Action": {"PutUserPolicy"}, "UserName": {"qdn-test"}, "PolicyName": {"qdn-test"}, "PolicyDocument": {policy}})
	return endpoint, key.ID, key.Secret
}
