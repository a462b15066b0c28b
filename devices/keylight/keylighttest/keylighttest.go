// Package keylighttest is an Elgato Key Light on 127.0.0.1 for tests: the
// real JSON shape and range checks, a record of every request, a switch to
// take it down, and a hand-driven clock for fade steps.
package keylighttest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"studiodesk/devices/keylight"
)

// LightState is the emulated light; Temperature is in mireds.
type LightState struct {
	On          int `json:"on"`
	Brightness  int `json:"brightness"`
	Temperature int `json:"temperature"`
}

// Request is one request as received.
type Request struct {
	Method, Path, Body string
}

// Mode selects how the light answers.
type Mode int

// Modes.
const (
	Up          Mode = iota
	Unreachable      // connections are accepted and closed without a reply
	Unavailable      // every request gets 503
)

// Server is the emulated light.
type Server struct {
	srv *httptest.Server

	mu      sync.Mutex
	state   LightState
	info    keylight.AccessoryInfo
	reqs    []Request
	mode    Mode
	delay   time.Duration
	changed chan struct{} // closed and replaced on every request
	idents  int
}

// NewServer starts a light that is off at 20 %, 213 mireds (≈ 4700 K).
func NewServer() *Server {
	s := &Server{
		state:   LightState{On: 0, Brightness: 20, Temperature: 213},
		changed: make(chan struct{}),
		info: keylight.AccessoryInfo{
			ProductName: "Elgato Key Light", HardwareBoardType: 53, FirmwareBuildNumber: 218,
			FirmwareVersion: "1.0.3", SerialNumber: "BW33J1A02110", DisplayName: "主光",
			Features: []string{"lights"},
		},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle)) // binds 127.0.0.1
	return s
}

// Addr is host:port of the light.
func (s *Server) Addr() string { return strings.TrimPrefix(s.srv.URL, "http://") }

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// State returns the light's current state.
func (s *Server) State() LightState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// SetState sets the light's state, as the physical buttons would.
func (s *Server) SetState(st LightState) {
	s.mu.Lock()
	s.state = st
	s.mu.Unlock()
}

// SetMode takes the light down or brings it back.
func (s *Server) SetMode(m Mode) {
	s.mu.Lock()
	s.mode = m
	s.mu.Unlock()
}

// SetDelay holds each reply back, to test timeouts.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

// Identifies counts successful POST /elgato/identify.
func (s *Server) Identifies() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.idents
}

// Requests returns every request so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// PutBodies returns the bodies of all PUT /elgato/lights, in order.
func (s *Server) PutBodies() []string {
	var out []string
	for _, r := range s.Requests() {
		if r.Method == http.MethodPut && r.Path == "/elgato/lights" {
			out = append(out, r.Body)
		}
	}
	return out
}

// WaitRequests waits until at least n requests have arrived.
func (s *Server) WaitRequests(n int, timeout time.Duration) ([]Request, error) {
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		got, ch := len(s.reqs), s.changed
		s.mu.Unlock()
		if got >= n {
			return s.Requests(), nil
		}
		select {
		case <-ch:
		case <-deadline:
			return s.Requests(), fmt.Errorf("%d requests within %v, want %d", got, timeout, n)
		}
	}
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
	s.mu.Lock()
	s.reqs = append(s.reqs, Request{Method: r.Method, Path: r.URL.Path, Body: string(body)})
	close(s.changed)
	s.changed = make(chan struct{})
	mode, delay := s.mode, s.delay
	s.mu.Unlock()

	switch mode {
	case Unreachable:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		// No hijacking (HTTP/2): the nearest thing is a bare 503.
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	case Unavailable:
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}

	switch {
	case r.URL.Path == "/elgato/lights" && r.Method == http.MethodGet:
		s.writeLights(w)
	case r.URL.Path == "/elgato/lights" && r.Method == http.MethodPut:
		if err := s.put(body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.writeLights(w)
	case r.URL.Path == "/elgato/accessory-info" && r.Method == http.MethodGet:
		s.mu.Lock()
		info := s.info
		s.mu.Unlock()
		writeJSON(w, info)
	case r.URL.Path == "/elgato/identify" && r.Method == http.MethodPost:
		s.mu.Lock()
		s.idents++
		s.mu.Unlock()
	default:
		http.NotFound(w, r)
	}
}

// put applies a PUT body the way the light does: any subset of fields,
// each range-checked, all-or-nothing.
func (s *Server) put(body []byte) error {
	var req struct {
		NumberOfLights *int `json:"numberOfLights"`
		Lights         []struct {
			On          *int `json:"on"`
			Brightness  *int `json:"brightness"`
			Temperature *int `json:"temperature"`
		} `json:"lights"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return fmt.Errorf("bad JSON: %w", err)
	}
	if len(req.Lights) != 1 || req.NumberOfLights == nil || *req.NumberOfLights != 1 {
		return errors.New("want numberOfLights 1 and one light")
	}
	in := req.Lights[0]
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.state
	if in.On != nil {
		if *in.On != 0 && *in.On != 1 {
			return fmt.Errorf("on %d not 0 or 1", *in.On)
		}
		next.On = *in.On
	}
	if in.Brightness != nil {
		// Elgato's API: brightness 3-100 (the panel's lowest level is 3 %).
		if *in.Brightness < 3 || *in.Brightness > 100 {
			return fmt.Errorf("brightness %d out of 3-100", *in.Brightness)
		}
		next.Brightness = *in.Brightness
	}
	if in.Temperature != nil {
		if *in.Temperature < 143 || *in.Temperature > 344 {
			return fmt.Errorf("temperature %d out of 143-344", *in.Temperature)
		}
		next.Temperature = *in.Temperature
	}
	s.state = next
	return nil
}

func (s *Server) writeLights(w http.ResponseWriter) {
	s.mu.Lock()
	st := s.state
	s.mu.Unlock()
	writeJSON(w, map[string]any{"numberOfLights": 1, "lights": []LightState{st}})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// Clock is a hand-driven clock for keylight.Config: Now moves only by
// Advance, and each fade's ticker fires only by Fire.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	created chan *Ticker
}

// NewClock starts at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t, created: make(chan *Ticker, 64)} }

// Now is for keylight.Config.Now.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves time forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// NewTicker is for keylight.Config.NewTicker.
func (c *Clock) NewTicker(d time.Duration) keylight.Ticker {
	t := &Ticker{clock: c, ch: make(chan time.Time), stopped: make(chan struct{}), Period: d}
	c.created <- t
	return t
}

// NextTicker returns the next ticker a fade creates.
func (c *Clock) NextTicker(timeout time.Duration) (*Ticker, error) {
	select {
	case t := <-c.created:
		return t, nil
	case <-time.After(timeout):
		return nil, fmt.Errorf("no ticker created within %v", timeout)
	}
}

// Ticker is one fade's ticker.
type Ticker struct {
	clock    *Clock
	ch       chan time.Time
	stopOnce sync.Once
	stopped  chan struct{}
	Period   time.Duration
}

// C is for keylight.Ticker.
func (t *Ticker) C() <-chan time.Time { return t.ch }

// Stop is for keylight.Ticker.
func (t *Ticker) Stop() { t.stopOnce.Do(func() { close(t.stopped) }) }

// Stopped reports whether the fade let go of the ticker.
func (t *Ticker) Stopped() bool {
	select {
	case <-t.stopped:
		return true
	default:
		return false
	}
}

// Fire delivers one tick at the clock's time. It fails if the fade has
// stopped or does not take the tick within a second.
func (t *Ticker) Fire() error {
	select {
	case t.ch <- t.clock.Now():
		return nil
	case <-t.stopped:
		return errors.New("ticker stopped")
	case <-time.After(time.Second):
		return errors.New("tick not taken within 1s")
	}
}
