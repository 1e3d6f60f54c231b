package generator

import (
	"slices"
	"strings"
	"testing"
)

const skipToken = "amjmobezssjp5pia4iukcejbpm"

// skipSite is a site of one job with a token, a phone number and a note.
func skipSite() *Site {
	return &Site{Jobs: []*Job{{ID: "JOB-1", File: "jobs/JOB-1.yaml", Token: skipToken, Private: []PrivateField{
		{Key: "phone", Value: "+1 208 555 0142"},
		{Key: "notes", Value: "Gate code 4411"},
	}}}}
}

// foundKeys scans page with tags and returns the keys of the job values
// found in it.
func foundKeys(x *leakIndex, page string, tags *tagCache) []string {
	var keys []string
	x.scan([]byte(page), true, tags, func(p int32) {
		for _, o := range x.ownersOf(p) {
			keys = append(keys, x.keys[o.key])
		}
	})
	return keys
}

// TestPrivacyRunCacheKeepsLeaks: a run of tags found clean is skipped in
// one step where the same bytes come again; a value split by such a run,
// a tag or text that follows it, a run that differs from it only past the
// bytes it is looked up by, and a value escaped in an attribute are still
// found. Each page is scanned after clean pages that put the run in the
// cache, as the pages of one template do.
func TestPrivacyRunCacheKeepsLeaks(t *testing.T) {
	x := newLeakIndex(skipSite(), nil)
	run := "</p>\n<div class=\"card receipt\" aria-labelledby=\"receipt\">\n<h2 id=\"receipt\">"
	clean := "<p>Hello" + run + "Receipt</h2></div>\n"
	cases := []struct{ name, page, want string }{
		{"token split by a run", "<p>amjmobezss" + run + "jp5pia4iukcejbpm</h2></div>", "token"},
		{"phone split by a run", "<p>Call 208 555" + run + "0142</h2></div>", "private.phone"},
		{"note split by two runs", "<p>Gate" + run + "code" + run + "4411</h2></div>", "private.notes"},
		{"a tag after the run", "<p>Hello" + run + "<a href=\"/track/" + skipToken + "/\">x</a></h2></div>", "token"},
		{"a run that differs past its first bytes", "<p>Hello" + strings.Replace(run, "\"receipt\">", "\""+skipToken+"\">", 1) + "Receipt</h2></div>", "token"},
		{"text between the tags of the run", "<p>Gate code" + strings.Replace(run, "\">\n<h2", "\"> 4411 <h2", 1) + "Receipt</h2></div>", "private.notes"},
		{"escaped in an attribute of the run", "<p>Hello" + strings.Replace(run, "aria-labelledby=\"receipt\"", "title=\"gate&#32;c&#x6f;de&nbsp;4411\"", 1) + "Receipt</h2></div>", "private.notes"},
		{"split by an escape after the run", "<p>Gate code" + run + "&#52;411</h2></div>", "private.notes"},
		{"in a tag of a run", "<p>Hello" + strings.Replace(run, "\"receipt\">\n<h2", "\"receipt\">\n<h2 title=\""+skipToken+"\"", 1) + "Receipt</h2></div>", "token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tags := new(tagCache)
			for range 3 {
				if got := foundKeys(x, clean, tags); len(got) > 0 {
					t.Fatalf("clean page: found %v", got)
				}
			}
			// The shortcut is taken: the run is in the cache.
			at := strings.Index(clean, run)
			if end := tags.run([]byte(clean), at); end != at+len(run)-1 {
				t.Fatalf("run not cached: tags.run = %d, want %d", end, at+len(run)-1)
			}
			// Twice: a run that held a value is not kept as clean.
			for range 2 {
				if got := foundKeys(x, tc.page, tags); !slices.Contains(got, tc.want) {
					t.Errorf("found %v in %q; want %s", got, tc.page, tc.want)
				}
			}
		})
	}
}

// TestPrivacyIndexShared: one value on many jobs is one pattern of many
// owners, and each job is named; the index answers isNew by its own
// patterns.
func TestPrivacyIndexShared(t *testing.T) {
	s := skipSite()
	s.Jobs = append(s.Jobs, &Job{ID: "JOB-2", File: "jobs/JOB-2.yaml", Token: "g35dkbjc7bpdaqtnqwiivfozku", Private: []PrivateField{
		{Key: "phone", Value: "(208) 555-0142"},
		{Key: "alt", Value: "+1 208 555 0142"},
	}})
	x := newLeakIndex(s, nil)
	out := &Output{files: map[string][]byte{"faq.html": []byte("<p>Call 208-555-0142.</p>")}}
	leaks := x.check(out.files, []string{"faq.html"})
	var got []string
	for _, l := range leaks {
		got = append(got, l.owner.job.ID+" "+l.owner.key)
	}
	slices.Sort(got)
	want := []string{"JOB-1 private.phone", "JOB-2 private.alt", "JOB-2 private.phone"}
	if !slices.Equal(got, want) {
		t.Errorf("leaks %v; want %v", got, want)
	}
	for _, tc := range []struct {
		key, skel string
		want      bool
	}{
		{"private.phone", "2085550142", false},
		{"private.alt", "2085550142", false},
		{"private.notes", "gatecode4411", false},
		{"token", skipToken, false},
		{"private.phone", "gatecode4411", true},
		{"private.notes", "gatecode4412", true},
		{"private.fax", "2085550142", true},
		{"token", "g35dkbjc7bpdaqtnqwiivfozkv", true},
	} {
		if got := x.isNew(tc.key, []byte(tc.skel)); got != tc.want {
			t.Errorf("isNew(%s, %s) = %v; want %v", tc.key, tc.skel, got, tc.want)
		}
	}
}

// TestPrivacyIndexLarge: with many patterns the filter and directory grow,
// and every value is still found.
func TestPrivacyIndexLarge(t *testing.T) {
	s := leanSite(200000)
	x := newLeakIndex(s, nil)
	if x.filterBits <= 21 || x.dirBits <= 16 {
		t.Errorf("filter of 2^%d bits, directory of 2^%d slots, for %d patterns; want them grown", x.filterBits, x.dirBits, len(x.pats))
	}
	for _, k := range []int{0, 777, len(s.Jobs) - 1} {
		j := s.Jobs[k]
		for _, v := range []string{strings.ToUpper(j.Token), j.Private[0].Value, j.Private[1].Value, j.Private[2].Value} {
			keys := foundKeys(x, "<p>"+v+"</p>", nil)
			if len(keys) == 0 {
				t.Errorf("job %d: %q not found", k, v)
			}
		}
	}
}

// TestPrivacyTagCacheBufferReused: a page rendered into the buffer a clean
// page was checked in, and checked with the same tag cache, has its values
// found, the run of tags it shares the first bytes and the place of with
// the clean page's included. The cache must keep the clean bytes, not the
// buffer's, which the new page has changed.
func TestPrivacyTagCacheBufferReused(t *testing.T) {
	x := newLeakIndex(skipSite(), nil)
	run := "</p>\n<div class=\"card receipt\" aria-labelledby=\"receipt\">\n<h2 id=\"receipt\">"
	clean := "<p>Hello" + run + "Receipt</h2></div>\n"
	leaky := "<p>Hello" + strings.Replace(run, "\"receipt\">", "\""+skipToken+"\">", 1) + "Receipt</h2></div>\n"
	buf := make([]byte, 0, 4096)
	tags := new(tagCache)
	scan := func(page string) []string {
		buf = append(buf[:0], page...)
		var keys []string
		x.scan(buf, true, tags, func(p int32) {
			for _, o := range x.ownersOf(p) {
				keys = append(keys, x.keys[o.key])
			}
		})
		return keys
	}
	for range 3 {
		if got := scan(clean); len(got) > 0 {
			t.Fatalf("clean page: found %v", got)
		}
	}
	if got := scan(leaky); !slices.Contains(got, "token") {
		t.Errorf("found %v in %q, checked in the buffer of a clean page; want token", got, leaky)
	}
}
