package danmaku

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestNormalize(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"plain chinese unchanged", "主播好美", "主播好美"},
		{"full-width letters and digits", "ＡＢＣ１２３", "ABC123"},
		{"full-width punctuation", "包邮吗？", "包邮吗?"},
		{"ideographic space collapses", "主播　　好美", "主播 好美"},
		{"zero-width removed", "加\u200b微\u200d信\ufeff", "加微信"},
		{"bidi override removed", "abc\u202edef", "abcdef"},
		{"control chars removed", "a\x00b\x07c\x1bd", "abcd"},
		{"newline and tabs are spaces", " 你好\n\t世界 ", "你好 世界"},
		{"trim and collapse", "   a    b   ", "a b"},
		{"invalid utf-8 replaced", "ab\xffcd\xc3", "ab\uFFFDcd\uFFFD"},
		{"circled digit", "扣①", "扣1"},
		{"empty", "", ""},
		{"only invisibles", "\u200b\u200c\x01", ""},
		{"emoji kept", "好看👍", "好看👍"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Normalize(c.in, 200); got != c.want {
				t.Errorf("Normalize(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestNormalizeHugeLine(t *testing.T) {
	huge := strings.Repeat("哈", 1_000_000) + "https://evil.example.com"
	got := Normalize(huge, 200)
	if n := utf8.RuneCountInString(got); n != 200 {
		t.Fatalf("rune count %d, want 200", n)
	}
	if !utf8.ValidString(got) {
		t.Fatal("result is not valid UTF-8")
	}
	// cap never cuts inside a rune, and a cap landing on a space leaves no
	// trailing space
	got = Normalize(strings.Repeat("ab ", 100), 5)
	if got != "ab ab" {
		t.Fatalf("got %q", got)
	}
	if got := truncateOriginal(strings.Repeat("好", 2000)); len(got) > maxOriginalBytes || !utf8.ValidString(got) {
		t.Fatalf("truncateOriginal: len %d valid %v", len(got), utf8.ValidString(got))
	}
}

func TestMatchKey(t *testing.T) {
	cases := []struct{ in, want string }{
		{"微-信", "微信"},
		{"V.X", "vx"},
		{"ｗｗｗ．ｘｘ．ｃｏｍ", "wwwxxcom"},
		{"加 威 信！！abc123", "加威信abc123"},
		{"賭博", "赌博"}, // traditional → simplified
		{"發貨了嗎", "发货了吗"},
		{"❤️主播❤️", "主播"},
		{"Ｈｅｌｌｏ", "hello"},
		{"\xff\xfe", ""},
	}
	for _, c := range cases {
		if got := MatchKey(c.in); got != c.want {
			t.Errorf("MatchKey(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestT2STableWellFormed(t *testing.T) {
	for _, f := range strings.Fields(t2sPairs) {
		r := []rune(f)
		if len(r) != 2 {
			t.Errorf("malformed pair %q", f)
			continue
		}
		if r[0] < 0x4E00 || r[0] > 0x9FFF {
			t.Errorf("pair %q: not a CJK ideograph", f)
		}
		if r[0] == r[1] {
			t.Errorf("pair %q maps a character to itself", f)
		}
	}
	n := 0
	for _, s := range t2s {
		if s != 0 {
			n++
		}
	}
	if n < 600 {
		t.Errorf("table has %d characters", n)
	}
}

// Normalisation must not panic or produce invalid UTF-8 on any input.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"", "ＡＢＣ", "\xff", "加\u200b微信", strings.Repeat("é", 300), "e\u0301"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := newNormalizer(50)
		out := n.normalize(s)
		if !utf8.ValidString(out) {
			t.Fatalf("invalid UTF-8 out of %q", s)
		}
		if utf8.RuneCountInString(out) > 50 {
			t.Fatalf("over cap: %q", out)
		}
		n.buildKey()
		n.buildLinkView()
		hasLink(n.link)
		scanRuns(n.key)
		Classify(s)
		if k := n.symbolKey(); k != nil && (k[0] != 0 || !utf8.Valid(k[1:])) {
			t.Fatalf("symbol key %q of %q", k, s)
		}
	})
}

// The fast paths must agree with NFKC on the runes they claim.
func TestNFKCFastPathsAgree(t *testing.T) {
	for r := rune(0); r <= 0x1FFFF; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue
		}
		s := string(r)
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			if got := norm.NFKC.String(s); got != string(r-0xFEE0) {
				t.Errorf("U+%04X: NFKC %q, fast path %q", r, got, string(r-0xFEE0))
			}
		case nfkcStable(r):
			if got := norm.NFKC.String(s); got != s {
				t.Errorf("U+%04X claimed stable, NFKC gives %q", r, got)
			}
		}
	}
}
