package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"studiodesk/assets"
	"studiodesk/scripts"
	"studiodesk/studio"
)

var t0 = time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)

func testShow() *scripts.Show {
	return &scripts.Show{
		ID: "t", Title: "测试专场",
		Segments: []scripts.Segment{
			{ID: "open", Title: "开场", Kind: scripts.KindOpening, Duration: 2 * time.Minute},
			{ID: "p1", Title: "精华液", Kind: scripts.KindProduct, Duration: 5 * time.Minute},
			{ID: "p2", Title: "面霜", Kind: scripts.KindProduct, Duration: 5 * time.Minute},
			{ID: "close", Title: "收尾", Kind: scripts.KindClosing, Duration: time.Minute},
		},
	}
}

// logSink collects log lines for assertions.
type logSink struct {
	mu    sync.Mutex
	lines []string
	t     testing.TB
}

func (l *logSink) logf(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	l.mu.Lock()
	l.lines = append(l.lines, s)
	l.mu.Unlock()
}

func (l *logSink) has(sub string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.lines {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func (l *logSink) count(sub string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.lines {
		if strings.Contains(s, sub) {
			n++
		}
	}
	return n
}

func (l *logSink) dump() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

type rig struct {
	desk *studio.Desk
	clk  *studio.FakeClock
	srv  *Server
	log  *logSink
	http *http.Client
}

func newRig(t testing.TB) *rig {
	t.Helper()
	clk := studio.NewFakeClock(t0)
	desk := studio.New(studio.Config{Clock: clk, Journal: studio.NewMemoryJournal(), Rehearsal: true, Logf: func(string, ...any) {}})
	t.Cleanup(desk.Close)
	if err := desk.Do(context.Background(), studio.LoadShow{Show: testShow()}); err != nil {
		t.Fatalf("load show: %v", err)
	}
	lg := &logSink{t: t}
	srv, err := NewServer(Config{
		Desk: desk, Addr: "127.0.0.1:0", OSCAddr: "127.0.0.1:0",
		Tokens: NewMemoryTokenStore(), Now: clk.Now, Logf: lg.logf, AllowIP: LoopbackOnly,
	})
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if t.Failed() {
			t.Logf("server log:\n%s", lg.dump())
		}
	})
	return &rig{desk: desk, clk: clk, srv: srv, log: lg, http: &http.Client{Timeout: 10 * time.Second}}
}

func (r *rig) url(path string) string { return "http://" + r.srv.Addr() + path }

// pair pairs a device with the current code and returns its token.
func (r *rig) pair(t testing.TB, name string, role Role) PairResponse {
	t.Helper()
	code, _ := r.srv.PairingCode()
	status, body := r.post(t, "/pair", "", fmt.Sprintf(`{"code":%q,"name":%q,"role":%q}`, code, name, role), nil)
	if status != http.StatusOK {
		t.Fatalf("pair %s: %d %s", name, status, body)
	}
	var p PairResponse
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("pair %s: %v", name, err)
	}
	return p
}

func (r *rig) post(t testing.TB, path, token, body string, hdr map[string]string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.url(path), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return r.do(t, req)
}

func (r *rig) get(t testing.TB, path, token string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, r.url(path), nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return r.do(t, req)
}

func (r *rig) do(t testing.TB, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := r.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.Bytes()
}

func (r *rig) dial(t testing.TB, token string) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := Dial(ctx, r.srv.Addr(), token, WithAllowIP(LoopbackOnly), WithLogf(r.log.logf), WithAckTimeout(5*time.Second))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func (r *rig) segment() int {
	return r.desk.Snapshot().State(r.clk.Now()).Segment
}

func (r *rig) mustDo(t testing.TB, cmds ...studio.Command) {
	t.Helper()
	for _, c := range cmds {
		if err := r.desk.Do(context.Background(), c); err != nil {
			t.Fatalf("desk %s: %v", c.Name(), err)
		}
	}
}

// waitState reads the client's state until ok holds.
func waitState(t testing.TB, c *Client, what string, ok func(StateData) bool) StateData {
	t.Helper()
	deadline := time.After(15 * time.Second)
	var last StateData
	for {
		select {
		case m := <-c.State():
			last = m.Data
			if ok(m.Data) {
				return m.Data
			}
		case <-deadline:
			t.Fatalf("state: %s: not seen; last %+v", what, last)
		}
	}
}

func eventually(t testing.TB, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// withDemoInteractions gives s the demo show's coupons and votes
// (coupon-1, lottery-1, vote-1): interactions are defined with a show.
func withDemoInteractions(t testing.TB, s *scripts.Show) *scripts.Show {
	t.Helper()
	demo, err := scripts.LoadYAML("demo/show.yaml", assets.DemoShow())
	if err != nil {
		t.Fatal(err)
	}
	s.Coupons, s.Votes = demo.Coupons, demo.Votes
	return s
}
