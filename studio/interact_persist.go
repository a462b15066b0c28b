package studio

import (
	"errors"
	"fmt"
	"time"

	"studiodesk/scripts"
	"studiodesk/studio/interact"
	"studiodesk/studio/platform"
)

// InteractState is the persisted live state of a show's interactions.
type InteractState struct {
	ShowID string           `json:"show_id"`
	Run    string           `json:"run"`
	At     time.Time        `json:"at"`
	Items  []interact.Saved `json:"items"`
}

// InteractJournal is a Journal that also keeps the interactions' live
// state. The desk writes it through the journal, with the show log and the
// run, after every change; a journal without it loses the state on restart.
type InteractJournal interface {
	SaveInteractions(InteractState) error
	LoadInteractions() (InteractState, bool, error)
}

// SaveInteractions persists the interactions' live state.
func (j *StoreJournal) SaveInteractions(s InteractState) error {
	if err := j.st.SaveInteractState(s); err != nil {
		return fmt.Errorf("interaction state: %w", err)
	}
	return nil
}

// LoadInteractions returns the persisted interaction state.
func (j *StoreJournal) LoadInteractions() (InteractState, bool, error) {
	var s InteractState
	ok, err := j.st.LoadInteractState(&s)
	if err != nil {
		return InteractState{}, false, fmt.Errorf("interaction state: %w", err)
	}
	return s, ok, nil
}

// SaveInteractions keeps the interactions' state in memory.
func (m *MemoryJournal) SaveInteractions(s InteractState) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ix = &s
	return nil
}

// LoadInteractions returns the kept state.
func (m *MemoryJournal) LoadInteractions() (InteractState, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ix == nil {
		return InteractState{}, false, nil
	}
	return *m.ix, true, nil
}

// linkUp reports whether the platform's link is connected.
func linkUp(p platform.Platform) bool {
	return p != nil && p.State().Status == platform.Connected
}

// capsKnown reports whether the platform's capabilities can be trusted: a
// bridge knows none before its first welcome, so a command then is queued
// rather than refused as unsupported.
func capsKnown(p platform.Platform) bool {
	return p != nil && (linkUp(p) || p.Capabilities() != platform.Capabilities{})
}

// nodeOnAir is the id of the segment on air ("" before the start).
func (e *interactEngine) nodeOnAir() string {
	d := e.d
	if d.show == nil || d.timer == nil {
		return ""
	}
	st := d.timer.State(d.run.Anchors, d.cfg.Clock.Now())
	if !st.Started || st.Ended || st.Segment < 0 || st.Segment >= len(d.show.Segments) {
		return ""
	}
	return d.show.Segments[st.Segment].ID
}

// plannedNode is the id of the segment that names interaction id.
func (e *interactEngine) plannedNode(id string) string {
	if e.d.show == nil {
		return ""
	}
	for _, g := range e.d.show.Segments {
		if g.Interaction == id {
			return g.ID
		}
	}
	return ""
}

// claimMinute counts one live coupon's claims in the current minute.
type claimMinute struct {
	minute time.Time
	n      int
}

// countClaim adds a counted claim to its minute, logging the previous
// minute when a new one begins.
func (e *interactEngine) countClaim(id string, at time.Time) {
	if e.claims == nil {
		e.claims = make(map[string]*claimMinute)
	}
	m := at.Truncate(time.Minute)
	cm := e.claims[id]
	if cm != nil && !cm.minute.Equal(m) {
		e.flushClaims(id)
		cm = nil
	}
	if cm == nil {
		cm = &claimMinute{minute: m}
		e.claims[id] = cm
	}
	cm.n++
}

// flushClaims logs the open minute of a coupon's claims.
func (e *interactEngine) flushClaims(id string) {
	cm := e.claims[id]
	if cm == nil || cm.n == 0 {
		return
	}
	delete(e.claims, id)
	v, _ := e.book.Get(id)
	e.log(interact.LogClaims, interact.ClaimsLog{ID: id, Minute: cm.minute, Claims: cm.n, Total: v.Claims, StockLeft: v.StockLeft})
}

// loadShow replaces the book with the show's interactions and, when the
// desk resumes a run of the same show, puts back their persisted state.
func (e *interactEngine) loadShow(s *scripts.Show, now time.Time) {
	e.book = interact.NewBook()
	e.claims = nil
	for _, c := range s.Coupons {
		if err := e.book.DefineCoupon(c); err != nil {
			e.d.publishError(fmt.Errorf("load show %q: %w", s.ID, err))
		}
	}
	for _, v := range s.Votes {
		if err := e.book.DefineVote(v); err != nil {
			e.d.publishError(fmt.Errorf("load show %q: %w", s.ID, err))
		}
	}
	e.log(interact.LogDefined, definedLog(s))
	hadItems := e.seq > 0
	e.restore(s, now)
	// Deliveries resent before the show came back find their interaction.
	for _, p := range e.pending {
		if p.ref == "" {
			p.ref = e.refFor(p.item.Key)
		}
	}
	e.armExpiry(now)
	if hadItems || len(e.book.Views()) > 0 {
		e.publish("load")
	}
}

// restore reads the persisted state back (a restart after a crash).
func (e *interactEngine) restore(s *scripts.Show, now time.Time) {
	j, ok := e.d.cfg.Journal.(InteractJournal)
	if !ok {
		return
	}
	st, found, err := j.LoadInteractions()
	if err != nil {
		e.d.publishError(fmt.Errorf("load show %q: %w", s.ID, err))
		e.log(interact.LogRestored, interact.RestoredLog{Show: s.ID, Run: e.run(), Error: err.Error()})
		return
	}
	if !found || st.ShowID != s.ID || st.Run != e.run() {
		return
	}
	rl := interact.RestoredLog{Show: s.ID, Run: st.Run}
	var errs []error
	for _, it := range st.Items {
		if err := e.book.Restore(it); err != nil {
			errs = append(errs, err)
			continue
		}
		rl.Items = append(rl.Items, it.ID()+":"+string(it.State))
	}
	if err := errors.Join(errs...); err != nil {
		rl.Error = err.Error()
		e.d.publishError(fmt.Errorf("load show %q: interaction state: %w", s.ID, err))
	}
	e.log(interact.LogRestored, rl)
}

// newRun starts the interactions afresh for a new run of the show: every
// one back in draft, except what is live now.
func (e *interactEngine) newRun(now time.Time) {
	if e.d.show == nil {
		return
	}
	old := e.book
	e.book = interact.NewBook()
	if len(e.d.show.Coupons)+len(e.d.show.Votes) > 0 {
		e.log(interact.LogDefined, definedLog(e.d.show))
	}
	for _, c := range e.d.show.Coupons {
		_ = e.book.DefineCoupon(c)
	}
	for _, v := range e.d.show.Votes {
		_ = e.book.DefineVote(v)
	}
	for _, it := range old.Save() {
		if it.State == interact.Live {
			if _, ok := e.book.Get(it.ID()); !ok {
				continue
			}
			_ = e.book.Restore(it)
		}
	}
	e.armExpiry(now)
	if len(e.book.Views()) > 0 || len(old.Views()) > 0 {
		e.publish("run")
	}
}

// VoteSaveDelay bounds how long a counted digit vote waits to be saved.
const VoteSaveDelay = 250 * time.Millisecond

// persistSoon saves the tallies within VoteSaveDelay.
func (e *interactEngine) persistSoon() {
	if !e.dirty {
		e.dirty = true
		e.save.Reset(VoteSaveDelay)
	}
}

func (e *interactEngine) saveDue() {
	if e.dirty {
		e.persist(e.d.cfg.Clock.Now())
	}
}

// persist writes the live state through the journal.
func (e *interactEngine) persist(now time.Time) {
	e.dirty = false
	j, ok := e.d.cfg.Journal.(InteractJournal)
	if !ok || e.d.show == nil {
		return
	}
	st := InteractState{ShowID: e.d.show.ID, Run: e.run(), At: now, Items: e.book.Save()}
	if err := j.SaveInteractions(st); err != nil {
		e.d.cfg.Logf("desk: %v", err)
		e.d.hub.publish(Event{Kind: EventError, At: now, Err: err, Message: err.Error()})
	}
}

// definedLog is the show's interactions as loaded, with their nodes.
func definedLog(s *scripts.Show) interact.DefinedLog {
	def := interact.DefinedLog{Show: s.ID, Coupons: s.Coupons, Votes: s.Votes, Nodes: map[string]string{}}
	for _, g := range s.Segments {
		if g.Interaction != "" {
			def.Nodes[g.ID] = g.Interaction
		}
	}
	return def
}
