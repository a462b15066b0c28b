package studio

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"studiodesk/assets"
	"studiodesk/scripts"
	"studiodesk/studio/danmaku"
	"studiodesk/studio/platform"
	"studiodesk/studio/platform/rehearsal"
	"studiodesk/studio/report"
	"studiodesk/studio/store"
)

// TestFullAcceleratedRehearsal runs the whole demo show on a fake clock
// against the simulated platform, with the real store, then builds the
// report from the show log and checks its numbers against what was driven.
func TestFullAcceleratedRehearsal(t *testing.T) {
	show, err := scripts.LoadYAML("demo/show.yaml", assets.DemoShow())
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2025, 3, 1, 7, 0, 0, 0, time.UTC) // 15:00 Beijing
	clk := NewFakeClock(t0)
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	pipe := danmaku.New(danmaku.Config{Now: clk.Now})
	desk := New(Config{Clock: clk, Journal: NewStoreJournal(st), Rehearsal: true, Danmaku: pipe,
		Logf: func(string, ...any) {}})
	t.Cleanup(desk.Close)
	sub := desk.Subscribe(4096)
	defer sub.Close()
	sim := rehearsal.New(rehearsal.Config{Seed: 7, Rate: 10, Profile: "normal", Now: clk.Now})

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	do := func(cmd Command) {
		t.Helper()
		if err := desk.Do(ctx, cmd); err != nil {
			t.Fatalf("%s at %s: %v", cmd.Name(), clk.Now().Sub(t0), err)
		}
	}

	var generated int64
	sink := func(ev platform.Event) {
		if ev.Kind == platform.KindDanmaku {
			generated++
			pipe.Ingest(danmaku.Message{ID: ev.ID, ViewerID: ev.ViewerID, ViewerName: ev.ViewerName, Text: ev.Text,
				Time: ev.Time, GuardLevel: ev.GuardLevel, IsAdmin: ev.IsAdmin})
		}
	}
	// Figures are logged on every minute boundary, as the live feed does.
	lastFig := t0
	last := pipe.Stats()
	logFigures := func(minute time.Time) {
		t.Helper()
		s := pipe.Stats()
		do(LogFigures{Figures: Figures{Minute: minute, Received: s.Received - last.Received, Shown: s.Shown - last.Shown,
			Filtered:  (s.Links + s.Contact + s.Banned + s.Flood + s.Blocked) - (last.Links + last.Contact + last.Banned + last.Flood + last.Blocked),
			Questions: s.QuestionsQueued - last.QuestionsQueued}})
		last = s
	}
	// waitCue blocks until the desk has fired the cue due at at.
	waitCue := func(at time.Time) {
		t.Helper()
		deadline := time.After(30 * time.Second)
		for {
			select {
			case ev := <-sub.C():
				if ev.Kind == EventCue && !ev.Fired.Before(at) {
					return
				}
			case <-deadline:
				t.Fatalf("no cue fired for %s", at.Sub(t0))
			}
		}
	}
	cueWaits := 0
	// advanceTo steps the clock to target through every minute boundary
	// and cue instant, generating the room's danmaku on the way.
	advanceTo := func(target time.Time) {
		t.Helper()
		for clk.Now().Before(target) {
			now := clk.Now()
			next := target
			if m := lastFig.Add(time.Minute); m.Before(next) {
				next = m
			}
			cue, hasCue := clk.NextDeadline()
			if hasCue && cue.After(now) && cue.Before(next) {
				next = cue
			}
			if err := sim.Generate(now, next, sink); err != nil {
				t.Fatal(err)
			}
			clk.Set(next)
			if hasCue && !cue.After(next) {
				waitCue(cue)
				cueWaits++
			}
			if next.Equal(lastFig.Add(time.Minute)) {
				lastFig = next
				logFigures(next.Add(-time.Minute))
			}
		}
	}

	const (
		overrunSeg = 1 // runs 20 s over its plan
		adjustSeg  = 5 // extended by 30 s in an adjustment window, run to the new plan
		pauseSeg   = 7 // paused for 45 s
		overrun    = 20 * time.Second
		extension  = 30 * time.Second
		pauseFor   = 45 * time.Second
	)
	do(LoadShow{Show: show})
	do(Start{})
	run := desk.Snapshot().Run
	driven := make([]time.Duration, len(show.Segments))
	for i := range show.Segments {
		segStart := clk.Now()
		d := show.Segments[i].Planned()
		onAir := d
		switch i {
		case overrunSeg:
			d += overrun
			onAir = d
		case adjustSeg:
			advanceTo(segStart.Add(time.Minute))
			do(Adjust{Delta: extension, Window: true})
			d += extension
			onAir = d
		case pauseSeg:
			advanceTo(segStart.Add(2 * time.Minute))
			do(Pause{})
			advanceTo(clk.Now().Add(pauseFor))
			do(Resume{})
			d += pauseFor // wall time; on air stays the plan
		}
		advanceTo(segStart.Add(d))
		driven[i] = onAir
		if i < len(show.Segments)-1 {
			do(Next{})
		}
	}
	// The last, partial minute is logged at the end so the figures add up
	// to everything the room sent.
	if clk.Now().After(lastFig) {
		logFigures(lastFig)
	}
	do(End{})
	end := clk.Now()

	r, err := report.Build(st, run, show)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Segments) != len(show.Segments) || len(r.Segments) != 17 {
		t.Fatalf("report has %d segments, script %d", len(r.Segments), len(show.Segments))
	}
	var total time.Duration
	for i, s := range r.Segments {
		total += driven[i]
		if !s.Done || s.Actual != driven[i] {
			t.Errorf("segment %d %s: actual %v (done %v), drove %v", i+1, s.Title, s.Actual, s.Done, driven[i])
		}
		wantOver := time.Duration(0)
		if i == overrunSeg {
			wantOver = overrun
		}
		if s.Over != wantOver {
			t.Errorf("segment %d: over %v, want %v", i+1, s.Over, wantOver)
		}
	}
	if s := r.Segments[adjustSeg]; s.Adjusted != extension || s.Planned != show.Segments[adjustSeg].Planned()+extension {
		t.Errorf("adjusted segment: adjusted %v planned %v", s.Adjusted, s.Planned)
	}
	if want := show.Total() + overrun + extension; total != want || r.ActualTotal != want {
		t.Errorf("show on air %v (sum of segments %v), want %v", r.ActualTotal, total, want)
	}
	if wall := end.Sub(t0); wall != show.Total()+overrun+extension+pauseFor || !r.Ended.Equal(end) || !r.Started.Equal(t0) {
		t.Errorf("wall %v, report %s–%s", wall, r.Started, r.Ended)
	}
	wantMinutes := int((end.Sub(t0) + time.Minute - 1) / time.Minute)
	if len(r.Minutes) != wantMinutes || r.Kinds["figures"] != wantMinutes {
		t.Errorf("figures records %d, want %d (one per started minute)", len(r.Minutes), wantMinutes)
	}
	if generated == 0 || r.DanmakuTotal != generated || pipe.Stats().Received != generated {
		t.Errorf("danmaku: report %d, generator %d, pipeline %d", r.DanmakuTotal, generated, pipe.Stats().Received)
	}
	if r.WindowsUsed != 1 || r.WindowsTotal != 3 || len(r.Adjustments) != 1 || r.Adjustments[0].Segment != adjustSeg {
		t.Errorf("windows %d/%d, adjustments %+v", r.WindowsUsed, r.WindowsTotal, r.Adjustments)
	}
	if r.Pauses != 1 || !r.EndedOK {
		t.Errorf("pauses %d ended %v", r.Pauses, r.EndedOK)
	}
	// Every cue the pure timer schedules for these anchors was logged. The
	// desk also logs the cue due at the very instant a segment is left (the
	// clock reached it before Next), which a replay of the whole run skips.
	snap := desk.Snapshot()
	wantCues := len(scripts.NewTimer(show).CuesBetween(snap.Anchors, t0, end))
	if r.CuesFired() < wantCues || wantCues == 0 {
		t.Errorf("cues logged %d, timer schedules %d (clock stopped %d times)", r.CuesFired(), wantCues, cueWaits)
	}
	if !r.Chain.OK || r.Chain.Records != int(r.Chain.LastSeq) || len(r.Chain.FinalHash) != 64 {
		t.Errorf("chain %+v", r.Chain)
	}
	if last, _, err := st.Last(run); err != nil || last.Hash != r.Chain.FinalHash {
		t.Errorf("final hash %s, last record %s (%v)", r.Chain.FinalHash, last.Hash, err)
	}
	t.Logf("run %s: %d records, %d segments, on air %v, wall %v, %d danmaku in %d minutes, %d cues, final hash %s",
		run, r.Chain.Records, len(r.Segments), r.ActualTotal, end.Sub(t0), generated, len(r.Minutes), r.CuesFired(), r.Chain.FinalHash)

	var html, csv bytes.Buffer
	if err := report.WriteHTML(&html, r); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteCSV(&csv, r); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(csv.String(), "\n"); n != len(show.Segments)+1 {
		t.Errorf("CSV has %d lines, want %d", n, len(show.Segments)+1)
	}
	for _, p := range []string{filepath.Join(t.TempDir(), "report.html"), "/tmp/report-shots/report.html"} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, html.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile("/tmp/report-shots/report.csv", csv.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
