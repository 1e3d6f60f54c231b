package htmlexec

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"reflect"
	"text/template/parse"
)

// ErrUnsupported is returned by Execute when the template reached something
// this package does not run: execute it with html/template instead.
var ErrUnsupported = errors.New("htmlexec: not supported")

// Template is a compiled template, safe for concurrent use.
type Template struct {
	typ  reflect.Type
	root *compiled
}

// compiled is one named template compiled for one type of dot.
type compiled struct {
	run step
}

// step writes the output of a node for dot, with dollar as $.
type step func(st *state, dot, dollar reflect.Value) error

// state is one run of a template.
type state struct {
	b *bytes.Buffer
	// depth counts the {{template}} calls in progress. text/template
	// fails past 100,000 and a loop of calls would overflow the stack:
	// deep calls are left to it.
	depth int
}

const maxDepth = 1000

type compiler struct {
	set  *template.Template
	done map[compileKey]*compiled
}

type compileKey struct {
	name string
	typ  reflect.Type
}

// Compile runs the template called name in set for data with html/template
// and returns its output and error, as ExecuteTemplate would. html/template
// escapes the template and every template it calls on that first run; the
// escaped tree is then compiled for data's type, and run for data too. The
// Template is returned only when that gives html/template's bytes: nil
// means every run must go through html/template.
//
// Compiling anything but the template just run would take trees that
// html/template escaped for other contexts, or not at all, which is why
// Compile runs it itself. The set must not be run with other templates
// while Compile reads it.
func Compile(set *template.Template, name string, data any) (*Template, []byte, error) {
	var want bytes.Buffer
	if err := set.ExecuteTemplate(&want, name, data); err != nil {
		return nil, nil, err
	}
	typ := reflect.TypeOf(data)
	if typ == nil || typ == reflect.TypeFor[reflect.Value]() {
		// text/template unwraps a reflect.Value given as data.
		return nil, want.Bytes(), nil
	}
	t := set.Lookup(name)
	if t == nil || t.Tree == nil || !escaped(t.Tree.Root) {
		return nil, want.Bytes(), nil
	}
	c := &compiler{set: set, done: map[compileKey]*compiled{}}
	ct := &Template{typ: typ, root: c.template(name, typ)}
	var got bytes.Buffer
	if err := ct.Execute(&got, data); err != nil || !bytes.Equal(got.Bytes(), want.Bytes()) {
		return nil, want.Bytes(), nil
	}
	return ct, want.Bytes(), nil
}

// escaped reports whether every action of a tree that prints ends in one
// of html/template's escaping functions. Compile runs a template before
// compiling it, which escapes every tree it reaches; this stands guard over
// the trees it calls all the same. (A tree without printing actions passes
// whether escaped or not, which is why it is no more than a guard.)
func escaped(list *parse.ListNode) bool {
	if list == nil {
		return true
	}
	for _, n := range list.Nodes {
		switch n := n.(type) {
		case *parse.ActionNode:
			if len(n.Pipe.Decl) == 0 && escapers(n.Pipe) == 0 {
				return false
			}
		case *parse.IfNode:
			if !branchEscaped(&n.BranchNode) {
				return false
			}
		case *parse.WithNode:
			if !branchEscaped(&n.BranchNode) {
				return false
			}
		case *parse.RangeNode:
			if !branchEscaped(&n.BranchNode) {
				return false
			}
		}
	}
	return true
}

func branchEscaped(n *parse.BranchNode) bool { return escaped(n.List) && escaped(n.ElseList) }

// Execute writes the template's output for data to b. On any error,
// ErrUnsupported among them, b holds part of a page: discard it.
func (t *Template) Execute(b *bytes.Buffer, data any) error {
	v := reflect.ValueOf(data)
	if !v.IsValid() || v.Type() != t.typ {
		return fmt.Errorf("%w: data of type %T, compiled for %s", ErrUnsupported, data, t.typ)
	}
	return t.root.run(&state{b: b}, v, v)
}

func unsupported(why string, args ...any) step {
	err := fmt.Errorf("%w: %s", ErrUnsupported, fmt.Sprintf(why, args...))
	return func(*state, reflect.Value, reflect.Value) error { return err }
}

// template compiles the named template for a dot of type typ, once: a
// template that calls itself gets the same compiled value.
func (c *compiler) template(name string, typ reflect.Type) *compiled {
	key := compileKey{name, typ}
	if t, ok := c.done[key]; ok {
		return t
	}
	t := &compiled{}
	c.done[key] = t
	tmpl := c.set.Lookup(name)
	if tmpl == nil || tmpl.Tree == nil {
		// html/template renames a template it escapes for another
		// context than HTML text, such as inside <title>, and keeps
		// that copy to itself.
		t.run = unsupported("template %q", name)
		return t
	}
	if !escaped(tmpl.Tree.Root) {
		t.run = unsupported("template %q has not been escaped", name)
		return t
	}
	t.run = c.list(tmpl.Tree.Root, typ, typ)
	return t
}

func (c *compiler) list(l *parse.ListNode, dot, dollar reflect.Type) step {
	if l == nil {
		return func(*state, reflect.Value, reflect.Value) error { return nil }
	}
	var steps []step
	for _, n := range l.Nodes {
		if s := c.node(n, dot, dollar); s != nil {
			steps = append(steps, s)
		}
	}
	return func(st *state, d, dl reflect.Value) error {
		for _, s := range steps {
			if err := s(st, d, dl); err != nil {
				return err
			}
		}
		return nil
	}
}

func (c *compiler) node(n parse.Node, dot, dollar reflect.Type) step {
	switch n := n.(type) {
	case *parse.TextNode:
		text := n.Text
		return func(st *state, _, _ reflect.Value) error {
			st.b.Write(text)
			return nil
		}
	case *parse.CommentNode:
		return nil
	case *parse.ActionNode:
		return c.action(n, dot, dollar)
	case *parse.IfNode:
		return c.ifOrWith(&n.BranchNode, false, dot, dollar)
	case *parse.WithNode:
		return c.ifOrWith(&n.BranchNode, true, dot, dollar)
	case *parse.RangeNode:
		return c.rangeNode(n, dot, dollar)
	case *parse.TemplateNode:
		return c.call(n, dot, dollar)
	}
	return unsupported("%s", n)
}

// value compiles the one command of a pipeline with no escapers, nor
// anything else, after it: {{if .A}}, {{with .B.C}}, {{range .D}}.
func (c *compiler) value(p *parse.PipeNode, dot, dollar reflect.Type) (getter, reflect.Type, bool) {
	if p == nil || len(p.Decl) != 0 || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return nil, nil, false
	}
	return c.operand(p.Cmds[0].Args[0], dot, dollar)
}

// getter returns a value for dot and $; false means a nil pointer was in
// the way, which text/template reports as an error.
type getter func(dot, dollar reflect.Value) (reflect.Value, bool)

func (c *compiler) operand(n parse.Node, dot, dollar reflect.Type) (getter, reflect.Type, bool) {
	switch n := n.(type) {
	case *parse.DotNode:
		return func(d, _ reflect.Value) (reflect.Value, bool) { return d, true }, dot, true
	case *parse.FieldNode:
		g, t, ok := chain(n.Ident, dot)
		if !ok {
			return nil, nil, false
		}
		return func(d, _ reflect.Value) (reflect.Value, bool) { return g(d) }, t, true
	case *parse.VariableNode:
		if n.Ident[0] != "$" {
			return nil, nil, false
		}
		g, t, ok := chain(n.Ident[1:], dollar)
		if !ok {
			return nil, nil, false
		}
		return func(_, dl reflect.Value) (reflect.Value, bool) { return g(dl) }, t, true
	}
	return nil, nil, false
}

// chain resolves the fields .A.B.C from a value of type typ, as
// text/template's evalField does but once: through pointers, to exported
// fields of structs. A name that is also a method is left to text/template,
// which would call the method.
func chain(names []string, typ reflect.Type) (func(reflect.Value) (reflect.Value, bool), reflect.Type, bool) {
	type hop struct {
		derefs int
		index  int
	}
	var hops []hop
	for _, name := range names {
		h := hop{}
		base := typ
		for base.Kind() == reflect.Pointer {
			base, h.derefs = base.Elem(), h.derefs+1
		}
		if base.Kind() != reflect.Struct {
			return nil, nil, false
		}
		if _, ok := reflect.PointerTo(base).MethodByName(name); ok {
			return nil, nil, false
		}
		f, ok := base.FieldByName(name)
		if !ok || !f.IsExported() || len(f.Index) != 1 {
			return nil, nil, false
		}
		h.index = f.Index[0]
		hops = append(hops, h)
		typ = f.Type
	}
	return func(v reflect.Value) (reflect.Value, bool) {
		for _, h := range hops {
			for i := 0; i < h.derefs; i++ {
				if v.IsNil() {
					return v, false
				}
				v = v.Elem()
			}
			v = v.Field(h.index)
		}
		return v, true
	}, typ, true
}

var (
	errNil   = fmt.Errorf("%w: nil pointer", ErrUnsupported)
	errDepth = fmt.Errorf("%w: templates called %d deep", ErrUnsupported, maxDepth)
)

// escapers counts the escaping functions html/template put at the end of a
// pipeline.
func escapers(p *parse.PipeNode) int {
	n := 0
	for _, cmd := range p.Cmds {
		if id, ok := cmd.Args[0].(*parse.IdentifierNode); ok && htmlEscapers[id.Ident] {
			n++
		}
	}
	return n
}

// htmlEscapers are the functions html/template adds to pipelines.
var htmlEscapers = map[string]bool{
	"_html_template_attrescaper": true, "_html_template_commentescaper": true, "_html_template_cssescaper": true,
	"_html_template_cssvaluefilter": true, "_html_template_htmlnamefilter": true, "_html_template_htmlescaper": true,
	"_html_template_jsregexpescaper": true, "_html_template_jsstrescaper": true, "_html_template_jstmpllitescaper": true,
	"_html_template_jsvalescaper": true, "_html_template_nospaceescaper": true, "_html_template_rcdataescaper": true,
	"_html_template_srcsetescaper": true, "_html_template_urlescaper": true, "_html_template_urlfilter": true,
	"_html_template_urlnormalizer": true,
}

// action compiles {{.X | escaper | ...}}: the value, then each escaper.
func (c *compiler) action(n *parse.ActionNode, dot, dollar reflect.Type) step {
	p := n.Pipe
	if len(p.Decl) != 0 || len(p.Cmds) < 2 || len(p.Cmds[0].Args) != 1 {
		return unsupported("%s", n)
	}
	get, typ, ok := c.operand(p.Cmds[0].Args[0], dot, dollar)
	if !ok {
		return unsupported("%s", n)
	}
	k, ok := kinds[typ]
	if !ok {
		return unsupported("%s of type %s", n, typ)
	}
	var fns []func(string) string
	for i, cmd := range p.Cmds[1:] {
		id, ok := cmd.Args[0].(*parse.IdentifierNode)
		if !ok || len(cmd.Args) != 1 {
			return unsupported("%s", n)
		}
		if i > 0 {
			k = plain // an escaper returns a plain string
		}
		fn := escaper(id.Ident, k)
		if fn == nil {
			return unsupported("%s", n)
		}
		fns = append(fns, fn)
	}
	return func(st *state, d, dl reflect.Value) error {
		v, ok := get(d, dl)
		if !ok {
			return errNil
		}
		s := v.String()
		for _, fn := range fns {
			s = fn(s)
		}
		st.b.WriteString(s)
		return nil
	}
}

// truth is text/template's isTrue, for the kinds a static type gives.
func truth(t reflect.Type) (func(reflect.Value) bool, bool) {
	switch t.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return func(v reflect.Value) bool { return v.Len() > 0 }, true
	case reflect.Bool:
		return reflect.Value.Bool, true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return func(v reflect.Value) bool { return v.Int() != 0 }, true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return func(v reflect.Value) bool { return v.Uint() != 0 }, true
	case reflect.Float32, reflect.Float64:
		return func(v reflect.Value) bool { return v.Float() != 0 }, true
	case reflect.Pointer, reflect.Chan, reflect.Func:
		return func(v reflect.Value) bool { return !v.IsNil() }, true
	case reflect.Struct:
		return func(reflect.Value) bool { return true }, true
	}
	// An interface's truth is its dynamic value's: not known here.
	return nil, false
}

func (c *compiler) ifOrWith(n *parse.BranchNode, with bool, dot, dollar reflect.Type) step {
	get, typ, ok := c.value(n.Pipe, dot, dollar)
	if !ok {
		return unsupported("%s", n)
	}
	isTrue, ok := truth(typ)
	if !ok {
		return unsupported("%s of type %s", n, typ)
	}
	inner := dot
	if with {
		inner = typ
	}
	then := c.list(n.List, inner, dollar)
	otherwise := c.list(n.ElseList, dot, dollar)
	return func(st *state, d, dl reflect.Value) error {
		v, ok := get(d, dl)
		if !ok {
			return errNil
		}
		switch {
		case !isTrue(v):
			return otherwise(st, d, dl)
		case with:
			return then(st, v, dl)
		default:
			return then(st, d, dl)
		}
	}
}

func (c *compiler) rangeNode(n *parse.RangeNode, dot, dollar reflect.Type) step {
	get, typ, ok := c.value(n.Pipe, dot, dollar)
	if !ok {
		return unsupported("%s", n)
	}
	derefs := 0
	for typ.Kind() == reflect.Pointer {
		typ, derefs = typ.Elem(), derefs+1
	}
	if typ.Kind() != reflect.Slice && typ.Kind() != reflect.Array {
		return unsupported("%s over %s", n, typ)
	}
	body := c.list(n.List, typ.Elem(), dollar)
	otherwise := c.list(n.ElseList, dot, dollar)
	return func(st *state, d, dl reflect.Value) error {
		v, ok := get(d, dl)
		if !ok {
			return errNil
		}
		for i := 0; i < derefs; i++ {
			if v.IsNil() {
				return errNil
			}
			v = v.Elem()
		}
		if v.Len() == 0 {
			return otherwise(st, d, dl)
		}
		for i := 0; i < v.Len(); i++ {
			if err := body(st, v.Index(i), dl); err != nil {
				return err
			}
		}
		return nil
	}
}

// call compiles {{template "name" .X}}: the called template's $ is the
// value it is given.
func (c *compiler) call(n *parse.TemplateNode, dot, dollar reflect.Type) step {
	get, typ, ok := c.value(n.Pipe, dot, dollar)
	if !ok {
		return unsupported("%s", n)
	}
	t := c.template(n.Name, typ)
	return func(st *state, d, dl reflect.Value) error {
		v, ok := get(d, dl)
		if !ok {
			return errNil
		}
		if st.depth == maxDepth {
			return errDepth
		}
		st.depth++
		err := t.run(st, v, v)
		st.depth--
		return err
	}
}
