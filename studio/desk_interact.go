package studio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"studiodesk/studio/interact"
	"studiodesk/studio/platform"
	"studiodesk/studio/store"
)

// OutboxStore is the part of store.Store the interactions need: every
// platform command is written here with its idempotency key before it is
// sent, and marked done on acknowledgement.
type OutboxStore interface {
	OutboxAdd(item store.OutboxItem) error
	OutboxPending() ([]store.OutboxItem, error)
	OutboxAttempt(key string) error
	OutboxDone(key string, result any) error
}

// InteractConfig wires coupons and votes to the platform and the outbox.
type InteractConfig struct {
	// Platform receives coupon and vote commands (nil: firing fails).
	Platform platform.Platform
	// Outbox is the durable outbox (nil: in memory, lost on restart).
	Outbox OutboxStore
	// SendTimeout bounds one send (default 5 s).
	SendTimeout time.Duration
	// RetryMin and RetryMax bound the backoff between re-sends of an
	// unacknowledged command (defaults 500 ms and 30 s).
	RetryMin, RetryMax time.Duration
	// OnChange, if set, receives every published interaction snapshot on
	// the desk goroutine; it must not block (hand off, e.g. fyne.Do).
	OnChange func(Interactions)
	// Viewers, if set, returns the audience now (for participation).
	Viewers func() int
}

// Interaction commands. Firing a coupon moves money: the UI confirms first.
type (
	// DefineCoupon adds or redefines (in draft or armed) a coupon.
	DefineCoupon struct{ Coupon interact.Coupon }
	// DefineVote adds or redefines (in draft or armed) a vote.
	DefineVote struct{ Vote interact.Vote }
	// ArmInteraction marks an interaction's script node as come.
	ArmInteraction struct{ ID string }
	// FireCoupon issues a coupon on the platform (through the outbox).
	FireCoupon struct{ ID string }
	// StartVote starts a vote; only one vote is live at a time.
	StartVote struct{ ID string }
	// EndVote ends a live vote early.
	EndVote struct{ ID string }
	// CancelInteraction calls off a draft, armed or live interaction.
	CancelInteraction struct{ ID, Reason string }
)

// Name implementations: the show-log kind.
func (DefineCoupon) Name() string      { return "define_coupon" }
func (DefineVote) Name() string        { return "define_vote" }
func (ArmInteraction) Name() string    { return "arm_interaction" }
func (FireCoupon) Name() string        { return "fire_coupon" }
func (StartVote) Name() string         { return "start_vote" }
func (EndVote) Name() string           { return "end_vote" }
func (CancelInteraction) Name() string { return "cancel_interaction" }

// EventInteraction announces a change of the interactions; Message is a
// short summary. The whole state is in Desk.Interactions and
// InteractConfig.OnChange.
const EventInteraction EventKind = "interaction"

// ErrNoPlatform: the desk has no platform to send to.
var ErrNoPlatform = errors.New("no platform configured")

// UnsupportedError says the platform lacks a capability:
// "not supported on bilibili". It matches platform.ErrUnsupported.
type UnsupportedError struct{ Platform string }

func (e *UnsupportedError) Error() string { return "not supported on " + e.Platform }

// Is matches platform.ErrUnsupported.
func (e *UnsupportedError) Is(target error) bool { return target == platform.ErrUnsupported }

// Interactions is a snapshot of all interactions.
type Interactions struct {
	At    time.Time       `json:"at"`
	Seq   uint64          `json:"seq"`
	Items []interact.View `json:"items"`
	// Pending counts outbox commands not yet acknowledged.
	Pending int `json:"pending"`
}

// Get returns the view of id.
func (s Interactions) Get(id string) (interact.View, bool) {
	for _, v := range s.Items {
		if v.ID == id {
			return v, true
		}
	}
	return interact.View{}, false
}

// Defaults of InteractConfig.
const (
	DefaultSendTimeout = 5 * time.Second
	DefaultRetryMin    = 500 * time.Millisecond
	DefaultRetryMax    = 30 * time.Second
)

// interactEngine is the desk's coupons and votes: the book, the outbox
// deliveries, the countdown and retry timers and the persisted live state.
// The desk owns one; every method runs on the desk goroutine.
type interactEngine struct {
	d       *Desk
	book    *interact.Book
	outbox  OutboxStore
	pending map[string]*outSend // by key
	expiry  ClockTimer
	retry   ClockTimer
	save    ClockTimer // a pending save of vote tallies
	dirty   bool       // tallies changed since the last save
	// lastSaved is each interaction as last saved (only changes are
	// written).
	lastSaved map[string]interact.View
	seq       uint64
	claims    map[string]*claimMinute // open claims-per-minute counts by coupon
}

// outSend is an outbox command the desk is delivering.
type outSend struct {
	item     store.OutboxItem
	ref      string // interaction id ("" if unknown, e.g. after a restart)
	failures int
	inflight bool
	next     time.Time
}

// newInteractEngine wires the interactions of d (called from New).
func newInteractEngine(d *Desk) *interactEngine {
	ix := &interactEngine{
		d:       d,
		book:    interact.NewBook(),
		outbox:  d.cfg.Interact.Outbox,
		pending: make(map[string]*outSend),
		expiry:  d.cfg.Clock.NewTimer(time.Hour),
		retry:   d.cfg.Clock.NewTimer(time.Hour),
		save:    d.cfg.Clock.NewTimer(time.Hour),
	}
	ix.expiry.Stop()
	ix.retry.Stop()
	ix.save.Stop()
	if ix.outbox == nil {
		ix.outbox = newMemOutbox(d.cfg.Clock)
	}
	// The desk loop does not watch these timers: one watcher hands their
	// fires back to the desk goroutine.
	go func() {
		for {
			select {
			case <-ix.expiry.C():
				d.post(ix.expire)
			case <-ix.retry.C():
				d.post(ix.retryDue)
			case <-ix.save.C():
				d.post(ix.saveDue)
			case <-d.done:
				return
			}
		}
	}()
	if p := d.cfg.Interact.Platform; p != nil {
		p.OnState(func(st platform.LinkState) {
			if st.Status == platform.Connected {
				go d.ResendPending()
			}
		})
	}
	return ix
}

func (e *interactEngine) run() string {
	if e.d.run.ID == "" {
		return deskLog
	}
	return e.d.run.ID
}

// applyInteractionCommand handles coupon and vote commands; handled is
// false for any other command.
func (e *interactEngine) applyInteractionCommand(cmd Command) (handled bool, err error) {
	now := e.d.cfg.Clock.Now()
	switch c := cmd.(type) {
	case DefineCoupon:
		ix := e
		if err := ix.book.DefineCoupon(c.Coupon); err != nil {
			return true, fmt.Errorf("%s: %w", cmd.Name(), err)
		}
		e.log(cmd.Name(), c.Coupon)
	case DefineVote:
		ix := e
		if err := ix.book.DefineVote(c.Vote); err != nil {
			return true, fmt.Errorf("%s: %w", cmd.Name(), err)
		}
		e.log(cmd.Name(), c.Vote)
	case ArmInteraction:
		before, _ := e.book.SaveOne(c.ID)
		if err := e.book.Arm(c.ID, now); err != nil {
			return true, err
		}
		if err := e.commitChange(interact.LogArm, interact.StateLog{ID: c.ID, State: interact.Armed, Node: e.nodeOnAir()}, nil, c.ID, now); err != nil {
			_ = e.book.Restore(before) // not recorded: not armed
			return true, fmt.Errorf("%s %q: %w", cmd.Name(), c.ID, err)
		}
	case FireCoupon:
		if err := e.fireCoupon(c.ID, now); err != nil {
			return true, err
		}
	case StartVote:
		if err := e.startVote(c.ID, now); err != nil {
			return true, err
		}
	case EndVote:
		if err := e.endVote(c.ID, now); err != nil {
			return true, err
		}
	case CancelInteraction:
		ix := e
		before, _ := ix.book.SaveOne(c.ID)
		if err := ix.book.Cancel(c.ID, c.Reason, now); err != nil {
			return true, err
		}
		if err := e.commitChange(interact.LogCancel, interact.StateLog{ID: c.ID, State: interact.Cancelled, Reason: c.Reason, Node: e.nodeOnAir()}, nil, c.ID, now); err != nil {
			_ = ix.book.Restore(before) // not recorded: not cancelled
			return true, fmt.Errorf("%s %q: %w", cmd.Name(), c.ID, err)
		}
		e.flushClaims(c.ID)
		e.dropQueued(c.ID)
		e.armExpiry(now)
	default:
		return false, nil
	}
	e.publish(cmd.Name())
	return true, nil
}

// commitChange records a command that changed interaction id: its
// show-log record, its outbox item (if any) and the interaction's new state
// are one transaction when the journal and the outbox are the app's store,
// so the log says "fired" if and only if the coupon will go out and the
// state after a crash is the state the log describes. Otherwise (other
// wiring, tests) the record is written first, then the item. On an error
// the caller takes the change back.
func (e *interactEngine) commitChange(kind string, payload any, item *store.OutboxItem, id string, now time.Time) error {
	if sj, ok := e.d.cfg.Journal.(*StoreJournal); ok && sj.st != nil && e.d.show != nil && (item == nil || e.outbox == OutboxStore(sj.st)) {
		saved, _ := e.book.SaveOne(id)
		rec := InteractRecord{ShowID: e.d.show.ID, Run: e.run(), At: now, Item: saved}
		err := e.d.record(JournalEntry{Run: e.run(), Kind: kind, Payload: payload, Also: func(tx *store.Tx) error {
			if item != nil {
				if err := tx.OutboxAdd(*item); err != nil {
					return err
				}
			}
			return tx.Put(store.InteractBucket, id, rec)
		}})
		if err != nil {
			return err
		}
		if v, ok := e.book.Get(id); ok {
			if e.lastSaved == nil {
				e.lastSaved = make(map[string]interact.View)
			}
			e.lastSaved[id] = v
		}
		return nil
	}
	if err := e.d.record(JournalEntry{Run: e.run(), Kind: kind, Payload: payload}); err != nil {
		return err
	}
	if item != nil {
		if err := e.outbox.OutboxAdd(*item); err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
	}
	return nil
}

// ixLog appends to the show log; a failure is reported, not fatal (the
// outbox, not the log, is what makes a command happen).
func (e *interactEngine) log(kind string, payload any) {
	if err := e.d.cfg.Journal.Append(e.run(), kind, payload); err != nil {
		e.d.cfg.Logf("desk: show log: %s: %v", kind, err)
		e.d.hub.publish(Event{Kind: EventError, At: e.d.cfg.Clock.Now(), Err: err, Message: "show log: " + err.Error()})
	}
}

func (e *interactEngine) platformFor(kind interact.Kind, label string, op interact.Op, need func(platform.Capabilities) bool) (platform.Platform, error) {
	p := e.d.cfg.Interact.Platform
	if p == nil {
		return nil, fmt.Errorf("%s %q: %s: %w", kind, label, op, ErrNoPlatform)
	}
	// Before the link is up (a bridge before its first welcome) the
	// capabilities are not known yet: the command is queued, not refused.
	if capsKnown(p) && !need(p.Capabilities()) {
		return nil, fmt.Errorf("%s %q: %s: %w", kind, label, op, &UnsupportedError{Platform: p.Name()})
	}
	return p, nil
}

func (e *interactEngine) fireCoupon(id string, now time.Time) error {
	ix := e
	if err := ix.book.Check(id, interact.OpFire); err != nil {
		return err
	}
	v, _ := ix.book.Get(id)
	c := *v.Coupon
	if _, err := e.platformFor(interact.KindCoupon, c.Label(), interact.OpFire,
		func(c platform.Capabilities) bool { return c.Coupons }); err != nil {
		return err
	}
	payload, err := json.Marshal(couponPayload{ID: c.ID, Name: c.Label(), Stock: c.Stock,
		PerViewerLimit: c.PerViewer, WindowSeconds: int(c.Window / time.Second)})
	if err != nil {
		return fmt.Errorf("coupon %q: fire: payload: %w", c.Label(), err)
	}
	key := "coupon:" + c.ID + ":" + e.run()
	item := store.OutboxItem{Key: key, Kind: platform.CmdCouponIssue, Payload: payload, Created: now}
	fired := interact.FiredLog{ID: c.ID, Name: c.Label(), Key: key, Stock: c.Stock,
		PerViewer: c.PerViewer, WindowS: int(c.Window / time.Second), FaceValue: c.FaceValue,
		Threshold: c.Threshold, Discount: c.Discount, PriceProtection: c.PriceProtection,
		PlannedNode: e.plannedNode(c.ID), Node: e.nodeOnAir(), Queued: !linkUp(e.d.cfg.Interact.Platform)}
	before, _ := ix.book.SaveOne(id)
	if err := ix.book.Fire(id, key, now); err != nil {
		return err // checked above; cannot happen
	}
	if err := e.commitChange(interact.LogFire, fired, &item, id, now); err != nil {
		_ = ix.book.Restore(before) // not recorded: not fired
		if errors.Is(err, store.ErrDuplicateKey) {
			return fmt.Errorf("coupon %q: fire: already fired in run %q (key %s): %w", c.Label(), e.run(), key, err)
		}
		return fmt.Errorf("coupon %q: fire: %w", c.Label(), err)
	}
	e.enqueue(item, id)
	return nil
}

// Payloads as the platform adapters read them (rehearsal.CouponIssue,
// VoteStart, VoteEnd).
type (
	couponPayload struct {
		ID             string `json:"id"`
		Name           string `json:"name"`
		Stock          int    `json:"stock"`
		PerViewerLimit int    `json:"per_viewer_limit"`
		WindowSeconds  int    `json:"window_seconds"`
	}
	voteStartPayload struct {
		ID       string `json:"id"`
		Options  int    `json:"options"`
		Duration int    `json:"duration"`
	}
	voteEndPayload struct {
		ID string `json:"id"`
	}
)

func (e *interactEngine) startVote(id string, now time.Time) error {
	ix := e
	if err := ix.book.Check(id, interact.OpStart); err != nil {
		return err
	}
	v, _ := ix.book.Get(id)
	vo := *v.Vote
	var item *store.OutboxItem
	if vo.Mode == interact.ModePlatform {
		if _, err := e.platformFor(interact.KindVote, vo.ID, interact.OpStart,
			func(c platform.Capabilities) bool { return c.Votes && c.PlatformPolls }); err != nil {
			return err
		}
	}
	if p := e.d.cfg.Interact.Platform; p != nil && p.Capabilities().Votes {
		payload, err := json.Marshal(voteStartPayload{ID: vo.ID, Options: len(vo.Options), Duration: int(vo.Duration / time.Second)})
		if err != nil {
			return fmt.Errorf("vote %q: start: payload: %w", vo.ID, err)
		}
		key := "vote.start:" + vo.ID + ":" + e.run()
		item = &store.OutboxItem{Key: key, Kind: platform.CmdVoteStart, Payload: payload, Created: now}
	}
	key := ""
	if item != nil {
		key = item.Key
	}
	viewers := 0
	if f := e.d.cfg.Interact.Viewers; f != nil {
		viewers = f()
	}
	started := interact.StartedLog{ID: vo.ID, Question: vo.Question, Options: vo.Options,
		DurationS: int(vo.Duration / time.Second), Mode: vo.Mode, ChangeRule: vo.ChangeRule, Key: key,
		PlannedNode: e.plannedNode(vo.ID), Node: e.nodeOnAir(), Viewers: viewers}
	before, _ := ix.book.SaveOne(id)
	if err := ix.book.StartVote(id, key, now); err != nil {
		return err
	}
	if err := e.commitChange(interact.LogStart, started, item, id, now); err != nil {
		_ = ix.book.Restore(before) // not recorded: not started
		if errors.Is(err, store.ErrDuplicateKey) {
			return fmt.Errorf("vote %q: start: already started in run %q (key %s): %w", vo.ID, e.run(), key, err)
		}
		return fmt.Errorf("vote %q: start: %w", vo.ID, err)
	}
	if item != nil {
		ix.book.SetDelivery(id, interact.Sending, "")
		e.enqueue(*item, id)
	} else {
		ix.book.SetDelivery(id, interact.Local, "")
	}
	e.armExpiry(now)
	return nil
}

func (e *interactEngine) endVote(id string, now time.Time) error {
	ix := e
	v, ok := ix.book.Get(id)
	before, _ := ix.book.SaveOne(id)
	if err := ix.book.EndVote(id, now); err != nil {
		return err
	}
	var item *store.OutboxItem
	if ok && v.Key != "" {
		payload, _ := json.Marshal(voteEndPayload{ID: id})
		item = &store.OutboxItem{Key: "vote.end:" + id + ":" + e.run(), Kind: platform.CmdVoteEnd, Payload: payload, Created: now}
	}
	// The end's record (with the result), its outbox item and the closed
	// state: one transaction, or the vote stays live.
	if err := e.commitChange(interact.LogEnd, e.resultLog(id), item, id, now); err != nil {
		_ = ix.book.Restore(before)
		return fmt.Errorf("vote %q: end: %w", id, err)
	}
	if item != nil {
		e.enqueue(*item, "")
	}
	e.armExpiry(now)
	return nil
}

// ixDropQueued stops re-sending the queued command of a cancelled
// interaction. A send in flight is left to finish: it may already have
// reached the platform, and its acknowledgement is recorded.
func (e *interactEngine) dropQueued(id string) {
	ix := e
	for key, s := range ix.pending {
		if s.ref == id && !s.inflight {
			if err := ix.outbox.OutboxDone(key, map[string]any{"cancelled": true}); err != nil {
				e.d.cfg.Logf("desk: outbox done %s: %v", key, err)
			}
			delete(ix.pending, key)
		}
	}
}

// ixLogResult writes the result of a closed interaction to the show log.
// resultLog is a closed vote's result as the show log records it.
func (e *interactEngine) resultLog(id string) interact.ResultLog {
	v, _ := e.book.Get(id)
	r := interact.ResultLog{ID: id, Kind: v.Kind, Counts: v.Counts, Total: v.Total, Percent: v.Percent, LiveAt: v.LiveAt, EndsAt: v.EndsAt}
	if v.Vote != nil {
		r.Question, r.Options = v.Vote.Question, v.Vote.Options
	}
	return r
}

func (e *interactEngine) logResult(id, kind string) {
	v, ok := e.book.Get(id)
	if !ok {
		return
	}
	if v.Kind == interact.KindCoupon {
		e.flushClaims(id)
		e.log(kind, interact.ResultLog{ID: id, Kind: v.Kind, Name: v.Label, Claims: v.Claims, StockLeft: v.StockLeft,
			Stock: v.Coupon.Stock, Refused: v.Refused, LiveAt: v.LiveAt, EndsAt: v.EndsAt})
		return
	}
	e.log(kind, interact.ResultLog{ID: id, Kind: v.Kind, Question: v.Vote.Question, Options: v.Vote.Options,
		Counts: v.Counts, Total: v.Total, Percent: v.Percent, LiveAt: v.LiveAt, EndsAt: v.EndsAt})
}

// ixEnqueue starts delivering an outbox item now.
func (e *interactEngine) enqueue(item store.OutboxItem, ref string) {
	ix := e
	if _, ok := ix.pending[item.Key]; ok {
		return
	}
	s := &outSend{item: item, ref: ref}
	ix.pending[item.Key] = s
	e.send(s)
}

// ixSend counts an attempt and sends in the background; the result comes
// back through d.post.
func (e *interactEngine) send(s *outSend) {
	ix := e
	p := e.d.cfg.Interact.Platform
	if p == nil || s.inflight || e.d.following() != nil {
		return
	}
	if err := ix.outbox.OutboxAttempt(s.item.Key); err != nil {
		if errors.Is(err, store.ErrAlreadyDone) {
			delete(ix.pending, s.item.Key)
			return
		}
		e.d.cfg.Logf("desk: outbox attempt %s: %v", s.item.Key, err)
	}
	s.inflight = true
	if s.ref != "" {
		ix.book.SetDelivery(s.ref, interact.Sending, "")
	}
	cmd := platform.Command{Key: s.item.Key, Kind: s.item.Kind, Payload: s.item.Payload}
	timeout := e.d.cfg.Interact.SendTimeout
	if timeout <= 0 {
		timeout = DefaultSendTimeout
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		ack, err := p.Send(ctx, cmd)
		cancel()
		e.d.post(func() { e.acked(cmd.Key, ack, err) })
	}()
}

// ixAcked handles the platform's answer on the desk goroutine.
func (e *interactEngine) acked(key string, ack platform.Ack, sendErr error) {
	ix := e
	now := e.d.cfg.Clock.Now()
	s := ix.pending[key]
	if s == nil {
		return
	}
	s.inflight = false
	switch {
	case sendErr == nil && ack.OK:
		if err := ix.outbox.OutboxDone(key, ack); err != nil {
			// Not marked done: a later re-send gets a Duplicate ack.
			e.d.cfg.Logf("desk: outbox done %s: %v", key, err)
		}
		delete(ix.pending, key)
		e.log(interact.LogAck, interact.DeliveryLog{Key: key, Kind: s.item.Kind, ID: s.ref,
			Duplicate: ack.Duplicate, Attempts: s.failures + 1, Result: ack.Result})
		if s.ref != "" {
			ix.book.Delivered(s.ref, now)
			e.armExpiry(now)
		}
	case sendErr == nil || (errors.Is(sendErr, platform.ErrUnsupported) && capsKnown(e.d.cfg.Interact.Platform)):
		// Refused: re-sending the same key gets the same answer.
		reason := string(ack.Result)
		if sendErr != nil {
			reason = sendErr.Error()
		}
		if err := ix.outbox.OutboxDone(key, ack); err != nil {
			e.d.cfg.Logf("desk: outbox done %s: %v", key, err)
		}
		delete(ix.pending, key)
		e.log(interact.LogRefused, interact.DeliveryLog{Key: key, Kind: s.item.Kind, ID: s.ref, Reason: reason})
		if s.ref != "" {
			ix.book.Refuse(s.ref, reason, now)
			e.armExpiry(now)
		}
		e.d.hub.publish(Event{Kind: EventError, At: now, Message: fmt.Sprintf("%s %s refused: %s", s.item.Kind, s.ref, reason)})
	default:
		s.failures++
		back := e.d.cfg.Interact.RetryMin
		if back <= 0 {
			back = DefaultRetryMin
		}
		maxBack := e.d.cfg.Interact.RetryMax
		if maxBack <= 0 {
			maxBack = DefaultRetryMax
		}
		for i := 1; i < s.failures && back < maxBack; i++ {
			back *= 2
		}
		s.next = now.Add(min(back, maxBack))
		if s.ref != "" {
			ix.book.SetDelivery(s.ref, interact.Queued, sendErr.Error())
		}
		if s.failures == 1 {
			e.log(interact.LogQueued, interact.DeliveryLog{Key: key, Kind: s.item.Kind, ID: s.ref, Error: sendErr.Error()})
		}
		e.armRetry(now)
	}
	e.publish("ack")
}

func (e *interactEngine) armRetry(now time.Time) {
	ix := e
	var best time.Time
	for _, s := range ix.pending {
		if !s.inflight && !s.next.IsZero() && (best.IsZero() || s.next.Before(best)) {
			best = s.next
		}
	}
	ix.retry.Stop()
	if !best.IsZero() {
		ix.retry.Reset(best.Sub(now))
	}
}

func (e *interactEngine) retryDue() {
	ix := e
	now := e.d.cfg.Clock.Now()
	for _, s := range ix.pending {
		if !s.inflight && !s.next.IsZero() && !now.Before(s.next) {
			e.send(s)
		}
	}
	e.armRetry(now)
	e.publish("retry")
}

func (e *interactEngine) armExpiry(now time.Time) {
	ix := e
	ix.expiry.Stop()
	if at, ok := ix.book.NextExpiry(); ok {
		ix.expiry.Reset(at.Sub(now))
	}
}

func (e *interactEngine) expire() {
	ix := e
	now := e.d.cfg.Clock.Now()
	closed := ix.book.Expire(now)
	for _, id := range closed {
		e.logResult(id, interact.LogClosed)
	}
	e.armExpiry(now)
	if len(closed) > 0 {
		e.publish("closed")
	}
}

// ResendPending re-sends every unacknowledged outbox command under its own
// key: call it when the desk starts (after a restart) and on reconnect.
// Safe from any goroutine.
func (d *Desk) ResendPending() {
	d.post(func() {
		if d.following() != nil {
			return // a follower sends nothing (desk_standby.go)
		}
		ix := d.ix
		items, err := ix.outbox.OutboxPending()
		if err != nil {
			d.cfg.Logf("desk: outbox pending: %v", err)
			d.hub.publish(Event{Kind: EventError, At: d.cfg.Clock.Now(), Err: err, Message: "outbox: " + err.Error()})
			return
		}
		for _, it := range items {
			if s := ix.pending[it.Key]; s != nil {
				s.next = time.Time{}
				d.ix.send(s)
				continue
			}
			d.ix.enqueue(it, d.ix.refFor(it.Key))
		}
		d.ix.armRetry(d.cfg.Clock.Now())
		d.ix.publish("resend")
	})
}

// ixRefFor finds the interaction a key belongs to, if the desk knows it.
func (e *interactEngine) refFor(key string) string {
	for _, v := range e.book.Views() {
		if v.Key == key {
			return v.ID
		}
	}
	return ""
}

// Interactions returns the current interaction snapshot. It asks the desk
// goroutine: do not call it from OnChange.
func (d *Desk) Interactions() Interactions {
	ch := make(chan Interactions, 1)
	d.post(func() { ch <- d.ix.snapshot() })
	select {
	case s := <-ch:
		return s
	case <-d.done:
		return Interactions{}
	}
}

func (e *interactEngine) snapshot() Interactions {
	ix := e
	return Interactions{At: e.d.cfg.Clock.Now(), Seq: ix.seq, Items: ix.book.Views(), Pending: len(ix.pending)}
}

func (e *interactEngine) publish(why string) {
	ix := e
	ix.seq++
	snap := e.snapshot()
	// Digit votes arrive by the thousand: their tally is saved at most
	// VoteSaveDelay later, everything else at once.
	if why == "vote" {
		e.persistSoon()
	} else {
		e.persist(snap.At)
	}
	e.d.hub.publish(Event{Kind: EventInteraction, At: snap.At, Message: why})
	if f := e.d.cfg.Interact.OnChange; f != nil {
		f(snap)
	}
}

// PlatformEvent feeds a platform event to the interactions: coupon claims
// (KindClaim, Ref = coupon id), platform votes (KindVote, Text = option),
// out-of-band acks (KindAck, ID = key) and digit votes in danmaku. Safe
// from the feed goroutine; it does not wait for the desk.
func (d *Desk) PlatformEvent(ev platform.Event) {
	switch ev.Kind {
	case platform.KindClaim:
		d.postAsync(func() {
			ix := d.ix
			if ix.book.Claim(ev.Ref, ev.ViewerID, ev.ID, ev.Time) {
				ix.countClaim(ev.Ref, ev.Time)
				d.ix.publish("claim")
			}
		})
	case platform.KindVote, platform.KindDanmaku:
		if digit := interact.ParseDigit(ev.Text); digit > 0 {
			d.VoteDanmaku(ev.ViewerID, digit, ev.Time)
		} else if ev.Kind == platform.KindVote {
			d.postAsync(func() {
				ix := d.ix
				id, t, _, ok := ix.book.LiveVote()
				if !ok {
					return
				}
				for i, o := range ix.book.Options(id) {
					if o == ev.Text {
						if t.Add(ev.ViewerID, i+1, ev.Time) {
							d.ix.publish("vote")
						}
						return
					}
				}
			})
		}
	case platform.KindAck:
		d.postAsync(func() {
			if s := d.ix.pending[ev.ID]; s != nil && !s.inflight {
				d.ix.acked(ev.ID, platform.Ack{Key: ev.ID, OK: true}, nil)
			}
		})
	}
}

// postAsync hands f to the desk without blocking the caller when the inbox
// is full.
func (d *Desk) postAsync(f func()) {
	select {
	case d.inbox <- f:
	default:
		go d.post(f)
	}
}

// voteBuf batches digit votes from the feed: one desk wake-up per batch.
type voteBuf struct {
	mu      sync.Mutex
	votes   []digitVote
	posted  bool
	dropped uint64
}

type digitVote struct {
	viewer string
	digit  uint8
	at     time.Time
}

// maxVoteBuf bounds the votes waiting for the desk.
const maxVoteBuf = 1 << 20

var voteBufs sync.Map // *Desk → *voteBuf

func (d *Desk) voteBuffer() *voteBuf {
	if b, ok := voteBufs.Load(d); ok {
		return b.(*voteBuf)
	}
	b, loaded := voteBufs.LoadOrStore(d, &voteBuf{})
	if !loaded {
		go func() {
			<-d.done
			voteBufs.Delete(d)
		}()
	}
	return b.(*voteBuf)
}

// VoteDanmaku counts a digit vote (1..9) from a danmaku line for the live
// digit vote. Safe from any goroutine and cheap: votes are batched and
// handed to the desk together.
func (d *Desk) VoteDanmaku(viewerID string, digit int, at time.Time) {
	if digit < 1 || digit > 9 {
		return
	}
	b := d.voteBuffer()
	b.mu.Lock()
	if len(b.votes) >= maxVoteBuf {
		b.dropped++
		b.mu.Unlock()
		return
	}
	b.votes = append(b.votes, digitVote{viewer: viewerID, digit: uint8(digit), at: at})
	post := !b.posted
	b.posted = true
	b.mu.Unlock()
	if post {
		d.postAsync(func() { d.ix.flushVotes(b) })
	}
}

func (e *interactEngine) flushVotes(b *voteBuf) {
	b.mu.Lock()
	votes := b.votes
	b.votes = nil
	b.posted = false
	b.mu.Unlock()
	_, t, _, ok := e.book.LiveVote()
	if !ok {
		return
	}
	changed := false
	for _, v := range votes {
		if t.Add(v.viewer, int(v.digit), v.at) {
			changed = true
		}
	}
	if changed {
		e.publish("vote")
	}
}

// memOutbox is the outbox of a desk without a store: in memory only.
type memOutbox struct {
	clock Clock
	mu    sync.Mutex
	items map[string]*store.OutboxItem
	order []string
}

func newMemOutbox(c Clock) *memOutbox {
	return &memOutbox{clock: c, items: make(map[string]*store.OutboxItem)}
}

func (m *memOutbox) OutboxAdd(item store.OutboxItem) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.items[item.Key]; ok {
		return fmt.Errorf("outbox key %q: add: %w", item.Key, store.ErrDuplicateKey)
	}
	item.Attempts, item.Done = 0, false
	m.items[item.Key] = &item
	m.order = append(m.order, item.Key)
	return nil
}

func (m *memOutbox) OutboxPending() ([]store.OutboxItem, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.OutboxItem
	for _, k := range m.order {
		if it := m.items[k]; !it.Done {
			out = append(out, *it)
		}
	}
	return out, nil
}

func (m *memOutbox) OutboxAttempt(key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	it := m.items[key]
	switch {
	case it == nil:
		return fmt.Errorf("outbox key %q: attempt: %w", key, store.ErrNotFound)
	case it.Done:
		return fmt.Errorf("outbox key %q: attempt: %w", key, store.ErrAlreadyDone)
	}
	it.Attempts++
	return nil
}

func (m *memOutbox) OutboxDone(key string, result any) error {
	raw, err := json.Marshal(result)
	if err != nil {
		return fmt.Errorf("outbox key %q: encode result: %w", key, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	it := m.items[key]
	if it == nil {
		return fmt.Errorf("outbox key %q: done: %w", key, store.ErrNotFound)
	}
	if !it.Done {
		it.Done, it.DoneAt, it.Result = true, m.clock.Now(), raw
	}
	return nil
}

// armForSegment arms the interaction of a segment that just went on air, so
// the controller is prompted at the script's interaction node.
func (e *interactEngine) armForSegment(index int) {
	if e.d.show == nil || index < 0 || index >= len(e.d.show.Segments) {
		return
	}
	id := e.d.show.Segments[index].Interaction
	if id == "" {
		return
	}
	v, ok := e.book.Get(id)
	if !ok || v.State != interact.Draft {
		return
	}
	if _, err := e.applyInteractionCommand(ArmInteraction{ID: id}); err != nil {
		e.d.publishError(err)
	}
}
