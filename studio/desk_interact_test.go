package studio

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"studiodesk/studio/interact"
	"studiodesk/studio/platform"
	"studiodesk/studio/platform/rehearsal"
	"studiodesk/studio/store"
)

type ixRig struct {
	d   *Desk
	clk *FakeClock
	sim *rehearsal.Sim
	st  *store.Store
	j   *MemoryJournal
}

func newIxRig(t *testing.T, p func(*rehearsal.Sim) platform.Platform) *ixRig {
	t.Helper()
	clk := NewFakeClock(t0)
	sim := rehearsal.New(rehearsal.Config{Seed: 1, Now: clk.Now})
	st, err := store.Open(t.TempDir(), store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	var plat platform.Platform = sim
	if p != nil {
		plat = p(sim)
	}
	j := NewMemoryJournal()
	d := New(Config{Clock: clk, Journal: j, Rehearsal: true, Logf: t.Logf,
		Interact: InteractConfig{Platform: plat, Outbox: st, RetryMin: time.Second, RetryMax: 4 * time.Second}})
	t.Cleanup(d.Close)
	return &ixRig{d: d, clk: clk, sim: sim, st: st, j: j}
}

// waitIx polls the desk until cond holds (real time, generous for a loaded
// machine).
func waitIx(t *testing.T, d *Desk, what string, cond func(Interactions) bool) Interactions {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := d.Interactions()
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s: %+v", what, s.Items)
		}
		time.Sleep(time.Millisecond)
	}
}

func view(s Interactions, id string) interact.View { v, _ := s.Get(id); return v }

func testCoupon() interact.Coupon {
	return interact.Coupon{ID: "c1", Name: "满199减30", Discount: "满199减30", FaceValue: 3000,
		Threshold: 19900, Stock: 2, PerViewer: 1, Window: 3 * time.Minute, PriceProtection: "7天价保"}
}

func journalKinds(j *MemoryJournal) string {
	var ks []string
	for _, r := range j.Records() {
		ks = append(ks, r.Kind)
	}
	return strings.Join(ks, ",")
}

func TestFireCouponAckCountdownClaimsClose(t *testing.T) {
	r := newIxRig(t, nil)
	ctx := context.Background()
	sub := r.d.Subscribe(64)
	defer sub.Close()
	mustDo(t, r.d, DefineCoupon{Coupon: testCoupon()}, ArmInteraction{ID: "c1"}, FireCoupon{ID: "c1"})
	if err := r.d.Do(ctx, FireCoupon{ID: "c1"}); !errors.Is(err, interact.ErrWrongState) ||
		err.Error() != `coupon "满199减30": fire: already live` {
		t.Fatalf("second fire: %v", err)
	}
	s := waitIx(t, r.d, "ack", func(s Interactions) bool { return view(s, "c1").Delivery == interact.Acked })
	v := view(s, "c1")
	if v.State != interact.Live || !v.EndsAt.Equal(t0.Add(3*time.Minute)) || s.Pending != 0 {
		t.Fatalf("after ack: %+v pending %d", v, s.Pending)
	}
	key := "coupon:c1:desk"
	if v.Key != key || r.sim.Issuances(key) != 1 || r.sim.IssuedCount("c1") != 1 {
		t.Fatalf("key %q issuances %d", v.Key, r.sim.Issuances(key))
	}
	if it, ok, err := r.st.OutboxGet(key); err != nil || !ok || !it.Done || it.Attempts != 1 {
		t.Fatalf("outbox %+v %v %v", it, ok, err)
	}
	// Claims: stock 2, per viewer 1, a repeated delivery is not counted twice.
	for _, ev := range []platform.Event{
		{Kind: platform.KindClaim, ID: "k1", Ref: "c1", ViewerID: "u1", Time: t0.Add(time.Second)},
		{Kind: platform.KindClaim, ID: "k1", Ref: "c1", ViewerID: "u1", Time: t0.Add(time.Second)},
		{Kind: platform.KindClaim, ID: "k2", Ref: "c1", ViewerID: "u1", Time: t0.Add(time.Second)},
		{Kind: platform.KindClaim, ID: "k3", Ref: "c1", ViewerID: "u2", Time: t0.Add(time.Second)},
		{Kind: platform.KindClaim, ID: "k4", Ref: "c1", ViewerID: "u3", Time: t0.Add(time.Second)},
	} {
		r.d.PlatformEvent(ev)
	}
	waitIx(t, r.d, "claims", func(s Interactions) bool { v := view(s, "c1"); return v.Claims == 2 && v.Refused == 2 })
	r.clk.Advance(3*time.Minute - time.Millisecond)
	if v := view(r.d.Interactions(), "c1"); v.State != interact.Live {
		t.Fatalf("closed early: %s", v.State)
	}
	r.clk.Advance(time.Millisecond)
	s = waitIx(t, r.d, "close", func(s Interactions) bool { return view(s, "c1").State == interact.Closed })
	if v := view(s, "c1"); v.StockLeft != 0 {
		t.Fatalf("%+v", v)
	}
	if got := journalKinds(r.j); got != "define_coupon,arm_interaction,fire_coupon,interaction_ack,coupon_claims,interaction_closed" {
		t.Fatalf("journal: %s", got)
	}
	seen := false
	for len(sub.C()) > 0 {
		if ev := <-sub.C(); ev.Kind == EventInteraction {
			seen = true
		}
	}
	if !seen {
		t.Fatal("no interaction event")
	}
}

func TestDefineRejectsBadInput(t *testing.T) {
	r := newIxRig(t, nil)
	c := testCoupon()
	c.Stock = 0
	err := r.d.Do(context.Background(), DefineCoupon{Coupon: c})
	if !errors.Is(err, interact.ErrInvalid) || !strings.Contains(err.Error(), `coupon "满199减30": stock: 0: must be at least 1`) {
		t.Fatalf("%v", err)
	}
	if err := r.d.Do(context.Background(), FireCoupon{ID: "nope"}); !errors.Is(err, interact.ErrUnknown) {
		t.Fatalf("%v", err)
	}
}

func TestFireWhileDownIsQueuedThenDeliveredOnce(t *testing.T) {
	r := newIxRig(t, nil)
	r.sim.SetDown(true)
	mustDo(t, r.d, DefineCoupon{Coupon: testCoupon()}, FireCoupon{ID: "c1"})
	s := waitIx(t, r.d, "queued", func(s Interactions) bool { return view(s, "c1").Delivery == interact.Queued })
	if v := view(s, "c1"); v.State != interact.Live || !v.EndsAt.IsZero() || !strings.Contains(v.LastError, "link down") {
		t.Fatalf("%+v", v)
	}
	// Still down at the first retry (1 s): queued again, backoff 2 s.
	r.clk.Advance(time.Second)
	waitIx(t, r.d, "second attempt", func(Interactions) bool {
		it, _, _ := r.st.OutboxGet("coupon:c1:desk")
		return it.Attempts == 2
	})
	waitIx(t, r.d, "queued again", func(s Interactions) bool { return view(s, "c1").Delivery == interact.Queued })
	r.sim.SetDown(false)
	r.clk.Advance(2 * time.Second)
	s = waitIx(t, r.d, "ack", func(s Interactions) bool { return view(s, "c1").Delivery == interact.Acked })
	if v := view(s, "c1"); !v.EndsAt.Equal(t0.Add(3*time.Second + 3*time.Minute)) {
		t.Fatalf("countdown from delivery: %v", v.EndsAt)
	}
	if n := r.sim.IssuedCount("c1"); n != 1 {
		t.Fatalf("issued %d", n)
	}
	if p, _ := r.st.OutboxPending(); len(p) != 0 {
		t.Fatalf("pending %v", p)
	}
}

func TestAckLostIsResentWithTheSameKey(t *testing.T) {
	r := newIxRig(t, nil)
	r.sim.DropNextAck()
	mustDo(t, r.d, DefineCoupon{Coupon: testCoupon()}, FireCoupon{ID: "c1"})
	waitIx(t, r.d, "queued", func(s Interactions) bool { return view(s, "c1").Delivery == interact.Queued })
	if r.sim.IssuedCount("c1") != 1 {
		t.Fatal("the platform did not act")
	}
	r.d.ResendPending()
	waitIx(t, r.d, "ack", func(s Interactions) bool { return view(s, "c1").Delivery == interact.Acked })
	key := "coupon:c1:desk"
	if r.sim.Issuances(key) != 1 || r.sim.IssuedCount("c1") != 1 {
		t.Fatalf("issued %d", r.sim.IssuedCount("c1"))
	}
	it, _, _ := r.st.OutboxGet(key)
	if !it.Done || !strings.Contains(string(it.Result), `"duplicate":true`) {
		t.Fatalf("outbox %+v %s", it, it.Result)
	}
}

type noCoupons struct{ platform.Platform }

func (noCoupons) Name() string { return "bilibili" }
func (noCoupons) Capabilities() platform.Capabilities {
	return platform.Capabilities{Danmaku: true}
}

func TestUnsupportedPlatformWritesNothing(t *testing.T) {
	r := newIxRig(t, func(s *rehearsal.Sim) platform.Platform { return noCoupons{s} })
	mustDo(t, r.d, DefineCoupon{Coupon: testCoupon()})
	err := r.d.Do(context.Background(), FireCoupon{ID: "c1"})
	if !errors.Is(err, platform.ErrUnsupported) || err.Error() != `coupon "满199减30": fire: not supported on bilibili` {
		t.Fatalf("%v", err)
	}
	if p, _ := r.st.OutboxPending(); len(p) != 0 {
		t.Fatalf("outbox written: %v", p)
	}
	if v := view(r.d.Interactions(), "c1"); v.State != interact.Draft {
		t.Fatalf("%s", v.State)
	}
	// A digit vote still runs locally on such a platform; a platform poll does not.
	mustDo(t, r.d, DefineVote{Vote: interact.Vote{ID: "v1", Question: "q", Options: []string{"a", "b"}, Duration: time.Minute}},
		StartVote{ID: "v1"})
	if v := view(r.d.Interactions(), "v1"); v.State != interact.Live || v.Delivery != interact.Local {
		t.Fatalf("%+v", v)
	}
}

func TestDigitVoteOnTheDesk(t *testing.T) {
	r := newIxRig(t, nil)
	vote := interact.Vote{ID: "v1", Question: "选哪个色号？", Options: []string{"豆沙", "正红", "橘调"},
		Duration: time.Minute, ChangeRule: interact.RuleFirst}
	mustDo(t, r.d, DefineVote{Vote: vote}, DefineVote{Vote: interact.Vote{ID: "v2", Question: "q", Options: []string{"a", "b"}, Duration: time.Minute}})
	r.d.VoteDanmaku("early", 1, t0) // before the start: ignored
	mustDo(t, r.d, StartVote{ID: "v1"})
	if err := r.d.Do(context.Background(), StartVote{ID: "v2"}); !errors.Is(err, interact.ErrVoteLive) {
		t.Fatalf("%v", err)
	}
	at := t0.Add(time.Second)
	r.d.VoteDanmaku("a", 1, at)
	r.d.VoteDanmaku("b", 2, at)
	r.d.VoteDanmaku("a", 2, at) // first rule: a stays on 1
	r.d.VoteDanmaku("c", 4, at) // no option 4
	r.d.PlatformEvent(platform.Event{Kind: platform.KindDanmaku, ViewerID: "d", Text: "扣１", Time: at})
	r.d.PlatformEvent(platform.Event{Kind: platform.KindDanmaku, ViewerID: "e", Text: "扣3", Time: at})
	r.d.PlatformEvent(platform.Event{Kind: platform.KindDanmaku, ViewerID: "f", Text: "好看", Time: at})
	s := waitIx(t, r.d, "tally", func(s Interactions) bool { v := view(s, "v1"); return v.Total == 4 && v.Delivery == interact.Acked })
	if v := view(s, "v1"); v.Counts[0] != 2 || v.Counts[1] != 1 || v.Counts[2] != 1 || v.Delivery != interact.Acked {
		t.Fatalf("%+v", v)
	}
	if r.sim.Issuances("vote.start:v1:desk") != 1 {
		t.Fatal("vote.start not sent")
	}
	r.clk.Advance(time.Minute)
	s = waitIx(t, r.d, "closed", func(s Interactions) bool { return view(s, "v1").State == interact.Closed })
	r.d.VoteDanmaku("late", 1, t0.Add(time.Minute))
	mustDo(t, r.d, StartVote{ID: "v2"}, EndVote{ID: "v2"})
	if v := view(r.d.Interactions(), "v1"); v.Total != 4 {
		t.Fatalf("late vote counted: %+v", v)
	}
	if err := r.d.Do(context.Background(), EndVote{ID: "v2"}); !errors.Is(err, interact.ErrWrongState) {
		t.Fatalf("%v", err)
	}
	if !strings.Contains(journalKinds(r.j), "start_vote,interaction_ack,interaction_closed") {
		t.Fatalf("journal %s", journalKinds(r.j))
	}
	_ = s
}

func TestCancelQueuedCouponStopsResending(t *testing.T) {
	r := newIxRig(t, nil)
	r.sim.SetDown(true)
	mustDo(t, r.d, DefineCoupon{Coupon: testCoupon()}, FireCoupon{ID: "c1"})
	waitIx(t, r.d, "queued", func(s Interactions) bool { return view(s, "c1").Delivery == interact.Queued })
	mustDo(t, r.d, CancelInteraction{ID: "c1", Reason: "price error"})
	r.sim.SetDown(false)
	r.clk.Advance(time.Minute)
	s := waitIx(t, r.d, "cancelled", func(s Interactions) bool { return view(s, "c1").State == interact.Cancelled })
	if s.Pending != 0 || r.sim.IssuedCount("c1") != 0 {
		t.Fatalf("pending %d issued %d", s.Pending, r.sim.IssuedCount("c1"))
	}
}

func TestInteractionIsArmedWhenItsNodeGoesOnAir(t *testing.T) {
	d, clk := newTestDesk(t, nil)
	show := testShow()
	show.Votes = []interact.Vote{{ID: "vote-1", Question: "下一个想看哪款？", Options: []string{"面霜", "精华"}, Duration: time.Minute}}
	show.Segments[1].Interaction = "vote-1"
	mustDo(t, d, Rewind{}, LoadShow{Show: show}, Start{})
	if v, _ := d.Interactions().Get("vote-1"); v.State != "draft" {
		t.Fatalf("vote armed before its node: %s", v.State)
	}
	clk.Advance(time.Minute)
	mustDo(t, d, Next{})
	if v, _ := d.Interactions().Get("vote-1"); v.State != "armed" {
		t.Fatalf("vote-1 is %s when its node went on air, want armed", v.State)
	}
}
