package ui

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/xuri/excelize/v2"

	"studiodesk/scripts"
)

// previewSheet is a run sheet as a team sends it: a merged title with the
// slot, the header on row 3, 时长 typed as 05:00 (time cells), an unknown
// 价格 column, 话术, and a 合计 that disagrees with the rows.
func previewSheet(t *testing.T) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	hmm, err := f.NewStyle(&excelize.Style{NumFmt: 20})
	if err != nil {
		t.Fatal(err)
	}
	set := func(ref string, v any) {
		if err := f.SetCellValue("Sheet1", ref, v); err != nil {
			t.Fatal(err)
		}
	}
	set("A1", "春季焕新美妆专场 20:00-20:30")
	_ = f.MergeCell("Sheet1", "A1", "G1")
	_ = f.SetSheetRow("Sheet1", "A3", &[]any{"序号", "环节", "类型", "时长", "产品", "价格", "话术"})
	rows := [][]any{
		{1, "开场暖场", "开播", 5.0 / 24, "", "", "欢迎来到直播间，先点个关注"},
		{2, "修护精华液", "过款", 10.0 / 24, "修护精华液 30ml", 199, "姐妹们看这个质地"},
		{3, "整点抽奖", "福利", 3.0 / 24, "", "", "评论区扣1参与抽奖"},
		{4, "持妆粉底液", "讲品", 8.0 / 24, "持妆粉底液", 259, "油皮姐妹一定要试试"},
		{5, "下播预告", "下播", 2.0 / 24, "", "", "明晚八点不见不散"},
	}
	for i, r := range rows {
		ref := cellName(1, 4+i)
		if err := f.SetSheetRow("Sheet1", ref, &r); err != nil {
			t.Fatal(err)
		}
		d := cellName(4, 4+i)
		_ = f.SetCellStyle("Sheet1", d, d, hmm)
	}
	set("B9", "合计")
	set("D9", "25分钟")
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func cellName(c, r int) string { n, _ := excelize.CoordinatesToCellName(c, r); return n }

// TestImportPreviewThenImport: a run sheet opens in the preview with the
// detected sheet, header row, mapping and warnings; nothing changes until
// Import, which replaces the script as one undo step.
func TestImportPreviewThenImport(t *testing.T) {
	f := newFixture(t)
	pv := f.ui.producer
	before := len(pv.show.Segments)
	p := pv.previewImport("run.xlsx", previewSheet(t))
	if p == nil {
		t.Fatalf("no preview: %s", pv.status.Text)
	}
	if p.sheetSel.Selected != "Sheet1" || p.headerSel.Selected != "3" {
		t.Errorf("sheet %q header row %q; want Sheet1 and 3", p.sheetSel.Selected, p.headerSel.Selected)
	}
	if len(pv.show.Segments) != before {
		t.Fatal("the preview changed the script before Import")
	}
	if got := p.total.Text; !strings.Contains(got, "5 个环节") || !strings.Contains(got, "28:00") {
		t.Errorf("total %q", got)
	}
	var all []string
	for _, pr := range p.prev.Problems {
		all = append(all, problemLine(pr))
	}
	text := strings.Join(all, "\n")
	for _, want := range []string{"按 分:秒 读作 5:00", "列“价格”未识别", "表上的合计是 25:00", "计划时段 20:00-20:30"} {
		if !strings.Contains(text, want) {
			t.Errorf("preview lacks %q:\n%s", want, text)
		}
	}
	if p.importBtn.Disabled() {
		t.Fatal("Import disabled on a sheet with warnings only")
	}
	test.Tap(p.importBtn)
	s := pv.show
	if len(s.Segments) != 5 || s.Segments[0].Duration != 5*time.Minute || s.Segments[1].HostLines[0] != "姐妹们看这个质地" {
		t.Fatalf("imported %+v", s.Segments)
	}
	if s.Segments[1].Notes != "价格：199" {
		t.Errorf("unknown column notes %q", s.Segments[1].Notes)
	}
	pv.undoLast()
	if len(pv.show.Segments) != before {
		t.Error("undo did not bring the old script back")
	}
}

// TestImportPreviewBlocksOnErrors: with errors Import is disabled; fixing
// the mapping in the preview (a unit for bare numbers) enables it.
func TestImportPreviewBlocksOnErrors(t *testing.T) {
	f := newFixture(t)
	pv := f.ui.producer
	csv := "\ufeff环节,类型,时长,备注\r\n开场,开场,5,\r\n精华液,产品,10,\r\n收尾,收尾,2,\r\n"
	p := pv.previewImport("run.csv", []byte(csv))
	if p == nil || !p.importBtn.Disabled() {
		t.Fatal("Import enabled on a sheet with errors")
	}
	if n := len(p.prev.Errors()); n != 3 {
		t.Errorf("%d errors; want all 3 at once", n)
	}
	m := p.prev.Mapping.Clone()
	m.Columns[2].Unit = time.Minute
	p.refresh(m)
	if p.importBtn.Disabled() {
		t.Fatalf("still blocked: %v", p.prev.Problems)
	}
	test.Tap(p.importBtn)
	if pv.show.Total() != 17*time.Minute {
		t.Errorf("total %v", pv.show.Total())
	}
}

// TestHostViewShowsHostLines: 话术 are on the host's screen with the
// selling points.
func TestHostViewShowsHostLines(t *testing.T) {
	f := newFixture(t)
	v := newStreamerView()
	snap := f.desk.Snapshot()
	snap.Show.Segments[0].HostLines = []string{"欢迎来到直播间", "先点个关注"}
	v.render(snap, scripts.State{Segment: 0})
	if got := v.lines.Text; got != "话术：欢迎来到直播间　／　先点个关注" || !v.lines.Visible() {
		t.Errorf("host view lines %q", got)
	}
	snap.Show.Segments[0].HostLines = nil
	v.render(snap, scripts.State{Segment: 0})
	if v.lines.Visible() {
		t.Error("empty host lines take room")
	}
}

// TestImportPreviewScreenshots writes the preview in Chinese and English
// at 1366×768 and 1920×1080 when STUDIODESK_SHOTS names a directory.
func TestImportPreviewScreenshots(t *testing.T) {
	dir := os.Getenv("STUDIODESK_SHOTS")
	if dir == "" {
		t.Skip("set STUDIODESK_SHOTS=dir to write screenshots")
	}
	defer func() { lang = "zh" }()
	// The sheet itself, for opening in the app under Xvfb.
	if err := os.WriteFile(filepath.Join(dir, "春季专场.xlsx"), previewSheet(t), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{"zh", "en"} {
		for _, size := range []fyne.Size{{Width: 1366, Height: 768}, {Width: 1920, Height: 1080}} {
			f := newFixture(t)
			lang = l
			f.win.Resize(size)
			pv := newProducerView(f.desk, f.win, nil)
			f.win.SetContent(pv.root)
			f.win.Resize(size)
			if pv.previewImport("春季专场.xlsx", previewSheet(t)) == nil {
				t.Fatal(pv.status.Text)
			}
			img := f.win.Canvas().Capture()
			path := filepath.Join(dir, fmt.Sprintf("import-preview-%s-%dx%d.png", l, int(size.Width), int(size.Height)))
			out, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(out, img); err != nil {
				t.Fatal(err)
			}
			out.Close()
			t.Logf("wrote %s", path)
			if l == "zh" && size.Width == 1366 {
				for _, o := range f.win.Canvas().Overlays().List() {
					f.win.Canvas().Overlays().Remove(o)
				}
				shot(t, f.win, filepath.Join(dir, "import-preview-errors-zh-1366x768.png"), func() {
					csv := "\ufeff直播脚本 周五晚场\r\n\r\n环节,类型,时长,备注\r\n开场,开场,5,\r\n精华液,广告,10分钟,\r\n抽奖,福利,5x,\r\n收尾,收尾,2分钟,\r\n"
					pv.previewImport("周五.csv", []byte(csv))
				})
			}
			lang = "zh"
		}
	}
}

// shot opens something in the window, captures it to path and closes the
// dialog it opened.
func shot(t *testing.T, w fyne.Window, path string, open func()) {
	t.Helper()
	open()
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if err := png.Encode(out, w.Canvas().Capture()); err != nil {
		t.Fatal(err)
	}
	for _, o := range w.Canvas().Overlays().List() {
		w.Canvas().Overlays().Remove(o)
	}
	t.Logf("wrote %s", path)
}

// TestProducerEditsHostLines: 话术 are edited in the segment form, one line
// each, and reach the segment.
func TestProducerEditsHostLines(t *testing.T) {
	f := newFixture(t)
	p := f.ui.producer
	p.list.Select(0)
	p.hostLines.SetText("欢迎来到直播间\n\n  先点个关注 \n")
	p.commitForm()
	if got := p.show.Segments[0].HostLines; len(got) != 2 || got[0] != "欢迎来到直播间" || got[1] != "先点个关注" {
		t.Fatalf("host lines %q", got)
	}
	p.list.Select(1)
	p.list.Select(0)
	if p.hostLines.Text != "欢迎来到直播间\n先点个关注" {
		t.Errorf("form shows %q", p.hostLines.Text)
	}
}

// TestExportFormats: each choice of the export dialog writes its format,
// and each reads back as the same show.
func TestExportFormats(t *testing.T) {
	s := demoShow()
	for _, ext := range []string{".xlsx", ".csv", ".yaml"} {
		var buf bytes.Buffer
		if err := writeScript(s, ext, &buf); err != nil {
			t.Fatalf("%s: %v", ext, err)
		}
		got, err := importScript("show"+ext, buf.Bytes())
		if err != nil {
			t.Fatalf("%s: %v", ext, err)
		}
		if got.Total() != s.Total() || len(got.Segments) != len(s.Segments) {
			t.Errorf("%s: read back %v in %d segments; want %v in %d", ext, got.Total(), len(got.Segments), s.Total(), len(s.Segments))
		}
	}
	if _, err := importScript("show.txt", nil); err == nil || !strings.Contains(err.Error(), ".xlsx") {
		t.Errorf("unknown type: %v", err)
	}
}
