package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"

	"studiodesk/studio"
)

// Redraw pacing. Under software GL every frame repaints the whole window
// (about 15-20 ms of CPU at 1366×768), so a steady show gets one frame a
// second: the clock's. Everything else that changed since — figures,
// danmaku lines, interaction counts — is drawn in that same frame.
const (
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
// event is applied on the UI goroutine through fyne.Do. Nothing is polled,
// and a steady show costs one frame a second:
//   - the clock is redrawn when the figure its face shows changes (next
//     says when: the next second boundary of the segment's countdown or,
//     while paused, of the wall clock), and at once after each snapshot
//     (start, next, extend… show at once);
//   - in the same frame go the once-a-second figures (device lights,
//     dashboard, countdowns), the danmaku pane when the feed showed new
//     lines, and the interactions card when votes or claims changed;
//   - a clock that is not running still wakes once a second for them;
//   - cues (with their flash), errors and recalls are applied at once:
//     they are rare and the host must see them on time.
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
	// settle, if set, lays out what the frame changed (layoutNow).
	settle func()

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
		if b.settle != nil {
			b.settle()
		}
	})
}

func (b *bridge) run(ctx context.Context) {
	b.init()
	sub := b.desk.Subscribe(64)
	defer sub.Close()
	clockT := time.NewTimer(0)
	defer clockT.Stop()
	var (
		lastSecond           time.Time // wall clock
		dmPending, ixPending bool
	)
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-sub.C():
			if ev.Kind == studio.EventInteraction {
				// Counts and claims change many times a second in a busy
				// room; they go out with the next frame.
				ixPending = true
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
		case <-clockT.C:
			wall := time.Now()
			f := frame{clock: true, at: b.now(), danmaku: dmPending, interactions: ixPending}
			if wall.Sub(lastSecond) >= secondSlack {
				f.second = true
				lastSecond = wall
			}
			dmPending, ixPending = false, false
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
