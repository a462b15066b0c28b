package interact

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestSaveRestoreRoundTrip(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 20, 0, 0, 0, time.UTC)
	c := Coupon{ID: "c1", Name: "券", Stock: 3, PerViewer: 1, Window: time.Minute}
	v := Vote{ID: "v1", Question: "q", Options: []string{"a", "b", "c"}, Duration: time.Minute, ChangeRule: RuleLast}
	b := NewBook()
	if err := errors.Join(b.DefineCoupon(c), b.DefineVote(v), b.Fire("c1", "k", t0)); err != nil {
		t.Fatal(err)
	}
	b.Delivered("c1", t0)
	b.Claim("c1", "u1", "x1", t0)
	b.Claim("c1", "u2", "x2", t0)
	if err := b.StartVote("v1", "", t0); err != nil {
		t.Fatal(err)
	}
	_, tl, _, _ := b.LiveVote()
	tl.Add("p1", 1, t0)
	tl.Add("p2", 3, t0)
	tl.Add("p1", 2, t0) // rule last: changes
	if err := b.EndVote("v1", t0.Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(b.Save())
	if err != nil {
		t.Fatal(err)
	}
	var saved []Saved
	if err := json.Unmarshal(raw, &saved); err != nil {
		t.Fatal(err)
	}
	fresh := NewBook()
	_ = fresh.DefineCoupon(c)
	_ = fresh.DefineVote(v)
	for _, s := range saved {
		if err := fresh.Restore(s); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(fresh.Views(), b.Views()) {
		t.Fatalf("restored\n%+v\nwant\n%+v", fresh.Views(), b.Views())
	}
	// The closed vote keeps its result; the live coupon its dedupe and stock.
	if vv, _ := fresh.Get("v1"); vv.State != Closed || !reflect.DeepEqual(vv.Counts, []int{0, 1, 1}) {
		t.Fatalf("vote %+v", vv)
	}
	if fresh.Claim("c1", "u1", "x1", t0) || fresh.Claim("c1", "u1", "x9", t0) || !fresh.Claim("c1", "u3", "x3", t0) || fresh.Claim("c1", "u4", "x4", t0) {
		t.Fatal("claims after restore: repeat, per-viewer or stock not kept")
	}
	// Saved state that does not fit is refused, not half applied.
	bad := saved[1]
	bad.Tally = &SavedTally{N: 3, Votes: map[string]uint8{"x": 9}}
	if err := fresh.Restore(bad); err == nil {
		t.Fatal("vote for option 9 of 3 restored")
	}
	bad = saved[0]
	bad.State = "exploded"
	if err := fresh.Restore(bad); !errors.Is(err, ErrWrongState) {
		t.Fatalf("bad state: %v", err)
	}
	bad = saved[0]
	bad.Kind = KindVote
	if err := fresh.Restore(bad); err == nil {
		t.Fatal("coupon restored as a vote")
	}
}
