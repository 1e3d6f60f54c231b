package jobfile

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/quickdumpnow/qdn/generator"
	"github.com/quickdumpnow/qdn/internal/atomicfile"
)

// Site is a site's job files, for reading and editing them one at a time.
// It holds what every edit needs: the site directory, its configuration,
// the clock and the source of randomness, so an edit asks nothing of the
// world around it and a test can fix all of it.
type Site struct {
	// Dir is the site directory.
	Dir    string
	Config *generator.Config
	// Now is the clock: the time of a new job and of a status change made
	// now, and the limit of how far ahead a change may be dated.
	Now func() time.Time
	// Rand is the source of new tokens.
	Rand io.Reader
}

// Open reads the configuration of the site at dir. now is the clock; rand
// the source of tokens, crypto/rand when nil.
func Open(dir string, now func() time.Time, rand io.Reader) (*Site, error) {
	if now == nil {
		return nil, errors.New("jobfile: Open needs a clock")
	}
	cfg, err := generator.LoadConfig(dir)
	if err != nil {
		return nil, err
	}
	return &Site{Dir: dir, Config: cfg, Now: now, Rand: rand}, nil
}

// loc is the site's time zone.
func (s *Site) loc() *time.Location { return s.Config.Location() }

// rand returns the source of tokens.
func (s *Site) rand() io.Reader {
	if s.Rand == nil {
		return rand.Reader
	}
	return s.Rand
}

// Job files are never written in place: the new text goes to a hidden
// temporary file in jobs/, which is then renamed over the old file, or
// linked to a new name that must not exist yet (package atomicfile). A build
// skips hidden files, so a temporary file left by a killed process is never
// read as a job.

// NotFoundError is returned for an id that names no job.
type NotFoundError struct {
	Query string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("no job matches %q in %s/", e.Query, generator.JobsDir)
}

// AmbiguousError is returned for an id prefix that several jobs share.
type AmbiguousError struct {
	Query   string
	Matches []string
}

func (e *AmbiguousError) Error() string {
	return fmt.Sprintf("%q matches %d jobs: %s", e.Query, len(e.Matches), strings.Join(e.Matches, ", "))
}

// IDs lists the ids of the job files in jobs/, sorted. The id is the file
// name without .yaml; the files are not read.
func (s *Site) IDs() ([]string, error) {
	r, err := generator.OpenSite(s.Dir)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	entries, err := generator.ReadSourceDir(r, generator.JobsDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, d := range entries {
		name := d.Name()
		if d.IsDir() || generator.IgnoredName(name) || !strings.HasSuffix(name, ".yaml") {
			continue
		}
		ids = append(ids, strings.TrimSuffix(name, ".yaml"))
	}
	sort.Strings(ids)
	return ids, nil
}

// ArchivedError is an edit of a job whose file is in the archive.
type ArchivedError struct {
	ID, File string
}

func (e *ArchivedError) Error() string {
	return fmt.Sprintf("%s is archived: %s", e.ID, e.File)
}

// Hint says how to edit it anyway.
func (e *ArchivedError) Hint() string {
	return "an archived job is not edited; to change it, move it back first: git mv " + e.File + " " + generator.JobsDir + "/"
}

// Resolve returns the id of the one job of jobs/ whose id is query or
// starts with it (see Locate). A job of the archive is an *ArchivedError:
// the commands that edit a job do not edit archived ones.
func (s *Site) Resolve(query string) (string, error) {
	id, file, err := s.Locate(query)
	if err != nil {
		return "", err
	}
	if file != generator.JobFile(id) {
		return "", &ArchivedError{ID: id, File: file}
	}
	return id, nil
}

// Locate returns the id and the file of the one job, in jobs/ or in the
// archive, whose id is query or starts with it, ignoring letter case: a
// dispatcher may type job-20261121 when only one job was booked that day.
// An exact match wins over the longer ids it is a prefix of. Several
// matches give an AmbiguousError naming them all; an id with a file in
// jobs/ and one in the archive is a *DuplicateError.
func (s *Site) Locate(query string) (id, file string, err error) {
	q := strings.TrimSuffix(strings.TrimSpace(query), ".yaml")
	q = path.Base(q)
	if q == "" || q == "." || q == "/" {
		return "", "", &NotFoundError{Query: query}
	}
	ids, err := s.IDs()
	if err != nil {
		return "", "", err
	}
	archived, err := s.Archived()
	if err != nil {
		return "", "", err
	}
	files := map[string][]string{}
	for _, id := range ids {
		files[id] = []string{generator.JobFile(id)}
	}
	for _, f := range archived {
		id := strings.TrimSuffix(path.Base(f), ".yaml")
		if _, ok := files[id]; !ok {
			ids = append(ids, id)
		}
		files[id] = append(files[id], f)
	}
	sort.Strings(ids)
	var matches []string
	for _, id := range ids {
		if id == q {
			matches = []string{id}
			break
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
		return "", "", &NotFoundError{Query: query}
	case 1:
		id := matches[0]
		if f := files[id]; len(f) > 1 {
			return "", "", &DuplicateError{ID: id, Files: f}
		}
		return id, files[id][0], nil
	}
	return "", "", &AmbiguousError{Query: query, Matches: matches}
}

// read reads and parses jobs/<id>.yaml with the site's time zone. The
// errors of the file are in list.
func (s *Site) read(id string, list *generator.ErrorList) (*generator.Job, []byte, error) {
	r, err := generator.OpenSite(s.Dir)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	file := generator.JobFile(id)
	src, err := generator.ReadSource(r, file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, &NotFoundError{Query: id}
	}
	if err != nil {
		return nil, nil, err
	}
	return generator.ParseJob(file, src, s.loc(), list), src, nil
}

// replace writes src over jobs/<id>.yaml, which must still hold old: an
// edit made by someone else between the read and the write is reported
// instead of silently undone.
func (s *Site) replace(id string, old, src []byte) error {
	r, err := generator.OpenSite(s.Dir)
	if err != nil {
		return err
	}
	defer r.Close()
	file := generator.JobFile(id)
	cur, err := generator.ReadSource(r, file)
	if err != nil {
		return err
	}
	if !bytes.Equal(cur, old) {
		return fmt.Errorf("%s changed while qdn was editing it; nothing was written, run the command again", file)
	}
	return atomicfile.WriteIn(r, file, src, 0o644)
}

// createFile writes data to rel (slash-separated, under the site root r),
// which must not exist: it returns an error matching fs.ErrExist when it
// does (see atomicfile.CreateIn).
func createFile(r *os.Root, rel string, data []byte) error {
	return atomicfile.CreateIn(r, rel, data, 0o644)
}
