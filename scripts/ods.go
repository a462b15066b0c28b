package scripts

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ImportODS reads an OpenDocument spreadsheet (LibreOffice, WPS) run sheet;
// like ImportXLSX, all or nothing.
func ImportODS(name string, r io.Reader) (*Show, error) {
	wb, err := ReadODS(name, r)
	if err != nil {
		return nil, err
	}
	return wb.Preview(nil).Result()
}

// ReadODS reads every sheet of an .ods file into cells. Time and duration
// cells keep their value as a fraction of a day and a number format built
// from their data style, so they are read like the XLSX ones.
func ReadODS(name string, r io.Reader) (*Workbook, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return nil, &LoadError{File: name, Err: errf("e.read", err)}
	}
	if len(data) > maxFileSize {
		return nil, &LoadError{File: name, Err: errf("e.over_mib", ErrTooLarge, maxFileSize>>20)}
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, &LoadError{File: name, Err: errf("e.not_workbook", ErrSyntax, err)}
	}
	var content, styles []byte
	for _, zf := range zr.File {
		if zf.Name != "content.xml" && zf.Name != "styles.xml" {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return nil, &LoadError{File: name, Err: errf("e.part", ErrSyntax, zf.Name, err)}
		}
		body, err := io.ReadAll(io.LimitReader(rc, xlsxUnzipXMLLimit+1))
		rc.Close()
		if err != nil {
			return nil, &LoadError{File: name, Err: errf("e.part", ErrSyntax, zf.Name, err)}
		}
		if len(body) > xlsxUnzipXMLLimit {
			return nil, &LoadError{File: name, Err: errf("e.unpacks_large", ErrTooLarge, zf.Name)}
		}
		if zf.Name == "content.xml" {
			content = body
		} else {
			styles = body
		}
	}
	if content == nil {
		return nil, &LoadError{File: name, Err: errf("e.not_workbook", ErrSyntax, errf("e.no_sheets", ErrMissingField))}
	}
	wb := &Workbook{File: name}
	st := &odsStyles{data: map[string]string{}, cell: map[string]string{}}
	if styles != nil {
		// Common styles: data styles only; no tables in styles.xml.
		if err := parseODSContent(&Workbook{}, styles, st); err != nil {
			return nil, &LoadError{File: name, Err: errf("e.not_workbook", ErrSyntax, err)}
		}
	}
	if err := parseODSContent(wb, content, st); err != nil {
		return nil, &LoadError{File: name, Err: errf("e.not_workbook", ErrSyntax, err)}
	}
	if len(wb.Sheets) == 0 {
		return nil, &LoadError{File: name, Err: errf("e.no_sheets", ErrMissingField)}
	}
	return wb, nil
}

const (
	nsTable  = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
	nsOffice = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
	nsText   = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
	nsStyle  = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
	nsNumber = "urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0"
	// odsMaxRepeat bounds a repeated row or column that holds content.
	odsMaxRepeat = 1000
)

func attr(se xml.StartElement, space, local string) string {
	for _, a := range se.Attr {
		if a.Name.Space == space && a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// odsStyles maps cell styles to data styles to number format codes.
type odsStyles struct {
	data map[string]string // data style name → number format code
	cell map[string]string // cell style name → data style name
}

func parseODSContent(wb *Workbook, content []byte, st *odsStyles) error {
	dec := xml.NewDecoder(bytes.NewReader(content))
	dataStyles, cellStyles := st.data, st.cell
	var (
		sh        *Sheet
		row       []Cell
		rowRepeat int
		cell      *Cell
		cellRep   int
		text      strings.Builder
		inP       int
		timeStyle string
		timeParts []string
		elapsed   bool
		cells     int
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch {
			case t.Name.Space == nsNumber && (t.Name.Local == "time-style" || t.Name.Local == "date-style"):
				timeStyle, timeParts = attr(t, nsStyle, "name"), nil
				elapsed = attr(t, nsNumber, "truncate-on-overflow") == "false"
				if t.Name.Local == "date-style" {
					timeParts = append(timeParts, "yyyy-mm-dd")
				}
			case t.Name.Space == nsNumber && timeStyle != "":
				switch t.Name.Local {
				case "hours":
					timeParts = append(timeParts, "h")
				case "minutes":
					timeParts = append(timeParts, "mm")
				case "seconds":
					timeParts = append(timeParts, "ss")
				case "day", "month", "year":
					timeParts = append(timeParts, "d")
				}
			case t.Name.Space == nsStyle && t.Name.Local == "style":
				if ds := attr(t, nsStyle, "data-style-name"); ds != "" {
					cellStyles[attr(t, nsStyle, "name")] = ds
				}
			case t.Name.Space == nsTable && t.Name.Local == "table":
				sh = &Sheet{Name: attr(t, nsTable, "name")}
				wb.Sheets = append(wb.Sheets, sh)
			case t.Name.Space == nsTable && t.Name.Local == "table-row" && sh != nil:
				row = nil
				rowRepeat = 1
				if n, err := strconv.Atoi(attr(t, nsTable, "number-rows-repeated")); err == nil && n > 1 {
					rowRepeat = n
				}
			case t.Name.Space == nsTable && (t.Name.Local == "table-cell" || t.Name.Local == "covered-table-cell") && sh != nil:
				cell = &Cell{}
				cellRep = 1
				if n, err := strconv.Atoi(attr(t, nsTable, "number-columns-repeated")); err == nil && n > 1 {
					cellRep = n
				}
				text.Reset()
				if t.Name.Local == "table-cell" {
					odsCellValue(t, cell, cellStyles, dataStyles)
					cs, _ := strconv.Atoi(attr(t, nsTable, "number-columns-spanned"))
					rs, _ := strconv.Atoi(attr(t, nsTable, "number-rows-spanned"))
					if cs > 1 || rs > 1 {
						r, c := len(sh.Rows), len(row)
						sh.Merges = append(sh.Merges, CellRange{Row1: r, Col1: c, Row2: r + max(rs, 1) - 1, Col2: c + max(cs, 1) - 1})
					}
				}
			case t.Name.Space == nsText && t.Name.Local == "p" && cell != nil:
				if inP == 0 && text.Len() > 0 {
					text.WriteByte('\n')
				}
				inP++
			case t.Name.Space == nsText && t.Name.Local == "s" && cell != nil:
				n, err := strconv.Atoi(attr(t, nsText, "c"))
				if err != nil || n < 1 {
					n = 1
				}
				text.WriteString(strings.Repeat(" ", min(n, 100)))
			case t.Name.Space == nsText && t.Name.Local == "line-break" && cell != nil:
				text.WriteByte('\n')
			case t.Name.Space == nsText && t.Name.Local == "tab" && cell != nil:
				text.WriteByte('\t')
			}
		case xml.CharData:
			if cell != nil && inP > 0 {
				text.Write(t)
			}
		case xml.EndElement:
			switch {
			case t.Name.Space == nsNumber && (t.Name.Local == "time-style" || t.Name.Local == "date-style"):
				code := strings.Join(timeParts, ":")
				if elapsed && len(timeParts) > 0 && timeParts[0] != "yyyy-mm-dd" {
					code = "[" + timeParts[0] + "]" + strings.TrimPrefix(code, timeParts[0])
				}
				dataStyles[timeStyle] = code
				timeStyle = ""
			case t.Name.Space == nsText && t.Name.Local == "p":
				inP--
			case t.Name.Space == nsTable && (t.Name.Local == "table-cell" || t.Name.Local == "covered-table-cell") && cell != nil:
				if !cell.IsNum {
					cell.Text = cleanText(text.String())
				}
				if cell.Text == "" && !cell.IsNum {
					// Empty cells, often repeated thousands of times to the
					// sheet's edge: only their width matters.
					row = append(row, make([]Cell, min(cellRep, odsMaxRepeat))...)
				} else {
					for i := 0; i < min(cellRep, odsMaxRepeat); i++ {
						row = append(row, *cell)
					}
				}
				cells += min(cellRep, odsMaxRepeat)
				if cells > maxSheetCells {
					return ErrTooLarge
				}
				cell = nil
			case t.Name.Space == nsTable && t.Name.Local == "table-row" && sh != nil:
				for len(row) > 0 && row[len(row)-1].Text == "" && !row[len(row)-1].IsNum {
					row = row[:len(row)-1]
				}
				n := rowRepeat
				if len(row) == 0 {
					n = min(n, 1) // trailing blank rows to the sheet's end
				}
				for i := 0; i < min(n, odsMaxRepeat); i++ {
					sh.Rows = append(sh.Rows, row)
				}
			case t.Name.Space == nsTable && t.Name.Local == "table" && sh != nil:
				for len(sh.Rows) > 0 && len(sh.Rows[len(sh.Rows)-1]) == 0 {
					sh.Rows = sh.Rows[:len(sh.Rows)-1]
				}
				sh = nil
			}
		}
	}
}

// odsCellValue reads the typed value of an ODS cell.
func odsCellValue(se xml.StartElement, c *Cell, cellStyles, dataStyles map[string]string) {
	c.Formula = attr(se, nsTable, "formula") != ""
	switch attr(se, nsOffice, "value-type") {
	case "float", "percentage", "currency":
		if v, err := strconv.ParseFloat(attr(se, nsOffice, "value"), 64); err == nil {
			c.IsNum, c.Num, c.Text = true, v, attr(se, nsOffice, "value")
		}
	case "time":
		if d, ok := parseISODuration(attr(se, nsOffice, "time-value")); ok {
			c.IsNum, c.Num = true, d.Seconds()/86400
			c.Text = strconv.FormatFloat(c.Num, 'f', -1, 64)
			c.Format = dataStyles[cellStyles[attr(se, nsTable, "style-name")]]
			if c.Format == "" {
				c.Format = "h:mm:ss"
			}
		}
	case "date":
		if tm, err := time.Parse("2006-01-02T15:04:05", attr(se, nsOffice, "date-value")); err == nil {
			c.IsNum, c.Num = true, tm.Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)).Hours()/24
			c.Text = strconv.FormatFloat(c.Num, 'f', -1, 64)
			c.Format = "yyyy-mm-dd"
		} else if tm, err := time.Parse("2006-01-02", attr(se, nsOffice, "date-value")); err == nil {
			c.IsNum, c.Num = true, tm.Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)).Hours()/24
			c.Text = strconv.FormatFloat(c.Num, 'f', -1, 64)
			c.Format = "yyyy-mm-dd"
		}
	}
	if !c.IsNum {
		return
	}
	if f := dataStyles[cellStyles[attr(se, nsTable, "style-name")]]; f != "" && c.Format == "" {
		c.Format = f
	}
}

var isoDurationRE = regexp.MustCompile(`^(-)?P(?:(\d+)D)?T?(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$`)

// parseISODuration reads the ODS time value "PT05H00M00S".
func parseISODuration(s string) (time.Duration, bool) {
	m := isoDurationRE.FindStringSubmatch(s)
	if m == nil || s == "P" || s == "PT" {
		return 0, false
	}
	num := func(i int) float64 {
		v, _ := strconv.ParseFloat(m[i], 64)
		return v
	}
	secs := num(2)*86400 + num(3)*3600 + num(4)*60 + num(5)
	if secs > 1e9 {
		return 0, false
	}
	if m[1] == "-" {
		secs = -secs
	}
	return time.Duration(math.Round(secs)) * time.Second, true
}
