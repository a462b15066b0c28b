package visca

import (
	"fmt"

	"studiodesk/devices"
)

// DriverName is this driver's name in a device configuration.
const DriverName = "visca"

func init() { devices.Register(Driver) }

// Driver declares the VISCA over IP camera driver to the registry, the
// devices page and preset validation.
var Driver = devices.Driver{
	Name:    DriverName,
	Kind:    devices.KindCamera,
	Title:   "PTZ camera, VISCA over IP",
	TitleZH: "PTZ 摄像机 VISCA over IP",
	Fields: []devices.Field{
		{Key: devices.FieldAddr, Label: "Address", LabelZH: "地址", Type: devices.Text, Required: true, Hint: "192.168.1.20:52381"},
	},
	Limits: []devices.Limit{
		{Field: "camera.preset", Min: MinPreset, Max: MaxPreset},
		{Field: "camera.pan", Min: MinPosition, Max: MaxPosition},
		{Field: "camera.tilt", Min: MinPosition, Max: MaxPosition},
		{Field: "camera.zoom", Min: 0, Max: MaxZoom},
		{Field: "camera.speed", Min: 0, Max: MaxPanSpeed}, // 0: the fastest
	},
	Open: func(cfg devices.Config, _ devices.Host) (devices.Device, error) {
		c, err := New(Config{ID: cfg.ID, Name: cfg.Name, Addr: cfg.Addr})
		if err != nil {
			return nil, fmt.Errorf("%w: %w", devices.ErrBadConfig, err)
		}
		return c, nil
	},
}
