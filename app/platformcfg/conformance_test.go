package platformcfg_test

import (
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"studiodesk/app/platformcfg"
	"studiodesk/studio/platform"
	studiobridge "studiodesk/studio/platform/bridge"
	"studiodesk/studio/platform/rehearsal"
)

// fakeClock advances only when told to.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, waiter{at: c.now.Add(d), ch: ch})
	return ch
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	keep := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
		} else {
			keep = append(keep, w)
		}
	}
	c.waiters = keep
	c.mu.Unlock()
}

// specBridge follows docs/bridge-protocol.md and nothing else: it answers
// hello with welcome, sends a ping when told to (the test tells it every
// 10 s of fake time), answers the desk's pings with pong when pong is set,
// and is otherwise silent.
type specBridge struct {
	token string
	pong  bool

	mu      sync.Mutex
	conns   int
	cur     *websocket.Conn
	wmu     sync.Mutex
	pongs   chan string // t of each pong the desk sent back
	pingsIn int         // pings the desk sent
}

func (b *specBridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer ws.Close()
	var hello struct {
		Type, Token, Desk string
		ResumeFrom        uint64 `json:"resume_from"`
	}
	if err := ws.ReadJSON(&hello); err != nil || hello.Type != "hello" || hello.Token != b.token {
		return
	}
	b.mu.Lock()
	b.conns++
	b.cur = ws
	b.mu.Unlock()
	b.send(ws, map[string]any{"type": "welcome", "platform": "douyin",
		"capabilities": map[string]bool{"danmaku": true}, "last_seq": 0})
	for {
		var m struct {
			Type string          `json:"type"`
			T    json.RawMessage `json:"t"`
		}
		if err := ws.ReadJSON(&m); err != nil {
			b.mu.Lock()
			if b.cur == ws {
				b.cur = nil
			}
			b.mu.Unlock()
			return
		}
		switch m.Type {
		case "pong":
			b.pongs <- string(m.T)
		case "ping":
			b.mu.Lock()
			b.pingsIn++
			b.mu.Unlock()
			if b.pong {
				b.send(ws, map[string]any{"type": "pong", "t": m.T})
			}
		}
	}
}

func (b *specBridge) send(ws *websocket.Conn, v any) bool {
	b.wmu.Lock()
	defer b.wmu.Unlock()
	return ws.WriteJSON(v) == nil
}

// ping sends a ping on the current connection and waits (real time) for
// the desk's pong; false if there is no connection or no pong came.
func (b *specBridge) ping(t int64) bool {
	b.mu.Lock()
	ws := b.cur
	b.mu.Unlock()
	if ws == nil || !b.send(ws, map[string]any{"type": "ping", "t": t}) {
		return false
	}
	want := json.Number(strings.TrimSpace(jsonInt(t))).String()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case got := <-b.pongs:
			if got == want {
				return true
			}
		case <-deadline:
			return false
		}
	}
}

func jsonInt(t int64) string { b, _ := json.Marshal(t); return string(b) }

// TestBridgeConformanceTenMinutes drives the adapter exactly as the app
// builds it (flags, environment, platformcfg.Flags.Open) against a bridge
// that pings every 10 s as the protocol says and is silent otherwise, for
// 10 minutes of fake-clock time: the link must never drop. With the 5 s
// silence timeout the app used before, it dropped every ping interval.
func TestBridgeConformanceTenMinutes(t *testing.T) {
	for _, answersPings := range []bool{true, false} {
		name := "bridge answers pings"
		if !answersPings {
			name = "bridge never answers, only pings"
		}
		t.Run(name, func(t *testing.T) {
			b := &specBridge{token: "s3cret-studio-token", pong: answersPings, pongs: make(chan string, 64)}
			srv := httptest.NewServer(b)
			defer srv.Close()

			var f platformcfg.Flags
			fs := flag.NewFlagSet("studiodesk", flag.ContinueOnError)
			f.Register(fs)
			if err := fs.Parse([]string{"--platform", "bridge", "--bridge-url", "ws" + strings.TrimPrefix(srv.URL, "http") + "/desk"}); err != nil {
				t.Fatal(err)
			}
			t.Setenv("STUDIODESK_BRIDGE_TOKEN", b.token)
			clk := &fakeClock{now: time.Date(2025, 6, 18, 20, 0, 0, 0, time.UTC)}
			f.BridgeClock = clk
			p, err := f.Open(rehearsal.Config{})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- p.Run(ctx, func(platform.Event) {}) }()
			defer func() {
				cancel()
				<-done
			}()
			waitFor(t, "first connection", func() bool { return p.State().Status == platform.Connected })

			const minutes = 10
			missed := 0
			for s := 1; s <= minutes*60; s++ {
				clk.Advance(time.Second)
				if s%10 == 0 && !b.ping(clk.Now().UnixMilli()) {
					missed++
					// let a dropped link come back before the next ping
					waitFor(t, "reconnect", func() bool { return p.State().Status == platform.Connected })
				}
			}
			b.mu.Lock()
			conns, pingsIn := b.conns, b.pingsIn
			b.mu.Unlock()
			st := p.State()
			t.Logf("%d min fake time: %d connections, %d reconnects, %d bridge pings unanswered, desk sent %d pings",
				minutes, conns, st.Reconnects, missed, pingsIn)
			if conns != 1 || st.Reconnects != 0 || missed != 0 || st.Status != platform.Connected {
				t.Fatalf("link dropped: %d connections, %d reconnects, %d pings unanswered, state %+v", conns, st.Reconnects, missed, st)
			}
			// the desk pings too (its rate is not asserted: the fake clock
			// runs ahead of the heartbeat goroutine)
			if pingsIn == 0 {
				t.Fatalf("desk sent no ping in %d min", minutes)
			}
		})
	}
}

// TestBridgeSilenceStillDrops: a bridge that stops pinging is dropped after
// the protocol's 30 s (the timeout is not simply switched off).
func TestBridgeSilenceStillDrops(t *testing.T) {
	b := &specBridge{token: "tok", pongs: make(chan string, 64)}
	srv := httptest.NewServer(b)
	defer srv.Close()
	clk := &fakeClock{now: time.Unix(1e9, 0)}
	p, err := studiobridge.New(platformcfg.BridgeConfig("ws"+strings.TrimPrefix(srv.URL, "http"), "tok", clk))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, func(platform.Event) {}) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "connection", func() bool { return p.State().Status == platform.Connected })
	for s := 1; s <= 29; s++ {
		clk.Advance(time.Second)
		time.Sleep(time.Millisecond)
	}
	if st := p.State(); st.Status != platform.Connected || st.Reconnects != 0 {
		t.Fatalf("dropped before 30 s of silence: %+v", st)
	}
	clk.Advance(time.Second)
	waitFor(t, "drop after 30 s of silence", func() bool {
		return strings.Contains(p.State().LastError, "nothing heard for 30s") || p.State().Reconnects > 0
	})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
