package danmaku

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/go-ego/gse"
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

// gseSegmenter is the shared gse segmenter over its embedded simplified
// Chinese dictionary. Loading takes about a second and some 150 MB, so it
// happens once per process, on first use or in the background after New.
type gseSegmenter struct {
	once  sync.Once
	ready atomic.Bool
	err   error
	seg   gse.Segmenter
}

var sharedSeg gseSegmenter

// DefaultSegmenter returns the process-wide gse segmenter (embedded
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
		g.seg.SkipLog = true
		// domain words first, so that loading the dictionary computes the
		// token weights once for all
		g.seg.Dict = gse.NewDict()
		g.seg.Init()
		for _, w := range domainWords {
			if err := g.seg.AddToken(w, 2000, "n"); err != nil {
				g.err = fmt.Errorf("danmaku: add domain word %q: %w", w, err)
				return
			}
		}
		if err := g.seg.LoadDictEmbed("zh_s"); err != nil {
			g.err = fmt.Errorf("danmaku: load gse dictionary zh_s: %w", err)
			return
		}
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
	return g.seg.Cut(text, true)
}
