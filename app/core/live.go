package core

import (
	"context"
	"log"
	"sync/atomic"

	"studiodesk/studio"
	"studiodesk/studio/danmaku"
	"studiodesk/studio/interact"
	"studiodesk/studio/overlay"
	"studiodesk/studio/platform"
	"studiodesk/studio/remote"
)

// liveLink runs the platform feed and the OBS overlay server beside the
// desk: platform → pipeline → overlay, and wall changes → overlay.
type liveLink struct {
	feed    *studio.Feed
	overlay *overlay.Server
	remote  atomic.Pointer[remote.Server]
	// onLines are the views' hooks, told that new lines were shown.
	onLines atomic.Pointer[[]func()]
	cancel  context.CancelFunc
	done    chan struct{}
}

// startLive starts the overlay (if its address is free) and the feed. A
// missing overlay is logged; the desk works without it.
func startLive(desk *studio.Desk, pipe *danmaku.Pipeline, plat platform.Platform, ovCfg overlay.Config) *liveLink {
	ctx, cancel := context.WithCancel(context.Background())
	l := &liveLink{cancel: cancel, done: make(chan struct{})}
	ov := overlay.New(ovCfg)
	if err := ov.Start(); err != nil {
		log.Printf("studiodesk: overlay: %v", err)
	} else {
		l.overlay = ov
	}
	feed := &studio.Feed{Desk: desk, Platform: plat, Pipeline: pipe, Logf: log.Printf}
	l.feed = feed
	feed.OnLines = func(items []danmaku.Item) {
		if l.overlay != nil {
			l.overlay.PushDanmaku(overlayLines(items))
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
	go func() {
		defer close(l.done)
		if err := feed.Run(ctx); err != nil && ctx.Err() == nil {
			log.Printf("studiodesk: live feed: %v", err)
		}
	}()
	if l.overlay != nil {
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
						l.overlay.SetWall(overlayLines(pipe.Wall()))
					case studio.EventInteraction:
						l.showInteractions(desk.Interactions())
					}
				}
			}
		}()
	}
	return l
}

// URL is the overlay page to paste into OBS ("" when the overlay is off).
func (l *liveLink) URL(page string) string {
	if l == nil || l.overlay == nil {
		return ""
	}
	return l.overlay.URL(page)
}

func (l *liveLink) stop() {
	l.cancel()
	<-l.done
	if l.overlay != nil {
		_ = l.overlay.Close()
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
func (l *liveLink) showInteractions(ix studio.Interactions) {
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
	l.overlay.SetCoupon(coupon)
	l.overlay.SetVote(vote)
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
