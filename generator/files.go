package generator

import (
	"crypto/rand"
	"fmt"
	"os"
	"path"
	"path/filepath"
)

// createTemp creates a new file beside rel (slash-separated, under the site
// root r) with a random name that no one can have planted, for this process
// alone. The caller removes it.
func createTemp(r *os.Root, rel string) (*os.File, string, error) {
	for {
		tmp := path.Join(path.Dir(rel), tmpPrefix+rand.Text())
		f, err := r.OpenFile(filepath.FromSlash(tmp), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if os.IsExist(err) {
			continue
		}
		return f, tmp, err
	}
}

// writeTemp writes b to a new temporary file beside rel, synced to disk and
// readable by all, and returns its name.
func writeTemp(r *os.Root, rel string, b []byte) (string, error) {
	f, tmp, err := createTemp(r, rel)
	if err != nil {
		return "", fmt.Errorf("write %s: %w", rel, err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = r.Chmod(filepath.FromSlash(tmp), 0o644)
	}
	if err != nil {
		r.Remove(filepath.FromSlash(tmp))
		return "", fmt.Errorf("write %s: %w", rel, err)
	}
	return tmp, nil
}

// writeAtomic durably replaces rel, under the site root r, with b: a
// temporary file beside it, synced to disk, then renamed over it. Job files
// are the only copy of a dispatcher's work, so unlike build output they are
// synced. Both names are resolved inside the site: a link that leads out of
// it is refused, and a link in rel's place is replaced, not written through.
func writeAtomic(r *os.Root, rel string, b []byte) error {
	tmp, err := writeTemp(r, rel, b)
	if err != nil {
		return err
	}
	if err := r.Rename(filepath.FromSlash(tmp), filepath.FromSlash(rel)); err != nil {
		r.Remove(filepath.FromSlash(tmp))
		return fmt.Errorf("write %s: %w", rel, err)
	}
	return nil
}
