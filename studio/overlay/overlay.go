// Package overlay serves the on-stream overlays to OBS browser sources:
// /danmaku (scrolling comments), /wall (pinned reviews), /coupon (coupon
// card with countdown and stock left) and /vote (vote bars and result).
//
// Each page is static HTML and JavaScript from assets/overlay. It opens
// ws://HOST/ws?topic=… and renders the JSON messages pushed to it. Viewer
// text is set with textContent only, class names come from a fixed table
// and only the operator's validated Style reaches CSS. Every response
// carries a strict Content-Security-Policy (no inline script or style).
//
// Pushing never blocks on a browser: each connection has one writer
// goroutine and a bounded queue that keeps the latest wall, coupon and
// vote state and drops the oldest danmaku lines when a browser stalls.
package overlay

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"studiodesk/assets"
	overlayassets "studiodesk/assets/overlay"
)

// Topics: one per page.
const (
	TopicDanmaku = "danmaku"
	TopicWall    = "wall"
	TopicCoupon  = "coupon"
	TopicVote    = "vote"
)

// DefaultAddr is where OBS finds the overlays unless Config.Addr says otherwise.
const DefaultAddr = "127.0.0.1:8787"

// Errors callers branch on.
var (
	ErrInvalidStyle = errors.New("invalid style value")
	ErrNotLoopback  = errors.New("overlay listens on loopback only")
	ErrStarted      = errors.New("overlay server already started")
	ErrClosed       = errors.New("overlay server closed")
)

// DefaultLANAddr is where the overlays listen when served on the LAN.
const DefaultLANAddr = "0.0.0.0:8787"

// MinTokenLen is the shortest LAN token accepted: 22 base64url characters
// carry 128 random bits (NewToken).
const MinTokenLen = 22

// Config configures a Server.
type Config struct {
	// Addr is host:port to listen on. Without LAN only loopback hosts are
	// accepted; empty means DefaultAddr (DefaultLANAddr with LAN), and
	// ":0" picks a free port.
	Addr string
	// LAN serves the overlays to OBS on another PC of the studio network.
	// Off by default. Every path then starts with /<Token>/, and the Host
	// header must name this machine by one of its IP addresses (or
	// localhost), so a web page elsewhere cannot reach the overlays
	// through DNS rebinding; the WebSocket Origin check stays.
	LAN bool
	// Token is the per-desk secret in LAN URLs (at least MinTokenLen
	// URL-safe characters; see NewToken). Required with LAN.
	Token string
	Style Style
	// Now is the desk clock (time.Now when nil). Every message carries it,
	// so page countdowns follow the desk even if the page clock is off.
	Now func() time.Time
}

// Stats counts what the server did.
type Stats struct {
	Clients int    // open WebSocket connections
	Dropped uint64 // danmaku lines dropped for connections that fell behind
}

// Server is the overlay HTTP and WebSocket server.
type Server struct {
	cfg      Config
	now      func() time.Time
	upgrader websocket.Upgrader

	mu      sync.Mutex
	style   Style
	recent  []wireLine // last MaxLines danmaku lines, for pages that (re)connect
	wall    []wireLine
	coupon  *wireCoupon
	vote    *wireVote
	version map[string]uint64 // per state topic, increases with every change
	conns   map[*conn]struct{}
	started bool
	closed  bool
	srv     *http.Server

	addr    string          // bound host:port once started
	hostIPs func() []net.IP // this machine's addresses (tests replace it)
	dropped atomic.Uint64
	wg      sync.WaitGroup
}

// New returns a server for cfg; Start checks the config and listens.
func New(cfg Config) *Server {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	s := &Server{
		cfg:     cfg,
		now:     now,
		style:   cfg.Style.withDefaults(),
		conns:   make(map[*conn]struct{}),
		hostIPs: interfaceIPs,
		// Versions start at 1 so a new page (which has sent 0) gets the state.
		version: map[string]uint64{TopicWall: 1, TopicCoupon: 1, TopicVote: 1},
	}
	s.upgrader = websocket.Upgrader{
		ReadBufferSize:  1024,
		WriteBufferSize: 16 << 10,
		// The default origin check (Origin host == Host) stays: only the
		// pages served here may open the socket.
	}
	return s
}

// loopbackAddr checks addr and returns the address to listen on.
func loopbackAddr(addr string) (string, error) {
	if addr == "" {
		addr = DefaultAddr
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("overlay config: Addr %q: %w", addr, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.Equal(net.IPv4(127, 0, 0, 1)) {
		return "", fmt.Errorf("overlay config: Addr %q: %w (use 127.0.0.1)", addr, ErrNotLoopback)
	}
	return net.JoinHostPort("127.0.0.1", port), nil
}

// NewToken returns a fresh LAN token: 128 random bits, base64url.
func NewToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// validToken checks a LAN token's length and alphabet (it goes into URLs).
func validToken(t string) error {
	if len(t) < MinTokenLen || len(t) > 128 {
		return fmt.Errorf("overlay config: Token: %d characters, want %d..128", len(t), MinTokenLen)
	}
	for _, c := range t {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("overlay config: Token: character %q, want A-Z a-z 0-9 - _", c)
		}
	}
	return nil
}

// lanAddr checks a LAN listen address.
func lanAddr(addr string) (string, error) {
	if addr == "" {
		addr = DefaultLANAddr
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return "", fmt.Errorf("overlay config: Addr %q: %w", addr, err)
	}
	return addr, nil
}

// interfaceIPs lists this machine's IP addresses.
func interfaceIPs() []net.IP {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var ips []net.IP
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			ips = append(ips, n.IP)
		}
	}
	return ips
}

// Start validates the config, listens and serves in the background.
func (s *Server) Start() error {
	if err := s.cfg.Style.Validate(); err != nil {
		return fmt.Errorf("overlay start: %w", err)
	}
	addr, err := loopbackAddr(s.cfg.Addr)
	if s.cfg.LAN {
		addr, err = lanAddr(s.cfg.Addr)
		if err == nil {
			err = validToken(s.cfg.Token)
		}
	}
	if err != nil {
		return fmt.Errorf("overlay start: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("overlay start: %w", ErrClosed)
	}
	if s.started {
		return fmt.Errorf("overlay start: %w", ErrStarted)
	}
	ln, err := net.Listen("tcp4", addr)
	if err != nil {
		return fmt.Errorf("overlay start: listen %s: %w", addr, err)
	}
	s.started = true
	s.addr = ln.Addr().String()
	s.srv = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 5 * time.Second,
	}
	srv := s.srv
	s.wg.Go(func() {
		// Serve returns ErrServerClosed after Close; nothing to report then.
		_ = srv.Serve(ln)
	})
	return nil
}

// Addr is the bound host:port ("" before Start).
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// URL is the address to paste into an OBS browser source for page
// ("danmaku", "wall", "coupon" or "vote"; a leading "/" is fine). It is ""
// for an unknown page or before Start. With LAN it names this machine by
// its first LAN IPv4 address and carries the token.
func (s *Server) URL(page string) string {
	if len(page) > 0 && page[0] == '/' {
		page = page[1:]
	}
	if _, ok := pages[page]; !ok {
		return ""
	}
	addr := s.Addr()
	if addr == "" {
		return ""
	}
	if !s.cfg.LAN {
		return "http://" + addr + "/" + page
	}
	bound, port, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(bound); ip != nil && !ip.IsUnspecified() {
		// listening on one address: that is where OBS must go
		return "http://" + net.JoinHostPort(bound, port) + "/" + s.cfg.Token + "/" + page
	}
	host := "127.0.0.1"
	for _, ip := range s.hostIPs() {
		if ip4 := ip.To4(); ip4 != nil && !ip4.IsLoopback() && !ip4.IsLinkLocalUnicast() {
			host = ip4.String()
			break
		}
	}
	return "http://" + net.JoinHostPort(host, port) + "/" + s.cfg.Token + "/" + page
}

// LAN reports whether the overlays are served on the LAN.
func (s *Server) LAN() bool { return s.cfg.LAN }

// Style is the current style with defaults filled (the layout included).
func (s *Server) Style() Style {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.style
}

// SetStyle changes the look of every open page.
func (s *Server) SetStyle(st Style) error {
	if err := st.Validate(); err != nil {
		return fmt.Errorf("overlay set style: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.style = st.withDefaults()
	if n := s.style.MaxLines; len(s.recent) > n {
		s.recent = append([]wireLine(nil), s.recent[len(s.recent)-n:]...)
	}
	for c := range s.conns {
		c.markConfig()
	}
	return nil
}

// Stats returns the current counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	n := len(s.conns)
	s.mu.Unlock()
	return Stats{Clients: n, Dropped: s.dropped.Load()}
}

// Close stops listening, closes every connection and waits for them.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	srv := s.srv
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	var err error
	if srv != nil {
		if e := srv.Close(); e != nil {
			err = fmt.Errorf("overlay close: %w", e)
		}
	}
	for _, c := range conns {
		c.close()
	}
	s.wg.Wait()
	return err
}

// pushLines fans danmaku lines out to every /danmaku connection.
func (s *Server) pushLines(ws []wireLine) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.style.MaxLines
	if len(ws) >= n {
		s.recent = append(s.recent[:0], ws[len(ws)-n:]...)
	} else {
		s.recent = append(s.recent, ws...)
		if len(s.recent) > n {
			s.recent = append(s.recent[:0], s.recent[len(s.recent)-n:]...)
		}
	}
	for c := range s.conns {
		if c.topic == TopicDanmaku {
			if d := c.addLines(ws); d > 0 {
				s.dropped.Add(uint64(d))
			}
		}
	}
}

// setState changes the state of topic and marks its connections.
func (s *Server) setState(topic string, set func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	set()
	s.version[topic]++
	for c := range s.conns {
		if c.topic == topic {
			c.markState()
		}
	}
}

// message is what a page receives; Type says which fields are set.
type message struct {
	Type   string      `json:"type"`
	Now    int64       `json:"now"`
	Style  *wireStyle  `json:"style,omitempty"`
	Lines  []wireLine  `json:"lines,omitempty"`
	Coupon *wireCoupon `json:"coupon,omitempty"`
	Vote   *wireVote   `json:"vote,omitempty"`
}

// encodeConfig returns the config message for a page of topic.
func (s *Server) encodeConfig(topic string) ([]byte, error) {
	s.mu.Lock()
	st := s.style.wire(topic)
	s.mu.Unlock()
	b, err := json.Marshal(message{Type: "config", Now: s.now().UnixMilli(), Style: &st})
	if err != nil {
		return nil, fmt.Errorf("overlay: encode config: %w", err)
	}
	return b, nil
}

// encodeState returns the current state message of topic and the state
// version, or nil when the version is still sent (a page that already has
// it) or for danmaku, which has no state beyond its lines.
func (s *Server) encodeState(topic string, sent uint64) ([]byte, uint64, error) {
	m := message{Type: topic}
	s.mu.Lock()
	v := s.version[topic]
	if v == sent {
		s.mu.Unlock()
		return nil, v, nil
	}
	switch topic {
	case TopicWall:
		m.Lines = s.wall // an empty wall is sent without lines
	case TopicCoupon:
		m.Coupon = s.coupon
	case TopicVote:
		m.Vote = s.vote
	default:
		s.mu.Unlock()
		return nil, v, nil
	}
	m.Now = s.now().UnixMilli()
	b, err := json.Marshal(m)
	s.mu.Unlock()
	if err != nil {
		return nil, v, fmt.Errorf("overlay: encode %s state: %w", topic, err)
	}
	return b, v, nil
}

// encodeLines returns a danmaku lines message.
func (s *Server) encodeLines(ls []wireLine) ([]byte, error) {
	b, err := json.Marshal(message{Type: "lines", Now: s.now().UnixMilli(), Lines: ls})
	if err != nil {
		return nil, fmt.Errorf("overlay: encode %d danmaku lines: %w", len(ls), err)
	}
	return b, nil
}

// register adds a connection and queues what the page needs first: the
// config, the current state and, for danmaku, the recent lines. On true the
// caller starts the connection's two goroutines (already counted in wg, so
// Close waits for them).
func (s *Server) register(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(2)
	s.conns[c] = struct{}{}
	c.markConfig()
	if c.topic == TopicDanmaku {
		c.addLines(s.recent)
	} else {
		c.markState()
	}
	return true
}

func (s *Server) unregister(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// pages maps page names to their HTML file.
var pages = map[string]string{
	TopicDanmaku: "danmaku.html",
	TopicWall:    "wall.html",
	TopicCoupon:  "coupon.html",
	TopicVote:    "vote.html",
}

// static maps the other served paths to their file and content type.
var static = map[string]string{
	"/overlay.css": "text/css; charset=utf-8",
	"/common.js":   "text/javascript; charset=utf-8",
	"/danmaku.js":  "text/javascript; charset=utf-8",
	"/wall.js":     "text/javascript; charset=utf-8",
	"/coupon.js":   "text/javascript; charset=utf-8",
	"/vote.js":     "text/javascript; charset=utf-8",
}

func (s *Server) routes() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if !s.allowedHost(r.Host) {
			h.Set("Content-Security-Policy", "default-src 'none'")
			http.Error(w, "unknown host", http.StatusMisdirectedRequest)
			return
		}
		// r.Host is checked: the socket may connect back to it.
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self' ws://"+r.Host+
			"; img-src 'none'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		p := r.URL.Path
		if s.cfg.LAN {
			// Every path starts with the token; without it nothing exists.
			rest, ok := strings.CutPrefix(p, "/")
			tok, rest, found := strings.Cut(rest, "/")
			if !ok || !found || subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.Token)) != 1 {
				http.NotFound(w, r)
				return
			}
			p = "/" + rest
		}
		switch {
		case p == "/ws":
			s.serveWS(w, r)
		case p == "/font.ttf":
			s.serveBytes(w, r, "font/otf", "public, max-age=86400", assets.Font())
		case p == "/":
			http.Redirect(w, r, "danmaku", http.StatusFound)
		case len(p) > 1:
			if f, ok := pages[p[1:]]; ok {
				s.serveFile(w, r, f, "text/html; charset=utf-8")
				return
			}
			if ct, ok := static[p]; ok {
				s.serveFile(w, r, p[1:], ct)
				return
			}
			http.NotFound(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}

// allowedHost accepts the Host names a browser on this machine uses for
// the bound port and, with LAN, this machine's IP addresses; anything else
// (a DNS name pointed here: DNS rebinding) is refused.
func (s *Server) allowedHost(host string) bool {
	_, port, _ := net.SplitHostPort(s.addr)
	if host == "127.0.0.1:"+port || host == "localhost:"+port {
		return true
	}
	if !s.cfg.LAN {
		return false
	}
	h, p, err := net.SplitHostPort(host)
	if err != nil || p != port {
		return false
	}
	ip := net.ParseIP(h)
	if ip == nil {
		return false
	}
	for _, mine := range s.hostIPs() {
		if mine.Equal(ip) {
			return true
		}
	}
	return false
}

func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, name, ctype string) {
	b, err := overlayassets.FS.ReadFile(name)
	if err != nil {
		http.Error(w, "overlay: missing asset "+name, http.StatusInternalServerError)
		return
	}
	s.serveBytes(w, r, ctype, "no-store", b)
}

func (s *Server) serveBytes(w http.ResponseWriter, r *http.Request, ctype, cache string, b []byte) {
	if len(b) == 0 {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Cache-Control", cache)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(b) // a browser that went away needs no reply
}
