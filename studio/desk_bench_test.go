package studio

import (
	"context"
	"slices"
	"testing"
	"time"

	"studiodesk/scripts"
)

// BenchmarkCueFiringAccuracy runs a show whose selling points last 3 ms on
// the real clock and measures how late the desk wakes for each of ≥ 1,000
// cues (fire time − scheduled time).
func BenchmarkCueFiringAccuracy(b *testing.B) {
	const points = 1200
	const every = 3 * time.Millisecond
	pts := make([]scripts.SellingPoint, points)
	for i := range pts {
		pts[i] = scripts.SellingPoint{Text: "p", Duration: every}
	}
	show := &scripts.Show{ID: "bench", Title: "bench", Warning: time.Millisecond, Danger: time.Millisecond / 2,
		Segments: []scripts.Segment{{ID: "s", Title: "s", Kind: scripts.KindProduct,
			Phases: []scripts.Phase{{Name: "core", Duration: points * every, Points: pts}}}}}
	var lateness []time.Duration
	for range b.N {
		d := New(Config{Clock: RealClock{}, Logf: func(string, ...any) {}})
		sub := d.Subscribe(4096)
		ctx := context.Background()
		if err := d.Do(ctx, LoadShow{Show: show}); err != nil {
			b.Fatal(err)
		}
		if err := d.Do(ctx, Start{}); err != nil {
			b.Fatal(err)
		}
		end := time.After(points*every + time.Second)
	collect:
		for {
			select {
			case ev := <-sub.C():
				if ev.Kind == EventCue {
					lateness = append(lateness, ev.Fired.Sub(ev.Cue.At))
				}
			case <-end:
				break collect
			}
		}
		sub.Close()
		d.Close()
	}
	if len(lateness) < 1000 {
		b.Fatalf("only %d cues fired", len(lateness))
	}
	slices.Sort(lateness)
	q := func(p float64) float64 {
		return float64(lateness[int(p*float64(len(lateness)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(float64(len(lateness))/float64(b.N), "cues/run")
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(q(1.0), "max-ms")
}
