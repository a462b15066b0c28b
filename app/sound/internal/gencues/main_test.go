package main

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

const assetsDir = "../../../../assets/sounds"

func samplesOf(t *testing.T, wav []byte) []int16 {
	t.Helper()
	if len(wav) < 44 || string(wav[36:40]) != "data" {
		t.Fatalf("not a canonical WAV")
	}
	s := make([]int16, (len(wav)-44)/2)
	if err := binary.Read(bytes.NewReader(wav[44:]), binary.LittleEndian, s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestGenerateIsDeterministic(t *testing.T) {
	a, b := generate(), generate()
	if len(a) != 4 {
		t.Fatalf("got %d cues, want 4", len(a))
	}
	for name := range a {
		if !bytes.Equal(a[name], b[name]) {
			t.Errorf("%s differs between runs", name)
		}
	}
}

// The committed files must be what the generator writes (on amd64 byte for
// byte; elsewhere floating-point details may move a sample by one step).
func TestCommittedFilesMatchGenerator(t *testing.T) {
	for name, want := range generate() {
		got, err := os.ReadFile(filepath.Join(assetsDir, name))
		if err != nil {
			t.Fatalf("%v (run go generate ./app/sound)", err)
		}
		if runtime.GOARCH == "amd64" {
			if !bytes.Equal(got, want) {
				t.Errorf("%s is stale: run go generate ./app/sound", name)
			}
			continue
		}
		if len(got) != len(want) || !bytes.Equal(got[:44], want[:44]) {
			t.Errorf("%s: header or length differs from the generator", name)
			continue
		}
		gs, ws := samplesOf(t, got), samplesOf(t, want)
		for i := range gs {
			if d := int(gs[i]) - int(ws[i]); d < -1 || d > 1 {
				t.Errorf("%s: sample %d is %d, generator gives %d", name, i, gs[i], ws[i])
				break
			}
		}
	}
}

func TestRunWritesFiles(t *testing.T) {
	dir := t.TempDir()
	if err := run(dir); err != nil {
		t.Fatal(err)
	}
	for name, want := range generate() {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s written differently from generate()", name)
		}
	}
}

// power returns the Goertzel power of freq in s.
func power(s []int16, freq float64) float64 {
	w := 2 * math.Pi * freq / sampleRate
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, x := range s {
		s0 := float64(x) + c*s1 - s2
		s2, s1 = s1, s0
	}
	return s1*s1 + s2*s2 - c*s1*s2
}

func TestCueShapes(t *testing.T) {
	files := generate()
	tests := []struct {
		name     string
		dominant float64   // strongest of the candidates below
		others   []float64 // frequencies of the other cues
		pulses   int       // separate sounding segments
	}{
		{"cue-point.wav", 1320, []float64{660, 554, 440}, 1},
		{"cue-warning.wav", 660, []float64{1320, 554, 440}, 2},
		{"cue-danger.wav", 554, []float64{880, 660, 440}, 3},
		{"cue-overtime.wav", 440, []float64{1100, 660, 554}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wav := files[tc.name]
			if len(wav) > 60*1024 {
				t.Errorf("file is %d bytes, want at most 60 KiB", len(wav))
			}
			if h := wav[20:36]; !bytes.Equal(h, []byte{1, 0, 1, 0, 0x80, 0xbb, 0, 0, 0, 0x77, 1, 0, 2, 0, 16, 0}) {
				t.Errorf("fmt chunk = % x, want PCM mono 48000 Hz 16-bit", h)
			}
			s := samplesOf(t, wav)
			if d := float64(len(s)) / sampleRate; d > 0.6 || d < 0.2 {
				t.Errorf("duration %.3f s, want 0.2..0.6", d)
			}
			// Fades: silent at both ends, no clipping anywhere.
			if s[0] != 0 || s[len(s)-1] != 0 {
				t.Errorf("first/last sample = %d/%d, want 0 (faded)", s[0], s[len(s)-1])
			}
			for i := 1; i < len(s); i++ {
				if s[i] == math.MaxInt16 || s[i] == math.MinInt16 {
					t.Fatalf("sample %d clips", i)
				}
				// A click would be a large jump between neighbours at a
				// note's edge; tones at these levels stay well below.
				if d := int(s[i]) - int(s[i-1]); d > 8000 || d < -8000 {
					t.Fatalf("jump of %d at sample %d", d, i)
				}
			}
			p := power(s, tc.dominant)
			for _, f := range tc.others {
				if q := power(s, f); q*4 > p {
					t.Errorf("power at %v Hz (%.3g) not well below %v Hz (%.3g)", f, q, tc.dominant, p)
				}
			}
			// Count sounding segments: runs of 10 ms windows above a level,
			// separated by at least one quiet window.
			const win = sampleRate / 100
			pulses, on := 0, false
			for i := 0; i+win <= len(s); i += win {
				peak := 0
				for _, x := range s[i : i+win] {
					if a := int(x); a > peak {
						peak = a
					} else if -a > peak {
						peak = -a
					}
				}
				loud := peak > 1000
				if loud && !on {
					pulses++
				}
				on = loud
			}
			if pulses != tc.pulses {
				t.Errorf("%d pulses, want %d", pulses, tc.pulses)
			}
		})
	}
}
