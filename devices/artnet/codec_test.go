package artnet_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"slices"
	"testing"
	"time"

	"studiodesk/devices"
	"studiodesk/devices/artnet"
	"studiodesk/devices/artnet/artnettest"
)

func TestEncodeArtDmxExactBytes(t *testing.T) {
	got, err := artnet.EncodeArtDmx(nil, 7, 1, 0x1234, []byte{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{
		'A', 'r', 't', '-', 'N', 'e', 't', 0x00,
		0x00, 0x50, // OpDmx, low byte first
		0x00, 0x0E, // protocol 14, high byte first
		0x07,       // sequence
		0x01,       // physical
		0x34, 0x12, // SubUni, Net
		0x00, 0x04, // length 3 padded to 4, high byte first
		0x01, 0x02, 0x03, 0x00,
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("got  % x\nwant % x", got, want)
	}
}

func TestEncodeArtDmxFullUniverseAppends(t *testing.T) {
	data := make([]byte, 512)
	data[511] = 0xAB
	prefix := []byte{0xEE}
	got, err := artnet.EncodeArtDmx(prefix, 255, 0, 0x7FFF, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1+18+512 || got[0] != 0xEE {
		t.Fatalf("len %d, first byte %#x", len(got), got[0])
	}
	if h := got[1+12 : 1+18]; !bytes.Equal(h, []byte{0xFF, 0x00, 0xFF, 0x7F, 0x02, 0x00}) {
		t.Fatalf("seq..length bytes % x", h)
	}
	if got[len(got)-1] != 0xAB {
		t.Fatalf("last slot %#x", got[len(got)-1])
	}
}

func TestEncodeArtDmxRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		port uint16
		data []byte
		want string
	}{
		{"port-address over 15 bits", 0x8000, []byte{1, 2}, "port-address: value 32768 out of range 0-32767"},
		{"empty", 0, nil, "length: value 0 out of range 1-512"},
		{"too long", 0, make([]byte, 513), "length: value 513 out of range 1-512"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := artnet.EncodeArtDmx(nil, 1, 0, tc.port, tc.data)
			if !errors.Is(err, devices.ErrOutOfRange) || err == nil || !contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q wrapping ErrOutOfRange", err, tc.want)
			}
		})
	}
}

func TestEncodeArtDmxDoesNotAllocateWithReusedBuffer(t *testing.T) {
	buf := make([]byte, 0, 530)
	data := make([]byte, 512)
	allocs := testing.AllocsPerRun(100, func() {
		buf, _ = artnet.EncodeArtDmx(buf[:0], 1, 0, 3, data)
	})
	if allocs != 0 {
		t.Fatalf("%v allocs per encode", allocs)
	}
}

func TestParseArtDmx(t *testing.T) {
	pkt := []byte{'A', 'r', 't', '-', 'N', 'e', 't', 0, 0x00, 0x50, 0x00, 0x0E, 9, 2, 0x34, 0x12, 0x00, 0x02, 0xAA, 0xBB}
	got, err := artnet.ParseArtDmx(pkt)
	if err != nil {
		t.Fatal(err)
	}
	if got.Sequence != 9 || got.Physical != 2 || got.PortAddress != 0x1234 || !bytes.Equal(got.Data, []byte{0xAA, 0xBB}) {
		t.Fatalf("got %+v", got)
	}
	mutate := func(f func(p []byte) []byte) []byte { return f(slices.Clone(pkt)) }
	for name, bad := range map[string][]byte{
		"short":          pkt[:17],
		"id":             mutate(func(p []byte) []byte { p[0] = 'a'; return p }),
		"opcode":         mutate(func(p []byte) []byte { p[9] = 0x20; return p }),
		"version 13":     mutate(func(p []byte) []byte { p[11] = 13; return p }),
		"odd length":     mutate(func(p []byte) []byte { p[17] = 1; return p }),
		"length 0":       mutate(func(p []byte) []byte { p[17] = 0; return p }),
		"length 514":     mutate(func(p []byte) []byte { p[16], p[17] = 0x02, 0x02; return p }),
		"truncated data": mutate(func(p []byte) []byte { p[17] = 4; return p }),
	} {
		if _, err := artnet.ParseArtDmx(bad); !errors.Is(err, artnet.ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
}

func TestEncodeArtPollExactBytes(t *testing.T) {
	want := []byte{'A', 'r', 't', '-', 'N', 'e', 't', 0, 0x00, 0x20, 0x00, 0x0E, 0x00, 0x00}
	if got := artnet.EncodeArtPoll(nil); !bytes.Equal(got, want) {
		t.Fatalf("got % x", got)
	}
}

func TestParsePollReply(t *testing.T) {
	pkt := artnettest.PollReplyBytes(artnettest.NodeDesc{
		IP: [4]byte{2, 0, 0, 7}, ShortName: "Stage L", LongName: "Stage left 4-port",
		Net: 0x12, SubNet: 3, Outputs: []uint8{0, 1}, Inputs: 1,
	})
	r, err := artnet.ParsePollReply(pkt)
	if err != nil {
		t.Fatal(err)
	}
	if !r.IP.Equal(net.IPv4(2, 0, 0, 7)) || r.Port != 6454 || r.ShortName != "Stage L" ||
		r.LongName != "Stage left 4-port" || r.Net != 0x12 || r.SubNet != 3 ||
		!slices.Equal(r.Outputs, []uint16{0x1230, 0x1231}) {
		t.Fatalf("got %+v", r)
	}
	if _, err := artnet.ParsePollReply(pkt[:150]); !errors.Is(err, artnet.ErrMalformed) {
		t.Fatalf("short reply: err = %v", err)
	}
}

func TestDiscoverFindsFakeNode(t *testing.T) {
	node, err := artnettest.NewFakeNode(artnettest.NodeDesc{
		IP: [4]byte{127, 0, 0, 1}, ShortName: "灯光节点", LongName: "Studio B dimmer rack",
		Net: 0, SubNet: 1, Outputs: []uint8{2},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	found, err := artnet.Discover(ctx, node.Addr(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 {
		t.Fatalf("found %d nodes: %+v", len(found), found)
	}
	n := found[0]
	if n.From != node.Addr() || n.ShortName != "灯光节点" || n.LongName != "Studio B dimmer rack" ||
		!slices.Equal(n.Outputs, []uint16{0x12}) || !n.IP.Equal(net.IPv4(127, 0, 0, 1)) {
		t.Fatalf("got %+v", n)
	}
	if node.Polls() != 1 {
		t.Fatalf("node saw %d polls", node.Polls())
	}
}

func TestDiscoverHonoursCancel(t *testing.T) {
	// A receiver that never answers polls.
	silent, err := artnettest.NewReceiver()
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	found, err := artnet.Discover(ctx, silent.Addr(), 10*time.Second)
	if !errors.Is(err, context.Canceled) || len(found) != 0 {
		t.Fatalf("found %v, err %v", found, err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("Discover ignored cancellation")
	}
}

func contains(s, sub string) bool { return bytes.Contains([]byte(s), []byte(sub)) }
