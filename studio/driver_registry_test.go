package studio

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"studiodesk/devices"
	"studiodesk/devices/artnet/artnettest"
	"studiodesk/devices/obs/obstest"
	"studiodesk/devices/sim"
)

var (
	fogOnce   sync.Once
	fogDriver = devices.Driver{
		Name: "testfog", Kind: devices.KindLight, Title: "Fog machine (test)",
		Fields: []devices.Field{
			{Key: devices.FieldAddr, Type: devices.Text, Required: true},
			{Key: "dmx_mode", Type: devices.Int, Required: true, Min: 1, Max: 4},
		},
		Limits: []devices.Limit{{Field: "light.brightness", Min: 10, Max: 50, Unit: "%"}},
		Open: func(cfg devices.Config, host devices.Host) (devices.Device, error) {
			return sim.NewLight(cfg.ID, cfg.Name+" mode "+cfg.Get("dmx_mode")), nil
		},
	}
)

// A driver the desk has never heard of: one package's declaration and a
// Register call are all it takes for the registry, config validation and
// preset validation to use it.
func TestNewDriverNeedsOnlyItsDeclaration(t *testing.T) {
	fogOnce.Do(func() { devices.Register(fogDriver) })
	reg := NewRegistry()
	defer reg.CloseAll()
	cfg := DeviceConfig{ID: "fog", Name: "烟机", Kind: devices.KindLight, Driver: "testfog", Addr: "127.0.0.1"}
	if _, err := reg.Open(cfg, false); !errors.Is(err, ErrBadDeviceConfig) || !strings.Contains(err.Error(), "dmx_mode: empty") {
		t.Fatalf("missing declared field: %v", err)
	}
	if err := cfg.Set("dmx_mode", "9"); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Open(cfg, false); !errors.Is(err, devices.ErrOutOfRange) || !strings.Contains(err.Error(), "dmx_mode: value 9 out of range 1-4") {
		t.Fatalf("declared field range: %v", err)
	}
	if err := cfg.Set("dmx_mode", "3"); err != nil {
		t.Fatal(err)
	}
	d, err := reg.Open(cfg, false)
	if err != nil {
		t.Fatal(err)
	}
	if d.(*sim.Light).Name() != "烟机 mode 3" {
		t.Fatalf("the driver's Open got %q", d.Name())
	}
	p := &Preset{ID: "p", Name: "起雾", Targets: map[string]devices.Target{
		"fog": {Light: &devices.LightTarget{Brightness: devices.Ptr(80), Temperature: devices.Ptr(5600)}},
	}}
	err = p.Validate(reg)
	for _, want := range []string{
		`device "烟机 mode 3": light.brightness: value 80 out of range 10-50 %`,
		`device "烟机 mode 3": light.temperature: 5600: not supported by this device`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("preset check %v\nlacks %q", err, want)
		}
	}
	found := false
	for _, d := range devices.Drivers() {
		found = found || d.Name == "testfog"
	}
	if !found {
		t.Error("the devices page's list (devices.Drivers) lacks the new driver")
	}
}

// Preset values are checked against the device's own driver, in rehearsal
// too: the Key Light's 2900-7000 K and white only; an Art-Net light's RGB.
func TestPresetCheckedAgainstTheDevicesDriver(t *testing.T) {
	for _, rehearsal := range []bool{true, false} {
		reg := NewRegistry()
		cfgs := []DeviceConfig{
			{ID: "key", Name: "补光", Kind: devices.KindLight, Driver: DriverKeyLight, Addr: "127.0.0.1:9"},
			{ID: "cam", Name: "A机位", Kind: devices.KindCamera, Driver: DriverVISCA, Addr: "127.0.0.1:9"},
		}
		if err := reg.OpenAll(cfgs, rehearsal); err != nil {
			t.Fatal(err)
		}
		p := &Preset{ID: "p", Name: "暖场", Targets: map[string]devices.Target{
			"key": {Light: &devices.LightTarget{Temperature: devices.Ptr(2800), Red: devices.Ptr(10)}},
			"cam": {Camera: &devices.CameraTarget{Absolute: true, Pan: 30000, Zoom: 0x8000}},
		}}
		err := p.Validate(reg)
		for _, want := range []string{
			`device "补光": light.temperature: value 2800 out of range 2900-7000 K`,
			`device "补光": light.red: 10: not supported by this device`,
		} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("rehearsal %v: %v\nlacks %q", rehearsal, err, want)
			}
		}
		if strings.Contains(err.Error(), "camera.pan") || strings.Contains(err.Error(), "camera.zoom") {
			t.Errorf("rehearsal %v: VISCA's full pan/zoom range refused: %v", rehearsal, err)
		}
		if rehearsal {
			// The simulator accepts what the Key Light accepts: 2900 K.
			d, _ := reg.Get("key")
			ok := devices.Target{Light: &devices.LightTarget{Temperature: devices.Ptr(2900)}}
			if err := d.Apply(context.Background(), ok); err != nil {
				t.Errorf("rehearsal Key Light refuses 2900 K: %v", err)
			}
		}
		reg.CloseAll()
	}
}

// The Art-Net source port option reaches the wire through the registry.
func TestArtNetSourcePortFromConfig(t *testing.T) {
	rx, err := artnettest.NewReceiver()
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	free, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	port := free.LocalAddr().(*net.UDPAddr).Port
	free.Close()
	reg := NewRegistry()
	defer reg.CloseAll()
	main := DeviceConfig{ID: "main", Name: "主光", Kind: devices.KindLight, Driver: DriverArtNet, Addr: rx.Addr(), Fixture: "dimmer", Start: 1, SourcePort: port}
	rim := DeviceConfig{ID: "rim", Name: "轮廓光", Kind: devices.KindLight, Driver: DriverArtNet, Addr: rx.Addr(), Fixture: "dimmer", Start: 2}
	// The option is the node's: the light that sets it may come second.
	if err := reg.OpenAll([]DeviceConfig{rim, main}, false); err != nil {
		t.Fatal(err)
	}
	rx.Drain()
	deadline := time.Now().Add(3 * time.Second)
	for {
		f, err := rx.Next(time.Until(deadline))
		if err != nil {
			t.Fatal(err)
		}
		if f.SourcePort == port {
			break
		}
	}
	for i := 0; i < 3; i++ { // and every frame after
		f, err := rx.Next(3 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if f.SourcePort != port {
			t.Fatalf("frame from port %d, want %d", f.SourcePort, port)
		}
	}
	// Another light asking the same node for a different source port.
	odd := DeviceConfig{ID: "odd", Name: "怪灯", Kind: devices.KindLight, Driver: DriverArtNet, Addr: rx.Addr(), Fixture: "dimmer", Start: 3, SourcePort: port + 1}
	if _, err := reg.Open(odd, false); !errors.Is(err, ErrBadDeviceConfig) || !strings.Contains(err.Error(), "source_port") {
		t.Fatalf("conflicting source port: %v", err)
	}
	if _, err := reg.Open(DeviceConfig{ID: "x", Name: "x", Kind: devices.KindLight, Driver: DriverArtNet, Addr: rx.Addr(), Fixture: "dimmer", Start: 4, SourcePort: 70000}, false); !errors.Is(err, ErrBadDeviceConfig) || !strings.Contains(err.Error(), "source_port: value 70000 out of range 0-65535") {
		t.Fatalf("source port out of range: %v", err)
	}
}

// Through the desk's own wiring (registry, driver defaults, Recall with the
// default per-device deadline): OBS is away long enough for the driver's
// backoff to grow past 1 s, comes back, and the next recall reaches it at
// once instead of failing "not connected" until the backoff ends.
func TestRecallDuringOBSBackoffThroughTheRegistry(t *testing.T) {
	srv := obstest.NewServer(obstest.Config{Scenes: []string{"开场", "产品特写"}})
	addr := srv.Addr()
	reg := NewRegistry()
	defer reg.CloseAll()
	if _, err := reg.Open(DeviceConfig{ID: "obs", Name: "OBS", Kind: devices.KindOBS, Driver: DriverOBS, Addr: addr}, false); err != nil {
		t.Fatal(err)
	}
	d, _ := reg.Get("obs")
	waitFor(t, func() bool { return d.Status().Health == devices.OK })
	srv.Close()
	// Attempts at about 0.25, 0.75 and 1.75 s; the next waits 2 s more.
	time.Sleep(2 * time.Second)
	if h := d.Status().Health; h != devices.Down {
		t.Fatalf("OBS away: %v", h)
	}
	back, err := obstest.NewServerAt(obstest.Config{Scenes: []string{"开场", "产品特写"}}, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	p := &Preset{ID: "p", Name: "产品特写", Targets: map[string]devices.Target{"obs": {Scene: &devices.SceneTarget{Name: "产品特写"}}}}
	res := Recall(context.Background(), reg, p, DefaultPerDevice)
	if err := res.Err(); err != nil {
		t.Fatalf("recall during backoff: %v", err)
	}
	if back.CurrentScene() != "产品特写" {
		t.Fatalf("OBS on %q", back.CurrentScene())
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Editing one Art-Net light while another keeps its node open: the edited
// light is unpatched on close and patched again at its new address.
func TestArtNetLightReopensOnASharedNode(t *testing.T) {
	rx, err := artnettest.NewReceiver()
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	reg := NewRegistry()
	defer reg.CloseAll()
	main := DeviceConfig{ID: "main", Name: "主光", Kind: devices.KindLight, Driver: DriverArtNet, Addr: rx.Addr(), Fixture: "dimmer", Start: 1}
	rim := DeviceConfig{ID: "rim", Name: "轮廓光", Kind: devices.KindLight, Driver: DriverArtNet, Addr: rx.Addr(), Fixture: "dimmer", Start: 2}
	if err := reg.OpenAll([]DeviceConfig{main, rim}, false); err != nil {
		t.Fatal(err)
	}
	if err := reg.Remove("main"); err != nil {
		t.Fatal(err)
	}
	main.Start = 7
	d, err := reg.Open(main, false)
	if err != nil {
		t.Fatalf("reopen on the shared node: %v", err)
	}
	if len(reg.shared) != 1 {
		t.Fatalf("%d nodes, want the one shared", len(reg.shared))
	}
	if err := d.Apply(context.Background(), devices.Target{Light: &devices.LightTarget{On: devices.Ptr(true), Brightness: devices.Ptr(100)}}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		f, err := rx.Next(time.Until(deadline))
		if err != nil {
			t.Fatalf("no frame with the light at DMX 7: %v", err)
		}
		if f.Slot(7) == 255 {
			break
		}
	}
}
