package jobfile

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/quickdumpnow/qdn/generator"
)

// newIDRE matches the ids qdn gives: JOB-YYYYMMDD-NNN.
var newIDRE = regexp.MustCompile(`(?i)^JOB-([0-9]{8})-([0-9]{3,})$`)

// maxCreateTries bounds how often CreateJob retries after another writer took
// the id it chose.
const maxCreateTries = 100

// Create writes a new job file to jobs/ and returns the job as read back
// from it. j holds what the dispatcher said: customer, address, service,
// price, schedule, crew, private fields, and the status (booked when empty).
// Create gives the job its id, JOB-YYYYMMDD-NNN with the day in the site's
// time zone and NNN one more than the highest number of that day; its token,
// 128 bits from the site's randomness; and its first history entry, at the
// site's clock.
//
// The file is created exclusively: when another dispatcher creates a job at
// the same moment and takes the id, Create takes the next number. The file
// appears complete or not at all. Before anything is written, the new file is
// parsed with generator.ParseJob and must hold exactly the job asked for. A
// cancelled ctx stops it before the write.
func (s *Site) Create(ctx context.Context, j generator.Job) (*generator.Job, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	loc := s.loc()
	now := s.Now().In(loc).Truncate(time.Second)
	if j.Status == "" {
		j.Status = generator.Booked
	}
	if err := s.checkNew(&j); err != nil {
		return nil, err
	}
	var err error
	if j.Token == "" {
		if j.Token, err = generator.NewToken(s.rand()); err != nil {
			return nil, err
		}
	}
	j.History = []generator.Event{{Status: j.Status, At: now}}
	root, err := generator.OpenSite(s.Dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	if err := root.MkdirAll(generator.JobsDir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", generator.JobsDir, err)
	}
	day := now.Format("20060102")
	for try := 0; try < maxCreateTries; try++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, err := s.nextNumber(day, nil)
		if err != nil {
			return nil, err
		}
		j.ID = jobID(day, n)
		j.File = generator.JobFile(j.ID)
		src := Marshal(&j, loc, "")
		got, err := checkWritten(j.File, src, &j, loc)
		if err != nil {
			return nil, err
		}
		err = createFile(root, j.File, src)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return got, nil
	}
	return nil, fmt.Errorf("create a job for %s: every id tried was taken by another writer", day)
}

func jobID(day string, n int) string { return fmt.Sprintf("JOB-%s-%03d", day, n) }

// nextNumber returns one more than the highest job number of day (YYYYMMDD)
// among the files in jobs/ and in the archive and the ids in taken.
func (s *Site) nextNumber(day string, taken map[string]bool) (int, error) {
	ids, err := s.IDs()
	if err != nil {
		return 0, err
	}
	archived, err := s.Archived()
	if err != nil {
		return 0, err
	}
	for _, f := range archived {
		ids = append(ids, strings.TrimSuffix(path.Base(f), ".yaml"))
	}
	for id := range taken {
		ids = append(ids, id)
	}
	high := 0
	for _, id := range ids {
		m := newIDRE.FindStringSubmatch(id)
		if m == nil || m[1] != day {
			continue
		}
		if n, err := strconv.Atoi(m[2]); err == nil && n > high {
			high = n
		}
	}
	return high + 1, nil
}

// checkNewJob checks what a dispatcher typed for a new job, before any id or
// token is made, and trims the text fields the way ParseJob reads them.
func (s *Site) checkNew(j *generator.Job) error {
	for _, p := range []*string{&j.Customer.Name, &j.Address, &j.Service, &j.Crew, &j.LegacyID} {
		*p = strings.TrimSpace(*p)
	}
	if j.Price != nil {
		j.Price.Note = strings.TrimSpace(j.Price.Note)
	}
	if j.Scheduled != nil {
		j.Scheduled.Window = strings.TrimSpace(j.Scheduled.Window)
	}
	var kept []generator.PrivateField
	for _, f := range j.Private {
		f.Key, f.Value = strings.TrimSpace(f.Key), strings.TrimSpace(f.Value)
		if f.Value != "" {
			kept = append(kept, f)
		}
	}
	j.Private = kept
	if j.Customer.Name == "" {
		return errors.New("the customer's name is empty")
	}
	texts := []string{j.Customer.Name, j.Address, j.Service, j.Crew, j.LegacyID}
	if j.Price != nil {
		texts = append(texts, j.Price.Note)
	}
	if j.Scheduled != nil {
		texts = append(texts, j.Scheduled.Window)
	}
	for _, f := range j.Private {
		texts = append(texts, f.Key, f.Value)
	}
	for _, t := range texts {
		if !utf8.ValidString(t) {
			return fmt.Errorf("%q is not valid UTF-8 text", t)
		}
	}
	if !j.Status.Known() {
		return fmt.Errorf("unknown status %q (known: %s)", j.Status, generator.StatusNames(generator.Statuses))
	}
	if j.Service != "" {
		if err := generator.CheckService(s.Dir, j.Service); err != nil {
			return err
		}
		sv, err := generator.ReadService(s.Dir, j.Service)
		if err != nil {
			return err
		}
		if sv != nil && !j.Status.OnSteps(sv.Steps) {
			return &generator.StepError{Status: j.Status, Service: sv}
		}
	}
	return nil
}
