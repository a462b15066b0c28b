package bilibili

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/andybalholm/brotli"
)

// HeaderLen is the size of a packet header: packet length (4), header
// length (2), protocol version (2), operation (4), sequence (4), big-endian.
const HeaderLen = 16

// Protocol versions (the header's version field).
const (
	VerJSON      uint16 = 0 // body is plain JSON
	VerHeartbeat uint16 = 1 // heartbeat and auth packets
	VerZlib      uint16 = 2 // body is zlib: packets back to back
	VerBrotli    uint16 = 3 // body is brotli: packets back to back
)

// Operations (the header's operation field).
const (
	OpHeartbeat      uint32 = 2 // client → server, every 30 s
	OpHeartbeatReply uint32 = 3 // body: 4-byte big-endian popularity
	OpMessage        uint32 = 5 // body: JSON {"cmd": ..., "data": ...}
	OpAuth           uint32 = 7 // client → server: auth_body verbatim
	OpAuthReply      uint32 = 8 // body: {"code":0} on success
)

// Decoder limits. The zero Decoder uses the defaults.
const (
	DefaultMaxPacket   = 4 << 20  // largest single packet, header included
	DefaultMaxInflated = 16 << 20 // decompressed bytes per frame, all levels together
	DefaultMaxDepth    = 3        // compressed packets inside compressed packets
)

// Sentinel errors wrapped by Decode.
var (
	ErrMalformed = errors.New("malformed packet")
	ErrTooLarge  = errors.New("packet too large")
)

// Packet is one decoded packet. Body aliases the frame given to Decode, or
// a buffer decompressed from it.
type Packet struct {
	Ver  uint16
	Op   uint32
	Seq  uint32
	Body []byte
}

// Popularity returns the count in a heartbeat reply (op 3).
func (p Packet) Popularity() (uint32, bool) {
	if p.Op != OpHeartbeatReply || len(p.Body) != 4 {
		return 0, false
	}
	return binary.BigEndian.Uint32(p.Body), true
}

// Encode builds one packet.
func Encode(op uint32, ver uint16, seq uint32, body []byte) []byte {
	return AppendPacket(make([]byte, 0, HeaderLen+len(body)), op, ver, seq, body)
}

// AppendPacket appends one packet to dst.
func AppendPacket(dst []byte, op uint32, ver uint16, seq uint32, body []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(HeaderLen+len(body)))
	dst = binary.BigEndian.AppendUint16(dst, HeaderLen)
	dst = binary.BigEndian.AppendUint16(dst, ver)
	dst = binary.BigEndian.AppendUint32(dst, op)
	dst = binary.BigEndian.AppendUint32(dst, seq)
	return append(dst, body...)
}

// Decoder splits frames into packets within limits. The zero value uses
// the defaults; a Decoder is stateless and safe for concurrent use.
type Decoder struct {
	MaxPacket   int // largest packet, header included (DefaultMaxPacket if 0)
	MaxInflated int // decompressed bytes per frame (DefaultMaxInflated if 0)
	MaxDepth    int // compression nesting (DefaultMaxDepth if 0)
}

// Decode splits one WebSocket frame with the default limits. See
// Decoder.Decode.
func Decode(frame []byte) ([]Packet, error) {
	var d Decoder
	return d.Decode(frame)
}

// Decode splits one WebSocket frame into packets. Several packets may sit
// back to back; a zlib (version 2) or brotli (version 3) packet's body is
// decompressed and split the same way, so the result holds only plain
// packets (versions 0 and 1), in order. Any malformed or oversized packet
// fails the whole frame with an error naming its offset.
func (d *Decoder) Decode(frame []byte) ([]Packet, error) {
	st := decodeState{
		maxPacket: d.MaxPacket, budget: d.MaxInflated, maxDepth: d.MaxDepth,
	}
	if st.maxPacket <= 0 {
		st.maxPacket = DefaultMaxPacket
	}
	if st.budget <= 0 {
		st.budget = DefaultMaxInflated
	}
	if st.maxDepth <= 0 {
		st.maxDepth = DefaultMaxDepth
	}
	if err := st.split(frame, 0); err != nil {
		return nil, fmt.Errorf("bilibili: %w", err)
	}
	return st.out, nil
}

type decodeState struct {
	maxPacket int
	budget    int // decompressed bytes still allowed
	maxDepth  int
	out       []Packet
}

type decodeError struct {
	msg  string
	kind error // ErrMalformed or ErrTooLarge
}

func (e *decodeError) Error() string        { return e.msg }
func (e *decodeError) Is(target error) bool { return target == e.kind }

func bad(kind error, format string, args ...any) error {
	return &decodeError{msg: fmt.Sprintf(format, args...), kind: kind}
}

func (st *decodeState) split(buf []byte, depth int) error {
	if len(buf) == 0 && depth == 0 {
		return bad(ErrMalformed, "empty frame")
	}
	for off := 0; off < len(buf); {
		rest := buf[off:]
		if len(rest) < HeaderLen {
			return fmt.Errorf("packet at offset %d: %w", off,
				bad(ErrMalformed, "truncated header: %d bytes, want %d", len(rest), HeaderLen))
		}
		plen := binary.BigEndian.Uint32(rest[0:4])
		hlen := binary.BigEndian.Uint16(rest[4:6])
		p := Packet{
			Ver: binary.BigEndian.Uint16(rest[6:8]),
			Op:  binary.BigEndian.Uint32(rest[8:12]),
			Seq: binary.BigEndian.Uint32(rest[12:16]),
		}
		switch {
		case hlen != HeaderLen:
			return fmt.Errorf("packet at offset %d: %w", off,
				bad(ErrMalformed, "header length %d, want %d", hlen, HeaderLen))
		case plen < HeaderLen:
			return fmt.Errorf("packet at offset %d: %w", off,
				bad(ErrMalformed, "packet length %d, shorter than the header", plen))
		case uint64(plen) > uint64(st.maxPacket):
			return fmt.Errorf("packet at offset %d: %w", off,
				bad(ErrTooLarge, "packet length %d, limit %d", plen, st.maxPacket))
		case uint64(plen) > uint64(len(rest)):
			return fmt.Errorf("packet at offset %d: %w", off,
				bad(ErrMalformed, "packet length %d, only %d bytes left", plen, len(rest)))
		}
		p.Body = rest[HeaderLen:plen:plen]
		switch p.Ver {
		case VerZlib, VerBrotli:
			if depth >= st.maxDepth {
				return fmt.Errorf("packet at offset %d: %w", off,
					bad(ErrTooLarge, "compression nested deeper than %d", st.maxDepth))
			}
			inner, err := st.inflate(p.Ver, p.Body)
			if err != nil {
				return fmt.Errorf("packet at offset %d: %w", off, err)
			}
			if err := st.split(inner, depth+1); err != nil {
				return fmt.Errorf("packet at offset %d: %s body: %w", off, verName(p.Ver), err)
			}
		default:
			st.out = append(st.out, p)
		}
		off += int(plen)
	}
	return nil
}

func verName(v uint16) string {
	if v == VerZlib {
		return "zlib"
	}
	return "brotli"
}

// Decompressors are reused: a brotli reader allocates its window on
// every NewReader.
var (
	brotliPool sync.Pool // *brotli.Reader
	zlibPool   sync.Pool // io.ReadCloser implementing zlib.Resetter
)

func (st *decodeState) inflate(ver uint16, body []byte) ([]byte, error) {
	var r io.Reader
	if ver == VerZlib {
		var zr io.ReadCloser
		var err error
		if pooled, ok := zlibPool.Get().(io.ReadCloser); ok {
			zr = pooled
			err = zr.(zlib.Resetter).Reset(bytes.NewReader(body), nil)
		} else {
			zr, err = zlib.NewReader(bytes.NewReader(body))
		}
		if err != nil {
			if zr != nil {
				zlibPool.Put(zr)
			}
			return nil, fmt.Errorf("zlib body: %w: %w", ErrMalformed, err)
		}
		defer zlibPool.Put(zr)
		r = zr
	} else {
		br, ok := brotliPool.Get().(*brotli.Reader)
		if ok {
			if err := br.Reset(bytes.NewReader(body)); err != nil {
				return nil, fmt.Errorf("brotli body: %w: %w", ErrMalformed, err)
			}
		} else {
			br = brotli.NewReader(bytes.NewReader(body))
		}
		defer brotliPool.Put(br)
		r = br
	}
	// Read at most budget+1 bytes: one more than allowed proves a bomb
	// without inflating it.
	buf := make([]byte, 0, min(st.budget+1, max(8*len(body), 512)))
	buf, err := readUpTo(r, buf, st.budget+1)
	if err != nil {
		return nil, fmt.Errorf("%s body: %w: %w", verName(ver), ErrMalformed, err)
	}
	if len(buf) > st.budget {
		return nil, bad(ErrTooLarge, "%s body inflates past the %d-byte limit", verName(ver), st.budget)
	}
	st.budget -= len(buf)
	return buf, nil
}

// readUpTo reads r to EOF into buf, stopping after limit bytes.
func readUpTo(r io.Reader, buf []byte, limit int) ([]byte, error) {
	for len(buf) < limit {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):min(cap(buf), limit)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}
