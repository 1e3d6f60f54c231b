package generator_test

import (
	"os"
	"runtime"
	"strconv"
	"testing"

	"github.com/quickdumpnow/qdn/generator"
)

// BenchmarkHeldJobs reports the heap a build holds once it has read and
// validated every job of a generated site (live-B/job), and how long that
// takes: whole keeps every job as parsed, slim what a build of a large site
// keeps; read-again times reading and parsing the live jobs again, as the
// batches of a build that keeps them in part do. QDN_HELD_JOBS sets the number of jobs (default 100,000).
//
//	go test ./generator -run '^$' -bench HeldJobs -benchtime 1x
func BenchmarkHeldJobs(b *testing.B) {
	n := 100000
	if v := os.Getenv("QDN_HELD_JOBS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	dir := benchSite(b, n)
	for _, slim := range []bool{false, true} {
		name := "whole"
		if slim {
			name = "slim"
		}
		b.Run(name, func(b *testing.B) {
			var live uint64
			for i := 0; i < b.N; i++ {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				s, err := generator.LoadForBuild(b.Context(), dir, generator.Options{Now: benchNow}, slim)
				if err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				runtime.KeepAlive(s)
				live += after.HeapAlloc - before.HeapAlloc
			}
			b.ReportMetric(float64(live)/float64(b.N)/float64(n), "live-B/job")
		})
	}
	// What keeping them in part costs: reading and parsing the live jobs'
	// files again, as the batches render.
	b.Run("read-again", func(b *testing.B) {
		s, err := generator.LoadForBuild(b.Context(), dir, generator.Options{Now: benchNow}, true)
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		cpu := cpuTime()
		for i := 0; i < b.N; i++ {
			if err := generator.ReadJobsAgain(b.Context(), s); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(cpuTime()-cpu)/1e6/float64(b.N), "cpu-ms/op")
	})
}
