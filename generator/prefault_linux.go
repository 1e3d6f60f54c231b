package generator

import "golang.org/x/sys/unix"

// prefault maps in the memory of b, fresh from the system, in one call,
// where writing to it would fault once per page: on a virtual machine
// whose faults are dear (the clean build of 10,000 jobs faults in 70 MB
// of pages) that is most of what the memory costs. b starts on a page, as
// a slab does; a kernel before Linux 5.14, which does not know the call,
// leaves it to the faults.
func prefault(b []byte) {
	_ = unix.Madvise(b[:cap(b)], unix.MADV_POPULATE_WRITE)
}
