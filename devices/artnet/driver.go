package artnet

import (
	"fmt"
	"io"
	"strconv"

	"studiodesk/devices"
)

// DriverName is this driver's name in a device configuration.
const DriverName = "artnet"

func init() { devices.Register(Driver) }

// Driver declares the Art-Net driver to the registry, the devices page and
// preset validation. Each device is one fixture; fixtures on the same node
// address and universe share one node (one socket, one DMX frame).
var Driver = devices.Driver{
	Name:    DriverName,
	Kind:    devices.KindLight,
	Title:   "DMX fixture via Art-Net",
	TitleZH: "Art-Net DMX 灯具",
	Fields: []devices.Field{
		{Key: devices.FieldAddr, Label: "Node address", LabelZH: "节点地址", Type: devices.Text, Required: true, Hint: "192.168.1.30:6454"},
		{Key: devices.FieldUniverse, Label: "Universe", LabelZH: "Universe", Type: devices.Int, Min: 0, Max: MaxPortAddress, Hint: "0"},
		{Key: devices.FieldFixture, Label: "Fixture profile", LabelZH: "灯具类型", Type: devices.Choice, Required: true, Choices: Profiles()},
		{Key: devices.FieldStart, Label: "DMX start address", LabelZH: "DMX 起始地址", Type: devices.Int, Required: true, Min: 1, Max: MaxSlots, Hint: "1"},
		{Key: devices.FieldSourcePort, Label: "Source port", LabelZH: "源端口", Type: devices.Int, Min: 0, Max: 65535, Hint: "0 / 6454"},
	},
	Limits: []devices.Limit{
		{Field: "light.brightness", Min: 0, Max: 100, Unit: "%"},
		// The built-in bicolor profile's range; a fixture without a CCT
		// channel refuses temperature on Apply.
		{Field: "light.temperature", Min: DefaultMinKelvin, Max: DefaultMaxKelvin, Unit: "K"},
		{Field: "light.red", Min: 0, Max: 255},
		{Field: "light.green", Min: 0, Max: 255},
		{Field: "light.blue", Min: 0, Max: 255},
	},
	Open: open,
}

func open(cfg devices.Config, host devices.Host) (devices.Device, error) {
	fx, err := NewFixture(cfg.ID, cfg.Name, cfg.Fixture, cfg.Start)
	if err != nil {
		return nil, fmt.Errorf("device %q: %w: %w", cfg.Label(), devices.ErrBadConfig, err)
	}
	hostport := withDefaultPort(cfg.Addr, DefaultPort)
	key := "artnet " + hostport + " universe " + strconv.Itoa(cfg.Universe)
	res, release, err := host.Share(key, func() (io.Closer, error) {
		return NewNode(NodeConfig{Name: hostport, Addr: hostport, Universe: uint16(cfg.Universe), SourcePort: cfg.SourcePort})
	})
	if err != nil {
		return nil, fmt.Errorf("device %q: %w", cfg.Label(), err)
	}
	node := res.(*Node)
	if err := node.UseSourcePort(cfg.SourcePort); err != nil {
		_ = release()
		return nil, fmt.Errorf("device %q: source_port: node %s universe %d: %w: %w", cfg.Label(), hostport, cfg.Universe, err, devices.ErrBadConfig)
	}
	dev, err := node.AddFixture(fx)
	if err != nil {
		_ = release()
		return nil, err
	}
	return &heldLight{light: dev.(*light), release: release}, nil
}

// heldLight is a fixture opened through the registry: closing it unpatches
// it from its node and gives the node back, closing it with its last light.
type heldLight struct {
	*light
	release func() error
}

func (h *heldLight) Close() error {
	h.light.unpatch()
	return h.release()
}
