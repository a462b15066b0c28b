package danmaku

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func termCount(terms []Term, text string) int {
	for _, t := range terms {
		if t.Text == text {
			return t.Count
		}
	}
	return 0
}

func TestTrendingWindows(t *testing.T) {
	seg := mapSegmenter{
		"裙子有大码吗":  {"裙子", "有", "大码", "吗"},
		"裙子好看":    {"裙子", "好看"},
		"口红色号多少":  {"口红", "色号", "多少"},
		"主播今天的口红": {"主播", "今天", "的", "口红"},
	}
	p, clk := newTestPipeline(t, Config{Segmenter: seg})
	viewer := 0
	send := func(text string, n int) {
		for range n {
			viewer++
			p.Ingest(Message{ViewerID: fmt.Sprint("v", viewer), Text: text})
		}
	}
	send("裙子有大码吗", 3) // merged repeats still count as demand
	send("裙子好看", 2)
	clk.Advance(2 * time.Minute)
	send("口红色号多少", 4)
	send("主播今天的口红", 1)

	short := p.Trending(time.Minute, 10)
	if termCount(short, "口红") != 5 || termCount(short, "色号") != 4 || termCount(short, "裙子") != 0 {
		t.Fatalf("1m: %+v", short)
	}
	if short[0].Text != "口红" {
		t.Fatalf("1m order: %+v", short)
	}
	long := p.Trending(5*time.Minute, 10)
	if termCount(long, "裙子") != 5 || termCount(long, "大码") != 3 || termCount(long, "口红") != 5 {
		t.Fatalf("5m: %+v", long)
	}
	// stop words, single runes never count
	for _, w := range []string{"主播", "今天", "的", "有", "吗", "多少"} {
		if termCount(long, w) != 0 {
			t.Fatalf("stop word %q counted: %+v", w, long)
		}
	}
	if top := p.Trending(5*time.Minute, 1); len(top) != 1 || top[0].Text != "口红" && top[0].Text != "裙子" {
		t.Fatalf("k=1: %+v", top)
	}
	// 裙子 was counted at t0; it leaves the 5-min window
	clk.Advance(3*time.Minute + 10*time.Second)
	long = p.Trending(5*time.Minute, 10)
	if termCount(long, "裙子") != 0 || termCount(long, "口红") != 5 {
		t.Fatalf("5m after expiry: %+v", long)
	}
	if got := p.Trending(time.Minute, 10); len(got) != 0 {
		t.Fatalf("1m after expiry: %+v", got)
	}
	// a jump longer than every window clears everything
	clk.Advance(time.Hour)
	if got := p.Trending(5*time.Minute, 10); len(got) != 0 {
		t.Fatalf("after an hour: %+v", got)
	}
	s := p.Stats()
	if s.Segmented != 4 || s.SegmentCached != 6 {
		t.Fatalf("segmented %d cached %d, want 4 and 6", s.Segmented, s.SegmentCached)
	}
}

func TestTrendingBoundedVocabulary(t *testing.T) {
	tr := newTrender(5*time.Second, []time.Duration{time.Minute, 5 * time.Minute}, 100)
	now := time.Unix(1000, 0)
	dropped := 0
	for i := range 1000 {
		dropped += tr.add(now, []string{fmt.Sprint("词", i)})
		now = now.Add(10 * time.Millisecond)
	}
	if len(tr.windows[1].totals) != 100 || dropped != 900 {
		t.Fatalf("vocab %d dropped %d", len(tr.windows[1].totals), dropped)
	}
	// the vocabulary frees up as the window moves on
	now = now.Add(6 * time.Minute)
	if d := tr.add(now, []string{"新词"}); d != 0 {
		t.Fatalf("still full after expiry")
	}
}

func TestSegmentBudget(t *testing.T) {
	p, clk := newTestPipeline(t, Config{SegmentRate: 10})
	for i := range 30 {
		p.Ingest(Message{ViewerID: fmt.Sprint("v", i), Text: fmt.Sprint("独特的弹幕", i, "号")})
	}
	s := p.Stats()
	if s.Segmented != 10 || s.SegmentSkipped != 20 {
		t.Fatalf("segmented %d skipped %d", s.Segmented, s.SegmentSkipped)
	}
	clk.Advance(time.Second)
	p.Ingest(Message{ViewerID: "x", Text: "又一条新的弹幕"})
	if got := p.Stats().Segmented; got != 11 {
		t.Fatalf("after refill: %d", got)
	}
}

func TestQuestionsQueue(t *testing.T) {
	p, clk := newTestPipeline(t, Config{QuestionCap: 3, QuestionTTL: 5 * time.Minute})
	ask := func(viewer, text string) {
		p.Ingest(Message{ViewerID: viewer, Text: text})
		clk.Advance(time.Second)
	}
	ask("a", "主播160斤穿什么码")
	ask("b", "什么时候发货")
	ask("c", "主播165穿什么码")
	ask("d", "主播160斤穿什么码") // repeat: merged line, still a question
	ask("e", "码数偏大吗")
	ask("f", "主播是哪里人?")
	ask("g", "主播是哪里人呀?")
	ask("h", "今天几号")

	qs := p.Questions(10)
	if len(qs) != 3 {
		t.Fatalf("groups: %+v", qs)
	}
	// oldest first; 尺码 groups four questions, examples deduped and capped
	if qs[0].Topic != "尺码" || qs[0].Count != 4 {
		t.Fatalf("order/counts: %+v", qs)
	}
	var ex []string
	for _, e := range qs[0].Examples {
		ex = append(ex, e.Norm)
	}
	// "主播165穿什么码" and the repeat are similar to the first: the latest stands for them
	if !slices.Equal(ex, []string{"主播160斤穿什么码", "码数偏大吗"}) {
		t.Fatalf("examples %q", ex)
	}
	// the queue was full for "今天几号", which evicted the group silent
	// the longest (发货); the two similar untopiced questions form one group
	if qs[1].Topic != "" || qs[1].Count != 2 || qs[1].Examples[0].Norm != "主播是哪里人呀?" {
		t.Fatalf("second group %+v", qs[1])
	}
	if qs[2].Topic != "" || qs[2].Count != 1 || qs[2].Examples[0].Norm != "今天几号" {
		t.Fatalf("third group %+v", qs[2])
	}
	if got := p.Stats().QuestionsDropped; got != 1 {
		t.Fatalf("dropped %d", got)
	}
	if got := p.Questions(1); len(got) != 1 || got[0].Topic != "尺码" {
		t.Fatalf("k=1: %+v", got)
	}
	if !p.DismissQuestion("topic:尺码") || p.DismissQuestion("topic:尺码") {
		t.Fatal("dismiss")
	}
	clk.Advance(6 * time.Minute)
	if got := p.Questions(10); len(got) != 0 {
		t.Fatalf("after ttl: %+v", got)
	}
}

func TestSimilarText(t *testing.T) {
	if !similarText("主播是哪里人", "主播是哪里人呀") || similarText("什么时候发货", "今天几号") {
		t.Fatal("similarText")
	}
	if !similarText("这个口红什么色号", "这个口红是什么色号") {
		t.Fatal("dice")
	}
}

func TestGseSegmenter(t *testing.T) {
	if testing.Short() {
		t.Skip("loads the gse dictionary")
	}
	start := time.Now()
	if err := LoadSegmenter(); err != nil {
		t.Fatal(err)
	}
	t.Logf("gse dictionary loaded in %v", time.Since(start))
	p, _ := newTestPipeline(t, Config{Segmenter: DefaultSegmenter()})
	for i, text := range []string{"这个裙子有没有大码", "裙子什么时候发货", "裙子好漂亮", "敏感肌能用吗"} {
		p.Ingest(Message{ViewerID: fmt.Sprint("v", i), Text: text})
	}
	top := p.Trending(time.Minute, 5)
	if len(top) == 0 || top[0].Text != "裙子" || top[0].Count != 3 {
		t.Fatalf("top %+v", top)
	}
	if termCount(top, "大码") != 1 || termCount(top, "敏感肌") != 1 {
		t.Fatalf("domain word 大码 not kept whole: %+v", top)
	}
}
