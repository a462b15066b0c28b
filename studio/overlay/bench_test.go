package overlay

import (
	"encoding/json"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkPushToClient measures ingest → WebSocket receive latency at
// 20,000 lines/s: one iteration is a batch of 200 lines, due every 10 ms;
// the latency of a line is from just before its PushDanmaku call to the
// moment the client's ReadMessage returns the message holding it.
func BenchmarkPushToClient(b *testing.B) {
	const (
		perBatch = 200
		every    = 10 * time.Millisecond
	)
	s := startServer(b, Config{})
	c := dial(b, s, TopicDanmaku)
	total := b.N * perBatch
	sentAt := make([]atomic.Int64, total)
	lat := make([]time.Duration, 0, total)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var m message
		for len(lat) < total {
			// Lines dropped for a late reader never come; stop when quiet.
			if err := c.SetReadDeadline(time.Now().Add(500 * time.Millisecond)); err != nil {
				return
			}
			_, data, err := c.ReadMessage()
			if err != nil {
				return
			}
			at := time.Now().UnixNano()
			m.Lines = m.Lines[:0]
			if json.Unmarshal(data, &m) != nil {
				continue
			}
			for _, l := range m.Lines {
				if i, err := strconv.Atoi(l.ID); err == nil && i < total {
					lat = append(lat, time.Duration(at-sentAt[i].Load()))
				}
			}
		}
	}()

	batch := make([]Line, perBatch)
	b.ResetTimer()
	start := time.Now()
	for n := range b.N {
		// Batch n is due at start + n×10 ms; a late batch goes at once, so
		// the average rate stays 20,000 lines/s.
		time.Sleep(time.Until(start.Add(time.Duration(n) * every)))
		for j := range batch {
			id := n*perBatch + j
			batch[j] = Line{ID: strconv.Itoa(id), Name: "观众" + strconv.Itoa(j), Text: "这款面霜干皮能用吗？多少钱", Class: "question"}
		}
		now := time.Now().UnixNano()
		for j := range batch {
			sentAt[n*perBatch+j].Store(now)
		}
		s.PushDanmaku(batch)
	}
	pushing := time.Since(start)
	b.StopTimer()
	<-done
	if len(lat) == 0 {
		b.Fatal("client received nothing")
	}
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[int(p*float64(len(lat)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1])/float64(time.Millisecond), "max-ms")
	b.ReportMetric(float64(s.Stats().Dropped), "dropped-lines")
	b.ReportMetric(float64(total)/pushing.Seconds(), "lines/s")
}
