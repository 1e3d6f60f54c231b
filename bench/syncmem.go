//go:build ignore

// syncmem measures the memory a sync of a very large site takes beside its
// build: deploy's planning, the manifest read and written, the listing and
// the lock, for -n generated files (tracking pages, as deploy.Files returns
// them from a build: path, headers, hash and size, no bytes) published to
// a bucket that already holds them with a manifest of -n keys.
//
//	go run bench/syncmem.go -n 1000000
//
// The bucket lives in this process, in memory, so that a million objects
// need no server: it keeps per key what a listing returns, not the bytes;
// the bytes of qdn's own objects (the manifest, the lock, the check) it
// keeps in files under TMPDIR, out of the process's memory as a real
// bucket's are, and hands the manifest out as a stream, as S3 does.
// It is filled by a first sync before anything is measured. Then each case
// is a whole sync, from the files to the lock released: a no-op (the part
// of the keys whose turn it is listed), one that lists every key
// (--verify), one where 1 % of the pages changed (uploads and a new
// manifest of -n keys), and a first upload of every page to an empty
// bucket of its own (which keeps nothing of the pages). For each it prints, as JSON, the peak of the heap
// above what the process held before (the bucket), sampled every
// millisecond, the peak of the heap the collector found live (garbage
// left out; the process's heap peaks at about twice that with GOGC=100,
// and the bucket's own heap inflates that slack here), the live heap the
// sync left, and its wall time; then the
// process's peak RSS above its RSS before the cases (VmHWM, reset between
// cases).
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/quickdumpnow/qdn/deploy"
	"github.com/quickdumpnow/qdn/generator"
)

func main() {
	n := flag.Int("n", 1_000_000, "objects of the site")
	flag.Parse()
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "syncmem-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	b := &memBucket{objects: map[string]memObject{}, dir: dir}
	html := generator.Headers{ContentType: "text/html; charset=utf-8", CacheControl: generator.CacheHTML}
	opt := deploy.PlanOptions{ViewerURIs: func(p string) []string { return []string{"/" + p} }, MaxPaths: 100, MaxDeletes: 256}
	sync := func(b *memBucket, files []deploy.File, every int) (*deploy.Remote, *deploy.Plan) {
		s := &deploy.Syncer{Bucket: b, Prefix: "site/", Concurrency: 64, CheckEvery: every}
		lease := s.Lease(deploy.NewLock("", "bench"))
		lctx, err := lease.Open(ctx)
		if err != nil {
			log.Fatal(err)
		}
		r, err := s.Fetch(lctx)
		if err != nil {
			log.Fatal(err)
		}
		p, err := s.Plan(r, files, opt)
		if err != nil {
			log.Fatal(err)
		}
		if _, err := s.Apply(lctx, p, deploy.Deploy{Commit: "bench"}); err != nil {
			log.Fatal(err)
		}
		if err := lease.Close(ctx); err != nil {
			log.Fatal(err)
		}
		return r, p
	}
	// The first sync fills the bucket and leaves a manifest and a check.
	sync(b, genFiles(*n, html, 0), deploy.DefaultCheckEvery)
	b.puts.Store(0)
	b.keys()

	runtime.GC()
	debug.FreeOSMemory()
	base, baseLive := heapObjects(), heapLive()
	baseRSS := procStatus("VmRSS")
	cases := []struct {
		name    string
		every   int
		changed int
		// empty syncs to a bucket of its own, empty: a first upload.
		empty bool
	}{
		{"no-op, a part listed", deploy.DefaultCheckEvery, 0, false},
		{"no-op, every key listed (--verify)", 0, 0, false},
		{"1 % of the pages changed", deploy.DefaultCheckEvery, *n / 100, false},
		{"first upload of every page", deploy.DefaultCheckEvery, 0, true},
	}
	for _, c := range cases {
		runtime.GC()
		debug.FreeOSMemory()
		resetHWM()
		var peak, peakLive atomic.Uint64
		stop, stopped := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(stopped)
			t := time.NewTicker(time.Millisecond)
			defer t.Stop()
			for {
				if h := heapObjects(); h > peak.Load() {
					peak.Store(h)
				}
				if h := heapLive(); h > peakLive.Load() {
					peakLive.Store(h)
				}
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		}()
		start := time.Now()
		files := genFiles(*n, html, c.changed)
		cb := b
		if c.empty {
			cb = &memBucket{objects: map[string]memObject{}, dir: filepath.Join(dir, "empty"), discard: true}
			if err := os.Mkdir(cb.dir, 0o700); err != nil {
				log.Fatal(err)
			}
		}
		r, p := sync(cb, files, c.every)
		took := time.Since(start)
		close(stop)
		<-stopped
		runtime.GC()
		left := heapObjects()
		out, _ := json.Marshal(map[string]any{
			"case":            c.name,
			"objects":         *n,
			"listed":          r.Listed,
			"uploads":         len(p.Uploads),
			"seconds":         took.Seconds(),
			"peak_heap_mb":    mb(peak.Load() - base),
			"peak_live_mb":    mb(peakLive.Load() - baseLive),
			"heap_after_mb":   mb(left - base),
			"peak_rss_mb":     mb(procStatus("VmHWM") - baseRSS),
			"bucket_heap_mb":  mb(base),
			"bucket_puts":     cb.puts.Swap(0),
			"keep_alive_plan": p.Unchanged > 0 || len(files) == 0,
		})
		fmt.Println(string(out))
	}
}

// genFiles returns n tracking pages as deploy.Files makes them; the first
// changed of them have other bytes than the ones the first sync published.
func genFiles(n int, h generator.Headers, changed int) []deploy.File {
	files := make([]deploy.File, n)
	for i := range files {
		sum := sha256.Sum256([]byte(strconv.Itoa(i)))
		tok := hex.EncodeToString(sum[:13])
		if i < changed {
			sum[31] ^= 1
		}
		// No bytes: the bucket keeps none, and a size of 0 is what it lists.
		files[i] = deploy.File{Path: "track/" + tok + "/index.html", Headers: h, Hash: sum}
	}
	slices.SortFunc(files, func(a, b deploy.File) int { return strings.Compare(a.Path, b.Path) })
	return files
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }

// heapLive is the heap the last collection found live, garbage left out.
func heapLive() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func heapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// procStatus returns a size of /proc/self/status in bytes.
func procStatus(field string) uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		log.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				log.Fatal(err)
			}
			return kb << 10
		}
	}
	log.Fatalf("no %s in /proc/self/status", field)
	return 0
}

// resetHWM starts VmHWM over from the RSS now.
func resetHWM() {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		log.Fatal(err)
	}
}

// memBucket is a deploy.Bucket in memory. It keeps the bytes of qdn's own
// objects only, and of the others what a listing returns.
type memBucket struct {
	mu      sync.Mutex
	objects map[string]memObject
	sorted  []string // the keys, sorted; nil after a change
	seq     int      // makes each write's ETag new
	// dir holds the bytes of qdn's own objects, out of the process's
	// memory as a real bucket's are.
	dir  string
	puts atomic.Int64
	// discard keeps nothing of the objects other than qdn's own, so that
	// a first upload of a million adds nothing to the heap measured.
	discard bool
}

type memObject struct {
	size int64
	etag string
}

// file is where the bytes of qdn's object at key are kept.
func (b *memBucket) file(key string) string {
	return filepath.Join(b.dir, url.PathEscape(key))
}

func (b *memBucket) keys() []string {
	if b.sorted == nil {
		// With room for qdn's state objects, which come and go.
		b.sorted = make([]string, 0, len(b.objects)+8)
		for k := range b.objects {
			b.sorted = append(b.sorted, k)
		}
		slices.Sort(b.sorted)
	}
	return b.sorted
}

func (b *memBucket) List(ctx context.Context, prefix, after, through string) ([]deploy.Object, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	keys := b.keys()
	i, _ := slices.BinarySearch(keys, max(prefix, after))
	if i < len(keys) && keys[i] == after {
		i++
	}
	end := i
	for end < len(keys) && strings.HasPrefix(keys[end], prefix) && (through == "" || keys[end] <= through) {
		end++
	}
	// The listing is allocated at its size: what a bucket allocates to
	// answer is not the sync's.
	out := make([]deploy.Object, 0, end-i)
	for _, k := range keys[i:end] {
		o := b.objects[k]
		// A listing returns new strings, as the SDK parses them.
		out = append(out, deploy.Object{Key: strings.Clone(k), Size: o.size, ETag: strings.Clone(o.etag)})
	}
	return out, nil
}

func (b *memBucket) Get(ctx context.Context, key string) ([]byte, error) {
	body, _, err := b.Read(ctx, key)
	return body, err
}

// Open implements deploy.Opener: the bytes are read from the bucket's
// own, as a real one sends them over the network, not copied.
func (b *memBucket) Open(ctx context.Context, key string) (io.ReadCloser, int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, ok := b.objects[key]
	if !ok {
		return nil, 0, deploy.ErrNotFound
	}
	f, err := os.Open(b.file(key))
	return f, o.size, err
}

func (b *memBucket) Put(ctx context.Context, key string, body []byte, h generator.Headers) (string, error) {
	b.puts.Add(1)
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.put(key, body), nil
}

// PutFrom implements deploy.Streamer: the manifest is written to its file
// as it is read, as S3 receives it.
func (b *memBucket) PutFrom(ctx context.Context, key string, body io.ReadSeeker, size int64, h generator.Headers) (string, error) {
	b.puts.Add(1)
	b.mu.Lock()
	defer b.mu.Unlock()
	f, err := os.Create(b.file(key))
	if err != nil {
		return "", err
	}
	defer f.Close()
	b.seq++
	sum := sha256.New()
	sum.Write([]byte(key + strconv.Itoa(b.seq)))
	n, err := io.Copy(io.MultiWriter(f, sum), body)
	if err != nil {
		return "", err
	}
	etag := hex.EncodeToString(sum.Sum(nil)[:16])
	b.record(key, n, etag)
	return etag, nil
}

func (b *memBucket) put(key string, body []byte) string {
	b.seq++
	h := sha256.New()
	h.Write([]byte(key + strconv.Itoa(b.seq)))
	h.Write(body)
	etag := hex.EncodeToString(h.Sum(nil)[:16])
	if b.discard && !strings.Contains(key, deploy.StateDir) {
		return etag
	}
	if strings.Contains(key, deploy.StateDir) {
		// The sync reads back only its own objects.
		if err := os.WriteFile(b.file(key), body, 0o600); err != nil {
			log.Fatal(err)
		}
	}
	b.record(key, int64(len(body)), etag)
	return etag
}

// record records the object at key.
func (b *memBucket) record(key string, size int64, etag string) {
	if _, ok := b.objects[key]; !ok {
		if i, _ := slices.BinarySearch(b.sorted, key); b.sorted != nil && strings.Contains(key, deploy.StateDir) {
			// The lock comes and goes in every sync: the keys are not
			// sorted again (16 MB at a million) for it.
			b.sorted = slices.Insert(b.sorted, i, key)
		} else {
			b.sorted = nil
		}
	}
	b.objects[key] = memObject{size: size, etag: etag}
}

func (b *memBucket) Delete(ctx context.Context, keys []string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, k := range keys {
		b.remove(k)
	}
	return nil
}

// remove removes the object at key, keeping the sorted keys.
func (b *memBucket) remove(key string) {
	if _, ok := b.objects[key]; !ok {
		return
	}
	delete(b.objects, key)
	os.Remove(b.file(key))
	if i, ok := slices.BinarySearch(b.sorted, key); ok {
		b.sorted = slices.Delete(b.sorted, i, i+1)
	}
}

func (b *memBucket) Create(ctx context.Context, key string, body []byte) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.objects[key]; ok {
		return "", deploy.ErrExists
	}
	return b.put(key, body), nil
}

func (b *memBucket) Read(ctx context.Context, key string) ([]byte, string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, ok := b.objects[key]
	if !ok {
		return nil, "", deploy.ErrNotFound
	}
	body, err := os.ReadFile(b.file(key))
	return body, o.etag, err
}

func (b *memBucket) Replace(ctx context.Context, key string, body []byte, etag string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	o, ok := b.objects[key]
	if !ok {
		return "", deploy.ErrNotFound
	}
	if o.etag != etag {
		return "", deploy.ErrChanged
	}
	return b.put(key, body), nil
}

func (b *memBucket) DeleteIf(ctx context.Context, key, etag string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if o, ok := b.objects[key]; ok && o.etag != etag {
		return deploy.ErrChanged
	}
	b.remove(key)
	return nil
}
