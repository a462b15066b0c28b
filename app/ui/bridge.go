package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"

	"studiodesk/studio"
)

// Redraw pacing.
const (
	// danmakuFrame is the shortest gap between two redraws of the danmaku
	// pane and the host's question line: a few frames per second,
	// readable, and cheap at any message rate.
	danmakuFrame = 300 * time.Millisecond
	// maxClockWait bounds a wait for the next clock change (a safety net;
	// a running clock wakes at its own second boundaries).
	maxClockWait = 5 * time.Second
)

// bridge is the one path from the desk's goroutine to the widgets: every
// event is applied on the UI goroutine through fyne.Do. Nothing is polled:
//   - the clock is redrawn when a figure it shows changes (next says when:
//     the next second boundary of the running clock or of the wall clock)
//     and at once after each desk event;
//   - the danmaku pane is redrawn when the feed shows new lines, coalesced
//     to one frame per danmakuFrame;
//   - figures, device lights and countdowns are redrawn once a second.
type bridge struct {
	desk      *studio.Desk
	now       func() time.Time
	onEvent   func(studio.Event)
	onClock   func(time.Time)
	onSecond  func(time.Time)
	onDanmaku func()
	// next is how long (on the desk's clock) the clock face stays the
	// same after now; speed is the desk clock's rate (an accelerated
	// rehearsal runs it faster than the wall clock).
	next  func(time.Time) time.Duration
	speed float64

	dirty chan struct{}
}

// danmakuChanged marks the danmaku pane stale; safe from any goroutine,
// never blocks.
func (b *bridge) danmakuChanged() {
	select {
	case b.dirty <- struct{}{}:
	default:
	}
}

func (b *bridge) init() {
	if b.dirty == nil {
		b.dirty = make(chan struct{}, 1)
	}
}

func (b *bridge) run(ctx context.Context) {
	b.init()
	sub := b.desk.Subscribe(64)
	defer sub.Close()
	clockT := time.NewTimer(0)
	defer clockT.Stop()
	second := time.NewTimer(untilWallSecond(time.Now()))
	defer second.Stop()
	var frame <-chan time.Time // set while a danmaku frame is pending
	var frameT *time.Timer
	lastFrame := time.Time{}
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-sub.C():
			fyne.Do(func() { b.onEvent(ev) })
			// An event can move the clock (start, next, extend): redraw it
			// now and reschedule from there.
			resetTimer(clockT, 0)
		case <-clockT.C:
			now := b.now()
			fyne.Do(func() { b.onClock(now) })
			wait := maxClockWait
			if b.next != nil {
				wait = b.next(now)
				if b.speed > 1 {
					wait = time.Duration(float64(wait) / b.speed)
				}
				wait = min(wait, maxClockWait)
			}
			clockT.Reset(wait)
		case <-second.C:
			now := b.now()
			fyne.Do(func() { b.onSecond(now) })
			second.Reset(untilWallSecond(time.Now()))
		case <-b.dirty:
			if frame != nil {
				break // a frame is already scheduled; it will show this too
			}
			wait := danmakuFrame - time.Since(lastFrame)
			if wait < 0 {
				wait = 0
			}
			frameT = time.NewTimer(wait)
			frame = frameT.C
		case <-frame:
			frame, frameT = nil, nil
			lastFrame = time.Now()
			fyne.Do(b.onDanmaku)
		}
	}
}

func resetTimer(t *time.Timer, d time.Duration) {
	t.Stop()
	t.Reset(d)
}

// untilWallSecond is the wait until just after the next wall-clock second.
func untilWallSecond(now time.Time) time.Duration {
	return time.Second - time.Duration(now.Nanosecond()) + time.Millisecond
}
