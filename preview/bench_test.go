package preview

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quickdumpnow/qdn/generator"
)

// benchSite is the example site with n more jobs, spread over the statuses.
func benchSite(tb testing.TB, n int) string {
	tb.Helper()
	dir := exampleSite(tb)
	for i := range n {
		if err := os.WriteFile(filepath.Join(dir, benchJobFile(i)), benchJob(i, "booked"), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

func benchJobFile(i int) string { return filepath.Join("jobs", fmt.Sprintf("JOB-BENCH-%05d.yaml", i)) }

func benchToken(i int) string {
	sum := sha256.Sum256([]byte(fmt.Sprint("bench", i)))
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:16]))
}

func benchJob(i int, status string) []byte {
	history := "  - {status: booked, at: 2026-11-20T09:00:00-07:00}\n"
	if status != "booked" {
		history += "  - {status: " + status + ", at: 2026-11-21T10:00:00-07:00}\n"
	}
	return []byte(fmt.Sprintf(`id: JOB-BENCH-%05d
token: %s
customer:
  name: Customer %d
address: %d W Main St, Boise, ID
service: trailer-dump
price: {amount: "600.00", note: all-inclusive}
scheduled: {date: 2026-11-24, window: "8–10 am"}
crew: Sergio
status: %s
history:
%sprivate:
  phone: "+1 208 555 %04d"
`, i, benchToken(i), i, 100+i, status, history, i%10000))
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func percentile(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[int(float64(len(s)-1)*p)]
}

const benchJobs = 10000

// BenchmarkRebuildOneJob measures generator.Builder.Rebuild after one job
// file of a 10,000-job site changed, as qdn serve calls it.
func BenchmarkRebuildOneJob(b *testing.B) {
	dir := benchSite(b, benchJobs)
	bl := generator.NewBuilder(dir, generator.Options{Now: func() time.Time { return testNow }})
	if _, err := bl.Rebuild(b.Context(), nil); err != nil {
		b.Fatal(err)
	}
	var took []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Each round moves another job forward, so each one is a change.
		file := benchJobFile(i % benchJobs)
		if err := os.WriteFile(filepath.Join(dir, file), benchJob(i%benchJobs, "ready_for_pickup"), 0o644); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		res, err := bl.Rebuild(b.Context(), []string{filepath.ToSlash(file)})
		took = append(took, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		if res.Changes.Len() != 1 {
			b.Fatalf("rebuild changed %d outputs; want 1: %v", res.Changes.Len(), res.Changes.All())
		}
	}
	b.ReportMetric(float64(median(took).Microseconds())/1000, "ms-median")
	b.ReportMetric(float64(percentile(took, 0.9).Microseconds())/1000, "ms-p90")
}

// BenchmarkReloadLatency measures the time from writing one job file to
// the reload event reaching a page that shows the job, on a 10,000-job site
// and on the example site alone (where the rebuild is cheap and the time is
// mostly the preview's), and reports the memory the preview holds.
func BenchmarkReloadLatency(b *testing.B) {
	b.Run("site=10000-jobs", func(b *testing.B) { benchmarkReload(b, benchJobs) })
	b.Run("site=example", func(b *testing.B) { benchmarkReload(b, 0) })
}

func benchmarkReload(b *testing.B, jobs int) {
	dir := benchSite(b, jobs)
	ts := startServer(b, dir)

	n := 0
	page := "/track/" + benchToken(n) + "/"
	s := openStream(b, ts.URL(), page, "")
	// The stale version makes the stream say "reload" once at connect.
	s.expect(b, "ok")
	s.expect(b, "reload")
	var took, overhead []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		status := []string{"ready_for_pickup", "in_progress", "completed"}[i%3]
		if i%3 == 0 && i > 0 {
			// completed is final: move on to the next job and its page.
			s.cancel()
			n++
			page = "/track/" + benchToken(n) + "/"
			s = openStream(b, ts.URL(), page, servedVersion(b, ts.URL(), page))
			s.expect(b, "ok")
		}
		start := time.Now()
		if err := os.WriteFile(filepath.Join(dir, benchJobFile(n)), benchJob(n, status), 0o644); err != nil {
			b.Fatal(err)
		}
		// A rebuild that reads the whole site takes seconds at this size.
		s.expectWithin(b, "reload", time.Minute)
		took = append(took, time.Since(start))
		// What the preview adds to generator.Builder.Rebuild: noticing the
		// change, batching, and telling the page.
		r := <-ts.rebuilds
		overhead = append(overhead, took[len(took)-1]-r.took)
	}
	b.StopTimer()
	b.ReportMetric(float64(median(took).Microseconds())/1000, "ms-median")
	b.ReportMetric(float64(percentile(took, 0.9).Microseconds())/1000, "ms-p90")
	b.ReportMetric(float64(median(overhead).Microseconds())/1000, "ms-preview-median")
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "MB-heap-in-use")
	b.ReportMetric(float64(peakRSS())/(1<<20), "MB-peak-rss")
}

// peakRSS is the peak resident memory of this process, from Linux's
// /proc/self/status (0 elsewhere).
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb)
			return kb << 10
		}
	}
	return 0
}
