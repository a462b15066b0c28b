package bilibili

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
)

// hx turns "00 00 00 1f ..." into bytes.
func hx(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// be32 is a 4-byte big-endian length, for headers around compressed
// bodies whose size is only known at run time.
func be32(n int) []byte { return binary.BigEndian.AppendUint32(nil, uint32(n)) }

func zlibBytes(t testing.TB, b []byte) []byte { return zlibLevel(t, b, zlib.DefaultCompression) }

func zlibLevel(t testing.TB, b []byte, level int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, _ := zlib.NewWriterLevel(&buf, level)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func brotliBytes(t testing.TB, b []byte) []byte { return brotliLevel(t, b, 5) }

func brotliLevel(t testing.TB, b []byte, level int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := brotli.NewWriterLevel(&buf, level)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// The web client's heartbeat, byte for byte.
var heartbeatHex = "00 00 00 1f 00 10 00 01 00 00 00 02 00 00 00 01" +
	" 5b 6f 62 6a 65 63 74 20 4f 62 6a 65 63 74 5d" // "[object Object]"

func TestEncodeHeartbeatBytes(t *testing.T) {
	got := Encode(OpHeartbeat, VerHeartbeat, 1, []byte("[object Object]"))
	if want := hx(t, heartbeatHex); !bytes.Equal(got, want) {
		t.Fatalf("Encode heartbeat:\n got % x\nwant % x", got, want)
	}
	// Auth: op 7, version 1, auth_body verbatim.
	body := `{"roomid":1,"key":"k"}` // 22 bytes → length 38 = 0x26
	got = Encode(OpAuth, VerHeartbeat, 1, []byte(body))
	want := cat(hx(t, "00 00 00 26 00 10 00 01 00 00 00 07 00 00 00 01"), []byte(body))
	if !bytes.Equal(got, want) {
		t.Fatalf("Encode auth:\n got % x\nwant % x", got, want)
	}
}

func TestDecodeSinglePackets(t *testing.T) {
	tests := []struct {
		name  string
		frame []byte
		want  Packet
	}{
		{"heartbeat v1 op2", hx(t, heartbeatHex),
			Packet{Ver: 1, Op: 2, Seq: 1, Body: []byte("[object Object]")}},
		{"heartbeat reply v1 op3 popularity 1234",
			hx(t, "00 00 00 14 00 10 00 01 00 00 00 03 00 00 00 00  00 00 04 d2"),
			Packet{Ver: 1, Op: 3, Seq: 0, Body: []byte{0, 0, 4, 0xd2}}},
		{"auth reply v1 op8", cat(hx(t, "00 00 00 1a 00 10 00 01 00 00 00 08 00 00 00 01"), []byte(`{"code":0}`)),
			Packet{Ver: 1, Op: 8, Seq: 1, Body: []byte(`{"code":0}`)}},
		{"message v0 op5", cat(hx(t, "00 00 00 1d 00 10 00 00 00 00 00 05 00 00 00 07"), []byte(`{"cmd":"X"}`), []byte("  ")),
			Packet{Ver: 0, Op: 5, Seq: 7, Body: []byte(`{"cmd":"X"}  `)}},
		{"empty body", hx(t, "00 00 00 10 00 10 00 01 00 00 00 02 ff ff ff ff"),
			Packet{Ver: 1, Op: 2, Seq: 0xffffffff, Body: []byte{}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(tc.frame)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("got %d packets, want 1", len(got))
			}
			p := got[0]
			if p.Ver != tc.want.Ver || p.Op != tc.want.Op || p.Seq != tc.want.Seq || !bytes.Equal(p.Body, tc.want.Body) {
				t.Fatalf("got %+v, want %+v", p, tc.want)
			}
		})
	}
	pkts, _ := Decode(hx(t, "00 00 00 14 00 10 00 01 00 00 00 03 00 00 00 00  00 00 04 d2"))
	if n, ok := pkts[0].Popularity(); !ok || n != 1234 {
		t.Fatalf("Popularity = %d, %v; want 1234, true", n, ok)
	}
}

// dmPacket is a version-0 op-5 packet carrying a short message; its header
// is written out byte for byte.
func dmPacket(t testing.TB, n byte) []byte {
	body := []byte(`{"cmd":"LIVE_OPEN_PLATFORM_DM","data":{"msg":"` + string('0'+n) + `"}}`) // 50 bytes
	if len(body) != 50 {
		t.Fatalf("body is %d bytes", len(body))
	}
	return cat(hx(t, "00 00 00 42 00 10 00 00 00 00 00 05 00 00 00 00"), body)
}

func bodies(ps []Packet) []string {
	var out []string
	for _, p := range ps {
		out = append(out, string(p.Body))
	}
	return out
}

func TestDecodeSeveralPacketsInOneFrame(t *testing.T) {
	frame := cat(dmPacket(t, 1), hx(t, "00 00 00 14 00 10 00 01 00 00 00 03 00 00 00 00 00 00 00 09"), dmPacket(t, 2))
	got, err := Decode(frame)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Op != 5 || got[1].Op != 3 || got[2].Op != 5 ||
		!strings.Contains(string(got[0].Body), `"msg":"1"`) || !strings.Contains(string(got[2].Body), `"msg":"2"`) {
		t.Fatalf("got %q", bodies(got))
	}
}

func TestDecodeCompressed(t *testing.T) {
	inner := cat(dmPacket(t, 1), dmPacket(t, 2), dmPacket(t, 3))
	z := zlibBytes(t, inner)
	br := brotliBytes(t, inner)
	zlibPkt := cat(be32(16+len(z)), hx(t, "00 10 00 02 00 00 00 05 00 00 00 00"), z)
	brPkt := cat(be32(16+len(br)), hx(t, "00 10 00 03 00 00 00 05 00 00 00 00"), br)

	// brotli wrapping [zlib wrapping 3 DMs, DM 4]
	nestedInner := cat(zlibPkt, dmPacket(t, 4))
	nb := brotliBytes(t, nestedInner)
	nested := cat(be32(16+len(nb)), hx(t, "00 10 00 03 00 00 00 05 00 00 00 00"), nb)

	tests := []struct {
		name  string
		frame []byte
		want  string
	}{
		{"zlib v2", zlibPkt, "123"},
		{"brotli v3", brPkt, "123"},
		{"plain then brotli then zlib in one frame", cat(dmPacket(t, 0), brPkt, zlibPkt), "0123123"},
		{"brotli holding zlib", nested, "1234"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(tc.frame)
			if err != nil {
				t.Fatal(err)
			}
			var seq strings.Builder
			for _, p := range got {
				if p.Ver != 0 || p.Op != 5 {
					t.Fatalf("leaf packet ver %d op %d", p.Ver, p.Op)
				}
				seq.WriteByte(p.Body[len(p.Body)-4])
			}
			if seq.String() != tc.want {
				t.Fatalf("message order %q, want %q", seq.String(), tc.want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	ok := dmPacket(t, 1) // 66 bytes
	hb := hx(t, "00 00 00 14 00 10 00 01 00 00 00 03 00 00 00 00 00 00 00 09")
	bomb := zlibLevel(t, make([]byte, DefaultMaxInflated+1), zlib.BestSpeed)
	brBomb := brotliLevel(t, make([]byte, DefaultMaxInflated+1), 0)
	nest := cat(dmPacket(t, 1))
	for range DefaultMaxDepth + 1 {
		z := zlibBytes(t, nest)
		nest = cat(be32(16+len(z)), hx(t, "00 10 00 02 00 00 00 05 00 00 00 00"), z)
	}
	tests := []struct {
		name  string
		dec   Decoder
		frame []byte
		kind  error
		msg   string
	}{
		{"empty", Decoder{}, nil, ErrMalformed, "bilibili: empty frame"},
		{"truncated header", Decoder{}, ok[:10], ErrMalformed,
			"bilibili: packet at offset 0: truncated header: 10 bytes, want 16"},
		{"truncated body", Decoder{}, ok[:65], ErrMalformed,
			"bilibili: packet at offset 0: packet length 66, only 65 bytes left"},
		{"second packet truncated", Decoder{}, cat(ok, ok[:40]), ErrMalformed,
			"bilibili: packet at offset 66: packet length 66, only 40 bytes left"},
		{"header length 12 at offset 48", Decoder{},
			cat(hb, hx(t, "00 00 00 1c 00 10 00 01 00 00 00 02 00 00 00 00 61 62 63 64 65 66 67 68 69 6a 6b 6c"),
				hx(t, "00 00 00 10 00 0c 00 01 00 00 00 02 00 00 00 00")), ErrMalformed,
			"bilibili: packet at offset 48: header length 12, want 16"},
		{"header length 20", Decoder{}, hx(t, "00 00 00 14 00 14 00 01 00 00 00 02 00 00 00 00 00 00 00 00"), ErrMalformed,
			"bilibili: packet at offset 0: header length 20, want 16"},
		{"packet length below header", Decoder{}, hx(t, "00 00 00 0f 00 10 00 01 00 00 00 02 00 00 00 00"), ErrMalformed,
			"bilibili: packet at offset 0: packet length 15, shorter than the header"},
		{"packet length zero", Decoder{}, hx(t, "00 00 00 00 00 10 00 01 00 00 00 02 00 00 00 00"), ErrMalformed,
			"bilibili: packet at offset 0: packet length 0, shorter than the header"},
		{"oversized packet", Decoder{MaxPacket: 64}, ok, ErrTooLarge,
			"bilibili: packet at offset 0: packet length 66, limit 64"},
		{"length beyond 4 GiB claims", Decoder{}, hx(t, "ff ff ff ff 00 10 00 01 00 00 00 02 00 00 00 00"), ErrTooLarge,
			"bilibili: packet at offset 0: packet length 4294967295, limit 4194304"},
		{"zlib bomb", Decoder{}, cat(be32(16+len(bomb)), hx(t, "00 10 00 02 00 00 00 05 00 00 00 00"), bomb), ErrTooLarge,
			"bilibili: packet at offset 0: zlib body inflates past the 16777216-byte limit"},
		{"brotli bomb", Decoder{}, cat(be32(16+len(brBomb)), hx(t, "00 10 00 03 00 00 00 05 00 00 00 00"), brBomb), ErrTooLarge,
			"bilibili: packet at offset 0: brotli body inflates past the 16777216-byte limit"},
		{"nested too deep", Decoder{}, nest, ErrTooLarge,
			"bilibili: packet at offset 0: zlib body: packet at offset 0: zlib body: packet at offset 0: zlib body: packet at offset 0: compression nested deeper than 3"},
		{"corrupt zlib", Decoder{}, cat(hx(t, "00 00 00 14 00 10 00 02 00 00 00 05 00 00 00 00"), []byte{1, 2, 3, 4}), ErrMalformed, ""},
		{"corrupt brotli", Decoder{}, cat(hx(t, "00 00 00 14 00 10 00 03 00 00 00 05 00 00 00 00"), []byte{0xff, 0xff, 0xff, 0xff}), ErrMalformed, ""},
		{"bad packet inside brotli", Decoder{}, func() []byte {
			b := brotliBytes(t, cat(ok, ok[:20]))
			return cat(hb, be32(16+len(b)), hx(t, "00 10 00 03 00 00 00 05 00 00 00 00"), b)
		}(), ErrMalformed, "bilibili: packet at offset 20: brotli body: packet at offset 66: packet length 66, only 20 bytes left"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.dec.Decode(tc.frame)
			if err == nil {
				t.Fatalf("no error; %d packets", len(got))
			}
			if !errors.Is(err, tc.kind) {
				t.Fatalf("error %q is not %v", err, tc.kind)
			}
			if tc.msg != "" && err.Error() != tc.msg {
				t.Fatalf("error\n got %q\nwant %q", err, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), "bilibili: ") {
				t.Fatalf("error %q does not name the place", err)
			}
		})
	}
}

// The inflate budget is per frame, shared by all compressed packets in it.
func TestDecodeInflateBudgetIsPerFrame(t *testing.T) {
	inner := cat(dmPacket(t, 1), dmPacket(t, 2), dmPacket(t, 3), dmPacket(t, 4), dmPacket(t, 5), dmPacket(t, 6), dmPacket(t, 7), dmPacket(t, 8)) // 528 bytes
	z := zlibBytes(t, inner)
	pkt := cat(be32(16+len(z)), hx(t, "00 10 00 02 00 00 00 05 00 00 00 00"), z)
	d := Decoder{MaxInflated: 1000}
	if got, err := d.Decode(pkt); err != nil || len(got) != 8 {
		t.Fatalf("one packet: %d packets, %v", len(got), err)
	}
	_, err := d.Decode(cat(pkt, pkt))
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "packet at offset "+strconv.Itoa(len(pkt))) {
		t.Fatalf("two packets past the budget: %v", err)
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	frame := cat(
		Encode(OpMessage, VerJSON, 3, []byte(`{"cmd":"A"}`)),
		Encode(OpHeartbeatReply, VerHeartbeat, 4, []byte{0, 0, 0, 5}),
		AppendPacket(nil, OpAuthReply, VerHeartbeat, 5, nil),
	)
	got, err := Decode(frame)
	if err != nil || len(got) != 3 {
		t.Fatalf("%d packets, %v", len(got), err)
	}
	if got[0].Seq != 3 || string(got[0].Body) != `{"cmd":"A"}` || got[1].Op != OpHeartbeatReply || got[2].Op != OpAuthReply || len(got[2].Body) != 0 {
		t.Fatalf("got %+v", got)
	}
}
