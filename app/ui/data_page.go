package ui

import (
	"fmt"
	"image/color"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"studiodesk/scripts"
	"studiodesk/studio"
	"studiodesk/studio/danmaku"
	"studiodesk/studio/interact"
	"studiodesk/studio/report"
	"studiodesk/studio/store"
)

// dataPage is the live dashboard (figures refreshed every second, a chart
// of danmaku per minute) and the after-show tools: the report and the
// verification of the show log.
type dataPage struct {
	root    fyne.CanvasObject
	desk    *studio.Desk
	st      *store.Store
	pipe    *danmaku.Pipeline
	app     fyne.App
	figures map[string]*widget.Label
	chart   *fyne.Container
	status  *widget.Label
	busy    *busyBar

	perSecond []int64 // received counts, one per second, last 30 min
	lastRecv  int64
	perMinute []int64
	// chartStale: the chart changed while the page was hidden
	chartStale bool
}

var dashboardFigures = []string{"dash.viewers", "dash.dpm", "dash.shown", "dash.filtered", "dash.questions", "dash.claims", "dash.votes", "dash.overunder"}

func newDataPage(a fyne.App, desk *studio.Desk, st *store.Store, pipe *danmaku.Pipeline) *dataPage {
	p := &dataPage{app: a, desk: desk, st: st, pipe: pipe, figures: map[string]*widget.Label{},
		chart: container.NewWithoutLayout(), status: widget.NewLabel(""), busy: &busyBar{box: container.NewStack()}}
	p.status.Wrapping = fyne.TextWrapWord
	grid := container.NewGridWithColumns(4)
	for _, k := range dashboardFigures {
		l := widget.NewLabelWithStyle("—", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		p.figures[k] = l
		grid.Add(container.NewVBox(widget.NewLabel(T(k)), l))
	}
	chartBox := container.NewGridWrap(fyne.NewSize(720, 140), p.chart)
	p.root = container.NewVScroll(container.NewVBox(
		widget.NewLabelWithStyle(T("dash.title"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), grid,
		widget.NewLabel(T("dash.chart")), chartBox,
		widget.NewLabelWithStyle(T("dash.after"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.NewHBox(widget.NewButton(T("dash.report"), p.makeReport), widget.NewButton(T("dash.verify"), p.verify)),
		p.busy.box, p.status,
	))
	return p
}

// tick updates the figures once a second; called on the UI goroutine.
// The per-second counts are kept whether or not the page is shown; the
// figures and the chart are drawn only when it is (shown).
func (p *dataPage) tick(snap *studio.Snapshot, st scripts.State, ix studio.Interactions, viewers int, shown bool) {
	var stats danmaku.Stats
	if p.pipe != nil {
		stats = p.pipe.Stats()
	}
	p.perSecond = append(p.perSecond, stats.Received-p.lastRecv)
	p.lastRecv = stats.Received
	chartChanged := false
	if len(p.perSecond) > 60 {
		chartChanged = true
		var sum int64
		for _, n := range p.perSecond[:60] {
			sum += n
		}
		p.perMinute = append(p.perMinute, sum)
		if len(p.perMinute) > 30 {
			p.perMinute = p.perMinute[1:]
		}
		p.perSecond = p.perSecond[60:]
	}
	if !shown {
		p.chartStale = p.chartStale || chartChanged
		return
	}
	var lastMinute int64
	for _, n := range p.perSecond {
		lastMinute += n
	}
	claims, voters := 0, 0
	for _, v := range ix.Items {
		if v.Kind == interact.KindCoupon {
			claims += v.Claims
		} else {
			voters += v.Total
		}
	}
	set := func(k, v string) {
		if l := p.figures[k]; l.Text != v {
			l.SetText(v)
		}
	}
	set("dash.viewers", fmt.Sprint(viewers))
	set("dash.dpm", fmt.Sprint(lastMinute*60/int64(max(len(p.perSecond), 1))))
	set("dash.shown", fmt.Sprint(stats.Shown))
	set("dash.filtered", fmt.Sprint(stats.Links+stats.Contact+stats.Banned+stats.Flood+stats.Blocked))
	if p.pipe != nil {
		set("dash.questions", fmt.Sprint(len(p.pipe.Questions(100))))
	}
	set("dash.claims", fmt.Sprint(claims))
	set("dash.votes", fmt.Sprint(voters))
	if st.Started {
		set("dash.overunder", signed(st.OverUnder))
	}
	if chartChanged || p.chartStale {
		p.chartStale = false
		p.drawChart()
	}
}

// drawChart draws danmaku per minute as bars, newest on the right.
func (p *dataPage) drawChart() {
	p.chart.RemoveAll()
	const w, h, bar = 720, 130, 22
	var peak int64 = 1
	for _, n := range p.perMinute {
		peak = max(peak, n)
	}
	for i, n := range p.perMinute {
		bh := float32(n) / float32(peak) * h
		r := canvas.NewRectangle(color.NRGBA{0x42, 0xA5, 0xF5, 0xFF})
		r.Resize(fyne.NewSize(bar-4, bh))
		r.Move(fyne.NewPos(float32(w-(len(p.perMinute)-i)*bar), h-bh))
		p.chart.Add(r)
	}
	p.chart.Refresh()
}

// makeReport writes the run's report next to the data and opens it.
func (p *dataPage) makeReport() {
	snap := p.desk.Snapshot()
	if p.st == nil || snap == nil || snap.Run == "" {
		p.status.SetText(T("dash.no_run"))
		return
	}
	p.busy.Show()
	go func() {
		path, err := writeReport(p.st, snap)
		fyne.Do(func() {
			p.busy.Hide()
			if err != nil {
				p.status.SetText("⚠ " + err.Error())
				return
			}
			p.status.SetText("✓ " + path)
			_ = p.app.OpenURL(&url.URL{Scheme: "file", Path: path})
		})
	}()
}

func writeReport(st *store.Store, snap *studio.Snapshot) (string, error) {
	r, err := report.Build(st, snap.Run, snap.Show)
	if err != nil {
		return "", fmt.Errorf("report %s: %w", snap.Run, err)
	}
	dir := filepath.Join(filepath.Dir(st.Path()), "reports")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("report: %w", err)
	}
	base := filepath.Join(dir, safeName(snap.Run))
	for ext, write := range map[string]func(*os.File) error{
		".html": func(f *os.File) error { return report.WriteHTML(f, r) },
		".csv":  func(f *os.File) error { return report.WriteCSV(f, r) },
	} {
		f, err := os.Create(base + ext)
		if err != nil {
			return "", fmt.Errorf("report: %w", err)
		}
		werr := write(f)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return "", fmt.Errorf("report %s: %w", base+ext, werr)
		}
	}
	return base + ".html", nil
}

func safeName(s string) string {
	out := []rune(s)
	for i, r := range out {
		if r == '/' || r == '\\' || r == ':' || r == '@' {
			out[i] = '_'
		}
	}
	return string(out)
}

// verify checks the hash chain of the run on air (or the last one) off
// the UI goroutine, with a progress bar while it runs.
func (p *dataPage) verify() {
	snap := p.desk.Snapshot()
	if p.st == nil || snap == nil || snap.Run == "" {
		p.status.SetText(T("dash.no_run"))
		return
	}
	p.busy.Show()
	run := snap.Run
	go func() {
		text := verifyText(p.st, run)
		fyne.Do(func() {
			p.busy.Hide()
			p.status.SetText(text)
		})
	}()
}

// verifyText verifies one run and says the result in a line.
func verifyText(st *store.Store, run string) string {
	start := time.Now()
	res, err := st.Verify(run)
	switch {
	case err != nil:
		return "⚠ " + err.Error()
	case !res.OK():
		return fmt.Sprintf("⚠ %s: %s", T("dash.tampered"), res.Broken.Error())
	}
	return fmt.Sprintf("✓ %s · %d %s · %s … (%.0f ms)", run, res.Records, T("dash.records"), res.FinalHash[:16], float64(time.Since(start).Microseconds())/1000)
}

// busyBar shows an infinite progress bar while a job runs. The bar exists
// only then: Fyne starts an infinite bar's animation when its renderer is
// built, hidden or not, and an animation repaints the window at 60 Hz.
type busyBar struct {
	box *fyne.Container
	bar *widget.ProgressBarInfinite
}

func (b *busyBar) Show() {
	if b.bar == nil {
		b.bar = widget.NewProgressBarInfinite()
		b.box.Add(b.bar)
	}
}

func (b *busyBar) Hide() {
	if b.bar != nil {
		b.bar.Stop()
		b.box.Remove(b.bar)
		b.bar = nil
	}
}
