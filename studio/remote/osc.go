package remote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/hypebeast/go-osc/osc"

	"studiodesk/studio"
)

// OSC 1.0 is read and written with github.com/hypebeast/go-osc, the most
// used Go OSC implementation (MIT, no dependencies, every OSC 1.0 type).
// Around it this file keeps what the network may not do: packets over
// 8 KiB, bundles nested deeper than 4, more than 32 messages or arguments,
// and any panic inside the decoder, all become ErrOSC.

// ErrOSC marks a malformed OSC packet.
var ErrOSC = errors.New("malformed OSC packet")

const (
	oscAddressPrefix = "/studiodesk/"
	oscReplyAddress  = "/studiodesk/reply"
	maxOSCPacket     = 8 << 10
	maxOSCDepth      = 4
	maxOSCMessages   = 32
	maxOSCArgs       = 32
	// ArgRequestID names an OSC request id: "request_id=btn-7-0001".
	ArgRequestID = "request_id"
)

// ParseOSC decodes a packet (one message or a bundle) into its messages.
func ParseOSC(b []byte) (msgs []*osc.Message, err error) {
	if len(b) == 0 || len(b)%4 != 0 || len(b) > maxOSCPacket {
		return nil, fmt.Errorf("%w: size %d", ErrOSC, len(b))
	}
	defer func() {
		if r := recover(); r != nil {
			msgs, err = nil, fmt.Errorf("%w: %v", ErrOSC, r)
		}
	}()
	p, err := osc.ParsePacket(string(b))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOSC, err)
	}
	if err := flattenOSC(p, 0, &msgs); err != nil {
		return nil, err
	}
	return msgs, nil
}

func flattenOSC(p osc.Packet, depth int, out *[]*osc.Message) error {
	switch v := p.(type) {
	case *osc.Message:
		if v == nil || !strings.HasPrefix(v.Address, "/") {
			return fmt.Errorf("%w: address", ErrOSC)
		}
		if len(v.Arguments) > maxOSCArgs {
			return fmt.Errorf("%w: %d arguments", ErrOSC, len(v.Arguments))
		}
		if len(*out) >= maxOSCMessages {
			return fmt.Errorf("%w: more than %d messages", ErrOSC, maxOSCMessages)
		}
		*out = append(*out, v)
		return nil
	case *osc.Bundle:
		if v == nil || depth >= maxOSCDepth {
			return fmt.Errorf("%w: bundles nested too deep", ErrOSC)
		}
		for _, m := range v.Messages {
			if err := flattenOSC(m, depth+1, out); err != nil {
				return err
			}
		}
		for _, b := range v.Bundles {
			if err := flattenOSC(b, depth+1, out); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("%w: not a message or a bundle", ErrOSC)
}

// oscRequest is a message to /studiodesk/<name>: the token first, then the
// action's arguments in catalogue order, or by name as "name=value"
// strings. A number sent as a string ("60") is a number, never a request
// id: the request id is only ever "request_id=…".
type oscRequest struct {
	name  string
	token string
	pos   []any
	named map[string]any
	id    string
}

func parseOSCRequest(m *osc.Message) (oscRequest, error) {
	var r oscRequest
	name, ok := strings.CutPrefix(m.Address, oscAddressPrefix)
	if !ok || name == "" || strings.Contains(name, "/") {
		return r, &studio.UnknownActionError{Name: clip(m.Address)}
	}
	r.name = name
	args := m.Arguments
	if len(args) > 0 {
		if s, ok := args[0].(string); ok {
			r.token = s
		}
		args = args[1:]
	}
	for _, a := range args {
		s, isStr := a.(string)
		k, v, named := strings.Cut(s, "=")
		if !isStr || !named {
			if _, ok := a.(osc.Timetag); ok {
				return r, fmt.Errorf("%w: %s: time tag arguments are not used", ErrBadRequest, name)
			}
			r.pos = append(r.pos, a)
			continue
		}
		k = strings.TrimSpace(k)
		if k == ArgRequestID {
			if r.id != "" || !validID(v) {
				return r, fmt.Errorf("%w: %s: request id must be 1-%d characters of [A-Za-z0-9._:-], given once", ErrBadRequest, name, maxIDLen)
			}
			r.id = v
			continue
		}
		if r.named == nil {
			r.named = map[string]any{}
		}
		if _, dup := r.named[k]; dup {
			return r, &studio.ArgError{Action: name, Arg: clip(k), Msg: "given twice"}
		}
		r.named[k] = v
	}
	return r, nil
}

// call decodes the request against the catalogue: positional arguments
// fill the action's arguments in order.
func (r oscRequest) call() (call, error) {
	a, err := studio.LookupAction(r.name)
	if err != nil {
		return call{}, err
	}
	raw := make(map[string]any, len(r.pos)+len(r.named))
	for k, v := range r.named {
		raw[k] = v
	}
	if len(r.pos) > len(a.Args) {
		return call{}, &studio.ArgError{Action: a.Name, Msg: fmt.Sprintf("%d arguments after the token, at most %d", len(r.pos), len(a.Args))}
	}
	for i, v := range r.pos {
		n := a.Args[i].Name
		if _, dup := raw[n]; dup {
			return call{}, &studio.ArgError{Action: a.Name, Arg: n, Msg: "given twice"}
		}
		raw[n] = v
	}
	c, err := parseCall(a.Name, raw)
	c.id = r.id
	return c, err
}

// serveOSC handles datagrams until the socket is closed. Each message is
// answered to its sender with
// /studiodesk/reply <action> "ok"|"error" <message> <code>.
func (s *Server) serveOSC(pc net.PacketConn) {
	buf := make([]byte, maxOSCPacket+4)
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
			action, rerr := s.handleOSC(m, addr)
			reply := osc.NewMessage(oscReplyAddress, action, "ok", "", "")
			if rerr != nil {
				reply = osc.NewMessage(oscReplyAddress, action, "error", rerr.Error(), errorCode(rerr))
			}
			if b, err := reply.MarshalBinary(); err == nil {
				_, _ = pc.WriteTo(b, addr)
			}
		}
	}
}

func (s *Server) handleOSC(m *osc.Message, addr net.Addr) (string, error) {
	from := addr.String()
	req, perr := parseOSCRequest(m)
	via := "osc " + clip(m.Address)
	dev, err := s.authenticate(req.token, via, from)
	if err != nil {
		return req.name, err
	}
	if perr != nil {
		s.cfg.Logf("remote: %s from device %s (%q) rejected: %v", via, dev.ID, dev.Name, perr)
		return req.name, perr
	}
	switch req.name {
	case "subscribe":
		return req.name, s.oscSubscribe(dev, addr, req)
	case "unsubscribe":
		s.subs.remove(dev.ID, addr)
		s.cfg.Logf("remote: OSC feedback to %s for device %s (%q) stopped", from, dev.ID, dev.Name)
		return req.name, nil
	}
	c, err := req.call()
	if err != nil {
		s.cfg.Logf("remote: %s from device %s (%q) rejected: %v", via, dev.ID, dev.Name, err)
		name := req.name
		if c.action != nil {
			name = c.action.Name
		}
		return name, err
	}
	return c.action.Name, s.execute(context.Background(), dev, c, "osc", from)
}

// oscSubscribe registers addr's host at the given port (default: the
// sender's port) for feedback messages.
func (s *Server) oscSubscribe(dev Device, addr net.Addr, req oscRequest) error {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return fmt.Errorf("%w: subscribe: not UDP", ErrBadRequest)
	}
	to := &net.UDPAddr{IP: ua.IP, Port: ua.Port, Zone: ua.Zone}
	if len(req.pos) > 1 {
		return fmt.Errorf("%w: subscribe: takes the token and at most a port", ErrBadRequest)
	}
	if len(req.pos) == 1 {
		a := studio.Action{Name: "subscribe", Args: []studio.ActionArg{{Name: "port", Type: studio.ArgInt, Min: 1, Max: 65535}}}
		v, err := a.Decode(map[string]any{"port": req.pos[0]})
		if err != nil {
			return err
		}
		to.Port = v["port"].(int)
	}
	if err := s.subs.add(dev.ID, to); err != nil {
		return err
	}
	s.cfg.Logf("remote: OSC feedback to %s for device %s (%q)", to, dev.ID, dev.Name)
	s.kickFeedback()
	return nil
}

// oscArg turns a feedback value into an OSC argument.
func oscArg(v any) any {
	switch x := v.(type) {
	case bool:
		if x {
			return int32(1)
		}
		return int32(0)
	case int:
		return int32(x)
	case string:
		return x
	}
	return strconv.Quote(fmt.Sprint(v))
}
