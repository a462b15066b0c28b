package studio

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// stepDesk is a desk with housekeeping on a fake clock whose wall clock can
// be stepped apart from show time.
func stepDesk(t *testing.T, j *MemoryJournal, clk *FakeClock) *Desk {
	t.Helper()
	d := New(Config{Clock: clk, Journal: j, Rehearsal: true, Housekeeping: time.Second, Logf: t.Logf})
	t.Cleanup(d.Close)
	if err := d.Do(context.Background(), LoadShow{Show: testShow()}); err != nil {
		t.Fatalf("load: %v", err)
	}
	return d
}

func kinds(j *MemoryJournal, kind string) []JournalRecord {
	var out []JournalRecord
	for _, r := range j.Records() {
		if r.Kind == kind {
			out = append(out, r)
		}
	}
	return out
}

// waitRecords waits until the journal holds n records of kind.
func waitRecords(t *testing.T, j *MemoryJournal, kind string, n int) []JournalRecord {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := kinds(j, kind)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d %s records, want %d: %+v", len(got), kind, n, j.Records())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// tick advances show time by d in one-second steps, letting the desk's
// housekeeping run at each (a Do round-trip orders it after the tick).
func tick(t *testing.T, d *Desk, clk *FakeClock, total time.Duration) {
	t.Helper()
	for s := time.Duration(0); s < total; s += time.Second {
		clk.Advance(time.Second)
		time.Sleep(time.Millisecond)
		_ = d.Do(context.Background(), Resume{}) // refused (not paused): a round trip only
	}
}

func TestWallStepForwardDuringShow(t *testing.T) {
	j := NewMemoryJournal()
	clk := NewFakeClock(t0)
	d := stepDesk(t, j, clk)
	mustDo(t, d, Start{})
	tick(t, d, clk, 30*time.Second)
	cuesBefore := len(kinds(j, "cue"))
	clk.StepWall(10 * time.Minute) // NTP jumps ten minutes ahead
	tick(t, d, clk, 2*time.Second)
	steps := waitRecords(t, j, ClockStepKind, 1)
	rec := steps[0].Payload.(StepRecord)
	if rec.Step != 10*time.Minute || rec.Reason != "step" || !rec.Show.Equal(t0.Add(31*time.Second)) {
		t.Fatalf("step record %+v", rec)
	}
	st := d.Snapshot().State(clk.Now())
	if st.ShowElapsed != 32*time.Second || st.Segment != 0 {
		t.Fatalf("after the step: elapsed %v segment %d (time invented or lost)", st.ShowElapsed, st.Segment)
	}
	if n := len(kinds(j, "cue")) - cuesBefore; n != 0 {
		t.Fatalf("%d cues fired by the step (a burst)", n)
	}
	if n := len(kinds(j, ClockStepKind)); n != 1 {
		t.Fatalf("%d step records for one step", n)
	}
}

func TestWallStepBackPastShowStart(t *testing.T) {
	j := NewMemoryJournal()
	clk := NewFakeClock(t0)
	d := stepDesk(t, j, clk)
	mustDo(t, d, Start{})
	tick(t, d, clk, 20*time.Second)
	clk.StepWall(-2 * time.Hour) // the wall clock goes back before the start
	tick(t, d, clk, 2*time.Second)
	rec := waitRecords(t, j, ClockStepKind, 1)[0].Payload.(StepRecord)
	if rec.Step != -2*time.Hour {
		t.Fatalf("step %v", rec.Step)
	}
	st := d.Snapshot().State(clk.Now())
	if !st.Started || st.ShowElapsed != 22*time.Second {
		t.Fatalf("after a step back: started %v elapsed %v", st.Started, st.ShowElapsed)
	}
	if err := d.Do(context.Background(), Start{}); !errors.Is(err, ErrAlreadyStarted) {
		t.Fatalf("Start after a step back: %v (a new run over the old one)", err)
	}
}

// A restart whose clock reads before the show start (the wall clock was
// set back while the desk was down) resumes the same run from the last
// recorded show time, logs the step, and refuses a new Start.
func TestRestartAfterWallStepBack(t *testing.T) {
	j := NewMemoryJournal()
	clk := NewFakeClock(t0)
	d := stepDesk(t, j, clk)
	mustDo(t, d, Start{})
	tick(t, d, clk, 3*time.Minute)
	waitRecords(t, j, "checkpoint", 4) // start + three minutes
	run := d.Snapshot().Run
	d.Close()

	clk2 := NewFakeClock(t0.Add(-time.Hour)) // restarted an hour "before" the start
	d2 := stepDesk(t, j, clk2)
	snap := d2.Snapshot()
	st := snap.State(clk2.Now())
	if snap.Run != run || !st.Started || st.Ended {
		t.Fatalf("restart: run %q (was %q) started %v", snap.Run, run, st.Started)
	}
	if st.ShowElapsed < 3*time.Minute || st.ShowElapsed > 3*time.Minute+time.Second {
		t.Fatalf("restart resumed at %v on air, want 3:00 (no time lost or invented)", st.ShowElapsed)
	}
	steps := kinds(j, ClockStepKind)
	if len(steps) != 1 || steps[0].Payload.(StepRecord).Reason != "restart" || steps[0].Run != run {
		t.Fatalf("restart step records %+v", steps)
	}
	if err := d2.Do(context.Background(), Start{}); !errors.Is(err, ErrAlreadyStarted) {
		t.Fatalf("Start after the restart: %v", err)
	}
	// Time goes on from there, on the monotonic clock.
	tick(t, d2, clk2, 10*time.Second)
	if e := d2.Snapshot().State(clk2.Now()).ShowElapsed; e < 3*time.Minute+10*time.Second {
		t.Fatalf("elapsed after resume %v", e)
	}
}

// A restart after the wall clock stepped forward resumes the same run (the
// gap counts as on air: the show went on while the desk was down).
func TestRestartAfterWallStepForward(t *testing.T) {
	j := NewMemoryJournal()
	clk := NewFakeClock(t0)
	d := stepDesk(t, j, clk)
	mustDo(t, d, Start{})
	tick(t, d, clk, 70*time.Second)
	run := d.Snapshot().Run
	d.Close()
	clk2 := NewFakeClock(t0.Add(70*time.Second + 5*time.Minute))
	d2 := stepDesk(t, j, clk2)
	snap := d2.Snapshot()
	if snap.Run != run || !snap.State(clk2.Now()).Started {
		t.Fatalf("restart forward: run %q started %v", snap.Run, snap.State(clk2.Now()).Started)
	}
	if n := len(kinds(j, ClockStepKind)); n != 0 {
		t.Fatalf("%d step records for a forward restart", n)
	}
	if len(kinds(j, "checkpoint")) < 3 { // start, minute, resume
		t.Fatalf("checkpoints %+v", kinds(j, "checkpoint"))
	}
}

// Hot copies at show start, every BackupEvery on air (show time) and at
// show end; a signed checkpoint at least every minute on air.
func TestBackupsAndCheckpointsOnAir(t *testing.T) {
	j := NewMemoryJournal()
	clk := NewFakeClock(t0)
	var mu sync.Mutex
	var reasons []string
	d := New(Config{Clock: clk, Journal: j, Rehearsal: true, Housekeeping: time.Second, BackupEvery: 2 * time.Minute, Logf: t.Logf,
		Backup: func(r string) { mu.Lock(); reasons = append(reasons, r); mu.Unlock() }})
	t.Cleanup(d.Close)
	mustDo(t, d, LoadShow{Show: testShow()}, Start{})
	tick(t, d, clk, 5*time.Minute)
	mustDo(t, d, End{})
	mu.Lock()
	got := strings.Join(reasons, ",")
	mu.Unlock()
	if got != "start,on-air,on-air,end" {
		t.Fatalf("backups %s", got)
	}
	cps := kinds(j, "checkpoint")
	if len(cps) != 1+5+1 { // start, one a minute, end
		t.Fatalf("%d checkpoints in a 5-minute show", len(cps))
	}
}
