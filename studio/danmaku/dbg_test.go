package danmaku

import (
	"fmt"
	"testing"
	"time"
)

func TestDbgStream(t *testing.T) {
	LoadSegmenter()
	now := time.Date(2025, 6, 18, 20, 0, 0, 0, time.UTC)
	p := New(Config{Now: func() time.Time { return now }, FloodViewers: 1_000_000})
	g := newStreamGen(42); g.viewers = 1_000_000
	for range 100000 {
		m, _ := g.next()
		p.Ingest(m)
		now = now.Add(5 * time.Microsecond)
	}
	fmt.Printf("%+v\n", p.Stats())
}
