package studio

import (
	"sync"
	"sync/atomic"
	"time"

	"studiodesk/scripts"
)

// EventKind names what changed.
type EventKind string

// Event kinds the desk publishes.
const (
	EventSnapshot EventKind = "snapshot" // the show, its timer or its anchors changed
	EventCue      EventKind = "cue"      // the host is cued now
	EventError    EventKind = "error"    // something the operator must see
	EventNotice   EventKind = "notice"   // informational line for the status bar
)

// Snapshot is an immutable view of the show on air. The UI computes the
// display from it with the pure timer, so nothing polls the desk.
type Snapshot struct {
	Show      *scripts.Show
	Timer     *scripts.Timer
	Anchors   []scripts.Anchor
	Run       string
	Rehearsal bool
	// Seq increases with every published snapshot.
	Seq uint64
	// Presets are copies of the preset book, in grid order.
	Presets []Preset
	// Devices is the live registry (safe for concurrent reads), for status
	// lights.
	Devices *Registry
	// Storage is the last write the disk refused (nil when writes work):
	// the controller shows it until a write succeeds.
	Storage *StorageFault
}

// State computes the on-air state at now.
func (s *Snapshot) State(now time.Time) scripts.State {
	if s == nil || s.Timer == nil {
		return scripts.State{Now: now}
	}
	return s.Timer.State(s.Anchors, now)
}

// Event is one announcement from the desk.
type Event struct {
	Kind     EventKind
	At       time.Time
	Snapshot *Snapshot
	Cue      *scripts.Cue
	// Fired is when the desk woke to fire Cue (Cue.At is when it was due).
	Fired   time.Time
	Message string
	Err     error
	// Recall is set on EventRecall.
	Recall *RecallResult
}

// Subscription receives events on a bounded buffer. A subscriber that
// falls behind loses its oldest events (snapshots are whole, so the newest
// one is all it needs); the desk never waits for it.
type Subscription struct {
	ch      chan Event
	dropped atomic.Uint64
	hub     *hub
	once    sync.Once
}

// C is the event stream.
func (s *Subscription) C() <-chan Event { return s.ch }

// Dropped counts events this subscriber lost by falling behind.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Close unsubscribes. The channel is not closed, so a reader in select
// never sees a zero Event.
func (s *Subscription) Close() {
	s.once.Do(func() { s.hub.remove(s) })
}

type hub struct {
	mu   sync.Mutex
	subs map[*Subscription]struct{}
}

func newHub() *hub { return &hub{subs: make(map[*Subscription]struct{})} }

func (h *hub) add(buf int) *Subscription {
	if buf < 1 {
		buf = 1
	}
	s := &Subscription{ch: make(chan Event, buf), hub: h}
	h.mu.Lock()
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	return s
}

func (h *hub) remove(s *Subscription) {
	h.mu.Lock()
	delete(h.subs, s)
	h.mu.Unlock()
}

// publish never blocks: on a full buffer it drops the subscriber's oldest
// event to make room. Only the desk goroutine publishes, so the drop-then-send
// pair cannot race with another sender.
func (h *hub) publish(ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		deliver(s, ev)
	}
}

func deliver(s *Subscription, ev Event) {
	select {
	case s.ch <- ev:
		return
	default:
	}
	select {
	case <-s.ch:
		s.dropped.Add(1)
	default:
	}
	select {
	case s.ch <- ev:
	default:
		s.dropped.Add(1)
	}
}
