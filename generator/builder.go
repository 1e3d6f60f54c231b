package generator

import (
	"bytes"
	"sort"
	"sync"
)

// Builder rebuilds one site again and again, as qdn serve does, keeping the
// last good output in memory. A failed rebuild keeps serving the last good
// output and reports every error.
type Builder struct {
	dir string
	opt Options

	mu   sync.Mutex
	site *Site
	out  *Output
}

// NewBuilder returns a Builder for the site at dir. Nothing is read until
// the first Rebuild.
func NewBuilder(dir string, opt Options) *Builder {
	return &Builder{dir: dir, opt: opt}
}

// Rebuild brings the output up to date after the source files in changed
// (slash-separated paths relative to the site root, such as
// jobs/JOB-1.yaml) were written, created or removed; nil means anything may
// have changed. It returns the new output with the paths that differ from
// the previous good build. On error the previous output stays current and
// the error lists every problem (see Errors); the Site in the result is the
// one that failed, as far as it could be read.
func (b *Builder) Rebuild(changed []string) (*Result, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, err := Load(b.dir, b.opt)
	if err != nil {
		return &Result{Site: s, Output: b.out}, err
	}
	out, err := Render(s)
	if err != nil {
		return &Result{Site: s, Output: b.out}, err
	}
	c := diff(b.out, out)
	b.site, b.out = s, out
	return &Result{Site: s, Output: out, Changes: c}, nil
}

// Output returns the last good output, or nil before the first good build.
func (b *Builder) Output() *Output {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.out
}

// Site returns the site of the last good build, or nil.
func (b *Builder) Site() *Site {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.site
}

// diff returns the paths that differ between two outputs held in memory.
func diff(prev, next *Output) *Changes {
	c := &Changes{}
	if prev == nil {
		prev = &Output{}
	}
	for p, b := range next.Files {
		old, ok := prev.Files[p]
		switch {
		case !ok:
			c.Added = append(c.Added, p)
		case !bytes.Equal(old, b):
			c.Modified = append(c.Modified, p)
		}
	}
	for p := range prev.Files {
		if _, ok := next.Files[p]; !ok {
			c.Removed = append(c.Removed, p)
		}
	}
	sort.Strings(c.Added)
	sort.Strings(c.Modified)
	sort.Strings(c.Removed)
	return c
}
