package generator

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
)

// leanSite makes a site of jobs whose tokens and private values are n
// patterns in all, none shared: a token, a phone number, an address and a
// note a job.
func leanSite(n int) *Site {
	r := rand.New(rand.NewPCG(1, 2))
	const alpha = "abcdefghijklmnopqrstuvwxyz234567"
	s := &Site{}
	for i := 0; i < n/4; i++ {
		tok := make([]byte, 26)
		for k := range tok {
			tok[k] = alpha[r.IntN(len(alpha))]
		}
		s.Jobs = append(s.Jobs, &Job{Token: string(tok), Private: []PrivateField{
			{Key: "phone", Value: fmt.Sprintf("+1 %03d %03d %04d", 200+r.IntN(800), r.IntN(1000), r.IntN(10000))},
			{Key: "address", Value: fmt.Sprintf("%d %s St", r.IntN(100000), tok[:8])},
			{Key: "notes", Value: fmt.Sprintf("Gate code %d, dog %s", r.IntN(1000000), tok[8:16])},
		}})
	}
	return s
}

// BenchmarkLeakIndexBytes reports what the privacy check's index holds per
// token or private value (B/pattern, the live heap it adds) and what making
// it allocates (alloc-B/pattern), at 10,000 and 100,000 of them.
func BenchmarkLeakIndexBytes(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			s := leanSite(n)
			var live, alloc float64
			pats := 0
			for i := 0; i < b.N; i++ {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				x := newLeakIndex(s, nil)
				runtime.ReadMemStats(&after)
				alloc += float64(after.TotalAlloc - before.TotalAlloc)
				runtime.GC()
				runtime.ReadMemStats(&after)
				live += float64(after.HeapAlloc) - float64(before.HeapAlloc)
				pats = indexLen(x)
				runtime.KeepAlive(x)
			}
			if pats != n {
				b.Fatalf("index of %d patterns, want %d", pats, n)
			}
			b.ReportMetric(live/float64(b.N)/float64(pats), "B/pattern")
			b.ReportMetric(alloc/float64(b.N)/float64(pats), "alloc-B/pattern")
		})
	}
}
