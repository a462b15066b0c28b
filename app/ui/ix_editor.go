package ui

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"studiodesk/scripts"
	"studiodesk/studio/interact"
)

// ixEditor is the producer's interactions editor, beside the script
// editor: add, edit, duplicate and delete the show's coupons and votes,
// attach each to a node of the rundown, and insert the five-step beauty
// flow or the four-step interaction model. It edits the producer's working
// copy, so its changes share the script's undo and are loaded with it.
type ixEditor struct {
	root fyne.CanvasObject
	prod *producerView

	list  *widget.List
	rows  []ixRef
	sel   ixRef
	check *widget.Label // inline validation of the form

	couponForm, voteForm *fyne.Container
	formBox              *fyne.Container
	empty                *widget.Label

	// Coupon fields.
	cID, cName, cDiscount, cFace, cThreshold, cStock, cPerViewer, cWindow, cProtection *widget.Entry
	// Vote fields.
	vID, vQuestion, vOptions, vDuration *widget.Entry
	vMode, vRule                        *widget.Select
	attach                              *widget.Select
	applyBtn                            *widget.Button
	template                            *widget.Select
}

// ixRef points at one definition of the working copy.
type ixRef struct {
	kind  interact.Kind
	index int
}

func (r ixRef) valid() bool { return r.kind != "" }

func newIxEditor(prod *producerView) *ixEditor {
	e := &ixEditor{prod: prod, check: widget.NewLabel(""), empty: widget.NewLabel(T("ixe.empty"))}
	e.check.Wrapping = fyne.TextWrapWord
	e.list = widget.NewList(
		func() int { return len(e.rows) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("【投票】placeholder question text (id) → node")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(e.rowText(e.rows[i])) },
	)
	e.list.OnSelected = func(i widget.ListItemID) {
		if i >= 0 && i < len(e.rows) {
			e.selectRef(e.rows[i])
		}
	}
	entry := func(place string) *widget.Entry {
		w := widget.NewEntry()
		w.SetPlaceHolder(place)
		w.OnChanged = func(string) { e.validate() }
		return w
	}
	e.cID, e.cName, e.cDiscount = entry("coupon-1"), entry("精华液限时券"), entry("满199减30")
	e.cFace, e.cThreshold, e.cStock, e.cPerViewer = entry("30"), entry("199"), entry("500"), entry("1")
	e.cWindow, e.cProtection = entry("3m"), entry("直播间价保15天")
	e.vID, e.vQuestion, e.vDuration = entry("vote-1"), entry("下一支试什么色？"), entry("2m")
	e.vOptions = widget.NewMultiLineEntry()
	e.vOptions.SetMinRowsVisible(5)
	e.vOptions.SetPlaceHolder("豆沙色\n正红色\n奶茶色")
	e.vOptions.OnChanged = func(string) { e.validate() }
	e.vMode = widget.NewSelect([]string{T("ixe.mode.digits"), T("ixe.mode.plat")}, func(string) { e.validate() })
	e.vRule = widget.NewSelect([]string{T("ixe.rule.first"), T("ixe.rule.last")}, func(string) { e.validate() })
	e.attach = widget.NewSelect(nil, func(string) { e.validate() })
	e.couponForm = container.New(newFormLayout(),
		widget.NewLabel(T("ixe.id")), e.cID,
		widget.NewLabel(T("ixe.name")), e.cName,
		widget.NewLabel(T("ixe.discount")), e.cDiscount,
		widget.NewLabel(T("ixe.face")), e.cFace,
		widget.NewLabel(T("ixe.threshold")), e.cThreshold,
		widget.NewLabel(T("ixe.stock")), e.cStock,
		widget.NewLabel(T("ixe.per_viewer")), e.cPerViewer,
		widget.NewLabel(T("ixe.window")), e.cWindow,
		widget.NewLabel(T("ixe.protection")), e.cProtection,
	)
	e.voteForm = container.New(newFormLayout(),
		widget.NewLabel(T("ixe.id")), e.vID,
		widget.NewLabel(T("ixe.question")), e.vQuestion,
		widget.NewLabel(T("ixe.options")), e.vOptions,
		widget.NewLabel(T("ixe.duration")), e.vDuration,
		widget.NewLabel(T("ixe.mode")), e.vMode,
		widget.NewLabel(T("ixe.rule")), e.vRule,
	)
	e.applyBtn = widget.NewButton(T("ixe.apply"), e.apply)
	e.applyBtn.Importance = widget.HighImportance
	e.formBox = container.NewVBox(e.empty)
	attachRow := container.NewBorder(nil, nil, widget.NewLabel(T("ixe.attach")), nil, e.attach)
	form := container.NewVScroll(container.NewVBox(e.formBox, attachRow, e.check, e.applyBtn))

	e.template = widget.NewSelect([]string{T("ixe.five"), T("ixe.four")}, nil)
	e.template.PlaceHolder = T("ixe.template")
	e.template.OnChanged = func(s string) {
		if s == "" {
			return
		}
		e.insertTemplate(s == T("ixe.five"))
		e.template.ClearSelected()
	}
	toolbar := container.NewHBox(
		widget.NewButton(T("ixe.add_coupon"), e.addCoupon),
		widget.NewButton(T("ixe.add_vote"), e.addVote),
		widget.NewButton(T("ixe.duplicate"), e.duplicate),
		widget.NewButton(T("ixe.delete"), e.remove),
		widget.NewButton(T("ixe.undo")+" [Ctrl+Z]", func() { prod.undoLast(); e.reload() }),
		e.template,
	)
	body := container.NewHSplit(e.list, form)
	body.Offset = 0.38
	e.root = container.NewBorder(toolbar, nil, nil, nil, body)
	e.reload()
	return e
}

// newFormLayout is a two-column label/field grid.
func newFormLayout() fyne.Layout { return &formLayout{} }

type formLayout struct{}

func (formLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var lw, fw, h float32
	for i := 0; i+1 < len(objs); i += 2 {
		l, f := objs[i].MinSize(), objs[i+1].MinSize()
		lw, fw = max(lw, l.Width), max(fw, f.Width)
		h += max(l.Height, f.Height) + 4
	}
	return fyne.NewSize(lw+fw+8, h)
}

func (formLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	var lw float32
	for i := 0; i+1 < len(objs); i += 2 {
		lw = max(lw, objs[i].MinSize().Width)
	}
	y := float32(0)
	for i := 0; i+1 < len(objs); i += 2 {
		h := max(objs[i].MinSize().Height, objs[i+1].MinSize().Height)
		objs[i].Move(fyne.NewPos(0, y))
		objs[i].Resize(fyne.NewSize(lw, h))
		objs[i+1].Move(fyne.NewPos(lw+8, y))
		objs[i+1].Resize(fyne.NewSize(size.Width-lw-8, h))
		y += h + 4
	}
}

func (e *ixEditor) show() *scripts.Show { return e.prod.show }

// reload rebuilds the list and the node choices from the working copy.
func (e *ixEditor) reload() {
	s := e.show()
	e.rows = e.rows[:0]
	for i := range s.Coupons {
		e.rows = append(e.rows, ixRef{interact.KindCoupon, i})
	}
	for i := range s.Votes {
		e.rows = append(e.rows, ixRef{interact.KindVote, i})
	}
	opts := []string{T("ixe.detach")}
	for i, g := range s.Segments {
		opts = append(opts, nodeLabel(i, g))
	}
	e.attach.Options = opts
	e.attach.Refresh()
	if e.sel.valid() && !e.exists(e.sel) {
		e.sel = ixRef{}
	}
	if !e.sel.valid() && len(e.rows) > 0 {
		e.sel = e.rows[0]
	}
	e.list.Refresh()
	e.selectRef(e.sel)
}

func nodeLabel(i int, g scripts.Segment) string {
	return fmt.Sprintf("%d. %s (%s)", i+1, g.Title, g.ID)
}

func (e *ixEditor) exists(r ixRef) bool {
	s := e.show()
	return r.kind == interact.KindCoupon && r.index < len(s.Coupons) || r.kind == interact.KindVote && r.index < len(s.Votes)
}

func (e *ixEditor) idOf(r ixRef) string {
	if !e.exists(r) {
		return ""
	}
	if r.kind == interact.KindCoupon {
		return e.show().Coupons[r.index].ID
	}
	return e.show().Votes[r.index].ID
}

func (e *ixEditor) rowText(r ixRef) string {
	s := e.show()
	var t string
	switch {
	case !e.exists(r):
		return ""
	case r.kind == interact.KindCoupon:
		c := s.Coupons[r.index]
		t = fmt.Sprintf("%s %s (%s) · %s · %s %d", T("ix.tag.coupon"), c.Label(), c.ID, couponRule(&c), T("ix.stock"), c.Stock)
	default:
		v := s.Votes[r.index]
		t = fmt.Sprintf("%s %s (%s) · %d %s", T("ix.tag.vote"), v.Question, v.ID, len(v.Options), T("ix.options"))
	}
	if i := e.nodeOf(e.idOf(r)); i >= 0 {
		t += " · " + T("ixe.at") + " " + s.Segments[i].Title
	}
	return t
}

// nodeOf is the index of the segment that fires id, or -1.
func (e *ixEditor) nodeOf(id string) int {
	for i, g := range e.show().Segments {
		if id != "" && g.Interaction == id {
			return i
		}
	}
	return -1
}

func (e *ixEditor) selectRef(r ixRef) {
	e.sel = r
	s := e.show()
	switch {
	case !e.exists(r):
		e.formBox.Objects = []fyne.CanvasObject{e.empty}
		e.applyBtn.Disable()
	case r.kind == interact.KindCoupon:
		c := s.Coupons[r.index]
		e.cID.SetText(c.ID)
		e.cName.SetText(c.Name)
		e.cDiscount.SetText(c.Discount)
		e.cFace.SetText(scripts.FormatYuan(c.FaceValue))
		e.cThreshold.SetText(scripts.FormatYuan(c.Threshold))
		e.cStock.SetText(strconv.Itoa(c.Stock))
		e.cPerViewer.SetText(strconv.Itoa(c.PerViewer))
		e.cWindow.SetText(formatDur(c.Window))
		e.cProtection.SetText(c.PriceProtection)
		e.formBox.Objects = []fyne.CanvasObject{e.couponForm}
		e.applyBtn.Enable()
	default:
		v := s.Votes[r.index]
		e.vID.SetText(v.ID)
		e.vQuestion.SetText(v.Question)
		e.vOptions.SetText(strings.Join(v.Options, "\n"))
		e.vDuration.SetText(formatDur(v.Duration))
		e.vMode.SetSelected(map[bool]string{true: T("ixe.mode.plat"), false: T("ixe.mode.digits")}[v.Mode == interact.ModePlatform])
		e.vRule.SetSelected(map[bool]string{true: T("ixe.rule.last"), false: T("ixe.rule.first")}[v.ChangeRule == interact.RuleLast])
		e.formBox.Objects = []fyne.CanvasObject{e.voteForm}
		e.applyBtn.Enable()
	}
	if i := e.nodeOf(e.idOf(r)); i >= 0 {
		e.attach.SetSelected(nodeLabel(i, s.Segments[i]))
	} else {
		e.attach.SetSelected(T("ixe.detach"))
	}
	e.formBox.Refresh()
	e.validate()
}

// fieldErr names the form field of a problem.
func fieldErr(field string, err error) error { return fmt.Errorf("%s: %w", field, err) }

// candidate builds the working copy as it would be with the form applied;
// the error names the field at fault.
func (e *ixEditor) candidate() (*scripts.Show, error) {
	r := e.sel
	if !e.exists(r) {
		return nil, errors.New(T("ixe.empty"))
	}
	next := cloneShow(e.show())
	var id string
	if r.kind == interact.KindCoupon {
		c := interact.Coupon{ID: strings.TrimSpace(e.cID.Text), Name: strings.TrimSpace(e.cName.Text),
			Discount: strings.TrimSpace(e.cDiscount.Text), PriceProtection: strings.TrimSpace(e.cProtection.Text)}
		var err error
		if c.FaceValue, err = scripts.ParseYuan(e.cFace.Text); err != nil {
			return nil, fieldErr(T("ixe.face"), err)
		}
		if c.Threshold, err = scripts.ParseYuan(e.cThreshold.Text); err != nil {
			return nil, fieldErr(T("ixe.threshold"), err)
		}
		for _, f := range []struct {
			w    *widget.Entry
			name string
			dst  *int
		}{{e.cStock, T("ixe.stock"), &c.Stock}, {e.cPerViewer, T("ixe.per_viewer"), &c.PerViewer}} {
			n, err := strconv.Atoi(strings.TrimSpace(f.w.Text))
			if err != nil {
				return nil, fieldErr(f.name, fmt.Errorf("%q: %w", f.w.Text, scripts.ErrBadValue))
			}
			*f.dst = n
		}
		if t := strings.TrimSpace(e.cWindow.Text); t != "" {
			if c.Window, err = parseDur(t); err != nil {
				return nil, fieldErr(T("ixe.window"), err)
			}
		}
		c = c.WithDefaults()
		old := next.Coupons[r.index].ID
		next.Coupons[r.index] = c
		id = c.ID
		renameRefs(next, old, id)
	} else {
		v := interact.Vote{ID: strings.TrimSpace(e.vID.Text), Question: strings.TrimSpace(e.vQuestion.Text),
			Mode: interact.ModeDigits, ChangeRule: interact.RuleFirst}
		for _, o := range strings.Split(e.vOptions.Text, "\n") {
			if o = strings.TrimSpace(o); o != "" {
				v.Options = append(v.Options, o)
			}
		}
		d, err := parseDur(strings.TrimSpace(e.vDuration.Text))
		if err != nil {
			return nil, fieldErr(T("ixe.duration"), err)
		}
		v.Duration = d
		if e.vMode.Selected == T("ixe.mode.plat") {
			v.Mode = interact.ModePlatform
		}
		if e.vRule.Selected == T("ixe.rule.last") {
			v.ChangeRule = interact.RuleLast
		}
		old := next.Votes[r.index].ID
		next.Votes[r.index] = v
		id = v.ID
		renameRefs(next, old, id)
	}
	// Attach to the chosen node (one node per interaction).
	for i := range next.Segments {
		if next.Segments[i].Interaction == id {
			next.Segments[i].Interaction = ""
		}
		if nodeLabel(i, next.Segments[i]) == e.attach.Selected {
			next.Segments[i].Interaction = id
		}
	}
	if err := scripts.CheckInteractions(next); err != nil {
		return nil, err
	}
	return next, nil
}

// renameRefs follows an id change to the nodes that name it.
func renameRefs(s *scripts.Show, old, id string) {
	if old == id {
		return
	}
	for i := range s.Segments {
		if s.Segments[i].Interaction == old {
			s.Segments[i].Interaction = id
		}
	}
}

// validate checks the form as it is typed and says what is wrong, naming
// the field.
func (e *ixEditor) validate() {
	if !e.exists(e.sel) {
		e.check.SetText("")
		return
	}
	if _, err := e.candidate(); err != nil {
		e.check.SetText("⚠ " + strings.TrimPrefix(err.Error(), "scripts: check: "))
		e.check.Importance = widget.DangerImportance
		e.applyBtn.Disable()
	} else {
		e.check.SetText(T("ixe.ok"))
		e.check.Importance = widget.SuccessImportance
		e.applyBtn.Enable()
	}
	e.check.Refresh()
}

// apply writes the form into the working copy (with an undo point).
func (e *ixEditor) apply() {
	next, err := e.candidate()
	if err != nil {
		e.prod.fail(err)
		return
	}
	e.prod.edit(func(s *scripts.Show) { *s = *next })
	e.reload()
	e.prod.say(T("ixe.ok"))
}

// freeID returns base, or base-2, base-3… if taken.
func (e *ixEditor) freeID(base string) string {
	taken := func(id string) bool {
		c, v := e.show().FindInteraction(id)
		return c != nil || v != nil
	}
	if !taken(base) {
		return base
	}
	for n := 2; ; n++ {
		if id := fmt.Sprintf("%s-%d", base, n); !taken(id) {
			return id
		}
	}
}

func (e *ixEditor) addCoupon() {
	c := interact.Coupon{ID: e.freeID("coupon"), Name: "新优惠券", Discount: "满199减30", FaceValue: 3000, Threshold: 19900, Stock: 100}.WithDefaults()
	e.prod.edit(func(s *scripts.Show) { s.Coupons = append(s.Coupons, c) })
	e.sel = ixRef{interact.KindCoupon, len(e.show().Coupons) - 1}
	e.reload()
}

func (e *ixEditor) addVote() {
	v := interact.Vote{ID: e.freeID("vote"), Question: "想先看哪款？", Options: []string{"第一款", "第二款"},
		Duration: time.Minute, Mode: interact.ModeDigits, ChangeRule: interact.RuleFirst}
	e.prod.edit(func(s *scripts.Show) { s.Votes = append(s.Votes, v) })
	e.sel = ixRef{interact.KindVote, len(e.show().Votes) - 1}
	e.reload()
}

func (e *ixEditor) duplicate() {
	r := e.sel
	if !e.exists(r) {
		return
	}
	s := e.show()
	if r.kind == interact.KindCoupon {
		c := s.Coupons[r.index]
		c.ID = e.freeID(c.ID)
		e.prod.edit(func(s *scripts.Show) { s.Coupons = append(s.Coupons, c) })
		e.sel = ixRef{interact.KindCoupon, len(s.Coupons) - 1}
	} else {
		v := s.Votes[r.index]
		v.Options = append([]string(nil), v.Options...)
		v.ID = e.freeID(v.ID)
		e.prod.edit(func(s *scripts.Show) { s.Votes = append(s.Votes, v) })
		e.sel = ixRef{interact.KindVote, len(s.Votes) - 1}
	}
	e.reload()
}

// remove deletes the selection and detaches it from its node; undo brings
// both back.
func (e *ixEditor) remove() {
	r := e.sel
	if !e.exists(r) {
		return
	}
	id := e.idOf(r)
	e.prod.edit(func(s *scripts.Show) {
		if r.kind == interact.KindCoupon {
			s.Coupons = append(s.Coupons[:r.index], s.Coupons[r.index+1:]...)
		} else {
			s.Votes = append(s.Votes[:r.index], s.Votes[r.index+1:]...)
		}
		renameRefs(s, id, "")
	})
	e.sel = ixRef{}
	e.list.UnselectAll()
	e.reload()
	e.prod.say(fmt.Sprintf("%s %s — %s Ctrl+Z", T("prod.deleted"), id, T("prod.undo")))
}

// insertTemplate adds the template's nodes after the script editor's
// selection (else at the end) with their interactions attached.
func (e *ixEditor) insertTemplate(five bool) {
	s := e.show()
	n := 1
	prefixTaken := func(p string) bool {
		for _, g := range s.Segments {
			if strings.HasPrefix(g.ID, p) {
				return true
			}
		}
		return false
	}
	base := "four"
	if five {
		base = "five"
	}
	for prefixTaken(fmt.Sprintf("%s%d-", base, n)) {
		n++
	}
	prefix := fmt.Sprintf("%s%d-", base, n)
	cues := interact.FourStepModel(prefix)
	if five {
		cues = interact.FiveStepBeautyFlow(prefix)
	}
	at := e.prod.sel + 1
	if e.prod.sel < 0 || at > len(s.Segments) {
		at = len(s.Segments)
	}
	e.prod.edit(func(s *scripts.Show) {
		var segs []scripts.Segment
		for _, c := range cues {
			g := scripts.Segment{ID: fmt.Sprintf("%sstep%d", prefix, c.Step), Title: c.Name, Kind: scripts.KindInteraction,
				Duration: time.Minute, Notes: c.Line}
			if c.Coupon != nil {
				s.Coupons = append(s.Coupons, *c.Coupon)
				g.Interaction, g.Duration = c.Coupon.ID, c.Coupon.Window
			}
			if c.Vote != nil {
				s.Votes = append(s.Votes, *c.Vote)
				g.Interaction, g.Duration = c.Vote.ID, c.Vote.Duration
			}
			segs = append(segs, g)
		}
		s.Segments = append(s.Segments[:at], append(segs, s.Segments[at:]...)...)
	})
	e.reload()
	e.prod.say(fmt.Sprintf("%s: %d", T("ixe.template"), len(cues)))
}
