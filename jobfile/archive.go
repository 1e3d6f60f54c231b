package jobfile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/quickdumpnow/qdn/generator"
	"github.com/quickdumpnow/qdn/internal/atomicfile"
)

// A job that ended long ago has no page and changes no more, yet a build
// would read and check its file forever. qdn job archive moves such files
// to generator.ArchiveDir, jobs/archive/<year>/<id>.yaml with the year the
// job ended, which no build reads. The move is a rename: the bytes stay, so
// git records it as one (git mv), and nothing is ever overwritten.

// Move is one job file that Archive moves.
type Move struct {
	ID       string
	From, To string // slash-separated, relative to the site
	Status   generator.Status
	Ended    time.Time
	src      []byte // the bytes the plan read, which the move checks
}

// Skipped is an ended job that PlanArchive leaves where it is, and why.
type Skipped struct {
	File   string
	Reason string
}

// ArchiveCutoff returns the default cutoff of PlanArchive: a job that ended
// before it has had no page for the whole of track.expire_after.
func (s *Site) ArchiveCutoff() time.Time {
	return s.Now().Add(-s.Config.Track.ExpireAfter)
}

// CutoffError is a cutoff later than ArchiveCutoff: archiving would take
// away pages that customers can still open.
type CutoffError struct {
	Before, Latest time.Time
}

func (e *CutoffError) Error() string {
	return fmt.Sprintf("jobs that ended before %s may still have a tracking page (track.expire_after); the latest cutoff is %s",
		e.Before.Format("2006-01-02 15:04"), e.Latest.Format("2006-01-02 15:04"))
}

// PlanArchive returns the moves that archive every job of jobs/ that is
// completed or cancelled and ended before cutoff, sorted by id, and the
// ended jobs it leaves out: a file with errors, a job whose history does not
// say when it ended. A cutoff later than ArchiveCutoff is a *CutoffError. A
// job already in the archive under the same id is an error: nothing may be
// overwritten. PlanArchive writes nothing.
func (s *Site) PlanArchive(ctx context.Context, cutoff time.Time) ([]Move, []Skipped, error) {
	if latest := s.ArchiveCutoff(); cutoff.After(latest) {
		loc := s.loc()
		return nil, nil, &CutoffError{Before: cutoff.In(loc), Latest: latest.In(loc)}
	}
	ids, err := s.IDs()
	if err != nil {
		return nil, nil, err
	}
	archived, err := s.Archived()
	if err != nil {
		return nil, nil, err
	}
	var moves []Move
	var skipped []Skipped
	var errs []error
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		var list generator.ErrorList
		j, src, err := s.read(id, &list)
		if err != nil {
			return nil, nil, err
		}
		if !j.Status.Ended() {
			continue
		}
		if len(list) > 0 {
			skipped = append(skipped, Skipped{File: j.File, Reason: fmt.Sprintf("it is not valid (%v); run qdn check", list[0])})
			continue
		}
		end := j.EndedAt()
		if end.IsZero() {
			skipped = append(skipped, Skipped{File: j.File, Reason: "its history does not say when it ended"})
			continue
		}
		if !end.Before(cutoff) {
			continue
		}
		to := ArchiveFile(id, end.In(s.loc()).Year())
		if old, ok := archived[strings.ToLower(id)]; ok {
			errs = append(errs, &DuplicateError{ID: id, Files: []string{j.File, old}})
			continue
		}
		moves = append(moves, Move{ID: id, From: j.File, To: to, Status: j.Status, Ended: end, src: src})
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	return moves, skipped, nil
}

// Archive makes the moves of PlanArchive, in order. A file that changed
// since the plan read it, or a name in the archive taken since, stops it
// with an error naming the file; the moves made before stay made, and
// running the command again archives the rest. A cancelled ctx stops it
// between two moves.
func (s *Site) Archive(ctx context.Context, moves []Move) error {
	r, err := generator.OpenSite(s.Dir)
	if err != nil {
		return err
	}
	defer r.Close()
	for _, m := range moves {
		if err := ctx.Err(); err != nil {
			return err
		}
		cur, err := generator.ReadSource(r, m.From)
		if err != nil {
			return err
		}
		if string(cur) != string(m.src) {
			return fmt.Errorf("%s changed while qdn was archiving it; it was not moved, run the command again", m.From)
		}
		if err := r.MkdirAll(path.Dir(m.To), 0o755); err != nil {
			return fmt.Errorf("archive %s: %w", m.From, err)
		}
		if err := atomicfile.MoveIn(r, m.From, m.To); err != nil {
			if errors.Is(err, fs.ErrExist) {
				return &DuplicateError{ID: m.ID, Files: []string{m.From, m.To}}
			}
			return fmt.Errorf("archive %s: %w", m.From, err)
		}
	}
	return nil
}

// ArchiveFile is where the file of job id that ended in year is archived.
func ArchiveFile(id string, year int) string {
	return generator.ArchiveDir + "/" + strconv.Itoa(year) + "/" + id + ".yaml"
}

// DuplicateError is a job id with a file in jobs/ and one in the archive,
// or two in the archive.
type DuplicateError struct {
	ID    string
	Files []string
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("job %s has two files: %s", e.ID, strings.Join(e.Files, " and "))
}

// Hint says how to resolve it.
func (e *DuplicateError) Hint() string {
	return "keep the one that is the job (compare them with diff) and remove the other"
}

// Archived returns the files of the archive by job id in lower case: every
// jobs/archive/<year>/<id>.yaml. The files are not read. An id archived
// twice is a *DuplicateError.
func (s *Site) Archived() (map[string]string, error) {
	r, err := generator.OpenSite(s.Dir)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	years, err := generator.ReadSourceDir(r, generator.ArchiveDir)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	files := map[string]string{}
	for _, y := range years {
		if !y.IsDir() || generator.IgnoredName(y.Name()) {
			continue
		}
		dir := generator.ArchiveDir + "/" + y.Name()
		entries, err := generator.ReadSourceDir(r, dir)
		if err != nil {
			return nil, err
		}
		for _, d := range entries {
			name := d.Name()
			if d.IsDir() || generator.IgnoredName(name) || !strings.HasSuffix(name, ".yaml") {
				continue
			}
			id := strings.ToLower(strings.TrimSuffix(name, ".yaml"))
			if old, ok := files[id]; ok {
				return nil, &DuplicateError{ID: strings.TrimSuffix(name, ".yaml"), Files: []string{old, dir + "/" + name}}
			}
			files[id] = dir + "/" + name
		}
	}
	return files, nil
}

// ReadFile reads and parses the job file file (slash-separated, relative
// to the site: jobs/<id>.yaml or a file of the archive), checked as a build
// checks every source. The errors of the file are in list.
func (s *Site) ReadFile(file string, list *generator.ErrorList) (*generator.Job, error) {
	r, err := generator.OpenSite(s.Dir)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	src, err := generator.ReadSource(r, file)
	if err != nil {
		return nil, err
	}
	return generator.ParseJob(file, src, s.loc(), list), nil
}

// ReadArchive reads every job of the archive, sorted by id, with the errors
// of their files in list.
func (s *Site) ReadArchive(ctx context.Context, list *generator.ErrorList) ([]*generator.Job, error) {
	files, err := s.Archived()
	if err != nil {
		return nil, err
	}
	var jobs []*generator.Job
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		j, err := s.ReadFile(f, list)
		if err != nil {
			return nil, err
		}
		jobs = append(jobs, j)
	}
	sort.Slice(jobs, func(a, b int) bool { return jobs[a].ID < jobs[b].ID })
	return jobs, nil
}
