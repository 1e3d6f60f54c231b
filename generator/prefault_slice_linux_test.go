package generator

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestMakeMapped: a slice as long as a large site's jobs comes back zero and
// with every page in memory, none left to fault in as it is filled.
func TestMakeMapped(t *testing.T) {
	probe, err := unix.Mmap(-1, 0, unix.Getpagesize(), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(probe)
	if err := unix.Madvise(probe, unix.MADV_POPULATE_WRITE); err == unix.EINVAL {
		var u unix.Utsname
		unix.Uname(&u)
		t.Skipf("the kernel (%s) does not know MADV_POPULATE_WRITE", unix.ByteSliceToString(u.Release[:]))
	}
	// More than the heap of the test holds: new memory from the system.
	s := makeMapped[cacheEntry](200_000)
	size := uintptr(len(s)) * unsafe.Sizeof(s[0])
	page := uintptr(unix.Getpagesize())
	start := uintptr(unsafe.Pointer(&s[0]))
	if start%page != 0 {
		t.Fatalf("makeMapped of %d bytes starts at %#x, inside a page", size, start)
	}
	pages := (size + page - 1) / page
	vec := make([]byte, pages)
	_, _, errno := unix.Syscall(unix.SYS_MINCORE, start, size, uintptr(unsafe.Pointer(&vec[0])))
	if errno != 0 {
		t.Fatal(errno)
	}
	n := 0
	for _, v := range vec {
		n += int(v & 1)
	}
	if n != int(pages) {
		t.Errorf("%d of %d pages of makeMapped's slice in memory; want all", n, pages)
	}
	for i := range s {
		if s[i] != (cacheEntry{}) {
			t.Fatalf("makeMapped: element %d = %v; want zero", i, s[i])
		}
	}
}
