package generator

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/url"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/quickdumpnow/qdn/internal/htmlexec"
)

// Output is a built site in memory: output path (slash-separated, relative
// to public/) to bytes.
type Output struct {
	// files holds every output path. A cached Build leaves the bytes of
	// the pages it did not touch nil: they are in public/ as the last
	// build wrote them, and Bytes and All read them from there.
	files map[string][]byte
	// dir is the public/ directory the output was written to.
	dir string
	// sums holds the SHA-256 and size of the pages the build knows
	// without reading them back, by output path: those the cache trusted
	// as the last build left them in public/, and those the build wrote
	// (see wrote).
	sums map[string]pageSum
	// later holds the pages, listed in files with nil bytes, that the
	// build checked and renders again as it writes them; Build drops it
	// once they are written.
	later *laterPages
	// staged holds those of the tracking pages a batched build staged or
	// found in public/ as they are, by token (see stager): taken over
	// from the stager, as a second map of them by path would cost about
	// 80 MB at a million pages, at the end of the build. They are outputs
	// as those of files are, with their bytes in public/, but are not in
	// files: a million paths there would cost about 100 MB more at the
	// build's peak.
	staged []stagedPage
	// kept holds the tracking pages the build kept in public/ without
	// reading them, which files does not list (see keptPages).
	kept *keptPages
	// written is set once the build wrote the output to dir.
	written bool
}

// pageSum is the SHA-256 and size of a page's bytes.
type pageSum struct {
	sum  [32]byte
	size int64
}

// Sum returns the SHA-256 and size of the output at p when the build knows
// them without reading the page from public/, and false otherwise: then
// use Bytes. They are what the build left in public/; a page changed there
// since differs from them.
func (o *Output) Sum(p string) (sum [32]byte, size int64, ok bool) {
	s, ok := o.sum(p)
	return s.sum, s.size, ok
}

// sum is Sum as a pageSum.
func (o *Output) sum(p string) (pageSum, bool) {
	if s, ok := o.heldSum(p); ok {
		return s, true
	}
	if i, ok := o.kept.find(p); ok {
		return o.kept.sums[i], true
	}
	return pageSum{}, false
}

// heldSum is sum for a page of files, which the pages kept are not: it
// does not look among them, which would sort them.
func (o *Output) heldSum(p string) (pageSum, bool) {
	if s, ok := o.sums[p]; ok {
		return s, true
	}
	if sp, ok := findStaged(o.staged, p); ok {
		return pageSum{sp.sum, int64(sp.size)}, true
	}
	return pageSum{}, false
}

// wrote records the sums of the pages the build has written to public/:
// o.staged holds, by token, those of the tracking pages a batched build
// staged, and o.later those of the pages written as rendered again, whose
// bytes o does not hold; the others are hashed from the bytes o holds.
func (o *Output) wrote() {
	o.written = true
	if o.sums == nil {
		o.sums = map[string]pageSum{}
	}
	var held []string
	for p, b := range o.files {
		if o.later.has(p) {
			o.sums[p] = o.later.written[o.later.at[p]]
		} else if _, ok := o.heldSum(p); !ok && b != nil {
			held = append(held, p)
		}
	}
	sums := make([]pageSum, len(held))
	parallel(len(held), 0, func(i int) {
		b := o.files[held[i]]
		sums[i] = pageSum{sha256.Sum256(b), int64(len(b))}
	})
	for i, p := range held {
		o.sums[p] = sums[i]
	}
	o.later = nil
}

// Len is the number of output files.
func (o *Output) Len() int { return len(o.files) + len(o.staged) + o.kept.len() }

// TrackingPages is the number of tracking pages in the output, its paths
// under track/: counted without listing them, which would sort them.
func (o *Output) TrackingPages() int {
	n := len(o.staged) + o.kept.len()
	for p := range o.files {
		if strings.HasPrefix(p, "track/") {
			n++
		}
	}
	return n
}

// Has reports whether p is an output path.
func (o *Output) Has(p string) bool {
	_, ok := o.page(p)
	return ok
}

// page returns the bytes o holds of the output at p, nil when they are in
// public/, and false when p is not an output path.
func (o *Output) page(p string) ([]byte, bool) {
	if b, ok := o.heldPage(p); ok {
		return b, true
	}
	_, ok := o.kept.find(p)
	return nil, ok
}

// heldPage is page for the outputs but the pages kept: it does not look
// among them, which would sort them.
func (o *Output) heldPage(p string) ([]byte, bool) {
	if b, ok := o.files[p]; ok {
		return b, true
	}
	_, ok := findStaged(o.staged, p)
	return nil, ok
}

// Bytes returns the bytes of the output at path p, reading them from
// public/ when the build that made o left them there unread. A path that is
// not in the output is an error wrapping fs.ErrNotExist. The bytes are
// shared: do not change them.
func (o *Output) Bytes(p string) ([]byte, error) {
	b, ok := o.page(p)
	switch {
	case !ok:
		return nil, fmt.Errorf("%s is not in the output: %w", p, fs.ErrNotExist)
	case b != nil:
		return b, nil
	}
	b, err := ReadOutput(o.dir, p)
	if err != nil {
		return nil, fmt.Errorf("read the page the last build left in %s: %w", o.dir, err)
	}
	return b, nil
}

// ReadOutput reads the output at path p from the public/ directory dir: a
// regular file only, so that a named pipe or a device put in its place is
// neither waited on nor read without end.
func ReadOutput(dir, p string) ([]byte, error) {
	return readFile(filepath.Join(dir, filepath.FromSlash(p)))
}

// All returns every output by path with its bytes, reading from public/
// those the build left there unread.
func (o *Output) All() (map[string][]byte, error) {
	return o.bytesOf(o.Paths())
}

// bytesOf returns the outputs at paths by path with their bytes, as Bytes
// gives them, reading from public/ in parallel.
func (o *Output) bytesOf(paths []string) (map[string][]byte, error) {
	bs := make([][]byte, len(paths))
	errs := make([]error, len(paths))
	parallel(len(paths), 8, func(i int) {
		bs[i], errs[i] = o.Bytes(paths[i])
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	all := make(map[string][]byte, len(paths))
	for i, p := range paths {
		all[p] = bs[i]
	}
	return all, nil
}

// Dir returns the directory the output was written to, where each path's
// bytes are, or "" when it was not written (a build with NoWrite): then
// Bytes gives them.
func (o *Output) Dir() string {
	if !o.written {
		return ""
	}
	return o.dir
}

// Forget drops the bytes o holds of the pages its build wrote to public/:
// Bytes and All read them from there from then on. A caller that reads
// each page once more, such as qdn sync, then holds only the paths. An
// output that was not written to public/ is left as it is.
func (o *Output) Forget() {
	if !o.written {
		return
	}
	for p := range o.files {
		o.files[p] = nil
	}
}

// Paths returns the output paths in sorted order.
func (o *Output) Paths() []string {
	files := o.filePaths()
	if o.kept.len() == 0 {
		return files
	}
	kept := o.kept.sortedPaths()
	out := make([]string, 0, len(files)+len(kept))
	for len(files) > 0 && len(kept) > 0 {
		if files[0] < kept[0] {
			out, files = append(out, files[0]), files[1:]
		} else {
			out, kept = append(out, kept[0]), kept[1:]
		}
	}
	return append(append(out, files...), kept...)
}

// filePaths returns the paths of files and of the pages staged, sorted:
// every output path but those of the pages kept.
func (o *Output) filePaths() []string {
	out := make([]string, 0, len(o.files)+len(o.staged))
	for p := range o.files {
		out = append(out, p)
	}
	for _, sp := range o.staged {
		out = append(out, TrackPath(sp.tok))
	}
	sort.Strings(out)
	return out
}

// view is what every page template receives.
type view struct {
	Site        SiteConfig
	Title       string
	Description string
	Style       template.CSS
	CSP         string
	Private     bool
	Nav         []navItem
	TelURL      template.URL
	SMSURL      template.URL
	HasHeading  bool
	// Tel is the phone number as a tel: or sms: URI takes it. A template
	// that writes href="tel:{{.Tel}}" spares html/template the check of a
	// whole URL that href="{{.TelURL}}" costs.
	Tel string
	// FullTitle is the page's <title>: Title · Site.Name, or on the home
	// page the site's name and its description.
	FullTitle string
	// Footer is the page template's "footer" (from _base.html unless the
	// page template defines its own), rendered once per build with the
	// site's data only: it is the same on every page.
	Footer template.HTML

	Page     *Page
	Service  *Service
	Services []*Service
	Booking  *bookingView
	Track    *trackView
}

type navItem struct {
	Title   string
	URL     string
	Current bool
}

type bookingView struct {
	FormAction string
	Service    *Service
	SMS        template.URL
	Mail       template.URL
}

// trackView is a job as its tracking page shows it.
//
// The fields after the first group hold, already formatted, what the
// default template would otherwise get through template funcs (lower, date,
// when, day, mapURL) and method calls: every call from a template goes
// through reflection, and a tracking page is rendered 10,000 times a build.
// A site's own track.html may use either.
type trackView struct {
	ID           string
	CustomerName string
	// Status is the status's name, such as ready_for_pickup: the page's
	// colour for it is the class s-<name>.
	Status      string
	StatusLabel string
	Next        string
	Cancelled   bool
	Completed   bool
	EndedAt     time.Time
	Steps       []step
	Scheduled   *Schedule
	Address     string
	Service     *Service
	Price       *Price
	Crew        string

	// StatusLower is StatusLabel | lower.
	StatusLower string
	// EndedDate is EndedAt as date formats it, on a cancelled job;
	// EndedWhen is EndedAt as when formats it, on a completed one.
	EndedDate string
	EndedWhen string
	// ScheduledText is the day and window of Scheduled: "Saturday,
	// November 21, 2026, 1–5 pm".
	ScheduledText string
	// MapQuery is Address escaped for the query of a URL, as mapURL puts
	// it in the map link: a template that prints it after query= spares
	// html/template the check of a whole URL.
	MapQuery template.URL
	// PriceText is Price.String; AmountText is the amount with its note in
	// parentheses, as the receipt shows it.
	PriceText  string
	AmountText string
}

type step struct {
	Label     string
	State     string // done, skipped, current, upcoming, cancelled
	StateText string
	Current   bool
	At        time.Time
	Note      string
	// The state again, one flag each, for templates that print the
	// state's class and text as literals rather than escaping State and
	// StateText: Current is set for current and cancelled alike, and on
	// the last step of a completed job, which is Done as well.
	Done, Skipped, Upcoming, Cancelled bool
	// AtISO and AtWhen are At as iso and when format it, empty when At is
	// zero.
	AtISO  string
	AtWhen string
}

// renderer holds what every page of one build shares.
type renderer struct {
	site   *Site
	style  template.CSS
	policy string
	nav    []navItem
	loc    *time.Location
	tel    string
	// smsJob starts the sms: link of a tracking page, up to the job's id.
	smsJob string
	// footers holds the rendered "footer" of each page template.
	footers map[string]template.HTML
	// track runs track.html without html/template's reflection, once
	// trackOnce has seen it give the first page's bytes (see fastTrack).
	trackOnce sync.Once
	track     *htmlexec.Template
	// slabs, when set, holds the slabs tracking pages are rendered into
	// (see execFast); render sets it when it renders many pages.
	slabs *sync.Pool
}

func newRenderer(s *Site) (*renderer, error) {
	r := &renderer{site: s, loc: siteLocation(s.Config), tel: s.Config.Site.TelURI()}
	r.smsJob = "sms:" + r.tel + "?&body=" + uriEscape("Hi, this is about job ")
	var css bytes.Buffer
	if err := s.Templates.pages[Template404].ExecuteTemplate(&css, "style", nil); err != nil {
		return nil, fmt.Errorf("render style: %w", err)
	}
	r.style = template.CSS(css.String())
	r.policy = r.csp()
	r.nav = append(r.nav, navItem{Title: "Home", URL: "/"}, navItem{Title: "Book", URL: "/book/"})
	var menu []*Page
	for _, p := range s.Pages {
		if p.Menu > 0 {
			menu = append(menu, p)
		}
	}
	sort.SliceStable(menu, func(i, j int) bool { return menu[i].Menu < menu[j].Menu })
	for _, p := range menu {
		r.nav = append(r.nav, navItem{Title: p.Title, URL: p.URL()})
	}
	r.footers = map[string]template.HTML{}
	for _, name := range pageTemplates {
		set := s.Templates.pages[name]
		if set == nil || set.Lookup("footer") == nil {
			continue
		}
		var b bytes.Buffer
		if err := set.ExecuteTemplate(&b, "footer", r.view("", "")); err != nil {
			return nil, templateError(s.Templates.Source[name], err)
		}
		r.footers[name] = template.HTML(b.String())
	}
	return r, nil
}

// csp is the Content-Security-Policy of every page: nothing may load from
// anywhere except the page's own inline style (by hash) and same-origin
// images; forms post only to the configured booking endpoint.
func (r *renderer) csp() string {
	sum := sha256.Sum256([]byte(r.style))
	formAction := "'none'"
	if fa := r.site.Config.Booking.FormAction; fa != "" {
		u, _ := url.Parse(fa)
		formAction = u.Scheme + "://" + u.Host
	}
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; img-src 'self' data:; base-uri 'none'; form-action " + formAction
}

func (r *renderer) view(title, url string) *view {
	c := r.site.Config
	v := &view{
		Site:      c.Site,
		Title:     title,
		Style:     r.style,
		CSP:       r.policy,
		Tel:       r.tel,
		TelURL:    template.URL("tel:" + r.tel),
		SMSURL:    template.URL("sms:" + r.tel),
		FullTitle: title + " · " + c.Site.Name,
		// Templates do not change what they are given: a page that is
		// none of the nav's shares the renderer's.
		Nav: r.nav,
	}
	cloned := false
	for i, n := range r.nav {
		if n.URL != url {
			continue
		}
		if !cloned {
			v.Nav, cloned = slices.Clone(r.nav), true
		}
		v.Nav[i].Current = true
	}
	return v
}

// buffers are reused across pages; each page keeps a copy of its own size,
// which matters when qdn serve holds 10,000 pages in memory.
var buffers = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 16<<10)) }}

func (r *renderer) exec(name string, v *view) ([]byte, error) {
	b := buffers.Get().(*bytes.Buffer)
	defer buffers.Put(b)
	page, err := r.execInto(b, name, v)
	if err != nil {
		return nil, err
	}
	return bytes.Clone(page), nil
}

// execInto renders the page template name into b, emptied first, and
// returns b's bytes.
func (r *renderer) execInto(b *bytes.Buffer, name string, v *view) ([]byte, error) {
	b.Reset()
	v.Footer = r.footers[name]
	if err := r.site.Templates.pages[name].ExecuteTemplate(b, name, v); err != nil {
		return nil, templateError(r.site.Templates.Source[name], err)
	}
	return b.Bytes(), nil
}

// Render builds every output of the site in memory. It stops soon after
// ctx is cancelled and returns ctx's error.
func Render(ctx context.Context, s *Site) (*Output, error) {
	return render(ctx, s, nil, nil, nil, nil)
}

// render is Render for a build that already holds some tracking pages, by
// output path: those are taken as they are.
//
// With emit set, the tracking pages to render are rendered batchPages at a
// time and handed to emit, a batch at a time, with their jobs' tokens,
// instead of being kept: the output does not list them (the stager that
// wrote them adds them, see stager.settle). Once a page fails to render, emit is
// not called again (the build fails), but every page is still rendered, to
// report every error.
//
// With look set instead, the output holds the tracking pages that look let it check straight
// away as laterPages: checked, with nil bytes, to be rendered again when
// written (see Output.later). look returns the privacy check's index and
// true once the pages can be checked (a nil index when the build has no
// check), and false before: the pages rendered then are held, as without
// look, and checked with the others.
func render(ctx context.Context, s *Site, have map[string][]byte, keep *keptPages, emit func(paths, tokens []string, pages [][]byte) error,
	look func() (*leakIndex, bool)) (*Output, error) {
	r, err := newRenderer(s)
	if err != nil {
		return nil, err
	}
	// The live jobs but those whose pages are kept, which the output
	// lists apart (see keptPages).
	live := make([]*Job, 0, len(s.Jobs)-keep.len())
	for i, j := range s.Jobs {
		if (keep == nil || !keep.job[i]) && s.live(j) {
			live = append(live, j)
		}
	}
	// Room for every output: the tracking pages, the assets and pages, and
	// /book/, the services, 404.html, robots.txt and index.html.
	// A batched build adds the pages of its batches once they have all
	// passed (see stager.settle): at a million pages, the room for them
	// would be 60 MB held while they render.
	pages := len(live)
	if emit != nil {
		pages = len(have)
	}
	out := &Output{files: make(map[string][]byte, pages+len(s.Assets)+len(s.Pages)+1+len(s.Services)+3), kept: keep}
	var list ErrorList
	// A mistake in a template fails every page it renders: it is reported
	// once, not once per tracking page.
	seen := map[Error]bool{}
	add := func(path string, b []byte, err error) {
		if err != nil {
			if e, ok := err.(*Error); ok {
				if !seen[*e] {
					seen[*e] = true
					list = append(list, e)
				}
				return
			}
			list = append(list, &Error{Pos: Pos{File: path}, Msg: err.Error()})
			return
		}
		out.files[path] = b
	}
	if len(s.Assets) > 0 {
		root, err := openSite(s.Dir)
		if err != nil {
			return nil, err
		}
		for p, file := range s.Assets {
			b, _, err := readSource(root, file, maxAssetSize)
			add(p, b, err)
		}
		root.Close()
	}
	for _, p := range s.Pages {
		b, err := r.Page(p)
		add(p.Out, b, err)
	}
	b, err := r.Book()
	add("book/index.html", b, err)
	for _, sv := range s.Services {
		b, err := r.Service(sv)
		add(ServicePath(sv.Slug), b, err)
	}
	b, err = r.NotFound()
	add("404.html", b, err)
	if _, ok := out.files["robots.txt"]; !ok {
		out.files["robots.txt"] = Robots()
	}
	if _, ok := out.files["index.html"]; !ok {
		b, err := r.Page(&Page{Title: s.Config.Site.Name, Out: "index.html"})
		add("index.html", b, err)
	}

	jobs := make([]*Job, 0, len(live))
	// The paths of the pages to render, when held all at once; batches
	// make theirs as they go: at a million pages, 16 MB less.
	var paths []string
	if emit == nil {
		paths = make([]string, 0, len(live))
	}
	for _, j := range live {
		p := TrackPath(j.Token)
		if b, ok := have[p]; ok {
			out.files[p] = b
			if b == nil && j.cached != nil {
				if out.sums == nil {
					out.sums = map[string]pageSum{}
				}
				// reuse trusted the page only when its stamp, and so
				// its size, is as the cache recorded.
				out.sums[p] = pageSum{j.cached.Page, j.cached.PageStat.Size}
			}
			continue
		}
		if j.cached != nil {
			// reuse parses again each job taken from the cache whose
			// page it did not find: one rendered from its entry alone
			// would show no history.
			return nil, fmt.Errorf("%s: a job taken from the build cache was not parsed before its page was made; run the build with --no-cache and report it", j.File)
		}
		jobs = append(jobs, j)
		if emit == nil {
			paths = append(paths, p)
		}
	}
	if len(jobs) >= slabPages {
		r.slabs = newSlabs()
	}
	if emit == nil {
		jobs, err := s.fullJobs(ctx, jobs)
		if err != nil {
			return nil, err
		}
		pages := make([][]byte, len(jobs))
		errs := make([]error, len(jobs))
		var later *laterPlan
		if look != nil && len(jobs) > 0 {
			later = newLaterPlan(r, len(jobs))
		}
		if err := parallelCtx(ctx, len(jobs), 0, func(i int) {
			if later != nil {
				if x, ok := look(); ok {
					errs[i] = later.first(i, jobs[i], paths[i], x)
					return
				}
			}
			pages[i], errs[i] = r.Track(jobs[i])
		}); err != nil {
			return nil, err
		}
		for i, p := range paths {
			add(p, pages[i], errs[i])
		}
		if later != nil {
			out.later = later.done(paths)
		}
		return out, list.Err()
	}
	for start := 0; start < len(jobs); start += batchPages {
		end := min(start+batchPages, len(jobs))
		batch, err := s.fullJobs(ctx, jobs[start:end])
		if err != nil {
			return nil, err
		}
		pages := make([][]byte, end-start)
		errs := make([]error, end-start)
		if err := parallelCtx(ctx, end-start, 0, func(i int) {
			pages[i], errs[i] = r.Track(batch[i])
		}); err != nil {
			return nil, err
		}
		var good, tokens []string
		var goodPages [][]byte
		for i, j := range jobs[start:end] {
			p := TrackPath(j.Token)
			if errs[i] != nil {
				add(p, nil, errs[i])
				continue
			}
			good, tokens, goodPages = append(good, p), append(tokens, j.Token), append(goodPages, pages[i])
		}
		if len(list) == 0 {
			if err := emit(good, tokens, goodPages); err != nil {
				return nil, err
			}
		}
	}
	return out, list.Err()
}

// ServicePath returns the output path of a service's booking page.
func ServicePath(slug string) string { return "book/" + slug + "/index.html" }

// Robots returns the robots.txt qdn writes when the content has none. It
// keeps crawlers off the tracking pages without naming any of them.
func Robots() []byte {
	return []byte("User-agent: *\nDisallow: /track/\n")
}

// Page renders a markdown page; the site's home page (index.html) uses the
// home template.
func (r *renderer) Page(p *Page) ([]byte, error) {
	v := r.view(p.Title, p.URL())
	v.Page, v.Description = p, p.Description
	v.HasHeading = hasH1(p.Body)
	if p.Out == "index.html" {
		v.Services = r.site.Services
		v.FullTitle = r.site.Config.Site.Name
		if p.Description != "" {
			v.FullTitle += " · " + p.Description
		}
		return r.exec(TemplateHome, v)
	}
	return r.exec(TemplatePage, v)
}

func hasH1(body template.HTML) bool { return strings.Contains(string(body), "<h1") }

// Book renders /book/, the list of services.
func (r *renderer) Book() ([]byte, error) {
	v := r.view("Book a service", "/book/")
	v.Services = r.site.Services
	if p := r.site.BookIntro; p != nil {
		v.Page, v.Title, v.Description = p, p.Title, p.Description
		v.HasHeading = hasH1(p.Body)
	}
	return r.exec(TemplateBook, v)
}

// Service renders /book/<slug>/ with its booking request.
func (r *renderer) Service(sv *Service) ([]byte, error) {
	v := r.view(sv.Title, "/book/")
	v.Service, v.Description = sv, sv.Summary
	c := r.site.Config
	b := &bookingView{FormAction: c.Booking.FormAction, Service: sv}
	msg := fmt.Sprintf("Hi %s, I would like to book %s — %s.\nName: \nAddress: \nPreferred date: ", c.Site.Name, sv.Title, sv.PriceLine)
	b.SMS = template.URL("sms:" + c.Site.TelURI() + "?&body=" + uriEscape(msg))
	if c.Site.Email != "" {
		b.Mail = template.URL("mailto:" + c.Site.Email + "?subject=" + uriEscape("Booking request: "+sv.Title) + "&body=" + uriEscape(msg))
	}
	v.Booking = b
	return r.exec(TemplateService, v)
}

// uriEscape percent-encodes s for the query of an sms: or mailto: URI,
// where + does not mean a space.
func uriEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// NotFound renders 404.html.
func (r *renderer) NotFound() ([]byte, error) {
	v := r.view("Not found", "")
	v.Private = true
	return r.exec(Template404, v)
}

// Track renders the tracking page of one job.
func (r *renderer) Track(j *Job) ([]byte, error) {
	return r.fastTrack(r.trackPage(j))
}

// trackInto renders the tracking page of one job into b, emptied first,
// and returns the page: b's bytes, or the first page of the build, which
// htmlexec.Compile renders into memory of its own (see fastTrack).
func (r *renderer) trackInto(b *bytes.Buffer, j *Job) ([]byte, error) {
	v := r.trackPage(j)
	return r.renderTrack(v, func(t *htmlexec.Template) ([]byte, error) {
		b.Reset()
		v.Footer = r.footers[TemplateTrack]
		if err := t.Execute(b, v); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}, func() ([]byte, error) { return r.execInto(b, TemplateTrack, v) })
}

// renderTrack renders the tracking page of the view v: the first page of
// a build with compileTrack, the others with fast when htmlexec runs the
// page and with slow (html/template) when it does not.
func (r *renderer) renderTrack(v *view, fast func(*htmlexec.Template) ([]byte, error), slow func() ([]byte, error)) ([]byte, error) {
	first := false
	var page []byte
	var err error
	r.trackOnce.Do(func() {
		first = true
		page, err = r.compileTrack(v)
	})
	if first {
		return page, err
	}
	if r.track != nil {
		if page, err := fast(r.track); err == nil {
			return page, nil
		}
	}
	return slow()
}

// compileTrack renders the first tracking page of a build, and has r.track
// run the others when htmlexec gives that page's bytes (see fastTrack).
func (r *renderer) compileTrack(v *view) ([]byte, error) {
	v.Footer = r.footers[TemplateTrack]
	t, page, err := htmlexec.Compile(r.site.Templates.pages[TemplateTrack], TemplateTrack, v)
	r.track = t
	if err != nil {
		return nil, templateError(r.site.Templates.Source[TemplateTrack], err)
	}
	return page[:len(page):len(page)], nil
}

// trackPage is the view of a job's tracking page.
func (r *renderer) trackPage(j *Job) *view {
	c := r.site.Config
	t := &trackView{
		ID:           j.ID,
		CustomerName: j.Customer.Name,
		Status:       string(j.Status),
		StatusLabel:  c.StatusLabel(j.Status),
		Next:         c.Statuses[j.Status].Next,
		Cancelled:    j.Status == Cancelled,
		Completed:    j.Status == Completed,
		EndedAt:      r.in(j.EndedAt()),
		Scheduled:    j.Scheduled,
		Address:      j.Address,
		Service:      r.site.Service(j.Service),
		Price:        j.Price,
		Crew:         j.CrewFirstName(),
		Steps:        r.steps(j),
	}
	t.StatusLower = strings.ToLower(t.StatusLabel)
	switch {
	case t.Cancelled:
		t.EndedDate = formatDate(t.EndedAt)
	case t.Completed:
		t.EndedWhen = formatWhen(t.EndedAt)
	}
	if sc := j.Scheduled; sc != nil {
		t.ScheduledText = sc.Window
		if !sc.Date.IsZero() {
			t.ScheduledText = formatDay(sc.Date)
			if sc.Window != "" {
				t.ScheduledText += ", " + sc.Window
			}
		}
	}
	if t.Address != "" {
		t.MapQuery = template.URL(url.QueryEscape(t.Address))
	}
	if p := j.Price; p != nil {
		// As Price.String and Amount.String, with the amount formatted once.
		amount := p.Amount.String()
		t.PriceText, t.AmountText = amount, amount
		if p.Note != "" {
			t.PriceText = strings.TrimSpace(amount + " " + p.Note)
			t.AmountText = amount + " (" + p.Note + ")"
		}
	}
	v := r.view("Job "+j.ID, "")
	v.Private, v.Track = true, t
	// uriEscape escapes byte by byte, so the message escapes in parts.
	v.SMSURL = template.URL(r.smsJob + uriEscape(j.ID+": "))
	return v
}

// fastTrack renders a tracking page with htmlexec, which gives the bytes
// html/template gives in a fifth of the time, and with html/template when
// htmlexec cannot run the page (a site's track.html may call functions it
// leaves alone). The first page of a build goes through htmlexec.Compile,
// which renders it with html/template and uses htmlexec for the build only
// if it gives that page's bytes too.
func (r *renderer) fastTrack(v *view) ([]byte, error) {
	return r.renderTrack(v, func(t *htmlexec.Template) ([]byte, error) { return r.execFast(t, v) },
		func() ([]byte, error) { return r.exec(TemplateTrack, v) })
}

func (r *renderer) execFast(t *htmlexec.Template, v *view) ([]byte, error) {
	if r.slabs != nil {
		return r.execSlab(t, v)
	}
	b := buffers.Get().(*bytes.Buffer)
	defer buffers.Put(b)
	b.Reset()
	v.Footer = r.footers[TemplateTrack]
	if err := t.Execute(b, v); err != nil {
		return nil, err
	}
	return bytes.Clone(b.Bytes()), nil
}

// A build that renders thousands of tracking pages renders them straight
// into slabs of slabSize bytes, one page after the other, each page a
// slice of its slab capped at its length. A page rendered into a buffer
// and then copied to memory of its own cost the copy, the zeroing of that
// memory and the rounding of its size up to the allocator's size class
// (a 7 KB page took 8 KB); fresh memory is the dear part of a clean
// build. A slab is freed when no page in it is held any longer.
const (
	slabSize = 256 << 10
	// slabRoom is the room a slab must have left to start a page in it:
	// more than most tracking pages take. A page that outgrows the room
	// left is finished in memory of its own, which bytes.Buffer grows.
	slabRoom = 24 << 10
	// slabPages is how many pages a render must render to use slabs:
	// qdn serve, which renders a page or two at a time and holds them,
	// gives each its own memory.
	slabPages = 64
)

type pageSlab struct{ b []byte }

func newSlabs() *sync.Pool { return &sync.Pool{New: func() any { return new(pageSlab) }} }

// execSlab is execFast rendering into a slab of r.slabs.
func (r *renderer) execSlab(t *htmlexec.Template, v *view) ([]byte, error) {
	s := r.slabs.Get().(*pageSlab)
	defer r.slabs.Put(s)
	if cap(s.b)-len(s.b) < slabRoom {
		s.b = make([]byte, 0, slabSize)
		prefault(s.b)
	}
	free := s.b[len(s.b):len(s.b):cap(s.b)]
	b := bytes.NewBuffer(free)
	v.Footer = r.footers[TemplateTrack]
	if err := t.Execute(b, v); err != nil {
		return nil, err
	}
	page := b.Bytes()
	if len(page) == 0 {
		return free[:0:0], nil
	}
	if &page[0] == &free[:1][0] {
		s.b = s.b[:len(s.b)+len(page)]
	}
	return page[:len(page):len(page)], nil
}

func (r *renderer) in(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.In(r.loc)
}

// steps lays out the steps of a job's service (Site.StepsOf): what is done, what was skipped,
// where it is now and what is still to come. A cancelled job shows the steps
// it reached and then the cancellation.
func (r *renderer) steps(j *Job) []step {
	c := r.site.Config
	flow := r.site.StepsOf(j)
	cur := -1
	for i, s := range flow {
		if s == j.Status {
			cur = i
		}
	}
	if j.Status == Cancelled {
		// The furthest step of the flow reached before cancelling.
		for i, s := range flow {
			if !j.Reached(s).IsZero() {
				cur = i
			}
		}
	}
	out := make([]step, 0, len(flow)+1)
	for i, s := range flow {
		st := step{Label: c.StatusLabel(s), At: r.in(j.Reached(s)), Note: noteFor(j, s)}
		switch {
		case j.Status == Cancelled && i > cur:
			continue
		case j.Status == Cancelled || i < cur:
			st.State, st.StateText, st.Done = "done", "Done", true
			if st.At.IsZero() {
				st.State, st.StateText, st.Done, st.Skipped = "skipped", "Skipped", false, true
			}
		case i == cur && j.Status == Completed:
			// The job is over: its last step is done, not under way.
			st.State, st.StateText, st.Done, st.Current = "done", "Done", true, true
		case i == cur:
			st.State, st.StateText, st.Current = "current", "Current status", true
		default:
			st.State, st.StateText, st.Upcoming = "upcoming", "Not yet", true
		}
		out = append(out, st.withTimes())
	}
	if j.Status == Cancelled {
		st := step{Label: c.StatusLabel(Cancelled), State: "cancelled", StateText: "Current status", Current: true, Cancelled: true,
			At: r.in(j.Reached(Cancelled)), Note: noteFor(j, Cancelled)}
		out = append(out, st.withTimes())
	}
	return out
}

func (st step) withTimes() step {
	if !st.At.IsZero() {
		st.AtISO, st.AtWhen = formatISO(st.At), formatWhen(st.At)
	}
	return st
}

func noteFor(j *Job, s Status) string {
	for i := len(j.History) - 1; i >= 0; i-- {
		if j.History[i].Status == s {
			return j.History[i].Note
		}
	}
	return ""
}

func mapURL(address string) template.URL {
	return template.URL("https://www.google.com/maps/search/?api=1&query=" + url.QueryEscape(address))
}
