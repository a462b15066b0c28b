package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"
)

// DialOption tunes Dial.
type DialOption func(*dialConfig)

type dialConfig struct {
	allowIP    func(net.IP) bool
	logf       func(string, ...any)
	ackTimeout time.Duration
	maxBackoff time.Duration
}

// WithAllowIP limits ICE candidates (default LANOnly).
func WithAllowIP(f func(net.IP) bool) DialOption { return func(c *dialConfig) { c.allowIP = f } }

// WithLogf sets the logger.
func WithLogf(f func(string, ...any)) DialOption { return func(c *dialConfig) { c.logf = f } }

// WithAckTimeout bounds the wait for a command's acknowledgement (default 2 s).
func WithAckTimeout(d time.Duration) DialOption { return func(c *dialConfig) { c.ackTimeout = d } }

// Client is the desk's remote end for `--remote ADDR`: it keeps a WebRTC
// link to the desk, re-dialling after a drop, and mirrors the desk's state.
type Client struct {
	addr, token string
	cfg         dialConfig
	api         *webrtc.API
	ctx         context.Context
	cancel      context.CancelFunc
	stateCh     chan StateMsg
	danmakuCh   chan []DanmakuLine
	done        chan struct{}

	mu     sync.Mutex
	cur    *link
	device DeviceInfo
	err    error
}

// Dial pairs nothing: it connects with a token from a previous pairing,
// and returns once the data channels are open (or ctx ends).
func Dial(ctx context.Context, addr, token string, opts ...DialOption) (*Client, error) {
	cfg := dialConfig{allowIP: LANOnly, logf: log.Printf, ackTimeout: 2 * time.Second, maxBackoff: 3 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	cctx, cancel := context.WithCancel(context.Background())
	c := &Client{addr: addr, token: token, cfg: cfg, api: newAPI(cfg.allowIP), ctx: cctx, cancel: cancel,
		stateCh: make(chan StateMsg, 1), danmakuCh: make(chan []DanmakuLine, 16), done: make(chan struct{})}
	l, err := c.connect(ctx)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("remote: dial %s: %w", addr, err)
	}
	c.mu.Lock()
	c.cur = l
	c.mu.Unlock()
	go c.supervise(l)
	return c, nil
}

// State delivers the merged state after every message; a slow reader sees
// only the newest.
func (c *Client) State() <-chan StateMsg { return c.stateCh }

// Danmaku delivers comment lines (lossy).
func (c *Client) Danmaku() <-chan []DanmakuLine { return c.danmakuCh }

// Device is this remote as the desk knows it.
func (c *Client) Device() DeviceInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.device
}

// Connected reports whether commands can be sent now.
func (c *Client) Connected() bool {
	l := c.link()
	return l != nil && l.up.Load()
}

// Err is why the client gave up reconnecting (a revoked token), if it did.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close ends the link and stops reconnecting.
func (c *Client) Close() error {
	c.cancel()
	if l := c.link(); l != nil {
		l.close("client closed")
	}
	<-c.done
	return nil
}

func (c *Client) link() *link {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cur
}

// Do sends one command and waits for the desk's acknowledgement.
func (c *Client) Do(ctx context.Context, action string, args Args) error {
	id, err := newID(12)
	if err != nil {
		return err
	}
	return c.DoID(ctx, id, action, args)
}

// DoID is Do with the caller's command id. Re-sending an id is refused as
// a replay (ErrReplay), so a retry after a lost acknowledgement never
// applies a command twice.
func (c *Client) DoID(ctx context.Context, id, action string, args Args) error {
	if !validID(id) {
		return fmt.Errorf("remote: %s: %w: command id %q", action, ErrBadRequest, clip(id))
	}
	if _, err := parseCall(action, args); err != nil {
		return err
	}
	a, err := c.SendRaw(ctx, CommandMsg{ID: id, Action: action, Args: args})
	if err != nil {
		return err
	}
	if a.OK {
		return nil
	}
	return &CommandError{ID: id, Action: action, Code: a.Code, Msg: a.Error}
}

// SendRaw sends a command as it is, without checking it first, and
// returns the desk's acknowledgement.
func (c *Client) SendRaw(ctx context.Context, m CommandMsg) (AckMsg, error) {
	l := c.link()
	if l == nil || !l.up.Load() {
		return AckMsg{}, ErrDisconnected
	}
	id, action := m.ID, m.Action
	b, err := json.Marshal(m)
	if err != nil {
		return AckMsg{}, fmt.Errorf("remote: %s: encode: %w", action, err)
	}
	ch := make(chan AckMsg, 1)
	l.ackMu.Lock()
	l.acks[id] = ch
	l.ackMu.Unlock()
	defer func() {
		l.ackMu.Lock()
		delete(l.acks, id)
		l.ackMu.Unlock()
	}()
	if err := l.cmd.SendText(string(b)); err != nil {
		return AckMsg{}, fmt.Errorf("%w: %s: %w", ErrDisconnected, action, err)
	}
	t := time.NewTimer(c.cfg.ackTimeout)
	defer t.Stop()
	select {
	case a := <-ch:
		return a, nil
	case <-l.ctx.Done():
		return AckMsg{}, ErrDisconnected
	case <-ctx.Done():
		return AckMsg{}, fmt.Errorf("remote: %s: %w", action, ctx.Err())
	case <-t.C:
		return AckMsg{}, fmt.Errorf("%w: %s (%s) after %v", ErrAckTimeout, action, id, c.cfg.ackTimeout)
	}
}

// supervise re-dials after a drop, backing off up to maxBackoff, until
// Close or until the desk refuses the token.
func (c *Client) supervise(l *link) {
	defer close(c.done)
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-l.ctx.Done():
		}
		c.cfg.logf("remote: link to %s lost: %s; reconnecting", c.addr, l.why())
		backoff := 100 * time.Millisecond
		for {
			ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
			nl, err := c.connect(ctx)
			cancel()
			if err == nil {
				c.mu.Lock()
				c.cur = nl
				c.mu.Unlock()
				l = nl
				c.cfg.logf("remote: reconnected to %s", c.addr)
				break
			}
			if c.ctx.Err() != nil {
				return
			}
			if errors.Is(err, ErrUnauthorized) {
				c.mu.Lock()
				c.err = fmt.Errorf("remote: %s: %w", c.addr, err)
				c.mu.Unlock()
				c.cfg.logf("remote: %s refused the token (revoked?): not reconnecting", c.addr)
				return
			}
			c.cfg.logf("remote: reconnect to %s: %v", c.addr, err)
			select {
			case <-c.ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, c.cfg.maxBackoff)
		}
	}
}

// link is one signalling socket plus one peer connection.
type link struct {
	c      *Client
	ws     *websocket.Conn
	out    chan signalMsg
	ctx    context.Context
	cancel context.CancelFunc
	pc     *webrtc.PeerConnection
	state  *webrtc.DataChannel
	cmd    *webrtc.DataChannel
	dmk    *webrtc.DataChannel
	up     atomic.Bool
	open   atomic.Int32 // data channels open (state, cmd)
	opened chan struct{}

	mu        sync.Mutex
	pending   []webrtc.ICECandidateInit
	reason    string
	restartAt time.Time
	dec       decoder

	ackMu sync.Mutex
	acks  map[string]chan AckMsg
	once  sync.Once
}

func (l *link) why() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reason
}

func (c *Client) connect(ctx context.Context) (*link, error) {
	u := url.URL{Scheme: "ws", Host: c.addr, Path: "/signal"}
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	ws, resp, err := d.DialContext(ctx, u.String(), nil)
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusUnauthorized {
			return nil, ErrUnauthorized
		}
		return nil, fmt.Errorf("signal: %w", err)
	}
	ws.SetReadLimit(maxSignalBytes)
	// The token goes in the first message, never in a URL.
	_ = ws.SetWriteDeadline(time.Now().Add(wsWriteTimeout))
	if err := ws.WriteJSON(signalMsg{Type: "auth", Token: c.token}); err != nil {
		_ = ws.Close()
		return nil, fmt.Errorf("signal: auth: %w", err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(authWait))
	var ready signalMsg
	if err := ws.ReadJSON(&ready); err != nil {
		_ = ws.Close()
		return nil, fmt.Errorf("signal: %w (token refused?)", errors.Join(ErrUnauthorized, err))
	}
	if ready.Type != "ready" || ready.Device == nil {
		_ = ws.Close()
		if ready.Error == "unauthorized" {
			return nil, ErrUnauthorized
		}
		return nil, fmt.Errorf("signal: unexpected %q: %s", ready.Type, ready.Error)
	}
	c.mu.Lock()
	c.device = *ready.Device
	c.mu.Unlock()

	pc, err := c.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		_ = ws.Close()
		return nil, fmt.Errorf("peer connection: %w", err)
	}
	st, cmd, dmk, err := channels(pc)
	if err != nil {
		_ = pc.Close()
		_ = ws.Close()
		return nil, fmt.Errorf("data channels: %w", err)
	}
	lctx, cancel := context.WithCancel(c.ctx)
	l := &link{c: c, ws: ws, out: make(chan signalMsg, 64), ctx: lctx, cancel: cancel,
		pc: pc, state: st, cmd: cmd, dmk: dmk, opened: make(chan struct{}), acks: make(map[string]chan AckMsg)}
	pc.OnICECandidate(func(cand *webrtc.ICECandidate) {
		if cand == nil {
			return
		}
		init := cand.ToJSON()
		l.send(signalMsg{Type: "candidate", Candidate: &init})
	})
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		switch s {
		case webrtc.PeerConnectionStateConnected:
			l.up.Store(l.open.Load() == 2)
		case webrtc.PeerConnectionStateDisconnected:
			l.up.Store(false)
			go l.iceRestart()
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			l.up.Store(false)
			go l.close("peer connection " + s.String())
		}
	})
	onOpen := func() {
		if l.open.Add(1) == 2 {
			l.up.Store(true)
			close(l.opened)
		}
	}
	st.OnOpen(onOpen)
	cmd.OnOpen(onOpen)
	st.OnMessage(func(m webrtc.DataChannelMessage) { l.onState(m.Data) })
	cmd.OnMessage(func(m webrtc.DataChannelMessage) { l.onAck(m.Data) })
	dmk.OnMessage(func(m webrtc.DataChannelMessage) { l.onDanmaku(m.Data) })

	go l.writer()
	go l.reader()
	offer, err := pc.CreateOffer(nil)
	if err == nil {
		err = pc.SetLocalDescription(offer)
	}
	if err != nil {
		l.close("offer failed")
		return nil, fmt.Errorf("offer: %w", err)
	}
	l.send(signalMsg{Type: "offer", SDP: offer.SDP})
	select {
	case <-l.opened:
		return l, nil
	case <-l.ctx.Done():
		return nil, fmt.Errorf("connect: %s", l.why())
	case <-ctx.Done():
		l.close("connect timed out")
		return nil, fmt.Errorf("connect: %w", ctx.Err())
	}
}

func (l *link) send(m signalMsg) {
	select {
	case l.out <- m:
	case <-l.ctx.Done():
	}
}

func (l *link) writer() {
	ping := time.NewTicker(wsPingEvery)
	defer ping.Stop()
	for {
		select {
		case <-l.ctx.Done():
			_ = l.ws.SetWriteDeadline(time.Now().Add(time.Second))
			_ = l.ws.WriteJSON(signalMsg{Type: "bye"})
			closeWS(l.ws, websocket.CloseNormalClosure, "bye")
			return
		case m := <-l.out:
			_ = l.ws.SetWriteDeadline(time.Now().Add(wsWriteTimeout))
			if err := l.ws.WriteJSON(m); err != nil {
				go l.close("signalling write failed")
				return
			}
		case <-ping.C:
			if err := l.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(wsWriteTimeout)); err != nil {
				go l.close("signalling ping failed")
				return
			}
		}
	}
}

func (l *link) reader() {
	l.ws.SetPongHandler(func(string) error { return l.ws.SetReadDeadline(time.Now().Add(wsReadTimeout)) })
	for {
		_ = l.ws.SetReadDeadline(time.Now().Add(wsReadTimeout))
		var m signalMsg
		if err := l.ws.ReadJSON(&m); err != nil {
			l.close("signalling closed")
			return
		}
		switch m.Type {
		case "answer":
			if err := l.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: m.SDP}); err != nil {
				l.c.cfg.logf("remote: answer: %v", err)
				l.close("bad answer")
				return
			}
			l.mu.Lock()
			pend := l.pending
			l.pending = nil
			l.mu.Unlock()
			for _, c := range pend {
				if err := l.pc.AddICECandidate(c); err != nil {
					l.c.cfg.logf("remote: candidate: %v", err)
				}
			}
		case "candidate":
			if m.Candidate == nil {
				continue
			}
			if l.pc.RemoteDescription() == nil {
				l.mu.Lock()
				if len(l.pending) < 64 {
					l.pending = append(l.pending, *m.Candidate)
				}
				l.mu.Unlock()
				continue
			}
			if err := l.pc.AddICECandidate(*m.Candidate); err != nil {
				l.c.cfg.logf("remote: candidate: %v", err)
			}
		case "error":
			l.c.cfg.logf("remote: desk says: %s", m.Error)
		}
	}
}

// iceRestart renegotiates ICE over the live signalling socket when the
// path drops (Wi-Fi roam); if the socket is gone the link closes and the
// client re-dials instead.
func (l *link) iceRestart() {
	select {
	case <-time.After(500 * time.Millisecond):
	case <-l.ctx.Done():
		return
	}
	if l.pc.ConnectionState() != webrtc.PeerConnectionStateDisconnected {
		return
	}
	l.mu.Lock()
	if time.Since(l.restartAt) < 2*time.Second {
		l.mu.Unlock()
		return
	}
	l.restartAt = time.Now()
	l.mu.Unlock()
	offer, err := l.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: true})
	if err == nil {
		err = l.pc.SetLocalDescription(offer)
	}
	if err != nil {
		l.c.cfg.logf("remote: ICE restart: %v", err)
		l.close("ICE restart failed")
		return
	}
	l.c.cfg.logf("remote: ICE restart")
	l.send(signalMsg{Type: "offer", SDP: offer.SDP})
}

func (l *link) close(why string) {
	l.once.Do(func() {
		l.mu.Lock()
		l.reason = why
		l.mu.Unlock()
		l.up.Store(false)
		l.cancel()
		_ = l.pc.Close()
		_ = l.ws.Close()
	})
}

func (l *link) onState(b []byte) {
	l.mu.Lock()
	m, err := l.dec.decode(b)
	l.mu.Unlock()
	if err != nil {
		l.c.cfg.logf("%v", err)
		return
	}
	ch := l.c.stateCh
	for {
		select {
		case ch <- m:
			return
		default:
		}
		select {
		case <-ch:
		default:
		}
	}
}

func (l *link) onAck(b []byte) {
	var a AckMsg
	if err := json.Unmarshal(b, &a); err != nil {
		l.c.cfg.logf("remote: ack: %v", err)
		return
	}
	l.ackMu.Lock()
	ch := l.acks[a.ID]
	l.ackMu.Unlock()
	if ch != nil {
		select {
		case ch <- a:
		default:
		}
	}
}

func (l *link) onDanmaku(b []byte) {
	var m struct {
		Lines []DanmakuLine `json:"lines"`
	}
	if err := json.Unmarshal(b, &m); err != nil || len(m.Lines) == 0 {
		return
	}
	select {
	case l.c.danmakuCh <- m.Lines:
	default:
	}
}

// Pair exchanges the code shown on the desk for a token (for `--remote
// ADDR` on first use). Keep the token: the desk stores only its hash.
func Pair(ctx context.Context, addr, code, name string, role Role) (PairResponse, error) {
	body, err := json.Marshal(pairRequest{Code: code, Name: name, Role: role})
	if err != nil {
		return PairResponse{}, fmt.Errorf("remote: pair: %w", err)
	}
	u := url.URL{Scheme: "http", Host: addr, Path: "/pair"}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return PairResponse{}, fmt.Errorf("remote: pair %s: %w", addr, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return PairResponse{}, fmt.Errorf("remote: pair %s: %w", addr, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if err != nil {
		return PairResponse{}, fmt.Errorf("remote: pair %s: %w", addr, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(b, &e)
		if resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests {
			return PairResponse{}, fmt.Errorf("remote: pair %s: %w: %s", addr, ErrUnauthorized, e.Error)
		}
		return PairResponse{}, fmt.Errorf("remote: pair %s: HTTP %d: %s", addr, resp.StatusCode, e.Error)
	}
	var p PairResponse
	if err := json.Unmarshal(b, &p); err != nil || p.Token == "" {
		return PairResponse{}, fmt.Errorf("remote: pair %s: bad answer: %w", addr, errors.Join(err, ErrBadRequest))
	}
	return p, nil
}
