// Package bridgetest is a loopback studio bridge speaking the protocol of
// docs/bridge-protocol.md: token check, an event log numbered by seq with
// resume, progress acks, heartbeats, and commands deduplicated by key with
// an issuance counter. Knobs drop or silence the connection at awkward
// moments. It shares no code with the adapter, so tests against it check
// the adapter against the protocol.
package bridgetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"studiodesk/studio/platform"
)

// Options configures a Server. Zero fields get defaults.
type Options struct {
	Token        string                 // "test-token"
	Platform     string                 // "douyin"
	Capabilities *platform.Capabilities // danmaku, coupons, votes
	PingEvery    time.Duration          // 10 s
	Idle         time.Duration          // drop a silent desk after this (30 s)
	MaxLog       int                    // unacked events kept (1<<20)
}

// Stats is what the server has seen.
type Stats struct {
	Hellos       int
	AuthFailures int
	Connects     int      // authenticated connections
	ResumeFrom   []uint64 // resume_from of each authenticated hello
	Acked        uint64   // highest seq the desk acked
	Pings, Pongs int      // received from the desk
	Commands     int      // command messages received
	Duplicates   int      // commands answered from the dedupe table
	Sent         uint64   // event messages written
	LastSeq      uint64
	Connected    bool
	Problems     []string // protocol violations seen
}

// Server is the fake bridge.
type Server struct {
	*httptest.Server
	opts Options
	up   websocket.Upgrader

	mu        sync.Mutex
	st        Stats
	log       []entry // contiguous seqs, oldest first
	lastSeq   uint64
	results   map[string]resultMsg
	issuances map[string]int // command key → effects
	issued    map[string]int // coupon id → issuances
	cur       *sconn
	dropAfter int // close the connection after this many more events (0: off)
	loseNext  bool
	rewind    uint64
}

type entry struct {
	seq uint64
	ev  json.RawMessage
}

type errBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type resultMsg struct {
	Type      string          `json:"type"`
	Key       string          `json:"key"`
	OK        bool            `json:"ok"`
	Duplicate bool            `json:"duplicate"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *errBody        `json:"error,omitempty"`
}

// in is any message from the desk.
type in struct {
	Type       string          `json:"type"`
	Token      string          `json:"token"`
	ResumeFrom *uint64         `json:"resume_from"`
	Desk       string          `json:"desk"`
	Seq        uint64          `json:"seq"`
	T          json.RawMessage `json:"t"`
	Key        string          `json:"key"`
	Kind       string          `json:"kind"`
	Payload    json.RawMessage `json:"payload"`
}

// sconn is one desk connection.
type sconn struct {
	ws      *websocket.Conn
	mu      sync.Mutex // one writer at a time
	wake    chan struct{}
	done    chan struct{}
	once    sync.Once
	cursor  uint64 // next seq to send
	stalled bool   // write nothing any more
}

func (c *sconn) write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stalled {
		return nil
	}
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

// kill closes the TCP connection without a close handshake, as a network
// failure would.
func (c *sconn) kill() {
	c.once.Do(func() { close(c.done) })
	c.ws.Close()
}

// New starts a bridge on 127.0.0.1. Close it when done.
func New(opts Options) *Server {
	if opts.Token == "" {
		opts.Token = "test-token"
	}
	if opts.Platform == "" {
		opts.Platform = "douyin"
	}
	if opts.Capabilities == nil {
		opts.Capabilities = &platform.Capabilities{Danmaku: true, Coupons: true, Votes: true}
	}
	if opts.PingEvery <= 0 {
		opts.PingEvery = 10 * time.Second
	}
	if opts.Idle <= 0 {
		opts.Idle = 30 * time.Second
	}
	if opts.MaxLog <= 0 {
		opts.MaxLog = 1 << 20
	}
	s := &Server{opts: opts, results: map[string]resultMsg{}, issuances: map[string]int{}, issued: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /desk", s.serve)
	s.Server = httptest.NewServer(mux)
	return s
}

// WSURL is the URL the desk dials.
func (s *Server) WSURL() string { return "ws" + strings.TrimPrefix(s.URL, "http") + "/desk" }

// Options returns the effective options.
func (s *Server) Options() Options { return s.opts }

// Stats returns a snapshot.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	st.ResumeFrom = append([]uint64(nil), s.st.ResumeFrom...)
	st.Problems = append([]string(nil), s.st.Problems...)
	st.Connected = s.cur != nil
	st.LastSeq = s.lastSeq
	return st
}

// WaitFor polls until cond holds or timeout passes; it reports whether cond
// held.
func (s *Server) WaitFor(timeout time.Duration, cond func(Stats) bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond(s.Stats()) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Issuances is how many times the command with this key took effect.
func (s *Server) Issuances(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issuances[key]
}

// IssuedCount is how many times coupon id was issued.
func (s *Server) IssuedCount(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issued[id]
}

func (s *Server) problem(format string, args ...any) {
	s.mu.Lock()
	if len(s.st.Problems) < 100 {
		s.st.Problems = append(s.st.Problems, fmt.Sprintf(format, args...))
	}
	s.mu.Unlock()
}

// Push appends events to the log (numbering them) and sends them to the
// desk if one is connected. It returns the last seq assigned.
func (s *Server) Push(evs ...platform.Event) uint64 {
	s.mu.Lock()
	for _, ev := range evs {
		b, err := json.Marshal(ev)
		if err != nil {
			continue
		}
		s.lastSeq++
		s.log = append(s.log, entry{seq: s.lastSeq, ev: b})
	}
	if over := len(s.log) - s.opts.MaxLog; over > 0 {
		s.log = append(s.log[:0], s.log[over:]...)
	}
	last, c := s.lastSeq, s.cur
	s.mu.Unlock()
	if c != nil {
		c.poke()
	}
	return last
}

func (c *sconn) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Drop closes the current connection without a close handshake.
func (s *Server) Drop() {
	s.mu.Lock()
	c := s.cur
	s.mu.Unlock()
	if c != nil {
		c.kill()
	}
}

// DropAfter closes the connection (the current one, or the next) right
// after it has written n more events.
func (s *Server) DropAfter(n int) {
	s.mu.Lock()
	s.dropAfter = n
	s.mu.Unlock()
}

// LoseNextResult makes the next command take effect and then the
// connection drop before its result is written.
func (s *Server) LoseNextResult() {
	s.mu.Lock()
	s.loseNext = true
	s.mu.Unlock()
}

// RewindNextResume makes the next resume start n events before the
// desk's resume_from, as a careless bridge might: the desk must drop them.
func (s *Server) RewindNextResume(n uint64) {
	s.mu.Lock()
	s.rewind = n
	s.mu.Unlock()
}

// Stall makes the current connection go silent (no events, pongs, pings
// or results) while staying open: the desk must notice by itself.
func (s *Server) Stall() {
	s.mu.Lock()
	c := s.cur
	s.mu.Unlock()
	if c != nil {
		c.mu.Lock()
		c.stalled = true
		c.mu.Unlock()
	}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	ws, err := s.up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	ws.SetReadLimit(1 << 20)
	c := &sconn{ws: ws, wake: make(chan struct{}, 1), done: make(chan struct{})}
	defer c.kill()

	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	var h in
	if err := ws.ReadJSON(&h); err != nil || h.Type != "hello" || h.ResumeFrom == nil || !strings.HasPrefix(h.Desk, "studiodesk/") {
		s.problem("bad hello: %v %+v", err, h)
		_ = c.write(map[string]string{"type": "error", "code": "protocol", "message": "first message must be hello"})
		return
	}
	s.mu.Lock()
	s.st.Hellos++
	if h.Token != s.opts.Token {
		s.st.AuthFailures++
		s.mu.Unlock()
		_ = c.write(map[string]string{"type": "error", "code": "auth", "message": "bad token"})
		_ = ws.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "bad token"), time.Now().Add(time.Second))
		return
	}
	old := s.cur
	s.cur = c
	s.st.Connects++
	if len(s.st.ResumeFrom) < 1000 {
		s.st.ResumeFrom = append(s.st.ResumeFrom, *h.ResumeFrom)
	}
	c.cursor = *h.ResumeFrom + 1
	if s.rewind > 0 {
		c.cursor -= min(s.rewind, *h.ResumeFrom)
		s.rewind = 0
	}
	welcome := map[string]any{"type": "welcome", "platform": s.opts.Platform,
		"capabilities": s.opts.Capabilities, "last_seq": s.lastSeq}
	s.mu.Unlock()
	if old != nil {
		old.kill()
	}
	defer func() {
		s.mu.Lock()
		if s.cur == c {
			s.cur = nil
		}
		s.mu.Unlock()
	}()
	if err := c.write(welcome); err != nil {
		return
	}

	go s.pump(c)
	go s.pinger(c)
	for {
		_ = ws.SetReadDeadline(time.Now().Add(s.opts.Idle))
		var m in
		if err := ws.ReadJSON(&m); err != nil {
			return
		}
		switch m.Type {
		case "ack":
			s.ack(m.Seq)
		case "ping":
			s.mu.Lock()
			s.st.Pings++
			s.mu.Unlock()
			t := m.T
			if len(t) == 0 {
				t = json.RawMessage("0")
			}
			if c.write(map[string]any{"type": "pong", "t": t}) != nil {
				return
			}
		case "pong":
			s.mu.Lock()
			s.st.Pongs++
			s.mu.Unlock()
		case "command":
			if !s.command(c, m) {
				return
			}
		case "hello":
			s.problem("second hello on one connection")
		default:
			s.problem("unknown message type %q", m.Type)
		}
	}
}

// ack discards the events the desk has processed.
func (s *Server) ack(seq uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if seq > s.lastSeq {
		s.st.Problems = append(s.st.Problems, fmt.Sprintf("ack %d beyond last seq %d", seq, s.lastSeq))
		return
	}
	if seq <= s.st.Acked {
		return
	}
	s.st.Acked = seq
	n := 0
	for n < len(s.log) && s.log[n].seq <= seq {
		n++
	}
	s.log = append(s.log[:0], s.log[n:]...)
}

// pump writes log events from the connection's cursor on, in order.
func (s *Server) pump(c *sconn) {
	for {
		c.mu.Lock()
		stalled := c.stalled
		c.mu.Unlock()
		if stalled {
			<-c.done
			return
		}
		s.mu.Lock()
		var batch []entry
		if len(s.log) > 0 {
			first := s.log[0].seq
			if c.cursor < first {
				c.cursor = first
			}
			if i := c.cursor - first; i < uint64(len(s.log)) {
				batch = append(batch, s.log[i:min(int(i)+256, len(s.log))]...)
			}
		}
		s.mu.Unlock()
		for _, e := range batch {
			if c.write(map[string]any{"type": "event", "seq": e.seq, "event": e.ev}) != nil {
				c.kill()
				return
			}
			s.mu.Lock()
			c.cursor = e.seq + 1
			s.st.Sent++
			drop := false
			if s.dropAfter > 0 && s.cur == c {
				s.dropAfter--
				drop = s.dropAfter == 0
			}
			s.mu.Unlock()
			if drop {
				c.kill()
				return
			}
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-c.done:
			return
		case <-c.wake:
		}
	}
}

func (s *Server) pinger(c *sconn) {
	t := time.NewTicker(s.opts.PingEvery)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
			if c.write(map[string]any{"type": "ping", "t": time.Now().UnixMilli()}) != nil {
				c.kill()
				return
			}
		}
	}
}

// command carries out m once per key and answers; false ends the
// connection.
func (s *Server) command(c *sconn, m in) bool {
	s.mu.Lock()
	s.st.Commands++
	r, seen := s.results[m.Key]
	if seen {
		r.Duplicate = true
		s.st.Duplicates++
	} else {
		r = s.execute(m)
		if m.Key != "" {
			s.results[m.Key] = r
		}
	}
	lose := s.loseNext
	s.loseNext = false
	s.mu.Unlock()
	if lose {
		c.kill()
		return false
	}
	return c.write(r) == nil
}

// execute runs one command; s.mu is held.
func (s *Server) execute(m in) resultMsg {
	r := resultMsg{Type: "result", Key: m.Key}
	fail := func(code, msg string) resultMsg {
		r.Error = &errBody{Code: code, Message: msg}
		return r
	}
	if m.Key == "" {
		return fail("invalid", "missing key")
	}
	var p struct {
		ID            string `json:"id"`
		Stock         int    `json:"stock"`
		Options       int    `json:"options"`
		WindowSeconds int    `json:"window_seconds"`
	}
	if len(m.Payload) > 0 {
		if err := json.Unmarshal(m.Payload, &p); err != nil {
			return fail("invalid", "payload: "+err.Error())
		}
	}
	caps := s.opts.Capabilities
	switch m.Kind {
	case platform.CmdCouponIssue:
		if !caps.Coupons {
			return fail("unsupported", "coupons are not available on "+s.opts.Platform)
		}
		if p.ID == "" || p.Stock <= 0 {
			return fail("invalid", "coupon needs an id and a positive stock")
		}
		if p.WindowSeconds <= 0 {
			p.WindowSeconds = 180
		}
		s.issuances[m.Key]++
		s.issued[p.ID]++
		r.Result, _ = json.Marshal(map[string]any{"id": p.ID,
			"ends_at": time.Now().Add(time.Duration(p.WindowSeconds) * time.Second).UTC()})
	case platform.CmdVoteStart, platform.CmdVoteEnd:
		if !caps.Votes {
			return fail("unsupported", "votes are not available on "+s.opts.Platform)
		}
		if p.ID == "" || (m.Kind == platform.CmdVoteStart && (p.Options < 2 || p.Options > 9)) {
			return fail("invalid", "vote needs an id and 2-9 options")
		}
		s.issuances[m.Key]++
		r.Result, _ = json.Marshal(map[string]any{"id": p.ID})
	default:
		return fail("unsupported", m.Kind+" is not a bridge command")
	}
	r.OK = true
	return r
}
