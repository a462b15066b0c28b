package sound

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

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

// fakeOutput records the PCM it is asked to play. With failErr set, Start
// fails like a device that went away.
type fakeOutput struct {
	mu      sync.Mutex
	voices  []*fakeVoice
	starts  int
	closed  int
	failErr error
}

func (o *fakeOutput) Start(pcm PCM) (voice, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.starts++
	if o.failErr != nil {
		return nil, o.failErr
	}
	v := &fakeVoice{pcm: pcm}
	o.voices = append(o.voices, v)
	return v, nil
}

func (o *fakeOutput) Close() {
	o.mu.Lock()
	o.closed++
	o.mu.Unlock()
}

func (o *fakeOutput) played() []*fakeVoice {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]*fakeVoice(nil), o.voices...)
}

func (o *fakeOutput) counts() (starts, closed int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.starts, o.closed
}

var testCues = map[string][]byte{
	"a.wav": wav(1, 48000, 1, 2, 3, 4),
	"b.wav": wav(2, 48000, -5, 5, -6, 6),
	"c.wav": wav(1, 24000, 100, 200),
}

func parsed(t *testing.T, name string) PCM {
	t.Helper()
	p, err := ParseWAV(name, testCues[name])
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func waitOpened(t *testing.T, p *Player) {
	t.Helper()
	select {
	case <-p.opened:
	case <-time.After(5 * time.Second):
		t.Fatal("output never opened")
	}
}

func newFake(t *testing.T, out *fakeOutput, openErr error) (*Player, *logRec) {
	t.Helper()
	logs := &logRec{}
	p, err := newWithOutput(logs.logf, testCues, func() (output, error) {
		if openErr != nil {
			return nil, openErr
		}
		return out, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	waitOpened(t, p)
	return p, logs
}

func TestPlaySendsTheCuePCM(t *testing.T) {
	out := &fakeOutput{}
	p, logs := newFake(t, out, nil)
	if !p.Available() {
		t.Fatal("Available() = false with a working output")
	}
	p.Play("b.wav")
	p.Play("c.wav")
	v := out.played()
	if len(v) != 2 {
		t.Fatalf("%d cues played, want 2", len(v))
	}
	if !bytes.Equal(v[0].pcm, parsed(t, "b.wav")) || !bytes.Equal(v[1].pcm, parsed(t, "c.wav")) {
		t.Errorf("played PCM is not b.wav then c.wav")
	}
	if l := logs.get(); len(l) != 0 {
		t.Errorf("unexpected log: %q", l)
	}
}

func TestNewCuePreemptsPlayingOne(t *testing.T) {
	out := &fakeOutput{}
	p, _ := newFake(t, out, nil)
	p.Play("a.wav")
	p.Play("b.wav")
	p.Play("a.wav")
	v := out.played()
	if len(v) != 3 {
		t.Fatalf("%d cues played, want 3", len(v))
	}
	if !v[0].isStopped() || !v[1].isStopped() {
		t.Error("earlier cues were not stopped when a new one started")
	}
	if v[2].isStopped() {
		t.Error("the newest cue was stopped")
	}
	p.Close()
	if !v[2].isStopped() {
		t.Error("Close did not stop the playing cue")
	}
	if _, closed := out.counts(); closed != 1 {
		t.Errorf("output closed %d times, want 1", closed)
	}
}

func TestPlayWhileOpeningPlaysLatestWhenReady(t *testing.T) {
	out := &fakeOutput{}
	gate := make(chan struct{})
	p, err := newWithOutput(nil, testCues, func() (output, error) {
		<-gate
		return out, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	start := time.Now()
	p.Play("a.wav")
	p.Play("b.wav")
	if d := time.Since(start); d > time.Second {
		t.Errorf("Play blocked %v while the device was opening", d)
	}
	if p.Available() {
		t.Error("Available() = true before the output opened")
	}
	close(gate)
	waitOpened(t, p)
	v := out.played()
	if len(v) != 1 || !bytes.Equal(v[0].pcm, parsed(t, "b.wav")) {
		t.Fatalf("after opening played %d cues, want only the latest (b.wav)", len(v))
	}
	if !p.Available() {
		t.Error("Available() = false after the output opened")
	}
}

func TestUnknownCueLoggedOncePerName(t *testing.T) {
	out := &fakeOutput{}
	p, logs := newFake(t, out, nil)
	for range 3 {
		p.Play("nope.wav")
		p.Play("")
	}
	l := logs.get()
	if len(l) != 2 || l[0] != `sound: unknown cue "nope.wav"` || l[1] != `sound: unknown cue ""` {
		t.Errorf("log = %q", l)
	}
	if len(out.played()) != 0 {
		t.Error("an unknown cue reached the output")
	}
}

func TestNoDeviceLogsOnceAndDisables(t *testing.T) {
	gate := make(chan struct{})
	logs := &logRec{}
	p, err := newWithOutput(logs.logf, testCues, func() (output, error) {
		<-gate
		return nil, errors.New("oto: initialization failed: PulseAudio: no server; ALSA: no card")
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			for range 50 {
				p.Play([]string{"a.wav", "b.wav"}[i%2])
			}
		})
	}
	close(gate)
	wg.Wait()
	waitOpened(t, p)

	start := time.Now()
	for range 10000 {
		p.Play("a.wav")
		p.Play("missing.wav")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("20000 Play calls without a device took %v", d)
	}
	l := logs.get()
	if len(l) != 1 {
		t.Fatalf("log has %d lines, want 1: %q", len(l), l)
	}
	want := "sound: no audio device (oto: initialization failed: PulseAudio: no server; ALSA: no card); visual cues only"
	if l[0] != want {
		t.Errorf("log = %q, want %q", l[0], want)
	}
	if p.Available() {
		t.Error("Available() = true without a device")
	}
}

func TestOutputFailureLogsOnceAndDisables(t *testing.T) {
	out := &fakeOutput{failErr: errors.New("device unplugged")}
	p, logs := newFake(t, out, nil)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			for range 100 {
				p.Play("a.wav")
			}
		})
	}
	wg.Wait()
	starts, closed := out.counts()
	if starts != 1 || closed != 1 {
		t.Errorf("output started %d and closed %d times, want 1 and 1", starts, closed)
	}
	l := logs.get()
	if len(l) != 1 || l[0] != "sound: no audio device (device unplugged); visual cues only" {
		t.Errorf("log = %q", l)
	}
	if p.Available() {
		t.Error("Available() = true after the output failed")
	}
}

func TestConcurrentPlayKeepsOneCueSounding(t *testing.T) {
	out := &fakeOutput{}
	p, _ := newFake(t, out, nil)
	names := []string{"a.wav", "b.wav", "c.wav"}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			for j := range 200 {
				p.Play(names[(i+j)%3])
				_ = p.Available()
			}
		})
	}
	wg.Wait()
	v := out.played()
	if len(v) != 16*200 {
		t.Fatalf("%d cues played, want %d", len(v), 16*200)
	}
	sounding := 0
	for _, x := range v {
		if !x.isStopped() {
			sounding++
		}
	}
	if sounding != 1 {
		t.Errorf("%d cues still sounding, want 1", sounding)
	}
}

func TestCloseMakesPlayNoOp(t *testing.T) {
	out := &fakeOutput{}
	p, logs := newFake(t, out, nil)
	p.Close()
	p.Close()
	p.Play("a.wav")
	p.Play("unknown.wav")
	if len(out.played()) != 0 || len(logs.get()) != 0 {
		t.Error("Play after Close reached the output or the log")
	}
	if p.Available() {
		t.Error("Available() = true after Close")
	}
}

func TestCloseWhileOpeningClosesOutputLater(t *testing.T) {
	out := &fakeOutput{}
	gate := make(chan struct{})
	p, err := newWithOutput(nil, testCues, func() (output, error) {
		<-gate
		return out, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	p.Play("a.wav")
	p.Close()
	close(gate)
	waitOpened(t, p)
	if starts, closed := out.counts(); starts != 0 || closed != 1 {
		t.Errorf("output started %d and closed %d times, want 0 and 1", starts, closed)
	}
}

func TestNewRejectsBadCue(t *testing.T) {
	cues := map[string][]byte{
		"a.wav":         testCues["a.wav"],
		"cue-point.wav": riff(fmtChunk(1, 1, 48000, 24), chunk{"data", make([]byte, 6)}),
	}
	opened := false
	p, err := newWithOutput(nil, cues, func() (output, error) {
		opened = true
		return &fakeOutput{}, nil
	})
	if err == nil {
		p.Close()
		t.Fatal("New accepted a 24-bit cue")
	}
	if got, want := err.Error(), "sound: cue-point.wav: fmt chunk: 24-bit samples not supported"; got != want {
		t.Errorf("error %q, want %q", got, want)
	}
	if !errors.Is(err, ErrUnsupported) {
		t.Error("error does not wrap ErrUnsupported")
	}
	if p != nil || opened {
		t.Error("a Player was made or the device opened despite the bad cue")
	}
}

func TestNilPlayerIsSafe(t *testing.T) {
	var p *Player
	p.Play("a.wav")
	p.Close()
	if p.Available() {
		t.Error("nil Player is available")
	}
}

// TestNewOnThisMachine opens the real audio output. On a machine without an
// audio device (as in CI) it must log exactly one line and stay silent; with
// a device it must become available. Either way Play must not block.
func TestNewOnThisMachine(t *testing.T) {
	logs := &logRec{}
	p, err := New(logs.logf, testCues)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	start := time.Now()
	p.Play("a.wav")
	waitOpened(t, p)
	p.Play("a.wav")
	p.Play("b.wav")
	if d := time.Since(start); d > readyTimeout+time.Second {
		t.Errorf("opening and playing took %v", d)
	}
	l := logs.get()
	if p.Available() {
		if len(l) != 0 {
			t.Errorf("device available but logged %q", l)
		}
		return
	}
	if len(l) != 1 || !strings.HasPrefix(l[0], "sound: no audio device (") || !strings.HasSuffix(l[0], "); visual cues only") {
		t.Errorf("log = %q, want one no-device line", l)
	}
	t.Logf("no device here: %s", l[0])
}
