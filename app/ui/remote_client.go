package ui

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"studiodesk/scripts"
	"studiodesk/studio"
	"studiodesk/studio/remote"
	"studiodesk/studio/store"
)

// remoteTokenKey is where a field-controller machine keeps its token for a
// desk, in its own settings bucket.
func remoteTokenKey(addr string) string { return "remote-token:" + addr }

// runRemoteClient runs this app as the field controller's client of a desk
// on another machine: it pairs once (--pair CODE), keeps the token, and
// shows the controller's live view driven by the desk's state.
func runRemoteClient(a fyne.App, st *store.Store, addr, pairCode string) error {
	ctx := context.Background()
	var token string
	if _, err := st.Get("settings", remoteTokenKey(addr), &token); err != nil {
		return fmt.Errorf("remote %s: stored token: %w", addr, err)
	}
	if pairCode != "" {
		host, _ := os.Hostname()
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		p, err := remote.Pair(pctx, addr, pairCode, "StudioDesk "+host, remote.RoleController)
		cancel()
		if err != nil {
			return fmt.Errorf("remote %s: pair: %w", addr, err)
		}
		token = p.Token
		if err := st.Put("settings", remoteTokenKey(addr), token); err != nil {
			return fmt.Errorf("remote %s: save token: %w", addr, err)
		}
	}
	if token == "" {
		return fmt.Errorf("remote %s: not paired: start with --pair CODE (the code is on the desk's Remote page)", addr)
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	c, err := remote.Dial(dctx, addr, token)
	cancel()
	if err != nil {
		return fmt.Errorf("remote %s: %w", addr, err)
	}
	defer c.Close()

	w := a.NewWindow(T("app.title") + " · " + T("view.remote") + " " + addr)
	v := newRemoteClientView(c)
	v.win = w
	w.SetContent(v.root)
	w.Canvas().SetOnTypedKey(func(k *fyne.KeyEvent) { v.key(k.Name) })
	w.Resize(fyne.NewSize(900, 600))
	go func() {
		for m := range c.State() {
			fyne.Do(func() { v.render(m.Data, c.Connected()) })
		}
	}()
	go func() {
		for lines := range c.Danmaku() {
			fyne.Do(func() { v.addLines(lines) })
		}
	}()
	go func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for range t.C {
			fyne.Do(func() { v.setConnected(c.Connected()) })
		}
	}()
	w.ShowAndRun()
	return nil
}

// remoteClientView mirrors the controller's live view from remote state:
// the clock, the timer buttons, the preset grid, the interactions card and
// the danmaku with its moderation actions. Every button sends a catalogue
// action; its buttons are disabled while the link is down.
type remoteClientView struct {
	root      fyne.CanvasObject
	c         *remote.Client
	win       fyne.Window
	link      *widget.Label
	remaining *clockText
	band      *canvas.Rectangle
	segment   *widget.Label
	point     *widget.Label
	buttons   []*widget.Button
	status    *widget.Label
	canAct    bool
	up        bool

	presets     *fyne.Container
	presetSig   string
	ixList      *widget.List
	ix          []remote.InteractionState
	ixSel       int
	dmList      *widget.List
	lines       []remote.DanmakuLine
	dmSel       int
	dmPaused    *widget.Label
	state       remote.StateData
	skipConfirm bool // tests
}

// remoteTimerActions are the client's timer buttons.
var remoteTimerActions = []string{studio.ActStart, studio.ActTogglePause, studio.ActPrevious, studio.ActNext,
	studio.ActExtend, studio.ActShorten, studio.ActUseWindow, studio.ActEnd}

func newRemoteClientView(c *remote.Client) *remoteClientView {
	v := &remoteClientView{c: c, link: widget.NewLabel(""), remaining: newClockText(96, colText), band: canvas.NewRectangle(colIdle),
		segment: widget.NewLabel(""), point: widget.NewLabel(""), status: widget.NewLabel(""),
		presets: container.NewGridWithColumns(3), ixSel: -1, dmSel: -1, dmPaused: widget.NewLabel("")}
	v.point.Wrapping = fyne.TextWrapWord
	grid := container.NewGridWithColumns(4)
	for _, action := range remoteTimerActions {
		v.addButton(grid, action, func() { v.do(action, nil) })
	}
	v.ixList = widget.NewList(func() int { return len(v.ix) },
		func() fyne.CanvasObject { return widget.NewLabel("coupon placeholder · live · 02:59 · 500/500") },
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(v.ix[i].Text) })
	v.ixList.OnSelected = func(i widget.ListItemID) { v.ixSel = i }
	ixButtons := container.NewGridWithColumns(4)
	v.addButton(ixButtons, studio.ActFireCoupon, func() { v.do(studio.ActFireCoupon, v.ixArgs("coupon")) })
	v.addButton(ixButtons, studio.ActStartVote, func() { v.do(studio.ActStartVote, v.ixArgs("vote")) })
	v.addButton(ixButtons, studio.ActEndVote, func() { v.do(studio.ActEndVote, nil) })
	v.addButton(ixButtons, studio.ActCancelInteraction, func() { v.do(studio.ActCancelInteraction, v.ixArgs("")) })
	v.dmList = widget.NewList(func() int { return len(v.lines) },
		func() fyne.CanvasObject { return widget.NewLabel("viewer: a line of danmaku placeholder") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			o.(*widget.Label).SetText(v.lines[i].User + "：" + v.lines[i].Text)
		})
	v.dmList.OnSelected = func(i widget.ListItemID) { v.dmSel = i }
	dmButtons := container.NewGridWithColumns(4)
	for _, a := range []string{studio.ActPin, studio.ActHide, studio.ActBlock} {
		v.addButton(dmButtons, a, func() { v.onLine(a) })
	}
	v.addButton(dmButtons, studio.ActPauseDanmaku, func() { v.do(studio.ActPauseDanmaku, nil) })
	bold := func(k string) *widget.Label {
		return widget.NewLabelWithStyle(T(k), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	}
	left := container.NewVBox(container.NewStack(v.band, v.remaining), v.segment, v.point, grid,
		bold("presets.title"), v.presets)
	right := container.NewVBox(bold("ix.title"), container.NewGridWrap(fyne.NewSize(420, 130), v.ixList), ixButtons,
		container.NewHBox(bold("dm.title"), v.dmPaused), container.NewGridWrap(fyne.NewSize(420, 180), v.dmList), dmButtons)
	v.root = container.NewBorder(v.link, v.status, nil, nil, container.NewHSplit(container.NewVScroll(left), container.NewVScroll(right)))
	v.setConnected(false)
	return v
}

func (v *remoteClientView) addButton(c *fyne.Container, action string, f func()) {
	b := widget.NewButton(fmt.Sprintf("%s  [%s]", T(actionLabels[action]), keyText(action)), f)
	v.buttons = append(v.buttons, b)
	c.Add(b)
}

func (v *remoteClientView) ixArgs(kind string) remote.Args {
	if v.ixSel >= 0 && v.ixSel < len(v.ix) && (kind == "" || v.ix[v.ixSel].Kind == kind) {
		return remote.Args{"id": v.ix[v.ixSel].ID}
	}
	return nil
}

func (v *remoteClientView) onLine(action string) {
	if v.dmSel < 0 || v.dmSel >= len(v.lines) {
		v.status.SetText("⚠ " + T("dm.select_first"))
		return
	}
	v.do(action, remote.Args{"id": v.lines[v.dmSel].ID})
}

// key runs the keymap's action for a typed key, as on the desk.
func (v *remoteClientView) key(k fyne.KeyName) {
	if a, ok := plainKeyAction(k); ok {
		switch a {
		case studio.ActFireCoupon:
			v.do(a, v.ixArgs("coupon"))
		case studio.ActStartVote:
			v.do(a, v.ixArgs("vote"))
		case studio.ActPin, studio.ActHide, studio.ActBlock:
			v.onLine(a)
		case studio.ActJump, studio.ActCancelInteraction, studio.ActAnswerQuestion:
		default:
			v.do(a, nil)
		}
		return
	}
	for _, p := range v.state.Presets {
		if p.Key != "" && p.Key == string(k) && checkPresetKey(p.Key) == nil {
			v.do(studio.ActRecallPreset, remote.Args{"preset": p.ID})
		}
	}
}

// do sends an action; money-moving and destructive ones are confirmed
// here first and sent with confirm=true.
func (v *remoteClientView) do(action string, args remote.Args) {
	a, err := studio.LookupAction(action)
	if err != nil {
		v.status.SetText("⚠ " + err.Error())
		return
	}
	send := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if a.Confirm != studio.ConfirmNone {
			if args == nil {
				args = remote.Args{}
			}
			args[remote.ArgConfirm] = true
		}
		if err := v.c.Do(ctx, action, args); err != nil {
			v.status.SetText("⚠ " + err.Error())
			return
		}
		v.status.SetText("✓ " + T(actionLabels[action]))
	}
	if a.Confirm == studio.ConfirmNone || v.skipConfirm || v.win == nil {
		send()
		return
	}
	dialog.ShowConfirm(T(actionLabels[action]), T("confirm.generic"), func(ok bool) {
		if ok {
			send()
		}
	}, v.win)
}

func (v *remoteClientView) setConnected(up bool) {
	v.up = up
	if up {
		v.link.SetText("● " + T("remote.connected"))
	} else {
		v.link.SetText("○ " + T("remote.disconnected"))
	}
	for _, b := range v.buttons {
		if up && v.canAct {
			b.Enable()
		} else {
			b.Disable()
		}
	}
}

func (v *remoteClientView) render(s remote.StateData, up bool) {
	v.state = s
	v.canAct = s.CanControl
	v.remaining.Set(s.Deck.Left)
	col := phaseColor(scripts.ClockPhase(s.Clock))
	if s.Paused {
		col = colIdle
	}
	v.band.FillColor = col
	v.band.Refresh()
	v.segment.SetText(fmt.Sprintf("%s    %s：%s    %s", s.Deck.Segment, T("btn.next"), s.Deck.Next, s.Deck.OverUnder))
	if s.PointText != "" {
		v.point.SetText(T("say.now") + "：" + s.PointText)
	} else {
		v.point.SetText("")
	}
	var sig strings.Builder
	for _, p := range s.Presets {
		sig.WriteString(p.ID + "\x00" + p.Name + "\x00" + p.Key + "\x00" + p.Colour + "\x01")
	}
	if sig.String() != v.presetSig {
		v.presetSig = sig.String()
		v.presets.RemoveAll()
		for _, p := range s.Presets {
			label := p.Name
			if p.Key != "" {
				label += "  [" + p.Key + "]"
			}
			b := widget.NewButton(label, func() { v.do(studio.ActRecallPreset, remote.Args{"preset": p.ID}) })
			v.buttons = append(v.buttons, b)
			bg := canvas.NewRectangle(parseColor(p.Colour))
			bg.CornerRadius = 6
			v.presets.Add(container.NewStack(bg, container.New(layout.NewCustomPaddedLayout(10, 10, 4, 4), b)))
		}
	}
	v.ix = s.Interactions
	v.ixList.Refresh()
	if s.DanmakuPaused {
		v.dmPaused.SetText("⏸ " + T("dm.pause"))
	} else {
		v.dmPaused.SetText("")
	}
	v.setConnected(up)
}

// addLines shows new comments (newest first) unless the feed is paused.
func (v *remoteClientView) addLines(lines []remote.DanmakuLine) {
	if v.state.DanmakuPaused {
		return
	}
	for _, l := range lines {
		v.lines = append([]remote.DanmakuLine{l}, v.lines...)
	}
	if len(v.lines) > 100 {
		v.lines = v.lines[:100]
	}
	v.dmList.Refresh()
}
