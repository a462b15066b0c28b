// Package bilibili receives a Bilibili live room's viewer events through the
// open platform (开放平台 / 互动玩法): it starts a session (game) with the
// streamer's identity code over the signed HTTP API, keeps it alive, and
// reads the WebSocket message push. It is receive-only: the platform has no
// coupon or vote write API, so votes are counted from danmaku digits.
//
// Commands become platform events:
//
//	LIVE_OPEN_PLATFORM_DM                danmaku       Text = msg, ID = msg_id
//	LIVE_OPEN_PLATFORM_SEND_GIFT         gift          Text = gift name, Count, Amount = price×num if paid
//	LIVE_OPEN_PLATFORM_SUPER_CHAT        superchat     Text, Amount = rmb×1000, Ref = message_id
//	LIVE_OPEN_PLATFORM_SUPER_CHAT_DEL    superchat_del one per withdrawn id, Ref = message_id
//	LIVE_OPEN_PLATFORM_GUARD             guard         GuardLevel, Count, Amount = price×num
//	LIVE_OPEN_PLATFORM_LIKE              like          Count = like_count
//	LIVE_OPEN_PLATFORM_LIVE_ROOM_ENTER   enter
//	LIVE_OPEN_PLATFORM_LIVE_START / _END live_start / live_end, Text = title
//	LIVE_OPEN_PLATFORM_INTERACTION_END   no event: the session is over, start a new one
//	heartbeat reply (op 3)               viewers       Count = popularity (人气), when it changes
//
// Amounts are in 1/1000 CNY. Unknown commands are counted (Stats) and
// skipped; so are frames the decoder rejects.
package bilibili

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"studiodesk/studio/platform"
)

// Name is the adapter's platform name.
const Name = "bilibili"

// Defaults for Config.
const (
	DefaultHeartbeatEvery   = 20 * time.Second // /v2/app/heartbeat
	DefaultWSHeartbeatEvery = 30 * time.Second // op 2
	DefaultAuthTimeout      = 5 * time.Second
	DefaultBackoffMin       = 500 * time.Millisecond
	DefaultBackoffMax       = 30 * time.Second
	// MaxFrame caps one WebSocket message.
	MaxFrame = 8 << 20
)

// Config configures an Adapter. AppID, AccessKeyID, AccessKeySecret and
// IdentityCode are required.
type Config struct {
	APIBase         string // DefaultAPIBase if empty
	AppID           int64
	AccessKeyID     string
	AccessKeySecret string
	// IdentityCode is the streamer's 身份码.
	IdentityCode string

	HeartbeatEvery   time.Duration // app heartbeat (DefaultHeartbeatEvery)
	WSHeartbeatEvery time.Duration // WebSocket heartbeat (DefaultWSHeartbeatEvery)
	AuthTimeout      time.Duration // auth reply deadline (DefaultAuthTimeout)
	// ReadTimeout drops a connection that has been silent this long
	// (2×WSHeartbeatEvery + 10 s by default: the server answers every
	// heartbeat).
	ReadTimeout time.Duration
	BackoffMin  time.Duration // first reconnect delay (DefaultBackoffMin)
	BackoffMax  time.Duration // longest reconnect delay (DefaultBackoffMax)

	Dialer     *websocket.Dialer // websocket.DefaultDialer if nil
	HTTPClient *http.Client      // a client with a 10 s timeout if nil
	// Now stamps events without a platform timestamp and link states
	// (time.Now if nil). Network deadlines always use the real clock.
	Now func() time.Time
}

// Adapter is the Bilibili open-platform link. It implements
// platform.Platform.
type Adapter struct {
	platform.Link

	cfg     Config
	api     *Client
	dec     Decoder
	running atomic.Bool
	seq     uint64 // events delivered; Run's goroutine only

	mu     sync.Mutex
	stats  Stats
	anchor Anchor
}

var _ platform.Platform = (*Adapter)(nil)

// Anchor is the streamer the current session belongs to.
type Anchor struct {
	RoomID int64
	Uname  string
	OpenID string
	GameID string
}

// Stats counts what the adapter saw. Unknown holds at most
// maxUnknownNames command names; further names count under "(other)".
type Stats struct {
	Frames       uint64 // WebSocket messages read
	Events       uint64 // events delivered
	BadFrames    uint64 // frames the decoder rejected (skipped)
	BadMessages  uint64 // op-5 bodies that did not parse (skipped)
	UnknownTotal uint64 // op-5 bodies with a command we do not translate
	Unknown      map[string]uint64
	Starts       uint64 // /v2/app/start successes
	Connects     uint64 // authenticated WebSocket connections
	Popularity   uint32 // last heartbeat reply value
	// HeartbeatFailures counts failed /v2/app/heartbeat calls other than
	// 7003 (which starts a new session).
	HeartbeatFailures uint64
	LastDecodeError   string
	LastHeartbeatErr  string
}

const maxUnknownNames = 64

// New checks cfg and returns an adapter.
func New(cfg Config) (*Adapter, error) {
	switch {
	case cfg.AppID == 0:
		return nil, errors.New("bilibili: config: AppID missing")
	case cfg.AccessKeyID == "" || cfg.AccessKeySecret == "":
		return nil, errors.New("bilibili: config: AccessKeyID or AccessKeySecret missing")
	case cfg.IdentityCode == "":
		return nil, errors.New("bilibili: config: IdentityCode missing")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.HeartbeatEvery, DefaultHeartbeatEvery)
	def(&cfg.WSHeartbeatEvery, DefaultWSHeartbeatEvery)
	def(&cfg.AuthTimeout, DefaultAuthTimeout)
	def(&cfg.ReadTimeout, 2*cfg.WSHeartbeatEvery+10*time.Second)
	def(&cfg.BackoffMin, DefaultBackoffMin)
	def(&cfg.BackoffMax, DefaultBackoffMax)
	if cfg.BackoffMax < cfg.BackoffMin {
		cfg.BackoffMax = cfg.BackoffMin
	}
	if cfg.Dialer == nil {
		cfg.Dialer = websocket.DefaultDialer
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	a := &Adapter{cfg: cfg}
	a.Link.Now = cfg.Now
	a.api = &Client{
		Base: cfg.APIBase, AccessKeyID: cfg.AccessKeyID, AccessKeySecret: cfg.AccessKeySecret,
		HTTP: cfg.HTTPClient, Now: cfg.Now,
	}
	return a, nil
}

// Name returns "bilibili".
func (a *Adapter) Name() string { return Name }

// Capabilities: danmaku only; votes are counted from danmaku digits by the
// desk.
func (a *Adapter) Capabilities() platform.Capabilities {
	return platform.Capabilities{Danmaku: true}
}

type unsupportedError struct{}

func (unsupportedError) Error() string { return "not supported on " + Name }
func (unsupportedError) Unwrap() error { return platform.ErrUnsupported }

// Send always fails with an error wrapping platform.ErrUnsupported: the
// open platform has no write API.
func (a *Adapter) Send(_ context.Context, cmd platform.Command) (platform.Ack, error) {
	return platform.Ack{Key: cmd.Key}, fmt.Errorf("bilibili: %s: %w", cmd.Kind, unsupportedError{})
}

// Stats returns a copy of the counters.
func (a *Adapter) Stats() Stats {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.stats
	if s.Unknown != nil {
		s.Unknown = make(map[string]uint64, len(a.stats.Unknown))
		for k, v := range a.stats.Unknown {
			s.Unknown[k] = v
		}
	}
	return s
}

// Anchor returns the streamer of the last started session.
func (a *Adapter) Anchor() Anchor {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.anchor
}

func (a *Adapter) count(f func(s *Stats)) {
	a.mu.Lock()
	f(&a.stats)
	a.mu.Unlock()
}

// Sentinel causes for ending a connection.
var (
	errInteractionEnd = errors.New("bilibili: platform ended the interaction (INTERACTION_END)")
	// ErrAuthRejected is wrapped when the WebSocket auth reply is not
	// {"code":0}.
	ErrAuthRejected = errors.New("auth rejected")
)

// game is one started session and its app heartbeat.
type game struct {
	info   StartInfo
	ctx    context.Context // ends when the platform closes the session or Run ends
	cancel context.CancelCauseFunc
	done   chan struct{} // heartbeat loop exited
	// abandoned: we gave up on it (auth rejected, links unreachable)
	// while the platform may still hold it open, so it must be ended.
	abandoned bool
	dialFails int // consecutive failures to reach any wss_link
}

// maxDialFails is how many rounds of unreachable wss_links make the adapter
// start a new session (with fresh links) instead of retrying the old ones.
const maxDialFails = 3

func (g *game) closed() bool { return g.ctx.Err() != nil }

func (g *game) stop() {
	g.cancel(nil)
	<-g.done
}

// Run starts a session, connects and delivers events until ctx ends, then
// ends the session with /v2/app/end and returns ctx's error.
func (a *Adapter) Run(ctx context.Context, sink func(platform.Event)) error {
	if sink == nil {
		return errors.New("bilibili: Run: nil sink")
	}
	if !a.running.CompareAndSwap(false, true) {
		return fmt.Errorf("bilibili: %w", platform.ErrRunning)
	}
	defer a.running.Store(false)

	bo := platform.Backoff{Min: a.cfg.BackoffMin, Max: a.cfg.BackoffMax}
	var g *game
	defer func() {
		if g != nil {
			a.finish(ctx, g)
		}
		a.Set(platform.Down, nil)
	}()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		a.Set(platform.Connecting, nil)
		var err error
		if g != nil && (g.closed() || g.abandoned) {
			a.finish(ctx, g)
			g = nil
		}
		if g == nil {
			g, err = a.startGame(ctx)
		}
		if err == nil {
			err = a.session(ctx, g, sink, &bo)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		a.Set(platform.Down, err)
		t := time.NewTimer(bo.Next())
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// finish stops g's heartbeat and ends it on the platform unless the
// platform closed it.
func (a *Adapter) finish(ctx context.Context, g *game) {
	platformClosed := g.closed() && ctx.Err() == nil && !g.abandoned
	g.stop()
	if platformClosed {
		return
	}
	ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	// Best effort: the session times out on the platform anyway.
	_ = a.api.End(ectx, a.cfg.AppID, g.info.GameInfo.GameID)
}

func (a *Adapter) startGame(ctx context.Context) (*game, error) {
	info, err := a.api.Start(ctx, a.cfg.IdentityCode, a.cfg.AppID)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.stats.Starts++
	a.anchor = Anchor{
		RoomID: info.AnchorInfo.RoomID, Uname: info.AnchorInfo.Uname,
		OpenID: info.AnchorInfo.OpenID, GameID: info.GameInfo.GameID,
	}
	a.mu.Unlock()
	gctx, cancel := context.WithCancelCause(ctx)
	g := &game{info: info, ctx: gctx, cancel: cancel, done: make(chan struct{})}
	go a.appHeartbeat(g)
	return g, nil
}

// appHeartbeat posts /v2/app/heartbeat until g ends; 7003 closes g.
func (a *Adapter) appHeartbeat(g *game) {
	defer close(g.done)
	t := time.NewTicker(a.cfg.HeartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-g.ctx.Done():
			return
		case <-t.C:
		}
		hctx, cancel := context.WithTimeout(g.ctx, 10*time.Second)
		err := a.api.Heartbeat(hctx, g.info.GameInfo.GameID)
		cancel()
		switch {
		case err == nil:
		case errors.Is(err, ErrGameClosed):
			g.cancel(err)
			return
		case g.ctx.Err() != nil:
			return
		default:
			a.count(func(s *Stats) { s.HeartbeatFailures++; s.LastHeartbeatErr = err.Error() })
		}
	}
}

// conn serialises writes to one WebSocket: gorilla allows one writer at a
// time.
type conn struct {
	ws   *websocket.Conn
	link string
	mu   sync.Mutex
	seq  uint32
}

func (c *conn) write(op uint32, body []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if err := c.ws.WriteMessage(websocket.BinaryMessage, Encode(op, VerHeartbeat, c.seq, body)); err != nil {
		return fmt.Errorf("bilibili: %s: write op %d: %w", c.link, op, err)
	}
	return nil
}

func (a *Adapter) dial(ctx context.Context, links []string) (*conn, error) {
	var errs []error
	for _, link := range links {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		ws, resp, err := a.cfg.Dialer.DialContext(dctx, link, nil)
		cancel()
		if resp != nil && resp.Body != nil {
			resp.Body.Close()
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("bilibili: dial %s: %w", link, err))
			if ctx.Err() != nil {
				break
			}
			continue
		}
		ws.SetReadLimit(MaxFrame)
		return &conn{ws: ws, link: link}, nil
	}
	if len(errs) == 0 {
		return nil, errors.New("bilibili: no wss_link to dial")
	}
	return nil, errors.Join(errs...)
}

// session runs one WebSocket connection of game g: auth, heartbeats and
// the reader loop, which is the only goroutine calling sink.
func (a *Adapter) session(ctx context.Context, g *game, sink func(platform.Event), bo *platform.Backoff) error {
	c, err := a.dial(g.ctx, g.info.WebsocketInfo.WSSLink)
	if err != nil {
		if g.dialFails++; g.dialFails >= maxDialFails {
			g.abandoned = true
		}
		return err
	}
	g.dialFails = 0
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		// Closing the socket is what unblocks the reader when the game
		// or Run ends.
		defer wg.Done()
		select {
		case <-stop:
		case <-g.ctx.Done():
			_ = c.ws.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
			c.ws.Close()
		}
	}()
	defer func() {
		close(stop)
		c.ws.Close()
		wg.Wait()
	}()

	if err := a.auth(c, g); err != nil {
		return err
	}
	a.count(func(s *Stats) { s.Connects++ })
	a.Set(platform.Connected, nil)
	bo.Reset()

	wg.Add(1)
	go func() {
		defer wg.Done()
		a.wsHeartbeat(c, stop)
	}()

	for {
		_ = c.ws.SetReadDeadline(time.Now().Add(a.cfg.ReadTimeout))
		mt, data, err := c.ws.ReadMessage()
		if err != nil {
			if g.ctx.Err() != nil {
				if cause := context.Cause(g.ctx); ctx.Err() == nil && cause != nil {
					return cause
				}
				return g.ctx.Err()
			}
			return fmt.Errorf("bilibili: %s: read: %w", c.link, err)
		}
		if mt != websocket.BinaryMessage {
			continue
		}
		if err := a.handleFrame(g, data, sink); err != nil {
			return err
		}
	}
}

// auth sends op 7 with auth_body and waits for op 8 {"code":0}.
func (a *Adapter) auth(c *conn, g *game) error {
	deadline := time.Now().Add(a.cfg.AuthTimeout)
	_ = c.ws.SetReadDeadline(deadline)
	if err := c.write(OpAuth, []byte(g.info.WebsocketInfo.AuthBody)); err != nil {
		return err
	}
	for {
		mt, data, err := c.ws.ReadMessage()
		if err != nil {
			return fmt.Errorf("bilibili: %s: waiting for auth reply: %w", c.link, err)
		}
		if mt != websocket.BinaryMessage {
			continue
		}
		pkts, err := a.dec.Decode(data)
		if err != nil {
			return fmt.Errorf("%w (waiting for auth reply from %s)", err, c.link)
		}
		for _, p := range pkts {
			if p.Op != OpAuthReply {
				continue
			}
			var r struct {
				Code *int `json:"code"`
			}
			if err := json.Unmarshal(p.Body, &r); err != nil || r.Code == nil {
				g.abandoned = true
				return fmt.Errorf("bilibili: %s: auth reply %.64q: %w", c.link, p.Body, ErrAuthRejected)
			}
			if *r.Code != 0 {
				g.abandoned = true
				return fmt.Errorf("bilibili: %s: auth reply code %d: %w", c.link, *r.Code, ErrAuthRejected)
			}
			return nil
		}
	}
}

// wsHeartbeat sends op 2 at once and then every WSHeartbeatEvery until
// stop; a failed write closes the socket so the reader returns.
func (a *Adapter) wsHeartbeat(c *conn, stop <-chan struct{}) {
	t := time.NewTicker(a.cfg.WSHeartbeatEvery)
	defer t.Stop()
	for {
		if err := c.write(OpHeartbeat, nil); err != nil {
			c.ws.Close()
			return
		}
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

// handleFrame decodes one frame and delivers its events in order. It
// returns an error only to end the connection.
func (a *Adapter) handleFrame(g *game, data []byte, sink func(platform.Event)) error {
	a.count(func(s *Stats) { s.Frames++ })
	pkts, err := a.dec.Decode(data)
	if err != nil {
		// A frame is self-contained: skip it, keep the connection.
		a.count(func(s *Stats) { s.BadFrames++; s.LastDecodeError = err.Error() })
		return nil
	}
	for _, p := range pkts {
		switch p.Op {
		case OpHeartbeatReply:
			n, ok := p.Popularity()
			if !ok {
				continue
			}
			var changed bool
			a.count(func(s *Stats) { changed = s.Popularity != n; s.Popularity = n })
			if changed {
				a.deliver(sink, platform.Event{Kind: platform.KindViewers, Count: int(min(n, 1<<31-1))})
			}
		case OpMessage:
			if p.Ver != VerJSON || len(bytes.TrimSpace(p.Body)) == 0 {
				a.count(func(s *Stats) { s.BadMessages++ })
				continue
			}
			m, err := ParseMessage(p.Body)
			if err != nil {
				a.count(func(s *Stats) { s.BadMessages++; s.LastDecodeError = err.Error() })
				continue
			}
			if !m.Known {
				a.count(func(s *Stats) {
					s.UnknownTotal++
					if s.Unknown == nil {
						s.Unknown = make(map[string]uint64)
					}
					name := m.Cmd
					if _, seen := s.Unknown[name]; !seen && len(s.Unknown) >= maxUnknownNames {
						name = "(other)"
					}
					s.Unknown[name]++
				})
				continue
			}
			if m.Cmd == CmdInteractionEnd {
				if m.GameID != "" && m.GameID != g.info.GameInfo.GameID {
					continue // a previous session's farewell
				}
				g.cancel(errInteractionEnd)
				return errInteractionEnd
			}
			for _, ev := range m.Events {
				a.deliver(sink, ev)
			}
		}
	}
	return nil
}

func (a *Adapter) deliver(sink func(platform.Event), ev platform.Event) {
	a.seq++
	ev.Seq = a.seq
	if ev.Time.IsZero() {
		ev.Time = a.cfg.Now()
	}
	a.count(func(s *Stats) { s.Events++ })
	sink(ev)
}
