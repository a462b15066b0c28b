package studio

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"studiodesk/scripts"
)

var t0 = time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)

// testShow: an opening of 2 min, a product segment (1+3+1 min, points every
// 30 s) and a closing of 1 min.
func testShow() *scripts.Show {
	pts := func(n int, prefix string) []scripts.SellingPoint {
		out := make([]scripts.SellingPoint, n)
		for i := range out {
			out[i] = scripts.SellingPoint{Text: prefix + string(rune('A'+i))}
		}
		return out
	}
	return &scripts.Show{
		ID: "t", Title: "test",
		Segments: []scripts.Segment{
			{ID: "open", Title: "开场", Kind: scripts.KindOpening, Duration: 2 * time.Minute},
			{ID: "p1", Title: "精华液", Kind: scripts.KindProduct, Phases: []scripts.Phase{
				{Name: scripts.PhaseCore, Duration: time.Minute, Points: pts(2, "core")},
				{Name: scripts.PhaseDemo, Duration: 3 * time.Minute, Points: pts(6, "demo")},
				{Name: scripts.PhaseCompare, Duration: time.Minute, Points: pts(2, "cmp")},
			}},
			{ID: "close", Title: "收尾", Kind: scripts.KindClosing, Duration: time.Minute},
		},
	}
}

func newTestDesk(t *testing.T, j Journal) (*Desk, *FakeClock) {
	t.Helper()
	clk := NewFakeClock(t0)
	d := New(Config{Clock: clk, Journal: j, Rehearsal: true})
	t.Cleanup(d.Close)
	if err := d.Do(context.Background(), LoadShow{Show: testShow()}); err != nil {
		t.Fatalf("load: %v", err)
	}
	return d, clk
}

func mustDo(t *testing.T, d *Desk, cmds ...Command) {
	t.Helper()
	for _, c := range cmds {
		if err := d.Do(context.Background(), c); err != nil {
			t.Fatalf("%s: %v", c.Name(), err)
		}
	}
}

func TestDeskStartNextPauseState(t *testing.T) {
	d, clk := newTestDesk(t, nil)
	mustDo(t, d, Start{})
	clk.Advance(90 * time.Second)
	st := d.Snapshot().State(clk.Now())
	if !st.Started || st.Segment != 0 || st.SegmentLeft != 30*time.Second {
		t.Fatalf("after 90 s: started=%v segment=%d left=%v", st.Started, st.Segment, st.SegmentLeft)
	}
	mustDo(t, d, Next{})
	clk.Advance(40 * time.Second)
	st = d.Snapshot().State(clk.Now())
	if st.Segment != 1 || st.PointText != "coreB" {
		t.Fatalf("40 s into product: segment=%d point=%q", st.Segment, st.PointText)
	}
	mustDo(t, d, Pause{})
	clk.Advance(10 * time.Minute)
	st2 := d.Snapshot().State(clk.Now())
	if !st2.Paused || st2.SegmentElapsed != 40*time.Second {
		t.Fatalf("paused: paused=%v elapsed=%v", st2.Paused, st2.SegmentElapsed)
	}
	mustDo(t, d, TogglePause{})
	if d.Snapshot().State(clk.Now()).Paused {
		t.Fatal("toggle did not resume")
	}
}

func TestDeskRefusesCommandsAtTheWrongMoment(t *testing.T) {
	d, _ := newTestDesk(t, nil)
	ctx := context.Background()
	for _, tc := range []struct {
		cmd  Command
		want error
	}{
		{Next{}, ErrNotStarted},
		{Pause{}, ErrNotStarted},
		{Adjust{Delta: time.Second}, ErrNotStarted},
	} {
		if err := d.Do(ctx, tc.cmd); !errors.Is(err, tc.want) {
			t.Errorf("%s before start: got %v, want %v", tc.cmd.Name(), err, tc.want)
		}
	}
	mustDo(t, d, Start{})
	if err := d.Do(ctx, Start{}); !errors.Is(err, ErrAlreadyStarted) {
		t.Errorf("second start: %v", err)
	}
	if err := d.Do(ctx, Jump{Index: 9}); !errors.Is(err, ErrBadCommand) {
		t.Errorf("jump out of range: %v", err)
	}
	if err := d.Do(ctx, Previous{}); !errors.Is(err, ErrBadCommand) {
		t.Errorf("previous at first: %v", err)
	}
	if err := d.Do(ctx, Resume{}); !errors.Is(err, ErrNotPaused) {
		t.Errorf("resume while running: %v", err)
	}
	if err := d.Do(ctx, LoadShow{Show: testShow()}); !errors.Is(err, ErrOnAir) {
		t.Errorf("load while on air: %v", err)
	}
	if err := d.Do(ctx, nil); !errors.Is(err, ErrBadCommand) {
		t.Errorf("nil command: %v", err)
	}
	for range 3 {
		mustDo(t, d, Adjust{Window: true})
	}
	if err := d.Do(ctx, Adjust{Window: true}); !errors.Is(err, ErrNoWindows) {
		t.Errorf("fourth window: %v", err)
	}
}

func TestDeskLogsBeforePublishingAndRefusesWhenLogFails(t *testing.T) {
	j := NewMemoryJournal()
	d, clk := newTestDesk(t, j)
	sub := d.Subscribe(16)
	defer sub.Close()
	<-sub.C() // initial snapshot
	mustDo(t, d, Start{})
	ev := <-sub.C()
	if ev.Kind != EventSnapshot || len(ev.Snapshot.Anchors) != 1 {
		t.Fatalf("event after start: %+v", ev)
	}
	recs := j.Records()
	if last := recs[len(recs)-1]; last.Kind != "start" {
		t.Fatalf("last log record %q, want start", last.Kind)
	}
	j.Fail(errors.New("disk full"))
	before := d.Snapshot()
	clk.Advance(time.Second)
	if err := d.Do(context.Background(), Next{}); err == nil {
		t.Fatal("next with a failing log was accepted")
	}
	if d.Snapshot() != before {
		t.Fatal("a refused command changed the show")
	}
	select {
	case ev := <-sub.C():
		t.Fatalf("refused command published %v", ev.Kind)
	default:
	}
}

func TestDeskFiresCuesOnTheFakeClock(t *testing.T) {
	d, clk := newTestDesk(t, nil)
	sub := d.Subscribe(256)
	defer sub.Close()
	mustDo(t, d, Start{}, Next{}) // product segment at t0
	var got []scripts.CueKind
	deadline := t0.Add(5 * time.Minute)
	for {
		at, ok := clk.NextDeadline()
		if !ok || at.After(deadline) {
			break
		}
		clk.Set(at)
		for ev := range waitCue(t, sub) {
			if ev.Cue.At != at {
				t.Fatalf("cue %s due %v fired for deadline %v", ev.Cue.Kind, ev.Cue.At, at)
			}
			got = append(got, ev.Cue.Kind)
		}
	}
	// 9 boundaries after the first point (2 phase starts among them),
	// warning at 4:00 coincides with a point boundary, danger at 4:50,
	// overtime at 5:00.
	points, phases, warn, danger, over := 0, 0, 0, 0, 0
	for _, k := range got {
		switch k {
		case scripts.CuePoint:
			points++
		case scripts.CuePhase:
			phases++
		case scripts.CueWarning:
			warn++
		case scripts.CueDanger:
			danger++
		case scripts.CueOvertime:
			over++
		}
	}
	if phases != 2 || points+phases < 8 || warn != 1 || danger != 1 || over != 1 {
		t.Fatalf("cues %v: points=%d phases=%d warning=%d danger=%d overtime=%d", got, points, phases, warn, danger, over)
	}
}

// waitCue yields the cue events the desk publishes after one wake-up.
func waitCue(t *testing.T, sub *Subscription) func(func(Event) bool) {
	return func(yield func(Event) bool) {
		timeout := time.After(5 * time.Second)
		for {
			select {
			case ev := <-sub.C():
				if ev.Kind != EventCue {
					continue
				}
				if !yield(ev) {
					return
				}
				// More cues of the same instant may follow at once.
				for {
					select {
					case ev := <-sub.C():
						if ev.Kind == EventCue && !yield(ev) {
							return
						}
					case <-time.After(20 * time.Millisecond):
						return
					}
				}
			case <-timeout:
				t.Fatal("no cue event within 5 s")
				return
			}
		}
	}
}

func TestSlowSubscriberNeverBlocksTheDesk(t *testing.T) {
	d, clk := newTestDesk(t, nil)
	stalled := d.Subscribe(1) // never read
	defer stalled.Close()
	mustDo(t, d, Start{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 500 {
			clk.Advance(time.Second)
			mustDo(t, d, Adjust{Delta: time.Second})
		}
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("desk blocked behind a stalled subscriber")
	}
	if stalled.Dropped() == 0 {
		t.Fatal("stalled subscriber dropped nothing")
	}
	// The one event it holds is the newest snapshot.
	ev := <-stalled.C()
	if ev.Snapshot == nil || ev.Snapshot.Seq != d.Snapshot().Seq {
		t.Fatalf("stalled subscriber holds an old event: %+v", ev)
	}
}

func TestRestartResumesTheRunExactly(t *testing.T) {
	j := NewMemoryJournal()
	d, clk := newTestDesk(t, j)
	mustDo(t, d, Start{})
	clk.Advance(2*time.Minute + 5*time.Second)
	mustDo(t, d, Next{})
	clk.Advance(47 * time.Second) // mid selling point
	mustDo(t, d, Adjust{Delta: 30 * time.Second, Window: true})
	clk.Advance(3 * time.Second)
	want := d.Snapshot().State(clk.Now())
	d.Close()

	d2 := New(Config{Clock: clk, Journal: j})
	defer d2.Close()
	mustDo(t, d2, LoadShow{Show: testShow()})
	got := d2.Snapshot().State(clk.Now())
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("state after restart differs:\n got %+v\nwant %+v", got, want)
	}
}

func TestRewindStartsANewRun(t *testing.T) {
	d, clk := newTestDesk(t, nil)
	mustDo(t, d, Start{})
	clk.Advance(time.Minute)
	mustDo(t, d, End{})
	if err := d.Do(context.Background(), Start{}); !errors.Is(err, ErrEnded) {
		t.Fatalf("start after end: %v", err)
	}
	mustDo(t, d, Rewind{}, Start{})
	if st := d.Snapshot().State(clk.Now()); !st.Started || st.Ended || st.ShowElapsed != 0 {
		t.Fatalf("after rewind+start: %+v", st)
	}
}

func TestScaledClockRunsFactorTimesFaster(t *testing.T) {
	c := NewScaledClock(50)
	t0 := c.Now()
	tm := c.NewTimer(5 * time.Second) // 100 ms of wall time
	select {
	case <-tm.C():
	case <-time.After(5 * time.Second):
		t.Fatal("a 5 s timer at 50× did not fire within 5 s of wall time")
	}
	if got := c.Now().Sub(t0); got < 5*time.Second {
		t.Fatalf("scaled time advanced %v when the timer fired, want ≥ 5 s", got)
	}
	if NewScaledClock(0).Factor != 1 {
		t.Fatal("factor 0 is not 1")
	}
}
