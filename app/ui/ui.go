// Package ui is the desk's Fyne front end: the host, controller and
// producer views, their shortcuts, and the bridge that brings the desk's
// events onto the UI goroutine. It holds no show logic.
package ui

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"studiodesk/app/sound"
	"studiodesk/assets"
	"studiodesk/scripts"
	"studiodesk/studio"
	"studiodesk/studio/store"
)

// Options are the command-line settings.
type Options struct {
	DataDir   string
	Rehearsal bool
	View      string // controller (default), streamer, producer
	Size      fyne.Size
	DemoRun   bool // start the demo show at once (screenshots, kiosks)
}

func parseOptions(args []string, stderr io.Writer) (Options, error) {
	fs := flag.NewFlagSet("studiodesk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := Options{}
	fs.StringVar(&o.DataDir, "data", "", "data directory (default: $STUDIODESK_DATA or the user config dir)")
	fs.BoolVar(&o.Rehearsal, "rehearsal", true, "rehearsal mode: simulated platform and devices")
	fs.StringVar(&o.View, "view", "controller", "first view: controller, streamer or producer")
	size := fs.String("size", "1400x900", "window size WxH")
	fs.BoolVar(&o.DemoRun, "demo-run", false, "start the loaded show immediately")
	langFlag := fs.String("lang", "", "UI language: zh or en (default: from the locale)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch o.View {
	case "controller", "streamer", "producer":
	default:
		return o, fmt.Errorf("--view %q: want controller, streamer or producer", o.View)
	}
	w, h, ok := strings.Cut(*size, "x")
	wf, err1 := strconv.Atoi(w)
	hf, err2 := strconv.Atoi(h)
	if !ok || err1 != nil || err2 != nil || wf < 320 || hf < 240 {
		return o, fmt.Errorf("--size %q: want WxH, at least 320x240", *size)
	}
	o.Size = fyne.NewSize(float32(wf), float32(hf))
	switch *langFlag {
	case "":
	case "zh", "en":
		lang = *langFlag
	default:
		return o, fmt.Errorf("--lang %q: want zh or en", *langFlag)
	}
	return o, nil
}

// Main runs the desk application; it returns the process exit code.
func Main(args []string) int {
	opts, err := parseOptions(args, os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(os.Stderr, "studiodesk:", err)
		return 2
	}
	dir, err := store.ResolveDir(opts.DataDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "studiodesk:", err)
		return 1
	}
	// A second desk on the same data must fail fast, well inside a second.
	st, err := store.Open(dir, store.Options{Timeout: 500 * time.Millisecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, "studiodesk:", err)
		return 1
	}
	defer st.Close()

	desk := studio.New(studio.Config{Journal: studio.NewStoreJournal(st), Rehearsal: opts.Rehearsal})
	defer desk.Close()
	show, err := loadCurrentShow(st)
	if err != nil {
		log.Printf("studiodesk: %v; opening the demo show", err)
	}
	if err := desk.Do(context.Background(), studio.LoadShow{Show: show}); err != nil {
		log.Printf("studiodesk: %v", err)
	}
	if opts.DemoRun {
		_ = desk.Do(context.Background(), studio.Start{})
	}

	a := app.NewWithID("com.studiodesk.desk")
	a.Settings().SetTheme(newDeskTheme())
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon()))
	w := a.NewWindow(T("app.title"))
	d := newDeskUI(a, desk, w, st, opts.View, time.Now)
	d.player = newCuePlayer()
	w.Resize(opts.Size)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b := &bridge{desk: desk, now: time.Now, onEvent: d.onEvent, onTick: d.onTick}
	go b.run(ctx)
	w.ShowAndRun()
	return 0
}

// loadCurrentShow returns the producer's saved script, or the demo show.
func loadCurrentShow(st *store.Store) (*scripts.Show, error) {
	var saved scripts.Show
	ok, err := st.Get(scriptBucket, currentScript, &saved)
	if err == nil && ok && len(saved.Segments) > 0 {
		return &saved, nil
	}
	demo, derr := scripts.LoadYAML("demo/show.yaml", assets.DemoShow())
	if derr != nil {
		return &scripts.Show{ID: "empty", Title: "—"}, fmt.Errorf("demo show: %w", derr)
	}
	return demo, err
}

const (
	scriptBucket  = "scripts"
	currentScript = "current"
)

// cuePlayer plays cue sounds; nil-safe no-op when there is no audio.
type cuePlayer interface{ Play(name string) }

// deskUI holds the windows and views and routes desk events to them.
type deskUI struct {
	app        fyne.App
	desk       *studio.Desk
	win        fyne.Window
	now        func() time.Time
	runner     *actionRunner
	streamer   *streamerView
	controller *controllerView
	producer   *producerView
	hostWin    fyne.Window
	hostView   *streamerView
	player     cuePlayer
	snap       *studio.Snapshot
}

func newDeskUI(a fyne.App, desk *studio.Desk, w fyne.Window, st *store.Store, view string, now func() time.Time) *deskUI {
	d := &deskUI{app: a, desk: desk, win: w, now: now}
	d.runner = &actionRunner{desk: desk, win: w}
	d.streamer = newStreamerView()
	d.controller = newControllerView(d.runner)
	d.producer = newProducerView(desk, w, st)
	d.runner.report = d.controller.report
	d.runner.refresh = d.refresh

	hostBtn := widget.NewButton(T("btn.host_window")+"  [H]", d.openHostWindow)
	tabs := container.NewAppTabs(
		container.NewTabItem(T("view.controller"), container.NewBorder(nil, container.NewHBox(hostBtn, widget.NewLabel(shortcutHelp())), nil, nil, d.controller.root)),
		container.NewTabItem(T("view.streamer"), d.streamer.root),
		container.NewTabItem(T("view.producer"), d.producer.root),
	)
	switch view {
	case "streamer":
		tabs.SelectIndex(1)
	case "producer":
		tabs.SelectIndex(2)
	}
	w.SetContent(tabs)
	w.Canvas().SetOnTypedKey(d.typedKey)
	d.snap = desk.Snapshot()
	d.refresh()
	return d
}

func shortcutHelp() string {
	parts := make([]string, 0, len(timerActions)+2)
	for _, a := range timerActions {
		parts = append(parts, "["+a.keyText+"] "+T(a.label))
	}
	parts = append(parts, "[J] "+T("btn.jump"), "[H] "+T("view.streamer"))
	return T("shortcuts") + "：" + strings.Join(parts, " · ")
}

func (d *deskUI) typedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyJ:
		d.controller.jumpSelected()
		return
	case fyne.KeyH:
		d.openHostWindow()
		return
	}
	d.runner.handleKey(k.Name, timerActions)
}

// openHostWindow shows the host screen in its own window, full screen, for
// a second monitor.
func (d *deskUI) openHostWindow() {
	if d.hostWin != nil {
		d.hostWin.RequestFocus()
		return
	}
	d.hostView = newStreamerView()
	hw := d.app.NewWindow(T("view.streamer"))
	hw.SetContent(d.hostView.root)
	hw.Canvas().SetOnTypedKey(d.typedKey)
	hw.SetOnClosed(func() { d.hostWin, d.hostView = nil, nil })
	hw.SetFullScreen(true)
	d.hostWin = hw
	hw.Show()
	d.refresh()
}

// onEvent applies one desk event; runs on the UI goroutine.
func (d *deskUI) onEvent(ev studio.Event) {
	switch ev.Kind {
	case studio.EventSnapshot:
		d.snap = ev.Snapshot
		d.producer.onSnapshot(ev.Snapshot)
		d.refresh()
	case studio.EventCue:
		if ev.Cue == nil {
			return
		}
		d.streamer.onCue(*ev.Cue, ev.Fired)
		if d.hostView != nil {
			d.hostView.onCue(*ev.Cue, ev.Fired)
		}
		d.controller.onCue(*ev.Cue, ev.Fired)
		if d.player != nil {
			d.player.Play(cueSound(ev.Cue.Kind))
		}
	case studio.EventError:
		d.controller.report(ev.Err)
	}
}

func cueSound(k scripts.CueKind) string {
	switch k {
	case scripts.CueWarning:
		return sound.CueWarning
	case scripts.CueDanger:
		return sound.CueDanger
	case scripts.CueOvertime:
		return sound.CueOvertime
	}
	return sound.CuePoint
}

func (d *deskUI) onTick(now time.Time) { d.render(now) }

// refresh re-renders from the desk's latest snapshot at the current time.
func (d *deskUI) refresh() {
	if s := d.desk.Snapshot(); s != nil {
		d.snap = s
	}
	d.render(d.now())
}

func (d *deskUI) render(now time.Time) {
	st := d.snap.State(now)
	d.streamer.render(d.snap, st)
	d.controller.render(d.snap, st)
	if d.hostView != nil {
		d.hostView.render(d.snap, st)
	}
}
