package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"

	"studiodesk/studio"
)

// bridge is the one path from the desk's goroutine to the widgets: every
// event is applied on the UI goroutine through fyne.Do. A 10 Hz display
// tick recomputes the clock from the latest snapshot with the pure timer;
// the desk itself is never polled.
type bridge struct {
	desk     *studio.Desk
	now      func() time.Time
	onEvent  func(studio.Event)
	onTick   func(time.Time)
	interval time.Duration
}

func (b *bridge) run(ctx context.Context) {
	sub := b.desk.Subscribe(64)
	defer sub.Close()
	interval := b.interval
	if interval <= 0 {
		interval = 100 * time.Millisecond
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-sub.C():
			fyne.Do(func() { b.onEvent(ev) })
		case <-tick.C:
			now := b.now()
			fyne.Do(func() { b.onTick(now) })
		}
	}
}
