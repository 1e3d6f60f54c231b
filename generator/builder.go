package generator

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Builder rebuilds one site again and again, as qdn serve does, keeping the
// site and its output in memory. A rebuild after job files changed parses
// only those files and renders only their pages; any other change reloads
// what it can affect. Either way the output is the one a clean build of the
// same sources gives. A failed rebuild keeps the last good output current
// and reports every error.
type Builder struct {
	dir string
	opt Options

	mu sync.Mutex
	// site and out are the last good build.
	site *Site
	out  *Output
	// base is the last loaded site, good or not, with every job file parsed:
	// jobs by file, and the errors of each file.
	base    *Site
	jobs    map[string]*Job
	jobErrs map[string]ErrorList
	// rest are the errors of the last load outside job files.
	rest ErrorList
	// pending are the paths changed since the last good build, and
	// pendingAll says a full rebuild is owed: a failed rebuild leaves its
	// changes for the next one.
	pending    map[string]bool
	pendingAll bool
	// leaks indexes the tokens and private values the last good build's
	// output was checked against.
	leaks *leakIndex
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
// one that failed, as far as it could be read. A rebuild stopped by ctx
// returns ctx's error and leaves everything as a failed one does: the
// changes stay owed to the next rebuild.
func (b *Builder) Rebuild(ctx context.Context, changed []string) (*Result, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if changed == nil {
		b.pendingAll = true
	}
	if b.pending == nil {
		b.pending = map[string]bool{}
	}
	for _, p := range changed {
		b.pending[p] = true
	}
	all := make([]string, 0, len(b.pending))
	for p := range b.pending {
		all = append(all, p)
	}
	sort.Strings(all)
	if b.pendingAll || b.base == nil || b.base.Config == nil || b.base.Templates == nil || len(b.rest) > 0 || !onlyJobs(all) {
		// A failed full rebuild owes the next one a full rebuild too: its
		// errors, filed by job, may involve files that do not change again.
		b.pendingAll = true
		return b.full(ctx)
	}
	return b.incremental(ctx, all)
}

// onlyJobs reports whether every changed path is a job file (or an editor's
// file in jobs/, which the build ignores).
func onlyJobs(changed []string) bool {
	for _, p := range changed {
		dir, name := path.Split(p)
		if dir != JobsDir+"/" || (!strings.HasSuffix(name, ".yaml") && !ignoredName(name)) {
			return false
		}
	}
	return true
}

// full loads everything and renders every page.
func (b *Builder) full(ctx context.Context) (*Result, error) {
	s, err := Load(ctx, b.dir, b.opt)
	if s != nil {
		b.base = s
		b.jobs, b.jobErrs, b.rest = map[string]*Job{}, map[string]ErrorList{}, nil
		for _, j := range s.Jobs {
			b.jobs[j.File] = j
		}
		for _, e := range Errors(err) {
			if strings.HasPrefix(e.Pos.File, JobsDir+"/") {
				b.jobErrs[e.Pos.File] = append(b.jobErrs[e.Pos.File], e)
			} else {
				b.rest = append(b.rest, e)
			}
		}
	}
	if err != nil {
		return &Result{Site: s, Output: b.out}, err
	}
	out, err := Render(ctx, s)
	if err != nil {
		return &Result{Site: s, Output: b.out}, err
	}
	if err := ctx.Err(); err != nil {
		return &Result{Site: s, Output: b.out}, err
	}
	x, err := checkAll(s, out)
	if err != nil {
		return &Result{Site: s, Output: b.out}, err
	}
	b.leaks = x
	return b.commit(s, out), nil
}

// incremental parses the changed job files again and renders their pages.
func (b *Builder) incremental(ctx context.Context, changed []string) (*Result, error) {
	loc := siteLocation(b.base.Config)
	root, err := openSite(b.dir)
	if err != nil {
		return &Result{Site: b.base, Output: b.out}, err
	}
	defer root.Close()
	for _, p := range changed {
		if ignoredName(path.Base(p)) {
			continue
		}
		delete(b.jobs, p)
		delete(b.jobErrs, p)
		src, _, err := readSource(root, p, maxSourceSize)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if l := Errors(err); l != nil {
			b.jobs[p] = &Job{File: p}
			b.jobErrs[p] = l
			continue
		}
		if err != nil {
			return &Result{Site: b.base, Output: b.out}, err
		}
		var list ErrorList
		b.jobs[p] = ParseJob(p, src, loc, &list)
		if len(list) > 0 {
			b.jobErrs[p] = list
		}
	}
	// A new site value that shares everything but the jobs with the last;
	// its jobs stay in file order, as Load gives them.
	s := *b.base
	s.Now = time.Now()
	if b.opt.Now != nil {
		s.Now = b.opt.Now()
	}
	s.Jobs = slices.Clone(b.base.Jobs)
	for _, p := range changed {
		i, found := slices.BinarySearchFunc(s.Jobs, p, func(j *Job, file string) int { return strings.Compare(j.File, file) })
		j, ok := b.jobs[p]
		switch {
		case found && ok:
			s.Jobs[i] = j
		case found:
			s.Jobs = slices.Delete(s.Jobs, i, i+1)
		case ok:
			s.Jobs = slices.Insert(s.Jobs, i, j)
		}
	}
	list := append(ErrorList{}, b.rest...)
	for _, l := range b.jobErrs {
		list = append(list, l...)
	}
	s.checkJobs(&list)
	b.base = &s
	if err := list.Err(); err != nil {
		return &Result{Site: &s, Output: b.out}, err
	}
	if b.out == nil {
		out, err := Render(ctx, &s)
		if err != nil {
			return &Result{Site: &s, Output: b.out}, err
		}
		if err := ctx.Err(); err != nil {
			return &Result{Site: &s, Output: b.out}, err
		}
		x, err := checkAll(&s, out)
		if err != nil {
			return &Result{Site: &s, Output: b.out}, err
		}
		b.leaks = x
		return b.commit(&s, out), nil
	}

	// Every page but the tracking pages stays; tracking pages stay for jobs
	// whose file did not change and that are still live.
	r, err := newRenderer(&s)
	if err != nil {
		return &Result{Site: &s, Output: b.out}, err
	}
	touched := map[string]bool{}
	for _, p := range changed {
		touched[p] = true
	}
	out := &Output{files: make(map[string][]byte, len(b.out.files))}
	for p, bs := range b.out.files {
		if !strings.HasPrefix(p, "track/") {
			out.files[p] = bs
		}
	}
	var errs ErrorList
	var rendered, kept []string
	for _, j := range s.LiveJobs() {
		p := TrackPath(j.Token)
		if old, ok := b.out.files[p]; ok && !touched[j.File] {
			out.files[p] = old
			continue
		}
		rendered = append(rendered, p)
		page, err := r.Track(j)
		if err != nil {
			errs = append(errs, &Error{Pos: Pos{File: j.File}, Msg: err.Error()})
			continue
		}
		out.files[p] = page
	}
	if err := errs.Err(); err != nil {
		return &Result{Site: &s, Output: b.out}, err
	}
	// The privacy check: see privacy.go. The pages rendered now are
	// searched for every pattern, the pages kept from the last good build
	// only for the patterns it did not have.
	x := buildLeakIndex(&s, nil)
	leaks := x.check(out.files, rendered)
	fresh := newLeakIndex(&s, b.leaks.isNew)
	if len(fresh.pats) > 0 {
		isRendered := make(map[string]bool, len(rendered))
		for _, p := range rendered {
			isRendered[p] = true
		}
		for p := range out.files {
			if !isRendered[p] {
				kept = append(kept, p)
			}
		}
		leaks = append(leaks, fresh.check(out.files, kept)...)
	}
	if err := leakErrors(leaks); err != nil {
		return &Result{Site: &s, Output: b.out}, err
	}
	b.leaks = x
	return b.commit(&s, out), nil
}

func (b *Builder) commit(s *Site, out *Output) *Result {
	b.pending, b.pendingAll = nil, false
	c := diff(b.out, out)
	b.site, b.out = s, out
	return &Result{Site: s, Config: s.Config, Output: out, Changes: c}
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
	for p, b := range next.files {
		old, ok := prev.files[p]
		switch {
		case !ok:
			c.Added = append(c.Added, p)
		case !bytes.Equal(old, b):
			c.Modified = append(c.Modified, p)
		}
	}
	for p := range prev.files {
		if _, ok := next.files[p]; !ok {
			c.Removed = append(c.Removed, p)
		}
	}
	sort.Strings(c.Added)
	sort.Strings(c.Modified)
	sort.Strings(c.Removed)
	return c
}
