package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"

	"studiodesk/studio"
)

// Redraw pacing. Under software GL every redraw repaints the whole window,
// so redraws are few and shared: the clock, the once-a-second figures and
// whatever else is pending go out in one frame.
const (
	// coalesceGap is the shortest gap between a frame and a coalesced
	// frame of danmaku lines and interaction counts: two frames a second
	// at most, one of them the clock's.
	coalesceGap = 500 * time.Millisecond
	// maxClockWait bounds a wait for the next clock change (a safety net;
	// a running clock wakes at its own second boundaries).
	maxClockWait = 5 * time.Second
	minClockWait = 50 * time.Millisecond
	// secondSlack: a clock frame this long after the last figures frame
	// redraws the figures too (clock frames come once a second, give or
	// take a few milliseconds).
	secondSlack = 900 * time.Millisecond
)

// bridge is the one path from the desk's goroutine to the widgets: every
// event is applied on the UI goroutine through fyne.Do. Nothing is polled:
//   - the clock is redrawn when a figure it shows changes (next says when:
//     the next second boundary of the running clock or, while paused or
//     over time, of the wall clock) and at once after each snapshot;
//   - figures, device lights and countdowns are redrawn once a second,
//     in the same frame as the clock;
//   - the danmaku pane (when the feed showed new lines) and the
//     interactions card (when votes or claims changed) are redrawn with the
//     next frame, or — on the controller's view — in a frame of their own
//     at least coalesceGap after the last one;
//   - cues, errors and recalls are applied at once.
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
	// live says whether the view shown has a live danmaku pane; when not
	// (the host's screen, the producer's), danmaku and interaction changes
	// wait for the clock's frame instead of a frame of their own.
	live func() bool

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

// frame is what one trip to the UI goroutine redraws.
type frame struct {
	clock, second, danmaku, interactions bool
	at                                   time.Time
}

func (b *bridge) draw(f frame) {
	fyne.Do(func() {
		if f.interactions {
			b.onEvent(studio.Event{Kind: studio.EventInteraction})
		}
		if f.danmaku {
			b.onDanmaku()
		}
		if f.clock {
			b.onClock(f.at)
		}
		if f.second {
			b.onSecond(f.at)
		}
	})
}

func (b *bridge) run(ctx context.Context) {
	b.init()
	sub := b.desk.Subscribe(64)
	defer sub.Close()
	clockT := time.NewTimer(0)
	defer clockT.Stop()
	coalesceT := time.NewTimer(time.Hour)
	coalesceT.Stop()
	defer coalesceT.Stop()
	var (
		lastFrame, lastSecond time.Time // wall clock
		dmPending, ixPending  bool
		coalescing            bool
	)
	schedule := func() {
		if coalescing || !dmPending && !ixPending || b.live != nil && !b.live() {
			return
		}
		coalescing = true
		coalesceT.Reset(max(coalesceGap-time.Since(lastFrame), 0))
	}
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-sub.C():
			if ev.Kind == studio.EventInteraction {
				// Counts and claims change many times a second in a busy
				// room; they go out with the next frame.
				ixPending = true
				schedule()
				break
			}
			fyne.Do(func() { b.onEvent(ev) })
			if ev.Kind == studio.EventSnapshot {
				// start, next, extend…: redraw the clock now and
				// reschedule from there.
				resetTimer(clockT, 0)
			}
		case <-b.dirty:
			dmPending = true
			schedule()
		case <-coalesceT.C:
			coalescing = false
			lastFrame = time.Now()
			b.draw(frame{danmaku: dmPending, interactions: ixPending})
			dmPending, ixPending = false, false
		case <-clockT.C:
			wall := time.Now()
			f := frame{clock: true, at: b.now(), danmaku: dmPending, interactions: ixPending}
			if wall.Sub(lastSecond) >= secondSlack {
				f.second = true
				lastSecond = wall
			}
			dmPending, ixPending = false, false
			if coalescing {
				coalesceT.Stop()
				coalescing = false
			}
			lastFrame = wall
			b.draw(f)
			wait := maxClockWait
			if b.next != nil {
				wait = b.next(f.at)
				if b.speed > 1 {
					wait = time.Duration(float64(wait) / b.speed)
				}
			}
			// The once-a-second figures ride on the running clock's frames;
			// a clock that is not running wakes for them alone.
			// minClockWait: a figure that stopped on a boundary must not
			// turn this into a busy loop
			wait = min(max(wait, minClockWait), maxClockWait)
			if wait > time.Second {
				wait = max(lastSecond.Add(time.Second).Sub(wall), 0)
			}
			clockT.Reset(wait)
		}
	}
}

func resetTimer(t *time.Timer, d time.Duration) {
	t.Stop()
	t.Reset(d)
}
