package studio

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"studiodesk/scripts"
	"studiodesk/studio/interact"
	"studiodesk/studio/platform"
	"studiodesk/studio/platform/bridge"
	"studiodesk/studio/platform/rehearsal"
	"studiodesk/studio/store"
)

const restartEnv = "STUDIODESK_IX_RESTART"

// restartShow has a coupon, a second coupon and a vote on its nodes.
func restartShow() *scripts.Show {
	s := testShow()
	s.Coupons = []interact.Coupon{
		{ID: "c1", Name: "精华液限时券", Discount: "满199减30", FaceValue: 3000, Threshold: 19900, Stock: 50, PerViewer: 1, Window: 3 * time.Minute},
		{ID: "c2", Name: "满赠礼盒券", Threshold: 29900, Stock: 10, PerViewer: 1, Window: 2 * time.Minute},
	}
	s.Votes = []interact.Vote{{ID: "v1", Question: "下一支试什么色？", Options: []string{"豆沙色", "正红色", "奶茶色"}, Duration: 2 * time.Minute}}
	s.Segments[0].Interaction = "c1"
	s.Segments[1].Interaction = "v1"
	return s
}

// liveFacts is what the dying desk reported just before it was killed.
type liveFacts struct {
	StockLeft int       `json:"stock_left"`
	Claims    int       `json:"claims"`
	EndsAt    time.Time `json:"ends_at"`
	Counts    []int     `json:"counts"`
	Total     int       `json:"total"`
	VoteEnds  time.Time `json:"vote_ends"`
	C2        string    `json:"c2_delivery"`
}

// TestInteractRestartChild is the desk process that is killed with a live
// coupon (with claims), a running vote and a coupon queued while the
// platform is down; it runs only as the subprocess of
// TestLiveInteractionsSurviveSIGKILL.
func TestInteractRestartChild(t *testing.T) {
	dir := os.Getenv(restartEnv)
	if dir == "" {
		t.Skip("subprocess of TestLiveInteractionsSurviveSIGKILL")
	}
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sim := rehearsal.New(rehearsal.Config{Seed: 1})
	p := &keyedPlatform{Sim: sim, path: filepath.Join(dir, "keys")}
	d := New(Config{Journal: NewStoreJournal(st), Logf: t.Logf, Interact: InteractConfig{Platform: p, Outbox: st, RetryMin: time.Hour}})
	mustDo(t, d, LoadShow{Show: restartShow()}, Start{}, FireCoupon{ID: "c1"})
	waitIx(t, d, "c1 acked", func(s Interactions) bool { return view(s, "c1").Delivery == interact.Acked })
	now := time.Now()
	for i := range 7 {
		d.PlatformEvent(platform.Event{Kind: platform.KindClaim, ID: fmt.Sprint("claim-", i), Ref: "c1", ViewerID: fmt.Sprint("u", i), Time: now})
	}
	mustDo(t, d, StartVote{ID: "v1"})
	for i, digit := range []int{1, 2, 2, 3, 2, 1} {
		d.VoteDanmaku(fmt.Sprint("viewer", i), digit, time.Now())
	}
	sim.SetDown(true)
	mustDo(t, d, FireCoupon{ID: "c2"})
	s := waitIx(t, d, "claims, votes and c2 queued", func(s Interactions) bool {
		return view(s, "c1").Claims == 7 && view(s, "v1").Total == 6 && view(s, "c2").Delivery == interact.Queued
	})
	time.Sleep(2 * VoteSaveDelay) // digit votes are saved within VoteSaveDelay
	c1, v1 := view(s, "c1"), view(s, "v1")
	facts, _ := json.Marshal(liveFacts{StockLeft: c1.StockLeft, Claims: c1.Claims, EndsAt: c1.EndsAt,
		Counts: v1.Counts, Total: v1.Total, VoteEnds: v1.EndsAt, C2: string(view(s, "c2").Delivery)})
	fmt.Printf("READY %s\n", facts)
	time.Sleep(time.Minute) // the parent kills this process
	t.Fatal("not killed")
}

func TestLiveInteractionsSurviveSIGKILL(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestInteractRestartChild$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), restartEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var facts liveFacts
	sc := bufio.NewScanner(out)
	var lines []string
	for sc.Scan() {
		line := sc.Text()
		lines = append(lines, line)
		if rest, ok := strings.CutPrefix(line, "READY "); ok {
			if err := json.Unmarshal([]byte(rest), &facts); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
	if facts.Claims == 0 {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("child never got ready:\n%v", lines)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killedAt := time.Now()
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child did not die by SIGKILL: %v", err)
	}
	if facts.StockLeft != 43 || facts.Total != 6 || facts.C2 != string(interact.Queued) {
		t.Fatalf("child facts %+v", facts)
	}

	// Restart on the same data, with a platform process that remembers the
	// keys it acted on.
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p := &keyedPlatform{Sim: rehearsal.New(rehearsal.Config{Seed: 1}), path: filepath.Join(dir, "keys")}
	d := New(Config{Journal: NewStoreJournal(st), Logf: t.Logf, Interact: InteractConfig{Platform: p, Outbox: st, RetryMin: 10 * time.Millisecond}})
	defer d.Close()
	mustDo(t, d, LoadShow{Show: restartShow()})
	d.ResendPending()
	s := waitIx(t, d, "c2 delivered after the restart", func(s Interactions) bool { return view(s, "c2").Delivery == interact.Acked })
	c1, v1 := view(s, "c1"), view(s, "v1")
	left := time.Until(c1.EndsAt)
	wantLeft := facts.EndsAt.Sub(killedAt) - time.Since(killedAt)
	t.Logf("after restart: c1 %s stock %d/%d, %.1fs left (want %.1fs); v1 %s %v total %d",
		c1.State, c1.StockLeft, c1.Coupon.Stock, left.Seconds(), wantLeft.Seconds(), v1.State, v1.Counts, v1.Total)
	if c1.State != interact.Live || c1.StockLeft != facts.StockLeft || c1.Claims != facts.Claims {
		t.Fatalf("coupon after restart: %+v", c1)
	}
	if d := left - wantLeft; d > time.Second || d < -time.Second || !c1.EndsAt.Equal(facts.EndsAt) {
		t.Fatalf("countdown after restart: %v left, want %v ±1s (ends %v, was %v)", left, wantLeft, c1.EndsAt, facts.EndsAt)
	}
	if v1.State != interact.Live || v1.Total != facts.Total || fmt.Sprint(v1.Counts) != fmt.Sprint(facts.Counts) || !v1.EndsAt.Equal(facts.VoteEnds) {
		t.Fatalf("vote after restart: %+v, want %+v", v1, facts)
	}
	// Exactly once by key on the platform.
	effects := p.effects()
	for key, n := range effects {
		if n != 1 {
			t.Errorf("platform acted %d times on %s", n, key)
		}
	}
	if len(effects) != 3 {
		t.Errorf("platform effects %v, want c1, v1 start and c2", effects)
	}
	// A redelivered claim is not counted twice; a new one is; a viewer's
	// second vote does not count (rule first), a new viewer's does.
	now := time.Now()
	d.PlatformEvent(platform.Event{Kind: platform.KindClaim, ID: "claim-0", Ref: "c1", ViewerID: "u0", Time: now})
	d.PlatformEvent(platform.Event{Kind: platform.KindClaim, ID: "claim-new", Ref: "c1", ViewerID: "u-new", Time: now})
	d.VoteDanmaku("viewer0", 3, now)
	d.VoteDanmaku("viewer-new", 3, now)
	s = waitIx(t, d, "more claims and votes", func(s Interactions) bool { return view(s, "v1").Total == 7 && view(s, "c1").Claims == 8 })
	if c := view(s, "v1").Counts; c[0] != facts.Counts[0] || c[2] != facts.Counts[2]+1 {
		t.Fatalf("tally after restart %v (was %v)", c, facts.Counts)
	}
	// Firing the live coupon again is refused as already live, not re-issued.
	if err := d.Do(t.Context(), FireCoupon{ID: "c1"}); !errors.Is(err, interact.ErrWrongState) || err.Error() != `coupon "精华液限时券": fire: already live` {
		t.Fatalf("re-fire after restart: %v", err)
	}
}

// A coupon fired before the bridge's first welcome (capabilities not known
// yet, no connection) is queued in the outbox and shown as queued, never
// refused as not supported.
func TestCouponBeforeBridgeWelcomeIsQueued(t *testing.T) {
	a, err := bridge.New(bridge.Config{URL: "ws://127.0.0.1:1/bridge", Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	clk := NewFakeClock(t0)
	st, err := store.Open(t.TempDir(), store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d := New(Config{Clock: clk, Journal: NewStoreJournal(st), Logf: t.Logf, Interact: InteractConfig{Platform: a, Outbox: st}})
	defer d.Close()
	mustDo(t, d, LoadShow{Show: restartShow()}, FireCoupon{ID: "c1"})
	s := waitIx(t, d, "queued", func(s Interactions) bool { return view(s, "c1").Delivery == interact.Queued })
	if v := view(s, "c1"); v.State != interact.Live || v.LastError == "" {
		t.Fatalf("%+v", v)
	}
	pend, err := st.OutboxPending()
	if err != nil || len(pend) != 1 || pend[0].Key != view(s, "c1").Key {
		t.Fatalf("outbox %+v %v", pend, err)
	}
}
