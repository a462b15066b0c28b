package scripts

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// exportColumn is one column of an exported run sheet.
type exportColumn struct {
	field  Field
	header string
	width  float64
}

// exportColumns returns the columns in export order; the time column is a
// time of day when the show has a planned start, else the time from the
// top of the show.
func exportColumns(s *Show) []exportColumn {
	timeCol := exportColumn{FieldOffset, "开播后", 10}
	if s.Start != "" {
		timeCol = exportColumn{FieldTime, "开始时间", 10}
	}
	return []exportColumn{
		{FieldID, "序号", 12},
		timeCol,
		{FieldTitle, "环节", 24},
		{FieldKind, "类型", 8},
		{FieldDuration, "时长", 9},
		{FieldProduct, "产品", 18},
		{FieldFlagship, "主推", 6},
		{FieldPhase, "阶段", 10},
		{FieldPhaseDuration, "阶段时长", 10},
		{FieldPoints, "卖点", 40},
		{FieldPointDuration, "卖点时长", 10},
		{FieldHostLines, "话术", 40},
		{FieldInteraction, "互动", 12},
		{FieldPreset, "预设", 12},
		{FieldRecallPreset, "调用预设", 10},
		{FieldNotes, "备注", 30},
	}
}

// exportCell is one value of an exported row.
type exportCell struct {
	text    string
	dur     time.Duration
	isDur   bool   // a duration: [mm]:ss in XLSX, m:ss in CSV
	isClock bool   // a time of day (dur is seconds after midnight)
	sumOf   string // a 时长 computed from the phase durations: their SUM
}

// exportRow is one row: cells by field.
type exportRow map[Field]exportCell

// exportRows lays the show out one row per selling point or host line,
// the segment's fields on its first row (时长 included, so the column sums
// to the show). sumOf marks segments whose length is their phases'.
func exportRows(s *Show) ([]exportRow, []int) {
	var rows []exportRow
	var segFirst []int
	var at time.Duration
	start, hasStart := parseTimeOfDay(s.Start)
	for si := range s.Segments {
		g := &s.Segments[si]
		first := exportRow{
			FieldID:           {text: g.ID},
			FieldTitle:        {text: g.Title},
			FieldKind:         {text: kindNamesZH[g.Kind]},
			FieldProduct:      {text: g.Product},
			FieldFlagship:     {text: flag(g.Flagship)},
			FieldPreset:       {text: g.PresetID},
			FieldRecallPreset: {text: flag(g.RecallPreset)},
			FieldInteraction:  {text: g.Interaction},
			FieldNotes:        {text: g.Notes},
			FieldDuration:     {dur: g.Planned(), isDur: true},
		}
		if g.Duration == 0 && len(g.Phases) > 0 {
			first[FieldDuration] = exportCell{dur: g.Planned(), isDur: true, sumOf: "phases"}
		}
		if hasStart {
			first[FieldTime] = exportCell{dur: (time.Duration(start)*time.Second + at) % (24 * time.Hour), isClock: true}
		} else {
			first[FieldOffset] = exportCell{dur: at, isDur: true}
		}
		at += g.Planned()
		var body []exportRow
		for _, p := range g.Phases {
			if len(p.Points) == 0 {
				body = append(body, exportRow{FieldPhase: {text: p.Name}, FieldPhaseDuration: {dur: p.Duration, isDur: true}})
				continue
			}
			for ti, sp := range p.Points {
				r := exportRow{FieldPoints: {text: sp.Text}}
				if ti == 0 {
					r[FieldPhase] = exportCell{text: p.Name}
					r[FieldPhaseDuration] = exportCell{dur: p.Duration, isDur: true}
				}
				if sp.Duration > 0 {
					r[FieldPointDuration] = exportCell{dur: sp.Duration, isDur: true}
				}
				body = append(body, r)
			}
		}
		for i, line := range g.HostLines {
			for len(body) <= i {
				body = append(body, exportRow{})
			}
			body[i][FieldHostLines] = exportCell{text: line}
		}
		if len(body) == 0 {
			body = append(body, exportRow{})
		}
		for k, v := range first {
			body[0][k] = v
		}
		segFirst = append(segFirst, len(rows))
		rows = append(rows, body...)
	}
	return rows, segFirst
}

func flag(b bool) string {
	if b {
		return "是"
	}
	return ""
}

// Number formats of the export: durations that add up in Excel and WPS.
const (
	fmtDuration = "[mm]:ss"
	fmtElapsed  = "[h]:mm:ss"
	fmtClock    = "hh:mm"
	fmtClockSec = "hh:mm:ss"
)

// ExportXLSX writes the show as a run sheet a team keeps: a title row, a
// styled and frozen header, one row per selling point, 时长 on every
// segment as a real duration ([mm]:ss) that sums in Excel/WPS (a SUM of the
// phases where the length is theirs), a planned start column, a total row,
// column widths, and landscape print with the header repeated. ImportXLSX
// reads it back to an equal show; show settings go on the 节目 sheet.
func ExportXLSX(s *Show, w io.Writer) (err error) {
	if s == nil {
		return errors.New("scripts: export xlsx: nil show")
	}
	if iss := checkStructure(s); iss != nil {
		return iss.asError(s, "export xlsx")
	}
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("scripts: export xlsx: %w", cerr)
		}
	}()
	wrap := func(err error) error { return fmt.Errorf("scripts: export xlsx: %w", err) }
	if err := f.SetSheetName("Sheet1", runSheetName); err != nil {
		return wrap(err)
	}
	cols := exportColumns(s)
	colOf := make(map[Field]int, len(cols))
	for i, c := range cols {
		colOf[c.field] = i + 1
	}
	lastCol, _ := excelize.ColumnNumberToName(len(cols))
	border := []excelize.Border{{Type: "left", Color: "BFBFBF", Style: 1}, {Type: "right", Color: "BFBFBF", Style: 1},
		{Type: "top", Color: "BFBFBF", Style: 1}, {Type: "bottom", Color: "BFBFBF", Style: 1}}
	style := func(st *excelize.Style) int {
		id, serr := f.NewStyle(st)
		if serr != nil && err == nil {
			err = wrap(serr)
		}
		return id
	}
	wrapTop := &excelize.Alignment{Vertical: "top", WrapText: true}
	center := &excelize.Alignment{Horizontal: "center", Vertical: "top"}
	numFmt := func(code string) *string { return &code }
	var (
		titleStyle  = style(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 16}, Alignment: &excelize.Alignment{Vertical: "center"}})
		headStyle   = style(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "FFFFFF"}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"305496"}}, Border: border, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}})
		textStyle   = style(&excelize.Style{Border: border, Alignment: wrapTop})
		segStyle    = style(&excelize.Style{Border: border, Alignment: wrapTop, Font: &excelize.Font{Bold: true}})
		durStyle    = style(&excelize.Style{Border: border, Alignment: center, CustomNumFmt: numFmt(fmtDuration)})
		elapsed     = style(&excelize.Style{Border: border, Alignment: center, CustomNumFmt: numFmt(fmtElapsed)})
		clockStyle  = style(&excelize.Style{Border: border, Alignment: center, CustomNumFmt: numFmt(fmtClock)})
		clockSecSty = style(&excelize.Style{Border: border, Alignment: center, CustomNumFmt: numFmt(fmtClockSec)})
		totalLabel  = style(&excelize.Style{Border: border, Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}}})
		totalDur    = style(&excelize.Style{Border: border, Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}}, Alignment: center, CustomNumFmt: numFmt(fmtDuration)})
	)
	if err != nil {
		return err
	}
	const sheet = runSheetName
	const titleRow, headRow = 1, 2
	title := s.Title + "    " + M("x.total").In(LangZH) + " " + FormatClock(s.Total())
	if s.Start != "" {
		title = s.Title + "    " + M("x.start").In(LangZH) + " " + s.Start + "    " + M("x.total").In(LangZH) + " " + FormatClock(s.Total())
	}
	if err := f.SetCellStr(sheet, "A1", title); err != nil {
		return wrap(err)
	}
	if err := f.MergeCell(sheet, "A1", lastCol+"1"); err != nil {
		return wrap(err)
	}
	if err := f.SetCellStyle(sheet, "A1", lastCol+"1", titleStyle); err != nil {
		return wrap(err)
	}
	if err := f.SetRowHeight(sheet, titleRow, 28); err != nil {
		return wrap(err)
	}
	for i, c := range cols {
		ref := cellName(i+1, headRow)
		if err := f.SetCellStr(sheet, ref, c.header); err != nil {
			return wrap(err)
		}
		name, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(sheet, name, name, c.width); err != nil {
			return wrap(err)
		}
	}
	if err := f.SetCellStyle(sheet, "A2", lastCol+"2", headStyle); err != nil {
		return wrap(err)
	}
	rows, segFirst := exportRows(s)
	firstData := headRow + 1
	isFirst := make(map[int]bool, len(segFirst))
	for _, i := range segFirst {
		isFirst[i] = true
	}
	for ri, row := range rows {
		r := firstData + ri
		st := textStyle
		if isFirst[ri] {
			st = segStyle
		}
		if err := f.SetCellStyle(sheet, cellName(1, r), cellName(len(cols), r), st); err != nil {
			return wrap(err)
		}
		for field, v := range row {
			c, ok := colOf[field]
			if !ok {
				continue
			}
			ref := cellName(c, r)
			switch {
			case v.isClock:
				secs := int(v.dur / time.Second)
				sty := clockStyle
				if secs%60 != 0 {
					sty = clockSecSty
				}
				err = firstErr(f.SetCellFloat(sheet, ref, float64(secs)/86400, -1, 64), f.SetCellStyle(sheet, ref, ref, sty))
			case v.isDur:
				sty := durStyle
				if field == FieldOffset {
					sty = elapsed
				}
				err = firstErr(f.SetCellFloat(sheet, ref, v.dur.Seconds()/86400, -1, 64), f.SetCellStyle(sheet, ref, ref, sty))
				if err == nil && v.sumOf != "" {
					// The segment runs as long as its phases: say so in the
					// cell, so an edit to a phase length carries through.
					end := ri + 1
					for end < len(rows) && !isFirst[end] {
						end++
					}
					pc := colOf[FieldPhaseDuration]
					err = f.SetCellFormula(sheet, ref, fmt.Sprintf("SUM(%s:%s)", cellName(pc, r), cellName(pc, firstData+end-1)))
				}
			case v.text != "":
				err = f.SetCellStr(sheet, ref, v.text)
			}
			if err != nil {
				return wrap(fmt.Errorf("%s!%s: %w", sheet, ref, err))
			}
		}
	}
	// Total row: 合计 and the SUM of 时长, which the importer checks.
	tr := firstData + len(rows)
	dc := colOf[FieldDuration]
	err = firstErr(
		f.SetCellStr(sheet, cellName(colOf[FieldTitle], tr), "合计"),
		f.SetCellStyle(sheet, cellName(1, tr), cellName(len(cols), tr), totalLabel),
		f.SetCellFloat(sheet, cellName(dc, tr), s.Total().Seconds()/86400, -1, 64),
		f.SetCellFormula(sheet, cellName(dc, tr), fmt.Sprintf("SUM(%s:%s)", cellName(dc, firstData), cellName(dc, tr-1))),
		f.SetCellStyle(sheet, cellName(dc, tr), cellName(dc, tr), totalDur),
		f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: headRow, TopLeftCell: cellName(1, headRow+1), ActivePane: "bottomLeft"}),
		f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Orientation: ptr("landscape"), Size: ptr(9), FitToWidth: ptr(1), FitToHeight: ptr(0)}),
		f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: ptr(true)}),
		f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: fmt.Sprintf("'%s'!$%d:$%d", sheet, headRow, headRow), Scope: sheet}),
		f.AutoFilter(sheet, fmt.Sprintf("A%d:%s%d", headRow, lastCol, tr-1), nil),
	)
	if err != nil {
		return wrap(err)
	}

	if _, err := f.NewSheet(showSheetName); err != nil {
		return wrap(err)
	}
	r := 1
	for _, kv := range showSettings(s) {
		if err := firstErr(f.SetCellStr(showSheetName, cellName(1, r), kv[0]), f.SetCellStr(showSheetName, cellName(2, r), kv[1])); err != nil {
			return wrap(err)
		}
		r++
	}
	if err := firstErr(f.SetColWidth(showSheetName, "A", "A", 12), f.SetColWidth(showSheetName, "B", "B", 32)); err != nil {
		return wrap(err)
	}
	for _, write := range extraSheetWriters {
		if err := write(f, s); err != nil {
			return wrap(err)
		}
	}
	var out bytes.Buffer
	if _, err := f.WriteTo(&out); err != nil {
		return wrap(err)
	}
	data, err := numericFormulas(out.Bytes())
	if err != nil {
		return wrap(err)
	}
	if _, err := w.Write(data); err != nil {
		return wrap(err)
	}
	return nil
}

// numericFormulas marks the SUM formulas of the run sheet as numbers.
// excelize types every formula cell as a string (t="str"), so a reader
// that takes the cached value (openpyxl, pandas, a phone preview) would
// see text where the durations are; without the type the cached value is
// the number it is.
func numericFormulas(xlsx []byte) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(xlsx), int64(len(xlsx)))
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			return nil, err
		}
		body, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		if strings.HasPrefix(zf.Name, "xl/worksheets/sheet") {
			body = bytes.ReplaceAll(body, []byte(` t="str"><f>SUM(`), []byte(`><f>SUM(`))
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: zf.Name, Method: zip.Deflate, Modified: zf.Modified})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(body); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// showSettings are the show's label/value pairs, as the 节目 sheet (XLSX)
// and the first row (CSV) hold them.
func showSettings(s *Show) [][2]string {
	vals := map[string]string{"id": s.ID, "title": s.Title, "start": s.Start}
	for k, d := range map[string]time.Duration{"point_cue": s.PointCue, "warning": s.Warning, "danger": s.Danger} {
		if d > 0 {
			vals[k] = FormatDuration(d)
		}
	}
	if s.AdjustmentWindows > 0 {
		vals["adjustment_windows"] = strconv.Itoa(s.AdjustmentWindows)
	}
	var out [][2]string
	for _, fd := range showFields {
		if v := vals[fd.key]; v != "" {
			out = append(out, [2]string{fd.zh, v})
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// exportText is a cell as CSV text: durations as m:ss / h:mm:ss, times of
// day as HH:MM.
func exportText(v exportCell) string {
	switch {
	case v.isClock:
		return timeOfDay(v.dur / time.Second).String()
	case v.isDur:
		return FormatClock(v.dur)
	}
	return v.text
}

// csvSafe keeps a text from being run as a formula by a spreadsheet that
// opens the CSV (=, +, -, @ at the start); the importer strips the guard.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		return "'" + s
	}
	return s
}
