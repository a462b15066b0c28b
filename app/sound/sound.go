// Package sound plays the desk's short audio cues (next selling point,
// segment ending, overtime) through the machine's audio output.
//
// The output is treated as a device: a Player reports its state
// (connecting, ok, down with the error) for a status light, and when the
// sound server goes away it keeps re-opening the output with back-off
// until it is back. Cues that fall at the same instant are played one
// after the other, none cut off.
//
// oto allows one audio context per process, and a context whose sound
// server went away stays failed (ctx.Err() after <-ready). So the real
// output runs oto in a small helper process (this executable re-run with
// STUDIODESK_SOUND_HELPER=1, see helper.go): re-opening the output starts a
// fresh helper with a fresh context.
package sound

//go:generate go run ./internal/gencues -out ../../assets/sounds

import (
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"
)

// Names of the cues in assets/sounds, as used with Play when the cue map
// comes from LoadCues.
const (
	CuePoint    = "cue-point.wav"    // move on to the next selling point
	CueWarning  = "cue-warning.wav"  // the segment ends soon
	CueDanger   = "cue-danger.wav"   // the segment is about to end
	CueOvertime = "cue-overtime.wav" // the segment ran over
)

// output is where a Player sends PCM. The real one is a helper process
// running oto; tests inject a fake.
type output interface {
	// Start begins playing pcm (in the player's format) and returns at once.
	// An error means the output is unusable: the Player re-opens it.
	Start(pcm PCM) (voice, error)
	// Err reports a failure noticed since it was opened (the sound server
	// went away); nil while it works.
	Err() error
	// Close stops all sound from this output and releases it.
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

// Status is the state of the cue sound output, for its status light.
type Status int

// Statuses. The zero value is Connecting: the output is being opened.
const (
	Connecting Status = iota
	OK
	Down   // no usable output; the Player retries with back-off
	Closed // Close was called
)

func (s Status) String() string {
	switch s {
	case OK:
		return "ok"
	case Down:
		return "down"
	case Closed:
		return "closed"
	}
	return "connecting"
}

// State is a snapshot of the output.
type State struct {
	Status Status
	// Err is why the output is down (or the last failure while connecting).
	Err string
	// Since is when Status last changed.
	Since time.Time
	// Reconnects counts openings after the first successful one.
	Reconnects int
}

// Timing of the Player. Variables so tests can shorten them.
var (
	retryMin    = 500 * time.Millisecond // first re-open delay after a failure
	retryMax    = 15 * time.Second       // longest re-open delay
	healthEvery = time.Second            // how often an idle output is checked
	cueGap      = 60 * time.Millisecond  // silence between queued cues
	maxCueAge   = 3 * time.Second        // a queued cue older than this is dropped (stale)
)

// maxQueued bounds the cues waiting to be played; past it the oldest goes.
const maxQueued = 4

// maxUnknownLogged bounds the set of unknown cue names remembered so that
// each is logged once.
const maxUnknownLogged = 64

type queued struct {
	name string
	at   time.Time
}

// Player plays named cues. Its methods may be called from any goroutine and
// never block on the audio device. Cues are queued and played one after
// the other, each to its end.
type Player struct {
	logf   func(format string, args ...any)
	cues   map[string]PCM
	open   openFunc
	wake   chan struct{}
	done   chan struct{} // closed by Close
	exited chan struct{} // closed when the run goroutine returned

	mu      sync.Mutex
	st      State
	up      bool // has been OK once
	queue   []queued
	unknown map[string]bool
	hooks   []func(State)
	closed  bool
	outage  bool // a Down was logged and no OK since: one line per outage
}

// New parses every cue (name → WAV file bytes; see ParseWAV) and returns a
// Player for them. A cue that does not parse is an error naming it. The
// audio output is opened in the background: until it is ready, State says
// Connecting and cues wait (for at most a few seconds). If there is no
// usable output, logf gets one line saying so, State says Down and the
// Player keeps trying. logf may be nil.
func New(logf func(format string, args ...any), cues map[string][]byte) (*Player, error) {
	return newWithOutput(logf, cues, openHelper)
}

func newWithOutput(logf func(format string, args ...any), cues map[string][]byte, open openFunc) (*Player, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	p := &Player{
		logf:    logf,
		cues:    make(map[string]PCM, len(cues)),
		open:    open,
		wake:    make(chan struct{}, 1),
		done:    make(chan struct{}),
		exited:  make(chan struct{}),
		unknown: make(map[string]bool),
	}
	p.st.Since = time.Now()
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
	go p.run()
	return p, nil
}

// State is the output's current state.
func (p *Player) State() State {
	if p == nil {
		return State{Status: Down, Err: "no cue player"}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.st
}

// OnState registers fn for every state change; it runs on the Player's
// goroutine and must not block.
func (p *Player) OnState(fn func(State)) {
	if p == nil || fn == nil {
		return
	}
	p.mu.Lock()
	p.hooks = append(p.hooks, fn)
	p.mu.Unlock()
}

func (p *Player) set(s Status, err error) {
	p.mu.Lock()
	if p.closed && s != Closed {
		p.mu.Unlock()
		return
	}
	before := p.st
	if s != p.st.Status {
		p.st.Status = s
		p.st.Since = time.Now()
	}
	if s == OK {
		if p.up {
			p.st.Reconnects++
		}
		p.up = true
		p.st.Err = ""
	}
	if err != nil {
		p.st.Err = err.Error()
	}
	st := p.st
	hooks := slices.Clone(p.hooks)
	log := ""
	switch {
	case s == Down && err != nil && !p.outage:
		p.outage = true
		log = fmt.Sprintf("sound: cue sound output down (%v); visual cues go on, retrying", err)
	case s == OK && p.outage:
		p.outage = false
		log = "sound: cue sound output back"
	}
	p.mu.Unlock()
	if log != "" {
		p.logf("%s", log)
	}
	if st != before {
		for _, f := range hooks {
			f(st)
		}
	}
}

// run opens the output, plays queued cues, and re-opens the output with
// back-off whenever it fails, until Close.
func (p *Player) run() {
	defer close(p.exited)
	delay := time.Duration(0)
	for {
		if delay > 0 {
			t := time.NewTimer(delay)
			select {
			case <-p.done:
				t.Stop()
				return
			case <-t.C:
			}
		}
		p.set(Connecting, nil)
		out, err := p.open()
		if err == nil && out == nil {
			err = fmt.Errorf("no output")
		}
		select {
		case <-p.done:
			if out != nil {
				out.Close()
			}
			return
		default:
		}
		if err != nil {
			p.set(Down, err)
			delay = next(delay)
			continue
		}
		p.set(OK, nil)
		delay = 0
		err = p.serve(out)
		out.Close()
		if err == nil { // closed
			return
		}
		p.set(Down, err)
		delay = next(delay)
	}
}

func next(d time.Duration) time.Duration {
	if d == 0 {
		return retryMin
	}
	return min(2*d, retryMax)
}

// serve plays queued cues on out until it fails (the error) or the Player
// is closed (nil).
func (p *Player) serve(out output) error {
	health := time.NewTicker(healthEvery)
	defer health.Stop()
	for {
		if name, ok := p.pop(); ok {
			pcm := p.cues[name]
			v, err := out.Start(pcm)
			if err != nil {
				return fmt.Errorf("playing %s: %w", name, err)
			}
			// The next cue waits for this one to end.
			t := time.NewTimer(pcm.Duration() + cueGap)
			select {
			case <-p.done:
				t.Stop()
				v.Stop()
				return nil
			case <-t.C:
			}
			continue
		}
		select {
		case <-p.done:
			return nil
		case <-p.wake:
		case <-health.C:
			if err := out.Err(); err != nil {
				return err
			}
		}
	}
}

// pop takes the oldest queued cue that is not stale.
func (p *Player) pop() (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	for len(p.queue) > 0 {
		q := p.queue[0]
		p.queue = p.queue[1:]
		if now.Sub(q.at) <= maxCueAge {
			return q.name, true
		}
	}
	return "", false
}

// Play queues the cue called name and returns at once. Cues asked for
// together are played one after the other; the same cue already waiting
// is not queued twice. An unknown name is logged the first time it is
// seen. After Close, Play does nothing.
func (p *Player) Play(name string) {
	if p == nil {
		return
	}
	_, known := p.cues[name]
	p.mu.Lock()
	if p.closed {
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
	for _, q := range p.queue {
		if q.name == name {
			p.mu.Unlock()
			return
		}
	}
	if len(p.queue) >= maxQueued {
		p.queue = p.queue[1:]
	}
	p.queue = append(p.queue, queued{name: name, at: time.Now()})
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Available reports whether cues are being heard: the output is open and
// usable and Close has not been called.
func (p *Player) Available() bool {
	return p.State().Status == OK
}

// Close stops any cue, releases the output and makes later Play calls
// no-ops. Close is idempotent and returns at once; the output is
// released in the background.
func (p *Player) Close() {
	if p == nil {
		return
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.queue = nil
	p.mu.Unlock()
	close(p.done)
	p.set(Closed, nil)
}
