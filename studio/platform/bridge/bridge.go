// Package bridge connects the desk to a studio's own bridge for Douyin,
// Taobao, Kuaishou and other platforms without a public write API, over the
// WebSocket JSON protocol documented in docs/bridge-protocol.md: token
// hello, numbered events with resume after a reconnect (no loss, no
// duplicates), progress acks, heartbeats, and commands deduplicated by
// idempotency key.
package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"studiodesk/studio/platform"
)

// Protocol numbers (docs/bridge-protocol.md, "Heartbeat"): each side pings
// every ProtocolPingEvery and closes after ProtocolSilence without hearing
// anything. The app builds its adapter from these.
const (
	ProtocolPingEvery = 10 * time.Second
	ProtocolSilence   = 30 * time.Second
)

// Protocol constants and defaults.
const (
	DeskVersion       = "studiodesk/1"
	DefaultPingEvery  = ProtocolPingEvery
	DefaultTimeout    = ProtocolSilence
	DefaultAckEvery   = time.Second
	DefaultBackoffMin = 500 * time.Millisecond
	DefaultBackoffMax = 30 * time.Second
	// MaxMessage caps one WebSocket message.
	MaxMessage = 1 << 20
	// MaxInFlight caps commands waiting for a result on one connection.
	MaxInFlight = 4096
)

// Errors callers branch on.
var (
	// ErrDisconnected is wrapped by Send when there is no connection, or
	// the connection dropped before the result arrived: the command may
	// or may not have run; re-send it with the same key after reconnecting.
	ErrDisconnected = errors.New("bridge not connected")
	// ErrAuth is wrapped when the bridge refuses the token.
	ErrAuth = errors.New("bridge refused the token")
	// ErrProtocol is wrapped when the bridge breaks the protocol.
	ErrProtocol = errors.New("bridge protocol violation")
	// ErrNoResult is wrapped by Send when no result came within Timeout.
	ErrNoResult = errors.New("no result from the bridge")
)

// Config configures an Adapter. URL and Token are required.
type Config struct {
	URL   string // ws:// or wss://
	Token string
	// Name is the platform name for logs ("douyin"); empty: the name the
	// bridge gives in its welcome ("bridge" until then).
	Name   string
	Dialer *websocket.Dialer // websocket.DefaultDialer if nil
	// PingEvery is the heartbeat interval (DefaultPingEvery).
	PingEvery time.Duration
	// Timeout: a connection silent this long is dropped and re-dialled; it
	// also bounds dialling, the handshake and waiting for a command's
	// result (DefaultTimeout).
	Timeout    time.Duration
	AckEvery   time.Duration // progress acks (DefaultAckEvery, at least 100 ms)
	BackoffMin time.Duration // first reconnect delay (DefaultBackoffMin)
	BackoffMax time.Duration // longest reconnect delay (DefaultBackoffMax)
	// ResumeFrom is the last seq processed before the desk restarted (0:
	// none); later resumes use what Run processed.
	ResumeFrom uint64
	// Now stamps events without a time and link states (time.Now if nil).
	Now func() time.Time
	// Clock runs the heartbeat, the progress acks and the silence timeout
	// (the real clock if nil). Dialling, the handshake and writes are
	// bounded on the real clock.
	Clock Clock
}

// Clock is the time source for heartbeats and the silence timeout; tests
// pass a fake one to run minutes of protocol time in milliseconds.
type Clock interface {
	Now() time.Time
	// After sends the time on the returned channel once d has passed.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Stats counts what the adapter saw.
type Stats struct {
	Connects    uint64 // welcomes received
	Events      uint64 // events delivered to the sink
	Duplicates  uint64 // events dropped because seq <= last processed
	Gaps        uint64 // times seq jumped (the bridge discarded events)
	BadMessages uint64 // messages that did not parse (skipped)
	BadEvents   uint64 // events whose payload did not parse (skipped, seq consumed)
	Unmatched   uint64 // results for no waiting command
	LogResets   uint64 // welcomes with last_seq below our resume point
	LastSeq     uint64
	LastError   string // last error message received from the bridge
}

// Adapter is a link to a studio bridge. It implements platform.Platform.
type Adapter struct {
	platform.Link

	cfg     Config
	running atomic.Bool
	lastSeq atomic.Uint64 // last event processed

	mu       sync.Mutex
	conn     *conn // authenticated connection, nil if none
	pending  map[string]*call
	caps     platform.Capabilities
	platName string
	stats    Stats
	lastErr  error
}

var _ platform.Platform = (*Adapter)(nil)

// New checks cfg and returns an adapter.
func New(cfg Config) (*Adapter, error) {
	u, err := url.Parse(cfg.URL)
	switch {
	case cfg.URL == "":
		return nil, errors.New("bridge: config: URL missing")
	case err != nil:
		return nil, fmt.Errorf("bridge: config: URL %q: %w", cfg.URL, err)
	case u.Scheme != "ws" && u.Scheme != "wss":
		return nil, fmt.Errorf("bridge: config: URL %q: scheme must be ws or wss", cfg.URL)
	case u.Host == "":
		return nil, fmt.Errorf("bridge: config: URL %q: no host", cfg.URL)
	case cfg.Token == "":
		return nil, errors.New("bridge: config: Token missing")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.PingEvery, DefaultPingEvery)
	def(&cfg.Timeout, DefaultTimeout)
	def(&cfg.AckEvery, DefaultAckEvery)
	cfg.AckEvery = max(cfg.AckEvery, 100*time.Millisecond)
	def(&cfg.BackoffMin, DefaultBackoffMin)
	def(&cfg.BackoffMax, DefaultBackoffMax)
	cfg.BackoffMax = max(cfg.BackoffMax, cfg.BackoffMin)
	if cfg.Dialer == nil {
		cfg.Dialer = websocket.DefaultDialer
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	a := &Adapter{cfg: cfg, pending: make(map[string]*call)}
	a.Link.Now = cfg.Now
	a.lastSeq.Store(cfg.ResumeFrom)
	return a, nil
}

// Name is Config.Name, else the bridge's platform name, else "bridge".
func (a *Adapter) Name() string {
	if a.cfg.Name != "" {
		return a.cfg.Name
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.platName != "" {
		return a.platName
	}
	return "bridge"
}

// Capabilities are those of the bridge's last welcome (none before the
// first connection).
func (a *Adapter) Capabilities() platform.Capabilities {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.caps
}

// LastSeq is the seq of the last event delivered to the sink.
func (a *Adapter) LastSeq() uint64 { return a.lastSeq.Load() }

// Stats returns a copy of the counters.
func (a *Adapter) Stats() Stats {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.stats
	s.LastSeq = a.lastSeq.Load()
	return s
}

// Err is the error that ended the last connection attempt (nil once
// connected).
func (a *Adapter) Err() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.lastErr
}

// Wire messages (docs/bridge-protocol.md).
type (
	helloMsg struct {
		Type       string `json:"type"`
		Token      string `json:"token"`
		ResumeFrom uint64 `json:"resume_from"`
		Desk       string `json:"desk"`
	}
	seqMsg struct {
		Type string `json:"type"`
		Seq  uint64 `json:"seq"`
	}
	pingMsg struct {
		Type string          `json:"type"`
		T    json.RawMessage `json:"t,omitempty"`
	}
	commandMsg struct {
		Type    string          `json:"type"`
		Key     string          `json:"key"`
		Kind    string          `json:"kind"`
		Payload json.RawMessage `json:"payload,omitempty"`
	}
	errorBody struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	// inMsg is any message from the bridge.
	inMsg struct {
		Type         string                 `json:"type"`
		Platform     string                 `json:"platform"`
		Capabilities *platform.Capabilities `json:"capabilities"`
		LastSeq      uint64                 `json:"last_seq"`
		Code         string                 `json:"code"`
		Message      string                 `json:"message"`
		Seq          uint64                 `json:"seq"`
		Event        json.RawMessage        `json:"event"`
		T            json.RawMessage        `json:"t"`
		Key          string                 `json:"key"`
		OK           bool                   `json:"ok"`
		Duplicate    bool                   `json:"duplicate"`
		Result       json.RawMessage        `json:"result"`
		Error        *errorBody             `json:"error"`
	}
)

// conn is one WebSocket connection; gorilla allows one writer at a time.
type conn struct {
	ws      *websocket.Conn
	url     string
	timeout time.Duration
	mu      sync.Mutex
}

func (c *conn) write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("bridge: %s: encode: %w", c.url, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(c.timeout))
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		// The reader notices and the connection is re-dialled.
		c.ws.Close()
		return fmt.Errorf("bridge: %s: write: %w", c.url, err)
	}
	return nil
}

// call is a command waiting for its result on one connection.
type call struct {
	c    *conn
	done chan struct{}
	res  inMsg
	err  error
}

// Run connects, authenticates and delivers events in seq order until ctx
// ends, reconnecting with back-off and resuming after the last event it
// delivered. A refused token is retried at the longest back-off (the
// studio may fix it on the bridge); Err and State tell why.
func (a *Adapter) Run(ctx context.Context, sink func(platform.Event)) error {
	if sink == nil {
		return errors.New("bridge: Run: nil sink")
	}
	if !a.running.CompareAndSwap(false, true) {
		return fmt.Errorf("bridge: %w", platform.ErrRunning)
	}
	defer a.running.Store(false)
	defer a.Set(platform.Down, nil)

	bo := platform.Backoff{Min: a.cfg.BackoffMin, Max: a.cfg.BackoffMax}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		a.Set(platform.Connecting, nil)
		err := a.session(ctx, sink, &bo)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		a.mu.Lock()
		a.lastErr = err
		a.mu.Unlock()
		a.Set(platform.Down, err)
		d := bo.Next()
		if errors.Is(err, ErrAuth) {
			d = a.cfg.BackoffMax
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (a *Adapter) dial(ctx context.Context) (*conn, error) {
	dctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	ws, resp, err := a.cfg.Dialer.DialContext(dctx, a.cfg.URL, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("bridge: dial %s: %w", a.cfg.URL, err)
	}
	ws.SetReadLimit(MaxMessage)
	return &conn{ws: ws, url: a.cfg.URL, timeout: a.cfg.Timeout}, nil
}

// session runs one connection. Its goroutine is the only reader and the
// only caller of sink.
func (a *Adapter) session(ctx context.Context, sink func(platform.Event), bo *platform.Backoff) error {
	c, err := a.dial(ctx)
	if err != nil {
		return err
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		// Closing the socket unblocks the reader when Run ends.
		defer wg.Done()
		select {
		case <-stop:
		case <-ctx.Done():
			// WriteControl may run alongside a write in progress.
			_ = c.ws.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
			c.ws.Close()
		}
	}()
	defer func() {
		close(stop)
		c.ws.Close()
		a.detach(c)
		wg.Wait()
	}()

	if err := a.handshake(c); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	a.Set(platform.Connected, nil)
	bo.Reset()

	// Any message is a sign of life; the watchdog closes the socket once
	// nothing was heard for Timeout on the adapter's clock.
	var heard atomic.Int64
	var silent atomic.Bool
	heard.Store(a.cfg.Clock.Now().UnixNano())
	_ = c.ws.SetReadDeadline(time.Time{})
	wg.Add(2)
	go func() {
		defer wg.Done()
		a.heartbeat(c, stop)
	}()
	go func() {
		defer wg.Done()
		a.watchdog(c, stop, &heard, &silent)
	}()

	for {
		mt, data, err := c.ws.ReadMessage()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var ne net.Error
			if silent.Load() || errors.As(err, &ne) && ne.Timeout() {
				return fmt.Errorf("bridge: %s: nothing heard for %v: %w", c.url, a.cfg.Timeout, err)
			}
			return fmt.Errorf("bridge: %s: read: %w", c.url, err)
		}
		heard.Store(a.cfg.Clock.Now().UnixNano())
		if mt != websocket.TextMessage {
			a.count(func(s *Stats) { s.BadMessages++ })
			continue
		}
		var m inMsg
		if err := json.Unmarshal(data, &m); err != nil {
			a.count(func(s *Stats) { s.BadMessages++ })
			continue
		}
		switch m.Type {
		case "event":
			a.event(m, sink)
		case "ping":
			if err := c.write(pingMsg{Type: "pong", T: m.T}); err != nil {
				return err
			}
		case "result":
			a.resolve(c, m)
		case "error":
			a.count(func(s *Stats) { s.LastError = m.Code + ": " + m.Message })
			if m.Code == "auth" {
				return fmt.Errorf("bridge: %s: %s: %w", c.url, m.Message, ErrAuth)
			}
		}
		// pong and unknown types: a sign of life, nothing more.
	}
}

// handshake sends hello and waits for welcome.
func (a *Adapter) handshake(c *conn) error {
	resume := a.lastSeq.Load()
	if err := c.write(helloMsg{Type: "hello", Token: a.cfg.Token, ResumeFrom: resume, Desk: DeskVersion}); err != nil {
		return err
	}
	_ = c.ws.SetReadDeadline(time.Now().Add(a.cfg.Timeout))
	for {
		mt, data, err := c.ws.ReadMessage()
		if err != nil {
			return fmt.Errorf("bridge: %s: waiting for welcome: %w", c.url, err)
		}
		if mt != websocket.TextMessage {
			continue
		}
		var m inMsg
		if err := json.Unmarshal(data, &m); err != nil {
			return fmt.Errorf("bridge: %s: waiting for welcome: %.80q: %w", c.url, data, ErrProtocol)
		}
		switch m.Type {
		case "welcome":
			a.mu.Lock()
			if m.LastSeq < resume {
				// The bridge lost its log: take its numbering from here.
				a.lastSeq.Store(m.LastSeq)
				a.stats.LogResets++
			}
			if m.Capabilities != nil {
				a.caps = *m.Capabilities
			}
			if len(m.Platform) <= 64 {
				a.platName = m.Platform
			}
			a.conn = c
			a.lastErr = nil
			a.stats.Connects++
			a.mu.Unlock()
			return nil
		case "error":
			a.count(func(s *Stats) { s.LastError = m.Code + ": " + m.Message })
			if m.Code == "auth" {
				return fmt.Errorf("bridge: %s: %s: %w", c.url, m.Message, ErrAuth)
			}
			return fmt.Errorf("bridge: %s: hello refused: %s: %s: %w", c.url, m.Code, m.Message, ErrProtocol)
		case "ping":
			if err := c.write(pingMsg{Type: "pong", T: m.T}); err != nil {
				return err
			}
		default:
			return fmt.Errorf("bridge: %s: %q before welcome: %w", c.url, m.Type, ErrProtocol)
		}
	}
}

// event delivers m unless it was already processed.
func (a *Adapter) event(m inMsg, sink func(platform.Event)) {
	if m.Seq == 0 {
		a.count(func(s *Stats) { s.BadMessages++ })
		return
	}
	last := a.lastSeq.Load()
	if m.Seq <= last {
		a.count(func(s *Stats) { s.Duplicates++ })
		return
	}
	if last > 0 && m.Seq > last+1 {
		a.count(func(s *Stats) { s.Gaps++ })
	}
	a.lastSeq.Store(m.Seq)
	var ev platform.Event
	if err := json.Unmarshal(m.Event, &ev); err != nil || ev.Kind == "" {
		a.count(func(s *Stats) { s.BadEvents++ })
		return
	}
	ev.Seq = m.Seq
	if ev.Time.IsZero() {
		ev.Time = a.cfg.Now()
	}
	a.count(func(s *Stats) { s.Events++ })
	sink(ev)
}

// watchdog closes c once nothing was heard for Timeout (docs: "A side that
// hears nothing for 30 s closes the connection"), setting silent first so
// the reader reports why.
func (a *Adapter) watchdog(c *conn, stop <-chan struct{}, heard *atomic.Int64, silent *atomic.Bool) {
	clk := a.cfg.Clock
	for {
		left := a.cfg.Timeout - clk.Now().Sub(time.Unix(0, heard.Load()))
		if left <= 0 {
			silent.Store(true)
			c.ws.Close()
			return
		}
		select {
		case <-stop:
			return
		case <-clk.After(left):
		}
	}
}

// heartbeat pings every PingEvery and acks progress every AckEvery until
// stop. A failed write closes the socket so the reader returns.
func (a *Adapter) heartbeat(c *conn, stop <-chan struct{}) {
	clk := a.cfg.Clock
	ping := clk.After(a.cfg.PingEvery)
	ack := clk.After(a.cfg.AckEvery)
	var acked uint64
	for {
		select {
		case <-stop:
			return
		case <-ping:
			ping = clk.After(a.cfg.PingEvery)
			t := strconv.FormatInt(clk.Now().UnixMilli(), 10)
			if c.write(pingMsg{Type: "ping", T: json.RawMessage(t)}) != nil {
				return
			}
		case <-ack:
			ack = clk.After(a.cfg.AckEvery)
			if seq := a.lastSeq.Load(); seq != acked {
				if c.write(seqMsg{Type: "ack", Seq: seq}) != nil {
					return
				}
				acked = seq
			}
		}
	}
}

// detach forgets c and fails the commands waiting on it.
func (a *Adapter) detach(c *conn) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.conn == c {
		a.conn = nil
	}
	for key, cl := range a.pending {
		if cl.c == c {
			cl.err = fmt.Errorf("bridge: command %q: link dropped before the result: %w", key, ErrDisconnected)
			close(cl.done)
			delete(a.pending, key)
		}
	}
}

func (a *Adapter) resolve(c *conn, m inMsg) {
	a.mu.Lock()
	defer a.mu.Unlock()
	cl := a.pending[m.Key]
	if cl == nil || cl.c != c {
		a.stats.Unmatched++
		return
	}
	cl.res = m
	close(cl.done)
	delete(a.pending, m.Key)
}

func (a *Adapter) count(f func(s *Stats)) {
	a.mu.Lock()
	f(&a.stats)
	a.mu.Unlock()
}

func supported(caps platform.Capabilities, kind string) bool {
	switch kind {
	case platform.CmdCouponIssue:
		return caps.Coupons
	case platform.CmdVoteStart, platform.CmdVoteEnd:
		return caps.Votes
	}
	return true // the bridge decides
}

// Send writes cmd and waits for its result, until ctx ends or Timeout
// passes. Without a connection, or if it drops first, the error wraps
// ErrDisconnected: re-send with the same key after reconnecting. A command
// the bridge refuses is an Ack with OK false and Result
// {"code","message"} and a nil error, except "unsupported", which also
// returns an error wrapping platform.ErrUnsupported.
func (a *Adapter) Send(ctx context.Context, cmd platform.Command) (platform.Ack, error) {
	ack := platform.Ack{Key: cmd.Key}
	where := fmt.Sprintf("bridge: %s %q", cmd.Kind, cmd.Key)
	switch {
	case cmd.Key == "":
		return ack, fmt.Errorf("bridge: %s: empty idempotency key", cmd.Kind)
	case cmd.Kind == "":
		return ack, fmt.Errorf("%s: empty kind", where)
	case len(cmd.Payload) > 0 && !json.Valid(cmd.Payload):
		return ack, fmt.Errorf("%s: payload is not JSON", where)
	}
	if err := ctx.Err(); err != nil {
		return ack, fmt.Errorf("%s: %w", where, err)
	}
	a.mu.Lock()
	c := a.conn
	if c == nil {
		a.mu.Unlock()
		return ack, fmt.Errorf("%s: %w", where, ErrDisconnected)
	}
	if !supported(a.caps, cmd.Kind) {
		a.mu.Unlock()
		return ack, fmt.Errorf("%s: %w", where, platform.ErrUnsupported)
	}
	cl := a.pending[cmd.Key]
	if cl != nil && cl.c != c {
		// Left from a connection that is going away.
		cl.err = fmt.Errorf("%s: link dropped before the result: %w", where, ErrDisconnected)
		close(cl.done)
		delete(a.pending, cmd.Key)
		cl = nil
	}
	fresh := cl == nil
	if fresh {
		if len(a.pending) >= MaxInFlight {
			a.mu.Unlock()
			return ack, fmt.Errorf("%s: %d commands already waiting for results", where, MaxInFlight)
		}
		// A command with this key already in flight on this connection is
		// not written again: wait for its result.
		cl = &call{c: c, done: make(chan struct{})}
		a.pending[cmd.Key] = cl
	}
	a.mu.Unlock()
	if fresh {
		if err := c.write(commandMsg{Type: "command", Key: cmd.Key, Kind: cmd.Kind, Payload: cmd.Payload}); err != nil {
			return ack, fmt.Errorf("%s: %w: %w", where, ErrDisconnected, err)
		}
	}
	t := time.NewTimer(a.cfg.Timeout)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ack, fmt.Errorf("%s: waiting for the result: %w", where, ctx.Err())
	case <-t.C:
		return ack, fmt.Errorf("%s: %v: %w", where, a.cfg.Timeout, ErrNoResult)
	case <-cl.done:
	}
	if cl.err != nil {
		return ack, cl.err
	}
	r := cl.res
	ack.Duplicate = r.Duplicate
	if r.OK {
		ack.OK = true
		ack.Result = r.Result
		return ack, nil
	}
	e := errorBody{Code: "platform", Message: "refused without a reason"}
	if r.Error != nil {
		e = *r.Error
	}
	ack.Result, _ = json.Marshal(e)
	if e.Code == "unsupported" {
		return ack, fmt.Errorf("%s: %s: %w", where, e.Message, platform.ErrUnsupported)
	}
	return ack, nil
}
