package deploy_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quickdumpnow/qdn/deploy"
)

const lockKey = "site/.qdn/lock.json"

// lease returns a lease of e's lock for holder on machine, by the clock now
// (the real one when nil), with ttl, and a log of what it notified.
func (e *env) lease(holder, machine string, now func() time.Time, ttl time.Duration) (*deploy.Lease, *strings.Builder) {
	s, _ := e.syncer()
	l := s.Lease(deploy.Lock{Holder: holder, Host: machine, Machine: machine, PID: 4242})
	l.Now, l.TTL = now, ttl
	var log strings.Builder
	var mu sync.Mutex
	l.Notify = func(msg string) { mu.Lock(); defer mu.Unlock(); fmt.Fprintln(&log, msg) }
	return l, &log
}

func at(t time.Time) func() time.Time { return func() time.Time { return t } }

// heldLock reads the lock in the bucket.
func (e *env) heldLock() deploy.Lock {
	e.t.Helper()
	var l deploy.Lock
	if err := json.Unmarshal(e.get(lockKey), &l); err != nil {
		e.t.Fatal(err)
	}
	return l
}

func TestLease(t *testing.T) { onEachS3(t, testLease) }

func testLease(t *testing.T, e *env) {
	ctx := context.Background()

	t.Run("one of two at once", func(t *testing.T) {
		errs := make([]error, 2)
		leases := make([]*deploy.Lease, 2)
		var wg sync.WaitGroup
		for i := range 2 {
			leases[i], _ = e.lease(fmt.Sprintf("sync %d", i), "runner-"+fmt.Sprint(i), at(testNow), time.Minute)
			wg.Add(1)
			go func() { defer wg.Done(); _, errs[i] = leases[i].Open(ctx) }()
		}
		wg.Wait()
		var le *deploy.LockedError
		var winner int
		switch {
		case errs[0] == nil && errors.As(errs[1], &le):
			winner = 0
		case errs[1] == nil && errors.As(errs[0], &le):
			winner = 1
		default:
			t.Fatalf("two concurrent Opens: %v, %v; want one lease and one LockedError", errs[0], errs[1])
		}
		if want := fmt.Sprintf("sync %d", winner); le.Lock.Holder != want || !le.Lock.Since.Equal(testNow) || le.Running {
			t.Errorf("LockedError names %q since %v (running %t); want %q since %v, not known to run", le.Lock.Holder, le.Lock.Since, le.Running, want, testNow)
		}
		if !strings.Contains(le.Error(), "since 2026-11-22T12:00:00Z") || !le.Ends().Equal(testNow.Add(time.Minute)) {
			t.Errorf("LockedError = %q, ends %v; want since when, and the end of the lease", le.Error(), le.Ends())
		}
		if err := leases[winner].Close(ctx); err != nil {
			t.Fatal(err)
		}
		if _, ok := e.listing()[lockKey]; ok {
			t.Error("lock still in the bucket after Close")
		}
	})

	t.Run("lease ended", func(t *testing.T) {
		dead, _ := e.lease("dead", "runner-1", at(testNow), time.Minute)
		lctx, err := dead.Open(ctx)
		if err != nil {
			t.Fatal(err)
		}
		next, log := e.lease("next", "runner-2", at(testNow.Add(61*time.Second)), time.Minute)
		if _, err := next.Open(ctx); err != nil {
			t.Fatalf("Open over an ended lease: %v", err)
		}
		if want := "took over the lock site/.qdn/lock.json from dead: its lease ended at 2026-11-22T12:01:00Z"; !strings.Contains(log.String(), want) {
			t.Errorf("notified %q; want %q", log.String(), want)
		}
		if h := e.heldLock(); h.Holder != "next" {
			t.Errorf("lock held by %q; want next", h.Holder)
		}
		// The first holder learns it lost the lock, and leaves the new
		// holder's lock alone.
		if err := dead.Close(ctx); !errors.Is(err, deploy.ErrLeaseLost) {
			t.Errorf("Close of a lease taken over = %v; want ErrLeaseLost", err)
		}
		if lctx.Err() == nil {
			t.Error("context of a lease taken over not cancelled")
		}
		if h := e.heldLock(); h.Holder != "next" {
			t.Errorf("after the old holder's Close, lock held by %q; want next", h.Holder)
		}
		if err := next.Close(ctx); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("process gone", func(t *testing.T) {
		cmd := exec.Command("true")
		if err := cmd.Run(); err != nil {
			t.Fatal(err)
		}
		here, _ := e.lease("here", "this-machine", at(testNow), time.Minute)
		here.Lock.PID = cmd.Process.Pid
		if _, err := here.Open(ctx); err != nil {
			t.Fatal(err)
		}
		next, log := e.lease("next", "this-machine", at(testNow), time.Minute)
		if _, err := next.Open(ctx); err != nil {
			t.Fatalf("Open over the lock of a process gone: %v", err)
		}
		if want := fmt.Sprintf("from here: its process %d no longer runs on this machine", cmd.Process.Pid); !strings.Contains(log.String(), want) {
			t.Errorf("notified %q; want %q", log.String(), want)
		}
		_ = here.Close(ctx)
		if err := next.Close(ctx); err != nil {
			t.Fatal(err)
		}

		// The same process id on another machine says nothing.
		there, _ := e.lease("there", "other-machine", at(testNow), time.Minute)
		there.Lock.PID = cmd.Process.Pid
		if _, err := there.Open(ctx); err != nil {
			t.Fatal(err)
		}
		next, _ = e.lease("next", "this-machine", at(testNow), time.Minute)
		var le *deploy.LockedError
		if _, err := next.Open(ctx); !errors.As(err, &le) {
			t.Errorf("Open over a live lease of another machine = %v; want a LockedError", err)
		}
		if err := there.Close(ctx); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("process running", func(t *testing.T) {
		alive, _ := e.lease("alive", "this-machine", at(testNow), time.Minute)
		alive.Lock.PID = 1
		if _, err := alive.Open(ctx); err != nil {
			t.Fatal(err)
		}
		next, _ := e.lease("next", "this-machine", at(testNow), time.Minute)
		var le *deploy.LockedError
		if _, err := next.Open(ctx); !errors.As(err, &le) || !le.Running {
			t.Errorf("Open over a running process's lease = %v; want a LockedError saying it runs", err)
		}
		if err := alive.Close(ctx); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("wait for a holder that renews", func(t *testing.T) {
		alive, _ := e.lease("alive", "runner-1", nil, 1500*time.Millisecond)
		if _, err := alive.Open(ctx); err != nil {
			t.Fatal(err)
		}
		next, log := e.lease("next", "runner-2", nil, 1500*time.Millisecond)
		next.MaxWait = 3 * time.Second
		var le *deploy.LockedError
		if _, err := next.Open(ctx); !errors.As(err, &le) || !le.Renewed {
			t.Errorf("Open over a renewed lease = %v; want a LockedError saying it was renewed", err)
		}
		if !strings.Contains(log.String(), "waiting until its lease ends") {
			t.Errorf("notified %q; want it to say it waits", log.String())
		}
		if err := alive.Close(ctx); err != nil {
			t.Errorf("Close of a renewed lease: %v", err)
		}
	})

	t.Run("wait for a holder that died", func(t *testing.T) {
		dead, _ := e.lease("dead", "runner-1", nil, 1500*time.Millisecond)
		if _, err := dead.Open(ctx); err != nil {
			t.Fatal(err)
		}
		// The holder is killed: nothing renews its lock any more, and the
		// lock stays.
		b := e.get(lockKey)
		_ = dead.Close(ctx)
		e.put(lockKey, b)
		next, log := e.lease("next", "runner-2", nil, 1500*time.Millisecond)
		next.MaxWait = 3 * time.Second
		start := time.Now()
		if _, err := next.Open(ctx); err != nil {
			t.Fatalf("Open over a lease nobody renews = %v; want it taken over", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("took %v; want within the lease", d)
		}
		if !strings.Contains(log.String(), "without being renewed") {
			t.Errorf("notified %q; want it to say the lease was not renewed", log.String())
		}
		if err := next.Close(ctx); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("renew and lose", func(t *testing.T) {
		l, _ := e.lease("renewing", "runner-1", nil, 1500*time.Millisecond)
		lctx, err := l.Open(ctx)
		if err != nil {
			t.Fatal(err)
		}
		first := e.heldLock().Expires
		time.Sleep(1700 * time.Millisecond)
		if h := e.heldLock(); !h.Expires.After(first) || lctx.Err() != nil {
			t.Errorf("after a TTL, lease ends %v (was %v), context %v; want it renewed", h.Expires, first, lctx.Err())
		}
		// Another writes the lock (a --force-unlock and a new sync): the
		// next renewal sees it and stops the work.
		e.put(lockKey, []byte(`{"holder":"intruder","since":"2026-11-22T12:00:00Z"}`))
		select {
		case <-lctx.Done():
			if !errors.Is(context.Cause(lctx), deploy.ErrLeaseLost) {
				t.Errorf("cause = %v; want ErrLeaseLost", context.Cause(lctx))
			}
		case <-time.After(4 * time.Second):
			t.Fatal("the lease's context was not cancelled after the lock was taken")
		}
		if err := l.Close(ctx); !errors.Is(err, deploy.ErrLeaseLost) {
			t.Errorf("Close of a lost lease = %v; want ErrLeaseLost", err)
		}
		if h := e.heldLock(); h.Holder != "intruder" {
			t.Errorf("Close of a lost lease removed or changed the other's lock: held by %q", h.Holder)
		}
	})

	t.Run("force", func(t *testing.T) {
		// The intruder's lock of the step before is still there, and
		// unexpired by the clock of its Since and an hour.
		l, log := e.lease("forcing", "runner-2", at(testNow.Add(5*time.Minute)), time.Minute)
		var le *deploy.LockedError
		if _, err := l.Open(ctx); !errors.As(err, &le) {
			t.Fatalf("Open without force over a live lock = %v; want a LockedError", err)
		}
		l.Force = true
		if _, err := l.Open(ctx); err != nil {
			t.Fatalf("Open with force: %v", err)
		}
		if want := "broke the lock site/.qdn/lock.json of intruder, held for 5m0s"; !strings.Contains(log.String(), want) {
			t.Errorf("notified %q; want %q", log.String(), want)
		}
		if err := l.Close(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

// cancelOnCreate is a bucket that stops the context of the sync once the
// lock is written, as Ctrl-C or a failed build beside it does.
type cancelOnCreate struct {
	deploy.Bucket
	cancel context.CancelFunc
}

func (b cancelOnCreate) Create(ctx context.Context, key string, body []byte) (string, error) {
	etag, err := b.Bucket.Create(ctx, key, body)
	b.cancel()
	return etag, err
}

// TestLeaseStoppedWhileTaken stops a sync right after it wrote the lock,
// before it read it back: Open fails, and removes the lock it wrote.
func TestLeaseStoppedWhileTaken(t *testing.T) { onEachS3(t, testLeaseStoppedWhileTaken) }

func testLeaseStoppedWhileTaken(t *testing.T, e *env) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l, _ := e.lease("sync", "runner-1", nil, time.Minute)
	l.Bucket = cancelOnCreate{Bucket: l.Bucket, cancel: cancel}
	if _, err := l.Open(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Open stopped after writing the lock = %v; want context.Canceled", err)
	}
	if keys := e.listing(); len(keys) != 0 {
		t.Errorf("the bucket holds %v after Open was stopped; want it empty, the lock removed", keys)
	}
	// The next sync takes the lock at once.
	next, _ := e.lease("next", "runner-2", nil, time.Minute)
	if _, err := next.Open(context.Background()); err != nil {
		t.Fatalf("Open after a stopped one = %v; want the lock", err)
	}
	if err := next.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}
