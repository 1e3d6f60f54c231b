package generator

import (
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/template/parse"
	"time"

	"github.com/quickdumpnow/qdn/templates"
)

// TemplatesDir is where a site keeps templates that replace the defaults.
const TemplatesDir = "templates"

// The page templates qdn renders, by file name.
const (
	TemplateTrack   = "track.html"
	TemplateHome    = "home.html"
	TemplatePage    = "page.html"
	TemplateBook    = "book.html"
	TemplateService = "service.html"
	Template404     = "404.html"
)

var pageTemplates = []string{TemplateTrack, TemplateHome, TemplatePage, TemplateBook, TemplateService, Template404}

// Templates is the parsed set of page templates: each page template with
// every partial, in a set of its own so that each may define "main".
type Templates struct {
	pages map[string]*template.Template
	// Source tells, per file name, where each template came from: the
	// embedded default or the site's templates/ directory.
	Source map[string]string
}

var funcs = template.FuncMap{
	"lower":  strings.ToLower,
	"iso":    formatISO,
	"mapURL": mapURL,
	// Times reach the templates already in the site's time zone.
	"when": formatWhen,
	"day":  formatDay,
	"date": formatDate,
}

// The time formats of the template funcs, which the view model also uses to
// hand templates strings ready to print.
func formatISO(t time.Time) string  { return t.Format(time.RFC3339) }
func formatWhen(t time.Time) string { return t.Format("Mon, Jan 2 at 3:04 pm") }
func formatDay(t time.Time) string  { return t.Format("Monday, January 2, 2006") }
func formatDate(t time.Time) string { return t.Format("January 2, 2006") }

// LoadTemplates parses the default templates, replaced by name by the
// site's own templates/*.html.
func LoadTemplates(dir string) (*Templates, error) {
	r, err := openSite(dir)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return loadTemplates(r)
}

func loadTemplates(r *os.Root) (*Templates, error) {
	files := map[string][]byte{}
	source := map[string]string{}
	defaults, _ := fs.Glob(templates.FS, "*.html")
	for _, name := range defaults {
		b, err := templates.FS.ReadFile(name)
		if err != nil {
			return nil, err
		}
		files[name], source[name] = b, "(default) "+name
	}
	var list ErrorList
	own, err := readSourceDir(r, TemplatesDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	for _, d := range own {
		if d.IsDir() || !strings.HasSuffix(d.Name(), ".html") || ignoredName(d.Name()) {
			continue
		}
		file := TemplatesDir + "/" + d.Name()
		b, _, err := readSource(r, file, maxSourceSize)
		if e := Errors(err); e != nil {
			list = append(list, e...)
			continue
		}
		if err != nil {
			return nil, err
		}
		files[d.Name()], source[d.Name()] = b, file
	}
	var partials []string
	for name := range files {
		if strings.HasPrefix(name, "_") {
			partials = append(partials, name)
		}
	}
	sort.Strings(partials)
	base := template.New("").Funcs(funcs)
	for _, name := range partials {
		if _, err := base.New(name).Parse(string(files[name])); err != nil {
			list = append(list, templateError(source[name], err))
		}
	}
	t := &Templates{pages: map[string]*template.Template{}, Source: source}
	if len(list) > 0 {
		return t, list.Err()
	}
	for _, name := range pageTemplates {
		src, ok := files[name]
		if !ok {
			list = append(list, &Error{Pos: Pos{File: TemplatesDir + "/" + name}, Msg: "template is missing", Hint: "restore the file or remove the override"})
			continue
		}
		set := template.Must(base.Clone())
		if _, err := set.New(name).Parse(string(src)); err != nil {
			list = append(list, templateError(source[name], err))
			continue
		}
		t.pages[name] = set
	}
	if len(list) == 0 {
		list = append(list, t.unused()...)
	}
	return t, list.Err()
}

// unused reports the templates a site's own files define that no page
// reaches: a define qdn's templates never call (such as "title", which
// qdn's _base.html does not call: it prints .FullTitle) would otherwise be
// ignored without a word.
func (t *Templates) unused() ErrorList {
	used := map[string]bool{}
	for _, set := range t.pages {
		// qdn itself runs each page template, "footer" and "style".
		todo := append(slices.Clone(pageTemplates), "footer", "style")
		seen := map[string]bool{}
		for len(todo) > 0 {
			name := todo[len(todo)-1]
			todo = todo[:len(todo)-1]
			tmpl := set.Lookup(name)
			if seen[name] || tmpl == nil || tmpl.Tree == nil {
				continue
			}
			seen[name], used[tmpl.Tree.ParseName+"\x00"+name] = true, true
			todo = append(todo, calls(tmpl.Tree.Root)...)
		}
	}
	var list ErrorList
	for _, name := range pageTemplates {
		set := t.pages[name]
		for _, tmpl := range set.Templates() {
			if tmpl.Tree == nil {
				continue
			}
			// A file's own top level is not a define: a partial's is
			// never run.
			file := tmpl.Tree.ParseName
			if file == tmpl.Name() || !strings.HasPrefix(t.Source[file], TemplatesDir+"/") || used[file+"\x00"+tmpl.Name()] {
				continue
			}
			used[file+"\x00"+tmpl.Name()] = true // report it once
			e := &Error{Pos: Pos{File: t.Source[file]}, Msg: fmt.Sprintf("template %q is defined but no page uses it", tmpl.Name()),
				Hint: fmt.Sprintf("call it with {{template %q .}} or remove the define", tmpl.Name())}
			if tmpl.Name() == "title" {
				e.Hint = "qdn's _base.html prints .FullTitle as the <title>; remove the define, or print it from a templates/_base.html of your own"
			}
			// The location is "file:line:col" of the define's body.
			loc, _ := tmpl.Tree.ErrorContext(tmpl.Tree.Root)
			if parts := strings.Split(loc, ":"); len(parts) >= 3 {
				e.Pos.Line, _ = strconv.Atoi(parts[len(parts)-2])
				e.Pos.Col, _ = strconv.Atoi(parts[len(parts)-1])
			}
			list = append(list, e)
		}
	}
	return list
}

// calls lists the templates a tree calls with {{template}}.
func calls(list *parse.ListNode) []string {
	var out []string
	if list == nil {
		return nil
	}
	for _, n := range list.Nodes {
		switch n := n.(type) {
		case *parse.TemplateNode:
			out = append(out, n.Name)
		case *parse.IfNode:
			out = append(append(out, calls(n.List)...), calls(n.ElseList)...)
		case *parse.WithNode:
			out = append(append(out, calls(n.List)...), calls(n.ElseList)...)
		case *parse.RangeNode:
			out = append(append(out, calls(n.List)...), calls(n.ElseList)...)
		}
	}
	return out
}

var templateLineRE = regexp.MustCompile(`^(?:template: |html/template:)[^:]+:(\d+):(?:(\d+):)? ?(.*)$`)

func templateError(file string, err error) *Error {
	file = strings.TrimPrefix(file, "(default) ")
	msg := err.Error()
	e := &Error{Pos: Pos{File: file}, Msg: msg, Hint: "fix the template syntax; see https://pkg.go.dev/html/template"}
	if m := templateLineRE.FindStringSubmatch(msg); m != nil {
		e.Pos.Line, _ = strconv.Atoi(m[1])
		e.Pos.Col, _ = strconv.Atoi(m[2])
		e.Msg, e.Hint = explainTemplateError(m[3])
	}
	return e
}

// Uses lists the template files a page template depends on: itself and
// every partial.
func (t *Templates) Uses(page string) []string {
	var out []string
	for name := range t.Source {
		if name == page || strings.HasPrefix(name, "_") {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
