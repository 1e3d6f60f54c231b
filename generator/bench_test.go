package generator_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/quickdumpnow/qdn/generator"
	"github.com/quickdumpnow/qdn/internal/sitegen"
)

var benchNow = func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }

func benchSite(b *testing.B, n int) string {
	b.Helper()
	dir := b.TempDir()
	if err := sitegen.Write("..", dir, n); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkLoad10k measures reading and validating 10,000 jobs.
func BenchmarkLoad10k(b *testing.B) {
	dir := benchSite(b, 10000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := generator.Load(b.Context(), dir, generator.Options{Now: benchNow}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRender10k measures rendering 10,000 tracking pages in memory.
func BenchmarkRender10k(b *testing.B) {
	dir := benchSite(b, 10000)
	s, err := generator.Load(b.Context(), dir, generator.Options{Now: benchNow})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := generator.Render(b.Context(), s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuildClean10k measures a build of 10,000 jobs into an empty
// public/, with and without the privacy check. Besides the wall time it
// reports the CPU time of a build (cpu-ms/op), all cores together: on a
// machine shared with other work that is the steadier figure, and the
// difference between check and nocheck is what the check costs.
func BenchmarkBuildClean10k(b *testing.B) {
	dir := benchSite(b, 10000)
	for _, check := range []bool{true, false} {
		name := "check"
		if !check {
			name = "nocheck"
		}
		b.Run(name, func(b *testing.B) {
			generator.SetPrivacyCheck(check)
			defer generator.SetPrivacyCheck(true)
			var cpu int64
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				os.RemoveAll(filepath.Join(dir, "public"))
				c := cpuTime()
				b.StartTimer()
				if _, err := generator.Build(b.Context(), dir, generator.Options{Now: benchNow}); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				cpu += cpuTime() - c
				b.StartTimer()
			}
			if cpuTime() >= 0 {
				b.ReportMetric(float64(cpu)/1e6/float64(b.N), "cpu-ms/op")
			}
		})
	}
}

// BenchmarkPrivacyCheck10k measures the privacy check alone: every output
// of 10,000 jobs searched for every token and private value.
func BenchmarkPrivacyCheck10k(b *testing.B) {
	dir := benchSite(b, 10000)
	s, err := generator.Load(b.Context(), dir, generator.Options{Now: benchNow})
	if err != nil {
		b.Fatal(err)
	}
	out, err := generator.Render(b.Context(), s)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, f := range outFiles(b, out) {
		n += len(f)
	}
	b.SetBytes(int64(n))
	b.ResetTimer()
	c := cpuTime()
	for i := 0; i < b.N; i++ {
		if err := generator.CheckPrivacy(s, out); err != nil {
			b.Fatal(err)
		}
	}
	if c >= 0 {
		b.ReportMetric(float64(cpuTime()-c)/1e6/float64(b.N), "cpu-ms/op")
	}
}

// BenchmarkBuildNoop10k measures a rebuild when nothing changed. The
// rebuild right after a clean build reads back every page that build
// wrote (their stamps are too new to trust); it is not timed.
func BenchmarkBuildNoop10k(b *testing.B) {
	dir := benchSite(b, 10000)
	opt := generator.Options{Now: benchNow, CacheDir: b.TempDir()}
	if _, err := generator.Build(b.Context(), dir, opt); err != nil {
		b.Fatal(err)
	}
	waitRacy()
	if _, err := generator.Build(b.Context(), dir, opt); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	// CPU time too: on a shared machine the wall time follows the load.
	c := cpuTime()
	for i := 0; i < b.N; i++ {
		res, err := generator.Build(b.Context(), dir, opt)
		if err != nil {
			b.Fatal(err)
		}
		if n := res.Changes.Len(); n != 0 {
			b.Fatalf("no-op build changed %d files", n)
		}
	}
	if c >= 0 {
		b.ReportMetric(float64(cpuTime()-c)/1e6/float64(b.N), "cpu-ms/op")
	}
}

// BenchmarkBuildFirst10k measures the rebuild right after a clean build,
// nothing changed: it trusts the stamps of the pages the clean build wrote
// but those of its last clock tick, and should cost little more than
// BenchmarkBuildNoop10k.
func BenchmarkBuildFirst10k(b *testing.B) {
	dir := benchSite(b, 10000)
	cache := b.TempDir()
	opt := generator.Options{Now: benchNow, CacheDir: cache}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		os.RemoveAll(filepath.Join(dir, "public"))
		os.RemoveAll(cache)
		if _, err := generator.Build(b.Context(), dir, opt); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := generator.Build(b.Context(), dir, opt)
		if err != nil {
			b.Fatal(err)
		}
		if n := res.Changes.Len(); n != 0 {
			b.Fatalf("first rebuild changed %d files", n)
		}
	}
}

// BenchmarkBuildOneJob10k measures a rebuild after one job file changed: it
// must rewrite exactly one file.
func BenchmarkBuildOneJob10k(b *testing.B) {
	dir := benchSite(b, 10000)
	opt := generator.Options{Now: benchNow, CacheDir: b.TempDir()}
	if _, err := generator.Build(b.Context(), dir, opt); err != nil {
		b.Fatal(err)
	}
	waitRacy()
	if _, err := generator.Build(b.Context(), dir, opt); err != nil {
		b.Fatal(err)
	}
	file := filepath.Join(dir, "jobs", sitegen.ID(7)+".yaml")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if err := os.WriteFile(file, sitegen.Job(7, i+1), 0o644); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := generator.Build(b.Context(), dir, opt)
		if err != nil {
			b.Fatal(err)
		}
		if n := res.Changes.Len(); n != 1 {
			b.Fatalf("one-job build changed %d files: %v", n, res.Changes.All())
		}
	}
}

// waitRacy waits until files written so far are older than the build
// cache's racy window (a clock tick, or two seconds on a file system that
// keeps whole seconds), as they are for any build not run within two
// seconds of the one before; builds before the racy rule of the clock's
// tick needed the whole wait.
func waitRacy() { time.Sleep(2100 * time.Millisecond) }

// BenchmarkBuilderOneJob10k measures what qdn serve does when one job file
// of 10,000 changes: parse it, check the whole set, render its page.
func BenchmarkBuilderOneJob10k(b *testing.B) {
	dir := benchSite(b, 10000)
	bl := generator.NewBuilder(dir, generator.Options{Now: benchNow})
	if _, err := bl.Rebuild(b.Context(), nil); err != nil {
		b.Fatal(err)
	}
	rel := "jobs/" + sitegen.ID(7) + ".yaml"
	file := filepath.Join(dir, filepath.FromSlash(rel))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		if err := os.WriteFile(file, sitegen.Job(7, i+1), 0o644); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := bl.Rebuild(b.Context(), []string{rel})
		if err != nil {
			b.Fatal(err)
		}
		if n := res.Changes.Len(); n != 1 {
			b.Fatalf("rebuild changed %d files", n)
		}
	}
}
