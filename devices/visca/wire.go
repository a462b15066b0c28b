// Package visca drives PTZ cameras over Sony's "VISCA over IP": VISCA
// messages wrapped in an 8-byte header and sent over UDP (port 52381).
//
// The wire codec (this file) is pure; commands.go builds the VISCA payloads;
// camera.go is the devices.Device driver that owns the socket, the sequence
// number and the retransmit rules.
package visca

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// DefaultPort is the camera's VISCA over IP UDP port.
const DefaultPort = 52381

// Payload types of the VISCA over IP header.
const (
	TypeCommand       uint16 = 0x0100
	TypeInquiry       uint16 = 0x0110
	TypeReply         uint16 = 0x0111
	TypeDeviceSetting uint16 = 0x0120
	TypeControl       uint16 = 0x0200
	TypeControlReply  uint16 = 0x0201
)

const (
	headerLen     = 8
	maxPayloadLen = 16
	terminator    = 0xFF
)

// Errors the camera reports, mapped from VISCA error replies (90 6y ee FF)
// and control replies (0F 01, 0F 02). Callers branch on them with errors.Is.
var (
	ErrLength        = errors.New("message length error")
	ErrSyntax        = errors.New("syntax error: the camera does not understand the command or a parameter")
	ErrBufferFull    = errors.New("command buffer full: the camera is busy with two commands")
	ErrCancelled     = errors.New("command cancelled")
	ErrNoSocket      = errors.New("no such command socket")
	ErrNotExecutable = errors.New("command not executable in the camera's current mode")
	ErrSequence      = errors.New("sequence number error")
	ErrMessageType   = errors.New("message type error: the camera does not accept this payload type")
	// ErrCameraError is an error reply with a code this package does not know.
	ErrCameraError = errors.New("camera error")
	// ErrMalformed is a datagram that is not a well-formed VISCA over IP reply.
	ErrMalformed = errors.New("malformed reply")
)

// EncodePacket frames a payload with the VISCA over IP header. The payload
// must be 1-16 bytes, as the header's length field allows.
func EncodePacket(payloadType uint16, seq uint32, payload []byte) ([]byte, error) {
	if len(payload) == 0 || len(payload) > maxPayloadLen {
		return nil, fmt.Errorf("payload length %d: must be 1-%d bytes", len(payload), maxPayloadLen)
	}
	b := make([]byte, headerLen+len(payload))
	binary.BigEndian.PutUint16(b[0:2], payloadType)
	binary.BigEndian.PutUint16(b[2:4], uint16(len(payload)))
	binary.BigEndian.PutUint32(b[4:8], seq)
	copy(b[headerLen:], payload)
	return b, nil
}

// ResetPacket is the control message that resets the camera's sequence
// counter; the header's sequence number is ignored by the camera.
func ResetPacket() []byte {
	return []byte{0x02, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01}
}

// ReplyKind classifies a reply.
type ReplyKind int

// Reply kinds.
const (
	// ReplyAck is "90 4y FF": the command is accepted into socket y.
	ReplyAck ReplyKind = iota + 1
	// ReplyCompletion is "90 5y [data] FF": done; inquiries carry data.
	ReplyCompletion
	// ReplyError is "90 6y ee FF"; Reply.Err says which.
	ReplyError
	// ReplyResetAck is the control reply "01" to a sequence reset.
	ReplyResetAck
	// ReplyControlError is the control reply "0F 01" or "0F 02".
	ReplyControlError
)

func (k ReplyKind) String() string {
	switch k {
	case ReplyAck:
		return "ack"
	case ReplyCompletion:
		return "completion"
	case ReplyError:
		return "error"
	case ReplyResetAck:
		return "reset ack"
	case ReplyControlError:
		return "control error"
	}
	return fmt.Sprintf("ReplyKind(%d)", int(k))
}

// Reply is one parsed datagram from a camera.
type Reply struct {
	Type   uint16 // payload type from the header
	Seq    uint32 // sequence number the camera echoed
	Kind   ReplyKind
	Socket byte   // y of 90 4y / 5y / 6y
	Data   []byte // completion data between "5y" and FF (inquiry results); nil otherwise
	Code   byte   // error code (ReplyError) or second byte of a control error
	Err    error  // set for ReplyError and ReplyControlError; wraps one of the Err* sentinels
}

// ParseReply parses a datagram received from a camera. A well-formed error
// reply is not a parse error: it returns a Reply of kind ReplyError with Err
// set. Malformed input returns an error wrapping ErrMalformed.
func ParseReply(b []byte) (Reply, error) {
	if len(b) < headerLen {
		return Reply{}, fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", ErrMalformed, len(b), headerLen)
	}
	r := Reply{
		Type: binary.BigEndian.Uint16(b[0:2]),
		Seq:  binary.BigEndian.Uint32(b[4:8]),
	}
	n := int(binary.BigEndian.Uint16(b[2:4]))
	payload := b[headerLen:]
	if n == 0 || n > maxPayloadLen {
		return Reply{}, fmt.Errorf("%w: payload length %d: must be 1-%d", ErrMalformed, n, maxPayloadLen)
	}
	if n != len(payload) {
		return Reply{}, fmt.Errorf("%w: length field says %d bytes, datagram carries %d", ErrMalformed, n, len(payload))
	}
	switch r.Type {
	case TypeControlReply:
		return parseControlReply(r, payload)
	case TypeReply:
		return parseViscaReply(r, payload)
	}
	return Reply{}, fmt.Errorf("%w: payload type %04X is not a reply", ErrMalformed, r.Type)
}

func parseControlReply(r Reply, p []byte) (Reply, error) {
	switch {
	case len(p) == 1 && p[0] == 0x01:
		r.Kind = ReplyResetAck
		return r, nil
	case len(p) == 2 && p[0] == 0x0F:
		r.Kind = ReplyControlError
		r.Code = p[1]
		switch p[1] {
		case 0x01:
			r.Err = ErrSequence
		case 0x02:
			r.Err = ErrMessageType
		default:
			r.Err = fmt.Errorf("%w: control error 0F %02X", ErrCameraError, p[1])
		}
		return r, nil
	}
	return Reply{}, fmt.Errorf("%w: unknown control reply % X", ErrMalformed, p)
}

func parseViscaReply(r Reply, p []byte) (Reply, error) {
	// 90 is the reply from camera address 1; some firmware sends A0.
	if p[0] != 0x90 && p[0] != 0xA0 {
		return Reply{}, fmt.Errorf("%w: reply starts with %02X, want 90 or A0", ErrMalformed, p[0])
	}
	if p[len(p)-1] != terminator {
		return Reply{}, fmt.Errorf("%w: reply % X has no FF terminator", ErrMalformed, p)
	}
	if len(p) < 3 {
		return Reply{}, fmt.Errorf("%w: reply % X too short", ErrMalformed, p)
	}
	kind, socket := p[1]>>4, p[1]&0x0F
	r.Socket = socket
	body := p[2 : len(p)-1]
	switch kind {
	case 0x4:
		if len(body) != 0 {
			return Reply{}, fmt.Errorf("%w: ack % X carries extra bytes", ErrMalformed, p)
		}
		r.Kind = ReplyAck
	case 0x5:
		r.Kind = ReplyCompletion
		if len(body) > 0 {
			r.Data = append([]byte(nil), body...)
		}
	case 0x6:
		if len(body) != 1 {
			return Reply{}, fmt.Errorf("%w: error reply % X must carry one code byte", ErrMalformed, p)
		}
		r.Kind = ReplyError
		r.Code = body[0]
		r.Err = errorForCode(body[0])
	default:
		return Reply{}, fmt.Errorf("%w: unknown reply % X", ErrMalformed, p)
	}
	return r, nil
}

func errorForCode(code byte) error {
	switch code {
	case 0x01:
		return ErrLength
	case 0x02:
		return ErrSyntax
	case 0x03:
		return ErrBufferFull
	case 0x04:
		return ErrCancelled
	case 0x05:
		return ErrNoSocket
	case 0x41:
		return ErrNotExecutable
	}
	return fmt.Errorf("%w: code %02X", ErrCameraError, code)
}
