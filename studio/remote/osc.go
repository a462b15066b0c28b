package remote

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net"
	"strings"
)

// OSC 1.0 (opensoundcontrol.org/spec-1_0): the small subset Companion and
// lighting desks send — messages and bundles with i f s b h d T F N I
// arguments. Hand-written: it is ~150 lines and every byte comes from the
// network, so it is fuzzed with the rest of the input parsers.

// OSCMessage is one OSC message. Args hold int32, float32, string, []byte,
// int64, float64, bool or nil.
type OSCMessage struct {
	Address string
	Args    []any
}

// ErrOSC marks a malformed OSC packet.
var ErrOSC = errors.New("malformed OSC packet")

const (
	oscAddressPrefix = "/studiodesk/"
	maxOSCDepth      = 4
	maxOSCArgs       = 32
)

// ParseOSC decodes a packet: one message or a bundle of them.
func ParseOSC(b []byte) ([]OSCMessage, error) {
	var out []OSCMessage
	if err := parseOSC(b, 0, &out); err != nil {
		return nil, err
	}
	return out, nil
}

func parseOSC(b []byte, depth int, out *[]OSCMessage) error {
	if len(b) == 0 || len(b)%4 != 0 {
		return fmt.Errorf("%w: size %d", ErrOSC, len(b))
	}
	if bytes.HasPrefix(b, []byte("#bundle\x00")) {
		if depth >= maxOSCDepth {
			return fmt.Errorf("%w: bundles nested too deep", ErrOSC)
		}
		if len(b) < 16 {
			return fmt.Errorf("%w: short bundle", ErrOSC)
		}
		rest := b[16:] // "#bundle\0" + 8-byte time tag (ignored: act now)
		for len(rest) > 0 {
			if len(rest) < 4 {
				return fmt.Errorf("%w: bundle element size", ErrOSC)
			}
			n := binary.BigEndian.Uint32(rest)
			rest = rest[4:]
			if uint64(n) > uint64(len(rest)) {
				return fmt.Errorf("%w: bundle element of %d bytes", ErrOSC, n)
			}
			if err := parseOSC(rest[:n], depth+1, out); err != nil {
				return err
			}
			rest = rest[n:]
		}
		return nil
	}
	m, err := parseOSCMessage(b)
	if err != nil {
		return err
	}
	*out = append(*out, m)
	return nil
}

// oscString reads a NUL-terminated string padded to 4 bytes.
func oscString(b []byte) (string, []byte, error) {
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return "", nil, fmt.Errorf("%w: unterminated string", ErrOSC)
	}
	n := (i + 4) &^ 3
	if n > len(b) {
		return "", nil, fmt.Errorf("%w: string padding", ErrOSC)
	}
	return string(b[:i]), b[n:], nil
}

func parseOSCMessage(b []byte) (OSCMessage, error) {
	var m OSCMessage
	addr, rest, err := oscString(b)
	if err != nil {
		return m, err
	}
	if !strings.HasPrefix(addr, "/") {
		return m, fmt.Errorf("%w: address %q", ErrOSC, clip(addr))
	}
	m.Address = addr
	if len(rest) == 0 {
		return m, nil // OSC 1.0 allows a message without a type tag string
	}
	tags, rest, err := oscString(rest)
	if err != nil {
		return m, err
	}
	if !strings.HasPrefix(tags, ",") {
		return m, fmt.Errorf("%w: type tags %q", ErrOSC, clip(tags))
	}
	tags = tags[1:]
	if len(tags) > maxOSCArgs {
		return m, fmt.Errorf("%w: %d arguments", ErrOSC, len(tags))
	}
	need := func(n int) error {
		if len(rest) < n {
			return fmt.Errorf("%w: argument truncated", ErrOSC)
		}
		return nil
	}
	for _, t := range []byte(tags) {
		switch t {
		case 'i':
			if err := need(4); err != nil {
				return m, err
			}
			m.Args = append(m.Args, int32(binary.BigEndian.Uint32(rest)))
			rest = rest[4:]
		case 'f':
			if err := need(4); err != nil {
				return m, err
			}
			m.Args = append(m.Args, math.Float32frombits(binary.BigEndian.Uint32(rest)))
			rest = rest[4:]
		case 'h':
			if err := need(8); err != nil {
				return m, err
			}
			m.Args = append(m.Args, int64(binary.BigEndian.Uint64(rest)))
			rest = rest[8:]
		case 'd':
			if err := need(8); err != nil {
				return m, err
			}
			m.Args = append(m.Args, math.Float64frombits(binary.BigEndian.Uint64(rest)))
			rest = rest[8:]
		case 's', 'S':
			var s string
			s, rest, err = oscString(rest)
			if err != nil {
				return m, err
			}
			m.Args = append(m.Args, s)
		case 'b':
			if err := need(4); err != nil {
				return m, err
			}
			n := binary.BigEndian.Uint32(rest)
			rest = rest[4:]
			padded := (uint64(n) + 3) &^ 3
			if padded > uint64(len(rest)) {
				return m, fmt.Errorf("%w: blob of %d bytes", ErrOSC, n)
			}
			m.Args = append(m.Args, bytes.Clone(rest[:n]))
			rest = rest[padded:]
		case 'T':
			m.Args = append(m.Args, true)
		case 'F':
			m.Args = append(m.Args, false)
		case 'N', 'I':
			m.Args = append(m.Args, nil)
		default:
			return m, fmt.Errorf("%w: type tag %q", ErrOSC, t)
		}
	}
	return m, nil
}

func appendOSCString(b []byte, s string) []byte {
	b = append(b, s...)
	b = append(b, 0)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// MarshalBinary encodes the message.
func (m OSCMessage) MarshalBinary() ([]byte, error) {
	if !strings.HasPrefix(m.Address, "/") || strings.IndexByte(m.Address, 0) >= 0 {
		return nil, fmt.Errorf("osc: encode: address %q", clip(m.Address))
	}
	tags := []byte{','}
	var args []byte
	for i, a := range m.Args {
		switch v := a.(type) {
		case int32:
			tags = append(tags, 'i')
			args = binary.BigEndian.AppendUint32(args, uint32(v))
		case int:
			if v < math.MinInt32 || v > math.MaxInt32 {
				return nil, fmt.Errorf("osc: encode %s: argument %d out of int32 range", m.Address, i)
			}
			tags = append(tags, 'i')
			args = binary.BigEndian.AppendUint32(args, uint32(int32(v)))
		case float32:
			tags = append(tags, 'f')
			args = binary.BigEndian.AppendUint32(args, math.Float32bits(v))
		case int64:
			tags = append(tags, 'h')
			args = binary.BigEndian.AppendUint64(args, uint64(v))
		case float64:
			tags = append(tags, 'd')
			args = binary.BigEndian.AppendUint64(args, math.Float64bits(v))
		case string:
			if strings.IndexByte(v, 0) >= 0 {
				return nil, fmt.Errorf("osc: encode %s: argument %d holds NUL", m.Address, i)
			}
			tags = append(tags, 's')
			args = appendOSCString(args, v)
		case []byte:
			tags = append(tags, 'b')
			args = binary.BigEndian.AppendUint32(args, uint32(len(v)))
			args = append(args, v...)
			for len(args)%4 != 0 {
				args = append(args, 0)
			}
		case bool:
			if v {
				tags = append(tags, 'T')
			} else {
				tags = append(tags, 'F')
			}
		case nil:
			tags = append(tags, 'N')
		default:
			return nil, fmt.Errorf("osc: encode %s: argument %d of type %T", m.Address, i, a)
		}
	}
	out := appendOSCString(nil, m.Address)
	out = appendOSCString(out, string(tags))
	return append(out, args...), nil
}

// oscRequest is an action parsed from an OSC message:
// /studiodesk/<action> token [number] [request-id].
type oscRequest struct {
	action string
	token  string
	args   Args
	id     string
}

func parseOSCRequest(m OSCMessage) (oscRequest, error) {
	var r oscRequest
	name, ok := strings.CutPrefix(m.Address, oscAddressPrefix)
	if !ok {
		return r, fmt.Errorf("%w: address %q (want %s<action>)", ErrUnknownAction, clip(m.Address), oscAddressPrefix)
	}
	if len(m.Args) > 0 {
		if s, ok := m.Args[0].(string); ok {
			r.token = s
		}
	}
	a, err := normalizeAction(name)
	if err != nil {
		return r, err
	}
	r.action = a
	var num *float64
	for _, arg := range m.Args[min(1, len(m.Args)):] {
		var f float64
		isNum := true
		switch v := arg.(type) {
		case int32:
			f = float64(v)
		case int64:
			f = float64(v)
		case float32:
			f = float64(v)
		case float64:
			f = v
		case string:
			isNum = false
			if r.id != "" {
				return r, fmt.Errorf("%w: %s: too many string arguments", ErrBadRequest, a)
			}
			if !validID(v) {
				return r, fmt.Errorf("%w: %s: request id must be 1-%d characters of [A-Za-z0-9._:-]", ErrBadRequest, a, maxIDLen)
			}
			r.id = v
		default:
			isNum = false
		}
		if isNum {
			if num != nil {
				return r, fmt.Errorf("%w: %s: too many numeric arguments", ErrBadRequest, a)
			}
			num = &f
		}
	}
	if num != nil {
		switch a {
		case ActionJump:
			if *num != math.Trunc(*num) || *num < 0 || *num > maxJumpIndex {
				return r, fmt.Errorf("%w: jump: index %v", ErrBadRequest, *num)
			}
			i := int(*num)
			r.args.Index = &i
		case ActionExtend, ActionShorten:
			r.args.Seconds = num
		}
	}
	return r, nil
}

// serveOSC handles datagrams until the socket is closed. Each command is
// answered to its sender with /studiodesk/reply <action> "ok"|"error" <text>.
func (s *Server) serveOSC(pc net.PacketConn) {
	buf := make([]byte, 8<<10)
	for {
		n, addr, err := pc.ReadFrom(buf)
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				s.cfg.Logf("remote: OSC read: %v", err)
			}
			return
		}
		from := addr.String()
		msgs, err := ParseOSC(buf[:n])
		if err != nil {
			s.cfg.Logf("remote: OSC from %s rejected: %v", from, err)
			continue
		}
		for _, m := range msgs {
			action, rerr := s.handleOSC(m, from)
			reply := OSCMessage{Address: "/studiodesk/reply", Args: []any{action, "ok", ""}}
			if rerr != nil {
				reply.Args = []any{action, "error", rerr.Error()}
			}
			if b, err := reply.MarshalBinary(); err == nil {
				_, _ = pc.WriteTo(b, addr)
			}
		}
	}
}

func (s *Server) handleOSC(m OSCMessage, from string) (string, error) {
	req, perr := parseOSCRequest(m)
	via := "osc " + clip(m.Address)
	dev, err := s.authenticate(req.token, via, from)
	if err != nil {
		return req.action, err
	}
	if perr != nil {
		s.cfg.Logf("remote: %s from device %s (%q) rejected: %v", via, dev.ID, dev.Name, perr)
		return req.action, perr
	}
	cmd, err := ToCommand(req.action, req.args)
	if err != nil {
		s.cfg.Logf("remote: %s from device %s (%q) rejected: %v", via, dev.ID, dev.Name, err)
		return req.action, err
	}
	return req.action, s.execute(context.Background(), dev, req.id, cmd, "osc", from)
}
