package generator

import (
	"runtime/debug"
	"testing"
)

// TestRaiseGC checks that rendering raises the GC percent to
// renderGCPercent, never lowers a higher one, and that the last of two
// renders at the same time restores the setting from before.
func TestRaiseGC(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	percent := func() int {
		p := debug.SetGCPercent(-1)
		debug.SetGCPercent(p)
		return p
	}

	a := raiseGC()
	b := raiseGC()
	if p := percent(); p != renderGCPercent {
		t.Errorf("while rendering, GC percent = %d, want %d", p, renderGCPercent)
	}
	a()
	if p := percent(); p != renderGCPercent {
		t.Errorf("while one render goes on, GC percent = %d, want %d", p, renderGCPercent)
	}
	b()
	if p := percent(); p != 100 {
		t.Errorf("after rendering, GC percent = %d, want 100", p)
	}

	debug.SetGCPercent(2 * renderGCPercent)
	restore := raiseGC()
	if p := percent(); p != 2*renderGCPercent {
		t.Errorf("rendering lowered GC percent %d to %d", 2*renderGCPercent, p)
	}
	restore()
	if p := percent(); p != 2*renderGCPercent {
		t.Errorf("after rendering, GC percent = %d, want %d", p, 2*renderGCPercent)
	}
}
