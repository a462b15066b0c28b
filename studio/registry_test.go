package studio

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"studiodesk/devices"
	"studiodesk/devices/artnet/artnettest"
	"studiodesk/devices/keylight"
	"studiodesk/devices/keylight/keylighttest"
	"studiodesk/devices/obs"
	"studiodesk/devices/obs/obstest"
	"studiodesk/devices/sim"
	"studiodesk/devices/visca"
	"studiodesk/devices/visca/viscatest"
)

func TestRehearsalOpensSimulatorsForEveryDriver(t *testing.T) {
	reg := NewRegistry()
	defer reg.CloseAll()
	cfgs := append(DemoDevices(),
		DeviceConfig{ID: "cam-sim", Name: "模拟机位", Kind: devices.KindCamera, Driver: DriverSim},
	)
	if err := reg.OpenAll(cfgs, true); err != nil {
		t.Fatal(err)
	}
	drivers := map[string]bool{}
	for _, c := range cfgs {
		drivers[c.Driver] = true
		d, ok := reg.Get(c.ID)
		if !ok {
			t.Fatalf("%s not registered", c.ID)
		}
		if d.Kind() != c.Kind || d.Name() != c.Name {
			t.Errorf("%s: kind %s name %q, want %s %q", c.ID, d.Kind(), d.Name(), c.Kind, c.Name)
		}
		switch d.(type) {
		case *sim.Camera, *sim.Light, *sim.OBS:
		default:
			t.Errorf("%s (%s): rehearsal gave %T, want a simulator", c.ID, c.Driver, d)
		}
	}
	for _, dr := range []string{DriverVISCA, DriverArtNet, DriverKeyLight, DriverOBS, DriverSim} {
		if !drivers[dr] {
			t.Errorf("driver %s not covered by the demo studio", dr)
		}
	}
	// The rehearsal OBS offers the demo scenes.
	o, _ := reg.Get("obs")
	if got := o.(*sim.OBS).Scenes(); !reflect.DeepEqual(got, DemoScenes) {
		t.Errorf("sim OBS scenes %v", got)
	}
	// Stable order: as opened.
	var ids []string
	for _, d := range reg.List() {
		ids = append(ids, d.ID())
	}
	if strings.Join(ids, ",") != "cam-a,cam-b,light-main,light-rim,keylight,obs,cam-sim" {
		t.Errorf("order %v", ids)
	}
	st := reg.Statuses()
	if len(st) != len(cfgs) || st["cam-a"].Health != devices.OK {
		t.Errorf("statuses %v", st)
	}
}

func TestDemoDevicesMatchTheStudio(t *testing.T) {
	want := map[string]string{
		"A机位 主机位": "192.168.1.20:52381", "B机位 特写": "192.168.1.21:52381",
		"主光": "192.168.1.30:6454", "轮廓光": "192.168.1.30:6454",
		"补光 Key Light": "192.168.1.40:9123", "OBS": "192.168.1.10:4455",
	}
	for _, c := range DemoDevices() {
		if err := c.Validate(); err != nil {
			t.Error(err)
		}
		if want[c.Name] != c.Addr {
			t.Errorf("%s at %q", c.Name, c.Addr)
		}
	}
}

func TestOpenRefusesBadConfigs(t *testing.T) {
	reg := NewRegistry()
	defer reg.CloseAll()
	cases := []struct {
		cfg   DeviceConfig
		field string
	}{
		{DeviceConfig{Name: "无名", Kind: devices.KindCamera, Driver: DriverSim}, "id"},
		{DeviceConfig{ID: "x", Name: "灯", Kind: devices.KindLight, Driver: DriverVISCA, Addr: "10.0.0.1"}, "driver"},
		{DeviceConfig{ID: "x", Name: "灯", Kind: "fog", Driver: DriverSim}, "kind"},
		{DeviceConfig{ID: "x", Name: "灯", Kind: devices.KindLight, Driver: "dali", Addr: "10.0.0.1"}, "driver"},
		{DeviceConfig{ID: "x", Name: "机位", Kind: devices.KindCamera, Driver: DriverVISCA}, "addr"},
		{DeviceConfig{ID: "x", Name: "主光", Kind: devices.KindLight, Driver: DriverArtNet, Addr: "10.0.0.9", Start: 1}, "fixture"},
		{DeviceConfig{ID: "x", Name: "主光", Kind: devices.KindLight, Driver: DriverArtNet, Addr: "10.0.0.9", Fixture: "rgb", Start: 600}, "start"},
		{DeviceConfig{ID: "x", Name: "主光", Kind: devices.KindLight, Driver: DriverArtNet, Addr: "10.0.0.9", Fixture: "rgb", Start: 1, Universe: -1}, "universe"},
	}
	for _, c := range cases {
		for _, rehearsal := range []bool{false, true} {
			_, err := reg.Open(c.cfg, rehearsal)
			if !errors.Is(err, ErrBadDeviceConfig) {
				t.Errorf("%+v: got %v", c.cfg, err)
				continue
			}
			if !strings.Contains(err.Error(), c.field+":") {
				t.Errorf("%v does not name field %s", err, c.field)
			}
		}
	}
	// Unknown Art-Net profile is the driver's to refuse.
	_, err := reg.Open(DeviceConfig{ID: "y", Name: "怪灯", Kind: devices.KindLight, Driver: DriverArtNet, Addr: "127.0.0.1", Fixture: "laser", Start: 1}, false)
	if !errors.Is(err, ErrBadDeviceConfig) || !errors.Is(err, devices.ErrUnsupported) {
		t.Errorf("unknown fixture profile: %v", err)
	}
	if len(reg.List()) != 0 {
		t.Fatalf("failed opens left devices behind: %d", len(reg.List()))
	}
	// Duplicate ids.
	ok := DeviceConfig{ID: "cam", Name: "机位", Kind: devices.KindCamera, Driver: DriverSim}
	if _, err := reg.Open(ok, false); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Open(ok, false); !errors.Is(err, ErrIDInUse) {
		t.Fatalf("duplicate id: %v", err)
	}
	if err := reg.Add(sim.NewLight("cam", "x")); !errors.Is(err, ErrIDInUse) {
		t.Fatalf("Add duplicate id: %v", err)
	}
	if err := reg.Add(nil); err == nil {
		t.Fatal("Add(nil) accepted")
	}
	if err := reg.Remove("cam"); err != nil {
		t.Fatal(err)
	}
	if err := reg.Remove("cam"); !errors.Is(err, ErrUnknownDevice) {
		t.Fatalf("remove twice: %v", err)
	}
}

// TestOpenRealDriversAndRecallThroughThem opens every real driver against
// its loopback peer and recalls one preset through all of them.
func TestOpenRealDriversAndRecallThroughThem(t *testing.T) {
	emu, err := viscatest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Stop()
	emu.StorePreset(4, 400, 40, 1000)
	rx, err := artnettest.NewReceiver()
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	kl := keylighttest.NewServer()
	defer kl.Close()
	ob := obstest.NewServer(obstest.Config{Password: "s3cret", Scenes: []string{"主播全景", "产品特写"}})
	defer ob.Close()

	reg := NewRegistry()
	defer reg.CloseAll()
	cfgs := []DeviceConfig{
		{ID: "cam", Name: "A机位", Kind: devices.KindCamera, Driver: DriverVISCA, Addr: emu.Addr()},
		{ID: "main", Name: "主光", Kind: devices.KindLight, Driver: DriverArtNet, Addr: rx.Addr(), Universe: 3, Fixture: "bicolor", Start: 1},
		{ID: "rim", Name: "轮廓光", Kind: devices.KindLight, Driver: DriverArtNet, Addr: rx.Addr(), Universe: 3, Fixture: "dimmer", Start: 10},
		{ID: "key", Name: "补光", Kind: devices.KindLight, Driver: DriverKeyLight, Addr: kl.Addr()},
		{ID: "obs", Name: "OBS", Kind: devices.KindOBS, Driver: DriverOBS, Addr: ob.Addr(), Password: "s3cret"},
	}
	if err := reg.OpenAll(cfgs, false); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]any{"cam": (*visca.Camera)(nil), "key": (*keylight.Light)(nil), "obs": (*obs.Client)(nil)} {
		d, _ := reg.Get(id)
		if reflect.TypeOf(d) != reflect.TypeOf(want) {
			t.Errorf("%s: %T, want %T", id, d, want)
		}
	}
	if len(reg.shared) != 1 {
		t.Errorf("two lights on one node and universe opened %d nodes", len(reg.shared))
	}

	p := &Preset{ID: "p", Name: "产品特写", Targets: map[string]devices.Target{
		"cam":  {Camera: &devices.CameraTarget{Preset: 4}},
		"main": {Light: &devices.LightTarget{On: devices.Ptr(true), Brightness: devices.Ptr(100), Temperature: devices.Ptr(2700)}},
		"rim":  {Light: &devices.LightTarget{On: devices.Ptr(true), Brightness: devices.Ptr(100)}},
		"key":  {Light: &devices.LightTarget{On: devices.Ptr(true), Brightness: devices.Ptr(80), Temperature: devices.Ptr(5000)}},
		"obs":  {Scene: &devices.SceneTarget{Name: "产品特写"}},
	}}
	// The first recall also waits for the OBS client to identify.
	res := Recall(context.Background(), reg, p, 5*time.Second)
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if pan, tilt, zoom := emu.Position(); pan != 400 || tilt != 40 || zoom != 1000 {
		t.Errorf("camera at %d/%d/%d", pan, tilt, zoom)
	}
	if st := kl.State(); st.On != 1 || st.Brightness != 80 || st.Temperature != keylight.KelvinToMireds(5000) {
		t.Errorf("key light %+v", st)
	}
	if got := ob.CurrentScene(); got != "产品特写" {
		t.Errorf("OBS scene %q", got)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		f, err := rx.Next(time.Until(deadline))
		if err != nil {
			t.Fatalf("no Art-Net frame with both lights up: %v", err)
		}
		if f.PortAddress == 3 && f.Slot(1) == 255 && f.Slot(2) == 0 && f.Slot(10) == 255 {
			break
		}
	}
	if err := reg.CloseAll(); err != nil {
		t.Fatal(err)
	}
	if len(reg.List()) != 0 {
		t.Fatal("CloseAll left devices")
	}
}

func TestDeviceConfigsPersist(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	cfgs := DemoDevices()
	cfgs[5].Password = "obs-pass"
	if err := SaveDeviceConfigs(st, cfgs); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()
	st = openStore(t, dir)
	defer st.Close()
	got, err := LoadDeviceConfigs(st)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, cfgs) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, cfgs)
	}
	// Drop one and reorder.
	cfgs = []DeviceConfig{cfgs[5], cfgs[0]}
	if err := SaveDeviceConfigs(st, cfgs); err != nil {
		t.Fatal(err)
	}
	got, err = LoadDeviceConfigs(st)
	if err != nil || !reflect.DeepEqual(got, cfgs) {
		t.Fatalf("after resave: %v %+v", err, got)
	}
	if err := SaveDeviceConfigs(st, []DeviceConfig{cfgs[0], cfgs[0]}); !errors.Is(err, ErrIDInUse) {
		t.Fatalf("duplicate ids saved: %v", err)
	}
}

func TestRemovingTheLastArtNetLightClosesItsNode(t *testing.T) {
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
	if len(reg.shared) != 1 {
		t.Fatal("node closed while 轮廓光 still uses it")
	}
	r, _ := reg.Get("rim")
	if err := r.Apply(context.Background(), devices.Target{Light: &devices.LightTarget{Brightness: devices.Ptr(50)}}); err != nil {
		t.Fatalf("remaining light: %v", err)
	}
	if err := reg.Remove("rim"); err != nil {
		t.Fatal(err)
	}
	if len(reg.shared) != 0 {
		t.Fatalf("node left open: %d nodes", len(reg.shared))
	}
	// Edited and opened again: a fresh node, no "already patched".
	main.Start = 5
	if _, err := reg.Open(main, false); err != nil {
		t.Fatal(err)
	}
}
