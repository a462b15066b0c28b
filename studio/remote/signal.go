package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/pion/webrtc/v4"

	"studiodesk/studio"
)

const (
	authWait       = 5 * time.Second
	wsPingEvery    = 10 * time.Second
	wsReadTimeout  = 30 * time.Second
	wsWriteTimeout = 5 * time.Second
	maxSignalBytes = 64 << 10
	// A remote whose state channel holds more than this is behind: it gets
	// a whole snapshot once it drains instead of a queue of diffs.
	stateBacklog   = 256 << 10
	danmakuBacklog = 64 << 10
)

var upgrader = websocket.Upgrader{
	HandshakeTimeout: 5 * time.Second,
	ReadBufferSize:   4 << 10,
	WriteBufferSize:  4 << 10,
	// The default CheckOrigin: a page from another origin may not connect.
}

// session is one connected remote: a signalling socket and a peer
// connection, ended together.
type session struct {
	srv    *Server
	dev    Device
	from   string
	conn   *websocket.Conn
	out    chan signalMsg
	ctx    context.Context
	cancel context.CancelFunc
	pc     *webrtc.PeerConnection
	state  *webrtc.DataChannel
	cmd    *webrtc.DataChannel
	dmk    *webrtc.DataChannel

	mu      sync.Mutex
	pending []webrtc.ICECandidateInit
	once    sync.Once
	drained chan struct{}
}

func (s *Server) handleSignal(w http.ResponseWriter, r *http.Request) {
	from := r.RemoteAddr
	var dev Device
	authed := false
	if tok := r.URL.Query().Get("token"); tok != "" {
		d, err := s.authenticate(tok, "signal", from)
		if err != nil {
			writeErr(w, http.StatusUnauthorized, "missing, wrong or revoked token")
			return
		}
		dev, authed = d, true
	}
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		s.cfg.Logf("remote: signal from %s: upgrade: %v", from, err)
		return
	}
	conn.SetReadLimit(maxSignalBytes)
	if !authed {
		// The browser sends its token in the first message, not in the URL.
		_ = conn.SetReadDeadline(time.Now().Add(authWait))
		var m signalMsg
		if err := conn.ReadJSON(&m); err != nil || m.Type != "auth" {
			s.cfg.Logf("remote: signal from %s rejected: no token", from)
			closeWS(conn, websocket.ClosePolicyViolation, "auth first")
			return
		}
		d, err := s.authenticate(m.Token, "signal", from)
		if err != nil {
			_ = conn.SetWriteDeadline(time.Now().Add(wsWriteTimeout))
			_ = conn.WriteJSON(signalMsg{Type: "error", Error: "unauthorized"})
			closeWS(conn, websocket.ClosePolicyViolation, "unauthorized")
			return
		}
		dev = d
	}
	ss, err := s.newSession(dev, from, conn)
	if err != nil {
		s.cfg.Logf("remote: signal from %s: %v", from, err)
		_ = conn.WriteJSON(signalMsg{Type: "error", Error: "server error"})
		closeWS(conn, websocket.CloseInternalServerErr, "server error")
		return
	}
	ss.run()
}

func closeWS(c *websocket.Conn, code int, text string) {
	_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
	_ = c.Close()
}

func (s *Server) newSession(dev Device, from string, conn *websocket.Conn) (*session, error) {
	pc, err := s.api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, fmt.Errorf("peer connection for %s: %w", dev.ID, err)
	}
	st, cmd, dmk, err := channels(pc)
	if err != nil {
		_ = pc.Close()
		return nil, fmt.Errorf("data channels for %s: %w", dev.ID, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ss := &session{srv: s, dev: dev, from: from, conn: conn, out: make(chan signalMsg, 64),
		ctx: ctx, cancel: cancel, pc: pc, state: st, cmd: cmd, dmk: dmk,
		drained: make(chan struct{}, 1)}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		cancel()
		_ = pc.Close()
		return nil, errors.New("server closed")
	}
	s.sessions[ss] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()

	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c == nil {
			return
		}
		init := c.ToJSON()
		ss.send(signalMsg{Type: "candidate", Candidate: &init})
	})
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		if st == webrtc.PeerConnectionStateFailed || st == webrtc.PeerConnectionStateClosed {
			go ss.close("peer connection " + st.String())
		}
	})
	st.SetBufferedAmountLowThreshold(stateBacklog / 4)
	st.OnBufferedAmountLow(func() {
		select {
		case ss.drained <- struct{}{}:
		default:
		}
	})
	st.OnOpen(func() { go ss.pumpState() })
	cmd.OnMessage(func(m webrtc.DataChannelMessage) { ss.onCommand(m.Data) })
	return ss, nil
}

func (ss *session) send(m signalMsg) {
	select {
	case ss.out <- m:
	case <-ss.ctx.Done():
	}
}

// run owns the socket: one writer goroutine, this goroutine reads.
func (ss *session) run() {
	defer ss.srv.wg.Done()
	defer ss.close("signalling closed")
	go ss.writer()
	ss.send(signalMsg{Type: "ready", Device: &DeviceInfo{ID: ss.dev.ID, Name: ss.dev.Name, Role: ss.dev.Role}})
	ss.conn.SetPongHandler(func(string) error {
		return ss.conn.SetReadDeadline(time.Now().Add(wsReadTimeout))
	})
	for {
		_ = ss.conn.SetReadDeadline(time.Now().Add(wsReadTimeout))
		var m signalMsg
		if err := ss.conn.ReadJSON(&m); err != nil {
			return
		}
		if err := ss.onSignal(m); err != nil {
			ss.srv.cfg.Logf("remote: signal from device %s (%q): %v", ss.dev.ID, ss.dev.Name, err)
			ss.send(signalMsg{Type: "error", Error: err.Error()})
		}
		if m.Type == "bye" {
			return
		}
	}
}

func (ss *session) writer() {
	ping := time.NewTicker(wsPingEvery)
	defer ping.Stop()
	for {
		select {
		case <-ss.ctx.Done():
			closeWS(ss.conn, websocket.CloseNormalClosure, "bye")
			return
		case m := <-ss.out:
			_ = ss.conn.SetWriteDeadline(time.Now().Add(wsWriteTimeout))
			if err := ss.conn.WriteJSON(m); err != nil {
				go ss.close("signalling write failed")
				return
			}
		case <-ping.C:
			if err := ss.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(wsWriteTimeout)); err != nil {
				go ss.close("signalling ping failed")
				return
			}
		}
	}
}

func (ss *session) onSignal(m signalMsg) error {
	switch m.Type {
	case "offer":
		if len(m.SDP) == 0 {
			return errors.New("offer without sdp")
		}
		if err := ss.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: m.SDP}); err != nil {
			return fmt.Errorf("offer: %w", err)
		}
		answer, err := ss.pc.CreateAnswer(nil)
		if err != nil {
			return fmt.Errorf("answer: %w", err)
		}
		if err := ss.pc.SetLocalDescription(answer); err != nil {
			return fmt.Errorf("answer: %w", err)
		}
		ss.send(signalMsg{Type: "answer", SDP: answer.SDP})
		ss.mu.Lock()
		pend := ss.pending
		ss.pending = nil
		ss.mu.Unlock()
		for _, c := range pend {
			if err := ss.pc.AddICECandidate(c); err != nil {
				return fmt.Errorf("candidate: %w", err)
			}
		}
	case "candidate":
		if m.Candidate == nil {
			return nil
		}
		if ss.pc.RemoteDescription() == nil {
			ss.mu.Lock()
			if len(ss.pending) < 64 {
				ss.pending = append(ss.pending, *m.Candidate)
			}
			ss.mu.Unlock()
			return nil
		}
		if err := ss.pc.AddICECandidate(*m.Candidate); err != nil {
			return fmt.Errorf("candidate: %w", err)
		}
	case "bye", "ping":
	default:
		return fmt.Errorf("unknown signal %q", m.Type)
	}
	return nil
}

func (ss *session) close(why string) {
	ss.once.Do(func() {
		ss.cancel()
		ss.srv.mu.Lock()
		delete(ss.srv.sessions, ss)
		ss.srv.mu.Unlock()
		if err := ss.pc.Close(); err != nil {
			ss.srv.cfg.Logf("remote: close peer for device %s: %v", ss.dev.ID, err)
		}
		_ = ss.conn.Close()
		ss.srv.cfg.Logf("remote: device %s (%q) disconnected: %s", ss.dev.ID, ss.dev.Name, why)
	})
}

// pumpState sends a whole snapshot when the state channel opens, then a
// diff for every desk event. A remote that falls behind is caught up with
// a whole snapshot once its channel drains; the desk never waits for it.
func (ss *session) pumpState() {
	desk := ss.srv.cfg.Desk
	sub := desk.Subscribe(16)
	defer sub.Close()
	var enc encoder
	full, behind := true, false
	canControl := ss.dev.Role == RoleController
	emit := func(snap *studio.Snapshot, at time.Time) bool {
		if ss.state.ReadyState() != webrtc.DataChannelStateOpen {
			return false
		}
		if ss.state.BufferedAmount() > stateBacklog {
			behind = true
			return true
		}
		f, err := ss.srv.states.get(snap, at, ss.srv.extras.version(), ss.srv.stateAt)
		if err != nil {
			ss.srv.cfg.Logf("remote: state for device %s: %v", ss.dev.ID, err)
			return true
		}
		b := enc.encode(f, canControl, full || behind)
		full, behind = false, false
		if b == nil {
			return true
		}
		return ss.state.SendText(string(b)) == nil
	}
	tick := time.NewTicker(ss.srv.cfg.StateEvery)
	defer tick.Stop()
	for {
		select {
		case <-ss.ctx.Done():
			return
		case <-tick.C:
			// Device lights and interaction countdowns change between
			// desk events.
			if !emit(desk.Snapshot(), ss.srv.cfg.Now()) {
				return
			}
		case ev := <-sub.C():
			ss.srv.noteEvent(ev)
			// The state at the event's instant: the same for every remote,
			// so it is computed once.
			snap := ev.Snapshot
			if snap == nil {
				snap = desk.Snapshot()
			}
			if !emit(snap, ev.At) {
				return
			}
		case <-ss.drained:
			if behind && !emit(desk.Snapshot(), ss.srv.cfg.Now()) {
				return
			}
		}
	}
}

func (ss *session) onCommand(b []byte) {
	m, c, err := DecodeCommand(b)
	if err == nil {
		err = ss.srv.execute(ss.ctx, ss.dev, c, "datachannel", ss.from)
	} else {
		ss.srv.cfg.Logf("remote: datachannel command from device %s (%q) rejected: %v", ss.dev.ID, ss.dev.Name, err)
	}
	ack := AckMsg{ID: m.ID, OK: err == nil, Code: errorCode(err)}
	if err != nil {
		ack.Error = err.Error()
	}
	out, jerr := json.Marshal(ack)
	if jerr != nil {
		return
	}
	if err := ss.cmd.SendText(string(out)); err != nil {
		ss.srv.cfg.Logf("remote: ack to device %s: %v", ss.dev.ID, err)
	}
}

func (ss *session) sendDanmaku(b []byte) {
	if ss.dmk.ReadyState() != webrtc.DataChannelStateOpen || ss.dmk.BufferedAmount() > danmakuBacklog {
		return
	}
	_ = ss.dmk.SendText(string(b))
}
