// Command gencues writes the desk's cue sounds as 48 kHz 16-bit mono WAV
// files. The sounds are computed from fixed parameters only, so every run
// writes the same bytes. Run it through "go generate ./app/sound".
package main

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
)

const sampleRate = 48000

// note is one tone within a cue.
type note struct {
	start, dur float64   // seconds
	freq       float64   // fundamental, Hz
	amp        float64   // peak amplitude, 0..1
	harmonics  []float64 // relative amplitudes of harmonics 2, 3, ...
	attack     float64   // raised-cosine fade-in, seconds
	release    float64   // raised-cosine fade-out, seconds
	decay      float64   // exponential decay time constant, seconds; 0 = none
}

// cue is a whole sound: its length and its notes.
type cue struct {
	length float64
	notes  []note
}

// cues are the sounds written, by file name.
var cues = map[string]cue{
	// A soft two-note chime, rising a fifth: time for the next selling point.
	"cue-point.wav": {length: 0.50, notes: []note{
		{start: 0.00, dur: 0.20, freq: 880, amp: 0.30, harmonics: []float64{0.15}, attack: 0.006, release: 0.04, decay: 0.12},
		{start: 0.14, dur: 0.36, freq: 1320, amp: 0.30, harmonics: []float64{0.10}, attack: 0.006, release: 0.08, decay: 0.20},
	}},
	// Two even beeps at 660 Hz: the segment ends soon.
	"cue-warning.wav": {length: 0.36, notes: []note{
		{start: 0.00, dur: 0.12, freq: 660, amp: 0.40, harmonics: []float64{0, 0.08}, attack: 0.008, release: 0.015},
		{start: 0.20, dur: 0.12, freq: 660, amp: 0.40, harmonics: []float64{0, 0.08}, attack: 0.008, release: 0.015},
	}},
	// Three quick, brighter beeps at 554 Hz: the segment is about to end.
	"cue-danger.wav": {length: 0.40, notes: []note{
		{start: 0.00, dur: 0.09, freq: 554, amp: 0.40, harmonics: []float64{0.15, 0.20, 0, 0.08}, attack: 0.006, release: 0.012},
		{start: 0.14, dur: 0.09, freq: 554, amp: 0.40, harmonics: []float64{0.15, 0.20, 0, 0.08}, attack: 0.006, release: 0.012},
		{start: 0.28, dur: 0.09, freq: 554, amp: 0.40, harmonics: []float64{0.15, 0.20, 0, 0.08}, attack: 0.006, release: 0.012},
	}},
	// Three low, buzzy pulses at 440 Hz: the segment ran over.
	"cue-overtime.wav": {length: 0.56, notes: []note{
		{start: 0.00, dur: 0.15, freq: 440, amp: 0.33, harmonics: []float64{0.5, 0.33, 0.25, 0.2}, attack: 0.005, release: 0.015},
		{start: 0.20, dur: 0.15, freq: 440, amp: 0.33, harmonics: []float64{0.5, 0.33, 0.25, 0.2}, attack: 0.005, release: 0.015},
		{start: 0.40, dur: 0.15, freq: 440, amp: 0.33, harmonics: []float64{0.5, 0.33, 0.25, 0.2}, attack: 0.005, release: 0.015},
	}},
}

// ramp is a raised-cosine curve from 0 (x <= 0) to 1 (x >= 1).
func ramp(x float64) float64 {
	switch {
	case x <= 0:
		return 0
	case x >= 1:
		return 1
	}
	return 0.5 - float64(0.5*math.Cos(math.Pi*x))
}

// render returns the cue's samples. Products are converted explicitly so
// that no architecture fuses them into multiply-adds, keeping the output
// the same everywhere.
func render(c cue) []int16 {
	n := int(math.Round(c.length * sampleRate))
	out := make([]int16, n)
	const edge = 0.003 // whole-cue fade, seconds
	for i := range out {
		t := float64(i) / sampleRate
		var v float64
		for _, nt := range c.notes {
			rel := t - nt.start
			if rel < 0 || rel >= nt.dur {
				continue
			}
			env := ramp(rel/nt.attack) * ramp((nt.dur-rel)/nt.release)
			if nt.decay > 0 {
				env = float64(env * math.Exp(-rel/nt.decay))
			}
			w := math.Sin(float64(2 * math.Pi * nt.freq * rel))
			for k, h := range nt.harmonics {
				if h != 0 {
					w += float64(h * math.Sin(float64(2*math.Pi*nt.freq*float64(k+2)*rel)))
				}
			}
			v += float64(float64(nt.amp*env) * w)
		}
		v = float64(v * float64(ramp(t/edge)*ramp((c.length-t)/edge)))
		s := math.Round(float64(v * 32767))
		s = math.Max(-32768, math.Min(32767, s))
		out[i] = int16(s)
	}
	return out
}

// encodeWAV returns a canonical 44-byte-header mono 16-bit PCM WAV file.
func encodeWAV(samples []int16) []byte {
	var b bytes.Buffer
	dataLen := uint32(len(samples) * 2)
	le := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	le(36 + dataLen)
	b.WriteString("WAVE")
	b.WriteString("fmt ")
	le(uint32(16))
	le(uint16(1))              // PCM
	le(uint16(1))              // channels
	le(uint32(sampleRate))     // sample rate
	le(uint32(sampleRate * 2)) // byte rate
	le(uint16(2))              // block align
	le(uint16(16))             // bits per sample
	b.WriteString("data")
	le(dataLen)
	le(samples)
	return b.Bytes()
}

// generate returns every cue file by name.
func generate() map[string][]byte {
	files := make(map[string][]byte, len(cues))
	for name, c := range cues {
		files[name] = encodeWAV(render(c))
	}
	return files
}

func main() {
	out := flag.String("out", "assets/sounds", "directory to write the WAV files to")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gencues:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	files := generate()
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", p, err)
		}
	}
	return nil
}
