package scripts

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// runColumn is a show setting of the 节目 sheet (see docs/script-format.md).
type runColumn struct {
	key, zh  string
	required bool
}

// showFields are the rows of the optional 节目 / show sheet.
var showFields = []runColumn{
	{"id", "编号", false},
	{"title", "标题", false},
	{"start", "开播时间", false},
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
	// maxSheetCells bounds the cells read from one workbook.
	maxSheetCells = 2_000_000
)

func cellName(col, row int) string {
	name, err := excelize.CoordinatesToCellName(col, row)
	if err != nil {
		return "R" + strconv.Itoa(row) + "C" + strconv.Itoa(col)
	}
	return name
}

// ImportXLSX reads a run sheet (see docs/script-format.md): it finds the
// rundown sheet and its header, maps the columns by meaning and builds the
// show. It is all-or-nothing: on any error the show is nil and the error
// (an *ImportError) lists every problem with its sheet!cell.
func ImportXLSX(name string, r io.Reader) (*Show, error) {
	wb, err := ReadXLSX(name, r)
	if err != nil {
		return nil, err
	}
	return wb.Preview(nil).Result()
}

// ReadXLSX reads every sheet of a workbook into cells, with the number
// format of each numeric cell (a time-of-day cell and a duration cell
// differ only in it).
func ReadXLSX(name string, r io.Reader) (*Workbook, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return nil, &LoadError{File: name, Err: errf("e.read", err)}
	}
	if len(data) > maxFileSize {
		return nil, &LoadError{File: name, Err: errf("e.over_mib", ErrTooLarge, maxFileSize>>20)}
	}
	data, sanitized, err := sanitizeXLSX(data)
	if err != nil {
		return nil, &LoadError{File: name, Err: err}
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit: xlsxUnzipLimit, UnzipXMLSizeLimit: xlsxUnzipXMLLimit,
	})
	if err != nil {
		return nil, &LoadError{File: name, Err: errf("e.not_workbook", ErrSyntax, err)}
	}
	defer f.Close()
	wb := &Workbook{File: name, sanitized: sanitized}
	formats := make(map[int]string)
	cells := 0
	for _, sheet := range f.GetSheetList() {
		raw, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, &LoadError{File: name, Sheet: sheet, Err: errf("e.colon", ErrSyntax, err)}
		}
		sh := &Sheet{Name: sheet, Rows: make([][]Cell, len(raw))}
		for r, row := range raw {
			cells += len(row)
			if cells > maxSheetCells {
				return nil, &LoadError{File: name, Sheet: sheet, Err: errf("e.over_mib", ErrTooLarge, maxFileSize>>20)}
			}
			sh.Rows[r] = make([]Cell, len(row))
			for c, v := range row {
				if v == "" {
					continue
				}
				cell := Cell{Text: cleanText(v)}
				if !utf8.ValidString(v) {
					cell.Text = strings.ToValidUTF8(v, "\uFFFD")
					wb.sanitized = true
				}
				if num, perr := strconv.ParseFloat(strings.TrimSpace(v), 64); perr == nil {
					ref := cellName(c+1, r+1)
					if typ, terr := f.GetCellType(sheet, ref); terr == nil && (typ == excelize.CellTypeNumber || typ == excelize.CellTypeUnset || typ == excelize.CellTypeFormula || typ == excelize.CellTypeDate) {
						cell.IsNum, cell.Num = true, num
						cell.Format = numberFormat(f, sheet, ref, formats)
					}
				}
				if fm, ferr := f.GetCellFormula(sheet, cellName(c+1, r+1)); ferr == nil && fm != "" {
					cell.Formula = true
				}
				sh.Rows[r][c] = cell
			}
		}
		if merges, err := f.GetMergeCells(sheet, true); err == nil {
			for _, m := range merges {
				c1, r1, e1 := excelize.CellNameToCoordinates(m.GetStartAxis())
				c2, r2, e2 := excelize.CellNameToCoordinates(m.GetEndAxis())
				if e1 == nil && e2 == nil {
					sh.Merges = append(sh.Merges, CellRange{Row1: r1 - 1, Col1: c1 - 1, Row2: r2 - 1, Col2: c2 - 1})
				}
			}
		}
		wb.Sheets = append(wb.Sheets, sh)
	}
	if len(wb.Sheets) == 0 {
		return nil, &LoadError{File: name, Err: errf("e.no_sheets", ErrMissingField)}
	}
	return wb, nil
}

// builtinFormats are the built-in number formats that matter here: times,
// durations and dates (ECMA-376 §18.8.30).
var builtinFormats = map[int]string{
	14: "m/d/yyyy", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy",
	18: "h:mm am/pm", 19: "h:mm:ss am/pm", 20: "h:mm", 21: "h:mm:ss", 22: "m/d/yyyy h:mm",
	45: "mm:ss", 46: "[h]:mm:ss", 47: "mm:ss.0",
	27: "yyyy\"年\"m\"月\"", 28: "m\"月\"d\"日\"", 29: "m\"月\"d\"日\"", 30: "m-d-yy", 31: "yyyy\"年\"m\"月\"d\"日\"",
	32: "h\"时\"mm\"分\"", 33: "h\"时\"mm\"分\"ss\"秒\"", 34: "上午/下午h\"时\"mm\"分\"", 35: "上午/下午h\"时\"mm\"分\"ss\"秒\"",
	36: "yyyy\"年\"m\"月\"", 50: "yyyy\"年\"m\"月\"", 51: "m\"月\"d\"日\"", 52: "yyyy\"年\"m\"月\"", 53: "m\"月\"d\"日\"",
	54: "m\"月\"d\"日\"", 55: "上午/下午h\"时\"mm\"分\"", 56: "上午/下午h\"时\"mm\"分\"ss\"秒\"", 57: "yyyy\"年\"m\"月\"", 58: "m\"月\"d\"日\"",
}

func numberFormat(f *excelize.File, sheet, ref string, cache map[int]string) string {
	idx, err := f.GetCellStyle(sheet, ref)
	if err != nil {
		return ""
	}
	if v, ok := cache[idx]; ok {
		return v
	}
	code := ""
	if st, err := f.GetStyle(idx); err == nil && st != nil {
		if st.CustomNumFmt != nil {
			code = *st.CustomNumFmt
		} else {
			code = builtinFormats[st.NumFmt]
		}
	}
	code = strings.ToLower(code)
	if code == "general" || code == "@" {
		code = ""
	}
	cache[idx] = code
	return code
}

// sanitizeXLSX replaces invalid UTF-8 in the workbook's XML parts with
// U+FFFD. Without it the XML decoder drops a whole part (every shared
// string), and the error would name the wrong place. It reports whether
// anything was replaced.
func sanitizeXLSX(data []byte) ([]byte, bool, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, false, errf("e.not_workbook", ErrSyntax, err)
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
				return nil, false, errf("e.part", ErrSyntax, zf.Name, err)
			}
			body, err := io.ReadAll(io.LimitReader(rc, xlsxUnzipXMLLimit+1))
			rc.Close()
			if err != nil {
				return nil, false, errf("e.part", ErrSyntax, zf.Name, err)
			}
			total += int64(len(body))
			if len(body) > xlsxUnzipXMLLimit || total > xlsxUnzipLimit {
				return nil, false, errf("e.unpacks_large", ErrTooLarge, zf.Name)
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
				return nil, false, errf("e.part", ErrSyntax, p.f.Name, err)
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

func parseFlag(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "否", "false", "no", "n", "0", "×", "x":
		return false, true
	case "是", "true", "yes", "y", "1", "✓", "√", "★", "主推":
		return true, true
	}
	return false, false
}
