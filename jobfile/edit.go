package jobfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/quickdumpnow/qdn/generator"
	"github.com/quickdumpnow/qdn/internal/yamlast"
)

// Job files are edited as text, the way a careful person would edit them:
// the YAML syntax tree says where a value is, and only the bytes of that
// value change, or a new line is inserted where it belongs. Comments, key
// order, quoting and layout everywhere else stay exactly as they were. After
// every edit the new text is parsed with ParseJob and must hold exactly the
// job intended, or nothing is written.

// StatusChange says how SetStatus records a move.
type StatusChange struct {
	// At is when the job reached the status; the zero time means now, by
	// the site's clock.
	At time.Time
	// Note is shown to the customer with the history entry.
	Note string
	// Force makes a move the status flow does not allow; the history entry
	// says forced: true.
	Force bool
}

// TimeError is a status change dated where the history cannot take it:
// before its last entry, or in the future.
type TimeError struct {
	ID string
	At time.Time
	// Earliest is the time of the last history entry, LastStatus its
	// status; Latest is the clock plus generator.MaxAhead.
	Earliest, Latest time.Time
	LastStatus       generator.Status
	loc              *time.Location
}

func (e *TimeError) Error() string {
	if e.At.After(e.Latest) {
		return fmt.Sprintf("%s: %s is in the future; the latest time accepted is %s",
			e.ID, formatTime(e.At, e.loc), formatTime(e.Latest, e.loc))
	}
	return fmt.Sprintf("%s: %s is earlier than the last history entry (%s at %s); the earliest time accepted is %s",
		e.ID, formatTime(e.At, e.loc), e.LastStatus, formatTime(e.Earliest, e.loc), formatTime(e.Earliest, e.loc))
}

// Is makes a change dated too early match ErrHistoryOrder and one dated
// too late ErrFuture.
func (e *TimeError) Is(target error) bool {
	if e.At.After(e.Latest) {
		return target == ErrFuture
	}
	return target == ErrHistoryOrder
}

// ErrFuture is returned for a status change dated more than
// generator.MaxAhead past the clock.
var ErrFuture = errors.New("a status change cannot be dated in the future")

// MoveError is a status change the flow does not allow.
type MoveError struct {
	ID       string
	From, To generator.Status
	// Steps are the steps of the job's service; nil means the whole flow.
	Steps []generator.Status
}

func (e *MoveError) Error() string {
	if e.From == e.To {
		return fmt.Sprintf("%s is already %s", e.ID, e.To)
	}
	next := e.Allowed()
	if len(next) == 0 {
		return fmt.Sprintf("%s cannot move from %s to %s: no status follows %s", e.ID, e.From, e.To, e.From)
	}
	return fmt.Sprintf("%s cannot move from %s to %s; allowed next statuses: %s", e.ID, e.From, e.To, generator.StatusNames(next))
}

// Allowed lists the statuses the job may move to.
func (e *MoveError) Allowed() []generator.Status {
	if e.Steps == nil {
		return e.From.Next()
	}
	return e.From.NextIn(e.Steps)
}

// ErrHistoryOrder is returned for a status change dated before the last
// history entry of the job.
var ErrHistoryOrder = errors.New("the history goes from oldest to newest")

// SetStatus moves the job id to status to and appends a history entry,
// editing jobs/<id>.yaml in place (see the top of this file). The move must
// be one the flow allows (Status.CanMove) unless c.Force is set; a forced
// move is recorded with forced: true. The entry's time may not be earlier
// than the last entry's (ErrHistoryOrder) nor more than generator.MaxAhead
// past the site's clock (ErrFuture); either is a *TimeError. The job must be
// valid before the edit and is valid after it. SetStatus returns the job as
// read back from the file and the status it had before; on error it returns
// the job as it was, when it could be read, and writes nothing.
//
// A refused move is a *MoveError; a status that is not a step of the job's
// service (Service.Steps) is a *generator.StepError, even with c.Force. If
// the file changes between the read and the write (another dispatcher, an
// editor), nothing is written and the error says to try again. SetStatus
// reads only the job file and its service's file. A cancelled ctx stops it
// before the write.
func (s *Site) SetStatus(ctx context.Context, id string, to generator.Status, c StatusChange) (*generator.Job, generator.Status, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	if !to.Known() {
		return nil, "", fmt.Errorf("unknown status %q (known: %s)", to, generator.StatusNames(generator.Statuses))
	}
	loc := s.loc()
	var list generator.ErrorList
	old, src, err := s.read(id, &list)
	if err != nil {
		return nil, "", err
	}
	if err := list.Err(); err != nil {
		return old, old.Status, err
	}
	sv, err := generator.ReadService(s.Dir, old.Service)
	if err != nil {
		return old, old.Status, err
	}
	steps := generator.Flow
	if sv != nil {
		steps = sv.Steps
	}
	if !to.OnSteps(steps) {
		return old, old.Status, &generator.StepError{ID: old.ID, Status: to, Service: sv, Allowed: old.Status.NextIn(steps)}
	}
	allowed := old.Status.CanMove(to)
	if old.Status == to || !allowed && !c.Force {
		return old, old.Status, &MoveError{ID: old.ID, From: old.Status, To: to, Steps: steps}
	}
	clock := s.Now()
	at := c.At
	if at.IsZero() {
		at = clock
	}
	at = at.In(loc).Truncate(time.Second)
	te := &TimeError{ID: old.ID, At: at, Latest: clock.Add(generator.MaxAhead).In(loc).Truncate(time.Second), loc: loc}
	if n := len(old.History); n > 0 {
		te.Earliest, te.LastStatus = old.History[n-1].At, old.History[n-1].Status
	}
	if at.After(te.Latest) || !te.Earliest.IsZero() && at.Before(te.Earliest) {
		return old, old.Status, te
	}
	ev := generator.Event{Status: to, At: at, Note: strings.TrimSpace(c.Note), Forced: !allowed}

	d, err := parseDoc(old.File, src)
	if err != nil {
		return old, old.Status, err
	}
	e1, err := d.setScalar("status", string(to), "")
	if err != nil {
		return old, old.Status, err
	}
	e2, err := d.appendEvent(ev, loc)
	if err != nil {
		return old, old.Status, err
	}
	want := *old
	want.Status = to
	want.History = append(append([]generator.Event(nil), old.History...), ev)
	if err := ctx.Err(); err != nil {
		return old, old.Status, err
	}
	j, err := s.commit(d, &want, e1, e2)
	return j, old.Status, err
}

// RotateToken gives the job id a new token from the site's randomness,
// editing jobs/<id>.yaml in place; the page under the old token disappears
// at the next build. It also adds a token to a job that has none. Every
// other part of the job must be valid. A cancelled ctx stops it before the
// write.
func (s *Site) RotateToken(ctx context.Context, id string) (*generator.Job, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var list generator.ErrorList
	old, src, err := s.read(id, &list)
	if err != nil {
		return nil, err
	}
	d, err := parseDoc(old.File, src)
	if err != nil {
		if l := list.Err(); l != nil {
			return old, l
		}
		return old, err
	}
	tok, err := generator.NewToken(s.rand())
	if err != nil {
		return old, err
	}
	e, err := d.setScalar("token", tok, "id")
	if err != nil {
		return old, err
	}
	want := *old
	want.Token = tok
	if err := ctx.Err(); err != nil {
		return old, err
	}
	return s.commit(d, &want, e)
}

// yamlDoc is the text of one job file with the syntax tree of its top-level
// mapping, for editing.
type yamlDoc struct {
	file      string
	src       []byte
	lineStart []int // byte offset of the start of each line, 0-based
	nl        string
	fields    []*ast.MappingValueNode
	indent    int // indentation of the top-level keys
}

// edit replaces src[start:end] with text.
type edit struct {
	start, end int
	text       string
}

func parseDoc(file string, src []byte) (*yamlDoc, error) {
	// The parser counts a CRLF after a comment as two lines: it reads a copy
	// with LF endings, whose lines and columns are those of src.
	f, err := parser.ParseBytes(bytes.ReplaceAll(src, []byte("\r\n"), []byte("\n")), 0)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	d := &yamlDoc{file: file, src: src, lineStart: []int{0}, nl: "\n"}
	for i, c := range src {
		if c == '\n' {
			d.lineStart = append(d.lineStart, i+1)
		}
	}
	if strings.Contains(string(src), "\r\n") {
		d.nl = "\r\n"
	}
	var body ast.Node
	for _, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			body = yamlast.Unwrap(doc.Body)
			break
		}
	}
	switch v := body.(type) {
	case *ast.MappingNode:
		if v.IsFlowStyle {
			return nil, fmt.Errorf("%s is written as one { } mapping; qdn edits job files written as `key: value` lines", file)
		}
		d.fields = v.Values
	case *ast.MappingValueNode:
		d.fields = []*ast.MappingValueNode{v}
	default:
		return nil, fmt.Errorf("%s does not hold a mapping of job fields", file)
	}
	if len(d.fields) > 0 {
		_, c := yamlast.Pos(d.fields[0].Key)
		d.indent = c - 1
	}
	return d, nil
}

func (d *yamlDoc) field(name string) *ast.MappingValueNode {
	for _, f := range d.fields {
		if s, _ := yamlast.Scalar(f.Key); s == name {
			return f
		}
	}
	return nil
}

// offset returns the byte offset of a 1-based line and a 1-based column
// counted in characters, as the parser counts them.
func (d *yamlDoc) offset(line, col int) (int, error) {
	if line < 1 || line > len(d.lineStart) || col < 1 {
		return 0, fmt.Errorf("%s:%d:%d: position outside the file", d.file, line, col)
	}
	off := d.lineStart[line-1]
	for i := 1; i < col; i++ {
		if off >= len(d.src) || d.src[off] == '\n' {
			return 0, fmt.Errorf("%s:%d:%d: position outside the line", d.file, line, col)
		}
		_, w := utf8.DecodeRune(d.src[off:])
		off += w
	}
	return off, nil
}

// lineEnd returns the offset just past the end of the 1-based line,
// newline included.
func (d *yamlDoc) lineEnd(line int) int {
	if line < len(d.lineStart) {
		return d.lineStart[line]
	}
	return len(d.src)
}

func (d *yamlDoc) line(i int) string {
	return strings.TrimRight(string(d.src[d.lineStart[i-1]:d.lineEnd(i)]), "\r\n")
}

// span returns where the text of the scalar n is in the source: its token
// as written, quotes included.
func (d *yamlDoc) span(n ast.Node) (int, int, error) {
	tk := n.GetToken()
	if tk == nil {
		return 0, 0, fmt.Errorf("%s: cannot locate a value", d.file)
	}
	text := strings.TrimSpace(tk.Origin)
	start, err := d.offset(tk.Position.Line, tk.Position.Column)
	if err != nil {
		return 0, 0, err
	}
	if text == "" || !strings.HasPrefix(string(d.src[start:]), text) {
		return 0, 0, fmt.Errorf("%s:%d:%d: cannot locate the value %q in the text", d.file, tk.Position.Line, tk.Position.Column, text)
	}
	return start, start + len(text), nil
}

// blockEnd returns the offset just past the last line that belongs to the
// top-level field f: the key's line and the lines after it that are indented
// deeper, or that are items of a list written at the key's own indentation.
// Comment lines and blank lines after the last such line are left to what
// follows.
func (d *yamlDoc) blockEnd(f *ast.MappingValueNode) int {
	kl, _ := yamlast.Pos(f.Key)
	last := kl
	for i := kl + 1; i <= len(d.lineStart); i++ {
		text := d.line(i)
		t := strings.TrimLeft(text, " ")
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		ind := len(text) - len(t)
		if ind > d.indent || ind == d.indent && (t == "-" || strings.HasPrefix(t, "- ")) {
			last = i
			continue
		}
		break
	}
	return d.lineEnd(last)
}

// noValue reports whether nothing but a comment follows the colon of f on
// its line, and returns the offset just past the colon.
func (d *yamlDoc) noValue(f *ast.MappingValueNode) (int, bool) {
	l, c := yamlast.Pos(f)
	off, err := d.offset(l, c)
	if err != nil || d.src[off] != ':' {
		return 0, false
	}
	rest := strings.TrimSpace(string(d.src[off+1 : d.lineEnd(l)]))
	return off + 1, rest == "" || strings.HasPrefix(rest, "#")
}

// insertLines returns an edit inserting lines (each ending in d.nl) at off,
// which is the start of a line or the end of the file.
func (d *yamlDoc) insertLines(off int, lines string) edit {
	if off == len(d.src) && len(d.src) > 0 && d.src[len(d.src)-1] != '\n' {
		lines = d.nl + lines
	}
	return edit{start: off, end: off, text: lines}
}

// setScalar sets the top-level key name to the plain scalar value. A missing
// key is added on the line after the field named after, or at the top.
func (d *yamlDoc) setScalar(name, value, after string) (edit, error) {
	f := d.field(name)
	if f == nil {
		line := strings.Repeat(" ", d.indent) + name + ": " + value + d.nl
		if a := d.field(after); a != nil && after != "" {
			return d.insertLines(d.blockEnd(a), line), nil
		}
		if len(d.fields) == 0 {
			return d.insertLines(len(d.src), line), nil
		}
		kl, _ := yamlast.Pos(d.fields[0].Key)
		return d.insertLines(d.lineStart[kl-1], line), nil
	}
	v := yamlast.Unwrap(f.Value)
	switch v.(type) {
	case *ast.NullNode:
		if off, ok := d.noValue(f); ok {
			return edit{start: off, end: off, text: " " + value}, nil
		}
	case *ast.StringNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
	default:
		l, c := yamlast.Pos(f.Value)
		return edit{}, fmt.Errorf("%s:%d:%d: %s must be a single value, not a %s", d.file, l, c, name, yamlast.Kind(f.Value))
	}
	start, end, err := d.span(v)
	if err != nil {
		return edit{}, err
	}
	return edit{start: start, end: end, text: value}, nil
}

// appendEvent adds ev at the end of the history list, in the style of the
// entries already there: a { } mapping per line, or one key per line.
func (d *yamlDoc) appendEvent(ev generator.Event, loc *time.Location) (edit, error) {
	flow := formatEvent(ev, loc)
	f := d.field("history")
	if f == nil {
		ind := strings.Repeat(" ", d.indent)
		text := ind + "history:" + d.nl + ind + "  - " + flow + d.nl
		if s := d.field("status"); s != nil {
			return d.insertLines(d.blockEnd(s), text), nil
		}
		return d.insertLines(len(d.src), text), nil
	}
	switch v := yamlast.Unwrap(f.Value).(type) {
	case *ast.NullNode:
		if _, ok := d.noValue(f); ok {
			kl, _ := yamlast.Pos(f.Key)
			return d.insertLines(d.lineEnd(kl), strings.Repeat(" ", d.indent)+"  - "+flow+d.nl), nil
		}
		start, end, err := d.span(v)
		if err != nil {
			return edit{}, err
		}
		return edit{start: start, end: end, text: "[" + flow + "]"}, nil
	case *ast.SequenceNode:
		if v.IsFlowStyle {
			if v.End == nil {
				return edit{}, fmt.Errorf("%s: cannot find the end of the history list", d.file)
			}
			end, err := d.offset(v.End.Position.Line, v.End.Position.Column)
			if err != nil {
				return edit{}, err
			}
			i := end
			for i > 0 && strings.ContainsRune(" \t\r\n", rune(d.src[i-1])) {
				i--
			}
			switch {
			case i > 0 && d.src[i-1] == '[':
			case i > 0 && d.src[i-1] == ',':
				flow = " " + flow
			default:
				flow = ", " + flow
			}
			return edit{start: i, end: i, text: flow}, nil
		}
		if len(v.Entries) == 0 || v.Entries[len(v.Entries)-1].Start == nil {
			return edit{}, fmt.Errorf("%s: cannot find the entries of the history list", d.file)
		}
		last := v.Entries[len(v.Entries)-1]
		dash := strings.Repeat(" ", last.Start.Position.Column-1)
		text := dash + "- " + flow + d.nl
		if m, ok := yamlast.Unwrap(last.Value).(*ast.MappingNode); ok && !m.IsFlowStyle && len(m.Values) > 0 {
			_, kc := yamlast.Pos(m.Values[0].Key)
			text = blockEvent(ev, loc, dash, strings.Repeat(" ", kc-1), d.nl)
		}
		return d.insertLines(d.blockEnd(f), text), nil
	}
	l, c := yamlast.Pos(f.Value)
	return edit{}, fmt.Errorf("%s:%d:%d: history must be a list, not a %s", d.file, l, c, yamlast.Kind(f.Value))
}

// blockEvent writes a history entry with one key per line.
func blockEvent(ev generator.Event, loc *time.Location, dash, key, nl string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s- status: %s%s", dash, ev.Status, nl)
	fmt.Fprintf(&b, "%sat: %s%s", key, formatTime(ev.At, loc), nl)
	if ev.Note != "" {
		fmt.Fprintf(&b, "%snote: %s%s", key, quoteYAML(ev.Note, false), nl)
	}
	if ev.Forced {
		fmt.Fprintf(&b, "%sforced: true%s", key, nl)
	}
	return b.String()
}

// apply returns the source with the edits made. Edits must not overlap.
func (d *yamlDoc) apply(edits ...edit) ([]byte, error) {
	sort.Slice(edits, func(i, j int) bool { return edits[i].start < edits[j].start })
	var out []byte
	prev := 0
	for _, e := range edits {
		if e.start < prev {
			return nil, errors.New("overlapping edits of " + d.file)
		}
		out = append(out, d.src[prev:e.start]...)
		out = append(out, e.text...)
		prev = e.end
	}
	return append(out, d.src[prev:]...), nil
}

// commit applies the edits of d, checks that the result holds exactly want
// and replaces the file.
func (s *Site) commit(d *yamlDoc, want *generator.Job, edits ...edit) (*generator.Job, error) {
	src, err := d.apply(edits...)
	if err != nil {
		return nil, err
	}
	got, err := checkWritten(d.file, src, want, s.loc())
	if err != nil {
		return got, err
	}
	id := strings.TrimSuffix(path.Base(d.file), ".yaml")
	if err := s.replace(id, d.src, src); err != nil {
		return nil, err
	}
	return got, nil
}
