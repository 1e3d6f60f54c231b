package generator

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"
)

// What package jobfile, which edits single job files for qdn job, needs of
// the rules that live here: how a source is read, which services exist, how
// far ahead a history entry may be dated. Each rule stays written once.

// MaxAhead is how far past the clock a history entry may be dated: enough
// for a clock a little behind, too little to record a move that has not
// happened.
const MaxAhead = time.Minute

// OpenSite opens the site directory dir as the root every source is read
// through (see the top of source.go).
func OpenSite(dir string) (*os.Root, error) { return openSite(dir) }

// ReadSource returns the bytes of the source file rel (slash-separated,
// relative to the site root r), read as a build reads it: a regular file
// inside the site of at most 1 MiB. A file that does not exist gives an
// error matching fs.ErrNotExist.
func ReadSource(r *os.Root, rel string) ([]byte, error) {
	b, _, err := readSource(r, rel, maxSourceSize)
	return b, err
}

// ReadSourceDir lists the directory rel of the site root r, sorted by name,
// as a build lists it.
func ReadSourceDir(r *os.Root, rel string) ([]fs.DirEntry, error) { return readSourceDir(r, rel) }

// ReadFile reads the file at path, named on the command line, when it is a
// regular file of at most limit bytes: a named pipe or a device is refused
// at once, and a bigger file with an error naming path.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, _, err := readOpen(f, path, limit)
	if e, ok := err.(*Error); ok && e.Msg != "" {
		return nil, fmt.Errorf("%s: %s", path, e.Msg)
	}
	return b, err
}

// Location returns the site's time zone, UTC when qdn.yaml names none.
func (c *Config) Location() *time.Location {
	if c.Site.Location != nil {
		return c.Site.Location
	}
	return time.UTC
}

// siteLocation returns the site's time zone from a loaded configuration.
func siteLocation(cfg *Config) *time.Location { return cfg.Location() }

// StatusNames lists statuses for a message: "booked, in_progress".
func StatusNames(list []Status) string { return statusNames(list) }

// ReadService reads the service slug of the site at dir on its own, for the
// commands that edit one job. It returns nil for a job without a service or
// whose file is missing, which qdn check reports.
func ReadService(dir, slug string) (*Service, error) { return readService(dir, slug) }

// ServiceError is a service slug with no content/book/<slug>.md.
type ServiceError struct {
	Slug  string
	Known []string
}

func (e *ServiceError) Error() string {
	return fmt.Sprintf("service %q has no %s/%s.md", e.Slug, BookDir, e.Slug)
}

// Hint says which services exist.
func (e *ServiceError) Hint() string {
	if len(e.Known) == 0 {
		return "create " + BookDir + "/" + e.Slug + ".md first"
	}
	return "services are " + strings.Join(e.Known, ", ") + suggest(e.Slug, e.Known)
}

// CheckService reports whether slug names a bookable service of the site at
// dir, a file content/book/<slug>.md, the way Load finds services.
func CheckService(dir, slug string) error {
	root, err := openSite(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	entries, err := readSourceDir(root, BookDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	var known []string
	for _, d := range entries {
		name := d.Name()
		if d.IsDir() || ignoredName(name) || !strings.HasSuffix(name, ".md") || name == "index.md" {
			continue
		}
		s := strings.TrimSuffix(name, ".md")
		if s == slug && slugRE.MatchString(s) {
			return nil
		}
		known = append(known, s)
	}
	return &ServiceError{Slug: slug, Known: sorted(known)}
}
