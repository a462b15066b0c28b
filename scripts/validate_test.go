package scripts

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestDemoShow(t *testing.T) {
	data, err := os.ReadFile("../assets/demo/show.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := LoadYAML("show.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	if tot := s.Total(); tot < 55*time.Minute || tot > 65*time.Minute {
		t.Errorf("demo runs %v; want about an hour", tot)
	}
	// The only departures from the plan are the three flagship previews,
	// which are deliberately shorter than a full product segment.
	for _, w := range Validate(s) {
		g := s.Segments[w.Segment]
		if w.Segment < 0 || w.Field != "phases" || !g.Flagship || !strings.HasPrefix(g.ID, "preview-") {
			t.Errorf("unexpected warning: %s", w)
		}
	}
	hits := Lint(s, DefaultBannedTerms)
	if len(hits) < 1 || len(hits) > 2 {
		t.Errorf("lint found %d hits in the demo; want 1-2 deliberate ones: %+v", len(hits), hits)
	}
	for _, h := range hits {
		if h.Term != "全网最低" {
			t.Errorf("unexpected lint hit %+v", h)
		}
	}
}

// planShow is a show that follows every rule; tests break one rule each.
func planShow() *Show {
	product := func(id string, flagship bool) Segment {
		return Segment{ID: id, Title: id, Kind: KindProduct, Flagship: flagship, Phases: []Phase{
			{Name: PhaseCore, Duration: time.Minute, Points: []SellingPoint{{Text: "a"}, {Text: "b"}}},
			{Name: PhaseDemo, Duration: 3 * time.Minute, Points: []SellingPoint{{Text: "c"}}},
			{Name: PhaseCompare, Duration: time.Minute, Points: []SellingPoint{{Text: "d"}}},
		}}
	}
	quick := func(id string) Segment {
		return Segment{ID: id, Title: id, Kind: KindProduct, Flagship: true, Duration: time.Minute}
	}
	inter := func(id string) Segment {
		return Segment{ID: id, Title: id, Kind: KindInteraction, Duration: 2 * time.Minute}
	}
	return &Show{ID: "s", Title: "s", Segments: []Segment{
		{ID: "open", Title: "开场", Kind: KindOpening, Duration: time.Minute},
		quick("f1"), quick("f2"), quick("f3"),
		product("p1", false), inter("i1"), inter("i2"), inter("i3"),
		{ID: "end", Title: "收尾", Kind: KindClosing, Duration: time.Minute},
	}}
}

func TestValidate(t *testing.T) {
	base := planShow()
	ws := Validate(base)
	// The quick flagship segments have no phases: one warning each.
	if len(ws) != 3 {
		t.Fatalf("baseline warnings = %v; want the three quick flagships", ws)
	}
	cases := []struct {
		name   string
		change func(s *Show)
		want   string // substring of the added warning
		seg    int
	}{
		{"too few interactions", func(s *Show) { s.Segments[7].Kind = KindBreak }, "2 interaction nodes", -1},
		{"too many interactions", func(s *Show) {
			for i := 0; i < 3; i++ {
				s.Segments = append(s.Segments[:5], append([]Segment{{ID: "x" + string(rune('a'+i)), Title: "x", Kind: KindInteraction, Duration: time.Minute}}, s.Segments[5:]...)...)
			}
		}, "6 interaction nodes", -1},
		{"flagship too late", func(s *Show) { s.Segments[0].Duration = 4 * time.Minute }, "flagship products start within", -1},
		{"no opening", func(s *Show) { s.Segments[0].Kind = KindBreak }, "no opening", -1},
		{"no closing", func(s *Show) { s.Segments[8].Kind = KindBreak }, "no closing", -1},
		{"empty title", func(s *Show) { s.Segments[8].Title = " " }, "no title", 8},
		{"empty line", func(s *Show) { s.Segments[4].Phases[0].Points[0].Text = "" }, "empty selling point", 4},
		{"long point", func(s *Show) { s.Segments[4].Phases[1].Points[0].Duration = 45 * time.Second }, "longer than the 30s cue", 4},
		{"points overrun phase", func(s *Show) {
			s.Segments[4].Phases[0].Points = append(s.Segments[4].Phases[0].Points, SellingPoint{Text: "e"})
		}, "selling points need 1m30s", 4},
		{"demo too short", func(s *Show) { s.Segments[4].Phases[1].Duration = 2 * time.Minute }, "场景演示 is 2m0s", 4},
		{"missing comparison", func(s *Show) { s.Segments[4].Phases = s.Segments[4].Phases[:2] }, "missing 对比", 4},
		{"sum mismatch", func(s *Show) { s.Segments[4].Duration = 6 * time.Minute }, "phases add up to 5m0s", 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := planShow()
			c.change(s)
			found := false
			for _, w := range Validate(s) {
				if strings.Contains(w.Message, c.want) && w.Segment == c.seg {
					found = true
				}
			}
			if !found {
				t.Errorf("no warning containing %q for segment %d in %v", c.want, c.seg, Validate(s))
			}
		})
	}
}

func TestWarningString(t *testing.T) {
	w := Warning{Segment: 2, Phase: 0, Point: 1, Field: "text", Message: "empty selling point"}
	if got, want := w.String(), "segment 3, phase 1, point 2: text: empty selling point"; got != want {
		t.Errorf("got %q want %q", got, want)
	}
	w = Warning{Segment: -1, Phase: -1, Point: -1, Message: "no opening segment"}
	if got, want := w.String(), "show: no opening segment"; got != want {
		t.Errorf("got %q want %q", got, want)
	}
}
