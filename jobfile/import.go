package jobfile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/quickdumpnow/qdn/generator"
)

// The old system kept every job in one public jobs.json: an array of
// objects such as
//
//	{"jobId": "JOB_20240523_001", "name": "Mark", "address": "Soderblom ave",
//	 "token": "…", "status": "booked", "createdAt": "2024-05-23T16:02:11.000Z"}
//
// Import turns each object into a job file: jobId becomes an id of the
// form JOB-YYYYMMDD-NNN and is kept as legacy_id; name is customer.name;
// address and token are kept, so that links already sent keep working;
// status is mapped onto the flow; createdAt becomes the first history entry,
// booked at that time. phone and email go under private:, and notes and
// every other field become lines of private.notes, so nothing is dropped.

// Imported is one job written by ImportLegacy.
type Imported struct {
	Job *generator.Job
	// Index is the 1-based position of the record in the old file.
	Index int
	// OldID is the record's jobId.
	OldID string
}

var legacyIDRE = regexp.MustCompile(`(?i)^JOB[_-]?([0-9]{8})[_-]?([0-9]{1,6})$`)

// legacyStatus maps the old system's spellings onto the flow.
var legacyStatus = map[string]generator.Status{
	"canceled": generator.Cancelled,
	"complete": generator.Completed,
	"done":     generator.Completed,
	"ready":    generator.ReadyForPickup,
}

// legacyRecord is one object of the old file, decoded and checked.
type legacyRecord struct {
	index int
	pos   generator.Pos
	oldID string
	day   string // YYYYMMDD of the new id
	num   int    // the old id's number, 0 when it had none
	job   generator.Job
}

// maxImportSize bounds the export file that ReadImport reads: the old
// system's jobs.json of 10,000 jobs is some 5 MiB.
const maxImportSize = 64 << 20

// ReadImport reads the export file at path, given on the command line, for
// ImportLegacy. It must be a regular file of at most 64 MiB: a named pipe or
// a device is refused at once, and a bigger file with an error.
func ReadImport(path string) ([]byte, error) {
	return generator.ReadFile(path, maxImportSize)
}

// Import reads the old system's jobs.json (data, read from file) and writes
// one job file per record to jobs/. Every record is checked
// first, and so is every file about to be written (with ParseJob, exactly
// as qdn build reads it); a malformed record, an unknown status, a record
// imported before (an existing job has its id as legacy_id), a duplicate id
// or token, or a token too weak to keep, stops the import before anything is
// written, with every problem listed. If writing fails midway, the files
// already written are removed, and so they are when ctx is cancelled.
func (s *Site) Import(ctx context.Context, file string, data []byte, rotate bool) ([]Imported, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	loc := s.loc()
	var list generator.ErrorList
	recs := decodeLegacy(file, data, loc, s.Now(), &list)
	existing, err := s.readExisting(ctx)
	if err != nil {
		return nil, err
	}
	checkLegacyDuplicates(recs, existing, rotate, &list)
	if err := list.Err(); err != nil {
		return nil, err
	}

	// Ids: an old id's own number when it is free, then the next free
	// number of the day for the others.
	taken := map[string]bool{}
	for _, j := range existing {
		taken[strings.ToLower(j.ID)] = true
	}
	assigned := map[string]bool{}
	for i := range recs {
		r := &recs[i]
		if id := jobID(r.day, r.num); r.num > 0 && !taken[strings.ToLower(id)] {
			r.job.ID = id
			taken[strings.ToLower(id)], assigned[id] = true, true
		}
	}
	for i := range recs {
		r := &recs[i]
		if r.job.ID != "" {
			continue
		}
		n, err := s.nextNumber(r.day, assigned)
		if err != nil {
			return nil, err
		}
		r.job.ID = jobID(r.day, n)
		assigned[r.job.ID] = true
	}

	tokens := map[string]bool{}
	for _, j := range existing {
		tokens[j.Token] = true
	}
	srcs := make([][]byte, len(recs))
	out := make([]Imported, len(recs))
	for i := range recs {
		r := &recs[i]
		if rotate {
			r.job.Token = ""
			for r.job.Token == "" || tokens[r.job.Token] {
				if r.job.Token, err = generator.NewToken(s.rand()); err != nil {
					return nil, err
				}
			}
			tokens[r.job.Token] = true
		}
		if r.oldID != r.job.ID {
			r.job.LegacyID = r.oldID
		}
		r.job.File = generator.JobFile(r.job.ID)
		comment := fmt.Sprintf("Imported from %s (record %d, %s).\nThe old system recorded no service or price.", filepath.Base(file), r.index, r.oldID)
		srcs[i] = Marshal(&r.job, loc, comment)
		got, err := checkWritten(r.job.File, srcs[i], &r.job, loc)
		if err != nil {
			list = append(list, &generator.Error{Pos: r.pos, Msg: fmt.Sprintf("record %d (%s) cannot be written as a job: %v", r.index, r.oldID, err)})
			continue
		}
		out[i] = Imported{Job: got, Index: r.index, OldID: r.oldID}
	}
	if err := list.Err(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	root, err := generator.OpenSite(s.Dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	var written []string
	for i, r := range recs {
		p := filepath.FromSlash(r.job.File)
		if err := ctx.Err(); err != nil {
			for _, w := range written {
				root.Remove(w)
			}
			return nil, fmt.Errorf("import %s: %w; no job was imported", file, err)
		}
		if err := createFile(root, r.job.File, srcs[i]); err != nil {
			for _, w := range written {
				root.Remove(w)
			}
			if errors.Is(err, os.ErrExist) {
				err = fmt.Errorf("%s was created by someone else during the import", r.job.File)
			}
			return nil, fmt.Errorf("import %s: %w; no job was imported", file, err)
		}
		written = append(written, p)
	}
	return out, nil
}

// readExisting parses every job file of the site, archived ones included,
// whatever its errors, for their ids, legacy ids and tokens.
func (s *Site) readExisting(ctx context.Context) ([]*generator.Job, error) {
	ids, err := s.IDs()
	if err != nil {
		return nil, err
	}
	var jobs []*generator.Job
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var ignored generator.ErrorList
		j, _, err := s.read(id, &ignored)
		if err != nil {
			return nil, err
		}
		if j.ID == "" {
			j.ID = id
		}
		jobs = append(jobs, j)
	}
	// The archive too: a record imported and archived since is imported.
	var ignored generator.ErrorList
	old, err := s.ReadArchive(ctx, &ignored)
	if err != nil {
		return nil, err
	}
	return append(jobs, old...), nil
}

// decodeLegacy decodes the array of records, recording every problem.
func decodeLegacy(file string, data []byte, loc *time.Location, now time.Time, list *generator.ErrorList) []legacyRecord {
	at := func(off int) generator.Pos {
		line := 1 + bytes.Count(data[:off], []byte("\n"))
		col := 1 + len([]rune(string(data[bytes.LastIndexByte(data[:off], '\n')+1:off])))
		return generator.Pos{File: file, Line: line, Col: col}
	}
	fail := func(off int, hint, format string, args ...any) {
		*list = append(*list, &generator.Error{Pos: at(off), Msg: fmt.Sprintf(format, args...), Hint: hint})
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	syntax := func(err error) {
		// The decoder's offsets are not of the whole file; Unmarshal's are,
		// and point just past the offending byte.
		off := int(dec.InputOffset())
		var v any
		var se *json.SyntaxError
		if uerr := json.Unmarshal(data, &v); errors.As(uerr, &se) {
			err, off = se, int(se.Offset)-1
		}
		fail(max(0, min(off, len(data))), "fix the JSON syntax at this position", "invalid JSON: %v", err)
	}
	tok, err := dec.Token()
	if err != nil {
		syntax(err)
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		fail(0, "the old system's jobs.json is an array of job objects: [{\"jobId\": ...}, ...]", "%s does not hold a JSON array of jobs", file)
		return nil
	}
	var recs []legacyRecord
	for i := 1; dec.More(); i++ {
		off := int(dec.InputOffset())
		for off < len(data) && strings.ContainsRune(" \t\r\n,", rune(data[off])) {
			off++
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			syntax(err)
			return nil
		}
		if r, ok := decodeRecord(i, at(off), raw, loc, now, list); ok {
			recs = append(recs, r)
		}
	}
	if _, err := dec.Token(); err != nil {
		syntax(err)
		return nil
	}
	if _, err := dec.Token(); err != io.EOF {
		fail(int(dec.InputOffset()), "remove what follows the closing ]", "%s holds more than one JSON value", file)
	}
	return recs
}

// decodeRecord checks one record and maps it onto a job.
func decodeRecord(index int, p generator.Pos, raw json.RawMessage, loc *time.Location, now time.Time, list *generator.ErrorList) (legacyRecord, bool) {
	r := legacyRecord{index: index, pos: p}
	what := fmt.Sprintf("record %d", index)
	bad := func(hint, format string, args ...any) {
		*list = append(*list, &generator.Error{Pos: p, Msg: what + ": " + fmt.Sprintf(format, args...), Hint: hint})
	}
	fields, err := objectFields(raw)
	if err != nil {
		bad("each record is an object such as {\"jobId\": \"JOB_20240523_001\", \"name\": \"Mark\", ...}", "%v", err)
		return r, false
	}
	n := len(*list)
	text := func(key string, v json.RawMessage) string {
		var s string
		if string(v) == "null" {
			return ""
		}
		if err := json.Unmarshal(v, &s); err != nil {
			bad("write "+key+" as a JSON string", "%s must be a string, not %s", key, v)
		}
		return strings.TrimSpace(s)
	}
	var notes []string
	var created string
	var hasStatus bool
	for _, f := range fields {
		switch f.key {
		case "jobId":
			r.oldID = text(f.key, f.value)
			what = fmt.Sprintf("record %d (%s)", index, r.oldID)
		case "name":
			r.job.Customer.Name = text(f.key, f.value)
		case "address":
			r.job.Address = text(f.key, f.value)
		case "token":
			r.job.Token = text(f.key, f.value)
		case "status":
			hasStatus = true
			s := text(f.key, f.value)
			st := generator.Status(strings.NewReplacer(" ", "_", "-", "_").Replace(strings.ToLower(s)))
			if m, ok := legacyStatus[string(st)]; ok {
				st = m
			}
			if !st.Known() {
				bad("statuses are "+generator.StatusNames(generator.Statuses)+"; correct the record or map it by hand", "unknown status %q", s)
			}
			r.job.Status = st
		case "createdAt":
			created = strings.Trim(string(f.value), `"`)
			if string(f.value) == "null" {
				created = ""
			}
		case "phone", "email":
			if v := plainJSON(f.value); v != "" {
				r.job.Private = append(r.job.Private, generator.PrivateField{Key: f.key, Value: v})
			}
		case "notes":
			if v := plainJSON(f.value); v != "" {
				notes = append([]string{v}, notes...)
			}
		default:
			notes = append(notes, f.key+": "+plainJSON(f.value))
		}
	}
	if r.oldID == "" {
		bad("give the record its jobId", "record has no jobId")
	}
	if r.job.Customer.Name == "" {
		bad("give the record the customer's name", "record has no name")
	}
	if !hasStatus {
		bad("give the record a status: "+generator.StatusNames(generator.Statuses), "record has no status")
	}
	if created != "" {
		t, err := parseLegacyTime(created, loc)
		if err != nil {
			bad("write createdAt as an ISO 8601 time such as 2024-05-23T16:02:11Z, or milliseconds since 1970", "createdAt: %v", err)
		} else {
			r.job.History = []generator.Event{{Status: generator.Booked, At: t.In(loc).Truncate(time.Second)}}
		}
	}
	if len(notes) > 0 {
		r.job.Private = append(r.job.Private, generator.PrivateField{Key: "notes", Value: strings.Join(notes, "\n")})
	}
	if m := legacyIDRE.FindStringSubmatch(r.oldID); m != nil {
		if _, err := time.Parse("20060102", m[1]); err == nil {
			r.day = m[1]
			r.num, _ = strconv.Atoi(m[2])
		}
	}
	if r.day == "" {
		day := now
		if len(r.job.History) > 0 {
			day = r.job.History[0].At
		}
		r.day = day.In(loc).Format("20060102")
	}
	return r, len(*list) == n
}

// checkLegacyDuplicates finds records imported before and ids and tokens
// used twice, and checks the tokens that are to be kept.
func checkLegacyDuplicates(recs []legacyRecord, existing []*generator.Job, rotate bool, list *generator.ErrorList) {
	legacy := map[string]*generator.Job{}
	tokens := map[string]*generator.Job{}
	for _, j := range existing {
		legacy[strings.ToLower(j.ID)] = j
		if j.LegacyID != "" {
			legacy[strings.ToLower(j.LegacyID)] = j
		}
		if j.Token != "" {
			tokens[j.Token] = j
		}
	}
	oldIDs := map[string]int{}
	newTokens := map[string]int{}
	for _, r := range recs {
		bad := func(hint, format string, args ...any) {
			*list = append(*list, &generator.Error{Pos: r.pos, Msg: fmt.Sprintf("record %d (%s): ", r.index, r.oldID) + fmt.Sprintf(format, args...), Hint: hint})
		}
		key := strings.ToLower(r.oldID)
		if j, ok := legacy[key]; ok {
			bad("remove the record, or "+j.File+" if it is to be imported again", "%s was already imported as %s", r.oldID, j.File)
			continue
		} else if first, ok := oldIDs[key]; ok {
			bad("give each record its own jobId, or remove the duplicate", "jobId %s is also record %d", r.oldID, first)
		} else {
			oldIDs[key] = r.index
		}
		if rotate {
			continue
		}
		if err := generator.CheckToken(r.job.Token); err != nil {
			bad("import with --rotate to give every job a new token", "%v", err)
			continue
		}
		if j, ok := tokens[r.job.Token]; ok {
			bad("import with --rotate to give every job a new token", "token is already used by %s", j.File)
		} else if first, ok := newTokens[r.job.Token]; ok {
			bad("import with --rotate to give every job a new token", "token is also the token of record %d", first)
		} else {
			newTokens[r.job.Token] = r.index
		}
	}
}

type jsonField struct {
	key   string
	value json.RawMessage
}

// objectFields returns the members of a JSON object in the order written.
func objectFields(raw json.RawMessage) ([]jsonField, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("record is %s, not an object", jsonKind(raw))
	}
	var out []jsonField
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		if seen[key] {
			return nil, fmt.Errorf("record has the key %q twice", key)
		}
		seen[key] = true
		out = append(out, jsonField{key: key, value: v})
	}
	return out, nil
}

func jsonKind(raw json.RawMessage) string {
	switch t := strings.TrimSpace(string(raw)); {
	case strings.HasPrefix(t, "["):
		return "an array"
	case strings.HasPrefix(t, `"`):
		return "a string"
	case t == "null":
		return "null"
	case t == "true" || t == "false":
		return "a boolean"
	}
	return "a number"
}

// plainJSON is a JSON value as one line of text: a string as itself unless
// it holds line breaks or control characters, anything else as compact JSON.
func plainJSON(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil && strings.IndexFunc(s, unicode.IsControl) < 0 {
		return strings.TrimSpace(s)
	}
	if string(v) == "null" {
		return ""
	}
	var b bytes.Buffer
	if json.Compact(&b, v) != nil {
		return strings.TrimSpace(string(v))
	}
	return b.String()
}

// parseLegacyTime reads createdAt: an ISO 8601 time as JavaScript's
// toISOString writes it, a time as job files hold it, or milliseconds since
// 1970 as Date.now() returns them.
func parseLegacyTime(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := generator.ParseTime(s, loc); err == nil {
		return t, nil
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil && ms > 0 {
		return time.UnixMilli(ms), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time", s)
}
