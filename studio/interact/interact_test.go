package interact

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC)

func goodCoupon() Coupon {
	return Coupon{ID: "c1", Name: "满199减30", Discount: "满199减30", FaceValue: 3000, Threshold: 19900,
		Stock: 100, PerViewer: 1, Window: DefaultWindow, PriceProtection: "7天价保"}
}

func goodVote() Vote {
	return Vote{ID: "v1", Question: "选哪个色号？", Options: []string{"A", "B", "C"}, Duration: time.Minute}
}

func TestCouponValidate(t *testing.T) {
	if err := goodCoupon().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		change func(*Coupon)
		want   string
	}{
		{func(c *Coupon) { c.Stock = 0 }, `coupon "满199减30": stock: 0: must be at least 1`},
		{func(c *Coupon) { c.Stock = MaxStock + 1 }, "stock: 1000001: must be at most"},
		{func(c *Coupon) { c.FaceValue = -1 }, "face value: -1: must not be negative"},
		{func(c *Coupon) { c.Threshold = -5 }, "threshold: -5: must not be negative"},
		{func(c *Coupon) { c.FaceValue = 19900 }, "must be below the threshold"},
		{func(c *Coupon) { c.Window = 0 }, "window: 0s: must be positive"},
		{func(c *Coupon) { c.Window = -time.Second }, "window: -1s: must be positive"},
		{func(c *Coupon) { c.Window = 2 * time.Hour }, "window: 2h0m0s: must be at most"},
		{func(c *Coupon) { c.PerViewer = 0 }, "per viewer: 0: must be at least 1"},
		{func(c *Coupon) { c.ID = "" }, "id: empty"},
		{func(c *Coupon) { c.ID = strings.Repeat("x", 65) }, "id: 65: must be at most 64 bytes"},
	} {
		c := goodCoupon()
		tc.change(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: got %v, want %q", c, err, tc.want)
		}
	}
	c := Coupon{ID: "c", Stock: 1}.WithDefaults()
	if c.Window != 3*time.Minute || c.PerViewer != 1 || c.Validate() != nil {
		t.Fatalf("defaults: %+v %v", c, c.Validate())
	}
}

func TestVoteValidate(t *testing.T) {
	if err := goodVote().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		change func(*Vote)
		want   string
	}{
		{func(v *Vote) { v.Question = "" }, `vote "v1": question: empty`},
		{func(v *Vote) { v.Options = v.Options[:1] }, `vote "v1": options: 1: must be 2 to 5`},
		{func(v *Vote) { v.Options = []string{"1", "2", "3", "4", "5", "6"} }, "options: 6: must be 2 to 5"},
		{func(v *Vote) { v.Options[1] = "" }, "option 2: empty"},
		{func(v *Vote) { v.Duration = 0 }, "duration: 0s: must be positive"},
		{func(v *Vote) { v.Mode = "sms" }, `mode: "sms": must be`},
		{func(v *Vote) { v.ChangeRule = "best" }, `change rule: "best": must be`},
	} {
		v := goodVote()
		tc.change(&v)
		if err := v.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrInvalid) {
			t.Errorf("got %v, want %q", err, tc.want)
		}
	}
}

func TestLifecycle(t *testing.T) {
	b := NewBook()
	if err := b.DefineCoupon(goodCoupon()); err != nil {
		t.Fatal(err)
	}
	if err := b.DefineVote(goodVote()); err != nil {
		t.Fatal(err)
	}
	if err := b.EndVote("v1", t0); !errors.Is(err, ErrWrongState) || err.Error() != `vote "v1": end: not live yet` {
		t.Fatalf("end a draft vote: %v", err)
	}
	if err := b.Arm("c1", t0); err != nil {
		t.Fatal(err)
	}
	if err := b.Arm("c1", t0); !errors.Is(err, ErrWrongState) {
		t.Fatalf("arm twice: %v", err)
	}
	if err := b.Fire("v1", "k", t0); !errors.Is(err, ErrKind) {
		t.Fatalf("fire a vote: %v", err)
	}
	if err := b.Fire("nope", "k", t0); !errors.Is(err, ErrUnknown) {
		t.Fatalf("fire unknown: %v", err)
	}
	if err := b.Fire("c1", "k1", t0); err != nil {
		t.Fatal(err)
	}
	if err := b.Fire("c1", "k1", t0); err == nil || err.Error() != `coupon "满199减30": fire: already live` {
		t.Fatalf("fire twice: %v", err)
	}
	if err := b.DefineCoupon(goodCoupon()); !errors.Is(err, ErrWrongState) {
		t.Fatalf("redefine live: %v", err)
	}
	// No countdown until the platform has it.
	if _, ok := b.NextExpiry(); ok {
		t.Fatal("countdown before delivery")
	}
	b.Delivered("c1", t0.Add(time.Second))
	if at, ok := b.NextExpiry(); !ok || !at.Equal(t0.Add(time.Second+DefaultWindow)) {
		t.Fatalf("expiry %v %v", at, ok)
	}
	if err := b.StartVote("v1", "", t0); err != nil {
		t.Fatal(err)
	}
	if err := b.DefineVote(Vote{ID: "v2", Question: "q", Options: []string{"a", "b"}, Duration: time.Minute}); err != nil {
		t.Fatal(err)
	}
	if err := b.StartVote("v2", "", t0); !errors.Is(err, ErrVoteLive) {
		t.Fatalf("second vote: %v", err)
	}
	if got := b.Expire(t0.Add(59 * time.Second)); len(got) != 0 {
		t.Fatalf("early expire %v", got)
	}
	if got := b.Expire(t0.Add(time.Minute)); fmt.Sprint(got) != "[v1]" {
		t.Fatalf("expire %v", got)
	}
	if err := b.StartVote("v2", "", t0.Add(time.Minute)); err != nil {
		t.Fatalf("after the first closed: %v", err)
	}
	if err := b.Cancel("v2", "host ran late", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := b.Cancel("v2", "", t0); err == nil || err.Error() != `vote "v2": cancel: cancelled` {
		t.Fatalf("cancel twice: %v", err)
	}
	v, _ := b.Get("v1")
	if v.State != Closed {
		t.Fatalf("v1 %s", v.State)
	}
}

func TestClaims(t *testing.T) {
	b := NewBook()
	c := goodCoupon()
	c.Stock, c.PerViewer = 3, 2
	_ = b.DefineCoupon(c)
	if b.Claim("c1", "u1", "x", t0) {
		t.Fatal("claim before fire")
	}
	_ = b.Fire("c1", "k", t0)
	b.Delivered("c1", t0)
	for i, tc := range []struct {
		viewer, id string
		ok         bool
	}{
		{"u1", "a", true}, {"u1", "a", false}, {"u1", "b", true}, {"u1", "c", false}, {"u2", "d", true}, {"u3", "e", false},
	} {
		if got := b.Claim("c1", tc.viewer, tc.id, t0.Add(time.Second)); got != tc.ok {
			t.Fatalf("claim %d: %v", i, got)
		}
	}
	v, _ := b.Get("c1")
	if v.Claims != 3 || v.StockLeft != 0 || v.Refused != 2 {
		t.Fatalf("%+v", v)
	}
}

func TestParseDigit(t *testing.T) {
	for text, want := range map[string]int{
		"1": 1, "2": 2, "111": 1, "１": 1, "扣1": 1, "扣 2": 2, "扣１": 1, "扣一": 1, "选3": 3, "扣1！": 1,
		"12": 0, "666": 0, "88": 0, "6": 6, "一": 0, "扣12": 0, "hello": 0, "": 0, "1111": 0, "扣": 0, "0": 0,
	} {
		if got := ParseDigit(text); got != want {
			t.Errorf("ParseDigit(%q) = %d, want %d", text, got, want)
		}
	}
}

func TestTally(t *testing.T) {
	end := t0.Add(time.Minute)
	for _, tc := range []struct {
		rule string
		want []int
	}{{RuleFirst, []int{2, 1, 0}}, {RuleLast, []int{1, 2, 0}}} {
		tl := NewTally(3, tc.rule, t0, end)
		at := t0.Add(time.Second)
		tl.AddText("a", "扣1", at)
		tl.AddText("b", "１", at)
		tl.AddText("c", "2", at)
		tl.AddText("a", "2", at)             // change of mind
		tl.Add("d", 4, at)                   // out of range
		tl.Add("e", 1, t0.Add(-time.Second)) // before the start
		tl.Add("f", 1, end)                  // at the end
		tl.Add("", 1, at)                    // no viewer
		if got := tl.Counts(); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Fatalf("%s: counts %v, want %v", tc.rule, got, tc.want)
		}
		if tl.Total() != 3 {
			t.Fatalf("total %d", tl.Total())
		}
		p := tl.Percent()
		if sum := p[0] + p[1] + p[2]; sum < 99.99 || sum > 100.01 {
			t.Fatalf("percent %v", p)
		}
	}
	if p := NewTally(2, "", t0, time.Time{}).Percent(); p[0] != 0 || p[1] != 0 {
		t.Fatalf("empty percent %v", p)
	}
}

func TestTemplatesValidate(t *testing.T) {
	five, four := FiveStepBeautyFlow("s1-"), FourStepModel("s1-")
	if len(five) != 5 || len(four) != 4 {
		t.Fatalf("%d %d", len(five), len(four))
	}
	b := NewBook()
	for _, c := range append(five, four...) {
		if c.Coupon != nil {
			if err := b.DefineCoupon(*c.Coupon); err != nil {
				t.Fatal(err)
			}
		}
		if c.Vote != nil {
			if err := b.DefineVote(*c.Vote); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(b.Views()) != 3 {
		t.Fatalf("%d interactions", len(b.Views()))
	}
}

func BenchmarkDigitVoteTally(b *testing.B) {
	const viewers = 1 << 20
	ids := make([]string, viewers)
	for i := range ids {
		ids[i] = fmt.Sprintf("open_%016x", uint64(i)*0x9E3779B97F4A7C15)
	}
	at := t0.Add(time.Second)
	b.ReportAllocs()
	b.ResetTimer()
	var tl *Tally
	for i := 0; i < b.N; i++ {
		if i%viewers == 0 {
			tl = NewTally(5, RuleLast, t0, t0.Add(time.Hour))
		}
		tl.Add(ids[i%viewers], i%5+1, at)
	}
	b.StopTimer()
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "votes/s")
	}
}
