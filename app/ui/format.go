package ui

import (
	"fmt"
	"image/color"
	"time"

	"fyne.io/fyne/v2/canvas"

	"studiodesk/scripts"
)

// clock formats a duration as m:ss or h:mm:ss; negative values (overtime)
// get a leading "+" because the host reads them as time over.
func clock(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign = "+"
		d = -d
	}
	// Round up so "0:00" appears only when the time is really out.
	s := int64((d + time.Second - 1) / time.Second)
	h, m, sec := s/3600, (s/60)%60, s%60
	if h > 0 {
		return fmt.Sprintf("%s%d:%02d:%02d", sign, h, m, sec)
	}
	return fmt.Sprintf("%s%02d:%02d", sign, m, sec)
}

// signed formats an over/under figure: "+1:20" over plan, "−0:45" ahead.
func signed(d time.Duration) string {
	switch {
	case d > 0:
		return "+" + clock(d)[0:]
	case d < 0:
		return "−" + clock(-d)
	}
	return "±00:00"
}

func phaseColor(p scripts.ClockPhase) color.Color {
	switch p {
	case scripts.ClockNormal:
		return colNormal
	case scripts.ClockWarning:
		return colWarning
	case scripts.ClockDanger:
		return colDanger
	case scripts.ClockOvertime:
		return colOvertime
	}
	return colIdle
}

func phaseText(st scripts.State) string {
	switch {
	case st.Ended:
		return T("phase.ended")
	case !st.Started:
		return T("phase.idle")
	case st.Paused:
		return T("show.paused")
	}
	return T("phase." + string(st.Clock))
}

func kindText(k scripts.SegmentKind) string { return T("kind." + string(k)) }

func cueText(k scripts.CueKind) string { return T("cue." + string(k)) }

// showClockFace sets the big time left and its phase-coloured band, the same
// on every view: the planned length before the start, grey while paused.
func showClockFace(remaining *clockText, band *canvas.Rectangle, seg *scripts.Segment, st scripts.State) {
	left := st.SegmentLeft
	if !st.Started && seg != nil {
		left = seg.Planned()
	}
	remaining.Set(clock(left))
	col := phaseColor(st.Clock)
	if st.Paused {
		col = colIdle
	}
	if band.FillColor != col {
		band.FillColor = col
		band.Refresh()
	}
}
