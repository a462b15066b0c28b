package ui

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"studiodesk/scripts"
	"studiodesk/studio"
)

func TestNextClockChangeWaitsForTheNextShownSecond(t *testing.T) {
	now := time.Date(2026, 5, 1, 20, 0, 0, 250_000_000, time.UTC)
	running := scripts.State{Started: true, Clock: scripts.ClockNormal,
		SegmentLeft: 95*time.Second + 300*time.Millisecond, ShowLeft: 600*time.Second + 300*time.Millisecond,
		SegmentElapsed: 24*time.Second + 700*time.Millisecond}
	// 01:36 shown (rounded up) until 95 s are left: 300 ms from now
	if got := nextClockChange(running, now); got != 300*time.Millisecond+redrawSlack {
		t.Fatalf("running: %v, want 301ms", got)
	}
	if got := clock(running.SegmentLeft - 300*time.Millisecond - redrawSlack); got != "01:35" {
		t.Fatalf("after the wait the clock reads %s, want 01:35", got)
	}
	over := running
	over.SegmentLeft, over.Clock, over.OverUnder = -(12*time.Second + 900*time.Millisecond), scripts.ClockOvertime, 13*time.Second
	// overtime counts up: +00:13 until 13 s over (100 ms), the wall clock (for
	// the projected end) at 750 ms
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
	// a selling point that ended (0 left) and a countdown sitting on a
	// whole second must not make the wait zero (a busy redraw loop)
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

// TestBridgeCoalescesRedraws floods the bridge with danmaku and
// interaction changes and checks the frames: the danmaku pane at most
// twice a second, the clock about once a second, never a 10 Hz tick.
func TestBridgeCoalescesRedraws(t *testing.T) {
	test.NewTempApp(t)
	desk := studio.New(studio.Config{Clock: studio.RealClock{}})
	t.Cleanup(desk.Close)
	if err := desk.Do(context.Background(), studio.LoadShow{Show: demoShow()}); err != nil {
		t.Fatal(err)
	}
	if err := desk.Do(context.Background(), studio.Start{}); err != nil {
		t.Fatal(err)
	}
	var clocks, seconds, dm, events atomic.Int32
	b := &bridge{desk: desk, now: time.Now,
		onEvent:   func(studio.Event) { events.Add(1) },
		onClock:   func(time.Time) { clocks.Add(1) },
		onSecond:  func(time.Time) { seconds.Add(1) },
		onDanmaku: func() { dm.Add(1) },
		next:      func(now time.Time) time.Duration { return nextClockChange(desk.Snapshot().State(now), now) },
	}
	b.init()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); b.run(ctx) }()
	end := time.Now().Add(2100 * time.Millisecond)
	for time.Now().Before(end) {
		b.danmakuChanged() // a message every millisecond: 1,000 a second
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	if n := dm.Load(); n < 2 || n > 6 {
		t.Errorf("danmaku pane redrawn %d times in 2.1 s, want 2-6 (at most 2 frames a second plus the clock's)", n)
	}
	if n := clocks.Load(); n < 2 || n > 5 {
		t.Errorf("clock redrawn %d times in 2.1 s of a running show, want 2-5", n)
	}
	if n := seconds.Load(); n < 2 || n > 4 {
		t.Errorf("figures redrawn %d times in 2.1 s, want 2-4 (once a second)", n)
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
