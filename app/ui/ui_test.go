package ui

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"studiodesk/assets"
	"studiodesk/devices"
	"studiodesk/devices/sim"
	"studiodesk/studio/danmaku"
	"studiodesk/studio/platform/rehearsal"
	"studiodesk/studio/remote"
	"studiodesk/studio/store"

	"studiodesk/scripts"
	"studiodesk/studio"
)

var start = time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)

func demoShow() *scripts.Show {
	return &scripts.Show{ID: "ui", Title: "美妆专场", Segments: []scripts.Segment{
		{ID: "open", Title: "开场欢迎", Kind: scripts.KindOpening, Duration: 2 * time.Minute},
		{ID: "p1", Title: "精华液", Kind: scripts.KindProduct, Phases: []scripts.Phase{
			{Name: scripts.PhaseCore, Duration: time.Minute, Points: []scripts.SellingPoint{{Text: "七天淡化细纹"}, {Text: "敏感肌可用"}}},
			{Name: scripts.PhaseDemo, Duration: 3 * time.Minute},
			{Name: scripts.PhaseCompare, Duration: time.Minute},
		}},
		{ID: "close", Title: "收尾", Kind: scripts.KindClosing, Duration: time.Minute},
	}}
}

type fixture struct {
	ui   *deskUI
	desk *studio.Desk
	clk  *studio.FakeClock
	win  fyne.Window
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	lang = "zh"
	a := test.NewTempApp(t)
	a.Settings().SetTheme(newDeskTheme())
	clk := studio.NewFakeClock(start)
	pipe := danmaku.New(danmaku.Config{Now: clk.Now})
	desk := studio.New(studio.Config{Clock: clk, Rehearsal: true, Danmaku: pipe})
	t.Cleanup(desk.Close)
	if err := desk.Do(context.Background(), studio.LoadShow{Show: demoShow()}); err != nil {
		t.Fatal(err)
	}
	w := test.NewWindow(nil)
	t.Cleanup(w.Close)
	d := newDeskUI(a, desk, w, nil, studioEnv{pipe: pipe}, "controller", clk.Now)
	d.runner.skipConfirm = true
	w.Resize(fyne.NewSize(1400, 900))
	return &fixture{ui: d, desk: desk, clk: clk, win: w}
}

func (f *fixture) key(k fyne.KeyName) {
	f.win.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: k})
}

func TestTappingStartPutsTheShowOnAirInBothViews(t *testing.T) {
	f := newFixture(t)
	c, s := f.ui.controller, f.ui.streamer
	if got := c.remaining.Text; got != "02:00" {
		t.Fatalf("before start the controller shows %q, want the planned 02:00", got)
	}
	if !c.buttons["next"].Disabled() {
		t.Fatal("Next is enabled before the show started")
	}
	test.Tap(c.buttons["start"])
	f.clk.Advance(15 * time.Second)
	f.ui.onTick(f.clk.Now())
	if got := c.remaining.Text; got != "01:45" {
		t.Fatalf("controller remaining = %q, want 01:45", got)
	}
	if got := s.remaining.Text; got != "01:45" {
		t.Fatalf("streamer remaining = %q, want 01:45", got)
	}
	if got := s.segment.Text; got != "开场欢迎" {
		t.Fatalf("streamer segment = %q", got)
	}
	if !c.buttons["start"].Disabled() || c.buttons["next"].Disabled() {
		t.Fatal("after start: Start should be disabled and Next enabled")
	}

	test.Tap(c.buttons["next"])
	f.clk.Advance(31 * time.Second)
	f.ui.onTick(f.clk.Now())
	if got := s.segment.Text; got != "精华液" {
		t.Fatalf("after Next the streamer shows segment %q", got)
	}
	if got := s.point.Text; got != "敏感肌可用" {
		t.Fatalf("31 s into the product the point is %q, want the second one", got)
	}
	if !strings.Contains(c.segment.Text, "精华液") {
		t.Fatalf("controller segment label %q", c.segment.Text)
	}
}

func TestShortcutsDriveTheShow(t *testing.T) {
	f := newFixture(t)
	c, s := f.ui.controller, f.ui.streamer
	f.key(fyne.KeyF5) // start
	f.clk.Advance(10 * time.Second)
	f.key(fyne.KeyRight) // next
	f.clk.Advance(5 * time.Second)
	f.ui.onTick(f.clk.Now())
	if s.segment.Text != "精华液" {
		t.Fatalf("→ did not move to the product segment: %q", s.segment.Text)
	}
	f.key(fyne.KeySpace) // pause
	f.clk.Advance(time.Minute)
	f.ui.onTick(f.clk.Now())
	if s.remaining.Text != "04:55" {
		t.Fatalf("paused clock moved: %q", s.remaining.Text)
	}
	if !strings.Contains(c.buttons["toggle_pause"].Text, T("btn.resume")) {
		t.Fatalf("pause button reads %q while paused", c.buttons["toggle_pause"].Text)
	}
	f.key(fyne.KeySpace) // resume
	f.key(fyne.KeyEqual) // +30 s
	f.ui.onTick(f.clk.Now())
	if s.remaining.Text != "05:25" {
		t.Fatalf("+30 s: remaining %q, want 05:25", s.remaining.Text)
	}
	f.key(fyne.KeyLeft) // previous
	f.ui.onTick(f.clk.Now())
	if s.segment.Text != "开场欢迎" {
		t.Fatalf("← did not go back: %q", s.segment.Text)
	}
	f.key(fyne.KeyE) // end (confirmation skipped in tests)
	f.ui.onTick(f.clk.Now())
	if c.phase.Text != T("phase.ended") {
		t.Fatalf("E did not end the show: phase %q", c.phase.Text)
	}
}

func TestCueFlashesTheHostScreen(t *testing.T) {
	f := newFixture(t)
	f.key(fyne.KeyF5)
	f.ui.onEvent(studio.Event{Kind: studio.EventCue, Cue: &scripts.Cue{Kind: scripts.CueWarning, At: f.clk.Now()}, Fired: f.clk.Now()})
	if f.ui.streamer.cue.Text != T("cue.warning") {
		t.Fatalf("cue text %q", f.ui.streamer.cue.Text)
	}
	f.clk.Advance(5 * time.Second)
	f.ui.onTick(f.clk.Now())
	if f.ui.streamer.cue.Text != "" {
		t.Fatalf("cue text still shown after 5 s: %q", f.ui.streamer.cue.Text)
	}
}

func TestRefusedActionIsReported(t *testing.T) {
	f := newFixture(t)
	f.key(fyne.KeyRight) // next before start
	if !strings.Contains(f.ui.controller.status.Text, "not started") {
		t.Fatalf("status %q does not report the refusal", f.ui.controller.status.Text)
	}
}

func TestParsePhasesRoundTrip(t *testing.T) {
	ph := demoShow().Segments[1].Phases
	ph[0].Points[1].Duration = 20 * time.Second
	got, err := parsePhases(formatPhases(ph))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Points[1].Duration != 20*time.Second || got[0].Points[1].Text != "敏感肌可用" || got[1].Duration != 3*time.Minute {
		t.Fatalf("round trip: %+v", got)
	}
	if _, err := parsePhases("- orphan point"); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("orphan point: %v", err)
	}
	if _, err := parsePhases("核心卖点 5x"); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("bad duration: %v", err)
	}
}

// Every key the UI asks for must have a translation: a missing one would
// show the raw key on air.
func TestEveryMessageKeyIsTranslated(t *testing.T) {
	for _, a := range studio.Actions() {
		k, ok := actionLabels[a.Name]
		if !ok {
			t.Errorf("action %s has no label", a.Name)
		}
		if _, ok := messages[k]; !ok {
			t.Errorf("no translation for %q", k)
		}
	}
	for _, k := range []string{"prod.apply_segment", "prod.select_first", "prod.undone", "prod.deleted", "btn.resume", "btn.jump", "btn.host_window"} {
		if _, ok := messages[k]; !ok {
			t.Errorf("no translation for %q", k)
		}
	}
}

func TestProducerEditsUndoAndLoadIntoDesk(t *testing.T) {
	f := newFixture(t)
	p := f.ui.producer
	p.list.Select(1)
	if p.title.Text != "精华液" {
		t.Fatalf("selected segment title %q", p.title.Text)
	}
	p.title.SetText("精华液 · 新版")
	p.duration.SetText("5x")
	p.commitForm()
	if p.show.Segments[1].Title != "精华液" {
		t.Fatal("a malformed duration still changed the script")
	}
	if !strings.Contains(p.status.Text, "5x") {
		t.Fatalf("error does not name the bad value: %q", p.status.Text)
	}
	p.duration.SetText("")
	p.commitForm()
	if p.show.Segments[1].Title != "精华液 · 新版" {
		t.Fatalf("commit did not apply: %q", p.show.Segments[1].Title)
	}
	p.deleteSegment()
	if len(p.show.Segments) != 2 {
		t.Fatalf("delete left %d segments", len(p.show.Segments))
	}
	p.undoLast()
	if len(p.show.Segments) != 3 || p.show.Segments[1].Title != "精华液 · 新版" {
		t.Fatalf("undo did not restore the deleted segment: %+v", p.show.Segments)
	}
	p.applyToDesk()
	if got := f.desk.Snapshot().Show.Segments[1].Title; got != "精华液 · 新版" {
		t.Fatalf("desk has %q after load", got)
	}
	// While on air the desk refuses a new script and says why.
	f.key(fyne.KeyF5)
	p.applyToDesk()
	if !strings.Contains(p.status.Text, "on air") {
		t.Fatalf("status %q", p.status.Text)
	}
}

func TestPresetKeyAndButtonRecallTheScene(t *testing.T) {
	lang = "zh"
	a := test.NewTempApp(t)
	reg := studio.NewRegistry()
	cam := sim.NewCamera("cam", "A机位")
	cam.SetLatency(0)
	if err := reg.Add(cam); err != nil {
		t.Fatal(err)
	}
	book := studio.NewPresetBook()
	for i, n := range []int{3, 7} {
		p := studio.Preset{ID: fmt.Sprintf("p%d", i), Name: fmt.Sprintf("特写%d", i), Key: fmt.Sprint(i + 1),
			Targets: map[string]devices.Target{"cam": {Camera: &devices.CameraTarget{Preset: n}}}}
		if err := book.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	desk := studio.New(studio.Config{Clock: studio.NewFakeClock(start), Devices: reg, Presets: book})
	t.Cleanup(desk.Close)
	w := test.NewWindow(nil)
	t.Cleanup(w.Close)
	d := newDeskUI(a, desk, w, nil, studioEnv{reg: reg}, "controller", time.Now)
	if n := len(d.presets.grid.Objects); n != 2 {
		t.Fatalf("grid has %d buttons, want 2", n)
	}
	w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.Key2})
	waitFor(t, func() bool { return cam.State().Preset == 7 }, "key 2 recalls camera preset 7")
	btn := test.LaidOutObjects(d.presets.grid.Objects[0])
	for _, o := range btn {
		if b, ok := o.(*widget.Button); ok {
			test.Tap(b)
		}
	}
	waitFor(t, func() bool { return cam.State().Preset == 3 }, "the first button recalls camera preset 3")
	d.presets.refreshLights()
	if len(d.presets.lamps) != 1 {
		t.Fatalf("%d status lights, want 1", len(d.presets.lamps))
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestDanmakuPaneShowsFiltersPinsAndHostSeesQuestions(t *testing.T) {
	f := newFixture(t)
	pipe := f.ui.pipe
	for i, text := range []string{"这个尺码怎么选？", "已拍两单", "加微信 abc12345 领福利", "主播皮肤好好"} {
		pipe.Ingest(danmaku.Message{ID: fmt.Sprint("m", i), ViewerID: fmt.Sprint("v", i), ViewerName: fmt.Sprint("观众", i), Text: text, Time: f.clk.Now()})
	}
	p := f.ui.danmaku
	p.refresh()
	if len(p.lines) != 3 {
		t.Fatalf("pane shows %d lines, want 3 (the contact spam filtered)", len(p.lines))
	}
	if p.lines[0].Norm != "主播皮肤好好" {
		t.Fatalf("newest line first: got %q", p.lines[0].Norm)
	}
	// The lists keep one length whatever arrives (a list that changes
	// length is laid out again while painting: a second frame); the rows
	// past the lines are blank, and picking one picks nothing.
	if n := p.list.Length(); n != maxLines {
		t.Fatalf("danmaku list length %d, want always %d", n, maxLines)
	}
	if n := p.questions.Length(); n != maxGroups {
		t.Fatalf("questions list length %d, want always %d", n, maxGroups)
	}
	blank := p.list.CreateItem()
	p.list.UpdateItem(5, blank)
	if txt := blank.(*widget.Label).Text; txt != "" {
		t.Fatalf("row past the lines shows %q, want blank", txt)
	}
	p.list.Select(5)
	if p.pause.Checked || p.selected >= 0 {
		t.Fatal("picking a blank row held the stream")
	}
	p.filter.SetSelectedIndex(1) // questions
	if len(p.lines) != 1 || p.lines[0].Norm != "这个尺码怎么选?" {
		t.Fatalf("question filter: %+v", p.lines)
	}
	p.list.Select(0)
	if !p.pause.Checked {
		t.Fatal("selecting a line did not pause the stream")
	}
	p.pin()
	if wall := pipe.Wall(); len(wall) != 1 || wall[0].ID != "m0" {
		t.Fatalf("wall after pin: %+v", wall)
	}
	f.ui.onTick(f.clk.Now())
	f.ui.onTick(f.clk.Now())
	f.ui.onTick(f.clk.Now())
	if !strings.Contains(f.ui.streamer.questions.Text, "尺码") {
		t.Fatalf("host screen questions %q", f.ui.streamer.questions.Text)
	}
	f.key(fyne.KeyP)
	if p.pause.Checked {
		t.Fatal("P did not resume the stream")
	}
}

func TestRemotePagePairsListsAndRevokes(t *testing.T) {
	f := newFixture(t)
	p := f.ui.remote
	p.addr, p.oscAddr = "127.0.0.1:0", "127.0.0.1:0"
	p.uiDo = func(func()) {} // this test refreshes by hand
	p.enable.SetChecked(true)
	t.Cleanup(p.close)
	if p.srv == nil {
		t.Fatalf("remote control did not start: %s", p.info.Text)
	}
	code := p.code.Text
	if len(code) != 6 {
		t.Fatalf("pairing code %q", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := remote.Pair(ctx, p.srv.Addr(), code, "平板", remote.RoleController); err != nil {
		t.Fatal(err)
	}
	p.refresh()
	if len(p.devices.Objects) != 1 || p.code.Text == code {
		t.Fatalf("after pairing: %d devices listed, code %q (must be new)", len(p.devices.Objects), p.code.Text)
	}
	if _, err := remote.Pair(ctx, p.srv.Addr(), code, "再来", remote.RoleController); err == nil {
		t.Fatal("a used pairing code was accepted twice")
	}
	if err := p.srv.Revoke(p.srv.Devices()[0].ID); err != nil {
		t.Fatal(err)
	}
	p.refresh()
	if len(p.devices.Objects) != 0 {
		t.Fatal("revoked device still listed")
	}
	p.enable.SetChecked(false)
	if p.srv != nil {
		t.Fatal("switching remote control off left the server running")
	}
}

func TestPlatformFlagsNameWhatIsMissing(t *testing.T) {
	for _, args := range [][]string{{"--platform", "bilibili"}, {"--platform", "bridge"}, {"--platform", "douyin"}} {
		o, err := parseOptions(args, io.Discard)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if _, err := o.Platform.Open(rehearsal.Config{}); err == nil || !strings.Contains(err.Error(), "--platform") {
			t.Errorf("%v: error %v does not name the flag", args, err)
		}
	}
	o, _ := parseOptions(nil, io.Discard)
	p, err := o.Platform.Open(rehearsal.Config{Seed: 1})
	if err != nil || p.Name() == "" || !p.Capabilities().Coupons {
		t.Fatalf("default platform: %v %v", p, err)
	}
	if _, err := parseOptions([]string{"--size", "10x10"}, io.Discard); err == nil {
		t.Fatal("a tiny window size was accepted")
	}
	if o, err := parseOptions([]string{"--speed", "10"}, io.Discard); err != nil || o.Speed != 10 {
		t.Fatalf("--speed 10 in rehearsal: %v", err)
	}
	for _, args := range [][]string{{"--speed", "50"}, {"--speed", "10", "--rehearsal=false"}, {"--speed", "10", "--platform", "bridge"}} {
		if _, err := parseOptions(args, io.Discard); err == nil || !strings.Contains(err.Error(), "--speed") {
			t.Errorf("%v accepted: %v", args, err)
		}
	}
}

func TestInteractionsPaneFiresCouponAndCountsVotes(t *testing.T) {
	lang = "zh"
	a := test.NewTempApp(t)
	clk := studio.NewFakeClock(start)
	sim := rehearsal.New(rehearsal.Config{Seed: 1, Now: clk.Now})
	desk := studio.New(studio.Config{Clock: clk, Interact: studio.InteractConfig{Platform: sim}})
	t.Cleanup(desk.Close)
	show, err := scripts.LoadYAML("demo/show.yaml", assets.DemoShow())
	if err != nil {
		t.Fatal(err)
	}
	if err := desk.Do(context.Background(), studio.LoadShow{Show: show}); err != nil {
		t.Fatal(err)
	}
	w := test.NewWindow(nil)
	t.Cleanup(w.Close)
	d := newDeskUI(a, desk, w, nil, studioEnv{}, "controller", clk.Now)
	d.runner.skipConfirm = true
	d.onEvent(studio.Event{Kind: studio.EventInteraction})
	if len(d.ix.items) != 4 {
		t.Fatalf("card has %d interactions, want the demo show's 4", len(d.ix.items))
	}
	d.ix.cards[0].Tapped(nil) // coupon-1
	w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyC})
	waitFor(t, func() bool { return sim.IssuedCount("coupon-1") == 1 }, "coupon issued on the platform")
	waitFor(t, func() bool {
		v, _ := desk.Interactions().Get("coupon-1")
		return v.State == "live" && !v.EndsAt.IsZero()
	}, "coupon live with a countdown after the ack")
	d.onEvent(studio.Event{Kind: studio.EventInteraction})
	if got := d.ix.cards[0].full[1]; !strings.Contains(got, "进行中") || !strings.Contains(got, "剩余 03:00") {
		t.Fatalf("card row %q", got)
	}
	if !strings.Contains(d.ix.hostLine(), "精华液限时券") {
		t.Fatalf("host line %q", d.ix.hostLine())
	}
	var vote *ixRow
	for _, r := range d.ix.cards {
		if strings.Contains(r.full[0], "下一支试什么色") {
			vote = r
		}
	}
	if vote == nil {
		t.Fatal("vote-1 not on the card by its question")
	}
	vote.Tapped(nil)
	w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyV})
	for i, digit := range []int{1, 2, 2, 3, 2} {
		desk.VoteDanmaku(fmt.Sprint("viewer", i), digit, clk.Now())
	}
	desk.VoteDanmaku("viewer0", 3, clk.Now()) // a changed vote: the first counts
	waitFor(t, func() bool {
		v, _ := desk.Interactions().Get("vote-1")
		return v.Total == 5 && len(v.Counts) == 3 && v.Counts[1] == 3
	}, "five votes, three for option 2")
	w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyX})
	if v, _ := desk.Interactions().Get("vote-1"); v.State != "closed" {
		t.Fatalf("vote after X: %s", v.State)
	}
}

func TestDataPageReportAndVerify(t *testing.T) {
	lang = "zh"
	a := test.NewTempApp(t)
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := studio.NewFakeClock(start)
	pipe := danmaku.New(danmaku.Config{Now: clk.Now})
	desk := studio.New(studio.Config{Clock: clk, Journal: studio.NewStoreJournal(st), Danmaku: pipe})
	t.Cleanup(desk.Close)
	if err := desk.Do(context.Background(), studio.LoadShow{Show: demoShow()}); err != nil {
		t.Fatal(err)
	}
	w := test.NewWindow(nil)
	t.Cleanup(w.Close)
	d := newDeskUI(a, desk, w, st, studioEnv{pipe: pipe}, "controller", clk.Now)
	d.runner.skipConfirm = true
	w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyF5})
	clk.Advance(2*time.Minute + 10*time.Second)
	w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyRight})
	pipe.Ingest(danmaku.Message{ID: "a", ViewerID: "v", ViewerName: "观众", Text: "多少钱？", Time: clk.Now()})
	d.data.tick(d.desk.Snapshot(), d.desk.Snapshot().State(clk.Now()), d.desk.Interactions(), 1234, true)
	if d.data.figures["dash.viewers"].Text != "1234" || d.data.figures["dash.questions"].Text != "1" {
		t.Fatalf("dashboard: viewers %q questions %q", d.data.figures["dash.viewers"].Text, d.data.figures["dash.questions"].Text)
	}
	if got := d.data.figures["dash.overunder"].Text; got != "+00:10" {
		t.Fatalf("over/under %q, want +00:10", got)
	}
	if got := verifyText(st, d.desk.Snapshot().Run); !strings.HasPrefix(got, "✓") {
		t.Fatalf("verify: %s", got)
	}
	path, err := writeReport(st, d.desk.Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	html, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(html), "开场欢迎") {
		t.Fatalf("report %s: %v", path, err)
	}
}
