package sound

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestRealPulseAudioComesBack runs the real output (an oto helper) against
// a real PulseAudio server with a null sink, kills the server, starts it
// again, and expects the Player to come back by itself. Needs pulseaudio
// (apt-get install pulseaudio); run with STUDIODESK_PULSE_TEST=1.
func TestRealPulseAudioComesBack(t *testing.T) {
	if os.Getenv("STUDIODESK_PULSE_TEST") != "1" {
		t.Skip("set STUDIODESK_PULSE_TEST=1 (needs pulseaudio) to run against a real sound server")
	}
	bin, err := exec.LookPath("pulseaudio")
	if err != nil {
		t.Fatalf("STUDIODESK_PULSE_TEST=1 but no pulseaudio: %v", err)
	}
	rt := t.TempDir()
	sock := filepath.Join(rt, "native")
	t.Setenv("PULSE_SERVER", "unix:"+sock)
	t.Setenv("XDG_RUNTIME_DIR", rt)
	start := func() *exec.Cmd {
		cmd := exec.Command(bin, "-n", "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit",
			"--use-pid-file=no", "--system=no", "-L", "module-null-sink", "-L", "module-native-protocol-unix auth-anonymous=1 socket="+sock)
		cmd.Env = append(os.Environ(), "HOME="+rt)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			if _, err := os.Stat(sock); err == nil {
				return cmd
			}
			if time.Now().After(deadline) {
				t.Fatal("pulseaudio did not open its socket")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	pa := start()
	logs := &logRec{}
	p, err := New(logs.logf, testCues)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	t0 := time.Now()
	waitFor(t, "cue sound up", p.Available)
	t.Logf("up after %v", time.Since(t0))
	p.Play(CuePoint)
	p.Play(CueWarning)
	time.Sleep(500 * time.Millisecond)

	_ = pa.Process.Kill() // the sound server goes away (as when PulseAudio restarts)
	_ = pa.Wait()
	_ = os.Remove(sock)
	t1 := time.Now()
	waitFor(t, "down noticed", func() bool { return p.State().Status == Down })
	t.Logf("down noticed after %v: %s", time.Since(t1), p.State().Err)
	time.Sleep(time.Second)
	pa = start()
	defer func() { _ = pa.Process.Kill(); _ = pa.Wait() }()
	t2 := time.Now()
	waitFor(t, "back", p.Available)
	t.Logf("back %v after the server returned; state %+v; log %q", time.Since(t2), p.State(), logs.get())
	if p.State().Reconnects != 1 {
		t.Fatalf("reconnects %d, want 1", p.State().Reconnects)
	}
	p.Play(CuePoint)
	time.Sleep(300 * time.Millisecond)
	if !p.Available() {
		t.Fatalf("cue after the reconnect failed: %+v", p.State())
	}
}
