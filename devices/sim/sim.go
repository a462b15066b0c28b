// Package sim provides simulated studio devices for rehearsal mode and for
// tests of the recall fan-out: they validate targets like the real drivers,
// keep state the UI can show, and take injected latency and failures.
package sim

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"studiodesk/devices"
)

// ErrSimulatedDown is the cause of every Apply while SetDown(true) is in force.
var ErrSimulatedDown = errors.New("link down (simulated)")

// base is what every simulated device shares: identity, health, clock,
// latency, failure injection and change hooks.
type base struct {
	id, name string
	kind     devices.Kind
	prefix   string // `camera "A机位" (sim)`, the start of every error
	tracker  *devices.Tracker

	mu       sync.Mutex
	now      func() time.Time
	latency  time.Duration
	down     bool
	closed   bool
	failures []error
	hooks    []func()
	limits   map[string]devices.Limit // nil: the simulator's own ranges
}

func (b *base) init(id, name string, kind devices.Kind, latency time.Duration) {
	if name == "" {
		name = id
	}
	b.id, b.name, b.kind = id, name, kind
	b.prefix = fmt.Sprintf("%s %q (sim)", kind, name)
	b.tracker = devices.NewTracker(nil)
	b.now = time.Now
	b.latency = latency
	b.tracker.Succeeded(0)
}

// ID implements devices.Device.
func (b *base) ID() string { return b.id }

// Name implements devices.Device.
func (b *base) Name() string { return b.name }

// Kind implements devices.Device.
func (b *base) Kind() devices.Kind { return b.kind }

// Status implements devices.Device.
func (b *base) Status() devices.Status { return b.tracker.Status() }

// OnStatusChange registers a hook for health changes; it must not block.
func (b *base) OnStatusChange(f func(devices.Status)) { b.tracker.OnChange(f) }

// OnChange registers a hook called after every change of state or health
// (outside the device's lock); it must not block.
func (b *base) OnChange(f func()) {
	b.mu.Lock()
	b.hooks = append(b.hooks, f)
	b.mu.Unlock()
}

// SetClock replaces the clock that drives fades (nil: time.Now). Latency
// always uses real time so that it can honour a context.
func (b *base) SetClock(now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	b.mu.Lock()
	b.now = now
	b.mu.Unlock()
}

// SetLatency sets how long Apply and Capture take.
func (b *base) SetLatency(d time.Duration) {
	b.mu.Lock()
	b.latency = max(d, 0)
	b.mu.Unlock()
}

// SetDown makes the device unreachable (true) or reachable again (false).
func (b *base) SetDown(down bool) {
	b.mu.Lock()
	b.down = down
	b.mu.Unlock()
	if down {
		b.tracker.Failed(devices.Down, fmt.Errorf("%s: %w", b.prefix, ErrSimulatedDown))
	} else {
		b.tracker.Succeeded(0)
	}
	b.changed()
}

// SetConnecting shows the device as connecting (blue), as a real driver
// does before its device first answers; the next good Apply, or
// SetDown(false), makes it OK.
func (b *base) SetConnecting() {
	b.tracker.Set(devices.Connecting)
	b.changed()
}

// FailNext makes the next Apply fail with err (queued: each call fails one
// more Apply). The device's state is left alone and health turns Degraded.
func (b *base) FailNext(err error) {
	if err == nil {
		err = errors.New("injected failure")
	}
	b.mu.Lock()
	b.failures = append(b.failures, err)
	b.mu.Unlock()
}

// Close implements devices.Device.
func (b *base) Close() error {
	b.mu.Lock()
	already := b.closed
	b.closed = true
	b.mu.Unlock()
	if !already {
		b.tracker.Failed(devices.Down, fmt.Errorf("%s: %w", b.prefix, devices.ErrClosed))
		b.changed()
	}
	return nil
}

func (b *base) changed() {
	b.mu.Lock()
	hooks := slices.Clone(b.hooks)
	b.mu.Unlock()
	for _, f := range hooks {
		f()
	}
}

// begin simulates the trip to the device: it checks closed/down, waits the
// latency (or ctx), and consumes an injected failure. what names the
// operation in errors.
func (b *base) begin(ctx context.Context, what string, consumeFailure bool) error {
	b.mu.Lock()
	closed, latency := b.closed, b.latency
	b.mu.Unlock()
	if closed {
		return fmt.Errorf("%s: %s: %w", b.prefix, what, devices.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return b.ctxError(ctx, what)
	}
	if latency > 0 {
		timer := time.NewTimer(latency)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return b.ctxError(ctx, what)
		}
	}
	b.mu.Lock()
	closed, down := b.closed, b.down
	var injected error
	if consumeFailure && !closed && !down && len(b.failures) > 0 {
		injected = b.failures[0]
		b.failures = b.failures[1:]
	}
	b.mu.Unlock()
	switch {
	case closed:
		return fmt.Errorf("%s: %s: %w", b.prefix, what, devices.ErrClosed)
	case down:
		return fmt.Errorf("%s: %s: %w: %w", b.prefix, what, devices.ErrTimeout, ErrSimulatedDown)
	case injected != nil:
		err := fmt.Errorf("%s: %s: %w", b.prefix, what, injected)
		b.tracker.Failed(devices.Degraded, err)
		b.changed()
		return err
	}
	return nil
}

// succeeded records a good round trip and tells the hooks.
func (b *base) succeeded() {
	b.mu.Lock()
	latency := b.latency
	b.mu.Unlock()
	b.tracker.Succeeded(latency)
	b.changed()
}

func (b *base) ctxError(ctx context.Context, what string) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s: %s: %w: %w", b.prefix, what, devices.ErrTimeout, ctx.Err())
	}
	return fmt.Errorf("%s: %s: %w", b.prefix, what, ctx.Err())
}

func (b *base) wrongKind() error {
	return fmt.Errorf("%s: %w: want a %s target", b.prefix, devices.ErrWrongKind, b.kind)
}

// SetLimits makes the simulator accept what another driver accepts (the
// configured device's declared limits, in rehearsal) instead of its own
// ranges; a target field without a limit is then unsupported.
func (b *base) SetLimits(ls []devices.Limit) {
	m := make(map[string]devices.Limit, len(ls))
	for _, l := range ls {
		m[l.Field] = l
	}
	b.mu.Lock()
	b.limits = m
	b.mu.Unlock()
}

// check range-checks field (e.g. "preset") against the limits in force:
// the configured driver's when SetLimits was called, else lo..hi.
func (b *base) check(field string, v, lo, hi int, unit string) error {
	b.mu.Lock()
	limits := b.limits
	b.mu.Unlock()
	if limits != nil {
		l, ok := limits[string(b.kind)+"."+field]
		if !ok {
			return fmt.Errorf("%s: %s: %w", b.prefix, field, devices.ErrUnsupported)
		}
		lo, hi, unit = l.Min, l.Max, l.Unit
	}
	if err := devices.CheckRange(field, v, lo, hi, unit); err != nil {
		return fmt.Errorf("%s: %w", b.prefix, err)
	}
	return nil
}

var (
	_ devices.Device   = (*Camera)(nil)
	_ devices.Capturer = (*Camera)(nil)
	_ devices.Device   = (*Light)(nil)
	_ devices.Capturer = (*Light)(nil)
	_ devices.Device   = (*OBS)(nil)
	_ devices.Capturer = (*OBS)(nil)
)
