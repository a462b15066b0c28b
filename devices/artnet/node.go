package artnet

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"studiodesk/devices"
)

// Ticker is what the output loop waits on; *time.Ticker behind realClock.
// Tests drive it by hand.
type Ticker interface {
	C() <-chan time.Time
	Reset(d time.Duration)
	Stop()
}

// Clock supplies time to the output loop and fades.
type Clock interface {
	Now() time.Time
	NewTicker(d time.Duration) Ticker
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
func (realClock) NewTicker(d time.Duration) Ticker {
	return realTicker{time.NewTicker(d)}
}

type realTicker struct{ *time.Ticker }

func (t realTicker) C() <-chan time.Time { return t.Ticker.C }

// Output defaults and limits.
const (
	DefaultFadeRate  = 40 // frames/s while fading
	MaxFadeRate      = 44 // DMX512 tops out near 44 full frames/s
	DefaultKeepalive = time.Second
	DefaultDownAfter = 3               // consecutive failed sends before health is down
	MaxKeepalive     = 4 * time.Second // receivers may drop a silent source after 4 s
)

// NodeConfig describes one universe on one Art-Net node.
type NodeConfig struct {
	Name     string
	Addr     string // host[:port]; port defaults to 6454
	Universe uint16 // 15-bit port-address
	Physical uint8  // informational Physical field of ArtDmx
	// FadeRate is frames/s while a fade runs (default 40).
	FadeRate int
	// Keepalive re-sends unchanged data this often (default 1 s, at most 4 s).
	Keepalive time.Duration
	// SourcePort is the UDP port frames leave from: 0 (default) is an
	// ephemeral port; DefaultPort (6454) suits nodes that accept only the
	// Art-Net port as source, as Art-Net 4 recommends. Nodes with the same
	// source port share one socket.
	SourcePort int
	// LocalAddr optionally binds the sending socket to an address and port;
	// it overrides SourcePort.
	LocalAddr string
	Clock     Clock // nil: the real clock
}

// Node owns one universe's 512-slot frame and the single goroutine that
// sends it: at FadeRate while any fixture fades, every Keepalive when idle,
// and at once on change.
type Node struct {
	name       string
	addr       string // normalised host:port, for messages
	universe   uint16
	physical   uint8
	dst        *net.UDPAddr
	connMu     sync.RWMutex // guards conn and fixedPort: UseSourcePort swaps the socket
	conn       *socket
	fixedPort  bool // the socket was bound to a chosen source port
	clock      Clock
	fadePeriod time.Duration
	keepalive  time.Duration
	health     *devices.Tracker
	downAfter  int

	mu       sync.Mutex
	fixtures []*light
	frame    [MaxSlots]byte
	seq      uint8
	closed   bool
	failures int // consecutive failed sends

	wake      chan struct{}
	quit      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
}

// NewNode opens the socket and starts the output loop.
func NewNode(cfg NodeConfig) (*Node, error) {
	where := fmt.Sprintf("art-net node %q (%s universe %d)", cfg.Name, cfg.Addr, cfg.Universe)
	if cfg.Universe > MaxPortAddress {
		return nil, fmt.Errorf("%s: %w", where, &RangeError{Field: "universe", Value: int(cfg.Universe), Min: 0, Max: MaxPortAddress})
	}
	if cfg.FadeRate == 0 {
		cfg.FadeRate = DefaultFadeRate
	}
	if cfg.FadeRate < 1 || cfg.FadeRate > MaxFadeRate {
		return nil, fmt.Errorf("%s: %w", where, &RangeError{Field: "fade rate", Value: cfg.FadeRate, Min: 1, Max: MaxFadeRate, Unit: "Hz"})
	}
	if cfg.Keepalive == 0 {
		cfg.Keepalive = DefaultKeepalive
	}
	if cfg.Keepalive < 0 || cfg.Keepalive > MaxKeepalive {
		return nil, fmt.Errorf("%s: keepalive: %v not in (0, %v]: %w", where, cfg.Keepalive, MaxKeepalive, devices.ErrOutOfRange)
	}
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	hostport := withDefaultPort(cfg.Addr, DefaultPort)
	where = fmt.Sprintf("art-net node %q (%s universe %d)", cfg.Name, hostport, cfg.Universe)
	dst, err := net.ResolveUDPAddr("udp4", hostport)
	if err != nil {
		return nil, fmt.Errorf("%s: address: %w", where, err)
	}
	if err := devices.CheckRange("source port", cfg.SourcePort, 0, 65535, ""); err != nil {
		return nil, fmt.Errorf("%s: %w", where, err)
	}
	local := &net.UDPAddr{Port: cfg.SourcePort}
	if dst.IP.IsLoopback() {
		local.IP = net.IPv4(127, 0, 0, 1)
	}
	if cfg.LocalAddr != "" {
		if local, err = net.ResolveUDPAddr("udp4", cfg.LocalAddr); err != nil {
			return nil, fmt.Errorf("%s: local address: %w", where, err)
		}
	}
	conn, err := openSocket(local)
	if err != nil {
		return nil, fmt.Errorf("%s: source %s: %w", where, local, err)
	}
	n := &Node{
		name:       cfg.Name,
		addr:       hostport,
		universe:   cfg.Universe,
		physical:   cfg.Physical,
		dst:        dst,
		conn:       conn,
		fixedPort:  cfg.SourcePort != 0 || cfg.LocalAddr != "",
		clock:      cfg.Clock,
		fadePeriod: time.Second / time.Duration(cfg.FadeRate),
		keepalive:  cfg.Keepalive,
		health:     devices.NewTracker(cfg.Clock.Now),
		downAfter:  DefaultDownAfter,
		wake:       make(chan struct{}, 1),
		quit:       make(chan struct{}),
		done:       make(chan struct{}),
	}
	n.health.Set(devices.Connecting) // until the first frame leaves
	go n.run()
	return n, nil
}

func withDefaultPort(addr string, port int) string {
	if _, _, err := net.SplitHostPort(addr); err == nil {
		return addr
	}
	return net.JoinHostPort(addr, strconv.Itoa(port))
}

// Status reports whether frames leave the host. Art-Net has no
// acknowledgements, so OK cannot mean the node heard them.
func (n *Node) Status() devices.Status { return n.health.Status() }

// OnStatusChange registers a hook for health changes (see devices.Tracker).
func (n *Node) OnStatusChange(f func(devices.Status)) { n.health.OnChange(f) }

// Frame returns a copy of the 512 slots as last rendered.
func (n *Node) Frame() [MaxSlots]byte {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.frame
}

// Close stops the output loop and the socket. The node's fixtures then
// refuse Apply with devices.ErrClosed.
func (n *Node) Close() error {
	var err error
	n.closeOnce.Do(func() {
		n.mu.Lock()
		n.closed = true
		n.mu.Unlock()
		close(n.quit)
		<-n.done
		n.connMu.Lock()
		err = n.conn.release()
		n.connMu.Unlock()
	})
	return err
}

// AddFixture patches f into the universe. The returned device also
// implements devices.Capturer.
func (n *Node) AddFixture(f Fixture) (devices.Device, error) {
	lt := &light{node: n}
	lt.where = fmt.Sprintf("light %q (%s universe %d)", label(f.ID, f.Name), n.addr, n.universe)
	l, err := compile(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", lt.where, err)
	}
	lt.layout = l
	lt.state = l.initial()
	for i, v := range l.levels(lt.state) {
		lt.fade[i].to = v
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, fmt.Errorf("%s: %w", lt.where, devices.ErrClosed)
	}
	for _, o := range n.fixtures {
		if o.layout.f.ID == f.ID {
			return nil, fmt.Errorf("%s: id %q already patched", lt.where, f.ID)
		}
		if o.layout.overlaps(&lt.layout) {
			return nil, fmt.Errorf("%s: addresses %d-%d overlap %q at %d-%d", lt.where,
				l.first+1, l.last+1, label(o.layout.f.ID, o.layout.f.Name), o.layout.first+1, o.layout.last+1)
		}
	}
	n.fixtures = append(n.fixtures, lt)
	n.poke()
	return lt, nil
}

// SourcePort is the UDP port the node's frames leave from.
func (n *Node) SourcePort() int {
	n.connMu.RLock()
	defer n.connMu.RUnlock()
	if a, ok := n.conn.LocalAddr().(*net.UDPAddr); ok {
		return a.Port
	}
	return 0
}

// UseSourcePort makes the node's frames leave from port p from now on
// (0: leave it as it is). The source port is the node's, whichever of its
// lights asks for it: a node on an ephemeral port moves to p; a node
// already bound to another chosen port refuses.
func (n *Node) UseSourcePort(p int) error {
	if p == 0 {
		return nil
	}
	if err := devices.CheckRange("source port", p, 0, 65535, ""); err != nil {
		return err
	}
	n.connMu.Lock()
	defer n.connMu.Unlock()
	cur, _ := n.conn.LocalAddr().(*net.UDPAddr)
	if cur != nil && cur.Port == p {
		n.fixedPort = true
		return nil
	}
	if n.fixedPort {
		return fmt.Errorf("source port %d: the node already sends from port %d", p, cur.Port)
	}
	local := &net.UDPAddr{Port: p}
	if cur != nil {
		local.IP = cur.IP
	}
	next, err := openSocket(local)
	if err != nil {
		return fmt.Errorf("source port %d: %w", p, err)
	}
	old := n.conn
	n.conn, n.fixedPort = next, true
	return old.release()
}

// poke asks the loop to send now without blocking.
func (n *Node) poke() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

func (n *Node) run() {
	defer close(n.done)
	period := n.keepalive
	tk := n.clock.NewTicker(period)
	defer tk.Stop()
	buf := make([]byte, 0, artDmxHeaderLen+MaxSlots)
	for {
		woke := false
		select {
		case <-n.quit:
			return
		case <-n.wake:
			woke = true
		case <-tk.C():
		}
		fading := n.send(&buf)
		want := n.keepalive
		if fading {
			want = n.fadePeriod
		}
		// After an immediate send, restart the cadence from now: a fade's
		// frames then start one period after its first, and keep-alive counts
		// from the last packet. Mid-fade ticks leave the ticker alone so
		// frames stay on its drift-free grid.
		if woke || want != period {
			tk.Reset(want)
			period = want
		}
	}
}

// send renders every fixture at the current time, sends one ArtDmx and
// reports whether any fade is still running.
func (n *Node) send(buf *[]byte) (fading bool) {
	now := n.clock.Now()
	n.mu.Lock()
	for _, l := range n.fixtures {
		lv, active := l.fade.at(now)
		l.layout.render(lv, &n.frame)
		fading = fading || active
	}
	// Sequence runs 1-255 and skips 0, which would disable re-ordering.
	n.seq++
	if n.seq == 0 {
		n.seq = 1
	}
	pkt, err := EncodeArtDmx((*buf)[:0], n.seq, n.physical, n.universe, n.frame[:])
	n.mu.Unlock()
	if err == nil {
		*buf = pkt
		n.connMu.RLock()
		_, err = n.conn.WriteToUDP(pkt, n.dst)
		n.connMu.RUnlock()
	}
	if err != nil {
		// No acknowledgement exists in Art-Net: a failing send is the only
		// sign of trouble. One is degraded; DownAfter in a row (no route,
		// cable out) is down.
		n.failures++
		h := devices.Degraded
		if n.failures >= n.downAfter {
			h = devices.Down
		}
		n.health.Failed(h, fmt.Errorf("art-net node %q (%s universe %d): send: %w", n.name, n.addr, n.universe, err))
	} else {
		n.failures = 0
		n.health.Succeeded(0)
	}
	return fading
}

// ramp interpolates one logical parameter between two levels.
type ramp struct {
	from, to float64
	start    time.Time
	dur      time.Duration
	curve    devices.Curve
}

func (r *ramp) at(now time.Time) (float64, bool) {
	if r.dur <= 0 {
		return r.to, false
	}
	el := now.Sub(r.start)
	if el >= r.dur {
		return r.to, false
	}
	p := max(float64(el)/float64(r.dur), 0)
	if r.curve == devices.SCurve {
		p = p * p * (3 - 2*p) // smoothstep: gentle start and landing
	}
	return r.from + (r.to-r.from)*p, true
}

// fade holds one ramp per parameter, so an Apply that sets only the colour
// temperature restarts that ramp and lets a running brightness fade finish
// on its own schedule.
type fade [numParams]ramp

func (f *fade) at(now time.Time) (lv levels, active bool) {
	for i := range f {
		v, a := f[i].at(now)
		if !a {
			f[i].dur = 0 // finished: later frames skip the arithmetic
		}
		lv[i], active = v, active || a
	}
	return lv, active
}

// light is one fixture on a node, as a devices.Device.
type light struct {
	node   *Node
	where  string // `light "主光" (host:port universe N)`, for errors
	layout layout

	// Guarded by node.mu.
	state  state
	fade   fade
	closed bool
}

var (
	_ devices.Device   = (*light)(nil)
	_ devices.Capturer = (*light)(nil)
)

func (l *light) ID() string             { return l.layout.f.ID }
func (l *light) Name() string           { return label(l.layout.f.ID, l.layout.f.Name) }
func (l *light) Kind() devices.Kind     { return devices.KindLight }
func (l *light) Status() devices.Status { return l.node.Status() }

// Close detaches the device handle; the node keeps sending the fixture's
// last levels until the node itself is closed.
func (l *light) Close() error {
	l.node.mu.Lock()
	l.closed = true
	l.node.mu.Unlock()
	return nil
}

// unpatch closes the handle and removes the fixture from its node, so its
// id and addresses can be patched again; its slots keep their last levels.
func (l *light) unpatch() {
	n := l.node
	n.mu.Lock()
	l.closed = true
	for i, o := range n.fixtures {
		if o == l {
			n.fixtures = append(n.fixtures[:i], n.fixtures[i+1:]...)
			break
		}
	}
	n.mu.Unlock()
}

// Apply validates the whole target before touching anything, so a bad
// field leaves the frame unchanged. Each parameter the target sets cancels
// that parameter's running fade and starts from the level it had reached,
// so nothing jumps; parameters left nil keep their course.
func (l *light) Apply(ctx context.Context, t devices.Target) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: %w", l.where, err)
	}
	if t.Light == nil {
		return fmt.Errorf("%s: %w", l.where, devices.ErrWrongKind)
	}
	if t.Fade < 0 {
		return fmt.Errorf("%s: fade: %v is negative: %w", l.where, t.Fade, devices.ErrOutOfRange)
	}
	if t.Curve != "" && t.Curve != devices.Linear && t.Curve != devices.SCurve {
		return fmt.Errorf("%s: curve %q: %w", l.where, t.Curve, devices.ErrUnsupported)
	}
	n := l.node
	n.mu.Lock()
	defer n.mu.Unlock()
	if l.closed || n.closed {
		return fmt.Errorf("%s: %w", l.where, devices.ErrClosed)
	}
	next, err := l.layout.resolve(t.Light, l.state)
	if err != nil {
		return fmt.Errorf("%s: %w", l.where, err)
	}
	now := n.clock.Now()
	from, _ := l.fade.at(now)
	to := l.layout.levels(next)
	for i, set := range touched(t.Light) {
		if set {
			l.fade[i] = ramp{from: from[i], to: to[i], start: now, dur: t.Fade, curve: t.Curve}
		}
	}
	l.state = next
	n.poke()
	return nil
}

// Capture returns the fixture's target (where it is or is heading), not
// an in-between fade level.
func (l *light) Capture(ctx context.Context) (devices.Target, error) {
	if err := ctx.Err(); err != nil {
		return devices.Target{}, fmt.Errorf("%s: %w", l.where, err)
	}
	l.node.mu.Lock()
	s := l.state
	l.node.mu.Unlock()
	lt := &devices.LightTarget{On: devices.Ptr(s.on), Brightness: devices.Ptr(s.brightness)}
	if l.layout.cct >= 0 {
		lt.Temperature = devices.Ptr(s.kelvin)
	}
	if l.layout.red >= 0 {
		lt.Red, lt.Green, lt.Blue = devices.Ptr(s.red), devices.Ptr(s.green), devices.Ptr(s.blue)
	}
	return devices.Target{Light: lt}, nil
}

// touched reports which parameters a target sets.
func touched(t *devices.LightTarget) [numParams]bool {
	var p [numParams]bool
	p[pDimmer] = t.On != nil || t.Brightness != nil
	p[pCCT] = t.Temperature != nil
	p[pRed], p[pGreen], p[pBlue] = t.Red != nil, t.Green != nil, t.Blue != nil
	return p
}

// socket is a sending socket shared by the nodes bound to one local
// address (a fixed source port can be bound once); ephemeral ones are not
// shared.
type socket struct {
	*net.UDPConn
	key  string
	refs int
}

var (
	socketsMu sync.Mutex
	sockets   = map[string]*socket{}
)

func openSocket(local *net.UDPAddr) (*socket, error) {
	if local.Port == 0 {
		conn, err := net.ListenUDP("udp4", local)
		if err != nil {
			return nil, err
		}
		return &socket{UDPConn: conn, refs: 1}, nil
	}
	key := local.String()
	socketsMu.Lock()
	defer socketsMu.Unlock()
	if s, ok := sockets[key]; ok {
		s.refs++
		return s, nil
	}
	conn, err := net.ListenUDP("udp4", local)
	if err != nil {
		return nil, err
	}
	s := &socket{UDPConn: conn, key: key, refs: 1}
	sockets[key] = s
	return s, nil
}

func (s *socket) release() error {
	if s.key == "" {
		return s.Close()
	}
	socketsMu.Lock()
	defer socketsMu.Unlock()
	s.refs--
	if s.refs > 0 {
		return nil
	}
	delete(sockets, s.key)
	return s.Close()
}
