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
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"

	"studiodesk/app/sound"
	"studiodesk/assets"
	"studiodesk/scripts"
	"studiodesk/studio"
	"studiodesk/studio/danmaku"
	"studiodesk/studio/overlay"
	"studiodesk/studio/platform/rehearsal"
	"studiodesk/studio/remote"
	"studiodesk/studio/store"
)

// Options are the command-line settings.
type Options struct {
	DataDir   string
	Rehearsal bool
	View      string // controller (default), streamer, producer
	Size      fyne.Size
	DemoRun   bool // start the demo show at once (screenshots, kiosks)
	// SimProfile and SimRate tune the rehearsal platform simulator.
	SimProfile  string
	SimRate     float64
	OverlayAddr string
	// RemoteControl starts the field-controller server; RemoteAddr is its
	// LAN address. Remote (with Pair) runs this app as a client of a desk.
	RemoteControl bool
	RemoteAddr    string
	Remote        string
	Pair          string
	Platform      platformFlags
	// Speed accelerates a rehearsal (1 = real time); refused outside one.
	Speed float64
}

func parseOptions(args []string, stderr io.Writer) (Options, error) {
	fs := flag.NewFlagSet("studiodesk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := Options{}
	fs.StringVar(&o.DataDir, "data", "", "data directory (default: $STUDIODESK_DATA or the user config dir)")
	fs.BoolVar(&o.Rehearsal, "rehearsal", true, "rehearsal mode: simulated platform and devices")
	fs.StringVar(&o.View, "view", "controller", "first view: controller, streamer, producer, presets or devices")
	size := fs.String("size", "1400x900", "window size WxH")
	fs.BoolVar(&o.DemoRun, "demo-run", false, "start the loaded show immediately")
	langFlag := fs.String("lang", "", "UI language: zh or en (default: from the locale)")
	fs.StringVar(&o.SimProfile, "sim-profile", "normal", "rehearsal simulator: quiet, normal, mega, hostile or flaky")
	fs.Float64Var(&o.SimRate, "sim-rate", 0, "rehearsal danmaku per second (0: the profile's rate)")
	fs.StringVar(&o.OverlayAddr, "overlay", overlay.DefaultAddr, "OBS overlay server address (loopback)")
	fs.BoolVar(&o.RemoteControl, "remote-control", false, "serve the field-controller remote on the LAN (also switchable in the Remote tab)")
	fs.StringVar(&o.RemoteAddr, "remote-addr", remote.DefaultAddr, "LAN address for remote control")
	fs.StringVar(&o.Remote, "remote", "", "run as the field controller's client of the desk at ADDR (host:port)")
	fs.StringVar(&o.Pair, "pair", "", "with --remote: the desk's one-time pairing code")
	o.Platform.register(fs)
	fs.Float64Var(&o.Speed, "speed", 1, "rehearsal speed: 1 (real time) up to 20 (a dry run)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch o.View {
	case "controller", "streamer", "producer", "interactions", "presets", "devices", "remote", "data":
	default:
		return o, fmt.Errorf("--view %q: want controller, streamer, producer, presets or devices", o.View)
	}
	w, h, ok := strings.Cut(*size, "x")
	wf, err1 := strconv.Atoi(w)
	hf, err2 := strconv.Atoi(h)
	if !ok || err1 != nil || err2 != nil || wf < 320 || hf < 240 {
		return o, fmt.Errorf("--size %q: want WxH, at least 320x240", *size)
	}
	o.Size = fyne.NewSize(float32(wf), float32(hf))
	if o.Speed < 1 || o.Speed > 20 {
		return o, fmt.Errorf("--speed %v: want 1 to 20", o.Speed)
	}
	if o.Speed != 1 && (!o.Rehearsal || o.Platform.kind != "rehearsal" && o.Platform.kind != "") {
		return o, fmt.Errorf("--speed %v: only in rehearsal mode on the simulator", o.Speed)
	}
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
	if opts.Remote != "" {
		a := app.NewWithID("com.studiodesk.desk")
		a.Settings().SetTheme(newDeskTheme())
		if err := runRemoteClient(a, st, opts.Remote, opts.Pair); err != nil {
			fmt.Fprintln(os.Stderr, "studiodesk:", err)
			return 1
		}
		return 0
	}

	env, err := openStudio(st, opts.Rehearsal)
	if err != nil {
		fmt.Fprintln(os.Stderr, "studiodesk:", err)
	}
	defer env.reg.CloseAll()
	env.pipe = danmaku.New(danmaku.Config{})
	// Offline first: the rehearsal simulator is the platform unless a real
	// one is configured.
	var clk studio.Clock = studio.RealClock{}
	if opts.Speed != 1 {
		clk = studio.NewScaledClock(opts.Speed)
	}
	plat, err := opts.Platform.open(rehearsal.Config{Seed: time.Now().UnixNano(), Profile: opts.SimProfile, Rate: opts.SimRate, Now: clk.Now})
	if err != nil {
		fmt.Fprintln(os.Stderr, "studiodesk:", err)
		return 2
	}
	audience := &viewerCount{} // the live feed's audience, once it runs
	desk := studio.New(studio.Config{
		Clock:   clk,
		Journal: studio.NewStoreJournal(st), Rehearsal: opts.Rehearsal,
		Devices: env.reg, Presets: env.book, SavePresets: func(b *studio.PresetBook) error { return b.Save(st) },
		Danmaku:  env.pipe,
		Interact: studio.InteractConfig{Platform: plat, Outbox: st, Viewers: audience.get},
	})
	defer desk.Close()
	live := startLive(desk, env.pipe, plat, opts.OverlayAddr)
	audience.set(live.viewers)
	defer live.stop()
	show, err := loadCurrentShow(st)
	if err != nil {
		log.Printf("studiodesk: %v; opening the demo show", err)
	}
	if err := desk.Do(context.Background(), studio.LoadShow{Show: show}); err != nil {
		log.Printf("studiodesk: %v", err)
	}
	// Anything fired but not acknowledged before a crash goes out again,
	// with the same idempotency key, once the show's interactions (and
	// their persisted state) are back.
	desk.ResendPending()
	if opts.DemoRun {
		_ = desk.Do(context.Background(), studio.Start{})
	}

	a := app.NewWithID("com.studiodesk.desk")
	a.Settings().SetTheme(newDeskTheme())
	a.SetIcon(fyne.NewStaticResource("icon.png", assets.Icon()))
	title := T("app.title")
	if opts.Rehearsal {
		title += " · " + T("rehearsal")
	}
	if opts.Speed != 1 {
		title += fmt.Sprintf(" · %g×", opts.Speed)
	}
	w := a.NewWindow(title)
	d := newDeskUI(a, desk, w, st, env, opts.View, clk.Now)
	d.setOverlayURL(live.URL("danmaku"))
	d.ix.setCapabilities(plat.Name(), plat.Capabilities())
	d.remote.onServer = live.setRemote
	d.viewers = live.viewers
	d.remote.addr = opts.RemoteAddr
	if opts.RemoteControl {
		d.remote.enable.SetChecked(true)
	}
	defer d.remote.close()
	d.player = newCuePlayer()
	w.Resize(opts.Size)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b := &bridge{desk: desk, now: clk.Now, onEvent: d.onEvent, onTick: d.onTick}
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

// studioEnv is the studio's devices and presets as loaded at start.
type studioEnv struct {
	pipe      *danmaku.Pipeline
	reg       *studio.Registry
	book      *studio.PresetBook
	cfgs      []studio.DeviceConfig
	rehearsal bool
}

// openStudio loads the device list and presets, seeding the demo studio on
// first run, and opens every device (simulators in rehearsal mode). A
// device that fails to open is reported; the others still open.
func openStudio(st *store.Store, rehearsal bool) (studioEnv, error) {
	env := studioEnv{reg: studio.NewRegistry(), book: studio.NewPresetBook(), rehearsal: rehearsal}
	var errs []error
	cfgs, err := studio.LoadDeviceConfigs(st)
	if err != nil {
		errs = append(errs, err)
	}
	if len(cfgs) == 0 && err == nil {
		cfgs = studio.DemoDevices()
		if err := studio.SaveDeviceConfigs(st, cfgs); err != nil {
			errs = append(errs, err)
		}
	}
	env.cfgs = cfgs
	if err := env.reg.OpenAll(cfgs, rehearsal); err != nil {
		errs = append(errs, err)
	}
	book, err := studio.LoadPresets(st)
	if book != nil {
		env.book = book
	}
	if err != nil {
		errs = append(errs, err)
	} else if env.book.Len() == 0 {
		for _, p := range studio.DemoPresets() {
			if err := env.book.Add(p); err != nil {
				errs = append(errs, err)
			}
		}
		if err := env.book.Save(st); err != nil {
			errs = append(errs, err)
		}
	}
	return env, errors.Join(errs...)
}

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
	presets    *presetGrid
	danmaku    *danmakuPane
	pipe       *danmaku.Pipeline
	editor     *presetEditor
	overlayURL *widget.Label
	remote     *remotePage
	ix         *interactionsPane
	ixEditor   *ixEditor
	data       *dataPage
	viewers    func() int
	devices    *devicesPage
	ticks      int
}

func newDeskUI(a fyne.App, desk *studio.Desk, w fyne.Window, st *store.Store, env studioEnv, view string, now func() time.Time) *deskUI {
	d := &deskUI{app: a, desk: desk, win: w, now: now}
	if env.reg == nil {
		env.reg = studio.NewRegistry()
	}
	d.runner = &actionRunner{desk: desk, win: w}
	d.streamer = newStreamerView()
	d.controller = newControllerView(d.runner)
	d.producer = newProducerView(desk, w, st)
	d.ixEditor = newIxEditor(d.producer)
	d.producer.onChange = d.ixEditor.reload
	d.presets = newPresetGrid(d.runner)
	d.editor = newPresetEditor(d.runner, env.reg)
	d.devices = newDevicesPage(env.reg, st, env.cfgs, env.rehearsal)
	d.controller.addSide(d.presets.root)
	d.ix = newInteractionsPane(d.runner, now)
	d.controller.setCard(d.ix.root)
	d.pipe = env.pipe
	d.danmaku = newDanmakuPane(env.pipe, d.runner)
	d.controller.addBelowRundown(d.danmaku.root)
	d.runner.report = func(err error) {
		d.controller.report(err)
		if err != nil {
			d.editor.status.SetText("⚠ " + err.Error())
		}
	}
	d.runner.refresh = d.refresh
	var tokens remote.TokenStore = remote.NewMemoryTokenStore()
	if st != nil {
		tokens = boltTokens{st: st}
	}
	d.remote = newRemotePage(desk, tokens, remote.DefaultAddr)
	d.data = newDataPage(a, desk, st, env.pipe)
	d.remote.now = now
	producerTabs := container.NewAppTabs(
		container.NewTabItem(T("prod.script"), d.producer.root),
		container.NewTabItem(T("ixe.tab"), d.ixEditor.root),
		container.NewTabItem(T("prod.presets"), d.editor.root),
		container.NewTabItem(T("prod.devices"), d.devices.root),
	)

	hostBtn := widget.NewButton(T("btn.host_window")+"  [H]", d.openHostWindow)
	d.overlayURL = widget.NewLabel("")
	copyBtn := widget.NewButton(T("overlay.copy"), func() {
		if d.overlayURL.Text != "" {
			a.Clipboard().SetContent(strings.TrimPrefix(d.overlayURL.Text, "OBS: "))
		}
	})
	tabs := container.NewAppTabs(
		container.NewTabItem(T("view.controller"), container.NewBorder(nil, container.NewVBox(container.NewHBox(hostBtn, copyBtn, d.overlayURL), wrapped(shortcutHelp())), nil, nil, d.controller.root)),
		container.NewTabItem(T("view.streamer"), container.NewVScroll(container.New(minWidthCap{800}, d.streamer.root))),
		container.NewTabItem(T("view.producer"), producerTabs),
		container.NewTabItem(T("view.remote"), d.remote.root),
		container.NewTabItem(T("view.data"), d.data.root),
	)
	switch view {
	case "streamer":
		tabs.SelectIndex(1)
	case "producer":
		tabs.SelectIndex(2)
	case "remote":
		tabs.SelectIndex(3)
	case "data":
		tabs.SelectIndex(4)
	case "interactions", "presets", "devices":
		tabs.SelectIndex(2)
		producerTabs.SelectIndex(map[string]int{"interactions": 1, "presets": 2, "devices": 3}[view])
	}
	w.SetContent(tabs)
	w.Canvas().SetOnTypedKey(d.typedKey)
	d.refresh()
	w.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyP, Modifier: fyne.KeyModifierShortcutDefault}, func(fyne.Shortcut) { d.danmaku.pin() })
	w.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyB, Modifier: fyne.KeyModifierShortcutDefault}, func(fyne.Shortcut) { d.danmaku.block() })
	if view == "presets" && len(d.editor.presets) > 0 {
		d.editor.list.Select(0)
	}
	return d
}

func shortcutHelp() string {
	parts := make([]string, 0, len(timerActions)+2)
	for _, a := range timerActions {
		parts = append(parts, "["+a.keyText+"] "+T(a.label))
	}
	parts = append(parts, "[J] "+T("btn.jump"), "[H] "+T("view.streamer"),
		"[C] "+T("ix.fire"), "[V] "+T("ix.start_vote"), "[X] "+T("ix.end_vote"), "[K] "+T("ix.cancel"))
	return T("shortcuts") + "：" + strings.Join(parts, " · ")
}

func (d *deskUI) typedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyP:
		d.danmaku.pause.SetChecked(!d.danmaku.pause.Checked)
		return
	case fyne.KeyDelete:
		d.danmaku.hide()
		return
	case fyne.KeyC:
		d.ix.fire()
		return
	case fyne.KeyV:
		d.ix.startVote()
		return
	case fyne.KeyX:
		d.ix.endVote()
		return
	case fyne.KeyK:
		d.ix.cancel()
		return
	}
	if id, ok := d.presets.presetForKey(k.Name); ok {
		d.runner.do(studio.RecallPreset{ID: id})
		return
	}
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
	case studio.EventInteraction:
		d.ix.set(d.desk.Interactions())
	case studio.EventRecall:
		d.presets.showResult(ev.Recall)
		d.presets.refreshLights()
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

func (d *deskUI) onTick(now time.Time) {
	d.render(now)
	// Device health changes slowly; twice a second is plenty for the lights.
	if d.ticks++; d.ticks%5 == 0 {
		d.presets.refreshLights()
	}
	if d.ticks%10 == 0 {
		viewers := 0
		if d.viewers != nil {
			viewers = d.viewers()
		}
		d.data.tick(d.snap, d.snap.State(now), d.desk.Interactions(), viewers)
	}
	// Comments redraw at 3-4 Hz: readable, and cheap at any message rate.
	if d.ticks%3 == 0 {
		d.danmaku.refresh()
		d.ix.tick() // countdowns
		q := hostQuestions(d.pipe)
		d.streamer.setQuestions(q)
		d.streamer.setInteraction(d.ix.items, now)
		if d.hostView != nil {
			d.hostView.setQuestions(q)
			d.hostView.setInteraction(d.ix.items, now)
		}
	}
}

// refresh re-renders from the desk's latest snapshot at the current time.
func (d *deskUI) refresh() {
	if s := d.desk.Snapshot(); s != nil && s != d.snap {
		d.snap = s
		d.presets.setPresets(s.Presets, s.Devices)
		d.editor.setPresets(s.Presets)
	}
	d.ix.set(d.desk.Interactions())
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

// setOverlayURL shows the address to paste into an OBS browser source.
func (d *deskUI) setOverlayURL(u string) {
	if u == "" {
		d.overlayURL.SetText(T("overlay.off"))
		return
	}
	d.overlayURL.SetText("OBS: " + u)
}
