package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// cmdGet requests a URL without following redirects and prints the status,
// the headers a page is served with and the body:
//
//	get [-want REGEXP] [-host HOST] URL
//
// It waits up to ten seconds for the server to start, and with -want until
// the body matches (a rebuild is under way).
func cmdGet(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! get")
	}
	var want *regexp.Regexp
	var host string
	for len(args) > 1 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-want":
			want = regexp.MustCompile(args[1])
		case "-host":
			host = args[1]
		default:
			ts.Fatalf("usage: get [-want REGEXP] [-host HOST] URL")
		}
		args = args[2:]
	}
	if len(args) != 1 {
		ts.Fatalf("usage: get [-want REGEXP] [-host HOST] URL")
	}
	client := &http.Client{
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	deadline := time.Now().Add(10 * time.Second)
	var out string
	for {
		req, err := http.NewRequest("GET", args[0], nil)
		ts.Check(err)
		if host != "" {
			req.Host = host
		}
		resp, err := client.Do(req)
		if err == nil {
			body, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			ts.Check(rerr)
			var b strings.Builder
			fmt.Fprintf(&b, "HTTP %d\n", resp.StatusCode)
			for _, h := range []string{"Content-Type", "Cache-Control", "Location", "ETag"} {
				if v := resp.Header.Get(h); v != "" {
					fmt.Fprintf(&b, "%s: %s\n", h, v)
				}
			}
			b.WriteString("\n")
			b.Write(body)
			out = b.String()
			if want == nil || want.MatchString(string(body)) {
				break
			}
		}
		if time.Now().After(deadline) {
			if err != nil {
				ts.Fatalf("get %s: %v", args[0], err)
			}
			ts.Fatalf("get %s: body does not match %q after 10s:\n%s", args[0], want, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	ts.Stdout().Write([]byte(out))
}
