package jobfile

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/quickdumpnow/qdn/generator"
)

// The job files qdn writes itself look like the ones dispatchers write by
// hand: block mappings, short values in flow style on one line, quotes only
// where YAML needs them. Every file written is parsed again with ParseJob and
// compared with the job it was made from, so a quoting mistake here fails
// loudly instead of changing a customer's data.

// plainRE matches text that holds no character YAML could take for syntax
// in a plain scalar. plainOK adds the rules for its first character.
var plainRE = regexp.MustCompile(`^[\pL\pN .,;'()/&+=?!$%~_-]*$`)

// plainOK reports whether s reads back unchanged as a plain scalar in block
// context: it starts with a letter, or with a digit when it also holds a
// space and a letter (a street address, never a number or a date).
func plainOK(s string) bool {
	if s == "" || !plainRE.MatchString(s) || yamlWords[strings.ToLower(s)] ||
		strings.HasSuffix(s, " ") || strings.Contains(s, "  ") {
		return false
	}
	first, _ := utf8.DecodeRuneInString(s)
	switch {
	case unicode.IsLetter(first):
		return true
	case first >= '0' && first <= '9':
		return strings.Contains(s, " ") && strings.IndexFunc(s, unicode.IsLetter) >= 0
	}
	return false
}

var yamlWords = map[string]bool{
	"null": true, "true": true, "false": true, "yes": true, "no": true, "on": true, "off": true,
	"y": true, "n": true, ".nan": true, ".inf": true,
}

// quoteYAML returns s as a YAML scalar: plain when that is safe, otherwise
// double-quoted. In flow context (inside { } or [ ]) commas, brackets and
// braces need quotes too.
func quoteYAML(s string, flow bool) string {
	plain := plainOK(s)
	if plain && flow && strings.ContainsAny(s, ",[]{}") {
		plain = false
	}
	if plain {
		return s
	}
	return doubleQuote(s)
}

// doubleQuote writes s as a YAML double-quoted scalar, escaping what YAML
// requires and what a terminal would not show.
func doubleQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i, w := 0, 0; i < len(s); i += w {
		r, width := utf8.DecodeRuneInString(s[i:])
		w = width
		switch {
		case r == utf8.RuneError && width == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r == 0xfeff || !unicode.IsPrint(r) && r != ' ':
			if r > 0xffff {
				fmt.Fprintf(&b, `\U%08x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// literalOK reports whether s can be written as a |- literal block: several
// lines of printable text, none starting the block with a space.
func literalOK(s string) bool {
	if !strings.Contains(s, "\n") || strings.HasPrefix(s, " ") || strings.TrimSpace(s) != s {
		return false
	}
	for _, r := range s {
		if r != '\n' && (r == utf8.RuneError || !unicode.IsPrint(r) || r == 0xfeff) {
			return false
		}
	}
	for _, line := range strings.Split(s, "\n") {
		if strings.TrimRight(line, " ") != line {
			return false
		}
	}
	return true
}

// formatTime writes a history time as job files hold it: RFC 3339 in the
// site's time zone, to the second.
func formatTime(t time.Time, loc *time.Location) string {
	return t.In(loc).Format(time.RFC3339)
}

// formatEvent writes a history entry as a flow mapping.
func formatEvent(ev generator.Event, loc *time.Location) string {
	var b strings.Builder
	fmt.Fprintf(&b, "{status: %s, at: %s", ev.Status, formatTime(ev.At, loc))
	if ev.Note != "" {
		fmt.Fprintf(&b, ", note: %s", quoteYAML(ev.Note, true))
	}
	if ev.Forced {
		b.WriteString(", forced: true")
	}
	b.WriteString("}")
	return b.String()
}

// Marshal writes j as the text of a job file. comment, when not empty,
// becomes the comment lines at the top of the file.
func Marshal(j *generator.Job, loc *time.Location, comment string) []byte {
	var b strings.Builder
	if comment != "" {
		for _, line := range strings.Split(strings.TrimSpace(comment), "\n") {
			b.WriteString(strings.TrimRight("# "+line, " ") + "\n")
		}
	}
	kv := func(key, value string) {
		if value != "" {
			fmt.Fprintf(&b, "%s: %s\n", key, quoteYAML(value, false))
		}
	}
	kv("id", j.ID)
	kv("legacy_id", j.LegacyID)
	if j.Token != "" {
		// Tokens are letters and digits: plain unless they read as a number.
		tok := j.Token
		if _, err := strconv.ParseFloat(tok, 64); err == nil || !plainRE.MatchString(tok) {
			tok = doubleQuote(tok)
		}
		fmt.Fprintf(&b, "token: %s\n", tok)
	}
	fmt.Fprintf(&b, "customer:\n  name: %s\n", quoteYAML(j.Customer.Name, false))
	kv("address", j.Address)
	kv("service", j.Service)
	if p := j.Price; p != nil {
		fmt.Fprintf(&b, "price: {amount: %q", p.Amount.Decimal())
		if p.Note != "" {
			fmt.Fprintf(&b, ", note: %s", quoteYAML(p.Note, true))
		}
		b.WriteString("}\n")
	}
	if s := j.Scheduled; s != nil {
		var parts []string
		if !s.Date.IsZero() {
			parts = append(parts, "date: "+s.Date.Format("2006-01-02"))
		}
		if s.Window != "" {
			parts = append(parts, "window: "+quoteYAML(s.Window, true))
		}
		fmt.Fprintf(&b, "scheduled: {%s}\n", strings.Join(parts, ", "))
	}
	kv("crew", j.Crew)
	kv("status", string(j.Status))
	if len(j.History) > 0 {
		b.WriteString("history:\n")
		for _, ev := range j.History {
			fmt.Fprintf(&b, "  - %s\n", formatEvent(ev, loc))
		}
	}
	if len(j.Private) > 0 {
		b.WriteString("private:\n")
		for _, f := range j.Private {
			key := quoteYAML(f.Key, true)
			if literalOK(f.Value) {
				fmt.Fprintf(&b, "  %s: |-\n", key)
				for _, line := range strings.Split(f.Value, "\n") {
					b.WriteString(strings.TrimRight("    "+line, " ") + "\n")
				}
				continue
			}
			fmt.Fprintf(&b, "  %s: %s\n", key, quoteYAML(f.Value, false))
		}
	}
	return []byte(b.String())
}

// sameJob reports whether two jobs hold the same data, comparing times as
// instants. It is how every write checks that the file says what was meant.
func sameJob(a, b *generator.Job) bool {
	if a.ID != b.ID || a.LegacyID != b.LegacyID || a.Token != b.Token || a.Customer != b.Customer ||
		a.Address != b.Address || a.Service != b.Service || a.Crew != b.Crew || a.Status != b.Status {
		return false
	}
	if (a.Price == nil) != (b.Price == nil) || a.Price != nil && *a.Price != *b.Price {
		return false
	}
	if (a.Scheduled == nil) != (b.Scheduled == nil) ||
		a.Scheduled != nil && (!a.Scheduled.Date.Equal(b.Scheduled.Date) || a.Scheduled.Window != b.Scheduled.Window) {
		return false
	}
	if len(a.History) != len(b.History) || len(a.Private) != len(b.Private) {
		return false
	}
	for i, x := range a.History {
		y := b.History[i]
		if x.Status != y.Status || !x.At.Equal(y.At) || x.Note != y.Note || x.Forced != y.Forced {
			return false
		}
	}
	for i := range a.Private {
		if a.Private[i] != b.Private[i] {
			return false
		}
	}
	return true
}

// checkWritten parses src as the file of want and returns an error unless it
// is valid and holds exactly want.
func checkWritten(file string, src []byte, want *generator.Job, loc *time.Location) (*generator.Job, error) {
	var list generator.ErrorList
	got := generator.ParseJob(file, src, loc, &list)
	if err := list.Err(); err != nil {
		return got, err
	}
	if !sameJob(got, want) {
		return got, fmt.Errorf("%s: the text qdn wrote does not read back as the job it was made from; nothing was written", file)
	}
	return got, nil
}
