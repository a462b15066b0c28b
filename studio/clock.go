package studio

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Clock is injected wherever time matters, so tests run a 2-hour show in
// milliseconds.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) ClockTimer
}

// ClockTimer is the part of time.Timer the desk uses.
type ClockTimer interface {
	C() <-chan time.Time
	Reset(d time.Duration)
	Stop()
}

// RealClock is show time at real speed: the wall clock read once, at
// process start, then advanced on the monotonic clock, so an NTP step or a
// manual clock change neither skips nor repeats show time. Wall reports
// the wall clock itself, so the desk can see (and log) a step.
type RealClock struct{}

var (
	processMono = time.Now()
	processWall = processMono.Round(0)
)

// Now returns the show time: process start plus monotonic elapsed.
func (RealClock) Now() time.Time { return processWall.Add(time.Since(processMono)) }

// Wall returns the wall clock (time.Now without its monotonic reading).
func (RealClock) Wall() time.Time { return time.Now().Round(0) }

// WallClock is implemented by clocks that can report the wall clock apart
// from show time; the desk compares the two to detect wall-clock steps.
type WallClock interface {
	Wall() time.Time
}

// ShiftClock is implemented by clocks whose show time can be moved forward
// once, at a restart whose wall clock is behind the last recorded show time
// (the wall clock was stepped back while the desk was down).
type ShiftClock interface {
	Shift(d time.Duration)
}

// NewTimer wraps time.NewTimer.
func (RealClock) NewTimer(d time.Duration) ClockTimer { return &realTimer{t: time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (r *realTimer) C() <-chan time.Time   { return r.t.C }
func (r *realTimer) Reset(d time.Duration) { r.t.Reset(d) }
func (r *realTimer) Stop()                 { r.t.Stop() }

// FakeClock advances only when told to. Timers fire (non-blocking send,
// buffer 1, like time.Timer since Go 1.23) when Advance passes their deadline.
type FakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
	// wallOff is how far the fake wall clock is from show time (StepWall).
	wallOff time.Duration
}

// Wall returns the fake wall clock: show time plus every StepWall so far.
func (c *FakeClock) Wall() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now.Add(c.wallOff)
}

// StepWall steps the fake wall clock by d (an NTP step) without moving
// show time or any timer, as a real step leaves the monotonic clock alone.
func (c *FakeClock) StepWall(d time.Duration) {
	c.mu.Lock()
	c.wallOff += d
	c.mu.Unlock()
}

// Shift moves show time forward by d without firing timers early: their
// deadlines move with it (a restart clamped to the last recorded time).
func (c *FakeClock) Shift(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.wallOff -= d
	for _, t := range c.timers {
		t.at = t.at.Add(d)
	}
	c.mu.Unlock()
}

// NewFakeClock starts at t.
func NewFakeClock(t time.Time) *FakeClock { return &FakeClock{now: t} }

// Now returns the fake time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer creates a timer firing d after the fake now.
func (c *FakeClock) NewTimer(d time.Duration) ClockTimer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{clock: c, ch: make(chan time.Time, 1), at: c.now.Add(d), armed: true}
	c.timers = append(c.timers, t)
	t.fireIfDueLocked()
	return t
}

// Advance moves time forward by d, firing due timers in deadline order.
func (c *FakeClock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// Set moves time to t (never backwards), firing due timers.
func (c *FakeClock) Set(t time.Time) {
	c.mu.Lock()
	if t.After(c.now) {
		c.now = t
	}
	due := make([]*fakeTimer, 0, 2)
	for _, ft := range c.timers {
		if ft.armed && !ft.at.After(c.now) {
			due = append(due, ft)
		}
	}
	sort.Slice(due, func(i, j int) bool { return due[i].at.Before(due[j].at) })
	for _, ft := range due {
		ft.armed = false
		select {
		case ft.ch <- ft.at:
		default:
		}
	}
	c.mu.Unlock()
}

// NextDeadline reports the earliest armed timer, for tests that step from
// cue to cue.
func (c *FakeClock) NextDeadline() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var best time.Time
	found := false
	for _, ft := range c.timers {
		if ft.armed && (!found || ft.at.Before(best)) {
			best, found = ft.at, true
		}
	}
	return best, found
}

type fakeTimer struct {
	clock *FakeClock
	ch    chan time.Time
	at    time.Time
	armed bool
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Reset(d time.Duration) {
	t.clock.mu.Lock()
	t.at = t.clock.now.Add(d)
	t.armed = true
	// Drain a stale fire so Reset behaves like time.Timer in Go 1.23+.
	select {
	case <-t.ch:
	default:
	}
	t.fireIfDueLocked()
	t.clock.mu.Unlock()
}

// fireIfDueLocked fires a timer whose deadline is not after now; a zero or
// negative duration fires at once, as with time.Timer.
func (t *fakeTimer) fireIfDueLocked() {
	if t.armed && !t.at.After(t.clock.now) {
		t.armed = false
		select {
		case t.ch <- t.at:
		default:
		}
	}
}

func (t *fakeTimer) Stop() {
	t.clock.mu.Lock()
	t.armed = false
	select {
	case <-t.ch:
	default:
	}
	t.clock.mu.Unlock()
}

// ScaledClock runs Factor times faster than the wall clock from the moment
// it is made: an accelerated rehearsal (10× runs an hour's show in six
// minutes) with every timer, cue and countdown scaled alike.
type ScaledClock struct {
	Factor float64
	origin time.Time
	// shift is added to show time (Shift), in nanoseconds.
	shift atomicDuration
}

type atomicDuration struct{ v atomic.Int64 }

func (a *atomicDuration) load() time.Duration { return time.Duration(a.v.Load()) }
func (a *atomicDuration) add(d time.Duration) { a.v.Add(int64(d)) }

// Wall returns the wall clock.
func (c *ScaledClock) Wall() time.Time { return time.Now().Round(0) }

// Shift moves show time forward by d.
func (c *ScaledClock) Shift(d time.Duration) { c.shift.add(d) }

// NewShowClock is the desk's show clock at factor× speed (1 = real time):
// monotonic between readings, immune to wall-clock steps, shiftable at a
// restart. Factor ≤ 0 means 1.
func NewShowClock(factor float64) *ScaledClock { return NewScaledClock(factor) }

// NewScaledClock starts a clock at the wall time now, running factor× fast
// (factor ≤ 0 means 1).
func NewScaledClock(factor float64) *ScaledClock {
	if factor <= 0 {
		factor = 1
	}
	return &ScaledClock{Factor: factor, origin: time.Now()}
}

// Now returns the scaled time.
func (c *ScaledClock) Now() time.Time {
	real := time.Since(c.origin)
	return c.origin.Round(0).Add(time.Duration(float64(real)*c.Factor) + c.shift.load())
}

// NewTimer fires after d of scaled time.
func (c *ScaledClock) NewTimer(d time.Duration) ClockTimer {
	return &scaledTimer{c: c, t: time.NewTimer(c.real(d))}
}

func (c *ScaledClock) real(d time.Duration) time.Duration {
	return time.Duration(float64(d) / c.Factor)
}

type scaledTimer struct {
	c *ScaledClock
	t *time.Timer
}

func (s *scaledTimer) C() <-chan time.Time   { return s.t.C }
func (s *scaledTimer) Reset(d time.Duration) { s.t.Reset(s.c.real(d)) }
func (s *scaledTimer) Stop()                 { s.t.Stop() }
