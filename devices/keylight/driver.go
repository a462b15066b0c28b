package keylight

import (
	"fmt"

	"studiodesk/devices"
)

// DriverName is this driver's name in a device configuration.
const DriverName = "keylight"

func init() { devices.Register(Driver) }

// Driver declares the Elgato Key Light driver to the registry, the devices
// page and preset validation. The light is white only: no red/green/blue.
var Driver = devices.Driver{
	Name:    DriverName,
	Kind:    devices.KindLight,
	Title:   "Elgato Key Light",
	TitleZH: "Elgato Key Light",
	Fields: []devices.Field{
		{Key: devices.FieldAddr, Label: "Address", LabelZH: "地址", Type: devices.Text, Required: true, Hint: "192.168.1.40:9123"},
	},
	Limits: []devices.Limit{
		{Field: "light.brightness", Min: 0, Max: 100, Unit: "%"},
		{Field: "light.temperature", Min: MinKelvin, Max: MaxKelvin, Unit: "K"},
	},
	Open: func(cfg devices.Config, _ devices.Host) (devices.Device, error) {
		l, err := New(Config{ID: cfg.ID, Name: cfg.Name, Addr: cfg.Addr})
		if err != nil {
			return nil, fmt.Errorf("%w: %w", devices.ErrBadConfig, err)
		}
		return l, nil
	},
}
