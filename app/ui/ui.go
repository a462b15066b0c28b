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
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"studiodesk/app/core"
	"studiodesk/app/sound"
	"studiodesk/assets"
	"studiodesk/scripts"
	"studiodesk/studio"
	"studiodesk/studio/danmaku"
	"studiodesk/studio/remote"
	"studiodesk/studio/store"
)

// Options are the command-line settings: the desk's (app/core) and the
// window's.
type Options struct {
	core.Options
	View string // controller (default), streamer, producer
	Size fyne.Size
	// RemoteControl switches the field-controller server on at start (also
	// switchable in the Remote tab). Remote (with Pair) runs this app as a
	// client of a desk.
	RemoteControl bool
	Remote        string
	Pair          string
	Lang          string // --lang: zh or en, remembered in the settings
}

func parseOptions(args []string, stderr io.Writer) (Options, error) {
	fs := flag.NewFlagSet("studiodesk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := Options{}
	o.Options.Register(fs)
	fs.StringVar(&o.View, "view", mainViews[viewController].name, "first view: "+viewNames())
	size := fs.String("size", "1400x900", "window size WxH")
	langFlag := fs.String("lang", "", "UI language: zh or en, remembered (default: the OS's preferred languages)")
	fs.BoolVar(&o.RemoteControl, "remote-control", false, "serve the field-controller remote on the LAN (also switchable in the Remote tab)")
	fs.StringVar(&o.Remote, "remote", "", "run as the field controller's client of the desk at ADDR (host:port)")
	fs.StringVar(&o.Pair, "pair", "", "with --remote: the desk's one-time pairing code")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q; commands: serve, shows, verify, export, report (studiodesk help)", fs.Arg(0))
	}
	if _, _, ok := findView(o.View); !ok {
		return o, fmt.Errorf("--view %q: want one of %s", o.View, viewNames())
	}
	w, h, ok := strings.Cut(*size, "x")
	wf, err1 := strconv.Atoi(w)
	hf, err2 := strconv.Atoi(h)
	if !ok || err1 != nil || err2 != nil || wf < 320 || hf < 240 {
		return o, fmt.Errorf("--size %q: want WxH, at least 320x240", *size)
	}
	o.Size = fyne.NewSize(float32(wf), float32(hf))
	if err := o.Options.Check(); err != nil {
		return o, err
	}
	switch *langFlag {
	case "":
	case "zh", "en":
		o.Lang = *langFlag
	default:
		return o, fmt.Errorf("--lang %q: want zh or en", *langFlag)
	}
	return o, nil
}

// noDisplay says why no window can open, or "" when one can. It is
// checked before GLFW starts, which would otherwise panic.
func noDisplay(goos string, getenv func(string) string) string {
	if goos != "linux" && goos != "freebsd" && goos != "openbsd" && goos != "netbsd" {
		return ""
	}
	if getenv("DISPLAY") == "" && getenv("WAYLAND_DISPLAY") == "" {
		return "no display (DISPLAY and WAYLAND_DISPLAY are unset): run the desk headless with `studiodesk serve`"
	}
	return ""
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
	if msg := noDisplay(runtime.GOOS, os.Getenv); msg != "" {
		fmt.Fprintln(os.Stderr, "studiodesk:", msg)
		return 1
	}
	withTextureLifetime()
	if opts.Remote != "" {
		st, err := core.OpenStore(opts.DataDir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "studiodesk:", err)
			return 1
		}
		defer st.Close()
		if err := setupLanguage(st, opts.Lang); err != nil {
			log.Printf("studiodesk: %v", err)
		}
		return runGUI(func() error {
			a := app.NewWithID("com.studiodesk.desk")
			a.Settings().SetTheme(newDeskTheme())
			return runRemoteClient(a, st, opts.Remote, opts.Pair)
		})
	}
	desk, err := core.Open(opts.Options)
	if err != nil {
		startError(err)
		dir, derr := store.ResolveDir(opts.DataDir)
		if derr != nil {
			return 1
		}
		code := 1
		if gerr := runGUI(func() error { code = offerRestore(dir, err); return nil }); gerr != 0 {
			return 1
		}
		return code
	}
	defer desk.Close()
	if err := setupLanguage(desk.Store, opts.Lang); err != nil {
		log.Printf("studiodesk: %v", err)
	}
	return runGUI(func() error { showDesk(desk, opts); return nil })
}

// runGUI runs the Fyne part and turns a failure to open a window (GLFW
// cannot start: no usable display or GL) into one line instead of a
// stack trace.
func runGUI(f func() error) (code int) {
	defer func() {
		if r := recover(); r != nil {
			msg := fmt.Sprint(r)
			if !strings.Contains(strings.ToLower(msg), "glfw") && !strings.Contains(strings.ToLower(msg), "display") {
				panic(r)
			}
			fmt.Fprintf(os.Stderr, "studiodesk: cannot open a window (%s): run the desk headless with `studiodesk serve`\n", firstLine(msg))
			code = 1
		}
	}()
	if err := f(); err != nil {
		fmt.Fprintln(os.Stderr, "studiodesk:", err)
		return 1
	}
	return 0
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// showDesk builds the views on the composition root's desk and runs the
// window until it closes.
func showDesk(c *core.App, opts Options) {
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
	w := a.NewWindow(wmClass)
	env := studioEnv{pipe: c.Pipeline, reg: c.Registry, cfgs: c.Devices, rehearsal: c.Rehearsal}
	d := newDeskUI(a, c.Desk, w, c.Store, env, opts.View, c.Clock.Now)
	d.showEvidence(c.Boot)
	d.attachFleetLibrary(c.Fleet, opts.View)
	d.setOverlayURL(c.OverlayURL("danmaku"))
	d.overlays.attach(c.Overlay(), c.DataDir)
	d.ix.setCapabilities(c.Platform.Name(), c.Platform.Capabilities())
	d.viewers = c.Viewers
	d.remote.addr, d.remote.oscAddr = c.RemoteAddr(), c.OSCAddr()
	d.remote.startServer = c.StartRemoteOn
	d.remote.stopServer = func(*remote.Server) { c.StopRemote() }
	if opts.RemoteControl {
		d.remote.enable.SetChecked(true)
	}
	defer d.remote.close()
	// The audio device is probed off the UI path: it can take a second or
	// more where there is none, and the window must not wait for it.
	go func() {
		p := newCuePlayer()
		fyne.Do(func() {
			d.player = p
			d.controller.addStatusLight(newSoundLight(p).root)
		})
	}()
	w.Resize(opts.Size)
	startTimes(a, w, c.Started)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b := &bridge{desk: c.Desk, now: c.Clock.Now, onEvent: d.onEvent, onClock: d.onClock, onSecond: d.onSecond,
		onDanmaku: d.onDanmaku, next: d.nextRedraw, speed: opts.Speed, settle: d.layoutNow}
	c.OnDanmaku(b.danmakuChanged)
	go b.run(ctx)
	go governMemory(ctx)
	// SIGTERM or Ctrl-C in the terminal closes the window like its close
	// button: the desk then stops and closes the show log.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	go func() {
		select {
		case <-sig:
			log.Printf("studiodesk: stopping (signal)")
			fyne.Do(a.Quit)
		case <-ctx.Done():
		}
	}()
	showWindow(w, title)
	a.Run()
}

// studioEnv is what the views need of the studio as the composition root
// opened it.
type studioEnv struct {
	pipe      *danmaku.Pipeline
	reg       *studio.Registry
	cfgs      []studio.DeviceConfig
	rehearsal bool
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
	overlays   *overlaysPage
	remote     *remotePage
	ix         *interactionsPane
	ixEditor   *ixEditor
	data       *dataPage
	viewers    func() int
	devices    *devicesPage
	dmSeen     int64 // danmaku received when the pane was last drawn
	evidence   *evidenceUI
	firstRun   *firstRunBar
	tab        viewID // the main window's view on screen
	// producerTabs: the producer's pages (the fleet library adds one)
	producerTabs *container.AppTabs
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
		tokens = boltTokens{St: st}
	}
	d.remote = newRemotePage(desk, tokens, remote.DefaultAddr)
	d.data = newDataPage(a, desk, st, env.pipe)
	d.remote.now = now
	producerTabs := viewTabs(producerViews[:], d.producer.root, d.ixEditor.root, d.editor.root, d.devices.root)

	hostBtn := widget.NewButton(T("btn.host_window")+"  [H]", d.openHostWindow)
	d.overlayURL = widget.NewLabel("")
	d.overlays = newOverlaysPage(func(s string) { a.Clipboard().SetContent(s) })
	copyBtn := widget.NewButton(T("overlay.copy"), func() {
		if d.overlayURL.Text != "" {
			a.Clipboard().SetContent(strings.TrimPrefix(d.overlayURL.Text, "OBS: "))
		}
	})
	tabs := viewTabs(mainViews[:],
		container.NewBorder(nil, container.NewVBox(container.NewHBox(hostBtn, copyBtn, d.overlayURL), shortcutLabel()), nil, nil, d.controller.root),
		container.NewVScroll(container.New(minWidthCap{800}, d.streamer.root)),
		producerTabs,
		d.remote.root,
		d.data.root,
		d.overlays.root,
	)
	if v, page, ok := findView(view); ok {
		tabs.SelectIndex(int(v))
		if page >= 0 {
			producerTabs.SelectIndex(page)
		}
	}
	d.producerTabs = producerTabs
	d.tab = viewID(tabs.SelectedIndex())
	tabs.OnSelected = func(*container.TabItem) {
		// Hidden views are not redrawn; the one shown catches up at once.
		d.tab = viewID(tabs.SelectedIndex())
		d.onTick(d.now())
	}
	w.SetContent(d.chrome(tabs, st))
	w.Canvas().SetOnTypedKey(d.typedKey)
	d.refresh()
	d.addShortcuts(w.Canvas())
	if view == "presets" && len(d.editor.presets) > 0 {
		d.editor.list.Select(0)
	}
	return d
}

// openHostWindow shows the host screen in its own window, full screen, for
// a second monitor.
func (d *deskUI) openHostWindow() {
	if d.hostWin != nil {
		d.hostWin.RequestFocus()
		return
	}
	d.hostView = newStreamerView()
	hw := d.app.NewWindow(wmClass)
	hw.SetContent(d.hostView.root)
	hw.Canvas().SetOnTypedKey(d.typedKey)
	d.addShortcuts(hw.Canvas())
	hw.SetOnClosed(func() { d.hostWin, d.hostView = nil, nil })
	hw.SetFullScreen(true)
	d.hostWin = hw
	showWindow(hw, T("view.streamer"))
	d.refresh()
}

// onEvent applies one desk event; runs on the UI goroutine.
func (d *deskUI) onEvent(ev studio.Event) {
	switch ev.Kind {
	case studio.EventSnapshot:
		d.evidence.set(ev.Snapshot)
		d.producer.onSnapshot(ev.Snapshot)
		d.refresh()
	case studio.EventCue:
		if ev.Cue == nil {
			return
		}
		d.streamer.cueShown(*ev.Cue, ev.Fired, d.tab == viewStreamer)
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
	case studio.EventDanmakuPause:
		d.danmaku.syncPause(d.desk.DanmakuPaused())
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

// onTick is one of each redraw at once (tests drive the views with it).
func (d *deskUI) onTick(now time.Time) {
	d.onClock(now)
	d.onSecond(now)
	d.onDanmaku()
}

// onClock redraws the clocks; the bridge calls it when a shown figure
// changes (nextRedraw) and after each desk event.
func (d *deskUI) onClock(now time.Time) { d.render(now) }

// onSecond redraws what changes slowly, once a second: device lights,
// the dashboard figures, interaction countdowns, and the danmaku counters
// when messages arrived that showed no line (filtered).
func (d *deskUI) onSecond(now time.Time) {
	d.presets.refreshLights()
	d.devices.refreshHealth()
	viewers := 0
	if d.viewers != nil {
		viewers = d.viewers()
	}
	d.data.tick(d.snap, d.snap.State(now), d.desk.Interactions(), viewers, d.tab == viewData)
	d.ix.tick() // countdowns: a few rows, once a second, whichever view shows
	d.streamer.setInteraction(d.ix.items, now)
	if d.hostView != nil {
		d.hostView.setInteraction(d.ix.items, now)
	}
	if d.pipe != nil {
		if n := d.pipe.Stats().Received; n != d.dmSeen {
			d.onDanmaku()
		}
	}
}

// onDanmaku redraws the danmaku pane and the host's question line; the
// bridge calls it when new lines were shown, a few times a second at most.
func (d *deskUI) onDanmaku() {
	if d.pipe != nil {
		d.dmSeen = d.pipe.Stats().Received
	}
	if d.tab == viewController {
		d.danmaku.refresh()
	}
	q := hostQuestions(d.pipe)
	if line := d.ix.hostLine(); line != "" {
		q = line + "    " + q
	}
	d.streamer.setQuestions(q)
	if d.hostView != nil {
		d.hostView.setQuestions(q)
	}
}

// layoutNow lays out, before the frame is painted, whatever the frame's
// changes resized. Fyne otherwise does it while painting, and a label it
// resizes there (truncated or wrapped text) asks for another frame: under
// software GL a second full repaint, 15-20 ms, right after the first.
// EnsureMinSize is the GL canvas's own pre-paint pass (exported on its
// type though not on fyne.Canvas); where a canvas lacks it nothing is done.
func (d *deskUI) layoutNow() {
	for _, w := range []fyne.Window{d.win, d.hostWin} {
		if w == nil {
			continue
		}
		if c, ok := w.Canvas().(interface{ EnsureMinSize() bool }); ok {
			c.EnsureMinSize()
		}
	}
}

// nextRedraw is how long the clock faces stay as they are after now; safe
// off the UI goroutine (it reads only the desk's immutable snapshot).
func (d *deskUI) nextRedraw(now time.Time) time.Duration {
	return nextClockChange(d.desk.Snapshot().State(now), now)
}

// refresh re-renders from the desk's latest snapshot at the current time.
func (d *deskUI) refresh() {
	if s := d.desk.Snapshot(); s != nil && s != d.snap {
		d.snap = s
		d.presets.setPresets(s.Presets, s.Devices)
		d.editor.setPresets(s.Presets)
		d.firstRun.update(s)
	}
	d.ix.set(d.desk.Interactions())
	d.danmaku.syncPause(d.desk.DanmakuPaused())
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
