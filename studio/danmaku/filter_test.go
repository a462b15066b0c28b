package danmaku

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func newTestPipeline(t testing.TB, cfg Config) (*Pipeline, *fakeClock) {
	t.Helper()
	clk := newFakeClock()
	cfg.Now = clk.Now
	if cfg.Segmenter == nil {
		cfg.Segmenter = mapSegmenter{}
	}
	return New(cfg), clk
}

// ingest feeds one message from a fresh viewer and returns its item.
func ingest(t testing.TB, p *Pipeline, sub *Subscription, viewer, text string) Item {
	t.Helper()
	p.Ingest(Message{ViewerID: viewer, Text: text})
	select {
	case it := <-sub.C:
		return it
	default:
		t.Fatalf("no item for %q", text)
		return Item{}
	}
}

func TestFilterRules(t *testing.T) {
	cases := []struct {
		text   string
		reason string
		stat   func(Stats) int64
	}{
		{"https://t.cn/A6xYz 领券", ReasonLink, func(s Stats) int64 { return s.Links }},
		{"ｗｗｗ．ｘｘ．ｃｏｍ", ReasonLink, func(s Stats) int64 { return s.Links }},
		{"去 shop123.top 看看", ReasonLink, func(s Stats) int64 { return s.Links }},
		{"w w w . x x . c o m", ReasonLink, func(s Stats) int64 { return s.Links }},
		{"xx点com", ReasonLink, func(s Stats) int64 { return s.Links }},
		{"bit.ly/abc", ReasonLink, func(s Stats) int64 { return s.Links }},
		{"点击链接领红包", ReasonLink, func(s Stats) int64 { return s.Links }},
		{"复制这段 ¥AbCd1234Xy¥ 打开", ReasonLink, func(s Stats) int64 { return s.Links }},
		{"加威信 abc123", ReasonContact, func(s Stats) int64 { return s.Contact }},
		{"微-信 abc12345", ReasonContact, func(s Stats) int64 { return s.Contact }},
		{"V.X: jk12399", ReasonContact, func(s Stats) int64 { return s.Contact }},
		{"QQ 12345678", ReasonContact, func(s Stats) int64 { return s.Contact }},
		{"企鹅 886655", ReasonContact, func(s Stats) int64 { return s.Contact }},
		{"13800138000 联系我", ReasonContact, func(s Stats) int64 { return s.Contact }},
		{"一三八零零一三八零零零", ReasonContact, func(s Stats) int64 { return s.Contact }},
		{"扫码进群领福利", ReasonContact, func(s Stats) int64 { return s.Contact }},
		{"加微信", ReasonContact, func(s Stats) int64 { return s.Contact }},
	}
	for _, c := range cases {
		t.Run(c.text, func(t *testing.T) {
			p, _ := newTestPipeline(t, Config{})
			sub := p.Subscribe(4)
			it := ingest(t, p, sub, "u1", c.text)
			if !it.Hidden || it.Reason != c.reason {
				t.Fatalf("%q: hidden=%v reason=%q, want %q", c.text, it.Hidden, it.Reason, c.reason)
			}
			if got := c.stat(p.Stats()); got != 1 {
				t.Fatalf("%q: counter = %d, want 1", c.text, got)
			}
			if s := p.Stats(); s.Shown != 0 || s.Received != 1 {
				t.Fatalf("stats %+v", s)
			}
		})
	}
}

func TestFilterKeepsOrdinaryText(t *testing.T) {
	ok := []string{"上链接", "主播穿什么码", "1111111", "12345", "微信支付可以吗", "qq音乐好听",
		"no.1", "1.5米", "我的vip会员", "Mr.Me", "扣1", "这个颜色好看 com on", "我在看 www", "3.14"}
	p, _ := newTestPipeline(t, Config{})
	sub := p.Subscribe(len(ok))
	for i, text := range ok {
		it := ingest(t, p, sub, "v"+string(rune('a'+i)), text)
		if it.Hidden {
			t.Errorf("%q hidden: %s", text, it.Reason)
		}
	}
}

func TestBannedWordsVariants(t *testing.T) {
	p, _ := newTestPipeline(t, Config{BannedWords: []string{"赌博", "代开发票", "# comment-like", "!!"}})
	sub := p.Subscribe(16)
	for i, text := range []string{"赌博", "来賭博啊", "赌-博", "赌 ❤ 博", "ＤＡＩ代开發票", "代.开.发.票"} {
		it := ingest(t, p, sub, "u"+string(rune('a'+i)), text)
		if !it.Hidden || !strings.HasPrefix(it.Reason, ReasonBanned) {
			t.Errorf("%q: hidden=%v reason=%q", text, it.Hidden, it.Reason)
		}
	}
	if got := p.Stats().Banned; got != 6 {
		t.Fatalf("banned counter %d, want 6", got)
	}
	// reload without restart
	p.SetBannedWords([]string{"土豆"})
	if it := ingest(t, p, sub, "ux", "赌博"); it.Hidden {
		t.Fatalf("old word still banned: %+v", it)
	}
	if it := ingest(t, p, sub, "uy", "土豆丝"); !it.Hidden || it.Reason != "banned:土豆" {
		t.Fatalf("new word not banned: %+v", it)
	}
	p.SetBannedWords(nil)
	if it := ingest(t, p, sub, "uz", "土豆"); it.Hidden {
		t.Fatalf("cleared list still bans: %+v", it)
	}
}

func TestLoadWordList(t *testing.T) {
	words, err := LoadWordList("banned.txt", strings.NewReader("\uFEFF赌博\n# comment\n\n  代开发票  \r\n最后一行"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(words, ",") != "赌博,代开发票,最后一行" {
		t.Fatalf("words %q", words)
	}
	_, err = LoadWordList("banned.txt", strings.NewReader("ok\nok2\nbad\xff\n"))
	if !errors.Is(err, ErrInvalidUTF8) || !strings.Contains(err.Error(), "banned.txt:3") {
		t.Fatalf("invalid UTF-8: %v", err)
	}
	_, err = LoadWordList("w.txt", strings.NewReader("a\n"+strings.Repeat("x", 10_000)+"\nb\n"))
	if !errors.Is(err, ErrWordTooLong) || !strings.Contains(err.Error(), "w.txt:2") {
		t.Fatalf("too long: %v", err)
	}
	_, err = LoadWordList("w.txt", strings.NewReader(strings.Repeat("x", 300)))
	if !errors.Is(err, ErrWordTooLong) || !strings.Contains(err.Error(), "w.txt:1") {
		t.Fatalf("too long, no newline: %v", err)
	}
	_, err = LoadWordList("w.txt", errReader{})
	if err == nil || !strings.Contains(err.Error(), "w.txt:1") || !errors.Is(err, errBoom) {
		t.Fatalf("read error: %v", err)
	}
}

var errBoom = errors.New("boom")

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errBoom }

func TestFloodPerViewer(t *testing.T) {
	p, clk := newTestPipeline(t, Config{FloodMax: 3, FloodWindow: 10 * time.Second})
	sub := p.Subscribe(64)
	texts := []string{"主播好", "衣服好看", "想要", "什么时候开始", "第五条"}
	var hidden []string
	for _, txt := range texts {
		it := ingest(t, p, sub, "flooder", txt)
		if it.Hidden {
			hidden = append(hidden, it.Reason)
		}
		clk.Advance(time.Second)
	}
	if len(hidden) != 2 || hidden[0] != ReasonFlood {
		t.Fatalf("hidden %v, want the 4th and 5th as flood", hidden)
	}
	if got := p.Stats().Flood; got != 2 {
		t.Fatalf("flood counter %d", got)
	}
	// another viewer is unaffected, admins are exempt
	if it := ingest(t, p, sub, "other", "你好呀"); it.Hidden {
		t.Fatalf("other viewer hidden: %s", it.Reason)
	}
	for i := range 6 {
		p.Ingest(Message{ViewerID: "admin", IsAdmin: true, Text: "管理员公告" + string(rune('a'+i))})
		if it := <-sub.C; it.Hidden {
			t.Fatalf("admin message hidden: %s", it.Reason)
		}
	}
	// after the window the flooder may speak again
	clk.Advance(10 * time.Second)
	if it := ingest(t, p, sub, "flooder", "我回来了"); it.Hidden {
		t.Fatalf("after window: %s", it.Reason)
	}
}

func TestFloodTrackingIsBounded(t *testing.T) {
	p, clk := newTestPipeline(t, Config{FloodViewers: 100})
	for i := range 10_000 {
		p.Ingest(Message{ViewerID: "v" + string(rune(0x4E00+i)), Text: "1"})
		clk.Advance(time.Millisecond)
	}
	p.mu.Lock()
	n := len(p.flood)
	p.mu.Unlock()
	if n > 100 {
		t.Fatalf("flood map has %d viewers, cap 100", n)
	}
}

// The flood ring starts small and grows, oldest first, as more viewers
// speak within one window; a flooder is still caught across a growth, and
// the windows still expire in order afterwards.
func TestFloodRingGrowsInOrder(t *testing.T) {
	p, clk := newTestPipeline(t, Config{FloodViewers: 5000, FloodMax: 3, FloodWindow: 10 * time.Second})
	p.Ingest(Message{ViewerID: "flooder", Text: "一"})
	p.mu.Lock()
	start := len(p.floodFIFO)
	p.mu.Unlock()
	if start > floodStart {
		t.Fatalf("ring starts at %d slots, want at most %d", start, floodStart)
	}
	for i := range 3000 {
		p.Ingest(Message{ViewerID: fmt.Sprintf("v%d", i), Text: "好"})
	}
	p.mu.Lock()
	grown, n := len(p.floodFIFO), p.floodLen
	p.mu.Unlock()
	if grown < 3001 || grown > 5000 || n != 3001 {
		t.Fatalf("ring length %d holding %d, want 3001 held in at most 5000", grown, n)
	}
	for range 2 {
		p.Ingest(Message{ViewerID: "flooder", Text: "二"})
	}
	if it := ingest(t, p, p.Subscribe(1), "flooder", "三"); it.Reason != ReasonFlood {
		t.Fatalf("4th message within the window after growth: %+v", it)
	}
	clk.Advance(11 * time.Second)
	p.Ingest(Message{ViewerID: "late", Text: "晚"})
	p.mu.Lock()
	left, first := p.floodLen, p.floodFIFO[p.floodHead].viewer
	p.mu.Unlock()
	if left != 1 || first != "late" {
		t.Fatalf("after the window: %d entries, first %q; want only late", left, first)
	}
}

func TestBlockAndEmpty(t *testing.T) {
	p, _ := newTestPipeline(t, Config{})
	sub := p.Subscribe(16)
	first := ingest(t, p, sub, "troll", "第一条")
	if !p.Block("troll") {
		t.Fatal("block failed")
	}
	if it := <-sub.C; it.ID != first.ID || it.Reason != ReasonOperator {
		t.Fatalf("block should hide recent items: %+v", it)
	}
	if it := ingest(t, p, sub, "troll", "第二条"); it.Reason != ReasonBlocked {
		t.Fatalf("blocked viewer: %+v", it)
	}
	if got := p.Stats().Blocked; got != 1 {
		t.Fatalf("blocked counter %d", got)
	}
	p.Unblock("troll")
	if it := ingest(t, p, sub, "troll", "第三条"); it.Hidden {
		t.Fatalf("after unblock: %s", it.Reason)
	}
	if it := ingest(t, p, sub, "u2", "\u200b \x01"); it.Reason != ReasonEmpty || p.Stats().Empty != 1 {
		t.Fatalf("empty: %+v", it)
	}
}
