package danmaku

import (
	"sync/atomic"
	"time"
)

// Subscription receives every Item the pipeline produces, hidden ones
// included (check Item.Hidden; merged repeats carry MergedInto and the
// line's new count; operator hides arrive as updates with Reason "hidden").
// When the reader falls behind, the oldest buffered item is dropped for the
// newest and the drop is counted: Ingest never waits for a subscriber.
type Subscription struct {
	// C delivers items; it is closed by Close.
	C <-chan Item

	ch      chan Item
	p       *Pipeline
	dropped atomic.Int64
	closed  bool // guarded by p.mu
}

// Subscribe returns a subscription with a buffer of buf items (at least 1).
func (p *Pipeline) Subscribe(buf int) *Subscription {
	if buf < 1 {
		buf = 1
	}
	s := &Subscription{ch: make(chan Item, buf), p: p}
	s.C = s.ch
	p.mu.Lock()
	subs := make([]*Subscription, len(p.subs), len(p.subs)+1)
	copy(subs, p.subs)
	p.subs = append(subs, s)
	p.mu.Unlock()
	return s
}

// Dropped returns how many items this subscriber lost by being slow.
func (s *Subscription) Dropped() int64 { return s.dropped.Load() }

// Close stops delivery and closes C. Safe to call more than once.
func (s *Subscription) Close() {
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	subs := make([]*Subscription, 0, len(p.subs))
	for _, o := range p.subs {
		if o != s {
			subs = append(subs, o)
		}
	}
	p.subs = subs
	close(s.ch)
}

// send delivers without blocking, replacing the oldest buffered item when
// the buffer is full. Called with p.mu held, so never after close.
func (s *Subscription) send(it *Item) {
	select {
	case s.ch <- *it:
		return
	default:
	}
	select {
	case <-s.ch:
		s.dropped.Add(1)
		s.p.st.subDrops.Add(1)
	default:
	}
	select {
	case s.ch <- *it:
	default:
		s.dropped.Add(1)
		s.p.st.subDrops.Add(1)
	}
}

func (p *Pipeline) fanout(it *Item) {
	for _, s := range p.subs {
		s.send(it)
	}
}

// Stats returns the counters; it does not wait for Ingest.
func (p *Pipeline) Stats() Stats {
	c := &p.st
	return Stats{
		Received: c.received.Load(), Shown: c.shown.Load(),
		Links: c.links.Load(), Contact: c.contact.Load(), Banned: c.banned.Load(),
		Flood: c.flood.Load(), Blocked: c.blocked.Load(), Empty: c.empty.Load(),
		Repeat: c.repeat.Load(), Contains: c.contains.Load(), Lottery: c.lottery.Load(),
		OperatorHidden: c.opHidden.Load(),
		Segmented:      c.segmented.Load(), SegmentCached: c.segCached.Load(),
		SegmentSkipped: c.segSkipped.Load(), TermsDropped: c.termsDrop.Load(),
		QuestionsQueued: c.qQueued.Load(), QuestionsDropped: c.qDropped.Load(),
		SubscriberDrops: c.subDrops.Load(),
		Duplicates:      c.dupes.Load(),
	}
}

// Trending returns the k most frequent terms over window (the smallest
// tracked window at least that long; 1 and 5 minutes by default).
func (p *Pipeline) Trending(window time.Duration, k int) []Term {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.trend.top(p.cfg.Now(), window, k)
}

// Questions returns up to k pending question groups, oldest first.
func (p *Pipeline) Questions(k int) []QuestionGroup {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.questions.list(p.cfg.Now(), k)
}

// DismissQuestion removes a question group (answered by the host).
func (p *Pipeline) DismissQuestion(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.questions.dismiss(id)
}

// Recent returns the shown items still in the ring, oldest first.
func (p *Pipeline) Recent() []Item {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.recentLocked()
}

func (p *Pipeline) recentLocked() []Item {
	out := make([]Item, 0, p.recentLen)
	start := (p.recentNext - p.recentLen + len(p.recent)) % len(p.recent)
	for i := 0; i < p.recentLen; i++ {
		out = append(out, p.recent[(start+i)%len(p.recent)])
	}
	return out
}

// Snapshot returns what the UI draws, consistent at one instant.
func (p *Pipeline) Snapshot() Snapshot {
	p.mu.Lock()
	now := p.cfg.Now()
	s := Snapshot{
		Recent:     p.recentLocked(),
		Wall:       append([]Item(nil), p.wall...),
		Trending1m: p.trend.top(now, time.Minute, 20),
		Trending5m: p.trend.top(now, 5*time.Minute, 20),
		Questions:  p.questions.list(now, -1),
	}
	p.mu.Unlock()
	s.Stats = p.Stats()
	return s
}

// findRecent returns the shown item with id, or nil.
func (p *Pipeline) findRecent(id string) *Item {
	for i := 0; i < p.recentLen; i++ {
		it := &p.recent[(p.recentNext-1-i+2*len(p.recent))%len(p.recent)]
		if it.ID == id {
			return it
		}
	}
	return nil
}

// Pin puts a recent item on the review wall (the oldest pin leaves when
// the wall is full). It reports whether the item was found and not hidden.
func (p *Pipeline) Pin(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	it := p.findRecent(id)
	if it == nil || it.Hidden {
		return false
	}
	for _, w := range p.wall {
		if w.ID == id {
			return true
		}
	}
	if len(p.wall) >= p.cfg.WallCap {
		copy(p.wall, p.wall[1:])
		p.wall = p.wall[:len(p.wall)-1]
	}
	p.wall = append(p.wall, *it)
	return true
}

// Unpin takes an item off the review wall.
func (p *Pipeline) Unpin(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.unpinLocked(id)
}

func (p *Pipeline) unpinLocked(id string) bool {
	for i, w := range p.wall {
		if w.ID == id {
			p.wall = append(p.wall[:i], p.wall[i+1:]...)
			return true
		}
	}
	return false
}

// Wall returns the pinned items, oldest first.
func (p *Pipeline) Wall() []Item {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Item(nil), p.wall...)
}

// Hide hides a shown item (and unpins it); subscribers get the item again
// with Hidden set and Reason "hidden". It reports whether it was found.
func (p *Pipeline) Hide(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	it := p.findRecent(id)
	if it == nil {
		p.unpinLocked(id)
		return false
	}
	p.hideLocked(it)
	return true
}

func (p *Pipeline) hideLocked(it *Item) {
	p.unpinLocked(it.ID)
	if it.Hidden {
		return
	}
	it.Hidden, it.Reason = true, ReasonOperator
	p.st.opHidden.Add(1)
	p.fanout(it)
}

// Block drops every later message of a viewer (rule "blocked") and hides
// their recent items. It reports false when the block list is full.
func (p *Pipeline) Block(viewerID string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.blocked[viewerID]; !ok {
		if len(p.blocked) >= p.cfg.MaxBlocked {
			return false
		}
		p.blocked[viewerID] = struct{}{}
	}
	for i := 0; i < p.recentLen; i++ {
		it := &p.recent[(p.recentNext-1-i+2*len(p.recent))%len(p.recent)]
		if it.ViewerID == viewerID {
			p.hideLocked(it)
		}
	}
	return true
}

// Unblock lifts a block.
func (p *Pipeline) Unblock(viewerID string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.blocked, viewerID)
}
