package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"studiodesk/studio"
	"studiodesk/studio/interact"
	"studiodesk/studio/platform"
)

// interactionsPane lists the show's coupons and votes with their state,
// countdown, stock and tallies, and fires them. Firing a coupon moves money,
// so it always asks first.
type interactionsPane struct {
	root     fyne.CanvasObject
	runner   *actionRunner
	list     *widget.List
	items    []interact.View
	selected int
	now      func() time.Time
	fireBtn  *widget.Button
	voteBtn  *widget.Button
}

// setCapabilities labels and disables what the platform cannot do, so the
// controller learns it before the moment, not from an error on air.
func (p *interactionsPane) setCapabilities(name string, c platform.Capabilities) {
	if !c.Coupons {
		p.fireBtn.SetText(T("ix.fire") + " — " + fmt.Sprintf(T("ix.unsupported"), name))
		p.fireBtn.Disable()
	}
	if !c.Votes && !c.Danmaku {
		p.voteBtn.SetText(T("ix.start_vote") + " — " + fmt.Sprintf(T("ix.unsupported"), name))
		p.voteBtn.Disable()
	}
}

func newInteractionsPane(runner *actionRunner, now func() time.Time) *interactionsPane {
	p := &interactionsPane{runner: runner, selected: -1, now: now}
	p.list = widget.NewList(
		func() int { return len(p.items) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("placeholder coupon name · live · 02:59 · 500/500 · 0")
			l.Truncation = fyne.TextTruncateClip
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(p.line(p.items[i])) },
	)
	p.list.OnSelected = func(i widget.ListItemID) { p.selected = i }
	p.fireBtn = widget.NewButton(T("ix.fire")+" [C]", p.fire)
	p.voteBtn = widget.NewButton(T("ix.start_vote")+" [V]", p.startVote)
	buttons := container.NewGridWithColumns(4,
		p.fireBtn, p.voteBtn,
		widget.NewButton(T("ix.end_vote")+" [X]", p.endVote),
		widget.NewButton(T("ix.cancel"), p.cancel),
	)
	p.root = container.NewBorder(widget.NewLabelWithStyle(T("ix.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), buttons, nil, nil,
		container.NewGridWrap(fyne.NewSize(600, 150), p.list))
	return p
}

func (p *interactionsPane) line(v interact.View) string {
	s := fmt.Sprintf("%s · %s", v.Label, T("ix.state."+string(v.State)))
	if v.Delivery != "" && v.Delivery != "acked" && v.State != interact.Closed {
		s += " · " + string(v.Delivery)
	}
	if !v.EndsAt.IsZero() && v.State == interact.Live {
		s += " · " + clock(v.EndsAt.Sub(p.now()))
	}
	switch v.Kind {
	case interact.KindCoupon:
		if v.Coupon != nil {
			s += fmt.Sprintf(" · %s %d/%d · %s %d", T("ix.stock"), v.StockLeft, v.Coupon.Stock, T("ix.claims"), v.Claims)
		}
	case interact.KindVote:
		parts := make([]string, len(v.Counts))
		for i, c := range v.Counts {
			pct := 0.0
			if i < len(v.Percent) {
				pct = v.Percent[i]
			}
			parts[i] = fmt.Sprintf("%d:%d(%.0f%%)", i+1, c, pct)
		}
		if len(parts) > 0 {
			s += " · " + strings.Join(parts, " ")
		}
	}
	if v.LastError != "" {
		s += " · ⚠ " + v.LastError
	}
	return s
}

func (p *interactionsPane) set(ix studio.Interactions) {
	p.items = ix.Items
	p.list.Refresh()
}

// pick returns the selected interaction of kind k, or the armed one (its
// node is on air) when nothing is selected.
func (p *interactionsPane) pick(k interact.Kind) (interact.View, bool) {
	if p.selected >= 0 && p.selected < len(p.items) && p.items[p.selected].Kind == k {
		return p.items[p.selected], true
	}
	for _, v := range p.items {
		if v.Kind == k && v.State == interact.Armed {
			return v, true
		}
	}
	p.runner.report(fmt.Errorf("%s", T("ix.select_first")))
	return interact.View{}, false
}

func (p *interactionsPane) fire() {
	v, ok := p.pick(interact.KindCoupon)
	if !ok {
		return
	}
	msg := fmt.Sprintf(T("ix.confirm_fire"), v.Label)
	if v.Coupon != nil {
		msg = fmt.Sprintf(T("ix.confirm_fire_detail"), v.Label, v.Coupon.Discount, v.Coupon.Stock, clock(v.Coupon.Window))
	}
	if p.runner.skipConfirm || p.runner.win == nil {
		p.runner.do(studio.FireCoupon{ID: v.ID})
		return
	}
	dialog.ShowConfirm(T("ix.fire"), msg, func(ok bool) {
		if ok {
			p.runner.do(studio.FireCoupon{ID: v.ID})
		}
	}, p.runner.win)
}

func (p *interactionsPane) startVote() {
	if v, ok := p.pick(interact.KindVote); ok {
		p.runner.do(studio.StartVote{ID: v.ID})
	}
}

func (p *interactionsPane) endVote() {
	for _, v := range p.items {
		if v.Kind == interact.KindVote && v.State == interact.Live {
			p.runner.do(studio.EndVote{ID: v.ID})
			return
		}
	}
	p.runner.report(fmt.Errorf("%s", T("ix.no_live_vote")))
}

func (p *interactionsPane) cancel() {
	if p.selected < 0 || p.selected >= len(p.items) {
		p.runner.report(fmt.Errorf("%s", T("ix.select_first")))
		return
	}
	v := p.items[p.selected]
	do := func() { p.runner.do(studio.CancelInteraction{ID: v.ID, Reason: "operator"}) }
	if p.runner.skipConfirm || p.runner.win == nil {
		do()
		return
	}
	dialog.ShowConfirm(T("ix.cancel"), fmt.Sprintf(T("ix.confirm_cancel"), v.Label), func(ok bool) {
		if ok {
			do()
		}
	}, p.runner.win)
}

// hostLine is the live interaction on the host's screen: what it is, time
// left, and stock or the leading option.
func (p *interactionsPane) hostLine() string {
	for _, v := range p.items {
		if v.State != interact.Live {
			continue
		}
		s := "🎁 " + v.Label
		if !v.EndsAt.IsZero() {
			s += " · " + T("ix.left") + " " + clock(v.EndsAt.Sub(p.now()))
		}
		if v.Kind == interact.KindCoupon {
			s += fmt.Sprintf(" · %s %d", T("ix.stock"), v.StockLeft)
		} else if v.Total > 0 {
			s += fmt.Sprintf(" · %d %s", v.Total, T("ix.votes"))
		}
		return s
	}
	return ""
}
