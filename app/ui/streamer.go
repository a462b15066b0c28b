package ui

import (
	"image/color"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"

	"studiodesk/scripts"
	"studiodesk/studio"
)

// streamerView is the host's screen: one glance gives the time left in the
// segment, the selling point to say now and the next one.
type streamerView struct {
	root      fyne.CanvasObject
	band      *canvas.Rectangle // phase colour band behind the clock
	flash     *canvas.Rectangle
	badge     *canvas.Text
	segment   *canvas.Text
	phase     *canvas.Text
	remaining *clockText
	sayLabel  *canvas.Text
	point     *canvas.Text
	pointLeft *canvas.Text
	next      *canvas.Text
	lines     *canvas.Text // the segment's host lines (话术)
	progress  *canvas.Rectangle
	progBg    *canvas.Rectangle
	footer    *canvas.Text
	cue       *canvas.Text
	questions *canvas.Text
	barLayout *progressLayout
	flashAnim *fyne.Animation
	cueUntil  time.Time
	ix        *hostIxPanel // the live coupon countdown or vote bars
}

func newText(size float32, c color.Color, bold bool) *canvas.Text {
	t := canvas.NewText("", c)
	t.TextSize = size
	t.TextStyle = fyne.TextStyle{Bold: bold}
	t.Alignment = fyne.TextAlignCenter
	return t
}

func newStreamerView() *streamerView {
	v := &streamerView{
		band:      canvas.NewRectangle(colIdle),
		flash:     canvas.NewRectangle(color.Transparent),
		badge:     newText(22, colText, true),
		segment:   newText(40, colText, true),
		phase:     newText(30, colText, true),
		remaining: newClockText(220, colText),
		sayLabel:  newText(26, colDim, false),
		point:     newText(52, colText, true),
		pointLeft: newText(26, colDim, false),
		next:      newText(30, colDim, false),
		progress:  canvas.NewRectangle(colText),
		progBg:    canvas.NewRectangle(color.NRGBA{0x30, 0x34, 0x3A, 0xFF}),
		footer:    newText(26, colDim, false),
		cue:       newText(40, colText, true),
		questions: newText(26, colWarning, false),
	}
	v.lines = newText(28, colText, false)
	v.sayLabel.Text = T("say.now")
	v.ix = newHostIxPanel()
	v.barLayout = &progressLayout{}
	bar := container.New(v.barLayout, v.progBg, v.progress)
	clockBlock := container.NewStack(v.band, container.NewVBox(v.phase, v.remaining))
	content := container.NewBorder(
		container.NewVBox(container.NewHBox(layout.NewSpacer(), v.badge), v.segment, bar),
		container.NewVBox(v.ix.root, v.cue, v.questions, v.footer),
		nil, nil,
		container.NewVBox(clockBlock, v.sayLabel, v.point, v.pointLeft, v.lines, v.next),
	)
	// No background rectangle of its own: the window is cleared to the
	// theme's background (colBg) anyway, and under software GL every
	// full-window rectangle costs some 8 ms of every frame.
	v.root = container.NewStack(container.NewPadded(content), v.flash)
	return v
}

// progressLayout sizes the segment progress bar by its fraction.
type progressLayout struct {
	fraction float32
}

func (l *progressLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(100, 14) }

func (l *progressLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	objs[0].Resize(size)
	objs[0].Move(fyne.NewPos(0, 0))
	f := l.fraction
	if f < 0 {
		f = 0
	}
	if f > 1 {
		f = 1
	}
	objs[1].Resize(fyne.NewSize(size.Width*f, size.Height))
	objs[1].Move(fyne.NewPos(0, 0))
}

// render updates every element from the state; called on the UI goroutine.
func (v *streamerView) render(snap *studio.Snapshot, st scripts.State) {
	setText(v.badge, badgeText(snap))
	v.badge.Color = badgeColor(snap)
	if snap == nil || snap.Show == nil || len(snap.Show.Segments) == 0 {
		setText(v.segment, "")
		v.remaining.Set("--:--")
		return
	}
	seg := &snap.Show.Segments[clampIndex(st.Segment, len(snap.Show.Segments))]
	setText(v.segment, seg.Title)
	setText(v.phase, phaseText(st))
	showClockFace(v.remaining, v.band, seg, st)
	if st.PointText != "" {
		setText(v.sayLabel, T("say.now"))
		setText(v.point, st.PointText)
		setText(v.pointLeft, clock(st.PointLeft))
	} else {
		setText(v.sayLabel, "")
		setText(v.point, seg.Notes)
		setText(v.pointLeft, "")
	}
	v.setLines(seg.HostLines)
	if st.NextPointText != "" {
		setText(v.next, T("say.next")+"："+st.NextPointText)
	} else {
		setText(v.next, "")
	}
	footer := T("show.left") + " " + clock(st.ShowLeft)
	if st.Segment+1 < len(snap.Show.Segments) {
		footer += "    " + T("seg.next") + "：" + snap.Show.Segments[st.Segment+1].Title
	}
	setText(v.footer, footer)
	if planned := st.SegmentElapsed + st.SegmentLeft; planned > 0 {
		frac := float32(st.SegmentElapsed) / float32(planned)
		if v.barLayout.fraction != frac {
			v.barLayout.fraction = frac
			v.progress.Resize(fyne.NewSize(v.progBg.Size().Width*min(max(frac, 0), 1), v.progBg.Size().Height))
		}
	}
	if !v.cueUntil.IsZero() && st.Now.After(v.cueUntil) {
		setText(v.cue, "")
		v.cueUntil = time.Time{}
	}
}

// setLines shows the segment's host lines under the selling point, on one
// line so the host view keeps its height.
func (v *streamerView) setLines(lines []string) {
	text := ""
	if len(lines) > 0 {
		text = T("say.lines") + "：" + strings.Join(lines, "　／　")
	}
	if r := []rune(text); len(r) > 60 {
		text = string(r[:59]) + "…"
	}
	setText(v.lines, text)
	if text == "" && v.lines.Visible() {
		v.lines.Hide()
	} else if text != "" && !v.lines.Visible() {
		v.lines.Show()
	}
}

// onCue flashes the whole screen and names the cue for a few seconds.
// Only a screen that is shown flashes: a Fyne animation on a hidden object
// is not finished by the animation runner, which then repaints the window
// at 60 Hz for good.
func (v *streamerView) onCue(c scripts.Cue, now time.Time) { v.cueShown(c, now, true) }

func (v *streamerView) cueShown(c scripts.Cue, now time.Time, shown bool) {
	setText(v.cue, cueText(c.Kind))
	v.cueUntil = now.Add(4 * time.Second)
	strong := colFlash
	if c.Kind == scripts.CueOvertime || c.Kind == scripts.CueDanger {
		strong = color.NRGBA{0xFF, 0x30, 0x30, 0xD0}
	}
	if v.flashAnim != nil {
		v.flashAnim.Stop()
		v.flashAnim = nil
	}
	if !shown {
		return
	}
	v.flashAnim = canvas.NewColorRGBAAnimation(strong, color.Transparent, 900*time.Millisecond, func(c color.Color) {
		v.flash.FillColor = c
		v.flash.Refresh()
	})
	v.flashAnim.Start()
}

func setText(t *canvas.Text, s string) {
	if t.Text != s {
		t.Text = s
		t.Refresh()
	}
}

func badgeText(snap *studio.Snapshot) string {
	if snap != nil && snap.Rehearsal {
		return "● " + T("rehearsal")
	}
	return "● " + T("live")
}

func badgeColor(snap *studio.Snapshot) color.Color {
	if snap != nil && snap.Rehearsal {
		return colRehearse
	}
	return colOvertime
}

func clampIndex(i, n int) int {
	if i < 0 {
		return 0
	}
	if i >= n {
		return n - 1
	}
	return i
}

// setQuestions shows the top pending questions and trending words.
func (v *streamerView) setQuestions(s string) { setText(v.questions, s) }
