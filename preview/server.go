package preview

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/quickdumpnow/qdn/generator"
)

// Paths the preview serves itself, under a prefix the generator refuses for
// content so that they never shadow a page.
const (
	adminPrefix      = "/_qdn/"
	reloadScriptPath = adminPrefix + "reload.js"
	eventsPath       = adminPrefix + "events"
	dashboardKey     = "_qdn/"
)

// Options configure a Server.
type Options struct {
	// Dir is the site root, holding qdn.yaml.
	Dir string
	// Addr is the host:port to listen on; port 0 picks a free one.
	Addr string
	// Poll makes the watcher poll at this interval; 0 listens for events.
	Poll time.Duration
	// Now is the build clock; nil means time.Now.
	Now func() time.Time
	// Log receives what a person at the terminal wants to know: rebuilds
	// and build errors.
	Log io.Writer
}

// Server is the preview: it builds the site, serves it, watches its sources
// and rebuilds and reloads as they change. A failed build keeps the last
// good site up and shows the errors on every page.
//
// Bound to loopback, only this computer can connect to the preview:
// the site and the dashboard at /_qdn/. Bound to another address, other
// computers see the site's pages, for a check on a phone; the dashboard
// lists every customer, so it moves to /_qdn/<secret>/, a path with 128
// random bits that only DashboardURL tells. The event stream gives build
// errors, which quote the sources, only to this computer and to the
// dashboard; other pages are only told to reload. On every bind the Host
// header must name this server (localhost, a loopback address, or on a
// network bind any address or this computer's name), so that a web page
// whose own name resolves to this computer (DNS rebinding) reads nothing.
type Server struct {
	opt     Options
	builder *generator.Builder
	watcher *Watcher
	ln      net.Listener
	srv     *http.Server
	done    chan struct{}
	closed  sync.Once
	// ctx stops a build under way; cancel is called by Close.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// rebuilt is told of each finished rebuild, for tests and benchmarks.
	rebuilt func(Batch, *generator.Result, error, time.Duration)

	// network is true when other computers can connect; dashPath is where
	// the dashboard is served and names are the host names (lower case)
	// the Host header may hold besides addresses.
	network  bool
	dashPath string
	names    map[string]bool

	mu      sync.Mutex
	st      *state
	clients map[*client]struct{}
}

// state is one build's view of the site; a rebuild replaces it whole.
type state struct {
	// out and site are of the last good build; nil before the first.
	out  *generator.Output
	site *generator.Site
	// src is the site as last read, even when it failed to build; the
	// dashboard lists its jobs.
	src *generator.Site
	// errs are the problems of the last build; empty when it succeeded.
	errs []buildError

	// The dashboard's rows and version, worked out once per state.
	rowsOnce sync.Once
	rowList  []dashRow
	dashOnce sync.Once
	dashVer  string
}

// buildError is one build problem as the overlay and dashboard show it.
type buildError struct {
	Pos  string `json:"pos"`
	File string `json:"file"`
	Msg  string `json:"msg"`
	Hint string `json:"hint,omitempty"`
}

// client is one connected page, by the output key its URL routes to.
// Only a private client, on this computer or showing the dashboard, is
// told of build errors.
type client struct {
	key     string
	version string
	private bool
	send    chan event
}

type event struct {
	name string
	data string
}

// NewServer returns a server for the site in opt.Dir. Nothing happens
// before Open.
func NewServer(opt Options) *Server {
	if opt.Log == nil {
		opt.Log = io.Discard
	}
	return &Server{opt: opt, done: make(chan struct{}), clients: map[*client]struct{}{}, st: &state{}}
}

// Open listens on the address, builds the site once and starts watching and
// serving. A build error does not stop it: the preview then shows the errors
// until they are fixed. Cancelling ctx stops the build under way, and every
// later one, at once; Close still has to be called. When ctx is cancelled
// during the first build, Open returns ctx's error and serves nothing.
func (s *Server) Open(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.opt.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.opt.Addr, err)
	}
	s.ln = ln
	s.names = map[string]bool{"localhost": true}
	s.dashPath = adminPrefix
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() {
		s.network = true
		s.dashPath = adminPrefix + newSecret() + "/"
		// This computer's name, as a phone finds it over mDNS. A name with
		// a domain may be resolved by a DNS server that another controls;
		// only its .local form is safe.
		if h, err := os.Hostname(); err == nil && h != "" {
			h = strings.TrimSuffix(strings.ToLower(h), ".local")
			if !strings.Contains(h, ".") {
				s.names[h] = true
				s.names[h+".local"] = true
			}
		}
	}
	s.builder = generator.NewBuilder(s.opt.Dir, generator.Options{Now: s.opt.Now})
	s.watcher = NewWatcher(s.opt.Dir, WatcherOptions{Poll: s.opt.Poll, Logf: func(format string, args ...any) {
		fmt.Fprintf(s.opt.Log, "qdn: "+format+"\n", args...)
	}})
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.build(Batch{All: true, At: time.Now()})
	if err := ctx.Err(); err != nil {
		s.cancel()
		ln.Close()
		return err
	}
	if err := s.watcher.Open(); err != nil {
		s.cancel()
		ln.Close()
		return fmt.Errorf("watch %s: %w", s.opt.Dir, err)
	}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintf(s.opt.Log, "qdn: error: serve: %v\n", err)
		}
	}()
	go s.loop()
	return nil
}

// URL is the address of the preview, such as http://127.0.0.1:1313/.
func (s *Server) URL() string {
	addr := s.ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(addr.Port)) + "/"
}

// DashboardURL is the address of the dispatch dashboard. On a network bind
// it holds the secret without which the dashboard is not served.
func (s *Server) DashboardURL() string { return strings.TrimSuffix(s.URL(), "/") + s.dashPath }

// Network reports whether other computers can connect to the preview.
func (s *Server) Network() bool { return s.network }

// NetworkURLs are the addresses at which other computers find the site on
// a network bind, one per address of this computer; none on loopback.
func (s *Server) NetworkURLs() []string {
	if !s.network {
		return nil
	}
	addr := s.ln.Addr().(*net.TCPAddr)
	port := strconv.Itoa(addr.Port)
	if !addr.IP.IsUnspecified() {
		return []string{"http://" + net.JoinHostPort(addr.IP.String(), port) + "/"}
	}
	ifaddrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var urls []string
	for _, a := range ifaddrs {
		n, ok := a.(*net.IPNet)
		if !ok || n.IP.IsLoopback() || n.IP.IsLinkLocalUnicast() || (n.IP.To4() == nil && addr.IP.To4() != nil) {
			continue
		}
		urls = append(urls, "http://"+net.JoinHostPort(n.IP.String(), port)+"/")
	}
	return urls
}

func newSecret() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Polling reports whether the watcher polls instead of listening to events.
func (s *Server) Polling() bool { return s.watcher.Polling() }

// Close stops serving, ends the event streams so that open tabs reconnect
// to the next server, and waits for every goroutine of the server.
// Closing twice is harmless.
func (s *Server) Close() error {
	var err error
	s.closed.Do(func() {
		s.cancel()
		close(s.done)
		// Every response is in memory and the event streams end with done,
		// so a request in flight finishes within milliseconds. What is left
		// after a short grace is a browser's preconnected socket that never
		// sent a request, which Shutdown would wait seconds for.
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		err = s.srv.Shutdown(ctx)
		if errors.Is(err, context.DeadlineExceeded) {
			err = s.srv.Close()
		}
		if werr := s.watcher.Close(); err == nil {
			err = werr
		}
		s.wg.Wait()
	})
	return err
}

func (s *Server) loop() {
	defer s.wg.Done()
	for {
		select {
		case <-s.done:
			return
		case b := <-s.watcher.Batches():
			s.build(b)
		}
	}
}

// build rebuilds after the changes in b, swaps in the new state and tells
// the open pages.
func (s *Server) build(b Batch) {
	b = s.dropTransient(b)
	if !b.All && len(b.Paths) == 0 {
		return
	}
	// The Builder carries the changes of a failed rebuild over to the next
	// one, so that no edit is lost in between.
	start := time.Now()
	res, err := s.builder.Rebuild(s.ctx, b.Changed())
	took := time.Since(start)
	if s.ctx.Err() != nil {
		// Stopping: the Builder keeps the changes, and nobody waits for
		// the result.
		return
	}

	s.mu.Lock()
	prev := s.st
	next := &state{out: prev.out, site: prev.site, src: prev.src}
	if res != nil && res.Site != nil {
		next.src = res.Site
	}
	if err == nil {
		next.out, next.site = res.Output, res.Site
	} else {
		next.errs = toBuildErrors(err)
	}
	s.st = next
	clients := make([]*client, 0, len(s.clients))
	for c := range s.clients {
		clients = append(clients, c)
	}
	s.mu.Unlock()

	// Versions are worked out without the lock, and pages are told first:
	// the dashboard's version reads every job. Only this goroutine changes
	// a registered client.
	sort.SliceStable(clients, func(i, j int) bool { return clients[j].key == dashboardKey && clients[i].key != dashboardKey })
	var errs string
	if len(next.errs) > 0 {
		errs = errorsJSON(next.errs)
	}
	for _, c := range clients {
		var m []event
		switch {
		case !c.private:
		case len(next.errs) > 0:
			m = append(m, event{"errors", errs})
		case len(prev.errs) > 0:
			m = append(m, event{"ok", ""})
		}
		// A failed build keeps the pages as they were, but the dashboard
		// lists the errors, so its version changes.
		if v := next.version(c.key); v != c.version {
			c.version = v
			m = append(m, event{"reload", ""})
		}
		s.mu.Lock()
		for _, e := range m {
			c.push(e)
		}
		s.mu.Unlock()
	}

	s.report(b, res, err, prev, took)
	if s.rebuilt != nil {
		s.rebuilt(b, res, err, took)
	}
}

func (s *Server) report(b Batch, res *generator.Result, err error, prev *state, took time.Duration) {
	w := s.opt.Log
	if err != nil {
		if list := generator.Errors(err); list != nil {
			fmt.Fprint(w, list.Format())
			fmt.Fprintf(w, "qdn: error: %d %s in the site's sources; ", len(list), plural(len(list), "error", "errors"))
		} else {
			fmt.Fprintf(w, "qdn: error: %v; ", err)
		}
		if prev.out != nil {
			fmt.Fprintln(w, "still serving the last good build")
		} else {
			fmt.Fprintln(w, "the preview shows the errors until they are fixed")
		}
		return
	}
	what := "built"
	if prev.out != nil {
		what = "rebuilt"
		if len(b.Paths) > 0 && !b.All {
			what += " " + summarize(b.Paths)
		}
	}
	fmt.Fprintf(w, "qdn: %s in %s: %d added, %d changed, %d removed\n", what, took.Round(100*time.Microsecond),
		len(res.Changes.Added), len(res.Changes.Modified), len(res.Changes.Removed))
	if len(prev.errs) > 0 {
		fmt.Fprintln(w, "qdn: the site builds again")
	}
}

// dropTransient leaves out of b the temporary files that tools such as
// sed -i create next to a job file and rename over it: a file in jobs/ that
// is not a job file, is gone, and that no build saw (it would have been an
// error of the last build). Telling the builder about it would only make it
// read the whole site again.
func (s *Server) dropTransient(b Batch) Batch {
	if b.All {
		return b
	}
	seen := map[string]bool{}
	for _, e := range s.snapshot().errs {
		seen[e.File] = true
	}
	out := Batch{At: b.At}
	for _, p := range b.Paths {
		dir, name := path.Split(p)
		if dir == generator.JobsDir+"/" && !strings.HasSuffix(name, ".yaml") && !seen[p] {
			if _, err := os.Lstat(filepath.Join(s.opt.Dir, filepath.FromSlash(p))); errors.Is(err, fs.ErrNotExist) {
				continue
			}
		}
		out.Paths = append(out.Paths, p)
	}
	return out
}

func summarize(paths []string) string {
	if len(paths) == 1 {
		return paths[0]
	}
	return fmt.Sprintf("%s and %d more", paths[0], len(paths)-1)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func toBuildErrors(err error) []buildError {
	list := generator.Errors(err)
	if list == nil {
		return []buildError{{Msg: err.Error()}}
	}
	out := make([]buildError, len(list))
	for i, e := range list {
		out[i] = buildError{Pos: e.Pos.String(), File: e.Pos.File, Msg: e.Msg, Hint: e.Hint}
	}
	return out
}

func errorsJSON(errs []buildError) string {
	b, _ := json.Marshal(errs)
	return string(b)
}

// push queues an event for the client. A client too slow to take it is
// dropped; its page reconnects and catches up by version.
func (c *client) push(e event) {
	select {
	case c.send <- e:
	default:
		if c.send != nil {
			close(c.send)
			c.send = nil
		}
	}
}

// version names what a page at key shows in this state: the bytes of its
// object, or of 404.html when it has none. The event stream compares it with
// the version the page was served with.
func (st *state) version(key string) string {
	if key == dashboardKey {
		return st.dashboardVersion()
	}
	if st.out == nil {
		return "unbuilt"
	}
	body, ok := lookup(st.out, key)
	prefix := ""
	if !ok {
		body, _ = lookup(st.out, "404.html")
		prefix = "404-"
	}
	sum := sha256.Sum256(body)
	return prefix + hex.EncodeToString(sum[:12])
}

// keyOf returns the output key a page URL shows, as the edge routes it.
// Another path under /_qdn/ shows no object.
func (s *Server) keyOf(urlPath string) string {
	if s.isDashboard(urlPath) {
		return dashboardKey
	}
	if urlPath == strings.TrimSuffix(adminPrefix, "/") || strings.HasPrefix(urlPath, adminPrefix) {
		return adminPrefix[1:] + "-"
	}
	r, err := route((&url.URL{Path: urlPath}).EscapedPath(), "")
	if err == nil && r.Redirect != "" {
		r, err = route(strings.SplitN(r.Redirect, "?", 2)[0], "")
	}
	if err != nil {
		return strings.TrimPrefix(urlPath, "/")
	}
	return strings.TrimPrefix(r.URI, "/")
}

func (s *Server) snapshot() *state {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st
}

// isDashboard reports whether urlPath is the dashboard's, comparing the
// secret in constant time.
func (s *Server) isDashboard(urlPath string) bool {
	return len(urlPath) == len(s.dashPath) && subtle.ConstantTimeCompare([]byte(urlPath), []byte(s.dashPath)) == 1
}

// ServeHTTP answers as production would, plus the preview's own /_qdn/.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.allowedHost(r.Host) {
		// A page on another site that resolves its own name to this
		// computer (DNS rebinding) must read nothing, not even the site:
		// it holds every tracking page.
		http.Error(w, "forbidden host: open the address qdn serve printed", http.StatusForbidden)
		return
	}
	if r.URL.Path == strings.TrimSuffix(adminPrefix, "/") || strings.HasPrefix(r.URL.Path, adminPrefix) {
		s.serveAdmin(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	rr, err := route(r.URL.EscapedPath(), r.URL.RawQuery)
	if err != nil {
		// Only a broken rewrite.js gets here; its tests keep it from shipping.
		http.Error(w, "edge function: "+err.Error(), http.StatusInternalServerError)
		return
	}
	if rr.Status != 0 {
		// A response made by the edge function itself: a redirect, or the
		// bare 404 that hides qdn's state in the bucket.
		if rr.Redirect != "" {
			w.Header().Set("Location", rr.Redirect)
		}
		w.WriteHeader(rr.Status)
		return
	}
	st := s.snapshot()
	if st.out == nil {
		s.serveUnbuilt(w, r)
		return
	}
	key := strings.TrimPrefix(rr.URI, "/")
	status := http.StatusOK
	body, ok := lookup(st.out, key)
	if !ok {
		key, status = "404.html", http.StatusNotFound
		if body, ok = lookup(st.out, key); !ok {
			http.NotFound(w, r)
			return
		}
	}
	h := st.site.Config.ObjectHeaders(key)
	w.Header().Set("Content-Type", h.ContentType)
	w.Header().Set("Cache-Control", h.CacheControl)
	if strings.HasPrefix(h.ContentType, "text/html") {
		page := inject(body, newNonce(), st.version(s.keyOf(r.URL.Path)))
		w.Header().Set("Content-Length", strconv.Itoa(len(page)))
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			w.Write(page)
		}
		return
	}
	if status != http.StatusOK {
		w.WriteHeader(status)
		w.Write(body)
		return
	}
	sum := sha256.Sum256(body)
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:16])+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

func newNonce() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// serveUnbuilt answers while no build has succeeded yet: a page that shows
// the errors and reloads as soon as the site builds.
func (s *Server) serveUnbuilt(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", adminCSP)
	w.WriteHeader(http.StatusServiceUnavailable)
	fmt.Fprintf(w, `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>The site does not build yet · qdn serve</title>
<script src="%s" data-version="unbuilt" defer></script></head>
<body><main><h1>The site does not build yet</h1>
<p>Fix the errors shown here and in the terminal; this page reloads when the site builds.</p></main></body></html>
`, reloadScriptPath)
}

// adminCSP is the policy of the pages the preview makes itself.
const adminCSP = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	if !sameOrigin(r) {
		// Another site's script, style sheet, image or event stream: a
		// page may read what it loads from its own origin only, and the
		// dashboard and the build errors are no one else's.
		http.Error(w, "forbidden: a request from another site", http.StatusForbidden)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("Content-Security-Policy", adminCSP)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Cross-Origin-Resource-Policy", "same-origin")
	switch p := r.URL.Path; {
	case s.isDashboard(p):
		s.serveDashboard(w, r)
	case s.isDashboard(p + "/"):
		http.Redirect(w, r, p+"/", http.StatusMovedPermanently)
	case p == eventsPath:
		s.serveEvents(w, r)
	default:
		name := strings.TrimPrefix(p, adminPrefix)
		b, err := assets.ReadFile("assets/" + name)
		if err != nil || name == "" || strings.Contains(name, "/") {
			if s.network && (p == adminPrefix || p == strings.TrimSuffix(adminPrefix, "/")) {
				http.Error(w, "on a network bind the dashboard is at the secret address qdn serve printed", http.StatusNotFound)
				return
			}
			http.NotFound(w, r)
			return
		}
		ct := "text/javascript; charset=utf-8"
		if strings.HasSuffix(name, ".css") {
			ct = "text/css; charset=utf-8"
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(b)
	}
}

// sameOrigin reports whether a request to the preview's own paths comes
// from one of its own pages, or is a navigation, such as a click on the
// address in the terminal. Browsers say where a request comes from in
// Sec-Fetch-Site and, for event streams and other CORS requests, Origin;
// a client that sends neither is not a browser page, and the Host check
// already holds for it.
func sameOrigin(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Scheme != "http" || !strings.EqualFold(u.Host, r.Host) {
			return false
		}
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
		return true
	}
	return r.Header.Get("Sec-Fetch-Mode") == "navigate"
}

// fromLoopback reports whether a request came from this computer.
func fromLoopback(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// allowedHost reports whether the Host of a request names this server: a
// name that no other site can make resolve here. On every bind that is
// localhost and the loopback addresses; on a network bind also any address
// (a page at an address is that address's) and this computer's host name,
// as a phone on the network may use them.
func (s *Server) allowedHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	if host == "" {
		return false
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback() || s.network
	}
	return s.names[strings.ToLower(host)]
}

// serveEvents is the event stream of one open page: "reload" when the page
// it shows changed, "errors" with the build errors, "ok" when they are
// fixed. A page that reconnects (after the server restarted) says which
// version it shows and is reloaded only if that is out of date.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	q := r.URL.Query()
	c := &client{key: s.keyOf(q.Get("path")), version: q.Get("v"), send: make(chan event, 16)}
	c.private = c.key == dashboardKey || fromLoopback(r.RemoteAddr)
	// push closes the channel when the client falls behind; reading the
	// closed channel ends this stream.
	ch := c.send
	s.mu.Lock()
	st := s.st
	switch {
	case !c.private:
	case len(st.errs) > 0:
		c.push(event{"errors", errorsJSON(st.errs)})
	default:
		c.push(event{"ok", ""})
	}
	if v := st.version(c.key); v != c.version {
		c.version = v
		c.push(event{"reload", ""})
	}
	s.clients[c] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.clients, c)
		s.mu.Unlock()
	}()

	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, "retry: 1000\n\n")
	fl.Flush()
	ping := time.NewTicker(20 * time.Second)
	defer ping.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-r.Context().Done():
			return
		case <-ping.C:
			io.WriteString(w, ": ping\n\n")
		case e, ok := <-ch:
			if !ok {
				return
			}
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.name, e.data)
		}
		fl.Flush()
	}
}

// lookup returns the bytes of the output at key. The Builder holds every
// page in memory, so only a path that is not in the output fails.
func lookup(out *generator.Output, key string) ([]byte, bool) {
	b, err := out.Bytes(key)
	return b, err == nil
}
