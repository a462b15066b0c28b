package studio

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"studiodesk/studio/store"
	"testing"
	"time"

	"studiodesk/scripts"
	"studiodesk/studio/interact"
	"studiodesk/studio/platform"
)

func ixIDs(s Interactions) string {
	var ids []string
	for _, v := range s.Items {
		ids = append(ids, v.ID+":"+string(v.State))
	}
	sort.Strings(ids)
	return strings.Join(ids, " ")
}

// A YAML and an XLSX show with 2 coupons and 2 votes load, attach to their
// nodes and fire on air; nothing is defined outside the loaded show.
func TestShowInteractionsLoadAttachFire(t *testing.T) {
	for _, file := range []string{"testdata/ix-show.yaml", "testdata/ix-show.xlsx"} {
		t.Run(file, func(t *testing.T) {
			var show *scripts.Show
			var err error
			if strings.HasSuffix(file, ".xlsx") {
				f, ferr := os.Open(file)
				if ferr != nil {
					t.Fatal(ferr)
				}
				defer f.Close()
				show, err = scripts.ImportXLSX(file, f)
			} else {
				show, err = scripts.LoadYAMLFile(file)
			}
			if err != nil {
				t.Fatal(err)
			}
			r := newIxRig(t, nil)
			if got := ixIDs(r.d.Interactions()); got != "" {
				t.Fatalf("interactions before any show: %s", got)
			}
			mustDo(t, r.d, LoadShow{Show: show})
			if got := ixIDs(r.d.Interactions()); got != "coupon-1:draft gift-1:draft quiz-1:draft vote-1:draft" {
				t.Fatalf("after load: %s", got)
			}
			mustDo(t, r.d, Start{})
			for _, step := range []struct {
				id   string
				kind interact.Kind
			}{{"coupon-1", interact.KindCoupon}, {"vote-1", interact.KindVote}, {"gift-1", interact.KindCoupon}, {"quiz-1", interact.KindVote}} {
				r.clk.Advance(time.Second)
				mustDo(t, r.d, Next{})
				if v := view(r.d.Interactions(), step.id); v.State != interact.Armed {
					t.Fatalf("%s is %s when its node is on air", step.id, v.State)
				}
				if step.kind == interact.KindCoupon {
					mustDo(t, r.d, FireCoupon{ID: step.id})
					waitIx(t, r.d, step.id+" acked", func(s Interactions) bool { return view(s, step.id).Delivery == interact.Acked })
					if r.sim.IssuedCount(step.id) != 1 {
						t.Fatalf("%s issued %d times", step.id, r.sim.IssuedCount(step.id))
					}
				} else {
					mustDo(t, r.d, StartVote{ID: step.id})
					r.d.VoteDanmaku("viewer", 2, r.clk.Now())
					waitIx(t, r.d, step.id+" counted", func(s Interactions) bool { return view(s, step.id).Total == 1 })
					mustDo(t, r.d, EndVote{ID: step.id})
				}
			}
			if got := ixIDs(r.d.Interactions()); got != "coupon-1:live gift-1:live quiz-1:closed vote-1:closed" {
				t.Fatalf("after the show: %s", got)
			}
			// Another show replaces them all.
			mustDo(t, r.d, End{}, LoadShow{Show: testShow()})
			if got := ixIDs(r.d.Interactions()); got != "" {
				t.Fatalf("after loading a show without interactions: %s", got)
			}
		})
	}
}

// State changes are saved at once; a burst of digit votes within
// VoteSaveDelay.
func TestInteractionStateSavedAsItChanges(t *testing.T) {
	r := newIxRig(t, nil)
	saved := func(id string) interact.Saved {
		recs, err := r.j.LoadInteractions()
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range recs {
			if rec.Item.ID() == id {
				return rec.Item
			}
		}
		t.Fatalf("%s not saved", id)
		return interact.Saved{}
	}
	mustDo(t, r.d, LoadShow{Show: restartShow()}, Start{}, FireCoupon{ID: "c1"}, StartVote{ID: "v1"})
	waitIx(t, r.d, "acks", func(s Interactions) bool {
		return view(s, "c1").Delivery == interact.Acked && view(s, "v1").Delivery == interact.Acked
	})
	if s := saved("c1"); s.State != interact.Live || s.Key == "" {
		t.Fatalf("fired coupon saved as %+v", s)
	}
	r.d.PlatformEvent(platformClaim("c1", "k1", "u1", r.clk.Now()))
	waitIx(t, r.d, "claim", func(s Interactions) bool { return view(s, "c1").Claims == 1 })
	if s := saved("c1"); s.Claims != 1 || len(s.ClaimIDs) != 1 {
		t.Fatalf("claim not saved at once: %+v", s)
	}
	for i := range 50 {
		r.d.VoteDanmaku(strings.Repeat("v", i+1), 1+i%3, r.clk.Now())
	}
	waitIx(t, r.d, "votes", func(s Interactions) bool { return view(s, "v1").Total == 50 })
	if s := saved("v1"); s.Tally == nil || len(s.Tally.Votes) != 0 {
		t.Fatalf("votes saved before the delay: %+v", s.Tally)
	}
	r.clk.Advance(VoteSaveDelay)
	deadline := time.Now().Add(5 * time.Second)
	for len(saved("v1").Tally.Votes) != 50 {
		if time.Now().After(deadline) {
			t.Fatalf("votes not saved after %v: %d", VoteSaveDelay, len(saved("v1").Tally.Votes))
		}
		time.Sleep(time.Millisecond)
	}
}

func platformClaim(ref, id, viewer string, at time.Time) platform.Event {
	return platform.Event{Kind: platform.KindClaim, ID: id, Ref: ref, ViewerID: viewer, Time: at}
}

// BenchmarkSaveInteractState is the cost of saving the interactions after
// a change through the bbolt journal: "claim" saves only a 500-claim
// coupon (a live 20,000-voter tally is unchanged, not rewritten), "vote"
// the tally.
func BenchmarkSaveInteractState(b *testing.B) {
	st, err := store.Open(b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	t0 := time.Now()
	book := interact.NewBook()
	c := interact.Coupon{ID: "c1", Stock: 500, Window: time.Minute}.WithDefaults()
	v := interact.Vote{ID: "v1", Question: "q", Options: []string{"a", "b", "c"}, Duration: time.Minute}
	if err := errors.Join(book.DefineCoupon(c), book.DefineVote(v), book.Fire("c1", "k", t0), book.StartVote("v1", "", t0)); err != nil {
		b.Fatal(err)
	}
	book.Delivered("c1", t0)
	for i := range 500 {
		book.Claim("c1", fmt.Sprint("u", i), fmt.Sprint("claim", i), t0)
	}
	_, tally, _, _ := book.LiveVote()
	for i := range 20000 {
		tally.Add(fmt.Sprint("viewer", i), 1+i%3, t0)
	}
	j := NewStoreJournal(st)
	for _, id := range []string{"c1", "v1"} {
		name := map[string]string{"c1": "claim", "v1": "vote"}[id]
		b.Run(name, func(b *testing.B) {
			for range b.N {
				it, _ := book.SaveOne(id)
				if err := j.SaveInteraction(InteractRecord{ShowID: "s", Run: "r", At: t0, Item: it}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
