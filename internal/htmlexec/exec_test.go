package htmlexec

import (
	"bytes"
	"errors"
	"html/template"
	"reflect"
	"strings"
	"testing"
)

type item struct {
	Name string
	Note string
	Done bool
}

type inner struct {
	Title string
	URL   template.URL
}

type data struct {
	S     string
	H     template.HTML
	U     template.URL
	C     template.CSS
	N     int
	B     bool
	Items []item
	None  []item
	Ptr   *inner
	Nil   *inner
	PtrS  *[]item
	Map   map[string]string
	Any   any
	Inner inner
	Named named
	hide  string
}

type named string

func (d *data) Method() string { return "method" }

func sample() *data {
	return &data{
		S: `Mark's <b>"job"</b> & co+1`, H: `<i>fine</i> &amp; "q"`, U: "https://example.com/a b?x=1&y=<2>", C: "p{color:red}",
		N: 3, B: true,
		Items: []item{{Name: "one", Note: "n<1>", Done: true}, {Name: "two"}},
		Ptr:   &inner{Title: "T&T", URL: "/x y"},
		PtrS:  &[]item{{Name: "p"}},
		Map:   map[string]string{"k": "v"}, Any: "any", Inner: inner{Title: "in"}, Named: "nm", hide: "h",
	}
}

// both executes src with html/template and with this package and returns
// the two outputs; got is "" when Compile found the template unsupported.
func both(t *testing.T, src string, d *data) (want, got string, ok bool) {
	t.Helper()
	set := template.Must(template.New("page").Funcs(template.FuncMap{"lower": strings.ToLower}).Parse(src))
	c, out, err := Compile(set, "page", d)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	if c == nil {
		return string(out), "", false
	}
	var g bytes.Buffer
	if err := c.Execute(&g, d); err != nil {
		t.Fatalf("Execute: %v", err)
	}
	return string(out), g.String(), true
}

// TestSupported runs templates this package compiles completely: its
// output must be html/template's, byte for byte.
func TestSupported(t *testing.T) {
	for _, tc := range []struct{ name, src string }{
		{"text", `<p>plain text only</p>`},
		{"html text", `<p>{{.S}}</p><p>{{.H}}</p><p>{{.U}}</p><p>{{.C}}</p>`},
		{"attributes", `<a title="{{.S}}" class='{{.S}}' data-x="{{.U}}" data-c="{{.C}}">x</a>`},
		{"urls", `<a href="{{.S}}">a</a><a href="{{.U}}">b</a><a href="/q?x={{.S}}&amp;y={{.U}}">c</a><a href="tel:{{.S}}">d</a><a href="{{.Ptr.URL}}">e</a>`},
		{"title and textarea", `<title>{{.S}} · {{.H}}</title><textarea>{{.S}}{{.H}}</textarea>`},
		{"style", `<style>{{.C}}</style>`},
		{"fields through pointers", `{{.Ptr.Title}} {{.Inner.Title}}`},
		{"if else", `{{if .B}}yes{{else}}no{{end}}{{if .N}}n{{end}}{{if .None}}x{{else if .Items}}items{{else}}none{{end}}{{if .Nil}}nil{{else}}not{{end}}{{if .Map}}map{{end}}`},
		{"with", `{{with .Ptr}}<b>{{.Title}}</b>{{end}}{{with .Nil}}x{{else}}no inner{{end}}{{with .S}}[{{.}}]{{end}}`},
		{"range", `<ol>{{range .Items}}<li class="{{if .Done}}done{{else}}open{{end}}">{{.Name}}{{with .Note}} <i>{{.}}</i>{{end}}</li>{{end}}</ol>{{range .None}}x{{else}}empty{{end}}{{range .PtrS}}{{.Name}}{{end}}`},
		{"dollar", `{{range .Items}}{{.Name}}:{{$.S}}:{{$.Ptr.Title}} {{end}}`},
		{"template calls", `{{define "item"}}<li>{{.Name}} {{$.Note}}</li>{{end}}{{define "list"}}<ul>{{range .Items}}{{template "item" .}}{{end}}</ul>{{end}}{{template "list" .}}{{template "inner" .Ptr}}{{define "inner"}}{{.Title}}{{end}}`},
		{"comments", `a{{/* nothing */}}b`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, got, ok := both(t, tc.src, sample())
			if !ok {
				t.Fatal("Compile found the template unsupported")
			}
			if got != want {
				t.Errorf("Execute = %q; want %q", got, want)
			}
		})
	}
}

// TestUnsupported runs templates with something this package leaves to
// html/template: Compile must say so, and a Template compiled for data that
// does not reach it must stop there rather than print anything else.
func TestUnsupported(t *testing.T) {
	for _, tc := range []struct{ name, src string }{
		{"method", `{{.Method}}`},
		{"function", `{{lower .S}}`},
		{"pipeline function", `{{.S | lower}}`},
		{"variable", `{{$x := .S}}{{$x}}`},
		{"range variable", `{{range $i, $e := .Items}}{{$e.Name}}{{end}}`},
		{"map", `{{.Map.k}}`},
		{"interface", `{{.Any}}`},
		{"named string", `{{.Named}}`},
		{"int", `{{.N}}`},
		{"derived template", `<title>{{template "t" .}}</title>`},
		{"template in attribute", `<a title="{{template "t" .}}">x</a>`},
		{"unquoted attribute", `<a title={{.S}}>x</a>`},
		{"script", `<script>var s = {{.S}};</script>`},
		{"html in attribute", `<a title="{{.H}}">x</a>`},
		{"string in style", `<style>p{color:{{.S}}}</style>`},
		{"nil pointer", `before {{.Nil.Title}} after`},
		{"break", `{{range .Items}}{{.Name}}{{break}}{{end}}`},
		{"and", `{{if and .B .N}}x{{end}}`},
		{"literal", `{{"lit"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := sample()
			src := `{{if .Inner.URL}}` + tc.src + `{{end}}{{define "t"}}{{.S}}{{end}}`
			set := template.Must(template.New("page").Funcs(template.FuncMap{"lower": strings.ToLower}).Parse(src))
			c, _, err := Compile(set, "page", d)
			if err != nil || c == nil {
				t.Fatalf("Compile for data that does not reach it = %v, %v; want a Template", c, err)
			}
			d.Inner.URL = "/reach"
			if err := c.Execute(new(bytes.Buffer), d); !errors.Is(err, ErrUnsupported) {
				t.Errorf("Execute = %v; want ErrUnsupported", err)
			}
			set = template.Must(template.New("page").Funcs(template.FuncMap{"lower": strings.ToLower}).Parse(src))
			if c, _, _ := Compile(set, "page", d); c != nil {
				t.Error("Compile for data that reaches it gave a Template; want nil")
			}
		})
	}
}

// TestCompileRunsIt: a template is escaped for the contexts it is called
// in only once html/template runs it, so Compile runs the very template it
// compiles, even when another one of the set ran first.
func TestCompileRunsIt(t *testing.T) {
	src := `{{define "x"}}{{.S}}{{end}}<p>{{template "x" .}}</p>` +
		`{{define "other"}}<!-- secret --><p>1 < 2</p><a title="{{template "x" .}}">l</a>{{end}}`
	set := template.Must(template.New("page").Parse(src))
	d := sample()
	if err := set.Execute(new(bytes.Buffer), d); err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	clone := template.Must(template.Must(template.New("page").Parse(src)).Clone())
	if err := clone.ExecuteTemplate(&want, "other", d); err != nil {
		t.Fatal(err)
	}
	c, out, err := Compile(set, "other", d)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != want.String() {
		t.Errorf("Compile's output = %q; want %q", out, want.String())
	}
	if c != nil {
		var g bytes.Buffer
		if err := c.Execute(&g, d); err != nil || g.String() != want.String() {
			t.Errorf("Execute = %q, %v; want %q", g.String(), err, want.String())
		}
	}
}

// TestDeepCalls: templates that call themselves deeper than maxDepth stop
// with ErrUnsupported (html/template then runs them, and fails past its
// own limit) rather than overflow the stack.
func TestDeepCalls(t *testing.T) {
	type node struct {
		Name string
		Next *node
	}
	set := template.Must(template.New("page").Parse(`{{define "r"}}{{.Name}}{{with .Next}}{{template "r" .}}{{end}}{{end}}{{template "r" .}}`))
	short := &node{Name: "a", Next: &node{Name: "b"}}
	c, out, err := Compile(set, "page", short)
	if err != nil || c == nil || string(out) != "ab" {
		t.Fatalf("Compile = %v, %q, %v; want a Template and \"ab\"", c, out, err)
	}
	long := &node{Name: "x"}
	for i := 0; i < maxDepth+5; i++ {
		long = &node{Name: "x", Next: long}
	}
	if err := c.Execute(new(bytes.Buffer), long); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Execute %d deep = %v; want ErrUnsupported", maxDepth+5, err)
	}
	cycle := &node{Name: "c"}
	cycle.Next = cycle
	if err := c.Execute(new(bytes.Buffer), cycle); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Execute of a cycle = %v; want ErrUnsupported", err)
	}
}

func TestWrongType(t *testing.T) {
	set := template.Must(template.New("page").Parse(`<p>{{.S}}</p>{{if .}}yes{{else}}no{{end}}`))
	c, _, err := Compile(set, "page", sample())
	if err != nil || c == nil {
		t.Fatal(c, err)
	}
	for _, d := range []any{nil, *sample(), "x", reflect.ValueOf(sample())} {
		if err := c.Execute(new(bytes.Buffer), d); !errors.Is(err, ErrUnsupported) {
			t.Errorf("Execute(%T) = %v; want ErrUnsupported", d, err)
		}
	}
	// text/template unwraps a reflect.Value given as data.
	set = template.Must(template.New("page").Parse(`{{if .}}yes{{else}}no{{end}}`))
	if c, out, err := Compile(set, "page", reflect.ValueOf(false)); c != nil || string(out) != "no" || err != nil {
		t.Errorf("Compile(reflect.Value) = %v, %q, %v; want nil, \"no\", nil", c, out, err)
	}
	set = template.Must(template.New("page").Parse(`{{.S}}`))
	if c, _, err := Compile(set, "page", nil); c != nil {
		t.Errorf("Compile(nil) = %v, %v; want no Template", c, err)
	}
}

// escapeContexts has an action in every context and of every type this
// package escapes.
const escapeContexts = `<p>{{.S}}</p><p>{{.H}}</p><p>{{.U}}</p>
<a title="{{.S}}" class='{{.S}}' data-u="{{.U}}" data-c="{{.C}}" href="{{.S}}">a</a>
<a href="{{.U}}">b</a><a href='{{.S}}'>c</a>
<a href="/q?x={{.S}}&amp;y={{.U}}#{{.S}}">d</a><a href="tel:{{.S}}">e</a><a href="/p/{{.S}}/">f</a>
<title>{{.S}}{{.H}}</title><textarea>{{.S}}{{.H}}</textarea>
<style>{{.C}}</style>`

// FuzzEscapers compares this package's escaping with html/template's for
// any string in every context it handles.
func FuzzEscapers(f *testing.F) {
	for _, s := range []string{
		"", "plain", `<script>alert(1)</script>`, `"'&+<>`, "\x00nul", "\xff\xfe invalid", "\uFFFD\ufdd0\uffff",
		"javascript:alert(1)", "JavaScript:x", "http://a/b?c=d&e=f#g", "mailto:a@b", "data:text/html,x", "/rel:ative",
		"%41%zz%", "%2", "~!#$&*+,/:;=?@[]()'-._", "%7e%7E%", "a b\tc\nd", "&amp;&lt;", "</title>", "</textarea>", "ünïcödé ✓ 1–5 pm", "p{color:red}",
	} {
		f.Add(s)
	}
	set := template.Must(template.New("page").Parse(escapeContexts))
	var c *Template
	f.Fuzz(func(t *testing.T, s string) {
		d := &data{S: s, H: template.HTML(s), U: template.URL(s), C: template.CSS(s)}
		var w bytes.Buffer
		if c == nil {
			// Compile compares the two for its own data already.
			var err error
			if c, _, err = Compile(set, "page", d); err != nil || c == nil {
				t.Fatalf("Compile = %v, %v", c, err)
			}
		}
		if err := set.Execute(&w, d); err != nil {
			t.Fatal(err)
		}
		var g bytes.Buffer
		if err := c.Execute(&g, d); err != nil {
			t.Fatalf("Execute: %v", err)
		}
		if g.String() != w.String() {
			t.Errorf("for %q:\n got %q\nwant %q", s, g.String(), w.String())
		}
	})
}
