package studio

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"studiodesk/studio/interact"
)

// A follower desk refuses every command naming the primary, writes
// nothing (not when it shows the store's state again, not on a clock
// tick), sends nothing to the platform (a pending coupon stays pending
// however often the retry or ResendPending comes); TakeOver runs the
// election's hook, and Promote makes it write and send again: the pending
// coupon goes out once, under its key.
func TestFollowerRefusesWritesAndSendsNothing(t *testing.T) {
	r := newIxRig(t, nil)
	ctx := context.Background()
	show := testShow()
	show.Coupons = append(show.Coupons, testCoupon())
	r.sim.SetDown(true)
	mustDo(t, r.d, LoadShow{Show: show}, Start{}, FireCoupon{ID: "c1"})
	waitIx(t, r.d, "queued", func(s Interactions) bool { return view(s, "c1").Delivery == interact.Queued })

	if err := r.d.Do(ctx, TakeOver{}); err == nil || !strings.Contains(err.Error(), "primary already") {
		t.Fatalf("take over on a primary: %v", err)
	}
	r.d.Follow("desk-b", FollowJournal{J: r.j})
	if p, ok := r.d.Following(); !ok || p != "desk-b" {
		t.Fatalf("following %q %v", p, ok)
	}
	before := len(r.j.Records())
	err := r.d.Do(ctx, Next{})
	var se *StandbyError
	if !errors.Is(err, ErrStandby) || !errors.As(err, &se) || se.Primary != "desk-b" || !strings.Contains(err.Error(), "primary is desk-b") {
		t.Fatalf("next on a follower: %v", err)
	}
	if err := r.d.Do(ctx, TakeOver{}); err == nil || !strings.Contains(err.Error(), "not in a fleet") {
		t.Fatalf("take over without a fleet: %v", err)
	}
	r.sim.SetDown(false)
	r.d.ResendPending()
	for range 5 {
		r.clk.Advance(5 * time.Second)
		time.Sleep(5 * time.Millisecond)
	}
	if err := r.d.Reload(show, nil); err != nil {
		t.Fatal(err)
	}
	if v := view(r.d.Interactions(), "c1"); v.State != interact.Live {
		t.Fatalf("the follower lost the live coupon: %+v", v)
	}
	if snap := r.d.Snapshot(); !snap.State(r.clk.Now()).Started {
		t.Fatal("the follower lost the run")
	}
	if n := r.sim.IssuedCount("c1"); n != 0 {
		t.Fatalf("a follower sent the coupon (%d issued)", n)
	}
	if n := len(r.j.Records()); n != before {
		t.Fatalf("a follower wrote %d records: %s", n-before, journalKinds(r.j))
	}

	promoted := false
	r.d.SetTakeover(func() error {
		if err := r.d.Promote(r.j, show, nil); err != nil {
			return err
		}
		if _, ok := r.d.Following(); !ok {
			return errors.New("Promote opened the gate before Lead")
		}
		promoted = true
		r.d.Lead()
		r.d.ResendPending()
		return nil
	})
	if err := r.d.Do(ctx, TakeOver{}); err != nil || !promoted {
		t.Fatalf("take over: %v", err)
	}
	if _, ok := r.d.Following(); ok {
		t.Fatal("still following after Promote")
	}
	waitIx(t, r.d, "ack after the takeover", func(s Interactions) bool { return view(s, "c1").Delivery == interact.Acked })
	if n := r.sim.Issuances("coupon:c1:" + r.d.Snapshot().Run); n != 1 {
		t.Fatalf("issued %d times under its key", n)
	}
	mustDo(t, r.d, Next{})
	if !strings.Contains(journalKinds(r.j), "load_show") || len(r.j.Records()) <= before {
		t.Fatalf("the primary writes again: %s", journalKinds(r.j))
	}
}
