package generator_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/quickdumpnow/qdn/generator"
)

// Mark's job in the example site: its token and private values.
const (
	markID    = "JOB-20261121-001"
	markToken = "amjmobezssjp5pia4iukcejbpm"
	markFile  = "jobs/JOB-20261121-001.yaml"
)

// writeFiles writes files (site-relative path → content) into dir; a
// content starting with "+" is appended to the file instead.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		f := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if rest, ok := strings.CutPrefix(content, "+"); ok {
			old, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			content = string(old) + rest
		}
		if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// leakCases are sources that publish a token or a private value, each with
// the output and the job the build must name.
var leakCases = []struct {
	name  string
	files map[string]string
	out   string // output path named by the error
	job   string
	what  string // "token" or the private key
}{
	{"jobs.json listing tokens", map[string]string{"content/jobs.json": `[{"id":"` + markID + `","token":"` + markToken + `"}]`},
		"public/jobs.json", markID, "token"},
	{"markdown page linking a tracking page", map[string]string{"content/links.md": "# Links\n\n[Your job](/track/" + markToken + "/)\n"},
		"public/links/index.html", markID, "token"},
	{"private phone pasted into the FAQ", map[string]string{"content/faq.md": "+\nCall Mark at +1 208 555 0142 if the crew is late.\n"},
		"public/faq/index.html", markID, "private.phone"},
	{"phone without its country code", map[string]string{"content/faq.md": "+\nMark: (208) 555-0142.\n"},
		"public/faq/index.html", markID, "private.phone"},
	{"private note in a booking page", map[string]string{"content/book/trailer-dump.md": "+\nRemember: Gate code 4411.\n"},
		"public/book/trailer-dump/index.html", markID, "private.notes"},
	{"phone URL-encoded in an asset", map[string]string{"content/contact.txt": "sms:%2B1%20208%20555%200142?body=hi\n"},
		"public/contact.txt", markID, "private.phone"},
	{"note HTML-escaped in an asset", map[string]string{"content/notes.html": "<p>gate&#32;c&#x6f;de&nbsp;4411</p>\n"},
		"public/notes.html", markID, "private.notes"},
	{"note JSON-escaped in an asset", map[string]string{"content/app.json": `{"n":"gate\u0020code\n4411"}`},
		"public/app.json", markID, "private.notes"},
	{"token split by markup", map[string]string{"content/split.html": "<p>amjmobezss<b>jp5pia4iu</b><!-- x -->kcejbpm</p>\n"},
		"public/split.html", markID, "token"},
	{"token in upper case", map[string]string{"content/faq.md": "+\nAMJMOBEZSSJP5PIA4IUKCEJBPM\n"},
		"public/faq/index.html", markID, "token"},
	{"token in robots.txt", map[string]string{"content/robots.txt": "User-agent: *\nDisallow: /track/" + markToken + "/\n"},
		"public/robots.txt", markID, "token"},
	{"token in the 404 template", map[string]string{"templates/404.html": `{{template "base" .}}{{define "main"}}<p>Try <a href="/track/` + markToken + `/">this</a>.</p>{{end}}`},
		"public/404.html", markID, "token"},
	{"token in a file name", map[string]string{"content/" + markToken + ".txt": "hello\n"},
		"public/amjm….txt", markID, "token"},
	{"token in another job's page", map[string]string{"jobs/JOB-20261122-001.yaml": strings.Replace(readSource("../jobs/JOB-20261122-001.yaml"), "address: ", "address: "+markToken+" ", 1)},
		"public/track/g35d…/index.html", markID, "token"},
	{"token in the inline CSS of every page", map[string]string{"templates/_style.html": strings.Replace(readSource("../templates/_style.html"), "{{end}}", ".x{content:\"amjmobezssjp5pia4iukcejbpm\"}{{end}}", 1)},
		"public/404.html", markID, "token"},
	{"phone in the inline CSS of every page", map[string]string{"templates/_style.html": strings.Replace(readSource("../templates/_style.html"), "{{end}}", "/* 208 555 0142 */{{end}}", 1)},
		"public/track/g35d…/index.html", markID, "private.phone"},
	{"private value of an expired job", map[string]string{"content/faq.md": "+\nCall +1 208 555 0111.\n"},
		"public/faq/index.html", "JOB-20260904-002", "private.phone"},
	{"long number in a binary asset", map[string]string{markFile: "+  card: \"4111 1111 1111 1111\"\n",
		"content/data.bin": "\x00\x01\x02card=4111111111111111\x00"},
		"public/data.bin", markID, "private.card"},
	{"private value in a binary asset", map[string]string{"content/logo.png": "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + strings.Repeat("\x00", 20) + "tEXtComment\x00" + markToken},
		"public/logo.png", markID, "token"},
}

func readSource(file string) string {
	b, err := os.ReadFile(file)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// TestPrivacyBuildRefuses builds real sites that publish a token or a
// private value: every build refuses, names the output and the job, never
// the whole token, and writes nothing.
func TestPrivacyBuildRefuses(t *testing.T) {
	for _, tc := range leakCases {
		t.Run(tc.name, func(t *testing.T) {
			dir := copySite(t, exampleSite)
			writeFiles(t, dir, tc.files)
			_, err := generator.Build(t.Context(), dir, generator.Options{Now: testNow})
			checkLeakError(t, err, tc.out, tc.job, tc.what)
			if _, err := os.Stat(filepath.Join(dir, "public")); !os.IsNotExist(err) {
				t.Errorf("public/ exists after a refused build (%v); nothing may be written", err)
			}
		})
	}
}

func checkLeakError(t *testing.T, err error, out, job, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("build succeeded; want an error naming %s and %s", out, job)
	}
	list := generator.Errors(err)
	text := list.Format()
	found := false
	for _, e := range list {
		if e.Pos.File == out && strings.Contains(e.Msg, job) && strings.Contains(e.Msg, what) && e.Hint != "" {
			found = true
		}
	}
	if !found {
		t.Errorf("errors:\n%s\nwant one at %s naming %s and %s, with a hint", text, out, job, what)
	}
	if strings.Contains(text, markToken) || strings.Contains(err.Error(), markToken) {
		t.Errorf("errors name the whole token:\n%s", text)
	}
	if what == "token" && !strings.Contains(text, markToken[:4]+"…") {
		t.Errorf("errors:\n%s\nwant the token shortened to %s…", text, markToken[:4])
	}
}

// TestPrivacyBuildAllows builds sites with private values the check leaves
// alone by design: values too short to search for, and the site's own
// phone noted on a job.
func TestPrivacyBuildAllows(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
	}{
		{"short private value", map[string]string{markFile: "+  paid: \"yes\"\n  code: \"4411\"\n"}},
		{"the site's own phone", map[string]string{markFile: "+  dispatch: \"+1 208 555 0100\"\n  office: \"208-555-0100\"\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copySite(t, exampleSite)
			writeFiles(t, dir, tc.files)
			if _, err := generator.Build(t.Context(), dir, generator.Options{Now: testNow}); err != nil {
				t.Fatalf("Build: %v\n%s", err, generator.Errors(err).Format())
			}
		})
	}
}

// TestPrivacyRebuildRefuses makes a leak that only a page the rebuild does
// not render shows: a new job whose private note is the address on Mark's
// unchanged page. The cached Build and qdn serve's Builder both refuse, and
// public/ keeps what the last good build wrote.
func TestPrivacyRebuildRefuses(t *testing.T) {
	newJob := strings.NewReplacer("JOB-20261122-001", "JOB-20261123-009", "g35dkbjc7bpdaqtnqwiivfozku", "wq4kzp2mhd7rvx3n6ytbsfg5ca").
		Replace(readSource("../jobs/JOB-20261122-001.yaml")) + "  notes: \"1234 Soderblom Ave\"\n"
	leak := map[string]string{"jobs/JOB-20261123-009.yaml": newJob}
	markPage := "public/track/amjm…/index.html"
	faqLeak := map[string]string{"content/deep/more/faq.md": "# More\n\ngate code 4411\n"}

	t.Run("cached build, new job", func(t *testing.T) {
		dir := copySite(t, exampleSite)
		opt := generator.Options{Now: testNow, CacheDir: t.TempDir()}
		for range 2 {
			if _, err := generator.Build(t.Context(), dir, opt); err != nil {
				t.Fatal(err)
			}
		}
		before, _ := snapshot(t, filepath.Join(dir, "public"))
		writeFiles(t, dir, leak)
		_, err := generator.Build(t.Context(), dir, opt)
		checkLeakError(t, err, markPage, "JOB-20261123-009", "private.notes")
		if after, _ := snapshot(t, filepath.Join(dir, "public")); !cmp.Equal(after, before) {
			t.Errorf("public/ changed after a refused build: %s", cmp.Diff(before, after))
		}
	})
	t.Run("cached build, new page", func(t *testing.T) {
		dir := copySite(t, exampleSite)
		opt := generator.Options{Now: testNow, CacheDir: t.TempDir()}
		for range 2 {
			if _, err := generator.Build(t.Context(), dir, opt); err != nil {
				t.Fatal(err)
			}
		}
		writeFiles(t, dir, faqLeak)
		_, err := generator.Build(t.Context(), dir, opt)
		checkLeakError(t, err, "public/deep/more/faq/index.html", markID, "private.notes")
	})
	t.Run("builder, new job", func(t *testing.T) {
		dir := copySite(t, exampleSite)
		b := generator.NewBuilder(dir, generator.Options{Now: testNow})
		if _, err := b.Rebuild(t.Context(), nil); err != nil {
			t.Fatal(err)
		}
		writeFiles(t, dir, leak)
		_, err := b.Rebuild(t.Context(), []string{"jobs/JOB-20261123-009.yaml"})
		checkLeakError(t, err, markPage, "JOB-20261123-009", "private.notes")
		// Fixed, the rebuild goes through.
		writeFiles(t, dir, map[string]string{"jobs/JOB-20261123-009.yaml": strings.Replace(newJob, "1234 Soderblom", "back door", 1)})
		if _, err := b.Rebuild(t.Context(), []string{"jobs/JOB-20261123-009.yaml"}); err != nil {
			t.Fatalf("Rebuild after the fix: %v", err)
		}
	})
}

// TestPrivacyRepeatedTags searches many outputs that share their tags, as
// pages of one template do: the check skips a tag it has found clean
// before, and must still find a value in a tag that differs by a byte, in
// every output where a tag holds it, and split by a tag it skips.
func TestPrivacyRepeatedTags(t *testing.T) {
	s, out := render(t, exampleSite)
	// The same length as tag, and differing from it only in the phone.
	const tag = `<div class="card receipt" aria-labelledby="receipt-xy">`
	link := `<a class="button secondary" href="/track/` + markToken + `/">`
	leaks := map[int]string{
		170: "<p>amjmobezss" + tag + "jp5pia4iukcejbpm</p>",
		180: `<div class="card receipt" aria-labelledby="2085550142">`,
	}
	var want []string
	for i := 150; i < 160; i++ {
		leaks[i] = link
		want = append(want, fmt.Sprintf("public/many/%d.html", i))
	}
	want = append(want, "public/many/170.html", "public/many/180.html")
	for i := range 200 {
		page := "<html><body>" + strings.Repeat(tag+"<p>Nothing to see</p></div>\n", 5) + leaks[i] + "</body></html>\n"
		generator.SetOutput(out, fmt.Sprintf("many/%d.html", i), []byte(page))
	}
	var got []string
	for _, e := range generator.Errors(generator.CheckPrivacy(s, out)) {
		got = append(got, e.Pos.File)
	}
	if !cmp.Equal(got, want) {
		t.Errorf("CheckPrivacy named %v; want %v", got, want)
	}
}

// TestPrivacyRebuildReadsNoKeptPage: a rebuild after an edit that brings no
// new token or private value (a job's crew, the status) checks only what it
// rendered; a new private value makes it read the kept pages back, once.
// Mark's phone has a local form, +1 208 555 0142 as 2085550142, which the
// check knows too.
func TestPrivacyRebuildReadsNoKeptPage(t *testing.T) {
	dir := copySite(t, exampleSite)
	opt := generator.Options{Now: testNow, CacheDir: t.TempDir()}
	for range 2 {
		if _, err := generator.Build(t.Context(), dir, opt); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(dir, "jobs", markID+".yaml")
	src := readSource(file)
	for _, tc := range []struct {
		name, old, new string
		reads          bool
	}{
		{"crew", "crew: Sergio", "crew: Dana", false},
		{"status", "status: ready_for_pickup", "status: in_progress", false},
		{"private notes", "notes: gate code 4411", "notes: gate code 9876", true},
	} {
		if !strings.Contains(src, tc.old) {
			t.Fatalf("%s has no %q", file, tc.old)
		}
		src = strings.Replace(src, tc.old, tc.new, 1)
		if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		before := generator.KeptReads()
		if _, err := generator.Build(t.Context(), dir, opt); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := generator.KeptReads() - before; (got > 0) != tc.reads {
			t.Errorf("after a change of %s the check read %d kept pages; want reads: %v", tc.name, got, tc.reads)
		}
	}
}

// TestPrivacyNoopMakesNoIndex: a cached build whose outputs are byte for
// byte those the last build checked makes no index of the site's patterns;
// one whose asset changed makes it and finds the token the asset now holds;
// a new job's private value found on a page rendered as before is found.
func TestPrivacyNoopMakesNoIndex(t *testing.T) {
	dir := copySite(t, exampleSite)
	opt := generator.Options{Now: testNow, CacheDir: t.TempDir()}
	for range 2 {
		if _, err := generator.Build(t.Context(), dir, opt); err != nil {
			t.Fatal(err)
		}
	}
	before := generator.FullIndexes()
	if _, err := generator.Build(t.Context(), dir, opt); err != nil {
		t.Fatal(err)
	}
	if n := generator.FullIndexes() - before; n != 0 {
		t.Errorf("a build that changed nothing made %d indexes of every pattern; want none", n)
	}

	writeFiles(t, dir, map[string]string{"content/robots.txt": "User-agent: *\nDisallow: /track/" + markToken + "/\n"})
	_, err := generator.Build(t.Context(), dir, opt)
	checkLeakError(t, err, "public/robots.txt", markID, "token")
	os.Remove(filepath.Join(dir, "content/robots.txt"))

	// A sentence of the FAQ, unchanged, becomes a new job's private note.
	newJob := strings.NewReplacer("JOB-20261122-001", "JOB-20261123-009", "g35dkbjc7bpdaqtnqwiivfozku", "wq4kzp2mhd7rvx3n6ytbsfg5ca").
		Replace(readSource("../jobs/JOB-20261122-001.yaml")) + "  notes: \"Hazardous waste\"\n"
	writeFiles(t, dir, map[string]string{"jobs/JOB-20261123-009.yaml": newJob})
	_, err = generator.Build(t.Context(), dir, opt)
	checkLeakError(t, err, "public/faq/index.html", "JOB-20261123-009", "private.notes")
}
