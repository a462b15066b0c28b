package rehearsal

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"studiodesk/studio/platform"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

var t0 = time.Date(2025, 6, 18, 20, 0, 0, 0, time.FixedZone("CST", 8*3600))

func newSim(t testing.TB, cfg Config) (*Sim, *fakeClock) {
	t.Helper()
	clk := &fakeClock{t: t0}
	cfg.Now = clk.Now
	s := New(cfg)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return s, clk
}

func collect(t testing.TB, s *Sim, from, to time.Time) []platform.Event {
	t.Helper()
	var evs []platform.Event
	if err := s.Generate(from, to, func(ev platform.Event) { evs = append(evs, ev) }); err != nil {
		t.Fatal(err)
	}
	return evs
}

func cmd(t testing.TB, key, kind string, payload any) platform.Command {
	t.Helper()
	b, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	return platform.Command{Key: key, Kind: kind, Payload: b}
}

func TestDeterministic(t *testing.T) {
	for _, prof := range []string{"normal", "hostile", "flaky"} {
		t.Run(prof, func(t *testing.T) {
			a, _ := newSim(t, Config{Seed: 42, Profile: prof})
			b, _ := newSim(t, Config{Seed: 42, Profile: prof})
			c, _ := newSim(t, Config{Seed: 43, Profile: prof})
			whole := collect(t, a, t0, t0.Add(2*time.Minute))
			if len(whole) < 1000 {
				t.Fatalf("only %d events in 2 min", len(whole))
			}
			// The same show cut into uneven windows.
			var pieces []platform.Event
			at := t0
			for _, d := range []time.Duration{time.Millisecond, 7 * time.Second, 333 * time.Millisecond, 50 * time.Second, time.Minute} {
				pieces = append(pieces, collect(t, b, at, at.Add(d))...)
				at = at.Add(d)
			}
			pieces = append(pieces, collect(t, b, at, t0.Add(2*time.Minute))...)
			if !reflect.DeepEqual(whole, pieces) {
				t.Fatalf("same seed, different events: %d vs %d", len(whole), len(pieces))
			}
			other := collect(t, c, t0, t0.Add(2*time.Minute))
			if reflect.DeepEqual(whole[:100], other[:min(100, len(other))]) {
				t.Fatal("different seeds gave the same events")
			}
			for i, ev := range whole {
				if ev.Seq != uint64(i+1) {
					t.Fatalf("event %d has seq %d", i, ev.Seq)
				}
			}
		})
	}
}

func TestDeterministicWithCommands(t *testing.T) {
	run := func() []platform.Event {
		s, clk := newSim(t, Config{Seed: 7})
		evs := collect(t, s, t0, t0.Add(30*time.Second))
		clk.Set(t0.Add(30 * time.Second))
		if _, err := s.Send(context.Background(), cmd(t, "k1", platform.CmdCouponIssue,
			CouponIssue{ID: "c1", Stock: 100})); err != nil {
			t.Fatal(err)
		}
		return append(evs, collect(t, s, t0.Add(30*time.Second), t0.Add(90*time.Second))...)
	}
	if a, b := run(), run(); !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, same clock, same commands: different events")
	}
}

func countKind(evs []platform.Event, k platform.EventKind) int {
	n := 0
	for _, ev := range evs {
		if ev.Kind == k {
			n++
		}
	}
	return n
}

func TestRate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		d    time.Duration
	}{
		{"quiet default 1/s", Config{Profile: "quiet"}, 30 * time.Minute},
		{"normal default 30/s", Config{}, 10 * time.Minute},
		{"500/s", Config{Rate: 500}, time.Minute},
		{"mega default 20000/s", Config{Profile: "mega"}, 2 * time.Second},
		{"max 50000/s", Config{Rate: MaxRate, Profile: "hostile"}, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newSim(t, tc.cfg)
			evs := collect(t, s, t0, t0.Add(tc.d))
			want := s.cfg.Rate * tc.d.Seconds()
			got := float64(countKind(evs, platform.KindDanmaku))
			// Poisson: allow 5 standard deviations plus 2 %.
			if tol := 5*math.Sqrt(want) + 0.02*want; math.Abs(got-want) > tol {
				t.Fatalf("%v danmaku in %v, want %v ± %.0f", got, tc.d, want, tol)
			}
			for i := 1; i < len(evs); i++ {
				if evs[i].Time.Before(evs[i-1].Time) {
					t.Fatalf("event %d goes back in time", i)
				}
			}
		})
	}
}

func TestMix(t *testing.T) {
	s, _ := newSim(t, Config{Seed: 1})
	evs := collect(t, s, t0, t0.Add(20*time.Minute))
	has := func(sub string) bool {
		for _, ev := range evs {
			if ev.Kind == platform.KindDanmaku && strings.Contains(ev.Text, sub) {
				return true
			}
		}
		return false
	}
	for _, sub := range []string{"尺码", "多少钱", "发货", "已拍", "上链接", "好用", "回购", "好慢",
		"加微信", "www.", "抽我抽我", "❤️"} {
		if !has(sub) {
			t.Errorf("normal room: no danmaku containing %q in 20 min", sub)
		}
	}
	for _, k := range []platform.EventKind{platform.KindEnter, platform.KindViewers, platform.KindLike,
		platform.KindGift, platform.KindLiveStart} {
		if countKind(evs, k) == 0 {
			t.Errorf("no %s events", k)
		}
	}
	if has("<script>") {
		t.Error("normal room has script injection")
	}
	ids := map[string]bool{}
	for _, ev := range evs {
		if ev.Kind == platform.KindDanmaku {
			if ev.ViewerID == "" || ev.ViewerName == "" || ev.ID == "" || ev.Time.IsZero() {
				t.Fatalf("incomplete danmaku %+v", ev)
			}
			if ids[ev.ID] {
				t.Fatalf("duplicate id %s in a normal room", ev.ID)
			}
			ids[ev.ID] = true
		}
	}

	h, _ := newSim(t, Config{Seed: 1, Profile: "hostile"})
	evs = collect(t, h, t0, t0.Add(2*time.Minute))
	var script, img, js, css, invalid, long, flood int
	repeats := map[string]int{}
	for _, ev := range evs {
		if ev.Kind != platform.KindDanmaku {
			continue
		}
		switch {
		case strings.Contains(ev.Text, "<script>"):
			script++
		case strings.Contains(ev.Text, "onerror="):
			img++
		case strings.Contains(ev.Text, "javascript:"):
			js++
		case strings.Contains(ev.Text, "style") || strings.Contains(ev.Text, "expression("):
			css++
		}
		if !utf8.ValidString(ev.Text) {
			invalid++
		}
		if len(ev.Text) > 300 {
			long++
		}
		repeats[ev.Text]++
	}
	for _, n := range repeats {
		flood = max(flood, n)
	}
	if script == 0 || img == 0 || js == 0 || css == 0 || invalid == 0 || long == 0 {
		t.Fatalf("hostile room: script %d, img %d, javascript %d, css %d, invalid utf-8 %d, long %d",
			script, img, js, css, invalid, long)
	}
	if flood < 500 {
		t.Fatalf("hostile room: the most repeated line appears only %d times", flood)
	}
}

func send(t *testing.T, s *Sim, c platform.Command) platform.Ack {
	t.Helper()
	a, err := s.Send(context.Background(), c)
	if err != nil {
		t.Fatalf("Send %s: %v", c.Key, err)
	}
	return a
}

func TestIdempotentSend(t *testing.T) {
	s, _ := newSim(t, Config{})
	c := cmd(t, "show1/coupon/1", platform.CmdCouponIssue, CouponIssue{ID: "cpn", Name: "满199减20", Stock: 10})
	first := send(t, s, c)
	if !first.OK || first.Duplicate || first.Key != c.Key {
		t.Fatalf("first ack %+v", first)
	}
	second := send(t, s, c)
	if !second.Duplicate || !second.OK || string(second.Result) != string(first.Result) {
		t.Fatalf("second ack %+v, first %+v", second, first)
	}
	if n := s.Issuances(c.Key); n != 1 {
		t.Fatalf("Issuances = %d", n)
	}
	if n := s.IssuedCount("cpn"); n != 1 {
		t.Fatalf("IssuedCount = %d", n)
	}
	// The same coupon under a new key while it runs is refused, not issued.
	a := send(t, s, cmd(t, "other", platform.CmdCouponIssue, CouponIssue{ID: "cpn", Stock: 10}))
	if a.OK || !strings.Contains(string(a.Result), "conflict") || s.IssuedCount("cpn") != 1 {
		t.Fatalf("re-issue while running: %+v, issued %d", a, s.IssuedCount("cpn"))
	}
	// Refusals are remembered under their key too.
	bad := cmd(t, "bad", platform.CmdCouponIssue, CouponIssue{ID: "x", Stock: -1})
	if a := send(t, s, bad); a.OK || !strings.Contains(string(a.Result), "invalid") {
		t.Fatalf("bad stock: %+v", a)
	}
	if a := send(t, s, bad); a.OK || !a.Duplicate || s.Issuances("bad") != 0 {
		t.Fatalf("bad stock again: %+v", a)
	}
	_, err := s.Send(context.Background(), platform.Command{Key: "z", Kind: "product.push"})
	if !errors.Is(err, platform.ErrUnsupported) {
		t.Fatalf("unknown kind: %v", err)
	}
	for _, raw := range []string{`nul`, `[]`, `{"id":5}`, `{"id":"a","stock":1e99}`} {
		a := send(t, s, platform.Command{Key: "raw" + raw, Kind: platform.CmdCouponIssue, Payload: json.RawMessage(raw)})
		if a.OK {
			t.Fatalf("payload %s accepted", raw)
		}
	}
}

func TestDropNextAckThenRetry(t *testing.T) {
	s, _ := newSim(t, Config{})
	c := cmd(t, "k", platform.CmdCouponIssue, CouponIssue{ID: "c", Stock: 5})
	s.DropNextAck()
	if _, err := s.Send(context.Background(), c); !errors.Is(err, ErrAckLost) {
		t.Fatalf("want ErrAckLost, got %v", err)
	}
	if s.IssuedCount("c") != 1 {
		t.Fatal("the platform did not act before losing the ack")
	}
	a := send(t, s, c)
	if !a.OK || !a.Duplicate {
		t.Fatalf("retry ack %+v", a)
	}
	if s.Issuances("k") != 1 || s.IssuedCount("c") != 1 {
		t.Fatalf("issuances %d, issued %d", s.Issuances("k"), s.IssuedCount("c"))
	}
}

func TestSetDown(t *testing.T) {
	s, _ := newSim(t, Config{})
	s.SetDown(true)
	c := cmd(t, "k", platform.CmdVoteStart, VoteStart{ID: "v", Options: 2, Duration: 30})
	if _, err := s.Send(context.Background(), c); !errors.Is(err, ErrDown) {
		t.Fatalf("want ErrDown, got %v", err)
	}
	if s.Issuances("k") != 0 {
		t.Fatal("acted while down")
	}
	s.SetDown(false)
	if a := send(t, s, c); !a.OK || a.Duplicate || s.Issuances("k") != 1 {
		t.Fatalf("after coming back: %+v", a)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Send(ctx, c); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled ctx: %v", err)
	}
}

func TestClaims(t *testing.T) {
	for _, tc := range []struct {
		stock, limit, window int
		viewers              int
		wantSoldOut          bool
	}{
		{stock: 50, limit: 1, window: 180, viewers: 8000, wantSoldOut: true},
		{stock: 3000, limit: 2, window: 60, viewers: 2000},
		{stock: 100000, limit: 3, window: 30, viewers: 300},
	} {
		s, clk := newSim(t, Config{Seed: 3, Viewers: tc.viewers})
		evs := collect(t, s, t0, t0.Add(10*time.Second))
		issueAt := t0.Add(10 * time.Second)
		clk.Set(issueAt)
		send(t, s, cmd(t, "k", platform.CmdCouponIssue, CouponIssue{ID: "c9", Stock: tc.stock,
			PerViewerLimit: tc.limit, WindowSeconds: tc.window}))
		evs = append(evs, collect(t, s, issueAt, issueAt.Add(5*time.Minute))...)
		end := issueAt.Add(time.Duration(tc.window) * time.Second)
		per := map[string]int{}
		total := 0
		for _, ev := range evs {
			if ev.Kind != platform.KindClaim {
				continue
			}
			if ev.Ref != "c9" || ev.ViewerID == "" || ev.ID == "" {
				t.Fatalf("claim %+v", ev)
			}
			if ev.Time.Before(issueAt) || !ev.Time.Before(end) {
				t.Fatalf("claim at %v outside the window %v-%v", ev.Time, issueAt, end)
			}
			per[ev.ViewerID]++
			total++
			if per[ev.ViewerID] > tc.limit {
				t.Fatalf("viewer %s claimed %d > limit %d", ev.ViewerID, per[ev.ViewerID], tc.limit)
			}
		}
		if total > tc.stock || total == 0 {
			t.Fatalf("stock %d: %d claims", tc.stock, total)
		}
		if tc.wantSoldOut && total != tc.stock {
			t.Fatalf("stock %d in a room of %d: only %d claims", tc.stock, tc.viewers, total)
		}
		st, ok := s.Coupon("c9")
		if !ok || st.Claimed != total || st.Active {
			t.Fatalf("status %+v, %d claims seen", st, total)
		}
		if tc.limit > 1 {
			var again bool
			for _, n := range per {
				again = again || n > 1
			}
			if !again {
				t.Fatalf("limit %d: no viewer claimed more than once (%+v)", tc.limit, st)
			}
		}
		// The coupon is over: it may be issued again.
		a := send(t, s, cmd(t, "k2", platform.CmdCouponIssue, CouponIssue{ID: "c9", Stock: 1}))
		if !a.OK || s.IssuedCount("c9") != 2 {
			t.Fatalf("re-issue after the window: %+v", a)
		}
	}
}

func TestVote(t *testing.T) {
	s, clk := newSim(t, Config{Seed: 5, Rate: 100, Viewers: 3000})
	collect(t, s, t0, t0.Add(5*time.Second))
	start := t0.Add(5 * time.Second)
	clk.Set(start)
	send(t, s, cmd(t, "v", platform.CmdVoteStart, VoteStart{ID: "color", Options: 3, Duration: 60}))
	evs := collect(t, s, start, start.Add(2*time.Minute))
	digit := func(txt string) int {
		txt = strings.NewReplacer("扣", "", "选", "", "号", "", "！", "", "１", "1", "２", "2", "３", "3").Replace(txt)
		if txt == "" || strings.Trim(txt, txt[:1]) != "" || txt[0] < '0' || txt[0] > '9' {
			return -1
		}
		return int(txt[0] - '0')
	}
	first := map[string]int{}
	var during, after, valid, invalid, changed int
	for _, ev := range evs {
		if ev.Kind != platform.KindDanmaku {
			continue
		}
		d := digit(ev.Text)
		if d < 0 {
			continue
		}
		if !ev.Time.Before(start.Add(60 * time.Second)) {
			after++
			continue
		}
		during++
		if d < 1 || d > 3 {
			invalid++
			continue
		}
		valid++
		if f, ok := first[ev.ViewerID]; !ok {
			first[ev.ViewerID] = d
		} else if f != d {
			changed++
		}
	}
	if during < 1500 || invalid == 0 || changed == 0 {
		t.Fatalf("vote: %d digit lines during, %d invalid, %d changed", during, invalid, changed)
	}
	if len(first) < valid*8/10 {
		t.Fatalf("vote: %d voters for %d valid lines: most viewers should vote once", len(first), valid)
	}
	if after > during/10 {
		t.Fatalf("vote over, but %d digit lines after vs %d during", after, during)
	}
	counts := map[int]int{}
	for _, d := range first {
		counts[d]++
	}
	if len(counts) != 3 {
		t.Fatalf("options voted: %v", counts)
	}
	// vote.end after the vote timed out is fine and acts no more.
	clk.Set(start.Add(2 * time.Minute))
	a := send(t, s, cmd(t, "ve", platform.CmdVoteEnd, VoteEnd{ID: "color"}))
	if !a.OK || s.Issuances("ve") != 0 || !strings.Contains(string(a.Result), "already_ended") {
		t.Fatalf("late vote.end: %+v", a)
	}
	if a := send(t, s, cmd(t, "ve2", platform.CmdVoteEnd, VoteEnd{ID: "nope"})); a.OK {
		t.Fatalf("vote.end of an unknown vote: %+v", a)
	}
}

func TestFlaky(t *testing.T) {
	s, _ := newSim(t, Config{Seed: 11, Profile: "flaky"})
	evs := collect(t, s, t0, t0.Add(10*time.Minute))
	n := countKind(evs, platform.KindDanmaku)
	seen := map[string]int{}
	var dups, late int
	var latest time.Time
	for _, ev := range evs {
		if ev.ID != "" {
			seen[ev.ID]++
			if seen[ev.ID] == 2 {
				dups++
			}
		}
		if ev.Time.Before(latest.Add(-200 * time.Millisecond)) {
			late++
		}
		if ev.Time.After(latest) {
			latest = ev.Time
		}
	}
	want := 30 * 600
	if n > want*98/100 || n < want*85/100 || dups == 0 || late == 0 {
		t.Fatalf("flaky: %d danmaku of ~%d, %d duplicates, %d late", n, want, dups, late)
	}
	// Sends during an outage fail.
	g := s.g
	if g.outUntil.IsZero() {
		t.Fatal("no outage in 10 min")
	}
	s.cfg.Now = func() time.Time { return g.outStart }
	if _, err := s.Send(context.Background(), cmd(t, "k", platform.CmdVoteStart, VoteStart{ID: "v", Options: 2})); !errors.Is(err, ErrDown) {
		t.Fatalf("send during an outage: %v", err)
	}
}

func TestBadConfig(t *testing.T) {
	for _, cfg := range []Config{{Profile: "loud"}, {Rate: 60000}, {Rate: 0.5}, {Rate: math.NaN()}, {Viewers: -1}} {
		s := New(cfg)
		if s.Err() == nil {
			t.Fatalf("%+v accepted", cfg)
		}
		if err := s.Run(context.Background(), func(platform.Event) {}); err == nil {
			t.Fatalf("Run with %+v", cfg)
		}
		if err := s.Generate(t0, t0.Add(time.Second), func(platform.Event) {}); err == nil {
			t.Fatalf("Generate with %+v", cfg)
		}
	}
}

func TestRun(t *testing.T) {
	s := New(Config{Seed: 1, Rate: 2000, Tick: 5 * time.Millisecond})
	var states []platform.LinkStatus
	var smu sync.Mutex
	s.OnState(func(st platform.LinkState) { smu.Lock(); states = append(states, st.Status); smu.Unlock() })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan platform.Event, 1<<16)
	done := make(chan error, 1)
	go func() {
		done <- s.Run(ctx, func(ev platform.Event) {
			select {
			case got <- ev:
			default:
			}
		})
	}()
	deadline := time.After(10 * time.Second)
	n := 0
	for n < 200 {
		select {
		case <-got:
			n++
		case <-deadline:
			t.Fatalf("only %d events from Run in 10 s", n)
		}
	}
	if st := s.State(); st.Status != platform.Connected {
		t.Fatalf("state %v", st.Status)
	}
	if err := s.Run(ctx, func(platform.Event) {}); !errors.Is(err, platform.ErrRunning) {
		t.Fatalf("second Run: %v", err)
	}
	if err := s.Generate(t0, t0.Add(time.Second), func(platform.Event) {}); !errors.Is(err, platform.ErrRunning) {
		t.Fatalf("Generate during Run: %v", err)
	}
	// Down: Run loses events; Send fails.
	s.SetDown(true)
	waitStatus(t, s, platform.Connecting)
	if _, err := s.Send(ctx, cmd(t, "k", platform.CmdVoteStart, VoteStart{ID: "v", Options: 2})); !errors.Is(err, ErrDown) {
		t.Fatalf("Send while down: %v", err)
	}
	s.SetDown(false)
	waitStatus(t, s, platform.Connected)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop")
	}
	if st := s.State(); st.Status != platform.Down {
		t.Fatalf("state after Run %v", st.Status)
	}
}

func waitStatus(t *testing.T, s *Sim, want platform.LinkStatus) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.State().Status != want {
		if time.Now().After(deadline) {
			t.Fatalf("state %v, want %v", s.State().Status, want)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, prof := range []string{"normal", "mega", "hostile"} {
		b.Run(prof, func(b *testing.B) {
			s, _ := newSim(b, Config{Seed: 1, Profile: prof, Rate: 20000})
			var n int
			at := t0
			b.ResetTimer()
			for b.Loop() {
				_ = s.Generate(at, at.Add(time.Second), func(platform.Event) { n++ })
				at = at.Add(time.Second)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
