package scripts

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// runColumn is one column of the run sheet (see docs/script-format.md).
type runColumn struct {
	key, zh  string
	required bool
}

// runColumns in export order. Headers match either name, case-insensitively.
var runColumns = []runColumn{
	{"id", "序号", true},
	{"title", "环节", true},
	{"kind", "类型", true},
	{"duration", "时长", true},
	{"product", "产品", false},
	{"flagship", "主推", false},
	{"preset", "预设", false},
	{"recall_preset", "调用预设", false},
	{"interaction", "互动", false},
	{"notes", "备注", false},
	{"phase", "阶段", false},
	{"phase_duration", "阶段时长", false},
	{"point", "卖点", false},
	{"point_duration", "卖点时长", false},
}

// segmentColumns are the columns that describe the segment as a whole; they
// are read from the segment's first row and may only be repeated unchanged.
var segmentColumns = []string{"title", "kind", "duration", "product", "flagship", "preset", "recall_preset", "interaction", "notes"}

// showFields are the rows of the optional second sheet (节目 / show).
var showFields = []runColumn{
	{"id", "编号", false},
	{"title", "标题", false},
	{"point_cue", "卖点提示", false},
	{"warning", "预警", false},
	{"danger", "危险", false},
	{"adjustment_windows", "调整窗口", false},
}

const (
	runSheetName  = "脚本"
	showSheetName = "节目"
	// Unzipped-size caps: a run sheet is kilobytes; these stop a zip bomb.
	xlsxUnzipLimit    = 128 << 20
	xlsxUnzipXMLLimit = 16 << 20
)

func lookupColumn(cols []runColumn, header string) (runColumn, bool) {
	h := strings.ToLower(strings.TrimSpace(header))
	for _, c := range cols {
		if h == c.key || h == c.zh {
			return c, true
		}
	}
	return runColumn{}, false
}

func cellName(col, row int) string {
	name, err := excelize.CoordinatesToCellName(col, row)
	if err != nil {
		return "R" + strconv.Itoa(row) + "C" + strconv.Itoa(col)
	}
	return name
}

// xlsxReader holds the state of one import, for located errors.
type xlsxReader struct {
	file  string
	f     *excelize.File
	sheet string
	col   map[string]int // column key → 1-based column
	// sanitized is set when the workbook's XML held invalid UTF-8, replaced
	// by U+FFFD so the cell holding it can be named.
	sanitized bool
	// Rows where each element starts, to locate structure issues.
	segRows   []int
	phaseRows [][]int
	pointRows [][][]int
}

func (x *xlsxReader) fail(sheet string, col, row int, field string, err error) error {
	return &LoadError{File: x.file, Sheet: sheet, Cell: cellName(col, row), Field: field, Err: err}
}

// ImportXLSX reads a run sheet (see docs/script-format.md). name is used in
// error messages and, when the workbook has no 节目 sheet, as the show id and
// title. It is all-or-nothing: on any error the show is nil.
func ImportXLSX(name string, r io.Reader) (*Show, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return nil, &LoadError{File: name, Err: fmt.Errorf("read: %w", err)}
	}
	if len(data) > maxFileSize {
		return nil, &LoadError{File: name, Err: fmt.Errorf("%w (over %d MiB)", ErrTooLarge, maxFileSize>>20)}
	}
	data, sanitized, err := sanitizeXLSX(data)
	if err != nil {
		return nil, &LoadError{File: name, Err: err}
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit: xlsxUnzipLimit, UnzipXMLSizeLimit: xlsxUnzipXMLLimit,
	})
	if err != nil {
		return nil, &LoadError{File: name, Err: fmt.Errorf("%w: not an xlsx workbook: %w", ErrSyntax, err)}
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, &LoadError{File: name, Err: fmt.Errorf("%w: no sheets", ErrMissingField)}
	}
	x := &xlsxReader{file: name, f: f, sheet: sheets[0], sanitized: sanitized}
	s := &Show{}
	if err := x.readRundown(s); err != nil {
		return nil, err
	}
	showSheet := ""
	for _, sh := range sheets[1:] {
		if sh == showSheetName || strings.EqualFold(sh, "show") {
			showSheet = sh
			break
		}
	}
	if showSheet != "" {
		if err := x.readShowSheet(s, showSheet); err != nil {
			return nil, err
		}
	} else {
		base := strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
		s.ID, s.Title = base, base
	}
	if iss := checkStructure(s); iss != nil {
		return nil, x.located(s, iss, showSheet)
	}
	if err := x.readInteractions(s, sheets); err != nil {
		return nil, err
	}
	return s, nil
}

func (x *xlsxReader) badText(v string) bool {
	return !utf8.ValidString(v) || (x.sanitized && strings.ContainsRune(v, utf8.RuneError))
}

// sanitizeXLSX replaces invalid UTF-8 in the workbook's XML parts with
// U+FFFD. Without it the XML decoder drops a whole part (every shared
// string), and the error would name the wrong place. It reports whether
// anything was replaced.
func sanitizeXLSX(data []byte) ([]byte, bool, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, false, fmt.Errorf("%w: not an xlsx workbook: %w", ErrSyntax, err)
	}
	type part struct {
		f    *zip.File
		body []byte
	}
	parts := make([]part, 0, len(zr.File))
	changed := false
	var total int64
	for _, zf := range zr.File {
		p := part{f: zf}
		if strings.HasSuffix(zf.Name, ".xml") {
			rc, err := zf.Open()
			if err != nil {
				return nil, false, fmt.Errorf("%w: %s: %w", ErrSyntax, zf.Name, err)
			}
			body, err := io.ReadAll(io.LimitReader(rc, xlsxUnzipXMLLimit+1))
			rc.Close()
			if err != nil {
				return nil, false, fmt.Errorf("%w: %s: %w", ErrSyntax, zf.Name, err)
			}
			total += int64(len(body))
			if len(body) > xlsxUnzipXMLLimit || total > xlsxUnzipLimit {
				return nil, false, fmt.Errorf("%w: %s unpacks too large", ErrTooLarge, zf.Name)
			}
			if !utf8.Valid(body) {
				body, changed = bytes.ToValidUTF8(body, []byte("\uFFFD")), true
			}
			p.body = body
		}
		parts = append(parts, p)
	}
	if !changed {
		return data, false, nil
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, p := range parts {
		if p.body == nil {
			// Copy non-XML parts (images, binaries) unchanged.
			if err := zw.Copy(p.f); err != nil {
				return nil, false, fmt.Errorf("%w: %s: %w", ErrSyntax, p.f.Name, err)
			}
			continue
		}
		w, err := zw.Create(p.f.Name)
		if err == nil {
			_, err = w.Write(p.body)
		}
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", p.f.Name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return nil, false, err
	}
	return out.Bytes(), true, nil
}

// cellText reads one formatted cell of a row, trimmed, checking UTF-8.
func (x *xlsxReader) cellText(row []string, key string, rowNum int) (string, error) {
	c, ok := x.col[key]
	if !ok || c-1 >= len(row) {
		return "", nil
	}
	v := row[c-1]
	if x.badText(v) {
		return "", x.fail(x.sheet, c, rowNum, "", ErrBadUTF8)
	}
	return strings.TrimSpace(v), nil
}

// durationCell reads a duration cell. Excel stores a typed-in time such as
// 0:05:00 as a fraction of a day, so numeric cells are read that way rather
// than through their display text (which "h:mm" would make ambiguous).
func (x *xlsxReader) durationCell(sheet string, col, rowNum int, text, field string) (time.Duration, error) {
	if text == "" {
		return 0, nil
	}
	ref := cellName(col, rowNum)
	typ, err := x.f.GetCellType(sheet, ref)
	if err == nil && (typ == excelize.CellTypeNumber || typ == excelize.CellTypeUnset) {
		raw, rerr := x.f.GetCellValue(sheet, ref, excelize.Options{RawCellValue: true})
		if v, perr := strconv.ParseFloat(strings.TrimSpace(raw), 64); rerr == nil && perr == nil {
			if v < 0 || v >= 1 || math.IsNaN(v) {
				return 0, x.fail(sheet, col, rowNum, field, fmt.Errorf("%q: %w (a plain number; write 5m, 30s or 05:00)", text, ErrBadDuration))
			}
			return time.Duration(math.Round(v*86400)) * time.Second, nil
		}
	}
	d, err := ParseDuration(text)
	if err != nil {
		return 0, x.fail(sheet, col, rowNum, field, err)
	}
	return d, nil
}

func parseFlag(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "", "否", "false", "no", "n", "0", "×":
		return false, true
	case "是", "true", "yes", "y", "1", "✓", "√":
		return true, true
	}
	return false, false
}

func (x *xlsxReader) readRundown(s *Show) error {
	rows, err := x.f.GetRows(x.sheet)
	if err != nil {
		return &LoadError{File: x.file, Sheet: x.sheet, Err: fmt.Errorf("%w: %w", ErrSyntax, err)}
	}
	if len(rows) == 0 {
		return x.fail(x.sheet, 1, 1, "", fmt.Errorf("%w %q", ErrMissingColumn, runColumns[0].zh))
	}
	x.col = make(map[string]int, len(runColumns))
	for i, h := range rows[0] {
		if x.badText(h) {
			return x.fail(x.sheet, i+1, 1, "", ErrBadUTF8)
		}
		if strings.TrimSpace(h) == "" {
			continue
		}
		c, ok := lookupColumn(runColumns, h)
		if !ok {
			return x.fail(x.sheet, i+1, 1, "", fmt.Errorf("%w: column %q", ErrUnknownField, strings.TrimSpace(h)))
		}
		if prev, dup := x.col[c.key]; dup {
			return x.fail(x.sheet, i+1, 1, "", fmt.Errorf("%w: column %q given twice (first at %s)", ErrBadValue, c.zh, cellName(prev, 1)))
		}
		x.col[c.key] = i + 1
	}
	for _, c := range runColumns {
		if _, ok := x.col[c.key]; c.required && !ok {
			// Point at where the column would go: the first cell after the headers.
			return x.fail(x.sheet, len(rows[0])+1, 1, "", fmt.Errorf("%w %q", ErrMissingColumn, c.zh))
		}
	}

	var (
		cur      *Segment
		curRaw   map[string]string // the segment's first-row values
		curRow   int
		curPhase *Phase
		seen     = make(map[string]int) // segment id → its first row
	)
	for i := 1; i < len(rows); i++ {
		rowNum := i + 1
		vals := make(map[string]string, len(runColumns))
		empty := true
		for _, c := range runColumns {
			v, err := x.cellText(rows[i], c.key, rowNum)
			if err != nil {
				return err
			}
			vals[c.key] = v
			empty = empty && v == ""
		}
		if empty {
			continue
		}
		id := vals["id"]
		if id != "" && (cur == nil || id != cur.ID) {
			if first, dup := seen[id]; dup {
				return x.fail(x.sheet, x.col["id"], rowNum, "id", fmt.Errorf("%q: %w (first at %s)", id, ErrDuplicateID, cellName(x.col["id"], first)))
			}
			seen[id] = rowNum
			s.Segments = append(s.Segments, Segment{ID: id})
			cur, curPhase, curRaw, curRow = &s.Segments[len(s.Segments)-1], nil, vals, rowNum
			x.segRows = append(x.segRows, rowNum)
			x.phaseRows = append(x.phaseRows, nil)
			x.pointRows = append(x.pointRows, nil)
			if err := x.segmentFields(cur, vals, rowNum); err != nil {
				return err
			}
		} else {
			if cur == nil {
				return x.fail(x.sheet, x.col["id"], rowNum, "id", ErrMissingField)
			}
			for _, k := range segmentColumns {
				if v := vals[k]; v != "" && v != curRaw[k] {
					return x.fail(x.sheet, x.col[k], rowNum, "", fmt.Errorf("%q: %w: differs from the segment's first row (row %d); leave it empty", v, ErrBadValue, curRow))
				}
			}
		}
		si := len(s.Segments) - 1

		phase, phaseDur := vals["phase"], vals["phase_duration"]
		switch {
		case phase != "" && (curPhase == nil || phase != curPhase.Name):
			for _, p := range cur.Phases {
				if p.Name == phase {
					return x.fail(x.sheet, x.col["phase"], rowNum, "", fmt.Errorf("%q: %w", phase, ErrDuplicatePhase))
				}
			}
			d, err := x.durationCell(x.sheet, x.col["phase_duration"], rowNum, phaseDur, "phase duration")
			if err != nil {
				return err
			}
			cur.Phases = append(cur.Phases, Phase{Name: phase, Duration: d})
			curPhase = &cur.Phases[len(cur.Phases)-1]
			x.phaseRows[si] = append(x.phaseRows[si], rowNum)
			x.pointRows[si] = append(x.pointRows[si], nil)
		case phaseDur != "":
			if curPhase == nil || phase == "" {
				return x.fail(x.sheet, x.col["phase"], rowNum, "phase", fmt.Errorf("%w (a phase duration needs its phase name)", ErrMissingField))
			}
			d, err := x.durationCell(x.sheet, x.col["phase_duration"], rowNum, phaseDur, "phase duration")
			if err != nil {
				return err
			}
			if d != curPhase.Duration {
				return x.fail(x.sheet, x.col["phase_duration"], rowNum, "", fmt.Errorf("%q: %w: differs from the phase's first row; leave it empty", phaseDur, ErrBadValue))
			}
		}

		point, pointDur := vals["point"], vals["point_duration"]
		if point == "" {
			if pointDur != "" {
				return x.fail(x.sheet, x.col["point"], rowNum, "point", fmt.Errorf("%w (a point duration needs its text)", ErrMissingField))
			}
			continue
		}
		if curPhase == nil {
			return x.fail(x.sheet, x.colOr("phase", "point"), rowNum, "phase", fmt.Errorf("%w (selling points belong to a phase)", ErrMissingField))
		}
		d, err := x.durationCell(x.sheet, x.col["point_duration"], rowNum, pointDur, "point duration")
		if err != nil {
			return err
		}
		curPhase.Points = append(curPhase.Points, SellingPoint{Text: point, Duration: d})
		pi := len(cur.Phases) - 1
		x.pointRows[si][pi] = append(x.pointRows[si][pi], rowNum)
	}
	return nil
}

// colOr returns the column of key, or of fallback when key is absent.
func (x *xlsxReader) colOr(key, fallback string) int {
	if c, ok := x.col[key]; ok {
		return c
	}
	return x.col[fallback]
}

func (x *xlsxReader) segmentFields(g *Segment, vals map[string]string, rowNum int) error {
	g.Title = vals["title"]
	g.Kind = normaliseKind(vals["kind"])
	g.Product = vals["product"]
	g.PresetID = vals["preset"]
	g.Interaction = vals["interaction"]
	g.Notes = vals["notes"]
	var err error
	if g.Duration, err = x.durationCell(x.sheet, x.col["duration"], rowNum, vals["duration"], "duration"); err != nil {
		return err
	}
	for _, b := range []struct {
		key string
		dst *bool
	}{{"flagship", &g.Flagship}, {"recall_preset", &g.RecallPreset}} {
		v, ok := parseFlag(vals[b.key])
		if !ok {
			return x.fail(x.sheet, x.col[b.key], rowNum, "", fmt.Errorf("%q: %w (want 是 or 否)", vals[b.key], ErrBadValue))
		}
		*b.dst = v
	}
	return nil
}

func (x *xlsxReader) readShowSheet(s *Show, sheet string) error {
	rows, err := x.f.GetRows(sheet)
	if err != nil {
		return &LoadError{File: x.file, Sheet: sheet, Err: fmt.Errorf("%w: %w", ErrSyntax, err)}
	}
	seen := make(map[string]bool)
	for i, row := range rows {
		rowNum := i + 1
		for c, v := range row {
			if x.badText(v) {
				return x.fail(sheet, c+1, rowNum, "", ErrBadUTF8)
			}
		}
		if len(row) == 0 || strings.TrimSpace(row[0]) == "" {
			continue
		}
		f, ok := lookupColumn(showFields, row[0])
		if !ok {
			return x.fail(sheet, 1, rowNum, "", fmt.Errorf("%w %q", ErrUnknownField, strings.TrimSpace(row[0])))
		}
		if seen[f.key] {
			return x.fail(sheet, 1, rowNum, "", fmt.Errorf("%w: %q given twice", ErrBadValue, f.zh))
		}
		seen[f.key] = true
		v := ""
		if len(row) > 1 {
			v = strings.TrimSpace(row[1])
		}
		switch f.key {
		case "id":
			s.ID = v
		case "title":
			s.Title = v
		case "point_cue", "warning", "danger":
			d, err := x.durationCell(sheet, 2, rowNum, v, f.key)
			if err != nil {
				return err
			}
			switch f.key {
			case "point_cue":
				s.PointCue = d
			case "warning":
				s.Warning = d
			default:
				s.Danger = d
			}
		case "adjustment_windows":
			n, err := strconv.Atoi(v)
			if v != "" && (err != nil || n < 0 || n > 100) {
				return x.fail(sheet, 2, rowNum, f.key, fmt.Errorf("%q: %w (want a whole number 0-100)", v, ErrBadValue))
			}
			s.AdjustmentWindows = n
		}
	}
	return nil
}

// located turns a structure issue into a LoadError at the right cell.
func (x *xlsxReader) located(s *Show, iss *issue, showSheet string) error {
	if iss.seg < 0 {
		e := &LoadError{File: x.file, Sheet: showSheet, Field: iss.label(), Err: iss.err}
		if showSheet == "" {
			e.Sheet = x.sheet
		}
		return e
	}
	row := x.segRows[iss.seg]
	key := iss.field
	switch {
	case iss.point >= 0:
		row, key = x.pointRows[iss.seg][iss.phase][iss.point], "point_duration"
	case iss.phase >= 0:
		row = x.phaseRows[iss.seg][iss.phase]
		if key == "name" {
			key = "phase"
		} else {
			key = "phase_duration"
		}
	}
	col, ok := x.col[key]
	if !ok {
		col = x.col["id"]
	}
	e := &LoadError{File: x.file, Sheet: x.sheet, Cell: cellName(col, row), Field: iss.label(), Err: iss.err}
	if iss.dupOf >= 0 {
		e.Err = fmt.Errorf("%w (first at %s)", iss.err, cellName(x.col["id"], x.segRows[iss.dupOf]))
	}
	return e
}

// ExportXLSX writes the show as a run sheet that ImportXLSX reads back to an
// equal show: the rundown on the first sheet, show settings on 节目.
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
	if err := f.SetSheetName("Sheet1", runSheetName); err != nil {
		return fmt.Errorf("scripts: export xlsx: %w", err)
	}
	set := func(sheet string, col, row int, v string) error {
		if v == "" {
			return nil
		}
		if err := f.SetCellStr(sheet, cellName(col, row), v); err != nil {
			return fmt.Errorf("scripts: export xlsx: %s!%s: %w", sheet, cellName(col, row), err)
		}
		return nil
	}
	colOf := make(map[string]int, len(runColumns))
	for i, c := range runColumns {
		colOf[c.key] = i + 1
		if err := set(runSheetName, i+1, 1, c.zh); err != nil {
			return err
		}
	}
	row := 2
	for si := range s.Segments {
		g := &s.Segments[si]
		segVals := map[string]string{
			"id": g.ID, "title": g.Title, "kind": kindNamesZH[g.Kind],
			"product": g.Product, "preset": g.PresetID, "interaction": g.Interaction, "notes": g.Notes,
			"flagship": flag(g.Flagship), "recall_preset": flag(g.RecallPreset),
		}
		if g.Duration > 0 {
			segVals["duration"] = FormatDuration(g.Duration)
		}
		first := true
		writeRow := func(vals map[string]string) error {
			if first {
				for k, v := range segVals {
					vals[k] = v
				}
				first = false
			}
			for k, v := range vals {
				if err := set(runSheetName, colOf[k], row, v); err != nil {
					return err
				}
			}
			row++
			return nil
		}
		if len(g.Phases) == 0 {
			if err := writeRow(map[string]string{}); err != nil {
				return err
			}
			continue
		}
		for _, p := range g.Phases {
			phaseVals := map[string]string{"phase": p.Name, "phase_duration": FormatDuration(p.Duration)}
			if len(p.Points) == 0 {
				if err := writeRow(phaseVals); err != nil {
					return err
				}
				continue
			}
			for ti, sp := range p.Points {
				vals := map[string]string{"phase": p.Name, "point": sp.Text}
				if ti == 0 {
					vals["phase_duration"] = phaseVals["phase_duration"]
				}
				if sp.Duration > 0 {
					vals["point_duration"] = FormatDuration(sp.Duration)
				}
				if err := writeRow(vals); err != nil {
					return err
				}
			}
		}
	}
	for _, c := range []struct {
		col   string
		width float64
	}{{"B", 18}, {"J", 24}, {"M", 48}} {
		if err := f.SetColWidth(runSheetName, c.col, c.col, c.width); err != nil {
			return fmt.Errorf("scripts: export xlsx: %w", err)
		}
	}
	if err := f.SetPanes(runSheetName, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("scripts: export xlsx: %w", err)
	}

	if _, err := f.NewSheet(showSheetName); err != nil {
		return fmt.Errorf("scripts: export xlsx: %w", err)
	}
	showVals := map[string]string{"id": s.ID, "title": s.Title}
	for k, d := range map[string]time.Duration{"point_cue": s.PointCue, "warning": s.Warning, "danger": s.Danger} {
		if d > 0 {
			showVals[k] = FormatDuration(d)
		}
	}
	if s.AdjustmentWindows > 0 {
		showVals["adjustment_windows"] = strconv.Itoa(s.AdjustmentWindows)
	}
	r := 1
	for _, fd := range showFields {
		v, ok := showVals[fd.key]
		if !ok {
			continue
		}
		if err := set(showSheetName, 1, r, fd.zh); err != nil {
			return err
		}
		if err := set(showSheetName, 2, r, v); err != nil {
			return err
		}
		r++
	}
	if err := f.SetColWidth(showSheetName, "B", "B", 32); err != nil {
		return fmt.Errorf("scripts: export xlsx: %w", err)
	}
	if err := writeInteractSheet(f, s); err != nil {
		return err
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("scripts: export xlsx: %w", err)
	}
	return nil
}

func flag(b bool) string {
	if b {
		return "是"
	}
	return ""
}
