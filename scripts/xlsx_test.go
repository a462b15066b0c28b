package scripts

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

func loadDemo(t *testing.T) *Show {
	t.Helper()
	data, err := os.ReadFile("../assets/demo/show.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := LoadYAML("show.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// workbook builds an xlsx with the given rows on Sheet1; string cells are
// written as text, other values with excelize's own typing.
func workbook(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for r, row := range rows {
		for c, v := range row {
			if v == nil {
				continue
			}
			ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
			var err error
			if s, ok := v.(string); ok {
				err = f.SetCellStr("Sheet1", ref, s)
			} else {
				err = f.SetCellValue("Sheet1", ref, v)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestXLSXRoundTripDemo(t *testing.T) {
	demo := loadDemo(t)
	var buf bytes.Buffer
	if err := ExportXLSX(demo, &buf); err != nil {
		t.Fatal(err)
	}
	got, err := ImportXLSX("demo.xlsx", &buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, demo) {
		t.Fatalf("xlsx round trip differs:\n got %+v\nwant %+v", got, demo)
	}
}

var header = []any{"序号", "环节", "类型", "时长", "产品", "主推", "阶段", "阶段时长", "卖点", "卖点时长"}

func TestImportXLSXLayout(t *testing.T) {
	data := workbook(t, [][]any{
		{"ID", "Title", "Kind", "Duration", "Product", "Flagship", "Phase", "Phase_Duration", "Point", "Point_Duration"},
		{"open", "开场", "开场", "1:00"},
		{},
		{"p1", "精华液", "产品", "", "精华液 30ml", "是", "核心卖点", "1m", "保湿", "20s"},
		{"", "", "", "", "", "", "", "", "修护"},
		{"p1", "", "", "", "", "", "场景演示", 3 * time.Minute, "上脸"},
		{"end", "收尾", "closing", 2 * time.Minute},
	})
	s, err := ImportXLSX("run.xlsx", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	want := &Show{ID: "run", Title: "run", Segments: []Segment{
		{ID: "open", Title: "开场", Kind: KindOpening, Duration: time.Minute},
		{ID: "p1", Title: "精华液", Kind: KindProduct, Product: "精华液 30ml", Flagship: true, Phases: []Phase{
			{Name: PhaseCore, Duration: time.Minute, Points: []SellingPoint{{Text: "保湿", Duration: 20 * time.Second}, {Text: "修护"}}},
			{Name: PhaseDemo, Duration: 3 * time.Minute, Points: []SellingPoint{{Text: "上脸"}}},
		}},
		{ID: "end", Title: "收尾", Kind: KindClosing, Duration: 2 * time.Minute},
	}}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("got %+v\nwant %+v", s, want)
	}
}

func TestImportXLSXErrors(t *testing.T) {
	row := func(cells ...any) []any { return cells }
	cases := []struct {
		name string
		rows [][]any
		want error
		msg  string
	}{
		{"no rundown header", [][]any{row("序号", "环节", "类型"), row("a", "A", "开场")},
			ErrNoRundown, `run.xlsx: no rundown sheet: a header row naming the segment (环节/内容/流程) and its duration (时长) or time (时间) is needed; sheet "Sheet1": 序号, 环节, 类型`},
		{"bad duration", [][]any{header, row("a", "A", "开场", "1m"), {}, {}, {}, {}, row("b", "B", "收尾", "5x")},
			ErrBadDuration, `run.xlsx: Sheet1!D7: duration "5x": not a duration (accepted: 5分钟, 1小时30分, 90秒, 5:00, 1:05:00, 5'30", 5m30s)`},
		{"plain number duration", [][]any{header, row("a", "A", "开场", 5)},
			ErrBadDuration, `run.xlsx: Sheet1!D2: duration "5": not a duration (a bare number with no unit; write 5分钟 or 5:00, or give the unit in the header, e.g. 时长(分钟))`},
		{"duplicate id", [][]any{header, row("a", "A", "开场", "1m"), row("b", "B", "产品", "1m"), row("a", "C", "收尾", "1m")},
			ErrDuplicateID, `run.xlsx: Sheet1!A4: id "a": duplicate segment id (first at A2)`},
		{"unknown kind", [][]any{header, row("a", "A", "广告", "1m")},
			ErrUnknownKind, `run.xlsx: Sheet1!C2: kind "广告": unknown segment kind (accepted: opening (开场/开播/暖场), product (产品/产品讲解/过款/讲品), interaction (互动/福利/抽奖/发券/投票/问答), break (休息/中场), closing (收尾/结束/下播/返场))`},
		{"conflicting continuation", [][]any{header, row("a", "A", "开场", "1m"), row("", "", "休息")},
			ErrBadValue, `run.xlsx: Sheet1!C3: "休息": not a valid value: differs from the segment's first row (row 2); leave it empty`},
		{"point before phase", [][]any{header, row("a", "A", "产品", "", "", "", "", "", "卖点"), row("", "", "", "", "", "", "核心卖点", "1m", "x")},
			ErrMissingField, `run.xlsx: Sheet1!G2: phase missing (selling points belong to a phase)`},
		{"sum mismatch", [][]any{header, row("a", "A", "产品", "5m", "", "", "核心卖点", "1m", "x")},
			ErrDurationMismatch, `run.xlsx: Sheet1!D2: duration 5m0s does not match the sum of its phases (1m0s)`},
		{"bad flag", [][]any{header, row("a", "A", "产品", "1m", "", "maybe")},
			ErrBadValue, ""},
		{"no rows", [][]any{header}, ErrMissingField, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := ImportXLSX("run.xlsx", bytes.NewReader(workbook(t, c.rows)))
			if s != nil {
				t.Errorf("show = %+v; want nil on error", s)
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v; want %v", err, c.want)
			}
			var le *LoadError
			if !errors.As(err, &le) || le.File != "run.xlsx" || (le.Sheet == "" && c.want != ErrNoRundown) {
				t.Fatalf("err %v is not a *LoadError naming file and sheet", err)
			}
			if c.msg != "" && err.Error() != c.msg {
				t.Errorf("message\n got: %s\nwant: %s", err, c.msg)
			}
		})
	}
}

// TestImportXLSXInvalidUTF8 puts raw invalid bytes into the shared strings,
// as a workbook written by a broken tool would have them.
func TestImportXLSXInvalidUTF8(t *testing.T) {
	data := workbook(t, [][]any{header, {"a", "A", "开场", "1m"}, {"b", "BQQ", "收尾", "1m"}})
	data = rewriteZip(t, data, "xl/sharedStrings.xml", []byte("BQQ"), []byte("B\xff"))
	s, err := ImportXLSX("run.xlsx", bytes.NewReader(data))
	if s != nil || !errors.Is(err, ErrBadUTF8) {
		t.Fatalf("got %v, %v; want nil, ErrBadUTF8", s, err)
	}
	if want := `run.xlsx: Sheet1!B3: invalid UTF-8`; err.Error() != want {
		t.Errorf("message\n got: %s\nwant: %s", err, want)
	}
}

func rewriteZip(t *testing.T, data []byte, name string, old, repl []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	found := false
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if f.Name == name && bytes.Contains(body, old) {
			body, found = bytes.ReplaceAll(body, old, repl), true
		}
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Fatalf("%q not found in %s", old, name)
	}
	return out.Bytes()
}

func TestImportXLSXNotAWorkbook(t *testing.T) {
	s, err := ImportXLSX("run.xlsx", bytes.NewReader([]byte("id,title\n")))
	if s != nil || !errors.Is(err, ErrSyntax) {
		t.Fatalf("got %v, %v; want nil, ErrSyntax", s, err)
	}
}

func TestExportXLSXRefusesBrokenShow(t *testing.T) {
	var buf bytes.Buffer
	err := ExportXLSX(&Show{ID: "x", Title: "t", Segments: []Segment{{ID: "a", Kind: KindOpening, Duration: time.Minute}}}, &buf)
	if !errors.Is(err, ErrMissingField) {
		t.Fatalf("err = %v; want ErrMissingField", err)
	}
}
