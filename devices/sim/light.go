package sim

import (
	"context"
	"fmt"
	"math"
	"time"

	"studiodesk/devices"
)

// Light ranges, matching the real light drivers.
const (
	MinKelvin = 2700
	MaxKelvin = 6500
)

// LightState is what the UI shows for a simulated light. During a fade the
// levels are the in-between values at the device's clock.
type LightState struct {
	On          bool    `json:"on"`
	Brightness  int     `json:"brightness"`  // percent
	Temperature int     `json:"temperature"` // kelvin
	Red         int     `json:"red"`
	Green       int     `json:"green"`
	Blue        int     `json:"blue"`
	Fading      bool    `json:"fading"`
	Progress    float64 `json:"progress"` // 0-1 through the current fade; 1 when idle
}

// levels are the fadeable values, as floats so a fade is smooth.
type levels struct{ brightness, temperature, red, green, blue float64 }

// Light is a simulated dimmable, tunable-white (and RGB) light. A fade runs
// on the injectable clock: State computes where it has got to, so tests
// step the clock instead of sleeping. The UI polls State while Fading.
type Light struct {
	base
	on        bool
	from, to  levels
	fadeStart time.Time
	fade      time.Duration
	curve     devices.Curve
}

// NewLight returns a reachable light, off, at 5600 K, with 5 ms latency.
func NewLight(id, name string) *Light {
	l := &Light{}
	l.init(id, name, devices.KindLight, 5*time.Millisecond)
	l.to = levels{temperature: 5600}
	l.from = l.to
	return l
}

// State returns the light's current levels.
func (l *Light) State() LightState {
	l.mu.Lock()
	defer l.mu.Unlock()
	cur, p := l.levelsAt(l.now())
	return LightState{
		On:          l.on,
		Brightness:  round(cur.brightness),
		Temperature: round(cur.temperature),
		Red:         round(cur.red),
		Green:       round(cur.green),
		Blue:        round(cur.blue),
		Fading:      p < 1,
		Progress:    p,
	}
}

func round(v float64) int { return int(math.Round(v)) }

// levelsAt interpolates the running fade; l.mu is held.
func (l *Light) levelsAt(now time.Time) (levels, float64) {
	if l.fade <= 0 {
		return l.to, 1
	}
	p := float64(now.Sub(l.fadeStart)) / float64(l.fade)
	switch {
	case p >= 1:
		return l.to, 1
	case p < 0:
		p = 0
	}
	k := p
	if l.curve == devices.SCurve {
		k = p * p * (3 - 2*p) // smoothstep: eases in and out
	}
	mix := func(a, b float64) float64 { return a + (b-a)*k }
	return levels{
		brightness:  mix(l.from.brightness, l.to.brightness),
		temperature: mix(l.from.temperature, l.to.temperature),
		red:         mix(l.from.red, l.to.red),
		green:       mix(l.from.green, l.to.green),
		blue:        mix(l.from.blue, l.to.blue),
	}, p
}

func (l *Light) validate(t devices.Target) error {
	lt := t.Light
	if lt.Brightness != nil {
		if err := l.check("brightness", *lt.Brightness, 0, 100, "%"); err != nil {
			return err
		}
	}
	if lt.Temperature != nil {
		if err := l.check("temperature", *lt.Temperature, MinKelvin, MaxKelvin, "K"); err != nil {
			return err
		}
	}
	for _, c := range []struct {
		field string
		v     *int
	}{{"red", lt.Red}, {"green", lt.Green}, {"blue", lt.Blue}} {
		if c.v != nil {
			if err := l.check(c.field, *c.v, 0, 255, ""); err != nil {
				return err
			}
		}
	}
	if t.Fade < 0 {
		return fmt.Errorf("%s: fade %v: %w (must not be negative)", l.prefix, t.Fade, devices.ErrOutOfRange)
	}
	switch t.Curve {
	case "", devices.Linear, devices.SCurve:
	default:
		return fmt.Errorf("%s: curve %q: %w (linear or s-curve)", l.prefix, t.Curve, devices.ErrUnsupported)
	}
	return nil
}

// Apply implements devices.Device. On/off switch at once; levels fade over
// t.Fade from wherever a running fade has got to.
func (l *Light) Apply(ctx context.Context, t devices.Target) error {
	if t.Light == nil || t.Camera != nil || t.Scene != nil {
		return l.wrongKind()
	}
	if err := l.validate(t); err != nil {
		return err
	}
	if err := l.begin(ctx, "set", true); err != nil {
		return err
	}
	lt := t.Light
	l.mu.Lock()
	now := l.now()
	cur, _ := l.levelsAt(now)
	to := cur
	set := func(dst *float64, v *int) {
		if v != nil {
			*dst = float64(*v)
		}
	}
	set(&to.brightness, lt.Brightness)
	set(&to.temperature, lt.Temperature)
	set(&to.red, lt.Red)
	set(&to.green, lt.Green)
	set(&to.blue, lt.Blue)
	if lt.On != nil {
		l.on = *lt.On
	}
	l.from, l.to, l.fadeStart, l.fade, l.curve = cur, to, now, t.Fade, t.Curve
	l.mu.Unlock()
	l.succeeded()
	return nil
}

// Capture implements devices.Capturer with the light's current levels.
func (l *Light) Capture(ctx context.Context) (devices.Target, error) {
	if err := l.begin(ctx, "capture", false); err != nil {
		return devices.Target{}, err
	}
	st := l.State()
	return devices.Target{Light: &devices.LightTarget{
		On:          devices.Ptr(st.On),
		Brightness:  devices.Ptr(st.Brightness),
		Temperature: devices.Ptr(st.Temperature),
		Red:         devices.Ptr(st.Red),
		Green:       devices.Ptr(st.Green),
		Blue:        devices.Ptr(st.Blue),
	}}, nil
}
