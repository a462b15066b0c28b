package report

import (
	"sort"
	"testing"
	"time"

	"studiodesk/studio/store"
)

// BenchmarkShowLogAppend measures what a record costs at mega-stream rates
// (20,000 events/s): per-record latency from Add to durable commit with a
// Batcher, against one fsync per record with Append. The store package's
// benchmarks report throughput and batch commit latency; this adds the
// per-record p50/p99 a viewer's line waits before it is evidence.
func BenchmarkShowLogAppend(b *testing.B) {
	type ev struct {
		UID  int64  `json:"uid"`
		Text string `json:"text"`
	}
	b.Run("Append", func(b *testing.B) {
		st := benchOpen(b)
		lat := make([]time.Duration, 0, 1024)
		for i := 0; b.Loop(); i++ {
			t := time.Now()
			if _, err := st.Append("bench", "danmaku", ev{int64(i), "这个颜色有现货吗？"}); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t))
		}
		report(b, lat)
	})
	b.Run("Batcher-20k/s", func(b *testing.B) {
		st := benchOpen(b)
		bt := store.NewBatcher(st, "bench", 2048, 50*time.Millisecond)
		// Paced at 20,000 events/s: each op is one event, released on its
		// schedule; latency is schedule to commit, read from Stats.
		const rate = 20000
		start := time.Now()
		sent := make([]time.Time, 0, 1024)
		var lat []time.Duration
		written := uint64(0)
		collect := func() {
			w := bt.Stats().Written
			now := time.Now()
			for ; written < w && int(written) < len(sent); written++ {
				lat = append(lat, now.Sub(sent[written]))
			}
		}
		for i := 0; b.Loop(); i++ {
			due := start.Add(time.Duration(i) * time.Second / rate)
			for time.Now().Before(due) {
				collect()
			}
			sent = append(sent, time.Now())
			if err := bt.Add("danmaku", ev{int64(i), "这个颜色有现货吗？"}); err != nil {
				b.Fatal(err)
			}
			collect()
		}
		for int(written) < len(sent) && bt.Stats().Written < uint64(len(sent)) {
			collect()
			time.Sleep(time.Millisecond)
		}
		if err := bt.Close(); err != nil {
			b.Fatal(err)
		}
		collect()
		report(b, lat)
	})
}

func benchOpen(b *testing.B) *store.Store {
	b.Helper()
	st, err := store.Open(b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	return st
}

func report(b *testing.B, lat []time.Duration) {
	b.Helper()
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(float64(len(lat))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
