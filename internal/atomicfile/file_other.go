//go:build !unix || qdnportable

package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
)

// Off Unix (Windows) the write goes through package os. The build tag
// qdnportable selects this file on Unix too, so that its tests run on
// Linux: go test -tags qdnportable ./internal/atomicfile/.

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
	var f *os.File
	var tmp string
	for {
		tmp = tempName(path)
		var err error
		f, err = os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		break
	}
	err := fill(f)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = retry(func() error { return os.Rename(tmp, path) })
	}
	if err != nil {
		os.Remove(tmp)
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
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// syncDir syncs the directory at path, where the platform can.
func syncDir(path string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(path)
	if err != nil {
		return err
	}
	defer d.Close()
	return ignoreUnsupported(d.Sync())
}

// ignoreUnsupported drops the error of a file system that cannot sync a
// directory.
func ignoreUnsupported(err error) error {
	if errors.Is(err, syscall.EINVAL) || errors.Is(err, errors.ErrUnsupported) {
		return nil
	}
	return err
}
