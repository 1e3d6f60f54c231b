package preview

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rawRequest sends one request over TCP to addr exactly as written, so that
// the Host header, its absence and the request target are what the test
// says, and returns the response. The body of an event stream is not read.
func rawRequest(t *testing.T, addr, method, target, proto, host string, header map[string]string) (*http.Response, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s\r\n", method, target, proto)
	if host != "" {
		fmt.Fprintf(&b, "Host: %s\r\n", host)
	}
	for k, v := range header {
		fmt.Fprintf(&b, "%s: %s\r\n", k, v)
	}
	b.WriteString("Connection: close\r\n\r\n")
	if _, err := io.WriteString(conn, b.String()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%s %s (Host %q): %v", method, target, host, err)
	}
	if resp.Header.Get("Content-Type") == "text/event-stream" {
		// The stream does not end; closing the connection ends it.
		return resp, ""
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

// lanAddress returns an address of this computer that is not loopback: a
// connection to it comes from that address, as from another computer on
// the network.
func lanAddress(t *testing.T) net.IP {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP
		}
	}
	t.Fatal("this computer has no IPv4 address besides loopback, so no request can come from another address")
	return nil
}

// TestHostAndOrigin sends requests with every kind of Host header and origin
// to a server bound to loopback and to one bound to every address, over
// 127.0.0.1. Only names that no other site can make resolve to this
// computer are answered; the dashboard on a network bind is only at its
// secret path; requests of another site's pages to /_qdn/ are refused.
func TestHostAndOrigin(t *testing.T) {
	dir := exampleSite(t)
	loop := startServerAt(t, dir, "127.0.0.1:0")
	wide := startServerAt(t, dir, "0.0.0.0:0")
	if loop.Network() || !wide.Network() {
		t.Fatalf("Network() = %v, %v; want false for 127.0.0.1, true for 0.0.0.0", loop.Network(), wide.Network())
	}
	if !strings.HasPrefix(wide.dashPath, adminPrefix) || len(wide.dashPath) < len(adminPrefix)+22 {
		t.Fatalf("dashboard of a network bind at %q; want a secret path under %s", wide.dashPath, adminPrefix)
	}
	hostname := "no-hostname.invalid"
	for n := range wide.names {
		if n != "localhost" {
			hostname = n
		}
	}
	const (
		ok        = http.StatusOK
		forbidden = http.StatusForbidden
		notFound  = http.StatusNotFound
		moved     = http.StatusMovedPermanently
		bad       = http.StatusBadRequest
		notAllow  = http.StatusMethodNotAllowed
	)
	fromSite := map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "script"}
	tests := []struct {
		name   string
		method string // GET when empty
		target string // DASH is the dashboard's path on that server
		proto  string // HTTP/1.1 when empty
		host   string // PORT is the server's port; empty sends none
		header map[string]string
		// The status on the loopback bind and on the network bind.
		loop, wide int
	}{
		{name: "site by address", target: "/", host: "127.0.0.1:PORT", loop: ok, wide: ok},
		{name: "site by localhost", target: "/", host: "localhost:PORT", loop: ok, wide: ok},
		{name: "site by LOCALHOST", target: "/", host: "LOCALHOST", loop: ok, wide: ok},
		{name: "site by IPv6 loopback", target: "/", host: "[::1]:PORT", loop: ok, wide: ok},
		{name: "site by IPv6 loopback without port", target: "/", host: "[::1]", loop: ok, wide: ok},
		{name: "site by another loopback address", target: "/", host: "127.1.2.3:PORT", loop: ok, wide: ok},
		{name: "site by network address", target: "/", host: "192.0.2.7:PORT", loop: forbidden, wide: ok},
		{name: "site by IPv6 network address", target: "/", host: "[2001:db8::7]:PORT", loop: forbidden, wide: ok},
		{name: "site by host name", target: "/", host: hostname + ":PORT", loop: forbidden, wide: ok},
		{name: "site by host name in another domain", target: "/", host: hostname + ".attacker.example:PORT", loop: forbidden, wide: forbidden},
		{name: "site by rebinding name", target: "/", host: "attacker.example:PORT", loop: forbidden, wide: forbidden},
		{name: "tracking page by rebinding name", target: "/track/" + markToken + "/", host: "attacker.example", loop: forbidden, wide: forbidden},
		{name: "site by localhost subdomain of another site", target: "/", host: "localhost.attacker.example:PORT", loop: forbidden, wide: forbidden},
		{name: "site by name of loopback address", target: "/", host: "127.0.0.1.nip.io:PORT", loop: forbidden, wide: forbidden},
		{name: "site by localhost with final dot", target: "/", host: "localhost.:PORT", loop: forbidden, wide: forbidden},
		{name: "site without Host, HTTP/1.0", target: "/", proto: "HTTP/1.0", loop: forbidden, wide: forbidden},
		{name: "site without Host, HTTP/1.1", target: "/", loop: bad, wide: bad},
		{name: "site by empty Host", target: "/", host: " ", loop: forbidden, wide: forbidden},
		{name: "absolute URI of another site", target: "http://attacker.example/", host: "127.0.0.1:PORT", loop: forbidden, wide: forbidden},
		{name: "absolute URI of localhost", target: "http://localhost:PORT/", host: "attacker.example", loop: ok, wide: ok},

		{name: "dashboard", target: "DASH", host: "127.0.0.1:PORT", loop: ok, wide: ok},
		{name: "dashboard by network address", target: "DASH", host: "192.0.2.7:PORT", loop: forbidden, wide: ok},
		{name: "dashboard without slash", target: "DASHNOSLASH", host: "localhost:PORT", loop: moved, wide: moved},
		{name: "dashboard by rebinding name", target: "DASH", host: "attacker.example:PORT", loop: forbidden, wide: forbidden},
		{name: "dashboard by IPv6 loopback", target: "DASH", host: "[::1]:PORT", loop: ok, wide: ok},
		{name: "dashboard by absolute URI of another site", target: "http://attacker.example:PORTDASH", host: "127.0.0.1:PORT", loop: forbidden, wide: forbidden},
		{name: "dashboard without secret", target: "/_qdn/", host: "127.0.0.1:PORT", loop: ok, wide: notFound},
		{name: "dashboard without secret or slash", target: "/_qdn", host: "127.0.0.1:PORT", loop: moved, wide: notFound},
		{name: "dashboard with a wrong secret", target: "/_qdn/AAAAAAAAAAAAAAAAAAAAAA/", host: "127.0.0.1:PORT", loop: notFound, wide: notFound},
		{name: "dashboard opened from a link on another site", target: "DASH", host: "127.0.0.1:PORT",
			header: map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}, loop: ok, wide: ok},
		{name: "dashboard loaded by another site's page", target: "DASH", host: "127.0.0.1:PORT", header: fromSite, loop: forbidden, wide: forbidden},
		{name: "dashboard fetched by a page of another port", target: "DASH", host: "localhost:PORT",
			header: map[string]string{"Sec-Fetch-Site": "same-site", "Sec-Fetch-Mode": "cors", "Origin": "http://localhost:3000"}, loop: forbidden, wide: forbidden},
		{name: "dashboard posted to", method: "POST", target: "DASH", host: "127.0.0.1:PORT", loop: notAllow, wide: notAllow},
		{name: "dashboard posted to by another site", method: "POST", target: "DASH", host: "127.0.0.1:PORT",
			header: map[string]string{"Origin": "http://attacker.example", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"}, loop: forbidden, wide: forbidden},

		{name: "events", target: "/_qdn/events?path=%2F&v=x", host: "127.0.0.1:PORT", loop: ok, wide: ok},
		{name: "events of this origin", target: "/_qdn/events?path=%2F&v=x", host: "localhost:PORT",
			header: map[string]string{"Origin": "http://localhost:PORT", "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors"}, loop: ok, wide: ok},
		{name: "events by rebinding name", target: "/_qdn/events?path=%2F&v=x", host: "attacker.example:PORT", loop: forbidden, wide: forbidden},
		{name: "events from another site", target: "/_qdn/events?path=%2F&v=x", host: "127.0.0.1:PORT",
			header: map[string]string{"Origin": "http://attacker.example", "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors"}, loop: forbidden, wide: forbidden},
		{name: "events from a sandboxed frame", target: "/_qdn/events?path=%2F&v=x", host: "127.0.0.1:PORT",
			header: map[string]string{"Origin": "null"}, loop: forbidden, wide: forbidden},
		{name: "reload script", target: "/_qdn/reload.js", host: "127.0.0.1:PORT", loop: ok, wide: ok},
		{name: "reload script by rebinding name", target: "/_qdn/reload.js", host: "attacker.example", loop: forbidden, wide: forbidden},
		{name: "reload script loaded by another site", target: "/_qdn/reload.js", host: "127.0.0.1:PORT", header: fromSite, loop: forbidden, wide: forbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, srv := range []struct {
				name string
				ts   *testServer
				want int
			}{{"loopback", loop, tc.loop}, {"network", wide, tc.wide}} {
				port := strconv.Itoa(srv.ts.ln.Addr().(*net.TCPAddr).Port)
				fill := strings.NewReplacer("PORT", port, "DASHNOSLASH", strings.TrimSuffix(srv.ts.dashPath, "/"), "DASH", srv.ts.dashPath)
				method, proto := tc.method, tc.proto
				if method == "" {
					method = "GET"
				}
				if proto == "" {
					proto = "HTTP/1.1"
				}
				header := map[string]string{}
				for k, v := range tc.header {
					header[k] = fill.Replace(v)
				}
				target, host := fill.Replace(tc.target), fill.Replace(tc.host)
				resp, body := rawRequest(t, "127.0.0.1:"+port, method, target, proto, host, header)
				if resp.StatusCode != srv.want {
					t.Errorf("%s bind: %s %s, Host %q, %v: %d; want %d\n%s", srv.name, method, target, host, header, resp.StatusCode, srv.want, body)
				}
				if resp.StatusCode != ok && (strings.Contains(body, "Soderblom") || strings.Contains(body, markToken)) {
					t.Errorf("%s bind: %s %s, Host %q: refused, but the body holds a customer's data", srv.name, method, target, host)
				}
				if strings.HasPrefix(target, "/_qdn/") && resp.StatusCode == ok && resp.Header.Get("Cross-Origin-Resource-Policy") != "same-origin" {
					t.Errorf("%s bind: %s: Cross-Origin-Resource-Policy %q; want same-origin", srv.name, target, resp.Header.Get("Cross-Origin-Resource-Policy"))
				}
			}
		})
	}
	if other := startServerAt(t, dir, "0.0.0.0:0"); other.dashPath == wide.dashPath {
		t.Errorf("two network binds share the dashboard path %s", wide.dashPath)
	}
}

// TestNetworkClient connects to a server bound to every address from a
// non-loopback address of this computer, as a phone on the network does:
// it sees the site and its pages reload, but the dashboard only at its
// secret path and build errors only on the dashboard.
func TestNetworkClient(t *testing.T) {
	ip := lanAddress(t)
	dir := exampleSite(t)
	ts := startServerAt(t, dir, "0.0.0.0:0")
	port := ts.ln.Addr().(*net.TCPAddr).Port
	addr := net.JoinHostPort(ip.String(), strconv.Itoa(port))
	base := "http://" + addr + "/"
	if urls := ts.NetworkURLs(); !slices.Contains(urls, base) {
		t.Errorf("NetworkURLs() = %q; want it to hold %s", urls, base)
	}
	if urls := startServer(t, dir).NetworkURLs(); urls != nil {
		t.Errorf("NetworkURLs() on loopback = %q; want none", urls)
	}

	tests := []struct {
		target string
		want   int
	}{
		{"/", http.StatusOK},
		{"/track/" + markToken + "/", http.StatusOK},
		{"/_qdn/", http.StatusNotFound},
		{ts.dashPath, http.StatusOK},
		{"/_qdn/reload.js", http.StatusOK},
	}
	for _, tc := range tests {
		resp, body := rawRequest(t, addr, "GET", tc.target, "HTTP/1.1", addr, nil)
		if resp.StatusCode != tc.want {
			t.Errorf("GET %s from %s: %d; want %d\n%s", tc.target, ip, resp.StatusCode, tc.want, body)
		}
	}

	// The dashboard's own links and search keep its secret.
	_, html := rawRequest(t, addr, "GET", ts.dashPath, "HTTP/1.1", addr, nil)
	for _, want := range []string{`action="` + ts.dashPath + `"`, `href="` + ts.dashPath + `?status=booked"`} {
		if !strings.Contains(html, want) {
			t.Errorf("the dashboard at its secret path does not hold %s", want)
		}
	}
	if strings.Contains(html, `"/_qdn/?`) || strings.Contains(html, `"/_qdn/"`) {
		t.Errorf("the dashboard at its secret path links to /_qdn/ without it")
	}

	// A build error quotes the sources: the terminal, the pages on this
	// computer and the dashboard show it; a page on the phone only stays
	// as it is.
	page := "/track/" + markToken + "/"
	version := servedVersion(t, base, page)
	phone := openStream(t, base, page, version)
	dash := openStream(t, base, ts.dashPath, servedVersion(t, base, strings.TrimPrefix(ts.dashPath, "/")))
	local := openStream(t, ts.URL(), page, version)
	dash.expect(t, "ok")
	local.expect(t, "ok")
	phone.quiet(t, 200*time.Millisecond)
	ts.edit(t, "jobs/JOB-20261121-001.yaml", "id: JOB-20261121-001\ncustomer: {name: Mark Soderblom}\nstatus: nonsense\n")
	dash.expect(t, "errors")
	local.expect(t, "errors")
	phone.quiet(t, 200*time.Millisecond)

	// A phone that reconnects while the site has errors is not told them
	// either, and still reloads when its page changed.
	again := openStream(t, base, page, "an-older-version")
	again.expect(t, "reload")
	again.quiet(t, 200*time.Millisecond)

	// A stream that names the dashboard with a wrong secret is a page's.
	wrong := openStream(t, base, adminPrefix+"AAAAAAAAAAAAAAAAAAAAAA/", "x")
	wrong.expect(t, "reload")
	wrong.quiet(t, 200*time.Millisecond)
}
