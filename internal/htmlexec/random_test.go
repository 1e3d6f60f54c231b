package htmlexec

import (
	"bytes"
	"html/template"
	"math/rand"
	"strings"
	"testing"
)

// Random templates over random data: nested if, else if, with, else with,
// range and template calls in every context, on pointers, nil pointers,
// slices, arrays, embedded structs and fields that methods shadow.

type qLeaf struct {
	S  string
	H  template.HTML
	U  template.URL
	C  template.CSS
	B  bool
	Me string
}

func (q qLeaf) Me2() string   { return "v" }
func (q *qLeaf) Meth() string { return "m" }

type qEmb struct{ ES string }

type qNode struct {
	qEmb
	*qLeaf
	L    qLeaf
	PL   *qLeaf
	PPL  **qLeaf
	Ls   []qLeaf
	PLs  []*qLeaf
	ALs  [2]qLeaf
	PSL  *[]qLeaf
	Kids []*qNode
	Next *qNode
	N    int
	SS   []string
	Meth string // a field of the same name as a method of the embedded *qLeaf
}

var qStrings = []string{"", "a", "<b>x</b>", "javascript:alert(1)", "/p?q=1&r=<2>", "%41%zz", "\x00\xff", "it's \"q\" +1", "p{color:red}", "mailto:x", "</title><script>"}

func qRandLeaf(r *rand.Rand) *qLeaf {
	if r.Intn(4) == 0 {
		return nil
	}
	s := func() string { return qStrings[r.Intn(len(qStrings))] }
	return &qLeaf{S: s(), H: template.HTML(s()), U: template.URL(s()), C: template.CSS(s()), B: r.Intn(2) == 0, Me: s()}
}

func qRandNode(r *rand.Rand, depth int) *qNode {
	if depth > 3 || r.Intn(5) == 0 {
		return nil
	}
	n := &qNode{qEmb: qEmb{ES: "es"}, qLeaf: qRandLeaf(r), PL: qRandLeaf(r), N: r.Intn(3) - 1}
	if l := qRandLeaf(r); l != nil {
		n.L = *l
		n.ALs[1] = *l
	}
	if r.Intn(2) == 0 {
		pl := qRandLeaf(r)
		n.PPL = &pl
	}
	for i := r.Intn(3); i > 0; i-- {
		if l := qRandLeaf(r); l != nil {
			n.Ls = append(n.Ls, *l)
		}
		n.PLs = append(n.PLs, qRandLeaf(r))
		n.Kids = append(n.Kids, qRandNode(r, depth+1))
		n.SS = append(n.SS, qStrings[r.Intn(len(qStrings))])
	}
	if r.Intn(2) == 0 {
		ls := n.Ls
		n.PSL = &ls
	}
	n.Next = qRandNode(r, depth+1)
	return n
}

var qFields = []string{".S", ".H", ".U", ".C", ".Me", ".Me2", ".Meth", ".ES", ".L.S", ".L.H", ".PL.S", ".PL.U", ".PPL.S", ".Next.L.S", ".Next.PL.H", "$.L.S", "$.PL.C", ".", ".L.Me2", ".L.Meth", ".N", ".qLeaf", ".qLeaf.S"}
var qConds = []string{".B", ".L.B", ".PL", ".PPL", ".Ls", ".PLs", ".ALs", ".PSL", ".Kids", ".Next", ".N", ".SS", ".S", ".L", ".qLeaf", ".PL.B", "$.Next", "."}
var qRanges = []string{".Ls", ".PLs", ".ALs", ".PSL", ".Kids", ".SS", "$.Kids", ".Next.Ls"}
var qCtx = [][2]string{{"<p>", "</p>"}, {`<a title="`, `">`}, {`<a href="`, `">`}, {`<a href="/x?q=`, `">`}, {"<title>", "</title>"}, {"<style>", "</style>"}, {`<a class='`, `'>`}, {"<textarea>", "</textarea>"}, {`<img src="/i/`, `">`}}

func qGen(r *rand.Rand, depth int) string {
	var b strings.Builder
	for i := r.Intn(4) + 1; i > 0; i-- {
		switch k := r.Intn(8); {
		case k < 3 || depth > 3:
			c := qCtx[r.Intn(len(qCtx))]
			b.WriteString(c[0] + "{{" + qFields[r.Intn(len(qFields))] + "}}" + c[1])
		case k == 3 || k == 4:
			kw := []string{"if", "with"}[k-3]
			b.WriteString("{{" + kw + " " + qConds[r.Intn(len(qConds))] + "}}" + qGen(r, depth+1))
			if r.Intn(2) == 0 {
				b.WriteString("{{else " + kw + " " + qConds[r.Intn(len(qConds))] + "}}" + qGen(r, depth+1))
			}
			if r.Intn(2) == 0 {
				b.WriteString("{{else}}" + qGen(r, depth+1))
			}
			b.WriteString("{{end}}")
		case k == 5:
			b.WriteString("{{range " + qRanges[r.Intn(len(qRanges))] + "}}" + qGen(r, depth+1))
			if r.Intn(2) == 0 {
				b.WriteString("{{else}}" + qGen(r, depth+1))
			}
			b.WriteString("{{end}}")
		case k == 6:
			b.WriteString(`{{template "node" ` + []string{".", ".Next", "$", ".Kids", "$.Next"}[r.Intn(5)] + "}}")
		default:
			b.WriteString([]string{"<!-- c -->", " a < b ", "<b>t</b>", "&amp;"}[r.Intn(4)])
		}
	}
	return b.String()
}

// TestRandomTemplates compiles random templates for random data and runs
// them on more random data: htmlexec must give html/template's bytes or
// ErrUnsupported, never other bytes, and must run most of them.
func TestRandomTemplates(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	stats := map[string]int{}
	node := `{{define "node"}}{{with .}}[{{.ES}}{{if .L.B}}{{.L.S}}{{end}}{{range .Kids}}{{template "node" .}}{{end}}]{{end}}{{end}}`
	for iter := 0; iter < 3000; iter++ {
		src := node + qGen(r, 0)
		set := template.Must(template.New("page").Parse(src))
		d := qRandNode(r, 0)
		if d == nil {
			d = &qNode{}
		}
		c, _, err := Compile(set, "page", d)
		if err != nil {
			stats["html/template fails"]++
			continue
		}
		if c == nil {
			stats["left to html/template"]++
			continue
		}
		for k := 0; k < 4; k++ {
			if k > 0 {
				if d = qRandNode(r, 0); d == nil {
					d = &qNode{}
				}
			}
			var w, g bytes.Buffer
			werr := set.Execute(&w, d)
			gerr := c.Execute(&g, d)
			switch {
			case gerr != nil:
				stats["unsupported at run time"]++
			case werr != nil:
				t.Errorf("%q: html/template failed (%v), htmlexec gave %q", src, werr, g.String())
			case g.String() != w.String():
				t.Errorf("%q:\n got %q\nwant %q", src, g.String(), w.String())
			default:
				stats["same"]++
			}
		}
	}
	if stats["same"] < 1000 {
		t.Errorf("htmlexec ran only %d of the random pages: %v", stats["same"], stats)
	}
	t.Logf("%v", stats)
}
