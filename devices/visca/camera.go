package visca

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"studiodesk/devices"
)

// Defaults for Config fields left zero.
const (
	DefaultReplyTimeout  = 200 * time.Millisecond
	DefaultRetries       = 2
	DefaultDownAfter     = 3
	DefaultProbeInterval = 2 * time.Second
)

// Config describes one camera.
type Config struct {
	ID, Name string
	// Addr is host:port; the port defaults to 52381 when omitted.
	Addr string
	// ReplyTimeout bounds the wait for each reply (ACK, then completion).
	// Default 200ms.
	ReplyTimeout time.Duration
	// Retries is how many times a command is retransmitted, with the same
	// sequence number, when no reply comes. 0 means the default 2; a
	// negative value means never.
	Retries int
	// Now is the clock for RTT and status times; nil means time.Now.
	Now func() time.Time
	// DownAfter is how many consecutive failed exchanges turn health from
	// Degraded to Down. Default 3.
	DownAfter int
	// ProbeInterval is how often a harmless zoom inquiry is sent while the
	// link is down or connecting (doubling up to 16x while it stays down), so the status
	// light recovers on its own when a camera comes back. Default 2s; a
	// negative value disables probing.
	ProbeInterval time.Duration
}

// Camera is a VISCA over IP PTZ camera. It implements devices.Device and
// devices.Capturer. Methods are safe for concurrent use; commands are sent
// one at a time because cameras have only two command sockets and
// interleaved packets confuse their sequence tracking.
type Camera struct {
	id, name, addr string
	hostIsIP       bool
	timeout        time.Duration
	retries        int
	downAfter      int
	now            func() time.Time
	tracker        *devices.Tracker

	// slot holds the right to talk to the camera: one packet in flight.
	slot chan struct{}

	// Guarded by slot.
	seq            uint32
	needReset      bool
	resetSupported bool // the camera has acknowledged a reset at least once
	failures       int  // consecutive failed exchanges
	buf            []byte

	connMu sync.Mutex // guards conn against Close racing a lazy dial
	conn   *net.UDPConn

	closed    chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

var (
	_ devices.Device   = (*Camera)(nil)
	_ devices.Capturer = (*Camera)(nil)
)

// New validates cfg and returns a camera. No packet is sent until the first
// command (or the first probe), so a camera that is still off is fine.
func New(cfg Config) (*Camera, error) {
	addr, hostIsIP, err := normalizeAddr(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("camera %q: address %q: %w", cfg.Name, cfg.Addr, err)
	}
	c := &Camera{
		id:        cfg.ID,
		name:      cfg.Name,
		addr:      addr,
		hostIsIP:  hostIsIP,
		timeout:   cfg.ReplyTimeout,
		retries:   cfg.Retries,
		downAfter: cfg.DownAfter,
		now:       cfg.Now,
		slot:      make(chan struct{}, 1),
		needReset: true,
		buf:       make([]byte, 1500),
		closed:    make(chan struct{}),
	}
	if c.timeout <= 0 {
		c.timeout = DefaultReplyTimeout
	}
	switch {
	case c.retries == 0:
		c.retries = DefaultRetries
	case c.retries < 0:
		c.retries = 0
	}
	if c.downAfter <= 0 {
		c.downAfter = DefaultDownAfter
	}
	if c.now == nil {
		c.now = time.Now
	}
	c.tracker = devices.NewTracker(c.now)
	c.tracker.Set(devices.Connecting) // until the camera first answers
	probe := cfg.ProbeInterval
	if probe == 0 {
		probe = DefaultProbeInterval
	}
	if probe > 0 {
		c.wg.Add(1)
		go c.probeLoop(probe)
	}
	return c, nil
}

// normalizeAddr accepts "host:port", "host" or a bare IPv6 address and
// returns host:port with the default port filled in.
func normalizeAddr(s string) (addr string, hostIsIP bool, err error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false, errors.New("empty")
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		// No port: a bare host name, IPv4 or IPv6 address.
		if strings.Contains(s, ":") && net.ParseIP(s) == nil {
			return "", false, err
		}
		host, port = s, strconv.Itoa(DefaultPort)
	}
	if host == "" {
		return "", false, errors.New("missing host")
	}
	if strings.ContainsAny(host, " \t/") {
		return "", false, fmt.Errorf("host %q is not a valid host name", host)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 1 || p > 65535 {
		return "", false, fmt.Errorf("port %q: must be a number 1-65535", port)
	}
	return net.JoinHostPort(host, strconv.Itoa(p)), net.ParseIP(host) != nil, nil
}

// ID implements devices.Device.
func (c *Camera) ID() string { return c.id }

// Name implements devices.Device.
func (c *Camera) Name() string { return c.name }

// Kind implements devices.Device.
func (c *Camera) Kind() devices.Kind { return devices.KindCamera }

// Addr is the camera's host:port.
func (c *Camera) Addr() string { return c.addr }

// Status implements devices.Device.
func (c *Camera) Status() devices.Status { return c.tracker.Status() }

// OnChange registers a hook for health changes (see devices.Tracker).
func (c *Camera) OnChange(f func(devices.Status)) { c.tracker.OnChange(f) }

// Close stops the prober and closes the socket; a command in flight fails
// with devices.ErrClosed.
func (c *Camera) Close() error {
	c.closeOnce.Do(func() {
		close(c.closed)
		c.connMu.Lock()
		if c.conn != nil {
			c.conn.Close()
			c.conn = nil
		}
		c.connMu.Unlock()
	})
	c.wg.Wait()
	return nil
}

// Apply implements devices.Device. A preset (Preset > 0) wins over an
// absolute position. An absolute target moves pan/tilt, then zoom; every
// value is validated before anything is sent. A failed Apply is reported,
// never queued for replay: a camera that comes back must not jump on its own.
func (c *Camera) Apply(ctx context.Context, t devices.Target) error {
	if t.Camera == nil {
		return c.wrap(fmt.Errorf("%w: want a camera target", devices.ErrWrongKind))
	}
	ct := t.Camera
	switch {
	case ct.Preset > 0:
		return c.RecallPreset(ctx, ct.Preset)
	case ct.Preset < 0:
		return c.wrap(checkRange("preset", ct.Preset, MinPreset, MaxPreset))
	case !ct.Absolute:
		return nil
	}
	panSpeed, tiltSpeed := MaxPanSpeed, MaxTiltSpeed
	if ct.Speed != 0 {
		if err := checkRange("speed", ct.Speed, 1, MaxPanSpeed); err != nil {
			return c.wrap(err)
		}
		// One speed drives both axes; tilt tops out one step lower.
		panSpeed, tiltSpeed = ct.Speed, min(ct.Speed, MaxTiltSpeed)
	}
	move, err := AbsolutePosition(panSpeed, tiltSpeed, ct.Pan, ct.Tilt)
	if err != nil {
		return c.wrap(err)
	}
	zoom, err := ZoomDirect(ct.Zoom)
	if err != nil {
		return c.wrap(err)
	}
	if _, err := c.exchange(ctx, "absolute pan/tilt", TypeCommand, move, c.retries); err != nil {
		return err
	}
	_, err = c.exchange(ctx, "zoom", TypeCommand, zoom, c.retries)
	return err
}

// RecallPreset moves the camera to its stored preset n (1-based).
func (c *Camera) RecallPreset(ctx context.Context, n int) error {
	p, err := PresetRecall(n)
	if err != nil {
		return c.wrap(err)
	}
	_, err = c.exchange(ctx, fmt.Sprintf("recall preset %d", n), TypeCommand, p, c.retries)
	return err
}

// StorePreset stores the current position as preset n (1-based).
func (c *Camera) StorePreset(ctx context.Context, n int) error {
	p, err := PresetSet(n)
	if err != nil {
		return c.wrap(err)
	}
	_, err = c.exchange(ctx, fmt.Sprintf("store preset %d", n), TypeCommand, p, c.retries)
	return err
}

// Home moves pan/tilt to the home position.
func (c *Camera) Home(ctx context.Context) error {
	_, err := c.exchange(ctx, "home", TypeCommand, Home(), c.retries)
	return err
}

// Position reads the current pan, tilt and zoom by inquiry.
func (c *Camera) Position(ctx context.Context) (pan, tilt, zoom int, err error) {
	data, err := c.exchange(ctx, "pan/tilt inquiry", TypeInquiry, PanTiltInquiry(), c.retries)
	if err != nil {
		return 0, 0, 0, err
	}
	if pan, tilt, err = DecodePanTilt(data); err != nil {
		return 0, 0, 0, c.wrap(err)
	}
	data, err = c.exchange(ctx, "zoom inquiry", TypeInquiry, ZoomInquiry(), c.retries)
	if err != nil {
		return 0, 0, 0, err
	}
	if zoom, err = DecodeZoom(data); err != nil {
		return 0, 0, 0, c.wrap(err)
	}
	return pan, tilt, zoom, nil
}

// Capture implements devices.Capturer: the live position as an absolute
// camera target.
func (c *Camera) Capture(ctx context.Context) (devices.Target, error) {
	pan, tilt, zoom, err := c.Position(ctx)
	if err != nil {
		return devices.Target{}, err
	}
	return devices.Target{Camera: &devices.CameraTarget{Absolute: true, Pan: pan, Tilt: tilt, Zoom: zoom}}, nil
}

func (c *Camera) wrap(err error) error {
	return fmt.Errorf("camera %q (%s): %w", c.name, c.addr, err)
}

func (c *Camera) wrapOp(op string, err error) error {
	return fmt.Errorf("camera %q (%s): %s: %w", c.name, c.addr, op, err)
}

// timeoutError reads "no reply in 200ms" and matches devices.ErrTimeout.
type timeoutError struct{ d time.Duration }

func (e timeoutError) Error() string { return fmt.Sprintf("no reply in %v", e.d) }
func (e timeoutError) Unwrap() error { return devices.ErrTimeout }

// contextError keeps ctx's reason and, for an expired deadline, also
// matches devices.ErrTimeout so callers need only one check.
func contextError(ctx context.Context, what string) error {
	cause := ctx.Err()
	if cause == nil {
		// The deadline has passed but ctx's own timer has not fired yet.
		cause = context.DeadlineExceeded
	}
	if errors.Is(cause, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w (%w)", what, devices.ErrTimeout, cause)
	}
	return fmt.Errorf("%s: %w", what, cause)
}

// ctxDone reports whether ctx is cancelled or past its deadline. The socket
// deadline can fire before ctx's timer does; checking the clock too keeps
// the retransmit loop from spinning through its attempts in that gap.
func ctxDone(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// refusedError marks a reply in which the camera refused a command: the
// link works, the command did not.
type refusedError struct{ err error }

func (e *refusedError) Error() string { return e.err.Error() }
func (e *refusedError) Unwrap() error { return e.err }

func isRefused(err error) bool {
	var r *refusedError
	return errors.As(err, &r)
}

// errNoReply is internal: an attempt's wait ended without a matching reply.
var errNoReply = errors.New("no reply")

// exchange sends one command or inquiry and waits for its outcome,
// returning the completion's data. retries is how many retransmits follow
// the first send.
func (c *Camera) exchange(ctx context.Context, op string, typ uint16, payload []byte, retries int) ([]byte, error) {
	select {
	case <-c.closed:
		return nil, c.wrapOp(op, devices.ErrClosed)
	default:
	}
	select {
	case c.slot <- struct{}{}:
	case <-ctx.Done():
		return nil, c.wrapOp(op, contextError(ctx, "waiting for the previous command"))
	case <-c.closed:
		return nil, c.wrapOp(op, devices.ErrClosed)
	}
	defer func() { <-c.slot }()

	conn, err := c.connect()
	if err != nil {
		if errors.Is(err, devices.ErrClosed) {
			return nil, c.wrapOp(op, err)
		}
		err = c.wrapOp(op, err)
		c.fail(err)
		return nil, err
	}
	if ctxDone(ctx) {
		// Out of time before anything was sent: not the link's fault.
		return nil, c.wrapOp(op, contextError(ctx, "not sent"))
	}
	// Cancellation without a deadline must still interrupt a blocked read.
	stop := context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()

	data, err := c.run(ctx, conn, typ, payload, retries)
	switch {
	case err == nil:
		return data, nil
	case errors.Is(err, devices.ErrClosed), errors.Is(ctx.Err(), context.Canceled):
		// Not the link's fault: leave health alone.
	case errors.Is(err, devices.ErrTimeout):
		c.fail(c.wrapOp(op, err))
	case isRefused(err), errors.Is(err, ErrSequence):
		c.tracker.Failed(devices.Degraded, c.wrapOp(op, err))
	}
	return nil, c.wrapOp(op, err)
}

// run is exchange's body, called holding the slot.
func (c *Camera) run(ctx context.Context, conn *net.UDPConn, typ uint16, payload []byte, retries int) ([]byte, error) {
	resynced := false
	for {
		if c.needReset {
			if err := c.reset(ctx, conn); err != nil {
				return nil, err
			}
		}
		seq := c.seq
		c.seq++ // wraps at 2^32 by uint32 arithmetic
		pkt, err := EncodePacket(typ, seq, payload)
		if err != nil {
			return nil, err
		}
		data, alreadyRan, err := c.send(ctx, conn, pkt, seq, retries)
		if alreadyRan && typ == TypeInquiry {
			// The answer to an inquiry was lost and the camera will not
			// repeat it; asking again under a fresh sequence is harmless.
			err = ErrSequence
		}
		if errors.Is(err, ErrSequence) && !resynced {
			// Refused as out of sequence, so it did not run: resynchronise
			// and send it once more.
			resynced = true
			c.needReset = true
			continue
		}
		return data, err
	}
}

// send transmits pkt up to retries+1 times with the same sequence number.
func (c *Camera) send(ctx context.Context, conn *net.UDPConn, pkt []byte, seq uint32, retries int) (data []byte, alreadyRan bool, err error) {
	for attempt := 0; attempt <= retries; attempt++ {
		start := c.now()
		if err := c.write(conn, pkt); err != nil {
			return nil, false, err
		}
		deadline := time.Now().Add(c.timeout)
		acked := false
		for {
			r, err := c.read(ctx, conn, deadline)
			if errors.Is(err, errNoReply) {
				break
			}
			if err != nil {
				if acked && isContextErr(err) {
					// Accepted, still executing when the caller's time ran
					// out: the move goes on and the command did its job.
					c.succeed(c.now().Sub(start))
					return nil, false, nil
				}
				return nil, false, err
			}
			if r.Seq != seq || r.Kind == ReplyResetAck {
				continue // a late reply to an earlier packet
			}
			switch r.Kind {
			case ReplyAck:
				acked = true
				c.succeed(c.now().Sub(start))
				deadline = time.Now().Add(c.timeout) // ACK re-arms the wait
			case ReplyCompletion:
				c.succeed(c.now().Sub(start))
				return r.Data, false, nil
			case ReplyError:
				// The link works; the command was refused: degraded, with
				// the camera's reason shown (docs/devices.md, status lights).
				c.failures = 0
				return nil, false, &refusedError{fmt.Errorf("%w (code %02X)", r.Err, r.Code)}
			case ReplyControlError:
				if errors.Is(r.Err, ErrSequence) && attempt > 0 {
					c.succeed(c.now().Sub(start))
					return nil, true, nil // a retransmit of a command that already ran
				}
				if errors.Is(r.Err, ErrSequence) {
					c.failures = 0
					return nil, false, r.Err // resynchronised by run
				}
				c.failures = 0
				return nil, false, &refusedError{r.Err}
			}
		}
		if acked {
			// Accepted but no completion in time: a long move. Never
			// retransmit an accepted command.
			return nil, false, nil
		}
	}
	return nil, false, timeoutError{c.timeout}
}

// reset sends the sequence-number reset and waits one ReplyTimeout for the
// acknowledgement. A camera that never acknowledges resets is still used:
// some firmware ignores control messages but executes commands. The reset
// is handled once per link: an unanswered one is not repeated (nor waited
// for) before every command, only after the link fails again.
func (c *Camera) reset(ctx context.Context, conn *net.UDPConn) error {
	start := c.now()
	if err := c.write(conn, ResetPacket()); err != nil {
		return err
	}
	deadline := time.Now().Add(c.timeout)
	for {
		r, err := c.read(ctx, conn, deadline)
		if errors.Is(err, errNoReply) {
			if c.resetSupported {
				return timeoutError{c.timeout} // it used to answer: the link is silent
			}
			c.needReset = false // ignored: go on with the camera's own numbering
			return nil
		}
		if err != nil {
			return err
		}
		if r.Kind == ReplyResetAck {
			c.needReset = false
			c.resetSupported = true
			c.seq = 0
			c.succeed(c.now().Sub(start))
			return nil
		}
	}
}

func (c *Camera) write(conn *net.UDPConn, pkt []byte) error {
	if _, err := conn.Write(pkt); err != nil {
		if errors.Is(err, net.ErrClosed) {
			return devices.ErrClosed
		}
		// Anything else (port unreachable, no route) just means no reply
		// will come; the timeout and retransmit logic handles it.
	}
	return nil
}

// read returns the next well-formed reply, errNoReply when deadline passes,
// or ctx's error. Malformed datagrams are dropped.
func (c *Camera) read(ctx context.Context, conn *net.UDPConn, deadline time.Time) (Reply, error) {
	for {
		d := deadline
		if cd, ok := ctx.Deadline(); ok && cd.Before(d) {
			d = cd
		}
		conn.SetReadDeadline(d)
		// Checked after setting the deadline so a cancellation that lands in
		// between is not overwritten.
		if ctxDone(ctx) {
			return Reply{}, contextError(ctx, "no reply")
		}
		n, err := conn.Read(c.buf)
		if err != nil {
			switch {
			case errors.Is(err, net.ErrClosed):
				return Reply{}, devices.ErrClosed
			case ctxDone(ctx):
				return Reply{}, contextError(ctx, "no reply")
			case isTimeout(err):
				return Reply{}, errNoReply
			}
			// Typically ECONNREFUSED: an ICMP port unreachable answered an
			// earlier send because nothing listens right now. Keep waiting
			// until the deadline; the camera may be coming back.
			if !time.Now().Before(deadline) {
				return Reply{}, errNoReply
			}
			continue
		}
		r, err := ParseReply(c.buf[:n])
		if err != nil {
			continue
		}
		return r, nil
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// connect returns the socket, dialling it on first use.
func (c *Camera) connect() (*net.UDPConn, error) {
	c.connMu.Lock()
	defer c.connMu.Unlock()
	select {
	case <-c.closed:
		return nil, devices.ErrClosed
	default:
	}
	if c.conn != nil {
		return c.conn, nil
	}
	raddr, err := net.ResolveUDPAddr("udp", c.addr)
	if err != nil {
		return nil, fmt.Errorf("resolve: %w", err)
	}
	conn, err := net.DialUDP("udp", nil, raddr)
	if err != nil {
		return nil, fmt.Errorf("open socket: %w", err)
	}
	c.conn = conn
	return conn, nil
}

// succeed records a reply from the camera. Called holding the slot.
func (c *Camera) succeed(rtt time.Duration) {
	c.failures = 0
	c.tracker.Succeeded(rtt)
}

// fail records a failed exchange. Called holding the slot.
func (c *Camera) fail(err error) {
	c.failures++
	c.needReset = true
	h := devices.Degraded
	if c.failures >= c.downAfter {
		h = devices.Down
		if !c.hostIsIP {
			// A camera found by name may come back at a new address.
			c.connMu.Lock()
			if c.conn != nil {
				c.conn.Close()
				c.conn = nil
			}
			c.connMu.Unlock()
		}
	}
	c.tracker.Failed(h, err)
}

// probeLoop sends a zoom inquiry while the link is down or not yet up,
// backing off while it stays down, so health recovers without user action.
// The first probe also handles the sequence RESET, so the first recall does
// not wait for it. A command never waits for the prober: it goes to the
// camera at once, whatever the backoff.
func (c *Camera) probeLoop(interval time.Duration) {
	defer c.wg.Done()
	devices.Probe(c.closed, interval, c.tracker, c.probe)
}

// probe tries one inquiry without retransmits, and only if no command is in
// flight: a probe must never hold up a user's recall.
func (c *Camera) probe(ctx context.Context) {
	select {
	case c.slot <- struct{}{}:
		<-c.slot
	default:
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 3*c.timeout)
	defer cancel()
	c.exchange(ctx, "probe", TypeInquiry, ZoomInquiry(), 0)
}
