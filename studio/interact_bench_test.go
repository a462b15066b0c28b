package studio

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"studiodesk/studio/interact"
	"studiodesk/studio/platform"
	"studiodesk/studio/platform/rehearsal"
	"studiodesk/studio/store"
)

// BenchmarkDigitVoteTally counts digit votes through the desk's tally, one
// viewer each of 2^20, rule "last" (the costlier one).
func BenchmarkDigitVoteTally(b *testing.B) {
	const viewers = 1 << 20
	ids := make([]string, viewers)
	for i := range ids {
		ids[i] = fmt.Sprintf("open_%016x", uint64(i)*0x9E3779B97F4A7C15)
	}
	at := t0.Add(time.Second)
	var tl *interact.Tally
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%viewers == 0 {
			tl = interact.NewTally(5, interact.RuleLast, t0, t0.Add(time.Hour))
		}
		tl.Add(ids[i%viewers], i%5+1, at)
	}
	b.StopTimer()
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "votes/s")
	}
}

// simSwap is the simulator, replaced every so often so its limit of 64
// running coupons is never reached (the benchmark does not run its clock).
type simSwap struct {
	platform.Link
	cur atomic.Pointer[rehearsal.Sim]
}

func (s *simSwap) Name() string                        { return rehearsal.Name }
func (s *simSwap) Capabilities() platform.Capabilities { return s.cur.Load().Capabilities() }
func (s *simSwap) Run(ctx context.Context, sink func(platform.Event)) error {
	return s.cur.Load().Run(ctx, sink)
}
func (s *simSwap) Send(ctx context.Context, cmd platform.Command) (platform.Ack, error) {
	return s.cur.Load().Send(ctx, cmd)
}

// BenchmarkFireToAck measures fire → acknowledgement through the desk: the
// outbox write, the background send to the rehearsal simulator, the ack
// posted back, OutboxDone and the show log. "memory" uses the in-memory
// outbox, "store" the bbolt outbox (fsync per write).
func BenchmarkFireToAck(b *testing.B) {
	for _, kind := range []string{"memory", "store"} {
		b.Run(kind, func(b *testing.B) {
			sw := &simSwap{}
			sw.cur.Store(rehearsal.New(rehearsal.Config{Seed: 1}))
			acked := make(chan string, 1)
			cfg := InteractConfig{Platform: sw, OnChange: func(s Interactions) {
				for _, v := range s.Items {
					if v.Delivery == interact.Acked && v.State == interact.Live {
						select {
						case acked <- v.ID:
						default:
						}
					}
				}
			}}
			if kind == "store" {
				st, err := store.Open(b.TempDir(), store.Options{})
				if err != nil {
					b.Fatal(err)
				}
				defer st.Close()
				cfg.Outbox = st
			}
			d := New(Config{Interact: cfg, Logf: func(string, ...any) {}})
			defer d.Close()
			ctx := context.Background()
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				if i%60 == 0 {
					sw.cur.Store(rehearsal.New(rehearsal.Config{Seed: 1}))
				}
				id := fmt.Sprintf("c%d", i)
				if err := d.Do(ctx, DefineCoupon{Coupon: interact.Coupon{ID: id, Name: id, Stock: 10, PerViewer: 1, Window: time.Minute}}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := time.Now()
				if err := d.Do(ctx, FireCoupon{ID: id}); err != nil {
					b.Fatal(err)
				}
				for got := ""; got != id; {
					got = <-acked
				}
				lat = append(lat, time.Since(start))
				b.StopTimer()
				// Close it so the snapshot stays small and the next ack is unambiguous.
				if err := d.Do(ctx, CancelInteraction{ID: id}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.StopTimer()
			slices.Sort(lat)
			pct := func(p float64) float64 {
				return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
		})
	}
}
