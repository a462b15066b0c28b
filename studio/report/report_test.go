package report

import (
	"bytes"
	"encoding/csv"
	"html"
	"strings"
	"testing"
	"time"

	"studiodesk/scripts"
	"studiodesk/studio/store"
)

var t0 = time.Date(2025, 3, 1, 7, 0, 0, 0, time.UTC)

func testShow() *scripts.Show {
	return &scripts.Show{ID: "s1", Title: "测试专场 <b>", AdjustmentWindows: 3, Segments: []scripts.Segment{
		{ID: "a", Title: "开场 <script>alert(1)</script>", Kind: scripts.KindOpening, Duration: 2 * time.Minute},
		{ID: "b", Title: "=HYPERLINK(\"x\")", Kind: scripts.KindProduct, Duration: 3 * time.Minute, Notes: "全网最低价"},
		{ID: "c", Title: "收尾", Kind: scripts.KindClosing, Duration: time.Minute},
	}}
}

// logRun writes a run: seg a +20 s over, seg b adjusted +30 s (window)
// and run to its adjusted plan, seg c 10 s short; two figures minutes, a
// recall with a failed device and a coupon record.
func logRun(t *testing.T, st *store.Store, run string) {
	t.Helper()
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	// Records carry the time the desk would have logged them at.
	var now time.Time
	add := func(kind string, p any) {
		t.Helper()
		if a, ok := p.(scripts.Anchor); ok {
			now = a.At
		}
		if c, ok := p.(scripts.Cue); ok {
			now = c.At
		}
		if _, err := st.AppendBatch(run, []store.Entry{{Kind: kind, Payload: p, Time: now}}); err != nil {
			t.Fatal(err)
		}
	}
	add("start", scripts.Anchor{Kind: scripts.AnchorStart, At: at(0)})
	add("recall_preset", map[string]any{"preset": "p1", "name": "近景", "by": "segment"})
	add("recall_result", map[string]any{"preset": "p1", "took_ms": 12.5, "failed": map[string]string{"cam1": "no reply"}, "superseded": false})
	add("cue", scripts.Cue{Kind: scripts.CueWarning, At: at(time.Minute), Segment: 0, Phase: -1, Point: -1})
	add("next", scripts.Anchor{Kind: scripts.AnchorGoto, At: at(2*time.Minute + 20*time.Second), Segment: 1})
	add("figures", map[string]any{"minute": at(time.Minute), "received": 40, "shown": 30, "keywords": []map[string]any{{"term": "<i>尺码</i>", "count": 5}}})
	add("adjust", scripts.Anchor{Kind: scripts.AnchorAdjust, At: at(3 * time.Minute), Delta: 30 * time.Second, Window: true})
	add("coupon_fire", map[string]any{"coupon": "c1", "note": "<img src=x onerror=alert(1)>"})
	add("figures", map[string]any{"minute": at(2 * time.Minute), "received": 60, "shown": 50})
	add("next", scripts.Anchor{Kind: scripts.AnchorGoto, At: at(5*time.Minute + 50*time.Second), Segment: 2})
	add("end", scripts.Anchor{Kind: scripts.AnchorEnd, At: at(6*time.Minute + 40*time.Second)})
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	clk := t0
	st, err := store.Open(t.TempDir(), store.Options{Now: func() time.Time { clk = clk.Add(time.Second); return clk }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func TestBuildFromLog(t *testing.T) {
	st := openStore(t)
	logRun(t, st, "run1")
	r, err := Build(st, "run1", testShow())
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ actual, planned, over time.Duration }{
		{140 * time.Second, 120 * time.Second, 20 * time.Second},
		{210 * time.Second, 210 * time.Second, 0},
		{50 * time.Second, 60 * time.Second, -10 * time.Second},
	}
	if len(r.Segments) != 3 {
		t.Fatalf("segments = %d", len(r.Segments))
	}
	for i, w := range want {
		s := r.Segments[i]
		if s.Actual != w.actual || s.Planned != w.planned || s.Over != w.over || !s.Done {
			t.Errorf("segment %d: actual %v planned %v over %v done %v; want %v %v %v", i, s.Actual, s.Planned, s.Over, s.Done, w.actual, w.planned, w.over)
		}
	}
	if r.Segments[1].Adjusted != 30*time.Second || r.Segments[1].Script != 3*time.Minute {
		t.Errorf("segment 2 adjusted %v script %v", r.Segments[1].Adjusted, r.Segments[1].Script)
	}
	if r.ActualTotal != 400*time.Second || !r.EndedOK {
		t.Errorf("total %v ended %v", r.ActualTotal, r.EndedOK)
	}
	if r.WindowsUsed != 1 || len(r.Adjustments) != 1 || r.Adjustments[0].Segment != 1 || r.Adjustments[0].Seq != 7 {
		t.Errorf("windows %d adjustments %+v", r.WindowsUsed, r.Adjustments)
	}
	if r.DanmakuTotal != 100 || len(r.Minutes) != 2 || r.Minutes[0].Keywords[0].Count != 5 {
		t.Errorf("danmaku %d minutes %+v", r.DanmakuTotal, r.Minutes)
	}
	if len(r.Recalls) != 1 || r.RecallFailures != 1 || !r.Recalls[0].Finished || r.Recalls[0].Segment != 0 {
		t.Errorf("recalls %+v failures %d", r.Recalls, r.RecallFailures)
	}
	if len(r.Interactions) != 1 || r.Interactions[0].Kind != "coupon_fire" || r.Interactions[0].Segment != 1 {
		t.Errorf("interactions %+v", r.Interactions)
	}
	if r.Segments[0].Cues[scripts.CueWarning] != 1 || r.CuesFired() != 1 {
		t.Errorf("cues %+v", r.Segments[0].Cues)
	}
	if r.Segments[1].Compliance == 0 || len(r.Compliance) == 0 {
		t.Errorf("compliance hits missing: %+v", r.Compliance)
	}
	if !r.Chain.OK || r.Chain.Records != 11 || len(r.Chain.FinalHash) != 64 {
		t.Errorf("chain %+v", r.Chain)
	}
}

func TestHTMLEscapesLogText(t *testing.T) {
	st := openStore(t)
	logRun(t, st, "run1")
	r, err := Build(st, "run1", testShow())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, bad := range []string{"<script>alert", "<img src=x", "<i>尺码", "测试专场 <b>", "http://", "https://"} {
		if strings.Contains(out, bad) {
			t.Errorf("HTML contains %q", bad)
		}
	}
	if !strings.Contains(html.UnescapeString(out), "+0:20") {
		t.Error("HTML lacks the +0:20 overrun")
	}
	for _, want := range []string{"&lt;script&gt;", "<svg", "各环节计划与实际时长", "每分钟弹幕", r.Chain.FinalHash, "哈希链校验通过"} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}

func TestCSVRows(t *testing.T) {
	st := openStore(t)
	logRun(t, st, "run1")
	r, err := Build(st, "run1", testShow())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, r); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[0][0] != "序号" {
		t.Fatalf("rows = %q", rows)
	}
	if rows[1][7] != "140" || rows[1][8] != "20" || rows[3][8] != "-10" || rows[2][5] != "30" {
		t.Errorf("rows = %q", rows[1:])
	}
	if rows[2][2] != `'=HYPERLINK("x")` {
		t.Errorf("formula cell not neutralised: %q", rows[2][2])
	}
}

func TestBrokenChainIsReported(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	logRun(t, st, "run1")
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := TamperPayload(dir, "run1", 6, `"received":40`, `"received":41`); err != nil {
		t.Fatal(err)
	}
	st, err = store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	r, err := Build(st, "run1", testShow())
	if err != nil {
		t.Fatal(err)
	}
	if r.Chain.OK || r.Chain.BrokenSeq != 6 || r.Chain.Records != 5 {
		t.Fatalf("chain = %+v, want broken at 6", r.Chain)
	}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "哈希链校验未通过") {
		t.Error("HTML does not say the chain is broken")
	}
}

func TestUnknownRun(t *testing.T) {
	st := openStore(t)
	if _, err := Build(st, "nope", testShow()); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("err = %v", err)
	}
}
