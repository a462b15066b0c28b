package ui

import (
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"studiodesk/devices"
	"studiodesk/studio"
)

// The page shows each device's light and health in the one meaning, with
// the error for degraded and down, and builds its form from the drivers'
// declarations.
func TestDevicesPageShowsHealthAndDeclaredFields(t *testing.T) {
	lang = "en"
	defer func() { lang = "zh" }()
	test.NewTempApp(t)
	reg := studio.NewRegistry()
	defer reg.CloseAll()
	cfgs := []studio.DeviceConfig{
		{ID: "cam", Name: "A机位", Kind: devices.KindCamera, Driver: studio.DriverSim},
		{ID: "key", Name: "补光", Kind: devices.KindLight, Driver: studio.DriverSim},
		{ID: "obs", Name: "OBS", Kind: devices.KindOBS, Driver: studio.DriverSim},
		{ID: "rim", Name: "轮廓光", Kind: devices.KindLight, Driver: studio.DriverSim},
	}
	if err := reg.OpenAll(cfgs, true); err != nil {
		t.Fatal(err)
	}
	get := func(id string) interface {
		SetConnecting()
		SetDown(bool)
		FailNext(error)
	} {
		d, _ := reg.Get(id)
		return d.(interface {
			SetConnecting()
			SetDown(bool)
			FailNext(error)
		})
	}
	get("key").SetConnecting()
	get("obs").FailNext(errors.New("code 600 resource not found"))
	d, _ := reg.Get("obs")
	_ = d.Apply(t.Context(), devices.Target{Scene: &devices.SceneTarget{Name: "开场"}})
	get("rim").SetDown(true)

	p := newDevicesPage(reg, nil, cfgs, true)
	w := test.NewWindow(p.root)
	defer w.Close()
	w.Resize(fyne.NewSize(1366, 768))
	p.refreshHealth()
	want := map[int]struct {
		text string
		col  any
	}{
		0: {"A机位 · sim · ok", healthColor(devices.OK)},
		1: {"补光 · sim · connecting", healthColor(devices.Connecting)},
		2: {"OBS · sim · degraded", healthColor(devices.Degraded)},
		3: {"轮廓光 · sim · down", healthColor(devices.Down)},
	}
	for i, wnt := range want {
		row := p.list.CreateItem().(*fyne.Container)
		p.fillRow(i, row)
		label := row.Objects[0].(*fyne.Container).Objects[0].(*widget.Label).Text
		dot := row.Objects[1].(*fyne.Container).Objects[0].(*fyne.Container).Objects[0].(*canvas.Circle)
		if !strings.HasPrefix(label, wnt.text) {
			t.Errorf("row %d %q, want prefix %q", i, label, wnt.text)
		}
		if dot.FillColor != wnt.col {
			t.Errorf("row %d light %v, want %v", i, dot.FillColor, wnt.col)
		}
	}
	row := p.list.CreateItem().(*fyne.Container)
	p.fillRow(2, row)
	if l := row.Objects[0].(*fyne.Container).Objects[1].(*widget.Label).Text; !strings.Contains(l, "code 600 resource not found") {
		t.Errorf("degraded row without the error: %q", l)
	}

	// The Art-Net form has the declared fields, source port included, and
	// the driver's own range check refuses a bad value by name.
	for _, d := range devices.Drivers() {
		if d.Name == studio.DriverArtNet {
			p.driver.SetSelected(driverTitle(d))
		}
	}
	for _, key := range []string{devices.FieldAddr, devices.FieldUniverse, devices.FieldFixture, devices.FieldStart, devices.FieldSourcePort} {
		if _, ok := p.values[key]; !ok {
			t.Errorf("Art-Net form lacks %s", key)
		}
	}
	if p.kind.Selected != kindLabel(devices.KindLight) || !p.kind.Disabled() {
		t.Errorf("kind %q (disabled %v), want light fixed by the driver", p.kind.Selected, p.kind.Disabled())
	}
	p.id.SetText("fx")
	p.name.SetText("面光")
	p.setters[devices.FieldAddr]("127.0.0.1")
	p.setters[devices.FieldFixture]("dimmer")
	p.setters[devices.FieldStart]("1")
	p.setters[devices.FieldSourcePort]("70000")
	p.save()
	if !strings.Contains(p.status.Text, "source_port: value 70000 out of range 0-65535") {
		t.Fatalf("status %q", p.status.Text)
	}
	p.setters[devices.FieldSourcePort]("x")
	p.save()
	if !strings.Contains(p.status.Text, `source_port "x": not a whole number`) {
		t.Fatalf("status %q", p.status.Text)
	}
	p.setters[devices.FieldSourcePort]("")
	p.save()
	if !strings.HasPrefix(p.status.Text, "✓") {
		t.Fatalf("status %q", p.status.Text)
	}
	if _, ok := reg.Get("fx"); !ok || len(p.cfgs) != 5 {
		t.Fatal("saved device not opened")
	}
}
