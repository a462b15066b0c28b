package danmaku

import (
	"runtime"
	"testing"
	"time"
)

// benchStream pre-generates a realistic stream so that generating it is not
// measured.
func benchStream(b *testing.B, n int) []Message {
	b.Helper()
	g := newStreamGen(42)
	g.viewers = 1_000_000
	msgs := make([]Message, n)
	for i := range msgs {
		msgs[i], _ = g.next()
	}
	return msgs
}

func benchPipeline(b *testing.B, segmentRate, floodViewers int, step time.Duration) (*Pipeline, func()) {
	b.Helper()
	if err := LoadSegmenter(); err != nil {
		b.Fatal(err)
	}
	now := time.Date(2025, 6, 18, 20, 0, 0, 0, time.UTC)
	p := New(Config{
		Now:            func() time.Time { return now },
		BannedWords:    []string{"赌博", "代开发票", "傻逼", "刷单", "假一赔十", "最便宜", "国家级", "第一品牌"},
		LotteryPhrases: []string{"主播我要福袋"},
		SegmentRate:    segmentRate,
		FloodViewers:   floodViewers,
	})
	p.Subscribe(1024) // never read: the drop path is part of the cost
	// The clock runs at the rate the benchmark claims, 200,000 messages per
	// second, from a room of 1,000,000 viewers, so that the windows (flood,
	// repeat, trending, segmentation budget) see what they would see live.
	return p, func() { now = now.Add(step) }
}

// BenchmarkPipeline: mixed Chinese danmaku (questions, buy intent, praise,
// votes, repeats, chatter, link and contact spam) through the whole
// pipeline on one goroutine.
func BenchmarkPipeline(b *testing.B) { benchmarkPipeline(b, 0) }

// BenchmarkPipelineSegmentAll segments every cache miss (no budget), to
// show what the budget saves.
func BenchmarkPipelineSegmentAll(b *testing.B) { benchmarkPipeline(b, 1<<40) }

func benchmarkPipeline(b *testing.B, segmentRate int) {
	msgs := benchStream(b, 1<<18)
	p, tick := benchPipeline(b, segmentRate, 1_000_000, 5*time.Microsecond)
	for i := range 1 << 16 { // warm caches and windows
		p.Ingest(msgs[i])
		tick()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.Ingest(msgs[i&(len(msgs)-1)])
		tick()
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	s := p.Stats()
	b.ReportMetric(float64(s.Segmented)/float64(s.Received), "segmented/msg")
}

// BenchmarkPipelineMemory runs 2,000,000 messages per op over 10 minutes of
// clock (3,333 messages/s, a busy room, so that every window, the 5-minute
// trending one included, reaches its steady state) and reports the heap in
// use before the pipeline exists (gse dictionary and the test stream
// loaded), after 200,000 and 1,000,000 messages, and at the end.
func BenchmarkPipelineMemory(b *testing.B) {
	msgs := benchStream(b, 1<<18)
	// live heap after a collection (HeapAlloc); HeapInuse also counts the
	// free room in partly used spans
	var ms runtime.MemStats
	heapMB := func() float64 {
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return float64(ms.HeapAlloc) / (1 << 20)
	}
	for range b.N {
		if err := LoadSegmenter(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(heapMB(), "heap-MB-base")
		p, tick := benchPipeline(b, 0, 0, 300*time.Microsecond)
		for i := range 2_000_000 {
			switch i {
			case 200_000:
				b.ReportMetric(heapMB(), "heap-MB-200k")
			case 1_000_000:
				b.ReportMetric(heapMB(), "heap-MB-1M")
			}
			p.Ingest(msgs[i&(len(msgs)-1)])
			tick()
		}
		b.ReportMetric(heapMB(), "heap-MB-2M")
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-inuse-MB-2M")
		runtime.KeepAlive(p)
	}
}

func BenchmarkNormalize(b *testing.B) {
	n := newNormalizer(200)
	texts := []string{"主播160斤穿什么码", "ｗｗｗ．ｘｘ．ｃｏｍ 特价", "好看！👍", "加\u200b威信 abc123"}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		n.normalize(texts[i&3])
		n.buildKey()
	}
}
