package sim

import (
	"context"
	"fmt"
	"time"

	"studiodesk/devices"
)

// Camera ranges, matching what VISCA PTZ cameras accept.
const (
	MaxPreset = 128
	MinPan    = -2448 // ±170° on Sony-style cameras
	MaxPan    = 2448
	MinTilt   = -432
	MaxTilt   = 1296
	MaxZoom   = 0x4000
	MaxSpeed  = 0x18
)

// CameraState is what the UI shows for a simulated PTZ camera.
type CameraState struct {
	Preset int `json:"preset"` // last recalled preset, 0 after an absolute move
	Pan    int `json:"pan"`
	Tilt   int `json:"tilt"`
	Zoom   int `json:"zoom"`
}

type position struct{ pan, tilt, zoom int }

// Camera is a simulated PTZ camera. Recalling a preset moves to the position
// stored with StorePreset, or to a made-up but stable one.
type Camera struct {
	base
	state   CameraState
	presets map[int]position
}

// NewCamera returns a reachable camera at home with 20 ms latency.
func NewCamera(id, name string) *Camera {
	c := &Camera{presets: make(map[int]position)}
	c.init(id, name, devices.KindCamera, 20*time.Millisecond)
	return c
}

// State returns the camera's position.
func (c *Camera) State() CameraState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// StorePreset records where preset n points, as saving it on the camera would.
func (c *Camera) StorePreset(n, pan, tilt, zoom int) error {
	if err := c.check("preset", n, 1, MaxPreset, ""); err != nil {
		return err
	}
	if err := c.validate(devices.CameraTarget{Absolute: true, Pan: pan, Tilt: tilt, Zoom: zoom}); err != nil {
		return err
	}
	c.mu.Lock()
	c.presets[n] = position{pan, tilt, zoom}
	c.mu.Unlock()
	return nil
}

func (c *Camera) validate(t devices.CameraTarget) error {
	switch {
	case t.Preset != 0 && t.Absolute:
		return fmt.Errorf("%s: target has both preset %d and an absolute position", c.prefix, t.Preset)
	case t.Preset == 0 && !t.Absolute:
		return fmt.Errorf("%s: target has neither a preset nor an absolute position", c.prefix)
	}
	if err := c.check("speed", t.Speed, 0, MaxSpeed, ""); err != nil {
		return err
	}
	if !t.Absolute {
		return c.check("preset", t.Preset, 1, MaxPreset, "")
	}
	if err := c.check("pan", t.Pan, MinPan, MaxPan, ""); err != nil {
		return err
	}
	if err := c.check("tilt", t.Tilt, MinTilt, MaxTilt, ""); err != nil {
		return err
	}
	return c.check("zoom", t.Zoom, 0, MaxZoom, "")
}

// Apply implements devices.Device.
func (c *Camera) Apply(ctx context.Context, t devices.Target) error {
	if t.Camera == nil || t.Light != nil || t.Scene != nil {
		return c.wrongKind()
	}
	ct := *t.Camera
	if err := c.validate(ct); err != nil {
		return err
	}
	what := "absolute move"
	if !ct.Absolute {
		what = fmt.Sprintf("recall preset %d", ct.Preset)
	}
	if err := c.begin(ctx, what, true); err != nil {
		return err
	}
	c.mu.Lock()
	if ct.Absolute {
		c.state = CameraState{Pan: ct.Pan, Tilt: ct.Tilt, Zoom: ct.Zoom}
	} else {
		p, ok := c.presets[ct.Preset]
		if !ok {
			p = position{pan: ct.Preset * 10, tilt: -ct.Preset, zoom: ct.Preset * 100}
		}
		c.state = CameraState{Preset: ct.Preset, Pan: p.pan, Tilt: p.tilt, Zoom: p.zoom}
	}
	c.mu.Unlock()
	c.succeeded()
	return nil
}

// Capture implements devices.Capturer: the recalled preset, or the absolute
// position after a manual move.
func (c *Camera) Capture(ctx context.Context) (devices.Target, error) {
	if err := c.begin(ctx, "capture", false); err != nil {
		return devices.Target{}, err
	}
	st := c.State()
	if st.Preset != 0 {
		return devices.Target{Camera: &devices.CameraTarget{Preset: st.Preset}}, nil
	}
	return devices.Target{Camera: &devices.CameraTarget{Absolute: true, Pan: st.Pan, Tilt: st.Tilt, Zoom: st.Zoom}}, nil
}
