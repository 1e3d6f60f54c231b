package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"
)

// TempPrefix begins the name of every temporary file: a build removes the
// ones it finds in its output, and sources skip them as hidden files.
const TempPrefix = ".qdn-tmp"

// Sync says whether a write waits until its bytes and its name are on disk.
type Sync bool

const (
	// Durable syncs the file before the rename and its directory after.
	Durable Sync = true
	// NoSync leaves both to the operating system: for files that can be
	// made again.
	NoSync Sync = false
)

// tempName returns a new temporary name beside the file name: 128 bits from
// the runtime's generator (ChaCha8, seeded by the system), hard to guess and
// with no system call per name, for a build may replace tens of thousands
// of files. The exclusive create, not the name, is what keeps a planted
// file from being written through; the name only keeps writers apart.
func tempName(name string) string {
	return filepath.Join(filepath.Dir(name), TempPrefix+strconv.FormatUint(rand.Uint64(), 36)+strconv.FormatUint(rand.Uint64(), 36))
}

// WriteIn replaces name (slash- or OS-separated, relative to r) with data,
// durably. Both names are resolved inside r: a link that leads out of it is
// refused, and a link in name's place is replaced, not written through.
func WriteIn(r *os.Root, name string, data []byte, perm fs.FileMode) error {
	name = filepath.FromSlash(name)
	tmp, err := writeTempIn(r, name, data, perm)
	if err != nil {
		return err
	}
	if err := retry(func() error { return r.Rename(tmp, name) }); err != nil {
		r.Remove(tmp)
		return fmt.Errorf("write %s: %w", name, err)
	}
	return syncDirIn(r, filepath.Dir(name))
}

// CreateIn writes data to name (relative to r), which must not exist: it
// returns an error matching fs.ErrExist when it does. The finished,
// synced file is linked to name, which fails when name exists, so the file
// appears complete or not at all and two writers can never both create it.
func CreateIn(r *os.Root, name string, data []byte, perm fs.FileMode) error {
	name = filepath.FromSlash(name)
	tmp, err := writeTempIn(r, name, data, perm)
	if err != nil {
		return err
	}
	defer r.Remove(tmp)
	err = r.Link(tmp, name)
	if errors.Is(err, fs.ErrExist) {
		return err
	}
	if err != nil {
		// Some file systems have no hard links: claim the name with
		// O_EXCL, then rename the finished file over it.
		claim, err := r.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if err != nil {
			return err
		}
		claim.Close()
		if err := retry(func() error { return r.Rename(tmp, name) }); err != nil {
			r.Remove(name)
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return syncDirIn(r, filepath.Dir(name))
}

// writeTempIn writes data to a new temporary file beside name, synced, and
// returns its name.
func writeTempIn(r *os.Root, name string, data []byte, perm fs.FileMode) (string, error) {
	var f *os.File
	var tmp string
	for {
		tmp = tempName(name)
		var err error
		f, err = r.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("write %s: %w", name, err)
		}
		break
	}
	_, err := f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		r.Remove(tmp)
		return "", fmt.Errorf("write %s: %w", name, err)
	}
	return tmp, nil
}

// syncDirIn syncs the directory dir of r, so that a rename in it is on
// disk. Windows cannot sync a directory; there a rename is written through
// by NTFS's journal.
func syncDirIn(r *os.Root, dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := r.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return ignoreUnsupported(d.Sync())
}

// retry runs a rename. On Windows it tries again for about a second while
// another process holds the target open, which it does not share for
// deletion: an editor, an indexer or a virus scanner.
func retry(rename func() error) error {
	err := rename()
	if runtime.GOOS != "windows" {
		return err
	}
	for wait := 5 * time.Millisecond; err != nil && errors.Is(err, fs.ErrPermission) && wait < time.Second; wait *= 2 {
		time.Sleep(wait)
		err = rename()
	}
	return err
}

// MoveIn gives the file oldname (relative to r) the name newname, which
// must not exist: it returns an error matching fs.ErrExist when it does, and
// leaves both as they were. The file itself is not copied or rewritten, so
// its bytes and its history in git (a rename) stay. Both directories are
// synced.
func MoveIn(r *os.Root, oldname, newname string) error {
	oldname, newname = filepath.FromSlash(oldname), filepath.FromSlash(newname)
	err := r.Link(oldname, newname)
	if errors.Is(err, fs.ErrExist) {
		return err
	}
	if err != nil {
		// Some file systems have no hard links: claim the name with
		// O_EXCL, then rename the file over the claim.
		claim, cerr := r.OpenFile(newname, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if cerr != nil {
			return cerr
		}
		claim.Close()
		if err := retry(func() error { return r.Rename(oldname, newname) }); err != nil {
			r.Remove(newname)
			return fmt.Errorf("move %s to %s: %w", oldname, newname, err)
		}
	} else if err := r.Remove(oldname); err != nil {
		r.Remove(newname)
		return fmt.Errorf("move %s to %s: %w", oldname, newname, err)
	}
	if err := syncDirIn(r, filepath.Dir(newname)); err != nil {
		return err
	}
	return syncDirIn(r, filepath.Dir(oldname))
}
