package studio

import (
	"context"
	"slices"
	"testing"
	"time"
)

// BenchmarkCommandDurable: Desk.Do of a timer command on the app's wiring
// (OpenBoot: signed journal, fsync on) until it returns, i.e. until the
// record and the anchors are committed in one transaction. Reports the
// p50/p99 latency of command → durable.
func BenchmarkCommandDurable(b *testing.B) {
	boot, err := OpenBoot(BootOptions{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer boot.Close()
	cfg := boot.Config(true)
	cfg.Backup = nil
	d := New(cfg)
	defer d.Close()
	ctx := context.Background()
	if err := d.Do(ctx, LoadShow{Show: testShow()}); err != nil {
		b.Fatal(err)
	}
	if err := d.Do(ctx, Start{}); err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, 4096)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		var c Command = Pause{}
		if i%2 == 1 {
			c = Resume{}
		}
		t := time.Now()
		if err := d.Do(ctx, c); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2])/1e6, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100])/1e6, "p99-ms")
}
