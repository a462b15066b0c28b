package danmaku

//go:generate go run ./internal/gendict -o dict/zh_s.txt.gz

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-ego/gse/hmm"

	"studiodesk/studio/residency"
)

// Segmenter cuts a text into words.
type Segmenter interface {
	Cut(text string) []string
}

// readier is implemented by segmenters that load in the background; the
// pipeline skips segmentation (and counts it) while Ready is false.
type readier interface {
	Ready() bool
}

// domainWords are live-commerce words the general dictionary splits
// ("敏感肌" would come out as 敏感 + 肌).
var domainWords = []string{
	"上链接", "运费险", "到手价", "敏感肌", "闪电购", "小黄车", "已拍", "不好用", "质量好", "家人们",
	"宝宝们", "福袋", "大码", "包邮", "色号", "回购", "种草", "显瘦", "显白",
}

// domainFreq is the frequency the domain words are given.
const domainFreq = 2000

// zhDict is gse's simplified Chinese dictionary as gse loads it, as sorted
// "word<TAB>frequency" lines (see internal/gendict).
//
//go:embed dict/zh_s.txt.gz
var zhDict []byte

// gseSegmenter is the process-wide segmenter: gse's dictionary route
// (the most probable path through the dictionary's words, jieba's
// algorithm as gse implements it) with gse's HMM for unknown words, over a
// compact form of the same dictionary. gse's own dictionary keeps every
// word as a token with per-character slices, search-mode sub-segments and
// a double-array trie — some 150 MB; here it is one sorted byte table
// with two offset arrays (about 7 MB), loaded in a few tens of
// milliseconds, with cuts identical to gse's (see segment_test.go).
type gseSegmenter struct {
	once  sync.Once
	ready atomic.Bool
	err   error
	dict  *compactDict
}

var sharedSeg gseSegmenter

// DefaultSegmenter returns the process-wide segmenter (embedded
// dictionary, no files or network). Its Cut blocks until the dictionary has
// loaded; the pipeline checks Ready first and never blocks on it.
func DefaultSegmenter() Segmenter { return &sharedSeg }

// LoadSegmenter loads the default segmenter's dictionary now and waits for
// it; later calls return at once.
func LoadSegmenter() error {
	sharedSeg.load()
	return sharedSeg.err
}

func (g *gseSegmenter) load() {
	g.once.Do(func() {
		d, err := loadCompactDict(zhDict, domainWords, domainFreq)
		if err != nil {
			g.err = fmt.Errorf("danmaku: load dictionary dict/zh_s.txt.gz: %w", err)
			return
		}
		hmm.LoadModel()
		// the compressed list is never read again: its 1.8 MB of pages
		// go back to the page cache
		residency.Release(zhDict)
		g.dict = d
		g.ready.Store(true)
	})
}

// Ready reports whether the dictionary has loaded.
func (g *gseSegmenter) Ready() bool { return g.ready.Load() }

// Cut segments text with the HMM for unknown words. It returns nil if the
// dictionary failed to load.
func (g *gseSegmenter) Cut(text string) []string {
	g.load()
	if !g.ready.Load() {
		return nil
	}
	return g.dict.cut(text)
}

// compactDict is a word list sorted by bytes: keys[offs[i]:offs[i+1]] is
// word i, fvals[freqs[i]] its frequency (the list has some 4,000 distinct
// frequencies for 352,000 words, so each word keeps a 2-byte index into
// them). A lookup is a binary search; a string that is only the beginning
// of some word is reported as known with frequency 0, as a trie walk would.
type compactDict struct {
	keys   []byte
	offs   []uint32
	freqs  []uint16
	fvals  []uint32
	extra  map[string]float64 // domain words (override the list)
	prefix map[string]bool    // proper prefixes of the domain words
	logT   float64            // log of the total frequency
}

func loadCompactDict(gz []byte, extra []string, extraFreq float64) (*compactDict, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	n := bytes.Count(raw, []byte{'\n'})
	d := &compactDict{keys: make([]byte, 0, len(raw)-n*3), offs: make([]uint32, 0, n+1), freqs: make([]uint16, 0, n),
		extra: map[string]float64{}, prefix: map[string]bool{}}
	fidx := map[uint32]uint16{}
	// The total is summed as gse sums it: the domain words first, then the
	// list's words that are not domain words (all integers, so exact).
	total := 0.0
	for _, w := range extra {
		if _, dup := d.extra[w]; dup {
			continue
		}
		d.extra[w] = extraFreq
		total += extraFreq
		r := []rune(w)
		for i := 1; i < len(r); i++ {
			d.prefix[string(r[:i])] = true
		}
	}
	line := 0
	var prev []byte
	for len(raw) > 0 {
		line++
		nl := bytes.IndexByte(raw, '\n')
		if nl < 0 {
			return nil, fmt.Errorf("line %d: no newline at the end", line)
		}
		tab := bytes.IndexByte(raw[:nl], '\t')
		if tab <= 0 {
			return nil, fmt.Errorf("line %d: want word<TAB>frequency", line)
		}
		var f uint64
		for _, c := range raw[tab+1 : nl] {
			if c < '0' || c > '9' || f > math.MaxUint32/10 {
				return nil, fmt.Errorf("line %d: bad frequency %q", line, raw[tab+1:nl])
			}
			f = f*10 + uint64(c-'0')
		}
		key := raw[:tab]
		if line > 1 && bytes.Compare(prev, key) >= 0 {
			return nil, fmt.Errorf("line %d: %q is out of order", line, key)
		}
		prev = key
		d.offs = append(d.offs, uint32(len(d.keys)))
		d.keys = append(d.keys, key...)
		fi, ok := fidx[uint32(f)]
		if !ok {
			if len(d.fvals) > math.MaxUint16 {
				return nil, fmt.Errorf("line %d: more than %d distinct frequencies", line, math.MaxUint16+1)
			}
			fi = uint16(len(d.fvals))
			fidx[uint32(f)] = fi
			d.fvals = append(d.fvals, uint32(f))
		}
		d.freqs = append(d.freqs, fi)
		if _, isExtra := d.extra[string(key)]; !isExtra {
			total += float64(f)
		}
		raw = raw[nl+1:]
	}
	d.offs = append(d.offs, uint32(len(d.keys)))
	// the capacity was a guess from the file's size: keep only the words
	d.keys = slices.Clip(append([]byte(nil), d.keys...))
	d.logT = math.Log(total)
	return d, nil
}

func (d *compactDict) key(i int) []byte { return d.keys[d.offs[i]:d.offs[i+1]] }

// find returns a word's frequency and whether the string is a word or the
// beginning of one.
func (d *compactDict) find(w string) (float64, bool) {
	if f, ok := d.extra[w]; ok {
		return f, true
	}
	n := len(d.freqs)
	i := sort.Search(n, func(i int) bool { return string(d.key(i)) >= w })
	if i < n {
		k := d.key(i)
		if string(k) == w {
			return float64(d.fvals[d.freqs[i]]), true
		}
		if bytes.HasPrefix(k, []byte(w)) {
			return 0, true
		}
	}
	return 0, d.prefix[w]
}

type route struct {
	logP float64
	end  int // index of the word's last rune
}

// cut is gse's Cut(text, true): the most probable route through the
// dictionary's words, with runs of single characters that are no word
// handed to the HMM.
func (d *compactDict) cut(text string) []string {
	text = strings.ToLower(text)
	runes := []rune(text)
	routes := d.routes(runes)
	out := make([]string, 0, len(text)/3+1)
	var buf []rune
	flush := func() {
		switch {
		case len(buf) == 0:
		case len(buf) == 1:
			out = append(out, string(buf))
		default:
			s := string(buf)
			if f, ok := d.find(s); !ok || f == 0 {
				out = append(out, hmm.Cut(s)...)
			} else {
				for _, r := range buf {
					out = append(out, string(r))
				}
			}
		}
		buf = buf[:0]
	}
	for x := 0; x < len(runes); {
		y := routes[x].end + 1
		if y-x == 1 {
			buf = append(buf, runes[x])
		} else {
			flush()
			out = append(out, string(runes[x:y]))
		}
		x = y
	}
	flush()
	return out
}

// routes computes, from the end, the best route from each position.
func (d *compactDict) routes(runes []rune) []route {
	n := len(runes)
	rs := make([]route, n+1)
	ends := make([]int, 0, 8)
	for idx := n - 1; idx >= 0; idx-- {
		// the words starting at idx (a single rune when there is none)
		ends = ends[:0]
		for i := idx; i < n; i++ {
			f, ok := d.find(string(runes[idx : i+1]))
			if !ok {
				break
			}
			if f > 0 {
				ends = append(ends, i)
			}
		}
		if len(ends) == 0 {
			ends = append(ends, idx)
		}
		set := false
		for _, i := range ends {
			f, ok := d.find(string(runes[idx : i+1]))
			lf := 0.0 // log(1) for a rune that is no word
			if ok {
				lf = math.Log(f)
			}
			r := route{logP: lf - d.logT + rs[i+1].logP, end: i}
			v := rs[idx]
			if !set || v.logP < r.logP || v.logP == r.logP && v.end < r.end {
				rs[idx], set = r, true
			}
		}
	}
	return rs
}
