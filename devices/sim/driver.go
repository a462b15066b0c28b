package sim

import (
	"fmt"

	"studiodesk/devices"
)

// DriverName is this driver's name in a device configuration.
const DriverName = "sim"

func init() { devices.Register(Driver) }

// Driver declares the simulator: a device of any kind, with no hardware.
// The registry also opens it in rehearsal for every configured device; it
// then accepts what the configured driver declares (SetLimits).
var Driver = devices.Driver{
	Name:    DriverName,
	Title:   "Simulator (no hardware)",
	TitleZH: "模拟设备（无需硬件）",
	Fields: []devices.Field{
		{Key: devices.FieldScenes, Label: "Scenes (OBS)", LabelZH: "场景（OBS）", Type: devices.List, Hint: "开场, 产品特写"},
	},
	Limits: []devices.Limit{
		{Field: "camera.preset", Min: 1, Max: MaxPreset},
		{Field: "camera.pan", Min: MinPan, Max: MaxPan},
		{Field: "camera.tilt", Min: MinTilt, Max: MaxTilt},
		{Field: "camera.zoom", Min: 0, Max: MaxZoom},
		{Field: "camera.speed", Min: 0, Max: MaxSpeed},
		{Field: "light.brightness", Min: 0, Max: 100, Unit: "%"},
		{Field: "light.temperature", Min: MinKelvin, Max: MaxKelvin, Unit: "K"},
		{Field: "light.red", Min: 0, Max: 255},
		{Field: "light.green", Min: 0, Max: 255},
		{Field: "light.blue", Min: 0, Max: 255},
	},
	Open: Open,
}

// Open returns the simulator of cfg's kind. When cfg names another driver
// (rehearsal), the simulator takes that driver's limits, so a preset the
// real device would refuse is refused in rehearsal too, and the other way
// round.
func Open(cfg devices.Config, _ devices.Host) (devices.Device, error) {
	type limited interface {
		devices.Device
		SetLimits([]devices.Limit)
	}
	var d limited
	switch cfg.Kind {
	case devices.KindCamera:
		d = NewCamera(cfg.ID, cfg.Name)
	case devices.KindLight:
		d = NewLight(cfg.ID, cfg.Name)
	case devices.KindOBS:
		d = NewOBS(cfg.ID, cfg.Name, cfg.Scenes)
	default:
		return nil, fmt.Errorf("device %q: kind: %q is not camera, light or obs: %w", cfg.Label(), cfg.Kind, devices.ErrBadConfig)
	}
	if real, ok := devices.LookupDriver(cfg.Driver); ok && real.Name != DriverName && real.Kind == cfg.Kind {
		d.SetLimits(real.Limits)
	}
	return d, nil
}
