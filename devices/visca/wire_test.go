package visca

import (
	"bytes"
	"errors"
	"testing"
)

func TestEncodePacket(t *testing.T) {
	got, err := EncodePacket(TypeCommand, 0x01020304, []byte{0x81, 0x01, 0x04, 0x3F, 0x02, 0x04, 0xFF})
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0x01, 0x00, 0x00, 0x07, 0x01, 0x02, 0x03, 0x04, 0x81, 0x01, 0x04, 0x3F, 0x02, 0x04, 0xFF}
	if !bytes.Equal(got, want) {
		t.Fatalf("got % X\nwant % X", got, want)
	}
	for _, n := range []int{0, 17} {
		if _, err := EncodePacket(TypeCommand, 0, make([]byte, n)); err == nil {
			t.Errorf("payload of %d bytes: want an error", n)
		}
	}
}

func TestResetPacket(t *testing.T) {
	want := []byte{0x02, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01}
	if got := ResetPacket(); !bytes.Equal(got, want) {
		t.Fatalf("got % X, want % X", got, want)
	}
}

// reply frames a reply payload with a header carrying seq 0x0A0B0C0D.
func reply(typ uint16, payload ...byte) []byte {
	b, err := EncodePacket(typ, 0x0A0B0C0D, payload)
	if err != nil {
		panic(err)
	}
	return b
}

func TestParseReply(t *testing.T) {
	tests := []struct {
		name   string
		in     []byte
		kind   ReplyKind
		socket byte
		data   []byte
		err    error
	}{
		{"ack", reply(TypeReply, 0x90, 0x41, 0xFF), ReplyAck, 1, nil, nil},
		{"ack socket 2", reply(TypeReply, 0x90, 0x42, 0xFF), ReplyAck, 2, nil, nil},
		{"completion", reply(TypeReply, 0x90, 0x51, 0xFF), ReplyCompletion, 1, nil, nil},
		{"zoom inquiry result", reply(TypeReply, 0x90, 0x50, 0x04, 0x00, 0x00, 0x00, 0xFF), ReplyCompletion, 0, []byte{4, 0, 0, 0}, nil},
		{"A0 firmware", reply(TypeReply, 0xA0, 0x41, 0xFF), ReplyAck, 1, nil, nil},
		{"length error", reply(TypeReply, 0x90, 0x60, 0x01, 0xFF), ReplyError, 0, nil, ErrLength},
		{"syntax error", reply(TypeReply, 0x90, 0x60, 0x02, 0xFF), ReplyError, 0, nil, ErrSyntax},
		{"buffer full", reply(TypeReply, 0x90, 0x60, 0x03, 0xFF), ReplyError, 0, nil, ErrBufferFull},
		{"cancelled", reply(TypeReply, 0x90, 0x61, 0x04, 0xFF), ReplyError, 1, nil, ErrCancelled},
		{"no socket", reply(TypeReply, 0x90, 0x62, 0x05, 0xFF), ReplyError, 2, nil, ErrNoSocket},
		{"not executable", reply(TypeReply, 0x90, 0x61, 0x41, 0xFF), ReplyError, 1, nil, ErrNotExecutable},
		{"unknown error code", reply(TypeReply, 0x90, 0x61, 0x77, 0xFF), ReplyError, 1, nil, ErrCameraError},
		{"reset ack", reply(TypeControlReply, 0x01), ReplyResetAck, 0, nil, nil},
		{"sequence error", reply(TypeControlReply, 0x0F, 0x01), ReplyControlError, 0, nil, ErrSequence},
		{"message type error", reply(TypeControlReply, 0x0F, 0x02), ReplyControlError, 0, nil, ErrMessageType},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseReply(tc.in)
			if err != nil {
				t.Fatalf("ParseReply(% X): %v", tc.in, err)
			}
			if r.Seq != 0x0A0B0C0D {
				t.Errorf("seq = %08X", r.Seq)
			}
			if r.Kind != tc.kind || r.Socket != tc.socket || !bytes.Equal(r.Data, tc.data) {
				t.Errorf("got kind %v socket %d data % X; want %v %d % X", r.Kind, r.Socket, r.Data, tc.kind, tc.socket, tc.data)
			}
			if tc.err == nil && r.Err != nil || tc.err != nil && !errors.Is(r.Err, tc.err) {
				t.Errorf("Err = %v, want %v", r.Err, tc.err)
			}
		})
	}
}

func TestParseReplyRejects(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"short header", []byte{0x01, 0x11, 0x00, 0x03, 0x00, 0x00, 0x00}},
		{"header only", []byte{0x01, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}},
		{"length field too big", []byte{0x01, 0x11, 0x00, 0x04, 0, 0, 0, 1, 0x90, 0x41, 0xFF}},
		{"length field too small", []byte{0x01, 0x11, 0x00, 0x02, 0, 0, 0, 1, 0x90, 0x41, 0xFF}},
		{"payload over 16", append([]byte{0x01, 0x11, 0x00, 0x11, 0, 0, 0, 1, 0x90, 0x50}, append(make([]byte, 14), 0xFF)...)},
		{"no terminator", []byte{0x01, 0x11, 0x00, 0x03, 0, 0, 0, 1, 0x90, 0x41, 0xFE}},
		{"bad address", reply(TypeReply, 0x81, 0x41, 0xFF)},
		{"ack with data", reply(TypeReply, 0x90, 0x41, 0x00, 0xFF)},
		{"error without code", reply(TypeReply, 0x90, 0x60, 0xFF)},
		{"two-byte reply", reply(TypeReply, 0x90, 0xFF)},
		{"unknown reply kind", reply(TypeReply, 0x90, 0x38, 0xFF)},
		{"command echoed", reply(TypeCommand, 0x81, 0x01, 0x06, 0x04, 0xFF)},
		{"unknown control reply", reply(TypeControlReply, 0x02)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseReply(tc.in)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("ParseReply(% X) = %+v, %v; want ErrMalformed", tc.in, r, err)
			}
		})
	}
}

func FuzzParseReply(f *testing.F) {
	seeds := [][]byte{
		reply(TypeReply, 0x90, 0x41, 0xFF),
		reply(TypeReply, 0x90, 0x51, 0xFF),
		reply(TypeReply, 0xA0, 0x50, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0xFF),
		reply(TypeReply, 0x90, 0x61, 0x41, 0xFF),
		reply(TypeControlReply, 0x01),
		reply(TypeControlReply, 0x0F, 0x01),
		{0x01, 0x11, 0x00, 0x01, 0, 0, 0, 0, 0xFF},
		{0x01, 0x11, 0xFF, 0xFF, 0, 0, 0, 0},
		{},
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseReply(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		// A parsed reply must be consistent with its input.
		if len(b) < 9 || len(b) > 24 {
			t.Fatalf("accepted a %d-byte datagram", len(b))
		}
		switch r.Kind {
		case ReplyAck, ReplyCompletion, ReplyError:
			if r.Type != TypeReply || b[len(b)-1] != 0xFF {
				t.Fatalf("VISCA reply %+v from % X", r, b)
			}
			if (r.Kind == ReplyError) != (r.Err != nil) {
				t.Fatalf("Err %v on kind %v", r.Err, r.Kind)
			}
			if r.Kind == ReplyCompletion {
				if len(r.Data) != len(b)-11 {
					t.Fatalf("data % X from % X", r.Data, b)
				}
				// The decoders must not panic on any data.
				_, _ = DecodeZoom(r.Data)
				_, _, _ = DecodePanTilt(r.Data)
			}
		case ReplyResetAck, ReplyControlError:
			if r.Type != TypeControlReply {
				t.Fatalf("control reply %+v from % X", r, b)
			}
		default:
			t.Fatalf("unknown kind %v from % X", r.Kind, b)
		}
	})
}
