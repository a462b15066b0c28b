package ui

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"studiodesk/scripts"
	"studiodesk/studio"
)

// controllerView is the field controller's screen: the rundown with planned
// and actual times, and every live control with its shortcut.
type controllerView struct {
	root      fyne.CanvasObject
	runner    *actionRunner
	buttons   map[string]*widget.Button
	rundown   *widget.Table
	remaining *canvas.Text
	band      *canvas.Rectangle
	segment   *widget.Label
	point     *widget.Label
	phase     *widget.Label
	showLeft  *widget.Label
	projected *widget.Label
	overUnder *widget.Label
	windows   *widget.Label
	status    *widget.Label
	lastCue   *widget.Label

	snap     *studio.Snapshot
	state    scripts.State
	selected int
	right    *fyne.Container
	left     *container.Split
	card     *fyne.Container // the interactions card, above the rundown
	badge    *canvas.Text
}

// addBelowRundown puts a panel (the danmaku pane) under the rundown.
func (v *controllerView) addBelowRundown(o fyne.CanvasObject) {
	v.left.Trailing = o
	v.left.Refresh()
}

// setCard puts the interactions card above the rundown, outside any
// scroll, so it is always in view.
func (v *controllerView) setCard(o fyne.CanvasObject) {
	v.card.Objects = []fyne.CanvasObject{o}
	v.card.Refresh()
}

// addSide appends a panel (the preset grid) under the live controls.
func (v *controllerView) addSide(o fyne.CanvasObject) { v.right.Add(o) }

var rundownCols = []string{"col.no", "col.segment", "col.kind", "col.planned", "col.actual", "col.start"}

func newControllerView(runner *actionRunner) *controllerView {
	v := &controllerView{
		runner:    runner,
		buttons:   map[string]*widget.Button{},
		remaining: newText(96, colText, true),
		band:      canvas.NewRectangle(colIdle),
		segment:   widget.NewLabel(""),
		point:     widget.NewLabel(""),
		phase:     widget.NewLabel(""),
		showLeft:  widget.NewLabel(""),
		projected: widget.NewLabel(""),
		overUnder: widget.NewLabel(""),
		windows:   widget.NewLabel(""),
		status:    widget.NewLabel(T("status.ready")),
		lastCue:   widget.NewLabel(""),
		selected:  -1,
	}
	v.segment.TextStyle.Bold = true
	v.point.Wrapping = fyne.TextWrapWord
	v.status.Truncation = fyne.TextTruncateEllipsis

	v.rundown = widget.NewTable(
		func() (int, int) { return v.rows() + 1, len(rundownCols) },
		func() fyne.CanvasObject { return widget.NewLabel("00:00:00 placeholder") },
		func(id widget.TableCellID, o fyne.CanvasObject) { v.cell(id, o.(*widget.Label)) },
	)
	for i, w := range []float32{40, 260, 80, 80, 80, 90} {
		v.rundown.SetColumnWidth(i, w)
	}
	v.rundown.OnSelected = func(id widget.TableCellID) {
		if id.Row > 0 {
			v.selected = id.Row - 1
		}
	}
	jump := widget.NewButton(T("btn.jump")+"  [J]", func() { v.jumpSelected() })
	v.buttons["jump"] = jump

	grid := container.NewGridWithColumns(3)
	for _, a := range timerActions {
		a := a
		b := widget.NewButton(runner.label(a), func() { runner.run(a) })
		if a.id == "start" || a.id == "next" {
			b.Importance = widget.HighImportance
		}
		if a.id == "end" || a.id == "rewind" {
			b.Importance = widget.DangerImportance
		}
		v.buttons[a.id] = b
		grid.Add(b)
	}
	grid.Add(jump)

	clockBlock := container.NewStack(v.band, v.remaining)
	facts := container.NewGridWithColumns(2,
		widget.NewLabel(T("show.left")), v.showLeft,
		widget.NewLabel(T("show.projected")), v.projected,
		widget.NewLabel(T("show.overunder")), v.overUnder,
		widget.NewLabel(T("show.windows")), v.windows,
	)
	v.badge = newText(20, colRehearse, true)
	v.badge.Alignment = fyne.TextAlignTrailing
	v.right = container.NewVBox(v.badge, clockBlock, v.phase, v.segment, v.point, v.lastCue, facts, grid)
	right := v.right
	v.left = container.NewVSplit(v.rundown, container.NewStack())
	v.left.Offset = 0.5
	v.card = container.NewStack()
	// Both columns' minimum widths are capped so a long danmaku line or
	// device status never makes the window wider than the screen.
	leftCol := container.New(minWidthCap{400}, container.NewBorder(v.card, nil, nil, nil, v.left))
	split := container.NewHSplit(leftCol, container.New(minWidthCap{480}, container.NewVScroll(right)))
	split.Offset = 0.55
	v.root = container.NewBorder(nil, v.status, nil, nil, split)
	return v
}

func (v *controllerView) rows() int {
	if v.snap == nil || v.snap.Show == nil {
		return 0
	}
	return len(v.snap.Show.Segments)
}

func (v *controllerView) cell(id widget.TableCellID, l *widget.Label) {
	l.TextStyle.Bold = id.Row == 0
	if id.Row == 0 {
		l.SetText(T(rundownCols[id.Col]))
		return
	}
	i := id.Row - 1
	if v.snap == nil || v.snap.Show == nil || i >= len(v.snap.Show.Segments) {
		l.SetText("")
		return
	}
	seg := v.snap.Show.Segments[i]
	var row scripts.SegmentTiming
	if i < len(v.state.Rundown) {
		row = v.state.Rundown[i]
	}
	current := v.state.Started && !v.state.Ended && v.state.Segment == i
	l.TextStyle.Bold = current
	switch id.Col {
	case 0:
		mark := ""
		if current {
			mark = "▶ "
		} else if row.Done {
			mark = "✓ "
		}
		l.SetText(fmt.Sprintf("%s%d", mark, i+1))
	case 1:
		l.SetText(seg.Title)
	case 2:
		l.SetText(kindText(seg.Kind))
	case 3:
		planned := seg.Planned()
		if row.Planned > 0 {
			planned = row.Planned
		}
		l.SetText(clock(planned))
	case 4:
		if row.Actual > 0 || current {
			l.SetText(clock(row.Actual))
		} else {
			l.SetText("")
		}
	case 5:
		if !row.Started.IsZero() {
			l.SetText(row.Started.Local().Format("15:04:05"))
		} else {
			l.SetText("+" + clock(row.PlannedStart))
		}
	}
}

func (v *controllerView) jumpSelected() {
	if v.selected < 0 {
		return
	}
	v.runner.do(studio.Jump{Index: v.selected})
}

// render updates the view; called on the UI goroutine.
func (v *controllerView) render(snap *studio.Snapshot, st scripts.State) {
	structural := v.snap != snap
	v.snap, v.state = snap, st
	setText(v.badge, badgeText(snap))
	if c := badgeColor(snap); v.badge.Color != c {
		v.badge.Color = c
		v.badge.Refresh()
	}
	var seg *scripts.Segment
	if snap != nil && snap.Show != nil && len(snap.Show.Segments) > 0 {
		seg = &snap.Show.Segments[clampIndex(st.Segment, len(snap.Show.Segments))]
		v.segment.SetText(fmt.Sprintf("%d. %s · %s", st.Segment+1, seg.Title, kindText(seg.Kind)))
	}
	showClockFace(v.remaining, v.band, seg, st)
	v.phase.SetText(phaseText(st))
	if st.PointText != "" {
		v.point.SetText(T("say.now") + "：" + st.PointText + "  (" + clock(st.PointLeft) + ")")
	} else {
		v.point.SetText("")
	}
	v.showLeft.SetText(clock(st.ShowLeft))
	if st.Started {
		v.projected.SetText(st.ProjectedEnd.Local().Format("15:04:05"))
		v.overUnder.SetText(signed(st.OverUnder))
	} else {
		v.projected.SetText("—")
		v.overUnder.SetText("—")
	}
	v.windows.SetText(fmt.Sprintf("%d / %d", st.WindowsLeft, st.WindowsLeft+st.WindowsUsed))
	v.updateButtons(st)
	if structural || st.Started {
		v.rundown.Refresh()
	}
}

// updateButtons enables only what makes sense now, so a click at the wrong
// moment is not possible in the first place.
func (v *controllerView) updateButtons(st scripts.State) {
	live := st.Started && !st.Ended
	set := func(id string, on bool) {
		b := v.buttons[id]
		if on && b.Disabled() {
			b.Enable()
		} else if !on && !b.Disabled() {
			b.Disable()
		}
	}
	set("start", !st.Started && v.rows() > 0)
	set("pause", live)
	set("next", live)
	set("prev", live && st.Segment > 0)
	set("extend", live)
	set("shorten", live)
	set("window", live && st.WindowsLeft > 0)
	set("end", live)
	set("jump", live)
	pause := v.buttons["pause"]
	want := v.runner.label(timerActions[1])
	if st.Paused {
		want = fmt.Sprintf("%s  [%s]", T("btn.resume"), timerActions[1].keyText)
	}
	if pause.Text != want {
		pause.SetText(want)
	}
}

func (v *controllerView) onCue(c scripts.Cue, fired time.Time) {
	v.lastCue.SetText(fired.Local().Format("15:04:05") + "  " + cueText(c.Kind))
}

func (v *controllerView) report(err error) {
	if err == nil {
		return
	}
	v.status.SetText("⚠ " + err.Error())
}
