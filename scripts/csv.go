package scripts

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// utf8BOM starts the CSV files ExportCSV writes, so Excel reads them as
// UTF-8 rather than the system code page.
const utf8BOM = "\uFEFF"

// ReadCSV reads a CSV run sheet into one sheet of cells. UTF-8 (with or
// without BOM) is expected; a file that is not UTF-8 is read as GB18030,
// which is what Excel saves "CSV" as on a Chinese system.
func ReadCSV(name string, r io.Reader) (*Workbook, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return nil, &LoadError{File: name, Err: errf("e.read", err)}
	}
	if len(data) > maxFileSize {
		return nil, &LoadError{File: name, Err: errf("e.over_mib", ErrTooLarge, maxFileSize>>20)}
	}
	data = bytes.TrimPrefix(data, []byte(utf8BOM))
	if !utf8.Valid(data) {
		dec, derr := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if derr != nil || !utf8.Valid(dec) {
			return nil, &LoadError{File: name, Line: 1 + bytes.Count(data[:max(invalidUTF8At(data), 0)], []byte{'\n'}), Err: ErrBadUTF8}
		}
		data = dec
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	sheetName := strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	sh := &Sheet{Name: sheetName}
	cells := 0
	lastLine := 0 // the line the previous record ended on
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.Line
			}
			return nil, &LoadError{File: name, Line: line, Err: errf("e.not_csv", ErrSyntax, err)}
		}
		// encoding/csv skips blank lines; a spreadsheet shows them as empty
		// rows, so keep them and every cell keeps its row number.
		if line, _ := cr.FieldPos(0); line > lastLine+1 {
			for n := line - lastLine - 1; n > 0 && len(sh.Rows) < maxSheetCells; n-- {
				sh.Rows = append(sh.Rows, nil)
			}
		}
		if line, _ := cr.FieldPos(len(rec) - 1); line > 0 {
			lastLine = line + strings.Count(rec[len(rec)-1], "\n")
		}
		cells += len(rec) + 1
		if cells > maxSheetCells {
			return nil, &LoadError{File: name, Err: errf("e.over_mib", ErrTooLarge, maxFileSize>>20)}
		}
		row := make([]Cell, len(rec))
		for i, v := range rec {
			switch {
			case len(v) > 1 && v[0] == '\'' && strings.ContainsRune("=+-@", rune(v[1])):
				v = v[1:] // the guard ExportCSV puts before formula-like text
			case strings.HasPrefix(v, "="):
				row[i].Formula = true
			}
			row[i].Text = cleanText(v)
		}
		sh.Rows = append(sh.Rows, row)
	}
	return &Workbook{File: name, Sheets: []*Sheet{sh}}, nil
}

// ImportCSV reads a CSV run sheet; like ImportXLSX, all or nothing.
func ImportCSV(name string, r io.Reader) (*Show, error) {
	wb, err := ReadCSV(name, r)
	if err != nil {
		return nil, err
	}
	return wb.Preview(nil).Result()
}

// ExportCSV writes the show as a CSV run sheet (UTF-8 with BOM, which
// Excel opens correctly): the show settings as label/value pairs on row 1,
// the header on row 2, the rundown below and a total row. ImportCSV reads
// it back to an equal show.
func ExportCSV(s *Show, w io.Writer) error {
	if s == nil {
		return errors.New("scripts: export csv: nil show")
	}
	if iss := checkStructure(s); iss != nil {
		return iss.asError(s, "export csv")
	}
	var buf bytes.Buffer
	buf.WriteString(utf8BOM)
	cw := csv.NewWriter(&buf)
	cw.UseCRLF = true
	var meta []string
	for _, kv := range showSettings(s) {
		label := kv[0]
		if label == "标题" {
			label = "节目标题"
		}
		meta = append(meta, label, csvSafe(kv[1]))
	}
	cols := exportColumns(s)
	head := make([]string, len(cols))
	colOf := make(map[Field]int, len(cols))
	for i, c := range cols {
		head[i] = c.header
		colOf[c.field] = i
	}
	if err := cw.Write(meta); err != nil {
		return fmt.Errorf("scripts: export csv: %w", err)
	}
	if err := cw.Write(head); err != nil {
		return fmt.Errorf("scripts: export csv: %w", err)
	}
	rows, segFirst := exportRows(s)
	isFirst := make(map[int]bool, len(segFirst))
	for _, i := range segFirst {
		isFirst[i] = true
	}
	const firstData = 3
	for ri, row := range rows {
		rec := make([]string, len(cols))
		for field, v := range row {
			i, ok := colOf[field]
			if !ok {
				continue
			}
			if v.sumOf != "" {
				end := ri + 1
				for end < len(rows) && !isFirst[end] {
					end++
				}
				pc := colOf[FieldPhaseDuration] + 1
				rec[i] = fmt.Sprintf("=SUM(%s:%s)", cellName(pc, firstData+ri), cellName(pc, firstData+end-1))
				continue
			}
			rec[i] = csvSafe(exportText(v))
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("scripts: export csv: %w", err)
		}
	}
	total := make([]string, len(cols))
	total[colOf[FieldTitle]] = "合计"
	total[colOf[FieldDuration]] = FormatClock(s.Total())
	if err := cw.Write(total); err != nil {
		return fmt.Errorf("scripts: export csv: %w", err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("scripts: export csv: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("scripts: export csv: %w", err)
	}
	return nil
}
