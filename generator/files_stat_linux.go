//go:build linux && (amd64 || arm64) && !qdnportable

package generator

import (
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// fstatat stats the file dir/name (name alone when dir is "") relative to
// the directory fd. A rebuild stats three files a job: the path is put
// together in a buffer on the stack, where unix.Fstatat would allocate a
// copy of it for every call.
func fstatat(fd int, dir, name string, st *unix.Stat_t, flags int) error {
	var buf [256]byte
	n := len(dir) + len(name)
	if dir != "" {
		n++
	}
	if n >= len(buf) || strings.IndexByte(dir, 0) >= 0 || strings.IndexByte(name, 0) >= 0 {
		return unix.Fstatat(fd, joinSlash(dir, name), st, flags)
	}
	i := copy(buf[:], dir)
	if dir != "" {
		buf[i] = '/'
		i++
	}
	copy(buf[i:], name)
	_, _, errno := syscall.Syscall6(unix.SYS_NEWFSTATAT, uintptr(fd), uintptr(unsafe.Pointer(&buf[0])),
		uintptr(unsafe.Pointer(st)), uintptr(flags), 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}
