package sound

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

// chunk is one RIFF chunk for building test files.
type chunk struct {
	id   string
	data []byte
}

func le16(v ...int) []byte {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(int16(x)))
	}
	return b
}

func fmtChunk(tag, channels, rate, bits int) chunk {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint16(b[0:], uint16(tag))
	binary.LittleEndian.PutUint16(b[2:], uint16(channels))
	binary.LittleEndian.PutUint32(b[4:], uint32(rate))
	binary.LittleEndian.PutUint32(b[8:], uint32(rate*channels*bits/8))
	binary.LittleEndian.PutUint16(b[12:], uint16(channels*bits/8))
	binary.LittleEndian.PutUint16(b[14:], uint16(bits))
	return chunk{"fmt ", b}
}

// riff assembles chunks into a RIFF/WAVE file, padding odd chunks.
func riff(chunks ...chunk) []byte {
	var body bytes.Buffer
	body.WriteString("WAVE")
	for _, c := range chunks {
		body.WriteString(c.id)
		_ = binary.Write(&body, binary.LittleEndian, uint32(len(c.data)))
		body.Write(c.data)
		if len(c.data)%2 == 1 {
			body.WriteByte(0)
		}
	}
	out := []byte("RIFF")
	out = binary.LittleEndian.AppendUint32(out, uint32(body.Len()))
	return append(out, body.Bytes()...)
}

func wav(channels, rate int, samples ...int) []byte {
	return riff(fmtChunk(1, channels, rate, 16), chunk{"data", le16(samples...)})
}

// frames decodes p into [left, right] pairs.
func frames(p PCM) [][2]int {
	out := make([][2]int, p.Frames())
	for i := range out {
		out[i][0] = int(int16(binary.LittleEndian.Uint16(p[i*4:])))
		out[i][1] = int(int16(binary.LittleEndian.Uint16(p[i*4+2:])))
	}
	return out
}

func mustParse(t *testing.T, data []byte) PCM {
	t.Helper()
	p, err := ParseWAV("t.wav", data)
	if err != nil {
		t.Fatalf("ParseWAV: %v", err)
	}
	return p
}

func equalFrames(t *testing.T, got PCM, want [][2]int) {
	t.Helper()
	g := frames(got)
	if len(got)%4 != 0 || len(g) != len(want) {
		t.Fatalf("got %d bytes (%d frames), want %d frames", len(got), len(g), len(want))
	}
	for i := range want {
		if g[i] != want[i] {
			t.Fatalf("frame %d = %v, want %v (all: %v)", i, g[i], want[i], g)
		}
	}
}

func TestParseWAVStereo48kIsCopied(t *testing.T) {
	p := mustParse(t, wav(2, 48000, 1, -1, 32767, -32768, 0, 5))
	equalFrames(t, p, [][2]int{{1, -1}, {32767, -32768}, {0, 5}})
}

func TestParseWAVMonoIsDuplicated(t *testing.T) {
	p := mustParse(t, wav(1, 48000, 100, -200, 300))
	equalFrames(t, p, [][2]int{{100, 100}, {-200, -200}, {300, 300}})
}

func TestParseWAVUpsamplesByLinearInterpolation(t *testing.T) {
	p := mustParse(t, wav(1, 24000, 0, 1000, -1000))
	equalFrames(t, p, [][2]int{{0, 0}, {500, 500}, {1000, 1000}, {0, 0}, {-1000, -1000}, {-1000, -1000}})
}

func TestParseWAVDownsamples(t *testing.T) {
	p := mustParse(t, wav(2, 96000, 1, 2, 3, 4, 5, 6, 7, 8))
	equalFrames(t, p, [][2]int{{1, 2}, {5, 6}})
}

func TestParseWAV44100Length(t *testing.T) {
	in := make([]int, 44100) // one second of silence with a ramp
	for i := range in {
		in[i] = i % 30000
	}
	p := mustParse(t, wav(1, 44100, in...))
	if p.Frames() != 48000 {
		t.Errorf("frames = %d, want 48000", p.Frames())
	}
	if d := p.Duration().Seconds(); d != 1 {
		t.Errorf("duration = %v, want 1s", p.Duration())
	}
	f := frames(p)
	// Output frame 48 sits at input position 44.1: between 44 and 45.
	if f[48][0] != 44 || f[48][1] != 44 {
		t.Errorf("frame 48 = %v, want {44 44}", f[48])
	}
}

func TestParseWAVSkipsUnknownChunksAndPadding(t *testing.T) {
	data := riff(
		chunk{"LIST", []byte("INFOISFT\x05\x00\x00\x00abcde")},
		fmtChunk(1, 1, 48000, 16),
		chunk{"junk", []byte{1, 2, 3}}, // odd: padded
		chunk{"data", le16(7, 8)},
		chunk{"cue ", make([]byte, 8)},
	)
	equalFrames(t, mustParse(t, data), [][2]int{{7, 7}, {8, 8}})
}

func TestParseWAVHonoursShorterRIFFSizeAndDropsPartialFrame(t *testing.T) {
	data := wav(2, 48000, 1, 2, 3, 4)
	data = append(data, "trailing garbage"...)
	// Data chunk claims 10 bytes: two frames and half of a third.
	withPartial := riff(fmtChunk(1, 2, 48000, 16), chunk{"data", append(le16(1, 2, 3, 4), 9, 9)})
	equalFrames(t, mustParse(t, data), [][2]int{{1, 2}, {3, 4}})
	equalFrames(t, mustParse(t, withPartial), [][2]int{{1, 2}, {3, 4}})
}

func TestParseWAVExtensible(t *testing.T) {
	f := fmtChunk(0xFFFE, 2, 48000, 16)
	ext := make([]byte, 24)
	binary.LittleEndian.PutUint16(ext[0:], 22) // cbSize
	binary.LittleEndian.PutUint16(ext[2:], 16) // valid bits
	binary.LittleEndian.PutUint32(ext[4:], 3)  // front left, right
	binary.LittleEndian.PutUint16(ext[8:], 1)  // sub-format: PCM
	f.data = append(f.data, ext...)
	equalFrames(t, mustParse(t, riff(f, chunk{"data", le16(1, 2)})), [][2]int{{1, 2}})

	binary.LittleEndian.PutUint16(f.data[24:], 3) // IEEE float
	_, err := ParseWAV("x.wav", riff(f, chunk{"data", le16(1, 2)}))
	if err == nil || err.Error() != "x.wav: fmt chunk: extensible sub-format 0x0003 is not integer PCM" {
		t.Errorf("err = %v", err)
	}
}

func TestParseWAVErrors(t *testing.T) {
	data := le16(1, 2)
	tests := []struct {
		name string
		in   []byte
		want string
		kind error
	}{
		{"empty", nil, "cue-point.wav: RIFF header: file is 0 bytes, too short for a RIFF header", ErrMalformed},
		{"not riff", []byte("OggS0000WAVEfmt "), `cue-point.wav: RIFF header: not a RIFF file (starts with "OggS")`, ErrMalformed},
		{"not wave", []byte("RIFF\x04\x00\x00\x00AVI "), `cue-point.wav: RIFF header: RIFF form is "AVI ", not "WAVE"`, ErrMalformed},
		{"24-bit", riff(fmtChunk(1, 1, 48000, 24), chunk{"data", data}), "cue-point.wav: fmt chunk: 24-bit samples not supported", ErrUnsupported},
		{"float", riff(fmtChunk(3, 1, 48000, 32), chunk{"data", data}), "cue-point.wav: fmt chunk: format 0x0003 is not integer PCM", ErrUnsupported},
		{"6 channels", riff(fmtChunk(1, 6, 48000, 16), chunk{"data", data}), "cue-point.wav: fmt chunk: 6 channels not supported (only 1 or 2)", ErrUnsupported},
		{"0 channels", riff(fmtChunk(1, 0, 48000, 16), chunk{"data", data}), "cue-point.wav: fmt chunk: 0 channels not supported (only 1 or 2)", ErrUnsupported},
		{"rate 0", riff(fmtChunk(1, 1, 0, 16), chunk{"data", data}), "cue-point.wav: fmt chunk: sample rate 0 Hz not supported (1000 to 768000)", ErrUnsupported},
		{"short fmt", riff(chunk{"fmt ", make([]byte, 14)}, chunk{"data", data}), "cue-point.wav: fmt chunk: size 14, need at least 16", ErrMalformed},
		{"no fmt", riff(chunk{"LIST", nil}), "cue-point.wav: fmt chunk: missing", ErrMalformed},
		{"no data", riff(fmtChunk(1, 1, 48000, 16)), "cue-point.wav: data chunk: missing", ErrMalformed},
		{"data first", riff(chunk{"data", data}, fmtChunk(1, 1, 48000, 16)), "cue-point.wav: data chunk: data chunk comes before the fmt chunk", ErrMalformed},
		{"two fmt", riff(fmtChunk(1, 1, 48000, 16), fmtChunk(1, 1, 48000, 16), chunk{"data", data}), "cue-point.wav: fmt chunk: more than one fmt chunk", ErrMalformed},
		{"empty data", riff(fmtChunk(1, 2, 48000, 16), chunk{"data", []byte{1, 2}}), "cue-point.wav: data chunk: no complete sample frames (2 bytes)", ErrMalformed},
		{"truncated data", wav(1, 48000, 1, 2, 3)[:48], "cue-point.wav: data chunk: size 6 exceeds the 4 bytes left in the file", ErrMalformed},
		{"stray bytes", func() []byte {
			d := append(wav(1, 48000, 1), 'x', 'y')
			binary.LittleEndian.PutUint32(d[4:], uint32(len(d)-8))
			return d
		}(), "cue-point.wav: chunk header: 2 stray bytes at offset 46, too few for a chunk header", ErrMalformed},
		{"bad align", func() []byte {
			f := fmtChunk(1, 2, 48000, 16)
			f.data[12] = 2
			return riff(f, chunk{"data", data})
		}(), "cue-point.wav: fmt chunk: block align 2, want 4 for 2 channel(s) of 16 bits", ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseWAV("cue-point.wav", tc.in)
			if err == nil {
				t.Fatalf("no error, got %d bytes", len(p))
			}
			if err.Error() != tc.want {
				t.Errorf("error\n got %q\nwant %q", err, tc.want)
			}
			if !errors.Is(err, tc.kind) {
				t.Errorf("errors.Is(err, %v) is false", tc.kind)
			}
			var fe *FormatError
			if !errors.As(err, &fe) || fe.File != "cue-point.wav" {
				t.Errorf("not a *FormatError naming the file: %#v", err)
			}
		})
	}
}

func TestParseWAVTooLong(t *testing.T) {
	// 61 s at 1 kHz mono.
	_, err := ParseWAV("long.wav", wav(1, 1000, make([]int, 61000)...))
	if err == nil || !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "longer than 1m0s") {
		t.Errorf("err = %v", err)
	}
}

func TestShippedCues(t *testing.T) {
	cues, err := LoadCues(os.DirFS("../../assets/sounds"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{CuePoint, CueWarning, CueDanger, CueOvertime} {
		data, ok := cues[name]
		if !ok {
			t.Errorf("%s missing from assets/sounds", name)
			continue
		}
		p, err := ParseWAV(name, data)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if d := p.Duration().Seconds(); d <= 0.2 || d > 0.6 {
			t.Errorf("%s lasts %v, want at most 0.6 s", name, p.Duration())
		}
	}
	if len(cues) != 4 {
		t.Errorf("LoadCues found %d files, want 4", len(cues))
	}
	// The cues must differ from one another.
	seen := map[string]string{}
	for name, data := range cues {
		if other, dup := seen[string(data)]; dup {
			t.Errorf("%s and %s are identical", name, other)
		}
		seen[string(data)] = name
	}
}

func FuzzParseWAV(f *testing.F) {
	f.Add(wav(1, 48000, 1, 2, 3))
	f.Add(wav(2, 44100, 1, 2, 3, 4, 5, 6))
	f.Add(wav(1, 1000, 32767, -32768))
	f.Add(riff(chunk{"LIST", []byte("abc")}, fmtChunk(1, 2, 22050, 16), chunk{"data", le16(1, 2, 3)}))
	f.Add(riff(fmtChunk(0xFFFE, 1, 8000, 16), chunk{"data", le16(1)}))
	f.Add([]byte("RIFF\xff\xff\xff\xffWAVE"))
	if b, err := os.ReadFile("../../assets/sounds/cue-warning.wav"); err == nil {
		f.Add(b[:200])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseWAV("fuzz.wav", data)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), "fuzz.wav: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("error is neither malformed nor unsupported: %v", err)
			}
			if p != nil {
				t.Fatalf("error with %d bytes of PCM", len(p))
			}
			return
		}
		if len(p) == 0 || len(p)%4 != 0 {
			t.Fatalf("PCM of %d bytes is not whole stereo frames", len(p))
		}
		if p.Duration() > MaxDuration+time.Millisecond {
			t.Fatalf("PCM lasts %v", p.Duration())
		}
	})
}
