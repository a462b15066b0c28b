// Package sound plays the desk's short audio cues (next selling point,
// segment ending, overtime) through the machine's audio output.
//
// There is one audio context per process. When the machine has no audio
// device the player logs that once and turns every Play into a no-op, so the
// desk goes on with its visual cues only.
package sound

//go:generate go run ./internal/gencues -out ../../assets/sounds

import (
	"fmt"
	"sort"
	"sync"
)

// Names of the cues in assets/sounds, as used with Play when the cue map
// comes from LoadCues.
const (
	CuePoint    = "cue-point.wav"    // move on to the next selling point
	CueWarning  = "cue-warning.wav"  // the segment ends soon
	CueDanger   = "cue-danger.wav"   // the segment is about to end
	CueOvertime = "cue-overtime.wav" // the segment ran over
)

// output is where a Player sends PCM. The real one is backed by oto; tests
// inject a fake.
type output interface {
	// Start begins playing pcm (in the player's format) and returns at once.
	// An error means the device is unusable from now on.
	Start(pcm PCM) (voice, error)
	// Close stops all sound from this output.
	Close()
}

// voice is one cue being played by an output.
type voice interface {
	// Stop silences the cue; stopping a cue that already ended is harmless.
	Stop()
}

// openFunc opens an output. It may take a while (the audio device is
// probed), so a Player calls it in the background.
type openFunc func() (output, error)

type state int

const (
	stateOpening  state = iota // output being opened; Play remembers the latest cue
	stateReady                 // output open
	stateDisabled              // no usable audio device; Play does nothing
	stateClosed                // Close was called
)

// maxUnknownLogged bounds the set of unknown cue names remembered so that
// each is logged once.
const maxUnknownLogged = 64

// Player plays named cues. Its methods may be called from any goroutine and
// never block on the audio device. A new cue preempts one still playing.
type Player struct {
	logf   func(format string, args ...any)
	cues   map[string]PCM
	opened chan struct{} // closed once the output was opened or given up on

	mu      sync.Mutex
	state   state
	out     output
	cur     voice  // the cue last started, possibly still playing
	pending string // cue asked for while the output was still opening
	unknown map[string]bool
}

// New parses every cue (name → WAV file bytes; see ParseWAV) and returns a
// Player for them. A cue that does not parse is an error naming it. The
// audio device is opened in the background: until it is ready, Available
// reports false and the latest cue asked for is played once it is. If there
// is no usable device, New's logf gets one line saying so and the Player
// stays silent. logf may be nil.
func New(logf func(format string, args ...any), cues map[string][]byte) (*Player, error) {
	return newWithOutput(logf, cues, openOto)
}

func newWithOutput(logf func(format string, args ...any), cues map[string][]byte, open openFunc) (*Player, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	p := &Player{
		logf:    logf,
		cues:    make(map[string]PCM, len(cues)),
		opened:  make(chan struct{}),
		unknown: make(map[string]bool),
	}
	names := make([]string, 0, len(cues))
	for name := range cues {
		names = append(names, name)
	}
	sort.Strings(names) // report the same bad cue every time
	for _, name := range names {
		pcm, err := ParseWAV(name, cues[name])
		if err != nil {
			return nil, fmt.Errorf("sound: %w", err) // the error names the cue
		}
		p.cues[name] = pcm
	}
	go p.open(open)
	return p, nil
}

func (p *Player) open(open openFunc) {
	defer close(p.opened)
	out, err := open()

	p.mu.Lock()
	if p.state == stateClosed {
		p.mu.Unlock()
		if out != nil {
			out.Close()
		}
		return
	}
	if err != nil || out == nil {
		if err == nil {
			err = fmt.Errorf("no output")
		}
		p.state = stateDisabled
		p.pending = ""
		p.mu.Unlock()
		p.logNoDevice(err)
		return
	}
	p.out = out
	p.state = stateReady
	name := p.pending
	p.pending = ""
	var failed error
	if name != "" {
		failed = p.startLocked(p.cues[name])
	}
	p.mu.Unlock()
	if failed != nil {
		p.logNoDevice(failed)
	}
}

func (p *Player) logNoDevice(err error) {
	p.logf("sound: no audio device (%v); visual cues only", err)
}

// Play starts the cue called name, stopping any cue still playing. It
// returns at once. An unknown name is logged the first time it is seen.
// Without an audio device, or after Close, Play does nothing.
func (p *Player) Play(name string) {
	if p == nil {
		return
	}
	pcm, known := p.cues[name]

	p.mu.Lock()
	if p.state == stateDisabled || p.state == stateClosed {
		p.mu.Unlock()
		return
	}
	if !known {
		first := !p.unknown[name] && len(p.unknown) < maxUnknownLogged
		if first {
			p.unknown[name] = true
		}
		p.mu.Unlock()
		if first {
			p.logf("sound: unknown cue %q", name)
		}
		return
	}
	if p.state == stateOpening {
		p.pending = name
		p.mu.Unlock()
		return
	}
	err := p.startLocked(pcm)
	p.mu.Unlock()
	if err != nil {
		p.logNoDevice(err)
	}
}

// startLocked preempts the current cue and starts pcm. On an output error
// it disables the player and returns the error, which the caller logs
// after unlocking; only the call that disables the player gets an error.
func (p *Player) startLocked(pcm PCM) error {
	if p.cur != nil {
		p.cur.Stop()
		p.cur = nil
	}
	v, err := p.out.Start(pcm)
	if err != nil {
		p.state = stateDisabled
		p.out.Close()
		p.out = nil
		return err
	}
	p.cur = v
	return nil
}

// Available reports whether cues are being heard: the audio device is open
// and usable and Close has not been called. It is false while the device is
// still being opened.
func (p *Player) Available() bool {
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state == stateReady
}

// Close stops any cue and makes later Play calls no-ops. The process-wide
// audio context itself stays open (it cannot be reopened). Close is
// idempotent.
func (p *Player) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == stateClosed {
		return
	}
	p.state = stateClosed
	p.pending = ""
	if p.cur != nil {
		p.cur.Stop()
		p.cur = nil
	}
	if p.out != nil {
		p.out.Close()
		p.out = nil
	}
}
