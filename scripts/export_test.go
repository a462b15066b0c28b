package scripts

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// openpyxlPython finds a python3 that has openpyxl (the Makefile installs
// python3-openpyxl). A missing one fails the test: the independent reader
// is what shows the export works outside this code.
func openpyxlPython(t *testing.T) string {
	t.Helper()
	var tried []string
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		path, err := exec.LookPath(py)
		if err != nil {
			tried = append(tried, py+": not found")
			continue
		}
		if out, err := exec.Command(path, "-c", "import openpyxl").CombinedOutput(); err != nil {
			tried = append(tried, path+": "+strings.TrimSpace(string(out)))
			continue
		}
		return path
	}
	t.Fatalf("no python3 with openpyxl (apt-get install python3-openpyxl; make deps does): %s", strings.Join(tried, "; "))
	return ""
}

type exportCheck struct {
	Sheet           string             `json:"sheet"`
	HeaderRow       int                `json:"header_row"`
	Segments        int                `json:"segments"`
	SumSeconds      float64            `json:"sum_seconds"`
	TotalRowSeconds *float64           `json:"total_row_seconds"`
	Untyped         []string           `json:"untyped"`
	Formats         []string           `json:"formats"`
	Freeze          string             `json:"freeze"`
	Orientation     string             `json:"orientation"`
	PrintTitleRows  string             `json:"print_title_rows"`
	FitToWidth      int                `json:"fit_to_width"`
	HeaderBold      bool               `json:"header_bold"`
	Widths          map[string]float64 `json:"widths"`
}

// TestExportReadByOpenpyxl opens the export of the demo show and of every
// corpus show with openpyxl: 时长 is a real duration on every segment row,
// formatted [mm]:ss, and the column sums to the show total, as does the 合计
// row; the header is bold and frozen, and prints landscape with the header
// repeated.
func TestExportReadByOpenpyxl(t *testing.T) {
	py := openpyxlPython(t)
	shows := map[string]*Show{"demo": loadDemo(t)}
	for _, cf := range loadCorpus(t) {
		shows[cf.name] = cf.want
	}
	dir := t.TempDir()
	for name, s := range shows {
		var buf bytes.Buffer
		if err := ExportXLSX(s, &buf); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name+".xlsx")
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(py, "testdata/check_export.py", path).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: check_export.py: %v\n%s", name, err, out)
		}
		var c exportCheck
		if err := json.Unmarshal(out, &c); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
		total := s.Total().Seconds()
		switch {
		case c.HeaderRow != 2:
			t.Errorf("%s: header row %d; want 2 (under the title)", name, c.HeaderRow)
		case c.Segments != len(s.Segments):
			t.Errorf("%s: openpyxl sees %d segment rows; want %d", name, c.Segments, len(s.Segments))
		case len(c.Untyped) > 0:
			t.Errorf("%s: 时长 cells that are not durations: %v", name, c.Untyped)
		case c.SumSeconds != total:
			t.Errorf("%s: 时长 sums to %vs in openpyxl; the show runs %vs", name, c.SumSeconds, total)
		case c.TotalRowSeconds == nil || *c.TotalRowSeconds != total:
			t.Errorf("%s: 合计 row %v; want %vs", name, c.TotalRowSeconds, total)
		case len(c.Formats) != 1 || c.Formats[0] != fmtDuration:
			t.Errorf("%s: 时长 formats %v; want [%s]", name, c.Formats, fmtDuration)
		case c.Freeze != "A3" || c.Orientation != "landscape" || c.PrintTitleRows != "$2:$2" || c.FitToWidth != 1 || !c.HeaderBold:
			t.Errorf("%s: freeze %q orientation %q print titles %q fit %d bold %v; want A3 landscape $2:$2 1 true",
				name, c.Freeze, c.Orientation, c.PrintTitleRows, c.FitToWidth, c.HeaderBold)
		case c.Widths["卖点"] < 30 || c.Widths["话术"] < 30 || c.Widths["环节"] < 15:
			t.Errorf("%s: column widths %v", name, c.Widths)
		}
		if name == "demo" {
			t.Logf("demo: %d segments, 时长 sums to %v in openpyxl (show %v)", c.Segments, time.Duration(c.SumSeconds)*time.Second, s.Total())
		}
	}
}

// TestExportReadByLibreOffice has LibreOffice open the demo export and save
// the rundown as CSV, cells as shown: the 时长 column shows m:ss values that
// add up to the show, and the 合计 row shows the total. Opt-in (LibreOffice
// is not a CI dependency): STUDIODESK_LIBREOFFICE=1; it then fails, not
// skips, when soffice is missing.
func TestExportReadByLibreOffice(t *testing.T) {
	if os.Getenv("STUDIODESK_LIBREOFFICE") == "" {
		t.Skip("opt-in: STUDIODESK_LIBREOFFICE=1 runs it with soffice")
	}
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		t.Fatalf("soffice: %v", err)
	}
	s := loadDemo(t)
	dir := t.TempDir()
	var buf bytes.Buffer
	if err := ExportXLSX(s, &buf); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "demo.xlsx")
	if err := os.WriteFile(src, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(soffice, "-env:UserInstallation=file://"+filepath.Join(dir, "profile"), "--headless",
		"--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,1", "--outdir", dir, src)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	csvs, _ := filepath.Glob(filepath.Join(dir, "demo*.csv"))
	if len(csvs) == 0 {
		t.Fatalf("soffice wrote no CSV: %s", out)
	}
	data, err := os.ReadFile(csvs[0])
	if err != nil {
		t.Fatal(err)
	}
	wb, err := ReadCSV("demo.csv", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	rows := wb.Sheets[0].Rows
	var sum, total time.Duration
	for _, r := range rows[2:] {
		if len(r) < 5 || r[4].Text == "" {
			continue
		}
		d, err := ParseDuration(r[4].Text)
		if err != nil {
			t.Fatalf("LibreOffice shows 时长 %q: %v", r[4].Text, err)
		}
		if r[2].Text == "合计" {
			total = d
			continue
		}
		sum += d
	}
	if sum != s.Total() || total != s.Total() {
		t.Errorf("LibreOffice: 时长 adds up to %v, 合计 %v; the show runs %v", sum, total, s.Total())
	}
	t.Logf("LibreOffice shows 时长 adding up to %v, 合计 %v (show %v)", sum, total, s.Total())
}
