package ui

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"studiodesk/devices"
	"studiodesk/studio"
	"studiodesk/studio/store"
)

var driverKinds = map[string]devices.Kind{
	studio.DriverVISCA: devices.KindCamera, studio.DriverArtNet: devices.KindLight,
	studio.DriverKeyLight: devices.KindLight, studio.DriverOBS: devices.KindOBS,
}

// devicesPage lists the studio's devices with their health, tests a
// connection, and adds or edits a device; the form is bound to DeviceConfig.
type devicesPage struct {
	root      fyne.CanvasObject
	reg       *studio.Registry
	st        *store.Store
	rehearsal bool
	cfgs      []studio.DeviceConfig
	list      *widget.List
	sel       int
	status    *widget.Label

	id, name, addr, password, universe, fixture, start *widget.Entry
	driver                                             *widget.Select
}

func newDevicesPage(reg *studio.Registry, st *store.Store, cfgs []studio.DeviceConfig, rehearsal bool) *devicesPage {
	p := &devicesPage{reg: reg, st: st, cfgs: slices.Clone(cfgs), rehearsal: rehearsal, sel: -1, status: widget.NewLabel("")}
	p.status.Wrapping = fyne.TextWrapWord
	p.list = widget.NewList(
		func() int { return len(p.cfgs) },
		func() fyne.CanvasObject {
			return widget.NewLabel("placeholder device name · obs · 192.168.100.100:4455 · connecting")
		},
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(p.line(i)) },
	)
	p.list.OnSelected = func(i widget.ListItemID) { p.selectDevice(i) }
	p.id, p.name, p.addr, p.password = widget.NewEntry(), widget.NewEntry(), widget.NewEntry(), widget.NewPasswordEntry()
	p.universe, p.fixture, p.start = widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	p.driver = widget.NewSelect([]string{studio.DriverVISCA, studio.DriverArtNet, studio.DriverKeyLight, studio.DriverOBS}, nil)
	p.addr.SetPlaceHolder("192.168.1.20:52381")
	p.fixture.SetPlaceHolder("bicolor")
	form := widget.NewForm(
		widget.NewFormItem("ID", p.id),
		widget.NewFormItem(T("preset.name"), p.name),
		widget.NewFormItem(T("device.driver"), p.driver),
		widget.NewFormItem(T("device.addr"), p.addr),
		widget.NewFormItem(T("device.password"), p.password),
		widget.NewFormItem("Art-Net universe", p.universe),
		widget.NewFormItem(T("device.fixture"), p.fixture),
		widget.NewFormItem(T("device.start"), p.start),
	)
	buttons := container.NewHBox(
		widget.NewButton(T("device.save"), p.save),
		widget.NewButton(T("device.test"), p.test),
	)
	note := widget.NewLabel(T("device.rehearsal_note"))
	note.Wrapping = fyne.TextWrapWord
	right := container.NewVBox(form, buttons, p.status)
	if rehearsal {
		right.Add(note)
	}
	split := container.NewHSplit(p.list, container.NewVScroll(right))
	split.Offset = 0.5
	p.root = split
	return p
}

func (p *devicesPage) line(i int) string {
	c := p.cfgs[i]
	text := fmt.Sprintf("%s · %s · %s", c.Name, c.Driver, c.Addr)
	if d, ok := p.reg.Get(c.ID); ok {
		st := d.Status()
		text += " · " + T("health."+st.Health.String())
		if st.LastError != "" && st.Health != devices.OK {
			text += " · " + st.LastError
		}
	}
	return text
}

func (p *devicesPage) selectDevice(i int) {
	if i < 0 || i >= len(p.cfgs) {
		return
	}
	p.sel = i
	c := p.cfgs[i]
	p.id.SetText(c.ID)
	p.name.SetText(c.Name)
	p.driver.SetSelected(c.Driver)
	p.addr.SetText(c.Addr)
	p.password.SetText(c.Password)
	p.universe.SetText(strconv.Itoa(c.Universe))
	p.fixture.SetText(c.Fixture)
	p.start.SetText(strconv.Itoa(c.Start))
}

// form reads the form into a config; numbers that do not parse name the field.
func (p *devicesPage) form() (studio.DeviceConfig, error) {
	c := studio.DeviceConfig{ID: strings.TrimSpace(p.id.Text), Name: strings.TrimSpace(p.name.Text), Driver: p.driver.Selected,
		Kind: driverKinds[p.driver.Selected], Addr: strings.TrimSpace(p.addr.Text), Password: p.password.Text, Fixture: strings.TrimSpace(p.fixture.Text)}
	for _, f := range []struct {
		field string
		e     *widget.Entry
		dst   *int
	}{{"universe", p.universe, &c.Universe}, {"start", p.start, &c.Start}} {
		s := strings.TrimSpace(f.e.Text)
		if s == "" {
			continue
		}
		v, err := strconv.Atoi(s)
		if err != nil {
			return c, fmt.Errorf("device %q: %s %q: not a whole number", c.Name, f.field, s)
		}
		*f.dst = v
	}
	if i := slices.IndexFunc(p.cfgs, func(o studio.DeviceConfig) bool { return o.ID == c.ID }); i >= 0 {
		c.Scenes = p.cfgs[i].Scenes
	}
	return c, c.Validate()
}

// save validates, reopens the device live and persists the list; on any
// error nothing changes.
func (p *devicesPage) save() {
	c, err := p.form()
	if err != nil {
		p.status.SetText("⚠ " + err.Error())
		return
	}
	i := slices.IndexFunc(p.cfgs, func(o studio.DeviceConfig) bool { return o.ID == c.ID })
	next := slices.Clone(p.cfgs)
	if i >= 0 {
		next[i] = c
	} else {
		next = append(next, c)
	}
	if p.st != nil {
		if err := studio.SaveDeviceConfigs(p.st, next); err != nil {
			p.status.SetText("⚠ " + err.Error())
			return
		}
	}
	if _, ok := p.reg.Get(c.ID); ok {
		_ = p.reg.Remove(c.ID)
	}
	if _, err := p.reg.Open(c, p.rehearsal); err != nil {
		p.status.SetText("⚠ " + err.Error())
	} else {
		p.status.SetText("✓ " + c.Name)
	}
	p.cfgs = next
	p.list.Refresh()
}

// test reads the device back (a round trip) and shows its health.
func (p *devicesPage) test() {
	if p.sel < 0 || p.sel >= len(p.cfgs) {
		p.status.SetText(T("device.select_first"))
		return
	}
	c := p.cfgs[p.sel]
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	_, errs := studio.Capture(ctx, p.reg, []string{c.ID})
	if len(errs) > 0 {
		p.status.SetText("⚠ " + errs[0].Error())
	} else {
		p.status.SetText(fmt.Sprintf("✓ %s · %.1f ms", c.Name, float64(time.Since(start).Microseconds())/1000))
	}
	p.list.Refresh()
}
