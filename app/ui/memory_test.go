package ui

import (
	"context"
	"math"
	"runtime/debug"
	"testing"
	"time"
)

// With GOMEMLIMIT set by the user the desk sets no limit of its own but
// still hands back the font files' pages once, then stops; without it,
// it does both and keeps following the heap.
func TestGovernMemoryHonoursTheUsersLimit(t *testing.T) {
	old, oldEvery := releaseFonts, memEvery
	defer func() { releaseFonts, memEvery = old, oldEvery; debug.SetMemoryLimit(math.MaxInt64) }()
	memEvery = 5 * time.Millisecond
	released := 0
	releaseFonts = func() { released++ }

	t.Setenv("GOMEMLIMIT", "1GiB") // read by governMemory only; the runtime read it at start
	debug.SetMemoryLimit(math.MaxInt64)
	done := make(chan struct{})
	go func() { governMemory(context.Background()); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("governMemory kept running with the user's GOMEMLIMIT set")
	}
	if released != 1 {
		t.Errorf("font pages released %d times with the user's limit, want 1", released)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("desk set a memory limit (%d) over the user's", got)
	}

	t.Setenv("GOMEMLIMIT", "")
	released = 0
	ctx, cancel := context.WithCancel(context.Background())
	done = make(chan struct{})
	go func() { governMemory(ctx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for debug.SetMemoryLimit(-1) == math.MaxInt64 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if got := debug.SetMemoryLimit(-1); got == math.MaxInt64 {
		t.Error("no memory limit set without the user's")
	}
	if released != 1 {
		t.Errorf("font pages released %d times, want 1", released)
	}
}
