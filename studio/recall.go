package studio

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"studiodesk/devices"
)

// Recall timing defaults.
const (
	// DefaultPerDevice bounds each device's Apply during a recall.
	DefaultPerDevice = 300 * time.Millisecond
	// DefaultCaptureTimeout bounds a capture whose context has no deadline.
	DefaultCaptureTimeout = 2 * time.Second
	// recallMargin is how long past a device's deadline the fan-out waits
	// for a device that ignores its context before writing it off.
	recallMargin = 20 * time.Millisecond
)

// ErrDevicePanic reports a driver that panicked during Apply or Capture;
// the panic is contained so one bad driver cannot take the desk down.
var ErrDevicePanic = errors.New("device driver panicked")

// DeviceResult is what one device made of a recall.
type DeviceResult struct {
	DeviceID string
	Name     string
	Err      error         // nil when the device accepted its target
	Took     time.Duration // from the trigger to the device's answer (or its deadline)
}

// RecallResult is the outcome of recalling one preset.
type RecallResult struct {
	PresetID   string
	PresetName string
	// Results has one entry per target: devices in registry order, then
	// ids the registry does not know, in id order.
	Results []DeviceResult
	Started time.Time     // the trigger
	SentAt  time.Time     // when the last command was handed to a device
	Took    time.Duration // trigger to the last answer (or deadline)
	// Seq and Superseded are set by a Recaller: Superseded means a newer
	// recall cancelled this one before it finished.
	Seq        uint64
	Superseded bool
}

// OK reports whether every device accepted its target.
func (r RecallResult) OK() bool { return r.Err() == nil }

// Err joins the per-device errors (nil when all succeeded).
func (r RecallResult) Err() error {
	var errs []error
	for _, d := range r.Results {
		if d.Err != nil {
			errs = append(errs, d.Err)
		}
	}
	return errors.Join(errs...)
}

// Failed returns the results of the devices that did not accept.
func (r RecallResult) Failed() []DeviceResult {
	var out []DeviceResult
	for _, d := range r.Results {
		if d.Err != nil {
			out = append(out, d)
		}
	}
	return out
}

// resolveTarget copies a target for sending: the preset's fade and curve
// fill in what the target leaves unset, and no pointer is shared with the
// preset.
func resolveTarget(p *Preset, t devices.Target) devices.Target {
	t = cloneTarget(t)
	if t.Fade == 0 {
		t.Fade = p.Fade
	}
	if t.Curve == "" {
		t.Curve = p.Curve
	}
	return t
}

// recallOrder lists the preset's device ids in registry order, unknown ids
// last in id order.
func recallOrder(reg *Registry, p *Preset) []string {
	ids := sortedKeys(p.Targets)
	rank := func(id string) int {
		if reg == nil {
			return 0
		}
		if i := reg.position(id); i >= 0 {
			return i
		}
		return 1 << 30
	}
	ranks := make(map[string]int, len(ids))
	for _, id := range ids {
		ranks[id] = rank(id)
	}
	sort.SliceStable(ids, func(i, j int) bool { return ranks[ids[i]] < ranks[ids[j]] })
	return ids
}

// Recall applies every target of p in parallel, one goroutine per device,
// each under its own deadline of perDevice (DefaultPerDevice when <= 0).
// A slow or dead device never holds the others: Recall returns when every
// device has answered or its deadline (plus a small margin) has passed,
// even if a driver ignores its context; such a device's result is a
// devices.ErrTimeout naming it. Targets naming unknown devices, or failing
// validation, are reported without being sent. Cancelling ctx cancels
// every device's Apply (drivers then stop fades they had started).
func Recall(ctx context.Context, reg *Registry, p *Preset, perDevice time.Duration) RecallResult {
	start := time.Now()
	res := RecallResult{Started: start}
	if p == nil {
		res.SentAt = start
		return res
	}
	if perDevice <= 0 {
		perDevice = DefaultPerDevice
	}
	res.PresetID, res.PresetName = p.ID, p.label()
	ids := recallOrder(reg, p)
	res.Results = make([]DeviceResult, len(ids))

	type answer struct {
		i    int
		err  error
		took time.Duration
	}
	answers := make(chan answer, len(ids))
	handed := make([]atomic.Int64, len(ids)) // ns after start; 0 = not yet
	fail := func(dev string, err error) error {
		return &recallError{preset: res.PresetName, device: dev, err: err}
	}
	pending := 0
	var cancels []context.CancelFunc
	defer func() {
		for _, c := range cancels {
			c()
		}
	}()
	for i, id := range ids {
		r := &res.Results[i]
		r.DeviceID, r.Name = id, id
		dev, ok := reg.Get(id)
		if !ok {
			r.Err = &PresetError{Preset: res.PresetName, Device: id, Err: ErrUnknownDevice}
			continue
		}
		r.Name = deviceLabel(dev)
		t := resolveTarget(p, p.Targets[id])
		if fes := checkTarget(dev, reg.driverOf(id), t); len(fes) > 0 {
			errs := make([]error, len(fes))
			for k, fe := range fes {
				errs[k] = &PresetError{Preset: res.PresetName, Device: r.Name, Field: fe.field, Value: fe.value, Err: fe.err}
			}
			r.Err = errors.Join(errs...)
			continue
		}
		dctx, cancel := context.WithTimeout(ctx, perDevice)
		cancels = append(cancels, cancel)
		pending++
		go func(i int, dev devices.Device, t devices.Target) {
			defer func() {
				if v := recover(); v != nil {
					answers <- answer{i, fmt.Errorf("%w: %v", ErrDevicePanic, v), time.Since(start)}
				}
			}()
			handed[i].Store(max(int64(time.Since(start)), 1))
			err := dev.Apply(dctx, t)
			answers <- answer{i, err, time.Since(start)}
		}(i, dev, t)
	}

	got := make([]bool, len(ids))
	timer := time.NewTimer(perDevice + recallMargin)
	defer timer.Stop()
	parentDone := ctx.Done()
wait:
	for pending > 0 {
		select {
		case a := <-answers:
			pending--
			got[a.i] = true
			r := &res.Results[a.i]
			r.Took = a.took
			if a.err != nil {
				r.Err = fail(r.Name, normalizeTimeout(a.err, perDevice))
			}
		case <-parentDone:
			// Cancelled (a newer recall): the devices see it through their
			// contexts; give them the margin to say so, no more.
			parentDone = nil
			timer.Reset(recallMargin)
		case <-timer.C:
			break wait
		}
	}
	end := time.Since(start)
	for i := range res.Results {
		r := &res.Results[i]
		if got[i] || r.Err != nil {
			continue
		}
		r.Took = end
		if err := ctx.Err(); err != nil {
			r.Err = fail(r.Name, fmt.Errorf("recall cancelled before the device answered: %w", err))
		} else {
			r.Err = fail(r.Name, fmt.Errorf("%w: no answer within %v", devices.ErrTimeout, perDevice))
		}
	}
	var last int64
	for i := range handed {
		last = max(last, handed[i].Load())
	}
	res.SentAt = start.Add(time.Duration(last))
	res.Took = end
	return res
}

// normalizeTimeout makes a context deadline a device returned unwrapped
// match devices.ErrTimeout too.
func normalizeTimeout(err error, d time.Duration) error {
	if errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, devices.ErrTimeout) {
		return fmt.Errorf("%w after %v: %w", devices.ErrTimeout, d, err)
	}
	return err
}

// recallError names the preset and device of a device's failure during a
// recall: `preset "产品特写": device "A机位": <driver error>`.
type recallError struct {
	preset, device string
	err            error
}

func (e *recallError) Error() string {
	return fmt.Sprintf("preset %q: device %q: %v", e.preset, e.device, e.err)
}

func (e *recallError) Unwrap() error { return e.err }

// Recaller runs recalls so that a new one cancels the one still running:
// its devices' contexts are cancelled first, so fades and moves still in
// progress are abandoned by the drivers. Safe for concurrent use; the desk
// may run each recall on its own goroutine and ignore Superseded results.
type Recaller struct {
	mu     sync.Mutex
	seq    uint64
	cancel context.CancelFunc
}

// Recall cancels the previous recall, if still running, then runs Recall.
func (rc *Recaller) Recall(ctx context.Context, reg *Registry, p *Preset, perDevice time.Duration) RecallResult {
	rctx, cancel := context.WithCancel(ctx)
	rc.mu.Lock()
	if rc.cancel != nil {
		rc.cancel()
	}
	rc.seq++
	seq := rc.seq
	rc.cancel = cancel
	rc.mu.Unlock()

	res := Recall(rctx, reg, p, perDevice)

	rc.mu.Lock()
	res.Superseded = rc.seq != seq
	if !res.Superseded {
		rc.cancel = nil
	}
	rc.mu.Unlock()
	cancel()
	res.Seq = seq
	return res
}

// Cancel stops the running recall, if any.
func (rc *Recaller) Cancel() {
	rc.mu.Lock()
	if rc.cancel != nil {
		rc.cancel()
		rc.cancel = nil
	}
	rc.mu.Unlock()
}

// Capture reads the live state of the given devices in parallel ("capture
// from devices" in the preset editor); with no ids it captures every device
// in the registry. Devices that cannot be read back (not a
// devices.Capturer: ErrUnsupported), unknown ids and failures are reported
// as errors naming the device, in the order of ids; the targets captured
// are returned by device id. Without a deadline on ctx,
// DefaultCaptureTimeout applies.
func Capture(ctx context.Context, reg *Registry, deviceIDs []string) (map[string]devices.Target, []error) {
	out := make(map[string]devices.Target)
	if reg == nil {
		return out, []error{errors.New("capture: no registry")}
	}
	if len(deviceIDs) == 0 {
		for _, d := range reg.List() {
			deviceIDs = append(deviceIDs, d.ID())
		}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultCaptureTimeout)
		defer cancel()
	}
	type answer struct {
		i   int
		t   devices.Target
		err error
	}
	errs := make([]error, len(deviceIDs))
	names := make([]string, len(deviceIDs))
	answers := make(chan answer, len(deviceIDs))
	pending := 0
	for i, id := range deviceIDs {
		names[i] = id
		dev, ok := reg.Get(id)
		if !ok {
			errs[i] = fmt.Errorf("capture: device %q: %w", id, ErrUnknownDevice)
			continue
		}
		names[i] = deviceLabel(dev)
		c, ok := dev.(devices.Capturer)
		if !ok {
			errs[i] = fmt.Errorf("capture: device %q: %w", names[i], devices.ErrUnsupported)
			continue
		}
		pending++
		go func(i int, c devices.Capturer) {
			defer func() {
				if v := recover(); v != nil {
					answers <- answer{i: i, err: fmt.Errorf("%w: %v", ErrDevicePanic, v)}
				}
			}()
			t, err := c.Capture(ctx)
			answers <- answer{i, t, err}
		}(i, c)
	}
	got := make([]bool, len(deviceIDs))
	var grace <-chan time.Time
	done := ctx.Done()
wait:
	for pending > 0 {
		select {
		case a := <-answers:
			pending--
			got[a.i] = true
			if a.err != nil {
				errs[a.i] = fmt.Errorf("capture: device %q: %w", names[a.i], a.err)
			} else {
				out[deviceIDs[a.i]] = a.t
			}
		case <-done:
			done = nil
			grace = time.After(recallMargin)
		case <-grace:
			break wait
		}
	}
	var list []error
	for i, err := range errs {
		if err == nil && !got[i] && pending > 0 {
			if _, ok := reg.Get(deviceIDs[i]); ok {
				err = fmt.Errorf("capture: device %q: %w: %w", names[i], devices.ErrTimeout, ctx.Err())
			}
		}
		if err != nil {
			list = append(list, err)
		}
	}
	return out, list
}
