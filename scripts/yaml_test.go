package scripts

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"studiodesk/studio/interact"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	good := map[string]time.Duration{
		"5m":      5 * time.Minute,
		"30s":     30 * time.Second,
		"1m30s":   90 * time.Second,
		" 2m ":    2 * time.Minute,
		"1:30":    90 * time.Second,
		"05:00":   5 * time.Minute,
		"90:00":   90 * time.Minute,
		"1:05:00": time.Hour + 5*time.Minute,
		"0":       0,
		"1:３０":    90 * time.Second,
		"５：００":    5 * time.Minute,
		"5分钟":     5 * time.Minute,
		"5分":      5 * time.Minute,
		"1小时":     time.Hour,
		"1小时30分":  90 * time.Minute,
		"90秒":     90 * time.Second,
		"5'":      5 * time.Minute,
		"5'30\"":  5*time.Minute + 30*time.Second,
		"5′30″":   5*time.Minute + 30*time.Second,
		"５分３０秒":   5*time.Minute + 30*time.Second,
		"1.5小时":   90 * time.Minute,
		"5 mins":  5 * time.Minute,
	}
	for in, want := range good {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "5x", "5", "-5m", "1:5", "1:60", "1:2:3:4", ":30", "25h", "1e3s", "5分5小时", "分钟", "5天", "30小时"} {
		if _, err := ParseDuration(in); !errors.Is(err, ErrBadDuration) {
			t.Errorf("ParseDuration(%q) err = %v; want ErrBadDuration", in, err)
		}
	}
}

func TestFormatDurationRoundTrips(t *testing.T) {
	for _, d := range []time.Duration{0, time.Second, 90 * time.Second, 5 * time.Minute, time.Hour + 1500*time.Millisecond, 24 * time.Hour} {
		got, err := ParseDuration(FormatDuration(d))
		if err != nil || got != d {
			t.Errorf("round trip %v: got %v, %v", d, got, err)
		}
	}
}

const minimalYAML = `id: s1
title: 测试
segments:
  - id: open
    title: 开场
    kind: opening
    duration: 2m
  - id: p1
    title: 精华液
    kind: 产品
    phases:
      - name: 核心卖点
        duration: "1:00"
        points:
          - 保湿
          - {text: 修护, duration: 20s}
`

func TestLoadYAMLMinimal(t *testing.T) {
	s, err := LoadYAML("show.yaml", []byte(minimalYAML))
	if err != nil {
		t.Fatal(err)
	}
	want := &Show{ID: "s1", Title: "测试", Segments: []Segment{
		{ID: "open", Title: "开场", Kind: KindOpening, Duration: 2 * time.Minute},
		{ID: "p1", Title: "精华液", Kind: KindProduct, Phases: []Phase{{
			Name: PhaseCore, Duration: time.Minute,
			Points: []SellingPoint{{Text: "保湿"}, {Text: "修护", Duration: 20 * time.Second}},
		}}},
	}}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("got %+v\nwant %+v", s, want)
	}
	if s.Segments[1].Planned() != time.Minute || s.Total() != 3*time.Minute {
		t.Errorf("planned %v total %v", s.Segments[1].Planned(), s.Total())
	}
}

func TestLoadYAMLErrors(t *testing.T) {
	seg := func(body string) string {
		return "id: s\ntitle: t\nsegments:\n" + body
	}
	cases := []struct {
		name, in string
		want     error
		msg      string // exact Error()
	}{
		{"bad duration", seg("  - id: a\n    title: 开场\n    kind: opening\n    duration: 5x\n"),
			ErrBadDuration, `show.yaml:7: segment "开场": duration "5x": not a duration (accepted: 5分钟, 1小时30分, 90秒, 5:00, 1:05:00, 5'30", 5m30s)`},
		{"unknown kind", seg("  - id: a\n    title: 开场\n    kind: promo\n    duration: 5m\n"),
			ErrUnknownKind, `show.yaml:6: segment "开场": kind "promo": unknown segment kind (accepted: opening (开场/开播/暖场), product (产品/产品讲解/过款/讲品), interaction (互动/福利/抽奖/发券/投票/问答), break (休息/中场), closing (收尾/结束/下播/返场))`},
		{"duplicate id", seg("  - id: a\n    title: A\n    kind: opening\n    duration: 5m\n  - id: a\n    title: B\n    kind: closing\n    duration: 5m\n"),
			ErrDuplicateID, `show.yaml:8: segment "B": id "a": duplicate segment id (first at line 4)`},
		{"missing id", seg("  - title: A\n    kind: opening\n    duration: 5m\n"),
			ErrMissingField, `show.yaml:4: segment "A": id missing`},
		{"missing title", seg("  - id: a\n    kind: opening\n    duration: 5m\n"),
			ErrMissingField, `show.yaml:4: segment "a": title missing`},
		{"missing duration", seg("  - id: a\n    title: A\n    kind: opening\n"),
			ErrMissingField, `show.yaml:4: segment "A": duration missing`},
		{"unknown field", seg("  - id: a\n    titel: A\n    kind: opening\n    duration: 5m\n"),
			ErrUnknownField, `show.yaml:5: segment "a": unknown field "titel"`},
		{"unknown show field", "id: s\ntitle: t\nsegmnts: []\n",
			ErrUnknownField, `show.yaml:3: unknown field "segmnts"`},
		{"invalid utf8", seg("  - id: a\n    title: \"\xff\xfe\"\n"),
			ErrBadUTF8, `show.yaml:5: invalid UTF-8`},
		{"sum mismatch", seg("  - id: a\n    title: A\n    kind: product\n    duration: 5m\n    phases:\n      - name: 核心卖点\n        duration: 1m\n"),
			ErrDurationMismatch, `show.yaml:7: segment "A": duration 5m0s does not match the sum of its phases (1m0s)`},
		{"bad phase duration", seg("  - id: a\n    title: A\n    kind: product\n    phases:\n      - name: x\n        duration: 1m五\n"),
			ErrBadDuration, `show.yaml:9: segment "A": phase duration "1m五": not a duration (accepted: 5分钟, 1小时30分, 90秒, 5:00, 1:05:00, 5'30", 5m30s)`},
		{"duplicate phase", seg("  - id: a\n    title: A\n    kind: product\n    phases:\n      - {name: x, duration: 1m}\n      - {name: x, duration: 1m}\n"),
			ErrDuplicatePhase, `show.yaml:9: segment "A": phase name "x": duplicate phase name in this segment`},
		{"duplicate key", seg("  - id: a\n    title: A\n    title: B\n"),
			ErrBadValue, `show.yaml:6: segment "A": title not a valid value: given twice (first at line 5)`},
		{"alias", "id: &x s\ntitle: *x\nsegments: []\n",
			ErrBadValue, `show.yaml:2: title not a valid value: aliases (*name) are not supported`},
		{"syntax", "id: s\ntitle: [\n", ErrSyntax, ""},
		{"empty", "", ErrMissingField, `show.yaml: empty file: missing`},
		{"no segments", "id: s\ntitle: t\n", ErrMissingField, `show.yaml:1: segments missing`},
		{"two documents", "id: s\n---\nid: t\n", ErrSyntax, `show.yaml:2: syntax error: more than one document`},
		{"not a mapping", "- a\n- b\n", ErrBadValue, `show.yaml:1: show not a valid value: expected a mapping of fields`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := LoadYAML("show.yaml", []byte(c.in))
			if s != nil {
				t.Errorf("show = %+v; want nil on error", s)
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v; want %v", err, c.want)
			}
			var le *LoadError
			if !errors.As(err, &le) || le.File != "show.yaml" {
				t.Fatalf("err %v is not a *LoadError naming the file", err)
			}
			if c.msg != "" && err.Error() != c.msg {
				t.Errorf("message\n got: %s\nwant: %s", err, c.msg)
			}
			if c.name == "syntax" && le.Line == 0 {
				t.Errorf("syntax error has no line: %v", err)
			}
		})
	}
}

func TestSaveYAMLRoundTrip(t *testing.T) {
	s := &Show{ID: "x", Title: "  空格 ", PointCue: 25 * time.Second, Warning: 90 * time.Second, Danger: 5 * time.Second, AdjustmentWindows: 2,
		Segments: []Segment{
			{ID: "1", Title: "true", Kind: KindOpening, Duration: 61 * time.Second, Notes: "第一行\n第二行\n", RecallPreset: true, PresetID: "p"},
			{ID: "2", Title: "null", Kind: KindProduct, Product: "#1 色号: 01", Flagship: true, Interaction: "coupon-1",
				Phases: []Phase{{Name: "a", Duration: time.Minute, Points: []SellingPoint{{Text: ""}, {Text: "- x: y", Duration: 1500 * time.Millisecond}, {Text: "tab\there\x01"}}}}},
		},
		Coupons: []interact.Coupon{{ID: "coupon-1", Name: "券: 1", Discount: "满199减30", FaceValue: 2990, Threshold: 19900, Stock: 5, PerViewer: 2, Window: 90 * time.Second, PriceProtection: "7天价保"}},
		Votes:   []interact.Vote{{ID: "v", Question: "yes?", Options: []string{"1", "true", "a, b"}, Duration: time.Minute, Mode: "platform", ChangeRule: "last"}},
	}
	data, err := SaveYAML(s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := LoadYAML("saved.yaml", data)
	if err != nil {
		t.Fatalf("%v\n%s", err, data)
	}
	if !reflect.DeepEqual(got, s) {
		t.Fatalf("round trip differs:\n got %+v\nwant %+v\n%s", got, s, data)
	}
	if !strings.Contains(string(data), "duration: 1m1s") {
		t.Errorf("durations not saved in Go form:\n%s", data)
	}
}

func TestSaveYAMLRefusesBrokenShow(t *testing.T) {
	s := &Show{ID: "x", Title: "t", Segments: []Segment{{ID: "a", Title: "A", Kind: "promo", Duration: time.Minute}}}
	if _, err := SaveYAML(s); !errors.Is(err, ErrUnknownKind) {
		t.Fatalf("err = %v; want ErrUnknownKind", err)
	}
	if _, err := SaveYAML(nil); err == nil {
		t.Fatal("SaveYAML(nil) succeeded")
	}
}

func TestSaveYAMLFileAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "show.yaml")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := LoadYAML("m.yaml", []byte(minimalYAML))
	if err != nil {
		t.Fatal(err)
	}
	if err := SaveYAMLFile(path, s); err != nil {
		t.Fatal(err)
	}
	got, err := LoadYAMLFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Fatalf("file round trip differs")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temp files left behind: %v", entries)
	}
	// A show that cannot be saved leaves the existing file untouched.
	bad := &Show{ID: "x", Title: "t"}
	if err := SaveYAMLFile(path, bad); err == nil {
		t.Fatal("saving a show without segments succeeded")
	}
	if again, err := LoadYAMLFile(path); err != nil || !reflect.DeepEqual(again, s) {
		t.Fatalf("failed save changed the file: %v", err)
	}
	if err := SaveYAMLFile(filepath.Join(dir, "missing", "x.yaml"), s); err == nil {
		t.Fatal("save into a missing directory succeeded")
	}
}

func TestLoadYAMLFileErrors(t *testing.T) {
	if _, err := LoadYAMLFile(filepath.Join(t.TempDir(), "nope.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %v; want ErrNotExist", err)
	}
	path := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(path, []byte("id: s\ntitle: t\nsegments:\n  - id: a\n    duration: 5x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadYAMLFile(path)
	if err == nil || !strings.HasPrefix(err.Error(), "bad.yaml:5: ") {
		t.Fatalf("err = %v; want it to start with bad.yaml:5", err)
	}
}
