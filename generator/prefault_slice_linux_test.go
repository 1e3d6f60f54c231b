package generator

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestMakeMapped: a slice as long as a large site's jobs comes back zero and
// with every page in memory, none left to fault in as it is filled.
func TestMakeMapped(t *testing.T) {
	needPopulateWrite(t)
	// More than the heap of the test holds: new memory from the system.
	s := makeMapped[cacheEntry](200_000)
	size := uintptr(len(s)) * unsafe.Sizeof(s[0])
	page := uintptr(unix.Getpagesize())
	start := unsafe.Pointer(&s[0])
	if uintptr(start)%page != 0 {
		t.Fatalf("makeMapped of %d bytes starts at %#x, inside a page", size, uintptr(start))
	}
	pages := int((size + page - 1) / page)
	if n := residentPages(t, start, size); n != pages {
		t.Errorf("%d of %d pages of makeMapped's slice in memory; want all", n, pages)
	}
	for i := range s {
		if s[i] != (cacheEntry{}) {
			t.Fatalf("makeMapped: element %d = %v; want zero", i, s[i])
		}
	}
}
