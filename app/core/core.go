// Package core is StudioDesk's composition root: it builds the store, the
// device registry, the platform, the danmaku pipeline, the desk, the
// overlay and remote link, seeds the demo studio and loads the current show.
// It has no GUI dependency: the Fyne front end (app/ui), the headless desk
// (studiodesk serve) and the command line all start from here, and the
// views only read what Open returns and subscribe to the desk's events.
package core

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"sync"
	"sync/atomic"
	"time"

	"studiodesk/app/fleet"
	"studiodesk/app/overlaycfg"
	"studiodesk/assets"
	"studiodesk/scripts"
	"studiodesk/studio"
	"studiodesk/studio/danmaku"
	"studiodesk/studio/overlay"
	"studiodesk/studio/platform"
	"studiodesk/studio/platform/rehearsal"
	"studiodesk/studio/remote"
	"studiodesk/studio/store"
)

// Options are the desk's settings, shared by the GUI and serve.
type Options struct {
	DataDir   string
	Rehearsal bool
	DemoRun   bool // start the loaded show at once (screenshots, kiosks, benches)
	// SimProfile and SimRate tune the rehearsal platform simulator.
	SimProfile  string
	SimRate     float64
	OverlayAddr string
	OverlayLAN  bool // also serve the overlays on the LAN (app/overlaycfg)
	// RemoteControl starts the field-controller server (pairing, browser
	// remote, HTTP and OSC control API) on RemoteAddr.
	RemoteControl bool
	RemoteAddr    string
	// OSCAddr is the remote server's OSC UDP address ("": RemoteAddr's
	// host on the default OSC port; remote.OSCOff: none).
	OSCAddr  string
	Platform PlatformFlags
	// Speed accelerates a rehearsal (1 = real time); refused outside one.
	Speed float64
	// Pprof serves net/http/pprof and runtime metrics on a loopback
	// address ("" = off).
	Pprof string
	// Fleet joins the desk to an agency's fleet (off when its URL is "").
	Fleet fleet.Config
}

// Register defines the desk's flags on fs; Check validates them after
// fs.Parse.
func (o *Options) Register(fs *flag.FlagSet) {
	fs.StringVar(&o.DataDir, "data", "", "data directory (default: $STUDIODESK_DATA or the user config dir)")
	fs.BoolVar(&o.Rehearsal, "rehearsal", true, "rehearsal mode: simulated platform and devices")
	fs.BoolVar(&o.DemoRun, "demo-run", false, "start the loaded show immediately")
	fs.StringVar(&o.SimProfile, "sim-profile", "normal", "rehearsal simulator: quiet, normal, mega, hostile or flaky")
	fs.Float64Var(&o.SimRate, "sim-rate", 0, "rehearsal danmaku per second (0: the profile's rate)")
	fs.StringVar(&o.OverlayAddr, "overlay", overlay.DefaultAddr, "OBS overlay server address (loopback)")
	fs.BoolVar(&o.OverlayLAN, "overlay-lan", false, "also serve the OBS overlays on the LAN, with this desk's URL token (docs/overlays.md)")
	fs.StringVar(&o.RemoteAddr, "remote-addr", remote.DefaultAddr, "LAN address for remote control")
	fs.StringVar(&o.OSCAddr, "osc-addr", "", `UDP address for OSC control (default: the remote address's host, port 8888; "off" disables it)`)
	o.Platform.register(fs)
	fs.Float64Var(&o.Speed, "speed", 1, "rehearsal speed: 1 (real time) up to 20 (a dry run)")
	fs.StringVar(&o.Pprof, "pprof", "", "serve CPU/heap profiles and runtime metrics on this loopback address (127.0.0.1:PORT); off by default")
	o.Fleet.Register(fs)
}

// Check validates the options after parsing.
func (o *Options) Check() error {
	if o.Speed < 1 || o.Speed > 20 {
		return fmt.Errorf("--speed %v: want 1 to 20", o.Speed)
	}
	if o.Speed != 1 && (!o.Rehearsal || o.Platform.Kind() != "rehearsal") {
		return fmt.Errorf("--speed %v: only in rehearsal mode on the simulator", o.Speed)
	}
	if err := o.Fleet.Check(); err != nil {
		return err
	}
	if err := o.checkProducer(o.Fleet); err != nil {
		return err
	}
	if o.Pprof != "" {
		if err := checkLoopback(o.Pprof); err != nil {
			return fmt.Errorf("--pprof %q: %w", o.Pprof, err)
		}
	}
	return nil
}

// App is a running desk and everything around it. Views read its fields
// and subscribe to Desk; they hold no show logic.
type App struct {
	Store    *store.Store
	Registry *studio.Registry
	Presets  *studio.PresetBook
	Devices  []studio.DeviceConfig // the studio's device list as loaded
	Pipeline *danmaku.Pipeline
	Platform platform.Platform
	Desk     *studio.Desk
	Clock    studio.Clock
	// Boot is the desk's durable side: store, show clock, signing key,
	// signed journal and backups.
	Boot *studio.Boot
	// DataDir is the resolved data directory.
	DataDir string
	// Rehearsal is the mode the devices were opened in.
	Rehearsal bool
	// Started is when Open began (for "ready" and "first frame" times).
	Started time.Time
	// Fleet is the desk's fleet membership (nil: no fleet configured).
	Fleet *fleet.Link

	opts  Options
	logf  func(string, ...any)
	live  *liveLink
	pprof *debugServer
	roles *roles // the hot standby's role switch (nil: no fleet)

	mu     sync.Mutex
	remote *remote.Server

	closeOnce sync.Once
}

// OpenStore opens the data directory's store, failing fast (well inside a
// second) when another desk holds it.
func OpenStore(dataDir string) (*store.Store, error) {
	dir, err := store.ResolveDir(dataDir)
	if err != nil {
		return nil, err
	}
	return store.Open(dir, store.Options{Timeout: 500 * time.Millisecond})
}

// Open builds the desk. A device, overlay or saved-show problem is logged
// and the desk starts without it; a store or platform problem is an
// error (and nothing is left open).
func Open(o Options) (*App, error) {
	started := time.Now()
	if err := o.Check(); err != nil {
		return nil, err
	}
	a := &App{opts: o, logf: log.Printf, Rehearsal: o.Rehearsal, Started: started}
	var err error
	if o.Pprof != "" {
		if a.pprof, err = startDebug(o.Pprof, a.logf); err != nil {
			return nil, err
		}
	}
	if a.DataDir, err = store.ResolveDir(o.DataDir); err != nil {
		a.closeDebug()
		return nil, err
	}
	// A second desk on the same data must fail fast, well inside a second.
	// A damaged desk.db is a *store.DamagedError and nothing is written.
	if a.Boot, err = studio.OpenBoot(studio.BootOptions{Dir: a.DataDir, Speed: o.Speed, Timeout: 500 * time.Millisecond, Logf: a.logf}); err != nil {
		a.closeDebug()
		return nil, err
	}
	a.Store = a.Boot.Store
	if !o.Fleet.Enabled() {
		// The settings page's fleet, unless flags gave one. A saved
		// setting that no longer checks is reported; the desk starts
		// without the fleet rather than not at all (offline first).
		if saved, ok, err := fleet.LoadSaved(a.Store); err != nil {
			a.logf("studiodesk: %v", err)
		} else if ok {
			if err := errors.Join(saved.Check(), o.checkProducer(saved)); err != nil {
				a.logf("studiodesk: fleet settings: %v; starting without the fleet", err)
			} else {
				o.Fleet = saved
				a.opts.Fleet = saved
			}
		}
	}
	// In a fleet the desk starts as a read-only follower until the
	// studio's lease says it is primary (standby.go): no device opened.
	fleetOn := o.Fleet.Enabled()
	if err := a.openStudio(!fleetOn); err != nil {
		a.logf("studiodesk: %v", err)
	}
	a.Pipeline = danmaku.New(danmaku.Config{})
	received := func() int64 { return a.Pipeline.Stats().Received }
	pipelineStats.Store(&received)
	// Offline first: the rehearsal simulator is the platform unless a real
	// one is configured.
	a.Clock = a.Boot.Clock
	a.Platform, err = o.Platform.Open(rehearsal.Config{Seed: time.Now().UnixNano(), Profile: o.SimProfile, Rate: o.SimRate, Now: a.Clock.Now})
	if err != nil {
		a.Registry.CloseAll()
		_ = a.Boot.Close()
		a.closeDebug()
		return nil, err
	}
	st := a.Store
	cfg := a.Boot.Config(o.Rehearsal)
	cfg.Devices, cfg.Presets, cfg.SavePresets = a.Registry, a.Presets, func(b *studio.PresetBook) error { return b.Save(st) }
	cfg.PresetsInLog = true // a preset change and its record: one transaction
	// The live feed (started below) reports the audience; participation in
	// the show log is voters / viewers.
	audience := &viewerCount{}
	cfg.Danmaku, cfg.Interact = a.Pipeline, studio.InteractConfig{Platform: a.Platform, Outbox: st, Viewers: audience.get}
	if fleetOn {
		cfg.Journal = studio.FollowJournal{J: a.Boot.Journal}
	}
	a.Desk = studio.New(cfg)
	if fleetOn {
		a.Desk.Follow("", cfg.Journal)
	}
	ovCfg, _, err := overlaycfg.Config(a.DataDir, o.OverlayAddr, o.OverlayLAN)
	if err != nil {
		a.logf("studiodesk: %v", err)
	}
	if fleetOn {
		a.live = newLive(a.Desk, a.Pipeline, a.Platform, ovCfg)
	} else {
		a.live = startLive(a.Desk, a.Pipeline, a.Platform, ovCfg)
	}
	audience.set(a.live.viewers)
	show, err := LoadCurrentShow(st)
	if err != nil {
		a.logf("studiodesk: %v; opening the demo show", err)
	}
	if fleetOn {
		if err := a.Desk.Reload(show, nil); err != nil {
			a.logf("studiodesk: %v", err)
		}
	} else if err := a.Desk.Do(context.Background(), studio.LoadShow{Show: show}); err != nil {
		a.logf("studiodesk: %v", err)
	}
	// Anything fired but not acknowledged before a crash goes out again,
	// with the same idempotency key, once the show's interactions (and
	// their persisted state) are back.
	a.Desk.ResendPending()
	if o.DemoRun && !fleetOn {
		_ = a.Desk.Do(context.Background(), studio.Start{})
	}
	if o.RemoteControl {
		if _, err := a.StartRemote(); err != nil {
			a.Close()
			return nil, err
		}
	}
	if o.Fleet.Enabled() {
		// An unreachable hub is not an error (the link keeps trying and
		// the desk works offline); bad credentials or files are.
		a.roles = newRoles(a)
		if a.Fleet, err = fleet.Start(o.Fleet, fleet.Desk{Store: st, Boot: a.Boot, Desk: a.Desk, Presets: a.Presets, DataDir: a.DataDir, Logf: a.logf, Roles: a.roles}); err != nil {
			a.Close()
			return nil, err
		}
		// The lease decides within fleet.LeaseWait (offline: primary).
		if primary := a.roles.wait(); primary && o.DemoRun {
			_ = a.Desk.Do(context.Background(), studio.Start{})
		}
	}
	a.applyWordLists()
	return a, nil
}

// openStudio loads the device list and presets, seeding the demo studio on
// first run, and opens every device (simulators in rehearsal mode). A
// device that fails to open is reported; the others still open.
func (a *App) openStudio(open bool) error {
	a.Registry, a.Presets = studio.NewRegistry(), studio.NewPresetBook()
	st := a.Store
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
	a.Devices = cfgs
	// A follower opens no device; Promote does (standby.go).
	if open {
		if err := a.Registry.OpenAll(cfgs, a.Rehearsal); err != nil {
			errs = append(errs, err)
		}
	}
	book, err := studio.LoadPresets(st)
	if book != nil {
		a.Presets = book
	}
	if err != nil {
		errs = append(errs, err)
	} else if a.Presets.Len() == 0 {
		for _, p := range studio.DemoPresets() {
			if err := a.Presets.Add(p); err != nil {
				errs = append(errs, err)
			}
		}
		if err := a.Presets.Save(st); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Script storage: the producer's current script.
const (
	ScriptBucket  = store.BucketScripts
	CurrentScript = "current"
)

// LoadCurrentShow returns the producer's saved script, or the demo show.
func LoadCurrentShow(st *store.Store) (*scripts.Show, error) {
	var saved scripts.Show
	ok, err := st.Get(ScriptBucket, CurrentScript, &saved)
	if err == nil && ok && len(saved.Segments) > 0 {
		return &saved, nil
	}
	demo, derr := scripts.LoadYAML("demo/show.yaml", assets.DemoShow())
	if derr != nil {
		return &scripts.Show{ID: "empty", Title: "—"}, fmt.Errorf("demo show: %w", derr)
	}
	return demo, err
}

// OverlayURL is the overlay page to paste into OBS ("" when it is off).
func (a *App) OverlayURL(page string) string { return a.live.URL(page) }

// OnDanmaku registers f to run whenever new danmaku lines are shown (on
// the feed goroutine: f must not block; views use it to schedule a
// coalesced redraw instead of polling the pipeline).
func (a *App) OnDanmaku(f func()) { a.live.addOnLines(f) }

// Viewers is the audience figure the platform last reported.
func (a *App) Viewers() int { return a.live.viewers() }

// OSCAddr is the OSC address from the options.
func (a *App) OSCAddr() string { return a.opts.OSCAddr }

// RemoteAddr is the remote-control address from the options.
func (a *App) RemoteAddr() string { return a.opts.RemoteAddr }

// Tokens is where paired remote devices are kept (the desk's store).
func (a *App) Tokens() remote.TokenStore { return StoreTokens{St: a.Store} }

// StartRemote starts the field-controller server (idempotent) on the
// configured address and sends it the live danmaku.
func (a *App) StartRemote() (*remote.Server, error) { return a.StartRemoteOn(a.opts.RemoteAddr, nil) }

// StartRemoteOn is StartRemote on addr; tune (may be nil) adjusts the
// server's configuration (pairing-code lifetime, pairing hook).
func (a *App) StartRemoteOn(addr string, tune func(*remote.Config)) (*remote.Server, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.remote != nil {
		return a.remote, nil
	}
	cfg := remote.Config{Desk: a.Desk, Addr: addr, OSCAddr: a.opts.OSCAddr, Tokens: a.Tokens(), Now: a.Clock.Now, Logf: a.logf}
	if tune != nil {
		tune(&cfg)
	}
	srv, err := remote.NewServer(cfg)
	if err == nil {
		err = srv.Start()
	}
	if err != nil {
		return nil, fmt.Errorf("remote control on %s: %w", addr, err)
	}
	a.remote = srv
	a.live.setRemote(srv)
	return srv, nil
}

// StopRemote stops the field-controller server if it runs.
func (a *App) StopRemote() {
	a.mu.Lock()
	srv := a.remote
	a.remote = nil
	a.mu.Unlock()
	if srv != nil {
		a.live.setRemote(nil)
		_ = srv.Close()
	}
}

// Remote is the running field-controller server, or nil.
func (a *App) Remote() *remote.Server {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.remote
}

// Close stops everything in reverse order of Open and closes the store
// (the show log) last. It returns the store's close error.
func (a *App) Close() error {
	var err error
	a.closeOnce.Do(func() {
		if err := a.Fleet.Close(); err != nil {
			a.logf("studiodesk: %v", err)
		}
		a.StopRemote()
		a.live.stop()
		a.Desk.Close()
		a.Registry.CloseAll()
		err = a.Boot.Close()
		a.closeDebug()
	})
	return err
}

func (a *App) closeDebug() {
	if a.pprof != nil {
		a.pprof.close()
	}
}

// Overlay is the running OBS overlay server, or nil when it could not start.
func (a *App) Overlay() *overlay.Server { return a.live.overlay.Load() }

// viewerCount hands the live feed's audience to the desk, which starts
// before the feed.
type viewerCount struct{ f atomic.Pointer[func() int] }

func (v *viewerCount) set(f func() int) { v.f.Store(&f) }

func (v *viewerCount) get() int {
	if f := v.f.Load(); f != nil {
		return (*f)()
	}
	return 0
}
