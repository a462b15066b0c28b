package sound

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// The format every cue is converted to before it reaches the audio output.
const (
	SampleRate     = 48000 // frames per second
	Channels       = 2     // interleaved left, right
	BytesPerSample = 2     // signed 16-bit little endian
	bytesPerFrame  = Channels * BytesPerSample
)

// Limits that keep a hostile or broken file from costing unbounded memory.
const (
	minSampleRate = 1000
	maxSampleRate = 768000
	// MaxDuration is the longest sound ParseWAV accepts.
	MaxDuration = 60 * time.Second
)

// PCM is audio in the player's format: 48 kHz, stereo, interleaved signed
// 16-bit little-endian samples.
type PCM []byte

// Frames returns the number of stereo frames in p.
func (p PCM) Frames() int { return len(p) / bytesPerFrame }

// Duration returns how long p plays.
func (p PCM) Duration() time.Duration {
	return time.Duration(p.Frames()) * time.Second / SampleRate
}

// Sentinel errors carried by *FormatError; test with errors.Is.
var (
	// ErrMalformed reports a file that is not a well-formed RIFF/WAVE file.
	ErrMalformed = errors.New("malformed WAV")
	// ErrUnsupported reports a well-formed WAV in a format ParseWAV cannot use.
	ErrUnsupported = errors.New("unsupported WAV format")
)

// FormatError describes why ParseWAV rejected a file. Its message has the
// form "FILE: PART: what is wrong", e.g.
// "cue-point.wav: fmt chunk: 24-bit samples not supported".
type FormatError struct {
	File string // the name given to ParseWAV
	Part string // "RIFF header", "fmt chunk", "data chunk", ...
	Msg  string
	Err  error // ErrMalformed or ErrUnsupported
}

func (e *FormatError) Error() string { return e.File + ": " + e.Part + ": " + e.Msg }

// Unwrap returns ErrMalformed or ErrUnsupported.
func (e *FormatError) Unwrap() error { return e.Err }

func malformed(file, part, format string, args ...any) error {
	return &FormatError{File: file, Part: part, Msg: fmt.Sprintf(format, args...), Err: ErrMalformed}
}

func unsupported(file, part, format string, args ...any) error {
	return &FormatError{File: file, Part: part, Msg: fmt.Sprintf(format, args...), Err: ErrUnsupported}
}

const (
	wavFormatPCM        = 0x0001
	wavFormatExtensible = 0xFFFE
)

// ParseWAV decodes a RIFF/WAVE file holding 16-bit integer PCM with one or
// two channels at any sample rate from 1 kHz to 768 kHz, and converts it to
// the player's format (see PCM): mono is copied to both channels, and other
// rates are resampled by linear interpolation. Chunks other than "fmt " and
// "data" are skipped. name is used only in error messages. ParseWAV never
// panics; every error it returns is a *FormatError naming the file.
func ParseWAV(name string, data []byte) (PCM, error) {
	if len(data) < 12 {
		return nil, malformed(name, "RIFF header", "file is %d bytes, too short for a RIFF header", len(data))
	}
	if string(data[0:4]) != "RIFF" {
		return nil, malformed(name, "RIFF header", "not a RIFF file (starts with %q)", data[0:4])
	}
	if string(data[8:12]) != "WAVE" {
		return nil, malformed(name, "RIFF header", "RIFF form is %q, not \"WAVE\"", data[8:12])
	}
	// Writers that stream often leave the RIFF size at 0 or 0xFFFFFFFF, so
	// it only shortens the file, never lengthens it; each chunk is checked
	// against the bytes that are really there.
	body := data[12:]
	if riff := uint64(binary.LittleEndian.Uint32(data[4:8])); riff >= 4 && riff-4 < uint64(len(body)) {
		body = body[:riff-4]
	}

	var (
		fmtc    *wavFormat
		samples []byte
		gotData bool
	)
	for off := 0; off < len(body); {
		if len(body)-off < 8 {
			return nil, malformed(name, "chunk header", "%d stray bytes at offset %d, too few for a chunk header", len(body)-off, off+12)
		}
		id := string(body[off : off+4])
		size := uint64(binary.LittleEndian.Uint32(body[off+4 : off+8]))
		start := off + 8
		part := fmt.Sprintf("%q chunk", id)
		switch id {
		case "fmt ":
			part = "fmt chunk"
		case "data":
			part = "data chunk"
		}
		if rest := uint64(len(body) - start); size > rest {
			return nil, malformed(name, part, "size %d exceeds the %d bytes left in the file", size, rest)
		}
		chunk := body[start : start+int(size)]
		off = start + int(size)
		if size%2 == 1 && off < len(body) {
			off++ // chunks are padded to an even length
		}

		switch id {
		case "fmt ":
			if fmtc != nil {
				return nil, malformed(name, part, "more than one fmt chunk")
			}
			f, err := parseFmt(name, chunk)
			if err != nil {
				return nil, err
			}
			fmtc = &f
		case "data":
			if fmtc == nil {
				return nil, malformed(name, part, "data chunk comes before the fmt chunk")
			}
			if gotData {
				return nil, malformed(name, part, "more than one data chunk")
			}
			gotData = true
			samples = chunk
		}
	}
	if fmtc == nil {
		return nil, malformed(name, "fmt chunk", "missing")
	}
	if !gotData {
		return nil, malformed(name, "data chunk", "missing")
	}
	return convert(name, *fmtc, samples)
}

type wavFormat struct {
	channels   int
	sampleRate int
}

func parseFmt(name string, c []byte) (wavFormat, error) {
	const part = "fmt chunk"
	if len(c) < 16 {
		return wavFormat{}, malformed(name, part, "size %d, need at least 16", len(c))
	}
	tag := binary.LittleEndian.Uint16(c[0:2])
	channels := int(binary.LittleEndian.Uint16(c[2:4]))
	rate := binary.LittleEndian.Uint32(c[4:8])
	blockAlign := int(binary.LittleEndian.Uint16(c[12:14]))
	bits := int(binary.LittleEndian.Uint16(c[14:16]))

	switch tag {
	case wavFormatPCM:
	case wavFormatExtensible:
		// WAVE_FORMAT_EXTENSIBLE: cbSize(2) validBits(2) channelMask(4)
		// subFormat GUID(16), whose first two bytes are the real tag.
		if len(c) < 40 {
			return wavFormat{}, malformed(name, part, "extensible format with size %d, need 40", len(c))
		}
		if sub := binary.LittleEndian.Uint16(c[24:26]); sub != wavFormatPCM {
			return wavFormat{}, unsupported(name, part, "extensible sub-format 0x%04x is not integer PCM", sub)
		}
	default:
		return wavFormat{}, unsupported(name, part, "format 0x%04x is not integer PCM", tag)
	}
	if bits != 16 {
		return wavFormat{}, unsupported(name, part, "%d-bit samples not supported", bits)
	}
	if channels < 1 || channels > 2 {
		return wavFormat{}, unsupported(name, part, "%d channels not supported (only 1 or 2)", channels)
	}
	if rate < minSampleRate || rate > maxSampleRate {
		return wavFormat{}, unsupported(name, part, "sample rate %d Hz not supported (%d to %d)", rate, minSampleRate, maxSampleRate)
	}
	if want := channels * 2; blockAlign != want {
		return wavFormat{}, malformed(name, part, "block align %d, want %d for %d channel(s) of 16 bits", blockAlign, want, channels)
	}
	return wavFormat{channels: channels, sampleRate: int(rate)}, nil
}

func convert(name string, f wavFormat, samples []byte) (PCM, error) {
	const part = "data chunk"
	inFrame := f.channels * 2
	n := len(samples) / inFrame // a trailing partial frame is dropped
	if n == 0 {
		return nil, malformed(name, part, "no complete sample frames (%d bytes)", len(samples))
	}
	if time.Duration(n)*time.Second/time.Duration(f.sampleRate) > MaxDuration {
		return nil, unsupported(name, part, "%d frames at %d Hz is longer than %v", n, f.sampleRate, MaxDuration)
	}
	sample := func(i, ch int) int64 {
		if f.channels == 1 {
			ch = 0
		}
		o := i*inFrame + ch*2
		return int64(int16(binary.LittleEndian.Uint16(samples[o:])))
	}

	if f.sampleRate == SampleRate {
		out := make(PCM, n*bytesPerFrame)
		for i := 0; i < n; i++ {
			binary.LittleEndian.PutUint16(out[i*4:], uint16(sample(i, 0)))
			binary.LittleEndian.PutUint16(out[i*4+2:], uint16(sample(i, 1)))
		}
		return out, nil
	}

	// Linear interpolation: output frame j sits at input position
	// j*rate/SampleRate, kept exact as whole part idx plus frac/SampleRate.
	rate := int64(f.sampleRate)
	m := int((int64(n)*SampleRate + rate/2) / rate)
	if m < 1 {
		m = 1
	}
	out := make(PCM, m*bytesPerFrame)
	for j := 0; j < m; j++ {
		pos := int64(j) * rate
		idx := int(pos / SampleRate)
		frac := pos % SampleRate
		if idx >= n-1 {
			idx, frac = n-1, 0
		}
		for ch := 0; ch < Channels; ch++ {
			a := sample(idx, ch)
			v := a
			if frac != 0 {
				v = a + (sample(idx+1, ch)-a)*frac/SampleRate
			}
			binary.LittleEndian.PutUint16(out[j*4+ch*2:], uint16(int16(v)))
		}
	}
	return out, nil
}
