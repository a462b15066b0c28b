package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"studiodesk/assets"
	"studiodesk/scripts"
	"studiodesk/studio"
	"studiodesk/studio/interact"
	"studiodesk/studio/platform/rehearsal"
)

// findButton walks a canvas object tree (containers and widget renderers)
// for the button labelled text.
func findButton(o fyne.CanvasObject, text string) *widget.Button {
	switch x := o.(type) {
	case *widget.Button:
		if x.Text == text {
			return x
		}
		return nil
	case *fyne.Container:
		for _, c := range x.Objects {
			if b := findButton(c, text); b != nil {
				return b
			}
		}
	case fyne.Widget:
		for _, c := range test.WidgetRenderer(x).Objects() {
			if b := findButton(c, text); b != nil {
				return b
			}
		}
	}
	return nil
}

func mustButton(t *testing.T, o fyne.CanvasObject, text string) *widget.Button {
	t.Helper()
	b := findButton(o, text)
	if b == nil {
		t.Fatalf("no button %q", text)
	}
	return b
}

func retype(e *widget.Entry, s string) {
	e.SetText("")
	test.Type(e, s)
}

// The producer creates a coupon in the interactions editor, attaches it to
// a node and loads the show; on air the controller fires it from the card
// with its key and confirms; the card and the host view count down.
func TestEditorCouponToCardAndHostCountdown(t *testing.T) {
	lang = "zh"
	a := test.NewTempApp(t)
	// A fake clock: the countdowns read exactly, however loaded the machine.
	clk := studio.NewFakeClock(start)
	sim := rehearsal.New(rehearsal.Config{Seed: 1, Now: clk.Now})
	desk := studio.New(studio.Config{Clock: clk, Interact: studio.InteractConfig{Platform: sim}})
	t.Cleanup(desk.Close)
	if err := desk.Do(context.Background(), studio.LoadShow{Show: demoShow()}); err != nil {
		t.Fatal(err)
	}
	w := test.NewWindow(nil)
	w.Resize(fyne.NewSize(1366, 768))
	t.Cleanup(w.Close)
	d := newDeskUI(a, desk, w, nil, studioEnv{}, "producer", clk.Now)
	e := d.ixEditor

	test.Tap(mustButton(t, e.root, T("ixe.add_coupon")))
	if len(d.producer.show.Coupons) != 1 || !e.sel.valid() {
		t.Fatalf("no coupon added: %+v", d.producer.show.Coupons)
	}
	retype(e.cID, "serum-coupon")
	retype(e.cName, "精华液限时券")
	retype(e.cDiscount, "满199减30")
	retype(e.cStock, "0")
	if !strings.Contains(e.check.Text, "stock: 0: must be at least 1") || !e.applyBtn.Disabled() {
		t.Fatalf("stock 0 not flagged inline: %q disabled=%v", e.check.Text, e.applyBtn.Disabled())
	}
	retype(e.cStock, "200")
	retype(e.cWindow, "2m")
	e.attach.SetSelected(nodeLabel(1, d.producer.show.Segments[1]))
	if e.check.Text != T("ixe.ok") {
		t.Fatalf("valid coupon flagged: %q", e.check.Text)
	}
	test.Tap(e.applyBtn)
	c, _ := d.producer.show.FindInteraction("serum-coupon")
	if c == nil || c.Stock != 200 || c.Window != 2*time.Minute || d.producer.show.Segments[1].Interaction != "serum-coupon" {
		t.Fatalf("working copy: %+v, node %q", d.producer.show.Coupons, d.producer.show.Segments[1].Interaction)
	}
	// Undo takes the edit back; redoing it with Apply again.
	test.Tap(mustButton(t, e.root, T("ixe.undo")+" [Ctrl+Z]"))
	if d.producer.show.Segments[1].Interaction != "" {
		t.Fatal("undo did not detach")
	}
	e.list.Select(0)
	retype(e.cID, "serum-coupon")
	retype(e.cName, "精华液限时券")
	retype(e.cStock, "200")
	retype(e.cWindow, "2m")
	e.attach.SetSelected(nodeLabel(1, d.producer.show.Segments[1]))
	test.Tap(e.applyBtn)

	test.Tap(mustButton(t, d.producer.root, T("prod.apply")))
	ix := desk.Interactions()
	if len(ix.Items) != 1 || ix.Items[0].ID != "serum-coupon" {
		t.Fatalf("desk interactions after loading: %+v", ix.Items)
	}

	// On air: the node comes, the card highlights it, C + confirm fires.
	for _, c := range []studio.Command{studio.Start{}, studio.Next{}} {
		if err := desk.Do(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	d.onEvent(studio.Event{Kind: studio.EventInteraction})
	if v, ok := d.ix.next(); !ok || v.ID != "serum-coupon" || v.State != interact.Armed || !strings.HasPrefix(d.ix.cards[0].full[0], "» ") {
		t.Fatalf("card does not highlight the armed coupon: %+v %q", v, d.ix.cards[0].full[0])
	}
	w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyC})
	if d.ix.confirm == nil {
		t.Fatal("firing a coupon did not ask for confirmation")
	}
	if v, _ := desk.Interactions().Get("serum-coupon"); v.State != interact.Armed {
		t.Fatalf("fired before confirmation: %s", v.State)
	}
	test.Tap(mustButton(t, w.Canvas().Overlays().Top(), T("ix.fire")))
	waitFor(t, func() bool {
		v, _ := desk.Interactions().Get("serum-coupon")
		return v.State == interact.Live && !v.EndsAt.IsZero()
	}, "coupon live with a countdown")
	if sim.IssuedCount("serum-coupon") != 1 {
		t.Fatalf("issued %d", sim.IssuedCount("serum-coupon"))
	}
	d.onEvent(studio.Event{Kind: studio.EventInteraction})
	clk.Advance(15 * time.Second)
	for range 3 {
		d.onTick(clk.Now())
	}
	if got := d.ix.cards[0].full[1]; !strings.Contains(got, "剩余 01:45") {
		t.Fatalf("card row %q", got)
	}
	if got := d.streamer.ix.count.Text; !d.streamer.ix.root.Visible() || !strings.Contains(got, "01:45") || !strings.Contains(got, "200/200") {
		t.Fatalf("host view %q visible=%v", got, d.streamer.ix.root.Visible())
	}
	if !strings.Contains(d.streamer.ix.count.Text, "精华液限时券") {
		t.Fatalf("host line %q", d.streamer.ix.count.Text)
	}
	// K cancels the live coupon after one confirmation.
	w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyK})
	if d.ix.confirm == nil {
		t.Fatal("cancel did not ask")
	}
	test.Tap(mustButton(t, w.Canvas().Overlays().Top(), T("ix.cancel")))
	waitFor(t, func() bool { v, _ := desk.Interactions().Get("serum-coupon"); return v.State == interact.Cancelled }, "coupon cancelled")
}

// Templates insert their nodes and interactions, attached; duplicate and
// delete keep the references right.
func TestEditorTemplatesDuplicateDelete(t *testing.T) {
	lang = "en"
	defer func() { lang = "zh" }()
	a := test.NewTempApp(t)
	desk := studio.New(studio.Config{})
	t.Cleanup(desk.Close)
	if err := desk.Do(context.Background(), studio.LoadShow{Show: demoShow()}); err != nil {
		t.Fatal(err)
	}
	w := test.NewWindow(nil)
	t.Cleanup(w.Close)
	d := newDeskUI(a, desk, w, nil, studioEnv{}, "producer", time.Now)
	e := d.ixEditor
	e.template.SetSelected(T("ixe.five"))
	e.template.SetSelected(T("ixe.four"))
	s := d.producer.show
	if len(s.Segments) != 3+5+4 || len(s.Coupons) != 1 || len(s.Votes) != 2 {
		t.Fatalf("after templates: %d segments, %d coupons, %d votes", len(s.Segments), len(s.Coupons), len(s.Votes))
	}
	if s.Segments[3].ID != "five1-step1" || s.Segments[3].Interaction != "five1-coupon" || s.Segments[8].Interaction != "four1-icebreak" {
		t.Fatalf("template nodes: %+v / %+v", s.Segments[3], s.Segments[8])
	}
	if err := desk.Do(context.Background(), studio.LoadShow{Show: cloneShow(s)}); err != nil {
		t.Fatal(err)
	}
	e.list.Select(0) // five1-coupon
	test.Tap(mustButton(t, e.root, T("ixe.duplicate")))
	if got := d.producer.show.Coupons[1].ID; got != "five1-coupon-2" {
		t.Fatalf("duplicate id %q", got)
	}
	test.Tap(mustButton(t, e.root, T("ixe.delete")))
	e.list.Select(0)
	test.Tap(mustButton(t, e.root, T("ixe.delete")))
	if len(d.producer.show.Coupons) != 0 || d.producer.show.Segments[3].Interaction != "" {
		t.Fatalf("delete left %+v, node %q", d.producer.show.Coupons, d.producer.show.Segments[3].Interaction)
	}
	// A vote with 6 options is flagged while typing.
	e.list.Select(0)
	retype(e.vOptions, "a\nb\nc\nd\ne\nf")
	if !strings.Contains(e.check.Text, "options: 6: must be 2 to 5") || !e.applyBtn.Disabled() {
		t.Fatalf("6 options: %q", e.check.Text)
	}
}

// The card sits above the fold at 1366×768 and 1920×1080 with the demo
// show's four interactions, a live coupon and a live vote with bars; a
// coupon waiting for the platform says queued, never "not supported".
func TestCardAboveTheFold(t *testing.T) {
	for _, l := range []string{"zh", "en"} {
		for _, size := range []fyne.Size{fyne.NewSize(1366, 768), fyne.NewSize(1920, 1080)} {
			lang = l
			a := test.NewTempApp(t)
			sim := rehearsal.New(rehearsal.Config{Seed: 1})
			desk := studio.New(studio.Config{Interact: studio.InteractConfig{Platform: sim}})
			show, err := scripts.LoadYAML("demo/show.yaml", assets.DemoShow())
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []studio.Command{studio.LoadShow{Show: show}, studio.Start{}, studio.FireCoupon{ID: "coupon-1"}, studio.StartVote{ID: "vote-1"}} {
				if err := desk.Do(context.Background(), c); err != nil {
					t.Fatal(err)
				}
			}
			desk.VoteDanmaku("u1", 2, time.Now())
			waitFor(t, func() bool { v, _ := desk.Interactions().Get("vote-1"); return v.Total == 1 }, "a vote")
			w := test.NewWindow(nil)
			d := newDeskUI(a, desk, w, nil, studioEnv{}, "controller", time.Now)
			w.Resize(size)
			d.onEvent(studio.Event{Kind: studio.EventInteraction})
			pos := a.Driver().AbsolutePositionForObject(d.ix.root)
			end := pos.Y + d.ix.root.Size().Height
			if !d.ix.root.Visible() || pos.Y < 0 || end > size.Height || d.ix.root.Size().Height < d.ix.root.MinSize().Height {
				t.Errorf("%s %v: card at y %.0f..%.0f (min height %.0f)", l, size, pos.Y, end, d.ix.root.MinSize().Height)
			}
			for _, r := range d.ix.cards {
				if r.Visible() && r.Size().Height < r.MinSize().Height {
					t.Errorf("%s %v: row %q squeezed", l, size, r.full[0])
				}
			}
			w.Close()
			desk.Close()
		}
	}
	lang = "zh"
	q := ixStatus(interact.View{Kind: interact.KindCoupon, State: interact.Live, Delivery: interact.Queued,
		Coupon: &interact.Coupon{ID: "c", Stock: 5}, StockLeft: 5, LastError: "bridge: disconnected"}, time.Now())
	if !strings.Contains(q, T("ix.queued")) || strings.Contains(q, "不支持") {
		t.Fatalf("queued coupon reads %q", q)
	}
}
