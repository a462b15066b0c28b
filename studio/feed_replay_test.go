package studio

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"studiodesk/studio/danmaku"
	"studiodesk/studio/platform/bilibili"
	"studiodesk/studio/platform/bilibili/bilitest"
)

// TestFeedReplayingPlatformShowsNoDuplicates: a Bilibili server that
// re-delivers its recent messages after a reconnect (as the live platform
// does) must not put any message on the overlay twice.
func TestFeedReplayingPlatformShowsNoDuplicates(t *testing.T) {
	srv := bilitest.New(bilitest.Options{Replay: 40})
	defer srv.Close()
	o := srv.Options()
	plat, err := bilibili.New(bilibili.Config{APIBase: srv.URL, AppID: o.AppID, AccessKeyID: o.AccessKeyID,
		AccessKeySecret: o.AccessKeySecret, IdentityCode: o.Code,
		HeartbeatEvery: 40 * time.Millisecond, WSHeartbeatEvery: 25 * time.Millisecond,
		BackoffMin: 10 * time.Millisecond, BackoffMax: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// The pipeline's clock: the reconnect below takes longer than the
	// repeat-merge window (8 s), as a real one does, so a replayed text is
	// not simply merged into its first showing.
	var offset atomic.Int64
	base := time.Date(2025, 6, 18, 20, 0, 0, 0, time.UTC)
	now := func() time.Time { return base.Add(time.Duration(offset.Load())) }
	var mu sync.Mutex
	shown := map[string]int{}
	total := 0
	feed := &Feed{Platform: plat, Pipeline: danmaku.New(danmaku.Config{FloodMax: 1000, Now: now}), OnLines: func(items []danmaku.Item) {
		mu.Lock()
		defer mu.Unlock()
		for _, it := range items {
			shown[it.ID]++
			total++
		}
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- feed.Run(ctx) }()
	defer func() { cancel(); <-done }()

	waitAuths := func(n int) {
		t.Helper()
		if !srv.WaitFor(10*time.Second, func(s bilitest.Stats) bool { return s.Auths >= n && s.Connected }) {
			t.Fatalf("no connection #%d: %+v", n, srv.Stats())
		}
	}
	waitShown := func(n int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			got := total
			mu.Unlock()
			if got >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d lines shown, want %d", got, n)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	push := func(from, to int) {
		t.Helper()
		for i := from; i <= to; i++ {
			frame := bilitest.Message(bilibili.CmdDanmaku, bilitest.DM(fmt.Sprintf("open-%d", i), fmt.Sprintf("观众%d", i),
				fmt.Sprintf("问题%d号 这个尺码偏大吗", i), fmt.Sprintf("msg-%d", i), 1700000000+int64(i)))
			if err := srv.Push(frame); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitAuths(1)
	push(1, 60)
	waitShown(60)
	offset.Add(int64(20 * time.Second))
	srv.Drop() // the link breaks; the platform replays msg-21..msg-60 on the next connection
	waitAuths(2)
	push(61, 100)
	waitShown(100)
	time.Sleep(200 * time.Millisecond) // anything replayed late would show by now
	mu.Lock()
	defer mu.Unlock()
	dupes := 0
	for id, n := range shown {
		if n > 1 {
			dupes += n - 1
			t.Errorf("%s shown %d times", id, n)
		}
	}
	t.Logf("%d lines shown, %d distinct, %d duplicates; pipeline dropped %d re-deliveries", total, len(shown), dupes, feed.Pipeline.Stats().Duplicates)
	if len(shown) != 100 || dupes != 0 {
		t.Fatalf("%d distinct lines, %d duplicates; want 100 and 0", len(shown), dupes)
	}
	if got := feed.Pipeline.Stats().Duplicates; got != 40 {
		t.Fatalf("pipeline dropped %d re-deliveries, want the 40 replayed", got)
	}
}
