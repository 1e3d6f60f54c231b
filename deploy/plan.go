package deploy

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quickdumpnow/qdn/generator"
)

// StateDir is the directory, under an environment's prefix, holding what qdn
// keeps in the bucket: the manifest, the pending invalidation and the lock.
// A sync never uploads, deletes or invalidates anything under it as site
// content.
const StateDir = ".qdn/"

// Reasons a key is uploaded or deleted, as the plan shows them.
const (
	ReasonNew            = "new"
	ReasonContent        = "content changed"
	ReasonHeaders        = "headers changed"
	ReasonNotInManifest  = "not in the manifest"
	ReasonChangedOutside = "changed in the bucket since the last sync"
	ReasonMissing        = "missing from the bucket"
	ReasonGone           = "no longer built"
)

// File is one object of the local output, ready to upload.
type File struct {
	// Path is the output path, relative to public/, such as
	// track/x/index.html.
	Path    string
	Headers generator.Headers
	// Hash is the SHA-256 of the bytes, and Size their length.
	Hash [32]byte
	Size int64
	// src is where the bytes are: the Files of one build share one, so
	// that a File costs its path, headers, hash and size only.
	src *source
}

// source is where the bytes of Files are read from.
type source struct {
	// body is the bytes of the one File NewFile made.
	body []byte
	// dir is the public/ directory a build wrote its output to, read
	// again, and out, when it wrote none, the output in memory. Neither
	// keeps the build's output alive once it was written: a sync of a
	// million files frees its maps of paths and sums.
	dir string
	out *generator.Output
}

// NewFile returns the File for the output at path.
func NewFile(path string, body []byte, h generator.Headers) File {
	return File{Path: path, Headers: h, Hash: sha256.Sum256(body), Size: int64(len(body)), src: &source{body: body}}
}

// bytes returns the bytes of f: those NewFile was given, or what reading
// it gives, which must still hash to f.Hash.
func (f File) bytes() ([]byte, error) {
	s := f.src
	var (
		b   []byte
		err error
	)
	switch {
	case s == nil:
		return nil, nil
	case s.dir != "":
		b, err = generator.ReadOutput(s.dir, f.Path)
		if err != nil {
			return nil, fmt.Errorf("read the page the build left in %s: %w", s.dir, err)
		}
	case s.out != nil:
		if b, err = s.out.Bytes(f.Path); err != nil {
			return nil, err
		}
	default:
		return s.body, nil
	}
	if sha256.Sum256(b) != f.Hash || int64(len(b)) != f.Size {
		return nil, &ChangedError{Path: f.Path}
	}
	return b, nil
}

// ChangedError is an output file whose bytes changed between the plan and
// its upload (another build wrote public/ meanwhile).
type ChangedError struct{ Path string }

func (e *ChangedError) Error() string {
	return e.Path + " changed in the output during the sync"
}

// Files returns the objects of a build's output with the headers that cfg
// gives them, sorted by path. A page whose hash and size the build knows
// (generator.Output.Sum: one the cache trusted, or one the build wrote) is
// not read here; the others are read once to hash them, in parallel. Each
// is read again from public/ when it is uploaded, and refused with a
// ChangedError when it no longer has the hash and size planned. No File
// holds its bytes, nor the output (only one that was not written to
// public/ is kept, to read from), so memory follows the number of files,
// not their size, and the build's output can be freed.
func Files(out *generator.Output, cfg *generator.Config) ([]File, error) {
	paths := out.Paths()
	files := make([]File, len(paths))
	src := &source{dir: out.Dir()}
	if src.dir == "" {
		src.out = out
	}
	errs := make([]error, len(paths))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(2, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			// The few header sets are shared by the files that have them.
			headers := map[generator.Headers]generator.Headers{}
			for {
				i := int(next.Add(1)) - 1
				if i >= len(paths) {
					return
				}
				p := paths[i]
				h := cfg.ObjectHeaders(p)
				if known, ok := headers[h]; ok {
					h = known
				} else {
					headers[h] = h
				}
				f := File{Path: p, Headers: h, src: src}
				if sum, size, ok := out.Sum(p); ok {
					f.Hash, f.Size = sum, size
				} else {
					b, err := out.Bytes(p)
					if err != nil {
						errs[i] = err
						continue
					}
					f.Hash, f.Size = sha256.Sum256(b), int64(len(b))
				}
				files[i] = f
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return files, nil
}

// Fingerprint returns a short digest of the headers an object is served
// with; the manifest keeps it so that a header change is seen without a
// request per object.
func Fingerprint(h generator.Headers) string {
	sum := sha256.Sum256([]byte("Content-Type: " + h.ContentType + "\nCache-Control: " + h.CacheControl + "\n"))
	return hex.EncodeToString(sum[:8])
}

// Object is a remote object as one listing of the bucket describes it.
type Object struct {
	Key          string
	Size         int64
	ETag         string
	LastModified time.Time
}

// Action is one key to upload or delete, with why.
type Action struct {
	Key    string `json:"key"`
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	Reason string `json:"reason"`
}

// Plan is what a sync will do. It is computed by NewPlan without any I/O, is
// what --dry-run prints, and is applied by Syncer.Apply.
type Plan struct {
	// Prefix is the environment's key prefix ("" or ending in a slash).
	Prefix string `json:"prefix"`
	// Uploads are the keys to upload, assets before HTML, each group sorted.
	Uploads []Action `json:"uploads"`
	// Deletes are the keys under the prefix that the build no longer makes.
	Deletes []Action `json:"deletes"`
	// Unchanged is how many local files are already in the bucket as they
	// should be.
	Unchanged int `json:"unchanged"`
	// Invalidation is what CloudFront is asked to drop from its caches.
	Invalidation Invalidation `json:"invalidation"`

	// files are the local files, sorted by path.
	files    []File
	manifest *Manifest
	pending  *Pending
	// check is where the next partial listing starts (see
	// Syncer.CheckEvery), nil when it was full.
	check *Check
}

// Invalidation is the invalidation a sync makes.
type Invalidation struct {
	// Paths are the paths sent to CloudFront: exact URIs, or parent
	// wildcards when there are more than the plan's maximum.
	Paths []string `json:"paths"`
	// Exact are the URIs under which a changed or deleted object can be
	// cached, before any collapse; it includes those still pending from a
	// sync that did not finish.
	Exact []string `json:"exact"`
	// Carried are the URIs that an earlier, unfinished sync left pending.
	Carried []string `json:"carried,omitempty"`
	// Collapsed says the exact URIs were too many and Paths holds wildcards.
	Collapsed bool `json:"collapsed"`
	// Cost estimates what these paths cost, in US dollars, past the free
	// paths of the month.
	Cost Cost `json:"cost"`
}

// Cost is the estimated price of an invalidation. CloudFront bills each
// path (a wildcard counts as one) past the first 1,000 of a month per
// account.
type Cost struct {
	Paths int `json:"paths"`
	// Month is the month the previous syncs of this environment recorded,
	// and MonthPaths how many paths they invalidated in it.
	Month      string `json:"month"`
	MonthPaths int    `json:"month_paths"`
	// Dollars is the price of Paths given MonthPaths already used; other
	// tools and environments of the same account are not counted.
	Dollars float64 `json:"dollars"`
	// IfPastFree is the price of Paths once the free tier is used up.
	IfPastFree float64 `json:"if_past_free"`
}

// Invalidation pricing.
const (
	FreePathsPerMonth = 1000
	DollarsPerPath    = 0.005
)

// PlanOptions tune NewPlan.
type PlanOptions struct {
	// Prefix is the environment's key prefix, "" or ending in a slash.
	Prefix string
	// ViewerURIs returns the URIs under which the object at an output path
	// can be cached by CloudFront.
	ViewerURIs func(path string) []string
	// MaxPaths is how many exact paths an invalidation may hold before they
	// are collapsed to wildcards.
	MaxPaths int
	// MaxDeletes is how many deletes a sync may make; more refuses the plan.
	MaxDeletes int
	// Invalidate says whether there is a distribution to invalidate.
	Invalidate bool
	// Now is used for the month of the cost estimate.
	Now time.Time
}

// DefaultMaxPaths and DefaultMaxDeletes are the limits when qdn.yaml and the
// flags do not set them.
const (
	DefaultMaxPaths   = 100
	DefaultMaxDeletes = 256
)

// TooManyDeletesError refuses a plan that deletes more than allowed.
type TooManyDeletesError struct {
	Deletes []Action
	Max     int
	// Op names what would delete: "sync" when empty, or "promotion".
	Op string
}

func (e *TooManyDeletesError) Error() string {
	op := e.Op
	if op == "" {
		op = "sync"
	}
	return fmt.Sprintf("the %s would delete %d objects, more than the limit of %d; nothing was changed", op, len(e.Deletes), e.Max)
}

// NewPlan decides what a sync does: local are the files of the build,
// remote one listing of everything under the prefix, m the manifest the last
// complete sync wrote (nil when there is none) and pending the invalidation
// an unfinished sync left (nil when none).
//
// A file is uploaded when it is new, its bytes or headers differ from what
// the manifest recorded, or the object in the bucket is not the one the
// manifest recorded. A key under the prefix that the build does not make is
// deleted; keys under .qdn/ are never touched.
func NewPlan(local []File, remote []Object, m *Manifest, pending *Pending, opt PlanOptions) (*Plan, error) {
	return newPlan(local, listedView(remote, opt.Prefix, m), m, pending, opt)
}

// remoteView is the bucket as a plan sees it, by path under the prefix:
// the objects a listing returned and, when it listed a part only, the
// manifest's entries for the paths outside that part. Neither is copied,
// and neither is indexed by a map: both are sorted, and looked up by
// binary search.
type remoteView struct {
	objects []Object
	// order is the indexes of objects sorted by key, or nil when they are
	// sorted already, as a listing returns them.
	order []int32
	// prefix is the environment's; state objects and keys outside it are
	// left out, and n counts the others.
	prefix string
	n      int
	// partial says that only the paths after after and through through
	// ("" for no bound) were listed; the others are as m records them.
	partial        bool
	after, through string
	m              *Manifest
}

// listedView returns the view of a listing of everything under prefix.
func listedView(objects []Object, prefix string, m *Manifest) *remoteView {
	v := &remoteView{objects: objects, prefix: prefix, m: m}
	byKey := func(a, b Object) int { return strings.Compare(a.Key, b.Key) }
	if !slices.IsSortedFunc(objects, byKey) {
		v.order = make([]int32, len(objects))
		for i := range v.order {
			v.order[i] = int32(i)
		}
		slices.SortFunc(v.order, func(a, b int32) int { return byKey(objects[a], objects[b]) })
	}
	for _, o := range objects {
		if v.publishes(o.Key) {
			v.n++
		}
	}
	return v
}

// publishes says whether key is a published object's: under the prefix,
// not qdn's state.
func (v *remoteView) publishes(key string) bool {
	path, ok := strings.CutPrefix(key, v.prefix)
	return ok && !strings.HasPrefix(path, StateDir)
}

// object returns the i-th object by key.
func (v *remoteView) object(i int) *Object {
	if v.order != nil {
		return &v.objects[v.order[i]]
	}
	return &v.objects[i]
}

// inPart says whether path is in the part listed.
func (v *remoteView) inPart(path string) bool {
	return !v.partial || path > v.after && (v.through == "" || path <= v.through)
}

// get returns the size and ETag of the object at path, and whether there
// is one.
func (v *remoteView) get(path string) (size int64, etag string, ok bool) {
	if v.inPart(path) {
		if path == "" || strings.HasPrefix(path, StateDir) {
			return 0, "", false
		}
		i, ok := sort.Find(len(v.objects), func(i int) int { return -compareKey(v.object(i).Key, v.prefix, path) })
		if !ok {
			return 0, "", false
		}
		o := v.object(i)
		return o.Size, o.ETag, true
	}
	e, ok := v.m.Lookup(path)
	return e.Size, e.ETag, ok
}

// compareKey compares key with prefix+path, without making the latter.
func compareKey(key, prefix, path string) int {
	n := min(len(key), len(prefix))
	if c := strings.Compare(key[:n], prefix[:n]); c != 0 || len(key) < len(prefix) {
		if c == 0 {
			return -1
		}
		return c
	}
	return strings.Compare(key[len(prefix):], path)
}

// outside returns the range of m's entries in the part listed, [lo, hi):
// those before and from hi are outside it. Without a part, all of them
// are in it.
func (v *remoteView) outside() (lo, hi int) {
	if !v.partial || v.m == nil {
		return 0, 0
	}
	hi = len(v.m.Entries)
	if v.after != "" {
		var found bool
		if lo, found = v.m.find(v.after); found {
			lo++
		}
	}
	if v.through != "" {
		var found bool
		if hi, found = v.m.find(v.through); found {
			hi++
		}
	}
	return lo, max(lo, hi)
}

// len returns how many objects there are.
func (v *remoteView) len() int {
	n := v.n
	if v.partial && v.m != nil {
		lo, hi := v.outside()
		n += lo + len(v.m.Entries) - hi
	}
	return n
}

// each calls fn with each object's path and size.
func (v *remoteView) each(fn func(path string, size int64)) {
	for _, o := range v.objects {
		if v.publishes(o.Key) {
			fn(strings.TrimPrefix(o.Key, v.prefix), o.Size)
		}
	}
	if v.partial && v.m != nil {
		lo, hi := v.outside()
		for _, e := range v.m.Entries[:lo] {
			fn(e.Path, e.Size)
		}
		for _, e := range v.m.Entries[hi:] {
			fn(e.Path, e.Size)
		}
	}
}

// newPlan is NewPlan over a view of the bucket. It keeps local (sorted by
// path, as Files returns it; a copy is sorted otherwise) and looks objects
// up in remote and m as they are: what it allocates grows with what
// changed, not with the number of objects.
func newPlan(local []File, remote *remoteView, m *Manifest, pending *Pending, opt PlanOptions) (*Plan, error) {
	if m == nil {
		m = &Manifest{}
	}
	if remote.m == nil {
		remote.m = m
	}
	byPath := func(a, b File) int { return strings.Compare(a.Path, b.Path) }
	if !slices.IsSortedFunc(local, byPath) {
		local = slices.Clone(local)
		slices.SortStableFunc(local, byPath)
	}
	p := &Plan{Prefix: opt.Prefix, files: local, manifest: m, pending: pending, Uploads: []Action{}, Deletes: []Action{}}
	var assets, html []Action
	changed := map[string]bool{}
	fingerprints := map[generator.Headers]string{}
	inBucket := 0
	for i, f := range local {
		if strings.HasPrefix(f.Path, StateDir) || f.Path == "" || strings.HasPrefix(f.Path, "/") {
			return nil, fmt.Errorf("output path %q cannot be published: %s is where qdn keeps its state", f.Path, StateDir)
		}
		if i > 0 && local[i-1].Path == f.Path {
			return nil, fmt.Errorf("output path %q is in the build's output twice", f.Path)
		}
		fp, ok := fingerprints[f.Headers]
		if !ok {
			fp = Fingerprint(f.Headers)
			fingerprints[f.Headers] = fp
		}
		size, etag, ok := remote.get(f.Path)
		if ok {
			inBucket++
		}
		reason := reasonFor(Entry{Hash: f.Hash, Headers: fp}, Object{Size: size, ETag: etag}, ok, m, f.Path)
		if reason == "" {
			p.Unchanged++
			continue
		}
		a := Action{Key: opt.Prefix + f.Path, Path: f.Path, Size: f.Size, Reason: reason}
		if isHTML(f) {
			html = append(html, a)
		} else {
			assets = append(assets, a)
		}
		// A new key was never served, so nothing of it is cached (but for
		// an error response, which CloudFront keeps seconds, not a year).
		if reason != ReasonNew {
			changed[f.Path] = true
		}
	}
	sortActions(assets)
	sortActions(html)
	p.Uploads = append(append(p.Uploads, assets...), html...)
	sharePaths(m.Entries, local)
	// Every object in the bucket that a local file did not find is
	// deleted; when each one was found, there is nothing to look for.
	if inBucket < remote.len() {
		remote.each(func(path string, size int64) {
			if _, ok := p.file(path); ok {
				return
			}
			p.Deletes = append(p.Deletes, Action{Key: opt.Prefix + path, Path: path, Size: size, Reason: ReasonGone})
			changed[path] = true
		})
	}
	sortActions(p.Deletes)
	if opt.MaxDeletes >= 0 && len(p.Deletes) > opt.MaxDeletes {
		return p, &TooManyDeletesError{Deletes: p.Deletes, Max: opt.MaxDeletes}
	}

	if opt.Invalidate {
		p.Invalidation = planInvalidation(changed, pending, m, opt)
	} else {
		p.Invalidation = Invalidation{Paths: []string{}, Exact: []string{}}
	}
	return p, nil
}

// sharePaths has each entry of a manifest (sorted by path) that a local
// file (sorted by path too) has the same path as use the file's string,
// and the others a copy of theirs: the strings a manifest was read into
// then hold none of its paths and are freed, some 45 MB for a million
// keys.
func sharePaths(entries []Entry, local []File) {
	j := 0
	for i := range entries {
		e := &entries[i]
		for j < len(local) && local[j].Path < e.Path {
			j++
		}
		if j < len(local) && local[j].Path == e.Path {
			e.Path = local[j].Path
		} else {
			e.Path = strings.Clone(e.Path)
		}
	}
}

// file returns the local file at path.
func (p *Plan) file(path string) (File, bool) {
	i, ok := p.fileIndex(path)
	if !ok {
		return File{}, false
	}
	return p.files[i], true
}

// fileIndex returns the index of the local file at path in p.files.
func (p *Plan) fileIndex(path string) (int, bool) {
	return slices.BinarySearchFunc(p.files, path, func(f File, path string) int { return strings.Compare(f.Path, path) })
}

// changeReason says why the object at key, published as path, must be
// written so that it holds want's bytes and headers, or "" when it already
// does: remote is the listing and m the manifest of the bucket.
func changeReason(path string, want Entry, remote map[string]Object, m *Manifest, key string) string {
	o, inBucket := remote[key]
	return reasonFor(want, o, inBucket, m, path)
}

// reasonFor is changeReason given the object o in the bucket, if
// inBucket.
func reasonFor(want Entry, o Object, inBucket bool, m *Manifest, path string) string {
	e, inManifest := m.Lookup(path)
	switch {
	case !inBucket && !inManifest:
		return ReasonNew
	case !inBucket:
		return ReasonMissing
	case !inManifest:
		return ReasonNotInManifest
	case e.Hash != want.Hash:
		return ReasonContent
	case o.ETag != e.ETag || o.Size != e.Size:
		return ReasonChangedOutside
	case e.Headers != want.Headers:
		return ReasonHeaders
	}
	return ""
}

func isHTML(f File) bool {
	return strings.HasPrefix(f.Headers.ContentType, "text/html")
}

func sortActions(a []Action) {
	sort.Slice(a, func(i, j int) bool { return a[i].Key < a[j].Key })
}

func planInvalidation(changed map[string]bool, pending *Pending, m *Manifest, opt PlanOptions) Invalidation {
	uris := map[string]bool{}
	for path := range changed {
		for _, u := range opt.ViewerURIs(path) {
			uris[u] = true
		}
	}
	inv := Invalidation{Carried: []string{}}
	if pending != nil {
		for _, u := range pending.Paths {
			if !uris[u] {
				inv.Carried = append(inv.Carried, u)
			}
			uris[u] = true
		}
	}
	inv.Exact = make([]string, 0, len(uris))
	for u := range uris {
		inv.Exact = append(inv.Exact, u)
	}
	sort.Strings(inv.Exact)
	sort.Strings(inv.Carried)
	inv.Paths = CollapsePaths(inv.Exact, opt.MaxPaths)
	inv.Collapsed = len(inv.Paths) != len(inv.Exact)
	inv.Cost = estimateCost(len(inv.Paths), m, opt.Now)
	return inv
}

func estimateCost(paths int, m *Manifest, now time.Time) Cost {
	month := now.UTC().Format("2006-01")
	c := Cost{Paths: paths, Month: month}
	if m.Invalidated.Month == month {
		c.MonthPaths = m.Invalidated.Paths
	}
	billable := max(0, c.MonthPaths+paths-FreePathsPerMonth) - max(0, c.MonthPaths-FreePathsPerMonth)
	c.Dollars = float64(billable) * DollarsPerPath
	c.IfPastFree = float64(paths) * DollarsPerPath
	return c
}

// Bytes is the number of bytes the plan uploads.
func (p *Plan) Bytes() int64 {
	var n int64
	for _, a := range p.Uploads {
		n += a.Size
	}
	return n
}

// Empty says the plan changes nothing in the bucket and invalidates
// nothing.
func (p *Plan) Empty() bool {
	return len(p.Uploads) == 0 && len(p.Deletes) == 0 && len(p.Invalidation.Paths) == 0
}

// WriteJSON writes p to w as json.MarshalIndent(p, prefix, indent) does,
// byte for byte, but one action at a time: the plan of a million uploads
// is some 150 MB of JSON, which is never all in memory.
func (p *Plan) WriteJSON(w io.Writer, prefix, indent string) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	in1, in2 := prefix+indent, prefix+indent+indent
	var err error
	value := func(v any, prefix string) {
		if err != nil {
			return
		}
		var b []byte
		if b, err = json.MarshalIndent(v, prefix, indent); err == nil {
			_, err = bw.Write(b)
		}
	}
	field := func(name string) {
		if name != "prefix" {
			bw.WriteByte(',')
		}
		bw.WriteString("\n" + in1 + `"` + name + `": `)
	}
	actions := func(name string, as []Action) {
		field(name)
		switch {
		case as == nil:
			bw.WriteString("null")
			return
		case len(as) == 0:
			bw.WriteString("[]")
			return
		}
		bw.WriteByte('[')
		for i := range as {
			if i > 0 {
				bw.WriteByte(',')
			}
			bw.WriteString("\n" + in2)
			value(&as[i], in2)
		}
		bw.WriteString("\n" + in1 + "]")
	}
	bw.WriteByte('{')
	field("prefix")
	value(p.Prefix, in1)
	actions("uploads", p.Uploads)
	actions("deletes", p.Deletes)
	field("unchanged")
	value(p.Unchanged, in1)
	field("invalidation")
	value(&p.Invalidation, in1)
	bw.WriteString("\n" + prefix + "}")
	if err != nil {
		return err
	}
	return bw.Flush()
}
