package generator

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// Every file qdn reads from a site (qdn.yaml, templates/, content/ and
// jobs/) is read by readSource, through an os.Root opened on the site
// directory. The root resolves every path, and every link on the way,
// inside the site: a link that leads out of it is refused by the open
// itself, so nothing can swap a file for a link between a check and the
// read. The open file is then checked with fstat: only a regular file is
// read, never a named pipe, a device, a socket or a directory, and never
// more than a size limit.
//
// Links that stay inside the site are followed: content/logo.png may be a
// link to ../brand/logo.png. A hard link is the file itself and is read like
// any other; git cannot record one, and the kernel lets a user hard link
// only files they could already read.

const (
	// maxSourceSize bounds qdn.yaml, a job file, a template and a markdown
	// page: the biggest real ones are a few kilobytes.
	maxSourceSize = 1 << 20
	// maxAssetSize bounds a file copied as it is from content/: an image,
	// a PDF. Every output file is held in memory until it is written.
	maxAssetSize = 100 << 20
)

// openSite opens the site directory dir as the root that every source is
// read through.
func openSite(dir string) (*os.Root, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open site %s: %w", dir, err)
	}
	return r, nil
}

// readSource returns the bytes and stamp of the file rel (slash-separated,
// relative to the site root r). The file must be a regular file inside the
// site of at most limit bytes; anything else is an *Error naming rel. A file
// that does not exist gives an error matching fs.ErrNotExist.
func readSource(r *os.Root, rel string, limit int64) ([]byte, stamp, error) {
	if hidden := linkedHidden(r, rel); hidden != "" {
		return nil, stamp{}, &Error{Pos: Pos{File: rel}, Msg: "a link to " + hidden + ", a hidden file of the site",
			Hint: "qdn never reads .git/ or any other hidden file or directory through a link: copy what should be published into the site"}
	}
	f, err := r.OpenFile(filepath.FromSlash(rel), os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, stamp{}, sourceError(rel, err)
	}
	defer f.Close()
	return readOpen(f, rel, limit)
}

// readSourceDir lists the directory rel (slash-separated, relative to the
// site root r), sorted by name. Like readSource, it resolves rel inside the
// site and opens it without waiting, so a named pipe put in the place of a
// directory is refused, not waited on.
func readSourceDir(r *os.Root, rel string) ([]fs.DirEntry, error) {
	f, err := r.OpenFile(filepath.FromSlash(rel), os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, sourceError(rel, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, sourceError(rel, err)
	}
	if !info.IsDir() {
		return nil, &Error{Pos: Pos{File: rel}, Msg: "not a directory", Hint: "move the file away: qdn expects a directory here"}
	}
	entries, err := listDir(f)
	if err != nil {
		return nil, sourceError(rel, err)
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, nil
}

// walkSources calls fn for every file below the directory rel of the site
// root r, in lexical order, skipping what ignoredName names. It descends
// into real directories only: a link, even to a directory, is passed to fn
// as a file, and readSource then decides about it. An error listing a
// directory is passed to fn with that directory's path.
func walkSources(r *os.Root, rel string, fn func(file string, d fs.DirEntry, err error)) {
	entries, err := readSourceDir(r, rel)
	if err != nil {
		fn(rel, nil, err)
		return
	}
	for _, d := range entries {
		if ignoredName(d.Name()) {
			continue
		}
		file := rel + "/" + d.Name()
		if d.IsDir() {
			walkSources(r, file, fn)
			continue
		}
		fn(file, d, nil)
	}
}

// linkedHidden returns the hidden path (one with a part that starts with a
// dot, such as .git/config or .env) that rel leads to through links inside
// the site r, or "" when it leads to none. The site is often the git
// repository itself: a link content/x -> ../.git/config stays inside the
// site, and would publish the credentials a CI checkout keeps there. Links
// are followed lexically, as the open that follows does; one that leads
// out of the site is left to that open to refuse. A link changed between
// this check and the open can only lead elsewhere inside the site.
func linkedHidden(r *os.Root, rel string) string {
	todo := strings.Split(rel, "/")
	var done []string
	for hops := 0; len(todo) > 0; {
		c := todo[0]
		todo = todo[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(done) == 0 {
				return ""
			}
			done = done[:len(done)-1]
			continue
		}
		cur := path.Join(append(done, c)...)
		if strings.HasPrefix(c, ".") {
			if hops == 0 {
				return "" // not reached through a link: the callers skip hidden names
			}
			return cur
		}
		info, err := r.Lstat(filepath.FromSlash(cur))
		if err != nil || info.Mode()&fs.ModeSymlink == 0 {
			done = append(done, c)
			continue
		}
		target, err := r.Readlink(filepath.FromSlash(cur))
		if hops++; err != nil || hops > 40 || filepath.IsAbs(target) {
			return ""
		}
		todo = append(strings.Split(filepath.ToSlash(target), "/"), todo...)
	}
	return ""
}

// readOutput reads back a page a build wrote to public/, at path: a regular
// file only, so that a named pipe left in its place is not waited on.
func readOutput(path string) ([]byte, stamp, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, stamp{}, err
	}
	defer f.Close()
	return readOpen(f, path, maxAssetSize)
}

// readOpen reads the open file f, named name in errors, when it is a regular
// file of at most limit bytes. It reads at most limit+1 bytes whatever the
// file claims to hold.
func readOpen(f *os.File, name string, limit int64) ([]byte, stamp, error) {
	info, err := f.Stat()
	if err != nil {
		return nil, stamp{}, sourceError(name, err)
	}
	if !info.Mode().IsRegular() {
		return nil, stamp{}, notRegular(name, info.Mode())
	}
	if info.Size() > limit {
		return nil, stamp{}, tooLarge(name, limit)
	}
	// One byte more than the file's size, so that the read that finds the
	// end needs no new buffer.
	b := make([]byte, 0, info.Size()+1)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := f.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if int64(len(b)) > limit {
			return nil, stamp{}, tooLarge(name, limit)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, stamp{}, sourceError(name, err)
		}
	}
	return b, stampOf(info), nil
}

// checkAsset reports what readSource would refuse in the file rel, for qdn
// check: the render reads it later, with the same checks on the open file.
func checkAsset(r *os.Root, rel string) error {
	info, err := r.Stat(filepath.FromSlash(rel))
	switch {
	case err != nil:
		return sourceError(rel, err)
	case !info.Mode().IsRegular():
		return notRegular(rel, info.Mode())
	case info.Size() > maxAssetSize:
		return tooLarge(rel, maxAssetSize)
	}
	return nil
}

// sourceError explains why the source rel could not be opened or read. A
// missing file keeps its fs.ErrNotExist; nil stays nil.
func sourceError(rel string, err error) error {
	e := &Error{Pos: Pos{File: rel}, Hint: "qdn reads only regular files inside the site: copy the file into the site instead of linking to it"}
	switch {
	case err == nil, errors.Is(err, fs.ErrNotExist):
		return err
	case escapes(err):
		e.Msg = "a link that leads out of the site"
	case errors.Is(err, syscall.ELOOP):
		e.Msg = "a link that loops, or goes through too many links"
		e.Hint = "fix or remove the link"
	default:
		e.Msg = fmt.Sprintf("cannot read: %v", unwrapPath(err))
		e.Hint = "check the file's permissions"
	}
	return e
}

// escapes reports whether err is os.Root refusing a path that leads out of
// the root. The os package does not export that error; the tests with links
// out of the site catch a change of its text.
func escapes(err error) bool {
	return err != nil && strings.Contains(err.Error(), "path escapes from parent")
}

// unwrapPath drops the operation and path of a *fs.PathError: the message
// already names the file.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func notRegular(name string, mode fs.FileMode) error {
	what := "not a regular file"
	switch {
	case mode.IsDir():
		what = "a directory where a file was expected, or a link to one"
	case mode&fs.ModeNamedPipe != 0:
		what = "a named pipe, not a regular file"
	case mode&fs.ModeSocket != 0:
		what = "a socket, not a regular file"
	case mode&fs.ModeDevice != 0:
		what = "a device, not a regular file"
	}
	hint := "qdn reads only regular files: remove it, or put the file it stands for in its place"
	if mode.IsDir() {
		hint = "qdn follows links to files only: move the directory into place, or link its files one by one"
	}
	return &Error{Pos: Pos{File: name}, Msg: what, Hint: hint}
}

func tooLarge(name string, limit int64) error {
	hint := "qdn.yaml, job files, templates and markdown pages hold at most 1 MiB: split the file or make it smaller"
	if limit == maxAssetSize {
		hint = "a file under content/ holds at most 100 MiB: make it smaller, or serve it from elsewhere and link to it"
	} else if limit != maxSourceSize {
		hint = "make the file smaller"
	}
	return &Error{Pos: Pos{File: name}, Msg: fmt.Sprintf("larger than %s, the limit for this file", sizeText(limit)), Hint: hint}
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
