package report

import (
	"encoding/csv"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"studiodesk/scripts"
)

// zone is the time zone the report prints in: the studio's (北京时间).
var zone = time.FixedZone("CST", 8*3600)

// clock formats a duration as m:ss (h:mm:ss from an hour), signed when
// negative.
func clock(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	d = d.Round(time.Second)
	h, m, s := int(d/time.Hour), int(d/time.Minute)%60, int(d/time.Second)%60
	if h > 0 {
		return fmt.Sprintf("%s%d:%02d:%02d", sign, h, m, s)
	}
	return fmt.Sprintf("%s%d:%02d", sign, m, s)
}

// signed formats a difference with an explicit sign: +0:20, -1:05, 0:00.
func signed(d time.Duration) string {
	if d.Round(time.Second) > 0 {
		return "+" + clock(d)
	}
	return clock(d)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(zone).Format("2006-01-02 15:04:05")
}

func hm(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(zone).Format("15:04:05")
}

var kindNames = map[scripts.SegmentKind]string{
	scripts.KindOpening: "开场", scripts.KindProduct: "产品", scripts.KindInteraction: "互动",
	scripts.KindBreak: "休息", scripts.KindClosing: "收尾",
}

func kindName(k scripts.SegmentKind) string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return string(k)
}

var cueNames = map[scripts.CueKind]string{
	scripts.CuePoint: "卖点", scripts.CuePhase: "阶段", scripts.CueWarning: "预警",
	scripts.CueDanger: "紧急", scripts.CueOvertime: "超时",
}

// cueSummary lists a segment's cues by kind in a fixed order, e.g. "卖点 3 · 预警 1".
func cueSummary(m map[scripts.CueKind]int) string {
	var parts []string
	for _, k := range []scripts.CueKind{scripts.CuePoint, scripts.CuePhase, scripts.CueWarning, scripts.CueDanger, scripts.CueOvertime} {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", cueNames[k], m[k]))
		}
	}
	var other []string
	for k, n := range m {
		if _, known := cueNames[k]; !known && n > 0 {
			other = append(other, fmt.Sprintf("%s %d", k, n))
		}
	}
	sort.Strings(other)
	parts = append(parts, other...)
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, " · ")
}

func segName(r *Report, i int) string {
	if s := r.Segment(i); s != nil {
		return fmt.Sprintf("%d %s", i+1, s.Title)
	}
	return "—"
}

type kindCount struct {
	Kind  string
	Count int
}

func kindCounts(m map[string]int) []kindCount {
	out := make([]kindCount, 0, len(m))
	for k, n := range m {
		out = append(out, kindCount{k, n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Kind < out[j].Kind
	})
	return out
}

func keywordText(ks []Keyword) string {
	if len(ks) == 0 {
		return "—"
	}
	parts := make([]string, 0, len(ks))
	for _, k := range ks {
		if k.Count > 0 {
			parts = append(parts, fmt.Sprintf("%s(%d)", k.Term, k.Count))
		} else {
			parts = append(parts, k.Term)
		}
	}
	return strings.Join(parts, "、")
}

func failedText(m map[string]string) string {
	if len(m) == 0 {
		return "—"
	}
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	parts := make([]string, 0, len(ids))
	for _, id := range ids {
		parts = append(parts, id+": "+m[id])
	}
	return strings.Join(parts, "；")
}

var funcs = template.FuncMap{
	"clock": clock, "signed": signed, "stamp": stamp, "hm": hm, "kindName": kindName,
	"cueSummary": cueSummary, "segName": segName, "kindCounts": kindCounts,
	"keywords": keywordText, "failed": failedText, "inc": func(i int) int { return i + 1 },
	"f1":   func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) },
	"pos":  func(d time.Duration) bool { return d.Round(time.Second) > 0 },
	"neg":  func(d time.Duration) bool { return d.Round(time.Second) < 0 },
	"ints": intsText, "tally": tallyText, "pct": pctText,
}

var page = template.Must(template.New("report").Funcs(funcs).Parse(pageHTML))

type view struct {
	*Report
	SegChart, DanChart chart
	Generated          string
}

// WriteHTML writes the report as one self-contained HTML page (inline CSS
// and SVG charts, no scripts, nothing fetched). Every text that comes from
// the log or the script is escaped by html/template.
func WriteHTML(w io.Writer, r *Report) error {
	if r == nil {
		return fmt.Errorf("report: write html: nil report")
	}
	v := view{Report: r, SegChart: segmentChart(r), DanChart: danmakuChart(r)}
	if err := page.Execute(w, v); err != nil {
		return fmt.Errorf("report: run %q: write html: %w", r.Run, err)
	}
	return nil
}

// CSVHeader is the first row WriteCSV writes.
var CSVHeader = []string{"序号", "环节ID", "环节", "类型", "脚本时长(秒)", "调整(秒)", "计划时长(秒)", "实际时长(秒)",
	"偏差(秒)", "开始", "结束", "完成", "卖点数", "提示次数", "提示明细", "合规命中"}

// WriteCSV writes one row per segment after CSVHeader, UTF-8 with a byte
// order mark so spreadsheet programs read the Chinese correctly. Durations
// are in whole seconds (rounded); times are RFC 3339. Cells that would
// start a spreadsheet formula are prefixed with an apostrophe.
func WriteCSV(w io.Writer, r *Report) error {
	if r == nil {
		return fmt.Errorf("report: write csv: nil report")
	}
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return fmt.Errorf("report: run %q: write csv: %w", r.Run, err)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return fmt.Errorf("report: run %q: write csv: %w", r.Run, err)
	}
	secs := func(d time.Duration) string { return strconv.FormatInt(int64(d.Round(time.Second)/time.Second), 10) }
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(zone).Format(time.RFC3339)
	}
	for _, s := range r.Segments {
		over := ""
		if s.Done {
			over = secs(s.Over)
		}
		row := []string{strconv.Itoa(s.Index + 1), safeCell(s.ID), safeCell(s.Title), safeCell(string(s.Kind)),
			secs(s.Script), secs(s.Adjusted), secs(s.Planned), secs(s.Actual), over, ts(s.Started), ts(s.Ended),
			strconv.FormatBool(s.Done), strconv.Itoa(s.Points), strconv.Itoa(s.CuesFired), cueSummary(s.Cues), strconv.Itoa(s.Compliance)}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("report: run %q: write csv: segment %d: %w", r.Run, s.Index+1, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("report: run %q: write csv: %w", r.Run, err)
	}
	return nil
}

// safeCell keeps a text cell from being read as a formula.
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
