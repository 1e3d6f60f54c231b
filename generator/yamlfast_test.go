package generator

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/quickdumpnow/qdn/internal/sitegen"
)

// fastSeeds are job files the fast reader must accept: the example site's,
// generated ones, and the forms the job commands write.
func fastSeeds(t testing.TB) map[string][]byte {
	t.Helper()
	seeds := map[string][]byte{}
	files, err := filepath.Glob(filepath.Join("..", JobsDir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no example jobs: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		seeds[filepath.Base(f)] = b
	}
	for i := 0; i < 12; i++ {
		seeds[fmt.Sprintf("generated-%d", i)] = sitegen.Job(i, i%3)
	}
	seeds["block items"] = []byte(`id: JOB-1
token: egjadzjzqanucanbeea5dil7hy
customer:
    name: 'O''Brien'   # quoted
address: "12 Main St, Boise, ID"

status: booked
history:
- status: booked
  at: 2026-11-21T09:05:00-07:00
  note: ~
private:
  gate: null
  empty:
`)
	return seeds
}

// agree fails the test when the fast reader accepts src but reads it
// differently from the full parser, or accepts what the full parser
// rejects. It reports whether the fast reader accepted src.
func agree(t testing.TB, src []byte) bool {
	t.Helper()
	fast, ok := readFast(src)
	if !ok {
		return false
	}
	var list ErrorList
	full := parseYAML(errs{file: "job.yaml", list: &list}, src)
	if len(list) > 0 {
		t.Fatalf("the fast reader accepts what the full parser rejects (%v):\n%s", list, src)
	}
	if diff := nodeDiff("", fast, full); diff != "" {
		t.Fatalf("the fast reader reads differently from the full parser: %s\n%s", diff, src)
	}
	return true
}

// nodeDiff describes the first difference between a tree read by the fast
// reader and one read by the full parser. The fast reader does not name
// the type of plain scalars.
func nodeDiff(at string, fast, full *node) string {
	switch {
	case fast == nil || full == nil:
		if fast != full {
			return fmt.Sprintf("%s: %v vs %v", at, fast, full)
		}
		return ""
	case fast.kind == nullNode && full.kind == nullNode:
		return "" // the fast reader leaves the position of a null unknown
	case fast.kind != full.kind || fast.line != full.line || fast.col != full.col || fast.text != full.text:
		return fmt.Sprintf("%s: fast {kind %d at %d:%d %q}, full {kind %d at %d:%d %q}", at,
			fast.kind, fast.line, fast.col, fast.text, full.kind, full.line, full.col, full.text)
	case fast.typ != full.typ && !(fast.kind == scalarNode && fast.typ == ""):
		return fmt.Sprintf("%s: type %q vs %q", at, fast.typ, full.typ)
	case len(fast.pairs) != len(full.pairs) || len(fast.items) != len(full.items):
		return fmt.Sprintf("%s: %d pairs and %d items vs %d and %d", at, len(fast.pairs), len(fast.items), len(full.pairs), len(full.items))
	}
	for i := range fast.pairs {
		if d := nodeDiff(fmt.Sprintf("%s key %d", at, i), fast.pairs[i].key, full.pairs[i].key); d != "" {
			return d
		}
		if d := nodeDiff(fmt.Sprintf("%s/%s", at, fast.pairs[i].key.text), fast.pairs[i].value, full.pairs[i].value); d != "" {
			return d
		}
	}
	for i := range fast.items {
		if d := nodeDiff(fmt.Sprintf("%s[%d]", at, i), fast.items[i], full.items[i]); d != "" {
			return d
		}
	}
	return ""
}

func TestReadFastAcceptsPlainJobs(t *testing.T) {
	for name, src := range fastSeeds(t) {
		if !agree(t, src) {
			t.Errorf("%s: the fast reader declines it, so every build parses it slowly:\n%s", name, src)
		}
	}
}

// fastCases are what the fast reader must leave to the full parser, or
// read as it does.
var fastCases = []string{
	"a: 1\na: 2\n",
	"a: x\n  y\n",
	"a: {b: c\n, d: e}\n",
	"a: {b: c,\nd: e}\n",
	"a: \"x\\ty\"\n",
	"a: 'it''s'\n",
	"a: b: c\n",
	"a: x:y\n",
	"a: x #c\nb: y#c\n",
	"a: &x 1\nb: *x\n",
	"a: !!str 1\n",
	"a: |\n  x\n",
	"a: [x, y]\n",
	"---\na: 1\n",
	"a: 1\n---\nb: 2\n",
	"a:\n- x\n- y\nb: 1\n",
	"a:\n  - x\n  -\n",
	"a:\n  b: 1\n c: 2\n",
	"a: {b: \"9–11\", c: x}\n",
	"a: {}\n",
	"a: {b: c,}\n",
	"a: {b: c} # x\n",
	"a: {b: c}#x\n",
	"null: 1\n",
	"a: ~\nb: Null\nc: nULL\n",
	"a: -1\n",
	"a: 0x1F\nb: .inf\nc: 1_000\n",
	"  a: 1\n",
	"a:\r\n  b: 1\r\n",
	"\ufeffa: 1\n",
	"a: 1\n# only a comment\n\n",
	"a:\n  - b: 1\n    c: 2\n  - d: 3\n",
	"a:\n  - b: 1\n     c: 2\n",
	"a: { b: c }\n",
	"a: {b: 'x''y'}\n",
	"a: {b: x y  , c: z}\n",
	"a: x\n\n\n  y\n",
	"a: -\n",
	"a: b,c\n",
	"a: {b: [c]}\n",
	"a: {b: c: d}\n",
	"a: 12:30\n",
	"a:\n  - {b: c,\n    d: e}\n",
	"a:\n  - {b: c,\n  d: e}\n",
	"a: é: b\n",
	"a: \"\"\nb: ''\n",
	"a:",
	"a: 1",
	"a:\n  -",
}

func TestReadFastCases(t *testing.T) {
	for _, c := range fastCases {
		agree(t, []byte(c))
	}
}

// TestReadFastAgrees mutates the seeds at random, a few edits at a time,
// and checks every mutant the fast reader accepts.
func TestReadFastAgrees(t *testing.T) {
	seeds := fastSeeds(t)
	var list [][]byte
	for _, s := range seeds {
		list = append(list, s)
	}
	for _, c := range fastCases {
		list = append(list, []byte(c))
	}
	n := 30000
	if testing.Short() {
		n = 3000
	}
	rng := rand.New(rand.NewPCG(2026, 11))
	accepted := 0
	for i := 0; i < n; i++ {
		src := list[rng.IntN(len(list))]
		for k := 1 + rng.IntN(3); k > 0; k-- {
			src = mutate(rng, src)
		}
		if agree(t, src) {
			accepted++
		}
	}
	// The mutants must exercise the reader, not only its refusals.
	if accepted < n/10 {
		t.Errorf("the fast reader accepted only %d of %d mutants", accepted, n)
	}
	t.Logf("the fast reader accepted %d of %d mutants", accepted, n)
}

// pieces are what mutations insert: YAML's indicators and the text around
// them.
var pieces = []string{" ", "  ", "\n", "\n  ", "#", " #", ":", ": ", "-", "- ", "{", "}", ",", ", ", "\"", "'", "''",
	"~", "null", "a", "x: ", "1", "–", "é", "\\", "[", "]", "&a ", "*a", "!", "|", ">", "%", "@", "`", "?", "\t", "\r",
	".", "0", "true", "\n- ", "\n  - ", "\n    "}

func mutate(rng *rand.Rand, src []byte) []byte {
	if len(src) == 0 {
		return []byte(pieces[rng.IntN(len(pieces))])
	}
	i := rng.IntN(len(src) + 1)
	switch rng.IntN(5) {
	case 0, 1: // insert a piece
		p := pieces[rng.IntN(len(pieces))]
		return []byte(string(src[:i]) + p + string(src[i:]))
	case 2: // delete a few bytes
		j := min(len(src), i+1+rng.IntN(4))
		return []byte(string(src[:i]) + string(src[j:]))
	case 3: // replace a byte with a piece
		if i == len(src) {
			i--
		}
		p := pieces[rng.IntN(len(pieces))]
		return []byte(string(src[:i]) + p + string(src[i+1:]))
	default: // duplicate or move a line
		lines := strings.SplitAfter(string(src), "\n")
		a, b := rng.IntN(len(lines)), rng.IntN(len(lines))
		if rng.IntN(2) == 0 {
			lines = append(lines[:a], append([]string{lines[b]}, lines[a:]...)...)
		} else {
			lines[a], lines[b] = lines[b], lines[a]
		}
		return []byte(strings.Join(lines, ""))
	}
}

func FuzzReadFast(f *testing.F) {
	for _, s := range fastSeeds(f) {
		f.Add(s)
	}
	for _, c := range fastCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		agree(t, src)
	})
}

// TestParseJobFastAndFull checks that a job read by the fast reader decodes
// to the same job as one read by the full parser, and that a job with
// errors is reported as the full parser reports it.
func TestParseJobFastAndFull(t *testing.T) {
	loc, err := time.LoadLocation("America/Boise")
	if err != nil {
		t.Fatal(err)
	}
	for name, src := range fastSeeds(t) {
		fast := ParseJob("jobs/"+name, src, loc, &ErrorList{})
		var list ErrorList
		root := parseYAML(errs{file: "jobs/" + name, list: &list}, src)
		full := decodeJob(errs{file: "jobs/" + name, list: &list}, root, loc)
		if !reflect.DeepEqual(fast, full) {
			t.Errorf("%s: fast %+v\nfull %+v", name, *fast, *full)
		}
	}
	// customer must be a mapping: the message names the type of the
	// value, which only the full parser knows.
	src := []byte("id: JOB-1\ntoken: egjadzjzqanucanbeea5dil7hy\ncustomer: 42\nstatus: booked\n")
	if _, ok := readFast(src); !ok {
		t.Fatal("the fast reader declines a plain file")
	}
	var list ErrorList
	ParseJob("jobs/JOB-1.yaml", src, loc, &list)
	if !strings.Contains(list.Error(), "customer must be a mapping, not a integer") {
		t.Errorf("got %v", list)
	}
}

// TestReadFastKeepsTrees reads every seed with the fast reader, one after
// the other, and only then compares each tree with the full parser's: the
// nodes, pairs and items of a file are cut from memory of its own and
// gathered on stacks the next file reuses, and no later file may change an
// earlier one's tree. A file the reader gives up on halfway may not either.
func TestReadFastKeepsTrees(t *testing.T) {
	seeds := fastSeeds(t)
	names := make([]string, 0, len(seeds))
	for name := range seeds {
		names = append(names, name)
	}
	sort.Strings(names)
	trees := map[string]*node{}
	for _, name := range names {
		fast, ok := readFast(seeds[name])
		if !ok {
			t.Fatalf("%s: the fast reader gives up on a seed", name)
		}
		trees[name] = fast
		// Given up on after a nested mapping and a list were read.
		if _, ok := readFast(append(bytes.Clone(seeds[name]), "zz_extra:\n  - {status: booked}\n  - [x]\n"...)); ok {
			t.Fatalf("%s: the fast reader accepts a [ ] list", name)
		}
	}
	for _, name := range names {
		var list ErrorList
		full := parseYAML(errs{file: name, list: &list}, seeds[name])
		if len(list) > 0 {
			t.Fatalf("%s: %v", name, list)
		}
		if diff := nodeDiff("", trees[name], full); diff != "" {
			t.Errorf("%s, read before the other seeds, now reads differently from the full parser: %s", name, diff)
		}
	}
}
