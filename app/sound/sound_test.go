package sound

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	// This test binary doubles as a fake sound helper (see
	// TestHelperProcessReconnects): STUDIODESK_SOUND_HELPER=fake.
	if os.Getenv(helperEnv) == "fake" {
		os.Exit(runHelper(os.Stdin, os.Stdout, openFakeBackend))
	}
	retryMin, retryMax, healthEvery = 10*time.Millisecond, 50*time.Millisecond, 10*time.Millisecond
	os.Exit(m.Run())
}

// logRec collects log lines.
type logRec struct {
	mu    sync.Mutex
	lines []string
}

func (l *logRec) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logRec) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

type fakeVoice struct {
	pcm     PCM
	at      time.Time
	mu      sync.Mutex
	stopped int
}

func (v *fakeVoice) Stop() {
	v.mu.Lock()
	v.stopped++
	v.mu.Unlock()
}

func (v *fakeVoice) isStopped() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.stopped > 0
}

// fakeOutput is a fake sound server connection: it records the PCM it is
// asked to play; gone makes it fail like a server that went away.
type fakeOutput struct {
	mu     sync.Mutex
	voices []*fakeVoice
	closed int
	gone   error
}

func (o *fakeOutput) Start(pcm PCM) (voice, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.gone != nil {
		return nil, o.gone
	}
	v := &fakeVoice{pcm: pcm, at: time.Now()}
	o.voices = append(o.voices, v)
	return v, nil
}

func (o *fakeOutput) Err() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.gone
}

func (o *fakeOutput) Close() {
	o.mu.Lock()
	o.closed++
	o.mu.Unlock()
}

func (o *fakeOutput) setGone(err error) {
	o.mu.Lock()
	o.gone = err
	o.mu.Unlock()
}

func (o *fakeOutput) played() []*fakeVoice {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]*fakeVoice(nil), o.voices...)
}

func (o *fakeOutput) closes() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.closed
}

// tone is n milliseconds of stereo 48 kHz audio.
func tone(ms int, v int) []byte {
	s := make([]int, 48*ms*2)
	for i := range s {
		s[i] = v
	}
	return wav(2, 48000, s...)
}

var testCues = map[string][]byte{
	"a.wav": wav(1, 48000, 1, 2, 3, 4),
	"b.wav": wav(2, 48000, -5, 5, -6, 6),
	"c.wav": wav(1, 24000, 100, 200),
	// as long as the shipped chime and warning
	CuePoint:   tone(150, 1000),
	CueWarning: tone(120, -1000),
}

func parsed(t *testing.T, name string) PCM {
	t.Helper()
	p, err := ParseWAV(name, testCues[name])
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func newFake(t *testing.T, out *fakeOutput) (*Player, *logRec) {
	t.Helper()
	logs := &logRec{}
	p, err := newWithOutput(logs.logf, testCues, func() (output, error) { return out, nil })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	waitFor(t, "output open", p.Available)
	return p, logs
}

func TestPlaySendsTheCuePCM(t *testing.T) {
	out := &fakeOutput{}
	p, logs := newFake(t, out)
	p.Play("b.wav")
	p.Play("c.wav")
	waitFor(t, "two cues", func() bool { return len(out.played()) == 2 })
	v := out.played()
	if !bytes.Equal(v[0].pcm, parsed(t, "b.wav")) || !bytes.Equal(v[1].pcm, parsed(t, "c.wav")) {
		t.Errorf("played PCM is not b.wav then c.wav")
	}
	if l := logs.get(); len(l) != 0 {
		t.Errorf("unexpected log: %q", l)
	}
}

// TestCoincidentCuesPlayInTurn: a phase change at the same instant as a
// segment warning (every full product segment of the demo show) must be
// heard as two cues, one after the other, the first not cut off.
func TestCoincidentCuesPlayInTurn(t *testing.T) {
	out := &fakeOutput{}
	p, _ := newFake(t, out)
	p.Play(CuePoint)
	p.Play(CueWarning)
	waitFor(t, "both cues", func() bool { return len(out.played()) == 2 })
	v := out.played()
	if !bytes.Equal(v[0].pcm, parsed(t, CuePoint)) || !bytes.Equal(v[1].pcm, parsed(t, CueWarning)) {
		t.Fatal("cues not played in the order asked")
	}
	if v[0].isStopped() {
		t.Fatal("the phase chime was cut off by the warning")
	}
	gap := v[1].at.Sub(v[0].at)
	if d := parsed(t, CuePoint).Duration(); gap < d {
		t.Fatalf("warning started %v after the chime, before the chime's %v ended", gap, d)
	}
	t.Logf("chime %v, warning started %v after it", parsed(t, CuePoint).Duration(), gap)
}

func TestSameCueWaitingIsNotQueuedTwice(t *testing.T) {
	out := &fakeOutput{}
	p, _ := newFake(t, out)
	p.Play(CuePoint)
	p.Play(CueWarning)
	p.Play(CueWarning)
	p.Play(CueWarning)
	time.Sleep(500 * time.Millisecond)
	if n := len(out.played()); n != 2 {
		t.Fatalf("%d cues played, want 2", n)
	}
}

// TestReconnectsWhenTheSoundServerComesBack: the output is a device: down
// while the sound server is gone (status and one log line), re-opened with
// back-off, and cues play again once it is back.
func TestReconnectsWhenTheSoundServerComesBack(t *testing.T) {
	var mu sync.Mutex
	serverUp := false
	var outs []*fakeOutput
	logs := &logRec{}
	p, err := newWithOutput(logs.logf, testCues, func() (output, error) {
		mu.Lock()
		defer mu.Unlock()
		if !serverUp {
			return nil, errors.New("pulse: connection refused")
		}
		o := &fakeOutput{}
		outs = append(outs, o)
		return o, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var states []Status
	p.OnState(func(s State) {
		mu.Lock()
		states = append(states, s.Status)
		mu.Unlock()
	})
	waitFor(t, "down", func() bool { return p.State().Status == Down })
	if st := p.State(); !strings.Contains(st.Err, "connection refused") {
		t.Fatalf("state %+v does not say why", st)
	}
	mu.Lock()
	serverUp = true
	mu.Unlock()
	waitFor(t, "ok", p.Available)

	// The server goes away while idle: noticed without a cue being played.
	mu.Lock()
	first := outs[0]
	mu.Unlock()
	first.setGone(errors.New("pulse: connection reset"))
	mu.Lock()
	serverUp = false
	mu.Unlock()
	waitFor(t, "down after the server went away", func() bool { return p.State().Status == Down })
	time.Sleep(100 * time.Millisecond) // several failed re-opens
	mu.Lock()
	serverUp = true
	mu.Unlock()
	waitFor(t, "back", p.Available)
	if st := p.State(); st.Reconnects != 1 {
		t.Fatalf("reconnects %d, want 1", st.Reconnects)
	}
	p.Play(CueWarning)
	mu.Lock()
	second := outs[len(outs)-1]
	mu.Unlock()
	waitFor(t, "cue on the re-opened output", func() bool { return len(second.played()) == 1 })
	if first.closes() != 1 {
		t.Errorf("failed output closed %d times, want 1", first.closes())
	}
	l := logs.get()
	downs := 0
	for _, s := range l {
		if strings.Contains(s, "output down") {
			downs++
		}
	}
	if downs != 2 || !strings.Contains(strings.Join(l, "\n"), "output back") {
		t.Errorf("log %q: want one line per outage (2) and a line when back", l)
	}
}

// TestStartFailureReopens: a failure found while starting a cue also
// re-opens the output.
func TestStartFailureReopens(t *testing.T) {
	n := 0
	var mu sync.Mutex
	var outs []*fakeOutput
	p, err := newWithOutput(nil, testCues, func() (output, error) {
		mu.Lock()
		defer mu.Unlock()
		n++
		o := &fakeOutput{}
		if n == 1 {
			o.gone = errors.New("stream broken")
		}
		outs = append(outs, o)
		return o, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	waitFor(t, "ok", p.Available)
	p.Play("a.wav")
	waitFor(t, "re-opened", func() bool { return p.State().Reconnects == 1 })
	p.Play("b.wav")
	waitFor(t, "cue after re-open", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(outs) == 2 && len(outs[1].played()) >= 1
	})
}

func TestStaleCuesAreDropped(t *testing.T) {
	saved := maxCueAge
	maxCueAge = 50 * time.Millisecond
	defer func() { maxCueAge = saved }()
	gate := make(chan struct{})
	out := &fakeOutput{}
	p, err := newWithOutput(nil, testCues, func() (output, error) { <-gate; return out, nil })
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	start := time.Now()
	p.Play("a.wav")
	if d := time.Since(start); d > time.Second {
		t.Errorf("Play blocked %v while the output was opening", d)
	}
	time.Sleep(100 * time.Millisecond)
	p.Play("b.wav")
	close(gate)
	waitFor(t, "a cue", func() bool { return len(out.played()) == 1 })
	time.Sleep(50 * time.Millisecond)
	if v := out.played(); len(v) != 1 || !bytes.Equal(v[0].pcm, parsed(t, "b.wav")) {
		t.Fatalf("played %d cues; want only the fresh b.wav", len(v))
	}
}

func TestUnknownCueLoggedOncePerName(t *testing.T) {
	out := &fakeOutput{}
	p, logs := newFake(t, out)
	for range 3 {
		p.Play("nope.wav")
	}
	p.Play("other.wav")
	if l := logs.get(); len(l) != 2 {
		t.Fatalf("log %q, want one line per unknown name", l)
	}
	time.Sleep(20 * time.Millisecond)
	if len(out.played()) != 0 {
		t.Fatal("unknown cue played")
	}
}

func TestCloseMakesPlayNoOp(t *testing.T) {
	out := &fakeOutput{}
	p, _ := newFake(t, out)
	p.Close()
	p.Close()
	p.Play("a.wav")
	waitFor(t, "output closed", func() bool { return out.closes() == 1 })
	if len(out.played()) != 0 || p.Available() || p.State().Status != Closed {
		t.Fatalf("after Close: played %d, state %+v", len(out.played()), p.State())
	}
}

func TestCloseWhileOpeningClosesOutputLater(t *testing.T) {
	out := &fakeOutput{}
	gate := make(chan struct{})
	p, err := newWithOutput(nil, testCues, func() (output, error) { <-gate; return out, nil })
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	close(gate)
	waitFor(t, "output closed", func() bool { return out.closes() == 1 })
	if p.Available() {
		t.Fatal("available after Close")
	}
}

func TestNewRejectsBadCue(t *testing.T) {
	cues := map[string][]byte{"good.wav": testCues["a.wav"], "bad.wav": []byte("RIFF")}
	opened := false
	p, err := newWithOutput(nil, cues, func() (output, error) { opened = true; return &fakeOutput{}, nil })
	if err == nil || p != nil || !strings.Contains(err.Error(), "bad.wav") {
		t.Fatalf("err = %v, want one naming bad.wav", err)
	}
	if opened {
		t.Fatal("output opened for a player that was refused")
	}
}

func TestNilPlayerIsSafe(t *testing.T) {
	var p *Player
	p.Play("a.wav")
	p.Close()
	if p.Available() || p.State().Status != Down {
		t.Error("nil Player is available")
	}
}

// --- the helper process ---

// fakeBackend is the fake sound server of the helper tests: it is down
// while the file named by STUDIODESK_FAKE_SOUND_DOWN exists, and writes one
// line per cue played to STUDIODESK_FAKE_SOUND_LOG.
type fakeBackend struct{}

func openFakeBackend() (backend, error) {
	if err := (fakeBackend{}).Err(); err != nil {
		return nil, err
	}
	return fakeBackend{}, nil
}

func (fakeBackend) Err() error {
	if _, err := os.Stat(os.Getenv("STUDIODESK_FAKE_SOUND_DOWN")); err == nil {
		return errors.New("fake sound server: connection refused")
	}
	return nil
}

func (fakeBackend) Play(pcm PCM) {
	f, err := os.OpenFile(os.Getenv("STUDIODESK_FAKE_SOUND_LOG"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err == nil {
		fmt.Fprintf(f, "%d\n", len(pcm))
		f.Close()
	}
}

func TestHelperProtocol(t *testing.T) {
	var be struct {
		mu     sync.Mutex
		played []int
		err    error
	}
	b := backendFunc{
		play: func(p PCM) { be.mu.Lock(); be.played = append(be.played, len(p)); be.mu.Unlock() },
		err:  func() error { be.mu.Lock(); defer be.mu.Unlock(); return be.err },
	}
	inR, inW, _ := os.Pipe()
	var out syncBuf
	done := make(chan int, 1)
	go func() { done <- runHelper(inR, &out, func() (backend, error) { return b, nil }) }()
	pcm := parsed(t, CuePoint)
	for range 2 {
		hdr := []byte{byte(len(pcm) >> 24), byte(len(pcm) >> 16), byte(len(pcm) >> 8), byte(len(pcm))}
		if _, err := inW.Write(append(hdr, pcm...)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "two cues played", func() bool { be.mu.Lock(); defer be.mu.Unlock(); return len(be.played) == 2 })
	be.mu.Lock()
	be.err = errors.New("server gone")
	be.mu.Unlock()
	select {
	case code := <-done:
		if code != 2 || out.String() != "ok\nerror: server gone\n" {
			t.Fatalf("exit %d, output %q", code, out.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("helper did not exit when its backend failed")
	}
	inW.Close()
	// refused at open
	code := runHelper(strings.NewReader(""), &out, func() (backend, error) { return nil, errors.New("no\nserver") })
	if code != 1 || !strings.HasSuffix(out.String(), "error: no server\n") {
		t.Fatalf("exit %d, output %q", code, out.String())
	}
}

type backendFunc struct {
	play func(PCM)
	err  func() error
}

func (b backendFunc) Play(p PCM) { b.play(p) }
func (b backendFunc) Err() error { return b.err() }

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestHelperProcessReconnects runs the real process output (this test
// binary re-run as the helper, with the fake sound server): the server goes
// away (the helper reports it and exits), the Player shows Down and keeps
// starting helpers until the server is back, then plays again.
func TestHelperProcessReconnects(t *testing.T) {
	dir := t.TempDir()
	down, logFile := dir+"/down", dir+"/played"
	saved := helperCommand
	defer func() { helperCommand = saved }()
	helperCommand = func() (*osExecCmd, error) {
		cmd, err := saved()
		if err != nil {
			return nil, err
		}
		cmd.Env = append(os.Environ(), helperEnv+"=fake", "STUDIODESK_FAKE_SOUND_DOWN="+down, "STUDIODESK_FAKE_SOUND_LOG="+logFile)
		return cmd, nil
	}
	p, err := newWithOutput(nil, testCues, openHelper)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	waitFor(t, "helper up", p.Available)
	played := func() int {
		b, _ := os.ReadFile(logFile)
		return strings.Count(string(b), "\n")
	}
	p.Play(CuePoint)
	waitFor(t, "cue played by the helper", func() bool { return played() == 1 })

	if err := os.WriteFile(down, nil, 0o600); err != nil { // the sound server goes away
		t.Fatal(err)
	}
	waitFor(t, "down", func() bool { return p.State().Status == Down })
	if st := p.State(); !strings.Contains(st.Err, "connection refused") {
		t.Fatalf("state %+v does not carry the helper's error", st)
	}
	time.Sleep(200 * time.Millisecond)
	if err := os.Remove(down); err != nil { // and comes back
		t.Fatal(err)
	}
	waitFor(t, "reconnected", p.Available)
	if st := p.State(); st.Reconnects != 1 {
		t.Fatalf("state %+v, want 1 reconnect", st)
	}
	p.Play(CueWarning)
	waitFor(t, "cue after the reconnect", func() bool { return played() == 2 })
}

// TestNewOnThisMachine opens the real audio output (an oto helper). On a
// machine without a sound server (as in CI) the Player reports Down with
// the reason and logs one line; with one it becomes OK. Either way Play
// must not block.
func TestNewOnThisMachine(t *testing.T) {
	logs := &logRec{}
	p, err := New(logs.logf, testCues)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	start := time.Now()
	p.Play("a.wav")
	p.Play("b.wav")
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("Play took %v", d)
	}
	waitFor(t, "the output opened or given up on", func() bool { s := p.State().Status; return s == OK || s == Down })
	st := p.State()
	if st.Status == OK {
		return
	}
	l := logs.get()
	if len(l) != 1 || !strings.HasPrefix(l[0], "sound: cue sound output down (") || st.Err == "" {
		t.Errorf("log = %q state %+v, want one down line and the reason", l, st)
	}
	t.Logf("no sound server here: %s", st.Err)
}
