package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
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
	p.fireBtn = widget.NewButton(runner.label(studio.ActFireCoupon), p.fire)
	p.voteBtn = widget.NewButton(runner.label(studio.ActStartVote), p.startVote)
	buttons := container.NewGridWithColumns(4,
		p.fireBtn, p.voteBtn,
		widget.NewButton(runner.label(studio.ActEndVote), p.endVote),
		widget.NewButton(runner.label(studio.ActCancelInteraction), p.cancel),
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

// selectedView returns the selected interaction, if any.
func (p *interactionsPane) selectedView() (interact.View, bool) {
	if p.selected >= 0 && p.selected < len(p.items) {
		return p.items[p.selected], true
	}
	return interact.View{}, false
}

// byKind is the selected interaction's id as arguments when it is of kind
// k; nil lets the catalogue take the armed (or live) one.
func (p *interactionsPane) byKind(k interact.Kind) map[string]any {
	if v, ok := p.selectedView(); ok && v.Kind == k {
		return map[string]any{"id": v.ID}
	}
	return nil
}

func (p *interactionsPane) fire() {
	p.runner.action(studio.ActFireCoupon, p.byKind(interact.KindCoupon))
}

func (p *interactionsPane) startVote() {
	p.runner.action(studio.ActStartVote, p.byKind(interact.KindVote))
}

func (p *interactionsPane) endVote() { p.runner.action(studio.ActEndVote, nil) }

func (p *interactionsPane) cancel() {
	v, ok := p.selectedView()
	if !ok {
		p.runner.report(fmt.Errorf("%s", T("ix.select_first")))
		return
	}
	p.runner.action(studio.ActCancelInteraction, map[string]any{"id": v.ID}) // asks first
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
