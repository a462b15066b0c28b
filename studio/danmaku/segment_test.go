package danmaku

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-ego/gse"
)

// gseReference is the segmenter as it was before the compact dictionary:
// gse with its own zh_s dictionary structures and the domain words.
func gseReference(t testing.TB) *gse.Segmenter {
	t.Helper()
	seg := &gse.Segmenter{SkipLog: true}
	seg.Dict = gse.NewDict()
	seg.Init()
	for _, w := range domainWords {
		if err := seg.AddToken(w, domainFreq, "n"); err != nil {
			t.Fatal(err)
		}
	}
	if err := seg.LoadDictEmbed("zh_s"); err != nil {
		t.Fatal(err)
	}
	return seg
}

// TestCompactDictionaryCutsLikeGse compares every cut with gse's on the
// test stream, on texts made of random dictionary words, prefixes and
// characters (with Latin letters, digits and punctuation), and on the
// domain words: the compact form must change memory, not segmentation.
func TestCompactDictionaryCutsLikeGse(t *testing.T) {
	if testing.Short() {
		t.Skip("loads gse's full dictionary (about 150 MB, seconds)")
	}
	ref := gseReference(t)
	if err := LoadSegmenter(); err != nil {
		t.Fatal(err)
	}
	d := sharedSeg.dict
	texts := slices.Clone(domainWords)
	g := newStreamGen(5)
	for range 3000 {
		m, _ := g.next()
		texts = append(texts, m.Text)
	}
	r := rand.New(rand.NewPCG(1, 2))
	extras := []string{"a", "B", "7", "iPhone", "？", "，", " ", "Ｍ码", "😀", "ok", "的", "了"}
	for range 5000 {
		var b strings.Builder
		for range 1 + r.IntN(6) {
			switch r.IntN(4) {
			case 0, 1:
				b.Write(d.key(r.IntN(len(d.freqs))))
			case 2:
				k := []rune(string(d.key(r.IntN(len(d.freqs)))))
				b.WriteString(string(k[:1+r.IntN(len(k))]))
			default:
				b.WriteString(extras[r.IntN(len(extras))])
			}
		}
		texts = append(texts, b.String())
	}
	diff := 0
	for _, s := range texts {
		want := ref.Cut(s, true)
		got := d.cut(s)
		if !slices.Equal(got, want) {
			if diff++; diff <= 10 {
				t.Errorf("cut %q:\n got %q\nwant %q", s, got, want)
			}
		}
	}
	if diff > 0 {
		t.Fatalf("%d of %d cuts differ from gse", diff, len(texts))
	}
	if d.logT != mathLog(ref.Dict.TotalFreq()) {
		t.Fatalf("total frequency differs: %v vs gse %v", d.logT, ref.Dict.TotalFreq())
	}
}

// TestCompactDictionaryIsSmall bounds the heap the loaded dictionary
// keeps (gse's own structures kept about 150 MB) and its load time.
func TestCompactDictionaryIsSmall(t *testing.T) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	d, err := loadCompactDict(zhDict, domainWords, domainFreq)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	kept := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("compact dictionary: %d words, %.1f MB kept, loaded in %v", len(d.freqs), float64(kept)/1e6, took)
	if len(d.freqs) < 300_000 {
		t.Fatalf("only %d words: the dictionary was cut down", len(d.freqs))
	}
	if kept > 12<<20 {
		t.Fatalf("dictionary keeps %.1f MB of heap, want at most 12 MB", float64(kept)/1e6)
	}
	runtime.KeepAlive(d)
}

func TestCompactDictionaryRejectsDamage(t *testing.T) {
	for name, gz := range map[string][]byte{"not gzip": []byte("word\t3\n"), "empty": nil} {
		if _, err := loadCompactDict(gz, nil, 1); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
}

func mathLog(x float64) float64 { return math.Log(x) }

var benchTexts = []string{"主播170斤穿什么码", "这个精华敏感肌能用吗", "什么时候发货包邮吗", "已拍两单等发货", "质量好回购第三次了", "上链接上链接", "口红色号显白吗"}

// BenchmarkCutCompact and BenchmarkCutGse compare one cut on the compact
// dictionary with gse's own (same output, see above).
func BenchmarkCutCompact(b *testing.B) {
	if err := LoadSegmenter(); err != nil {
		b.Fatal(err)
	}
	d := sharedSeg.dict
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		d.cut(benchTexts[i%len(benchTexts)])
	}
}

func BenchmarkCutGse(b *testing.B) {
	ref := gseReference(b)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		ref.Cut(benchTexts[i%len(benchTexts)], true)
	}
}
