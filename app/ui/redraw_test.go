package ui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"studiodesk/scripts"
	"studiodesk/studio"
)

func TestNextClockChangeWaitsForTheNextShownSecond(t *testing.T) {
	now := time.Date(2026, 5, 1, 20, 0, 0, 250_000_000, time.UTC)
	running := scripts.State{Started: true, Clock: scripts.ClockNormal,
		SegmentLeft: 95*time.Second + 300*time.Millisecond, ShowLeft: 600*time.Second + 700*time.Millisecond,
		SegmentElapsed: 24*time.Second + 700*time.Millisecond}
	// 01:36 shown (rounded up) until 95 s are left: 300 ms from now. The
	// show's time left (on another boundary, 700 ms away) waits for the
	// same frame instead of a second one.
	if got := nextClockChange(running, now); got != 300*time.Millisecond+redrawSlack {
		t.Fatalf("running: %v, want 301ms", got)
	}
	if got := clock(running.SegmentLeft - 300*time.Millisecond - redrawSlack); got != "01:35" {
		t.Fatalf("after the wait the clock reads %s, want 01:35", got)
	}
	over := running
	over.SegmentLeft, over.Clock, over.OverUnder = -(12*time.Second + 900*time.Millisecond), scripts.ClockOvertime, 13*time.Second
	// overtime counts up: +00:13 until 13 s over, 100 ms from now
	if got := nextClockChange(over, now); got != 100*time.Millisecond+redrawSlack {
		t.Fatalf("overtime: %v, want 101ms", got)
	}
	paused := running
	paused.Paused = true
	if got := nextClockChange(paused, now); got != 750*time.Millisecond+redrawSlack {
		t.Fatalf("paused: %v, want the next wall second (751ms)", got)
	}
	for _, st := range []scripts.State{{}, {Started: true, Ended: true}} {
		if got := nextClockChange(st, now); got != maxClockWait {
			t.Fatalf("%+v: %v, want %v (nothing moves)", st, got, maxClockWait)
		}
	}
	// a countdown sitting on a whole second must not make the wait zero
	// (a busy redraw loop)
	stuck := running
	stuck.PointText, stuck.PointLeft, stuck.SegmentLeft, stuck.ShowLeft, stuck.SegmentElapsed = "最后一句", 0, 10*time.Second, 70*time.Second, 50*time.Second
	if got := nextClockChange(stuck, now); got != time.Second+redrawSlack {
		t.Fatalf("on a boundary: %v, want a second", got)
	}
	for _, st := range []scripts.State{running, over, paused, stuck} {
		if got := nextClockChange(st, now); got <= 0 || got > time.Second+redrawSlack {
			t.Fatalf("%+v: wait %v outside (0, 1s]", st, got)
		}
	}
}

// TestBridgeDrawsOneFrameASecond floods the bridge with danmaku and
// interaction changes during a running show and checks the frames: one a
// second, the clock's, carrying the danmaku pane, the interaction counts
// and the figures; never a frame of their own, never a 10 Hz tick.
func TestBridgeDrawsOneFrameASecond(t *testing.T) {
	test.NewTempApp(t)
	desk := studio.New(studio.Config{Clock: studio.RealClock{}})
	t.Cleanup(desk.Close)
	if err := desk.Do(context.Background(), studio.LoadShow{Show: demoShow()}); err != nil {
		t.Fatal(err)
	}
	if err := desk.Do(context.Background(), studio.Start{}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var calls []byte // one letter per callback, in the order the UI ran them
	note := func(c byte) { mu.Lock(); calls = append(calls, c); mu.Unlock() }
	b := &bridge{desk: desk, now: time.Now,
		onEvent:   func(studio.Event) { note('e') },
		onClock:   func(time.Time) { note('c') },
		onSecond:  func(time.Time) { note('s') },
		onDanmaku: func() { note('d') },
		settle:    func() { note('l') },
		next:      func(now time.Time) time.Duration { return nextClockChange(desk.Snapshot().State(now), now) },
	}
	b.init()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); b.run(ctx) }()
	time.Sleep(100 * time.Millisecond) // the first frame, after the start
	end := time.Now().Add(3 * time.Second)
	for time.Now().Before(end) {
		b.danmakuChanged() // a message every millisecond: 1,000 a second
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	mu.Lock()
	seq := string(calls)
	mu.Unlock()
	// every danmaku redraw is followed by the clock's in the same frame
	if i := strings.Index(seq, "d"); i < 0 {
		t.Fatalf("danmaku pane never redrawn: %q", seq)
	}
	for i := range len(seq) {
		if seq[i] == 'd' && (i+1 == len(seq) || seq[i+1] != 'c') {
			t.Fatalf("danmaku redrawn outside a clock frame at %d: %q", i, seq)
		}
	}
	clocks, dm, seconds := strings.Count(seq, "c"), strings.Count(seq, "d"), strings.Count(seq, "s")
	// each frame is laid out before it is painted (layoutNow)
	if n := strings.Count(seq, "l"); n != clocks || !strings.HasSuffix(seq, "l") {
		t.Errorf("%d frames laid out for %d clock frames: %q", n, clocks, seq)
	}
	// 3.1 s of a running clock: 3 or 4 frames (plus the start's)
	if clocks < 3 || clocks > 5 {
		t.Errorf("%d clock frames in 3.1 s, want 3-5: %q", clocks, seq)
	}
	if dm < 3 || dm > 4 {
		t.Errorf("danmaku pane redrawn %d times in 3 s of 1,000 lines a second, want 3-4 (once a second): %q", dm, seq)
	}
	if seconds < 3 || seconds > 5 {
		t.Errorf("figures redrawn %d times in 3.1 s, want 3-5 (once a second): %q", seconds, seq)
	}
}

func TestNoDisplaySaysServe(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if msg := noDisplay("linux", env(nil)); msg == "" || !contains(msg, "studiodesk serve") {
		t.Fatalf("no display: %q", msg)
	}
	for _, m := range []map[string]string{{"DISPLAY": ":0"}, {"WAYLAND_DISPLAY": "wayland-0"}} {
		if msg := noDisplay("linux", env(m)); msg != "" {
			t.Fatalf("%v: %q", m, msg)
		}
	}
	if msg := noDisplay("windows", env(nil)); msg != "" {
		t.Fatalf("windows has no DISPLAY and needs none: %q", msg)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestMemoryLimitFollowsTheLiveHeap(t *testing.T) {
	if got := memLimit(30 << 20); got != 46<<20 {
		t.Errorf("30 MB live: limit %d MB, want 46 MB (16 MB of room for new allocations)", got>>20)
	}
	if got := memLimit(100 << 20); got != 125<<20 {
		t.Errorf("100 MB live: limit %d MB, want 125 MB (never starved into back-to-back collections)", got>>20)
	}
}
