package danmaku

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestDedupeByPlatformID: a platform that re-delivers (a replay after a
// reconnect) must not show a message twice; ids are remembered in a bounded
// window.
func TestDedupeByPlatformID(t *testing.T) {
	p, clk := newTestPipeline(t, Config{DedupeIDs: 50, FloodMax: 1000})
	sub := p.Subscribe(1024)
	send := func(from, to int) {
		for i := from; i <= to; i++ {
			p.Ingest(Message{ID: fmt.Sprintf("msg-%d", i), ViewerID: fmt.Sprintf("v%d", i%7), Text: fmt.Sprintf("第%d个问题 尺码怎么选", i)})
			clk.Advance(10 * time.Millisecond)
		}
	}
	send(1, 60)
	send(31, 90) // the platform replays 31..60 after a reconnect
	shown := map[string]int{}
	for len(sub.C) > 0 {
		it := <-sub.C
		if !it.Hidden {
			shown[it.ID]++
		}
	}
	for id, n := range shown {
		if n > 1 {
			t.Errorf("%s shown %d times", id, n)
		}
	}
	if len(shown) != 90 {
		t.Errorf("%d distinct messages shown, want 90", len(shown))
	}
	if st := p.Stats(); st.Duplicates != 30 || st.Received != 90 {
		t.Errorf("stats: duplicates %d received %d, want 30 and 90", st.Duplicates, st.Received)
	}
	// bounded: an id older than the window is no longer remembered
	p.Ingest(Message{ID: "msg-1", ViewerID: "late", Text: "很久以前的消息 重新来了"})
	if st := p.Stats(); st.Duplicates != 30 {
		t.Errorf("id past the %d-id window still deduplicated", 50)
	}
	if p.seen.count > 50 {
		t.Errorf("dedupe window holds %d ids, cap 50", p.seen.count)
	}
	// messages without a platform id are never deduplicated
	before := p.Stats().Received
	p.Ingest(Message{ViewerID: "x", Text: "没有编号 一"})
	p.Ingest(Message{ViewerID: "y", Text: "没有编号 二"})
	if p.Stats().Received != before+2 {
		t.Errorf("messages without an id dropped")
	}
}

// TestViewerNameCleaned: names reach the screen cleaned like text.
func TestViewerNameCleaned(t *testing.T) {
	p, _ := newTestPipeline(t, Config{})
	sub := p.Subscribe(16)
	cases := []struct{ name, want string }{
		{"\u202Eevil\u202C小鹿", "evil小鹿"},                    // right-to-left override (shows reversed)
		{"小\u200B鹿\u200D\uFEFF", "小鹿"},                      // zero-width
		{"a\x00b\x1bc\u0085d", "abcd"},                      // C0/C1 controls
		{"\u2066x\u2069\u200Fy\u061C", "xy"},                // isolates, marks
		{"ＡＢＣ　小鹿", "ABC 小鹿"},                                // width folded
		{strings.Repeat("名", 100), strings.Repeat("名", 24)}, // capped
	}
	for i, c := range cases {
		p.Ingest(Message{ID: fmt.Sprint("n", i), ViewerID: fmt.Sprint("v", i), ViewerName: c.name, Text: fmt.Sprint("你好", i)})
		it := <-sub.C
		if it.ViewerName != c.want {
			t.Errorf("name %q became %q, want %q", c.name, it.ViewerName, c.want)
		}
	}
	for _, it := range p.Recent() {
		if strings.ContainsAny(it.ViewerName, "\u202E\u200B\u200F\x00") {
			t.Errorf("recent keeps a raw name %q", it.ViewerName)
		}
	}
}

// TestEmojiFloodMerged: an emoji-only flood is one counted line, not a
// screenful.
func TestEmojiFloodMerged(t *testing.T) {
	p, clk := newTestPipeline(t, Config{})
	sub := p.Subscribe(512)
	texts := []string{"👍", "👍👍", "👍 👍 👍", "👍\uFE0F", "❤️", "❤️❤️❤️", "？？？", "???"}
	for i := 0; i < 200; i++ {
		p.Ingest(Message{ViewerID: fmt.Sprint("v", i), Text: texts[i%len(texts)]})
		clk.Advance(20 * time.Millisecond)
	}
	shown := 0
	var counts []int
	for len(sub.C) > 0 {
		if it := <-sub.C; !it.Hidden {
			shown++
		}
	}
	for _, it := range p.Recent() {
		counts = append(counts, it.Merged)
	}
	// three kinds of symbol: 👍, ❤, ?
	if shown != 3 {
		t.Fatalf("emoji flood of 200 shown as %d lines (merge counts %v), want 3", shown, counts)
	}
	if st := p.Stats(); st.Repeat != 197 {
		t.Fatalf("repeat merges %d, want 197", st.Repeat)
	}
	// different emoji stay distinct lines
	a := ingest(t, p, sub, "w1", "🎉")
	b := ingest(t, p, sub, "w2", "🔥")
	if a.Hidden || b.Hidden {
		t.Fatalf("distinct emoji merged: %+v %+v", a, b)
	}
}

// FuzzIngestNameAndID: any name, text and id go through the pipeline
// without a panic; names come out valid, capped and free of invisibles.
func FuzzIngestNameAndID(f *testing.F) {
	for _, s := range []string{"", "\u202E小熊", "👍👍", "\xff\xfe", "a\u200bb", strings.Repeat("名", 40)} {
		f.Add(s, s, s)
	}
	p, _ := newTestPipeline(f, Config{DedupeIDs: 8})
	f.Fuzz(func(t *testing.T, name, text, id string) {
		sub := p.Subscribe(4)
		defer sub.Close()
		p.Ingest(Message{ID: id, ViewerID: name, ViewerName: name, Text: text})
		select {
		case it := <-sub.C:
			if !utf8.ValidString(it.ViewerName) || utf8.RuneCountInString(it.ViewerName) > 24 {
				t.Fatalf("name %q out of %q", it.ViewerName, name)
			}
			for _, r := range it.ViewerName {
				if invisible(r) || r < 0x20 {
					t.Fatalf("name %q keeps %U", it.ViewerName, r)
				}
			}
		default: // a re-delivered id: dropped
			if id == "" {
				t.Fatalf("message without an id dropped")
			}
		}
	})
}
