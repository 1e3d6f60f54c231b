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
	resident := func() int {
		vec := make([]byte, pages)
		_, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0])))
		if errno != 0 {
			t.Fatal(errno)
		}
		n := 0
		for _, v := range vec {
			n += int(v & 1)
		}
		return n
	}
	if n := resident(); n != 0 {
		t.Fatalf("%d of %d pages of a new mapping in memory before prefault; want none", n, pages)
	}
	probe, err := unix.Mmap(-1, 0, unix.Getpagesize(), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(probe)
	if err := unix.Madvise(probe, unix.MADV_POPULATE_WRITE); err == unix.EINVAL {
		// Before Linux 5.14 prefault does nothing, by design.
		var u unix.Utsname
		unix.Uname(&u)
		t.Skipf("the kernel (%s) does not know MADV_POPULATE_WRITE", unix.ByteSliceToString(u.Release[:]))
	}
	prefault(m[:0])
	if n := resident(); n != pages {
		t.Errorf("%d of %d pages of a slab in memory after prefault; want all", n, pages)
	}
}
