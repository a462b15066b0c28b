package studio

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"studiodesk/scripts"
	"studiodesk/studio/report"
	"studiodesk/studio/store"
)

// In an accelerated rehearsal every record carries show time as "time"
// and the wall clock as "wall", and a command's record and its anchor are
// stamped with the same instant.
func TestAcceleratedRehearsalRecordsBothTimes(t *testing.T) {
	dir := t.TempDir()
	boot, err := OpenBoot(BootOptions{Dir: dir, Speed: 20})
	if err != nil {
		t.Fatal(err)
	}
	cfg := boot.Config(true)
	cfg.Backup = nil
	d := New(cfg)
	ctx := context.Background()
	for _, c := range []Command{LoadShow{Show: testShow()}, Start{}} {
		if err := d.Do(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if err := d.Do(ctx, Next{}); err != nil {
		t.Fatal(err)
	}
	run := d.Snapshot().Run
	d.Close()
	var recs []store.Record
	if err := boot.Store.Records(run, 1, func(r store.Record) error { recs = append(recs, r); return nil }); err != nil {
		t.Fatal(err)
	}
	_ = boot.Close()
	var start, next *store.Record
	for i := range recs {
		r := &recs[i]
		if r.Wall.IsZero() {
			t.Fatalf("record %d (%s) has no wall time in an accelerated rehearsal", r.Seq, r.Kind)
		}
		switch r.Kind {
		case "start":
			start = r
		case "next":
			next = r
		}
		if anchorKind[r.Kind] {
			var a scripts.Anchor
			if err := json.Unmarshal(r.Payload, &a); err != nil || !a.At.Equal(r.Time) {
				t.Fatalf("record %d: time %v, anchor at %v: two clocks in one record", r.Seq, r.Time, a.At)
			}
		}
	}
	if start == nil || next == nil {
		t.Fatalf("records %+v", recs)
	}
	show := next.Time.Sub(start.Time)
	wall := next.Wall.Sub(start.Wall)
	if ratio := float64(show) / float64(wall); ratio < 15 || ratio > 25 {
		t.Fatalf("show time %v over wall %v: ratio %.1f, want ~20", show, wall, ratio)
	}
}

// At real speed a record has no "wall": its time is the only time.
func TestRealSpeedRecordsOneTime(t *testing.T) {
	boot, err := OpenBoot(BootOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer boot.Close()
	rec, err := boot.Store.Append("r", "x", 1)
	if err != nil || !rec.Wall.IsZero() {
		t.Fatalf("%+v %v", rec, err)
	}
}

// A rehearsal at 20× reports its on-air time in show time: a 60-second
// script run through in about 3 wall seconds reports about 60 s on air.
func TestAcceleratedRehearsalReportInShowTime(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 3 wall seconds")
	}
	show := &scripts.Show{ID: "fast", Title: "fast", Segments: []scripts.Segment{
		{ID: "a", Title: "a", Kind: scripts.KindOpening, Duration: 20 * time.Second},
		{ID: "b", Title: "b", Kind: scripts.KindProduct, Duration: 20 * time.Second},
		{ID: "c", Title: "c", Kind: scripts.KindClosing, Duration: 20 * time.Second},
	}}
	boot, err := OpenBoot(BootOptions{Dir: t.TempDir(), Speed: 20})
	if err != nil {
		t.Fatal(err)
	}
	defer boot.Close()
	cfg := boot.Config(true)
	cfg.Backup = nil
	d := New(cfg)
	ctx := context.Background()
	for _, c := range []Command{LoadShow{Show: show}, Start{}} {
		if err := d.Do(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	wall0 := time.Now()
	for i := 0; i < 3; i++ {
		time.Sleep(time.Second) // 20 s of show time
		if err := d.Do(ctx, Next{}); err != nil {
			t.Fatal(err)
		}
	}
	wall := time.Since(wall0)
	run := d.Snapshot().Run
	d.Close()
	r, err := report.Build(boot.Store, run, show)
	if err != nil {
		t.Fatal(err)
	}
	if r.ActualTotal < 55*time.Second || r.ActualTotal > 75*time.Second {
		t.Fatalf("report says %v on air for a 60 s script run in %v of wall time", r.ActualTotal, wall)
	}
	if r.Ended.Sub(r.Started) < 55*time.Second {
		t.Fatalf("report start %v end %v: not show time", r.Started, r.Ended)
	}
}
