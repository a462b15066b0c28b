package interact

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Kind is coupon or vote.
type Kind string

// Kinds.
const (
	KindCoupon Kind = "coupon"
	KindVote   Kind = "vote"
)

// State is where an interaction is in its life.
type State string

// States. Closed and Cancelled are final.
const (
	Draft     State = "draft"     // defined, waiting for its node
	Armed     State = "armed"     // its node has come: the controller is prompted
	Live      State = "live"      // fired / started: counting down
	Closed    State = "closed"    // the window or vote ended: results
	Cancelled State = "cancelled" // called off
)

// Delivery is how far the platform command of a live interaction got.
type Delivery string

// Deliveries ("" before any command).
const (
	Queued  Delivery = "queued"  // written to the outbox, not acknowledged (link down, retrying)
	Sending Delivery = "sending" // a send is in flight
	Acked   Delivery = "acked"   // the platform acknowledged it
	Refused Delivery = "refused" // the platform refused it
	Local   Delivery = "local"   // nothing to send (a digit vote on a platform without votes)
)

// Op is a transition.
type Op string

// Transitions.
const (
	OpDefine Op = "define"
	OpArm    Op = "arm"
	OpFire   Op = "fire"
	OpStart  Op = "start"
	OpEnd    Op = "end"
	OpCancel Op = "cancel"
)

// Errors callers branch on.
var (
	// ErrWrongState: the transition is not allowed now.
	ErrWrongState = errors.New("wrong state")
	// ErrVoteLive: another vote is live.
	ErrVoteLive = errors.New("another vote is live")
	// ErrUnknown: no interaction with that id.
	ErrUnknown = errors.New("no such interaction")
	// ErrKind: a coupon operation on a vote or the other way round.
	ErrKind = errors.New("wrong kind of interaction")
)

// StateError is a transition at the wrong moment:
// `vote "v1": fire: already live`. It matches ErrWrongState.
type StateError struct {
	Kind  Kind
	Label string
	Op    Op
	State State
}

func (e *StateError) Error() string {
	var why string
	switch e.State {
	case Draft:
		why = "not live yet"
	case Armed:
		why = "armed, not live yet"
	case Live:
		why = "already live"
	case Closed:
		why = "already closed"
	case Cancelled:
		why = "cancelled"
	default:
		why = "in state " + string(e.State)
	}
	return fmt.Sprintf("%s %q: %s: %s", e.Kind, e.Label, e.Op, why)
}

// Is matches ErrWrongState.
func (e *StateError) Is(target error) bool { return target == ErrWrongState }

// item is one interaction in the book.
type item struct {
	kind     Kind
	coupon   Coupon
	vote     Vote
	state    State
	armedAt  time.Time
	liveAt   time.Time
	endsAt   time.Time
	closedAt time.Time
	reason   string
	delivery Delivery
	key      string
	lastErr  string

	claims    int
	refused   int
	claimIDs  map[string]struct{}
	perViewer map[string]int

	tally *Tally
}

func (it *item) id() string {
	if it.kind == KindCoupon {
		return it.coupon.ID
	}
	return it.vote.ID
}

func (it *item) label() string {
	if it.kind == KindCoupon {
		return it.coupon.Label()
	}
	return it.vote.ID
}

// Book holds a show's interactions in definition order. Not safe for
// concurrent use; the desk goroutine owns it.
type Book struct {
	items map[string]*item
	order []string
}

// NewBook returns an empty book.
func NewBook() *Book { return &Book{items: make(map[string]*item)} }

func (b *Book) get(id string, kind Kind, op Op) (*item, error) {
	it := b.items[id]
	if it == nil {
		return nil, fmt.Errorf("interaction %q: %s: %w", id, op, ErrUnknown)
	}
	if kind != "" && it.kind != kind {
		return nil, fmt.Errorf("%s %q: %s: is a %s: %w", it.kind, it.label(), op, it.kind, ErrKind)
	}
	return it, nil
}

func (b *Book) define(it *item) error {
	id := it.id()
	if old := b.items[id]; old != nil {
		if old.state != Draft && old.state != Armed {
			return &StateError{Kind: old.kind, Label: old.label(), Op: OpDefine, State: old.state}
		}
		if old.kind != it.kind {
			return fmt.Errorf("%s %q: %s: id is taken by a %s: %w", it.kind, it.label(), OpDefine, old.kind, ErrKind)
		}
		it.state, it.armedAt = old.state, old.armedAt
		b.items[id] = it
		return nil
	}
	it.state = Draft
	b.items[id] = it
	b.order = append(b.order, id)
	return nil
}

// DefineCoupon adds a coupon in draft, or replaces the definition of a
// draft or armed one.
func (b *Book) DefineCoupon(c Coupon) error {
	if err := c.Validate(); err != nil {
		return err
	}
	return b.define(&item{kind: KindCoupon, coupon: c})
}

// DefineVote adds a vote in draft, or replaces the definition of a draft
// or armed one.
func (b *Book) DefineVote(v Vote) error {
	if err := v.Validate(); err != nil {
		return err
	}
	return b.define(&item{kind: KindVote, vote: v.clone()})
}

// Check reports whether op is allowed on id now, without changing anything.
func (b *Book) Check(id string, op Op) error {
	_, err := b.check(id, op)
	return err
}

func (b *Book) check(id string, op Op) (*item, error) {
	var kind Kind
	switch op {
	case OpFire:
		kind = KindCoupon
	case OpStart, OpEnd:
		kind = KindVote
	}
	it, err := b.get(id, kind, op)
	if err != nil {
		return nil, err
	}
	ok := false
	switch op {
	case OpArm:
		ok = it.state == Draft
	case OpFire, OpStart:
		ok = it.state == Draft || it.state == Armed
	case OpEnd:
		ok = it.state == Live
	case OpCancel:
		ok = it.state == Draft || it.state == Armed || it.state == Live
	default:
		return nil, fmt.Errorf("%s %q: %s: unknown transition: %w", it.kind, it.label(), op, ErrWrongState)
	}
	if !ok {
		return nil, &StateError{Kind: it.kind, Label: it.label(), Op: op, State: it.state}
	}
	if op == OpStart {
		for _, other := range b.items {
			if other != it && other.kind == KindVote && other.state == Live {
				return nil, fmt.Errorf("vote %q: start: vote %q is live: %w", it.label(), other.label(), ErrVoteLive)
			}
		}
	}
	return it, nil
}

// Arm marks the interaction's node as come: the controller is prompted.
func (b *Book) Arm(id string, now time.Time) error {
	it, err := b.check(id, OpArm)
	if err != nil {
		return err
	}
	it.state, it.armedAt = Armed, now
	return nil
}

// Fire puts a coupon live. Its countdown starts when the platform has it
// (Delivered); until then EndsAt is zero.
func (b *Book) Fire(id, key string, now time.Time) error {
	it, err := b.check(id, OpFire)
	if err != nil {
		return err
	}
	it.state, it.liveAt, it.key, it.delivery = Live, now, key, Sending
	it.endsAt = time.Time{}
	it.claimIDs = make(map[string]struct{})
	it.perViewer = make(map[string]int)
	return nil
}

// Delivered records the platform's acknowledgement: a coupon's countdown
// starts at at (the first acknowledgement only).
func (b *Book) Delivered(id string, at time.Time) {
	it := b.items[id]
	if it == nil {
		return
	}
	first := it.delivery != Acked
	it.delivery, it.lastErr = Acked, ""
	if first && it.kind == KindCoupon && it.state == Live {
		it.endsAt = at.Add(it.coupon.Window)
	}
}

// SetDelivery records how far the platform command got (and the last
// error, "" if none).
func (b *Book) SetDelivery(id string, d Delivery, lastErr string) {
	if it := b.items[id]; it != nil && it.delivery != Acked {
		it.delivery, it.lastErr = d, lastErr
	}
}

// Refuse records that the platform refused the command: the interaction is
// cancelled with the reason.
func (b *Book) Refuse(id, reason string, now time.Time) {
	it := b.items[id]
	if it == nil {
		return
	}
	it.delivery, it.lastErr = Refused, reason
	if it.state == Live {
		it.state, it.closedAt, it.reason = Cancelled, now, "refused by the platform: "+reason
	}
}

// StartVote puts a vote live until now + Duration.
func (b *Book) StartVote(id, key string, now time.Time) error {
	it, err := b.check(id, OpStart)
	if err != nil {
		return err
	}
	it.state, it.liveAt, it.key = Live, now, key
	it.endsAt = now.Add(it.vote.Duration)
	it.tally = NewTally(len(it.vote.Options), it.vote.ChangeRule, now, it.endsAt)
	return nil
}

// EndVote closes a live vote early.
func (b *Book) EndVote(id string, now time.Time) error {
	it, err := b.check(id, OpEnd)
	if err != nil {
		return err
	}
	it.tally.SetEnd(now)
	it.state, it.closedAt, it.endsAt = Closed, now, now
	return nil
}

// Cancel calls off a draft, armed or live interaction.
func (b *Book) Cancel(id, reason string, now time.Time) error {
	it, err := b.check(id, OpCancel)
	if err != nil {
		return err
	}
	if it.tally != nil {
		it.tally.SetEnd(now)
	}
	it.state, it.closedAt, it.reason = Cancelled, now, reason
	return nil
}

// Expire closes every live interaction whose countdown has ended by now
// and returns their ids.
func (b *Book) Expire(now time.Time) []string {
	var out []string
	for _, id := range b.order {
		it := b.items[id]
		if it.state == Live && !it.endsAt.IsZero() && !now.Before(it.endsAt) {
			it.state, it.closedAt = Closed, it.endsAt
			out = append(out, id)
		}
	}
	return out
}

// NextExpiry is the earliest countdown end among live interactions.
func (b *Book) NextExpiry() (time.Time, bool) {
	var best time.Time
	found := false
	for _, it := range b.items {
		if it.state == Live && !it.endsAt.IsZero() && (!found || it.endsAt.Before(best)) {
			best, found = it.endsAt, true
		}
	}
	return best, found
}

// Claim records a viewer's claim of a live coupon; claimID dedupes
// repeated deliveries. It reports whether the claim counted: not over the
// stock, not over the per-viewer limit, not a repeat.
func (b *Book) Claim(couponID, viewer, claimID string, at time.Time) bool {
	it := b.items[couponID]
	if it == nil || it.kind != KindCoupon || it.state != Live {
		return false
	}
	if !it.endsAt.IsZero() && !at.Before(it.endsAt) {
		it.refused++
		return false
	}
	if claimID != "" {
		if _, dup := it.claimIDs[claimID]; dup {
			return false
		}
	}
	if it.claims >= it.coupon.Stock || (viewer != "" && it.perViewer[viewer] >= it.coupon.PerViewer) {
		it.refused++
		return false
	}
	if claimID != "" {
		it.claimIDs[claimID] = struct{}{}
	}
	if viewer != "" {
		it.perViewer[viewer]++
	}
	it.claims++
	return true
}

// LiveVote returns the tally and mode of the live vote, if any.
func (b *Book) LiveVote() (id string, t *Tally, mode string, ok bool) {
	for _, it := range b.items {
		if it.kind == KindVote && it.state == Live {
			mode := it.vote.Mode
			if mode == "" {
				mode = ModeDigits
			}
			return it.vote.ID, it.tally, mode, true
		}
	}
	return "", nil, "", false
}

// Options returns the options of vote id.
func (b *Book) Options(id string) []string {
	if it := b.items[id]; it != nil && it.kind == KindVote {
		return slices.Clone(it.vote.Options)
	}
	return nil
}

// View is a copy of one interaction for the UI and the overlay.
type View struct {
	Kind     Kind     `json:"kind"`
	ID       string   `json:"id"`
	Label    string   `json:"label"`
	State    State    `json:"state"`
	Coupon   *Coupon  `json:"coupon,omitempty"`
	Vote     *Vote    `json:"vote,omitempty"`
	Delivery Delivery `json:"delivery,omitempty"`
	Key      string   `json:"key,omitempty"`
	// LastError is the last send failure while queued, or the refusal.
	LastError string    `json:"last_error,omitempty"`
	ArmedAt   time.Time `json:"armed_at,omitzero"`
	LiveAt    time.Time `json:"live_at,omitzero"`
	// EndsAt is the end of the countdown (zero while a coupon waits for
	// the platform).
	EndsAt   time.Time `json:"ends_at,omitzero"`
	ClosedAt time.Time `json:"closed_at,omitzero"`
	Reason   string    `json:"reason,omitempty"`
	// Coupons.
	StockLeft int `json:"stock_left"`
	Claims    int `json:"claims"`
	Refused   int `json:"refused"`
	// Votes.
	Counts  []int     `json:"counts,omitempty"`
	Total   int       `json:"total"`
	Percent []float64 `json:"percent,omitempty"`
}

// Get returns the view of one interaction.
func (b *Book) Get(id string) (View, bool) {
	it := b.items[id]
	if it == nil {
		return View{}, false
	}
	return it.view(), true
}

// Views returns every interaction in definition order.
func (b *Book) Views() []View {
	out := make([]View, 0, len(b.order))
	for _, id := range b.order {
		out = append(out, b.items[id].view())
	}
	return out
}

func (it *item) view() View {
	v := View{Kind: it.kind, ID: it.id(), Label: it.label(), State: it.state, Delivery: it.delivery,
		Key: it.key, LastError: it.lastErr, ArmedAt: it.armedAt, LiveAt: it.liveAt, EndsAt: it.endsAt,
		ClosedAt: it.closedAt, Reason: it.reason}
	if it.kind == KindCoupon {
		c := it.coupon
		v.Coupon = &c
		v.Claims, v.Refused, v.StockLeft = it.claims, it.refused, c.Stock-it.claims
		return v
	}
	vo := it.vote.clone()
	v.Vote = &vo
	if it.tally != nil {
		v.Counts, v.Total, v.Percent = it.tally.Counts(), it.tally.Total(), it.tally.Percent()
	} else {
		v.Counts, v.Percent = make([]int, len(vo.Options)), make([]float64, len(vo.Options))
	}
	return v
}
