package studio

import (
	"context"
	"net/url"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"studiodesk/studio/danmaku"
	"studiodesk/studio/overlay"
	"studiodesk/studio/platform/rehearsal"
)

// TestSoakMemoryFlat runs the rehearsal simulator at 20,000 messages/s
// through the pipeline and the overlay to a live page for
// $STUDIODESK_SOAK (e.g. 10m) and checks that the heap stops growing once
// warm. Skipped unless the variable is set: it takes as long as it says.
func TestSoakMemoryFlat(t *testing.T) {
	d, err := time.ParseDuration(os.Getenv("STUDIODESK_SOAK"))
	if err != nil || d <= 0 {
		t.Skip("set STUDIODESK_SOAK=10m to run the soak test")
	}
	if err := danmaku.LoadSegmenter(); err != nil {
		t.Fatal(err)
	}
	ov := overlay.New(overlay.Config{Addr: ":0"})
	if err := ov.Start(); err != nil {
		t.Fatal(err)
	}
	defer ov.Close()
	u := url.URL{Scheme: "ws", Host: ov.Addr(), Path: "/ws", RawQuery: "topic=danmaku"}
	c, _, err := websocket.DefaultDialer.Dial(u.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go func() {
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	}()
	pipe := danmaku.New(danmaku.Config{})
	sim := rehearsal.New(rehearsal.Config{Seed: 7, Profile: "mega", Rate: 20000})
	feed := &Feed{Platform: sim, Pipeline: pipe, OnLines: func(items []danmaku.Item) { ov.PushDanmaku(overlayLinesForTest(items)) }}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	go func() { _ = feed.Run(ctx) }()

	heap := func() float64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return float64(m.HeapAlloc) / (1 << 20)
	}
	every := d / 10
	var samples []float64
	for i := 0; i <= 10; i++ {
		samples = append(samples, heap())
		st := pipe.Stats()
		t.Logf("t=%v heap=%.1f MB received=%d shown=%d", time.Duration(i)*every, samples[i], st.Received, st.Shown)
		if i < 10 {
			time.Sleep(every)
		}
	}
	// Flat: after warm-up (the first tenth), the heap grows less than 10%.
	warm, last := samples[1], samples[len(samples)-1]
	if last > warm*1.10 {
		t.Fatalf("heap grew from %.1f MB to %.1f MB over the run", warm, last)
	}
	if st := pipe.Stats(); float64(st.Received) < 0.8*20000*d.Seconds() {
		t.Fatalf("received only %d messages in %v", st.Received, d)
	}
}

func overlayLinesForTest(items []danmaku.Item) []overlay.Line {
	lines := make([]overlay.Line, len(items))
	for i, it := range items {
		lines[i] = overlay.Line{ID: it.ID, Name: it.ViewerName, Text: it.Norm, Class: it.Class.String()}
	}
	return lines
}
