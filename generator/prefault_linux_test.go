package generator

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestPrefault maps memory fresh from the system, as a slab's is, and
// prefaults it: every page must then be in memory, none left to fault in
// when it is written. mincore reads that without writing, which under the
// race detector would fault in its own shadow memory.
func TestPrefault(t *testing.T) {
	m, err := unix.Mmap(-1, 0, slabSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	pages := len(m) / unix.Getpagesize()
	if n := residentPages(t, unsafe.Pointer(&m[0]), uintptr(len(m))); n != 0 {
		t.Fatalf("%d of %d pages of a new mapping in memory before prefault; want none", n, pages)
	}
	needPopulateWrite(t)
	prefault(m[:0])
	if n := residentPages(t, unsafe.Pointer(&m[0]), uintptr(len(m))); n != pages {
		t.Errorf("%d of %d pages of a slab in memory after prefault; want all", n, pages)
	}
}

// needPopulateWrite skips the test, saying why, on a kernel before Linux
// 5.14, which does not know MADV_POPULATE_WRITE: there prefault does
// nothing, by design.
func needPopulateWrite(t *testing.T) {
	t.Helper()
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
}

// residentPages is how many pages of the size bytes from start, which
// begins a page, are in memory (mincore).
func residentPages(t *testing.T, start unsafe.Pointer, size uintptr) int {
	t.Helper()
	page := uintptr(unix.Getpagesize())
	vec := make([]byte, (size+page-1)/page)
	_, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(start), size, uintptr(unsafe.Pointer(&vec[0])))
	if errno != 0 {
		t.Fatal(errno)
	}
	n := 0
	for _, v := range vec {
		n += int(v & 1)
	}
	return n
}
