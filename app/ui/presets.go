package ui

import (
	"fmt"
	"image/color"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"studiodesk/devices"
	"studiodesk/studio"
)

// presetGrid is the controller's bank of big preset buttons (keys 1-9,
// F1-F12) and a status light per device.
type presetGrid struct {
	root     fyne.CanvasObject
	runner   *actionRunner
	grid     *fyne.Container
	lights   *fyne.Container
	result   *widget.Label
	presets  []studio.Preset
	devices  *studio.Registry
	lastSeen string // preset ids+names, to rebuild only on change
	lamps    map[string]*deviceLamp
}

type deviceLamp struct {
	dot   *canvas.Circle
	label *widget.Label
	root  fyne.CanvasObject
}

func newPresetGrid(runner *actionRunner) *presetGrid {
	g := &presetGrid{
		runner: runner,
		grid:   container.NewGridWithColumns(3),
		lights: container.NewGridWithColumns(2),
		result: widget.NewLabel(""),
		lamps:  map[string]*deviceLamp{},
	}
	g.result.Wrapping = fyne.TextWrapWord
	// No title over the grid: the coloured tiles with their keys say what
	// they are, and the row it took keeps the grid on a 1366×768 screen.
	g.root = container.NewVBox(g.grid, g.result, widget.NewLabelWithStyle(T("devices.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), g.lights)
	return g
}

// setPresets rebuilds the buttons when the book changed.
func (g *presetGrid) setPresets(ps []studio.Preset, reg *studio.Registry) {
	var sig strings.Builder
	for _, p := range ps {
		sig.WriteString(p.ID + "\x00" + p.Name + "\x00" + p.Key + "\x00" + p.Color + "\x01")
	}
	g.devices = reg
	if sig.String() == g.lastSeen {
		return
	}
	g.lastSeen, g.presets = sig.String(), ps
	g.grid.RemoveAll()
	for _, p := range ps {
		id := p.ID
		label := p.Name
		if p.Key != "" {
			label = fmt.Sprintf("%s  [%s]", p.Name, p.Key)
		}
		b := widget.NewButton(label, func() { g.runner.action(studio.ActRecallPreset, map[string]any{"preset": id}) })
		bg := canvas.NewRectangle(parseColor(p.Color))
		bg.CornerRadius = 6
		g.grid.Add(container.NewStack(bg, container.New(layout.NewCustomPaddedLayout(10, 10, 4, 4), b)))
	}
	g.grid.Refresh()
}

// presetForKey maps 1-9 and F1-F12 to the preset bound to that key. A key
// a live action owns (a preset saved before the keymap said so) is never
// a preset's.
func (g *presetGrid) presetForKey(k fyne.KeyName) (string, bool) {
	name := string(k)
	for _, p := range g.presets {
		if p.Key != "" && p.Key == name && checkPresetKey(p.Key) == nil {
			return p.ID, true
		}
	}
	return "", false
}

// refreshLights updates the status light of every device.
func (g *presetGrid) refreshLights() {
	if g.devices == nil {
		return
	}
	for _, d := range g.devices.List() {
		lamp, ok := g.lamps[d.ID()]
		if !ok {
			lamp = &deviceLamp{dot: canvas.NewCircle(colIdle), label: widget.NewLabel(d.Name())}
			lamp.label.Truncation = fyne.TextTruncateEllipsis
			dot := container.NewGridWrap(fyne.NewSize(14, 14), lamp.dot)
			lamp.root = container.NewBorder(nil, nil, container.NewCenter(dot), nil, lamp.label)
			g.lamps[d.ID()] = lamp
			g.lights.Add(lamp.root)
		}
		st := d.Status()
		c := healthColor(st.Health)
		if lamp.dot.FillColor != c {
			lamp.dot.FillColor = c
			lamp.dot.Refresh()
		}
		text := fmt.Sprintf("%s · %s", d.Name(), T("health."+st.Health.String()))
		if st.RTT > 0 && st.Health == devices.OK {
			text += fmt.Sprintf(" · %.0f ms", float64(st.RTT.Microseconds())/1000)
		}
		if st.LastError != "" && st.Health != devices.OK {
			text += " · " + st.LastError
		}
		setLabel(lamp.label, text)
	}
}

// showResult names each device that failed in the last recall.
func (g *presetGrid) showResult(r *studio.RecallResult) {
	if r == nil {
		return
	}
	if r.OK() {
		g.result.SetText(fmt.Sprintf("✓ %s · %d %s · %.0f ms", r.PresetName, len(r.Results), T("devices.count"), float64(r.Took.Microseconds())/1000))
		return
	}
	var parts []string
	for _, d := range r.Results {
		if d.Err != nil {
			parts = append(parts, d.Name+": "+d.Err.Error())
		}
	}
	g.result.SetText("⚠ " + r.PresetName + " — " + strings.Join(parts, "; "))
}

func healthColor(h devices.Health) color.Color {
	switch h {
	case devices.OK:
		return colNormal
	case devices.Connecting:
		return colRehearse
	case devices.Degraded:
		return colWarning
	case devices.Down:
		return colOvertime
	}
	return colIdle
}

// parseColor reads "#RRGGBB"; anything else is the neutral idle colour.
func parseColor(s string) color.Color {
	if len(s) != 7 || s[0] != '#' {
		return colIdle
	}
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil {
		return colIdle
	}
	return color.NRGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 0xFF}
}
