package ui

import (
	"context"
	"fmt"
	"image/color"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"studiodesk/devices"
	"studiodesk/studio"
	"studiodesk/studio/store"
)

// devicesPage lists the studio's devices with their status lights, tests a
// connection, and adds or edits a device. The form is built from the
// drivers' own declarations (devices.Drivers): a new driver brings its
// fields, labels, limits and choices with it.
type devicesPage struct {
	root      fyne.CanvasObject
	reg       *studio.Registry
	st        *store.Store
	rehearsal bool
	cfgs      []studio.DeviceConfig
	list      *widget.List
	sel       int
	status    *widget.Label

	id, name *widget.Entry
	driver   *widget.Select
	kind     *widget.Select
	form     *widget.Form    // id, name, driver, kind, then the driver's fields
	base     int             // how many of form's items are not the driver's
	right    *fyne.Container // the form column, re-laid out when fields change
	limits   *widget.Label   // what the driver accepts in a preset
	values   map[string]func() string
	setters  map[string]func(string)
}

func newDevicesPage(reg *studio.Registry, st *store.Store, cfgs []studio.DeviceConfig, rehearsal bool) *devicesPage {
	p := &devicesPage{reg: reg, st: st, cfgs: slices.Clone(cfgs), rehearsal: rehearsal, sel: -1, status: widget.NewLabel("")}
	p.status.Wrapping = fyne.TextWrapWord
	p.list = widget.NewList(
		func() int { return len(p.cfgs) },
		func() fyne.CanvasObject {
			dot := canvas.NewCircle(colIdle)
			label := widget.NewLabel("placeholder device name · obs · 192.168.100.100:4455 · connecting")
			label.Truncation = fyne.TextTruncateEllipsis
			// Dim rather than italic: every text style costs a parsed copy
			// of the fonts (some 9 MB), and Droid Sans has no italic anyway.
			detail := widget.NewLabel("")
			detail.Importance = widget.LowImportance
			detail.Truncation = fyne.TextTruncateEllipsis
			detail.SizeName = theme.SizeNameCaptionText
			lines := container.New(layout.NewCustomPaddedVBoxLayout(-12), label, detail)
			return container.NewBorder(nil, nil, container.NewCenter(container.NewGridWrap(fyne.NewSize(14, 14), dot)), nil, lines)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) { p.fillRow(i, o.(*fyne.Container)) },
	)
	p.list.OnSelected = func(i widget.ListItemID) { p.selectDevice(i) }
	p.id, p.name = widget.NewEntry(), widget.NewEntry()
	p.limits = widget.NewLabel("")
	p.limits.Wrapping = fyne.TextWrapWord
	p.limits.Importance = widget.LowImportance
	var titles []string
	for _, d := range devices.Drivers() {
		titles = append(titles, driverTitle(d))
	}
	p.kind = widget.NewSelect([]string{kindLabel(devices.KindCamera), kindLabel(devices.KindLight), kindLabel(devices.KindOBS)}, nil)
	p.driver = widget.NewSelect(titles, func(string) { p.showDriver(studio.DeviceConfig{}) })
	p.form = widget.NewForm(
		widget.NewFormItem("ID", p.id),
		widget.NewFormItem(T("preset.name"), p.name),
		widget.NewFormItem(T("device.driver"), p.driver),
		widget.NewFormItem(T("device.kind"), p.kind),
	)
	p.base = len(p.form.Items)
	buttons := container.NewHBox(
		widget.NewButton(T("device.new"), p.clear),
		widget.NewButton(T("device.save"), p.save),
		widget.NewButton(T("device.test"), p.test),
	)
	note := widget.NewLabel(T("device.rehearsal_note"))
	note.Wrapping = fyne.TextWrapWord
	right := container.NewVBox(p.form, p.limits, buttons, p.status)
	p.right = right
	if rehearsal {
		right.Add(note)
	}
	left := container.NewBorder(healthLegend(), nil, nil, nil, p.list)
	split := container.NewHSplit(left, container.NewVScroll(right))
	split.Offset = 0.55
	p.root = split
	p.driver.SetSelectedIndex(0)
	return p
}

// healthLegend explains the four lights in one row (docs/devices.md).
func healthLegend() fyne.CanvasObject {
	row := container.NewHBox()
	for _, h := range []devices.Health{devices.OK, devices.Connecting, devices.Degraded, devices.Down} {
		dot := canvas.NewCircle(healthColor(h))
		row.Add(container.NewCenter(container.NewGridWrap(fyne.NewSize(12, 12), dot)))
		row.Add(widget.NewLabel(T("health."+h.String()) + "  "))
	}
	return row
}

func driverTitle(d *devices.Driver) string {
	title := d.Title
	if lang == "zh" && d.TitleZH != "" {
		title = d.TitleZH
	}
	return d.Name + " — " + title
}

func kindLabel(k devices.Kind) string { return T("kind." + string(k)) }

func fieldLabel(f devices.Field) string {
	switch {
	case lang == "zh" && f.LabelZH != "":
		return f.LabelZH
	case f.Label != "":
		return f.Label
	}
	return f.Key
}

// selectedDriver is the declaration behind the driver select.
func (p *devicesPage) selectedDriver() *devices.Driver {
	for _, d := range devices.Drivers() {
		if driverTitle(d) == p.driver.Selected {
			return d
		}
	}
	return nil
}

// showDriver rebuilds the field form for the selected driver, filled from c.
func (p *devicesPage) showDriver(c studio.DeviceConfig) {
	d := p.selectedDriver()
	if p.form == nil {
		return // the driver select fires once while the page is built
	}
	p.form.Items = p.form.Items[:p.base]
	p.values, p.setters = map[string]func() string{}, map[string]func(string){}
	if d == nil {
		return
	}
	if d.Kind != "" {
		p.kind.SetSelected(kindLabel(d.Kind))
		p.kind.Disable()
	} else {
		p.kind.Enable()
		if c.Kind != "" {
			p.kind.SetSelected(kindLabel(c.Kind))
		}
	}
	for _, f := range d.Fields {
		var obj fyne.CanvasObject
		switch f.Type {
		case devices.Choice:
			s := widget.NewSelect(f.Choices, nil)
			s.SetSelected(c.Get(f.Key))
			p.values[f.Key] = func() string { return s.Selected }
			p.setters[f.Key] = s.SetSelected
			obj = s
		default:
			e := widget.NewEntry()
			if f.Type == devices.Secret {
				e = widget.NewPasswordEntry()
			}
			e.SetPlaceHolder(f.Hint)
			e.SetText(c.Get(f.Key))
			p.values[f.Key] = func() string { return e.Text }
			p.setters[f.Key] = e.SetText
			obj = e
		}
		label := fieldLabel(f)
		if f.Type == devices.Int {
			label += fmt.Sprintf(" (%d-%d)", f.Min, f.Max)
		}
		p.form.Append(label, obj)
	}
	p.form.Refresh()
	p.limits.SetText(limitsText(d))
	if p.right != nil {
		p.right.Refresh() // the new form's height moves everything below it
	}
}

// limitsText says what the driver accepts in a scene preset.
func limitsText(d *devices.Driver) string {
	if len(d.Limits) == 0 {
		return ""
	}
	parts := make([]string, len(d.Limits))
	for i, l := range d.Limits {
		unit := ""
		if l.Unit != "" {
			unit = " " + l.Unit
		}
		parts[i] = fmt.Sprintf("%s %d…%d%s", l.Field, l.Min, l.Max, unit)
	}
	return T("device.accepts") + " " + strings.Join(parts, " · ")
}

// fillRow shows one device: its status light, name, driver, address,
// health and, unless it is OK, the last error.
func (p *devicesPage) fillRow(i int, row *fyne.Container) {
	if i < 0 || i >= len(p.cfgs) {
		return
	}
	c := p.cfgs[i]
	lines := row.Objects[0].(*fyne.Container)
	label, detail := lines.Objects[0].(*widget.Label), lines.Objects[1].(*widget.Label)
	dot := row.Objects[1].(*fyne.Container).Objects[0].(*fyne.Container).Objects[0].(*canvas.Circle)
	text := c.Label() + " · " + c.Driver
	if c.Addr != "" {
		text += " · " + c.Addr
	}
	var col color.Color = colIdle
	more := ""
	if d, ok := p.reg.Get(c.ID); ok {
		st := d.Status()
		col = healthColor(st.Health)
		text += " · " + T("health."+st.Health.String())
		switch {
		case st.LastError != "" && st.Health != devices.OK:
			more = st.LastError
		case st.Health == devices.OK && st.RTT > 0:
			more = fmt.Sprintf("%.1f ms", float64(st.RTT.Microseconds())/1000)
		}
	}
	label.SetText(text)
	detail.SetText(more)
	if dot.FillColor != col {
		dot.FillColor = col
		dot.Refresh()
	}
}

// refreshHealth redraws the status lights; the desk calls it on its tick.
func (p *devicesPage) refreshHealth() { p.list.Refresh() }

func (p *devicesPage) selectDevice(i int) {
	if i < 0 || i >= len(p.cfgs) {
		return
	}
	p.sel = i
	c := p.cfgs[i]
	p.id.SetText(c.ID)
	p.name.SetText(c.Name)
	if d, ok := devices.LookupDriver(c.Driver); ok {
		p.driver.Selected = driverTitle(d) // no OnChanged: fill from c below
		p.driver.Refresh()
	}
	p.showDriver(c)
	p.status.SetText("")
	if d, ok := p.reg.Get(c.ID); ok {
		if st := d.Status(); st.Health != devices.OK && st.LastError != "" {
			p.status.SetText(T("health."+st.Health.String()) + ": " + st.LastError)
		}
	}
}

// clear empties the form for a new device.
func (p *devicesPage) clear() {
	p.sel = -1
	p.list.UnselectAll()
	p.id.SetText("")
	p.name.SetText("")
	p.showDriver(studio.DeviceConfig{})
	p.status.SetText("")
}

// read reads the form into a config; numbers that do not parse name the
// field, and the result is checked against the driver's declaration.
func (p *devicesPage) read() (studio.DeviceConfig, error) {
	c := studio.DeviceConfig{ID: strings.TrimSpace(p.id.Text), Name: strings.TrimSpace(p.name.Text)}
	for _, k := range []devices.Kind{devices.KindCamera, devices.KindLight, devices.KindOBS} {
		if kindLabel(k) == p.kind.Selected {
			c.Kind = k
		}
	}
	if d := p.selectedDriver(); d != nil {
		c.Driver = d.Name
	}
	if i := slices.IndexFunc(p.cfgs, func(o studio.DeviceConfig) bool { return o.ID == c.ID }); i >= 0 {
		c.Scenes = p.cfgs[i].Scenes
	}
	for key, get := range p.values {
		if err := c.Set(key, get()); err != nil {
			return c, fmt.Errorf("device %q: %w", c.Label(), err)
		}
	}
	return c, studio.ValidateDevice(c)
}

// save validates, reopens the device live and persists the list; on any
// error nothing changes.
func (p *devicesPage) save() {
	c, err := p.read()
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
		p.status.SetText("✓ " + c.Label())
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
		p.status.SetText(fmt.Sprintf("✓ %s · %.1f ms", c.Label(), float64(time.Since(start).Microseconds())/1000))
	}
	p.list.Refresh()
}
