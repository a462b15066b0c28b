package ui

import (
	"context"
	"fmt"
	"os"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"studiodesk/scripts"
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
	w.SetContent(v.root)
	w.Canvas().SetOnTypedKey(func(k *fyne.KeyEvent) { v.key(k.Name) })
	w.Resize(fyne.NewSize(900, 600))
	go func() {
		for m := range c.State() {
			fyne.Do(func() { v.render(m.Data, c.Connected()) })
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

// remoteClientView mirrors the controller's live view from remote state;
// its buttons are disabled while the link is down.
type remoteClientView struct {
	root      fyne.CanvasObject
	c         *remote.Client
	link      *widget.Label
	remaining *canvas.Text
	band      *canvas.Rectangle
	segment   *widget.Label
	point     *widget.Label
	buttons   []*widget.Button
	status    *widget.Label
	canAct    bool
}

var remoteActions = []struct{ label, action, key string }{
	{"btn.start", remote.ActionStart, "F5"}, {"btn.pause", remote.ActionTogglePause, "Space"},
	{"btn.prev", remote.ActionPrev, "Left"}, {"btn.next", remote.ActionNext, "Right"},
	{"btn.extend", remote.ActionExtend, "="}, {"btn.shorten", remote.ActionShorten, "-"},
}

func newRemoteClientView(c *remote.Client) *remoteClientView {
	v := &remoteClientView{c: c, link: widget.NewLabel(""), remaining: newText(96, colText, true), band: canvas.NewRectangle(colIdle),
		segment: widget.NewLabel(""), point: widget.NewLabel(""), status: widget.NewLabel("")}
	v.point.Wrapping = fyne.TextWrapWord
	grid := container.NewGridWithColumns(3)
	for _, ra := range remoteActions {
		action := ra.action
		b := widget.NewButton(fmt.Sprintf("%s  [%s]", T(ra.label), ra.key), func() { v.do(action) })
		v.buttons = append(v.buttons, b)
		grid.Add(b)
	}
	v.root = container.NewBorder(v.link, v.status, nil, nil,
		container.NewVBox(container.NewStack(v.band, v.remaining), v.segment, v.point, grid))
	v.setConnected(false)
	return v
}

func (v *remoteClientView) key(k fyne.KeyName) {
	for _, ra := range remoteActions {
		if string(k) == ra.key {
			v.do(ra.action)
		}
	}
}

func (v *remoteClientView) do(action string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := v.c.Do(ctx, action, remote.Args{}); err != nil {
		v.status.SetText("⚠ " + err.Error())
		return
	}
	v.status.SetText("✓ " + action)
}

func (v *remoteClientView) setConnected(up bool) {
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
	v.canAct = s.CanControl
	setText(v.remaining, clock(time.Duration(s.SegmentLeftMs)*time.Millisecond))
	col := phaseColor(scripts.ClockPhase(s.Clock))
	if s.Paused {
		col = colIdle
	}
	v.band.FillColor = col
	v.band.Refresh()
	v.segment.SetText(fmt.Sprintf("%d. %s", s.Segment+1, s.SegmentTitle))
	if s.PointText != "" {
		v.point.SetText(T("say.now") + "：" + s.PointText)
	} else {
		v.point.SetText("")
	}
	v.setConnected(up)
}
