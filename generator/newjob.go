package generator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// CreateOptions are the clock and the randomness of CreateJob, injectable so
// that tests are deterministic.
type CreateOptions struct {
	// Now is the time the job is booked; the zero time means time.Now.
	Now time.Time
	// Rand is the source of the token; nil means crypto/rand.
	Rand io.Reader
}

// newIDRE matches the ids qdn gives: JOB-YYYYMMDD-NNN.
var newIDRE = regexp.MustCompile(`(?i)^JOB-([0-9]{8})-([0-9]{3,})$`)

// maxCreateTries bounds how often CreateJob retries after another writer took
// the id it chose.
const maxCreateTries = 100

// CreateJob writes a new job file to dir/jobs and returns the job as read
// back from it. j holds what the dispatcher said: customer, address, service,
// price, schedule, crew, private fields, and the status (booked when empty).
// CreateJob gives the job its id, JOB-YYYYMMDD-NNN with the day in the site's
// time zone and NNN one more than the highest number of that day; its token,
// 128 bits from opt.Rand; and its first history entry, at opt.Now.
//
// The file is created exclusively: when another dispatcher creates a job at
// the same moment and takes the id, CreateJob takes the next number. The file
// appears complete or not at all. Before anything is written, the new file is
// parsed with ParseJob and must hold exactly the job asked for. A cancelled
// ctx stops it before the write.
func CreateJob(ctx context.Context, dir string, j Job, opt CreateOptions) (*Job, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg, err := LoadConfig(dir)
	if err != nil {
		return nil, err
	}
	loc := siteLocation(cfg)
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.In(loc).Truncate(time.Second)
	if j.Status == "" {
		j.Status = Booked
	}
	if err := checkNewJob(dir, &j); err != nil {
		return nil, err
	}
	if j.Token == "" {
		if j.Token, err = NewToken(opt.Rand); err != nil {
			return nil, err
		}
	}
	j.History = []Event{{Status: j.Status, At: now}}
	root, err := openSite(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	if err := root.MkdirAll(JobsDir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", JobsDir, err)
	}
	day := now.Format("20060102")
	for try := 0; try < maxCreateTries; try++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n, err := nextNumber(dir, day, nil)
		if err != nil {
			return nil, err
		}
		j.ID = jobID(day, n)
		j.File = JobFile(j.ID)
		src := MarshalJob(&j, loc, "")
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
// among the files in dir/jobs and the ids in taken.
func nextNumber(dir, day string, taken map[string]bool) (int, error) {
	ids, err := JobIDs(dir)
	if err != nil {
		return 0, err
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
func checkNewJob(dir string, j *Job) error {
	for _, p := range []*string{&j.Customer.Name, &j.Address, &j.Service, &j.Crew, &j.LegacyID} {
		*p = strings.TrimSpace(*p)
	}
	if j.Price != nil {
		j.Price.Note = strings.TrimSpace(j.Price.Note)
	}
	if j.Scheduled != nil {
		j.Scheduled.Window = strings.TrimSpace(j.Scheduled.Window)
	}
	var kept []PrivateField
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
		return fmt.Errorf("unknown status %q (known: %s)", j.Status, statusNames(Statuses))
	}
	if j.Service != "" {
		if err := CheckService(dir, j.Service); err != nil {
			return err
		}
		sv, err := readService(dir, j.Service)
		if err != nil {
			return err
		}
		if sv != nil && !j.Status.OnSteps(sv.Steps) {
			return &StepError{Status: j.Status, Service: sv}
		}
	}
	return nil
}

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
