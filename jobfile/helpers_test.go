package jobfile

import (
	"context"
	"io"
	"time"

	"github.com/quickdumpnow/qdn/generator"
)

// testClock is the clock of the tests that give none: after every time
// they write into a history.
var testClock = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// openAt opens the site at dir with a clock stopped at now (testClock when
// zero) and the randomness r.
func openAt(dir string, now time.Time, r io.Reader) (*Site, error) {
	if now.IsZero() {
		now = testClock
	}
	return Open(dir, func() time.Time { return now }, r)
}

// The helpers below call one method of a Site opened for the call, as a
// qdn job command does.

type createOpts struct {
	Now  time.Time
	Rand io.Reader
}

func createJob(ctx context.Context, dir string, j generator.Job, o createOpts) (*generator.Job, error) {
	s, err := openAt(dir, o.Now, o.Rand)
	if err != nil {
		return nil, err
	}
	return s.Create(ctx, j)
}

type importOpts struct {
	Now    time.Time
	Rand   io.Reader
	Rotate bool
}

func importLegacy(ctx context.Context, dir, file string, data []byte, o importOpts) ([]Imported, error) {
	s, err := openAt(dir, o.Now, o.Rand)
	if err != nil {
		return nil, err
	}
	return s.Import(ctx, file, data, o.Rotate)
}

// statusOpts is a StatusChange with the clock, nil for testClock.
type statusOpts struct {
	At    time.Time
	Note  string
	Force bool
	Now   func() time.Time
}

func setStatus(ctx context.Context, dir, id string, to generator.Status, o statusOpts) (*generator.Job, error) {
	s, err := openAt(dir, time.Time{}, nil)
	if err != nil {
		return nil, err
	}
	if o.Now != nil {
		s.Now = o.Now
	}
	j, _, err := s.SetStatus(ctx, id, to, StatusChange{At: o.At, Note: o.Note, Force: o.Force})
	return j, err
}

func rotateToken(ctx context.Context, dir, id string, r io.Reader) (*generator.Job, error) {
	s, err := openAt(dir, time.Time{}, r)
	if err != nil {
		return nil, err
	}
	return s.RotateToken(ctx, id)
}

func resolveID(dir, query string) (string, error) {
	s, err := openAt(dir, time.Time{}, nil)
	if err != nil {
		return "", err
	}
	return s.Resolve(query)
}

func jobIDs(dir string) ([]string, error) {
	s, err := openAt(dir, time.Time{}, nil)
	if err != nil {
		return nil, err
	}
	return s.IDs()
}
