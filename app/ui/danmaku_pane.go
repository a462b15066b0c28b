package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"studiodesk/studio"
	"studiodesk/studio/danmaku"
)

// The lists' fixed lengths: the newest lines shown, the question groups.
const (
	maxLines  = 300
	maxGroups = 50
)

var classFilters = []struct {
	key   string
	class danmaku.Class
	all   bool
}{
	{"dm.all", 0, true}, {"dm.question", danmaku.Question, false}, {"dm.buy", danmaku.BuyIntent, false},
	{"dm.complaint", danmaku.Complaint, false}, {"dm.praise", danmaku.Praise, false}, {"dm.vote", danmaku.Vote, false},
}

// danmakuPane shows the live comments to the controller. It redraws from
// the pipeline's snapshot a few times a second, never per message, so it
// stays smooth at any rate; scrolling away from the bottom pauses it.
type danmakuPane struct {
	root      fyne.CanvasObject
	pipe      *danmaku.Pipeline
	runner    *actionRunner
	list      *widget.List
	questions *widget.List
	trending  *widget.Label
	stats     *widget.Label
	pause     *widget.Check
	filter    *widget.Select

	lines    []danmaku.Item
	groups   []danmaku.QuestionGroup
	selected int
	// hold pauses this screen only (a line is picked); deskPaused is the
	// desk's feed pause (pause_danmaku from any surface). The box shows
	// either; syncing is set while it follows them, so nothing is sent.
	hold, deskPaused, syncing bool
	// rows the lists had at their last full refresh
	shownLines, shownGroups int
}

func newDanmakuPane(pipe *danmaku.Pipeline, runner *actionRunner) *danmakuPane {
	p := &danmakuPane{pipe: pipe, runner: runner, selected: -1,
		trending: widget.NewLabel(""), stats: widget.NewLabel("")}
	// Two lines, always: a box that grew and shrank with the words would
	// move the lists under it, and under software GL each such move costs
	// a second frame (Fyne lays the scrolls out again while painting).
	p.trending.Wrapping = fyne.TextWrapWord
	p.trending.Truncation = fyne.TextTruncateEllipsis
	// Rows are clipped, not ellipsised: an ellipsis is found by measuring
	// the text again and again on every redraw of every row.
	// Both lists always have the same number of rows (blank past the
	// lines there are): a list whose length changed would be laid out
	// again while painting, which costs a second frame.
	p.list = widget.NewList(
		func() int { return maxLines },
		func() fyne.CanvasObject {
			l := widget.NewLabel("placeholder viewer: a line of danmaku text")
			l.Truncation = fyne.TextTruncateClip
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			s := ""
			if i < len(p.lines) {
				s = lineText(p.lines[i])
			}
			o.(*widget.Label).SetText(s)
		},
	)
	p.list.OnSelected = func(i widget.ListItemID) {
		if i >= len(p.lines) {
			p.list.UnselectAll()
			return
		}
		// Hold the list still while a line is picked (this screen only).
		p.selected = i
		p.hold = true
		p.syncPause(p.deskPaused)
	}
	p.questions = widget.NewList(
		func() int { return maxGroups },
		func() fyne.CanvasObject {
			l := widget.NewLabel("尺码 ×12: placeholder question text")
			l.Truncation = fyne.TextTruncateClip
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			s := ""
			if i < len(p.groups) {
				s = groupText(p.groups[i])
			}
			o.(*widget.Label).SetText(s)
		},
	)
	p.questions.OnSelected = func(i widget.ListItemID) {
		if i < len(p.groups) {
			p.runner.action(studio.ActAnswerQuestion, map[string]any{"id": p.groups[i].ID})
			p.questions.UnselectAll()
		}
	}
	names := make([]string, len(classFilters))
	for i, f := range classFilters {
		names[i] = T(f.key)
	}
	p.pause = widget.NewCheck(runner.label(studio.ActPauseDanmaku), func(on bool) {
		if !p.syncing {
			if !on {
				p.hold = false
			}
			runner.action(studio.ActPauseDanmaku, map[string]any{"paused": on})
		}
		if !on {
			p.selected = -1
			p.list.UnselectAll()
			p.refresh()
		}
	})
	// The filter is built last: selecting its first entry runs refresh,
	// which needs every other widget.
	p.filter = widget.NewSelect(names, func(string) { p.refresh() })
	p.filter.SetSelectedIndex(0)
	actions := container.NewHBox(
		widget.NewButton(runner.label(studio.ActPin), p.pin),
		widget.NewButton(runner.label(studio.ActHide), p.hide),
		widget.NewButton(runner.label(studio.ActBlock), p.block),
	)
	// The counters take the rest of the row and are clipped: growing
	// numbers must not widen the window (each widening relays out and
	// repaints everything).
	p.stats.Truncation = fyne.TextTruncateClip
	top := container.NewBorder(nil, nil, container.NewHBox(widget.NewLabelWithStyle(T("dm.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), p.filter, p.pause), nil, p.stats)
	right := container.NewBorder(container.NewVBox(widget.NewLabelWithStyle(T("dm.trending"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), container.New(linesHigh{2}, p.trending),
		widget.NewLabelWithStyle(T("dm.questions"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})), nil, nil, nil, p.questions)
	split := container.NewHSplit(container.NewBorder(nil, actions, nil, nil, p.list), right)
	split.Offset = 0.6
	p.root = container.NewBorder(top, nil, nil, nil, split)
	return p
}

func lineText(it danmaku.Item) string {
	mark := map[danmaku.Class]string{danmaku.Question: "❓", danmaku.BuyIntent: "🛒", danmaku.Complaint: "⚠", danmaku.Praise: "👍", danmaku.Vote: "🗳"}[it.Class]
	s := fmt.Sprintf("%s%s：%s", mark, it.ViewerName, it.Norm)
	if it.Merged > 1 {
		s += fmt.Sprintf("  ×%d", it.Merged)
	}
	return s
}

func groupText(g danmaku.QuestionGroup) string {
	topic := g.Topic
	if topic == "" {
		topic = T("dm.other_question")
	}
	ex := ""
	if n := len(g.Examples); n > 0 {
		ex = g.Examples[n-1].Norm
	}
	return fmt.Sprintf("%s ×%d：%s", topic, g.Count, ex)
}

// refresh redraws from the pipeline; called on the UI goroutine.
func (p *danmakuPane) refresh() {
	if p.pipe == nil {
		return
	}
	snap := p.pipe.Snapshot()
	p.groups = snap.Questions
	if len(p.groups) > maxGroups {
		p.groups = p.groups[:maxGroups]
	}
	refreshList(p.questions, len(p.groups), &p.shownGroups)
	terms := make([]string, 0, 10)
	for i, t := range snap.Trending1m {
		if i == 10 {
			break
		}
		terms = append(terms, fmt.Sprintf("%s %d", t.Text, t.Count))
	}
	setLabel(p.trending, strings.Join(terms, " · "))
	s := snap.Stats
	setLabel(p.stats, fmt.Sprintf(T("dm.stats"), s.Received, s.Shown, s.Links+s.Contact+s.Banned+s.Flood+s.Blocked))
	if p.pause.Checked {
		return
	}
	f := classFilters[max(p.filter.SelectedIndex(), 0)]
	p.lines = p.lines[:0]
	for i := len(snap.Recent) - 1; i >= 0 && len(p.lines) < maxLines; i-- {
		it := snap.Recent[i]
		if f.all || it.Class == f.class {
			p.lines = append(p.lines, it)
		}
	}
	refreshList(p.list, len(p.lines), &p.shownLines)
}

// linesHigh gives its one child the height of n lines of text, whatever
// the text: a wrapped label in it (truncated past n lines) never changes
// the layout around it.
type linesHigh struct{ n int }

func (h linesHigh) MinSize(objs []fyne.CanvasObject) fyne.Size {
	if len(objs) == 0 {
		return fyne.Size{}
	}
	th := theme.Current()
	line := fyne.MeasureText("热", th.Size(theme.SizeNameText), fyne.TextStyle{}).Height + th.Size(theme.SizeNameLineSpacing)
	return fyne.NewSize(0, float32(h.n)*line+2*th.Size(theme.SizeNameInnerPadding))
}

func (h linesHigh) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	for _, o := range objs {
		o.Move(fyne.NewPos(0, 0))
		o.Resize(size)
	}
}

// refreshList redraws a list's rows. A full Refresh (Fyne builds a fresh
// template row each time, kept a minute in its cache) is needed only when
// the number of rows changed; otherwise each row is redrawn in place.
func refreshList(l *widget.List, n int, shown *int) {
	*shown = n
	l.Refresh()
}

func (p *danmakuPane) current() (danmaku.Item, bool) {
	if p.selected < 0 || p.selected >= len(p.lines) {
		p.runner.report(fmt.Errorf("%s", T("dm.select_first")))
		return danmaku.Item{}, false
	}
	return p.lines[p.selected], true
}

func (p *danmakuPane) pin() { p.onLine(studio.ActPin) }

func (p *danmakuPane) hide() { p.onLine(studio.ActHide) }

func (p *danmakuPane) block() { p.onLine(studio.ActBlock) }

func (p *danmakuPane) onLine(action string) {
	if it, ok := p.current(); ok {
		p.runner.action(action, map[string]any{"id": it.ID})
	}
}

// syncPause shows the desk's feed pause (set from any surface), or this
// screen's hold.
func (p *danmakuPane) syncPause(deskPaused bool) {
	p.deskPaused = deskPaused
	if on := p.hold || deskPaused; p.pause.Checked != on {
		p.syncing = true
		p.pause.SetChecked(on)
		p.syncing = false
	}
}

// pauseArgs are pause_danmaku's arguments for the P key: the opposite of
// what this screen shows (a hold is released too).
func (p *danmakuPane) pauseArgs() map[string]any {
	if p.pause.Checked {
		p.hold = false
		return map[string]any{"paused": false}
	}
	return map[string]any{"paused": true}
}

// hostQuestions is the line of top questions and trending words on the
// host's screen.
func hostQuestions(pipe *danmaku.Pipeline) string {
	if pipe == nil {
		return ""
	}
	qs := pipe.Questions(3)
	parts := make([]string, 0, 4)
	for _, g := range qs {
		parts = append(parts, groupText(g))
	}
	terms := pipe.Trending(time.Minute, 5)
	if len(terms) > 0 {
		ws := make([]string, len(terms))
		for i, t := range terms {
			ws[i] = t.Text
		}
		parts = append(parts, T("dm.trending")+"："+strings.Join(ws, " "))
	}
	return strings.Join(parts, "    ")
}
