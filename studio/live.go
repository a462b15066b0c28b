package studio

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"studiodesk/studio/danmaku"
	"studiodesk/studio/platform"
)

// Feed carries platform events into the danmaku pipeline, hands new lines
// to the broadcast overlay in small batches, and records each minute's
// figures in the show log through the desk.
type Feed struct {
	Desk     *Desk
	Platform platform.Platform
	Pipeline *danmaku.Pipeline
	// OnLines receives the lines newly shown: whatever arrived together is
	// handed over at once, as soon as the pipeline has nothing more queued,
	// so a burst is one push and a lone line waits for nothing. It runs on
	// the feed goroutine and must not block (the overlay queues).
	OnLines func([]danmaku.Item)
	Logf    func(format string, args ...any)

	viewers atomic.Int64
	likes   atomic.Int64
}

// Viewers is the latest audience figure the platform reported.
func (f *Feed) Viewers() int { return int(f.viewers.Load()) }

// Run runs until ctx ends. The platform reconnects by itself; Run returns
// its final error (nil or ctx's) once everything stopped.
func (f *Feed) Run(ctx context.Context) error {
	if f.Platform == nil || f.Pipeline == nil {
		return errors.New("feed: no platform or pipeline")
	}
	sub := f.Pipeline.Subscribe(8192)
	defer sub.Close()
	platErr := make(chan error, 1)
	go func() { platErr <- f.Platform.Run(ctx, f.sink) }()

	// Minutes on the desk's clock, so an accelerated rehearsal logs
	// rehearsal minutes.
	var clk Clock = RealClock{}
	if f.Desk != nil {
		clk = f.Desk.cfg.Clock
	}
	minute := clk.NewTimer(time.Minute)
	defer minute.Stop()
	var pending []danmaku.Item
	last := f.Pipeline.Stats()
	for {
		select {
		case <-ctx.Done():
			return <-platErr
		case it, ok := <-sub.C:
			if !ok {
				return <-platErr
			}
			f.vote(it)
			pending = appendShown(pending, it)
		drain:
			for len(pending) < 512 {
				select {
				case it, ok := <-sub.C:
					if !ok {
						break drain
					}
					f.vote(it)
					pending = appendShown(pending, it)
				default:
					break drain
				}
			}
			if len(pending) > 0 && f.OnLines != nil {
				f.OnLines(pending)
				pending = nil
			}
		case now := <-minute.C():
			minute.Reset(time.Minute)
			st := f.Pipeline.Stats()
			fig := Figures{
				Minute: now.Truncate(time.Minute), Received: st.Received - last.Received, Shown: st.Shown - last.Shown,
				Filtered:  (st.Links + st.Contact + st.Banned + st.Flood + st.Blocked) - (last.Links + last.Contact + last.Banned + last.Flood + last.Blocked),
				Questions: st.QuestionsQueued - last.QuestionsQueued, Viewers: f.Viewers(), Likes: f.likes.Swap(0),
			}
			last = st
			if f.Desk != nil {
				dctx, cancel := context.WithTimeout(ctx, time.Second)
				if err := f.Desk.Do(dctx, LogFigures{Figures: fig}); err != nil && f.Logf != nil {
					f.Logf("feed: %v", err)
				}
				cancel()
			}
		}
	}
}

// vote hands a digit vote to the desk. Merged repeats still count: "1" from
// a thousand viewers is one line on screen but a thousand votes.
func (f *Feed) vote(it danmaku.Item) {
	if f.Desk != nil && it.Class == danmaku.Vote && it.VoteDigit > 0 && (!it.Hidden || it.MergedInto != "") {
		f.Desk.VoteDanmaku(it.ViewerID, it.VoteDigit, it.Time)
	}
}

// appendShown keeps the items shown as lines of their own.
func appendShown(dst []danmaku.Item, it danmaku.Item) []danmaku.Item {
	if it.Hidden || it.MergedInto != "" {
		return dst
	}
	return append(dst, it)
}

// sink runs on the platform's single reader goroutine, in arrival order.
func (f *Feed) sink(ev platform.Event) {
	switch ev.Kind {
	case platform.KindDanmaku:
		f.Pipeline.Ingest(danmaku.Message{ID: ev.ID, ViewerID: ev.ViewerID, ViewerName: ev.ViewerName, Text: ev.Text,
			Time: ev.Time, GuardLevel: ev.GuardLevel, IsAdmin: ev.IsAdmin})
	case platform.KindViewers:
		f.viewers.Store(int64(ev.Count))
	case platform.KindLike:
		f.likes.Add(int64(max(ev.Count, 1)))
	case platform.KindClaim, platform.KindVote, platform.KindAck:
		if f.Desk != nil {
			f.Desk.PlatformEvent(ev)
		}
	}
}
