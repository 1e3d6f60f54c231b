package generator_test

import (
	"path"
	"strings"
	"testing"

	"github.com/quickdumpnow/qdn/generator"
)

// The privacy invariants hold for the example site and for a site whose
// jobs try every trick: markup in names, private notes, tokens in two
// alphabets.
var privacySites = []string{exampleSite, "testdata/sites/hostile"}

func TestPrivacyNoFileListsJobs(t *testing.T) {
	for _, dir := range privacySites {
		s, out := render(t, dir)
		for p, b := range outFiles(t, out) {
			var ids, tokens []string
			for _, j := range s.Jobs {
				if strings.Contains(string(b), j.ID) {
					ids = append(ids, j.ID)
				}
				if strings.Contains(string(b), j.Token) {
					tokens = append(tokens, j.Token)
				}
			}
			if len(ids) > 1 || len(tokens) > 1 {
				t.Errorf("%s: %s names %d job ids and %d tokens; no file may list jobs", dir, p, len(ids), len(tokens))
			}
		}
	}
}

func TestPrivacyTokenOnlyInItsOwnPage(t *testing.T) {
	for _, dir := range privacySites {
		s, out := render(t, dir)
		for _, j := range s.Jobs {
			own := generator.TrackPath(j.Token)
			var found []string
			for p, b := range outFiles(t, out) {
				if p != own && (strings.Contains(p, j.Token) || strings.Contains(string(b), j.Token)) {
					found = append(found, p)
				}
			}
			if len(found) > 0 {
				t.Errorf("%s: token of %s appears in %v; it may appear only in %s", dir, j.ID, found, own)
			}
			if _, ok := outFiles(t, out)[own]; !ok && j.Live(s.Now, s.Config.Track.ExpireAfter) {
				t.Errorf("%s: live job %s has no page at %s", dir, j.ID, own)
			}
		}
	}
}

func TestPrivacyNothingPrivateRendered(t *testing.T) {
	for _, dir := range privacySites {
		s, out := render(t, dir)
		n := 0
		for _, j := range s.Jobs {
			for _, f := range j.Private {
				n++
				for p, b := range outFiles(t, out) {
					if strings.Contains(string(b), f.Value) {
						t.Errorf("%s: private.%s of %s (%q) appears in %s", dir, f.Key, j.ID, f.Value, p)
					}
				}
			}
		}
		if n == 0 {
			t.Fatalf("%s: no private values to check; the test would prove nothing", dir)
		}
	}
}

func TestPrivacyNoJobsJSON(t *testing.T) {
	for _, dir := range privacySites {
		_, out := render(t, dir)
		for p := range outFiles(t, out) {
			if path.Base(p) == "jobs.json" || strings.HasSuffix(p, ".json") {
				t.Errorf("%s: output has %s; the site must never publish a list of jobs", dir, p)
			}
		}
	}
}

func TestPrivacyCustomerTextEscaped(t *testing.T) {
	_, out := render(t, "testdata/sites/hostile")
	page := string(outFiles(t, out)[generator.TrackPath("egjadzjzqanucanbeea5dil7hy")])
	for _, bad := range []string{"<script>", "<img src=x", "<b>bold</b>", "<b>Haulers</b>", `href="javascript:`} {
		if strings.Contains(page, bad) {
			t.Errorf("tracking page contains %q unescaped", bad)
		}
	}
	for _, want := range []string{"Hi &lt;script&gt;alert(1)&lt;/script&gt;,", "&lt;/dd&gt;&lt;script&gt;alert(3)&lt;/script&gt;"} {
		if !strings.Contains(page, want) {
			t.Errorf("tracking page lacks the escaped text %q", want)
		}
	}
	for p, b := range outFiles(t, out) {
		if strings.HasSuffix(p, ".html") && strings.Contains(string(b), "<script") {
			t.Errorf("%s contains a script element", p)
		}
	}
}
