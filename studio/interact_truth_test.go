package studio

import (
	"context"
	"errors"
	"testing"
	"time"

	"studiodesk/studio/interact"
	"studiodesk/studio/platform/rehearsal"
	"studiodesk/studio/store"
)

// With the app's wiring (one store for the show log, the outbox and the
// interaction state) a coupon's fire is one transaction: record, outbox
// item and the live state are all there at once, and when the transaction
// fails none of them is, and the coupon is not live in the desk either.
func TestCouponFireIsOneTransaction(t *testing.T) {
	clk := NewFakeClock(t0)
	st, err := store.Open(t.TempDir(), store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	sim := rehearsal.New(rehearsal.Config{Seed: 1, Now: clk.Now})
	j := NewStoreJournal(st)
	d := New(Config{Clock: clk, Journal: j, Rehearsal: true, Logf: t.Logf,
		Interact: InteractConfig{Platform: sim, Outbox: st, RetryMin: time.Second, RetryMax: 4 * time.Second}})
	t.Cleanup(d.Close)
	ctx := context.Background()
	mustDo(t, d, LoadShow{Show: restartShow()}, Start{})
	run := d.Snapshot().Run
	fires := func() int {
		n := 0
		if err := st.Records(run, 0, func(r store.Record) error {
			if r.Kind == interact.LogFire {
				n++
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// An outbox item already holds the fire's key (left by another desk
	// on this data, say): the transaction fails as a whole.
	key := "coupon:c1:" + run
	if err := st.OutboxAdd(store.OutboxItem{Key: key, Kind: "coupon.issue", Payload: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if err := d.Do(ctx, FireCoupon{ID: "c1"}); !errors.Is(err, store.ErrDuplicateKey) {
		t.Fatalf("fire over a used key: %v", err)
	}
	if v, _ := d.Interactions().Get("c1"); v.State == interact.Live {
		t.Fatal("the coupon is live although its fire was not recorded")
	}
	if n := fires(); n != 0 {
		t.Fatalf("%d fire records for a refused fire", n)
	}
	// A clean fire: all three together.
	if err := st.OutboxDone(key, nil); err != nil {
		t.Fatal(err)
	}
	mustDo(t, d, FireCoupon{ID: "c2"})
	if n := fires(); n != 1 {
		t.Fatalf("%d fire records, want 1", n)
	}
	recs, err := j.LoadInteractions()
	if err != nil {
		t.Fatal(err)
	}
	live := false
	for _, r := range recs {
		live = live || (r.Item.ID() == "c2" && r.Item.State == interact.Live)
	}
	if !live {
		t.Fatalf("fired coupon's live state not saved with its record: %+v", recs)
	}
	if _, found, err := st.OutboxGet("coupon:c2:" + run); err != nil || !found {
		t.Fatal("fired coupon's outbox item missing")
	}
}

// An interaction command the show log cannot take is refused and taken
// back: arm, cancel and end leave the interaction as it was.
func TestInteractionCommandsNotRecordedAreTakenBack(t *testing.T) {
	r := newIxRig(t, nil)
	mustDo(t, r.d, LoadShow{Show: restartShow()}, Start{}, StartVote{ID: "v1"})
	waitIx(t, r.d, "vote start acknowledged", func(s Interactions) bool { return view(s, "v1").Delivery == interact.Acked })
	full := &store.StorageError{Path: "desk.db", Free: 0, Err: errors.New("no space left on device")}
	for _, c := range []struct {
		cmd   Command
		id    string
		state interact.State
	}{
		{ArmInteraction{ID: "c2"}, "c2", interact.Draft},
		{CancelInteraction{ID: "c2", Reason: "operator"}, "c2", interact.Draft},
		{EndVote{ID: "v1"}, "v1", interact.Live},
	} {
		before := len(r.j.Records())
		r.j.Fail(full)
		if err := r.d.Do(context.Background(), c.cmd); !errors.Is(err, ErrStorage) {
			t.Fatalf("%s on a full disk: %v", c.cmd.Name(), err)
		}
		if v, _ := r.d.Interactions().Get(c.id); v.State != c.state {
			t.Fatalf("%s not recorded but %s is %s, want %s", c.cmd.Name(), c.id, v.State, c.state)
		}
		if n := len(r.j.Records()); n != before {
			t.Fatalf("%s: %d records after a refused write, was %d: %+v", c.cmd.Name(), n, before, r.j.Records()[before:])
		}
	}
	mustDo(t, r.d, EndVote{ID: "v1"})
	if v, _ := r.d.Interactions().Get("v1"); v.State != interact.Closed {
		t.Fatalf("end vote once the disk takes writes: %s", v.State)
	}
}
