package generator

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Pos is a position in a source file. Line and Col are 1-based; zero means
// the position is unknown (a whole file, or a file that does not exist).
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string {
	switch {
	case p.Line > 0 && p.Col > 0:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
	case p.Line > 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	default:
		return p.File
	}
}

// Error is one problem in a source file: where it is, what is wrong and
// how to fix it.
type Error struct {
	Pos  Pos
	Msg  string
	Hint string
}

func (e *Error) Error() string {
	if e.Pos.File == "" {
		return e.Msg
	}
	return e.Pos.String() + ": " + e.Msg
}

// ErrorList collects every problem found in one pass over the sources, so
// that a dispatcher sees all of them at once instead of one per run.
type ErrorList []*Error

func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	return fmt.Sprintf("%s (and %d more errors)", l[0].Error(), len(l)-1)
}

// Sort orders the list by file, line and column so that output is stable.
func (l ErrorList) Sort() {
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i].Pos, l[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// Err returns the list as an error, or nil when it is empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	l.Sort()
	return l
}

// Format writes every error with its hint, one per line, for a terminal.
func (l ErrorList) Format() string {
	var b strings.Builder
	for _, e := range l {
		b.WriteString(e.Error())
		b.WriteByte('\n')
		if e.Hint != "" {
			b.WriteString("    hint: ")
			b.WriteString(e.Hint)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// Errors returns the source errors held in err, or nil when err is not a
// validation failure.
func Errors(err error) ErrorList {
	var l ErrorList
	if errors.As(err, &l) {
		return l
	}
	var e *Error
	if errors.As(err, &e) {
		return ErrorList{e}
	}
	return nil
}

// errs is the collector used while loading: it records errors for one file.
type errs struct {
	file string
	list *ErrorList
}

func (e errs) at(line, col int, hint, format string, args ...any) {
	*e.list = append(*e.list, &Error{
		Pos:  Pos{File: e.file, Line: line, Col: col},
		Msg:  fmt.Sprintf(format, args...),
		Hint: hint,
	})
}
