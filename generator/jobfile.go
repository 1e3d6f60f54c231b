package generator

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/quickdumpnow/qdn/internal/atomicfile"
)

// The functions of this file read and write single job files for the
// commands that edit jobs (qdn job, the preview dashboard). A job file is
// never written in place: the new text goes to a hidden temporary file in
// jobs/, which is then renamed over the old file, or linked to a new name
// that must not exist yet. Load skips hidden files, so a temporary file left
// by a killed process is never read as a job.

// NotFoundError is returned for an id that names no job.
type NotFoundError struct {
	Query string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("no job matches %q in %s/", e.Query, JobsDir)
}

// AmbiguousError is returned for an id prefix that several jobs share.
type AmbiguousError struct {
	Query   string
	Matches []string
}

func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("%q matches %d jobs: %s", e.Query, len(e.Matches), strings.Join(e.Matches, ", "))
}

// JobIDs lists the ids of the job files in dir/jobs, sorted. The id is the
// file name without .yaml; the files are not read.
func JobIDs(dir string) ([]string, error) {
	r, err := openSite(dir)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	entries, err := readSourceDir(r, JobsDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, d := range entries {
		name := d.Name()
		if d.IsDir() || ignoredName(name) || !strings.HasSuffix(name, ".yaml") {
			continue
		}
		ids = append(ids, strings.TrimSuffix(name, ".yaml"))
	}
	sort.Strings(ids)
	return ids, nil
}

// ResolveID returns the id of the one job whose id is query or starts with
// it, ignoring letter case: a dispatcher may type job-20261121 when only one
// job was booked that day. An exact match wins over the longer ids it is a
// prefix of. Several matches give an AmbiguousError naming them all.
func ResolveID(dir, query string) (string, error) {
	q := strings.TrimSuffix(strings.TrimSpace(query), ".yaml")
	q = strings.TrimPrefix(q, JobsDir+"/")
	if q == "" {
		return "", &NotFoundError{Query: query}
	}
	ids, err := JobIDs(dir)
	if err != nil {
		return "", err
	}
	var matches []string
	for _, id := range ids {
		if id == q {
			return id, nil
		}
		if strings.EqualFold(id, q) {
			matches = []string{id}
			break
		}
		if len(id) > len(q) && strings.EqualFold(id[:len(q)], q) {
			matches = append(matches, id)
		}
	}
	switch len(matches) {
	case 0:
		return "", &NotFoundError{Query: query}
	case 1:
		return matches[0], nil
	}
	return "", &AmbiguousError{Query: query, Matches: matches}
}

// readJob reads and parses jobs/<id>.yaml with the site's time zone. The
// errors of the file are in list.
func readJob(dir, id string, loc *time.Location, list *ErrorList) (*Job, []byte, error) {
	r, err := openSite(dir)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	file := JobFile(id)
	src, _, err := readSource(r, file, maxSourceSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, &NotFoundError{Query: id}
	}
	if err != nil {
		return nil, nil, err
	}
	return ParseJob(file, src, loc, list), src, nil
}

// ReadJob reads and parses jobs/<id>.yaml of the site at dir with the
// site's time zone loc, checked as Load checks every source. The errors of
// the file are in list.
func ReadJob(dir, id string, loc *time.Location, list *ErrorList) (*Job, error) {
	j, _, err := readJob(dir, id, loc, list)
	return j, err
}

// siteLocation returns the site's time zone from a loaded configuration.
func siteLocation(cfg *Config) *time.Location {
	if cfg.Site.Location != nil {
		return cfg.Site.Location
	}
	return time.UTC
}

// replaceJobFile writes src over jobs/<id>.yaml, which must still hold old:
// an edit made by someone else between the read and the write is reported
// instead of silently undone.
func replaceJobFile(dir, id string, old, src []byte) error {
	r, err := openSite(dir)
	if err != nil {
		return err
	}
	defer r.Close()
	file := JobFile(id)
	cur, _, err := readSource(r, file, maxSourceSize)
	if err != nil {
		return err
	}
	if !bytes.Equal(cur, old) {
		return fmt.Errorf("%s changed while qdn was editing it; nothing was written, run the command again", file)
	}
	return writeAtomic(r, file, src)
}

// createFile writes data to rel (slash-separated, under the site root r),
// which must not exist: it returns an error matching fs.ErrExist when it
// does (see atomicfile.CreateIn).
func createFile(r *os.Root, rel string, data []byte) error {
	return atomicfile.CreateIn(r, rel, data, 0o644)
}
