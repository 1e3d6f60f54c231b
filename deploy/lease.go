package deploy

// The lock of an environment is a lease: the object .qdn/lock.json names
// its holder and when the lease ends, and the holder renews it while it
// works. A sync or promotion that died (a cancelled CI job, a lost runner)
// stops renewing, and the next one takes the lock over once the lease ended,
// or at once when the holder was a process of this machine that no longer
// exists. Every write of the lock is conditional on the ETag its writer
// read, so two syncs cannot both take it over.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"sync"
	"time"
)

// DefaultLeaseTTL is how long a lock lasts unless its holder renews it. The
// holder renews it every third of that.
const DefaultLeaseTTL = time.Minute

// Lock is the content of the lock object: who holds it, since when, and
// until when unless renewed.
type Lock struct {
	// Holder names the holder for people: user@host (pid N), and what it
	// does when that is not a sync.
	Holder string `json:"holder"`
	// Host is the holder's host name; Machine adds what makes its PID
	// meaningful to another process (the PID namespace on Linux), so that
	// a process that no longer exists is seen only from the same machine.
	Host    string `json:"host,omitempty"`
	Machine string `json:"machine,omitempty"`
	PID     int    `json:"pid,omitempty"`
	// ID is random, new for each lease.
	ID     string    `json:"id,omitempty"`
	Commit string    `json:"commit,omitempty"`
	Since  time.Time `json:"since"`
	// Expires is when the lease ends unless renewed, by the holder's
	// clock. A lock without it was written by a qdn that knew no leases;
	// it ends an hour after Since.
	Expires time.Time `json:"expires,omitzero"`
}

// legacyLockTTL is how long a lock without Expires lasts.
const legacyLockTTL = time.Hour

// ends returns when l's lease ends.
func (l Lock) ends() time.Time {
	if l.Expires.IsZero() {
		return l.Since.Add(legacyLockTTL)
	}
	return l.Expires
}

// NewLock returns the lock of this process: user@host (pid N), with what,
// when not empty, saying what it does (such as "qdn promote --from
// staging").
func NewLock(what, commit string) Lock {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	holder := fmt.Sprintf("%s@%s (pid %d)", name, host, os.Getpid())
	if what != "" {
		holder = what + ", " + holder
	}
	return Lock{Holder: holder, Host: host, Machine: machineID(host), PID: os.Getpid(), Commit: commit}
}

// machineID names the space in which this process's PID means something:
// the host name, and the PID namespace where there is one (a container
// with the same host name as another has processes of its own).
func machineID(host string) string {
	if ns, err := os.Readlink("/proc/self/ns/pid"); err == nil {
		return host + "/" + ns
	}
	return host
}

// LockedError is returned when another sync holds the environment's lock
// and its lease has not ended.
type LockedError struct {
	Lock Lock
	Key  string
	// Now is when the lock was read, by this machine's clock.
	Now time.Time
	// Running says the holder is a process of this machine that exists;
	// Renewed that the holder renewed the lease while this one waited.
	// Neither says the holder runs on another machine and did not renew
	// within the wait, if there was one.
	Running, Renewed bool
	// Unreadable holds why the lock's content could not be read.
	Unreadable string
}

func (e *LockedError) Error() string {
	if e.Unreadable != "" {
		return fmt.Sprintf("the lock %s cannot be read (%s)", e.Key, e.Unreadable)
	}
	msg := fmt.Sprintf("another sync holds the lock %s: %s, since %s", e.Key, e.Lock.Holder, e.Lock.Since.UTC().Format(time.RFC3339))
	switch {
	case e.Running:
		msg += "; its process is running on this machine"
	case e.Renewed:
		msg += "; it renewed its lease just now"
	}
	return msg
}

// Ends is when the holder's lease ends unless it renews it.
func (e *LockedError) Ends() time.Time { return e.Lock.ends() }

// ErrLeaseLost is the cause of the context of a Lease whose lock was taken
// over or removed by another, or could not be renewed in time.
var ErrLeaseLost = errors.New("the lock was lost")

// Lease holds the lock of an environment while a sync or a promotion works.
// Open takes the lock and renews it in a goroutine until Close releases it.
type Lease struct {
	Bucket Bucket
	// Key is the lock object's key: the environment's prefix + LockKey.
	Key string
	// Lock says who takes the lock (see NewLock); Open fills in its ID,
	// Since and Expires.
	Lock Lock
	// TTL is how long the lease lasts unless renewed; DefaultLeaseTTL when
	// zero.
	TTL time.Duration
	// MaxWait is the longest Open waits for another's lease to end before
	// it gives up; zero waits not at all.
	MaxWait time.Duration
	// Force breaks any lock that another holds (--force-unlock).
	Force bool
	// Now and Rand are the clock and the randomness of the lock's ID; nil
	// means the real ones.
	Now  func() time.Time
	Rand io.Reader
	// Notify, when set, receives one line for each thing Open did to a lock
	// that another held, and for waiting on one.
	Notify func(msg string)

	mu     sync.Mutex
	etag   string
	lost   error
	cancel context.CancelCauseFunc
	stop   chan struct{}
	wg     sync.WaitGroup
}

func (l *Lease) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

func (l *Lease) ttl() time.Duration {
	if l.TTL > 0 {
		return l.TTL
	}
	return DefaultLeaseTTL
}

func (l *Lease) notify(format string, args ...any) {
	if l.Notify != nil {
		l.Notify(fmt.Sprintf(format, args...))
	}
}

// Open takes the lock and starts renewing it. It returns a context derived
// from ctx that is cancelled, with the cause ErrLeaseLost, if the lease is
// lost; work done under the lock uses it. Close releases the lock.
//
// When another holds the lock, Open takes it over if its lease has ended or
// its holder is a process of this machine that no longer exists. When the
// lease ends within MaxWait, Open waits for it and takes it over unless
// the holder renewed it meanwhile. Otherwise it returns a *LockedError.
// With Force, any lock is broken.
//
// An Open stopped by ctx removes the lock it may have written already (one
// whose answer it did not wait for), so that a sync stopped while it takes
// the lock does not leave it to block the next one.
func (l *Lease) Open(ctx context.Context) (context.Context, error) {
	lctx, err := l.open(ctx)
	if err != nil && ctx.Err() != nil {
		l.abandon(ctx)
	}
	return lctx, err
}

// abandon removes the lock if it holds this lease's ID.
func (l *Lease) abandon(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	b, etag, err := l.Bucket.Read(ctx, l.Key)
	if err != nil {
		return
	}
	var held Lock
	if json.Unmarshal(b, &held) == nil && held.ID == l.Lock.ID {
		_ = l.Bucket.DeleteIf(ctx, l.Key, etag)
	}
}

func (l *Lease) open(ctx context.Context) (context.Context, error) {
	r := l.Rand
	if r == nil {
		r = rand.Reader
	}
	id := make([]byte, 8)
	if _, err := io.ReadFull(r, id); err != nil {
		return nil, fmt.Errorf("lock id: %w", err)
	}
	l.Lock.ID = hex.EncodeToString(id)
	l.Lock.Since = l.now().UTC()
	broke, waited := false, false
	for attempt := 0; attempt < 10; attempt++ {
		body, err := l.body()
		if err != nil {
			return nil, err
		}
		_, err = l.Bucket.Create(ctx, l.Key, body)
		if err == nil {
			return l.start(ctx)
		}
		if !errors.Is(err, ErrExists) {
			return nil, fmt.Errorf("lock: %w", err)
		}
		held, heldETag, err := l.Bucket.Read(ctx, l.Key)
		if errors.Is(err, ErrNotFound) {
			continue // released in between
		}
		if err != nil {
			return nil, fmt.Errorf("lock: %w", err)
		}
		var other Lock
		unreadable := ""
		if err := json.Unmarshal(held, &other); err != nil {
			unreadable = err.Error()
		}
		now := l.now()
		switch {
		case l.Force && !broke:
			if err := l.Bucket.DeleteIf(ctx, l.Key, heldETag); err != nil {
				return nil, fmt.Errorf("break the lock %s: %w", l.Key, err)
			}
			broke = true
			if unreadable != "" {
				l.notify("broke the unreadable lock %s (%s)", l.Key, unreadable)
			} else {
				l.notify("broke the lock %s of %s, held for %s", l.Key, other.Holder, now.Sub(other.Since).Round(time.Second))
			}
			continue
		case unreadable != "":
			return nil, &LockedError{Key: l.Key, Now: now, Unreadable: unreadable}
		}
		why := l.stale(other, now)
		if why == "" {
			wait := other.ends().Sub(now)
			if waited || wait > l.MaxWait {
				return nil, &LockedError{Lock: other, Key: l.Key, Now: now, Renewed: waited, Running: l.sameMachine(other) && other.PID != 0 && !processGone(other.PID)}
			}
			// The holder renews every third of its TTL: if it runs, the
			// lock changes before its lease ends.
			l.notify("the lock %s is held by %s; waiting until its lease ends at %s (%s)",
				l.Key, other.Holder, other.ends().UTC().Format(time.RFC3339), wait.Round(time.Second))
			changed, err := l.waitFor(ctx, heldETag, wait+time.Second)
			if err != nil {
				return nil, err
			}
			waited = true
			if changed {
				continue
			}
			why = "its lease ended at " + other.ends().UTC().Format(time.RFC3339) + " without being renewed"
		}
		body, err = l.body()
		if err != nil {
			return nil, err
		}
		_, err = l.Bucket.Replace(ctx, l.Key, body, heldETag)
		if errors.Is(err, ErrChanged) || errors.Is(err, ErrNotFound) {
			continue // another took it or released it first: look again
		}
		if err != nil {
			return nil, fmt.Errorf("take over the lock %s: %w", l.Key, err)
		}
		l.notify("took over the lock %s from %s: %s", l.Key, other.Holder, why)
		return l.start(ctx)
	}
	return nil, fmt.Errorf("lock %s: it kept changing while this sync tried to take it", l.Key)
}

// stale says why the lock other, read at now, may be taken over, or ""
// when it may not.
func (l *Lease) stale(other Lock, now time.Time) string {
	if l.sameMachine(other) && other.PID != 0 && processGone(other.PID) {
		return fmt.Sprintf("its process %d no longer runs on this machine", other.PID)
	}
	if now.After(other.ends()) {
		return "its lease ended at " + other.ends().UTC().Format(time.RFC3339)
	}
	return ""
}

func (l *Lease) sameMachine(other Lock) bool {
	return other.Machine != "" && other.Machine == l.Lock.Machine
}

// waitFor waits for d, and reports whether the lock's ETag changed from
// etag (or the lock went) meanwhile, looking every few seconds.
func (l *Lease) waitFor(ctx context.Context, etag string, d time.Duration) (changed bool, err error) {
	step := max(l.ttl()/12, 100*time.Millisecond)
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return false, nil
		}
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("wait for the lock %s: %w", l.Key, ctx.Err())
		case <-time.After(min(step, left)):
		}
		_, now, err := l.Bucket.Read(ctx, l.Key)
		if errors.Is(err, ErrNotFound) {
			return true, nil
		}
		if err != nil {
			return false, fmt.Errorf("wait for the lock %s: %w", l.Key, err)
		}
		if now != etag {
			return true, nil
		}
	}
}

// body returns the lock's content with a lease that ends one TTL from now.
func (l *Lease) body() ([]byte, error) {
	l.Lock.Expires = l.now().UTC().Add(l.ttl())
	return json.MarshalIndent(l.Lock, "", "  ")
}

// start checks that the lock just written is ours and starts renewing it.
func (l *Lease) start(ctx context.Context) (context.Context, error) {
	// A server that ignores the write conditions lets two syncs both think
	// they took the lock; the later write wins, and reading the lock back
	// shows the earlier one that it lost.
	etag, err := l.check(ctx)
	if err != nil {
		return nil, err
	}
	l.etag = etag
	lctx, cancel := context.WithCancelCause(ctx)
	l.cancel = cancel
	l.stop = make(chan struct{})
	l.wg.Add(1)
	go l.renew(context.WithoutCancel(ctx))
	return lctx, nil
}

// check reads the lock and returns its ETag, or an error wrapping
// ErrLeaseLost unless it still holds this lease. An ETag other than the one
// last written is this lease's own write whose answer was lost (a request
// that timed out on the way back), when the lock still holds its ID.
func (l *Lease) check(ctx context.Context) (string, error) {
	b, etag, err := l.Bucket.Read(ctx, l.Key)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return "", fmt.Errorf("%w: %s was removed", ErrLeaseLost, l.Key)
		}
		return "", err
	}
	var held Lock
	if err := json.Unmarshal(b, &held); err != nil || held.ID != l.Lock.ID {
		return "", fmt.Errorf("%w: %s now holds %s (the storage server may ignore conditional writes; see docs/deploying.md)", ErrLeaseLost, held.Holder, l.Key)
	}
	return etag, nil
}

// renew renews the lease every third of its TTL until Close. When the lock
// was taken by another, or could not be renewed before the lease ends, it
// cancels the lease's context.
func (l *Lease) renew(ctx context.Context) {
	defer l.wg.Done()
	every := l.ttl() / 3
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		err := l.renewOnce(ctx, every)
		if err == nil {
			continue
		}
		l.mu.Lock()
		ends := l.Lock.Expires
		l.mu.Unlock()
		// Past the end of the lease, another sync may take the lock over.
		if errors.Is(err, ErrLeaseLost) || !l.now().Before(ends) {
			l.mu.Lock()
			l.lost = err
			l.mu.Unlock()
			l.cancel(fmt.Errorf("%w: %v", ErrLeaseLost, err))
			return
		}
		// A failed request is tried again at the next tick, while the
		// lease lasts.
	}
}

func (l *Lease) renewOnce(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	l.mu.Lock()
	defer l.mu.Unlock()
	// Reading first catches another's lock on a server that ignores
	// If-Match, but for the moment between the read and the write.
	current, err := l.check(ctx)
	if err != nil {
		return err
	}
	l.etag = current
	prev := l.Lock.Expires
	body, err := l.body()
	if err != nil {
		return err
	}
	etag, err := l.Bucket.Replace(ctx, l.Key, body, l.etag)
	if errors.Is(err, ErrChanged) || errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: %v", ErrLeaseLost, err)
	}
	if err != nil {
		l.Lock.Expires = prev
		return err
	}
	l.etag = etag
	return nil
}

// Close stops renewing and removes the lock, only if it is still this
// lease's. It may be called more than once.
func (l *Lease) Close(ctx context.Context) error {
	if l.stop == nil {
		return nil
	}
	select {
	case <-l.stop:
		return nil
	default:
	}
	close(l.stop)
	l.wg.Wait()
	defer l.cancel(context.Canceled)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lost != nil {
		return fmt.Errorf("release lock: %w", l.lost)
	}
	etag, err := l.check(ctx)
	if err != nil {
		return fmt.Errorf("release lock: %w", err)
	}
	if err := l.Bucket.DeleteIf(ctx, l.Key, etag); err != nil {
		return fmt.Errorf("release lock: %w", err)
	}
	return nil
}
