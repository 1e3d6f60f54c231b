package generator

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
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

const tmpPrefix = ".qdn-tmp-"

// Write makes dir hold exactly the files of out. A file whose bytes are
// already right is left alone, so its modification time stays; every other
// file is replaced atomically (a temporary file, then a rename); files that
// no longer belong are removed, and so are directories they leave empty.
func Write(dir string, out *Output) (*Changes, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	existing := map[string]bool{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			return nil
		}
		if strings.HasPrefix(d.Name(), tmpPrefix) {
			// Left over by a build that was killed mid-write.
			return os.Remove(p)
		}
		existing[rel] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}

	paths := out.Paths()
	type result struct{ added, modified bool }
	results := make([]result, len(paths))
	errs := make([]error, len(paths))
	made := sync.Map{}
	var wg sync.WaitGroup
	const workers = 8
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(paths); i += workers {
				p := paths[i]
				target := filepath.Join(dir, filepath.FromSlash(p))
				if existing[p] {
					same, err := sameContent(target, out.Files[p])
					if err != nil {
						errs[i] = err
						continue
					}
					if same {
						continue
					}
					results[i].modified = true
				} else {
					results[i].added = true
				}
				parent := filepath.Dir(target)
				if _, ok := made.Load(parent); !ok {
					if err := os.MkdirAll(parent, 0o755); err != nil {
						errs[i] = err
						continue
					}
					made.Store(parent, true)
				}
				errs[i] = writeAtomic(target, out.Files[p])
			}
		}(w)
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	c := &Changes{}
	for i, p := range paths {
		switch {
		case results[i].added:
			c.Added = append(c.Added, p)
		case results[i].modified:
			c.Modified = append(c.Modified, p)
		}
	}
	for p := range existing {
		if _, ok := out.Files[p]; ok {
			continue
		}
		if err := os.Remove(filepath.Join(dir, filepath.FromSlash(p))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
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
	return c, nil
}

func sameContent(path string, want []byte) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return false, err
	}
	if st.Size() != int64(len(want)) || !st.Mode().IsRegular() {
		return false, nil
	}
	got := make([]byte, len(want))
	if _, err := io.ReadFull(f, got); err != nil {
		return false, err
	}
	return bytes.Equal(got, want), nil
}

func writeAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), tmpPrefix+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
