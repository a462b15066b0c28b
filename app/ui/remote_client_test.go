package ui

import (
	"image/png"
	"os"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"studiodesk/studio"
	"studiodesk/studio/danmaku"
	"studiodesk/studio/remote"
)

// The Go remote (--remote) shows the preset grid, the interactions card
// and the danmaku with moderation, and each acts on the desk.
func TestGoRemoteShowsPresetsInteractionsAndModeration(t *testing.T) {
	r := newSurfaceRig(t)
	started(t, r)
	r.do(t, studio.ArmInteraction{ID: "coupon-1"})
	r.pipe.Ingest(danmaku.Message{ID: "m1", ViewerID: "v1", ViewerName: "小米", Text: "这个精华液适合油皮吗？", Time: r.clk.Now()})
	c := r.dialRemote(t)
	v := newRemoteClientView(c)
	v.skipConfirm = true // the dialog is the desk's; confirm=true is still sent
	w := test.NewWindow(v.root)
	t.Cleanup(w.Close)
	w.Resize(fyne.NewSize(1366, 768))
	var st remote.StateData
	deadline := time.After(15 * time.Second)
	for len(st.Presets) == 0 || len(st.Interactions) == 0 {
		select {
		case m := <-c.State():
			st = m.Data
		case <-deadline:
			t.Fatalf("no state with presets and interactions: %+v", st)
		}
	}
	v.render(st, true)
	v.addLines([]remote.DanmakuLine{{ID: "m1", User: "小米", Text: "这个精华液适合油皮吗？"}})
	if len(v.presets.Objects) != 1 || len(v.ix) == 0 || len(v.lines) != 1 {
		t.Fatalf("presets %d, interactions %d, lines %d", len(v.presets.Objects), len(v.ix), len(v.lines))
	}
	w.Resize(fyne.NewSize(1366, 770)) // lay out what render added
	w.Resize(fyne.NewSize(1366, 768))
	if p := os.Getenv("STUDIODESK_SHOT"); p != "" {
		f, err := os.Create(p)
		if err == nil {
			_ = png.Encode(f, w.Canvas().Capture())
			f.Close()
		}
	}
	// Preset button → the light moves once.
	for _, o := range test.LaidOutObjects(v.presets.Objects[0]) {
		if b, ok := o.(*widget.Button); ok {
			test.Tap(b)
		}
	}
	waitFor(t, func() bool { return r.light.count() == 1 }, "preset recalled from the Go remote")
	// Fire (the armed coupon), confirmed.
	v.do(studio.ActFireCoupon, nil)
	waitFor(t, func() bool { return r.sim.IssuedCount("coupon-1") == 1 }, "coupon fired from the Go remote")
	// Pin the selected comment.
	v.dmList.Select(0)
	v.onLine(studio.ActPin)
	waitFor(t, func() bool { w := r.pipe.Wall(); return len(w) == 1 && w[0].ID == "m1" }, "comment pinned from the Go remote")
	if v.status.Text != "✓ "+T("dm.pin") {
		t.Fatalf("status %q", v.status.Text)
	}
}
