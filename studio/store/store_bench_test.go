package store

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"
)

// Benchmarks write through bbolt with fsync on (NoSync stays false), into
// b.TempDir(), so the figures depend on the disk behind $TMPDIR (default
// /tmp): a tmpfs there would hide the fsync cost entirely.

// danmakuEvent is the size and shape of a typical logged comment.
type danmakuEvent struct {
	UID   int64  `json:"uid"`
	Name  string `json:"name"`
	Text  string `json:"text"`
	Class string `json:"class"`
}

func benchEvent(i int) danmakuEvent {
	return danmakuEvent{UID: 100000 + int64(i), Name: "观众", Text: "这个颜色有现货吗？第二件半价吗", Class: "question"}
}

func benchStore(b *testing.B) *Store {
	b.Helper()
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s
}

// BenchmarkAppend: one record per transaction, so one fsync per record.
func BenchmarkAppend(b *testing.B) {
	s := benchStore(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Append(show, "danmaku", benchEvent(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkAppendBatch: one transaction per batch; ns/op is the latency of
// committing one batch.
func BenchmarkAppendBatch(b *testing.B) {
	for _, size := range []int{64, 512} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			s := benchStore(b)
			entries := make([]Entry, size)
			for i := range entries {
				entries[i] = Entry{Kind: "danmaku", Payload: benchEvent(i)}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.AppendBatch(show, entries); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/batch")
		})
	}
}

// BenchmarkBatcher feeds a Batcher as fast as one producer can (a
// mega-stream runs at about 20,000 events/s) and reports the sustained
// durable rate and the p99 commit latency of a batch. One op is one event.
// When the queue is full the producer backs off briefly, as the app would.
func BenchmarkBatcher(b *testing.B) {
	for _, cfg := range []struct {
		maxBatch int
		maxDelay time.Duration
	}{{512, 50 * time.Millisecond}, {2048, 100 * time.Millisecond}} {
		b.Run(fmt.Sprintf("maxBatch=%d/maxDelay=%s", cfg.maxBatch, cfg.maxDelay), func(b *testing.B) {
			s := benchStore(b)
			var mu sync.Mutex
			var lat []time.Duration
			var sizes []int
			bt := newBatcher(s, show, cfg.maxBatch, cfg.maxDelay, func(n int, took time.Duration, err error) {
				mu.Lock()
				lat = append(lat, took)
				sizes = append(sizes, n)
				mu.Unlock()
			})
			backoffs := 0
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				for {
					err := bt.Add("danmaku", benchEvent(i))
					if err == nil {
						break
					}
					if !errors.Is(err, ErrBatcherFull) {
						b.Fatal(err)
					}
					backoffs++
					time.Sleep(100 * time.Microsecond)
				}
			}
			if err := bt.Close(); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if st := bt.Stats(); st.Written != uint64(b.N) {
				b.Fatalf("wrote %d of %d events", st.Written, b.N)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
			mu.Lock()
			defer mu.Unlock()
			if len(lat) > 0 {
				sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
				p99 := lat[min(len(lat)-1, len(lat)*99/100)]
				b.ReportMetric(float64(p99.Microseconds())/1000, "p99-flush-ms")
				total := 0
				for _, n := range sizes {
					total += n
				}
				b.ReportMetric(float64(total)/float64(len(sizes)), "records/batch")
			}
			b.ReportMetric(float64(backoffs)/float64(b.N), "backoffs/op")
		})
	}
}

// BenchmarkVerify: re-checking a recorded show (no fsync, read only).
func BenchmarkVerify(b *testing.B) {
	s := benchStore(b)
	const n = 20000
	entries := make([]Entry, 1000)
	for range n / len(entries) {
		for i := range entries {
			entries[i] = Entry{Kind: "danmaku", Payload: benchEvent(i)}
		}
		if _, err := s.AppendBatch(show, entries); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if res, err := s.Verify(show); err != nil || res.Records != n {
			b.Fatal(res, err)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "records/s")
}
