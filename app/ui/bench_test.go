package ui

import (
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"studiodesk/studio"
	"studiodesk/studio/danmaku"
)

// BenchmarkDanmakuPaneRefresh is the UI-goroutine cost of one redraw of
// the danmaku pane with a full window of recent lines: the pane redraws at
// about 3 Hz whatever the message rate, so this bounds its share of the UI.
func BenchmarkDanmakuPaneRefresh(b *testing.B) {
	a := test.NewApp()
	defer test.NewApp()
	a.Settings().SetTheme(newDeskTheme())
	pipe := danmaku.New(danmaku.Config{})
	now := time.Now()
	for i := range 5000 {
		pipe.Ingest(danmaku.Message{ID: fmt.Sprint(i), ViewerID: fmt.Sprint("v", i), ViewerName: "观众",
			Text: fmt.Sprintf("第%d条 这个尺码怎么选", i), Time: now})
	}
	desk := studio.New(studio.Config{Danmaku: pipe})
	defer desk.Close()
	w := test.NewWindow(nil)
	defer w.Close()
	d := newDeskUI(a, desk, w, nil, studioEnv{pipe: pipe}, "controller", time.Now)
	w.Resize(fyne.NewSize(1600, 1000))
	b.ResetTimer()
	for range b.N {
		d.danmaku.refresh()
	}
}
