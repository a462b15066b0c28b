package obs

import "studiodesk/devices"

// DriverName is this driver's name in a device configuration.
const DriverName = "obs"

func init() { devices.Register(Driver) }

// Driver declares the obs-websocket 5 driver to the registry, the devices
// page and preset validation.
var Driver = devices.Driver{
	Name:    DriverName,
	Kind:    devices.KindOBS,
	Title:   "OBS Studio, obs-websocket 5",
	TitleZH: "OBS Studio obs-websocket 5",
	Fields: []devices.Field{
		{Key: devices.FieldAddr, Label: "Address", LabelZH: "地址", Type: devices.Text, Required: true, Hint: "127.0.0.1:4455"},
		{Key: devices.FieldPassword, Label: "Password", LabelZH: "密码", Type: devices.Secret},
	},
	Open: func(cfg devices.Config, _ devices.Host) (devices.Device, error) {
		return New(Config{ID: cfg.ID, Name: cfg.Name, Addr: cfg.Addr, Password: cfg.Password}), nil
	},
}
