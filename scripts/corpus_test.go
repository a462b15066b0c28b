package scripts

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const corpusDir = "testdata/runsheets"

// corpusFile is one run sheet of the corpus with its expected show.
type corpusFile struct {
	name, path string
	want       *Show
	expect     []string // message keys the preview must show
}

func loadCorpus(t *testing.T) []corpusFile {
	t.Helper()
	goldens, err := filepath.Glob(filepath.Join(corpusDir, "*.golden.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []corpusFile
	for _, g := range goldens {
		base := strings.TrimSuffix(filepath.Base(g), ".golden.yaml")
		cf := corpusFile{name: base}
		for _, ext := range []string{".xlsx", ".csv", ".ods"} {
			if _, err := os.Stat(filepath.Join(corpusDir, base+ext)); err == nil {
				cf.path = filepath.Join(corpusDir, base+ext)
			}
		}
		if cf.path == "" {
			t.Fatalf("%s: no sheet next to the golden file", g)
		}
		data, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			if k, ok := strings.CutPrefix(sc.Text(), "# expect: "); ok {
				cf.expect = append(cf.expect, strings.TrimSpace(k))
			}
		}
		if cf.want, err = LoadYAML(filepath.Base(g), data); err != nil {
			t.Fatalf("golden: %v", err)
		}
		out = append(out, cf)
	}
	if len(out) < 12 {
		t.Fatalf("corpus has %d run sheets; want at least 12", len(out))
	}
	return out
}

func readSheetFile(t *testing.T, path string) *Workbook {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var wb *Workbook
	if strings.HasSuffix(path, ".csv") {
		wb, err = ReadCSV(filepath.Base(path), f)
	} else if strings.HasSuffix(path, ".ods") {
		wb, err = ReadODS(filepath.Base(path), f)
	} else {
		wb, err = ReadXLSX(filepath.Base(path), f)
	}
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return wb
}

// problemKey is the message key behind a problem, for tests.
func problemKey(p Problem) string {
	var me *msgError
	if errors.As(p.Err, &me) {
		return me.msg.Key
	}
	return ""
}

// compareShows reports differences segment by segment.
func compareShows(t *testing.T, name string, got, want *Show) {
	t.Helper()
	if got.ID != want.ID || got.Title != want.Title || got.Start != want.Start {
		t.Errorf("%s: show id/title/start = %q/%q/%q; want %q/%q/%q", name, got.ID, got.Title, got.Start, want.ID, want.Title, want.Start)
	}
	if len(got.Segments) != len(want.Segments) {
		t.Errorf("%s: %d segments; want %d", name, len(got.Segments), len(want.Segments))
	}
	// A CSV holds only the rundown; a workbook carries its 互动 sheet too.
	if !strings.HasSuffix(name, ".csv") && (!reflect.DeepEqual(got.Coupons, want.Coupons) || !reflect.DeepEqual(got.Votes, want.Votes)) {
		t.Errorf("%s: interactions %+v %+v; want %+v %+v", name, got.Coupons, got.Votes, want.Coupons, want.Votes)
	}
	for i := 0; i < len(got.Segments) && i < len(want.Segments); i++ {
		g, w := got.Segments[i], want.Segments[i]
		switch {
		case g.Title != w.Title:
			t.Errorf("%s: segment %d title %q; want %q", name, i+1, g.Title, w.Title)
		case g.Kind != w.Kind:
			t.Errorf("%s: segment %d %q kind %s; want %s", name, i+1, g.Title, g.Kind, w.Kind)
		case g.Planned() != w.Planned():
			t.Errorf("%s: segment %d %q runs %v; want %v", name, i+1, g.Title, g.Planned(), w.Planned())
		case !reflect.DeepEqual(g.HostLines, w.HostLines):
			t.Errorf("%s: segment %d %q host lines %q; want %q", name, i+1, g.Title, g.HostLines, w.HostLines)
		case !reflect.DeepEqual(g, w):
			t.Errorf("%s: segment %d %q\n got %+v\nwant %+v", name, i+1, g.Title, g, w)
		}
	}
	if strings.HasSuffix(name, ".csv") {
		w := *want
		w.Coupons, w.Votes = got.Coupons, got.Votes // not in a CSV
		want = &w
	}
	if !reflect.DeepEqual(got, want) && !t.Failed() {
		t.Errorf("%s: shows differ:\n got %+v\nwant %+v", name, got, want)
	}
}

// TestCorpus imports every run sheet of the corpus and compares it with its
// expected show, segment by segment.
func TestCorpus(t *testing.T) {
	for _, cf := range loadCorpus(t) {
		t.Run(cf.name, func(t *testing.T) {
			p := readSheetFile(t, cf.path).Preview(nil)
			got, err := p.Result()
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			compareShows(t, cf.name, got, cf.want)
			keys := make(map[string]bool)
			for _, pr := range p.Problems {
				keys[problemKey(pr)] = true
				if pr.Severity == SevWarning {
					t.Logf("warning: %s", pr.In(LangEN))
				}
			}
			for _, k := range cf.expect {
				if !keys[k] {
					t.Errorf("preview lacks a %s message; has %v", k, p.Problems)
				}
			}
		})
	}
}

// TestCorpusRoundTrip exports every corpus show and the demo show to XLSX
// and CSV and imports them back unchanged.
func TestCorpusRoundTrip(t *testing.T) {
	shows := map[string]*Show{"demo": loadDemo(t)}
	for _, cf := range loadCorpus(t) {
		shows[cf.name] = cf.want
	}
	for name, s := range shows {
		t.Run(name, func(t *testing.T) {
			var x bytes.Buffer
			if err := ExportXLSX(s, &x); err != nil {
				t.Fatal(err)
			}
			wb, err := ReadXLSX(name+".xlsx", bytes.NewReader(x.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			p := wb.Preview(nil)
			got, err := p.Result()
			if err != nil {
				t.Fatalf("xlsx import: %v", err)
			}
			compareShows(t, name+".xlsx", got, s)
			for _, pr := range p.Problems {
				if pr.Severity == SevWarning && problemKey(pr) != "w.seg_long" {
					t.Errorf("xlsx export re-imports with a warning: %s", pr.In(LangEN))
				}
			}
			var c bytes.Buffer
			if err := ExportCSV(s, &c); err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(c.Bytes(), []byte(utf8BOM)) {
				t.Error("csv export has no UTF-8 BOM")
			}
			got, err = ImportCSV(name+".csv", bytes.NewReader(c.Bytes()))
			if err != nil {
				t.Fatalf("csv import: %v\n%s", err, c.String())
			}
			compareShows(t, name+".csv", got, s)
		})
	}
}
