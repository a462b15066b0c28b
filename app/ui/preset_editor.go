package ui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"studiodesk/devices"
	"studiodesk/scripts"
	"studiodesk/studio"
)

var (
	presetColors = []string{"#1565C0", "#2E7D32", "#C62828", "#6A1B9A", "#EF6C00", "#AD1457", "#00838F", "#4E342E"}
	// Keys a live action owns (F5 is Start's) are left out: see keymap.go.
	presetKeys = freePresetKeys([]string{"", "1", "2", "3", "4", "5", "6", "7", "8", "9", "F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9", "F10", "F11", "F12"})
)

// presetEditor is the producer's scene-preset editor: per-device values,
// capture from devices, test recall, duplicate, rename, delete with undo.
type presetEditor struct {
	root    fyne.CanvasObject
	runner  *actionRunner
	reg     *studio.Registry
	list    *widget.List
	presets []studio.Preset
	sel     int

	name        *widget.Entry
	key, colour *widget.Select
	curve       *widget.Select
	fade        *widget.Entry
	rows        []*targetRow
	status      *widget.Label
}

// targetRow edits one device's part of a preset; which fields show depends
// on the device's kind.
type targetRow struct {
	dev      devices.Device
	include  *widget.Check
	on       *widget.Check
	num1     *widget.Entry // camera preset or light brightness %
	num2     *widget.Entry // light temperature K
	scene    *widget.SelectEntry
	fieldset fyne.CanvasObject
}

func newPresetEditor(runner *actionRunner, reg *studio.Registry) *presetEditor {
	e := &presetEditor{runner: runner, reg: reg, sel: -1, status: widget.NewLabel("")}
	e.status.Wrapping = fyne.TextWrapWord
	e.list = widget.NewList(
		func() int { return len(e.presets) },
		func() fyne.CanvasObject { return widget.NewLabel("placeholder preset name [F12]") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			p := e.presets[i]
			text := p.Name
			if p.Key != "" {
				text += "  [" + p.Key + "]"
			}
			o.(*widget.Label).SetText(text)
		})
	e.list.OnSelected = func(i widget.ListItemID) { e.selectPreset(i) }
	e.name = widget.NewEntry()
	e.key = widget.NewSelect(presetKeys, nil)
	e.colour = widget.NewSelect(presetColors, nil)
	e.curve = widget.NewSelect([]string{string(devices.Linear), string(devices.SCurve)}, nil)
	e.fade = widget.NewEntry()
	e.fade.SetPlaceHolder("1s")

	form := widget.NewForm(
		widget.NewFormItem(T("preset.name"), e.name),
		widget.NewFormItem(T("preset.key"), e.key),
		widget.NewFormItem(T("preset.colour"), e.colour),
		widget.NewFormItem(T("preset.fade"), container.NewGridWithColumns(2, e.fade, e.curve)),
	)
	rows := container.NewVBox()
	if reg != nil {
		for _, d := range reg.List() {
			r := newTargetRow(d)
			e.rows = append(e.rows, r)
			rows.Add(r.fieldset)
		}
	}
	buttons := container.NewGridWithColumns(4,
		widget.NewButton(T("preset.new"), e.newPreset),
		widget.NewButton(T("preset.save"), e.save),
		widget.NewButton(T("preset.capture"), e.capture),
		widget.NewButton(T("preset.test"), e.test),
		widget.NewButton(T("preset.duplicate"), e.duplicate),
		widget.NewButton(T("prod.delete"), e.delete),
		widget.NewButton(T("prod.undo"), func() { e.runner.do(studio.UndoPreset{}) }),
	)
	right := container.NewBorder(container.NewVBox(form, buttons), e.status, nil, nil, container.NewVScroll(rows))
	split := container.NewHSplit(container.NewBorder(widget.NewLabel(T("presets.title")), nil, nil, nil, e.list), right)
	split.Offset = 0.25
	e.root = split
	return e
}

func newTargetRow(d devices.Device) *targetRow {
	r := &targetRow{dev: d, include: widget.NewCheck(d.Name(), nil), on: widget.NewCheck(T("preset.on"), nil),
		num1: widget.NewEntry(), num2: widget.NewEntry(), scene: widget.NewSelectEntry(nil)}
	var fields fyne.CanvasObject
	switch d.Kind() {
	case devices.KindCamera:
		r.num1.SetPlaceHolder(T("preset.camera_preset"))
		fields = container.NewGridWithColumns(2, widget.NewLabel(T("preset.camera_preset")), r.num1)
	case devices.KindLight:
		r.num1.SetPlaceHolder("0-100 %")
		r.num2.SetPlaceHolder("5600 K")
		fields = container.NewGridWithColumns(3, r.on, r.num1, r.num2)
	case devices.KindOBS:
		if sl, ok := d.(interface {
			SceneList(context.Context) ([]string, error)
		}); ok {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			if names, err := sl.SceneList(ctx); err == nil {
				r.scene.SetOptions(names)
			}
			cancel()
		}
		fields = r.scene
	default:
		fields = widget.NewLabel("")
	}
	r.fieldset = container.NewBorder(nil, nil, r.include, nil, fields)
	return r
}

// load fills the row from a target (nil: not part of the preset).
func (r *targetRow) load(t *devices.Target) {
	r.include.SetChecked(t != nil)
	r.num1.SetText("")
	r.num2.SetText("")
	r.scene.SetText("")
	r.on.SetChecked(false)
	if t == nil {
		return
	}
	switch {
	case t.Camera != nil:
		r.num1.SetText(strconv.Itoa(t.Camera.Preset))
	case t.Light != nil:
		r.on.SetChecked(t.Light.On == nil || *t.Light.On)
		if t.Light.Brightness != nil {
			r.num1.SetText(strconv.Itoa(*t.Light.Brightness))
		}
		if t.Light.Temperature != nil {
			r.num2.SetText(strconv.Itoa(*t.Light.Temperature))
		}
	case t.Scene != nil:
		r.scene.SetText(t.Scene.Name)
	}
}

// target reads the row; a malformed number names the device and field.
func (r *targetRow) target() (*devices.Target, error) {
	if !r.include.Checked {
		return nil, nil
	}
	num := func(e *widget.Entry, field string) (*int, error) {
		s := strings.TrimSpace(e.Text)
		if s == "" {
			return nil, nil
		}
		v, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSuffix(s, "K"), "%"))
		if err != nil {
			return nil, fmt.Errorf("device %q: %s %q: not a whole number", r.dev.Name(), field, s)
		}
		return &v, nil
	}
	switch r.dev.Kind() {
	case devices.KindCamera:
		n, err := num(r.num1, "camera.preset")
		if err != nil || n == nil {
			if err == nil {
				err = fmt.Errorf("device %q: camera.preset: required", r.dev.Name())
			}
			return nil, err
		}
		return &devices.Target{Camera: &devices.CameraTarget{Preset: *n}}, nil
	case devices.KindLight:
		b, err := num(r.num1, "light.brightness")
		if err != nil {
			return nil, err
		}
		k, err := num(r.num2, "light.temperature")
		if err != nil {
			return nil, err
		}
		return &devices.Target{Light: &devices.LightTarget{On: devices.Ptr(r.on.Checked), Brightness: b, Temperature: k}}, nil
	case devices.KindOBS:
		return &devices.Target{Scene: &devices.SceneTarget{Name: strings.TrimSpace(r.scene.Text)}}, nil
	}
	return nil, nil
}

func (e *presetEditor) setPresets(ps []studio.Preset) {
	e.presets = ps
	e.list.Refresh()
	if e.sel >= len(ps) {
		e.sel = -1
	}
}

func (e *presetEditor) selectPreset(i int) {
	if i < 0 || i >= len(e.presets) {
		return
	}
	e.sel = i
	p := e.presets[i]
	e.name.SetText(p.Name)
	e.key.SetSelected(p.Key)
	e.colour.SetSelected(p.Color)
	e.curve.SetSelected(string(p.Curve))
	e.fade.SetText(scripts.FormatDuration(p.Fade))
	for _, r := range e.rows {
		if t, ok := p.Targets[r.dev.ID()]; ok {
			r.load(&t)
		} else {
			r.load(nil)
		}
	}
}

// formPreset builds the preset the form describes, keeping the selected id.
func (e *presetEditor) formPreset() (studio.Preset, error) {
	p := studio.Preset{Name: strings.TrimSpace(e.name.Text), Key: e.key.Selected, Color: e.colour.Selected,
		Curve: devices.Curve(e.curve.Selected), Targets: map[string]devices.Target{}}
	if err := checkPresetKey(p.Key); err != nil {
		return p, fmt.Errorf("preset %q: %w", p.Name, err)
	}
	if e.sel >= 0 && e.sel < len(e.presets) {
		p.ID = e.presets[e.sel].ID
	}
	if s := strings.TrimSpace(e.fade.Text); s != "" {
		d, err := scripts.ParseDuration(s)
		if err != nil {
			return p, fmt.Errorf("preset %q: fade %q: %w", p.Name, s, err)
		}
		p.Fade = d
	}
	for _, r := range e.rows {
		t, err := r.target()
		if err != nil {
			return p, fmt.Errorf("preset %q: %w", p.Name, err)
		}
		if t != nil {
			p.Targets[r.dev.ID()] = *t
		}
	}
	return p, nil
}

func (e *presetEditor) save() {
	p, err := e.formPreset()
	if err == nil && p.ID == "" {
		p.ID = fmt.Sprintf("p-%d", time.Now().UnixMilli())
	}
	if err != nil {
		e.status.SetText("⚠ " + err.Error())
		return
	}
	e.runner.do(studio.SavePreset{Preset: p})
}

func (e *presetEditor) newPreset() {
	e.sel = -1
	e.list.UnselectAll()
	e.name.SetText(T("preset.untitled"))
	e.key.SetSelected("")
	e.colour.SetSelected(presetColors[0])
	e.curve.SetSelected(string(devices.SCurve))
	e.fade.SetText("1s")
	for _, r := range e.rows {
		r.load(nil)
	}
}

func (e *presetEditor) selectedID() (string, bool) {
	if e.sel < 0 || e.sel >= len(e.presets) {
		e.status.SetText(T("preset.select_first"))
		return "", false
	}
	return e.presets[e.sel].ID, true
}

func (e *presetEditor) test() {
	if id, ok := e.selectedID(); ok {
		e.runner.action(studio.ActRecallPreset, map[string]any{"preset": id})
	}
}

func (e *presetEditor) duplicate() {
	if id, ok := e.selectedID(); ok {
		e.runner.do(studio.DuplicatePreset{ID: id, NewName: e.presets[e.sel].Name + " " + T("preset.copy")})
	}
}

// delete needs no confirmation: Undo restores the preset in place.
func (e *presetEditor) delete() {
	if id, ok := e.selectedID(); ok {
		e.runner.do(studio.DeletePreset{ID: id})
		e.list.UnselectAll()
		e.sel = -1
		e.status.SetText(T("prod.deleted") + " — " + T("prod.undo"))
	}
}

// capture reads the live state of the ticked devices into the form.
func (e *presetEditor) capture() {
	var ids []string
	for _, r := range e.rows {
		if r.include.Checked {
			ids = append(ids, r.dev.ID())
		}
	}
	if len(ids) == 0 {
		e.status.SetText(T("preset.tick_devices"))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	got, errs := studio.Capture(ctx, e.reg, ids)
	for _, r := range e.rows {
		if t, ok := got[r.dev.ID()]; ok {
			r.load(&t)
		}
	}
	if len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, err := range errs {
			msgs[i] = err.Error()
		}
		e.status.SetText("⚠ " + strings.Join(msgs, "; "))
		return
	}
	e.status.SetText(fmt.Sprintf("✓ %s %d", T("preset.captured"), len(got)))
}
