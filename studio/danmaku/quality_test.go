package danmaku_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
	"unicode/utf8"

	"studiodesk/studio/danmaku"
	"studiodesk/studio/platform"
	"studiodesk/studio/platform/rehearsal"
)

var updateQuality = flag.Bool("update-quality", false, "rewrite testdata/quality_golden.json from the current segmenter")

// qualityGolden is what the clustering produced on the fixed corpus with
// the original segmenter (gse, full zh_s dictionary in gse's own
// structures). Any dictionary or segmenter change must reproduce it.
type qualityGolden struct {
	Messages   int                 `json:"messages"`
	Trending1m []danmaku.Term      `json:"trending_1m"`
	Trending5m []danmaku.Term      `json:"trending_5m"`
	Questions  []goldenGroup       `json:"questions"`
	Cuts       map[string][]string `json:"cuts"`
}

type goldenGroup struct {
	Topic    string   `json:"topic"`
	Count    int      `json:"count"`
	Examples []string `json:"examples"`
}

// qualityCorpus is a fixed, deterministic stream: a normal room, a mega
// room and a hostile room from the rehearsal simulator, on a fixed clock.
func qualityCorpus(t *testing.T) []platform.Event {
	t.Helper()
	start := time.Date(2026, 5, 1, 20, 0, 0, 0, time.UTC)
	var evs []platform.Event
	for _, room := range []struct {
		profile string
		seed    int64
		rate    float64
		dur     time.Duration
	}{{"normal", 7, 150, 3 * time.Minute}, {"mega", 11, 1500, 20 * time.Second}, {"hostile", 13, 100, time.Minute}} {
		sim := rehearsal.New(rehearsal.Config{Seed: room.seed, Profile: room.profile, Rate: room.rate, Now: func() time.Time { return start }})
		if err := sim.Err(); err != nil {
			t.Fatal(err)
		}
		if err := sim.Generate(start, start.Add(room.dur), func(ev platform.Event) {
			if ev.Kind == platform.KindDanmaku {
				// Each simulated room numbers its messages from 1; one
				// pipeline sees the three rooms, so their ids are kept
				// apart as a real platform's would be.
				ev.ID = room.profile + "/" + ev.ID
				evs = append(evs, ev)
			}
		}); err != nil {
			t.Fatal(err)
		}
		start = start.Add(room.dur)
	}
	return evs
}

func runQuality(t *testing.T, seg danmaku.Segmenter) qualityGolden {
	evs := qualityCorpus(t)
	now := evs[0].Time
	p := danmaku.New(danmaku.Config{Now: func() time.Time { return now }, Segmenter: seg, SegmentRate: 1 << 30})
	g := qualityGolden{Messages: len(evs), Cuts: map[string][]string{}}
	for _, ev := range evs {
		now = ev.Time
		p.Ingest(danmaku.Message{ID: ev.ID, ViewerID: ev.ViewerID, ViewerName: ev.ViewerName, Text: ev.Text, Time: ev.Time})
		if len(g.Cuts) < 4000 {
			// JSON cannot carry invalid UTF-8; those texts are covered
			// by the pipeline figures above.
			if _, ok := g.Cuts[ev.Text]; !ok && utf8.ValidString(ev.Text) {
				g.Cuts[ev.Text] = seg.Cut(ev.Text)
			}
		}
	}
	if s := p.Stats(); s.SegmentSkipped != 0 {
		t.Fatalf("segmentations skipped: %d (the corpus must be segmented in full)", s.SegmentSkipped)
	}
	g.Trending1m = p.Trending(time.Minute, 30)
	g.Trending5m = p.Trending(5*time.Minute, 30)
	for _, q := range p.Questions(50) {
		gg := goldenGroup{Topic: q.Topic, Count: q.Count}
		for _, ex := range q.Examples {
			gg.Examples = append(gg.Examples, ex.Norm)
		}
		g.Questions = append(g.Questions, gg)
	}
	return g
}

// TestClusteringQualityUnchanged asserts that the top-K trending terms,
// the question groups and the cuts of every distinct corpus text are what
// the original gse segmenter gave (testdata/quality_golden.json, captured
// before the dictionary was made compact).
func TestClusteringQualityUnchanged(t *testing.T) {
	if err := danmaku.LoadSegmenter(); err != nil {
		t.Fatal(err)
	}
	got := runQuality(t, danmaku.DefaultSegmenter())
	path := filepath.Join("testdata", "quality_golden.json")
	if *updateQuality {
		b, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
		return
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want qualityGolden
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if got.Messages != want.Messages {
		t.Fatalf("corpus has %d messages, golden %d: the corpus changed, not the segmenter", got.Messages, want.Messages)
	}
	if len(want.Trending1m) < 10 || len(want.Questions) < 5 {
		t.Fatalf("golden too thin to mean anything: %d terms, %d groups", len(want.Trending1m), len(want.Questions))
	}
	if !slices.Equal(got.Trending1m, want.Trending1m) {
		t.Errorf("trending 1m:\n got %v\nwant %v", got.Trending1m, want.Trending1m)
	}
	if !slices.Equal(got.Trending5m, want.Trending5m) {
		t.Errorf("trending 5m:\n got %v\nwant %v", got.Trending5m, want.Trending5m)
	}
	if len(got.Questions) != len(want.Questions) {
		t.Errorf("question groups: got %d, want %d", len(got.Questions), len(want.Questions))
	}
	for i := range min(len(got.Questions), len(want.Questions)) {
		g, w := got.Questions[i], want.Questions[i]
		if g.Topic != w.Topic || g.Count != w.Count || !slices.Equal(g.Examples, w.Examples) {
			t.Errorf("question group %d: got %+v, want %+v", i, g, w)
		}
	}
	diff := 0
	for text, w := range want.Cuts {
		if g := got.Cuts[text]; !slices.Equal(g, w) {
			if diff++; diff <= 10 {
				t.Errorf("cut %q: got %q, want %q", text, g, w)
			}
		}
	}
	if diff > 0 || len(got.Cuts) != len(want.Cuts) {
		t.Errorf("%d of %d cuts differ (got %d texts)", diff, len(want.Cuts), len(got.Cuts))
	}
}
