package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hypebeast/go-osc/osc"

	"studiodesk/devices"
	"studiodesk/studio"
	"studiodesk/studio/danmaku"
	"studiodesk/studio/platform/rehearsal"
)

// countingLight is a fake studio light that counts the targets it gets.
type countingLight struct {
	mu sync.Mutex
	n  int
}

func (c *countingLight) ID() string             { return "light" }
func (c *countingLight) Name() string           { return "主光" }
func (c *countingLight) Kind() devices.Kind     { return devices.KindLight }
func (c *countingLight) Status() devices.Status { return devices.Status{Health: devices.OK} }
func (c *countingLight) Close() error           { return nil }
func (c *countingLight) Apply(context.Context, devices.Target) error {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return nil
}
func (c *countingLight) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// studioRig is a rig whose desk has a preset on a counting light and the
// rehearsal platform simulator with the demo coupons and votes.
type studioRig struct {
	*rig
	light *countingLight
	sim   *rehearsal.Sim
	pipe  *danmaku.Pipeline
}

func newStudioRig(t *testing.T, oscAddr string) *studioRig {
	t.Helper()
	clk := studio.NewFakeClock(t0)
	reg := studio.NewRegistry()
	light := &countingLight{}
	if err := reg.Add(light); err != nil {
		t.Fatal(err)
	}
	book := studio.NewPresetBook()
	b := 80
	if err := book.Add(studio.Preset{ID: "wide", Name: "全景", Key: "1", Color: "#2E7D32",
		Targets: map[string]devices.Target{"light": {Light: &devices.LightTarget{Brightness: &b}}}}); err != nil {
		t.Fatal(err)
	}
	sim := rehearsal.New(rehearsal.Config{Seed: 1, Now: clk.Now})
	pipe := danmaku.New(danmaku.Config{Now: clk.Now})
	desk := studio.New(studio.Config{Clock: clk, Journal: studio.NewMemoryJournal(), Rehearsal: true, Devices: reg, Presets: book, Danmaku: pipe,
		Interact: studio.InteractConfig{Platform: sim}, Logf: func(string, ...any) {}})
	t.Cleanup(desk.Close)
	for _, c := range append([]studio.Command{studio.LoadShow{Show: withDemoInteractions(t, testShow())}}, studio.Start{},
		studio.ArmInteraction{ID: "coupon-1"}) {
		if err := desk.Do(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	lg := &logSink{t: t}
	srv, err := NewServer(Config{Desk: desk, Addr: "127.0.0.1:0", OSCAddr: oscAddr, Tokens: NewMemoryTokenStore(),
		Now: clk.Now, Logf: lg.logf, AllowIP: LoopbackOnly, StateEvery: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = srv.Close()
		if t.Failed() {
			t.Logf("server log:\n%s", lg.dump())
		}
	})
	return &studioRig{rig: &rig{desk: desk, clk: clk, srv: srv, log: lg, http: &http.Client{Timeout: 10 * time.Second}}, light: light, sim: sim, pipe: pipe}
}

// stays checks that f stays true for a while (a second effect would show).
func stays(t *testing.T, what string, f func() bool) {
	t.Helper()
	for range 20 {
		if !f() {
			t.Fatalf("%s no longer holds", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRecallAndCouponFromHTTPAndOSCExactlyOnce(t *testing.T) {
	r := newStudioRig(t, "127.0.0.1:0")
	ctrl := r.pair(t, "companion", RoleController)
	auth := map[string]string{"Authorization": "Bearer " + ctrl.Token}
	o := dialOSC(t, r.srv.OSCAddr())

	// Preset recall over HTTP (by key number), then OSC (by id): the light
	// moves once each.
	if st, body := r.post(t, "/api/v1/recall_preset", "", `{"preset":1}`, auth); st != http.StatusOK {
		t.Fatalf("recall: %d %s", st, body)
	}
	eventually(t, "light moved by HTTP", func() bool { return r.light.count() == 1 })
	stays(t, "one move", func() bool { return r.light.count() == 1 })
	if st, msg, _ := o.send(osc.NewMessage("/studiodesk/recall_preset", ctrl.Token, "wide")); st != "ok" {
		t.Fatalf("osc recall: %s", msg)
	}
	eventually(t, "light moved by OSC", func() bool { return r.light.count() == 2 })
	stays(t, "one move", func() bool { return r.light.count() == 2 })

	// Coupon over HTTP: the first press only asks; the second (within
	// the window) fires; the platform issues it once.
	st, body := r.post(t, "/api/v1/fire_coupon", "", "", auth)
	if st != http.StatusPreconditionRequired || !strings.Contains(string(body), `"code":"confirm_required"`) {
		t.Fatalf("first press: %d %s", st, body)
	}
	time.Sleep(50 * time.Millisecond)
	if n := r.sim.IssuedCount("coupon-1"); n != 0 {
		t.Fatalf("unconfirmed coupon issued %d times", n)
	}
	r.clk.Advance(2 * time.Second)
	if st, body := r.post(t, "/api/v1/fire_coupon", "", "", auth); st != http.StatusOK {
		t.Fatalf("second press: %d %s", st, body)
	}
	eventually(t, "coupon issued", func() bool { return r.sim.IssuedCount("coupon-1") == 1 })
	// A third press is a new first press; confirming it too is refused by
	// the desk (already fired): still one issuance.
	r.post(t, "/api/v1/fire_coupon", "", `{"id":"coupon-1"}`, auth)
	if st, _ := r.post(t, "/api/v1/fire_coupon", "", `{"id":"coupon-1"}`, auth); st != http.StatusUnprocessableEntity {
		t.Fatalf("firing twice: %d", st)
	}
	stays(t, "one issuance", func() bool { return r.sim.IssuedCount("coupon-1") == 1 })
	for _, l := range []string{"awaiting confirmation (money action)", "confirmed by a second press", "fire_coupon id=coupon-1 from device"} {
		if !r.log.has(l) {
			t.Errorf("log lacks %q", l)
		}
	}

	// Coupon over OSC with confirm=true in the message; a press whose
	// window expired asks again.
	r.mustDo(t, studio.ArmInteraction{ID: "lottery-1"})
	if st, _, code := o.send(osc.NewMessage("/studiodesk/fire_coupon", ctrl.Token, "lottery-1")); st != "error" || code != "confirm_required" {
		t.Fatalf("osc first press: %s %s", st, code)
	}
	r.clk.Advance(6 * time.Second)
	if st, _, code := o.send(osc.NewMessage("/studiodesk/fire_coupon", ctrl.Token, "lottery-1")); st != "error" || code != "confirm_required" {
		t.Fatalf("osc press after the window: %s %s", st, code)
	}
	if st, msg, _ := o.send(osc.NewMessage("/studiodesk/fire_coupon", ctrl.Token, "lottery-1", "confirm=true")); st != "ok" {
		t.Fatalf("osc confirmed: %s", msg)
	}
	eventually(t, "lottery coupon issued", func() bool { return r.sim.IssuedCount("lottery-1") == 1 })
	stays(t, "one issuance", func() bool { return r.sim.IssuedCount("lottery-1") == 1 })
	if !r.log.has("confirmed in the request (confirm=true)") {
		t.Error("confirm=true not logged")
	}
	// The data channel: confirm=true in args.
	c := r.dial(t, ctrl.Token)
	if err := c.Do(context.Background(), studio.ActEnd, nil); !errors.Is(err, ErrConfirmRequired) {
		t.Fatalf("end without confirmation: %v", err)
	}
	if err := c.Do(context.Background(), studio.ActEnd, Args{"confirm": true}); err != nil {
		t.Fatalf("end confirmed: %v", err)
	}
	if !r.desk.Snapshot().State(r.clk.Now()).Ended {
		t.Fatal("end not applied")
	}
}

// A request id is refused the second time on every transport, and across
// transports for the same device.
func TestReplayRefusedOnEveryTransport(t *testing.T) {
	r := newStudioRig(t, "127.0.0.1:0")
	ctrl := r.pair(t, "companion", RoleController)
	o := dialOSC(t, r.srv.OSCAddr())
	c := r.dial(t, ctrl.Token)
	hdr := func(id string) map[string]string {
		return map[string]string{"Authorization": "Bearer " + ctrl.Token, "X-Request-Id": id}
	}
	if st, _ := r.post(t, "/api/v1/recall_preset", "", `{"preset":"1"}`, hdr("h-1")); st != http.StatusOK {
		t.Fatalf("http: %d", st)
	}
	eventually(t, "one move", func() bool { return r.light.count() == 1 })
	for _, tc := range []struct {
		name string
		send func(id string) error
	}{
		{"http", func(id string) error {
			st, body := r.post(t, "/api/v1/recall_preset", "", `{"preset":"1"}`, hdr(id))
			if st != http.StatusOK {
				return fmt.Errorf("%d %s", st, body)
			}
			return nil
		}},
		{"osc", func(id string) error {
			if st, msg, code := o.send(osc.NewMessage("/studiodesk/recall_preset", ctrl.Token, int32(1), "request_id="+id)); st != "ok" {
				return fmt.Errorf("%s (%s)", msg, code)
			}
			return nil
		}},
		{"datachannel", func(id string) error {
			return c.DoID(context.Background(), id, studio.ActRecallPreset, Args{"preset": 1})
		}},
	} {
		moves := r.light.count()
		id := tc.name + "-7"
		if err := tc.send(id); err != nil {
			t.Fatalf("%s first: %v", tc.name, err)
		}
		eventually(t, tc.name+" moved", func() bool { return r.light.count() == moves+1 })
		for _, again := range []string{id, "h-1"} {
			err := tc.send(again)
			if err == nil || !strings.Contains(err.Error(), "already used") && !strings.Contains(err.Error(), "409") {
				t.Fatalf("%s replay of %s: %v", tc.name, again, err)
			}
		}
		stays(t, tc.name+": no second move", func() bool { return r.light.count() == moves+1 })
	}
	if n := r.log.count("replayed id"); n != 6 {
		t.Fatalf("%d replays logged, want 6", n)
	}
}

// A busy OSC port: the server still starts, HTTP and the WebRTC remote
// work, and the reason is reported and logged.
func TestBusyOSCPortLeavesHTTPAndRemoteWorking(t *testing.T) {
	busy, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	r := newStudioRig(t, busy.LocalAddr().String())
	var oscTr Transport
	for _, tr := range r.srv.Transports() {
		if tr.Name == "osc" {
			oscTr = tr
		}
		if tr.Name == "http" && (tr.Err != nil || tr.Addr == "") {
			t.Fatalf("http transport: %+v", tr)
		}
	}
	if oscTr.Err == nil || !strings.Contains(oscTr.Err.Error(), "address already in use") || r.srv.OSCAddr() != "" {
		t.Fatalf("osc transport: %+v", oscTr)
	}
	if !r.log.has("OSC listen udp " + busy.LocalAddr().String()) {
		t.Fatalf("reason not logged:\n%s", r.log.dump())
	}
	ctrl := r.pair(t, "tablet", RoleController)
	if st, body := r.post(t, "/api/v1/next", ctrl.Token, "", nil); st != http.StatusOK {
		t.Fatalf("http next: %d %s", st, body)
	}
	c := r.dial(t, ctrl.Token)
	if err := c.Do(context.Background(), studio.ActNext, nil); err != nil {
		t.Fatalf("remote next: %v", err)
	}
	if r.segment() != 2 {
		t.Fatalf("segment %d", r.segment())
	}
}

// GET /api/v1/state carries what a Stream Deck page shows.
func TestStateForButtons(t *testing.T) {
	r := newStudioRig(t, "off")
	ctrl := r.pair(t, "deck", RoleController)
	r.mustDo(t, studio.RecallPreset{ID: "wide"})
	eventually(t, "light moved", func() bool { return r.light.count() == 1 })
	r.clk.Advance(75 * time.Second)
	var st StateData
	eventually(t, "recall result in the state", func() bool {
		_, body := r.get(t, "/api/v1/state", ctrl.Token)
		st = StateData{}
		_ = json.Unmarshal(body, &st)
		return len(st.Presets) == 1 && st.Presets[0].Last != nil
	})
	p := st.Presets[0]
	if p.Key != "1" || p.Name != "全景" || p.Colour != "#2E7D32" || !p.Last.OK || !strings.HasPrefix(p.Last.Text, "✓ 1 devices") {
		t.Fatalf("preset %+v last %+v", p, p.Last)
	}
	if len(st.Devices) != 1 || st.Devices[0].Health != "ok" {
		t.Fatalf("devices %+v", st.Devices)
	}
	if st.Deck.Left != "00:45" || st.Deck.Segment != "1. 开场" || st.Deck.Next != "2. 精华液" || st.Clock != "warning" || st.Deck.Colour != "#F0B429" || st.Deck.OverUnder != "on time" {
		t.Fatalf("deck %+v", st.Deck)
	}
	var coupon *InteractionState
	for i := range st.Interactions {
		if st.Interactions[i].ID == "coupon-1" {
			coupon = &st.Interactions[i]
		}
	}
	if coupon == nil || coupon.State != "armed" || coupon.Stock == 0 || coupon.StockLeft != coupon.Stock {
		t.Fatalf("interactions %+v", st.Interactions)
	}
	if err := r.desk.Do(context.Background(), studio.FireCoupon{ID: "coupon-1"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "coupon live with a countdown", func() bool {
		_, body := r.get(t, "/api/v1/state", ctrl.Token)
		st = StateData{}
		_ = json.Unmarshal(body, &st)
		for _, x := range st.Interactions {
			if x.ID == "coupon-1" {
				return x.State == "live" && x.Countdown != "" && strings.Contains(x.Text, x.Countdown)
			}
		}
		return false
	})
	r.clk.Advance(2 * time.Minute)
	_, body := r.get(t, "/api/v1/state", ctrl.Token)
	_ = json.Unmarshal(body, &st)
	if st.Deck.Left != "+01:15" || st.Deck.Colour != "#B3261E" || st.Deck.OverUnder != "+01:15 over" {
		t.Fatalf("overtime deck %+v", st.Deck)
	}
}

// An OSC client subscribes and gets the Stream Deck fields as messages,
// then each change.
func TestOSCFeedback(t *testing.T) {
	r := newStudioRig(t, "127.0.0.1:0")
	ctrl := r.pair(t, "companion", RoleController)
	o := dialOSC(t, r.srv.OSCAddr())
	if st, msg, _ := o.send(osc.NewMessage("/studiodesk/subscribe", ctrl.Token)); st != "ok" {
		t.Fatalf("subscribe: %s", msg)
	}
	got := map[string]any{}
	for _, m := range o.early {
		if len(m.Arguments) == 1 {
			got[m.Address] = m.Arguments[0]
		}
	}
	read := func(what string, until func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		buf := make([]byte, 4096)
		for !until() {
			if time.Now().After(deadline) {
				t.Fatalf("feedback: %s not seen; got %v", what, got)
			}
			_ = o.conn.SetReadDeadline(time.Now().Add(time.Second))
			n, err := o.conn.Read(buf)
			if err != nil {
				continue
			}
			p, err := osc.ParsePacket(string(buf[:n]))
			if m, ok := p.(*osc.Message); err == nil && ok && len(m.Arguments) == 1 {
				got[m.Address] = m.Arguments[0]
			}
		}
	}
	read("segment", func() bool { return got["/studiodesk/feedback/segment"] == "1. 开场" })
	read("preset name", func() bool { return got["/studiodesk/feedback/preset/1/name"] == "全景" })
	read("coupon", func() bool { s, _ := got["/studiodesk/feedback/coupon"].(string); return strings.Contains(s, "armed") })
	r.mustDo(t, studio.Next{})
	read("next segment", func() bool { return got["/studiodesk/feedback/segment"] == "2. 精华液" })
	if got["/studiodesk/feedback/colour"] != "#30A46C" || got["/studiodesk/feedback/paused"] != int32(0) {
		t.Fatalf("feedback %v", got)
	}
	if st, _, _ := o.send(osc.NewMessage("/studiodesk/unsubscribe", ctrl.Token)); st != "ok" {
		t.Fatal("unsubscribe")
	}
}

// A busy HTTP port: OSC still runs, and the reason is reported.
func TestBusyHTTPPortLeavesOSCWorking(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	clk := studio.NewFakeClock(t0)
	desk := studio.New(studio.Config{Clock: clk, Logf: func(string, ...any) {}})
	t.Cleanup(desk.Close)
	if err := desk.Do(context.Background(), studio.LoadShow{Show: testShow()}); err != nil {
		t.Fatal(err)
	}
	tokens := NewMemoryTokenStore()
	token, sum, _ := newToken()
	_ = tokens.Save(Device{ID: "d1", Name: "deck", Role: RoleController, TokenSHA256: sum, Paired: t0})
	lg := &logSink{t: t}
	srv, err := NewServer(Config{Desk: desk, Addr: busy.Addr().String(), OSCAddr: "127.0.0.1:0", Tokens: tokens, Now: clk.Now, Logf: lg.logf})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("start with one transport up: %v", err)
	}
	defer srv.Close()
	tr := srv.Transports()
	if tr[0].Err == nil || !strings.Contains(tr[0].Err.Error(), "address already in use") || srv.Addr() != "" || tr[1].Addr == "" {
		t.Fatalf("transports %+v", tr)
	}
	if !lg.has("HTTP listen") {
		t.Fatalf("reason not logged:\n%s", lg.dump())
	}
	o := dialOSC(t, srv.OSCAddr())
	if st, msg, _ := o.send(osc.NewMessage("/studiodesk/start", token)); st != "ok" {
		t.Fatalf("osc start: %s", msg)
	}
	if !desk.Snapshot().State(clk.Now()).Started {
		t.Fatal("OSC start not applied")
	}
	// Both busy: Start fails and says why.
	busyUDP, _ := net.ListenPacket("udp", "127.0.0.1:0")
	defer busyUDP.Close()
	srv2, _ := NewServer(Config{Desk: desk, Addr: busy.Addr().String(), OSCAddr: busyUDP.LocalAddr().String(), Tokens: tokens, Now: clk.Now, Logf: lg.logf})
	if err := srv2.Start(); err == nil || !strings.Contains(err.Error(), "HTTP listen") || !strings.Contains(err.Error(), "OSC listen") {
		t.Fatalf("both busy: %v", err)
	}
	_ = srv2.Close()
}

// Companion's set-up: subscribe with a listen port; the feedback goes to
// that port on the subscriber's host, not back to the sending socket.
func TestOSCFeedbackToListenPort(t *testing.T) {
	r := newStudioRig(t, "127.0.0.1:0")
	ctrl := r.pair(t, "companion", RoleController)
	listen, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer listen.Close()
	port := int32(listen.LocalAddr().(*net.UDPAddr).Port)
	o := dialOSC(t, r.srv.OSCAddr())
	if st, msg, _ := o.send(osc.NewMessage("/studiodesk/subscribe", ctrl.Token, port)); st != "ok" {
		t.Fatalf("subscribe with port %d: %s", port, msg)
	}
	r.mustDo(t, studio.Next{})
	deadline := time.Now().Add(10 * time.Second)
	buf := make([]byte, 4096)
	for {
		if time.Now().After(deadline) {
			t.Fatal("no feedback on the listen port")
		}
		_ = listen.SetReadDeadline(time.Now().Add(time.Second))
		n, _, err := listen.ReadFrom(buf)
		if err != nil {
			continue
		}
		p, err := osc.ParsePacket(string(buf[:n]))
		if m, ok := p.(*osc.Message); err == nil && ok && m.Address == "/studiodesk/feedback/segment" && len(m.Arguments) == 1 && m.Arguments[0] == "2. 精华液" {
			return
		}
	}
}
