// Package bilitest is a loopback stand-in for the Bilibili open platform:
// the signed HTTP API (/v2/app/start, /v2/app/heartbeat, /v2/app/end) and
// the WebSocket message push, speaking the wire format byte for byte. It
// shares no code with the adapter: framing and signatures are computed
// here independently, so a test against it checks the adapter against the
// protocol, not against itself.
package bilitest

import (
	"bytes"
	"compress/zlib"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/gorilla/websocket"
)

// Options configures a Server. Zero fields get test defaults.
type Options struct {
	AppID           int64  // 1700000001
	AccessKeyID     string // "test-key-id"
	AccessKeySecret string // "test-key-secret"
	Code            string // the identity code: "TESTCODE"
	RoomID          int64  // 21452505
	// LinksBefore are put ahead of the server's own link in wss_link (to
	// test falling through unreachable links).
	LinksBefore []string
	// WSIdle drops a connection that sends nothing for this long (60 s).
	WSIdle time.Duration
	// Popularity is the value in heartbeat replies (1).
	Popularity uint32
	// Replay makes the server behave like a platform that re-delivers
	// after a reconnect: it keeps the last Replay frames pushed and sends
	// them again to every connection authenticated after the first.
	Replay int
}

// Stats is what the server has seen.
type Stats struct {
	Starts        int      // successful /v2/app/start
	AppHeartbeats int      // /v2/app/heartbeat calls (any outcome)
	Ends          []string // game ids ended through /v2/app/end
	Auths         int      // WebSocket connections authenticated
	WSHeartbeats  int      // op 2 packets received
	Connected     bool     // a connection is authenticated and open
	Problems      []string // protocol violations seen (bad signature, bad auth, ...)
	Game          string   // current game id
}

// Server is the fake platform. Its URL is the API base.
type Server struct {
	*httptest.Server
	opts Options
	up   websocket.Upgrader

	mu     sync.Mutex
	st     Stats
	games  map[string]*gameState
	nonces map[string]bool
	nGames int
	conn   *wsConn  // the authenticated connection, if any
	reject int      // auths still to refuse
	mute   int      // auths still to leave unanswered
	broken int      // starts still to answer with an unreachable link only
	sent   [][]byte // the last Options.Replay frames pushed
}

type gameState struct {
	id       string
	authBody string
	ended    bool
}

type wsConn struct {
	ws *websocket.Conn
	mu sync.Mutex // one writer at a time
}

func (c *wsConn) write(frame []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteMessage(websocket.BinaryMessage, frame)
}

// New starts a server on 127.0.0.1. Close it when done.
func New(opts Options) *Server {
	if opts.AppID == 0 {
		opts.AppID = 1700000001
	}
	if opts.AccessKeyID == "" {
		opts.AccessKeyID = "test-key-id"
	}
	if opts.AccessKeySecret == "" {
		opts.AccessKeySecret = "test-key-secret"
	}
	if opts.Code == "" {
		opts.Code = "TESTCODE"
	}
	if opts.RoomID == 0 {
		opts.RoomID = 21452505
	}
	if opts.WSIdle == 0 {
		opts.WSIdle = 60 * time.Second
	}
	if opts.Popularity == 0 {
		opts.Popularity = 1
	}
	s := &Server{opts: opts, games: map[string]*gameState{}, nonces: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v2/app/start", s.api(s.start))
	mux.HandleFunc("POST /v2/app/heartbeat", s.api(s.heartbeat))
	mux.HandleFunc("POST /v2/app/end", s.api(s.end))
	mux.HandleFunc("GET /sub", s.sub)
	s.Server = httptest.NewServer(mux)
	return s
}

// Options returns the effective options (credentials for the adapter).
func (s *Server) Options() Options { return s.opts }

// WSURL is the server's own wss_link (ws:// on loopback).
func (s *Server) WSURL() string { return "ws" + strings.TrimPrefix(s.URL, "http") + "/sub" }

// Stats returns a snapshot.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.st
	st.Ends = append([]string(nil), s.st.Ends...)
	st.Problems = append([]string(nil), s.st.Problems...)
	st.Connected = s.conn != nil
	return st
}

// WaitFor polls until cond holds or timeout passes; it reports whether cond
// held.
func (s *Server) WaitFor(timeout time.Duration, cond func(Stats) bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond(s.Stats()) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (s *Server) problem(format string, args ...any) {
	s.mu.Lock()
	s.st.Problems = append(s.st.Problems, fmt.Sprintf(format, args...))
	s.mu.Unlock()
}

// Push sends one WebSocket frame to the authenticated connection.
func (s *Server) Push(frame []byte) error {
	s.mu.Lock()
	c := s.conn
	s.mu.Unlock()
	if c == nil {
		return errors.New("bilitest: no authenticated connection")
	}
	if s.opts.Replay > 0 {
		s.mu.Lock()
		s.sent = append(s.sent, frame)
		if len(s.sent) > s.opts.Replay {
			s.sent = s.sent[len(s.sent)-s.opts.Replay:]
		}
		s.mu.Unlock()
	}
	return c.write(frame)
}

// Drop closes the authenticated connection without a close handshake, as
// a network failure would.
func (s *Server) Drop() {
	s.mu.Lock()
	c := s.conn
	s.conn = nil
	s.mu.Unlock()
	if c != nil {
		c.ws.Close()
	}
}

// EndGame closes the current game on the platform side: the next
// /v2/app/heartbeat for it answers 7003.
func (s *Server) EndGame() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.games[s.st.Game]; g != nil {
		g.ended = true
	}
}

// RejectAuths makes the next n WebSocket auths fail with {"code":-101}
// although the auth_body is right (a stale or revoked session).
func (s *Server) RejectAuths(n int) {
	s.mu.Lock()
	s.reject = n
	s.mu.Unlock()
}

// BreakLinks makes the next n /v2/app/start replies carry only an
// unreachable wss_link.
func (s *Server) BreakLinks(n int) {
	s.mu.Lock()
	s.broken = n
	s.mu.Unlock()
}

// MuteAuths leaves the next n WebSocket auths unanswered: the server
// keeps the connection open and says nothing.
func (s *Server) MuteAuths(n int) {
	s.mu.Lock()
	s.mute = n
	s.mu.Unlock()
}

// --- framing, written out from the protocol description ---

// Packet builds one packet: 16-byte big-endian header (packet length,
// header length 16, version, operation, sequence) and body.
func Packet(op uint32, ver uint16, seq uint32, body []byte) []byte {
	h := make([]byte, 16, 16+len(body))
	binary.BigEndian.PutUint32(h[0:], uint32(16+len(body)))
	binary.BigEndian.PutUint16(h[4:], 16)
	binary.BigEndian.PutUint16(h[6:], ver)
	binary.BigEndian.PutUint32(h[8:], op)
	binary.BigEndian.PutUint32(h[12:], seq)
	return append(h, body...)
}

// Message is an op-5 plain-JSON packet {"cmd": cmd, "data": data}; data
// is marshalled unless it is already json.RawMessage.
func Message(cmd string, data any) []byte {
	raw, ok := data.(json.RawMessage)
	if !ok {
		b, err := json.Marshal(data)
		if err != nil {
			b = []byte(strconv.Quote("bilitest: cannot marshal data: " + err.Error()))
		}
		raw = b
	}
	c, _ := json.Marshal(cmd)
	body := append(append(append(append([]byte(`{"cmd":`), c...), `,"data":`...), raw...), '}')
	return Packet(5, 0, 0, body)
}

// Join concatenates packets into one frame.
func Join(packets ...[]byte) []byte { return bytes.Join(packets, nil) }

// Zlib wraps packets into one op-5 version-2 packet.
func Zlib(packets ...[]byte) []byte {
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	_, _ = w.Write(Join(packets...))
	_ = w.Close()
	return Packet(5, 2, 0, b.Bytes())
}

// Brotli wraps packets into one op-5 version-3 packet.
func Brotli(packets ...[]byte) []byte {
	var b bytes.Buffer
	w := brotli.NewWriterLevel(&b, 5)
	_, _ = w.Write(Join(packets...))
	_ = w.Close()
	return Packet(5, 3, 0, b.Bytes())
}

// DM is LIVE_OPEN_PLATFORM_DM data shaped like the platform's.
func DM(openID, uname, msg, msgID string, ts int64) map[string]any {
	return map[string]any{
		"room_id": 21452505, "uid": 0, "open_id": openID, "union_id": "",
		"uname": uname, "uface": "https://i0.hdslb.com/bfs/face/member/noface.jpg",
		"timestamp": ts, "msg": msg, "msg_id": msgID,
		"guard_level": 0, "fans_medal_level": 0, "fans_medal_name": "",
		"fans_medal_wearing_status": false, "emoji_img_url": "", "dm_type": 0,
		"glory_level": 0, "reply_open_id": "", "reply_uname": "", "is_admin": 0,
	}
}

// --- HTTP API ---

type reply struct {
	Code      int    `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id"`
	Data      any    `json:"data"`
}

func (s *Server) api(h func(body []byte) reply) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var rep reply
		if err != nil {
			rep = reply{Code: 4000, Message: "read body: " + err.Error()}
		} else if msg := s.checkSignature(r.Header, body); msg != "" {
			s.problem("%s: %s", r.URL.Path, msg)
			rep = reply{Code: 4002, Message: msg}
		} else {
			rep = h(body)
		}
		if rep.Data == nil {
			rep.Data = map[string]any{}
		}
		rep.RequestID = strconv.FormatInt(time.Now().UnixNano(), 10)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(rep)
	}
}

// checkSignature verifies the request signing rules; "" means valid.
func (s *Server) checkSignature(h http.Header, body []byte) string {
	keys := []string{ // sorted
		"x-bili-accesskeyid", "x-bili-content-md5", "x-bili-signature-method",
		"x-bili-signature-nonce", "x-bili-signature-version", "x-bili-timestamp",
	}
	var canon strings.Builder
	for i, k := range keys {
		if len(h.Values(k)) != 1 {
			return fmt.Sprintf("header %s: want exactly one value, got %d", k, len(h.Values(k)))
		}
		if i > 0 {
			canon.WriteByte('\n')
		}
		canon.WriteString(k + ":" + h.Get(k))
	}
	sum := md5.Sum(body)
	switch {
	case h.Get("x-bili-accesskeyid") != s.opts.AccessKeyID:
		return "unknown access key id " + strconv.Quote(h.Get("x-bili-accesskeyid"))
	case h.Get("x-bili-content-md5") != hex.EncodeToString(sum[:]):
		return "content md5 mismatch"
	case h.Get("x-bili-signature-method") != "HMAC-SHA256":
		return "signature method " + strconv.Quote(h.Get("x-bili-signature-method"))
	case h.Get("x-bili-signature-version") != "1.0":
		return "signature version " + strconv.Quote(h.Get("x-bili-signature-version"))
	case h.Get("x-bili-signature-nonce") == "":
		return "empty nonce"
	}
	ts, err := strconv.ParseInt(h.Get("x-bili-timestamp"), 10, 64)
	if err != nil {
		return "timestamp: " + err.Error()
	}
	if d := time.Since(time.Unix(ts, 0)); d > 10*time.Minute || d < -10*time.Minute {
		return "timestamp off by " + d.String()
	}
	mac := hmac.New(sha256.New, []byte(s.opts.AccessKeySecret))
	mac.Write([]byte(canon.String()))
	if want := hex.EncodeToString(mac.Sum(nil)); h.Get("Authorization") != want {
		return "signature mismatch"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	nonce := h.Get("x-bili-signature-nonce")
	if s.nonces[nonce] {
		return "nonce reused"
	}
	s.nonces[nonce] = true
	return ""
}

func (s *Server) start(body []byte) reply {
	var req struct {
		Code  *string `json:"code"`
		AppID *int64  `json:"app_id"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.Code == nil || req.AppID == nil {
		s.problem("/v2/app/start: bad body %q", body)
		return reply{Code: 4000, Message: "invalid params"}
	}
	if *req.AppID != s.opts.AppID {
		return reply{Code: 4004, Message: "app_id mismatch"}
	}
	if *req.Code != s.opts.Code {
		return reply{Code: 7007, Message: "identity code invalid"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nGames++
	g := &gameState{id: fmt.Sprintf("game-%04d", s.nGames)}
	g.authBody = fmt.Sprintf(`{"roomid":%d,"protoover":2,"uid":0,"key":"k%d-%s"}`, s.opts.RoomID, s.nGames, g.id)
	if old := s.games[s.st.Game]; old != nil {
		old.ended = true
	}
	s.games[g.id] = g
	s.st.Game = g.id
	s.st.Starts++
	links := append(append([]string(nil), s.opts.LinksBefore...), s.WSURL())
	if s.broken > 0 {
		s.broken--
		links = []string{"ws://127.0.0.1:1/sub"}
	}
	return reply{Data: map[string]any{
		"game_info":      map[string]any{"game_id": g.id},
		"websocket_info": map[string]any{"auth_body": g.authBody, "wss_link": links},
		"anchor_info": map[string]any{
			"room_id": s.opts.RoomID, "uname": "测试主播", "uface": "", "uid": 0, "open_id": "anchor-open-id",
		},
	}}
}

func (s *Server) heartbeat(body []byte) reply {
	var req struct {
		GameID string `json:"game_id"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		s.problem("/v2/app/heartbeat: bad body %q", body)
		return reply{Code: 4000, Message: "invalid params"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.AppHeartbeats++
	if g := s.games[req.GameID]; g == nil || g.ended {
		return reply{Code: 7003, Message: "game closed"}
	}
	return reply{}
}

func (s *Server) end(body []byte) reply {
	var req struct {
		AppID  int64  `json:"app_id"`
		GameID string `json:"game_id"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.AppID != s.opts.AppID {
		s.problem("/v2/app/end: bad body %q", body)
		return reply{Code: 4000, Message: "invalid params"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.Ends = append(s.st.Ends, req.GameID)
	if g := s.games[req.GameID]; g != nil {
		g.ended = true
	}
	return reply{}
}

// --- WebSocket ---

func (s *Server) sub(w http.ResponseWriter, r *http.Request) {
	ws, err := s.up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &wsConn{ws: ws}
	defer ws.Close()
	if !s.authenticate(c) {
		return
	}
	defer func() {
		s.mu.Lock()
		if s.conn == c {
			s.conn = nil
		}
		s.mu.Unlock()
	}()
	for {
		_ = ws.SetReadDeadline(time.Now().Add(s.opts.WSIdle))
		mt, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		if mt != websocket.BinaryMessage || len(data) < 16 {
			s.problem("ws: unexpected message type %d, %d bytes", mt, len(data))
			continue
		}
		plen := binary.BigEndian.Uint32(data[0:])
		op := binary.BigEndian.Uint32(data[8:])
		if int(plen) != len(data) || binary.BigEndian.Uint16(data[4:]) != 16 {
			s.problem("ws: bad client packet % x", data[:16])
			continue
		}
		switch op {
		case 2:
			s.mu.Lock()
			s.st.WSHeartbeats++
			pop := s.opts.Popularity
			s.mu.Unlock()
			var b [4]byte
			binary.BigEndian.PutUint32(b[:], pop)
			if err := c.write(Packet(3, 1, 0, b[:])); err != nil {
				return
			}
		default:
			s.problem("ws: unexpected op %d after auth", op)
		}
	}
}

// authenticate expects op 7, version 1, the current game's auth_body
// verbatim, within 5 s.
func (s *Server) authenticate(c *wsConn) bool {
	_ = c.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	mt, data, err := c.ws.ReadMessage()
	if err != nil {
		s.problem("ws: no auth within 5s: %v", err)
		return false
	}
	fail := func(why string) bool {
		s.problem("ws: auth: %s", why)
		_ = c.write(Packet(8, 1, 0, []byte(`{"code":-101}`)))
		return false
	}
	if mt != websocket.BinaryMessage || len(data) < 16 {
		return fail(fmt.Sprintf("message type %d, %d bytes", mt, len(data)))
	}
	plen := binary.BigEndian.Uint32(data[0:])
	hlen := binary.BigEndian.Uint16(data[4:])
	ver := binary.BigEndian.Uint16(data[6:])
	op := binary.BigEndian.Uint32(data[8:])
	if int(plen) != len(data) || hlen != 16 || ver != 1 || op != 7 {
		return fail(fmt.Sprintf("header % x", data[:16]))
	}
	s.mu.Lock()
	g := s.games[s.st.Game]
	ok := g != nil && !g.ended && string(data[16:]) == g.authBody
	rejected := ok && s.reject > 0
	if rejected {
		s.reject--
	}
	muted := ok && !rejected && s.mute > 0
	if muted {
		s.mute--
	}
	s.mu.Unlock()
	if muted {
		_ = c.ws.SetReadDeadline(time.Time{})
		for {
			if _, _, err := c.ws.ReadMessage(); err != nil {
				return false
			}
		}
	}
	if !ok {
		return fail(fmt.Sprintf("body %q is not the current game's auth_body", data[16:]))
	}
	if rejected {
		_ = c.write(Packet(8, 1, 0, []byte(`{"code":-101}`)))
		return false
	}
	if err := c.write(Packet(8, 1, 0, []byte(`{"code":0}`))); err != nil {
		return false
	}
	s.mu.Lock()
	old := s.conn
	s.conn = c
	s.st.Auths++
	var replay [][]byte
	if s.st.Auths > 1 {
		replay = append(replay, s.sent...)
	}
	s.mu.Unlock()
	if old != nil {
		old.ws.Close()
	}
	for _, f := range replay {
		if c.write(f) != nil {
			return false
		}
	}
	return true
}
