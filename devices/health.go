package devices

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Tracker holds a device's Status behind a mutex and announces changes.
// Drivers embed one; the desk reads Status() or registers OnChange.
type Tracker struct {
	mu       sync.Mutex
	st       Status
	now      func() time.Time
	onChange []func(Status)
}

// NewTracker starts in Unknown. now may be nil (time.Now).
func NewTracker(now func() time.Time) *Tracker {
	if now == nil {
		now = time.Now
	}
	return &Tracker{now: now, st: Status{Health: Unknown, Since: now()}}
}

// Status returns the current snapshot.
func (t *Tracker) Status() Status {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.st
}

// OnChange registers a hook called (outside the lock) after every change of
// Health or LastError. Hooks must not block.
func (t *Tracker) OnChange(f func(Status)) {
	t.mu.Lock()
	t.onChange = append(t.onChange, f)
	t.mu.Unlock()
}

// Succeeded records a good round trip.
func (t *Tracker) Succeeded(rtt time.Duration) {
	t.set(func(s *Status) { s.Health, s.LastError, s.RTT = OK, "", rtt })
}

// Failed records an error; health becomes h (Degraded or Down usually).
func (t *Tracker) Failed(h Health, err error) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	t.set(func(s *Status) { s.Health, s.LastError = h, msg })
}

// Set forces a health state (e.g. Connecting) keeping the last error.
func (t *Tracker) Set(h Health) {
	t.set(func(s *Status) { s.Health = h })
}

func (t *Tracker) set(mut func(*Status)) {
	t.mu.Lock()
	before := t.st
	mut(&t.st)
	changed := before.Health != t.st.Health || before.LastError != t.st.LastError
	if before.Health != t.st.Health {
		t.st.Since = t.now()
	}
	st := t.st
	hooks := slices.Clone(t.onChange)
	t.mu.Unlock()
	if changed {
		for _, f := range hooks {
			f(st)
		}
	}
}

// Backoff yields reconnect delays: Min, doubling up to Max.
type Backoff struct {
	Min, Max time.Duration
	cur      time.Duration
}

// Next returns the next delay and advances.
func (b *Backoff) Next() time.Duration {
	if b.Min <= 0 {
		b.Min = 250 * time.Millisecond
	}
	if b.Max <= 0 {
		b.Max = 10 * time.Second
	}
	if b.cur == 0 {
		b.cur = b.Min
		return b.cur
	}
	b.cur *= 2
	if b.cur > b.Max {
		b.cur = b.Max
	}
	return b.cur
}

// Reset starts over after a success.
func (b *Backoff) Reset() { b.cur = 0 }

// Probe runs probe while t's health is Down or Connecting: every interval,
// backing off to 16× interval while the device stays away, until quit
// closes. OK and Degraded are left alone: the link answers, and a degraded
// light shows the last command's outcome until the next command. probe's
// context is cancelled when quit closes. Drivers without a connection of
// their own (VISCA over UDP, the Key Light's HTTP) use it so that their
// status light recovers without user action; a command never waits for it.
func Probe(quit <-chan struct{}, interval time.Duration, t *Tracker, probe func(ctx context.Context)) {
	backoff := Backoff{Min: interval, Max: 16 * interval}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-quit:
			cancel()
		case <-ctx.Done():
		}
	}()
	wait := interval
	for {
		timer := time.NewTimer(wait)
		select {
		case <-quit:
			timer.Stop()
			return
		case <-timer.C:
		}
		wait = interval
		if h := t.Status().Health; h != Down && h != Connecting {
			backoff.Reset()
			continue
		}
		probe(ctx)
		if t.Status().Health != OK {
			wait = backoff.Next()
		}
	}
}
