// Package obstest is an obs-websocket v5 server emulator on 127.0.0.1 for
// tests and rehearsals. It parses messages on its own (not with package obs)
// so tests of the client check it against an independent reading of the
// protocol.
package obstest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Close codes and event subscription bits the emulator uses.
const (
	CloseUnknownOpCode        = 4006
	CloseMessageDecodeError   = 4002
	CloseNotIdentified        = 4007
	CloseAlreadyIdentified    = 4008
	CloseAuthenticationFailed = 4009
	CloseUnsupportedRPC       = 4010

	SubScenes = 1 << 2
	// subAll is obs-websocket's default set (everything but high-volume events).
	subAll = (1 << 11) - 1
)

// Config sets up a Server.
type Config struct {
	// Password, if set, makes Hello carry an authentication challenge.
	Password string
	// Challenge and Salt are sent in Hello (fixed defaults keep tests exact).
	Challenge, Salt string
	// Scenes in the order OBS's scene list shows them, top first.
	Scenes []string
	// Current is the program scene at start (default: the first scene).
	Current string
}

// Frame is one text message a client sent, in arrival order.
type Frame struct {
	Conn int    // 1 for the first connection, 2 for the next, …
	Text string // the message exactly as received
}

// Server is a running emulator. Its methods are safe for concurrent use.
type Server struct {
	srv      *httptest.Server
	upgrader websocket.Upgrader
	wg       sync.WaitGroup

	mu         sync.Mutex
	cfg        Config
	scenes     []string
	current    string
	frames     []Frame
	conns      map[*serverConn]struct{}
	connCount  int
	identified int
	silent     bool
	hold       bool
	closed     bool
}

type serverConn struct {
	id      int
	ws      *websocket.Conn
	writeMu sync.Mutex
	quit    chan struct{}
	once    sync.Once

	// guarded by Server.mu
	identified bool
	subs       int
}

// NewServer starts an emulator on 127.0.0.1 (random port).
func NewServer(cfg Config) *Server {
	s, err := NewServerAt(cfg, "")
	if err != nil {
		panic(err) // httptest.NewServer panics the same way
	}
	return s
}

// NewServerAt starts an emulator listening on addr ("" = 127.0.0.1 on a
// free port). A test restarts OBS by starting one on a closed server's Addr.
func NewServerAt(cfg Config, addr string) (*Server, error) {
	if cfg.Challenge == "" {
		cfg.Challenge = "+IxH4CnCiqpX1rM9scsNynZzbOe4KhDeYcTNS3PDaeY="
	}
	if cfg.Salt == "" {
		cfg.Salt = "lM1GncleQOaCu9lT1yeUZhFYnqhsLLP1G5lAGo3ixaI="
	}
	s := &Server{
		cfg:     cfg,
		scenes:  slices.Clone(cfg.Scenes),
		current: cfg.Current,
		conns:   make(map[*serverConn]struct{}),
		upgrader: websocket.Upgrader{
			Subprotocols: []string{"obswebsocket.json"},
		},
	}
	if s.current == "" && len(s.scenes) > 0 {
		s.current = s.scenes[0]
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	if addr != "" {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			s.srv.Listener.Close()
			return nil, fmt.Errorf("obstest: listen on %s: %w", addr, err)
		}
		s.srv.Listener.Close()
		s.srv.Listener = l
	}
	s.srv.Start()
	return s, nil
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return strings.TrimPrefix(s.srv.URL, "http://") }

// Close drops every connection, stops the listener and waits for handlers.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	conns := s.connList()
	s.mu.Unlock()
	for _, c := range conns {
		c.drop()
	}
	s.srv.Close()
	s.wg.Wait()
}

// Frames returns every text message received so far.
func (s *Server) Frames() []Frame {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.frames)
}

// Texts returns the received messages' text, optionally only those whose
// op equals one of ops.
func (s *Server) Texts(ops ...int) []string {
	var out []string
	for _, f := range s.Frames() {
		if len(ops) > 0 {
			var env struct {
				Op *int `json:"op"`
			}
			if json.Unmarshal([]byte(f.Text), &env) != nil || env.Op == nil || !slices.Contains(ops, *env.Op) {
				continue
			}
		}
		out = append(out, f.Text)
	}
	return out
}

// Connections is how many WebSocket connections were accepted so far.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connCount
}

// Identified is how many connections completed Identify so far.
func (s *Server) Identified() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.identified
}

// CurrentScene is the emulated program scene.
func (s *Server) CurrentScene() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current
}

// SetScenes replaces the scene list (top first).
func (s *Server) SetScenes(scenes []string) {
	s.mu.Lock()
	s.scenes = slices.Clone(scenes)
	s.mu.Unlock()
}

// SwitchScene changes the program scene as an operator at OBS would and
// sends CurrentProgramSceneChanged to subscribed clients.
func (s *Server) SwitchScene(name string) {
	s.mu.Lock()
	s.current = name
	s.mu.Unlock()
	s.emitSceneChanged(name)
}

// DropAll cuts every connection without a close frame, as a crash or a
// pulled cable would.
func (s *Server) DropAll() {
	s.mu.Lock()
	conns := s.connList()
	s.mu.Unlock()
	for _, c := range conns {
		c.drop()
	}
}

// CloseAll ends every connection with a close frame carrying code and text.
func (s *Server) CloseAll(code int, text string) {
	s.mu.Lock()
	conns := s.connList()
	s.mu.Unlock()
	for _, c := range conns {
		c.closeWith(code, text)
	}
}

// SetSilent emulates a half-open link: while silent the server neither reads,
// answers, pongs nor greets new connections.
func (s *Server) SetSilent(v bool) {
	s.mu.Lock()
	s.silent = v
	s.mu.Unlock()
}

// HoldResponses records requests but leaves them unanswered (the link stays
// up and pings are still answered): an OBS too busy to reply.
func (s *Server) HoldResponses(v bool) {
	s.mu.Lock()
	s.hold = v
	s.mu.Unlock()
}

func (s *Server) isSilent() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.silent
}

func (s *Server) connList() []*serverConn {
	out := make([]*serverConn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *serverConn) int { return a.id - b.id })
	return out
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ws.Close()
		return
	}
	s.connCount++
	c := &serverConn{id: s.connCount, ws: ws, quit: make(chan struct{})}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.drop()
		s.wg.Done()
	}()
	s.serveConn(c)
}

func (s *Server) serveConn(c *serverConn) {
	if s.isSilent() {
		<-c.quit
		return
	}
	ws := c.ws
	ws.SetPingHandler(func(data string) error {
		if s.isSilent() {
			return nil // a half-open peer never answers
		}
		err := ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
		return ignoreClosed(err)
	})

	hello := map[string]any{"obsWebSocketVersion": "5.5.0", "rpcVersion": 1}
	if s.cfg.Password != "" {
		hello["authentication"] = map[string]string{"challenge": s.cfg.Challenge, "salt": s.cfg.Salt}
	}
	if c.send(0, hello) != nil {
		return
	}
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		if s.isSilent() {
			<-c.quit
			return
		}
		s.mu.Lock()
		s.frames = append(s.frames, Frame{Conn: c.id, Text: string(data)})
		s.mu.Unlock()
		if !s.handle(c, data) {
			return
		}
	}
}

func ignoreClosed(err error) error {
	if err == websocket.ErrCloseSent {
		return nil
	}
	return err
}

// handle answers one message; false ends the connection.
func (s *Server) handle(c *serverConn, data []byte) bool {
	var env struct {
		Op *int            `json:"op"`
		D  json.RawMessage `json:"d"`
	}
	if err := json.Unmarshal(data, &env); err != nil || env.Op == nil || len(env.D) == 0 || env.D[0] != '{' {
		c.closeWith(CloseMessageDecodeError, "Message is not a valid obs-websocket message.")
		return false
	}
	s.mu.Lock()
	identified := c.identified
	s.mu.Unlock()
	if *env.Op != 1 && !identified {
		c.closeWith(CloseNotIdentified, "The session has not been identified.")
		return false
	}
	switch *env.Op {
	case 1:
		return s.identify(c, env.D)
	case 3:
		var d struct {
			EventSubscriptions *int `json:"eventSubscriptions"`
		}
		_ = json.Unmarshal(env.D, &d)
		s.mu.Lock()
		if d.EventSubscriptions != nil {
			c.subs = *d.EventSubscriptions
		}
		s.mu.Unlock()
		return c.send(2, map[string]int{"negotiatedRpcVersion": 1}) == nil
	case 6:
		return s.request(c, env.D)
	}
	c.closeWith(CloseUnknownOpCode, fmt.Sprintf("Unknown OpCode: %d", *env.Op))
	return false
}

func (s *Server) identify(c *serverConn, raw json.RawMessage) bool {
	var d struct {
		RPCVersion         *int   `json:"rpcVersion"`
		Authentication     string `json:"authentication"`
		EventSubscriptions *int   `json:"eventSubscriptions"`
	}
	if err := json.Unmarshal(raw, &d); err != nil || d.RPCVersion == nil {
		c.closeWith(CloseMessageDecodeError, "Identify: rpcVersion missing or invalid.")
		return false
	}
	s.mu.Lock()
	already := c.identified
	s.mu.Unlock()
	if already {
		c.closeWith(CloseAlreadyIdentified, "You are already Identified with the obs-websocket server.")
		return false
	}
	if *d.RPCVersion != 1 {
		c.closeWith(CloseUnsupportedRPC, "Your requested RPC version is not supported by this server.")
		return false
	}
	if s.cfg.Password != "" && d.Authentication != authResponse(s.cfg.Password, s.cfg.Salt, s.cfg.Challenge) {
		c.closeWith(CloseAuthenticationFailed, "Authentication failed.")
		return false
	}
	s.mu.Lock()
	c.identified = true
	c.subs = subAll
	if d.EventSubscriptions != nil {
		c.subs = *d.EventSubscriptions
	}
	s.identified++
	s.mu.Unlock()
	return c.send(2, map[string]int{"negotiatedRpcVersion": 1}) == nil
}

func authResponse(password, salt, challenge string) string {
	secret := sha256.Sum256([]byte(password + salt))
	resp := sha256.Sum256([]byte(base64.StdEncoding.EncodeToString(secret[:]) + challenge))
	return base64.StdEncoding.EncodeToString(resp[:])
}

type status struct {
	Result  bool   `json:"result"`
	Code    int    `json:"code"`
	Comment string `json:"comment,omitempty"`
}

func (s *Server) request(c *serverConn, raw json.RawMessage) bool {
	var d struct {
		RequestType *string         `json:"requestType"`
		RequestID   *string         `json:"requestId"`
		RequestData json.RawMessage `json:"requestData"`
	}
	if err := json.Unmarshal(raw, &d); err != nil || d.RequestID == nil {
		c.closeWith(CloseMessageDecodeError, "Request: requestId missing or invalid.")
		return false
	}
	s.mu.Lock()
	hold := s.hold
	s.mu.Unlock()
	if hold {
		return true
	}
	reqType := ""
	if d.RequestType != nil {
		reqType = *d.RequestType
	}
	st, resp, changed := s.serve(reqType, d.RequestData)
	out := map[string]any{"requestType": reqType, "requestId": *d.RequestID, "requestStatus": st}
	if resp != nil {
		out["responseData"] = resp
	}
	if c.send(7, out) != nil {
		return false
	}
	if changed != "" {
		s.emitSceneChanged(changed)
	}
	return true
}

// serve runs one request; changed is the new program scene, if any.
func (s *Server) serve(reqType string, data json.RawMessage) (st status, resp any, changed string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ok := status{Result: true, Code: 100}
	switch reqType {
	case "":
		return status{Code: 203, Comment: "Your request is missing a `requestType`"}, nil, ""
	case "GetVersion":
		return ok, map[string]any{
			"obsVersion": "30.2.0", "obsWebSocketVersion": "5.5.0", "rpcVersion": 1,
			"availableRequests":     []string{"GetVersion", "GetSceneList", "GetCurrentProgramScene", "SetCurrentProgramScene"},
			"supportedImageFormats": []string{"png"}, "platform": "emulator", "platformDescription": "obstest",
		}, ""
	case "GetSceneList":
		// obs-websocket 5 lists scenes bottom first; sceneIndex 0 is the bottom.
		list := make([]map[string]any, 0, len(s.scenes))
		for i := len(s.scenes) - 1; i >= 0; i-- {
			list = append(list, map[string]any{
				"sceneIndex": len(s.scenes) - 1 - i, "sceneName": s.scenes[i], "sceneUuid": uuidFor(s.scenes[i]),
			})
		}
		return ok, map[string]any{
			"currentProgramSceneName": s.current, "currentProgramSceneUuid": uuidFor(s.current),
			"currentPreviewSceneName": nil, "currentPreviewSceneUuid": nil, "scenes": list,
		}, ""
	case "GetCurrentProgramScene":
		return ok, map[string]any{
			"sceneName": s.current, "sceneUuid": uuidFor(s.current),
			"currentProgramSceneName": s.current, "currentProgramSceneUuid": uuidFor(s.current),
		}, ""
	case "SetCurrentProgramScene":
		var rd map[string]json.RawMessage
		_ = json.Unmarshal(data, &rd)
		raw, found := rd["sceneName"]
		if !found {
			return status{Code: 300, Comment: "Your request is missing the `sceneName` field."}, nil, ""
		}
		var name string
		if json.Unmarshal(raw, &name) != nil {
			return status{Code: 401, Comment: "The field value of `sceneName` must be a string."}, nil, ""
		}
		if !slices.Contains(s.scenes, name) {
			return status{Code: 600, Comment: fmt.Sprintf("No source was found by the name of `%s`.", name)}, nil, ""
		}
		s.current = name
		return ok, nil, name
	}
	return status{Code: 204, Comment: "Your request type is not valid."}, nil, ""
}

// uuidFor gives each scene name a stable UUID-shaped id.
func uuidFor(name string) string {
	h := sha256.Sum256([]byte(name))
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

func (s *Server) emitSceneChanged(name string) {
	s.mu.Lock()
	var targets []*serverConn
	for _, c := range s.connList() {
		if c.identified && c.subs&SubScenes != 0 {
			targets = append(targets, c)
		}
	}
	s.mu.Unlock()
	ev := map[string]any{
		"eventType": "CurrentProgramSceneChanged", "eventIntent": SubScenes,
		"eventData": map[string]string{"sceneName": name, "sceneUuid": uuidFor(name)},
	}
	for _, c := range targets {
		_ = c.send(5, ev)
	}
}

func (c *serverConn) send(op int, d any) error {
	data, err := json.Marshal(map[string]any{"op": op, "d": d})
	if err != nil {
		return err
	}
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	return c.ws.WriteMessage(websocket.TextMessage, data)
}

func (c *serverConn) closeWith(code int, text string) {
	msg := websocket.FormatCloseMessage(code, text)
	_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	c.drop()
}

func (c *serverConn) drop() {
	c.once.Do(func() {
		close(c.quit)
		_ = c.ws.Close()
	})
}
