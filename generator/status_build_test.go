package generator_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/quickdumpnow/qdn/generator"
)

// TestBuildNoWrite builds with NoWrite, with and without a cache: nothing
// is written to public/ or the cache, the output holds every page with the
// bytes a real build writes, and the ended jobs come with when they ended.
func TestBuildNoWrite(t *testing.T) {
	dir := copySite(t, exampleSite)
	cache := t.TempDir()
	dry, err := generator.Build(t.Context(), dir, generator.Options{Now: testNow, CacheDir: cache, NoWrite: true})
	if err != nil {
		t.Fatalf("Build(NoWrite): %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "public")); !os.IsNotExist(err) {
		t.Errorf("Build(NoWrite) left public/ behind (stat: %v)", err)
	}
	if entries, _ := os.ReadDir(cache); len(entries) != 0 {
		t.Errorf("Build(NoWrite) wrote the cache: %v", entries)
	}
	res, err := generator.Build(t.Context(), dir, generator.Options{Now: testNow, CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	// A second dry build reuses what the real build left in public/.
	again, err := generator.Build(t.Context(), dir, generator.Options{Now: testNow, CacheDir: cache, NoWrite: true})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := snapshot(t, filepath.Join(dir, "public"))
	for name, got := range map[string]*generator.Result{"first": dry, "after a build": again} {
		all, err := got.Output.All()
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != len(want) {
			t.Errorf("%s: Build(NoWrite) made %d files; a build writes %d", name, len(all), len(want))
		}
		for p, b := range want {
			if string(all[p]) != string(b) {
				t.Errorf("%s: Build(NoWrite) output %s differs from the written file", name, p)
			}
		}
		if len(got.Ended) != len(res.Ended) || len(got.Ended) == 0 {
			t.Fatalf("%s: Ended = %d jobs; a build lists %d, want more than 0", name, len(got.Ended), len(res.Ended))
		}
		for i, j := range got.Ended {
			if j.Token == "" || j.ID == "" || j.At.IsZero() {
				t.Errorf("%s: Ended holds %+v; want an id, a token and a time", name, j)
			}
			// The jobs a cached build took from the cache end when the
			// jobs the build that wrote it parsed did.
			if w := res.Ended[i]; j.ID != w.ID || j.Token != w.Token || !j.At.Equal(w.At) {
				t.Errorf("%s: Ended[%d] = %+v; a build lists %+v", name, i, j, w)
			}
		}
	}
}

// TestMonitorConfig reads the monitor: section, with its defaults, and
// refuses what is not a percentage with its line.
func TestMonitorConfig(t *testing.T) {
	dir := copySite(t, exampleSite)
	cfgFile := filepath.Join(dir, "qdn.yaml")
	src, err := os.ReadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := generator.LoadConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Monitor != generator.DefaultMonitor {
		t.Errorf("Monitor without a monitor: section = %+v; want %+v", cfg.Monitor, generator.DefaultMonitor)
	}
	write := func(s string) {
		if err := os.WriteFile(cfgFile, append(append([]byte{}, src...), s...), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("monitor:\n  cache_hit_rate: 85%\n  error_rate_5xx: 0.5\n  error_rate_4xx: 5%\n  compute_utilization: 60\n  function_errors: 3\n")
	if cfg, err = generator.LoadConfig(dir); err != nil {
		t.Fatal(err)
	}
	want := generator.MonitorConfig{CacheHitRate: 85, ErrorRate5xx: 0.5, ErrorRate4xx: 5, ComputeUtilization: 60, FunctionErrors: 3}
	if cfg.Monitor != want {
		t.Errorf("Monitor = %+v; want %+v", cfg.Monitor, want)
	}
	lines := strings.Count(string(src), "\n")
	for _, tc := range []struct{ yaml, want string }{
		{"monitor:\n  cache_hit_rate: lots\n", `qdn.yaml:%d:19: monitor.cache_hit_rate "lots" is not a percentage`},
		{"monitor:\n  error_rate_5xx: 120%\n", `qdn.yaml:%d:19: monitor.error_rate_5xx "120%%" is not a percentage`},
		{"monitor:\n  function_errors: 0.5\n", `qdn.yaml:%d:20: monitor.function_errors "0.5" is not a whole number`},
		{"monitor:\n  cache_hit: 90\n", `qdn.yaml:%d:3: unknown key "cache_hit" in monitor`},
	} {
		write(tc.yaml)
		_, err := generator.LoadConfig(dir)
		want := strings.Replace(tc.want, "%d", strconv.Itoa(lines+2), 1)
		want = strings.ReplaceAll(want, "%%", "%")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("LoadConfig with %q: %v; want %s", tc.yaml, err, want)
		}
		if err != nil && !strings.Contains(generator.Errors(err).Format(), "hint: ") {
			t.Errorf("LoadConfig with %q: no hint in %s", tc.yaml, generator.Errors(err).Format())
		}
	}
}
