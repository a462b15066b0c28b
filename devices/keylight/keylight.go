// Package keylight drives Elgato Key Light panels over their local HTTP API
// (port 9123, /elgato/lights). The light has no fade of its own, so fades
// are stepped from here.
package keylight

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"studiodesk/devices"
)

// API facts.
const (
	DefaultPort = 9123
	MinMireds   = 143 // ≈ 7000 K
	MaxMireds   = 344 // ≈ 2900 K
	// The documented colour range in kelvin. 2900 K is 344.8 mireds and
	// 7000 K is 142.9: both round just outside the API's integer range, so
	// the conversion clamps to it (KelvinToMireds).
	MinKelvin = 2900
	MaxKelvin = 7000
	// MinBrightness is the lowest level the light takes on the wire (it
	// answers 400 below it); 0-2 % are sent as 3 and 0 % alone switches off.
	MinBrightness = 3

	DefaultTimeout  = 2 * time.Second
	DefaultStepRate = 15 // PUTs per second while fading; the light's web server copes with 10-20
	pathLights      = "/elgato/lights"
	pathInfo        = "/elgato/accessory-info"
	pathIdentify    = "/elgato/identify"
)

// KelvinToMireds converts a colour temperature, rounding to the nearest
// mired as the light's API takes integers, and clamping to the API's
// 143-344 so that the documented ends, 2900 K and 7000 K, are accepted.
// k must be positive.
func KelvinToMireds(k int) int {
	return min(max(int(math.Round(1e6/float64(k))), MinMireds), MaxMireds)
}

// MiredsToKelvin is the inverse, rounded to the nearest kelvin.
func MiredsToKelvin(m int) int { return int(math.Round(1e6 / float64(m))) }

// Ticker paces fade steps; *time.Ticker by default, a hand-driven one in
// tests.
type Ticker interface {
	C() <-chan time.Time
	Stop()
}

type realTicker struct{ *time.Ticker }

func (t realTicker) C() <-chan time.Time { return t.Ticker.C }

// Config describes one Key Light.
type Config struct {
	ID, Name string
	Addr     string        // host[:port]; port defaults to 9123
	Timeout  time.Duration // per request, default 2 s
	// HTTPClient defaults to a private client. Its own Timeout, if any,
	// applies on top of ours.
	HTTPClient *http.Client
	Now        func() time.Time
	// NewTicker paces fade steps (default time.NewTicker).
	NewTicker func(d time.Duration) Ticker
	// StepRate is PUTs per second during a fade (default 15, 1-20).
	StepRate int
	// ProbeInterval is how often the state is read while the light is down
	// or not yet reached (doubling up to 16x while it stays down), so the
	// status light turns green on its own when the light is back. Default
	// 2 s; negative disables probing. A command never waits for the prober.
	ProbeInterval time.Duration
}

// DefaultProbeInterval is Config.ProbeInterval's default.
const DefaultProbeInterval = 2 * time.Second

// State is the light as the API reports it.
type State struct {
	On          bool
	Brightness  int // percent
	Temperature int // mireds
}

// AccessoryInfo is the light's self-description.
type AccessoryInfo struct {
	ProductName         string   `json:"productName"`
	HardwareBoardType   int      `json:"hardwareBoardType"`
	FirmwareBuildNumber int      `json:"firmwareBuildNumber"`
	FirmwareVersion     string   `json:"firmwareVersion"`
	SerialNumber        string   `json:"serialNumber"`
	DisplayName         string   `json:"displayName"`
	Features            []string `json:"features"`
}

// Wire shapes. Pointers with omitempty put only the fields that are set
// into a PUT; 0 is a real value.
type lightsBody struct {
	NumberOfLights int         `json:"numberOfLights"`
	Lights         []lightJSON `json:"lights"`
}

type lightJSON struct {
	On          *int `json:"on,omitempty"`
	Brightness  *int `json:"brightness,omitempty"`
	Temperature *int `json:"temperature,omitempty"`
}

func (b lightJSON) empty() bool { return b.On == nil && b.Brightness == nil && b.Temperature == nil }

func (b lightJSON) equal(o lightJSON) bool {
	eq := func(x, y *int) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return eq(b.On, o.On) && eq(b.Brightness, o.Brightness) && eq(b.Temperature, o.Temperature)
}

// Light is one Key Light as a devices.Device and devices.Capturer.
type Light struct {
	id, name  string
	where     string // `light "补光" (host:port)`, for errors
	base      string // http://host:port
	timeout   time.Duration
	client    *http.Client
	ownClient bool
	now       func() time.Time
	newTicker func(time.Duration) Ticker
	step      time.Duration
	health    *devices.Tracker

	applyMu  sync.Mutex // serialises Apply, Close and fade hand-over
	closed   bool
	stopFade func()
	fadeDone chan struct{}

	mu    sync.Mutex // guards known
	known *State     // last state the light reported; nil until first reply

	quit      chan struct{} // closed by Close: stops the prober
	probeDone chan struct{}
}

var (
	_ devices.Device   = (*Light)(nil)
	_ devices.Capturer = (*Light)(nil)
)

// New checks cfg; it does no I/O, so health starts Unknown.
func New(cfg Config) (*Light, error) {
	if cfg.Addr == "" {
		return nil, fmt.Errorf("light %q: address: empty", cfg.Name)
	}
	hostport := cfg.Addr
	if _, _, err := net.SplitHostPort(hostport); err != nil {
		hostport = net.JoinHostPort(hostport, strconv.Itoa(DefaultPort))
	}
	where := fmt.Sprintf("light %q (%s)", cfg.Name, hostport)
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("%s: timeout: %v is negative: %w", where, cfg.Timeout, devices.ErrOutOfRange)
	}
	if cfg.StepRate == 0 {
		cfg.StepRate = DefaultStepRate
	}
	if cfg.StepRate < 1 || cfg.StepRate > 20 {
		return nil, fmt.Errorf("%s: %w", where, &RangeError{Field: "step rate", Value: cfg.StepRate, Min: 1, Max: 20, Unit: "Hz"})
	}
	l := &Light{
		id: cfg.ID, name: cfg.Name, where: where,
		base:      "http://" + hostport,
		timeout:   cfg.Timeout,
		client:    cfg.HTTPClient,
		now:       cfg.Now,
		newTicker: cfg.NewTicker,
		step:      time.Second / time.Duration(cfg.StepRate),
	}
	if l.client == nil {
		l.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2, IdleConnTimeout: 30 * time.Second}}
		l.ownClient = true
	}
	if l.now == nil {
		l.now = time.Now
	}
	if l.newTicker == nil {
		l.newTicker = func(d time.Duration) Ticker { return realTicker{time.NewTicker(d)} }
	}
	l.health = devices.NewTracker(l.now)
	l.health.Set(devices.Connecting) // until the light first answers
	l.quit, l.probeDone = make(chan struct{}), make(chan struct{})
	probe := cfg.ProbeInterval
	if probe == 0 {
		probe = DefaultProbeInterval
	}
	if probe > 0 {
		go l.probeLoop(probe)
	} else {
		close(l.probeDone)
	}
	return l, nil
}

// probeLoop reads the light while it is down or connecting (devices.Probe).
func (l *Light) probeLoop(interval time.Duration) {
	defer close(l.probeDone)
	devices.Probe(l.quit, interval, l.health, func(ctx context.Context) { _, _ = l.Lights(ctx) })
}

func (l *Light) ID() string             { return l.id }
func (l *Light) Name() string           { return l.name }
func (l *Light) Kind() devices.Kind     { return devices.KindLight }
func (l *Light) Status() devices.Status { return l.health.Status() }

// OnStatusChange registers a hook for health changes (see devices.Tracker).
func (l *Light) OnStatusChange(f func(devices.Status)) { l.health.OnChange(f) }

// Close stops a running fade; later calls fail with devices.ErrClosed.
func (l *Light) Close() error {
	l.applyMu.Lock()
	defer l.applyMu.Unlock()
	_ = l.cancelFade(context.Background())
	if !l.closed {
		close(l.quit)
	}
	<-l.probeDone
	l.closed = true
	if l.ownClient {
		l.client.CloseIdleConnections()
	}
	return nil
}

// Apply sends a LightTarget. Without a fade it is one PUT carrying only
// the fields set. With a fade, brightness and temperature are stepped from
// the last known state (read first if unknown); the first step is sent
// before Apply returns and the rest in the background. On=true without a
// brightness keeps the light's own level. A fade to off dims to 0, then
// switches off and puts the level back so the next On=true restores it.
func (l *Light) Apply(ctx context.Context, t devices.Target) error {
	want, err := l.validate(t)
	if err != nil {
		return fmt.Errorf("%s: %w", l.where, err)
	}
	l.applyMu.Lock()
	defer l.applyMu.Unlock()
	if l.closed {
		return fmt.Errorf("%s: %w", l.where, devices.ErrClosed)
	}
	if err := l.cancelFade(ctx); err != nil {
		return err
	}
	if want.empty() {
		return nil
	}
	if t.Fade <= 0 {
		return l.put(ctx, want)
	}
	cur, err := l.current(ctx)
	if err != nil {
		return err
	}
	p := newPlan(cur, want, l.now(), t.Fade, t.Curve)
	if p == nil { // nothing visible to fade
		return l.put(ctx, want)
	}
	// Each step aims one period ahead: the first, sent now, already moves
	// the light, and the last lands one period early rather than late.
	body, final := p.at(p.start.Add(l.step), true)
	if err := l.put(ctx, body); err != nil || final {
		return err
	}
	stop, done := make(chan struct{}), make(chan struct{})
	l.stopFade, l.fadeDone = func() { close(stop) }, done
	go l.runFade(stop, done, p, body)
	return nil
}

// cancelFade stops a running fade and waits for its step in flight, if
// any, but no longer than ctx allows.
func (l *Light) cancelFade(ctx context.Context) error {
	if l.stopFade != nil {
		l.stopFade()
		l.stopFade = nil
	}
	if l.fadeDone == nil {
		return nil
	}
	select {
	case <-l.fadeDone:
		l.fadeDone = nil
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: previous fade's last step: %w: %w", l.where, devices.ErrTimeout, ctx.Err())
	}
}

// runFade sends the remaining steps on each tick, skipping ticks whose
// rounded values equal the last PUT. It stops at the target, when stop
// closes, or on the first failure (health already records it). A step in
// flight when stop closes is allowed to finish: aborting it would leave
// the light's state unknown, and it could even land after the PUT that
// replaced it.
func (l *Light) runFade(stop <-chan struct{}, done chan<- struct{}, p *plan, last lightJSON) {
	defer close(done)
	tk := l.newTicker(l.step)
	defer tk.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tk.C():
		}
		body, final := p.at(l.now().Add(l.step), false)
		if !final && body.equal(last) {
			continue
		}
		if err := l.put(context.Background(), body); err != nil || final {
			return
		}
		last = body
	}
}

func (l *Light) validate(t devices.Target) (lightJSON, error) {
	var b lightJSON
	if t.Light == nil {
		return b, devices.ErrWrongKind
	}
	if t.Fade < 0 {
		return b, fmt.Errorf("fade: %v is negative: %w", t.Fade, devices.ErrOutOfRange)
	}
	if t.Curve != "" && t.Curve != devices.Linear && t.Curve != devices.SCurve {
		return b, fmt.Errorf("curve %q: %w", t.Curve, devices.ErrUnsupported)
	}
	lt := t.Light
	for _, c := range []struct {
		name string
		v    *int
	}{{"red", lt.Red}, {"green", lt.Green}, {"blue", lt.Blue}} {
		if c.v != nil {
			return b, fmt.Errorf("%s: the light is white only: %w", c.name, devices.ErrUnsupported)
		}
	}
	if lt.On != nil {
		b.On = devices.Ptr(0)
		if *lt.On {
			b.On = devices.Ptr(1)
		}
	}
	if lt.Brightness != nil {
		v := *lt.Brightness
		if err := devices.CheckRange("brightness", v, 0, 100, "%"); err != nil {
			return b, err
		}
		switch {
		case v == 0 && (lt.On == nil || !*lt.On):
			// 0 % is off: the light has no darker level. Its own level is
			// kept for the next switch-on.
			b.On = devices.Ptr(0)
		default:
			b.Brightness = devices.Ptr(max(v, MinBrightness))
		}
	}
	if lt.Temperature != nil {
		k := *lt.Temperature
		if err := devices.CheckRange("temperature", k, MinKelvin, MaxKelvin, "K"); err != nil {
			return b, err
		}
		b.Temperature = devices.Ptr(KelvinToMireds(k))
	}
	return b, nil
}

// current returns the last known state, reading it if there is none.
func (l *Light) current(ctx context.Context) (State, error) {
	l.mu.Lock()
	k := l.known
	l.mu.Unlock()
	if k != nil {
		return *k, nil
	}
	return l.Lights(ctx)
}

// Lights reads the light's state.
func (l *Light) Lights(ctx context.Context) (State, error) {
	var body lightsBody
	if err := l.do(ctx, http.MethodGet, pathLights, nil, &body); err != nil {
		return State{}, err
	}
	return l.remember(body)
}

// Capture reads the light into a Target; temperature comes back in kelvin
// rounded from mireds (179 → 5587 K, which maps back to 179).
func (l *Light) Capture(ctx context.Context) (devices.Target, error) {
	s, err := l.Lights(ctx)
	if err != nil {
		return devices.Target{}, err
	}
	return devices.Target{Light: &devices.LightTarget{
		On:          devices.Ptr(s.On),
		Brightness:  devices.Ptr(s.Brightness),
		Temperature: devices.Ptr(MiredsToKelvin(s.Temperature)),
	}}, nil
}

// AccessoryInfo reads the product name, serial number and so on.
func (l *Light) AccessoryInfo(ctx context.Context) (AccessoryInfo, error) {
	var info AccessoryInfo
	err := l.do(ctx, http.MethodGet, pathInfo, nil, &info)
	return info, err
}

// Identify makes the light flash.
func (l *Light) Identify(ctx context.Context) error {
	return l.do(ctx, http.MethodPost, pathIdentify, nil, nil)
}

func (l *Light) put(ctx context.Context, b lightJSON) error {
	req, err := json.Marshal(lightsBody{NumberOfLights: 1, Lights: []lightJSON{b}})
	if err != nil {
		return fmt.Errorf("%s: %w", l.where, err)
	}
	var reply lightsBody
	if err := l.do(ctx, http.MethodPut, pathLights, req, &reply); err != nil {
		return err
	}
	if _, err := l.remember(reply); err != nil {
		// The PUT was accepted; only the echo is odd. Forget the state so
		// the next fade reads it afresh.
		l.mu.Lock()
		l.known = nil
		l.mu.Unlock()
	}
	return nil
}

func (l *Light) remember(b lightsBody) (State, error) {
	if len(b.Lights) == 0 || b.Lights[0].On == nil || b.Lights[0].Brightness == nil || b.Lights[0].Temperature == nil {
		return State{}, fmt.Errorf("%s: reply lacks on/brightness/temperature", l.where)
	}
	j := b.Lights[0]
	s := State{On: *j.On != 0, Brightness: *j.Brightness, Temperature: *j.Temperature}
	l.mu.Lock()
	l.known = &s
	l.mu.Unlock()
	return s, nil
}

// do runs one request with the per-request timeout and records health:
// no answer → Down, an HTTP error → Degraded, success → OK with the RTT.
// A request cancelled by the caller is not held against the light.
func (l *Light) do(ctx context.Context, method, path string, body []byte, out any) error {
	rctx, cancel := context.WithTimeout(ctx, l.timeout)
	defer cancel()
	fail := func(h devices.Health, err error) error {
		err = fmt.Errorf("%s: %s %s: %w", l.where, method, path, err)
		if ctx.Err() == nil || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			l.health.Failed(h, err)
		}
		return err
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(rctx, method, l.base+path, rd)
	if err != nil {
		return fmt.Errorf("%s: %w", l.where, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := l.now()
	resp, err := l.client.Do(req)
	if err != nil {
		if rctx.Err() == context.DeadlineExceeded {
			return fail(devices.Down, fmt.Errorf("%w: %w", devices.ErrTimeout, err))
		}
		if ctx.Err() != nil {
			return fail(devices.Down, ctx.Err())
		}
		return fail(devices.Down, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return fail(devices.Down, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fail(devices.Degraded, fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(raw[:min(len(raw), 200)])))
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fail(devices.Degraded, fmt.Errorf("reply: %w", err))
		}
	}
	l.health.Succeeded(l.now().Sub(start))
	return nil
}

// RangeError is the drivers' shared range error.
type RangeError = devices.RangeError
