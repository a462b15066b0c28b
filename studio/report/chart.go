package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Charts are drawn as inline SVG computed here, so the report is one file
// that opens offline: no chart library or CDN script is referenced.

type svgRect struct {
	X, Y, W, H float64
	Class      string
	Tip        string
}

type svgText struct {
	X, Y   float64
	Text   string
	Anchor string
}

type svgLine struct{ X1, Y1, X2, Y2 float64 }

type svgDot struct {
	X, Y float64
	Tip  string
}

// chart is what the template draws; coordinates are in the viewBox.
type chart struct {
	W, H   float64
	Grid   []svgLine
	Ticks  []svgText
	Labels []svgText
	Rects  []svgRect
	Points string // polyline points, "x,y x,y ..."
	Dots   []svgDot
	Axis   svgLine
	YTitle svgText
	Empty  bool
}

const (
	chartW      = 1000.0
	chartH      = 320.0
	padL        = 56.0
	padR        = 16.0
	padT        = 30.0
	padB        = 40.0
	tickCount   = 5
	maxXLabels  = 30
	minuteLabel = "15:04"
)

// niceMax rounds v up to 1, 2 or 5 × 10^k so the ticks read well.
func niceMax(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	exp := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*exp >= v {
			return m * exp
		}
	}
	return 10 * exp
}

func yAxis(c *chart, top float64, format func(float64) string) func(float64) float64 {
	plotH := c.H - padT - padB
	y := func(v float64) float64 { return c.H - padB - v/top*plotH }
	for i := 0; i <= tickCount; i++ {
		v := top * float64(i) / tickCount
		c.Grid = append(c.Grid, svgLine{X1: padL, Y1: y(v), X2: c.W - padR, Y2: y(v)})
		c.Ticks = append(c.Ticks, svgText{X: padL - 6, Y: y(v) + 4, Text: format(v), Anchor: "end"})
	}
	c.Axis = svgLine{X1: padL, Y1: c.H - padB, X2: c.W - padR, Y2: c.H - padB}
	return y
}

// segmentChart: planned (incl. adjustments) and actual minutes per segment.
func segmentChart(r *Report) chart {
	c := chart{W: chartW, H: chartH}
	if len(r.Segments) == 0 {
		c.Empty = true
		return c
	}
	var most time.Duration
	for _, s := range r.Segments {
		most = max(most, s.Planned, s.Actual)
	}
	top := niceMax(most.Minutes())
	y := yAxis(&c, top, func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) })
	c.YTitle = svgText{X: padL, Y: 14, Text: "分钟", Anchor: "end"}
	slot := (c.W - padL - padR) / float64(len(r.Segments))
	bw := math.Max(1, slot*0.36)
	every := max(1, (len(r.Segments)+maxXLabels-1)/maxXLabels)
	for i, s := range r.Segments {
		x0 := padL + slot*float64(i) + slot*0.12
		name := fmt.Sprintf("%d %s", i+1, s.Title)
		for j, v := range []struct {
			d     time.Duration
			class string
			what  string
		}{{s.Planned, "planned", "计划"}, {s.Actual, "actual", "实际"}} {
			class := v.class
			if j == 1 && s.Done && s.Over > 0 {
				class = "over"
			}
			yy := y(v.d.Minutes())
			c.Rects = append(c.Rects, svgRect{X: x0 + bw*float64(j), Y: yy, W: bw, H: c.H - padB - yy, Class: class,
				Tip: name + " · " + v.what + " " + clock(v.d)})
		}
		if i%every == 0 {
			c.Labels = append(c.Labels, svgText{X: padL + slot*(float64(i)+0.5), Y: c.H - padB + 16, Text: strconv.Itoa(i + 1), Anchor: "middle"})
		}
	}
	return c
}

// danmakuChart: danmaku received per minute.
func danmakuChart(r *Report) chart {
	c := chart{W: chartW, H: chartH}
	if len(r.Minutes) == 0 {
		c.Empty = true
		return c
	}
	var most int64
	for _, m := range r.Minutes {
		most = max(most, m.Received)
	}
	top := niceMax(float64(most))
	y := yAxis(&c, top, func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) })
	c.YTitle = svgText{X: padL, Y: 14, Text: "条/分钟", Anchor: "end"}
	n := len(r.Minutes)
	plotW := c.W - padL - padR
	x := func(i int) float64 {
		if n == 1 {
			return padL + plotW/2
		}
		return padL + plotW*float64(i)/float64(n-1)
	}
	var pts strings.Builder
	every := max(1, (n+11)/12)
	for i, m := range r.Minutes {
		px, py := x(i), y(float64(m.Received))
		fmt.Fprintf(&pts, "%.1f,%.1f ", px, py)
		c.Dots = append(c.Dots, svgDot{X: px, Y: py, Tip: fmt.Sprintf("%s · %d 条", m.At.In(zone).Format(minuteLabel), m.Received)})
		if i%every == 0 || (i == n-1 && i%every >= every/2) {
			c.Labels = append(c.Labels, svgText{X: px, Y: c.H - padB + 16, Text: m.At.In(zone).Format(minuteLabel), Anchor: "middle"})
		}
	}
	c.Points = strings.TrimSpace(pts.String())
	return c
}
