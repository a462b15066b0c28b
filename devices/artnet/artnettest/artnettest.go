// Package artnettest fakes the far side of Art-Net for tests: a loopback
// receiver that decodes ArtDmx on its own (it does not use package artnet's
// parser), a node that answers ArtPoll, and a hand-driven clock.
package artnettest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"studiodesk/devices/artnet"
)

var header = []byte("Art-Net\x00")

// Frame is one ArtDmx packet as the receiver saw it.
type Frame struct {
	Sequence    uint8
	Physical    uint8
	PortAddress uint16
	Data        []byte // Length slots
	Raw         []byte
	At          time.Time // arrival, wall clock
	SourcePort  int       // the UDP port the packet came from
}

// Slot returns DMX address addr (1-based), or -1 past the frame's length.
func (f Frame) Slot(addr int) int {
	if addr < 1 || addr > len(f.Data) {
		return -1
	}
	return int(f.Data[addr-1])
}

// Receiver listens on 127.0.0.1 and queues every valid ArtDmx packet.
type Receiver struct {
	conn      *net.UDPConn
	frames    chan Frame
	malformed atomic.Int64
	done      chan struct{}
}

// NewReceiver starts a receiver on an ephemeral loopback port.
func NewReceiver() (*Receiver, error) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	// A fade benchmark produces a few hundred frames; the buffer keeps
	// the reader from ever blocking the socket.
	_ = conn.SetReadBuffer(1 << 20)
	r := &Receiver{conn: conn, frames: make(chan Frame, 8192), done: make(chan struct{})}
	go r.read()
	return r, nil
}

// Addr is the host:port to send to.
func (r *Receiver) Addr() string { return r.conn.LocalAddr().String() }

// Malformed counts packets that were not valid ArtDmx.
func (r *Receiver) Malformed() int { return int(r.malformed.Load()) }

// Next waits up to timeout for the next frame.
func (r *Receiver) Next(timeout time.Duration) (Frame, error) {
	select {
	case f := <-r.frames:
		return f, nil
	case <-time.After(timeout):
		return Frame{}, fmt.Errorf("no ArtDmx frame within %v", timeout)
	}
}

// Drain discards queued frames and returns how many there were.
func (r *Receiver) Drain() int {
	n := 0
	for {
		select {
		case <-r.frames:
			n++
		default:
			return n
		}
	}
}

// Close stops the receiver.
func (r *Receiver) Close() error {
	err := r.conn.Close()
	<-r.done
	return err
}

func (r *Receiver) read() {
	defer close(r.done)
	buf := make([]byte, 2048)
	for {
		n, from, err := r.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		at := time.Now()
		f, err := decode(buf[:n])
		if err != nil {
			r.malformed.Add(1)
			continue
		}
		f.At, f.SourcePort = at, from.Port
		select {
		case r.frames <- f:
		default:
			r.malformed.Add(1) // overflow: counted so a test notices
		}
	}
}

// decode reads ArtDmx by the spec's offsets.
func decode(p []byte) (Frame, error) {
	if len(p) < 18 || !bytes.Equal(p[:8], header) {
		return Frame{}, errors.New("not Art-Net")
	}
	if p[8] != 0x00 || p[9] != 0x50 {
		return Frame{}, errors.New("not ArtDmx")
	}
	if p[10] != 0 || p[11] < 14 {
		return Frame{}, errors.New("protocol version below 14")
	}
	n := int(p[16])<<8 | int(p[17])
	if n < 2 || n > 512 || n%2 != 0 || len(p) != 18+n {
		return Frame{}, fmt.Errorf("bad length %d for %d-byte packet", n, len(p))
	}
	raw := bytes.Clone(p)
	return Frame{
		Sequence:    p[12],
		Physical:    p[13],
		PortAddress: uint16(p[15])<<8 | uint16(p[14]),
		Data:        raw[18:],
		Raw:         raw,
	}, nil
}

// NodeDesc is what a FakeNode announces in its ArtPollReply.
type NodeDesc struct {
	IP        [4]byte
	ShortName string
	LongName  string
	Net       uint8
	SubNet    uint8
	// Outputs holds the low universe nibble (SwOut) of each output port,
	// up to four.
	Outputs []uint8
	// Inputs adds input-only ports after the outputs, to check they are
	// not reported as outputs.
	Inputs int
}

// FakeNode answers every ArtPoll on 127.0.0.1 with one ArtPollReply sent to
// the poller's address.
type FakeNode struct {
	conn  *net.UDPConn
	desc  NodeDesc
	polls atomic.Int64
	done  chan struct{}
}

// NewFakeNode starts a node on an ephemeral loopback port.
func NewFakeNode(desc NodeDesc) (*FakeNode, error) {
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	n := &FakeNode{conn: conn, desc: desc, done: make(chan struct{})}
	go n.serve()
	return n, nil
}

// Addr is where to send ArtPoll.
func (n *FakeNode) Addr() string { return n.conn.LocalAddr().String() }

// Polls counts valid ArtPoll packets received.
func (n *FakeNode) Polls() int { return int(n.polls.Load()) }

// Close stops the node.
func (n *FakeNode) Close() error {
	err := n.conn.Close()
	<-n.done
	return err
}

func (n *FakeNode) serve() {
	defer close(n.done)
	buf := make([]byte, 1500)
	for {
		k, from, err := n.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		p := buf[:k]
		if k < 12 || !bytes.Equal(p[:8], header) || p[8] != 0x00 || p[9] != 0x20 || p[11] < 14 {
			continue
		}
		n.polls.Add(1)
		_, _ = n.conn.WriteToUDP(PollReplyBytes(n.desc), from)
	}
}

// PollReplyBytes lays out a 239-byte Art-Net 4 ArtPollReply.
func PollReplyBytes(d NodeDesc) []byte {
	p := make([]byte, 239)
	copy(p, header)
	p[8], p[9] = 0x00, 0x21
	copy(p[10:14], d.IP[:])
	p[14], p[15] = 0x36, 0x19 // port 6454, low byte first
	p[18], p[19] = d.Net, d.SubNet
	copy(p[26:43], d.ShortName) // 18 bytes incl. the terminating NUL
	copy(p[44:107], d.LongName)
	ports := min(len(d.Outputs)+d.Inputs, 4)
	p[172], p[173] = 0, byte(ports)
	for i := range ports {
		if i < len(d.Outputs) {
			p[174+i] = 0x80 // DMX512, can output
			p[182+i] = 0x80 // data is being transmitted
			p[190+i] = d.Outputs[i] & 0x0F
		} else {
			p[174+i] = 0x40 // DMX512, can input
		}
	}
	return p
}

// Clock is a hand-driven artnet.Clock: time moves only by Advance/Set and
// tickers fire only by Fire.
type Clock struct {
	mu      sync.Mutex
	now     time.Time
	tickers []*Ticker
	created chan struct{}
}

// NewClock starts at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t, created: make(chan struct{}, 16)} }

// Now implements artnet.Clock.
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

// NewTicker implements artnet.Clock.
func (c *Clock) NewTicker(d time.Duration) artnet.Ticker {
	t := &Ticker{clock: c, ch: make(chan time.Time), period: d}
	c.mu.Lock()
	c.tickers = append(c.tickers, t)
	c.mu.Unlock()
	select {
	case c.created <- struct{}{}:
	default:
	}
	return t
}

// WaitTicker returns the first ticker created, waiting up to timeout for
// the output loop to create it.
func (c *Clock) WaitTicker(timeout time.Duration) (*Ticker, error) {
	deadline := time.After(timeout)
	for {
		c.mu.Lock()
		if len(c.tickers) > 0 {
			t := c.tickers[0]
			c.mu.Unlock()
			return t, nil
		}
		c.mu.Unlock()
		select {
		case <-c.created:
		case <-deadline:
			return nil, fmt.Errorf("no ticker created within %v", timeout)
		}
	}
}

// Ticker is a Clock's ticker.
type Ticker struct {
	clock   *Clock
	ch      chan time.Time
	mu      sync.Mutex
	period  time.Duration
	stopped bool
}

// C implements artnet.Ticker.
func (t *Ticker) C() <-chan time.Time { return t.ch }

// Reset implements artnet.Ticker; the period is recorded for assertions.
func (t *Ticker) Reset(d time.Duration) {
	t.mu.Lock()
	t.period, t.stopped = d, false
	t.mu.Unlock()
}

// Stop implements artnet.Ticker.
func (t *Ticker) Stop() {
	t.mu.Lock()
	t.stopped = true
	t.mu.Unlock()
}

// Period is the interval last set.
func (t *Ticker) Period() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.period
}

// Fire delivers one tick at the clock's current time, waiting up to a
// second for the loop to take it.
func (t *Ticker) Fire() error {
	select {
	case t.ch <- t.clock.Now():
		return nil
	case <-time.After(time.Second):
		return errors.New("ticker not read within 1s")
	}
}
