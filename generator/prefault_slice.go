package generator

import "unsafe"

// makeMapped returns a slice of n zero values, its memory mapped in at
// once (see prefault) when it is large enough to have pages of its own: a
// rebuild that changed nothing makes a few such slices as long as the site,
// and on a machine whose page faults are dear, faulting them in page by
// page costs more than filling them.
func makeMapped[T any](n int) []T {
	s := make([]T, n)
	var zero T
	if size := uintptr(n) * unsafe.Sizeof(zero); size >= mappedFrom {
		prefault(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), size))
	}
	return s
}

// mappedFrom is the least size makeMapped maps in at once: a Go object
// this large starts on a page of its own.
const mappedFrom = 64 << 10
