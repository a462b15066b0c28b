package danmaku

import (
	"testing"
	"time"
)

func TestRepeatMergeWindow(t *testing.T) {
	p, clk := newTestPipeline(t, Config{})
	sub := p.Subscribe(64)
	first := ingest(t, p, sub, "a", "主播好美")
	if first.Hidden || first.Merged != 1 {
		t.Fatalf("first: %+v", first)
	}
	clk.Advance(3 * time.Second)
	// same normalised text, different width/punctuation/viewer
	second := ingest(t, p, sub, "b", "主播好美！！")
	clk.Advance(4 * time.Second)
	third := ingest(t, p, sub, "c", "主播 好美")
	for _, it := range []Item{second, third} {
		if !it.Hidden || it.Reason != ReasonRepeat || it.MergedInto != first.ID {
			t.Fatalf("not merged: %+v", it)
		}
	}
	if third.Merged != 3 {
		t.Fatalf("merged count %d, want 3", third.Merged)
	}
	recent := p.Recent()
	if len(recent) != 1 || recent[0].Merged != 3 {
		t.Fatalf("recent: %+v", recent)
	}
	// past 8 s from the line's first message: a new line
	clk.Advance(2 * time.Second)
	fourth := ingest(t, p, sub, "d", "主播好美")
	if fourth.Hidden || fourth.Merged != 1 {
		t.Fatalf("after window: %+v", fourth)
	}
	if s := p.Stats(); s.Repeat != 2 || s.Shown != 2 {
		t.Fatalf("stats: repeat %d shown %d", s.Repeat, s.Shown)
	}
}

func TestContainmentMerge(t *testing.T) {
	p, clk := newTestPipeline(t, Config{})
	sub := p.Subscribe(64)
	line := ingest(t, p, sub, "a", "这件衣服好漂亮")
	clk.Advance(time.Second)
	longer := ingest(t, p, sub, "b", "这件衣服好漂亮啊")
	if !longer.Hidden || longer.Reason != ReasonContains || longer.MergedInto != line.ID {
		t.Fatalf("longer: %+v", longer)
	}
	shorter := ingest(t, p, sub, "c", "衣服好漂亮")
	if !shorter.Hidden || shorter.Reason != ReasonContains {
		t.Fatalf("shorter (5 of 7 runes): %+v", shorter)
	}
	// not similar length: shown
	if it := ingest(t, p, sub, "d", "这件衣服好漂亮但是我穿不了太小了"); it.Hidden {
		t.Fatalf("long extension merged: %+v", it)
	}
	// too short to merge by containment
	ingest(t, p, sub, "e", "已拍")
	if it := ingest(t, p, sub, "f", "已拍了"); it.Hidden {
		t.Fatalf("short containment merged: %+v", it)
	}
	if got := p.Stats().Contains; got != 2 {
		t.Fatalf("contains counter %d", got)
	}
	// votes "1" and "12" never merge by containment
	ingest(t, p, sub, "g", "1")
	if it := ingest(t, p, sub, "h", "12"); it.Hidden {
		t.Fatalf("12 merged into 1")
	}
}

func TestLotteryMerge(t *testing.T) {
	p, clk := newTestPipeline(t, Config{LotteryPhrases: []string{"主播我要福袋"}, LotteryWindow: time.Minute})
	sub := p.Subscribe(256)
	first := ingest(t, p, sub, "v0", "主播我要福袋")
	if first.Hidden {
		t.Fatalf("first lottery text should be the line: %+v", first)
	}
	var last Item
	for i := 1; i < 100; i++ {
		clk.Advance(200 * time.Millisecond) // 20 s in all, beyond the repeat window
		text := "主播我要福袋"
		if i%3 == 0 {
			text = "主播我要福袋！！🎁"
		}
		last = ingest(t, p, sub, "v"+string(rune('0'+i%10))+string(rune('a'+i/10)), text)
		if !last.Hidden || last.Reason != ReasonLottery || last.MergedInto != first.ID {
			t.Fatalf("#%d not merged: %+v", i, last)
		}
	}
	if last.Merged != 100 {
		t.Fatalf("count %d, want 100", last.Merged)
	}
	if s := p.Stats(); s.Lottery != 100 || s.Shown != 1 {
		t.Fatalf("stats lottery %d shown %d", s.Lottery, s.Shown)
	}
	p.SetLotteryPhrases(nil)
	if it := ingest(t, p, sub, "zz", "主播我要福袋"); it.Reason == ReasonLottery {
		t.Fatalf("phrase removed but still lottery")
	}
}

func TestRepeatIndexBounded(t *testing.T) {
	p, clk := newTestPipeline(t, Config{RepeatLines: 64})
	for i := range 5000 {
		p.Ingest(Message{ViewerID: "u" + string(rune(0x4E00+i)), Text: "第" + string(rune(0x4E00+i)) + "条弹幕"})
		clk.Advance(time.Millisecond)
	}
	p.mu.Lock()
	n := len(p.lineIdx)
	p.mu.Unlock()
	if n > 64 {
		t.Fatalf("line index has %d entries, cap 64", n)
	}
}
