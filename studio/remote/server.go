// Package remote is the field controller's link to the desk: pairing,
// signalling over WebSocket, WebRTC data channels (pion), and the control
// API for Stream Deck / Companion (HTTP and OSC). Nothing is accepted
// without a paired token; every rejection is logged.
package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/pion/webrtc/v4"

	remoteassets "studiodesk/assets/remote"
	"studiodesk/studio"
)

// DefaultAddr is where the desk listens for remotes when enabled.
const DefaultAddr = ":8777"

// DefaultOSCPort is Ontime's OSC port, which Companion users expect.
const DefaultOSCPort = 8888

// OSCOff in Config.OSCAddr disables the OSC listener.
const OSCOff = "off"

// Config wires a Server.
type Config struct {
	Desk *studio.Desk
	// Addr is the LAN listen address (DefaultAddr when empty; tests use
	// "127.0.0.1:0").
	Addr string
	// OSCAddr is the UDP listen address for OSC. Empty: Addr's host on
	// DefaultOSCPort. OSCOff disables it.
	OSCAddr string
	// Tokens persists paired devices (the app: bbolt; else NewMemoryTokenStore).
	Tokens TokenStore
	// Now must be the desk's clock (state is computed at Now).
	Now  func() time.Time
	Logf func(format string, args ...any)
	// AllowIP limits ICE candidates, local and remote (default LANOnly).
	AllowIP func(net.IP) bool
	// CodeTTL is how long a pairing code stays valid (default 5 min).
	CodeTTL time.Duration
	// CommandTimeout bounds one command on the desk (default 2 s).
	CommandTimeout time.Duration
	// Pages holds index.html, remote.js and remote.css for /remote
	// (default: the embedded browser client).
	Pages fs.FS
	// ConfirmWindow is how long the first press of a money-moving or
	// destructive action waits for the confirming second press (default 5 s).
	ConfirmWindow time.Duration
	// OnPair, if set, is told of every newly paired device (the pairing
	// screen refreshes); it must not block.
	OnPair func(Device)
	// StateEvery is how often remotes and OSC subscribers get the state
	// when nothing happens, for countdowns and device lights (default 1 s).
	StateEvery time.Duration
}

// Transport is one listener's state: its bound address, or why it could
// not listen.
type Transport struct {
	Name string // "http" (pairing, page, signalling, API) or "osc"
	Addr string // the bound address ("" when it failed or is off)
	Err  error  // why it could not listen
}

// Server serves remotes. Nothing listens until Start: the app starts it
// only when remote control is enabled.
type Server struct {
	cfg     Config
	reg     *registry
	pair    *pairing
	replay  *replayGuard
	confirm *confirmGuard
	api     *webrtc.API
	states  stateCache
	extras  extrasCache
	subs    *oscSubs

	mu       sync.Mutex
	sessions map[*session]struct{}
	httpSrv  *http.Server
	ln       net.Listener
	osc      net.PacketConn
	httpErr  error
	oscErr   error
	closed   bool
	wg       sync.WaitGroup
	stop     chan struct{}
}

// NewServer validates cfg and loads the paired devices. It does not listen.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Desk == nil {
		return nil, errors.New("remote: new server: no desk")
	}
	if cfg.Tokens == nil {
		return nil, errors.New("remote: new server: no token store")
	}
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logf == nil {
		cfg.Logf = log.Printf
	}
	if cfg.AllowIP == nil {
		cfg.AllowIP = LANOnly
	}
	if cfg.CodeTTL <= 0 {
		cfg.CodeTTL = 5 * time.Minute
	}
	if cfg.Pages == nil {
		cfg.Pages = remoteassets.FS
	}
	if cfg.CommandTimeout <= 0 {
		cfg.CommandTimeout = 2 * time.Second
	}
	if cfg.ConfirmWindow <= 0 {
		cfg.ConfirmWindow = DefaultConfirmWindow
	}
	if cfg.StateEvery <= 0 {
		cfg.StateEvery = time.Second
	}
	reg, err := newRegistry(cfg.Tokens)
	if err != nil {
		return nil, err
	}
	return &Server{
		cfg:      cfg,
		reg:      reg,
		pair:     newPairing(cfg.Now, cfg.CodeTTL),
		replay:   newReplayGuard(),
		confirm:  newConfirmGuard(),
		api:      newAPI(cfg.AllowIP),
		sessions: make(map[*session]struct{}),
		subs:     newOSCSubs(),
		stop:     make(chan struct{}),
	}, nil
}

// Start listens on Addr (HTTP: pairing, signalling, control API, page) and
// on the OSC address. Each transport binds on its own: one that cannot
// listen (a busy port) is logged, and its reason is in Transports, while
// the other runs. Start fails only when neither could listen.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("remote: start: server closed")
	}
	if s.ln != nil || s.osc != nil {
		return errors.New("remote: start: already started")
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		s.httpErr = fmt.Errorf("remote: HTTP listen %s: %w", s.cfg.Addr, err)
		s.cfg.Logf("%v", s.httpErr)
	}
	if s.cfg.OSCAddr != OSCOff {
		oscAddr := s.oscListenAddr()
		pc, err := net.ListenPacket("udp", oscAddr)
		if err != nil {
			s.oscErr = fmt.Errorf("remote: OSC listen udp %s: %w", oscAddr, err)
			s.cfg.Logf("%v (HTTP and the remote keep running)", s.oscErr)
		} else {
			s.osc = pc
			s.wg.Add(2)
			go func() {
				defer s.wg.Done()
				s.serveOSC(pc)
			}()
			go func() {
				defer s.wg.Done()
				s.feedback(pc)
			}()
			s.cfg.Logf("remote: OSC listening on udp %s", pc.LocalAddr())
		}
	}
	if ln == nil && s.osc == nil {
		return errors.Join(s.httpErr, s.oscErr)
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.watch()
	}()
	if ln == nil {
		return nil
	}
	s.ln = ln
	s.httpSrv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          log.New(logWriter{s.cfg.Logf}, "remote: http: ", 0),
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.cfg.Logf("remote: serve %s: %v", ln.Addr(), err)
		}
	}()
	s.cfg.Logf("remote: listening on %s", ln.Addr())
	return nil
}

// watch records what desk events add to the state (recall results), for
// the HTTP API, the remotes and OSC feedback alike.
func (s *Server) watch() {
	sub := s.cfg.Desk.Subscribe(64)
	defer sub.Close()
	for {
		select {
		case <-s.stop:
			return
		case ev := <-sub.C():
			s.noteEvent(ev)
		}
	}
}

func (s *Server) oscListenAddr() string {
	if s.cfg.OSCAddr != "" {
		return s.cfg.OSCAddr
	}
	host, _, _ := net.SplitHostPort(s.cfg.Addr)
	return net.JoinHostPort(host, fmt.Sprint(DefaultOSCPort))
}

// Transports reports each transport's bound address or why it could not
// listen (after Start).
func (s *Server) Transports() []Transport {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := Transport{Name: "http", Err: s.httpErr}
	if s.ln != nil {
		h.Addr = s.ln.Addr().String()
	}
	o := Transport{Name: "osc", Err: s.oscErr}
	if s.osc != nil {
		o.Addr = s.osc.LocalAddr().String()
	}
	if s.cfg.OSCAddr == OSCOff {
		o.Err = nil
	}
	return []Transport{h, o}
}

type logWriter struct{ logf func(string, ...any) }

func (l logWriter) Write(p []byte) (int, error) {
	l.logf("%s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Addr is the HTTP listen address ("" before Start).
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// OSCAddr is the OSC UDP address ("" when off or before Start).
func (s *Server) OSCAddr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.osc == nil {
		return ""
	}
	return s.osc.LocalAddr().String()
}

// Close stops listening and ends every remote session.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.stop)
	srv, osc := s.httpSrv, s.osc
	sessions := make([]*session, 0, len(s.sessions))
	for ss := range s.sessions {
		sessions = append(sessions, ss)
	}
	s.mu.Unlock()
	var errs []error
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("remote: close http: %w", err))
			_ = srv.Close()
		}
		cancel()
	}
	if osc != nil {
		if err := osc.Close(); err != nil {
			errs = append(errs, fmt.Errorf("remote: close OSC: %w", err))
		}
	}
	for _, ss := range sessions {
		ss.close("desk closing")
	}
	s.wg.Wait()
	return errors.Join(errs...)
}

// PairingCode returns the current one-time 6-digit code and when it
// expires. A used or expired code is replaced.
func (s *Server) PairingCode() (string, time.Time) {
	c, exp, err := s.pair.current()
	if err != nil {
		s.cfg.Logf("%v", err)
		return "", time.Time{}
	}
	return c, exp
}

// Devices lists the paired devices.
func (s *Server) Devices() []Device { return s.reg.list() }

// Revoke unpairs a device: its token stops working at once and its open
// sessions are closed.
func (s *Server) Revoke(id string) error {
	d, err := s.reg.remove(id)
	if err != nil {
		return err
	}
	s.replay.forget(id)
	s.confirm.forget(id)
	s.subs.dropDevice(id)
	s.mu.Lock()
	var doomed []*session
	for ss := range s.sessions {
		if ss.dev.ID == id {
			doomed = append(doomed, ss)
		}
	}
	s.mu.Unlock()
	for _, ss := range doomed {
		ss.close("revoked")
	}
	s.cfg.Logf("remote: revoked device %s (%q)", d.ID, d.Name)
	return nil
}

// PublishDanmaku forwards comment lines to every connected remote on the
// lossy danmaku channel. A remote that is behind misses lines.
func (s *Server) PublishDanmaku(lines []DanmakuLine) {
	if len(lines) == 0 {
		return
	}
	b, err := json.Marshal(struct {
		Type  string        `json:"type"`
		Lines []DanmakuLine `json:"lines"`
	}{"danmaku", lines})
	if err != nil {
		s.cfg.Logf("remote: danmaku: %v", err)
		return
	}
	s.mu.Lock()
	sessions := make([]*session, 0, len(s.sessions))
	for ss := range s.sessions {
		sessions = append(sessions, ss)
	}
	s.mu.Unlock()
	for _, ss := range sessions {
		ss.sendDanmaku(b)
	}
}

// Sessions is the number of connected remotes.
func (s *Server) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// authenticate finds the device holding token; every failure is logged.
func (s *Server) authenticate(token, via, from string) (Device, error) {
	if token == "" {
		s.cfg.Logf("remote: %s from %s rejected: no token", via, from)
		return Device{}, fmt.Errorf("%s: %w", via, ErrUnauthorized)
	}
	d, ok := s.reg.lookup(token)
	if !ok {
		s.cfg.Logf("remote: %s from %s rejected: unknown or revoked token", via, from)
		return Device{}, fmt.Errorf("%s: %w", via, ErrUnauthorized)
	}
	return d, nil
}

// execute applies one catalogue call for a device: the one path shared by
// the data channel, HTTP and OSC. The call's request id, when set, is
// checked against replays; a money-moving or destructive action needs a
// confirmation (confirm=true, or the same press again within the window).
func (s *Server) execute(ctx context.Context, dev Device, c call, via, from string) error {
	name := c.action.Name
	if dev.Role != RoleController {
		s.cfg.Logf("remote: %s %s from device %s (%q) at %s rejected: role %s", via, name, dev.ID, dev.Name, from, dev.Role)
		return fmt.Errorf("%s: %w", name, ErrForbidden)
	}
	if !s.reg.has(dev.ID) {
		s.cfg.Logf("remote: %s %s from device %s at %s rejected: revoked", via, name, dev.ID, from)
		return fmt.Errorf("%s: %w", name, ErrUnauthorized)
	}
	if c.id != "" && !s.replay.first(dev.ID, c.id) {
		s.cfg.Logf("remote: %s %s from device %s (%q) at %s rejected: replayed id %q", via, name, dev.ID, dev.Name, from, c.id)
		return fmt.Errorf("%s %s: %w", name, c.id, ErrReplay)
	}
	if c.action.Confirm != studio.ConfirmNone {
		switch {
		case c.confirm:
			s.cfg.Logf("remote: %s %s from device %s (%q) at %s: confirmed in the request (confirm=true)", via, c.key(), dev.ID, dev.Name, from)
		case s.confirm.press(dev.ID, c.key(), s.cfg.Now(), s.cfg.ConfirmWindow):
			s.cfg.Logf("remote: %s %s from device %s (%q) at %s: confirmed by a second press", via, c.key(), dev.ID, dev.Name, from)
		default:
			s.cfg.Logf("remote: %s %s from device %s (%q) at %s: awaiting confirmation (%s action)", via, c.key(), dev.ID, dev.Name, from, c.action.Confirm)
			why := "it cannot be undone"
			if c.action.Confirm == studio.ConfirmMoney {
				why = "it moves money"
			}
			return fmt.Errorf("%s: %w: %s; send it again within %v, or with confirm=true", name, ErrConfirmRequired, why, s.cfg.ConfirmWindow)
		}
	}
	cmd, err := c.action.Build(c.values, s.cfg.Desk)
	if err != nil {
		s.cfg.Logf("remote: %s %s from device %s (%q) rejected: %v", via, name, dev.ID, dev.Name, err)
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.CommandTimeout)
	defer cancel()
	if err := s.cfg.Desk.Do(ctx, cmd); err != nil {
		s.cfg.Logf("remote: %s %s from device %s (%q) refused by the desk: %v", via, name, dev.ID, dev.Name, err)
		return err
	}
	if c.action.Confirm != studio.ConfirmNone {
		s.cfg.Logf("remote: %s %s from device %s (%q) applied", via, c.key(), dev.ID, dev.Name)
	}
	return nil
}

// Handler is the HTTP surface: pairing, signalling, control API, page.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/pair", s.handlePair)
	mux.HandleFunc("/signal", s.handleSignal)
	mux.HandleFunc("/api/v1/", s.handleAPI)
	mux.HandleFunc("/remote", s.handlePage)
	mux.HandleFunc("/remote/", s.handlePage)
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/remote", http.StatusFound)
	})
	return securityHeaders(mux)
}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Cache-Control", "no-store")
		h.ServeHTTP(w, r)
	})
}

const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func (s *Server) handlePage(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(r.URL.Path, "/remote")
	name = strings.TrimPrefix(name, "/")
	if name == "" {
		name = "index.html"
	}
	var ctype string
	switch name {
	case "index.html":
		ctype = "text/html; charset=utf-8"
	case "remote.js":
		ctype = "text/javascript; charset=utf-8"
	case "remote.css":
		ctype = "text/css; charset=utf-8"
	default:
		http.NotFound(w, r)
		return
	}
	b, err := fs.ReadFile(s.cfg.Pages, name)
	if err != nil {
		s.cfg.Logf("remote: page %s: %v", name, err)
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Security-Policy", pageCSP)
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
}

// pairRequest is the body of POST /pair.
type pairRequest struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Role Role   `json:"role"`
}

// PairResponse is the answer to a successful pairing.
type PairResponse struct {
	Token    string `json:"token"`
	DeviceID string `json:"device_id"`
	Name     string `json:"name"`
	Role     Role   `json:"role"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"ok": false, "error": msg})
}

func cleanName(n string) string {
	n = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return -1
		}
		return r
	}, n)
	n = strings.TrimSpace(n)
	if r := []rune(n); len(r) > 64 {
		n = string(r[:64])
	}
	if n == "" {
		n = "remote"
	}
	return n
}

func (s *Server) handlePair(w http.ResponseWriter, r *http.Request) {
	from := r.RemoteAddr
	if r.Method != http.MethodPost {
		writeErr(w, http.StatusMethodNotAllowed, "POST only")
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		s.cfg.Logf("remote: pairing from %s rejected: content type %q", from, ct)
		writeErr(w, http.StatusUnsupportedMediaType, "application/json required")
		return
	}
	var req pairRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		s.cfg.Logf("remote: pairing from %s rejected: bad body: %v", from, err)
		writeErr(w, http.StatusBadRequest, "body must be {code, name, role}")
		return
	}
	if !req.Role.valid() {
		s.cfg.Logf("remote: pairing from %s rejected: role %q", from, req.Role)
		writeErr(w, http.StatusBadRequest, `role must be "controller" or "viewer"`)
		return
	}
	res, err := s.pair.try(strings.TrimSpace(req.Code))
	if err != nil {
		s.cfg.Logf("remote: pairing from %s: %v", from, err)
		writeErr(w, http.StatusInternalServerError, "pairing unavailable")
		return
	}
	switch res {
	case pairLimited:
		s.cfg.Logf("remote: pairing from %s rejected: too many wrong codes, wait a minute", from)
		writeErr(w, http.StatusTooManyRequests, "too many wrong codes: wait a minute and read the new code on the desk")
		return
	case pairWrong:
		s.cfg.Logf("remote: pairing from %s rejected: wrong code", from)
		writeErr(w, http.StatusForbidden, "wrong or expired code")
		return
	}
	token, sum, err := newToken()
	if err != nil {
		s.cfg.Logf("%v", err)
		writeErr(w, http.StatusInternalServerError, "pairing unavailable")
		return
	}
	id, err := newID(8)
	if err != nil {
		s.cfg.Logf("%v", err)
		writeErr(w, http.StatusInternalServerError, "pairing unavailable")
		return
	}
	d := Device{ID: id, Name: cleanName(req.Name), Role: req.Role, TokenSHA256: sum, Paired: s.cfg.Now()}
	if err := s.reg.add(d); err != nil {
		s.cfg.Logf("%v", err)
		writeErr(w, http.StatusInternalServerError, "could not save the device")
		return
	}
	s.cfg.Logf("remote: paired device %s (%q, %s) from %s", d.ID, d.Name, d.Role, from)
	if s.cfg.OnPair != nil {
		s.cfg.OnPair(d)
	}
	writeJSON(w, http.StatusOK, PairResponse{Token: token, DeviceID: d.ID, Name: d.Name, Role: d.Role})
}
