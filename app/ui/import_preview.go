package ui

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"studiodesk/scripts"
)

func init() {
	for k, v := range importMessages {
		messages[k] = v
	}
}

// importMessages are the strings of the import preview and export choice.
var importMessages = map[string][2]string{
	"imp.title":       {"导入预览", "Import preview"},
	"imp.sheet":       {"工作表", "Sheet"},
	"imp.header_row":  {"表头行", "Header row"},
	"imp.columns":     {"列的含义（可修改）", "Columns (change what each holds)"},
	"imp.segments":    {"环节", "Segments"},
	"imp.problems":    {"错误、警告与说明", "Errors, warnings and notes"},
	"imp.import":      {"导入", "Import"},
	"imp.cancel":      {"取消", "Cancel"},
	"imp.total":       {"共 %d 个环节，总时长 %s", "%d segments, total %s"},
	"imp.summary":     {"%s：%d 个错误，%d 个警告，%d 条说明", "%s: %d errors, %d warnings, %d notes"},
	"imp.blocked":     {"有错误，不能导入：请修改表格或上面的列设置", "There are errors: fix the sheet or the column settings above"},
	"imp.ready":       {"检查无误后点“导入”，导入前不会改动当前脚本", "Nothing changes until you press Import"},
	"imp.no_unit":     {"无单位", "no unit"},
	"imp.unit_s":      {"秒", "seconds"},
	"imp.unit_m":      {"分钟", "minutes"},
	"imp.unit_h":      {"小时", "hours"},
	"imp.row":         {"第%d行", "row %d"},
	"imp.lines":       {"话术 %d 句", "%d host lines"},
	"imp.points":      {"卖点 %d 个", "%d points"},
	"imp.imported":    {"已导入 %s（%d 个环节）", "Imported %s (%d segments)"},
	"imp.bad_type":    {"%s：不支持的文件类型（可用 .xlsx、.ods、.csv、.yaml）", "%s: unknown file type (want .xlsx, .ods, .csv or .yaml)"},
	"exp.title":       {"导出脚本", "Export script"},
	"exp.format":      {"格式", "Format"},
	"exp.xlsx":        {"Excel 表格 (.xlsx) — 时长可求和，可打印", "Excel sheet (.xlsx) — durations add up, prints"},
	"exp.csv":         {"CSV (.csv, UTF-8 带 BOM)", "CSV (.csv, UTF-8 with BOM)"},
	"exp.yaml":        {"YAML 脚本 (.yaml)", "YAML script (.yaml)"},
	"exp.next":        {"选择保存位置…", "Choose where to save…"},
	"say.lines":       {"话术", "Lines"},
	"prod.host_lines": {"话术 (每行一句)", "Host lines (one per line)"},
}

func sLang() scripts.Lang {
	if lang == "zh" {
		return scripts.LangZH
	}
	return scripts.LangEN
}

// isSheetFile reports the run-sheet files that go through the preview.
func isSheetFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xlsx", ".csv", ".ods":
		return true
	}
	return false
}

// readSheetFile reads an XLSX or CSV run sheet into cells.
func readSheetFile(name string, data []byte) (*scripts.Workbook, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return scripts.ReadCSV(name, bytes.NewReader(data))
	case ".ods":
		return scripts.ReadODS(name, bytes.NewReader(data))
	}
	return scripts.ReadXLSX(name, bytes.NewReader(data))
}

// importPreview is the producer's look at a run sheet before importing it:
// the sheet and header row used (changeable), what each column holds
// (changeable), the segments with their lengths and the total, and every
// error, warning and note with its sheet!cell, in the user's language.
// Import commits the show; until then the script is untouched.
type importPreview struct {
	wb       *scripts.Workbook
	prev     *scripts.Preview
	onImport func(*scripts.Show)

	root       fyne.CanvasObject
	sheetSel   *widget.Select
	headerSel  *widget.Select
	mapBox     *fyne.Container
	segList    *widget.List
	probList   *widget.List
	total      *widget.Label
	summary    *widget.Label
	importBtn  *widget.Button
	cancelBtn  *widget.Button
	rebuilding bool
}

func newImportPreview(wb *scripts.Workbook, onImport func(*scripts.Show)) *importPreview {
	p := &importPreview{wb: wb, onImport: onImport}
	var sheets []string
	for _, sh := range wb.Sheets {
		sheets = append(sheets, sh.Name)
	}
	p.sheetSel = widget.NewSelect(sheets, func(string) { p.pickHeader() })
	rows := make([]string, 20)
	for i := range rows {
		rows[i] = strconv.Itoa(i + 1)
	}
	p.headerSel = widget.NewSelect(rows, func(string) { p.pickHeader() })
	p.mapBox = container.NewHBox()
	p.total = widget.NewLabel("")
	p.total.TextStyle = fyne.TextStyle{Bold: true}
	p.summary = widget.NewLabel("")
	p.summary.Wrapping = fyne.TextWrapWord
	p.segList = widget.NewList(
		func() int {
			if p.prev == nil || p.prev.Show == nil {
				return 0
			}
			return len(p.prev.Show.Segments)
		},
		func() fyne.CanvasObject {
			l := widget.NewLabel("00. placeholder segment title · kind · 00:00")
			l.Truncation = fyne.TextTruncateEllipsis
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(p.segmentLine(i)) },
	)
	p.probList = widget.NewList(
		func() int {
			if p.prev == nil {
				return 0
			}
			return len(p.prev.Problems)
		},
		func() fyne.CanvasObject {
			l := widget.NewLabel("problem")
			l.Wrapping = fyne.TextWrapWord
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			o.(*widget.Label).SetText(problemLine(p.prev.Problems[i]))
			p.probList.SetItemHeight(i, o.MinSize().Height)
		},
	)
	p.importBtn = widget.NewButton(T("imp.import"), func() {
		if s, err := p.prev.Result(); err == nil && p.onImport != nil {
			p.onImport(s)
		}
	})
	p.importBtn.Importance = widget.HighImportance
	p.cancelBtn = widget.NewButton(T("imp.cancel"), nil)
	top := container.NewVBox(
		container.NewHBox(widget.NewLabel(T("imp.sheet")), p.sheetSel, widget.NewLabel(T("imp.header_row")), p.headerSel, p.total),
		widget.NewLabel(T("imp.columns")),
		container.NewHScroll(p.mapBox),
	)
	segs := container.NewBorder(widget.NewLabel(T("imp.segments")), nil, nil, nil, p.segList)
	probs := container.NewBorder(widget.NewLabel(T("imp.problems")), nil, nil, nil, p.probList)
	split := container.NewHSplit(segs, probs)
	split.Offset = 0.42
	bottom := container.NewBorder(nil, nil, nil, container.NewHBox(p.cancelBtn, p.importBtn), p.summary)
	p.root = container.NewBorder(top, bottom, nil, nil, split)
	p.refresh(nil)
	return p
}

// refresh previews with m (nil: detect) and redraws everything.
func (p *importPreview) refresh(m *scripts.Mapping) {
	p.prev = p.wb.Preview(m)
	p.rebuilding = true
	if p.prev.Mapping != nil {
		p.sheetSel.SetSelected(p.prev.Mapping.Sheet)
		p.headerSel.SetSelected(strconv.Itoa(p.prev.Mapping.HeaderRow + 1))
	}
	p.rebuilding = false
	p.buildMapping()
	var nErr, nWarn, nNote int
	for _, pr := range p.prev.Problems {
		switch pr.Severity {
		case scripts.SevError:
			nErr++
		case scripts.SevWarning:
			nWarn++
		default:
			nNote++
		}
	}
	if p.prev.Show != nil {
		p.total.SetText(fmt.Sprintf(T("imp.total"), len(p.prev.Show.Segments), clock(p.prev.Show.Total())))
	} else {
		p.total.SetText("")
	}
	state := T("imp.ready")
	if nErr > 0 {
		state = T("imp.blocked")
		p.importBtn.Disable()
	} else {
		p.importBtn.Enable()
	}
	p.summary.SetText(fmt.Sprintf(T("imp.summary"), p.wb.File, nErr, nWarn, nNote) + " — " + state)
	p.segList.Refresh()
	p.probList.Refresh()
}

// pickHeader re-maps after the producer picks another sheet or header row.
func (p *importPreview) pickHeader() {
	if p.rebuilding || p.sheetSel.Selected == "" || p.headerSel.Selected == "" {
		return
	}
	row, _ := strconv.Atoi(p.headerSel.Selected)
	if m := p.prev.Mapping; m != nil && m.Sheet == p.sheetSel.Selected && m.HeaderRow == row-1 {
		return
	}
	p.refresh(p.wb.MappingAt(p.sheetSel.Selected, row-1))
}

var units = []struct {
	key string
	d   time.Duration
}{{"imp.no_unit", 0}, {"imp.unit_s", time.Second}, {"imp.unit_m", time.Minute}, {"imp.unit_h", time.Hour}}

// buildMapping draws one box per column: its letter and header, what it
// holds, and for a length the unit of bare numbers.
func (p *importPreview) buildMapping() {
	p.mapBox.RemoveAll()
	if p.prev.Mapping == nil {
		p.mapBox.Refresh()
		return
	}
	fieldNames := make([]string, len(scripts.Fields))
	for i, f := range scripts.Fields {
		fieldNames[i] = f.In(sLang())
	}
	unitNames := make([]string, len(units))
	for i, u := range units {
		unitNames[i] = T(u.key)
	}
	for ci := range p.prev.Mapping.Columns {
		col := p.prev.Mapping.Columns[ci]
		head := widget.NewLabel(scripts.ColumnLetter(col.Index) + "  " + col.Header)
		head.TextStyle = fyne.TextStyle{Bold: true}
		head.Truncation = fyne.TextTruncateEllipsis
		field := widget.NewSelect(fieldNames, nil)
		field.SetSelected(col.Field.In(sLang()))
		field.OnChanged = func(s string) {
			for i, n := range fieldNames {
				if n == s {
					m := p.prev.Mapping.Clone()
					m.Columns[ci].Field = scripts.Fields[i]
					p.refresh(m)
					return
				}
			}
		}
		box := container.NewVBox(head, field)
		if col.Field.IsDuration() {
			unit := widget.NewSelect(unitNames, nil)
			for i, u := range units {
				if u.d == col.Unit {
					unit.SetSelected(unitNames[i])
				}
			}
			unit.OnChanged = func(s string) {
				for i, n := range unitNames {
					if n == s {
						m := p.prev.Mapping.Clone()
						m.Columns[ci].Unit = units[i].d
						p.refresh(m)
						return
					}
				}
			}
			box.Add(unit)
		}
		p.mapBox.Add(container.NewGridWrap(fyne.NewSize(150, box.MinSize().Height), box))
	}
	p.mapBox.Refresh()
}

func (p *importPreview) segmentLine(i int) string {
	s := p.prev.Show
	g := &s.Segments[i]
	var start time.Duration
	for j := 0; j < i; j++ {
		start += s.Segments[j].Planned()
	}
	kind := kindText(g.Kind)
	if _, ok := messages["kind."+string(g.Kind)]; !ok {
		kind = "?" + string(g.Kind)
	}
	at := "@" + clock(start)
	if t, err := time.Parse("15:04", s.Start); err == nil {
		at = t.Add(start).Format("15:04:05")
		at = strings.TrimSuffix(at, ":00")
	}
	parts := []string{fmt.Sprintf("%d. %s", i+1, g.Title), kind, clock(g.Planned()), at}
	if n := countPoints(g); n > 0 {
		parts = append(parts, fmt.Sprintf(T("imp.points"), n))
	}
	if n := len(g.HostLines); n > 0 {
		parts = append(parts, fmt.Sprintf(T("imp.lines"), n))
	}
	if i < len(p.prev.SegmentRows) {
		parts = append(parts, fmt.Sprintf(T("imp.row"), p.prev.SegmentRows[i]))
	}
	return strings.Join(parts, " · ")
}

func countPoints(g *scripts.Segment) int {
	n := 0
	for _, ph := range g.Phases {
		n += len(ph.Points)
	}
	return n
}

func problemLine(pr scripts.Problem) string {
	mark := "○"
	switch pr.Severity {
	case scripts.SevError:
		mark = "⛔"
	case scripts.SevWarning:
		mark = "⚠"
	}
	text := pr.In(sLang())
	// The file name starts every line; the preview already shows it.
	text = strings.TrimPrefix(strings.TrimPrefix(text, pr.File+": "), pr.File+"：")
	return mark + " " + pr.Severity.In(sLang()) + " · " + text
}

// previewImport opens the import preview for a run sheet; Import replaces
// the working script (one undo step).
func (v *producerView) previewImport(name string, data []byte) *importPreview {
	wb, err := readSheetFile(name, data)
	if err != nil {
		v.fail(err)
		return nil
	}
	var d dialog.Dialog
	p := newImportPreview(wb, func(s *scripts.Show) {
		v.edit(func(cur *scripts.Show) { *cur = *s })
		v.sel = -1
		v.list.UnselectAll()
		v.say(fmt.Sprintf(T("imp.imported"), name, len(s.Segments)))
		if d != nil {
			d.Hide()
		}
	})
	if v.win == nil {
		return p
	}
	d = dialog.NewCustomWithoutButtons(T("imp.title")+" — "+name, p.root, v.win)
	p.cancelBtn.OnTapped = d.Hide
	size := v.win.Canvas().Size()
	d.Resize(fyne.NewSize(size.Width*0.92, size.Height*0.84))
	d.Show()
	return p
}

// localized renders an error in the user's language.
func localized(err error) error {
	return errors.New(scripts.Localize(err, sLang()))
}

// exportChoice asks for the format, then where to save; the file is named
// after the show with the format's extension.
func (v *producerView) exportChoice() {
	if v.win == nil {
		return
	}
	formats := []string{T("exp.xlsx"), T("exp.csv"), T("exp.yaml")}
	exts := []string{".xlsx", ".csv", ".yaml"}
	pick := widget.NewRadioGroup(formats, nil)
	pick.SetSelected(formats[0])
	dialog.ShowCustomConfirm(T("exp.title"), T("exp.next"), T("imp.cancel"),
		container.NewVBox(widget.NewLabel(T("exp.format")), pick), func(ok bool) {
			if !ok {
				return
			}
			ext := exts[0]
			for i, f := range formats {
				if f == pick.Selected {
					ext = exts[i]
				}
			}
			v.exportAs(ext)
		}, v.win)
}

func (v *producerView) exportAs(ext string) {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil || w == nil {
			return
		}
		defer w.Close()
		name := w.URI().Name()
		if err := writeScript(v.show, exportExt(name, ext), w); err != nil {
			v.fail(fmt.Errorf("%s: %w", name, err))
			return
		}
		v.say(name + " ✓")
	}, v.win)
	d.SetFileName(v.show.ID + ext)
	d.SetFilter(storage.NewExtensionFileFilter([]string{ext}))
	d.Show()
}

// exportExt is the format to write: the one the file's own name says
// (the producer renamed it to .yaml in the save dialog, say), else the
// format picked before.
func exportExt(name, picked string) string {
	switch e := strings.ToLower(filepath.Ext(name)); e {
	case ".xlsx", ".csv", ".yaml", ".yml":
		if e == ".yml" {
			return ".yaml"
		}
		return e
	}
	return picked
}

// writeScript writes the show in the format of ext.
func writeScript(s *scripts.Show, ext string, w interface{ Write([]byte) (int, error) }) error {
	switch ext {
	case ".xlsx":
		return scripts.ExportXLSX(s, w)
	case ".csv":
		return scripts.ExportCSV(s, w)
	}
	data, err := scripts.SaveYAML(s)
	if err == nil {
		_, err = w.Write(data)
	}
	return err
}

// splitHostLines reads the producer's host-lines box: one line each.
func splitHostLines(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
