//go:build unix && !qdnportable

package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// A build writes tens of thousands of small files: these use the system
// calls directly, since os.OpenFile also registers every file with the
// runtime's poller, which more than doubles the calls for a file written
// once.

// Write replaces the file at path with data.
func Write(path string, data []byte, perm fs.FileMode, sync Sync) error {
	return WriteFunc(path, perm, sync, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteFunc replaces the file at path with what fill writes to w, without
// holding all of it in memory: w goes to the temporary file.
func WriteFunc(path string, perm fs.FileMode, sync Sync, fill func(w io.Writer) error) error {
	var fd int
	var tmp string
	for {
		tmp = tempName(path)
		var err error
		fd, err = openRetry(tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, uint32(perm.Perm()))
		if err == unix.EEXIST {
			continue
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", path, &fs.PathError{Op: "create", Path: tmp, Err: err})
		}
		break
	}
	err := fill(fdWriter(fd))
	if err == nil && sync {
		err = unix.Fsync(fd)
	}
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	if err == nil {
		err = unix.Rename(tmp, path)
	}
	if err != nil {
		unix.Unlink(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if sync {
		return syncDir(filepath.Dir(path))
	}
	return nil
}

// WriteNew writes data to a new file at path, which must not exist (an
// error matching fs.ErrExist when it does). It is not atomic: a process
// killed meanwhile leaves the file cut short, so it suits only files whose
// next writer compares them with what they should hold, such as a build's
// new pages.
func WriteNew(path string, data []byte, perm fs.FileMode) error {
	fd, err := openRetry(path, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, uint32(perm.Perm()))
	if err != nil {
		return &fs.PathError{Op: "create", Path: path, Err: err}
	}
	err = writeAll(fd, data)
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// WriteNewAt is WriteNew for the file name (relative, OS-separated) in the
// open directory dirfd, whose path dir names it in errors: the kernel then
// walks name alone, not every directory above it again, which counts for
// the tens of thousands of new pages of a clean build.
func WriteNewAt(dirfd int, dir, name string, data []byte, perm fs.FileMode) error {
	var fd int
	var err error
	for {
		fd, err = unix.Openat(dirfd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_CLOEXEC, uint32(perm.Perm()))
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return &fs.PathError{Op: "create", Path: filepath.Join(dir, name), Err: err}
	}
	err = writeAll(fd, data)
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Join(dir, name), err)
	}
	return nil
}

// syncDir syncs the directory at path.
func syncDir(path string) error {
	fd, err := openRetry(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	if err := ignoreUnsupported(unix.Fsync(fd)); err != nil {
		return &fs.PathError{Op: "sync", Path: path, Err: err}
	}
	return nil
}

// ignoreUnsupported drops the error of a file system that cannot sync a
// directory.
func ignoreUnsupported(err error) error {
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOTSUP) {
		return nil
	}
	return err
}

func openRetry(path string, mode int, perm uint32) (int, error) {
	for {
		fd, err := unix.Open(path, mode, perm)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// fdWriter writes to the file descriptor it is.
type fdWriter int

func (f fdWriter) Write(b []byte) (int, error) {
	if err := writeAll(int(f), b); err != nil {
		return 0, err
	}
	return len(b), nil
}

// writeAll writes all of b to fd.
func writeAll(fd int, b []byte) error {
	for n := 0; n < len(b); {
		m, err := unix.Write(fd, b[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		n += m
	}
	return nil
}
