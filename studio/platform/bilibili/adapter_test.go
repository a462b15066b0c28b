package bilibili

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"studiodesk/studio/platform"
	"studiodesk/studio/platform/bilibili/bilitest"
)

// eventually is generous: the suite must pass on a loaded 2-core machine.
const eventually = 10 * time.Second

type harness struct {
	t      *testing.T
	srv    *bilitest.Server
	a      *Adapter
	events chan platform.Event
	states chan platform.LinkState
	cancel context.CancelFunc
	done   chan error
}

func newHarness(t *testing.T, opts bilitest.Options) *harness {
	t.Helper()
	srv := bilitest.New(opts)
	t.Cleanup(srv.Close)
	o := srv.Options()
	a, err := New(Config{
		APIBase: srv.URL, AppID: o.AppID, AccessKeyID: o.AccessKeyID, AccessKeySecret: o.AccessKeySecret,
		IdentityCode:     o.Code,
		HeartbeatEvery:   40 * time.Millisecond,
		WSHeartbeatEvery: 25 * time.Millisecond,
		BackoffMin:       10 * time.Millisecond,
		BackoffMax:       100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{
		t: t, srv: srv, a: a,
		events: make(chan platform.Event, 1000),
		states: make(chan platform.LinkState, 1000),
		done:   make(chan error, 1),
	}
	a.OnState(func(s platform.LinkState) {
		select {
		case h.states <- s:
		default:
		}
	})
	return h
}

func (h *harness) run() {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- h.a.Run(ctx, func(ev platform.Event) { h.events <- ev }) }()
	h.t.Cleanup(func() {
		cancel()
		select {
		case <-h.done:
		case <-time.After(eventually):
			h.t.Error("Run did not return")
		}
	})
}

func (h *harness) waitFor(what string, cond func(bilitest.Stats) bool) {
	h.t.Helper()
	if !h.srv.WaitFor(eventually, cond) {
		h.t.Fatalf("timed out waiting for %s; server %+v; adapter %+v", what, h.srv.Stats(), h.a.State())
	}
}

func (h *harness) push(frame []byte) {
	h.t.Helper()
	if err := h.srv.Push(frame); err != nil {
		h.t.Fatal(err)
	}
}

// expect reads the next events and checks their texts.
func (h *harness) expect(texts ...string) []platform.Event {
	h.t.Helper()
	var got []platform.Event
	for len(got) < len(texts) {
		select {
		case ev := <-h.events:
			if ev.Kind == platform.KindViewers {
				continue
			}
			got = append(got, ev)
		case <-time.After(eventually):
			h.t.Fatalf("timed out after %d events, want %q", len(got), texts)
		}
	}
	for i, ev := range got {
		if ev.Text != texts[i] {
			var seen []string
			for _, e := range got {
				seen = append(seen, e.Text)
			}
			h.t.Fatalf("events %q, want %q", seen, texts)
		}
	}
	return got
}

func dm(n int) []byte {
	return bilitest.Message(CmdDanmaku+":x", bilitest.DM(
		fmt.Sprintf("open-%d", n%3), fmt.Sprintf("观众%d", n%3), fmt.Sprint(n), fmt.Sprintf("msg-%d", n), 1700000000+int64(n)))
}

func TestRunEndToEnd(t *testing.T) {
	h := newHarness(t, bilitest.Options{
		// The first link refuses connections: the adapter must fall
		// through to the next one.
		LinksBefore: []string{"ws://127.0.0.1:1/sub"},
		Popularity:  4321,
	})
	h.run()
	h.waitFor("first connection", func(s bilitest.Stats) bool { return s.Auths == 1 && s.Connected })

	// Plain, zlib, brotli, several packets per frame, nested.
	h.push(dm(1))
	h.push(bilitest.Zlib(dm(2), dm(3)))
	h.push(bilitest.Brotli(dm(4), dm(5), dm(6)))
	h.push(bilitest.Join(dm(7), bilitest.Brotli(dm(8), bilitest.Zlib(dm(9))), dm(10)))
	evs := h.expect("1", "2", "3", "4", "5", "6", "7", "8", "9", "10")
	for i, ev := range evs {
		if ev.Kind != platform.KindDanmaku || ev.ID != fmt.Sprintf("msg-%d", i+1) ||
			!ev.Time.Equal(time.Unix(1700000000+int64(i+1), 0)) || ev.ViewerID != fmt.Sprintf("open-%d", (i+1)%3) {
			t.Fatalf("event %d: %+v", i, ev)
		}
		if i > 0 && ev.Seq <= evs[i-1].Seq {
			t.Fatalf("Seq not increasing: %d then %d", evs[i-1].Seq, ev.Seq)
		}
	}
	if st := h.a.State(); st.Status != platform.Connected || st.LastError != "" {
		t.Fatalf("state %+v", st)
	}

	// Unknown commands are counted and skipped; a bad frame is skipped
	// without dropping the link.
	h.push(bilitest.Message("LIVE_OPEN_PLATFORM_SOMETHING_NEW:2", map[string]any{"a": 1}))
	h.push([]byte{0, 0, 0, 99, 0, 16, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0})
	h.push(dm(11))
	h.expect("11")
	s := h.a.Stats()
	if s.UnknownTotal != 1 || s.Unknown["LIVE_OPEN_PLATFORM_SOMETHING_NEW"] != 1 || s.BadFrames != 1 ||
		!strings.Contains(s.LastDecodeError, "packet length 99, only 16 bytes left") {
		t.Fatalf("stats %+v", s)
	}
	if h.srv.Stats().Auths != 1 {
		t.Fatal("bad frame caused a reconnect")
	}

	// Heartbeats: WebSocket op 2 every 25 ms, app heartbeat every 40 ms;
	// the server's popularity reply becomes a viewers event.
	h.waitFor("heartbeats", func(s bilitest.Stats) bool { return s.WSHeartbeats >= 3 && s.AppHeartbeats >= 2 })
	if !waitCond(func() bool { return h.a.Stats().Popularity == 4321 }) {
		t.Fatalf("popularity %d", h.a.Stats().Popularity)
	}

	// Drop: reconnect to the same game, events keep flowing in order.
	h.srv.Drop()
	h.waitFor("reconnect", func(s bilitest.Stats) bool { return s.Auths == 2 && s.Connected })
	if st := h.srv.Stats(); st.Starts != 1 {
		t.Fatalf("a dropped socket re-started the game: %+v", st)
	}
	h.push(bilitest.Brotli(dm(12), dm(13)))
	evs = h.expect("12", "13")
	if evs[0].Seq <= 11 {
		t.Fatalf("Seq restarted after reconnect: %d", evs[0].Seq)
	}

	// The platform closes the game (7003 on app heartbeat): start again.
	h.srv.EndGame()
	h.waitFor("new game after 7003", func(s bilitest.Stats) bool { return s.Starts == 2 && s.Auths == 3 && s.Connected })
	h.push(dm(14))
	h.expect("14")

	// INTERACTION_END for another game is ignored; for ours, start again.
	h.push(bilitest.Message(CmdInteractionEnd, map[string]any{"game_id": "game-0001", "timestamp": 1}))
	h.push(dm(15))
	h.expect("15")
	h.push(bilitest.Message(CmdInteractionEnd, map[string]any{"game_id": "game-0002", "timestamp": 1}))
	h.waitFor("new game after INTERACTION_END", func(s bilitest.Stats) bool { return s.Starts == 3 && s.Auths == 4 && s.Connected })
	h.push(dm(16))
	h.expect("16")
	if st := h.a.State(); st.Reconnects != 3 || st.Status != platform.Connected {
		t.Fatalf("state %+v", st)
	}
	if an := h.a.Anchor(); an.GameID != "game-0003" || an.RoomID != 21452505 || an.Uname != "测试主播" {
		t.Fatalf("anchor %+v", an)
	}

	// Stop: Run returns ctx's error and ends the game.
	h.cancel()
	select {
	case err := <-h.done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run returned %v", err)
		}
		h.done <- err // for the cleanup
	case <-time.After(eventually):
		t.Fatal("Run did not return after cancel")
	}
	st := h.srv.Stats()
	if len(st.Ends) != 1 || st.Ends[0] != "game-0003" {
		t.Fatalf("ends %q, want [game-0003]", st.Ends)
	}
	if len(st.Problems) != 0 {
		t.Fatalf("server saw protocol problems: %q", st.Problems)
	}
	if s := h.a.State(); s.Status != platform.Down {
		t.Fatalf("state after Run %+v", s)
	}

	// The link went through connecting → connected → down → ... → down.
	var seq []string
	for len(h.states) > 0 {
		seq = append(seq, (<-h.states).Status.String())
	}
	joined := strings.Join(seq, ",")
	if !strings.HasPrefix(joined, "connecting,connected,down,connecting,connected") || !strings.HasSuffix(joined, "connected,down") {
		t.Fatalf("state changes %s", joined)
	}
}

func waitCond(f func() bool) bool {
	deadline := time.Now().Add(eventually)
	for !f() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

func TestRunAuthRejectedStartsAgain(t *testing.T) {
	h := newHarness(t, bilitest.Options{})
	h.srv.RejectAuths(1)
	h.run()
	h.waitFor("second game", func(s bilitest.Stats) bool { return s.Starts == 2 && s.Auths == 1 && s.Connected })
	st := h.srv.Stats()
	// The abandoned game is ended on the platform.
	if len(st.Ends) != 1 || st.Ends[0] != "game-0001" {
		t.Fatalf("ends %q", st.Ends)
	}
	h.push(dm(1))
	h.expect("1")
}

func TestRunUnreachableLinksStartAgain(t *testing.T) {
	h := newHarness(t, bilitest.Options{})
	h.srv.BreakLinks(1)
	h.run()
	h.waitFor("second game", func(s bilitest.Stats) bool { return s.Starts == 2 && s.Auths == 1 && s.Connected })
	if st := h.srv.Stats(); len(st.Ends) != 1 || st.Ends[0] != "game-0001" {
		t.Fatalf("ends %q", st.Ends)
	}
	h.push(dm(1))
	h.expect("1")
}

func TestRunAuthTimeout(t *testing.T) {
	h := newHarness(t, bilitest.Options{})
	h.a.cfg.AuthTimeout = 200 * time.Millisecond
	h.srv.MuteAuths(1)
	h.run()
	h.waitFor("connection after a silent auth", func(s bilitest.Stats) bool { return s.Auths == 1 && s.Connected })
	var sawTimeout bool
	for len(h.states) > 0 {
		if s := <-h.states; s.Status == platform.Down && strings.Contains(s.LastError, "waiting for auth reply") {
			sawTimeout = true
		}
	}
	if !sawTimeout {
		t.Fatal("no Down state naming the auth timeout")
	}
	// Same game: a silent server is not a rejection.
	if st := h.srv.Stats(); st.Starts != 1 {
		t.Fatalf("server %+v", st)
	}
	h.push(dm(1))
	h.expect("1")
}

func TestRunStartFailureReportsDown(t *testing.T) {
	srv := bilitest.New(bilitest.Options{})
	defer srv.Close()
	o := srv.Options()
	a, err := New(Config{
		APIBase: srv.URL, AppID: o.AppID, AccessKeyID: o.AccessKeyID, AccessKeySecret: o.AccessKeySecret,
		IdentityCode: "WRONG", BackoffMin: 10 * time.Millisecond, BackoffMax: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var last platform.LinkState
	a.OnState(func(s platform.LinkState) { mu.Lock(); last = s; mu.Unlock() })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, func(platform.Event) {}) }()
	ok := waitCond(func() bool {
		s := a.State()
		return s.Status == platform.Down && strings.Contains(s.LastError, "bilibili: /v2/app/start: code 7007")
	})
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v", err)
	}
	if !ok {
		t.Fatalf("state %+v", a.State())
	}
	mu.Lock()
	defer mu.Unlock()
	if last.Status != platform.Down {
		t.Fatalf("last state seen by OnState %+v", last)
	}
	if st := srv.Stats(); len(st.Ends) != 0 || st.Starts != 0 {
		t.Fatalf("server %+v", st)
	}
}

func TestRunTwiceAndSend(t *testing.T) {
	h := newHarness(t, bilitest.Options{})
	h.run()
	h.waitFor("connection", func(s bilitest.Stats) bool { return s.Connected })
	err := h.a.Run(context.Background(), func(platform.Event) {})
	if !errors.Is(err, platform.ErrRunning) {
		t.Fatalf("second Run: %v", err)
	}
	ack, err := h.a.Send(context.Background(), platform.Command{Key: "k1", Kind: platform.CmdCouponIssue})
	if !errors.Is(err, platform.ErrUnsupported) || err.Error() != "bilibili: coupon.issue: not supported on bilibili" || ack.OK || ack.Key != "k1" {
		t.Fatalf("Send: %+v %v", ack, err)
	}
	if c := h.a.Capabilities(); !c.Danmaku || c.Coupons || c.Votes || c.PlatformPolls {
		t.Fatalf("capabilities %+v", c)
	}
	if h.a.Name() != "bilibili" {
		t.Fatal(h.a.Name())
	}
}

func TestNewValidates(t *testing.T) {
	for _, c := range []Config{
		{AccessKeyID: "k", AccessKeySecret: "s", IdentityCode: "c"},
		{AppID: 1, AccessKeySecret: "s", IdentityCode: "c"},
		{AppID: 1, AccessKeyID: "k", AccessKeySecret: "s"},
	} {
		if _, err := New(c); err == nil || !strings.HasPrefix(err.Error(), "bilibili: config: ") {
			t.Errorf("%+v: %v", c, err)
		}
	}
}
