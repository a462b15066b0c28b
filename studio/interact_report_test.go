package studio

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"studiodesk/studio/interact"
	"studiodesk/studio/platform"
	"studiodesk/studio/report"
	"studiodesk/studio/store"
)

// The show log carries the definitions, every state change, claims per
// minute and the final tally; the report's interactions section shows
// fired at, planned against actual node, claims, stock used and
// participation.
func TestInteractionsInShowLogAndReport(t *testing.T) {
	r := newIxRig(t, nil)
	journal := NewStoreJournal(r.st)
	d := New(Config{Clock: r.clk, Journal: journal, Logf: t.Logf, Interact: InteractConfig{Platform: r.sim, Outbox: r.st,
		Viewers: func() int { return 40 }}})
	t.Cleanup(d.Close)
	show := restartShow() // c1 at "open", v1 at "p1"
	mustDo(t, d, LoadShow{Show: show}, Start{}, FireCoupon{ID: "c1"})
	waitIx(t, d, "c1 acked", func(s Interactions) bool { return view(s, "c1").Delivery == interact.Acked })
	// Claims over two minutes: 3 in the first, 2 in the second.
	for i := range 5 {
		at := r.clk.Now().Add(time.Duration(i/3) * time.Minute)
		d.PlatformEvent(platform.Event{Kind: platform.KindClaim, ID: fmt.Sprint("k", i), Ref: "c1", ViewerID: fmt.Sprint("u", i), Time: at})
	}
	waitIx(t, d, "claims", func(s Interactions) bool { return view(s, "c1").Claims == 5 })
	r.clk.Advance(2 * time.Minute)
	mustDo(t, d, StartVote{ID: "v1"}) // fired at "open", planned at "p1": off plan
	for i := range 10 {
		d.VoteDanmaku(fmt.Sprint("viewer", i), 1+i%3, r.clk.Now())
	}
	waitIx(t, d, "votes", func(s Interactions) bool { return view(s, "v1").Total == 10 })
	mustDo(t, d, EndVote{ID: "v1"})
	r.clk.Advance(time.Minute + time.Second)
	waitIx(t, d, "c1 closed", func(s Interactions) bool { return view(s, "c1").State == interact.Closed })
	mustDo(t, d, End{})

	run := d.Snapshot().Run
	kinds := map[string]int{}
	if err := r.st.Records(run, 0, func(rec store.Record) error { kinds[rec.Kind]++; return nil }); err != nil {
		t.Fatal(err)
	}
	if kinds[interact.LogAck] != 3 { // coupon, vote start, vote end
		t.Errorf("acks %d, want 3", kinds[interact.LogAck])
	}
	for _, k := range []string{interact.LogDefined, interact.LogFire, interact.LogStart, interact.LogEnd, interact.LogClosed} {
		if kinds[k] != 1 {
			t.Errorf("show log has %d %s records, want 1 (%v)", kinds[k], k, kinds)
		}
	}
	if kinds[interact.LogClaims] != 2 {
		t.Errorf("claims-per-minute records %d, want 2", kinds[interact.LogClaims])
	}

	rep, err := report.Build(r.st, run, show)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]report.IxSummary{}
	for _, s := range rep.IxSummaries {
		got[s.ID] = s
	}
	c1, v1, c2 := got["c1"], got["v1"], got["c2"]
	if c1.FiredAt.IsZero() || c1.PlannedNode != "开场" || c1.ActualNode != "开场" || c1.OffPlan || c1.Claims != 5 || c1.StockUsed != 5 ||
		c1.Stock != 50 || fmt.Sprint(c1.ClaimsPerMinute) != "[3 2]" || c1.State != "closed" {
		t.Errorf("coupon summary %+v", c1)
	}
	if v1.PlannedNode != "精华液" || v1.ActualNode != "开场" || !v1.OffPlan || v1.Voters != 10 || v1.Viewers != 40 ||
		v1.Participation != 0.25 || fmt.Sprint(v1.Counts) != "[4 3 3]" {
		t.Errorf("vote summary %+v", v1)
	}
	if c2.State != "defined" || !c2.FiredAt.IsZero() {
		t.Errorf("unfired coupon %+v", c2)
	}
	var html bytes.Buffer
	if err := report.WriteHTML(&html, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"精华液限时券", "下一支试什么色？", "10 / 40 = 25.0%", "5 / 50", "3 · 2", "豆沙色 4 · 正红色 3 · 奶茶色 3"} {
		if !strings.Contains(html.String(), want) {
			t.Errorf("report HTML lacks %q", want)
		}
	}
}
