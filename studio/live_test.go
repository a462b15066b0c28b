package studio

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"studiodesk/studio/danmaku"
)

func TestFeedCarriesShownLinesAndFiltersSpam(t *testing.T) {
	plat := &pacedPlatform{n: 40, rate: 4000, sentAt: make([]atomic.Int64, 40)}
	pipe := danmaku.New(danmaku.Config{})
	var mu sync.Mutex
	got := map[string]bool{}
	feed := &Feed{Platform: plat, Pipeline: pipe, OnLines: func(items []danmaku.Item) {
		mu.Lock()
		defer mu.Unlock()
		for _, it := range items {
			if it.Hidden {
				t.Errorf("hidden item %s handed to the overlay", it.ID)
			}
			got[it.ID] = true
		}
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- feed.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n == 40 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("overlay got %d of 40 lines", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err == nil {
		t.Fatal("Run returned nil after cancel; want ctx's error")
	}
	for i := range 40 {
		if !got[strconv.Itoa(i)] {
			t.Fatalf("line %d missing", i)
		}
	}
}

func TestFeedLogsFiguresEachMinuteOfTheDeskClock(t *testing.T) {
	j := NewMemoryJournal()
	clk := NewFakeClock(t0)
	d := New(Config{Clock: clk, Journal: j})
	defer d.Close()
	plat := &pacedPlatform{n: 10, rate: 1000, sentAt: make([]atomic.Int64, 10)}
	feed := &Feed{Desk: d, Platform: plat, Pipeline: danmaku.New(danmaku.Config{})}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = feed.Run(ctx) }()
	figures := func() int {
		n := 0
		for _, r := range j.Records() {
			if r.Kind == "figures" {
				n++
			}
		}
		return n
	}
	for want := 1; want <= 2; want++ {
		deadline := time.Now().Add(10 * time.Second)
		for {
			if at, ok := clk.NextDeadline(); ok && at.Equal(t0.Add(time.Duration(want)*time.Minute)) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("feed never armed its minute %d timer on the desk clock", want)
			}
			time.Sleep(5 * time.Millisecond)
		}
		clk.Advance(time.Minute)
		for figures() < want {
			if time.Now().After(deadline) {
				t.Fatalf("%d figures records after %d fake minutes", figures(), want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}
