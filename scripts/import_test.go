package scripts

import (
	"bytes"
	"errors"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

func previewOf(t *testing.T, data []byte) *Preview {
	t.Helper()
	wb, err := ReadXLSX("run.xlsx", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return wb.Preview(nil)
}

func problemsWith(p *Preview, key string) []Problem {
	var out []Problem
	for _, pr := range p.Problems {
		if problemKey(pr) == key {
			out = append(out, pr)
		}
	}
	return out
}

// TestTimeTypedFiveMinutes: 05:00 typed into a 时长 cell is stored by Excel
// and LibreOffice as a time of day (5/24 of a day, format h:mm). It imports
// as 5 minutes, and the preview says so for that cell in both languages.
func TestTimeTypedFiveMinutes(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	hmm, err := f.NewStyle(&excelize.Style{NumFmt: 20}) // h:mm, what Excel picks for 05:00
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range [][]any{{"环节", "类型", "时长"}, {"开场", "开场", 5.0 / 24}, {"讲解", "产品", 10.0 / 24}, {"下播", "下播", 2.0 / 24}} {
		for j, v := range row {
			ref := cellName(j+1, i+1)
			if err := f.SetCellValue("Sheet1", ref, v); err != nil {
				t.Fatal(err)
			}
			if _, ok := v.(float64); ok {
				if err := f.SetCellStyle("Sheet1", ref, ref, hmm); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	p := previewOf(t, buf.Bytes())
	s, err := p.Result()
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Segments[0].Duration; got != 5*time.Minute {
		t.Fatalf("05:00 time cell imported as %v; want 5m", got)
	}
	if s.Total() != 17*time.Minute {
		t.Errorf("total %v; want 17m", s.Total())
	}
	notes := problemsWith(p, "w.time_as_mmss")
	if len(notes) != 3 {
		t.Fatalf("%d mm:ss notes; want one per time cell: %v", len(notes), p.Problems)
	}
	if got, want := notes[0].In(LangEN), `run.xlsx: Sheet1!C2: "05:00" is a time-of-day cell; read as minutes:seconds = 5:00 (as hours:minutes it would be 5:00:00, which is implausible)`; got != want {
		t.Errorf("note\n got %s\nwant %s", got, want)
	}
	if got, want := notes[0].In(LangZH), `run.xlsx：Sheet1!C2：“05:00”是时刻单元格，按 分:秒 读作 5:00（按 时:分 是 5:00:00，不合理）`; got != want {
		t.Errorf("note\n got %s\nwant %s", got, want)
	}
	if notes[0].Severity == SevError {
		t.Error("the note is an error")
	}
}

// TestTimeTypedCorpus: the same in the corpus sheets made by openpyxl and
// saved again by LibreOffice.
func TestTimeTypedCorpus(t *testing.T) {
	for _, path := range []string{corpusDir + "/02_time_typed_cells.xlsx", corpusDir + "/12_libreoffice_time_cells.xlsx", corpusDir + "/17_ods_time_cells.ods"} {
		p := readSheetFile(t, path).Preview(nil)
		s, err := p.Result()
		if err != nil {
			t.Fatal(err)
		}
		if s.Segments[0].Duration != 5*time.Minute || s.Segments[2].Duration != 3*time.Minute+30*time.Second {
			t.Errorf("%s: %v, %v; want 5m, 3m30s", path, s.Segments[0].Duration, s.Segments[2].Duration)
		}
		if n := len(problemsWith(p, "w.time_as_mmss")); n != len(s.Segments) {
			t.Errorf("%s: %d notes; want %d", path, n, len(s.Segments))
		}
	}
}

// TestTimeTypedPlausibleHours: a column of h:mm cells that are all
// plausible as hours:minutes (0:30 = 30 minutes) reads that way, still
// with a note per cell.
func TestTimeTypedPlausibleHours(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	hmm, _ := f.NewStyle(&excelize.Style{NumFmt: 20})
	_ = f.SetSheetRow("Sheet1", "A1", &[]any{"环节", "时长"})
	_ = f.SetSheetRow("Sheet1", "A2", &[]any{"开场", 0.5 / 24})
	_ = f.SetSheetRow("Sheet1", "A3", &[]any{"收尾", 0.25 / 24})
	_ = f.SetCellStyle("Sheet1", "B2", "B3", hmm)
	var buf bytes.Buffer
	_, _ = f.WriteTo(&buf)
	p := previewOf(t, buf.Bytes())
	s, err := p.Result()
	if err != nil {
		t.Fatal(err)
	}
	if s.Segments[0].Duration != 30*time.Minute || s.Segments[1].Duration != 15*time.Minute {
		t.Errorf("got %v, %v; want 30m, 15m", s.Segments[0].Duration, s.Segments[1].Duration)
	}
	if n := len(problemsWith(p, "w.time_as_hmm")); n != 2 {
		t.Errorf("%d h:mm notes; want 2", n)
	}
}

// TestImplausibleTotalWarned: lengths that look like typos are warnings in
// the preview, before anything is imported: a 5-hour segment, a show over
// 6 hours, a total that differs from the sheet's 合计 and from the slot in
// the title.
func TestImplausibleTotalWarned(t *testing.T) {
	data := workbook(t, [][]any{
		{"美妆专场 20:00-21:00"},
		{"环节", "类型", "时长"},
		{"开场", "开场", "5分钟"},
		{"精华液", "产品", "5:00:00"},
		{"面霜", "产品", "2小时"},
		{"下播", "下播", "5分钟"},
		{"合计", "", "1小时"},
	})
	p := previewOf(t, data)
	for _, key := range []string{"w.seg_long", "w.show_long", "w.total_differs", "w.window_differs"} {
		ws := problemsWith(p, key)
		if len(ws) == 0 {
			t.Errorf("no %s warning in %v", key, p.Problems)
			continue
		}
		if ws[0].Severity != SevWarning {
			t.Errorf("%s is %v; want a warning", key, ws[0].Severity)
		}
	}
	if ws := problemsWith(p, "w.show_long"); len(ws) > 0 {
		if got := ws[0].In(LangZH); !strings.Contains(got, "7:10:00") || !strings.Contains(got, "超过 6 小时") {
			t.Errorf("zh: %s", got)
		}
	}
	if ws := problemsWith(p, "w.total_differs"); len(ws) > 0 && ws[0].Cell != "C7" {
		t.Errorf("total warning at %s; want C7", ws[0].Cell)
	}
	// Warnings do not stop the import; the producer decides.
	if s, err := p.Result(); err != nil || s.Total() != 7*time.Hour+10*time.Minute {
		t.Errorf("Result = %v, %v", s, err)
	}
}

// TestAllProblemsAtOnce: every error of the sheet is reported, each at its
// cell, in either language, and nothing is imported.
func TestAllProblemsAtOnce(t *testing.T) {
	data := workbook(t, [][]any{
		{"环节", "类型", "时长", "主推"},
		{"开场", "广告", "5分钟"},
		{"精华液", "产品", "5x"},
		{"面霜", "产品", 5},
		{"下播", "下播", "1分钟", "也许"},
	})
	p := previewOf(t, data)
	s, err := p.Result()
	if s != nil {
		t.Fatal("a show came out of a sheet with errors")
	}
	var ie *ImportError
	if !errors.As(err, &ie) || len(ie.Errs) != 4 {
		t.Fatalf("err = %v; want 4 errors", err)
	}
	cells := []string{}
	for _, e := range ie.Errs {
		cells = append(cells, e.Sheet+"!"+e.Cell)
	}
	if got := strings.Join(cells, " "); got != "Sheet1!D5 Sheet1!C3 Sheet1!C4 Sheet1!B2" && !sameSet(cells, []string{"Sheet1!B2", "Sheet1!C3", "Sheet1!C4", "Sheet1!D5"}) {
		t.Errorf("cells %s", got)
	}
	for _, target := range []error{ErrUnknownKind, ErrBadDuration, ErrBadValue} {
		if !errors.Is(err, target) {
			t.Errorf("errors.Is(%v) false", target)
		}
	}
	zh := ie.In(LangZH)
	for _, want := range []string{"4 个问题", "无法识别的环节类型", "可用：开场/开播/暖场", "不是有效的时长", "只有数字，不知道单位", "应为 是 或 否"} {
		if !strings.Contains(zh, want) {
			t.Errorf("zh text lacks %q:\n%s", want, zh)
		}
	}
	if regexp.MustCompile(`not a|unknown|missing`).MatchString(zh) {
		t.Errorf("English in the Chinese text:\n%s", zh)
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, v := range m {
		if v != 0 {
			return false
		}
	}
	return true
}

// TestMappingOverride: the producer changes the detected mapping — a bare
// 时长 column given minutes, an unknown column dropped — and the preview
// follows.
func TestMappingOverride(t *testing.T) {
	data := workbook(t, [][]any{{"环节", "时长", "价格"}, {"开场", 5, "0"}, {"下播", 3, "9"}})
	wb, err := ReadXLSX("run.xlsx", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	p := wb.Preview(nil)
	if _, err := p.Result(); !errors.Is(err, ErrBadDuration) {
		t.Fatalf("bare numbers without a unit: err = %v", err)
	}
	m := p.Mapping.Clone()
	m.Columns[1].Unit = time.Minute
	m.Columns[2].Field = FieldIgnore
	s, err := wb.Preview(m).Result()
	if err != nil {
		t.Fatal(err)
	}
	if s.Total() != 8*time.Minute || s.Segments[0].Notes != "" {
		t.Errorf("got %v, notes %q", s.Total(), s.Segments[0].Notes)
	}
}

// TestRundownDetection: the rundown is found by its header wherever it is,
// and a product list or an 互动 sheet is never taken for it.
func TestRundownDetection(t *testing.T) {
	for _, c := range []struct {
		file, sheet string
		header      int
	}{
		{"03_product_list_first.xlsx", "直播流程", 2},
		{"10_interaction_sheet_first.xlsx", "脚本", 1},
		{"07_seconds_unknown_column.xlsx", "流程", 4},
		{"13_wps_style.xlsx", "直播脚本", 2},
	} {
		p := readSheetFile(t, corpusDir+"/"+c.file).Preview(nil)
		if p.Mapping == nil || p.Mapping.Sheet != c.sheet || p.Mapping.HeaderRow+1 != c.header {
			t.Errorf("%s: mapping %+v; want sheet %s header row %d", c.file, p.Mapping, c.sheet, c.header)
		}
	}
	// A workbook with only a product list and an 互动 sheet has no rundown.
	f := excelize.NewFile()
	defer f.Close()
	_ = f.SetSheetName("Sheet1", "互动")
	_ = f.SetSheetRow("互动", "A1", &[]any{"编号", "环节", "类型", "时长"})
	_, _ = f.NewSheet("商品")
	_ = f.SetSheetRow("商品", "A1", &[]any{"商品名称", "价格", "卖点"})
	var buf bytes.Buffer
	_, _ = f.WriteTo(&buf)
	_, err := previewOf(t, buf.Bytes()).Result()
	if !errors.Is(err, ErrNoRundown) {
		t.Errorf("err = %v; want ErrNoRundown", err)
	}
}

// TestCatalogue: every message has both languages, and each argument is
// formatted the same way in both (%s and %q count as the same: Chinese
// quotes its own way), whatever the order.
func TestCatalogue(t *testing.T) {
	verbs := regexp.MustCompile(`%(?:\[(\d+)\])?[-+# 0-9.]*([a-zA-Z%])`)
	args := func(format string) map[int]string {
		out := map[int]string{}
		next := 1
		for _, m := range verbs.FindAllStringSubmatch(format, -1) {
			if m[2] == "%" {
				continue
			}
			if m[1] != "" {
				next, _ = strconv.Atoi(m[1])
			}
			v := m[2]
			if v == "q" {
				v = "s"
			}
			out[next] = v
			next++
		}
		return out
	}
	for k, tr := range catalogue {
		if tr.zh == "" || tr.en == "" {
			t.Errorf("%s: missing a language", k)
		}
		if a, b := args(tr.zh), args(tr.en); !reflect.DeepEqual(a, b) {
			t.Errorf("%s: arguments %v (zh) vs %v (en)", k, a, b)
		}
	}
}

// TestValidateAndLintTranslated: validation warnings and lint hits render
// in Chinese.
func TestValidateAndLintTranslated(t *testing.T) {
	s := loadDemo(t)
	s.Segments = s.Segments[1:] // no opening
	var zh []string
	for _, w := range Validate(s) {
		zh = append(zh, w.In(LangZH))
	}
	for _, h := range Lint(s, DefaultBannedTerms) {
		zh = append(zh, h.In(LangZH))
	}
	var both []string
	for _, w := range append(Validate(s), Validate(&Show{Segments: []Segment{{Kind: KindProduct, Phases: []Phase{{Name: "x", Duration: time.Second, Points: []SellingPoint{{Text: "", Duration: time.Hour}}}}}}})...) {
		both = append(both, w.In(LangZH), w.In(LangEN))
	}
	if b := strings.Join(both, "\n"); strings.Contains(b, "%!") {
		t.Errorf("bad format arguments:\n%s", b)
	}
	all := strings.Join(zh, "\n")
	for _, want := range []string{"节目：环节列表：没有开场环节", "产品环节未按", "“全网最低” 出现在"} {
		if !strings.Contains(all, want) {
			t.Errorf("lacks %q:\n%s", want, all)
		}
	}
	if regexp.MustCompile(`segment|phase|missing|does not`).MatchString(all) {
		t.Errorf("English in:\n%s", all)
	}
}

// TestKindNamesInteraction: 发券/投票 with a name set the interaction.
func TestKindNamesInteraction(t *testing.T) {
	data := workbook(t, [][]any{{"环节", "类型", "时长"}, {"开场", "开播", "1分钟"}, {"发券", "发券：coupon-1", "3分钟"}, {"投票", "投票（vote-2）", "2分钟"}, {"下播", "下播", "1分钟"}})
	data = withInteractSheet(t, data, [][]any{{"编号", "类型", "名称", "库存", "问题", "选项", "时长"},
		{"coupon-1", "发券", "满199减30", 100, "", "", "3分钟"}, {"vote-2", "投票", "", "", "选哪个", "A|B", "2分钟"}})
	s, err := previewOf(t, data).Result()
	if err != nil {
		t.Fatal(err)
	}
	if g := s.Segments[1]; g.Kind != KindInteraction || g.Interaction != "coupon-1" {
		t.Errorf("发券 segment %+v", g)
	}
	if g := s.Segments[2]; g.Kind != KindInteraction || g.Interaction != "vote-2" {
		t.Errorf("投票 segment %+v", g)
	}
}

// TestCSVBlankLinesKeepRowNumbers: blank lines are rows, so sheet!cell is
// where a spreadsheet shows the cell; quoted line breaks stay in one row.
func TestCSVBlankLinesKeepRowNumbers(t *testing.T) {
	csv := "\ufeff直播脚本\r\n\r\n环节,时长,卖点\r\n开场,1分钟,\"a\nb\"\r\n\r\n收尾,5x,\r\n"
	wb, err := ReadCSV("run.csv", strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	p := wb.Preview(nil)
	if p.Mapping.HeaderRow != 2 {
		t.Errorf("header row %d; want 3rd", p.Mapping.HeaderRow+1)
	}
	errs := p.Errors()
	if len(errs) != 1 || errs[0].Cell != "B6" {
		t.Fatalf("errors %v; want one at B6", errs)
	}
}

// TestExtraSheetHooks: another part of the package (the 互动 sheet) can
// read its own sheet of the same workbook into the show and write it back.
func TestExtraSheetHooks(t *testing.T) {
	defer func(r []func(*Workbook, *Show, *Preview), w []func(*excelize.File, *Show) error) {
		extraSheetReaders, extraSheetWriters = r, w
	}(extraSheetReaders, extraSheetWriters)
	extraSheetReaders = append(extraSheetReaders, func(wb *Workbook, s *Show, p *Preview) {
		for _, sh := range wb.Sheets {
			if sh.Name == "附表" {
				p.AddProblem(SevNote, &LoadError{File: wb.File, Sheet: sh.Name, Cell: "A1", Err: errf("e.colon", "rows", strconv.Itoa(len(sh.Rows)))})
			}
		}
	})
	extraSheetWriters = append(extraSheetWriters, func(f *excelize.File, s *Show) error {
		if _, err := f.NewSheet("附表"); err != nil {
			return err
		}
		return f.SetCellStr("附表", "A1", "coupon-1")
	})
	var buf bytes.Buffer
	if err := ExportXLSX(loadDemo(t), &buf); err != nil {
		t.Fatal(err)
	}
	p := previewOf(t, buf.Bytes())
	if _, err := p.Result(); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, pr := range p.Problems {
		found = found || (pr.Sheet == "附表" && strings.Contains(pr.In(LangEN), "rows: 1"))
	}
	if !found || p.Mapping.Sheet != runSheetName {
		t.Errorf("hook not run or 附表 taken as the rundown: %v %+v", p.Problems, p.Mapping)
	}
}

// withInteractSheet adds an 互动 sheet with rows to the workbook data.
func withInteractSheet(t *testing.T, data []byte, rows [][]any) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.NewSheet("互动"); err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if err := f.SetSheetRow("互动", cellName(1, i+1), &r); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	if _, err := f.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
