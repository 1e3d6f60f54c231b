package generator

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"
)

// JobsDir is the directory of job files under the site root.
const JobsDir = "jobs"

// Job is one job file, jobs/<id>.yaml.
type Job struct {
	// File is the path of the job file relative to the site root.
	File string
	ID   string
	// LegacyID is the id the job had in the system it was imported from.
	LegacyID  string
	Token     string
	Customer  Customer
	Address   string
	Service   string
	Price     *Price
	Scheduled *Schedule
	Crew      string
	Status    Status
	History   []Event
	// Private holds what dispatch keeps about the job for itself: phone
	// numbers, gate codes. It is never rendered.
	Private []PrivateField

	// where is the position of each top-level key, for errors found later;
	// nil on a job that was not parsed in full.
	where *jobPlaces
	// cached is set on a job that a cached build did not parse: only its
	// file, id, token, service, status and end are known.
	cached *cacheEntry
	// reread is set on a job of which a build keeps only what it needs of
	// it for the whole build (see Site.slimJob): 1 + the index of its file
	// in Site.sources, whose hash its file must still have when it is read
	// again to render its page.
	reread int32
	// end is when such a job, or one taken from the cache, ended, in Unix
	// nanoseconds, in place of its history, which it does not keep: zero
	// when it has not ended or its history does not say. Held in the
	// padding the struct had, it costs nothing, where a history of one
	// event cost 80 bytes a job.
	end int64
}

// Customer is who the job is for.
type Customer struct {
	Name string
}

// Price is what the job costs, with a note such as "all-inclusive".
type Price struct {
	Amount Money
	Note   string
}

// String formats the price with its note: "$600 all-inclusive".
func (p *Price) String() string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(p.Amount.String() + " " + p.Note)
}

// Schedule is when the crew is expected.
type Schedule struct {
	// Date is midnight of the scheduled day in the site's time zone.
	Date   time.Time
	Window string
}

// Event is one entry of a job's history: when it reached a status.
type Event struct {
	Status Status
	At     time.Time
	Note   string
	// Forced marks a move the flow does not allow, made on purpose.
	Forced bool

	line, col int
}

// PrivateField is one key under private:.
type PrivateField struct {
	Key   string
	Value string
}

// CrewFirstName is the first name of the crew, which is all a customer sees.
func (j *Job) CrewFirstName() string {
	name, _, _ := strings.Cut(strings.TrimSpace(j.Crew), " ")
	return name
}

// EndedAt returns when a completed or cancelled job ended: the time its
// history reached its status, else its last history entry. The zero time
// means it is not over, or it is over at an unknown time.
func (j *Job) EndedAt() time.Time {
	if !j.Status.Ended() {
		return time.Time{}
	}
	if j.end != 0 {
		return time.Unix(0, j.end)
	}
	for i := len(j.History) - 1; i >= 0; i-- {
		if j.History[i].Status == j.Status {
			return j.History[i].At
		}
	}
	if n := len(j.History); n > 0 {
		return j.History[n-1].At
	}
	return time.Time{}
}

// Live reports whether the job still gets a tracking page at now. A job that
// ended more than expire ago gets none, and neither does one that ended at
// an unknown time: a link must never outlive its job by accident.
func (j *Job) Live(now time.Time, expire time.Duration) bool {
	if !j.Status.Ended() {
		return true
	}
	end := j.EndedAt()
	return !end.IsZero() && now.Sub(end) <= expire
}

// UpdatedAt is the time of the last history entry, or the zero time.
func (j *Job) UpdatedAt() time.Time {
	if n := len(j.History); n > 0 {
		return j.History[n-1].At
	}
	return time.Time{}
}

// Reached returns the time the job reached s, or the zero time.
func (j *Job) Reached(s Status) time.Time {
	for i := len(j.History) - 1; i >= 0; i-- {
		if j.History[i].Status == s {
			return j.History[i].At
		}
	}
	return time.Time{}
}

// Pos returns where the key of a top-level field was written, or the start
// of the file.
func (j *Job) Pos(key string) Pos {
	if p, ok := j.where.get(key); ok {
		return Pos{File: j.File, Line: int(p.line), Col: int(p.col)}
	}
	return Pos{File: j.File, Line: 1, Col: 1}
}

// jobPlaces holds where each key of a job file was written: the keys of
// jobKeys, then customer.name. An array, not a map by key: a site keeps
// every job of it in memory, and a map of a dozen positions cost a
// kilobyte a job, more than the rest of the job. A Job points to it, so
// that a job a build keeps only in part does not carry it.
type jobPlaces [len(jobKeyArray) + 1]place

// place is a line and column; line 0 means the key was not written.
type place struct{ line, col int32 }

func placeIndex(key string) int {
	if key == "customer.name" {
		return len(jobKeyArray)
	}
	for i, k := range jobKeyArray {
		if k == key {
			return i
		}
	}
	return -1
}

// has reports whether the job file wrote key.
func (j *Job) has(key string) bool {
	_, ok := j.where.get(key)
	return ok
}

func (w *jobPlaces) set(key string, line, col int) {
	if i := placeIndex(key); i >= 0 {
		w[i] = place{int32(line), int32(col)}
	}
}

func (w *jobPlaces) get(key string) (place, bool) {
	i := placeIndex(key)
	if w == nil || i < 0 || w[i].line == 0 {
		return place{}, false
	}
	return w[i], true
}

var idRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)

var jobKeyArray = [...]string{"id", "legacy_id", "token", "customer", "address", "service", "price", "scheduled", "crew", "status", "history", "private"}

var jobKeys = jobKeyArray[:]

// ParseJob decodes and checks one job file. file is its path relative to the
// site root; loc is the site's time zone, used for dates. Every problem is
// recorded in list; the job is returned even when it has errors, so callers
// can show what is known about it.
func ParseJob(file string, src []byte, loc *time.Location, list *ErrorList) *Job {
	if root, ok := readFast(src); ok {
		var found ErrorList
		if j := decodeJob(errs{file: file, list: &found}, root, loc); len(found) == 0 {
			return j
		}
		// Report from the full parser, whose messages name every
		// value's type.
	}
	e := errs{file: file, list: list}
	root := parseYAML(e, src)
	if root == nil {
		return &Job{File: file}
	}
	return decodeJob(e, root, loc)
}

// decodeJob decodes the syntax tree of a job file.
func decodeJob(e errs, root *node, loc *time.Location) *Job {
	file := e.file
	j := &Job{File: file, where: &jobPlaces{}}
	for _, f := range mapping(e, "the job", root, jobKeys) {
		l, c := pos(f.Value)
		// Errors about a value point at the value; about a section, at its key.
		if _, ok := scalar(f.Value); ok && !isNull(f.Value) {
			j.where.set(f.Name, l, c)
		} else {
			j.where.set(f.Name, f.Line, f.Col)
		}
		switch f.Name {
		case "id":
			j.ID = str(e, "id", f.Value)
		case "legacy_id":
			j.LegacyID = str(e, "legacy_id", f.Value)
		case "token":
			j.Token = str(e, "token", f.Value)
			if err := CheckToken(j.Token); err != nil {
				e.at(l, c, "give the job a new token with `qdn job rotate "+j.idOrFile()+"`", "%v", err)
			}
		case "customer":
			for _, g := range mapping(e, "customer", f.Value, []string{"name"}) {
				j.Customer.Name = str(e, "customer.name", g.Value)
				j.where.set("customer.name", g.Line, g.Col)
			}
		case "address":
			j.Address = str(e, "address", f.Value)
		case "service":
			j.Service = str(e, "service", f.Value)
			if j.Service != "" && !slugRE.MatchString(j.Service) {
				e.at(l, c, "use the slug of a file in content/book/, such as trailer-dump", "service %q is not a valid slug", j.Service)
			}
		case "price":
			j.Price = parsePrice(e, f.Value)
		case "scheduled":
			j.Scheduled = parseSchedule(e, f.Value, loc)
		case "crew":
			j.Crew = str(e, "crew", f.Value)
		case "status":
			s := str(e, "status", f.Value)
			j.Status = internStatus(s)
			if !j.Status.Known() {
				e.at(l, c, "statuses are "+statusNames(Statuses)+suggest(s, statusStrings()), "unknown status %q", s)
			}
		case "history":
			j.History = parseHistory(e, f.Value, loc)
		case "private":
			fields := mapping(e, "private", f.Value, nil)
			if len(fields) > 0 {
				j.Private = make([]PrivateField, 0, len(fields))
			}
			for _, g := range fields {
				j.Private = append(j.Private, PrivateField{Key: g.Name, Value: strOf(e, "private.", g.Name, g.Value)})
			}
		}
	}
	j.check(e)
	return j
}

func (j *Job) idOrFile() string {
	if j.ID != "" {
		return j.ID
	}
	return strings.TrimSuffix(path.Base(j.File), ".yaml")
}

// internStatus returns s as a Status, sharing the string of a known one.
func internStatus(s string) Status {
	for _, x := range Statuses {
		if string(x) == s {
			return x
		}
	}
	return Status(s)
}

func statusStrings() []string {
	out := make([]string, len(Statuses))
	for i, s := range Statuses {
		out[i] = string(s)
	}
	return out
}

// check validates what one file can tell on its own.
func (j *Job) check(e errs) {
	want := strings.TrimSuffix(path.Base(j.File), ".yaml")
	switch {
	case !j.has("id"):
		e.at(1, 1, "add `id: "+want+"` (the id is the file name)", "missing required field id")
	case !idRE.MatchString(j.ID):
		p := j.Pos("id")
		e.at(p.Line, p.Col, "ids are letters, digits, - and _, such as JOB-20261121-001", "id %q is not a valid job id", j.ID)
	case j.ID != want:
		p := j.Pos("id")
		e.at(p.Line, p.Col, "rename the file to jobs/"+j.ID+".yaml or set id: "+want, "id %q does not match the file name %s", j.ID, path.Base(j.File))
	}
	if !j.has("token") {
		e.at(1, 1, "run `qdn job rotate "+j.idOrFile()+"` to give the job a token", "missing required field token")
	}
	if j.Customer.Name == "" {
		p := j.Pos("customer")
		e.at(p.Line, p.Col, "add customer: with a name: line holding the customer's name", "missing required field customer.name")
	}
	if !j.has("status") {
		e.at(1, 1, "add status: with one of "+statusNames(Statuses), "missing required field status")
	}
	j.checkHistory(e)
}

func (j *Job) checkHistory(e errs) {
	if !j.Status.Known() || len(j.History) == 0 {
		return
	}
	for i := 1; i < len(j.History); i++ {
		prev, cur := j.History[i-1], j.History[i]
		if prev.At.IsZero() || cur.At.IsZero() || !prev.Status.Known() || !cur.Status.Known() {
			continue
		}
		p := Pos{Line: cur.line, Col: cur.col}
		if cur.At.Before(prev.At) {
			e.at(p.Line, p.Col, "order history from oldest to newest", "history entry %d (%s at %s) is earlier than the entry before it (%s)",
				i+1, cur.Status, cur.At.Format(time.RFC3339), prev.At.Format(time.RFC3339))
		}
		if cur.Status != prev.Status && !prev.Status.CanMove(cur.Status) && !cur.Forced {
			e.at(p.Line, p.Col, "a job moves forward through "+statusNames(Flow)+", or to cancelled before completed; mark a deliberate exception with forced: true",
				"history entry %d moves from %s to %s, which the status flow does not allow", i+1, prev.Status, cur.Status)
		}
	}
	last := j.History[len(j.History)-1]
	if last.Status.Known() && last.Status != j.Status && !last.Status.CanMove(j.Status) && !last.Forced {
		p := j.Pos("status")
		e.at(p.Line, p.Col, "set status to "+string(last.Status)+" or later, or use `qdn job status` which records the move",
			"status %s is not reachable from %s, the last status in history", j.Status, last.Status)
	}
}

func parsePrice(e errs, n *node) *Price {
	p := &Price{}
	var seen bool
	for _, g := range mapping(e, "price", n, []string{"amount", "note"}) {
		s := strOf(e, "price.", g.Name, g.Value)
		if g.Name == "note" {
			p.Note = s
			continue
		}
		seen = true
		m, err := ParseMoney(s)
		if err != nil {
			l, c := pos(g.Value)
			hint := `write the amount as quoted decimal text, such as amount: "600.00"`
			var me *MoneyError
			if errors.As(err, &me) {
				hint = me.Hint
			}
			e.at(l, c, hint, "price.amount: %v", err)
		}
		p.Amount = m
	}
	if !seen {
		l, c := pos(n)
		e.at(l, c, `add amount: "600.00", or remove price`, "price has no amount")
	}
	return p
}

func parseSchedule(e errs, n *node, loc *time.Location) *Schedule {
	s := &Schedule{}
	for _, g := range mapping(e, "scheduled", n, []string{"date", "window"}) {
		v := strOf(e, "scheduled.", g.Name, g.Value)
		if g.Name == "window" {
			s.Window = v
			continue
		}
		d, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil {
			l, c := pos(g.Value)
			e.at(l, c, "write the date as YYYY-MM-DD, such as 2026-11-21", "scheduled.date %q is not a date", v)
		}
		s.Date = d
	}
	return s
}

// timeLayouts are accepted for history times. Times without an offset are
// in the site's time zone.
var timeLayouts = []string{time.RFC3339, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"}

// ParseTime reads a history time as written in a job file.
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	for _, layout := range timeLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time", s)
}

// historyEntries name the first history entries in messages, made once:
// a job's history is read at every build.
var historyEntries = func() (names [16]string) {
	for i := range names {
		names[i] = fmt.Sprintf("history entry %d", i+1)
	}
	return names
}()

// historyEntry names the history entry i (from 0) in messages.
func historyEntry(i int) string {
	if i < len(historyEntries) {
		return historyEntries[i]
	}
	return fmt.Sprintf("history entry %d", i+1)
}

func parseHistory(e errs, n *node, loc *time.Location) []Event {
	items := sequence(e, "history", n)
	var out []Event
	if len(items) > 0 {
		out = make([]Event, 0, len(items))
	}
	for i, item := range items {
		var ev Event
		ev.line, ev.col = pos(item)
		what := historyEntry(i)
		var sawStatus, sawAt bool
		for _, g := range mapping(e, what, item, []string{"status", "at", "note", "forced"}) {
			v := strOf(e, what+" ", g.Name, g.Value)
			l, c := pos(g.Value)
			switch g.Name {
			case "status":
				sawStatus = true
				ev.Status = internStatus(v)
				if !ev.Status.Known() {
					e.at(l, c, "statuses are "+statusNames(Statuses)+suggest(v, statusStrings()), "%s has unknown status %q", what, v)
				}
			case "at":
				sawAt = true
				t, err := ParseTime(v, loc)
				if err != nil {
					e.at(l, c, "write the time as 2026-11-21T09:05:00-07:00", "%s: %v", what, err)
				}
				ev.At = t
			case "note":
				ev.Note = v
			case "forced":
				ev.Forced = v == "true"
				if v != "true" && v != "false" {
					e.at(l, c, "write forced: true or leave it out", "%s: forced must be true or false, not %q", what, v)
				}
			}
		}
		l, c := pos(item)
		if !sawStatus {
			e.at(l, c, "add status: to the entry", "%s has no status", what)
		}
		if !sawAt {
			e.at(l, c, "add at: with the time the status was reached", "%s has no time", what)
		}
		out = append(out, ev)
	}
	return out
}

// Warnings lists what the site allows but is probably a mistake, each with
// its position and a hint: a job whose status was moved forward by hand,
// with no history entry saying when it reached that status (the page then
// shows the step without a time), a history entry dated more than MaxAhead
// past the site's clock, and a private value too short for the privacy
// check to search the output for. Jobs imported from the old system (with
// a legacy_id) are left out of the first: it never recorded when a status
// was reached.
func (s *Site) Warnings() ErrorList {
	var list ErrorList
	for _, j := range s.Jobs {
		if j.cached != nil {
			continue
		}
		st := j.Pos("status")
		n := len(j.History)
		switch {
		case j.LegacyID != "":
		case n == 0 && j.Status != Booked && j.end == 0:
			list = append(list, &Error{Pos: st, Msg: fmt.Sprintf("status is %s but the job has no history", j.Status),
				Hint: fmt.Sprintf("record moves with `qdn job status %s %s --at TIME`, which adds the history entry", j.ID, j.Status)})
		case n > 0 && j.History[n-1].Status != j.Status:
			last := j.History[n-1]
			list = append(list, &Error{Pos: st, Msg: fmt.Sprintf("status is %s but the last history entry is %s: the move to %s has no time",
				j.Status, last.Status, j.Status),
				Hint: fmt.Sprintf("set status back to %s and run `qdn job status %s %s --at TIME`, or add the entry to history by hand", last.Status, j.ID, j.Status)})
		}
		for i, ev := range j.History {
			if ev.At.After(s.Now.Add(MaxAhead)) {
				list = append(list, &Error{Pos: Pos{File: j.File, Line: ev.line, Col: ev.col},
					Msg:  fmt.Sprintf("history entry %d (%s at %s) is in the future", i+1, ev.Status, ev.At.Format(time.RFC3339)),
					Hint: "date the entry when the job reached the status; every later move would otherwise need --at"})
			}
		}
		for _, f := range j.Private {
			if len(skeleton(f.Value)) < MinPrivateLen {
				list = append(list, &Error{Pos: j.Pos("private"),
					Msg:  fmt.Sprintf("private.%s has fewer than %d letters and digits, too few for the build to check that no page shows it", f.Key, MinPrivateLen),
					Hint: "nothing renders private values; this only means a copy pasted into content/ would not be caught"})
			}
		}
	}
	list.Sort()
	return list
}
