package preview

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/quickdumpnow/qdn/generator"
)

// assets are the preview's own files, served under /_qdn/.
//
//go:embed assets
var assets embed.FS

//go:embed dashboard.html
var dashboardSource string

var dashboardTemplate = template.Must(template.New("dashboard").Parse(dashboardSource))

// staleAfter is how long a job that has not ended may go without a move
// before the dashboard flags it.
const staleAfter = 3 * 24 * time.Hour

// maxRows bounds the table: a page of 10,000 rows helps nobody, and the
// search narrows it down.
const maxRows = 500

// dashboard is what the dispatch dashboard shows.
type dashboard struct {
	// Base is the dashboard's own path, which on a network bind holds its
	// secret.
	Base     string
	SiteName string
	Version  string
	Built    bool
	Total    int
	Counts   []statusCount
	Status   string
	// StatusLabel is the label of the status filter, empty for all jobs.
	StatusLabel string
	Query       string
	Rows        []dashRow
	Matched     int
	// JobErrors are the job files with validation errors; OtherErrors the
	// rest (configuration, content, templates).
	JobErrors   []fileErrors
	OtherErrors []buildError
}

type statusCount struct {
	Status string
	Label  string
	N      int
	URL    string
	Active bool
}

type fileErrors struct {
	File   string
	ID     string
	Errors []buildError
}

// dashRow is one job as the dashboard lists it.
type dashRow struct {
	ID          string `json:"id"`
	File        string `json:"file"`
	Status      string `json:"status"`
	StatusLabel string `json:"label"`
	Customer    string `json:"customer"`
	Address     string `json:"address"`
	Service     string `json:"service"`
	Price       string `json:"price"`
	Scheduled   string `json:"scheduled"`
	Updated     string `json:"updated"`
	UpdatedISO  string `json:"updatedISO"`
	TrackURL    string `json:"track"`
	// TrackHead and TrackToken split TrackURL where it may wrap.
	TrackHead  string `json:"-"`
	TrackToken string `json:"-"`
	PreviewURL string `json:"preview"`
	Expired    bool   `json:"expired"`
	HasErrors  bool   `json:"errors"`
	// LastGood means the row shows the job as the last good build has it.
	LastGood bool `json:"lastGood"`
	// Attention says why the job needs a look, besides errors: it is past
	// its scheduled day, or has not moved in a while, and has not ended.
	Attention []string `json:"attention"`
}

// NeedsAttention reports whether the dashboard flags the job.
func (r dashRow) NeedsAttention() bool { return r.HasErrors || len(r.Attention) > 0 }

// rows lists every job of the site as last read, newest id first, with
// links built from the configuration and the output of the last good build.
func (st *state) rows() []dashRow {
	st.rowsOnce.Do(func() { st.rowList = st.makeRows() })
	return st.rowList
}

func (st *state) makeRows() []dashRow {
	site := st.src
	if site == nil || site.Config == nil {
		site = st.site
	}
	if site == nil || site.Config == nil {
		return nil
	}
	cfg := site.Config
	loc := cfg.Site.Location
	if loc == nil {
		loc = time.UTC
	}
	bad := map[string]bool{}
	for _, e := range st.errs {
		bad[e.File] = true
	}
	// A job file with mistakes is shown as the last good build has it, as
	// its page is, rather than with the zero values of what failed to parse.
	good := map[string]*generator.Job{}
	if len(bad) > 0 && st.site != nil && st.site != site {
		for _, j := range st.site.Jobs {
			if bad[j.File] {
				good[j.File] = j
			}
		}
	}
	out := make([]dashRow, 0, len(site.Jobs))
	for _, j := range site.Jobs {
		if j == nil {
			continue
		}
		g, lastGood := good[j.File]
		if lastGood {
			j = g
		}
		r := dashRow{
			ID: j.ID, File: j.File, Status: string(j.Status), Customer: j.Customer.Name, Address: j.Address,
			Price: j.Price.String(), HasErrors: bad[j.File], LastGood: lastGood,
		}
		if r.ID == "" {
			r.ID = strings.TrimSuffix(strings.TrimPrefix(j.File, generator.JobsDir+"/"), ".yaml")
		}
		r.StatusLabel = cfg.StatusLabel(j.Status)
		if r.StatusLabel == "" {
			r.StatusLabel = string(j.Status)
		}
		r.Service = j.Service
		if sv := site.Service(j.Service); sv != nil {
			r.Service = sv.Title
		}
		if sc := j.Scheduled; sc != nil {
			var parts []string
			if !sc.Date.IsZero() {
				parts = append(parts, sc.Date.Format("Mon Jan 2, 2006"))
			}
			if sc.Window != "" {
				parts = append(parts, sc.Window)
			}
			r.Scheduled = strings.Join(parts, ", ")
		}
		if t := j.UpdatedAt(); !t.IsZero() {
			r.Updated = t.In(loc).Format("Jan 2, 3:04 pm")
			r.UpdatedISO = t.Format(time.RFC3339)
		}
		r.Attention = attention(j, site.Now, loc)
		if j.Token != "" && generator.CheckToken(j.Token) == nil {
			if j.Live(site.Now, cfg.Track.ExpireAfter) {
				r.TrackHead, r.TrackToken = strings.TrimSuffix(cfg.Site.BaseURL, "/")+"/track/", j.Token+"/"
				r.TrackURL = r.TrackHead + r.TrackToken
				if st.out != nil {
					if st.out.Has(generator.TrackPath(j.Token)) {
						r.PreviewURL = "/track/" + j.Token + "/"
					}
				}
			} else {
				r.Expired = true
			}
		}
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, k int) bool { return out[i].ID > out[k].ID })
	return out
}

// attention says why a job that has not ended needs a look at now: its
// scheduled day is over, or it has not moved for staleAfter.
func attention(j *generator.Job, now time.Time, loc *time.Location) []string {
	if j.Status.Ended() || !j.Status.Known() || now.IsZero() {
		return nil
	}
	var out []string
	n := now.In(loc)
	today := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc)
	if sc := j.Scheduled; sc != nil && !sc.Date.IsZero() && sc.Date.Before(today) {
		out = append(out, "past its scheduled day")
	}
	if t := j.UpdatedAt(); !t.IsZero() && now.Sub(t) > staleAfter {
		out = append(out, fmt.Sprintf("no move in %d days", int(now.Sub(t)/(24*time.Hour))))
	}
	return out
}

// dashboardVersion changes exactly when what the dashboard shows changes.
func (st *state) dashboardVersion() string {
	st.dashOnce.Do(func() {
		h := sha256.New()
		for _, r := range st.rows() {
			for _, f := range []string{r.ID, r.File, r.Status, r.StatusLabel, r.Customer, r.Address, r.Service, r.Price,
				r.Scheduled, r.Updated, r.TrackURL, r.PreviewURL, strconv.FormatBool(r.Expired), strconv.FormatBool(r.HasErrors), strconv.FormatBool(r.LastGood),
				strings.Join(r.Attention, ",")} {
				io.WriteString(h, f)
				h.Write([]byte{0})
			}
		}
		json.NewEncoder(h).Encode(st.errs)
		fmt.Fprint(h, st.out != nil)
		st.dashVer = "d-" + hex.EncodeToString(h.Sum(nil)[:12])
	})
	return st.dashVer
}

func (s *Server) serveDashboard(w http.ResponseWriter, r *http.Request) {
	st := s.snapshot()
	q := r.URL.Query()
	d := &dashboard{Base: s.dashPath, Version: st.version(dashboardKey), Built: st.out != nil, Status: q.Get("status"), Query: strings.TrimSpace(q.Get("q"))}
	site := st.src
	if site == nil || site.Config == nil {
		site = st.site
	}
	if site != nil && site.Config != nil {
		d.SiteName = site.Config.Site.Name
	}
	rows := st.rows()
	d.Total = len(rows)
	count := map[string]int{}
	errCount, attnCount := 0, 0
	for _, row := range rows {
		count[row.Status]++
		if row.HasErrors {
			errCount++
		}
		if row.NeedsAttention() {
			attnCount++
		}
	}
	d.Counts = append(d.Counts, statusCount{Status: "", Label: "All", N: len(rows), URL: dashURL(d.Base, "", d.Query), Active: d.Status == ""})
	d.Counts = append(d.Counts, statusCount{Status: "attention", Label: "Needs attention", N: attnCount, URL: dashURL(d.Base, "attention", d.Query), Active: d.Status == "attention"})
	for _, sv := range generator.Statuses {
		label := string(sv)
		if site != nil && site.Config != nil && site.Config.StatusLabel(sv) != "" {
			label = site.Config.StatusLabel(sv)
		}
		d.Counts = append(d.Counts, statusCount{Status: string(sv), Label: label, N: count[string(sv)], URL: dashURL(d.Base, string(sv), d.Query), Active: d.Status == string(sv)})
	}
	d.Counts = append(d.Counts, statusCount{Status: "errors", Label: "With errors", N: errCount, URL: dashURL(d.Base, "errors", d.Query), Active: d.Status == "errors"})
	for _, c := range d.Counts {
		if c.Active && c.Status != "" {
			d.StatusLabel = c.Label
		}
	}

	needle := strings.ToLower(d.Query)
	for _, row := range rows {
		switch {
		case d.Status == "errors" && !row.HasErrors:
			continue
		case d.Status == "attention" && !row.NeedsAttention():
			continue
		case d.Status != "" && d.Status != "errors" && d.Status != "attention" && row.Status != d.Status:
			continue
		case needle != "" && !row.matches(needle):
			continue
		}
		d.Matched++
		if len(d.Rows) < maxRows {
			d.Rows = append(d.Rows, row)
		}
	}

	byFile := map[string]*fileErrors{}
	ids := map[string]string{}
	for _, row := range rows {
		ids[row.File] = row.ID
	}
	for _, e := range st.errs {
		if !strings.HasPrefix(e.File, generator.JobsDir+"/") {
			d.OtherErrors = append(d.OtherErrors, e)
			continue
		}
		fe := byFile[e.File]
		if fe == nil {
			fe = &fileErrors{File: e.File, ID: ids[e.File]}
			byFile[e.File] = fe
		}
		fe.Errors = append(fe.Errors, e)
	}
	for _, fe := range byFile {
		d.JobErrors = append(d.JobErrors, *fe)
	}
	sort.Slice(d.JobErrors, func(i, k int) bool { return d.JobErrors[i].File < d.JobErrors[k].File })

	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := dashboardTemplate.Execute(w, d); err != nil {
		s.logf("dashboard: %v", err)
	}
}

func (s *Server) logf(format string, args ...any) {
	s.opt.Log.Write([]byte("qdn: " + strings.TrimSuffix(fmt.Sprintf(format, args...), "\n") + "\n"))
}

func (r dashRow) matches(needle string) bool {
	for _, f := range []string{r.ID, r.Customer, r.Address, r.Service, r.StatusLabel, r.Price, r.Scheduled} {
		if strings.Contains(strings.ToLower(f), needle) {
			return true
		}
	}
	return false
}

func dashURL(base, status, q string) string {
	v := make([]string, 0, 2)
	if status != "" {
		v = append(v, "status="+template.URLQueryEscaper(status))
	}
	if q != "" {
		v = append(v, "q="+template.URLQueryEscaper(q))
	}
	if len(v) == 0 {
		return base
	}
	return base + "?" + strings.Join(v, "&")
}
