package studio

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"time"

	"studiodesk/scripts"
	"studiodesk/studio/interact"
	"studiodesk/studio/platform"
)

// InteractRecord is the persisted live state of one interaction of a show
// and run.
type InteractRecord struct {
	ShowID string         `json:"show_id"`
	Run    string         `json:"run"`
	At     time.Time      `json:"at"`
	Item   interact.Saved `json:"item"`
}

// InteractJournal is a Journal that also keeps the interactions' live
// state. The desk writes it through the journal, with the show log and the
// run, after every change (only the interactions that changed); a journal
// without it loses the state on restart.
type InteractJournal interface {
	SaveInteraction(InteractRecord) error
	// ClearInteractions forgets all saved state (a new show or run).
	ClearInteractions() error
	LoadInteractions() ([]InteractRecord, error)
}

// SaveInteraction persists one interaction's live state.
func (j *StoreJournal) SaveInteraction(r InteractRecord) error {
	if err := j.st.PutInteract(r.Item.ID(), r); err != nil {
		return fmt.Errorf("interaction %q: save state: %w", r.Item.ID(), err)
	}
	return nil
}

// ClearInteractions forgets the saved interaction state.
func (j *StoreJournal) ClearInteractions() error {
	if err := j.st.ClearInteract(); err != nil {
		return fmt.Errorf("interaction state: clear: %w", err)
	}
	return nil
}

// LoadInteractions returns every saved interaction state.
func (j *StoreJournal) LoadInteractions() ([]InteractRecord, error) {
	var out []InteractRecord
	err := j.st.InteractStates(func(id string, raw json.RawMessage) error {
		var r InteractRecord
		if err := json.Unmarshal(raw, &r); err != nil {
			return fmt.Errorf("interaction %q: %w", id, err)
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("interaction state: %w", err)
	}
	return out, nil
}

// SaveInteraction keeps one interaction's state in memory.
func (m *MemoryJournal) SaveInteraction(r InteractRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ix == nil {
		m.ix = make(map[string]InteractRecord)
	}
	m.ix[r.Item.ID()] = r
	return nil
}

// ClearInteractions forgets the kept state.
func (m *MemoryJournal) ClearInteractions() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ix = nil
	return nil
}

// LoadInteractions returns the kept state.
func (m *MemoryJournal) LoadInteractions() ([]InteractRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]InteractRecord, 0, len(m.ix))
	for _, r := range m.ix {
		out = append(out, r)
	}
	return out, nil
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

// restore reads the persisted state back (a restart after a crash) and
// then saves the book afresh, so state of other shows and runs is gone.
func (e *interactEngine) restore(s *scripts.Show, now time.Time) {
	j, ok := e.d.cfg.Journal.(InteractJournal)
	if !ok {
		return
	}
	defer e.persistAll(now)
	recs, err := j.LoadInteractions()
	if err != nil {
		e.d.publishError(fmt.Errorf("load show %q: %w", s.ID, err))
		e.log(interact.LogRestored, interact.RestoredLog{Show: s.ID, Run: e.run(), Error: err.Error()})
		return
	}
	rl := interact.RestoredLog{Show: s.ID, Run: e.run()}
	var errs []error
	for _, r := range recs {
		if r.ShowID != s.ID || r.Run != e.run() {
			continue
		}
		if err := e.book.Restore(r.Item); err != nil {
			errs = append(errs, err)
			continue
		}
		rl.Items = append(rl.Items, r.Item.ID()+":"+string(r.Item.State))
	}
	if len(rl.Items) == 0 && len(errs) == 0 {
		return
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
	e.persistAll(now)
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

// persist writes the state of every interaction that changed since it
// was last saved through the journal.
func (e *interactEngine) persist(now time.Time) {
	e.dirty = false
	j, ok := e.d.cfg.Journal.(InteractJournal)
	if !ok || e.d.show == nil {
		return
	}
	if e.lastSaved == nil {
		e.lastSaved = make(map[string]interact.View)
	}
	for _, v := range e.book.Views() {
		if last, ok := e.lastSaved[v.ID]; ok && reflect.DeepEqual(last, v) {
			continue
		}
		it, _ := e.book.SaveOne(v.ID)
		if err := j.SaveInteraction(InteractRecord{ShowID: e.d.show.ID, Run: e.run(), At: now, Item: it}); err != nil {
			e.d.cfg.Logf("desk: %v", err)
			e.d.hub.publish(Event{Kind: EventError, At: now, Err: err, Message: err.Error()})
			continue
		}
		e.lastSaved[v.ID] = v
	}
}

// persistAll replaces the saved state with the whole book.
func (e *interactEngine) persistAll(now time.Time) {
	j, ok := e.d.cfg.Journal.(InteractJournal)
	if !ok {
		return
	}
	if err := j.ClearInteractions(); err != nil {
		e.d.cfg.Logf("desk: %v", err)
		e.d.hub.publish(Event{Kind: EventError, At: now, Err: err, Message: err.Error()})
	}
	e.lastSaved = nil
	e.persist(now)
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
