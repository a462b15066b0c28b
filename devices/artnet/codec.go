// Package artnet drives DMX fixtures over Art-Net (ArtDmx on UDP 6454): a
// wire codec, fixture channel maps, and a per-universe output loop that
// fades, re-sends for keep-alive and discovers nodes with ArtPoll.
package artnet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
)

// Wire constants from the Art-Net 4 specification.
const (
	DefaultPort     = 6454
	ProtocolVersion = 14
	OpPoll          = 0x2000
	OpPollReply     = 0x2100
	OpDmx           = 0x5000
	MaxSlots        = 512
	MaxPortAddress  = 0x7FFF // 15 bits: Net (7) + SubNet (4) + Universe (4)
	artDmxHeaderLen = 18
	artPollLen      = 14
	// Replies from Art-Net 1 era nodes end after SwOut; later fields are
	// optional to us.
	minPollReplyLen = 194
)

var packetID = [8]byte{'A', 'r', 't', '-', 'N', 'e', 't', 0}

// ErrMalformed marks a packet that is not valid Art-Net.
var ErrMalformed = errors.New("malformed Art-Net packet")

// ArtDmx is one decoded ArtDmx packet.
type ArtDmx struct {
	Sequence    uint8
	Physical    uint8
	PortAddress uint16 // 15-bit Net<<8 | SubUni
	Data        []byte // aliases the packet buffer
}

// EncodeArtDmx appends an ArtDmx packet to dst and returns the extended
// slice; with a reused dst of capacity 530 it does not allocate. seq 0
// disables re-ordering at the receiver; odd data lengths are padded with one
// zero slot because the protocol requires an even length.
func EncodeArtDmx(dst []byte, seq uint8, physical uint8, portAddress uint16, data []byte) ([]byte, error) {
	if portAddress > MaxPortAddress {
		return dst, fmt.Errorf("artdmx: port-address: value %d out of range 0-%d: %w", portAddress, MaxPortAddress, errOutOfRange)
	}
	if len(data) < 1 || len(data) > MaxSlots {
		return dst, fmt.Errorf("artdmx: length: value %d out of range 1-%d: %w", len(data), MaxSlots, errOutOfRange)
	}
	n := len(data) + len(data)&1
	dst = append(dst, packetID[:]...)
	dst = binary.LittleEndian.AppendUint16(dst, OpDmx)
	dst = binary.BigEndian.AppendUint16(dst, ProtocolVersion)
	dst = append(dst, seq, physical, byte(portAddress), byte(portAddress>>8)&0x7F)
	dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	dst = append(dst, data...)
	if n != len(data) {
		dst = append(dst, 0)
	}
	return dst, nil
}

// ParseArtDmx decodes an ArtDmx packet, checking ID, OpCode, protocol
// version (14 or later) and the length field against the packet size.
func ParseArtDmx(pkt []byte) (ArtDmx, error) {
	if err := checkHeader(pkt, OpDmx, artDmxHeaderLen); err != nil {
		return ArtDmx{}, err
	}
	if v := binary.BigEndian.Uint16(pkt[10:12]); v < ProtocolVersion {
		return ArtDmx{}, fmt.Errorf("artdmx: protocol version %d, want %d or later: %w", v, ProtocolVersion, ErrMalformed)
	}
	n := int(binary.BigEndian.Uint16(pkt[16:18]))
	if n < 2 || n > MaxSlots || n&1 != 0 {
		return ArtDmx{}, fmt.Errorf("artdmx: length %d, want an even number 2-512: %w", n, ErrMalformed)
	}
	if len(pkt) < artDmxHeaderLen+n {
		return ArtDmx{}, fmt.Errorf("artdmx: length %d but only %d data bytes: %w", n, len(pkt)-artDmxHeaderLen, ErrMalformed)
	}
	return ArtDmx{
		Sequence:    pkt[12],
		Physical:    pkt[13],
		PortAddress: uint16(pkt[15]&0x7F)<<8 | uint16(pkt[14]),
		Data:        pkt[artDmxHeaderLen : artDmxHeaderLen+n],
	}, nil
}

// EncodeArtPoll appends a 14-byte ArtPoll (flags 0: reply once, no
// diagnostics) to dst.
func EncodeArtPoll(dst []byte) []byte {
	dst = append(dst, packetID[:]...)
	dst = binary.LittleEndian.AppendUint16(dst, OpPoll)
	dst = binary.BigEndian.AppendUint16(dst, ProtocolVersion)
	return append(dst, 0, 0) // Flags, DiagPriority
}

// PollReply is the part of an ArtPollReply the desk needs to patch a node.
type PollReply struct {
	IP        net.IP
	Port      uint16
	ShortName string
	LongName  string
	Net       uint8 // 7 bits
	SubNet    uint8 // 4 bits
	// Outputs lists the 15-bit port-addresses of the node's DMX output
	// ports, in port order.
	Outputs []uint16
}

// ParsePollReply decodes an ArtPollReply. Only ports whose PortTypes entry
// has the "can output" bit are listed as outputs.
func ParsePollReply(pkt []byte) (PollReply, error) {
	if err := checkHeader(pkt, OpPollReply, minPollReplyLen); err != nil {
		return PollReply{}, err
	}
	r := PollReply{
		IP:        net.IPv4(pkt[10], pkt[11], pkt[12], pkt[13]).To4(),
		Port:      binary.LittleEndian.Uint16(pkt[14:16]),
		Net:       pkt[18] & 0x7F,
		SubNet:    pkt[19] & 0x0F,
		ShortName: cString(pkt[26:44]),
		LongName:  cString(pkt[44:108]),
	}
	ports := int(binary.BigEndian.Uint16(pkt[172:174]))
	ports = min(ports, 4)
	for i := range ports {
		if pkt[174+i]&0x80 == 0 {
			continue
		}
		addr := uint16(r.Net)<<8 | uint16(r.SubNet)<<4 | uint16(pkt[190+i]&0x0F)
		r.Outputs = append(r.Outputs, addr)
	}
	return r, nil
}

func checkHeader(pkt []byte, op uint16, minLen int) error {
	if len(pkt) < minLen {
		return fmt.Errorf("artnet: %d bytes, want at least %d: %w", len(pkt), minLen, ErrMalformed)
	}
	if [8]byte(pkt[:8]) != packetID {
		return fmt.Errorf("artnet: bad packet ID %q: %w", pkt[:8], ErrMalformed)
	}
	if got := binary.LittleEndian.Uint16(pkt[8:10]); got != op {
		return fmt.Errorf("artnet: opcode 0x%04x, want 0x%04x: %w", got, op, ErrMalformed)
	}
	return nil
}

// cString returns the NUL-terminated prefix of b.
func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}
