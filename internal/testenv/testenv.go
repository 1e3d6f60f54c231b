// Package testenv starts the real servers and finds the real browser that
// qdn's tests run against: moto's server on loopback (S3 and CloudFront),
// versitygw (a second S3 implementation, in Go) and Debian's headless
// Chromium. A missing server or browser fails the test;
// nothing is skipped. scripts/test.sh installs them on a fresh machine.
package testenv

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	motoOnce sync.Once
	motoURL  string
	motoErr  error
)

// Moto returns the endpoint of a moto server on loopback, started once per
// test binary and stopped when it exits. moto speaks the S3 and CloudFront
// APIs; tests keep apart by using buckets and distributions of their own.
func Moto(t testing.TB) string {
	t.Helper()
	motoOnce.Do(func() { motoURL, motoErr = startMoto() })
	if motoErr != nil {
		t.Fatalf("moto server: %v (scripts/test.sh installs what the tests need)", motoErr)
	}
	return motoURL
}

func startMoto() (string, error) {
	bin := os.Getenv("QDN_MOTO_SERVER")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("moto_server"); err != nil {
			return "", fmt.Errorf("moto_server not found on PATH: %w", err)
		}
	}
	port, err := freePort()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	dieWithParent(cmd)
	logf, err := os.CreateTemp("", "qdn-moto-*.log")
	if err != nil {
		return "", err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start %s: %w", bin, err)
	}
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return url, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	log, _ := os.ReadFile(logf.Name())
	return "", fmt.Errorf("%s did not answer on %s within 60s; its output:\n%s", bin, url, log)
}

var (
	vgwOnce sync.Once
	vgwURL  string
	vgwErr  error
)

// VersityGWCredentials are the access key and secret the versitygw of the
// tests accepts.
const VersityGWCredentials = "test"

// VersityGW returns the endpoint of a versitygw S3 gateway on loopback,
// serving buckets from a temporary directory, started once per test binary
// and stopped when it exits. It accepts the access key and secret
// VersityGWCredentials. scripts/test.sh installs it from the Go module
// proxy; $QDN_VERSITYGW names the binary.
func VersityGW(t testing.TB) string {
	t.Helper()
	vgwOnce.Do(func() { vgwURL, vgwErr = startVersityGW() })
	if vgwErr != nil {
		t.Fatalf("versitygw: %v (scripts/test.sh installs what the tests need)", vgwErr)
	}
	return vgwURL
}

func startVersityGW() (string, error) {
	bin := os.Getenv("QDN_VERSITYGW")
	if bin == "" {
		bin = findVersityGW()
	}
	if bin == "" {
		return "", fmt.Errorf("versitygw not found in $QDN_VERSITYGW, .ci/tmp/versitygw-*/, on PATH or in GOPATH/bin")
	}
	dir, err := os.MkdirTemp("", "qdn-versitygw-")
	if err != nil {
		return "", err
	}
	root, meta := filepath.Join(dir, "buckets"), filepath.Join(dir, "meta")
	for _, d := range []string{root, meta} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return "", err
		}
	}
	port, err := freePort()
	if err != nil {
		return "", err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	// Metadata in a side directory: no need for extended attributes on the
	// test machine's file system.
	cmd := exec.Command(bin, "--access", VersityGWCredentials, "--secret", VersityGWCredentials, "--port", addr, "--quiet",
		"posix", "--sidecar", meta, root)
	dieWithParent(cmd)
	logf, err := os.Create(filepath.Join(dir, "versitygw.log"))
	if err != nil {
		return "", err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start %s: %w", bin, err)
	}
	url := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url + "/")
		if err == nil {
			resp.Body.Close()
			return url, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	log, _ := os.ReadFile(logf.Name())
	return "", fmt.Errorf("%s did not answer on %s within 30s; its output:\n%s", bin, url, log)
}

// findVersityGW looks where scripts/test.sh installs versitygw (under
// .ci/tmp of the module root), then on PATH, then in GOPATH/bin.
func findVersityGW() string {
	if wd, err := os.Getwd(); err == nil {
		for dir := wd; ; dir = filepath.Dir(dir) {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				found, _ := filepath.Glob(filepath.Join(dir, ".ci", "tmp", "versitygw-*", "versitygw"))
				if len(found) > 0 {
					return found[len(found)-1]
				}
				break
			}
			if filepath.Dir(dir) == dir {
				break
			}
		}
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	if gopath, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "versitygw")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Chromium returns the path of the headless browser the page tests drive.
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("QDN_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatalf("chromium not found: install Debian's chromium (scripts/test.sh does)")
	return ""
}

// ChromiumFlags are the flags every test browser starts with: headless, no
// sandbox (tests run as root in CI), and no background traffic to the
// network, which a test machine does not have.
var ChromiumFlags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--disable-dev-shm-usage",
}

// ArtifactDir returns the directory where tests leave screenshots for a
// person to look at: $QDN_ARTIFACTS, or testdata/artifacts beside the test.
func ArtifactDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("QDN_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("testdata", "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
