package generator

import (
	"bytes"
	"html/template"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/yuin/goldmark"
	gast "github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// ContentDir holds the markdown pages and assets of the site.
const ContentDir = "content"

// BookDir holds one markdown file per bookable service.
const BookDir = "content/book"

var slugRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Service is a bookable service, content/book/<slug>.md.
type Service struct {
	File     string
	Slug     string
	Title    string
	Summary  string
	Price    *Price
	Includes []string
	Order    int
	Body     template.HTML

	// PriceLine is how pages show the price: the front matter's
	// price_line with {price} replaced by the amount, such as "From $350
	// (half a truck)", or else Price.String.
	PriceLine string
	// Steps are the statuses of the flow a job of this service goes
	// through, in flow order: the front matter's steps, or all of Flow.
	// A job may also be cancelled before it is completed.
	Steps []Status
}

// Page is a markdown page of the site, such as content/about.md, built to
// /about/index.html.
type Page struct {
	File        string
	Title       string
	Description string
	// Menu places the page in the site navigation; 0 leaves it out.
	Menu int
	// Out is the output path, such as about/index.html.
	Out  string
	Body template.HTML
}

// URL is the root-relative URL of the page, such as /about/.
func (p *Page) URL() string { return "/" + strings.TrimSuffix(p.Out, "index.html") }

var markdown = goldmark.New(
	goldmark.WithExtensions(extension.GFM),
	goldmark.WithParserOptions(
		parser.WithAutoHeadingID(),
		parser.WithASTTransformers(util.Prioritized(outboundLinks{}, 100)),
	),
)

// outboundLinks marks links to other origins rel="noreferrer" so that a
// visitor's path, which may hold a tracking token, never leaks in a Referer.
type outboundLinks struct{}

func (outboundLinks) Transform(doc *gast.Document, reader text.Reader, _ parser.Context) {
	src := reader.Source()
	_ = gast.Walk(doc, func(n gast.Node, entering bool) (gast.WalkStatus, error) {
		if !entering {
			return gast.WalkContinue, nil
		}
		var dest []byte
		switch l := n.(type) {
		case *gast.Link:
			dest = l.Destination
		case *gast.AutoLink:
			dest = l.URL(src)
		default:
			return gast.WalkContinue, nil
		}
		if bytes.HasPrefix(dest, []byte("http://")) || bytes.HasPrefix(dest, []byte("https://")) || bytes.HasPrefix(dest, []byte("www.")) {
			n.SetAttributeString("rel", []byte("noreferrer"))
		}
		return gast.WalkContinue, nil
	})
}

func renderMarkdown(src []byte) (template.HTML, error) {
	var b bytes.Buffer
	if err := markdown.Convert(src, &b); err != nil {
		return "", err
	}
	return template.HTML(b.String()), nil
}

// frontMatter splits a markdown file into its YAML front matter (between
// `---` lines at the top) and its body. The front matter keeps its line
// numbers: the opening line is blanked rather than cut.
func frontMatter(src []byte) (fm []byte, body []byte, ok bool) {
	if !bytes.HasPrefix(src, []byte("---\n")) && !bytes.HasPrefix(src, []byte("---\r\n")) {
		return nil, src, true
	}
	start := bytes.IndexByte(src, '\n') + 1
	rest := src[start:]
	for off := 0; off <= len(rest); {
		end := bytes.IndexByte(rest[off:], '\n')
		line := rest[off:]
		if end >= 0 {
			line = rest[off : off+end]
		}
		if string(bytes.TrimRight(line, "\r")) == "---" {
			fm = append([]byte{'\n'}, rest[:off]...)
			if end < 0 {
				return fm, nil, true
			}
			return fm, rest[off+end+1:], true
		}
		if end < 0 {
			break
		}
		off += end + 1
	}
	return nil, src, false
}

func parseFrontMatter(e errs, src []byte) (*node, []byte) {
	fm, body, ok := frontMatter(src)
	if !ok {
		e.at(1, 1, "close the front matter with a line of three dashes: ---", "front matter is not closed")
		return nil, body
	}
	if fm == nil || len(bytes.TrimSpace(fm)) == 0 {
		return nil, body
	}
	return parseYAML(e, fm), body
}

// parseService decodes content/book/<slug>.md.
func parseService(file string, src []byte, list *ErrorList) *Service {
	e := errs{file: file, list: list}
	s := &Service{File: file, Slug: strings.TrimSuffix(path.Base(file), ".md")}
	if !slugRE.MatchString(s.Slug) {
		e.at(0, 0, "name service files with lowercase words joined by dashes, such as trailer-dump.md", "%q is not a valid service slug", s.Slug)
	}
	fm, body := parseFrontMatter(e, src)
	if fm == nil {
		e.at(1, 1, "start the file with front matter: ---, title:, price:, ---", "service has no front matter")
		return s
	}
	var sawTitle, sawPrice bool
	var priceLine string
	for _, f := range mapping(e, "the front matter", fm, []string{"title", "summary", "price", "price_note", "price_line", "includes", "order", "steps"}) {
		l, c := pos(f.Value)
		switch f.Name {
		case "title":
			sawTitle = true
			s.Title = str(e, "title", f.Value)
		case "summary":
			s.Summary = str(e, "summary", f.Value)
		case "price":
			sawPrice = true
			v := str(e, "price", f.Value)
			m, err := ParseMoney(v)
			if err != nil {
				e.at(l, c, `write the price as quoted decimal text, such as price: "600.00"`, "price: %v", err)
			}
			if s.Price == nil {
				s.Price = &Price{}
			}
			s.Price.Amount = m
		case "price_note":
			if s.Price == nil {
				s.Price = &Price{}
			}
			s.Price.Note = str(e, "price_note", f.Value)
		case "price_line":
			priceLine = str(e, "price_line", f.Value)
			if rest := strings.ReplaceAll(priceLine, "{price}", ""); strings.ContainsAny(rest, "{}") {
				e.at(l, c, "write {price} where the amount goes, such as price_line: From {price} (half a truck)", "price_line %q holds a { or } that is not {price}", priceLine)
			}
		case "steps":
			s.Steps = parseSteps(e, f.Value)
		case "includes":
			for _, item := range sequence(e, "includes", f.Value) {
				s.Includes = append(s.Includes, str(e, "includes item", item))
			}
		case "order":
			v := str(e, "order", f.Value)
			n, err := strconv.Atoi(v)
			if err != nil {
				e.at(l, c, "write a whole number; services are listed by ascending order", "order %q is not a number", v)
			}
			s.Order = n
		}
	}
	if !sawTitle || s.Title == "" {
		e.at(1, 1, "add title: to the front matter", "service has no title")
	}
	if !sawPrice {
		e.at(1, 1, `add price: "600.00" to the front matter`, "service has no price")
	}
	s.PriceLine = s.Price.String()
	if priceLine != "" {
		amount := ""
		if s.Price != nil {
			amount = s.Price.Amount.String()
		}
		s.PriceLine = strings.ReplaceAll(priceLine, "{price}", amount)
	}
	if s.Steps == nil {
		s.Steps = Flow
	}
	html, err := renderMarkdown(body)
	if err != nil {
		e.at(0, 0, "", "markdown: %v", err)
	}
	s.Body = html
	return s
}

// parsePage decodes a markdown page. out is its output path.
func parsePage(file, out string, src []byte, list *ErrorList) *Page {
	e := errs{file: file, list: list}
	p := &Page{File: file, Out: out}
	fm, body := parseFrontMatter(e, src)
	if fm != nil {
		for _, f := range mapping(e, "the front matter", fm, []string{"title", "description", "menu"}) {
			v := str(e, f.Name, f.Value)
			switch f.Name {
			case "title":
				p.Title = v
			case "description":
				p.Description = v
			case "menu":
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 {
					l, c := pos(f.Value)
					e.at(l, c, "write a positive whole number; pages are listed in the menu by ascending menu", "menu %q is not a number", v)
				}
				p.Menu = n
			}
		}
	}
	if p.Title == "" {
		p.Title = firstHeading(body)
	}
	if p.Title == "" {
		e.at(1, 1, "add title: to the front matter or start the page with a # heading", "page has no title")
	}
	html, err := renderMarkdown(body)
	if err != nil {
		e.at(0, 0, "", "markdown: %v", err)
	}
	p.Body = html
	return p
}

func firstHeading(body []byte) string {
	for _, line := range strings.Split(string(body), "\n") {
		if t, ok := strings.CutPrefix(strings.TrimSpace(line), "# "); ok {
			return strings.TrimSpace(t)
		}
	}
	return ""
}

// contentOut maps a file under content/ (path relative to content/) to its
// output path: markdown to a directory index, anything else as it is.
func contentOut(rel string) (out string, isPage bool) {
	if !strings.HasSuffix(rel, ".md") {
		return rel, false
	}
	stem := strings.TrimSuffix(rel, ".md")
	switch {
	case stem == "index":
		return "index.html", true
	case path.Base(stem) == "index":
		return path.Dir(stem) + "/index.html", true
	}
	return stem + "/index.html", true
}
