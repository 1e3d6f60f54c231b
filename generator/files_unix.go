//go:build unix && !qdnportable

package generator

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/quickdumpnow/qdn/internal/atomicfile"
	"golang.org/x/sys/unix"
)

// The build reads and writes tens of thousands of small files. These use
// the system calls directly: os.Open and os.Create also register every file
// with the runtime's poller, which more than doubles the calls for a file
// that is read or written once.

// readFile returns the contents of the regular file at path.
func readFile(path string) ([]byte, error) {
	b, _, err := readFileStat(path)
	return b, err
}

// readFileStat returns the contents of the file at path and its stamp.
func readFileStat(path string) ([]byte, stamp, error) {
	fd, err := openRetry(path, unix.O_RDONLY|unix.O_CLOEXEC|openFlags, 0)
	if err != nil {
		return nil, stamp{}, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, stamp{}, &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, stamp{}, &fs.PathError{Op: "read", Path: path, Err: fmt.Errorf("not a regular file")}
	}
	b := make([]byte, st.Size)
	n := 0
	for n < len(b) {
		m, err := unix.Read(fd, b[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, stamp{}, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if m == 0 {
			break
		}
		n += m
	}
	return b[:n], stampOfStat(&st), nil
}

func openRetry(path string, mode int, perm uint32) (int, error) {
	for {
		fd, err := unix.Open(path, mode, perm)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// writeFileNew writes b to path, which must not exist.
func writeFileNew(path string, b []byte) error { return atomicfile.WriteNew(path, b, 0o644) }

// mkdir makes the directory path and any missing parents. Most output
// directories are new leaves of an existing one, so it tries that first.
func mkdir(path string) error {
	err := unix.Mkdir(path, 0o755)
	if err == nil || err == unix.EEXIST {
		return nil
	}
	return os.MkdirAll(path, 0o755)
}

// outDir makes a build's new directories and files in public/ by their
// paths relative to it, opened once: the kernel then walks track/<token>/
// alone for each page, not the site's whole path again. When public/
// cannot be opened, or is removed meanwhile, it falls back to whole paths,
// which make it again.
type outDir struct {
	fd   int
	path string
}

func openOutDir(path string) *outDir {
	fd, err := openRetry(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		fd = -1
	}
	return &outDir{fd: fd, path: path}
}

// mkdir makes the directory rel (slash-separated, below d) and any missing
// parents.
func (d *outDir) mkdir(rel string) error {
	if d.fd >= 0 && rel != "." {
		err := unix.Mkdirat(d.fd, rel, 0o755)
		if err == nil || err == unix.EEXIST {
			return nil
		}
	}
	return mkdir(filepath.Join(d.path, filepath.FromSlash(rel)))
}

// writeNew writes b to the file rel (slash-separated, below d), which must
// not exist.
func (d *outDir) writeNew(rel string, b []byte) error {
	if d.fd >= 0 {
		err := atomicfile.WriteNewAt(d.fd, d.path, filepath.FromSlash(rel), b, 0o644)
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		// public/ went away: its directories, made through d, with it.
		full := filepath.Join(d.path, filepath.FromSlash(rel))
		if err := mkdir(filepath.Dir(full)); err != nil {
			return err
		}
		return writeFileNew(full, b)
	}
	return writeFileNew(filepath.Join(d.path, filepath.FromSlash(rel)), b)
}

func (d *outDir) close() {
	if d.fd >= 0 {
		unix.Close(d.fd)
	}
}

// statDir stats files by their names relative to one open directory: for
// the tens of thousands of stats of a rebuild, the kernel then walks two
// path components instead of the whole path each time.
type statDir struct {
	fd   int
	path string
	// inSite is set when fd was opened through the site's root, so that
	// read may read a file in it directly.
	inSite bool
}

// openRootStatDir opens the directory of the root r (at path) as a statDir
// for stats and reads, or else as openStatDir does.
func openRootStatDir(r *os.Root, path string) *statDir {
	f, err := r.Open(".")
	if err != nil {
		return openStatDir(path)
	}
	defer f.Close()
	fd, err := unix.Dup(int(f.Fd()))
	if err != nil {
		return openStatDir(path)
	}
	unix.CloseOnExec(fd)
	return &statDir{fd: fd, path: path, inSite: true}
}

// read returns the bytes and stamp of the file name in d, when d was opened
// through the site's root and name is a regular file of at most limit
// bytes, and not a link: it is then inside the site and no hidden file
// reached through a link, as readSource requires, decided by the open
// itself (O_NOFOLLOW). It reports false for anything else, which the
// caller reads through the root, to read it or say why not. It costs a
// job file four system calls, where the root's checks take several more.
func (d *statDir) read(name string, limit int64) ([]byte, stamp, bool) {
	if !d.inSite || d.fd < 0 || strings.ContainsRune(name, '/') || name == "." || name == ".." {
		return nil, stamp{}, false
	}
	var fd int
	var err error
	for {
		fd, err = unix.Openat(d.fd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return nil, stamp{}, false
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG || st.Size > limit {
		return nil, stamp{}, false
	}
	// One byte more than the file's size, so that the read that finds the
	// end needs no new buffer; never more than limit.
	b := make([]byte, 0, st.Size+1)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := unix.Read(fd, b[len(b):cap(b)])
		if err == unix.EINTR {
			continue
		}
		if err != nil || int64(len(b)+n) > limit {
			return nil, stamp{}, false
		}
		if n == 0 {
			break
		}
		b = b[:len(b)+n]
	}
	return b, stampOfStat(&st), true
}

// openStatDir opens path for stat; when it cannot, stat falls back to
// whole paths.
func openStatDir(path string) *statDir {
	fd, err := openRetry(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		fd = -1
	}
	return &statDir{fd: fd, path: path}
}

// stat returns the stamp of the file name (slash-separated, under d),
// following a final link when follow is set.
func (d *statDir) stat(name string, follow bool) (stamp, error) {
	return d.statIn("", name, follow)
}

// statIn is stat of the file dir/name, or of name when dir is "", without
// putting the path together first.
func (d *statDir) statIn(dir, name string, follow bool) (stamp, error) {
	flags := unix.AT_SYMLINK_NOFOLLOW
	if follow {
		flags = 0
	}
	var st unix.Stat_t
	for {
		var err error
		if d.fd < 0 {
			err = unix.Fstatat(unix.AT_FDCWD, filepath.Join(d.path, filepath.FromSlash(joinSlash(dir, name))), &st, flags)
		} else {
			err = fstatat(d.fd, dir, name, &st, flags)
		}
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return stamp{}, &fs.PathError{Op: "stat", Path: filepath.Join(d.path, filepath.FromSlash(joinSlash(dir, name))), Err: err}
		}
		return stampOfStat(&st), nil
	}
}

// joinSlash returns dir/name, or name when dir is "".
func joinSlash(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

func (d *statDir) close() {
	if d.fd >= 0 {
		unix.Close(d.fd)
	}
}

// stampOfStat is the stamp of st: unix.Stat_t names its modification time
// Mtim on every Unix qdn builds for, where syscall.Stat_t says Mtimespec on
// macOS.
// A directory's time is the later of its modification and change times,
// as stampOf takes it.
func stampOfStat(st *unix.Stat_t) stamp {
	s := stamp{Size: st.Size, Mtime: st.Mtim.Nano()}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		s.Mtime = max(s.Mtime, st.Ctim.Nano())
	}
	return s
}
