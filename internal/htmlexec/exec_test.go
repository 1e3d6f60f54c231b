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
// the two outputs and this package's error.
func both(t *testing.T, src string, d *data) (want, got string, err error) {
	t.Helper()
	set := template.Must(template.New("page").Funcs(template.FuncMap{"lower": strings.ToLower}).Parse(src))
	var w bytes.Buffer
	if err := set.Execute(&w, d); err != nil {
		t.Fatalf("html/template: %v", err)
	}
	c, err := Compile(set, "page", reflect.TypeOf(d))
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	var g bytes.Buffer
	err = c.Execute(&g, d)
	return w.String(), g.String(), err
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
			want, got, err := both(t, tc.src, sample())
			if err != nil {
				t.Fatalf("Execute: %v", err)
			}
			if got != want {
				t.Errorf("Execute = %q; want %q", got, want)
			}
		})
	}
}

// TestUnsupported runs templates with something this package leaves to
// html/template: Execute must say so rather than print anything else.
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
		{"derived template", `<title>{{template "t" .}}</title>{{define "t"}}{{.S}}{{end}}`},
		{"block in attribute", `<a title="{{block "t" .}}{{.S}}{{end}}">x</a>`},
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
			set := template.Must(template.New("page").Funcs(template.FuncMap{"lower": strings.ToLower}).Parse(tc.src))
			var w bytes.Buffer
			_ = set.Execute(&w, d) // escapes; "nil pointer" fails here too
			c, err := Compile(set, "page", reflect.TypeOf(d))
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			var g bytes.Buffer
			if err := c.Execute(&g, d); !errors.Is(err, ErrUnsupported) {
				t.Errorf("Execute = %q, %v; want ErrUnsupported", g.String(), err)
			}
		})
	}
}

// TestCompileUnescaped refuses a template html/template has not escaped
// yet: its actions would print their values unescaped.
func TestCompileUnescaped(t *testing.T) {
	set := template.Must(template.New("page").Parse(`<p>{{.S}}</p>`))
	if _, err := Compile(set, "page", reflect.TypeOf(sample())); err == nil {
		t.Error("Compile of a template never executed succeeded; want an error")
	}
	if _, err := Compile(set, "missing", reflect.TypeOf(sample())); err == nil {
		t.Error("Compile of a missing template succeeded; want an error")
	}
}

// TestCalledUnescaped: a template that html/template did not escape, as
// one it never reached, is not run either.
func TestCalledUnescaped(t *testing.T) {
	set := template.Must(template.New("page").Parse(`{{template "a" .}}`))
	c, err := Compile(set, "page", reflect.TypeOf(sample()))
	if err != nil {
		t.Fatal(err)
	}
	template.Must(set.New("a").Parse(`<p>{{.S}}</p>`))
	var g bytes.Buffer
	if err := c.Execute(&g, sample()); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Execute = %q, %v; want ErrUnsupported", g.String(), err)
	}
}

func TestWrongType(t *testing.T) {
	set := template.Must(template.New("page").Parse(`<p>{{.S}}</p>`))
	set.Execute(new(bytes.Buffer), sample())
	c, err := Compile(set, "page", reflect.TypeOf(sample()))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []any{nil, *sample(), "x"} {
		if err := c.Execute(new(bytes.Buffer), d); !errors.Is(err, ErrUnsupported) {
			t.Errorf("Execute(%T) = %v; want ErrUnsupported", d, err)
		}
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
	f.Fuzz(func(t *testing.T, s string) {
		d := &data{S: s, H: template.HTML(s), U: template.URL(s), C: template.CSS(s)}
		var w bytes.Buffer
		if err := set.Execute(&w, d); err != nil {
			t.Fatal(err)
		}
		c, err := Compile(set, "page", reflect.TypeOf(d))
		if err != nil {
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
