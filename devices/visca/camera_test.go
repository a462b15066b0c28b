package visca

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"studiodesk/devices"
	"studiodesk/devices/visca/viscatest"
)

const testTimeout = 150 * time.Millisecond

func startEmulator(t testing.TB) *viscatest.Emulator {
	t.Helper()
	emu, err := viscatest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emu.Stop)
	return emu
}

// newCamera returns a driver for emu with test timeouts and no prober
// unless cfg asks for one.
func newCamera(t testing.TB, emu *viscatest.Emulator, cfg Config) *Camera {
	t.Helper()
	cfg.ID, cfg.Name, cfg.Addr = "cam-a", "A机位", emu.Addr()
	if cfg.ReplyTimeout == 0 {
		cfg.ReplyTimeout = testTimeout
	}
	if cfg.ProbeInterval == 0 {
		cfg.ProbeInterval = -1
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// frame is the exact datagram the driver should send.
func frame(typ uint16, seq uint32, payload ...byte) []byte {
	b, err := EncodePacket(typ, seq, payload)
	if err != nil {
		panic(err)
	}
	return b
}

var resetFrame = []byte{0x02, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01}

func assertFrames(t *testing.T, got [][]byte, want ...[]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("camera received %d datagrams, want %d:\n%s", len(got), len(want), dump(got))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("datagram %d:\n got % X\nwant % X\nall:\n%s", i, got[i], want[i], dump(got))
		}
	}
}

func dump(pkts [][]byte) string {
	var sb strings.Builder
	for _, p := range pkts {
		fmt.Fprintf(&sb, "  % X\n", p)
	}
	return sb.String()
}

func seqOf(pkt []byte) uint32 { return binary.BigEndian.Uint32(pkt[4:8]) }

func recall(preset int) devices.Target {
	return devices.Target{Camera: &devices.CameraTarget{Preset: preset}}
}

func TestRecallPresetExactBytes(t *testing.T) {
	emu := startEmulator(t)
	emu.StorePreset(5, 100, -50, 0x2000)
	cam := newCamera(t, emu, Config{})

	if err := cam.Apply(context.Background(), recall(5)); err != nil {
		t.Fatal(err)
	}
	// First use resets the sequence, then recall preset 5 is sent as pp=04.
	assertFrames(t, emu.Received(),
		resetFrame,
		[]byte{0x01, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x81, 0x01, 0x04, 0x3F, 0x02, 0x04, 0xFF},
	)
	if pan, tilt, zoom := emu.Position(); pan != 100 || tilt != -50 || zoom != 0x2000 {
		t.Errorf("camera at %d/%d/%#x, want preset 5's 100/-50/0x2000", pan, tilt, zoom)
	}
	if st := cam.Status(); st.Health != devices.OK || st.RTT <= 0 {
		t.Errorf("status %+v, want OK with an RTT", st)
	}
}

func TestSequenceIncrementsPerCommand(t *testing.T) {
	emu := startEmulator(t)
	emu.SetStrictSequence(true)
	cam := newCamera(t, emu, Config{})
	ctx := context.Background()

	if err := cam.StorePreset(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if err := cam.Home(ctx); err != nil {
		t.Fatal(err)
	}
	if err := cam.RecallPreset(ctx, 3); err != nil {
		t.Fatal(err)
	}
	assertFrames(t, emu.Received(),
		resetFrame,
		frame(TypeCommand, 0, 0x81, 0x01, 0x04, 0x3F, 0x01, 0x02, 0xFF),
		frame(TypeCommand, 1, 0x81, 0x01, 0x06, 0x04, 0xFF),
		frame(TypeCommand, 2, 0x81, 0x01, 0x04, 0x3F, 0x02, 0x02, 0xFF),
	)
	if got := emu.ExpectedSeq(); got != 3 {
		t.Errorf("camera expects sequence %d next, want 3", got)
	}
}

func TestSequenceWraps(t *testing.T) {
	emu := startEmulator(t)
	cam := newCamera(t, emu, Config{})
	ctx := context.Background()
	if err := cam.Home(ctx); err != nil {
		t.Fatal(err)
	}
	// Only the exchange goroutine touches seq; none is running here.
	cam.seq = 0xFFFFFFFF
	emu.ClearReceived()
	for range 2 {
		if err := cam.Home(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got := emu.Received()
	assertFrames(t, got, frame(TypeCommand, 0xFFFFFFFF, Home()...), frame(TypeCommand, 0, Home()...))
}

func TestAbsoluteMoveExactBytes(t *testing.T) {
	emu := startEmulator(t)
	cam := newCamera(t, emu, Config{})

	target := devices.Target{Camera: &devices.CameraTarget{Absolute: true, Pan: -1, Tilt: 0x0123, Zoom: 0x4000}}
	if err := cam.Apply(context.Background(), target); err != nil {
		t.Fatal(err)
	}
	assertFrames(t, emu.Received(),
		resetFrame,
		// Speed 0 means fastest: pan 18h, tilt 17h.
		frame(TypeCommand, 0, 0x81, 0x01, 0x06, 0x02, 0x18, 0x17, 0x0F, 0x0F, 0x0F, 0x0F, 0x00, 0x01, 0x02, 0x03, 0xFF),
		frame(TypeCommand, 1, 0x81, 0x01, 0x04, 0x47, 0x04, 0x00, 0x00, 0x00, 0xFF),
	)
	if pan, tilt, zoom := emu.Position(); pan != -1 || tilt != 0x0123 || zoom != 0x4000 {
		t.Errorf("camera at %d/%d/%#x", pan, tilt, zoom)
	}

	// One speed drives both axes; at 24 the tilt axis runs at its maximum 23.
	emu.ClearReceived()
	target.Camera.Speed = 0x18
	if err := cam.Apply(context.Background(), target); err != nil {
		t.Fatal(err)
	}
	if got := emu.Received(); len(got) != 2 || got[0][12] != 0x18 || got[0][13] != 0x17 {
		t.Fatalf("speed bytes wrong:\n%s", dump(got))
	}
}

func TestCaptureReadsPosition(t *testing.T) {
	emu := startEmulator(t)
	emu.SetPosition(-200, 150, 0x1234)
	cam := newCamera(t, emu, Config{})

	got, err := cam.Capture(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := devices.CameraTarget{Absolute: true, Pan: -200, Tilt: 150, Zoom: 0x1234}
	if got.Camera == nil || *got.Camera != want || got.Light != nil || got.Scene != nil {
		t.Fatalf("Capture = %+v, want camera %+v", got, want)
	}
	assertFrames(t, emu.Received(),
		resetFrame,
		[]byte{0x01, 0x10, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x81, 0x09, 0x06, 0x12, 0xFF},
		[]byte{0x01, 0x10, 0x00, 0x05, 0x00, 0x00, 0x00, 0x01, 0x81, 0x09, 0x04, 0x47, 0xFF},
	)
}

func TestAckThenCompletion(t *testing.T) {
	emu := startEmulator(t)
	emu.SetCompletionDelay(60 * time.Millisecond)
	cam := newCamera(t, emu, Config{})
	ctx := context.Background()
	if err := cam.Home(ctx); err != nil { // the first call also resets
		t.Fatal(err)
	}

	start := time.Now()
	if err := cam.RecallPreset(ctx, 1); err != nil {
		t.Fatal(err)
	}
	// The ACK comes at once; returning this late shows the completion was
	// awaited rather than the ACK taken as the end.
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("returned after %v, before the completion was sent", d)
	}
	if n := len(emu.Received()); n != 3 {
		t.Errorf("camera received %d datagrams, want 3 (reset, home, recall): no retransmit", n)
	}
}

func TestAckRearmsWaitLongMoveIsNotRetransmitted(t *testing.T) {
	emu := startEmulator(t)
	cam := newCamera(t, emu, Config{})
	ctx := context.Background()
	if err := cam.Home(ctx); err != nil {
		t.Fatal(err)
	}
	// The completion arrives well after a reply timeout: the ACK showed the
	// camera accepted the move, so it must not be sent again.
	emu.SetCompletionDelay(3 * testTimeout)
	emu.ClearReceived()
	if err := cam.RecallPreset(ctx, 2); err != nil {
		t.Fatalf("accepted long move: %v", err)
	}
	assertFrames(t, emu.Received(), frame(TypeCommand, 1, 0x81, 0x01, 0x04, 0x3F, 0x02, 0x01, 0xFF))

	// The late completion for sequence 1 arrives while the next command is
	// in flight and must not be taken as its answer: this inquiry needs data.
	emu.SetCompletionDelay(0)
	emu.SetPosition(7, 8, 9)
	if pan, tilt, zoom, err := cam.Position(ctx); err != nil || pan != 7 || tilt != 8 || zoom != 9 {
		t.Fatalf("Position = %d/%d/%d, %v", pan, tilt, zoom, err)
	}
}

func TestReplyA0Tolerated(t *testing.T) {
	emu := startEmulator(t)
	emu.SetReplyA0(true)
	emu.SetPosition(1, 2, 3)
	cam := newCamera(t, emu, Config{})
	if err := cam.RecallPreset(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if _, err := cam.Capture(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestErrorReplies(t *testing.T) {
	tests := []struct {
		reply    []byte
		sentinel error
		text     string
	}{
		{[]byte{0x90, 0x61, 0x41, 0xFF}, ErrNotExecutable, "not executable"},
		{[]byte{0x90, 0x60, 0x02, 0xFF}, ErrSyntax, "syntax error"},
		{[]byte{0x90, 0x60, 0x03, 0xFF}, ErrBufferFull, "buffer full"},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			emu := startEmulator(t)
			cam := newCamera(t, emu, Config{})
			emu.FailNext(tc.reply...)
			err := cam.RecallPreset(context.Background(), 5)
			if !errors.Is(err, tc.sentinel) {
				t.Fatalf("err = %v, want %v", err, tc.sentinel)
			}
			prefix := fmt.Sprintf("camera \"A机位\" (%s): recall preset 5: ", emu.Addr())
			if !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), tc.text) {
				t.Errorf("message %q: want prefix %q and %q", err, prefix, tc.text)
			}
			if emu.Executed() != 0 {
				t.Error("a refused command ran")
			}
			// The camera answered but refused: degraded, with its reason.
			st := cam.Status()
			if st.Health != devices.Degraded || !strings.Contains(st.LastError, tc.text) {
				t.Errorf("status %v %q, want degraded naming %q", st.Health, st.LastError, tc.text)
			}
			if err := cam.RecallPreset(context.Background(), 5); err != nil {
				t.Fatal(err)
			}
			if h := cam.Status().Health; h != devices.OK {
				t.Errorf("after a good command: health %v, want ok", h)
			}
		})
	}
}

func TestSilenceTimesOutAfterRetries(t *testing.T) {
	emu := startEmulator(t)
	cam := newCamera(t, emu, Config{Retries: 2})
	ctx := context.Background()
	if err := cam.Home(ctx); err != nil {
		t.Fatal(err)
	}
	emu.SetSilent(true)
	emu.ClearReceived()

	start := time.Now()
	err := cam.RecallPreset(ctx, 5)
	elapsed := time.Since(start)
	if !errors.Is(err, devices.ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	want := fmt.Sprintf("camera \"A机位\" (%s): recall preset 5: no reply in 150ms", emu.Addr())
	if err.Error() != want {
		t.Errorf("message %q, want %q", err, want)
	}
	// Three sends of one command, all with its sequence number.
	recallFrame := frame(TypeCommand, 1, 0x81, 0x01, 0x04, 0x3F, 0x02, 0x04, 0xFF)
	assertFrames(t, emu.Received(), recallFrame, recallFrame, recallFrame)
	if elapsed < 3*testTimeout-20*time.Millisecond || elapsed > 3*time.Second {
		t.Errorf("gave up after %v, want about 3 x %v", elapsed, testTimeout)
	}
	if st := cam.Status(); st.Health != devices.Degraded || st.LastError != want {
		t.Errorf("status %+v, want degraded with the error", st)
	}

	// Next attempts reset the sequence first; a camera that used to answer
	// resets and now does not is given up on after one timeout.
	emu.ClearReceived()
	if err := cam.Home(ctx); !errors.Is(err, devices.ErrTimeout) {
		t.Fatalf("err = %v", err)
	}
	assertFrames(t, emu.Received(), resetFrame)
	if h := cam.Status().Health; h != devices.Degraded {
		t.Errorf("after 2 failures health %v, want degraded", h)
	}
	if err := cam.Home(ctx); !errors.Is(err, devices.ErrTimeout) {
		t.Fatalf("err = %v", err)
	}
	if h := cam.Status().Health; h != devices.Down {
		t.Errorf("after 3 failures health %v, want down", h)
	}
}

func TestSilentFromStart(t *testing.T) {
	emu := startEmulator(t)
	emu.SetSilent(true)
	cam := newCamera(t, emu, Config{Retries: 1})
	err := cam.RecallPreset(context.Background(), 1)
	if !errors.Is(err, devices.ErrTimeout) {
		t.Fatalf("err = %v", err)
	}
	// The reset went unanswered, but some firmware ignores resets and still
	// runs commands, so the command itself was tried too.
	recallFrame := frame(TypeCommand, 0, 0x81, 0x01, 0x04, 0x3F, 0x02, 0x00, 0xFF)
	assertFrames(t, emu.Received(), resetFrame, recallFrame, recallFrame)
}

func TestContextDeadlineBoundsApply(t *testing.T) {
	emu := startEmulator(t)
	emu.SetSilent(true)
	cam := newCamera(t, emu, Config{Retries: 10})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := cam.Apply(ctx, recall(1))
	if !errors.Is(err, devices.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrTimeout and DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Apply took %v, ignoring its 300ms deadline", d)
	}
}

func TestCancelInterruptsWait(t *testing.T) {
	emu := startEmulator(t)
	emu.SetSilent(true)
	cam := newCamera(t, emu, Config{ReplyTimeout: 10 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	err := cam.Home(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want Canceled", err)
	}
	if h := cam.Status().Health; h != devices.Connecting {
		t.Errorf("a cancelled call changed health to %v", h)
	}
}

func TestRetransmitSameSequence(t *testing.T) {
	t.Run("lost reply, duplicate answered 0F 01", func(t *testing.T) {
		emu := startEmulator(t)
		cam := newCamera(t, emu, Config{})
		ctx := context.Background()
		if err := cam.Home(ctx); err != nil {
			t.Fatal(err)
		}
		emu.ClearReceived()
		emu.LoseReplies(1) // runs, but its ACK and completion are lost
		if err := cam.RecallPreset(ctx, 9); err != nil {
			t.Fatalf("a 0F 01 to a retransmit means it ran: %v", err)
		}
		f := frame(TypeCommand, 1, 0x81, 0x01, 0x04, 0x3F, 0x02, 0x08, 0xFF)
		assertFrames(t, emu.Received(), f, f)
		if n := emu.Executed(); n != 2 { // home + recall, once each
			t.Errorf("camera executed %d commands, want 2", n)
		}
		if h := cam.Status().Health; h != devices.OK {
			t.Errorf("health %v", h)
		}
	})
	t.Run("lost command", func(t *testing.T) {
		emu := startEmulator(t)
		cam := newCamera(t, emu, Config{})
		ctx := context.Background()
		if err := cam.Home(ctx); err != nil {
			t.Fatal(err)
		}
		emu.ClearReceived()
		emu.DropNext(1)
		if err := cam.RecallPreset(ctx, 9); err != nil {
			t.Fatal(err)
		}
		f := frame(TypeCommand, 1, 0x81, 0x01, 0x04, 0x3F, 0x02, 0x08, 0xFF)
		assertFrames(t, emu.Received(), f, f)
		if n := emu.Executed(); n != 2 {
			t.Errorf("camera executed %d commands, want 2", n)
		}
	})
	t.Run("lost inquiry reply is asked again", func(t *testing.T) {
		emu := startEmulator(t)
		emu.SetPosition(11, 22, 33)
		cam := newCamera(t, emu, Config{})
		ctx := context.Background()
		if err := cam.Home(ctx); err != nil {
			t.Fatal(err)
		}
		emu.SetPosition(11, 22, 33)
		emu.LoseReplies(1)
		pan, tilt, zoom, err := cam.Position(ctx)
		if err != nil || pan != 11 || tilt != 22 || zoom != 33 {
			t.Fatalf("Position = %d/%d/%d, %v", pan, tilt, zoom, err)
		}
	})
}

func TestOutOfSequenceResyncs(t *testing.T) {
	emu := startEmulator(t)
	emu.SetStrictSequence(true)
	cam := newCamera(t, emu, Config{})
	ctx := context.Background()
	if err := cam.Home(ctx); err != nil {
		t.Fatal(err)
	}
	// The camera forgets its sequence (a quick power cycle between two
	// commands) and refuses sequence 1 with 0F 01 on the first send.
	if err := emu.Restart(); err != nil {
		t.Fatal(err)
	}
	emu.ClearReceived()
	if err := cam.RecallPreset(ctx, 2); err != nil {
		t.Fatal(err)
	}
	assertFrames(t, emu.Received(),
		frame(TypeCommand, 1, 0x81, 0x01, 0x04, 0x3F, 0x02, 0x01, 0xFF),
		resetFrame,
		frame(TypeCommand, 0, 0x81, 0x01, 0x04, 0x3F, 0x02, 0x01, 0xFF),
	)
	if n := emu.Executed(); n != 2 {
		t.Errorf("executed %d, want 2", n)
	}
}

func TestCameraComesBack(t *testing.T) {
	emu := startEmulator(t)
	emu.StorePreset(1, 10, 10, 10)
	emu.StorePreset(7, 70, 70, 70)
	cam := newCamera(t, emu, Config{Retries: 1})
	ctx := context.Background()
	if err := cam.Apply(ctx, recall(1)); err != nil {
		t.Fatal(err)
	}

	emu.Stop()
	if err := cam.Apply(ctx, recall(7)); !errors.Is(err, devices.ErrTimeout) {
		t.Fatalf("camera off: err = %v", err)
	}
	if h := cam.Status().Health; h != devices.Degraded {
		t.Fatalf("health %v, want degraded", h)
	}

	if err := emu.Restart(); err != nil {
		t.Fatal(err)
	}
	emu.ClearReceived()
	// The failed recall of 7 must not be replayed on its own.
	if pan, _, _ := emu.Position(); pan != 10 {
		t.Fatalf("camera moved to pan %d without being asked", pan)
	}
	if err := cam.Apply(ctx, recall(1)); err != nil {
		t.Fatalf("after restart: %v", err)
	}
	assertFrames(t, emu.Received(), resetFrame, frame(TypeCommand, 0, 0x81, 0x01, 0x04, 0x3F, 0x02, 0x00, 0xFF))
	if h := cam.Status().Health; h != devices.OK {
		t.Errorf("health %v, want ok", h)
	}
}

func TestProberRestoresHealth(t *testing.T) {
	emu := startEmulator(t)
	cam := newCamera(t, emu, Config{Retries: -1, DownAfter: 1, ProbeInterval: 50 * time.Millisecond})
	changes := make(chan devices.Health, 32)
	cam.OnChange(func(s devices.Status) {
		select {
		case changes <- s.Health:
		default:
		}
	})
	ctx := context.Background()
	if err := cam.Home(ctx); err != nil {
		t.Fatal(err)
	}
	emu.Stop()
	if err := cam.Home(ctx); !errors.Is(err, devices.ErrTimeout) {
		t.Fatalf("err = %v", err)
	}
	if h := cam.Status().Health; h != devices.Down {
		t.Fatalf("health %v, want down", h)
	}
	executed := emu.Executed()
	if err := emu.Restart(); err != nil {
		t.Fatal(err)
	}
	emu.ClearReceived()
	// No Apply: the prober alone brings the light back to OK.
	deadline := time.After(10 * time.Second)
	for cam.Status().Health != devices.OK {
		select {
		case <-changes:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			t.Fatalf("health stuck at %v", cam.Status())
		}
	}
	if emu.Executed() != executed {
		t.Error("the prober ran a command; it must only ask")
	}
	for _, p := range emu.Received() {
		if p[0] == 0x01 && p[1] == 0x00 {
			t.Errorf("the prober sent a command: % X", p)
		}
	}
}

func TestOutOfRangeSendsNothing(t *testing.T) {
	emu := startEmulator(t)
	cam := newCamera(t, emu, Config{})
	ctx := context.Background()
	abs := func(pan, tilt, zoom, speed int) devices.Target {
		return devices.Target{Camera: &devices.CameraTarget{Absolute: true, Pan: pan, Tilt: tilt, Zoom: zoom, Speed: speed}}
	}
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"preset 200", func() error { return cam.Apply(ctx, recall(200)) }, "preset: value 200 out of range 1-128"},
		{"preset -1", func() error { return cam.Apply(ctx, recall(-1)) }, "preset: value -1 out of range 1-128"},
		{"recall 0", func() error { return cam.RecallPreset(ctx, 0) }, "preset: value 0 out of range 1-128"},
		{"store 129", func() error { return cam.StorePreset(ctx, 129) }, "preset: value 129 out of range 1-128"},
		{"speed", func() error { return cam.Apply(ctx, abs(0, 0, 0, 25)) }, "speed: value 25 out of range 1-24"},
		{"pan", func() error { return cam.Apply(ctx, abs(40000, 0, 0, 0)) }, "pan: value 40000 out of range -32768 to 32767"},
		{"tilt", func() error { return cam.Apply(ctx, abs(0, -40000, 0, 0)) }, "tilt: value -40000 out of range -32768 to 32767"},
		// Zoom is checked before the pan/tilt move is sent.
		{"zoom", func() error { return cam.Apply(ctx, abs(0, 0, 70000, 0)) }, "zoom: value 70000 out of range 0-65535"},
	}
	for _, tc := range tests {
		err := tc.call()
		want := fmt.Sprintf("camera \"A机位\" (%s): %s", emu.Addr(), tc.want)
		if err == nil || err.Error() != want || !errors.Is(err, devices.ErrOutOfRange) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, want)
		}
	}
	if got := emu.Received(); len(got) != 0 {
		t.Fatalf("invalid input reached the camera:\n%s", dump(got))
	}
	if h := cam.Status().Health; h != devices.Connecting {
		t.Errorf("validation errors changed health to %v", h)
	}
}

func TestLateRepliesIgnored(t *testing.T) {
	emu := startEmulator(t)
	emu.SetPosition(-5, 6, 0x100)
	cam := newCamera(t, emu, Config{})
	ctx := context.Background()
	if err := cam.Home(ctx); err != nil { // sequence 0
		t.Fatal(err)
	}
	emu.SetPosition(-5, 6, 0x100)
	// Before answering the inquiry (sequence 1) the network delivers a stale
	// completion and an error for sequence 0, plus garbage.
	emu.InjectBeforeNextReply(
		viscatest.Frame(viscatest.TypeReply, 0, []byte{0x90, 0x50, 0, 0, 0, 1, 0, 0, 0, 1, 0xFF}),
		viscatest.Frame(viscatest.TypeReply, 0, []byte{0x90, 0x61, 0x41, 0xFF}),
		viscatest.Frame(viscatest.TypeControlReply, 0, []byte{0x0F, 0x01}),
		[]byte{0xDE, 0xAD},
	)
	pan, tilt, zoom, err := cam.Position(ctx)
	if err != nil || pan != -5 || tilt != 6 || zoom != 0x100 {
		t.Fatalf("Position = %d/%d/%#x, %v; want -5/6/0x100", pan, tilt, zoom, err)
	}
}

func TestWrongKindAndClose(t *testing.T) {
	emu := startEmulator(t)
	cam := newCamera(t, emu, Config{})
	err := cam.Apply(context.Background(), devices.Target{Scene: &devices.SceneTarget{Name: "x"}})
	if !errors.Is(err, devices.ErrWrongKind) {
		t.Errorf("err = %v, want ErrWrongKind", err)
	}
	if err := cam.Apply(context.Background(), devices.Target{Camera: &devices.CameraTarget{}}); err != nil {
		t.Errorf("empty camera target: %v", err)
	}
	if len(emu.Received()) != 0 {
		t.Error("sent something for a no-op target")
	}
	if cam.ID() != "cam-a" || cam.Name() != "A机位" || cam.Kind() != devices.KindCamera {
		t.Errorf("identity %q %q %q", cam.ID(), cam.Name(), cam.Kind())
	}
	cam.Close()
	if err := cam.Apply(context.Background(), recall(1)); !errors.Is(err, devices.ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

func TestCloseInterruptsCommand(t *testing.T) {
	emu := startEmulator(t)
	emu.SetSilent(true)
	cam := newCamera(t, emu, Config{ReplyTimeout: 10 * time.Second})
	errc := make(chan error, 1)
	go func() { errc <- cam.Home(context.Background()) }()
	time.Sleep(50 * time.Millisecond)
	cam.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, devices.ErrClosed) {
			t.Errorf("err = %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not interrupt the command")
	}
}

func TestConcurrentCallsOnePacketInFlight(t *testing.T) {
	emu := startEmulator(t)
	emu.SetStrictSequence(true)
	emu.SetCompletionDelay(5 * time.Millisecond)
	cam := newCamera(t, emu, Config{})
	ctx := context.Background()
	errc := make(chan error, 8)
	for i := range 8 {
		go func() { errc <- cam.RecallPreset(ctx, i+1) }()
	}
	for range 8 {
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}
	// Strict sequence tracking would have refused anything interleaved.
	got := emu.Received()
	if len(got) != 9 {
		t.Fatalf("received %d datagrams, want reset + 8:\n%s", len(got), dump(got))
	}
	for i, p := range got[1:] {
		if seqOf(p) != uint32(i) {
			t.Errorf("datagram %d has sequence %d", i+1, seqOf(p))
		}
	}
}

func TestNewValidatesAddr(t *testing.T) {
	good := map[string]string{
		"192.168.1.20":       "192.168.1.20:52381",
		"192.168.1.20:1259":  "192.168.1.20:1259",
		"cam-a.local":        "cam-a.local:52381",
		"::1":                "[::1]:52381",
		"[::1]:52381":        "[::1]:52381",
		" 10.0.0.5:52381 \n": "10.0.0.5:52381",
	}
	for in, want := range good {
		c, err := New(Config{Name: "A机位", Addr: in, ProbeInterval: -1})
		if err != nil {
			t.Errorf("New(%q): %v", in, err)
			continue
		}
		if c.Addr() != want {
			t.Errorf("New(%q).Addr() = %q, want %q", in, c.Addr(), want)
		}
		c.Close()
	}
	bad := []string{"", ":52381", "10.0.0.5:x", "10.0.0.5:0", "10.0.0.5:70000", "a b:1", "1:2:3:zz"}
	for _, in := range bad {
		_, err := New(Config{Name: "A机位", Addr: in, ProbeInterval: -1})
		if err == nil || !strings.HasPrefix(err.Error(), `camera "A机位": address `) {
			t.Errorf("New(%q) err = %v", in, err)
		}
	}
}

func BenchmarkRecallRoundTrip(b *testing.B) {
	emu := startEmulator(b)
	cam := newCamera(b, emu, Config{ReplyTimeout: time.Second})
	ctx := context.Background()
	if err := cam.RecallPreset(ctx, 1); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := cam.RecallPreset(ctx, 1); err != nil {
			b.Fatal(err)
		}
	}
}
