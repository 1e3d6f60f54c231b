package generator

import (
	"fmt"
	"slices"
	"strings"
)

// Status is a step of a job's life. The flow is the same for every page and
// command: booked → ready_for_pickup → in_progress → completed, with
// cancelled reachable from any status before completed. Moves go forward;
// steps may be skipped.
type Status string

// The statuses of the flow.
const (
	Booked         Status = "booked"
	ReadyForPickup Status = "ready_for_pickup"
	InProgress     Status = "in_progress"
	Completed      Status = "completed"
	Cancelled      Status = "cancelled"
)

// Flow is the ordered list of statuses a job normally goes through.
var Flow = []Status{Booked, ReadyForPickup, InProgress, Completed}

// Statuses is every known status, in flow order with cancelled last.
var Statuses = []Status{Booked, ReadyForPickup, InProgress, Completed, Cancelled}

// Known reports whether s is a status of the flow.
func (s Status) Known() bool { return s.rank() >= 0 }

// Ended reports whether a job in status s is over.
func (s Status) Ended() bool { return s == Completed || s == Cancelled }

func (s Status) rank() int {
	for i, x := range Statuses {
		if x == s {
			return i
		}
	}
	return -1
}

// CanMove reports whether a job may go from s to next. Staying put is not a
// move.
func (s Status) CanMove(next Status) bool {
	if !s.Known() || !next.Known() || s == next || s.Ended() {
		return false
	}
	if next == Cancelled {
		return true
	}
	return next.rank() > s.rank()
}

// Next lists the statuses a job in s may move to.
func (s Status) Next() []Status {
	var out []Status
	for _, n := range Statuses {
		if s.CanMove(n) {
			out = append(out, n)
		}
	}
	return out
}

// NextIn lists the statuses a job in s may move to when its service goes
// through steps (see Service.Steps): the moves of Next that stay on those
// steps. Cancelled is always among them before completed.
func (s Status) NextIn(steps []Status) []Status {
	var out []Status
	for _, n := range s.Next() {
		if n == Cancelled || slices.Contains(steps, n) {
			out = append(out, n)
		}
	}
	return out
}

// OnSteps reports whether a job whose service goes through steps may be in
// status s: s is one of the steps, or cancelled.
func (s Status) OnSteps(steps []Status) bool {
	return s == Cancelled || slices.Contains(steps, s)
}

func statusNames(list []Status) string {
	names := make([]string, len(list))
	for i, s := range list {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// StatusText is how a status is shown to customers: a label and what happens
// next. Both have defaults and can be overridden in qdn.yaml.
type StatusText struct {
	Label string
	Next  string
}

var defaultStatusText = map[Status]StatusText{
	Booked: {
		Label: "Booked",
		Next:  "We have your booking. Dispatch will confirm the time window before the crew heads out.",
	},
	ReadyForPickup: {
		Label: "Ready for pickup",
		Next:  "Everything is ready. The crew will arrive in the scheduled window; make sure the load is reachable.",
	},
	InProgress: {
		Label: "In progress",
		Next:  "The crew is on the job now. We will mark it completed as soon as the load is dumped.",
	},
	Completed: {
		Label: "Completed",
		Next:  "All done. Your receipt is below; thank you for choosing us.",
	},
	Cancelled: {
		Label: "Cancelled",
		Next:  "This job was cancelled. Call or text dispatch if that is a mistake or to book again.",
	},
}

// ParseStatus returns the status named s, or an error listing the known ones.
func ParseStatus(s string) (Status, error) {
	st := Status(s)
	if !st.Known() {
		return "", fmt.Errorf("unknown status %q (known: %s)", s, statusNames(Statuses))
	}
	return st, nil
}
