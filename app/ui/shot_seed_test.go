package ui

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"studiodesk/assets"
	"studiodesk/scripts"
	"studiodesk/studio"
	"studiodesk/studio/interact"
	"studiodesk/studio/platform"
	"studiodesk/studio/platform/rehearsal"
	"studiodesk/studio/store"
)

// TestSeedLiveInteractions prepares a data directory for the screenshots
// of the interactions card: the demo show on air at its lottery node (so
// lottery-1 is armed), coupon-1 live with claims and vote-1 running with
// votes. The app started on that directory resumes all of it. It runs only
// when STUDIODESK_SHOT_SEED names the directory (make screenshot-ix).
func TestSeedLiveInteractions(t *testing.T) {
	dir := os.Getenv("STUDIODESK_SHOT_SEED")
	if dir == "" {
		t.Skip("set STUDIODESK_SHOT_SEED=DIR to seed a screenshot data directory")
	}
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sim := rehearsal.New(rehearsal.Config{Seed: 1})
	desk := studio.New(studio.Config{Journal: studio.NewStoreJournal(st), Rehearsal: true,
		Interact: studio.InteractConfig{Platform: sim, Outbox: st}})
	defer desk.Close()
	show, err := scripts.LoadYAML("demo/show.yaml", assets.DemoShow())
	if err != nil {
		t.Fatal(err)
	}
	lottery := 0
	for i, g := range show.Segments {
		if g.Interaction == "lottery-1" {
			lottery = i
		}
	}
	ctx := context.Background()
	for _, c := range []studio.Command{studio.LoadShow{Show: show}, studio.Start{}, studio.Jump{Index: lottery},
		studio.FireCoupon{ID: "coupon-1"}, studio.StartVote{ID: "vote-1"}} {
		if err := desk.Do(ctx, c); err != nil {
			t.Fatalf("%s: %v", c.Name(), err)
		}
	}
	now := time.Now()
	for i := range 37 {
		desk.PlatformEvent(platform.Event{Kind: platform.KindClaim, ID: fmt.Sprint("seed-claim-", i), Ref: "coupon-1", ViewerID: fmt.Sprint("u", i), Time: now})
	}
	for i := range 120 {
		desk.VoteDanmaku(fmt.Sprint("viewer", i), []int{1, 2, 2, 3, 2, 1, 2}[i%7], now)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		s := desk.Interactions()
		c, _ := s.Get("coupon-1")
		v, _ := s.Get("vote-1")
		if c.Claims == 37 && v.Total == 120 && c.Delivery == interact.Acked {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not seeded: %+v %+v", c, v)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
