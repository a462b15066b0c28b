package ui

import (
	"fmt"
	"sync/atomic"
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
	h := &hostIxPanel{title: newText(34, colWarning, true), count: newText(56, colText, true), bars: newVoteBars(26)}
	h.root = container.NewVBox(h.title, h.count, h.bars.root)
	h.root.Hide()
	return h
}

// set shows the live interaction (a live coupon first), or hides the panel.
func (h *hostIxPanel) set(items []interact.View, now time.Time) {
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
		return
	}
	left := "--:--"
	if !live.EndsAt.IsZero() {
		left = clock(max(live.EndsAt.Sub(now), 0))
	}
	if live.Kind == interact.KindCoupon && live.Coupon != nil {
		setText(h.title, T("ix.host.coupon")+" · "+shorten(live.Label, 24)+" · "+couponRule(live.Coupon))
		setText(h.count, fmt.Sprintf("%s  ·  %s %d/%d", left, T("ix.stock"), live.StockLeft, live.Coupon.Stock))
		h.bars.root.Hide()
	} else if live.Vote != nil {
		setText(h.title, T("ix.host.vote")+" · "+shorten(live.Vote.Question, 30))
		setText(h.count, fmt.Sprintf("%s  ·  %d %s", left, live.Total, T("ix.votes")))
		h.bars.set(live.Vote.Options, live.Counts, live.Percent)
		h.bars.root.Show()
	}
	if !h.root.Visible() {
		h.root.Show()
	}
}

// viewerCount hands the live feed's audience to the desk, which starts
// before the feed (participation = voters / viewers in the show log).
type viewerCount struct{ f atomic.Pointer[func() int] }

func (v *viewerCount) set(f func() int) { v.f.Store(&f) }

func (v *viewerCount) get() int {
	if f := v.f.Load(); f != nil {
		return (*f)()
	}
	return 0
}
