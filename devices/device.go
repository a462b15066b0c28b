// Package devices defines what the desk needs from a studio device — a PTZ
// camera, a light, the OBS program scene — and the health model they share.
// Drivers live in sub-packages, one protocol each.
package devices

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Kind is the role a device plays in a scene preset.
type Kind string

// Device kinds.
const (
	KindCamera Kind = "camera"
	KindLight  Kind = "light"
	KindOBS    Kind = "obs"
)

// Health is a device's link state, shown as a status light.
type Health int

// Health states, from best to worst.
const (
	Unknown Health = iota
	OK
	Connecting
	Degraded
	Down
)

func (h Health) String() string {
	switch h {
	case OK:
		return "ok"
	case Connecting:
		return "connecting"
	case Degraded:
		return "degraded"
	case Down:
		return "down"
	}
	return "unknown"
}

// Status is a snapshot of a device's health.
type Status struct {
	Health    Health        `json:"health"`
	LastError string        `json:"last_error,omitempty"`
	RTT       time.Duration `json:"rtt"`
	Since     time.Time     `json:"since"`
}

// CameraTarget is a PTZ camera position: either a stored camera preset
// (1-based; 0 = none) or an absolute pan/tilt/zoom.
type CameraTarget struct {
	Preset   int  `json:"preset,omitempty"`
	Absolute bool `json:"absolute,omitempty"`
	Pan      int  `json:"pan,omitempty"`  // signed VISCA pan position
	Tilt     int  `json:"tilt,omitempty"` // signed VISCA tilt position
	Zoom     int  `json:"zoom,omitempty"` // 0..0x4000 typical
	Speed    int  `json:"speed,omitempty"`
}

// LightTarget is a lighting state in fixture terms, never channel numbers.
// Nil fields are left as they are.
type LightTarget struct {
	On          *bool `json:"on,omitempty"`
	Brightness  *int  `json:"brightness,omitempty"`  // percent 0-100
	Temperature *int  `json:"temperature,omitempty"` // kelvin, e.g. 5600
	Red         *int  `json:"red,omitempty"`         // 0-255
	Green       *int  `json:"green,omitempty"`
	Blue        *int  `json:"blue,omitempty"`
}

// SceneTarget is the OBS program scene.
type SceneTarget struct {
	Name string `json:"name"`
}

// Curve shapes a fade.
type Curve string

// Fade curves.
const (
	Linear Curve = "linear"
	SCurve Curve = "s-curve"
)

// Target is what one device of a preset should become. Exactly one of
// Camera, Light, Scene is set, matching the device's Kind.
type Target struct {
	Camera *CameraTarget `json:"camera,omitempty"`
	Light  *LightTarget  `json:"light,omitempty"`
	Scene  *SceneTarget  `json:"scene,omitempty"`
	Fade   time.Duration `json:"fade,omitempty"`
	Curve  Curve         `json:"curve,omitempty"`
}

// Device is one configured studio device.
type Device interface {
	ID() string
	Name() string
	Kind() Kind
	// Apply sends the target. It returns once the device has accepted the
	// command (a fade may still be running); it honours ctx's deadline.
	// A new Apply cancels a fade still running from an earlier one.
	Apply(ctx context.Context, t Target) error
	Status() Status
	Close() error
}

// Capturer is a device whose live state can be read back into a Target
// ("capture from devices" in the preset editor).
type Capturer interface {
	Capture(ctx context.Context) (Target, error)
}

// Sentinel errors callers branch on.
var (
	ErrTimeout     = errors.New("no reply in time")
	ErrWrongKind   = errors.New("target does not match device kind")
	ErrOutOfRange  = errors.New("value out of range")
	ErrUnsupported = errors.New("not supported by this device")
	ErrClosed      = errors.New("device closed")
)

// Clamp helpers are deliberately absent: out-of-range values are errors that
// name the field, never silently clamped.

// Ptr returns a pointer to v; handy for LightTarget literals.
func Ptr[T any](v T) *T { return &v }

// RangeError reports a value outside what a field accepts, naming the
// field, the value and the accepted range; it unwraps to ErrOutOfRange.
// Every driver and the preset check use this one type.
type RangeError struct {
	Field    string
	Value    int
	Min, Max int
	Unit     string
}

func (e *RangeError) Error() string {
	unit := ""
	if e.Unit != "" {
		unit = " " + e.Unit
	}
	if e.Min < 0 {
		return fmt.Sprintf("%s: value %d out of range %d to %d%s", e.Field, e.Value, e.Min, e.Max, unit)
	}
	return fmt.Sprintf("%s: value %d out of range %d-%d%s", e.Field, e.Value, e.Min, e.Max, unit)
}

// Unwrap lets errors.Is(err, ErrOutOfRange) succeed.
func (e *RangeError) Unwrap() error { return ErrOutOfRange }

// CheckRange returns a *RangeError when v is outside lo..hi.
func CheckRange(field string, v, lo, hi int, unit string) error {
	if v < lo || v > hi {
		return &RangeError{Field: field, Value: v, Min: lo, Max: hi, Unit: unit}
	}
	return nil
}
