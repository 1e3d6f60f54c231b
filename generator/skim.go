package generator

import (
	"bytes"
	"context"
	"crypto/sha256"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// A job that ended more than track.expire_after ago has no page, and a
// dispatch business keeps every job it ever booked: a build would spend
// most of its time and memory on history. Build therefore skims a job file
// before parsing it (skimJob): a cheap scan of its lines for what the rest
// of the build needs of a job without a page, namely its id, token,
// service, status, the time it ended and its private values (for the
// uniqueness checks, the privacy check and the cache). When that shows the
// job ended more than expire_after ago, the job is not parsed further, and
// the rest of its file (customer, address, price, schedule, the other
// history entries) is neither decoded nor checked: qdn check, which loads
// every job in full, still reports a mistake there.
//
// The scan reads only the plain form qdn writes: top-level keys at column
// 0, history entries as "- {status: ..., at: ...}" or a block mapping,
// private values one per line. Whenever a line is anything else (a quote
// with an escape, a flow collection over several lines, a key twice, a
// tab, a carriage return) or the job has not ended that long ago, it gives
// up and the file is parsed as before, so that whatever it skims is read
// as the parser reads it.

// skimmed counts the job files skimJob took, for the tests.
var skimmed atomic.Int64

// skimJob returns the job in src with only the fields a build needs of a
// job without a page, and true, when the scan can tell for sure that the
// job ended more than expire before now.
func skimJob(file string, src []byte, loc *time.Location, now time.Time, expire time.Duration) (*Job, bool) {
	// Most jobs a build reads are live: tell them first, from the status
	// line alone.
	if !skimEnded(src) || bytes.IndexByte(src, '\r') >= 0 || bytes.IndexByte(src, '\t') >= 0 {
		return nil, false
	}
	type entry struct {
		status, at string
		hasStatus  bool
		hasAt      bool
	}
	var (
		j        = &Job{File: file}
		seen     [len(jobKeyArray) + 1]bool
		section  string
		history  []entry
		privInd  int
		statusOK bool
	)
	for len(src) > 0 {
		var line []byte
		line, src, _ = bytes.Cut(src, []byte("\n"))
		text := string(bytes.TrimLeft(line, " "))
		indent := len(line) - len(text)
		if text == "" || text[0] == '#' {
			continue
		}
		if indent == 0 {
			key, value, ok := strings.Cut(text, ":")
			k := placeIndex(key)
			if !ok || k < 0 || k >= len(jobKeyArray) || seen[k] || (value != "" && value[0] != ' ') {
				return nil, false
			}
			seen[k] = true
			section = key
			value = strings.TrimSpace(value)
			switch key {
			case "history", "private":
				if value != "" {
					return nil, false
				}
			case "customer", "price", "scheduled":
				// Not needed: a one-line flow mapping, or a block below.
				if value != "" && (value[0] != '{' || value[len(value)-1] != '}') {
					return nil, false
				}
			default:
				v, ok := skimScalar(value)
				if !ok {
					return nil, false
				}
				switch key {
				case "id":
					j.ID = v
				case "token":
					j.Token = v
				case "service":
					j.Service = v
				case "status":
					j.Status, statusOK = internStatus(v), true
				}
			}
			continue
		}
		switch section {
		case "history":
			if rest, ok := strings.CutPrefix(text, "- "); ok {
				history = append(history, entry{})
				text = strings.TrimSpace(rest)
				if strings.HasPrefix(text, "{") {
					if !strings.HasSuffix(text, "}") || strings.ContainsAny(text, `"'#[]`) {
						return nil, false
					}
					inner := strings.TrimSuffix(strings.TrimPrefix(text, "{"), "}")
					if strings.ContainsAny(inner, "{}") {
						return nil, false
					}
					for _, f := range strings.Split(inner, ",") {
						if !skimEntryField(&history[len(history)-1].status, &history[len(history)-1].at,
							&history[len(history)-1].hasStatus, &history[len(history)-1].hasAt, strings.TrimSpace(f)) {
							return nil, false
						}
					}
					continue
				}
			}
			if len(history) == 0 {
				return nil, false
			}
			e := &history[len(history)-1]
			if !skimEntryField(&e.status, &e.at, &e.hasStatus, &e.hasAt, text) {
				return nil, false
			}
		case "private":
			if privInd == 0 {
				privInd = indent
			}
			key, value, ok := strings.Cut(text, ":")
			if indent != privInd || !ok || key == "" || !idRE.MatchString(key) || (value != "" && value[0] != ' ') {
				return nil, false
			}
			v, ok := skimScalar(strings.TrimSpace(value))
			if !ok {
				return nil, false
			}
			j.Private = append(j.Private, PrivateField{Key: internKey([]byte(key)), Value: v})
		case "customer", "price", "scheduled":
			// Not needed.
		default:
			// A value continued below a scalar key is left to the
			// parser.
			return nil, false
		}
	}
	if !statusOK || !j.Status.Ended() || j.ID == "" || j.Token == "" || len(history) == 0 {
		return nil, false
	}
	// The time the job ended, as Job.EndedAt finds it.
	end := -1
	for i := len(history) - 1; i >= 0 && end < 0; i-- {
		if internStatus(history[i].status) == j.Status {
			end = i
		}
	}
	if end < 0 {
		end = len(history) - 1
	}
	for _, e := range history {
		if !e.hasStatus || !e.hasAt {
			return nil, false
		}
	}
	at, err := ParseTime(history[end].at, loc)
	if err != nil || at.IsZero() || now.Sub(at) <= expire {
		return nil, false
	}
	j.History = []Event{{Status: j.Status, At: at}}
	skimmed.Add(1)
	return j, true
}

// skimEnded reports whether src has a top-level status line saying
// completed or cancelled.
func skimEnded(src []byte) bool {
	for _, line := range endedLines {
		if bytes.HasPrefix(src, line[1:]) || bytes.Contains(src, line) {
			return true
		}
	}
	return false
}

var endedLines = [][]byte{[]byte("\nstatus: completed\n"), []byte("\nstatus: cancelled\n")}

// skimEntryField reads one "key: value" of a history entry.
func skimEntryField(status, at *string, hasStatus, hasAt *bool, f string) bool {
	key, value, ok := strings.Cut(f, ":")
	if !ok || (value != "" && value[0] != ' ') {
		return false
	}
	v, ok := skimScalar(strings.TrimSpace(value))
	switch key {
	case "status":
		if !ok || *hasStatus {
			return false
		}
		*status, *hasStatus = v, true
	case "at":
		if !ok || *hasAt {
			return false
		}
		*at, *hasAt = v, true
	case "note", "forced":
		// Not needed; the parser checks them.
	default:
		return false
	}
	return true
}

// skimScalar reads a value as the parser reads the plain and quoted
// scalars qdn writes, and refuses anything else: escapes, comments,
// anchors, nulls, collections.
func skimScalar(v string) (string, bool) {
	if v == "" {
		return "", false
	}
	switch v[0] {
	case '"':
		inner, ok := strings.CutSuffix(v[1:], `"`)
		if !ok || strings.ContainsAny(inner, `"\`) {
			return "", false
		}
		return strings.TrimSpace(inner), true
	case '\'':
		inner, ok := strings.CutSuffix(v[1:], `'`)
		if !ok || strings.Contains(inner, `'`) {
			return "", false
		}
		return strings.TrimSpace(inner), true
	}
	if strings.ContainsAny(v[:1], "-?:,[]{}#&*!|>%@`") || strings.Contains(v, " #") || strings.Contains(v, ": ") ||
		strings.HasSuffix(v, ":") || isNullWord(v) {
		return "", false
	}
	return v, true
}

// A build of a large site keeps every job for the whole build (the
// uniqueness checks, the privacy check and the cache need them all), while
// it renders their pages a batch at a time. Once a job file is read and
// found valid, such a build keeps of it only what the whole build needs,
// the same fields as a skimmed job (slimJob), and reads and parses the
// file again to render its page (Site.fullJobs). The file must then have
// the hash it had when it was validated: one changed in between fails the
// build, which has written nothing by then but staged pages it removes.

// slimmed counts the jobs slimJob made, for the tests.
var slimmed atomic.Int64

// slimJob returns what a build keeps of j, a job parsed in full from the
// file at index at of s.sources and found valid, for the rest of the
// build: its file, id, token, service, status, end and private values.
func (s *Site) slimJob(j *Job, at int) *Job {
	slimmed.Add(1)
	k := &Job{File: j.File, ID: j.ID, Token: j.Token, Service: j.Service, Status: j.Status, reread: int32(at + 1)}
	// A valid job's id is its file's name: share the file's bytes.
	if name := strings.TrimSuffix(strings.TrimPrefix(j.File, JobsDir+"/"), ".yaml"); name == j.ID {
		k.ID = name
	}
	if sv := s.Service(j.Service); sv != nil {
		k.Service = sv.Slug
	}
	if end := j.EndedAt(); !end.IsZero() {
		if n := end.UnixNano(); n != 0 && time.Unix(0, n).Equal(end) {
			k.end = n
		} else {
			// Out of what nanoseconds since 1970 can hold.
			k.History = []Event{{Status: j.Status, At: end}}
		}
	}
	if len(j.Private) > 0 {
		k.Private = make([]PrivateField, len(j.Private))
		for i, f := range j.Private {
			k.Private[i] = PrivateField{Key: internKey([]byte(f.Key)), Value: f.Value}
		}
	}
	return k
}

// fullJobs returns jobs with each one a build kept only in part (see
// slimJob) read and parsed again from its file. A file that changed since
// the build validated it, or is gone, fails the build.
func (s *Site) fullJobs(ctx context.Context, jobs []*Job) ([]*Job, error) {
	if !slices.ContainsFunc(jobs, func(j *Job) bool { return j.reread != 0 }) {
		return jobs, nil
	}
	root, err := openSite(s.Dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	jobsRoot, jobsDir, closeJobs := openJobsDir(root, filepath.Join(s.Dir, JobsDir))
	defer closeJobs()
	loc := siteLocation(s.Config)
	full := make([]*Job, len(jobs))
	lists := make([]ErrorList, len(jobs))
	err = parallelCtx(ctx, len(jobs), 0, func(i int) {
		j := jobs[i]
		if j.reread == 0 {
			full[i] = j
			return
		}
		src, _, err := readJobFile(root, jobsRoot, jobsDir, strings.TrimPrefix(j.File, JobsDir+"/"))
		if err != nil || sha256.Sum256(src) != s.sources[j.reread-1].hash {
			lists[i] = ErrorList{changedError(j.File)}
			return
		}
		full[i] = ParseJob(j.File, src, loc, &lists[i])
	})
	if err != nil {
		return nil, err
	}
	var list ErrorList
	for _, l := range lists {
		list = append(list, l...)
	}
	list.Sort()
	return full, list.Err()
}

// changedError is the error of a job file that changed, or went, between
// the moment a build validated it and the moment it read it again.
func changedError(file string) *Error {
	return &Error{Pos: Pos{File: file}, Msg: "changed or removed while the site was being built, after it was validated",
		Hint: "run qdn build again once the job files are saved; public/ was left as it was"}
}
