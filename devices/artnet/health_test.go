package artnet_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"studiodesk/devices"
	"studiodesk/devices/artnet"
	"studiodesk/devices/artnet/artnettest"
)

// Each health state of the one meaning (docs/devices.md, status lights).
// Art-Net has no acknowledgement, so the states are about frames leaving.
func TestHealthStates(t *testing.T) {
	clock := artnettest.NewClock(t0)
	rx, err := artnettest.NewReceiver()
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	node, err := artnet.NewNode(artnet.NodeConfig{Name: "台口", Addr: rx.Addr(), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	if h := node.Status().Health; h != devices.Connecting {
		t.Fatalf("before the first frame: %v, want connecting", h)
	}
	tk, err := clock.WaitTicker(2 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := tk.Fire(); err != nil {
		t.Fatal(err)
	}
	if _, err := rx.Next(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	waitNodeHealth(t, node, devices.OK)

	// Port 0 cannot be sent to: every write fails on this host.
	bclock := artnettest.NewClock(t0)
	bad, err := artnet.NewNode(artnet.NodeConfig{Name: "坏节点", Addr: "127.0.0.1:0", Clock: bclock})
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	btk, err := bclock.WaitTicker(2 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := btk.Fire(); err != nil {
		t.Fatal(err)
	}
	waitNodeHealth(t, bad, devices.Degraded)
	if msg := bad.Status().LastError; !strings.Contains(msg, "send:") {
		t.Fatalf("degraded without the reason: %q", msg)
	}
	for i := 1; i < artnet.DefaultDownAfter; i++ {
		if err := btk.Fire(); err != nil {
			t.Fatal(err)
		}
	}
	waitNodeHealth(t, bad, devices.Down)
}

func waitNodeHealth(t *testing.T, n *artnet.Node, want devices.Health) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for n.Status().Health != want {
		if time.Now().After(deadline) {
			t.Fatalf("health %v, want %v", n.Status(), want)
		}
		time.Sleep(time.Millisecond)
	}
}

// Frames leave from the configured source port, for nodes that accept
// only 6454 (Art-Net 4: "all packets are sent from port 0x1936"), and
// nodes that use the same source port share one socket.
func TestSourcePortOption(t *testing.T) {
	rxA, err := artnettest.NewReceiver()
	if err != nil {
		t.Fatal(err)
	}
	defer rxA.Close()
	rxB, err := artnettest.NewReceiver()
	if err != nil {
		t.Fatal(err)
	}
	defer rxB.Close()

	// Default: an ephemeral port, not 6454.
	def, err := artnet.NewNode(artnet.NodeConfig{Name: "默认", Addr: rxA.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	f, err := rxA.Next(2 * time.Second)
	def.Close()
	if err != nil {
		t.Fatal(err)
	}
	if f.SourcePort == artnet.DefaultPort || f.SourcePort == 0 {
		t.Fatalf("default source port %d", f.SourcePort)
	}
	rxA.Drain()

	a, err := artnet.NewNode(artnet.NodeConfig{Name: "节点A", Addr: rxA.Addr(), SourcePort: artnet.DefaultPort})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := artnet.NewNode(artnet.NodeConfig{Name: "节点B", Addr: rxB.Addr(), Universe: 1, SourcePort: artnet.DefaultPort})
	if err != nil {
		t.Fatalf("second node on source port 6454: %v", err)
	}
	for _, rx := range []*artnettest.Receiver{rxA, rxB} {
		f, err := rx.Next(2 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if f.SourcePort != artnet.DefaultPort {
			t.Fatalf("frame from port %d, want 6454", f.SourcePort)
		}
	}
	b.Close()
	// The shared socket lives on with the first node.
	rxA.Drain()
	if _, err := rxA.Next(3 * time.Second); err != nil {
		t.Fatalf("node A after node B closed: %v", err)
	}
	a.Close()
	// Closed by the last user: the port is free again.
	c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: artnet.DefaultPort})
	if err != nil {
		t.Fatalf("port 6454 still held after both nodes closed: %v", err)
	}
	c.Close()

	if _, err := artnet.NewNode(artnet.NodeConfig{Name: "n", Addr: rxA.Addr(), SourcePort: 70000}); err == nil || !strings.Contains(err.Error(), "source port: value 70000 out of range 0-65535") {
		t.Fatalf("source port 70000: %v", err)
	}
}

// The source port is the node's: a node on an ephemeral port moves to the
// port a later light asks for; one already on a chosen port refuses another.
func TestUseSourcePortMovesAnEphemeralNode(t *testing.T) {
	rx, err := artnettest.NewReceiver()
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	n, err := artnet.NewNode(artnet.NodeConfig{Name: "台口", Addr: rx.Addr()})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if err := n.UseSourcePort(artnet.DefaultPort); err != nil {
		t.Fatal(err)
	}
	if p := n.SourcePort(); p != artnet.DefaultPort {
		t.Fatalf("source port %d", p)
	}
	// Frames already on their way may come from the old socket; from the
	// first one from 6454 on, all do.
	deadline := time.Now().Add(5 * time.Second)
	seen := 0
	for seen < 2 {
		f, err := rx.Next(time.Until(deadline))
		if err != nil {
			t.Fatalf("frames from 6454: %d: %v", seen, err)
		}
		switch {
		case f.SourcePort == artnet.DefaultPort:
			seen++
		case seen > 0:
			t.Fatalf("a frame from %d after one from 6454", f.SourcePort)
		}
	}
	if err := n.UseSourcePort(artnet.DefaultPort); err != nil {
		t.Fatalf("same port again: %v", err)
	}
	if err := n.UseSourcePort(artnet.DefaultPort + 1); err == nil || !strings.Contains(err.Error(), "already sends from port 6454") {
		t.Fatalf("another port: %v", err)
	}
}
