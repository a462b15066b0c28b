package core

import (
	"context"
	"log"
	"sync"
	"sync/atomic"

	"studiodesk/studio"
	"studiodesk/studio/danmaku"
	"studiodesk/studio/interact"
	"studiodesk/studio/overlay"
	"studiodesk/studio/platform"
	"studiodesk/studio/remote"
)

// liveLink runs the platform feed and the OBS overlay server beside the
// desk: platform → pipeline → overlay, and wall changes → overlay. A hot
// standby's follower builds it dormant (newLive) and starts it when it
// becomes primary; a primary that loses its lease stops it.
type liveLink struct {
	desk  *studio.Desk
	pipe  *danmaku.Pipeline
	plat  platform.Platform
	ovCfg overlay.Config

	feed    *studio.Feed
	overlay atomic.Pointer[overlay.Server]
	remote  atomic.Pointer[remote.Server]
	// onLines are the views' hooks, told that new lines were shown.
	onLines atomic.Pointer[[]func()]

	mu     sync.Mutex
	cancel context.CancelFunc // nil while stopped
	done   chan struct{}
}

// startLive starts the overlay (if its address is free) and the feed. A
// missing overlay is logged; the desk works without it.
func startLive(desk *studio.Desk, pipe *danmaku.Pipeline, plat platform.Platform, ovCfg overlay.Config) *liveLink {
	l := newLive(desk, pipe, plat, ovCfg)
	l.start()
	return l
}

// newLive builds the link without starting anything.
func newLive(desk *studio.Desk, pipe *danmaku.Pipeline, plat platform.Platform, ovCfg overlay.Config) *liveLink {
	l := &liveLink{desk: desk, pipe: pipe, plat: plat, ovCfg: ovCfg}
	feed := &studio.Feed{Desk: desk, Platform: plat, Pipeline: pipe, Logf: log.Printf}
	l.feed = feed
	feed.OnLines = func(items []danmaku.Item) {
		if ov := l.overlay.Load(); ov != nil {
			ov.PushDanmaku(overlayLines(items))
		}
		if r := l.remote.Load(); r != nil {
			r.PublishDanmaku(remoteLines(items))
		}
		if hooks := l.onLines.Load(); hooks != nil {
			for _, f := range *hooks {
				f()
			}
		}
	}
	return l
}

// start starts the overlay and the feed (a no-op while they run).
func (l *liveLink) start() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cancel != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	l.cancel, l.done = cancel, make(chan struct{})
	done := l.done
	ov := overlay.New(l.ovCfg)
	if err := ov.Start(); err != nil {
		log.Printf("studiodesk: overlay: %v", err)
		ov = nil
	} else {
		l.overlay.Store(ov)
	}
	desk, pipe := l.desk, l.pipe
	go func() {
		defer close(done)
		if err := l.feed.Run(ctx); err != nil && ctx.Err() == nil {
			log.Printf("studiodesk: live feed: %v", err)
		}
	}()
	if ov != nil {
		sub := desk.Subscribe(16)
		go func() {
			defer sub.Close()
			for {
				select {
				case <-ctx.Done():
					return
				case ev := <-sub.C():
					switch ev.Kind {
					case studio.EventWall:
						ov.SetWall(overlayLines(pipe.Wall()))
					case studio.EventInteraction:
						showInteractions(ov, desk.Interactions())
					}
				}
			}
		}()
	}
}

// URL is the overlay page to paste into OBS ("" when the overlay is off).
func (l *liveLink) URL(page string) string {
	if l == nil {
		return ""
	}
	ov := l.overlay.Load()
	if ov == nil {
		return ""
	}
	return ov.URL(page)
}

// stop stops the feed and the overlay (a no-op while stopped).
func (l *liveLink) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cancel == nil {
		return
	}
	l.cancel()
	<-l.done
	l.cancel = nil
	if ov := l.overlay.Swap(nil); ov != nil {
		_ = ov.Close()
	}
}

func overlayLines(items []danmaku.Item) []overlay.Line {
	out := make([]overlay.Line, len(items))
	for i, it := range items {
		out[i] = overlay.Line{ID: it.ID, Name: it.ViewerName, Text: it.Norm, Class: it.Class.String(), Merged: it.Merged}
	}
	return out
}

// showInteractions puts the live coupon and vote (or the last result) on
// the broadcast.
func showInteractions(ov *overlay.Server, ix studio.Interactions) {
	var coupon *overlay.CouponCard
	var vote *overlay.VoteCard
	for _, v := range ix.Items {
		switch {
		case v.Kind == interact.KindCoupon && v.State == interact.Live && v.Coupon != nil:
			coupon = &overlay.CouponCard{Name: v.Coupon.Name, Discount: v.Coupon.Discount, Stock: v.Coupon.Stock, Left: v.StockLeft,
				EndsAt: v.EndsAt, Note: v.Coupon.PriceProtection}
		case v.Kind == interact.KindVote && v.Vote != nil && (v.State == interact.Live || v.State == interact.Closed):
			card := &overlay.VoteCard{Question: v.Vote.Question, EndsAt: v.EndsAt, Closed: v.State == interact.Closed}
			for i, o := range v.Vote.Options {
				n := 0
				if i < len(v.Counts) {
					n = v.Counts[i]
				}
				card.Options = append(card.Options, overlay.VoteOption{Label: o, Count: n})
			}
			if vote == nil || v.State == interact.Live {
				vote = card
			}
		}
	}
	ov.SetCoupon(coupon)
	ov.SetVote(vote)
}

// setRemote starts or stops sending danmaku to paired remotes.
func (l *liveLink) setRemote(r *remote.Server) { l.remote.Store(r) }

func remoteLines(items []danmaku.Item) []remote.DanmakuLine {
	out := make([]remote.DanmakuLine, len(items))
	for i, it := range items {
		out[i] = remote.DanmakuLine{ID: it.ID, User: it.ViewerName, Text: it.Norm, Kind: it.Class.String()}
	}
	return out
}

// viewers is the audience figure the platform last reported.
func (l *liveLink) viewers() int { return l.feed.Viewers() }

// addOnLines adds a hook run (on the feed goroutine; it must not block)
// whenever new danmaku lines are shown.
func (l *liveLink) addOnLines(f func()) {
	for {
		old := l.onLines.Load()
		var next []func()
		if old != nil {
			next = append(next, *old...)
		}
		next = append(next, f)
		if l.onLines.CompareAndSwap(old, &next) {
			return
		}
	}
}
