package overview

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"studiodesk/app/fleet"
	"studiodesk/app/fleet/hub"
	"studiodesk/assets"
	fleetassets "studiodesk/assets/fleet"
)

// The hub serves the overview on its config's http address: every hub
// that has one (in a cluster, each sees every studio through the routes).
func init() {
	hub.RegisterService(hub.Service{Name: "overview", Start: startService})
}

// Push pacing: changes are batched for at most flushEvery; rows whose
// heartbeat turns stale are found by a sweep every sweepEvery; an idle
// event stream gets a comment every keepAlive (proxies close silent ones).
const (
	flushEvery = 200 * time.Millisecond
	sweepEvery = 250 * time.Millisecond
	keepAlive  = 15 * time.Second
	// clientBuffer is how many pushes a slow page may fall behind before
	// it is dropped (its EventSource reconnects and gets the whole board).
	clientBuffer = 64
)

var (
	serversMu sync.Mutex
	servers   = map[*hub.Hub]*Server{}
)

// Of returns the overview server of a running hub (nil when its http
// address is empty).
func Of(h *hub.Hub) *Server {
	serversMu.Lock()
	defer serversMu.Unlock()
	return servers[h]
}

func startService(h *hub.Hub) (io.Closer, error) {
	if h.Config.HTTP == "" {
		return nil, nil
	}
	ids := make([]string, len(h.Config.Studios))
	for i, s := range h.Config.Studios {
		ids[i] = s.ID
	}
	srv, err := Start(Config{Addr: h.Config.HTTP, Conn: h.Conn, Studios: ids, Title: h.Config.Name})
	if err != nil {
		return nil, fmt.Errorf("http %q: %w", h.Config.HTTP, err)
	}
	if !isLoopback(h.Config.HTTP) {
		log.Printf("hub %s: the overview on %s is readable by anyone who can reach it (it changes nothing)", h.Config.Name, h.Config.HTTP)
	}
	log.Printf("hub %s: agency overview on %s", h.Config.Name, srv.URL())
	serversMu.Lock()
	servers[h] = srv
	serversMu.Unlock()
	return closerFunc(func() error {
		serversMu.Lock()
		delete(servers, h)
		serversMu.Unlock()
		return srv.Close()
	}), nil
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Config is an overview server's setup.
type Config struct {
	// Addr is the HTTP listen address (host:port).
	Addr string
	// Conn is a connection allowed to subscribe to every studio's status
	// (the hub's own, or the agency's).
	Conn *nats.Conn
	// Studios are the configured studio ids (shown as never seen until
	// they report).
	Studios []string
	// Title names the hub on the page.
	Title string
	// Now is the board's clock (nil: time.Now).
	Now func() time.Time
}

// Server is a running overview page.
type Server struct {
	cfg   Config
	board *Board
	ln    net.Listener
	http  *http.Server
	subs  []*nats.Subscription
	page  *template.Template
	stop  chan struct{}
	wg    sync.WaitGroup

	mu      sync.Mutex
	dirty   map[string]bool
	clients map[*client]struct{}
	closed  bool
}

type client struct {
	ch   chan []byte
	gone chan struct{}
	once sync.Once
}

func (c *client) drop() { c.once.Do(func() { close(c.gone) }) }

// Start subscribes to the studios' status and serves the page.
func Start(cfg Config) (*Server, error) {
	if cfg.Conn == nil {
		return nil, errors.New("overview: no fleet connection")
	}
	page, err := template.ParseFS(fleetassets.FS, "index.html")
	if err != nil {
		return nil, fmt.Errorf("overview: page: %w", err)
	}
	s := &Server{cfg: cfg, board: NewBoard(cfg.Studios, cfg.Now), page: page, stop: make(chan struct{}), dirty: map[string]bool{}, clients: map[*client]struct{}{}}
	s.board.OnChange(s.markDirty)
	for _, subj := range fleet.StatusSubjects {
		sub, err := cfg.Conn.Subscribe(subj, func(m *nats.Msg) { _ = s.board.Apply(m.Subject, m.Data) })
		if err != nil {
			s.unsubscribe()
			return nil, fmt.Errorf("overview: subscribe %s: %w", subj, err)
		}
		// The status of 500 studios is 500 small messages a second: give
		// the subscription room for bursts instead of dropping them.
		_ = sub.SetPendingLimits(64<<10, 64<<20)
		s.subs = append(s.subs, sub)
	}
	if err := cfg.Conn.Flush(); err != nil {
		s.unsubscribe()
		return nil, fmt.Errorf("overview: subscribe: %w", err)
	}
	s.ln, err = net.Listen("tcp", cfg.Addr)
	if err != nil {
		s.unsubscribe()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", s.servePage)
	mux.HandleFunc("/events", s.serveEvents)
	mux.HandleFunc("/api/studios", s.serveJSON)
	mux.HandleFunc("/assets/cjk.ttf", serveFont)
	mux.Handle("/assets/", http.StripPrefix("/assets/", http.FileServerFS(fleetassets.FS)))
	s.http = &http.Server{Handler: readOnly(mux), ReadHeaderTimeout: 5 * time.Second}
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		if err := s.http.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Printf("overview: %v", err)
		}
	}()
	go s.pump()
	return s, nil
}

// URL is the page's address.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() + "/" }

// Board is the server's board.
func (s *Server) Board() *Board { return s.board }

// Close stops the page, its event streams and the subscriptions.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	for c := range s.clients {
		c.drop()
	}
	s.mu.Unlock()
	close(s.stop)
	s.unsubscribe()
	err := s.http.Close()
	s.wg.Wait()
	return err
}

func (s *Server) unsubscribe() {
	for _, sub := range s.subs {
		_ = sub.Unsubscribe()
	}
	s.subs = nil
}

func (s *Server) markDirty(id string) {
	s.mu.Lock()
	s.dirty[id] = true
	s.mu.Unlock()
}

// pump pushes the changed rows to every page, batched, and sweeps for
// heartbeats that went stale.
func (s *Server) pump() {
	defer s.wg.Done()
	flush := time.NewTicker(flushEvery)
	defer flush.Stop()
	sweep := time.NewTicker(sweepEvery)
	defer sweep.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-sweep.C:
			s.board.Sweep()
		case <-flush.C:
			s.mu.Lock()
			if len(s.dirty) == 0 || len(s.clients) == 0 {
				clear(s.dirty)
				s.mu.Unlock()
				continue
			}
			ids := make([]string, 0, len(s.dirty))
			for id := range s.dirty {
				ids = append(ids, id)
			}
			clear(s.dirty)
			s.mu.Unlock()
			msg := sseMessage("rows", s.update(s.board.RowsOf(ids)))
			s.mu.Lock()
			for c := range s.clients {
				select {
				case c.ch <- msg:
				default:
					c.drop() // too slow: it reconnects and starts afresh
					delete(s.clients, c)
				}
			}
			s.mu.Unlock()
		}
	}
}

// Update is what the page receives: the rows (all of them in the first
// message, the changed ones after), the refused-message count and the
// server's time.
type Update struct {
	Rows    []Row  `json:"rows"`
	Bad     int    `json:"bad"`
	LastBad string `json:"last_bad,omitempty"`
	Hub     string `json:"hub,omitempty"`
}

func (s *Server) update(rows []Row) Update {
	if rows == nil {
		rows = []Row{}
	}
	bad, last := s.board.Bad()
	return Update{Rows: rows, Bad: bad, LastBad: last, Hub: s.cfg.Title}
}

func sseMessage(event string, v any) []byte {
	raw, _ := json.Marshal(v)
	var b bytes.Buffer
	fmt.Fprintf(&b, "event: %s\ndata: %s\n\n", event, raw)
	return b.Bytes()
}

// readOnly refuses every method that could change something; the page
// only reads.
func readOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "read-only: the overview changes nothing", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:")
		h.ServeHTTP(w, r)
	})
}

// Lang picks the page's language: ?lang=zh|en, else the first of
// Accept-Language that is Chinese or English, else Chinese.
func Lang(r *http.Request) string {
	switch strings.ToLower(r.URL.Query().Get("lang")) {
	case "zh", "zh-cn":
		return "zh"
	case "en":
		return "en"
	}
	type pref struct {
		lang string
		q    float64
	}
	best := pref{"zh", -1}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		tag = strings.ToLower(strings.TrimSpace(tag))
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if _, err := fmt.Sscanf(v, "%g", &q); err != nil {
				q = 0
			}
		}
		l := ""
		switch {
		case tag == "zh" || strings.HasPrefix(tag, "zh-"):
			l = "zh"
		case tag == "en" || strings.HasPrefix(tag, "en-"):
			l = "en"
		}
		if l != "" && q > best.q {
			best = pref{l, q}
		}
	}
	return best.lang
}

func (s *Server) servePage(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	lang := Lang(r)
	htmlLang := map[string]string{"zh": "zh-CN", "en": "en"}[lang]
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Language", htmlLang)
	if err := s.page.Execute(w, map[string]any{"Lang": lang, "HTMLLang": htmlLang, "Initial": s.update(s.board.Rows())}); err != nil {
		log.Printf("overview: page: %v", err)
	}
}

func (s *Server) serveJSON(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(s.update(s.board.Rows()))
}

// serveEvents is the page's event stream: the whole board first, then
// the changed rows as they change.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodHead {
		w.Header().Set("Content-Type", "text/event-stream")
		return
	}
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	c := &client{ch: make(chan []byte, clientBuffer), gone: make(chan struct{})}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "closing", http.StatusServiceUnavailable)
		return
	}
	s.clients[c] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.clients, c)
		s.mu.Unlock()
	}()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// retry: how soon the browser reconnects after the hub went away.
	if _, err := io.WriteString(w, "retry: 1000\n\n"); err != nil {
		return
	}
	if _, err := w.Write(sseMessage("board", s.update(s.board.Rows()))); err != nil {
		return
	}
	fl.Flush()
	ka := time.NewTicker(keepAlive)
	defer ka.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-c.gone:
			return
		case msg := <-c.ch:
			if _, err := w.Write(msg); err != nil {
				return
			}
			fl.Flush()
		case <-ka.C:
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil {
				return
			}
			fl.Flush()
		}
	}
}

// serveFont is the desk's own CJK font, for a machine whose browser has
// none (the page names it last, so it is fetched only then).
func serveFont(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "font/ttf")
	w.Header().Set("Cache-Control", "max-age=86400")
	http.ServeContent(w, r, "cjk.ttf", time.Time{}, bytes.NewReader(assets.Font()))
}
