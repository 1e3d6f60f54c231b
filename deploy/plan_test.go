package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"github.com/quickdumpnow/qdn/generator"
)

var (
	htmlHeaders = generator.Headers{ContentType: "text/html; charset=utf-8", CacheControl: generator.CacheHTML}
	cssHeaders  = generator.Headers{ContentType: "text/css; charset=utf-8", CacheControl: generator.CacheAsset}
)

func testURIs(path string) []string {
	if path == "index.html" || strings.HasSuffix(path, "/index.html") {
		return []string{"/" + strings.TrimSuffix(path, "index.html"), "/" + path}
	}
	return []string{"/" + path}
}

// published returns the listing and manifest of a bucket holding exactly
// files under prefix, as a complete sync leaves it.
func published(prefix string, files ...File) ([]Object, *Manifest) {
	m := &Manifest{Version: manifestVersion}
	var remote []Object
	for _, f := range files {
		etag := fmt.Sprintf(`"%x"`, f.Hash[:16])
		remote = append(remote, Object{Key: prefix + f.Path, Size: f.Size, ETag: etag})
		m.Entries = append(m.Entries, Entry{Path: f.Path, Hash: f.Hash, Headers: Fingerprint(f.Headers), Size: f.Size, ETag: etag})
	}
	slices.SortFunc(m.Entries, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	remote = append(remote, Object{Key: prefix + ManifestKey, Size: 10, ETag: `"m"`})
	return remote, m
}

func TestNewPlan(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	index := NewFile("index.html", []byte("<h1>home</h1>"), htmlHeaders)
	track := NewFile("track/t1/index.html", []byte("booked"), htmlHeaders)
	track2 := NewFile("track/t1/index.html", []byte("ready for pickup"), htmlHeaders)
	css := NewFile("a.css", []byte("body{}"), cssHeaders)
	cssImmutable := NewFile("a.css", []byte("body{}"), generator.Headers{ContentType: cssHeaders.ContentType, CacheControl: generator.CacheImmutable})
	old := NewFile("track/old/index.html", []byte("completed"), htmlHeaders)

	base := []File{index, track, css}
	remote, m := published("site/", base...)
	withOld, mOld := published("site/", index, track, css, old)
	outside := append(append([]Object{}, remote...), Object{Key: "other/x.html", Size: 1}, Object{Key: "site/.qdn/lock.json", Size: 1})
	tampered := append([]Object{}, remote...)
	for i := range tampered {
		if tampered[i].Key == "site/a.css" {
			tampered[i].ETag = `"changed"`
		}
	}

	type want struct {
		uploads   []Action
		deletes   []Action
		unchanged int
		paths     []string
	}
	tests := []struct {
		name    string
		local   []File
		remote  []Object
		m       *Manifest
		pending *Pending
		want    want
	}{
		{"first sync uploads everything, assets first, and invalidates nothing",
			base, nil, nil, nil,
			want{uploads: []Action{
				{Key: "site/a.css", Path: "a.css", Size: 6, Reason: ReasonNew},
				{Key: "site/index.html", Path: "index.html", Size: 13, Reason: ReasonNew},
				{Key: "site/track/t1/index.html", Path: "track/t1/index.html", Size: 6, Reason: ReasonNew},
			}, paths: []string{}}},
		{"nothing changed",
			base, remote, m, nil,
			want{unchanged: 3, paths: []string{}}},
		{"one job's status changed",
			[]File{index, track2, css}, remote, m, nil,
			want{uploads: []Action{{Key: "site/track/t1/index.html", Path: "track/t1/index.html", Size: 16, Reason: ReasonContent}},
				unchanged: 2, paths: []string{"/track/t1/", "/track/t1/index.html"}}},
		{"an expired job's page is deleted and invalidated",
			base, withOld, mOld, nil,
			want{deletes: []Action{{Key: "site/track/old/index.html", Path: "track/old/index.html", Size: 9, Reason: ReasonGone}},
				unchanged: 3, paths: []string{"/track/old/", "/track/old/index.html"}}},
		{"a header rule changed",
			[]File{index, track, cssImmutable}, remote, m, nil,
			want{uploads: []Action{{Key: "site/a.css", Path: "a.css", Size: 6, Reason: ReasonHeaders}},
				unchanged: 2, paths: []string{"/a.css"}}},
		{"objects outside the prefix and under .qdn/ are left alone",
			base, outside, m, nil,
			want{unchanged: 3, paths: []string{}}},
		{"an object changed in the bucket is put back",
			base, tampered, m, nil,
			want{uploads: []Action{{Key: "site/a.css", Path: "a.css", Size: 6, Reason: ReasonChangedOutside}},
				unchanged: 2, paths: []string{"/a.css"}}},
		{"an object missing from the bucket is uploaded again",
			base, remote[1:], m, nil,
			want{uploads: []Action{{Key: remote[0].Key, Path: strings.TrimPrefix(remote[0].Key, "site/"), Size: remote[0].Size, Reason: ReasonMissing}},
				unchanged: 2, paths: testURIs(strings.TrimPrefix(remote[0].Key, "site/"))}},
		{"objects without a manifest are uploaded with their headers",
			base, remote, nil, nil,
			want{uploads: []Action{
				{Key: "site/a.css", Path: "a.css", Size: 6, Reason: ReasonNotInManifest},
				{Key: "site/index.html", Path: "index.html", Size: 13, Reason: ReasonNotInManifest},
				{Key: "site/track/t1/index.html", Path: "track/t1/index.html", Size: 6, Reason: ReasonNotInManifest},
			}, paths: []string{"/", "/a.css", "/index.html", "/track/t1/", "/track/t1/index.html"}}},
		{"paths left pending by an unfinished sync are still invalidated",
			base, remote, m, &Pending{ID: "x", Paths: []string{"/track/t9/", "/track/t9/index.html"}},
			want{unchanged: 3, paths: []string{"/track/t9/", "/track/t9/index.html"}}},
	}
	for _, tt := range tests {
		// A listing comes sorted by key from S3, and is looked up by
		// binary search; one in another order is sorted by an index.
		sorted := slices.SortedFunc(slices.Values(tt.remote), func(a, b Object) int { return strings.Compare(a.Key, b.Key) })
		for listing, remote := range map[string][]Object{"as given": tt.remote, "sorted": sorted} {
			t.Run(tt.name+", listing "+listing, func(t *testing.T) {
				p, err := NewPlan(tt.local, remote, tt.m, tt.pending, PlanOptions{
					Prefix: "site/", ViewerURIs: testURIs, MaxPaths: 100, MaxDeletes: 10, Invalidate: true, Now: now,
				})
				if err != nil {
					t.Fatal(err)
				}
				got := want{uploads: p.Uploads, deletes: p.Deletes, unchanged: p.Unchanged, paths: p.Invalidation.Paths}
				if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(want{}), cmp.Comparer(func(a, b []Action) bool {
					return len(a) == len(b) && (len(a) == 0 || cmp.Equal(a, b))
				})); diff != "" {
					t.Errorf("NewPlan() mismatch (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestRemoteViewPartial looks objects up in a listing of a part of the
// bucket, the manifest standing for the rest: a path in the part is as
// listed (or missing), one outside it as the manifest records it, and the
// objects counted and walked are the listed ones with the manifest's
// outside the part.
func TestRemoteViewPartial(t *testing.T) {
	m := &Manifest{Version: manifestVersion}
	for _, p := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		m.Entries = append(m.Entries, Entry{Path: p, Size: 1, ETag: "m-" + p})
	}
	listed := []Object{
		{Key: "site/.qdn/lock.json", Size: 9, ETag: "lock"},
		{Key: "site/d", Size: 1, ETag: "m-d"},
		{Key: "site/dd", Size: 2, ETag: "new"},
		{Key: "site/f", Size: 3, ETag: "changed"},
	}
	v := listedView(listed, "site/", m)
	v.partial, v.after, v.through = true, "c", "f"
	for _, tt := range []struct {
		path string
		size int64
		etag string
		ok   bool
	}{
		{"a", 1, "m-a", true},
		{"c", 1, "m-c", true},
		{"d", 1, "m-d", true},
		{"dd", 2, "new", true},
		{"e", 0, "", false}, // in the part, not listed: gone from the bucket
		{"f", 3, "changed", true},
		{"g", 1, "m-g", true},
		{"z", 0, "", false},
	} {
		size, etag, ok := v.get(tt.path)
		if size != tt.size || etag != tt.etag || ok != tt.ok {
			t.Errorf("get(%q) = %d, %q, %v; want %d, %q, %v", tt.path, size, etag, ok, tt.size, tt.etag, tt.ok)
		}
	}
	var walked []string
	v.each(func(path string, size int64) { walked = append(walked, fmt.Sprint(path, " ", size)) })
	slices.Sort(walked)
	want := []string{"a 1", "b 1", "c 1", "d 1", "dd 2", "f 3", "g 1", "h 1"}
	if !slices.Equal(walked, want) || v.len() != len(want) {
		t.Errorf("each walked %q, len %d; want %q, %d", walked, v.len(), want, len(want))
	}
}

func TestNewPlanTooManyDeletes(t *testing.T) {
	var files []File
	for _, p := range []string{"a.css", "b.css", "c.css"} {
		files = append(files, NewFile(p, []byte(p), cssHeaders))
	}
	remote, m := published("", files...)
	_, err := NewPlan(files[:1], remote, m, nil, PlanOptions{ViewerURIs: testURIs, MaxPaths: 10, MaxDeletes: 1})
	var td *TooManyDeletesError
	if !errors.As(err, &td) || len(td.Deletes) != 2 {
		t.Fatalf("NewPlan() error = %v; want a TooManyDeletesError with 2 deletes", err)
	}
	if _, err := NewPlan(files[:1], remote, m, nil, PlanOptions{ViewerURIs: testURIs, MaxPaths: 10, MaxDeletes: 2}); err != nil {
		t.Fatalf("NewPlan() with MaxDeletes 2 = %v; want no error", err)
	}
}

func TestNewPlanCollapseAndCost(t *testing.T) {
	var local []File
	var changed []File
	for i := range 60 {
		p := "track/t" + strings.Repeat("x", i%3) + string(rune('a'+i%26)) + string(rune('a'+i/26)) + "/index.html"
		local = append(local, NewFile(p, []byte("v1"), htmlHeaders))
		changed = append(changed, NewFile(p, []byte("v2"), htmlHeaders))
	}
	remote, m := published("", local...)
	m.Invalidated = MonthCount{Month: "2026-11", Paths: 999}
	p, err := NewPlan(changed, remote, m, nil, PlanOptions{ViewerURIs: testURIs, MaxPaths: 100, MaxDeletes: 0, Invalidate: true,
		Now: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	inv := p.Invalidation
	if len(inv.Exact) != 120 || !inv.Collapsed || !cmp.Equal(inv.Paths, []string{"/track/*"}) {
		t.Errorf("Invalidation = %d exact, collapsed %v, paths %q; want 120, true, [/track/*]", len(inv.Exact), inv.Collapsed, inv.Paths)
	}
	want := Cost{Paths: 1, Month: "2026-11", MonthPaths: 999, Dollars: 0, IfPastFree: DollarsPerPath}
	if inv.Cost != want {
		t.Errorf("Cost = %+v; want %+v", inv.Cost, want)
	}
	m.Invalidated.Paths = 1000
	p, _ = NewPlan(changed, remote, m, nil, PlanOptions{ViewerURIs: testURIs, MaxPaths: 200, MaxDeletes: 0, Invalidate: true,
		Now: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)})
	if got, want := p.Invalidation.Cost.Dollars, 120*DollarsPerPath; got != want {
		t.Errorf("Cost.Dollars past the free tier = %v; want %v", got, want)
	}
}

// TestNewPlanSharesPaths has the manifest's entries use the paths of the
// local files, and copies of the others, so that the strings the manifest
// was read into are freed.
func TestNewPlanSharesPaths(t *testing.T) {
	files := []File{NewFile("a.css", []byte("a"), cssHeaders), NewFile("b.css", []byte("b"), cssHeaders)}
	remote, m := published("", append(files, NewFile("gone.css", []byte("x"), cssHeaders))...)
	b, err := encodeManifest(m)
	if err != nil {
		t.Fatal(err)
	}
	if m, err = decodeManifest(b); err != nil {
		t.Fatal(err)
	}
	read := m.Entries[2].Path
	if _, err := NewPlan(files, remote, m, nil, PlanOptions{ViewerURIs: testURIs, MaxPaths: 10, MaxDeletes: 1}); err != nil {
		t.Fatal(err)
	}
	for i, f := range files {
		if e := m.Entries[i]; e.Path != f.Path || unsafe.StringData(e.Path) != unsafe.StringData(f.Path) {
			t.Errorf("entry %d has path %q at %p; want the file's %q at %p", i, e.Path, unsafe.StringData(e.Path), f.Path, unsafe.StringData(f.Path))
		}
	}
	if e := m.Entries[2]; e.Path != "gone.css" || unsafe.StringData(e.Path) == unsafe.StringData(read) {
		t.Errorf("entry of a path no file has = %q, in the string it was read into; want gone.css, copied", e.Path)
	}
}

// TestShareETags has an object listed as the manifest records it use the
// entry's ETag string, and one that differs keep its own.
func TestShareETags(t *testing.T) {
	m := &Manifest{Entries: []Entry{{Path: "a", ETag: "e-a"}, {Path: "b", ETag: "e-b"}, {Path: "c", ETag: "e-c"}}}
	listed := []Object{
		{Key: "site/.qdn/lock.json", ETag: "lock"},
		{Key: "site/a", ETag: strings.Clone("e-a")},
		{Key: "site/b", ETag: "other"},
		{Key: "site/c", ETag: strings.Clone("e-c")},
	}
	(&Syncer{Prefix: "site/"}).shareETags(listed, m)
	for i, want := range []string{"", m.Entries[0].ETag, "", m.Entries[2].ETag} {
		o := listed[i]
		if shared := unsafe.StringData(o.ETag) == unsafe.StringData(want); shared != (want != "") {
			t.Errorf("object %s has ETag %q, shared with the manifest: %v; want %v", o.Key, o.ETag, shared, want != "")
		}
	}
	if listed[2].ETag != "other" {
		t.Errorf("object site/b has ETag %q; want its own, other", listed[2].ETag)
	}
}

// TestListedPaths gives the paths a listing expects, qdn's state among a
// manifest's, in order, without copying the manifest's; a manifest that
// names paths under .qdn/ (qdn never writes one) still gives them sorted.
func TestListedPaths(t *testing.T) {
	for _, tt := range []struct {
		name  string
		m     *Manifest
		paths []string
	}{
		{"no manifest", nil, nil},
		{"an empty manifest", &Manifest{}, statePaths},
		{"paths before and after .qdn/", &Manifest{Entries: []Entry{{Path: ".a"}, {Path: "a"}, {Path: "z"}}},
			[]string{".a", CheckKey, LockKey, ManifestKey, "a", "z"}},
		{"only after", &Manifest{Entries: []Entry{{Path: "a"}}}, []string{CheckKey, LockKey, ManifestKey, "a"}},
		{"paths under .qdn/", &Manifest{Entries: []Entry{{Path: ".qdn/a"}, {Path: LockKey}, {Path: "b"}}},
			[]string{".qdn/a", CheckKey, LockKey, ManifestKey, "b"}},
	} {
		k := listedPaths(tt.m)
		var got []string
		for i := range k.len() {
			got = append(got, k.at(i))
		}
		if !slices.Equal(got, tt.paths) {
			t.Errorf("listedPaths(%s) = %q; want %q", tt.name, got, tt.paths)
		}
		for i, p := range tt.paths {
			if j, ok := k.search(p); j != i || !ok {
				t.Errorf("listedPaths(%s).search(%q) = %d, %v; want %d, true", tt.name, p, j, ok, i)
			}
		}
	}
}

// reverseBucket lists the ranges ending at each of ends, the last one
// first: each waits until the one after it has been answered.
type reverseBucket struct {
	Bucket
	ends     []string
	answered []chan struct{}
}

func (b *reverseBucket) List(ctx context.Context, prefix, after, through string) ([]Object, error) {
	i := slices.Index(b.ends, through)
	if i+1 < len(b.ends) {
		<-b.answered[i+1]
	}
	defer close(b.answered[i])
	return keysAtoF(after, through), nil
}

// keysAtoF lists the keys a to f after after and through through ("" for
// no bound).
func keysAtoF(after, through string) []Object {
	var objs []Object
	for _, k := range []string{"a", "b", "c", "d", "e", "f"} {
		if k > after && (through == "" || k <= through) {
			objs = append(objs, Object{Key: k})
		}
	}
	return objs
}

// TestListRangesInOrder gathers ranges answered last first into one
// listing in key order.
func TestListRangesInOrder(t *testing.T) {
	b := &reverseBucket{ends: []string{"b", "d", ""}}
	for range b.ends {
		b.answered = append(b.answered, make(chan struct{}))
	}
	got, err := (&Syncer{Bucket: b}).listRanges(context.Background(), "", b.ends, nil)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range got {
		keys = append(keys, o.Key)
	}
	if want := []string{"a", "b", "c", "d", "e", "f"}; !slices.Equal(keys, want) {
		t.Errorf("listRanges = %q; want %q", keys, want)
	}
}

// pacedBucket lists the keys a to f, and counts the List calls in flight
// at once. The first call runs first, then answers with err when set; the
// others wait until hold is closed.
type pacedBucket struct {
	Bucket
	first func(b *pacedBucket)
	err   error
	hold  chan struct{}

	mu            sync.Mutex
	calls, flying int
	most          int
	arrived       chan struct{}
}

func (b *pacedBucket) List(ctx context.Context, prefix, after, through string) ([]Object, error) {
	b.mu.Lock()
	b.calls++
	b.flying++
	b.most = max(b.most, b.flying)
	first := b.calls == 1
	b.mu.Unlock()
	if first {
		b.first(b)
	} else {
		b.arrived <- struct{}{}
		<-b.hold
	}
	b.mu.Lock()
	b.flying--
	b.mu.Unlock()
	if first && b.err != nil {
		return nil, b.err
	}
	return keysAtoF(after, through), nil
}

// TestListRangesWhileBuilding lists one range at a time while building
// is open, and several at once when it is closed.
func TestListRangesWhileBuilding(t *testing.T) {
	ends := []string{"a", "b", "c", "d", "e", ""}
	newBucket := func(first func(b *pacedBucket)) *pacedBucket {
		hold := make(chan struct{})
		close(hold)
		return &pacedBucket{first: first, hold: hold, arrived: make(chan struct{}, len(ends))}
	}
	keys := func(objs []Object) string {
		var k []string
		for _, o := range objs {
			k = append(k, o.Key)
		}
		return strings.Join(k, "")
	}

	t.Run("building", func(t *testing.T) {
		// Unpaced, the other ranges are asked for while the first waits.
		b := newBucket(func(*pacedBucket) { time.Sleep(100 * time.Millisecond) })
		got, err := (&Syncer{Bucket: b}).listRanges(context.Background(), "", ends, make(chan struct{}))
		if err != nil {
			t.Fatal(err)
		}
		if keys(got) != "abcdef" || b.most != 1 {
			t.Errorf("listed %q with at most %d ranges at once; want abcdef, one at a time", keys(got), b.most)
		}
	})

	// twoMore, as a first range, waits until two more are asked for
	// while it is listed.
	twoMore := func(then func()) func(b *pacedBucket) {
		return func(b *pacedBucket) {
			defer close(b.hold)
			then()
			for range 2 {
				select {
				case <-b.arrived:
				case <-time.After(10 * time.Second):
					t.Error("no other range was asked for while the first was listed")
					return
				}
			}
		}
	}

	t.Run("built", func(t *testing.T) {
		// The build ends while the first range is listed: two more are
		// then asked for before it is answered.
		building := make(chan struct{})
		b := newBucket(twoMore(func() { close(building) }))
		b.hold = make(chan struct{})
		got, err := (&Syncer{Bucket: b}).listRanges(context.Background(), "", ends, building)
		if err != nil {
			t.Fatal(err)
		}
		if keys(got) != "abcdef" || b.most < 3 {
			t.Errorf("listed %q with at most %d ranges at once; want abcdef, at least 3", keys(got), b.most)
		}
	})

	t.Run("full listing", func(t *testing.T) {
		// A listing of every key goes at full speed while the site
		// builds: only a part is paced.
		m := &Manifest{}
		for i := range 3 * listRange {
			m.Entries = append(m.Entries, Entry{Path: fmt.Sprintf("p%05d", i)})
		}
		b := newBucket(twoMore(func() {}))
		b.hold = make(chan struct{})
		if _, err := (&Syncer{Bucket: b, Building: make(chan struct{})}).list(context.Background(), listedPaths(m)); err != nil {
			t.Fatal(err)
		}
		if b.most < 3 {
			t.Errorf("a full listing while building listed at most %d ranges at once; want at least 3", b.most)
		}
	})

	t.Run("cancelled", func(t *testing.T) {
		// Cancelled with a cause while the first range is listed: no
		// other is asked for, and the cause is the error.
		lost := errors.New("the lock was lost")
		ctx, cancel := context.WithCancelCause(context.Background())
		defer cancel(nil)
		b := newBucket(func(*pacedBucket) { cancel(lost) })
		_, err := (&Syncer{Bucket: b}).listRanges(ctx, "", ends, make(chan struct{}))
		if err != lost || b.calls != 1 {
			t.Errorf("listRanges cancelled while listing = %v after %d ranges; want %v after 1", err, b.calls, lost)
		}
	})

	t.Run("failed", func(t *testing.T) {
		// The first range fails: no other is asked for.
		b := newBucket(func(*pacedBucket) {})
		b.err = errors.New("access denied")
		_, err := (&Syncer{Bucket: b}).listRanges(context.Background(), "", ends, make(chan struct{}))
		if err != b.err || b.calls != 1 {
			t.Errorf("listRanges with a failed range = %v after %d ranges; want %v after 1", err, b.calls, b.err)
		}
	})
}

// TestPlanWriteJSON checks that a plan written one action at a time is
// what encoding it whole gives, at any depth of indentation: uploads,
// deletes, an empty list and one never made, special characters and a
// carried invalidation.
func TestPlanWriteJSON(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	keep := NewFile("a&b <x>.css", []byte("body{}"), cssHeaders)
	gone := NewFile("track/old/index.html", []byte("completed"), htmlHeaders)
	remote, m := published("site/", keep, gone)
	local := []File{keep, NewFile("index.html", []byte("<h1>home</h1>"), htmlHeaders), NewFile("track/é\"/index.html", []byte("x"), htmlHeaders)}
	p, err := NewPlan(local, remote, m, &Pending{ID: "d1", Paths: []string{"/carried"}},
		PlanOptions{Prefix: "site/", ViewerURIs: testURIs, MaxPaths: 100, MaxDeletes: 10, Invalidate: true, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Uploads) == 0 || len(p.Deletes) == 0 || len(p.Invalidation.Carried) == 0 {
		t.Fatalf("plan %+v; want uploads, deletes and a carried invalidation", p)
	}
	empty, err := NewPlan([]File{keep}, remote[:1], m, nil, PlanOptions{Prefix: "site/", ViewerURIs: testURIs, MaxPaths: 100, MaxDeletes: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		p    *Plan
	}{
		{"uploads and deletes", p},
		{"nothing to do", empty},
		{"lists never made", &Plan{Prefix: "x/"}},
	} {
		for _, in := range [][2]string{{"", "  "}, {"  ", "  "}, {"\t", "\t"}, {"", ""}} {
			want, err := json.MarshalIndent(tc.p, in[0], in[1])
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := tc.p.WriteJSON(&got, in[0], in[1]); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), got.String()); diff != "" {
				t.Errorf("%s: WriteJSON(%q, %q) differs from json.MarshalIndent (-want +got):\n%s", tc.name, in[0], in[1], diff)
			}
		}
	}
}
