package overview

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"golang.org/x/text/width"

	"studiodesk/app/fleet"
)

// The board as a terminal table (studiodesk fleet): the same rows and
// colours as the page, in plain text with ANSI colours when asked.

var textLabels = map[string]map[string]string{
	"zh": {
		"studio": "直播间", "show": "节目 · 环节", "state": "状态", "ou": "超时/提前", "dm": "弹幕/分",
		"ix": "互动", "dev": "设备", "hb": "心跳",
		fleet.StateIdle: "待播", fleet.StateRunning: "直播中", fleet.StatePaused: "暂停", fleet.StateEnded: "已结束",
		"never": "离线·从未上线", LevelStale: "延迟", LevelLost: "失联",
		"coupon": "券", "vote": "投票", "votes": "票", "armed": "待发", "allok": "全部正常",
		fleet.HealthDegraded: "降级", fleet.HealthDown: "断开", "standby": "备机", "rehearsal": "彩排",
		"studios": "个直播间", "live": "在线", "late": "延迟", "lostn": "失联", "unseen": "从未上线",
		"bad": "条状态消息无法解读", "unpublished": "未上传",
	},
	"en": {
		"studio": "STUDIO", "show": "SHOW · SEGMENT", "state": "STATE", "ou": "OVER/UNDER", "dm": "DM/MIN",
		"ix": "INTERACTIONS", "dev": "DEVICES", "hb": "HEARTBEAT",
		fleet.StateIdle: "idle", fleet.StateRunning: "on air", fleet.StatePaused: "paused", fleet.StateEnded: "ended",
		"never": "offline · never seen", LevelStale: "late", LevelLost: "lost",
		"coupon": "coupon", "vote": "vote", "votes": "votes", "armed": "armed", "allok": "all ok",
		fleet.HealthDegraded: "degraded", fleet.HealthDown: "down", "standby": "standby", "rehearsal": "rehearsal",
		"studios": "studios", "live": "live", "late": "late", "lostn": "lost", "unseen": "never seen",
		"bad": "status messages could not be read", "unpublished": "unpublished",
	},
}

// TextOptions shape the terminal table.
type TextOptions struct {
	Lang  string // "zh" or "en"
	Color bool   // ANSI colours for the alert levels
}

func (o TextOptions) t(k string) string {
	l := textLabels[o.Lang]
	if l == nil {
		l = textLabels["en"]
	}
	if s, ok := l[k]; ok {
		return s
	}
	return k
}

// WriteText writes rows as a table with a summary line.
func WriteText(w io.Writer, rows []Row, bad int, o TextOptions) error {
	head := []string{o.t("studio"), o.t("show"), o.t("state"), o.t("ou"), o.t("dm"), o.t("ix"), o.t("dev"), o.t("hb")}
	right := []bool{false, false, false, true, true, false, false, true}
	maxW := []int{14, 34, 8, 10, 8, 34, 24, 12}
	cells := make([][]string, len(rows))
	n := map[string]int{}
	for i, r := range rows {
		cells[i] = o.cells(r)
		n[r.Level]++
	}
	widths := make([]int, len(head))
	for c := range head {
		widths[c] = displayWidth(head[c])
		for _, row := range cells {
			widths[c] = max(widths[c], displayWidth(row[c]))
		}
		widths[c] = min(widths[c], max(maxW[c], displayWidth(head[c])))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s · %d %s", len(rows), o.t("studios"), n[LevelLive], o.t("live"))
	if n[LevelStale] > 0 {
		fmt.Fprintf(&b, " · %s", o.paint(AlertWarn, fmt.Sprintf("%d %s", n[LevelStale], o.t("late"))))
	}
	if n[LevelLost] > 0 {
		fmt.Fprintf(&b, " · %s", o.paint(AlertBad, fmt.Sprintf("%d %s", n[LevelLost], o.t("lostn"))))
	}
	if n[LevelNever] > 0 {
		fmt.Fprintf(&b, " · %d %s", n[LevelNever], o.t("unseen"))
	}
	if bad > 0 {
		fmt.Fprintf(&b, " · %d %s", bad, o.t("bad"))
	}
	b.WriteString("\n\n")
	line := func(vals []string, alert string) {
		for c, v := range vals {
			v = truncate(v, widths[c])
			pad := strings.Repeat(" ", widths[c]-displayWidth(v))
			if right[c] {
				v = pad + v
			} else {
				v += pad
			}
			if c == 0 && alert != "" {
				v = o.paint(alert, v)
			}
			b.WriteString(v)
			if c < len(vals)-1 {
				b.WriteString("  ")
			}
		}
		b.WriteString("\n")
	}
	line(head, "")
	for i, r := range rows {
		line(cells[i], r.Alert)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (o TextOptions) paint(alert, s string) string {
	if !o.Color {
		return s
	}
	switch alert {
	case AlertBad:
		return "\x1b[1;31m" + s + "\x1b[0m"
	case AlertWarn:
		return "\x1b[1;33m" + s + "\x1b[0m"
	case AlertOK:
		return "\x1b[32m" + s + "\x1b[0m"
	}
	return s
}

func (o TextOptions) cells(r Row) []string {
	id := r.Studio
	marker := map[string]string{AlertOK: "● ", AlertWarn: "▲ ", AlertBad: "✖ "}[r.Alert]
	if r.Level == LevelNever {
		marker = "○ "
	}
	s := r.Status
	if s == nil {
		return []string{marker + id, o.t("never"), "", "", "", "", "", "—"}
	}
	if r.Standby != nil && r.Standby.Level == LevelLive {
		id += " +" + o.t("standby")
	}
	seg := "—"
	if s.Segments > 0 && s.Segment >= 0 {
		seg = fmt.Sprintf("%d/%d %s", s.Segment+1, s.Segments, s.SegmentTitle)
	}
	show := seg + " · " + s.Show
	state := o.t(s.State)
	if s.Rehearsal {
		state += "*"
	}
	ou := "—"
	if s.State == fleet.StateRunning || s.State == fleet.StatePaused {
		ou = FormatOverUnder(s.OverUnder)
	}
	var ix []string
	for _, it := range s.Interactions {
		switch {
		case it.State == "armed":
			ix = append(ix, fmt.Sprintf("%s %s (%s)", o.t(it.Kind), it.Label, o.t("armed")))
		case it.Kind == "coupon":
			ix = append(ix, fmt.Sprintf("%s %s %d/%d", o.t("coupon"), it.Label, it.Claims, it.Claims+it.StockLeft))
		default:
			ix = append(ix, fmt.Sprintf("%s %s %d %s", o.t("vote"), it.Label, it.Total, o.t("votes")))
		}
	}
	if s.Unpublished != nil && *s.Unpublished > 0 {
		ix = append(ix, fmt.Sprintf("%s %d", o.t("unpublished"), *s.Unpublished))
	}
	ixs := "—"
	if len(ix) > 0 {
		ixs = strings.Join(ix, "; ")
	}
	ok := 0
	var probs []string
	for _, d := range s.Devices {
		if d.Health == fleet.HealthOK {
			ok++
		} else {
			probs = append(probs, d.Name+" "+o.t(d.Health))
		}
	}
	dev := fmt.Sprintf("%d/%d", ok, len(s.Devices))
	if len(probs) > 0 {
		dev += " " + strings.Join(probs, ", ")
	}
	hb := FormatAge(time.Duration(r.AgeMS) * time.Millisecond)
	if r.Level == LevelStale || r.Level == LevelLost {
		hb = o.t(r.Level) + " " + hb
	}
	return []string{marker + id, show, state, ou, fmt.Sprintf("%.0f", s.DanmakuPerMin), ixs, dev, hb}
}

// FormatOverUnder is "+1:23" (running over), "−0:45" (ahead) or "±0:00".
func FormatOverUnder(sec float64) string {
	if math.Abs(sec) < 1 {
		return "±0:00"
	}
	sign := "+"
	if sec < 0 {
		sign = "−"
	}
	s := int(math.Round(math.Abs(sec)))
	if s >= 3600 {
		return fmt.Sprintf("%s%d:%02d:%02d", sign, s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%s%d:%02d", sign, s/60, s%60)
}

// FormatAge is a heartbeat age: "0.4 s", "42 s", "3 min", "2 h".
func FormatAge(d time.Duration) string {
	switch {
	case d < 10*time.Second:
		return fmt.Sprintf("%.1f s", max(d, 0).Seconds())
	case d < 2*time.Minute:
		return fmt.Sprintf("%.0f s", d.Seconds())
	case d < 2*time.Hour:
		return fmt.Sprintf("%.0f min", d.Minutes())
	}
	return fmt.Sprintf("%.0f h", d.Hours())
}

// displayWidth counts terminal columns: East Asian wide and fullwidth
// characters take two.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

func runeWidth(r rune) int {
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// truncate cuts s to w columns, ending in "…" when cut.
func truncate(s string, w int) string {
	if displayWidth(s) <= w {
		return s
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		rw := runeWidth(r)
		if n+rw > w-1 {
			break
		}
		b.WriteRune(r)
		n += rw
	}
	return b.String() + "…"
}
