package visca

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"studiodesk/devices"
)

// Each health state of the one meaning (docs/devices.md, status lights),
// driven by the emulator.
func TestHealthStates(t *testing.T) {
	emu := startEmulator(t)
	cam := newCamera(t, emu, Config{Retries: -1, DownAfter: 2})
	ctx := context.Background()
	if h := cam.Status().Health; h != devices.Connecting {
		t.Fatalf("before any reply: %v, want connecting", h)
	}
	if err := cam.Home(ctx); err != nil {
		t.Fatal(err)
	}
	if h := cam.Status().Health; h != devices.OK {
		t.Fatalf("after a good command: %v, want ok", h)
	}
	emu.FailNext(0x90, 0x61, 0x41, 0xFF)
	if err := cam.RecallPreset(ctx, 3); !errors.Is(err, ErrNotExecutable) {
		t.Fatalf("refused: err = %v", err)
	}
	if st := cam.Status(); st.Health != devices.Degraded || !strings.Contains(st.LastError, "recall preset 3") {
		t.Fatalf("refused: %v %q, want degraded naming the command", st.Health, st.LastError)
	}
	emu.SetSilent(true)
	_ = cam.Home(ctx)
	if h := cam.Status().Health; h != devices.Degraded {
		t.Fatalf("one lost command: %v, want degraded", h)
	}
	_ = cam.Home(ctx)
	if st := cam.Status(); st.Health != devices.Down || !strings.Contains(st.LastError, "no reply") {
		t.Fatalf("silent camera: %v %q, want down", st.Health, st.LastError)
	}
	emu.SetSilent(false)
	if err := cam.Home(ctx); err != nil {
		t.Fatal(err)
	}
	if h := cam.Status().Health; h != devices.OK {
		t.Fatalf("back: %v, want ok", h)
	}
}

// A camera that ignores the sequence RESET gets it once per link, not
// before every command (issue 15: 200 ms per recall, absolute moves past
// the recall deadline).
func TestIgnoredResetHandledOncePerLink(t *testing.T) {
	emu := startEmulator(t)
	emu.SetIgnoreReset(true)
	emu.StorePreset(2, 100, 50, 10)
	cam := newCamera(t, emu, Config{ReplyTimeout: DefaultReplyTimeout})
	ctx := context.Background()
	if err := cam.RecallPreset(ctx, 2); err != nil { // the first pays for the reset
		t.Fatal(err)
	}
	var slowest time.Duration
	for i := 0; i < 5; i++ {
		start := time.Now()
		if err := cam.RecallPreset(ctx, 2); err != nil {
			t.Fatal(err)
		}
		d := time.Since(start)
		if d > 100*time.Millisecond {
			t.Fatalf("recall %d took %v: waiting for a RESET answer again", i, d)
		}
		slowest = max(slowest, d)
	}
	t.Logf("5 recalls after the first: slowest %v", slowest)
	// An absolute move (pan/tilt, then zoom) under the 300 ms recall deadline.
	rctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	abs := devices.Target{Camera: &devices.CameraTarget{Absolute: true, Pan: -200, Tilt: 40, Zoom: 0x2000}}
	start := time.Now()
	if err := cam.Apply(rctx, abs); err != nil {
		t.Fatalf("absolute move under the recall deadline: %v", err)
	}
	t.Logf("absolute move (pan/tilt then zoom): %v", time.Since(start))
	if pan, tilt, zoom := emu.Position(); pan != -200 || tilt != 40 || zoom != 0x2000 {
		t.Fatalf("camera at %d/%d/%d", pan, tilt, zoom)
	}
	if n := emu.Resets(); n != 1 {
		t.Fatalf("%d RESETs sent on one link, want 1", n)
	}
	// The link fails and comes back: one more RESET, once.
	emu.SetSilent(true)
	_ = cam.Home(ctx)
	emu.SetSilent(false)
	for i := 0; i < 3; i++ {
		if err := cam.Home(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := emu.Resets(); n != 2 {
		t.Fatalf("%d RESETs after one link failure, want 2", n)
	}
}

// The prober handles the RESET before the first recall, so even the first
// absolute move fits the recall deadline.
func TestProberResetsBeforeFirstRecall(t *testing.T) {
	emu := startEmulator(t)
	emu.SetIgnoreReset(true)
	cam := newCamera(t, emu, Config{ReplyTimeout: DefaultReplyTimeout, ProbeInterval: 20 * time.Millisecond})
	deadline := time.Now().Add(5 * time.Second)
	for cam.Status().Health != devices.OK {
		if time.Now().After(deadline) {
			t.Fatalf("prober never reached the camera: %v", cam.Status())
		}
		time.Sleep(10 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := cam.Apply(ctx, devices.Target{Camera: &devices.CameraTarget{Absolute: true, Pan: 10, Tilt: 10, Zoom: 10}}); err != nil {
		t.Fatalf("first absolute move: %v", err)
	}
}

// A recall issued while the prober waits out its backoff goes to the camera
// at once and succeeds as soon as the camera is back.
func TestRecallDuringBackoffSucceedsAtOnce(t *testing.T) {
	emu := startEmulator(t)
	emu.StorePreset(4, 1, 2, 3)
	cam := newCamera(t, emu, Config{Retries: -1, DownAfter: 1, ProbeInterval: time.Hour})
	ctx := context.Background()
	emu.Stop()
	if err := cam.Home(ctx); err == nil {
		t.Fatal("camera off: no error")
	}
	if h := cam.Status().Health; h != devices.Down {
		t.Fatalf("health %v, want down", h)
	}
	if err := emu.Restart(); err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := cam.Apply(rctx, recall(4)); err != nil {
		t.Fatalf("recall after the camera came back: %v", err)
	}
	if d := time.Since(start); d > 250*time.Millisecond {
		t.Fatalf("recall took %v", d)
	}
	if pan, _, _ := emu.Position(); pan != 1 {
		t.Fatalf("camera at pan %d, want preset 4", pan)
	}
	if h := cam.Status().Health; h != devices.OK {
		t.Fatalf("health %v, want ok", h)
	}
}
