package remote

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"studiodesk/studio"
)

// BenchmarkCommandRoundTrip: 4 remotes on loopback; each command goes
// remote → data channel → desk applied → ack back, while all 4 remotes
// receive the state diffs. Reports p50/p99 in ms.
func BenchmarkCommandRoundTrip(b *testing.B) {
	r := newRig(b)
	r.mustDo(b, studio.Start{})
	clients := make([]*Client, 4)
	for i := range clients {
		p := r.pair(b, fmt.Sprintf("bench %d", i), RoleController)
		clients[i] = r.dial(b, p.Token)
	}
	// Drain state on every remote, as a real one renders it.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, c := range clients {
		go func() {
			for {
				select {
				case <-c.State():
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		if i > 0 && i%256 == 0 {
			// Keep the run's anchor list short: a real show has dozens.
			b.StopTimer()
			r.mustDo(b, studio.Rewind{}, studio.Start{})
			b.StartTimer()
		}
		c := clients[i%len(clients)]
		start := time.Now()
		if err := c.Do(ctx, studio.ActTogglePause, nil); err != nil {
			b.Fatalf("command %d: %v", i, err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		i := int(float64(len(lat)-1) * p)
		return float64(lat[i].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	if testing.Verbose() {
		b.Logf("n=%d p90=%.3f p95=%.3f max=%.3f ms", len(lat), pct(0.90), pct(0.95), pct(1))
	}
}
