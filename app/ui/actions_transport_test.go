package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/hypebeast/go-osc/osc"

	"studiodesk/assets"
	"studiodesk/devices"
	"studiodesk/scripts"
	"studiodesk/studio"
	"studiodesk/studio/danmaku"
	"studiodesk/studio/platform/rehearsal"
	"studiodesk/studio/remote"
)

// countingLight is a fake studio light: it counts what it is told.
type countingLight struct {
	mu      sync.Mutex
	applied int
}

func (c *countingLight) ID() string             { return "light" }
func (c *countingLight) Name() string           { return "主光" }
func (c *countingLight) Kind() devices.Kind     { return devices.KindLight }
func (c *countingLight) Status() devices.Status { return devices.Status{Health: devices.OK} }
func (c *countingLight) Close() error           { return nil }
func (c *countingLight) Apply(context.Context, devices.Target) error {
	c.mu.Lock()
	c.applied++
	c.mu.Unlock()
	return nil
}
func (c *countingLight) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.applied
}

// surfaceRig is a whole desk (UI, desk, devices, platform simulator,
// danmaku) with its remote server on loopback and a paired controller.
type surfaceRig struct {
	*fixture
	journal *studio.MemoryJournal
	light   *countingLight
	sim     *rehearsal.Sim
	pipe    *danmaku.Pipeline
	srv     *remote.Server
	token   string
	mark    int
}

// newSurfaceRig builds the rig; withUI adds the desk's Fyne UI (for the
// key surface; the others need none).
func newSurfaceRig(t *testing.T, withUI ...bool) *surfaceRig {
	t.Helper()
	lang = "en"
	clk := studio.NewFakeClock(start)
	pipe := danmaku.New(danmaku.Config{Now: clk.Now})
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
	j := studio.NewMemoryJournal()
	desk := studio.New(studio.Config{Clock: clk, Journal: j, Rehearsal: true, Danmaku: pipe, Devices: reg, Presets: book,
		Interact: studio.InteractConfig{Platform: sim}, Logf: func(string, ...any) {}})
	t.Cleanup(desk.Close)
	show := demoShow()
	show.AdjustmentWindows = 2
	// Interactions are defined with the show: the demo show's.
	demo, err := scripts.LoadYAML("demo/show.yaml", assets.DemoShow())
	if err != nil {
		t.Fatal(err)
	}
	show.Coupons, show.Votes = demo.Coupons, demo.Votes
	for _, c := range []studio.Command{studio.LoadShow{Show: show}} { // the demo show defines its coupons and votes
		if err := desk.Do(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	var d *deskUI
	var w fyne.Window
	if len(withUI) == 0 || withUI[0] {
		a := test.NewTempApp(t)
		a.Settings().SetTheme(newDeskTheme())
		w = test.NewWindow(nil)
		t.Cleanup(w.Close)
		d = newDeskUI(a, desk, w, nil, studioEnv{pipe: pipe, reg: reg}, "controller", clk.Now)
		d.runner.skipConfirm = true
		w.Resize(fyne.NewSize(1400, 900))
	}
	srv, err := remote.NewServer(remote.Config{Desk: desk, Addr: "127.0.0.1:0", OSCAddr: "127.0.0.1:0",
		Tokens: remote.NewMemoryTokenStore(), Now: clk.Now, Logf: func(string, ...any) {}, AllowIP: remote.LoopbackOnly})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	code, _ := srv.PairingCode()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := remote.Pair(ctx, srv.Addr(), code, "test", remote.RoleController)
	if err != nil {
		t.Fatal(err)
	}
	return &surfaceRig{fixture: &fixture{ui: d, desk: desk, clk: clk, win: w}, journal: j, light: light,
		sim: sim, pipe: pipe, srv: srv, token: p.Token}
}

func (r *surfaceRig) do(t *testing.T, cmds ...studio.Command) {
	t.Helper()
	for _, c := range cmds {
		if err := r.desk.Do(context.Background(), c); err != nil {
			t.Fatalf("setup %s: %v", c.Name(), err)
		}
	}
}

// fingerprint is what an action did: the show-log records it wrote, the
// device and platform effects, the timer and the feed.
func (r *surfaceRig) fingerprint() string {
	recs := r.journal.Records()[r.mark:]
	var kinds []string
	first := ""
	for i, rec := range recs {
		kinds = append(kinds, rec.Kind)
		if i == 0 {
			b, _ := json.Marshal(rec.Payload)
			first = rec.Kind + " " + string(b)
		}
	}
	sort.Strings(kinds)
	st := r.desk.Snapshot().State(r.clk.Now())
	var ix []string
	for _, v := range r.desk.Interactions().Items {
		ix = append(ix, v.ID+"="+string(v.State))
	}
	return fmt.Sprintf("log[%s] first{%s} timer{started=%v paused=%v ended=%v seg=%d planned=%v windows=%d} light=%d issued=%d ix=%v wall=%d dm_paused=%v q=%d",
		strings.Join(kinds, ","), first, st.Started, st.Paused, st.Ended, st.Segment, st.SegmentPlanned, st.WindowsLeft,
		r.light.count(), r.sim.IssuedCount("coupon-1"), ix, len(r.pipe.Wall()), r.desk.DanmakuPaused(), len(r.pipe.Questions(-1)))
}

type surfaceCase struct {
	action string
	setup  func(t *testing.T, r *surfaceRig)
	// args for HTTP and the data channel; osc are the OSC arguments after
	// the token (ints, floats and numeric strings by turn).
	args func(r *surfaceRig) map[string]any
	osc  func(r *surfaceRig) []any
	// key prepares what the key needs selected.
	key func(t *testing.T, r *surfaceRig)
}

func started(t *testing.T, r *surfaceRig) {
	r.do(t, studio.Start{})
	r.clk.Advance(10 * time.Second)
}

func withLine(t *testing.T, r *surfaceRig) {
	started(t, r)
	r.pipe.Ingest(danmaku.Message{ID: "m1", ViewerID: "v1", ViewerName: "小米", Text: "主播皮肤好好", Time: r.clk.Now()})
	r.pipe.Ingest(danmaku.Message{ID: "m2", ViewerID: "v2", ViewerName: "阿珍", Text: "这个尺码怎么选？", Time: r.clk.Now()})
}

func selectLine(id string) func(*testing.T, *surfaceRig) {
	return func(t *testing.T, r *surfaceRig) {
		p := r.ui.danmaku
		p.refresh()
		for i, it := range p.lines {
			if it.ID == id {
				p.list.Select(i)
				return
			}
		}
		t.Fatalf("line %s not in the pane", id)
	}
}

func selectIx(id string) func(*testing.T, *surfaceRig) {
	return func(t *testing.T, r *surfaceRig) {
		r.ui.refresh()
		for _, v := range r.ui.ix.items {
			if v.ID == id {
				r.ui.ix.selected = id // a click on the card's row
				return
			}
		}
		t.Fatalf("interaction %s not listed", id)
	}
}

func none(*surfaceRig) map[string]any { return nil }
func noOSC(*surfaceRig) []any         { return nil }
func args(kv ...any) func(*surfaceRig) map[string]any {
	return func(*surfaceRig) map[string]any {
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	}
}
func oscArgs(a ...any) func(*surfaceRig) []any { return func(*surfaceRig) []any { return a } }

var surfaceCases = []surfaceCase{
	{action: studio.ActStart},
	{action: studio.ActPause, setup: started},
	{action: studio.ActResume, setup: func(t *testing.T, r *surfaceRig) { started(t, r); r.do(t, studio.Pause{}) }},
	{action: studio.ActTogglePause, setup: started},
	{action: studio.ActNext, setup: started},
	{action: studio.ActPrevious, setup: func(t *testing.T, r *surfaceRig) { started(t, r); r.do(t, studio.Next{}) }},
	{action: studio.ActJump, setup: started, args: args("segment", 3), osc: oscArgs(int32(3)),
		key: func(t *testing.T, r *surfaceRig) { r.ui.controller.selected = 2 }},
	{action: studio.ActExtend, setup: started, args: args("seconds", 30), osc: oscArgs(float32(30))},
	{action: studio.ActShorten, setup: started, args: args("seconds", "30"), osc: oscArgs("30")},
	{action: studio.ActUseWindow, setup: started},
	{action: studio.ActEnd, setup: started},
	{action: studio.ActRewind, setup: func(t *testing.T, r *surfaceRig) { started(t, r); r.do(t, studio.End{}) }},
	{action: studio.ActRecallPreset, setup: started, args: args("preset", 1), osc: oscArgs(int32(1))},
	{action: studio.ActFireCoupon, setup: func(t *testing.T, r *surfaceRig) { started(t, r); r.do(t, studio.ArmInteraction{ID: "coupon-1"}) },
		args: args("id", "coupon-1"), osc: oscArgs("coupon-1")},
	{action: studio.ActStartVote, setup: func(t *testing.T, r *surfaceRig) { started(t, r); r.do(t, studio.ArmInteraction{ID: "vote-1"}) }},
	{action: studio.ActEndVote, setup: func(t *testing.T, r *surfaceRig) {
		started(t, r)
		r.do(t, studio.ArmInteraction{ID: "vote-1"}, studio.StartVote{ID: "vote-1"})
	}, args: args("id", "vote-1"), osc: oscArgs("vote-1")},
	{action: studio.ActCancelInteraction, setup: started, args: args("id", "coupon-1"), osc: oscArgs("coupon-1"), key: selectIx("coupon-1")},
	{action: studio.ActPin, setup: withLine, args: args("id", "m1"), osc: oscArgs("m1"), key: selectLine("m1")},
	{action: studio.ActHide, setup: withLine, args: args("id", "m1"), osc: oscArgs("m1"), key: selectLine("m1")},
	{action: studio.ActBlock, setup: withLine, args: args("id", "m1"), osc: oscArgs("m1"), key: selectLine("m1")},
	{action: studio.ActAnswerQuestion, setup: withLine,
		args: func(r *surfaceRig) map[string]any { return map[string]any{"id": r.pipe.Questions(1)[0].ID} },
		osc:  func(r *surfaceRig) []any { return []any{r.pipe.Questions(1)[0].ID} },
		key:  func(t *testing.T, r *surfaceRig) { r.ui.danmaku.refresh() }},
	{action: studio.ActPauseDanmaku, setup: withLine, args: args("paused", true), osc: oscArgs(int32(1))},
	// A follower of another desk (hot standby) takes over: the show is
	// loaded again as at a restart, and commands are accepted again.
	{action: studio.ActTakeOver, setup: func(t *testing.T, r *surfaceRig) {
		started(t, r)
		r.desk.SetTakeover(func() error {
			if err := r.desk.Promote(r.journal, r.desk.Snapshot().Show, nil); err != nil {
				return err
			}
			r.desk.Lead()
			return nil
		})
		r.desk.Follow("desk-b", studio.FollowJournal{J: r.journal})
	}},
}

// confirmArgs adds confirm=true for an action that needs it.
func confirmArgs(action string, m map[string]any) map[string]any {
	a, _ := studio.LookupAction(action)
	if a.Confirm == studio.ConfirmNone {
		return m
	}
	out := map[string]any{remote.ArgConfirm: true}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (r *surfaceRig) pressKey(t *testing.T, action string) {
	if action == studio.ActRecallPreset {
		r.key(fyne.Key1)
		return
	}
	b, ok := binding(action)
	if !ok {
		t.Fatalf("%s has no key", action)
	}
	if b.ctrl {
		r.ui.liveAction(action) // what the registered Ctrl shortcut runs
		return
	}
	r.key(b.keys[0])
}

func (r *surfaceRig) postAPI(t *testing.T, action string, body map[string]any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, "http://"+r.srv.Addr()+"/api/v1/"+action, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+r.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// sendOSC sends a message built by the OSC library and returns the
// reply's status, message and code.
func (r *surfaceRig) sendOSC(t *testing.T, address string, a ...any) (string, string, string) {
	t.Helper()
	conn, err := net.Dial("udp", r.srv.OSCAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	b, err := osc.NewMessage(address, append([]any{r.token}, a...)...).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write(b); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatalf("%s: no reply: %v", address, err)
	}
	p, err := osc.ParsePacket(string(buf[:n]))
	m, ok := p.(*osc.Message)
	if err != nil || !ok || len(m.Arguments) != 4 {
		t.Fatalf("%s: reply %v %v", address, p, err)
	}
	return m.Arguments[1].(string), m.Arguments[2].(string), m.Arguments[3].(string)
}

func (r *surfaceRig) dialRemote(t *testing.T) *remote.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := remote.Dial(ctx, r.srv.Addr(), r.token, remote.WithAllowIP(remote.LoopbackOnly), remote.WithLogf(func(string, ...any) {}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// settle waits until the fingerprint stops changing (recalls and the
// platform's acknowledgements finish in the background).
func (r *surfaceRig) settle() string {
	last := r.fingerprint()
	for range 40 {
		time.Sleep(25 * time.Millisecond)
		now := r.fingerprint()
		if now == last {
			return now
		}
		last = now
	}
	return last
}

// Every catalogue action is reachable from a key, the data channel, HTTP
// and OSC, and does the same thing from each.
func TestEveryActionSameFromEverySurface(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range surfaceCases {
		covered[tc.action] = true
		t.Run(tc.action, func(t *testing.T) {
			results := map[string]string{}
			for _, surface := range []string{"key", "datachannel", "http", "osc"} {
				r := newSurfaceRig(t, surface == "key")
				if tc.setup != nil {
					tc.setup(t, r)
				}
				if r.ui != nil {
					r.ui.refresh()
				}
				argsOf := none
				if tc.args != nil {
					argsOf = tc.args
				}
				oscOf := noOSC
				if tc.osc != nil {
					oscOf = tc.osc
				}
				r.settle()
				r.mark = len(r.journal.Records())
				before := r.fingerprint()
				switch surface {
				case "key":
					if tc.key != nil {
						tc.key(t, r)
					}
					r.pressKey(t, tc.action)
				case "datachannel":
					c := r.dialRemote(t)
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					err := c.Do(ctx, tc.action, confirmArgs(tc.action, argsOf(r)))
					cancel()
					if err != nil {
						t.Fatalf("datachannel: %v", err)
					}
				case "http":
					if st, out := r.postAPI(t, tc.action, confirmArgs(tc.action, argsOf(r))); st != http.StatusOK {
						t.Fatalf("http: %d %v", st, out)
					}
				case "osc":
					a := oscOf(r)
					if ca, _ := studio.LookupAction(tc.action); ca.Confirm != studio.ConfirmNone {
						a = append(a, "confirm=true")
					}
					if st, msg, code := r.sendOSC(t, "/studiodesk/"+tc.action, a...); st != "ok" {
						t.Fatalf("osc: %s %s %s", st, msg, code)
					}
				}
				results[surface] = r.settle()
				if results[surface] == before {
					t.Fatalf("%s: %s changed nothing: %s", surface, tc.action, results[surface])
				}
			}
			for _, s := range []string{"datachannel", "http", "osc"} {
				if results[s] != results["key"] {
					t.Errorf("%s differs from the key:\n key: %s\n %s: %s", s, results["key"], s, results[s])
				}
			}
		})
	}
	for _, a := range studio.Actions() {
		if !covered[a.Name] {
			t.Errorf("action %s not exercised", a.Name)
		}
	}
}

// Unknown actions and bad arguments get the same error on every surface:
// the desk's own dispatch (keys, buttons), the data channel, HTTP and OSC.
func TestBadActionsSameErrorEverywhere(t *testing.T) {
	r := newSurfaceRig(t)
	started(t, r)
	var reported error
	r.ui.runner.report = func(err error) {
		if err != nil {
			reported = err
		}
	}
	c := r.dialRemote(t)
	for _, tc := range []struct {
		action, code string
		args         map[string]any
		osc          []any
	}{
		{"explode", "unknown_action", nil, nil},
		{studio.ActJump, "bad_request", map[string]any{"segment": "abc"}, []any{"abc"}},
		{studio.ActJump, "bad_request", map[string]any{"segment": 0}, []any{int32(0)}},
		{studio.ActJump, "bad_request", map[string]any{"segment": 2.5}, []any{float32(2.5)}},
		{studio.ActJump, "bad_request", map[string]any{"segment": 9}, []any{"9"}},
		{studio.ActJump, "bad_request", nil, nil},
		{studio.ActExtend, "bad_request", map[string]any{"seconds": -5}, []any{int32(-5)}},
		{studio.ActRecallPreset, "bad_request", map[string]any{"preset": "nope"}, []any{"nope"}},
		{studio.ActPin, "bad_request", map[string]any{"idd": "m1"}, []any{"idd=m1"}},
		{studio.ActStart, "bad_request", map[string]any{"x": 1}, []any{"x=1"}},
	} {
		name := fmt.Sprintf("%s %v", tc.action, tc.args)
		reported = nil
		r.ui.runner.action(tc.action, tc.args)
		if reported == nil {
			t.Fatalf("%s: the desk accepted it", name)
		}
		// The desk says what kind of error it is in the user's language,
		// then the catalogue's message every surface returns.
		_, want, _ := strings.Cut(reported.Error(), "：")
		st, out := r.postAPI(t, tc.action, tc.args)
		if out["error"] != want || out["code"] != tc.code || st < 400 {
			t.Errorf("%s: http %d %v, want %q (%s)", name, st, out, want, tc.code)
		}
		err := c.Do(context.Background(), tc.action, tc.args)
		// The client checks arguments before sending (and the desk the
		// rest, whose answer it wraps); send raw too.
		var ce *remote.CommandError
		if errors.As(err, &ce) {
			err = errors.New(ce.Msg)
		}
		if err == nil || err.Error() != want {
			t.Errorf("%s: client %v, want %q", name, err, want)
		}
		ack := rawCommand(t, c, tc.action, tc.args)
		if ack.Error != want || ack.Code != tc.code {
			t.Errorf("%s: data channel %+v, want %q (%s)", name, ack, want, tc.code)
		}
		if s, msg, code := r.sendOSC(t, "/studiodesk/"+tc.action, tc.osc...); s != "error" || code != tc.code || msg != want {
			t.Errorf("%s: osc %s %q %s, want %q (%s)", name, s, msg, code, want, tc.code)
		}
	}
	if st := r.desk.Snapshot().State(r.clk.Now()); st.Segment != 0 || st.SegmentPlanned != 2*time.Minute {
		t.Fatalf("bad requests moved the desk: %+v", st)
	}
}

// rawCommand sends a command on the data channel without the client's own
// argument check, and returns the desk's acknowledgement.
func rawCommand(t *testing.T, c *remote.Client, action string, args map[string]any) remote.AckMsg {
	t.Helper()
	ack, err := c.SendRaw(context.Background(), remote.CommandMsg{ID: fmt.Sprintf("raw-%d", time.Now().UnixNano()), Action: action, Args: args})
	if err != nil {
		t.Fatalf("raw %s: %v", action, err)
	}
	return ack
}
