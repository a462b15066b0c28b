package obs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"studiodesk/devices"
)

// Subprotocol is the obs-websocket JSON encoding's WebSocket subprotocol.
const Subprotocol = "obswebsocket.json"

// DefaultPort is obs-websocket's default TCP port.
const DefaultPort = "4455"

// Config configures a Client.
type Config struct {
	ID, Name string
	// Addr is host or host:port; the port defaults to 4455.
	Addr     string
	Password string
	// RequestTimeout bounds each request and the wait for a pong (default 1 s).
	RequestTimeout time.Duration
	// PingInterval is how often an idle link is probed (default 5 s): a
	// half-open socket is only noticed by sending.
	PingInterval time.Duration
	// ReconnectMin and ReconnectMax bound the reconnect backoff (defaults
	// are devices.Backoff's: 250 ms and 10 s).
	ReconnectMin, ReconnectMax time.Duration
	// Now stamps status changes (nil: time.Now). Durations such as RTT use
	// the monotonic clock.
	Now func() time.Time
}

// Client is an obs-websocket v5 connection that keeps itself connected. It
// implements devices.Device (Kind obs) and devices.Capturer.
type Client struct {
	cfg     Config
	addr    string
	prefix  string // `obs "Name" (addr)`, the start of every error
	tracker *devices.Tracker

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	nextID atomic.Uint64
	wake   chan struct{} // SetPassword cuts a backoff wait short
	kick   chan struct{} // a request cuts a backoff wait short

	mu         sync.Mutex
	closed     bool
	password   string
	conn       *websocket.Conn // the socket being set up or in use, for Close
	sess       *session        // set once identified
	connecting bool            // dialing or identifying right now
	changed    chan struct{}   // closed and replaced whenever sess/connecting change
	scene      string
	sceneHooks []func(string)
}

// session is one identified connection. Writes go through writeMu (gorilla
// allows one writer at a time); the reader goroutine is the only reader.
type session struct {
	conn    *websocket.Conn
	writeMu sync.Mutex

	pendMu  sync.Mutex
	pending map[string]chan *RequestResponse
	done    chan struct{} // closed by the reader when the connection ends
	err     error         // why it ended; written before done is closed

	pingSent atomic.Int64 // monotonic nanoseconds since clientEpoch of the last ping
}

// clientEpoch anchors ping timestamps to the monotonic clock.
var clientEpoch = time.Now()

// New creates a Client and starts connecting in the background; Close stops
// it. Apply and the other requests wait for a connection attempt that is
// under way; one issued while the client waits out its backoff starts an
// attempt at once and waits for it, so a recall succeeds as soon as OBS is
// back instead of failing "not connected" until the backoff ends.
func New(cfg Config) *Client {
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = time.Second
	}
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = 5 * time.Second
	}
	if cfg.Name == "" {
		cfg.Name = cfg.ID
	}
	addr := cfg.Addr
	if _, _, err := net.SplitHostPort(addr); err != nil {
		host := strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")
		addr = net.JoinHostPort(host, DefaultPort)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Client{
		cfg:        cfg,
		addr:       addr,
		prefix:     fmt.Sprintf("obs %q (%s)", cfg.Name, addr),
		tracker:    devices.NewTracker(cfg.Now),
		ctx:        ctx,
		cancel:     cancel,
		wake:       make(chan struct{}, 1),
		kick:       make(chan struct{}, 1),
		password:   cfg.Password,
		connecting: true,
		changed:    make(chan struct{}),
	}
	c.tracker.Set(devices.Connecting)
	c.wg.Add(1)
	go c.run()
	return c
}

// ID implements devices.Device.
func (c *Client) ID() string { return c.cfg.ID }

// Name implements devices.Device.
func (c *Client) Name() string { return c.cfg.Name }

// Kind implements devices.Device.
func (c *Client) Kind() devices.Kind { return devices.KindOBS }

// Addr is the host:port dialed.
func (c *Client) Addr() string { return c.addr }

// Status implements devices.Device.
func (c *Client) Status() devices.Status { return c.tracker.Status() }

// OnStatusChange registers a hook for health changes; it must not block.
func (c *Client) OnStatusChange(f func(devices.Status)) { c.tracker.OnChange(f) }

// OnSceneChanged registers a hook called with the new program scene name
// whenever OBS reports a change (event or a fetched current scene that
// differs). Hooks run on the connection's reader goroutine, in arrival
// order; they must not block, nor call Close (which waits for that goroutine).
func (c *Client) OnSceneChanged(f func(name string)) {
	c.mu.Lock()
	c.sceneHooks = append(c.sceneHooks, f)
	c.mu.Unlock()
}

// CurrentScene is the last program scene OBS reported ("" before the first).
func (c *Client) CurrentScene() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.scene
}

// SetPassword changes the password for the next connection attempt and
// retries at once if the client is waiting out a backoff.
func (c *Client) SetPassword(password string) {
	c.mu.Lock()
	c.password = password
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Apply implements devices.Device: a SceneTarget becomes
// SetCurrentProgramScene. Fade is not used: OBS applies its own transition.
func (c *Client) Apply(ctx context.Context, t devices.Target) error {
	if t.Scene == nil || t.Camera != nil || t.Light != nil {
		return fmt.Errorf("%s: %w: want a scene target", c.prefix, devices.ErrWrongKind)
	}
	if t.Scene.Name == "" {
		return fmt.Errorf("%s: scene name: %w: empty", c.prefix, devices.ErrOutOfRange)
	}
	data := struct {
		SceneName string `json:"sceneName"`
	}{t.Scene.Name}
	_, err := c.call(ctx, "SetCurrentProgramScene", strconv.Quote(t.Scene.Name), data)
	return err
}

// Capture implements devices.Capturer with GetCurrentProgramScene.
func (c *Client) Capture(ctx context.Context) (devices.Target, error) {
	raw, err := c.call(ctx, "GetCurrentProgramScene", "", nil)
	if err != nil {
		return devices.Target{}, err
	}
	name, err := c.programScene(raw)
	if err != nil {
		return devices.Target{}, err
	}
	return devices.Target{Scene: &devices.SceneTarget{Name: name}}, nil
}

// SceneList returns the scene names in the order OBS's scene list shows
// them, top first (obs-websocket v5 sends them bottom first).
func (c *Client) SceneList(ctx context.Context) ([]string, error) {
	raw, err := c.call(ctx, "GetSceneList", "", nil)
	if err != nil {
		return nil, err
	}
	var data struct {
		Scenes []sceneEntry `json:"scenes"`
	}
	if err := json.Unmarshal(raw, &data); err != nil {
		return nil, fmt.Errorf("%s: GetSceneList: responseData.scenes: %w", c.prefix, err)
	}
	scenes := data.Scenes
	slices.SortStableFunc(scenes, func(a, b sceneEntry) int { return b.SceneIndex - a.SceneIndex })
	names := make([]string, 0, len(scenes))
	for _, s := range scenes {
		names = append(names, s.SceneName)
	}
	return names, nil
}

type sceneEntry struct {
	SceneIndex int    `json:"sceneIndex"`
	SceneName  string `json:"sceneName"`
}

// Call sends any obs-websocket request and returns its responseData.
// requestData may be nil.
func (c *Client) Call(ctx context.Context, requestType string, requestData any) (json.RawMessage, error) {
	return c.call(ctx, requestType, "", requestData)
}

// Close implements devices.Device: it ends the connection politely, stops
// reconnecting and waits for the client's goroutines.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	conn := c.conn
	c.signalLocked()
	c.mu.Unlock()
	c.cancel()
	if conn != nil {
		// WriteControl and Close are safe alongside the session's writer.
		msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
		_ = conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(100*time.Millisecond))
		_ = conn.Close()
	}
	c.wg.Wait()
	c.tracker.Failed(devices.Down, fmt.Errorf("%s: %w", c.prefix, devices.ErrClosed))
	return nil
}

// signalLocked wakes everyone waiting for a session change. c.mu is held.
func (c *Client) signalLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// run is the connection loop: connect, serve until the link drops, back off,
// repeat until Close.
func (c *Client) run() {
	defer c.wg.Done()
	bo := devices.Backoff{Min: c.cfg.ReconnectMin, Max: c.cfg.ReconnectMax}
	for {
		select {
		case <-c.kick: // this attempt serves a request that kicked earlier
		default:
		}
		c.setConnecting(true)
		c.tracker.Set(devices.Connecting)
		err := c.connectAndServe(&bo)
		if c.ctx.Err() != nil {
			c.setConnecting(false)
			return
		}
		// Record the error first: requests woken by setConnecting quote it.
		c.tracker.Failed(devices.Down, err)
		c.setConnecting(false)
		delay := bo.Next()
		if errors.Is(err, ErrAuthFailed) {
			// Retrying a wrong password cannot succeed until someone fixes
			// it; go straight to the slowest pace.
			delay = bo.Max
		}
		timer := time.NewTimer(delay)
		select {
		case <-c.ctx.Done():
			timer.Stop()
			return
		case <-c.wake:
			bo.Reset()
		case <-c.kick:
			// A request wants OBS now: try at once, keep the backoff's pace
			// for the attempts after this one.
		case <-timer.C:
		}
		timer.Stop()
	}
}

func (c *Client) setConnecting(v bool) {
	c.mu.Lock()
	c.connecting = v
	c.signalLocked()
	c.mu.Unlock()
}

func (c *Client) handshakeTimeout() time.Duration {
	return max(2*c.cfg.RequestTimeout, 2*time.Second)
}

// connectAndServe runs one connection from dial to drop and says why it ended.
func (c *Client) connectAndServe(bo *devices.Backoff) error {
	dialer := websocket.Dialer{
		Subprotocols:     []string{Subprotocol},
		HandshakeTimeout: c.handshakeTimeout(),
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.handshakeTimeout())
	conn, resp, err := dialer.DialContext(ctx, "ws://"+c.addr, nil)
	cancel()
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		return fmt.Errorf("%s: connect: %w", c.prefix, err)
	}
	conn.SetReadLimit(8 << 20)

	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		_ = conn.Close()
		return fmt.Errorf("%s: %w", c.prefix, devices.ErrClosed)
	}
	c.conn = conn
	password := c.password
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.conn, c.sess = nil, nil
		c.signalLocked()
		c.mu.Unlock()
		_ = conn.Close()
	}()

	rtt, err := c.identify(conn, password)
	if err != nil {
		return err
	}
	s := &session{conn: conn, pending: make(map[string]chan *RequestResponse), done: make(chan struct{})}
	bo.Reset()
	c.tracker.Succeeded(rtt)
	c.wg.Add(1)
	go c.read(s)
	c.mu.Lock()
	c.sess = s
	c.signalLocked()
	c.mu.Unlock()

	// Learn the current scene now; the reader records it and tells the hooks.
	ctx, cancel = context.WithTimeout(c.ctx, c.cfg.RequestTimeout)
	_, _ = c.roundTrip(ctx, s, "GetCurrentProgramScene", "", nil)
	cancel()

	return c.keepAlive(s)
}

// keepAlive pings every PingInterval until the session ends or the client
// closes. The reader's deadline turns a missing pong into an error.
func (c *Client) keepAlive(s *session) error {
	ticker := time.NewTicker(c.cfg.PingInterval)
	defer ticker.Stop()
	for {
		select {
		case <-c.ctx.Done():
			_ = s.conn.Close()
			<-s.done
			return fmt.Errorf("%s: %w", c.prefix, devices.ErrClosed)
		case <-s.done:
			return s.err
		case <-ticker.C:
			s.pingSent.Store(int64(time.Since(clientEpoch)))
			err := s.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.cfg.RequestTimeout))
			if err != nil {
				// The reader reports why the link died (often it already has).
				_ = s.conn.Close()
				<-s.done
				return s.err
			}
		}
	}
}

// identify reads Hello, answers Identify and waits for Identified. It returns
// the Identify→Identified round trip.
func (c *Client) identify(conn *websocket.Conn, password string) (time.Duration, error) {
	deadline := time.Now().Add(c.handshakeTimeout())
	_ = conn.SetReadDeadline(deadline)
	_ = conn.SetWriteDeadline(deadline)

	msg, err := c.readHandshake(conn, OpHello)
	if err != nil {
		return 0, err
	}
	if msg.Hello.RPCVersion < RPCVersion {
		return 0, fmt.Errorf("%s: Hello: rpcVersion %d: this client needs %d", c.prefix, msg.Hello.RPCVersion, RPCVersion)
	}
	subs := SubGeneral | SubScenes
	ident := Identify{RPCVersion: RPCVersion, EventSubscriptions: &subs}
	if auth := msg.Hello.Authentication; auth != nil {
		if password == "" {
			return 0, fmt.Errorf("%s: %w: OBS asks for a password and none is set", c.prefix, ErrAuthFailed)
		}
		ident.Authentication = AuthResponse(password, auth.Salt, auth.Challenge)
	}
	data, err := Encode(OpIdentify, ident)
	if err != nil {
		return 0, fmt.Errorf("%s: Identify: %w", c.prefix, err)
	}
	start := time.Now()
	if err := conn.WriteMessage(websocket.TextMessage, data); err != nil {
		return 0, fmt.Errorf("%s: Identify: %w", c.prefix, err)
	}
	if _, err := c.readHandshake(conn, OpIdentified); err != nil {
		return 0, err
	}
	rtt := time.Since(start)
	_ = conn.SetWriteDeadline(time.Time{})
	return rtt, nil
}

func (c *Client) readHandshake(conn *websocket.Conn, want OpCode) (Message, error) {
	_, data, err := conn.ReadMessage()
	if err != nil {
		return Message{}, c.linkError(err, "waiting for "+want.String())
	}
	msg, err := DecodeMessage(data)
	if err != nil {
		return Message{}, fmt.Errorf("%s: waiting for %s: %w", c.prefix, want, err)
	}
	if msg.Op != want {
		return Message{}, fmt.Errorf("%s: waiting for %s: %w: got %s", c.prefix, want, ErrBadMessage, msg.Op)
	}
	return msg, nil
}

// linkError explains why reading from the socket failed.
func (c *Client) linkError(err error, doing string) error {
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		switch ce.Code {
		case CloseAuthenticationFailed:
			return fmt.Errorf("%s: %w: OBS closed the connection: %d %s", c.prefix, ErrAuthFailed, ce.Code, ce.Text)
		case CloseUnsupportedRPC:
			return fmt.Errorf("%s: OBS does not support rpcVersion %d: closed %d %s", c.prefix, RPCVersion, ce.Code, ce.Text)
		}
		return fmt.Errorf("%s: OBS closed the connection: %w", c.prefix, err)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%s: %s: %w", c.prefix, doing, devices.ErrTimeout)
	}
	return fmt.Errorf("%s: %s: %w: %w", c.prefix, doing, ErrConnectionLost, err)
}

// read is the session's only reader: it dispatches responses and events in
// arrival order and ends the session on any read error.
func (c *Client) read(s *session) {
	defer c.wg.Done()
	idle := c.cfg.PingInterval + c.cfg.RequestTimeout
	s.conn.SetPongHandler(func(string) error {
		_ = s.conn.SetReadDeadline(time.Now().Add(idle))
		rtt := time.Since(clientEpoch) - time.Duration(s.pingSent.Load())
		if c.tracker.Status().Health == devices.OK {
			c.tracker.Succeeded(rtt) // refreshes RTT; Degraded waits for a good request
		}
		return nil
	})
	for {
		_ = s.conn.SetReadDeadline(time.Now().Add(idle))
		_, data, err := s.conn.ReadMessage()
		if err != nil {
			doing := fmt.Sprintf("no message or pong within %v", idle)
			s.end(c.linkError(err, doing))
			return
		}
		msg, err := DecodeMessage(data)
		if err != nil {
			continue // one malformed message is not worth dropping the show's link
		}
		switch msg.Op {
		case OpRequestResponse:
			c.dispatchResponse(s, msg.Response)
		case OpEvent:
			c.dispatchEvent(msg.Event)
		}
	}
}

func (s *session) end(err error) {
	s.pendMu.Lock()
	s.err = err
	close(s.done)
	s.pendMu.Unlock()
	_ = s.conn.Close()
}

func (c *Client) dispatchResponse(s *session, r *RequestResponse) {
	if r.RequestType == "GetCurrentProgramScene" && r.RequestStatus.Result {
		if name, err := c.programScene(r.ResponseData); err == nil {
			c.setScene(name)
		}
	}
	s.pendMu.Lock()
	ch := s.pending[r.RequestID]
	delete(s.pending, r.RequestID)
	s.pendMu.Unlock()
	if ch != nil {
		ch <- r // buffered 1, one send per request id
	}
}

func (c *Client) dispatchEvent(e *Event) {
	if e.EventType != "CurrentProgramSceneChanged" {
		return
	}
	var data struct {
		SceneName *string `json:"sceneName"`
	}
	if err := json.Unmarshal(e.EventData, &data); err != nil || data.SceneName == nil {
		return
	}
	c.setScene(*data.SceneName)
}

func (c *Client) setScene(name string) {
	c.mu.Lock()
	if c.scene == name {
		c.mu.Unlock()
		return
	}
	c.scene = name
	hooks := slices.Clone(c.sceneHooks)
	c.mu.Unlock()
	for _, h := range hooks {
		h(name)
	}
}

// programScene reads GetCurrentProgramScene's responseData; 5.0-5.2 name
// the field currentProgramSceneName, later versions add sceneName.
func (c *Client) programScene(raw json.RawMessage) (string, error) {
	var data struct {
		Current *string `json:"currentProgramSceneName"`
		Name    *string `json:"sceneName"`
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &data); err != nil {
			return "", fmt.Errorf("%s: GetCurrentProgramScene: responseData: %w", c.prefix, err)
		}
	}
	switch {
	case data.Current != nil:
		return *data.Current, nil
	case data.Name != nil:
		return *data.Name, nil
	}
	return "", fmt.Errorf("%s: GetCurrentProgramScene: responseData: %w: missing currentProgramSceneName", c.prefix, ErrBadMessage)
}

// call waits for a session (if one is being set up) and round-trips one request.
// subject (e.g. a quoted scene name) follows the request type in errors.
func (c *Client) call(ctx context.Context, requestType, subject string, data any) (json.RawMessage, error) {
	s, err := c.waitSession(ctx, requestType, subject)
	if err != nil {
		return nil, err
	}
	return c.roundTrip(ctx, s, requestType, subject, data)
}

func (c *Client) what(requestType, subject string) string {
	if subject == "" {
		return c.prefix + ": " + requestType
	}
	return c.prefix + ": " + requestType + " " + subject
}

// waitSession returns the session, waiting for an attempt under way; while
// the client waits out its backoff it starts one attempt at once (a kick)
// and fails only if that attempt fails too.
func (c *Client) waitSession(ctx context.Context, requestType, subject string) (*session, error) {
	timer := time.NewTimer(c.cfg.RequestTimeout)
	defer timer.Stop()
	kicked, attempted := false, false
	for {
		c.mu.Lock()
		closed, s, connecting, changed := c.closed, c.sess, c.connecting, c.changed
		c.mu.Unlock()
		switch {
		case closed:
			return nil, fmt.Errorf("%s: %w", c.what(requestType, subject), devices.ErrClosed)
		case s != nil:
			return s, nil
		case connecting:
			attempted = attempted || kicked
		case kicked && attempted:
			return nil, c.notConnected(requestType, subject)
		case !kicked:
			kicked = true
			select {
			case c.kick <- struct{}{}:
			default: // a kick is already pending
			}
		}
		select {
		case <-changed:
		case <-timer.C:
			return nil, c.notConnected(requestType, subject)
		case <-ctx.Done():
			return nil, c.ctxError(ctx, requestType, subject)
		}
	}
}

func (c *Client) notConnected(requestType, subject string) error {
	if last := c.tracker.Status().LastError; last != "" {
		return fmt.Errorf("%s: %w (last error: %s)", c.what(requestType, subject), ErrNotConnected, last)
	}
	return fmt.Errorf("%s: %w", c.what(requestType, subject), ErrNotConnected)
}

func (c *Client) ctxError(ctx context.Context, requestType, subject string) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w: %w", c.what(requestType, subject), devices.ErrTimeout, ctx.Err())
	}
	return fmt.Errorf("%s: %w", c.what(requestType, subject), ctx.Err())
}

// roundTrip sends one request on s and waits for its response, at most
// RequestTimeout and never past ctx.
func (c *Client) roundTrip(ctx context.Context, s *session, requestType, subject string, data any) (json.RawMessage, error) {
	if ctx.Err() != nil {
		return nil, c.ctxError(ctx, requestType, subject)
	}
	req := Request{RequestType: requestType, RequestID: strconv.FormatUint(c.nextID.Add(1), 10)}
	if data != nil {
		raw, err := json.Marshal(data)
		if err != nil {
			return nil, fmt.Errorf("%s: requestData: %w", c.what(requestType, subject), err)
		}
		req.RequestData = raw
	}
	frame, err := Encode(OpRequest, req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.what(requestType, subject), err)
	}

	ch := make(chan *RequestResponse, 1)
	s.pendMu.Lock()
	if s.err != nil {
		s.pendMu.Unlock()
		return nil, fmt.Errorf("%s: %w: %w", c.what(requestType, subject), ErrConnectionLost, s.err)
	}
	s.pending[req.RequestID] = ch
	s.pendMu.Unlock()
	defer func() {
		s.pendMu.Lock()
		delete(s.pending, req.RequestID)
		s.pendMu.Unlock()
	}()

	deadline := time.Now().Add(c.cfg.RequestTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	start := time.Now()
	s.writeMu.Lock()
	_ = s.conn.SetWriteDeadline(deadline)
	err = s.conn.WriteMessage(websocket.TextMessage, frame)
	s.writeMu.Unlock()
	if err != nil {
		_ = s.conn.Close() // a failed write leaves the frame stream unusable
		return nil, fmt.Errorf("%s: send: %w: %w", c.what(requestType, subject), ErrConnectionLost, err)
	}

	timer := time.NewTimer(c.cfg.RequestTimeout)
	defer timer.Stop()
	select {
	case r := <-ch:
		if !r.RequestStatus.Result {
			// The link works; OBS refused the request: degraded, with the
			// reason shown, until a request succeeds (docs/devices.md).
			err := fmt.Errorf("%s: %w", c.what(requestType, subject),
				&RequestError{RequestType: requestType, Code: r.RequestStatus.Code, Comment: r.RequestStatus.Comment})
			c.tracker.Failed(devices.Degraded, err)
			return nil, err
		}
		c.tracker.Succeeded(time.Since(start))
		return r.ResponseData, nil
	case <-s.done:
		return nil, fmt.Errorf("%s: %w: %w", c.what(requestType, subject), ErrConnectionLost, s.err)
	case <-timer.C:
		err := fmt.Errorf("%s: %w after %v", c.what(requestType, subject), devices.ErrTimeout, c.cfg.RequestTimeout)
		c.tracker.Failed(devices.Degraded, err)
		return nil, err
	case <-ctx.Done():
		return nil, c.ctxError(ctx, requestType, subject)
	}
}

var (
	_ devices.Device   = (*Client)(nil)
	_ devices.Capturer = (*Client)(nil)
)
