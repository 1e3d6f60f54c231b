package generator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/quickdumpnow/qdn/internal/atomicfile"
)

// PublicDir is the build output directory under the site root.
const PublicDir = "public"

// Changes are the output paths a build added, modified and removed, each
// sorted. qdn serve reloads and qdn sync uploads from this set.
type Changes struct {
	Added    []string
	Modified []string
	Removed  []string
}

// Len is the number of changed paths.
func (c *Changes) Len() int { return len(c.Added) + len(c.Modified) + len(c.Removed) }

// All returns every changed path, sorted.
func (c *Changes) All() []string {
	out := append(append(append([]string{}, c.Added...), c.Modified...), c.Removed...)
	sort.Strings(out)
	return out
}

// afterWrite, when set, is called after each file a write wrote, for the
// tests that stop a build mid-write.
var afterWrite func(path string)

// tmpPrefix begins the name of a file being written; one left behind by a
// killed build is removed by the next.
const tmpPrefix = atomicfile.TempPrefix

// Write makes dir hold exactly the files of out. A file whose bytes are
// already right is left alone, so its modification time stays; every other
// file is replaced atomically (a temporary file, then a rename); files that
// no longer belong are removed, and so are directories they leave empty.
//
// Write stops soon after ctx is cancelled and returns ctx's error; every
// file is then as it was or as out has it, nothing is removed, and a second
// Write finishes the job.
func Write(ctx context.Context, dir string, out *Output) (*Changes, error) {
	c, _, err := write(ctx, dir, out, nil, nil)
	return c, err
}

// write is Write for a build that already knows some of dir: the paths in
// current hold the bytes of out (the build read or trusted them), and the
// directories in trusted hold nothing but their one page, so neither needs
// to be read again. It also returns the directories that hold a
// subdirectory (those it walked).
func write(ctx context.Context, dir string, out *Output, current map[string][]byte, trusted map[string]bool) (*Changes, map[string]bool, error) {
	dir = filepath.Clean(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	existing := make(map[string]bool, len(out.files))
	nested := map[string]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		// WalkDir gives every path below dir as dir joined with the rest.
		rel := filepath.ToSlash(strings.TrimPrefix(p[len(dir):], string(filepath.Separator)))
		if d.IsDir() {
			nested[path.Dir(rel)] = true
			if trusted[rel] {
				existing[rel+"/index.html"] = true
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(d.Name(), tmpPrefix) || strings.HasPrefix(d.Name(), tmpPrefix) {
			// Left over by a build that was killed mid-write.
			return os.Remove(p)
		}
		if !d.Type().IsRegular() {
			// A link, a named pipe, a socket or a device is none of
			// qdn's output: reading it could wait for ever or read
			// outside the site, and writing could go through it.
			return os.Remove(p)
		}
		existing[rel] = true
		return nil
	})
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", dir, err)
	}

	paths := out.Paths()
	const (
		same = iota
		added
		modified
	)
	results := make([]int, len(paths))
	errs := make([]error, len(paths))
	var made sync.Map
	// Eight at a time: writing is mostly waiting on the file system.
	cancelled := parallelCtx(ctx, len(paths), 8, func(i int) {
		p := paths[i]
		if _, ok := current[p]; ok && existing[p] {
			return
		}
		target := filepath.Join(dir, filepath.FromSlash(p))
		if existing[p] {
			old, err := readFile(target)
			if err == nil && bytes.Equal(old, out.files[p]) {
				return
			}
			results[i] = modified
		} else {
			results[i] = added
		}
		parent := filepath.Dir(target)
		if _, ok := made.Load(parent); !ok {
			if err := mkdir(parent); err != nil {
				errs[i] = err
				return
			}
			made.Store(parent, true)
		}
		if results[i] == added {
			// Nothing to replace: write in place. A file cut short by
			// a killed build differs from its page, so the next
			// build replaces it.
			errs[i] = writeFileNew(target, out.files[p])
		} else {
			errs[i] = writeFileAtomic(target, out.files[p])
		}
		if afterWrite != nil {
			afterWrite(p)
		}
	})
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	if cancelled != nil {
		return nil, nil, cancelled
	}
	c := &Changes{}
	for i, p := range paths {
		switch results[i] {
		case added:
			c.Added = append(c.Added, p)
		case modified:
			c.Modified = append(c.Modified, p)
		}
	}
	for p := range existing {
		if _, ok := out.files[p]; ok {
			continue
		}
		if err := os.Remove(filepath.Join(dir, filepath.FromSlash(p))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, nil, err
		}
		c.Removed = append(c.Removed, p)
	}
	sort.Strings(c.Removed)
	// Remove the directories that removals left empty, deepest first.
	emptied := map[string]bool{}
	for _, p := range c.Removed {
		for d := filepath.Dir(filepath.FromSlash(p)); d != "."; d = filepath.Dir(d) {
			emptied[d] = true
		}
	}
	var dirs []string
	for d := range emptied {
		dirs = append(dirs, d)
	}
	sort.Slice(dirs, func(i, j int) bool { return len(dirs[i]) > len(dirs[j]) })
	for _, d := range dirs {
		// Fails harmlessly when the directory still has files.
		_ = os.Remove(filepath.Join(dir, d))
	}
	return c, nested, nil
}
