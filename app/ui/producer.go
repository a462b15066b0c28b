package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"

	"studiodesk/app/core"
	"studiodesk/scripts"
	"studiodesk/studio"
	"studiodesk/studio/store"
)

var segmentKinds = []scripts.SegmentKind{scripts.KindOpening, scripts.KindProduct, scripts.KindInteraction, scripts.KindBreak, scripts.KindClosing}

// producerView is the script editor: segments and selling points, reorder,
// durations, checks inline, import/export, and loading into the desk.
type producerView struct {
	root  fyne.CanvasObject
	desk  *studio.Desk
	win   fyne.Window
	store *store.Store

	show *scripts.Show
	undo []*scripts.Show
	sel  int

	list     *widget.List
	checks   *widget.List
	findings []string
	total    *widget.Label
	status   *widget.Label

	id, title, duration, product, notes, phases *widget.Entry
	hostLines                                   *widget.Entry
	kind                                        *widget.Select
	flagship                                    *widget.Check
	// onChange, if set, runs after the working copy changed (the
	// interactions editor follows it).
	onChange func()
}

func newProducerView(desk *studio.Desk, win fyne.Window, st *store.Store) *producerView {
	v := &producerView{desk: desk, win: win, store: st, sel: -1}
	if snap := desk.Snapshot(); snap != nil && snap.Show != nil {
		v.show = cloneShow(snap.Show)
	} else {
		v.show = &scripts.Show{ID: "new", Title: "新节目"}
	}
	v.total = widget.NewLabel("")
	v.status = widget.NewLabel("")
	v.status.Truncation = fyne.TextTruncateEllipsis

	v.list = widget.NewList(
		func() int { return len(v.show.Segments) },
		func() fyne.CanvasObject { return widget.NewLabel("00. placeholder segment title (00:00)") },
		func(i widget.ListItemID, o fyne.CanvasObject) {
			g := v.show.Segments[i]
			mark := ""
			if g.Flagship {
				mark = " ★"
			}
			o.(*widget.Label).SetText(fmt.Sprintf("%d. %s · %s (%s)%s", i+1, g.Title, kindText(g.Kind), clock(g.Planned()), mark))
		},
	)
	v.list.OnSelected = func(i widget.ListItemID) { v.selectSegment(i) }

	v.checks = widget.NewList(
		func() int { return len(v.findings) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(v.findings[i]) },
	)

	v.id, v.title, v.duration, v.product = widget.NewEntry(), widget.NewEntry(), widget.NewEntry(), widget.NewEntry()
	v.notes = widget.NewMultiLineEntry()
	v.notes.SetMinRowsVisible(2)
	v.phases = widget.NewMultiLineEntry()
	v.phases.SetMinRowsVisible(9)
	v.hostLines = widget.NewMultiLineEntry()
	v.hostLines.SetMinRowsVisible(3)
	v.phases.SetPlaceHolder("核心卖点 1m\n- 第一个卖点\n- 第二个卖点 | 20s\n场景演示 3m\n- …")
	v.duration.SetPlaceHolder("5m / 1:30")
	kinds := make([]string, len(segmentKinds))
	for i, k := range segmentKinds {
		kinds[i] = kindText(k)
	}
	v.kind = widget.NewSelect(kinds, nil)
	v.flagship = widget.NewCheck(T("prod.flagship"), nil)

	form := widget.NewForm(
		widget.NewFormItem(T("prod.id"), v.id),
		widget.NewFormItem(T("prod.title"), v.title),
		widget.NewFormItem(T("prod.kind"), v.kind),
		widget.NewFormItem(T("prod.duration"), v.duration),
		widget.NewFormItem(T("prod.product"), container.NewBorder(nil, nil, nil, v.flagship, v.product)),
		widget.NewFormItem(T("prod.notes"), v.notes),
		widget.NewFormItem(T("prod.phases"), v.phases),
		widget.NewFormItem(T("prod.host_lines"), v.hostLines),
	)
	form.SubmitText = T("prod.apply_segment")
	form.OnSubmit = v.commitForm

	toolbar := container.NewHBox(
		widget.NewButton(T("prod.add"), v.addSegment),
		widget.NewButton(T("prod.delete"), v.deleteSegment),
		widget.NewButton(T("prod.up"), func() { v.move(-1) }),
		widget.NewButton(T("prod.down"), func() { v.move(+1) }),
		widget.NewButton(T("prod.undo")+" [Ctrl+Z]", v.undoLast),
		widget.NewButton(T("prod.import"), v.importFile),
		widget.NewButton(T("prod.export"), v.exportChoice),
		widget.NewButtonWithIcon(T("prod.apply"), nil, v.applyToDesk),
		v.total,
	)
	left := container.NewBorder(widget.NewLabel(T("prod.segments")), nil, nil, nil, v.list)
	right := container.NewBorder(widget.NewLabel(T("prod.checks")), nil, nil, nil, v.checks)
	editor := container.NewVScroll(form)
	mid := container.NewHSplit(editor, right)
	mid.Offset = 0.5
	body := container.NewHSplit(left, mid)
	body.Offset = 0.28
	v.root = container.NewBorder(toolbar, v.status, nil, nil, body)
	if win != nil {
		win.Canvas().AddShortcut(&desktopCtrlZ, func(fyne.Shortcut) { v.undoLast() })
	}
	v.recheck()
	return v
}

// onSnapshot adopts a script loaded into the desk from elsewhere, unless
// the producer has edits of their own in progress.
func (v *producerView) onSnapshot(s *studio.Snapshot) {
	if s == nil || s.Show == nil || len(v.undo) > 0 {
		return
	}
	if v.show.ID == s.Show.ID && len(v.show.Segments) == len(s.Show.Segments) {
		return
	}
	v.show = cloneShow(s.Show)
	v.sel = -1
	v.list.UnselectAll()
	v.list.Refresh()
	v.recheck()
	v.changed()
}

func (v *producerView) selectSegment(i int) {
	if i < 0 || i >= len(v.show.Segments) {
		return
	}
	v.sel = i
	g := v.show.Segments[i]
	v.id.SetText(g.ID)
	v.title.SetText(g.Title)
	v.kind.SetSelected(kindText(g.Kind))
	if g.Duration > 0 {
		v.duration.SetText(formatDur(g.Duration))
	} else {
		v.duration.SetText("")
	}
	v.product.SetText(g.Product)
	v.flagship.SetChecked(g.Flagship)
	v.notes.SetText(g.Notes)
	v.phases.SetText(formatPhases(g.Phases))
	v.hostLines.SetText(strings.Join(g.HostLines, "\n"))
}

// commitForm writes the form into the working copy; a bad field keeps the
// copy untouched and names the field.
func (v *producerView) commitForm() {
	if v.sel < 0 || v.sel >= len(v.show.Segments) {
		v.say(T("prod.select_first"))
		return
	}
	g := v.show.Segments[v.sel]
	g.ID = strings.TrimSpace(v.id.Text)
	g.Title = strings.TrimSpace(v.title.Text)
	for _, k := range segmentKinds {
		if kindText(k) == v.kind.Selected {
			g.Kind = k
		}
	}
	g.Duration = 0
	if s := strings.TrimSpace(v.duration.Text); s != "" {
		d, err := parseDur(s)
		if err != nil {
			v.fail(fmt.Errorf("%s %q: %w", T("prod.duration"), s, err))
			return
		}
		g.Duration = d
	}
	phases, err := parsePhases(v.phases.Text)
	if err != nil {
		v.fail(fmt.Errorf("%s: %w", T("prod.phases"), err))
		return
	}
	g.Phases = phases
	g.Product = strings.TrimSpace(v.product.Text)
	g.Flagship = v.flagship.Checked
	g.Notes = v.notes.Text
	g.HostLines = splitHostLines(v.hostLines.Text)
	for i, other := range v.show.Segments {
		if i != v.sel && other.ID == g.ID {
			v.fail(fmt.Errorf("%s %q: %w", T("prod.id"), g.ID, scripts.ErrDuplicateID))
			return
		}
	}
	v.edit(func(s *scripts.Show) { s.Segments[v.sel] = g })
}

// edit applies a change to the working copy with an undo point.
func (v *producerView) edit(change func(*scripts.Show)) {
	v.undo = append(v.undo, cloneShow(v.show))
	if len(v.undo) > 100 {
		v.undo = v.undo[1:]
	}
	change(v.show)
	v.list.Refresh()
	v.recheck()
	v.changed()
}

func (v *producerView) changed() {
	if v.onChange != nil {
		v.onChange()
	}
}

func (v *producerView) undoLast() {
	if len(v.undo) == 0 {
		return
	}
	v.show = v.undo[len(v.undo)-1]
	v.undo = v.undo[:len(v.undo)-1]
	v.list.Refresh()
	if v.sel >= len(v.show.Segments) {
		v.sel = len(v.show.Segments) - 1
	}
	v.selectSegment(v.sel)
	v.recheck()
	v.changed()
	v.say(T("prod.undone"))
}

func (v *producerView) addSegment() {
	at := v.sel + 1
	if v.sel < 0 {
		at = len(v.show.Segments)
	}
	id := fmt.Sprintf("seg-%d", time.Now().UnixNano()%100000)
	v.edit(func(s *scripts.Show) {
		g := scripts.Segment{ID: id, Title: "新环节", Kind: scripts.KindProduct, Duration: 5 * time.Minute}
		s.Segments = append(s.Segments[:at], append([]scripts.Segment{g}, s.Segments[at:]...)...)
	})
	v.list.Select(at)
}

// deleteSegment removes the selection; undo brings it back, so there is no
// confirmation to click through.
func (v *producerView) deleteSegment() {
	if v.sel < 0 || v.sel >= len(v.show.Segments) {
		return
	}
	i := v.sel
	title := v.show.Segments[i].Title
	v.edit(func(s *scripts.Show) { s.Segments = append(s.Segments[:i], s.Segments[i+1:]...) })
	v.list.UnselectAll()
	v.sel = -1
	v.say(fmt.Sprintf("%s “%s” — %s Ctrl+Z", T("prod.deleted"), title, T("prod.undo")))
}

func (v *producerView) move(delta int) {
	i, j := v.sel, v.sel+delta
	if i < 0 || j < 0 || j >= len(v.show.Segments) {
		return
	}
	v.edit(func(s *scripts.Show) { s.Segments[i], s.Segments[j] = s.Segments[j], s.Segments[i] })
	v.list.Select(j)
}

// recheck runs validation and the ad-law lint over the working copy.
func (v *producerView) recheck() {
	v.findings = v.findings[:0]
	for _, w := range scripts.Validate(v.show) {
		v.findings = append(v.findings, "⚠ "+w.In(sLang()))
	}
	for _, h := range scripts.Lint(v.show, scripts.DefaultBannedTerms) {
		v.findings = append(v.findings, "§ "+T("prod.lint")+"："+h.In(sLang()))
	}
	if len(v.findings) == 0 {
		v.findings = append(v.findings, "✓ "+T("prod.ok"))
	}
	v.checks.Refresh()
	v.total.SetText(T("prod.total") + " " + clock(v.show.Total()))
}

func (v *producerView) applyToDesk() {
	s := cloneShow(v.show)
	if err := scripts.CheckInteractions(s); err != nil {
		v.fail(err)
		return
	}
	if v.store != nil {
		if err := v.store.Put(core.ScriptBucket, core.CurrentScript, s); err != nil {
			v.fail(err)
			return
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := v.desk.Do(ctx, studio.LoadShow{Show: s}); err != nil {
		v.fail(err)
		return
	}
	v.undo = v.undo[:0]
	v.say(T("prod.loaded"))
}

func (v *producerView) importFile() {
	dialog.ShowFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil || r == nil {
			return
		}
		defer r.Close()
		name := r.URI().Name()
		data, err := io.ReadAll(r)
		if err != nil {
			v.fail(fmt.Errorf("%s: %w", name, err))
			return
		}
		if isSheetFile(name) {
			v.previewImport(name, data) // run sheets: preview first, Import commits
			return
		}
		s, err := importScript(name, data)
		if err != nil {
			v.fail(err)
			return
		}
		v.edit(func(cur *scripts.Show) { *cur = *s })
		v.sel = -1
		v.list.UnselectAll()
		v.say(name + " ✓")
	}, v.win)
}

// importScript reads a YAML or XLSX script; all or nothing.
func importScript(name string, data []byte) (*scripts.Show, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xlsx":
		return scripts.ImportXLSX(name, bytes.NewReader(data))
	case ".csv":
		return scripts.ImportCSV(name, bytes.NewReader(data))
	case ".ods":
		return scripts.ImportODS(name, bytes.NewReader(data))
	case ".yaml", ".yml":
		return scripts.LoadYAML(name, data)
	}
	return nil, fmt.Errorf(T("imp.bad_type"), name)
}

func (v *producerView) say(s string) { v.status.SetText(s) }

func (v *producerView) fail(err error) {
	err = localized(err)
	v.status.SetText("⚠ " + err.Error())
	if v.win != nil {
		dialog.ShowError(err, v.win)
	}
}

func cloneShow(s *scripts.Show) *scripts.Show {
	b, err := json.Marshal(s)
	if err != nil {
		return &scripts.Show{}
	}
	var c scripts.Show
	if err := json.Unmarshal(b, &c); err != nil {
		return &scripts.Show{}
	}
	return &c
}

// formatPhases renders phases in the editor's compact text form:
// a "name duration" line per phase, then "- point" or "- point | 20s".
func formatPhases(ph []scripts.Phase) string {
	var b strings.Builder
	for _, p := range ph {
		fmt.Fprintf(&b, "%s %s\n", p.Name, formatDur(p.Duration))
		for _, pt := range p.Points {
			if pt.Duration > 0 {
				fmt.Fprintf(&b, "- %s | %s\n", pt.Text, formatDur(pt.Duration))
			} else {
				fmt.Fprintf(&b, "- %s\n", pt.Text)
			}
		}
	}
	return b.String()
}

// parsePhases is the inverse of formatPhases; errors name the line.
func parsePhases(text string) ([]scripts.Phase, error) {
	var out []scripts.Phase
	for n, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(raw)
		if line == "" {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "-"); ok {
			if len(out) == 0 {
				return nil, fmt.Errorf("line %d: a selling point before any phase", n+1)
			}
			pt := scripts.SellingPoint{Text: strings.TrimSpace(rest)}
			if txt, dur, ok := strings.Cut(pt.Text, "|"); ok {
				d, err := parseDur(strings.TrimSpace(dur))
				if err != nil {
					return nil, fmt.Errorf("line %d: %w", n+1, err)
				}
				pt.Text, pt.Duration = strings.TrimSpace(txt), d
			}
			out[len(out)-1].Points = append(out[len(out)-1].Points, pt)
			continue
		}
		i := strings.LastIndex(line, " ")
		if i < 0 {
			return nil, fmt.Errorf("line %d: %q: want \"name duration\"", n+1, line)
		}
		d, err := parseDur(line[i+1:])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n+1, err)
		}
		out = append(out, scripts.Phase{Name: strings.TrimSpace(line[:i]), Duration: d})
	}
	return out, nil
}

func formatDur(d time.Duration) string { return scripts.FormatDuration(d) }

func parseDur(s string) (time.Duration, error) { return scripts.ParseDuration(s) }
