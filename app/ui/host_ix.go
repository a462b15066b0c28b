package ui

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"

	"studiodesk/studio/interact"
)

// hostIxPanel is the live interaction on the host's screen, readable from
// across the room: the coupon's name with its countdown and stock, or the
// vote's question with its bars.
type hostIxPanel struct {
	root  *fyne.Container
	title *canvas.Text
	count *canvas.Text
	bars  *voteBars
}

func newHostIxPanel() *hostIxPanel {
	h := &hostIxPanel{title: newText(28, colWarning, true), count: newText(40, colWarning, true), bars: newVoteBars(20)}
	h.root = container.NewVBox(h.title, h.count, h.bars.root)
	h.root.Hide()
	return h
}

// set shows the live interaction (a live coupon first), or hides the
// panel; it reports whether the panel shows.
func (h *hostIxPanel) set(items []interact.View, now time.Time) bool {
	var live *interact.View
	for i := range items {
		v := &items[i]
		if v.State == interact.Live && (live == nil || v.Kind == interact.KindCoupon && live.Kind != interact.KindCoupon) {
			live = v
		}
	}
	if live == nil {
		if h.root.Visible() {
			h.root.Hide()
		}
		return false
	}
	left := "--:--"
	if !live.EndsAt.IsZero() {
		left = clock(max(live.EndsAt.Sub(now), 0))
	}
	if live.Kind == interact.KindCoupon && live.Coupon != nil {
		setText(h.count, fmt.Sprintf("%s · %s · %s  %s %d/%d", T("ix.host.coupon"), shorten(live.Label, 16), left,
			T("ix.stock"), live.StockLeft, live.Coupon.Stock))
		h.title.Hide()
		h.count.Show()
		h.bars.root.Hide()
	} else if live.Vote != nil {
		setText(h.title, fmt.Sprintf("%s · %s · %s · %d %s", T("ix.host.vote"), shorten(live.Vote.Question, 24), left, live.Total, T("ix.votes")))
		h.count.Hide()
		h.title.Show()
		h.bars.set(live.Vote.Options, live.Counts, live.Percent)
		h.bars.root.Show()
	}
	if !h.root.Visible() {
		h.root.Show()
	}
	return true
}

// setInteraction shows the live interaction on the host screen, making
// room for it by folding the next-point and time-left lines (and an empty
// cue line) while it runs.
func (v *streamerView) setInteraction(items []interact.View, now time.Time) {
	live := v.ix.set(items, now)
	for _, o := range []fyne.CanvasObject{v.next, v.pointLeft, v.sayLabel} {
		if live && o.Visible() {
			o.Hide()
		} else if !live && !o.Visible() {
			o.Show()
		}
	}
	// The segment clock gives up some size while an interaction runs.
	size := float32(220)
	if live {
		size = 150
	}
	v.remaining.SetSize(size)
	if live && v.cue.Text == "" {
		v.cue.Hide()
	} else if !v.cue.Visible() {
		v.cue.Show()
	}
}

// minWidthCap lays out one child over the whole area but reports at most w
// as its minimum width.
type minWidthCap struct{ w float32 }

func (c minWidthCap) MinSize(objs []fyne.CanvasObject) fyne.Size {
	if len(objs) == 0 {
		return fyne.Size{}
	}
	m := objs[0].MinSize()
	return fyne.NewSize(min(m.Width, c.w), m.Height)
}

func (c minWidthCap) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}
