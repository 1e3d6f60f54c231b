package generator

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// A template author sees html/template's errors in the terms of the
// template: the expression, what the dot is there (.Track, an item of
// .Track.Steps), the fields it has and the closest one, and a hint that fits
// the mistake. Go's own message names qdn's Go types (*generator.trackView)
// and says nothing of what the template could have written instead.

var (
	noFieldRE    = regexp.MustCompile(`^executing "[^"]*" at <([^>]*)>: can't evaluate field (\w+) in type (\S+)$`)
	nilRE        = regexp.MustCompile(`^executing "[^"]*" at <([^>]*)>: nil pointer evaluating (\S+)\.(\w+)$`)
	noFuncRE     = regexp.MustCompile(`^function "(\w+)" not defined$`)
	noTemplateRE = regexp.MustCompile(`^no such template "(.*)"$`)
	execRE       = regexp.MustCompile(`^executing "[^"]*" at <([^>]*)>: (.*)$`)
)

// builtins are text/template's predefined functions.
var builtins = []string{"and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf", "println", "urlquery", "eq", "ge", "gt", "le", "lt", "ne"}

const templateDocs = "see https://pkg.go.dev/text/template"

// explainTemplateError rewrites the message of a template error (without
// its file and position) and returns it with a hint.
func explainTemplateError(msg string) (string, string) {
	if m := noFieldRE.FindStringSubmatch(msg); m != nil {
		expr, field, typ := m[1], m[2], m[3]
		d, ok := templateTypes()[strings.TrimPrefix(typ, "*")]
		if !ok {
			return fmt.Sprintf("%s: no field %s in %s", expr, field, typ), "check the spelling of the field; " + templateDocs
		}
		msg := fmt.Sprintf("%s: %s has no field %s", expr, d.name, field)
		hint := fmt.Sprintf("%s has %s", d.name, strings.Join(d.fields, ", "))
		if best := closest(field, d.fields); best != "" {
			hint = fmt.Sprintf("did you mean %s%s? %s", strings.TrimSuffix(expr, field), best, hint)
		}
		return msg, hint
	}
	if m := nilRE.FindStringSubmatch(msg); m != nil {
		expr, field := m[1], m[3]
		parent := strings.TrimSuffix(expr, "."+field)
		return fmt.Sprintf("%s: %s is empty on this page", expr, parent),
			fmt.Sprintf("not every job has it: print it inside {{with %s}}...{{end}}, where it is the dot", parent)
	}
	if m := noFuncRE.FindStringSubmatch(msg); m != nil {
		names := make([]string, 0, len(funcs)+len(builtins))
		for name := range funcs {
			names = append(names, name)
		}
		sort.Strings(names)
		names = append(names, builtins...)
		hint := "the functions are " + strings.Join(names, ", ")
		if best := closest(m[1], names); best != "" {
			hint = fmt.Sprintf("did you mean %s? %s", best, hint)
		}
		return msg, hint
	}
	if m := noTemplateRE.FindStringSubmatch(msg); m != nil {
		return msg, fmt.Sprintf("define it in a file of templates/ with {{define %q}}...{{end}}, or correct the name", m[1])
	}
	if m := execRE.FindStringSubmatch(msg); m != nil {
		return m[1] + ": " + m[2], "the template failed on a page's data: check the types and arguments in this expression; " + templateDocs
	}
	return msg, "fix the template syntax; " + templateDocs
}

// closest returns the name of known nearest to name, when it looks like a
// typo of it (a different case counts as one).
func closest(name string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := distance(strings.ToLower(name), strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// templateType is a Go type a template meets: how to name it to a template
// author and the fields and methods it can use.
type templateType struct {
	name   string
	fields []string
}

// templateTypes maps the Go name of every type reachable from a page's
// view (such as generator.trackView) to its template name (.Track).
var templateTypes = sync.OnceValue(func() map[string]templateType {
	out := map[string]templateType{}
	var walk func(t reflect.Type, name string)
	walk = func(t reflect.Type, name string) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			if t.Kind() == reflect.Slice {
				name = "an item of " + name
			}
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || t.PkgPath() != reflect.TypeFor[view]().PkgPath() {
			return
		}
		if _, seen := out[t.String()]; seen {
			return
		}
		d := templateType{name: name}
		var children []reflect.StructField
		for i := range t.NumField() {
			f := t.Field(i)
			if f.IsExported() && !f.Anonymous {
				d.fields = append(d.fields, f.Name)
				children = append(children, f)
			}
		}
		pt := reflect.PointerTo(t)
		for i := range pt.NumMethod() {
			d.fields = append(d.fields, pt.Method(i).Name)
		}
		out[t.String()] = d
		for _, f := range children {
			child := "." + f.Name
			if name != "the page" {
				child = name + "." + f.Name
				if strings.HasPrefix(name, "an item of ") {
					child = "." + f.Name + " of " + name
				}
			}
			walk(f.Type, child)
		}
	}
	walk(reflect.TypeFor[view](), "the page")
	return out
})
