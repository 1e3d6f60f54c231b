package preview

import (
	"bytes"
	"html"
	"regexp"
	"strings"
)

// The reload script is added to the HTML the preview serves, never to the
// output itself: public/ and what qdn sync uploads stay free of it.

var (
	cspMetaRE    = regexp.MustCompile(`(?i)<meta\s[^>]*http-equiv\s*=\s*["']?content-security-policy["']?[^>]*>`)
	cspContentRE = regexp.MustCompile(`(?i)(\scontent\s*=\s*)("([^"]*)"|'([^']*)')`)
)

// reloadTag is the script element added to served pages. version names the
// page as served, so the event stream can tell whether it is out of date.
func reloadTag(nonce, version string) string {
	return `<script src="` + reloadScriptPath + `" nonce="` + nonce + `" data-version="` + html.EscapeString(version) + `" defer></script>`
}

// inject returns a copy of page with the reload script added and the page's
// Content-Security-Policy meta tag widened just enough for it: the script by
// nonce and its event stream on the same origin. The page itself is not
// modified.
func inject(page []byte, nonce, version string) []byte {
	tag := reloadTag(nonce, version)
	out := make([]byte, 0, len(page)+len(tag)+64)
	rest := page
	if loc := cspMetaRE.FindIndex(page); loc != nil {
		meta := page[loc[0]:loc[1]]
		out = append(out, page[:loc[0]]...)
		out = append(out, widenMeta(meta, nonce)...)
		rest = page[loc[1]:]
	}
	i := bytes.Index(bytes.ToLower(rest), []byte("</head>"))
	if i < 0 {
		i = bytes.Index(bytes.ToLower(rest), []byte("</body>"))
	}
	if i < 0 {
		i = len(rest)
	}
	out = append(out, rest[:i]...)
	out = append(out, tag...)
	out = append(out, rest[i:]...)
	return out
}

func widenMeta(meta []byte, nonce string) []byte {
	m := cspContentRE.FindSubmatchIndex(meta)
	if m == nil {
		return meta
	}
	var raw string
	if m[6] >= 0 {
		raw = string(meta[m[6]:m[7]])
	} else {
		raw = string(meta[m[8]:m[9]])
	}
	policy := widenPolicy(html.UnescapeString(raw), nonce)
	var b bytes.Buffer
	b.Write(meta[:m[4]])
	b.WriteString(`"` + html.EscapeString(policy) + `"`)
	b.Write(meta[m[5]:])
	return b.Bytes()
}

// widenPolicy adds the reload script's nonce to script-src and 'self' to
// connect-src. A directive that is missing starts from default-src, so that
// nothing else the policy allowed or denied changes.
func widenPolicy(policy, nonce string) string {
	type directive struct {
		name    string
		sources []string
	}
	var ds []directive
	idx := map[string]int{}
	for _, part := range strings.Split(policy, ";") {
		f := strings.Fields(part)
		if len(f) == 0 {
			continue
		}
		name := strings.ToLower(f[0])
		if _, dup := idx[name]; dup {
			// Browsers use the first occurrence of a directive.
			continue
		}
		idx[name] = len(ds)
		ds = append(ds, directive{name, f[1:]})
	}
	add := func(name, source string) {
		i, ok := idx[name]
		if !ok {
			var base []string
			if d, ok := idx["default-src"]; ok {
				base = append(base, ds[d].sources...)
			}
			idx[name] = len(ds)
			ds = append(ds, directive{name, base})
			i = len(ds) - 1
		}
		var keep []string
		for _, s := range ds[i].sources {
			// 'none' must stand alone; with another source it is ignored
			// and browsers warn about it.
			if !strings.EqualFold(s, "'none'") {
				keep = append(keep, s)
			}
		}
		ds[i].sources = append(keep, source)
	}
	add("script-src", "'nonce-"+nonce+"'")
	add("connect-src", "'self'")
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = strings.Join(append([]string{d.name}, d.sources...), " ")
	}
	return strings.Join(parts, "; ")
}
