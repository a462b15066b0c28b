package core

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"studiodesk/assets"
	"studiodesk/scripts"
	"studiodesk/studio"
	"studiodesk/studio/danmaku"
	"studiodesk/studio/overlay"
	"studiodesk/studio/platform"
	"studiodesk/studio/platform/rehearsal"
	"studiodesk/studio/store"
)

// After a restart the OBS coupon page resumes the live coupon's countdown
// and stock: the app's wiring (live link subscribed before the show loads)
// carries the restored state to the overlay.
func TestOverlayResumesCouponAfterRestart(t *testing.T) {
	dir := t.TempDir()
	show, err := scripts.LoadYAML("demo/show.yaml", assets.DemoShow())
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sim := rehearsal.New(rehearsal.Config{Seed: 1})
	desk := studio.New(studio.Config{Journal: studio.NewStoreJournal(st), Interact: studio.InteractConfig{Platform: sim, Outbox: st}})
	ctx := context.Background()
	for _, c := range []studio.Command{studio.LoadShow{Show: show}, studio.Start{}, studio.FireCoupon{ID: "coupon-1"}} {
		if err := desk.Do(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		desk.PlatformEvent(platform.Event{Kind: platform.KindClaim, ID: fmt.Sprint("k", i), Ref: "coupon-1", ViewerID: fmt.Sprint("u", i), Time: time.Now()})
	}
	var before struct {
		ends time.Time
		left int
	}
	waitFor(t, func() bool {
		v, _ := desk.Interactions().Get("coupon-1")
		before.ends, before.left = v.EndsAt, v.StockLeft
		return v.Claims == 3 && !v.EndsAt.IsZero()
	}, "coupon live with claims")
	desk.Close()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	// The restart, in Main's order: desk, live link, show, resend.
	st, err = store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	desk = studio.New(studio.Config{Journal: studio.NewStoreJournal(st), Interact: studio.InteractConfig{Platform: sim, Outbox: st}})
	defer desk.Close()
	live := startLive(desk, danmaku.New(danmaku.Config{}), sim, overlay.Config{Addr: "127.0.0.1:0"})
	defer live.stop()
	if err := desk.Do(ctx, studio.LoadShow{Show: show}); err != nil {
		t.Fatal(err)
	}
	desk.ResendPending()
	u := strings.Replace(live.URL("coupon"), "http://", "ws://", 1)
	u = u[:strings.LastIndex(u, "/")] + "/ws?topic=coupon"
	c, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("no coupon state on the overlay: %v", err)
		}
		var m struct {
			Type   string `json:"type"`
			Coupon *struct {
				Name   string `json:"name"`
				Left   int    `json:"left"`
				EndsAt int64  `json:"endsAt"`
			} `json:"coupon"`
		}
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		if m.Type != "coupon" || m.Coupon == nil {
			continue
		}
		// The simulator keeps claiming after the restart: stock only goes
		// down from where it was, never back to full.
		if m.Coupon.Name != "精华液限时券" || m.Coupon.Left > before.left || m.Coupon.EndsAt != before.ends.UnixMilli() {
			t.Fatalf("overlay coupon %+v, want left ≤ %d ends %d", *m.Coupon, before.left, before.ends.UnixMilli())
		}
		return
	}
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
