package ui

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
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
	remaining *clockText
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
	drawnRow int // the current segment when the rundown was last redrawn
	selected int
	right    *fyne.Container
	controls fyne.CanvasObject // the timer buttons
	sides    map[fyne.CanvasObject]bool
	left     *container.Split
	card     *fyne.Container // the interactions card, above the rundown
	badge    *canvas.Text
	clockRow *fyne.Container // the clock face with the segment and cue beside it
	clockLen int             // the clock text's length at the last layout
}

// clockRowLayout gives the clock face (objs[0]) the width of its widest
// minutes-and-seconds text, or of its text when that is longer (an hour or
// more), and the rest of the row to the lines beside it (objs[1]). The
// face's width does not change from second to second, so nothing beside
// it moves while the clock runs.
type clockRowLayout struct{ clock *clockText }

func (l *clockRowLayout) faceWidth() float32 {
	w := fyne.MeasureText("+88:88", l.clock.TextSize, l.clock.TextStyle).Width
	return max(w, l.clock.MinSize().Width) + 4*theme.Padding()
}

func (l *clockRowLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	if len(objs) < 2 {
		return fyne.Size{}
	}
	c, b := objs[0].MinSize(), objs[1].MinSize()
	return fyne.NewSize(l.faceWidth()+theme.Padding()+b.Width, max(c.Height, b.Height))
}

func (l *clockRowLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	if len(objs) < 2 {
		return
	}
	w := min(l.faceWidth(), size.Width)
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(fyne.NewSize(w, size.Height))
	x := w + theme.Padding()
	objs[1].Move(fyne.NewPos(x, 0))
	objs[1].Resize(fyne.NewSize(max(size.Width-x, 0), size.Height))
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
func (v *controllerView) addSide(o fyne.CanvasObject) {
	objs := v.right.Objects
	at := len(objs)
	for i, x := range objs {
		if x == v.controls {
			at = i + 1
			for at < len(objs) && v.sides[objs[at]] {
				at++
			}
			break
		}
	}
	if v.sides == nil {
		v.sides = make(map[fyne.CanvasObject]bool)
	}
	v.sides[o] = true
	v.right.Objects = append(objs[:at:at], append([]fyne.CanvasObject{o}, objs[at:]...)...)
	v.right.Refresh()
}

// timerButtons are the controller's timer buttons, in grid order.
var timerButtons = []string{studio.ActStart, studio.ActTogglePause, studio.ActPrevious, studio.ActNext,
	studio.ActExtend, studio.ActShorten, studio.ActUseWindow, studio.ActEnd, studio.ActRewind, studio.ActJump}

var rundownCols = []string{"col.no", "col.segment", "col.kind", "col.planned", "col.actual", "col.start"}

func newControllerView(runner *actionRunner) *controllerView {
	v := &controllerView{
		runner:    runner,
		buttons:   map[string]*widget.Button{},
		remaining: newClockText(96, colText),
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
	grid := container.NewGridWithColumns(3)
	for _, a := range timerButtons {
		b := widget.NewButton(runner.label(a), func() {
			if a == studio.ActJump {
				v.jumpSelected()
				return
			}
			runner.action(a, nil)
		})
		switch a {
		case studio.ActStart, studio.ActNext:
			b.Importance = widget.HighImportance
		case studio.ActEnd, studio.ActRewind:
			b.Importance = widget.DangerImportance
		}
		v.buttons[a] = b
		grid.Add(b)
	}

	clockBlock := container.NewStack(v.band, v.remaining)
	v.segment.Truncation = fyne.TextTruncateEllipsis // the full title is in the rundown
	facts := container.NewGridWithColumns(2,
		widget.NewLabel(T("show.left")), v.showLeft,
		widget.NewLabel(T("show.projected")), v.projected,
		widget.NewLabel(T("show.overunder")), v.overUnder,
		widget.NewLabel(T("show.windows")), v.windows,
	)
	v.badge = newText(20, colRehearse, true)
	v.badge.Alignment = fyne.TextAlignLeading // beside the clock, clear of the scroll bar
	// The segment, the last cue and the rehearsal badge sit beside the
	// clock; the live controls come right under it, side panels (the
	// preset grid) under them (addSide), the phase, the host's line and
	// the figures last: at 1366×768 everything down to the preset grid is
	// on screen without scrolling.
	v.controls = grid
	beside := container.NewVBox(v.badge, v.segment, v.lastCue)
	v.clockRow = container.New(&clockRowLayout{clock: v.remaining}, clockBlock, beside)
	v.right = container.NewVBox(v.clockRow, grid, v.phase, v.point, facts)
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
		v.runner.report(fmt.Errorf("%s", T("keys.select_segment")))
		return
	}
	v.runner.action(studio.ActJump, map[string]any{"segment": v.selected + 1})
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
		setLabel(v.segment, fmt.Sprintf("%d. %s · %s", st.Segment+1, seg.Title, kindText(seg.Kind)))
	}
	showClockFace(v.remaining, v.band, seg, st)
	if n := len(v.remaining.Text); n != v.clockLen {
		// mm:ss to h:mm:ss and back: the face's width may change.
		v.clockLen = n
		v.clockRow.Refresh()
	}
	setLabel(v.phase, phaseText(st))
	if st.PointText != "" {
		setLabel(v.point, T("say.now")+"："+st.PointText+"  ("+clock(st.PointLeft)+")")
	} else {
		setLabel(v.point, "")
	}
	setLabel(v.showLeft, clock(st.ShowLeft))
	if st.Started {
		setLabel(v.projected, st.ProjectedEnd.Local().Format("15:04:05"))
		setLabel(v.overUnder, signed(st.OverUnder))
	} else {
		setLabel(v.projected, "—")
		setLabel(v.overUnder, "—")
	}
	setLabel(v.windows, fmt.Sprintf("%d / %d", st.WindowsLeft, st.WindowsLeft+st.WindowsUsed))
	v.updateButtons(st)
	// The whole rundown is redrawn when the show or the segment changes;
	// between, only the current row's actual time moves.
	row := st.Segment
	if !st.Started || st.Ended {
		row = -1
	}
	switch {
	case structural || row != v.drawnRow:
		v.rundown.Refresh()
	case row >= 0:
		v.rundown.RefreshItem(widget.TableCellID{Row: row + 1, Col: 4})
	}
	v.drawnRow = row
}

// setLabel changes a label's text only when it differs (SetText always
// redraws).
func setLabel(l *widget.Label, s string) {
	if l.Text != s {
		l.SetText(s)
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
	set(studio.ActStart, !st.Started && v.rows() > 0)
	set(studio.ActTogglePause, live)
	set(studio.ActNext, live)
	set(studio.ActPrevious, live && st.Segment > 0)
	set(studio.ActExtend, live)
	set(studio.ActShorten, live)
	set(studio.ActUseWindow, live && st.WindowsLeft > 0)
	set(studio.ActEnd, live)
	set(studio.ActJump, live)
	pause := v.buttons[studio.ActTogglePause]
	want := v.runner.label(studio.ActTogglePause)
	if st.Paused {
		want = fmt.Sprintf("%s  [%s]", T("btn.resume"), keyText(studio.ActTogglePause))
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
