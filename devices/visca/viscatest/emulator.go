// Package viscatest is a VISCA over IP camera on the loopback interface for
// tests: it speaks the real wire format, keeps pan/tilt/zoom and preset
// state, tracks sequence numbers, and can be told to misbehave (errors,
// silence, lost replies, stray packets, power cycles).
//
// It deliberately shares no code with package visca, so a codec bug there
// cannot hide behind the same bug here.
package viscatest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// Payload types of the VISCA over IP header.
const (
	TypeCommand      uint16 = 0x0100
	TypeInquiry      uint16 = 0x0110
	TypeReply        uint16 = 0x0111
	TypeControl      uint16 = 0x0200
	TypeControlReply uint16 = 0x0201
)

type position struct{ pan, tilt, zoom int }

// Emulator is one emulated camera. Its methods are safe for concurrent use.
type Emulator struct {
	mu       sync.Mutex
	conn     *net.UDPConn
	port     int
	running  bool
	loopDone chan struct{}

	received [][]byte
	executed int

	pos     position
	presets map[byte]position

	expected uint32 // next sequence number the camera expects
	lastSeq  uint32 // sequence of the last message it acted on
	haveLast bool

	delay       time.Duration
	silent      bool
	replyAddr   byte
	failNext    [][]byte
	dupDetect   bool
	strictSeq   bool
	loseReplies int
	dropNext    int
	inject      [][]byte
	ignoreReset bool
	resets      int
}

// Start listens on 127.0.0.1 on a free port.
func Start() (*Emulator, error) {
	e := &Emulator{presets: map[byte]position{}, replyAddr: 0x90, dupDetect: true}
	if err := e.listen(0); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *Emulator) listen(port int) error {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		return fmt.Errorf("viscatest: listen on 127.0.0.1:%d: %w", port, err)
	}
	e.mu.Lock()
	e.conn = conn
	e.port = conn.LocalAddr().(*net.UDPAddr).Port
	e.running = true
	e.loopDone = make(chan struct{})
	done := e.loopDone
	e.mu.Unlock()
	go e.serve(conn, done)
	return nil
}

// Addr is the camera's "127.0.0.1:port".
func (e *Emulator) Addr() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return fmt.Sprintf("127.0.0.1:%d", e.port)
}

// Stop closes the socket, as if the camera lost power. Replies still
// scheduled are dropped.
func (e *Emulator) Stop() {
	e.mu.Lock()
	if !e.running {
		e.mu.Unlock()
		return
	}
	e.running = false
	conn, done := e.conn, e.loopDone
	e.mu.Unlock()
	conn.Close()
	<-done
}

// Restart listens again on the same port, like a re-powered camera: the
// sequence state starts over; position and stored presets survive (presets
// live in the camera's non-volatile memory).
func (e *Emulator) Restart() error {
	e.Stop()
	e.mu.Lock()
	e.expected, e.lastSeq, e.haveLast = 0, 0, false
	port := e.port
	e.mu.Unlock()
	return e.listen(port)
}

// SetCompletionDelay delays each command's completion after its ACK.
func (e *Emulator) SetCompletionDelay(d time.Duration) { e.with(func() { e.delay = d }) }

// SetSilent makes the camera log datagrams but answer nothing.
func (e *Emulator) SetSilent(on bool) { e.with(func() { e.silent = on }) }

// SetReplyA0 makes replies start with A0 instead of 90, as some firmware does.
func (e *Emulator) SetReplyA0(on bool) {
	e.with(func() {
		e.replyAddr = 0x90
		if on {
			e.replyAddr = 0xA0
		}
	})
}

// FailNext makes the next command or inquiry answer with the given VISCA
// payload (e.g. 90 60 02 FF) instead of running. Several calls queue up.
func (e *Emulator) FailNext(reply ...byte) {
	e.with(func() { e.failNext = append(e.failNext, append([]byte(nil), reply...)) })
}

// SetDuplicateDetection (on by default) makes a message repeating the last
// acted-on sequence number answer the control error 0F 01 instead of running
// again, as a Sony camera does.
func (e *Emulator) SetDuplicateDetection(on bool) { e.with(func() { e.dupDetect = on }) }

// SetIgnoreReset makes the camera drop the control message RESET (02 00,
// payload 01) without answering or resetting its sequence state, as some
// firmware does; commands still run. Resets counts them either way.
func (e *Emulator) SetIgnoreReset(on bool) { e.with(func() { e.ignoreReset = on }) }

// Resets counts the RESET control messages received.
func (e *Emulator) Resets() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.resets
}

// SetStrictSequence makes any message whose sequence number is not the
// expected one answer 0F 01.
func (e *Emulator) SetStrictSequence(on bool) { e.with(func() { e.strictSeq = on }) }

// LoseReplies makes the next n commands or inquiries run but send no reply,
// as if the replies were lost on the network.
func (e *Emulator) LoseReplies(n int) { e.with(func() { e.loseReplies = n }) }

// DropNext makes the next n datagrams vanish before the camera sees them
// (they are still logged by Received).
func (e *Emulator) DropNext(n int) { e.with(func() { e.dropNext = n }) }

// InjectBeforeNextReply sends these raw datagrams just before the replies to
// the next command or inquiry, e.g. a late reply carrying an old sequence.
func (e *Emulator) InjectBeforeNextReply(datagrams ...[]byte) {
	e.with(func() {
		for _, d := range datagrams {
			e.inject = append(e.inject, append([]byte(nil), d...))
		}
	})
}

// Received returns copies of every datagram received, in order.
func (e *Emulator) Received() [][]byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([][]byte, len(e.received))
	for i, b := range e.received {
		out[i] = append([]byte(nil), b...)
	}
	return out
}

// ClearReceived forgets the datagram log.
func (e *Emulator) ClearReceived() { e.with(func() { e.received = nil }) }

// Executed counts commands that actually ran (not inquiries, duplicates or
// failures).
func (e *Emulator) Executed() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.executed
}

// ExpectedSeq is the sequence number the camera expects next.
func (e *Emulator) ExpectedSeq() uint32 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.expected
}

// Position is the camera's pan, tilt and zoom.
func (e *Emulator) Position() (pan, tilt, zoom int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.pos.pan, e.pos.tilt, e.pos.zoom
}

// SetPosition moves the camera by hand (pan/tilt signed 16-bit).
func (e *Emulator) SetPosition(pan, tilt, zoom int) {
	e.with(func() { e.pos = position{pan, tilt, zoom} })
}

// StorePreset stores a position as the 1-based preset n, as if set from
// the camera's own remote.
func (e *Emulator) StorePreset(n, pan, tilt, zoom int) {
	e.with(func() { e.presets[byte(n-1)] = position{pan, tilt, zoom} })
}

// Preset returns the stored 1-based preset n.
func (e *Emulator) Preset(n int) (pan, tilt, zoom int, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, ok := e.presets[byte(n-1)]
	return p.pan, p.tilt, p.zoom, ok
}

func (e *Emulator) with(f func()) {
	e.mu.Lock()
	f()
	e.mu.Unlock()
}

// Frame builds a VISCA over IP datagram.
func Frame(payloadType uint16, seq uint32, payload []byte) []byte {
	b := make([]byte, 8+len(payload))
	binary.BigEndian.PutUint16(b[0:2], payloadType)
	binary.BigEndian.PutUint16(b[2:4], uint16(len(payload)))
	binary.BigEndian.PutUint32(b[4:8], seq)
	copy(b[8:], payload)
	return b
}

func (e *Emulator) serve(conn *net.UDPConn, done chan struct{}) {
	defer close(done)
	buf := make([]byte, 2048)
	for {
		n, peer, err := conn.ReadFromUDP(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		e.handle(conn, peer, append([]byte(nil), buf[:n]...))
	}
}

// outgoing is one datagram to send, after a delay.
type outgoing struct {
	after time.Duration
	data  []byte
}

func (e *Emulator) handle(conn *net.UDPConn, peer *net.UDPAddr, pkt []byte) {
	e.mu.Lock()
	out := e.respond(pkt)
	e.mu.Unlock()
	for _, o := range out {
		if o.after <= 0 {
			conn.WriteToUDP(o.data, peer)
			continue
		}
		data := o.data
		// Written to this socket only: after a restart it is closed and the
		// late completion is lost, as with a real power cycle.
		time.AfterFunc(o.after, func() { conn.WriteToUDP(data, peer) })
	}
}

// respond updates state for one datagram and returns the replies. Called
// with e.mu held.
func (e *Emulator) respond(pkt []byte) []outgoing {
	e.received = append(e.received, pkt)
	if e.dropNext > 0 {
		e.dropNext--
		return nil
	}
	if e.silent || len(pkt) < 8 {
		return nil
	}
	typ := binary.BigEndian.Uint16(pkt[0:2])
	n := int(binary.BigEndian.Uint16(pkt[2:4]))
	seq := binary.BigEndian.Uint32(pkt[4:8])
	payload := pkt[8:]
	if n != len(payload) || n == 0 || n > 16 {
		return nil // a real camera drops a datagram it cannot frame
	}
	controlReply := func(p ...byte) []outgoing {
		return []outgoing{{data: Frame(TypeControlReply, seq, p)}}
	}
	switch typ {
	case TypeControl:
		if len(payload) == 1 && payload[0] == 0x01 {
			e.resets++
			if e.ignoreReset {
				return nil
			}
			e.expected, e.haveLast = 0, false
			return controlReply(0x01)
		}
		return controlReply(0x0F, 0x02)
	case TypeCommand, TypeInquiry:
	default:
		return controlReply(0x0F, 0x02)
	}
	if e.dupDetect && e.haveLast && seq == e.lastSeq {
		return controlReply(0x0F, 0x01)
	}
	if e.strictSeq && seq != e.expected {
		return controlReply(0x0F, 0x01)
	}
	e.lastSeq, e.haveLast, e.expected = seq, true, seq+1

	reply := func(after time.Duration, p ...byte) outgoing {
		p = append([]byte{e.replyAddr}, p...)
		return outgoing{after: after, data: Frame(TypeReply, seq, p)}
	}
	var out []outgoing
	for _, d := range e.inject {
		out = append(out, outgoing{data: d})
	}
	e.inject = nil
	if len(e.failNext) > 0 {
		f := e.failNext[0]
		e.failNext = e.failNext[1:]
		if len(f) > 0 && (f[0] == 0x90 || f[0] == 0xA0) {
			f = f[1:] // reply() adds the address byte
		}
		return append(out, reply(0, f...))
	}
	var data []byte
	var ok bool
	if typ == TypeInquiry {
		data, ok = e.inquire(payload)
	} else {
		ok = e.execute(payload)
	}
	if !ok {
		return append(out, reply(0, 0x60, 0x02, 0xFF)) // syntax error
	}
	if e.loseReplies > 0 {
		e.loseReplies--
		return nil
	}
	if typ == TypeInquiry {
		return append(out, reply(0, append(append([]byte{0x50}, data...), 0xFF)...))
	}
	return append(out, reply(0, 0x41, 0xFF), reply(e.delay, 0x51, 0xFF))
}

// execute runs a command payload; false means it is not understood.
func (e *Emulator) execute(p []byte) bool {
	switch {
	case match(p, 0x81, 0x01, 0x04, 0x3F) && len(p) == 7 && p[6] == 0xFF:
		switch p[4] {
		case 0x00:
			delete(e.presets, p[5])
		case 0x01:
			e.presets[p[5]] = e.pos
		case 0x02:
			if stored, ok := e.presets[p[5]]; ok {
				e.pos = stored
			}
		default:
			return false
		}
	case match(p, 0x81, 0x01, 0x06, 0x02) && len(p) == 15 && p[14] == 0xFF:
		if p[4] < 1 || p[4] > 0x18 || p[5] < 1 || p[5] > 0x17 {
			return false
		}
		pan, ok1 := nibbles(p[6:10])
		tilt, ok2 := nibbles(p[10:14])
		if !ok1 || !ok2 {
			return false
		}
		e.pos.pan, e.pos.tilt = int(int16(pan)), int(int16(tilt))
	case match(p, 0x81, 0x01, 0x06, 0x04, 0xFF) && len(p) == 5:
		e.pos.pan, e.pos.tilt = 0, 0
	case match(p, 0x81, 0x01, 0x04, 0x47) && len(p) == 9 && p[8] == 0xFF:
		z, ok := nibbles(p[4:8])
		if !ok {
			return false
		}
		e.pos.zoom = int(z)
	default:
		return false
	}
	e.executed++
	return true
}

// inquire answers an inquiry payload with the data bytes of its completion.
func (e *Emulator) inquire(p []byte) ([]byte, bool) {
	switch {
	case match(p, 0x81, 0x09, 0x06, 0x12, 0xFF) && len(p) == 5:
		return append(toNibbles(uint16(int16(e.pos.pan))), toNibbles(uint16(int16(e.pos.tilt)))...), true
	case match(p, 0x81, 0x09, 0x04, 0x47, 0xFF) && len(p) == 5:
		return toNibbles(uint16(e.pos.zoom)), true
	}
	return nil, false
}

func match(p []byte, prefix ...byte) bool {
	if len(p) < len(prefix) {
		return false
	}
	for i, b := range prefix {
		if p[i] != b {
			return false
		}
	}
	return true
}

func nibbles(b []byte) (uint16, bool) {
	var v uint16
	for _, x := range b {
		if x > 0x0F {
			return 0, false
		}
		v = v<<4 | uint16(x)
	}
	return v, true
}

func toNibbles(v uint16) []byte {
	return []byte{byte(v >> 12 & 0x0F), byte(v >> 8 & 0x0F), byte(v >> 4 & 0x0F), byte(v & 0x0F)}
}
