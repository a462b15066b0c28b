package ui

import (
	"fmt"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"studiodesk/studio"
	"studiodesk/studio/interact"
	"studiodesk/studio/platform"
)

// maxCardRows bounds the rows of the interactions card so it always fits
// above the fold; the rest is counted in a "+N more" line.
const maxCardRows = 3

// interactionsPane is the controller's interactions card: the show's
// coupons and votes by name or question, the next armed one highlighted,
// with stock, countdown and live vote bars, and one-key actions (C fire,
// V start vote, X end vote, cancel). Firing a coupon moves money, so it
// always asks first.
type interactionsPane struct {
	root     fyne.CanvasObject
	runner   *actionRunner
	rows     *fyne.Container
	more     *canvas.Text
	items    []interact.View
	selected string // interaction id picked by a click, "" for the next armed
	now      func() time.Time
	fireBtn  *widget.Button
	voteBtn  *widget.Button
	endBtn   *widget.Button
	canBtn   *widget.Button
	cards    []*ixRow
	// confirm is the open confirmation, if any (tests press its buttons).
	confirm *dialog.ConfirmDialog
}

func newInteractionsPane(runner *actionRunner, now func() time.Time) *interactionsPane {
	p := &interactionsPane{runner: runner, now: now}
	p.rows = container.NewVBox()
	p.more = canvas.NewText("", colDim)
	p.more.TextSize = 12
	p.fireBtn = widget.NewButton(p.runner.label(studio.ActFireCoupon), p.fire)
	p.fireBtn.Importance = widget.HighImportance
	p.voteBtn = widget.NewButton(p.runner.label(studio.ActStartVote), p.startVote)
	p.endBtn = widget.NewButton(p.runner.label(studio.ActEndVote), p.endVote)
	p.canBtn = widget.NewButton(p.runner.label(studio.ActCancelInteraction), p.cancel)
	p.canBtn.Importance = widget.DangerImportance
	buttons := container.NewGridWithColumns(4, p.fireBtn, p.voteBtn, p.endBtn, p.canBtn)
	bg := canvas.NewRectangle(color.NRGBA{0x1E, 0x22, 0x28, 0xFF})
	// No title row: the tagged rows and the keyed buttons say what this is,
	// and every pixel goes to the rundown below.
	p.root = container.NewStack(bg, container.NewBorder(nil, buttons, nil, nil, container.NewVBox(p.rows, p.more)))
	return p
}

// setCapabilities labels what the platform cannot do, so the controller
// learns it before the moment, not from an error on air. A platform whose
// capabilities are not known yet (a bridge before its welcome) queues.
func (p *interactionsPane) setCapabilities(name string, c platform.Capabilities) {
	if c == (platform.Capabilities{}) {
		return
	}
	if !c.Coupons {
		p.fireBtn.SetText(T("ix.fire") + " — " + fmt.Sprintf(T("ix.unsupported"), name))
		p.fireBtn.Disable()
	}
	if !c.Votes && !c.Danmaku {
		p.voteBtn.SetText(T("ix.start_vote") + " — " + fmt.Sprintf(T("ix.unsupported"), name))
		p.voteBtn.Disable()
	}
}

// set shows a new snapshot of the interactions.
func (p *interactionsPane) set(ix studio.Interactions) {
	p.items = ix.Items
	p.tick()
}

// shown picks the rows the card shows: live ones, then armed, then the
// next drafts, then finished ones, at most maxCardRows.
func (p *interactionsPane) shown() []interact.View {
	var out []interact.View
	for _, st := range []interact.State{interact.Live, interact.Armed, interact.Draft, interact.Closed, interact.Cancelled} {
		for _, v := range p.items {
			if v.State == st && len(out) < maxCardRows {
				out = append(out, v)
			}
		}
	}
	return out
}

// next is the interaction the keys act on: the one clicked, else the
// first armed (its node is on air).
func (p *interactionsPane) next() (interact.View, bool) {
	for _, v := range p.items {
		if v.ID == p.selected {
			return v, true
		}
	}
	for _, v := range p.items {
		if v.State == interact.Armed {
			return v, true
		}
	}
	return interact.View{}, false
}

// tick redraws countdowns, stock and bars (the UI goroutine, a few times a
// second).
func (p *interactionsPane) tick() {
	show := p.shown()
	for len(p.cards) < len(show) {
		r := newIxRow()
		p.cards = append(p.cards, r)
		p.rows.Add(r)
	}
	next, hasNext := p.next()
	for i, r := range p.cards {
		if i >= len(show) {
			r.Hide()
			continue
		}
		v := show[i]
		r.onTap = func() { p.selected = v.ID; p.tick() }
		r.render(v, p.now(), hasNext && v.ID == next.ID)
		r.Show()
	}
	more := ""
	if n := len(p.items) - len(show); n > 0 {
		more = "  " + fmt.Sprintf(T("ix.more"), n)
	}
	if len(p.items) == 0 {
		more = "  " + T("ix.none")
	}
	setText(p.more, more)
	if more == "" && p.more.Visible() {
		p.more.Hide()
	} else if more != "" && !p.more.Visible() {
		p.more.Show()
	}
}

// pick returns the interaction of kind k the keys act on.
func (p *interactionsPane) pick(k interact.Kind) (interact.View, bool) {
	if v, ok := p.next(); ok && v.Kind == k {
		return v, true
	}
	for _, v := range p.items {
		if v.Kind == k && v.State == interact.Armed {
			return v, true
		}
	}
	p.runner.report(fmt.Errorf("%s", T("ix.select_first")))
	return interact.View{}, false
}

func (p *interactionsPane) ask(title, msg string, do func()) {
	if p.runner.skipConfirm || p.runner.win == nil {
		do()
		return
	}
	p.confirm = dialog.NewConfirm(title, msg, func(ok bool) {
		p.confirm = nil
		if ok {
			do()
		}
	}, p.runner.win)
	p.confirm.SetConfirmText(title)
	p.confirm.SetDismissText(T("ix.keep"))
	p.confirm.Show()
}

func (p *interactionsPane) fire() {
	v, ok := p.pick(interact.KindCoupon)
	if !ok {
		return
	}
	msg := fmt.Sprintf(T("ix.confirm_fire"), v.Label)
	if c := v.Coupon; c != nil {
		msg = fmt.Sprintf(T("ix.confirm_fire_detail"), v.Label, couponRule(c), c.Stock, clock(c.Window))
	}
	p.ask(T("ix.fire"), msg, func() {
		p.selected = ""
		p.runner.actionConfirmed(studio.ActFireCoupon, map[string]any{"id": v.ID})
	})
}

func (p *interactionsPane) startVote() {
	if v, ok := p.pick(interact.KindVote); ok {
		p.selected = ""
		p.runner.actionConfirmed(studio.ActStartVote, map[string]any{"id": v.ID})
	}
}

func (p *interactionsPane) endVote() {
	for _, v := range p.items {
		if v.Kind == interact.KindVote && v.State == interact.Live {
			p.runner.actionConfirmed(studio.ActEndVote, map[string]any{"id": v.ID})
			return
		}
	}
	p.runner.report(fmt.Errorf("%s", T("ix.no_live_vote")))
}

func (p *interactionsPane) cancel() {
	v, ok := p.next()
	if !ok {
		for _, it := range p.items {
			if it.State == interact.Live {
				v, ok = it, true
				break
			}
		}
	}
	if !ok {
		p.runner.report(fmt.Errorf("%s", T("ix.select_first")))
		return
	}
	p.ask(T("ix.cancel"), fmt.Sprintf(T("ix.confirm_cancel"), v.Label), func() {
		p.selected = ""
		p.runner.actionConfirmed(studio.ActCancelInteraction, map[string]any{"id": v.ID})
	})
}

// couponRule is the coupon's rule as shown: its discount text, else
// "满199减30" from its amounts.
func couponRule(c *interact.Coupon) string {
	if c.Discount != "" {
		return c.Discount
	}
	if c.Threshold > 0 {
		return fmt.Sprintf(T("ix.rule"), yuan(c.Threshold), yuan(c.FaceValue))
	}
	return fmt.Sprintf(T("ix.face"), yuan(c.FaceValue))
}

func yuan(cents int64) string {
	if cents%100 == 0 {
		return fmt.Sprint(cents / 100)
	}
	return fmt.Sprintf("%.2f", float64(cents)/100)
}

// ixTitle is what a row calls the interaction: the coupon's name, the
// vote's question.
func ixTitle(v interact.View) string {
	if v.Kind == interact.KindVote && v.Vote != nil {
		return T("ix.tag.vote") + " " + v.Vote.Question
	}
	return T("ix.tag.coupon") + " " + v.Label
}

// ixStatus is the row's second line: state, delivery, countdown, stock.
func ixStatus(v interact.View, now time.Time) string {
	s := T("ix.state." + string(v.State))
	switch {
	case v.State == interact.Live && v.Delivery == interact.Queued:
		s += " · " + T("ix.queued")
	case v.State == interact.Live && v.Delivery == interact.Sending:
		s += " · " + T("ix.sending")
	}
	if v.State == interact.Live && !v.EndsAt.IsZero() {
		s += " · " + T("ix.left") + " " + clock(max(v.EndsAt.Sub(now), 0))
	}
	switch v.Kind {
	case interact.KindCoupon:
		if c := v.Coupon; c != nil {
			s += " · " + couponRule(c)
			s += fmt.Sprintf(" · %s %d/%d", T("ix.stock"), v.StockLeft, c.Stock)
			if v.State != interact.Draft && v.State != interact.Armed {
				s += fmt.Sprintf(" · %s %d", T("ix.claims"), v.Claims)
			}
		}
	case interact.KindVote:
		if v.State == interact.Draft || v.State == interact.Armed {
			if vo := v.Vote; vo != nil {
				s += fmt.Sprintf(" · %d %s · %s", len(vo.Options), T("ix.options"), clock(vo.Duration))
			}
		} else {
			s += fmt.Sprintf(" · %d %s", v.Total, T("ix.votes"))
		}
	}
	if v.LastError != "" && v.State == interact.Live {
		s += " · ⚠ " + v.LastError
	}
	return s
}

// hostLine is the live interaction on one line (the host view's questions
// strip falls back to it).
func (p *interactionsPane) hostLine() string {
	for _, v := range p.items {
		if v.State == interact.Live {
			return ixTitle(v) + " · " + ixStatus(v, p.now())
		}
	}
	return ""
}

// ixRow is one interaction on the card; tapping it selects it for the keys.
// Its two lines are canvas text cut to the row's width, so a long name or
// question never spills out of the card.
type ixRow struct {
	widget.BaseWidget
	bg            *canvas.Rectangle
	title, status *canvas.Text
	full          [2]string // untruncated title and status
	bars          *voteBars
	onTap         func()
}

func newIxRow() *ixRow {
	r := &ixRow{bg: canvas.NewRectangle(color.Transparent), title: canvas.NewText("", colText), status: canvas.NewText("", colDim),
		bars: newVoteBars(13)}
	r.title.TextStyle.Bold = true
	r.title.TextSize = 15
	r.status.TextSize = 13
	r.ExtendBaseWidget(r)
	return r
}

// Tapped selects the row.
func (r *ixRow) Tapped(*fyne.PointEvent) {
	if r.onTap != nil {
		r.onTap()
	}
}

func (r *ixRow) CreateRenderer() fyne.WidgetRenderer { return &ixRowRenderer{r: r} }

type ixRowRenderer struct{ r *ixRow }

const ixRowPad = 6

func (x *ixRowRenderer) lineH(t *canvas.Text) float32 {
	return fyne.MeasureText("国Ag", t.TextSize, t.TextStyle).Height
}

func (x *ixRowRenderer) MinSize() fyne.Size {
	r := x.r
	h := x.lineH(r.title) + x.lineH(r.status) + 2*ixRowPad
	if r.bars.root.Visible() {
		h += r.bars.MinSize(nil).Height
	}
	return fyne.NewSize(200, h)
}

func (x *ixRowRenderer) Layout(size fyne.Size) {
	r := x.r
	r.bg.Resize(size)
	w := size.Width - 2*ixRowPad
	y := float32(ixRowPad) / 2
	for i, t := range []*canvas.Text{r.title, r.status} {
		t.Text = fitText(r.full[i], t.TextSize, t.TextStyle, w)
		t.Move(fyne.NewPos(ixRowPad, y))
		h := x.lineH(t)
		t.Resize(fyne.NewSize(w, h))
		y += h
	}
	if r.bars.root.Visible() {
		r.bars.root.Move(fyne.NewPos(ixRowPad, y))
		r.bars.root.Resize(fyne.NewSize(w, r.bars.MinSize(nil).Height))
	}
}

func (x *ixRowRenderer) Refresh() {
	x.Layout(x.r.Size())
	for _, o := range x.Objects() {
		o.Refresh()
	}
}

func (x *ixRowRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{x.r.bg, x.r.title, x.r.status, x.r.bars.root}
}

func (x *ixRowRenderer) Destroy() {}

// fitText cuts s with an ellipsis until it fits width.
func fitText(s string, size float32, style fyne.TextStyle, width float32) string {
	if fyne.MeasureText(s, size, style).Width <= width {
		return s
	}
	r := []rune(s)
	for len(r) > 1 {
		r = r[:len(r)-1]
		if t := string(r) + "…"; fyne.MeasureText(t, size, style).Width <= width {
			return t
		}
	}
	return ""
}

func (r *ixRow) render(v interact.View, now time.Time, next bool) {
	mark := ""
	if next {
		mark = "» "
	}
	title, status := mark+ixTitle(v), ixStatus(v, now)
	changed := r.full != [2]string{title, status}
	r.full = [2]string{title, status}
	var fill color.Color = color.Transparent
	switch {
	case next:
		fill = color.NRGBA{0xF9, 0xA8, 0x25, 0x55}
	case v.State == interact.Live:
		fill = color.NRGBA{0x2E, 0x7D, 0x32, 0x55}
	}
	if r.bg.FillColor != fill {
		r.bg.FillColor = fill
		changed = true
	}
	wantBars := v.Kind == interact.KindVote && v.Vote != nil && (v.State == interact.Live || v.State == interact.Closed)
	if wantBars {
		r.bars.set(v.Vote.Options, v.Counts, v.Percent)
	}
	if wantBars != r.bars.root.Visible() {
		if wantBars {
			r.bars.root.Show()
		} else {
			r.bars.root.Hide()
		}
		changed = true
	}
	if changed {
		r.Refresh()
	}
}

// voteBars draws a vote's options as horizontal bars with counts and
// shares.
type voteBars struct {
	root  *fyne.Container
	size  float32
	n     int
	lines []*barLine
}

type barLine struct {
	label, figure *canvas.Text
	bar, track    *canvas.Rectangle
	frac          float32
}

func newVoteBars(size float32) *voteBars {
	b := &voteBars{size: size}
	b.root = container.New(b)
	return b
}

func (b *voteBars) set(options []string, counts []int, pct []float64) {
	for len(b.lines) < len(options) {
		l := &barLine{label: canvas.NewText("", colText), figure: canvas.NewText("", colText),
			bar: canvas.NewRectangle(colNormal), track: canvas.NewRectangle(color.NRGBA{0x30, 0x34, 0x3A, 0xFF})}
		l.label.TextSize, l.figure.TextSize = b.size, b.size
		l.figure.Alignment = fyne.TextAlignTrailing
		b.lines = append(b.lines, l)
		b.root.Add(l.track)
		b.root.Add(l.bar)
		b.root.Add(l.label)
		b.root.Add(l.figure)
	}
	best := -1
	for i := range options {
		if i < len(counts) && counts[i] > 0 && (best < 0 || counts[i] > counts[best]) {
			best = i
		}
	}
	for i, l := range b.lines {
		if i >= len(options) {
			l.label.Text, l.figure.Text, l.frac = "", "", 0
			continue
		}
		c, p := 0, 0.0
		if i < len(counts) {
			c = counts[i]
		}
		if i < len(pct) {
			p = pct[i]
		}
		setText(l.label, fmt.Sprintf("%d %s", i+1, shorten(options[i], 14)))
		setText(l.figure, fmt.Sprintf("%d · %.0f%%", c, p))
		l.frac = float32(p / 100)
		col := colIdle
		if i == best {
			col = colNormal
		}
		if l.bar.FillColor != col {
			l.bar.FillColor = col
			l.bar.Refresh()
		}
	}
	b.n = len(options)
	b.root.Refresh()
}

func (b *voteBars) lineHeight() float32 { return b.size * 1.5 }

// MinSize and Layout make voteBars its own layout.
func (b *voteBars) MinSize([]fyne.CanvasObject) fyne.Size {
	return fyne.NewSize(200, float32(b.n)*b.lineHeight())
}

func (b *voteBars) Layout(_ []fyne.CanvasObject, size fyne.Size) {
	h := b.lineHeight()
	labelW := size.Width * 0.35
	figW := b.size * 6
	barW := max(size.Width-labelW-figW, 10)
	for i, l := range b.lines {
		y := float32(i) * h
		if i >= b.n {
			l.track.Hide()
			l.bar.Hide()
			continue
		}
		l.track.Show()
		l.bar.Show()
		l.label.Move(fyne.NewPos(4, y))
		l.label.Resize(fyne.NewSize(labelW-8, h))
		l.track.Move(fyne.NewPos(labelW, y+h*0.2))
		l.track.Resize(fyne.NewSize(barW, h*0.6))
		l.bar.Move(fyne.NewPos(labelW, y+h*0.2))
		l.bar.Resize(fyne.NewSize(barW*min(max(l.frac, 0), 1), h*0.6))
		l.figure.Move(fyne.NewPos(labelW+barW, y))
		l.figure.Resize(fyne.NewSize(figW-4, h))
	}
}

// shorten cuts s to n runes with an ellipsis, for canvas text that does not
// truncate by itself.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
