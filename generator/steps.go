package generator

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
)

// parseSteps decodes the steps of a service: statuses of the flow, in its
// order, from booked to completed. Jobs are booked first (qdn job new) and
// end completed, so those two are always steps; cancelled is always
// possible and is not one.
func parseSteps(e errs, n *node) []Status {
	flow := statusNames(Flow)
	var out []Status
	bad := false
	for _, item := range sequence(e, "steps", n) {
		v := str(e, "steps item", item)
		l, c := pos(item)
		st := Status(v)
		switch {
		case st == Cancelled:
			e.at(l, c, "remove it: a job can be cancelled at any step before completed", "steps lists cancelled")
			bad = true
			continue
		case !st.Known():
			var names []string
			for _, f := range Flow {
				names = append(names, string(f))
			}
			e.at(l, c, "steps are statuses of the flow, in its order: "+flow+suggest(v, names), "steps has unknown status %q", v)
			bad = true
			continue
		case slices.Contains(out, st):
			e.at(l, c, "list each step once", "steps lists %s twice", st)
			bad = true
			continue
		case len(out) > 0 && st.rank() < out[len(out)-1].rank():
			e.at(l, c, "list the steps in the order of the flow: "+flow, "steps lists %s after %s", st, out[len(out)-1])
			bad = true
			continue
		}
		out = append(out, st)
	}
	if bad {
		return out
	}
	l, c := pos(n)
	if len(out) == 0 || out[0] != Booked {
		e.at(l, c, "start the steps with booked: every job is booked first", "steps does not start with booked")
	}
	if len(out) == 0 || out[len(out)-1] != Completed {
		e.at(l, c, "end the steps with completed", "steps does not end with completed")
	}
	return out
}

// StepsOf returns the steps of the job's service (Service.Steps), or the
// whole flow for a job without a service or with an unknown one.
func (s *Site) StepsOf(j *Job) []Status {
	if sv := s.Service(j.Service); sv != nil && len(sv.Steps) > 0 {
		return sv.Steps
	}
	return Flow
}

// checkSteps records an error for a job whose status, or a status of whose
// history, is not a step of its service.
func (s *Site) checkSteps(j *Job, list *ErrorList) {
	sv := s.Service(j.Service)
	if sv == nil || len(sv.Steps) == 0 {
		return
	}
	hint := func(st Status) string {
		return "a " + sv.Slug + " job goes through " + statusNames(sv.Steps) + " (or is cancelled); use one of those, or add " + string(st) + " to steps: in " + sv.File
	}
	if j.Status.Known() && !j.Status.OnSteps(sv.Steps) {
		*list = append(*list, &Error{Pos: j.Pos("status"), Msg: fmt.Sprintf("status %s is not a step of service %s", j.Status, sv.Slug), Hint: hint(j.Status)})
	}
	if j.cached != nil {
		// Only the status of a cached job is known.
		return
	}
	for i, ev := range j.History {
		if ev.Status.Known() && !ev.Status.OnSteps(sv.Steps) {
			*list = append(*list, &Error{Pos: Pos{File: j.File, Line: ev.line, Col: ev.col},
				Msg: fmt.Sprintf("history entry %d has status %s, which is not a step of service %s", i+1, ev.Status, sv.Slug), Hint: hint(ev.Status)})
		}
	}
}

// readService reads the service slug of the site at dir on its own, for the
// commands that edit one job. It returns nil for a job without a service or
// whose file is missing, which qdn check reports.
func readService(dir, slug string) (*Service, error) {
	if slug == "" || !slugRE.MatchString(slug) {
		return nil, nil
	}
	file := BookDir + "/" + slug + ".md"
	root, err := openSite(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	src, _, err := readSource(root, file, maxSourceSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var list ErrorList
	sv := parseService(file, src, &list)
	return sv, list.Err()
}

// StepError is a status that is not a step of the job's service.
type StepError struct {
	// ID is the job's; empty for a job not yet created.
	ID      string
	Status  Status
	Service *Service
	// Allowed are the statuses the job may move to now.
	Allowed []Status
}

func (e *StepError) Error() string {
	if e.ID == "" {
		return fmt.Sprintf("a %s job does not go through %s", e.Service.Slug, e.Status)
	}
	return fmt.Sprintf("%s cannot move to %s: a %s job does not go through %s", e.ID, e.Status, e.Service.Slug, e.Status)
}

// Hint names the statuses the job may move to and where the steps are set.
func (e *StepError) Hint() string {
	h := "the steps of " + e.Service.Slug + " are " + statusNames(e.Service.Steps) + " (steps: in " + e.Service.File + ")"
	if len(e.Allowed) > 0 {
		h = "allowed next statuses: " + statusNames(e.Allowed) + "; " + h
	}
	return h
}
