//go:build unix && !(linux && (amd64 || arm64)) && !qdnportable

package generator

import "golang.org/x/sys/unix"

// fstatat stats the file dir/name (name alone when dir is "") relative to
// the directory fd.
func fstatat(fd int, dir, name string, st *unix.Stat_t, flags int) error {
	return unix.Fstatat(fd, joinSlash(dir, name), st, flags)
}
