package generator

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quickdumpnow/qdn/internal/sitegen"
)

// TestFastTrack renders every tracking page of several sites with
// html/template and with htmlexec: the bytes must be the same. qdn's own
// track.html must run on htmlexec for every job, with no page left to
// html/template; the track.html of before calls template funcs, so it runs
// on html/template alone, and still gives its pages.
func TestFastTrack(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }
	generated := t.TempDir()
	if err := sitegen.Write("..", generated, 600); err != nil {
		t.Fatal(err)
	}
	before := t.TempDir()
	for _, name := range []string{"qdn.yaml", "content", "jobs"} {
		if err := sitegen.CopyTree(filepath.Join("..", name), filepath.Join(before, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := sitegen.CopyTree(filepath.Join("testdata", "templates-before"), filepath.Join(before, TemplatesDir)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, dir string
		fast      bool
	}{
		{"example", "..", true},
		{"hostile", filepath.Join("testdata", "sites", "hostile"), true},
		{"generated", generated, true},
		{"templates of before", before, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Load(t.Context(), tc.dir, Options{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			r, err := newRenderer(s)
			if err != nil {
				t.Fatal(err)
			}
			live := s.LiveJobs()
			if len(live) < 2 {
				t.Fatalf("%d live jobs; want some", len(live))
			}
			for i, j := range live {
				want, err := r.exec(TemplateTrack, r.trackPage(j))
				if err != nil {
					t.Fatal(err)
				}
				got, err := r.Track(j)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("%s: Track gives other bytes than html/template:\n got %q\nwant %q", j.File, got, want)
				}
				if i == 0 && (r.track != nil) != tc.fast {
					t.Fatalf("htmlexec in use: %v; want %v", r.track != nil, tc.fast)
				}
				if tc.fast {
					if _, err := r.execFast(r.track, r.trackPage(j)); err != nil {
						t.Errorf("%s: htmlexec left the page to html/template: %v", j.File, err)
					}
				}
			}
		})
	}
}

// BenchmarkTrackPage renders one tracking page of the example site (Mark's
// job, ready for pickup) with html/template and with htmlexec.
func BenchmarkTrackPage(b *testing.B) {
	s, err := Load(b.Context(), "..", Options{Now: func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }})
	if err != nil {
		b.Fatal(err)
	}
	r, err := newRenderer(s)
	if err != nil {
		b.Fatal(err)
	}
	var job *Job
	for _, j := range s.Jobs {
		if j.Status == ReadyForPickup {
			job = j
		}
	}
	if _, err := r.Track(job); err != nil || r.track == nil {
		b.Fatalf("htmlexec not in use: %v", err)
	}
	b.Run("html-template", func(b *testing.B) {
		for b.Loop() {
			if _, err := r.exec(TemplateTrack, r.trackPage(job)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("htmlexec", func(b *testing.B) {
		for b.Loop() {
			if _, err := r.Track(job); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestSlabTrack renders the tracking pages of a build's many into shared
// slabs (see execSlab): each page must hold html/template's bytes, end
// where its slab's part of it ends, and survive the pages rendered after
// it, also when a page outgrows the room its slab had left.
func TestSlabTrack(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }
	dir := t.TempDir()
	if err := sitegen.Write("..", dir, 300); err != nil {
		t.Fatal(err)
	}
	s, err := Load(t.Context(), dir, Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	out, err := Render(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	r, err := newRenderer(s)
	if err != nil {
		t.Fatal(err)
	}
	live := s.LiveJobs()
	if len(live) < slabPages {
		t.Fatalf("%d live jobs; want at least %d, so that the render uses slabs", len(live), slabPages)
	}
	for _, j := range live {
		want, err := r.exec(TemplateTrack, r.trackPage(j))
		if err != nil {
			t.Fatal(err)
		}
		got := out.files[TrackPath(j.Token)]
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: the page rendered into a slab differs from html/template's:\n got %q\nwant %q", j.File, got, want)
		}
		if cap(got) != len(got) {
			t.Errorf("%s: page of %d bytes has room for %d: an append to it would write over the next page", j.File, len(got), cap(got))
		}
	}

	// A page bigger than the room a slab has left: the address alone
	// takes more.
	if _, err := r.Track(live[0]); err != nil || r.track == nil {
		t.Fatalf("htmlexec not in use: %v", err)
	}
	r.slabs = newSlabs()
	big := *live[1]
	big.Address = strings.Repeat("12 Long Road & Sons <b>", slabRoom/8)
	var pages, wants [][]byte
	for _, j := range []*Job{live[2], &big, live[3], &big, live[4]} {
		page, err := r.Track(j)
		if err != nil {
			t.Fatal(err)
		}
		want, err := r.exec(TemplateTrack, r.trackPage(j))
		if err != nil {
			t.Fatal(err)
		}
		pages, wants = append(pages, page), append(wants, want)
	}
	for i := range pages {
		if !bytes.Equal(pages[i], wants[i]) {
			t.Errorf("page %d of %d bytes differs from html/template's %d bytes after the pages rendered after it", i, len(pages[i]), len(wants[i]))
		}
	}
}
