package interact

import (
	"fmt"
	"sort"
	"time"
)

// Saved is the persisted state of one interaction: enough to resume it
// exactly after a restart (status, countdown anchor, claims, stock left,
// tally).
type Saved struct {
	Kind      Kind      `json:"kind"`
	Coupon    *Coupon   `json:"coupon,omitempty"`
	Vote      *Vote     `json:"vote,omitempty"`
	State     State     `json:"state"`
	ArmedAt   time.Time `json:"armed_at,omitzero"`
	LiveAt    time.Time `json:"live_at,omitzero"`
	EndsAt    time.Time `json:"ends_at,omitzero"`
	ClosedAt  time.Time `json:"closed_at,omitzero"`
	Reason    string    `json:"reason,omitempty"`
	Delivery  Delivery  `json:"delivery,omitempty"`
	Key       string    `json:"key,omitempty"`
	LastError string    `json:"last_error,omitempty"`
	Claims    int       `json:"claims,omitempty"`
	Refused   int       `json:"refused,omitempty"`
	// ClaimIDs are the claims counted (a redelivered claim is not counted
	// twice after a restart); PerViewer the claims per viewer.
	ClaimIDs  []string       `json:"claim_ids,omitempty"`
	PerViewer map[string]int `json:"per_viewer,omitempty"`
	Tally     *SavedTally    `json:"tally,omitempty"`
}

// SavedTally is a vote tally's persisted state.
type SavedTally struct {
	N       int              `json:"n"`
	Last    bool             `json:"last,omitempty"`
	Start   int64            `json:"start"`
	End     int64            `json:"end"`
	Votes   map[string]uint8 `json:"votes,omitempty"`
	Ignored int              `json:"ignored,omitempty"`
}

// ID is the interaction's id.
func (s *Saved) ID() string {
	if s.Kind == KindCoupon && s.Coupon != nil {
		return s.Coupon.ID
	}
	if s.Vote != nil {
		return s.Vote.ID
	}
	return ""
}

// Save returns the state of every interaction in definition order.
func (b *Book) Save() []Saved {
	out := make([]Saved, 0, len(b.order))
	for _, id := range b.order {
		s, _ := b.SaveOne(id)
		out = append(out, s)
	}
	return out
}

// SaveOne returns the state of interaction id.
func (b *Book) SaveOne(id string) (Saved, bool) {
	it := b.items[id]
	if it == nil {
		return Saved{}, false
	}
	s := Saved{Kind: it.kind, State: it.state, ArmedAt: it.armedAt, LiveAt: it.liveAt, EndsAt: it.endsAt,
		ClosedAt: it.closedAt, Reason: it.reason, Delivery: it.delivery, Key: it.key, LastError: it.lastErr,
		Claims: it.claims, Refused: it.refused}
	if it.kind == KindCoupon {
		c := it.coupon
		s.Coupon = &c
		for k := range it.claimIDs {
			s.ClaimIDs = append(s.ClaimIDs, k)
		}
		sort.Strings(s.ClaimIDs)
		if len(it.perViewer) > 0 {
			s.PerViewer = make(map[string]int, len(it.perViewer))
			for k, v := range it.perViewer {
				s.PerViewer[k] = v
			}
		}
	} else {
		v := it.vote.clone()
		s.Vote = &v
	}
	if t := it.tally; t != nil {
		st := &SavedTally{N: t.n, Last: t.last, Start: t.start, End: t.end, Ignored: t.ignored,
			Votes: make(map[string]uint8, len(t.votes))}
		for k, v := range t.votes {
			st.Votes[k] = v
		}
		s.Tally = st
	}
	return s, true
}

// Restore puts back the saved state of an interaction the book defines
// (same id and kind). A live or finished interaction keeps the definition
// it was fired with. It reports an error for a saved state that does not
// fit; the book is then unchanged for that interaction.
func (b *Book) Restore(s Saved) error {
	id := s.ID()
	it := b.items[id]
	if it == nil {
		return fmt.Errorf("interaction %q: restore: %w", id, ErrUnknown)
	}
	if it.kind != s.Kind {
		return fmt.Errorf("%s %q: restore: saved as a %s: %w", it.kind, it.label(), s.Kind, ErrKind)
	}
	switch s.State {
	case Draft, Armed, Live, Closed, Cancelled:
	default:
		return fmt.Errorf("%s %q: restore: state %q: %w", it.kind, it.label(), s.State, ErrWrongState)
	}
	next := &item{kind: it.kind, coupon: it.coupon, vote: it.vote, state: s.State, armedAt: s.ArmedAt,
		liveAt: s.LiveAt, endsAt: s.EndsAt, closedAt: s.ClosedAt, reason: s.Reason, delivery: s.Delivery,
		key: s.Key, lastErr: s.LastError, claims: s.Claims, refused: s.Refused}
	if s.State != Draft && s.State != Armed {
		if s.Coupon != nil && it.kind == KindCoupon {
			if err := s.Coupon.Validate(); err != nil {
				return fmt.Errorf("restore: %w", err)
			}
			next.coupon = *s.Coupon
		}
		if s.Vote != nil && it.kind == KindVote {
			if err := s.Vote.Validate(); err != nil {
				return fmt.Errorf("restore: %w", err)
			}
			next.vote = s.Vote.clone()
		}
	}
	if next.claims < 0 || (it.kind == KindCoupon && next.claims > next.coupon.Stock) {
		return fmt.Errorf("coupon %q: restore: claims %d: out of range", it.label(), next.claims)
	}
	if it.kind == KindCoupon && s.State != Draft && s.State != Armed {
		next.claimIDs = make(map[string]struct{}, len(s.ClaimIDs))
		for _, k := range s.ClaimIDs {
			next.claimIDs[k] = struct{}{}
		}
		next.perViewer = make(map[string]int, len(s.PerViewer))
		for k, v := range s.PerViewer {
			next.perViewer[k] = v
		}
	}
	if st := s.Tally; st != nil && it.kind == KindVote {
		t := &Tally{n: max(1, min(st.N, MaxOptions)), last: st.Last, start: st.Start, end: st.End,
			ignored: st.Ignored, votes: make(map[string]uint8, len(st.Votes))}
		for k, v := range st.Votes {
			if v < 1 || int(v) > t.n {
				return fmt.Errorf("vote %q: restore: viewer %q voted %d: out of range", it.label(), k, v)
			}
			t.votes[k] = v
			t.counts[v]++
			t.total++
		}
		next.tally = t
	} else if it.kind == KindVote && (s.State == Live || s.State == Closed) {
		next.tally = NewTally(len(next.vote.Options), next.vote.ChangeRule, s.LiveAt, s.EndsAt)
	}
	b.items[id] = next
	return nil
}
