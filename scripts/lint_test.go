package scripts

import (
	"reflect"
	"testing"
)

func TestLint(t *testing.T) {
	s := &Show{Title: "国家级好物", Segments: []Segment{
		{Title: "开场", Notes: "保湿效果１００％，ＴＯＰ１", Phases: []Phase{{Points: []SellingPoint{
			{Text: "普通的一句话"},
			{Text: "全网最低价，第一名"},
		}}}},
	}}
	got := Lint(s, DefaultBannedTerms)
	want := []LintHit{
		{Segment: -1, Phase: -1, Point: -1, Field: "title", Term: "国家级", Offset: 0, Context: "国家级好物"},
		{Segment: 0, Phase: -1, Point: -1, Field: "notes", Term: "100%", Offset: 4, Context: "保湿效果１００％，ＴＯＰ１"},
		{Segment: 0, Phase: -1, Point: -1, Field: "notes", Term: "TOP1", Offset: 9, Context: "…湿效果１００％，ＴＯＰ１"},
		// Longest match wins: one hit for 全网最低, not a second for 最.
		{Segment: 0, Phase: 0, Point: 1, Field: "text", Term: "全网最低", Offset: 0, Context: "全网最低价，第一名"},
		{Segment: 0, Phase: 0, Point: 1, Field: "text", Term: "第一", Offset: 6, Context: "全网最低价，第一名"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

func TestLintContextIsBounded(t *testing.T) {
	text := "一二三四五六七八九十绝对甲乙丙丁戊己庚辛壬癸"
	hits := matchTerms(text, []lintTerm{{term: "绝对", folded: foldRunes("绝对")}})
	if len(hits) != 1 {
		t.Fatalf("hits = %+v", hits)
	}
	if h := hits[0]; h.Offset != 10 || h.Context != "…三四五六七八九十绝对甲乙丙丁戊己庚辛…" {
		t.Errorf("hit = %+v", h)
	}
}

func TestLintNoTerms(t *testing.T) {
	if hits := Lint(&Show{Title: "最"}, nil); len(hits) != 0 {
		t.Errorf("hits with no terms: %+v", hits)
	}
	if hits := Lint(nil, DefaultBannedTerms); hits != nil {
		t.Errorf("hits on nil show: %+v", hits)
	}
	if hits := Lint(&Show{Title: "最"}, []string{""}); len(hits) != 0 {
		t.Errorf("empty term matched: %+v", hits)
	}
}
