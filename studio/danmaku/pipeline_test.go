package danmaku

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSlowSubscriberNeverBlocks(t *testing.T) {
	p, clk := newTestPipeline(t, Config{})
	stalled := p.Subscribe(16) // never read
	live := p.Subscribe(1 << 17)
	g := newStreamGen(1)
	const n = 100_000
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range n {
			m, _ := g.next()
			p.Ingest(m)
			clk.Advance(5 * time.Microsecond)
		}
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("ingest blocked behind a stalled subscriber")
	}
	if got := stalled.Dropped(); got != n-16 {
		t.Fatalf("stalled dropped %d, want %d", got, n-16)
	}
	if live.Dropped() != 0 || len(live.C) != n {
		t.Fatalf("live: dropped %d buffered %d", live.Dropped(), len(live.C))
	}
	// the stalled subscriber holds the newest items, in order
	var last uint64
	for range 16 {
		it := <-stalled.C
		if it.Seq <= last {
			t.Fatalf("out of order: %d after %d", it.Seq, last)
		}
		last = it.Seq
	}
	if last != n {
		t.Fatalf("newest seq %d, want %d", last, n)
	}
	if got := p.Stats().SubscriberDrops; got != n-16 {
		t.Fatalf("stats drops %d", got)
	}
	stalled.Close()
	stalled.Close()
	if _, ok := <-stalled.C; ok {
		t.Fatal("closed subscription still delivers")
	}
	p.Ingest(Message{ViewerID: "x", Text: "after close"})
}

var linkLike = regexp.MustCompile(`(?i)(https?://|www\.|[a-z0-9-]+\s*\.\s*(com|cn|top|ly)\b|链接领|口令|¥)`)

// On a realistic mixed stream, link-bearing lines stay well under 1% of
// what is shown, while ordinary messages get through.
func TestLinkShareOfShown(t *testing.T) {
	p, clk := newTestPipeline(t, Config{})
	sub := p.Subscribe(1 << 16)
	g := newStreamGen(7)
	const n = 50_000
	byKind := map[kind][2]int{} // shown, total
	for range n {
		m, k := g.next()
		p.Ingest(m)
		it := <-sub.C
		c := byKind[k]
		c[1]++
		if !it.Hidden || it.Reason == ReasonRepeat || it.Reason == ReasonContains {
			c[0]++ // shown on its own or counted on a shown line
			if k == kLink || k == kContact {
				t.Logf("spam got through: %q", it.Norm)
			}
		}
		byKind[k] = c
		clk.Advance(20 * time.Millisecond)
	}
	linkShown := 0
	s := p.Stats()
	for _, it := range p.Recent() {
		if linkLike.MatchString(it.Norm) {
			linkShown++
			t.Logf("link shown: %q", it.Norm)
		}
	}
	share := float64(byKind[kLink][0]+byKind[kContact][0]) / float64(s.Shown)
	t.Logf("shown %d of %d; link/contact lines shown %d (%.4f%%); links %d contact %d flood %d",
		s.Shown, s.Received, byKind[kLink][0]+byKind[kContact][0], share*100, s.Links, s.Contact, s.Flood)
	if share >= 0.001 {
		t.Fatalf("link/contact share of shown %.4f%%, want < 0.1%%", share*100)
	}
	if linkShown > 0 {
		t.Fatalf("%d link-like lines among recent", linkShown)
	}
	for _, k := range []kind{kQuestion, kBuy, kPraise, kComplaint, kChatter} {
		c := byKind[k]
		if float64(c[0]) < 0.9*float64(c[1]) {
			t.Errorf("kind %d: only %d of %d got through", k, c[0], c[1])
		}
	}
}

func TestPinHideWall(t *testing.T) {
	p, _ := newTestPipeline(t, Config{WallCap: 2})
	sub := p.Subscribe(64)
	a := ingest(t, p, sub, "a", "质量很好 回购了")
	b := ingest(t, p, sub, "b", "颜色太美了")
	c := ingest(t, p, sub, "c", "已经第三次买了")
	spam := ingest(t, p, sub, "d", "加威信 abc123")
	if p.Pin(spam.ID) || p.Pin("nope") {
		t.Fatal("pinned a hidden or unknown item")
	}
	if !p.Pin(a.ID) || !p.Pin(b.ID) || !p.Pin(b.ID) || !p.Pin(c.ID) {
		t.Fatal("pin failed")
	}
	wall := p.Wall()
	if len(wall) != 2 || wall[0].ID != b.ID || wall[1].ID != c.ID {
		t.Fatalf("wall %+v", wall)
	}
	if !p.Hide(c.ID) {
		t.Fatal("hide failed")
	}
	if it := <-sub.C; it.ID != c.ID || !it.Hidden || it.Reason != ReasonOperator {
		t.Fatalf("hide update %+v", it)
	}
	if wall := p.Wall(); len(wall) != 1 || wall[0].ID != b.ID {
		t.Fatalf("hidden item still pinned: %+v", wall)
	}
	if !p.Unpin(b.ID) || len(p.Wall()) != 0 {
		t.Fatal("unpin")
	}
	if got := p.Stats().OperatorHidden; got != 1 {
		t.Fatalf("operator hidden %d", got)
	}
	snap := p.Snapshot()
	if len(snap.Recent) != 3 || !snap.Recent[2].Hidden || snap.Stats.Received != 4 {
		t.Fatalf("snapshot %+v", snap)
	}
}

func TestRecentRingCapped(t *testing.T) {
	p, _ := newTestPipeline(t, Config{RecentCap: 10})
	for i := range 100 {
		p.Ingest(Message{ViewerID: fmt.Sprint("v", i), Text: fmt.Sprint("第", i, "条不一样的弹幕")})
	}
	r := p.Recent()
	if len(r) != 10 || r[0].Norm != "第90条不一样的弹幕" || r[9].Norm != "第99条不一样的弹幕" {
		t.Fatalf("recent %d: first %q last %q", len(r), r[0].Norm, r[len(r)-1].Norm)
	}
}

func TestHostileInputs(t *testing.T) {
	p, _ := newTestPipeline(t, Config{})
	sub := p.Subscribe(64)
	inputs := []string{"", " ", "\x00\x01\x02", "\xff\xfe\xfd", strings.Repeat("a", 1<<20),
		strings.Repeat("\u200b", 10000), strings.Repeat("好", 100000) + "\xff", "扣", "？？？", "¥", "$$$$",
		"http", "...", strings.Repeat("1", 11), strings.Repeat("ab.", 5000)}
	for i, in := range inputs {
		p.Ingest(Message{ViewerID: fmt.Sprint("v", i), Text: in})
		it := <-sub.C
		if len(it.Text) > maxOriginalBytes || len([]rune(it.Norm)) > 200 {
			t.Fatalf("input %d not capped: text %d bytes", i, len(it.Text))
		}
	}
}

// Ingest, snapshots and operator calls from several goroutines (run with -race).
func TestConcurrentUse(t *testing.T) {
	p, clk := newTestPipeline(t, Config{})
	sub := p.Subscribe(8)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(3)
	go func() {
		defer wg.Done()
		g := newStreamGen(3)
		for range 5000 {
			m, _ := g.next()
			p.Ingest(m)
			clk.Advance(time.Millisecond)
		}
		close(stop)
	}()
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case it := <-sub.C:
				p.Pin(it.ID)
				if it.Seq%7 == 0 {
					p.Hide(it.ID)
				}
			}
		}
	}()
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				p.Snapshot()
				p.Stats()
				p.SetBannedWords([]string{"赌博"})
				time.Sleep(time.Millisecond)
			}
		}
	}()
	wg.Wait()
	if s := p.Stats(); s.Received != 5000 {
		t.Fatalf("received %d", s.Received)
	}
}
