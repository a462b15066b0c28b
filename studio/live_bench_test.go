package studio

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"studiodesk/studio/danmaku"
	"studiodesk/studio/overlay"
	"studiodesk/studio/platform"
	"studiodesk/studio/platform/rehearsal"
)

// pacedPlatform delivers n danmaku at rate per second from one goroutine,
// stamping each message's send time, like a platform reader would.
type pacedPlatform struct {
	platform.Link
	n      int
	rate   int
	sentAt []atomic.Int64
}

func (p *pacedPlatform) Name() string { return "paced" }
func (p *pacedPlatform) Capabilities() platform.Capabilities {
	return platform.Capabilities{Danmaku: true}
}
func (p *pacedPlatform) Send(context.Context, platform.Command) (platform.Ack, error) {
	return platform.Ack{}, platform.ErrUnsupported
}

func (p *pacedPlatform) Run(ctx context.Context, sink func(platform.Event)) error {
	const tick = 5 * time.Millisecond
	per := p.rate * int(tick) / int(time.Second)
	start := time.Now()
	for i, batch := 0, 0; i < p.n; batch++ {
		time.Sleep(time.Until(start.Add(time.Duration(batch) * tick)))
		for j := 0; j < per && i < p.n; j, i = j+1, i+1 {
			p.sentAt[i].Store(time.Now().UnixNano())
			sink(platform.Event{Kind: platform.KindDanmaku, ID: strconv.Itoa(i), ViewerID: "v" + strconv.Itoa(i),
				ViewerName: "观众", Text: fmt.Sprintf("第%d条 这个面霜好用吗", i), Time: time.Now()})
		}
	}
	<-ctx.Done()
	return ctx.Err()
}

// BenchmarkIngestToOverlay measures platform event → pipeline → feed →
// overlay server → OBS page WebSocket latency at 20,000 messages/s.
func BenchmarkIngestToOverlay(b *testing.B) {
	const rate = 20000
	n := rate * 3 // three seconds of danmaku per iteration
	var lat []time.Duration
	// The segmenter's dictionary loads once per process; a live desk has
	// it loaded long before the show.
	if err := danmaku.LoadSegmenter(); err != nil {
		b.Fatal(err)
	}
	for range b.N {
		ov := overlay.New(overlay.Config{Addr: ":0"})
		if err := ov.Start(); err != nil {
			b.Fatal(err)
		}
		u := url.URL{Scheme: "ws", Host: ov.Addr(), Path: "/ws", RawQuery: "topic=danmaku"}
		c, _, err := websocket.DefaultDialer.Dial(u.String(), nil)
		if err != nil {
			b.Fatal(err)
		}
		plat := &pacedPlatform{n: n, rate: rate, sentAt: make([]atomic.Int64, n)}
		pipe := danmaku.New(danmaku.Config{})
		feed := &Feed{Platform: plat, Pipeline: pipe, OnLines: func(items []danmaku.Item) {
			lines := make([]overlay.Line, len(items))
			for i, it := range items {
				lines[i] = overlay.Line{ID: it.ID, Name: it.ViewerName, Text: it.Norm, Class: it.Class.String()}
			}
			ov.PushDanmaku(lines)
		}}
		ctx, cancel := context.WithCancel(context.Background())
		go func() { _ = feed.Run(ctx) }()
		var m struct {
			Lines []struct {
				ID string `json:"id"`
			} `json:"lines"`
		}
		got := 0
		for got < n {
			_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
			_, data, err := c.ReadMessage()
			if err != nil {
				break // lines filtered or dropped never come
			}
			at := time.Now().UnixNano()
			m.Lines = m.Lines[:0]
			if json.Unmarshal(data, &m) != nil {
				continue
			}
			for _, l := range m.Lines {
				if i, err := strconv.Atoi(l.ID); err == nil && i < n {
					lat = append(lat, time.Duration(at-plat.sentAt[i].Load()))
					got++
				}
			}
		}
		cancel()
		_ = c.Close()
		_ = ov.Close()
	}
	if len(lat) == 0 {
		b.Fatal("no line reached the overlay")
	}
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(float64(len(lat))/float64(b.N), "lines/run")
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
}

// BenchmarkDeskCommandsUnderDanmakuLoad measures desk command round trips
// (Do → applied, logged, published) while the rehearsal simulator feeds
// 5,000 danmaku/s through the pipeline.
func BenchmarkDeskCommandsUnderDanmakuLoad(b *testing.B) {
	if err := danmaku.LoadSegmenter(); err != nil {
		b.Fatal(err)
	}
	pipe := danmaku.New(danmaku.Config{})
	d := New(Config{Danmaku: pipe, Logf: func(string, ...any) {}})
	defer d.Close()
	ctx := context.Background()
	if err := d.Do(ctx, LoadShow{Show: testShow()}); err != nil {
		b.Fatal(err)
	}
	if err := d.Do(ctx, Start{}); err != nil {
		b.Fatal(err)
	}
	sim := rehearsal.New(rehearsal.Config{Seed: 3, Rate: 5000})
	feed := &Feed{Desk: d, Platform: sim, Pipeline: pipe}
	fctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { _ = feed.Run(fctx) }()
	time.Sleep(time.Second) // load running
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		delta := time.Second
		if i%2 == 1 {
			delta = -time.Second
		}
		t0 := time.Now()
		if err := d.Do(ctx, Adjust{Delta: delta}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(float64(pipe.Stats().Received), "danmaku")
}
