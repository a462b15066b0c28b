package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"

	"studiodesk/assets"
	"studiodesk/scripts"
	"studiodesk/studio"
	"studiodesk/studio/danmaku"
	"studiodesk/studio/platform/rehearsal"
)

// menuBarHeight is the height of the main menu the GL driver draws at the
// top of the window on Linux and Windows (measured under Xvfb: the
// controller tab's content starts 26 px lower than in the test driver).
const menuBarHeight = 26

// enclosingScroll is the scroll container o sits in inside root, or nil.
func enclosingScroll(root, o fyne.CanvasObject, in *container.Scroll) (*container.Scroll, bool) {
	if root == o {
		return in, true
	}
	var kids []fyne.CanvasObject
	switch x := root.(type) {
	case *fyne.Container:
		kids = x.Objects
	case *container.Scroll:
		kids, in = []fyne.CanvasObject{x.Content}, x
	case fyne.Widget:
		kids = test.WidgetRenderer(x).Objects()
	}
	for _, k := range kids {
		if s, ok := enclosingScroll(k, o, in); ok {
			return s, true
		}
	}
	return nil, false
}

// At a 1366×768 studio monitor (740 px under a taskbar) the controller
// window fits the screen, in Chinese and English, and what a controller
// needs during the show is on screen without scrolling: the clock, the
// segment, the last cue, the interactions card, the timer buttons, the
// preset grid, the danmaku list, trending and the questions.
func TestControllerFits1366x768(t *testing.T) {
	// 740 px under the taskbar, less the window's menu bar (drawn in the
	// window by the GL driver, not by the test driver).
	screen := fyne.NewSize(1366, 740-menuBarHeight)
	for _, l := range []string{"zh", "en"} {
		t.Run(l, func(t *testing.T) {
			lang = l
			t.Cleanup(func() { lang = "zh" })
			a := test.NewTempApp(t)
			a.Settings().SetTheme(newDeskTheme())
			clk := studio.NewFakeClock(start)
			pipe := danmaku.New(danmaku.Config{Now: clk.Now})
			sim := rehearsal.New(rehearsal.Config{Seed: 1})
			desk := studio.New(studio.Config{Clock: clk, Rehearsal: true, Danmaku: pipe, Interact: studio.InteractConfig{Platform: sim}})
			t.Cleanup(desk.Close)
			show, err := scripts.LoadYAML("demo/show.yaml", assets.DemoShow())
			if err != nil {
				t.Fatal(err)
			}
			// Long texts everywhere a text can be long: a segment title,
			// chat lines and questions, an error in the status line, a LAN
			// overlay address. None may widen the window.
			long := strings.Repeat("超长的文字 very long words ", 12)
			show.Segments[0].Title = long
			if err := desk.Do(context.Background(), studio.LoadShow{Show: show}); err != nil {
				t.Fatal(err)
			}
			w := test.NewWindow(nil)
			t.Cleanup(w.Close)
			d := newDeskUI(a, desk, w, nil, studioEnv{pipe: pipe}, "controller", clk.Now)
			// What the app adds on start: the overlay address and the
			// cue-sound light (no audio device here: its longest text).
			d.setOverlayURL("http://192.168.100.200:8787/i6Qpgu2VIeCF6k6bpdS0Sg/danmaku")
			for i := range 40 {
				text := long
				if i%2 == 1 {
					text = long + "怎么选尺码？"
				}
				pipe.Ingest(danmaku.Message{ID: fmt.Sprint("m", i), ViewerID: fmt.Sprint("v", i), ViewerName: "名字很长的观众" + long[:30], Text: text, Time: clk.Now()})
			}
			d.controller.report(errors.New(long))
			boot, err := studio.OpenBoot(studio.BootOptions{Dir: t.TempDir(), Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = boot.Close() })
			d.showEvidence(boot)
			d.controller.addStatusLight(newSoundLight(nil).root)
			if err := desk.Do(context.Background(), studio.Start{}); err != nil {
				t.Fatal(err)
			}
			d.onEvent(studio.Event{Kind: studio.EventSnapshot, Snapshot: desk.Snapshot()})
			d.onEvent(studio.Event{Kind: studio.EventInteraction})
			if !d.firstRun.root.Visible() {
				t.Fatal("no first-run line on the demo show")
			}
			d.controller.lastCue.SetText("12:00:00  " + cueText("warn"))
			// The demo studio's presets (their devices are not opened here).
			d.presets.setPresets(studio.DemoPresets(), nil)
			d.onTick(clk.Now())
			if len(d.danmaku.lines) == 0 {
				t.Fatal("no chat lines in the pane")
			}
			w.Resize(screen)
			min := w.Content().MinSize()
			t.Logf("%s: window content minimum %.0f×%.0f", l, min.Width, min.Height)
			if min.Width > screen.Width || min.Height > screen.Height {
				t.Errorf("window minimum %.0f×%.0f, over %v", min.Width, min.Height, screen)
			}
			v := d.controller
			need := map[string]fyne.CanvasObject{
				"clock": v.remaining, "segment": v.segment, "cue": v.lastCue,
				"interactions card": d.ix.root, "timer buttons": v.controls,
				"preset grid": d.presets.grid, "danmaku list": d.danmaku.list,
				"trending": d.danmaku.trending, "questions": d.danmaku.questions,
			}
			for name, o := range need {
				pos := a.Driver().AbsolutePositionForObject(o)
				end := pos.Add(o.Size())
				top, bottom := float32(0), screen.Height
				right := screen.Width
				if s, ok := enclosingScroll(w.Content(), o, nil); !ok {
					t.Errorf("%s not in the window", name)
					continue
				} else if s != nil && s != o {
					sp := a.Driver().AbsolutePositionForObject(s)
					top, bottom, right = sp.Y, sp.Y+s.Size().Height, min32(right, sp.X+s.Size().Width)
				}
				if !o.Visible() || o.Size().Height < 1 || pos.Y < top || end.Y > bottom+0.5 || end.X > right+0.5 || pos.X < 0 {
					t.Errorf("%s at (%.0f,%.0f)-(%.0f,%.0f), visible area y %.0f..%.0f x ..%.0f", name, pos.X, pos.Y, end.X, end.Y, top, bottom, right)
				}
			}
			for id, b := range v.buttons {
				if b.Size().Width < b.MinSize().Width-0.5 {
					t.Errorf("button %s squeezed: %.0f wide, needs %.0f", id, b.Size().Width, b.MinSize().Width)
				}
			}
		})
	}
}

func min32(a, b float32) float32 {
	if a < b {
		return a
	}
	return b
}
