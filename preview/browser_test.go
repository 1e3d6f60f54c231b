package preview

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/quickdumpnow/qdn/internal/testenv"
)

// axeSource returns axe-core, which scripts/test.sh installs from npm
// (tools/axe); QDN_AXE names another copy of axe.min.js.
func axeSource(t *testing.T) string {
	t.Helper()
	p := os.Getenv("QDN_AXE")
	if p == "" {
		p = filepath.Join("..", "tools", "axe", "node_modules", "axe-core", "axe.min.js")
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("axe-core: %v (run `npm ci --prefix tools/axe`, as scripts/test.sh does)", err)
	}
	return string(b)
}

// browser starts the headless Chromium of the machine and collects every
// console error, uncaught exception and browser log error of its pages.
type browser struct {
	ctx context.Context

	mu       sync.Mutex
	problems []string
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	// Hidden scrollbars take no width, so a full-page screenshot is as wide
	// as the layout it shows.
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(testenv.Chromium(t)), chromedp.WindowSize(1280, 900), chromedp.Flag("hide-scrollbars", true)}
	for _, f := range testenv.ChromiumFlags {
		name, value, ok := strings.Cut(strings.TrimPrefix(f, "--"), "=")
		if ok {
			opts = append(opts, chromedp.Flag(name, value))
		} else {
			opts = append(opts, chromedp.Flag(name, true))
		}
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	b := &browser{ctx: ctx}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			switch {
			case m.IsException(), m.Type == chromedp.ConsoleError:
				b.mu.Lock()
				b.problems = append(b.problems, m.String()+" ("+m.URL+")")
				b.mu.Unlock()
			case m.Type == chromedp.ConsoleWarning:
				t.Logf("console warning: %s", m.String())
			}
		}
	}()
	return b
}

// run runs browser actions with a time limit.
func (b *browser) run(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func eval[T any](t *testing.T, b *browser, js string, opts ...chromedp.EvaluateOption) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, opts...))
	if err != nil {
		t.Fatalf("evaluate %.60s: %v", js, err)
	}
	return v
}

// waitFor evaluates a condition until it holds, across the reloads it is
// waiting for.
func (b *browser) waitFor(t *testing.T, cond string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](cond))
		cancel()
		if err == nil && ok {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s did not hold within 5s", cond)
}

// noConsoleErrors fails the test for every console problem since the last
// call, except those allowed.
func (b *browser) noConsoleErrors(t *testing.T, page string, allowed ...string) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
next:
	for _, p := range b.problems {
		for _, a := range allowed {
			if strings.Contains(p, a) {
				continue next
			}
		}
		t.Errorf("%s: console: %s", page, p)
	}
	b.problems = nil
}

// open navigates to a page of the preview and waits until its reload script
// follows the event stream.
func (b *browser) open(t *testing.T, ts *testServer, page string) {
	t.Helper()
	b.run(t, chromedp.Navigate(strings.TrimSuffix(ts.URL(), "/")+page))
	ts.waitClient(t, ts.keyOf(page))
}

// waitClient waits until a page showing key follows the event stream.
func (ts *testServer) waitClient(t *testing.T, key string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		ts.mu.Lock()
		for c := range ts.clients {
			if c.key == key {
				ts.mu.Unlock()
				return
			}
		}
		ts.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no page showing %s connected to the event stream within 5s", key)
}

func (b *browser) screenshot(t *testing.T, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(testenv.ArtifactDir(t), name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// axe runs axe-core on the page and fails for every serious or critical
// violation.
func (b *browser) axe(t *testing.T, source, page string) {
	t.Helper()
	eval[chromedp.Void](t, b, source)
	type result struct {
		Passes     int
		Violations []string
	}
	got := eval[result](t, b, `axe.run(document).then(r => ({
		Passes: r.passes.length,
		Violations: r.violations
			.filter(v => v.impact === 'serious' || v.impact === 'critical')
			.map(v => v.id + ' (' + v.impact + '): ' + v.help + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')),
	}))`, chromedp.EvalAwaitPromise)
	if got.Passes < 10 {
		t.Errorf("%s: axe checked only %d rules; did it run?", page, got.Passes)
	}
	for _, v := range got.Violations {
		t.Errorf("%s: axe: %s", page, v)
	}
}

// TestBrowser drives a real headless Chromium against the preview: pages
// reload by themselves when their job changes, build errors show in an
// overlay that goes away when fixed, no page logs a console error, and
// axe-core finds no serious or critical accessibility problem.
func TestBrowser(t *testing.T) {
	axeJS := axeSource(t)
	dir := exampleSite(t)
	ts := startServer(t, dir)
	b := newBrowser(t)
	markURL := "/track/" + markToken + "/"
	markFile := filepath.Join(dir, "jobs", "JOB-20261121-001.yaml")
	mark := readFile(t, markFile)
	top := t // restarted servers live as long as the whole test

	t.Run("every page type and status at 390 and 1280 px", func(t *testing.T) {
		pages := []struct{ name, path string }{
			{"home", "/"},
			{"book", "/book/"},
			{"service-trailer-dump", "/book/trailer-dump/"},
			{"service-junk-removal", "/book/junk-removal/"},
			{"page-about", "/about/"},
			{"404", "/404.html"},
			{"track-booked", "/track/g35dkbjc7bpdaqtnqwiivfozku/"},
			{"track-booked-no-service", "/track/3f1c9a7be40d52e86a1c0f9d3b7e2a64/"},
			{"track-ready_for_pickup", "/track/amjmobezssjp5pia4iukcejbpm/"},
			{"track-in_progress", "/track/gnpwtovg6kxp6tjqvyyyw65dly/"},
			{"track-completed", "/track/4rfjvuwrl7eyrv2gvjfkkbneqe/"},
			{"track-cancelled", "/track/6oyy7utby5zefaz5v23nysof2i/"},
			{"dashboard", "/_qdn/"},
		}
		for _, width := range []int64{390, 1280} {
			if width == 390 {
				b.run(t, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
			} else {
				b.run(t, chromedp.EmulateViewport(1280, 900))
			}
			colors := map[string]string{}
			for _, p := range pages {
				page := fmt.Sprintf("%s at %d px", p.path, width)
				b.open(t, ts, p.path)
				b.screenshot(t, fmt.Sprintf("%d-%s.png", width, p.name))
				b.axe(t, axeJS, page)
				// Nothing is wider than the screen: no sideways scrolling.
				if w := eval[int64](t, b, `document.documentElement.scrollWidth`); w > width {
					t.Errorf("%s is %d px wide", page, w)
				}
				if p.name == "dashboard" {
					// Every field of a job is on screen, not in a table
					// scrolled sideways.
					out := eval[[]string](t, b, `[...document.querySelectorAll('tbody tr:first-child > *')]
						.filter(c => c.textContent.trim() !== '' && c.getBoundingClientRect().right > innerWidth + 1)
						.map(c => c.textContent.trim().slice(0, 30))`)
					if len(out) > 0 {
						t.Errorf("%s: fields of the first job end past the screen's edge: %q", page, out)
					}
				}
				if strings.HasPrefix(p.name, "track-") {
					colors[eval[string](t, b, `getComputedStyle(document.querySelector('.status')).color`)] = p.name
				}
				if p.name == "404" {
					b.noConsoleErrors(t, page, "status of 404")
				} else {
					b.noConsoleErrors(t, page)
				}
			}
			// Each status has its own colour.
			if len(colors) != 5 {
				t.Errorf("the six tracking pages show %d colours of status: %v; want 5, one per status", len(colors), colors)
			}
		}
		// A completed job's last step has the done mark, not the current dot.
		b.open(t, ts, "/track/4rfjvuwrl7eyrv2gvjfkkbneqe/")
		if mark := eval[string](t, b, `getComputedStyle(document.querySelector('[aria-current=step]'), '::before').content`); !strings.Contains(mark, "\u2713") {
			t.Errorf("the last step of a completed job is marked %s; want a check mark", mark)
		}
		b.noConsoleErrors(t, "completed job")
	})

	t.Run("track page at a phone's width", func(t *testing.T) {
		b.run(t, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
		b.open(t, ts, markURL)
		b.screenshot(t, "track-phone.png")
		b.axe(t, axeJS, markURL)
		b.noConsoleErrors(t, markURL)
	})

	t.Run("reloads when its job changes", func(t *testing.T) {
		eval[chromedp.Void](t, b, `window.qdnBeforeReload = true`)
		if err := os.WriteFile(markFile, []byte(strings.Replace(mark, "status: ready_for_pickup", "status: in_progress", 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		b.waitFor(t, `window.qdnBeforeReload === undefined && document.querySelector('h1').textContent.includes('your job is in progress')`)
		if got := eval[string](t, b, `document.querySelector('[aria-current=step] .label').textContent`); got != "In progress" {
			t.Errorf("current step after reload = %q; want In progress", got)
		}
		b.noConsoleErrors(t, markURL)
	})

	t.Run("overlay shows a build error until it is fixed", func(t *testing.T) {
		ts.waitClient(t, ts.keyOf(markURL))
		broken := strings.Replace(mark, "status: ready_for_pickup", "status: complete", 1)
		if err := os.WriteFile(markFile, []byte(broken), 0o644); err != nil {
			t.Fatal(err)
		}
		b.run(t, chromedp.WaitVisible("#qdn-overlay"))
		text := eval[string](t, b, `document.getElementById('qdn-overlay').textContent`)
		for _, want := range []string{"jobs/JOB-20261121-001.yaml:11:9", `unknown status "complete"`, "1 error"} {
			if !strings.Contains(text, want) {
				t.Errorf("overlay says %q; want it to hold %q", text, want)
			}
		}
		// The last good build stays on screen under the overlay.
		if h1 := eval[string](t, b, `document.querySelector('h1').textContent`); !strings.Contains(h1, "in progress") {
			t.Errorf("page under the overlay shows %q", h1)
		}
		b.screenshot(t, "track-overlay.png")
		eval[chromedp.Void](t, b, `window.qdnBeforeReload = true`)
		fixed := strings.Replace(mark, "status: ready_for_pickup", "status: in_progress", 1)
		if err := os.WriteFile(markFile, []byte(fixed), 0o644); err != nil {
			t.Fatal(err)
		}
		b.run(t, chromedp.WaitNotPresent("#qdn-overlay"))
		// The fix rebuilt the page as it was: no reload was needed.
		time.Sleep(200 * time.Millisecond)
		if gone := eval[bool](t, b, `window.qdnBeforeReload === undefined`); gone {
			t.Errorf("the page reloaded although it did not change")
		}
		b.noConsoleErrors(t, markURL)
	})

	t.Run("reconnects after the server restarts", func(t *testing.T) {
		ts.waitClient(t, ts.keyOf(markURL))
		eval[chromedp.Void](t, b, `window.qdnBeforeReload = true`)
		start := time.Now()
		if err := ts.Close(); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("Close with a page connected took %s", d)
		}
		// The page changes while no server runs.
		done := strings.Replace(mark, "status: ready_for_pickup", "status: completed", 1) +
			"  - {status: completed, at: 2026-11-21T16:00:00-07:00}\n"
		done = strings.Replace(done, "private:\n  phone: \"+1 208 555 0142\"\n  notes: gate code 4411\n", "", 1)
		if err := os.WriteFile(markFile, []byte(done), 0o644); err != nil {
			t.Fatal(err)
		}
		ts = startServerAt(top, dir, strings.TrimSuffix(strings.TrimPrefix(ts.URL(), "http://"), "/"))
		b.waitFor(t, `window.qdnBeforeReload === undefined && document.querySelector('h1').textContent.includes('your job is completed')`)
		if !eval[bool](t, b, `document.querySelector('.receipt') !== null`) {
			t.Errorf("completed job shows no receipt")
		}
		// A page that did not change stays as it is across a restart.
		ts.waitClient(t, ts.keyOf(markURL))
		eval[chromedp.Void](t, b, `window.qdnBeforeReload = true`)
		if err := ts.Close(); err != nil {
			t.Fatal(err)
		}
		ts = startServerAt(top, dir, strings.TrimSuffix(strings.TrimPrefix(ts.URL(), "http://"), "/"))
		ts.waitClient(t, ts.keyOf(markURL))
		time.Sleep(200 * time.Millisecond)
		if eval[bool](t, b, `window.qdnBeforeReload === undefined`) {
			t.Errorf("the page reloaded after a restart although it did not change")
		}
		// While the server was down, the browser logged failed reconnects.
		b.noConsoleErrors(t, markURL, "ERR_CONNECTION_REFUSED")
	})

	b.run(t, chromedp.EmulateViewport(1280, 900))

	t.Run("book", func(t *testing.T) {
		b.open(t, ts, "/book/")
		b.screenshot(t, "book.png")
		b.axe(t, axeJS, "/book/")
		b.open(t, ts, "/book/trailer-dump/")
		b.axe(t, axeJS, "/book/trailer-dump/")
		b.noConsoleErrors(t, "/book/")
	})

	t.Run("dashboard", func(t *testing.T) {
		b.open(t, ts, "/_qdn/")
		// A status change shows up by itself.
		priya := filepath.Join(dir, "jobs", "JOB-20261122-001.yaml")
		src := readFile(t, priya)
		src = strings.Replace(src, "status: booked", "status: in_progress", 1) +
			"  - {status: in_progress, at: 2026-11-22T10:00:00-07:00}\n"
		src = strings.Replace(src, "private:\n  phone: \"+1 208 555 0177\"\n", "", 1) + "private:\n  phone: \"+1 208 555 0177\"\n"
		if err := os.WriteFile(priya, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		b.waitFor(t, `[...document.querySelectorAll('tbody tr')].some(r => r.textContent.includes('Priya Raman') && r.querySelector('.status').textContent === 'In progress')`)
		ts.waitClient(t, dashboardKey)
		b.screenshot(t, "dashboard.png")
		b.axe(t, axeJS, "/_qdn/")
		link := eval[string](t, b, `document.querySelector('button.copy').getAttribute('data-copy')`)
		if !strings.HasPrefix(link, "https://quickdumpnow.com/track/") {
			t.Errorf("first tracking link = %q; want an absolute link on the site's base URL", link)
		}
		b.run(t, chromedp.Click("button.copy"))
		b.waitFor(t, `document.getElementById('copied').textContent !== ''`)
		b.noConsoleErrors(t, "/_qdn/")

		// A job with mistakes is listed with them, and the overlay says so.
		good := readFile(t, priya)
		if err := os.WriteFile(priya, []byte(strings.Replace(good, `amount: "425.00"`, `amount: "four hundred"`, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		b.waitFor(t, `document.getElementById('problems') !== null && document.getElementById('qdn-overlay') !== null`)
		problems := eval[string](t, b, `document.getElementById('problems').textContent`)
		if !strings.Contains(problems, "jobs/JOB-20261122-001.yaml (JOB-20261122-001)") || !strings.Contains(problems, "price.amount") {
			t.Errorf("problems section says %q", problems)
		}
		eval[chromedp.Void](t, b, `document.querySelector('#qdn-overlay button').click()`)
		b.screenshot(t, "dashboard-errors.png")
		b.axe(t, axeJS, "/_qdn/ with errors")
		if err := os.WriteFile(priya, []byte(good), 0o644); err != nil {
			t.Fatal(err)
		}
		b.waitFor(t, `document.getElementById('problems') === null`)
		b.noConsoleErrors(t, "/_qdn/")
	})

	t.Run("every page without console errors", func(t *testing.T) {
		for _, p := range ts.snapshot().out.Paths() {
			if !strings.HasSuffix(p, ".html") {
				continue
			}
			page := "/" + strings.TrimSuffix(p, "index.html")
			b.open(t, ts, page)
			if p == "404.html" {
				// The document itself answers 404, which Chromium logs.
				b.noConsoleErrors(t, page, "status of 404")
				continue
			}
			b.noConsoleErrors(t, page)
		}
	})
}
