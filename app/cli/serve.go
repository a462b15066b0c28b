package cli

import (
	"context"
	"errors"
	"flag"
	"log"
	"os"
	"os/signal"
	"syscall"
	"time"

	"studiodesk/app/core"
	"studiodesk/studio/remote"
)

// serve runs the whole desk with no window: store, devices, platform,
// danmaku, overlay, and the remote server with the control API. It logs to
// stderr and stops cleanly (show log closed) on SIGTERM or Ctrl-C.
func serve(args []string, e env) int {
	fs := newFlags("serve", e)
	var o core.Options
	o.Register(fs)
	noRemote := fs.Bool("no-remote", false, "do not serve the remote control (pairing, control API, OSC)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitError
	}
	if fs.NArg() > 0 {
		return fail(e, "serve: unexpected argument %q (flags only; see studiodesk serve --help)", fs.Arg(0))
	}
	o.RemoteControl = !*noRemote
	if o.OSCAddr == "off" {
		o.OSCAddr = remote.OSCOff
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serveUntil(ctx, o, e)
}

// serveUntil runs the desk until ctx ends.
func serveUntil(ctx context.Context, o core.Options, e env) int {
	log.SetOutput(e.stderr)
	a, err := core.Open(o)
	if err != nil {
		return fail(e, "serve: %v", err)
	}
	if u := a.OverlayURL("danmaku"); u != "" {
		log.Printf("studiodesk: overlay for OBS: %s", u)
	}
	if srv := a.Remote(); srv != nil {
		log.Printf("studiodesk: remote control on %s (control API: %s/api/v1/, OSC %s)", srv.Addr(), "http://"+srv.Addr(), srv.OSCAddr())
	}
	snap := a.Desk.Snapshot()
	show, run := "—", ""
	if snap != nil && snap.Show != nil {
		show, run = snap.Show.Title, snap.Run
	}
	log.Printf("studiodesk: ready in %d ms: show %q run %q, platform %s, data %s", time.Since(a.Started).Milliseconds(), show, run, a.Platform.Name(), a.Store.Path())
	lastCode := ""
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	announce := func() {
		if srv := a.Remote(); srv != nil {
			if code, exp := srv.PairingCode(); code != "" && code != lastCode {
				lastCode = code
				log.Printf("studiodesk: pairing code %s (valid until %s)", code, exp.Local().Format("15:04:05"))
			}
		}
	}
	announce()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-tick.C:
			announce()
		}
	}
	log.Printf("studiodesk: stopping")
	path := a.Store.Path()
	if err := a.Close(); err != nil {
		return fail(e, "serve: close %s: %v", path, err)
	}
	log.Printf("studiodesk: stopped; show log closed: %s", path)
	return ExitOK
}
