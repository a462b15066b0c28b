package bridge_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"studiodesk/studio/platform"
	"studiodesk/studio/platform/bridge"
	"studiodesk/studio/platform/bridge/bridgetest"
)

const wait = 15 * time.Second // generous: CI machines are slow under -race

// recorder is a sink that keeps what it got.
type recorder struct {
	mu  sync.Mutex
	evs []platform.Event
}

func (r *recorder) sink(ev platform.Event) {
	r.mu.Lock()
	r.evs = append(r.evs, ev)
	r.mu.Unlock()
}

func (r *recorder) snapshot() []platform.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]platform.Event(nil), r.evs...)
}

func (r *recorder) waitLen(t *testing.T, n int) []platform.Event {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		evs := r.snapshot()
		if len(evs) >= n {
			return evs
		}
		if time.Now().After(deadline) {
			t.Fatalf("sink got %d events, want %d", len(evs), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type harness struct {
	srv  *bridgetest.Server
	a    *bridge.Adapter
	rec  *recorder
	stop func() error
}

func start(t *testing.T, opts bridgetest.Options, cfg bridge.Config) *harness {
	t.Helper()
	srv := bridgetest.New(opts)
	t.Cleanup(srv.Close)
	cfg.URL = srv.WSURL()
	if cfg.Token == "" {
		cfg.Token = srv.Options().Token
	}
	if cfg.BackoffMin == 0 {
		cfg.BackoffMin, cfg.BackoffMax = 10*time.Millisecond, 50*time.Millisecond
	}
	if cfg.AckEvery == 0 {
		cfg.AckEvery = 100 * time.Millisecond
	}
	a, err := bridge.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{srv: srv, a: a, rec: &recorder{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, h.rec.sink) }()
	var once sync.Once
	var runErr error
	h.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case runErr = <-done:
			case <-time.After(wait):
				runErr = errors.New("Run did not return")
			}
		})
		return runErr
	}
	t.Cleanup(func() { _ = h.stop() })
	return h
}

func (h *harness) waitConnected(t *testing.T, connects int) {
	t.Helper()
	eventually(t, fmt.Sprintf("connection #%d", connects), func() bool {
		return h.a.State().Status == platform.Connected && h.a.Stats().Connects >= uint64(connects)
	})
}

func danmaku(i int) platform.Event {
	return platform.Event{Kind: platform.KindDanmaku, Time: time.Date(2025, 6, 18, 20, 0, 0, i, time.UTC),
		ViewerID: fmt.Sprintf("dy_%d", i%97), Text: fmt.Sprintf("第%d条 这个尺码怎么选", i), ID: fmt.Sprint(i)}
}

func TestConfig(t *testing.T) {
	for _, cfg := range []bridge.Config{
		{}, {URL: "http://x/desk", Token: "t"}, {URL: "ws://x/desk"}, {URL: "ws:///x", Token: "t"}, {URL: "::", Token: "t"},
	} {
		if _, err := bridge.New(cfg); err == nil {
			t.Errorf("%+v accepted", cfg)
		}
	}
}

func TestAuthAndEventsInOrder(t *testing.T) {
	h := start(t, bridgetest.Options{Platform: "kuaishou"}, bridge.Config{})
	h.waitConnected(t, 1)
	if h.a.Name() != "kuaishou" || !h.a.Capabilities().Coupons {
		t.Fatalf("name %q caps %+v", h.a.Name(), h.a.Capabilities())
	}
	for i := 1; i <= 300; i++ {
		h.srv.Push(danmaku(i))
	}
	h.srv.Push(platform.Event{Kind: platform.KindViewers, Count: 12840}) // no time: stamped on arrival
	evs := h.rec.waitLen(t, 301)
	for i, ev := range evs[:300] {
		if ev.Seq != uint64(i+1) || ev.Text != danmaku(i+1).Text || !ev.Time.Equal(danmaku(i+1).Time) {
			t.Fatalf("event %d: %+v", i, ev)
		}
	}
	if ev := evs[300]; ev.Kind != platform.KindViewers || ev.Count != 12840 || ev.Time.IsZero() {
		t.Fatalf("viewers event %+v", ev)
	}
	if !h.srv.WaitFor(wait, func(s bridgetest.Stats) bool { return s.Acked == 301 }) {
		t.Fatalf("desk acked %d of 301", h.srv.Stats().Acked)
	}
	if st := h.srv.Stats(); st.ResumeFrom[0] != 0 || len(st.Problems) > 0 {
		t.Fatalf("server stats %+v", st)
	}
	if err := h.stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v", err)
	}
	if h.a.State().Status != platform.Down {
		t.Fatalf("state after Run: %+v", h.a.State())
	}
}

func TestBadToken(t *testing.T) {
	h := start(t, bridgetest.Options{}, bridge.Config{Token: "wrong"})
	if !h.srv.WaitFor(wait, func(s bridgetest.Stats) bool { return s.AuthFailures >= 1 }) {
		t.Fatal("no hello reached the bridge")
	}
	eventually(t, "auth error", func() bool { return errors.Is(h.a.Err(), bridge.ErrAuth) })
	if st := h.a.State(); st.Status == platform.Connected || !strings.Contains(st.LastError, "bad token") {
		t.Fatalf("state %+v", st)
	}
	if h.srv.Stats().Connects != 0 {
		t.Fatal("bridge accepted a bad token")
	}
}

// TestResumeAfterDrop: the link drops mid-stream; after the reconnect the
// sink has every event exactly once, in order.
func TestResumeAfterDrop(t *testing.T) {
	h := start(t, bridgetest.Options{}, bridge.Config{})
	h.waitConnected(t, 1)
	h.srv.DropAfter(500)
	for i := 1; i <= 1000; i++ {
		h.srv.Push(danmaku(i))
	}
	h.rec.waitLen(t, 1000)
	time.Sleep(50 * time.Millisecond) // anything extra would show up now
	evs := h.rec.snapshot()
	if len(evs) != 1000 {
		t.Fatalf("sink got %d events, want 1000", len(evs))
	}
	for i, ev := range evs {
		if ev.Seq != uint64(i+1) || ev.ID != fmt.Sprint(i+1) {
			t.Fatalf("event %d has seq %d id %s", i, ev.Seq, ev.ID)
		}
	}
	st := h.srv.Stats()
	if st.Connects != 2 || len(st.ResumeFrom) != 2 || st.ResumeFrom[1] == 0 || st.ResumeFrom[1] > 500 {
		t.Fatalf("server: %d connects, resume_from %v", st.Connects, st.ResumeFrom)
	}
	if h.a.State().Reconnects != 1 {
		t.Fatalf("state %+v", h.a.State())
	}
}

// TestResumeDropsRepeats: a bridge that re-sends too much on resume does
// not make the desk process anything twice.
func TestResumeDropsRepeats(t *testing.T) {
	// No progress acks, so the bridge still holds what it re-sends.
	h := start(t, bridgetest.Options{}, bridge.Config{AckEvery: time.Hour})
	h.waitConnected(t, 1)
	for i := 1; i <= 100; i++ {
		h.srv.Push(danmaku(i))
	}
	h.rec.waitLen(t, 100)
	h.srv.RewindNextResume(40)
	h.srv.Drop()
	h.waitConnected(t, 2)
	for i := 101; i <= 150; i++ {
		h.srv.Push(danmaku(i))
	}
	h.rec.waitLen(t, 150)
	time.Sleep(50 * time.Millisecond)
	evs := h.rec.snapshot()
	if len(evs) != 150 {
		t.Fatalf("sink got %d events, want 150", len(evs))
	}
	for i, ev := range evs {
		if ev.Seq != uint64(i+1) {
			t.Fatalf("event %d has seq %d", i, ev.Seq)
		}
	}
	if d := h.a.Stats().Duplicates; d != 40 {
		t.Fatalf("%d repeats dropped, want 40", d)
	}
}

func cmd(key, kind string, payload any) platform.Command {
	b, _ := json.Marshal(payload)
	return platform.Command{Key: key, Kind: kind, Payload: b}
}

func TestCommand(t *testing.T) {
	h := start(t, bridgetest.Options{Capabilities: &platform.Capabilities{Danmaku: true, Coupons: true}}, bridge.Config{})
	h.waitConnected(t, 1)
	ctx := context.Background()
	c := cmd("show-42/cue-7/coupon", platform.CmdCouponIssue,
		map[string]any{"id": "cpn-20off", "name": "满199减20", "stock": 500, "per_viewer_limit": 1, "window_seconds": 180})
	a, err := h.a.Send(ctx, c)
	if err != nil || !a.OK || a.Duplicate || a.Key != c.Key || !strings.Contains(string(a.Result), "cpn-20off") {
		t.Fatalf("ack %+v, err %v", a, err)
	}
	a2, err := h.a.Send(ctx, c)
	if err != nil || !a2.OK || !a2.Duplicate || string(a2.Result) != string(a.Result) {
		t.Fatalf("second ack %+v, err %v", a2, err)
	}
	if n := h.srv.IssuedCount("cpn-20off"); n != 1 {
		t.Fatalf("issued %d times", n)
	}
	// Refused by the bridge: an Ack, not an error.
	a, err = h.a.Send(ctx, cmd("bad", platform.CmdCouponIssue, map[string]any{"id": "x"}))
	if err != nil || a.OK || !strings.Contains(string(a.Result), `"invalid"`) {
		t.Fatalf("bad coupon: %+v, %v", a, err)
	}
	// Votes are not in this bridge's capabilities: refused locally.
	if _, err := h.a.Send(ctx, cmd("v", platform.CmdVoteStart, map[string]any{"id": "v", "options": 2})); !errors.Is(err, platform.ErrUnsupported) {
		t.Fatalf("vote on a bridge without votes: %v", err)
	}
	// Unknown kinds go to the bridge, which says unsupported.
	a, err = h.a.Send(ctx, cmd("p", "product.push", map[string]any{"id": "p1"}))
	if !errors.Is(err, platform.ErrUnsupported) || a.OK {
		t.Fatalf("unknown kind: %+v, %v", a, err)
	}
	if _, err := h.a.Send(ctx, platform.Command{Kind: platform.CmdCouponIssue}); err == nil {
		t.Fatal("empty key accepted")
	}
	if _, err := h.a.Send(ctx, platform.Command{Key: "j", Kind: platform.CmdCouponIssue, Payload: json.RawMessage("{")}); err == nil {
		t.Fatal("bad JSON payload accepted")
	}
}

// TestLostResult: the bridge acts on a command, the link drops before the
// result; the desk re-sends the same key after reconnecting and the bridge
// answers duplicate without acting again.
func TestLostResult(t *testing.T) {
	h := start(t, bridgetest.Options{}, bridge.Config{})
	h.waitConnected(t, 1)
	ctx := context.Background()
	c := cmd("k-1", platform.CmdCouponIssue, map[string]any{"id": "cpn", "stock": 10})
	h.srv.LoseNextResult()
	if _, err := h.a.Send(ctx, c); !errors.Is(err, bridge.ErrDisconnected) {
		t.Fatalf("want ErrDisconnected, got %v", err)
	}
	if h.srv.Issuances("k-1") != 1 {
		t.Fatal("the bridge did not act")
	}
	h.waitConnected(t, 2)
	a, err := h.a.Send(ctx, c)
	if err != nil || !a.OK || !a.Duplicate {
		t.Fatalf("re-send: %+v, %v", a, err)
	}
	if h.srv.Issuances("k-1") != 1 || h.srv.IssuedCount("cpn") != 1 {
		t.Fatalf("issuances %d, issued %d", h.srv.Issuances("k-1"), h.srv.IssuedCount("cpn"))
	}
}

func TestSendDisconnected(t *testing.T) {
	a, err := bridge.New(bridge.Config{URL: "ws://127.0.0.1:1/desk", Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Send(context.Background(), cmd("k", platform.CmdCouponIssue, map[string]any{"id": "c", "stock": 1}))
	if !errors.Is(err, bridge.ErrDisconnected) {
		t.Fatalf("want ErrDisconnected, got %v", err)
	}

	// And while a running adapter is between connections.
	h := start(t, bridgetest.Options{}, bridge.Config{BackoffMin: 2 * time.Second, BackoffMax: 2 * time.Second})
	h.waitConnected(t, 1)
	h.srv.Drop()
	eventually(t, "link down", func() bool { return h.a.State().Status != platform.Connected })
	if _, err := h.a.Send(context.Background(), cmd("k", platform.CmdCouponIssue, map[string]any{"id": "c", "stock": 1})); !errors.Is(err, bridge.ErrDisconnected) {
		t.Fatalf("want ErrDisconnected, got %v", err)
	}
	if h.srv.Issuances("k") != 0 {
		t.Fatal("command reached the bridge")
	}
}

func TestSendContext(t *testing.T) {
	h := start(t, bridgetest.Options{}, bridge.Config{})
	h.waitConnected(t, 1)
	h.srv.Stall() // the result will never come
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := h.a.Send(ctx, cmd("k", platform.CmdVoteEnd, map[string]any{"id": "v"})); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want deadline exceeded, got %v", err)
	}
}

// TestHeartbeat: both sides ping; a bridge that goes silent is dropped and
// re-dialled.
func TestHeartbeat(t *testing.T) {
	h := start(t, bridgetest.Options{PingEvery: 50 * time.Millisecond},
		bridge.Config{PingEvery: 50 * time.Millisecond, Timeout: time.Second})
	h.waitConnected(t, 1)
	if !h.srv.WaitFor(wait, func(s bridgetest.Stats) bool { return s.Pings >= 2 && s.Pongs >= 2 }) {
		t.Fatalf("heartbeats: %+v", h.srv.Stats())
	}
	// Quiet but alive: no reconnect over several timeouts.
	time.Sleep(2500 * time.Millisecond)
	if n := h.a.Stats().Connects; n != 1 {
		t.Fatalf("%d connects on a healthy idle link", n)
	}
	var mu sync.Mutex
	var reasons []string
	h.a.OnState(func(st platform.LinkState) {
		mu.Lock()
		reasons = append(reasons, st.LastError)
		mu.Unlock()
	})
	h.srv.Stall()
	h.waitConnected(t, 2)
	mu.Lock()
	joined := strings.Join(reasons, "|")
	mu.Unlock()
	if !strings.Contains(joined, "nothing heard for 1s") || h.a.State().Reconnects != 1 {
		t.Fatalf("state %+v, errors %q", h.a.State(), joined)
	}
	h.srv.Push(danmaku(1))
	if evs := h.rec.waitLen(t, 1); evs[0].Seq != 1 {
		t.Fatalf("after reconnect: %+v", evs[0])
	}
}

func TestRunTwice(t *testing.T) {
	h := start(t, bridgetest.Options{}, bridge.Config{})
	h.waitConnected(t, 1)
	if err := h.a.Run(context.Background(), func(platform.Event) {}); !errors.Is(err, platform.ErrRunning) {
		t.Fatalf("second Run: %v", err)
	}
}
