package ui

import (
	"context"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"fyne.io/fyne/v2/theme"

	"studiodesk/assets"
	"studiodesk/studio/residency"
)

// The window's Go heap is mostly fixed (the parsed fonts, the segmentation
// dictionary, the widgets) and the danmaku window on top of it, while the
// allocation rate is steady (a frame a second, the feed). Left to the
// default GOGC=100, the heap grows to twice the live data before each
// collection: some 30 MB of RSS held for garbage. A soft memory limit
// collects earlier instead: the limit follows the live heap with room for
// memSlack of new allocations (the runtime's own stacks and metadata, about
// 7 MB, count against it too) or memHeadroom of the live heap if that is
// more, so a desk whose live data grows — a long show, a busy room — is
// never starved into back-to-back collections. At 2,000 danmaku/s the GUI
// allocates about 6 MB/s: a collection every second or two, each well
// under 1 % of a core.
const (
	memSlack    = 16 << 20
	memHeadroom = 0.25 // of the live heap
)

// memEvery is how often the limit follows the live heap; releaseFonts
// hands back the font files' pages (both replaced by tests).
var (
	memEvery     = 10 * time.Second
	releaseFonts = releaseFontFiles
)

// memLimit is the limit for a live heap.
func memLimit(live uint64) int64 {
	return max(int64(live)+memSlack, int64(float64(live)*(1+memHeadroom)))
}

// governMemory sets and follows the soft memory limit until ctx ends. A
// GOMEMLIMIT or GOGC the user set wins: then it only hands back the font
// files' pages once the window is up.
func governMemory(ctx context.Context) {
	userSet := os.Getenv("GOMEMLIMIT") != "" || os.Getenv("GOGC") != ""
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	live := func() uint64 {
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return sample[0].Value.Uint64()
	}
	// The first limit waits for the window to be up: a limit during the
	// start (fonts, dictionary, widgets: some 40 MB built in a few hundred
	// milliseconds) would collect again and again and delay the first frame.
	var set int64
	t := time.NewTicker(memEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if set == 0 {
				releaseFonts()
				if userSet {
					return
				}
			}
			if want := memLimit(live()); want != set {
				set = want
				debug.SetMemoryLimit(set)
			}
		}
	}
}

// releaseFontFiles hands back the pages of the embedded font files once
// the window is up: Fyne has parsed what it draws with (copying the tables
// it keeps), so the files themselves are not read again — about 4 MB. A
// face parsed later (a style first used later on) faults its file back in.
func releaseFontFiles() {
	for _, b := range [][]byte{assets.Font(), theme.DefaultTextFont().Content(), theme.DefaultTextBoldFont().Content(),
		theme.DefaultTextItalicFont().Content(), theme.DefaultTextBoldItalicFont().Content(),
		theme.DefaultTextMonospaceFont().Content(), theme.DefaultSymbolFont().Content()} {
		residency.Release(b)
	}
}
