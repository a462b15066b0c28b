package scripts

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// FuzzLoadYAML checks that any input either fails cleanly or loads into a
// show that saves and loads back unchanged.
func FuzzLoadYAML(f *testing.F) {
	if demo, err := os.ReadFile("../assets/demo/show.yaml"); err == nil {
		f.Add(demo)
	}
	f.Add([]byte(minimalYAML))
	for _, s := range []string{
		"",
		"id: s\ntitle: t\nsegments:\n  - id: a\n    title: A\n    kind: opening\n    duration: 5x\n",
		"id: s\ntitle: t\nsegments:\n  - {id: a, title: A, kind: opening, duration: \"1:30\"}\n  - {id: a, title: B, kind: closing, duration: 1m}\n",
		"id: s\ntitle: \"\xff\"\n",
		"id: &a s\ntitle: *a\n",
		"id: s\ntitle: t\nsegments:\n  - id: p\n    title: P\n    kind: product\n    duration: 2m\n    phases:\n      - {name: x, duration: 1m, points: [a, {text: b, duration: 20s}]}\n",
		"- [\n",
		"id: s\ntitle: \"\\t x \\u2028\"\nsegments: [{id: a, title: \"\\x01\", kind: 收尾, duration: 1h}]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := LoadYAML("fuzz.yaml", data)
		if err != nil {
			if s != nil {
				t.Fatalf("error %v with a non-nil show", err)
			}
			return
		}
		out, err := SaveYAML(s)
		if err != nil {
			t.Fatalf("loaded show does not save: %v", err)
		}
		again, err := LoadYAML("saved.yaml", out)
		if err != nil {
			t.Fatalf("saved show does not load: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(again, s) {
			t.Fatalf("round trip differs:\n got %#v\nwant %#v\n%s", again, s, out)
		}
		_ = Validate(s)
		_ = Lint(s, DefaultBannedTerms)
	})
}

// FuzzSheetMapper feeds any table (as CSV) to the run-sheet mapper, with
// the detected mapping and with a column remapped by the input: it must
// never panic, never return a show with errors, and a show it accepts must
// pass the structure check and come back unchanged through XLSX and CSV
// export.
func FuzzSheetMapper(f *testing.F) {
	if files, err := filepath.Glob("testdata/runsheets/*.csv"); err == nil {
		for _, p := range files {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data, uint8(0), uint8(0))
			}
		}
	}
	for _, s := range []string{
		"环节,时长\n开场,5分钟\n",
		"\ufeff节目标题,t,编号,x,开播时间,20:00\n序号,开始时间,环节,类型,时长,阶段,阶段时长,卖点,卖点时长,话术\n1,20:00,开场,开场,1:00,,,,,hi\n2,20:01,精华液,产品,=SUM(G4:G5),核心卖点,1:00,a,0:20,\n,,,,,,,b,,\n合计,,,,2:00\n",
		"时间段,内容,口播\n20:00-20:05,暖场,好\n20:05~20:10,连衣裙,看\n",
		"title\n\"a\nb\",\n",
		"环节,时长(秒),类型\nA,30,开场\nB,1e9,收尾\n",
		"Segment,Duration (min),Type,Notes\nx,1.5,intro,'=1\n",
		"环节,时长\n注：说明\n合计,5\n",
	} {
		f.Add([]byte(s), uint8(1), uint8(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, col, field uint8) {
		tm := time.AfterFunc(10*time.Second, func() { panic(fmt.Sprintf("input takes over 10 s: %q", data)) })
		defer tm.Stop()
		wb, err := ReadCSV("fuzz.csv", bytes.NewReader(data))
		if err != nil {
			return
		}
		p := wb.Preview(nil)
		check := func(p *Preview) {
			s, err := p.Result()
			if err != nil {
				if s != nil {
					t.Fatalf("error %v with a show", err)
				}
				return
			}
			if iss := checkStructure(s); iss != nil {
				t.Fatalf("accepted a broken show: %v", iss.asError(s, "fuzz"))
			}
			var x bytes.Buffer
			if err := ExportXLSX(s, &x); err != nil {
				t.Fatalf("export xlsx: %v", err)
			}
			back, err := ImportXLSX("fuzz.xlsx", &x)
			if err != nil {
				t.Fatalf("xlsx round trip: %v", err)
			}
			back.ID, back.Title = s.ID, s.Title // the file name stands in when empty
			if !reflect.DeepEqual(back, s) {
				t.Fatalf("xlsx round trip differs:\n got %#v\nwant %#v", back, s)
			}
			var c bytes.Buffer
			if err := ExportCSV(s, &c); err != nil {
				t.Fatalf("export csv: %v", err)
			}
			back, err = ImportCSV("fuzz.csv", &c)
			if err != nil {
				t.Fatalf("csv round trip: %v\n%s", err, c.String())
			}
			if !reflect.DeepEqual(back, s) {
				t.Fatalf("csv round trip differs:\n got %#v\nwant %#v\n%s", back, s, c.String())
			}
			for _, pr := range p.Problems {
				_ = pr.In(LangZH)
			}
		}
		check(p)
		if p.Mapping != nil && len(p.Mapping.Columns) > 0 {
			m := p.Mapping.Clone()
			m.Columns[int(col)%len(m.Columns)].Field = Fields[int(field)%len(Fields)]
			m.Columns[int(col)%len(m.Columns)].Unit = time.Duration(field%4) * time.Minute
			check(wb.Preview(m))
		}
	})
}

// FuzzReadWorkbook: any bytes read as XLSX, ODS or CSV either fail with a
// located error or give a preview; never a panic.
func FuzzReadWorkbook(f *testing.F) {
	for _, pat := range []string{"testdata/runsheets/*.ods", "testdata/runsheets/0*.xlsx"} {
		files, _ := filepath.Glob(pat)
		for _, p := range files {
			if data, err := os.ReadFile(p); err == nil && len(data) < 64<<10 {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, read := range []func(string, io.Reader) (*Workbook, error){ReadXLSX, ReadODS, ReadCSV} {
			wb, err := read("fuzz", bytes.NewReader(data))
			if err != nil {
				var le *LoadError
				if !errors.As(err, &le) {
					t.Fatalf("error %v is not located", err)
				}
				continue
			}
			p := wb.Preview(nil)
			if s, err := p.Result(); err == nil {
				if iss := checkStructure(s); iss != nil {
					t.Fatalf("accepted a broken show: %v", iss.asError(s, "fuzz"))
				}
			}
		}
	})
}
