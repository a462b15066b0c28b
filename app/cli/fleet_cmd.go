package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"studiodesk/app/fleet"
	"studiodesk/app/fleet/overview" // also registers the hub's overview page
)

func init() {
	registerCommand("fleet", command{run: fleetCmd, order: 1, usage: `  studiodesk fleet   --fleet URL --fleet-user U     every studio of the fleet live in the terminal (show,
                     [--once] [--lang zh|en]        segment, over/under, danmaku/min, interactions,
                                                    devices, heartbeat), redrawn as status arrives;
                                                    --once prints one table and exits
`})
}

// fleetCmd is `studiodesk fleet`: the agency overview in a terminal. It
// connects with agency credentials, lists the fleet's studios (their
// evidence streams) and prints every status message's studio in a table.
func fleetCmd(args []string, e env) int {
	fs := newFlags("fleet", e)
	var cfg fleet.Config
	cfg.RegisterConnection(fs, "NATS server URL(s) of the fleet, comma-separated (nats://HOST:4222)", "agency")
	once := fs.Bool("once", false, "print one table and exit")
	wait := fs.Duration("wait", 1500*time.Millisecond, "with --once: how long to listen for status first (studios report every second)")
	lang := fs.String("lang", defaultLang(), "language of the table: zh or en")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		return ExitError
	}
	if fs.NArg() > 0 {
		return fail(e, "fleet: unexpected argument %q (flags only; see studiodesk fleet --help)", fs.Arg(0))
	}
	if *lang != "zh" && *lang != "en" {
		return fail(e, "fleet: --lang %q: want zh or en", *lang)
	}
	if err := checkAgencyConfig(&cfg); err != nil {
		return fail(e, "fleet: %v", err)
	}
	cfg.Name = "studiodesk fleet"
	board := overview.NewBoard(nil, nil)
	changed := make(chan struct{}, 1)
	board.OnChange(func(string) {
		select {
		case changed <- struct{}{}:
		default:
		}
	})
	errs := make(chan error, 1)
	var js jetstream.JetStream
	// The fleet's studios are its evidence streams (the hub makes one per
	// configured studio); they show as never seen until they report. They
	// are listed again whenever the connection comes (back).
	configure := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		var ids []string
		names := js.StreamNames(ctx)
		for n := range names.Name() {
			if id, ok := strings.CutPrefix(n, fleet.Studio{}.LogStream()); ok && fleet.CheckID(id) == nil {
				ids = append(ids, id)
			}
		}
		board.Configure(ids)
	}
	ready := make(chan struct{})
	onConnect := func(*nats.Conn) {
		go func() {
			<-ready
			configure()
		}()
	}
	nc, js, err := cfg.Connect(nats.RetryOnFailedConnect(!*once), nats.ConnectHandler(onConnect), nats.ReconnectHandler(onConnect),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			select {
			case errs <- err:
			default:
			}
		}))
	if err != nil {
		return fail(e, "fleet: %v", err)
	}
	defer nc.Close()
	close(ready)
	if nc.IsConnected() {
		configure()
	}
	for _, subj := range fleet.StatusSubjects {
		if _, err := nc.Subscribe(subj, func(m *nats.Msg) { _ = board.Apply(m.Subject, m.Data) }); err != nil {
			return fail(e, "fleet: subscribe %s: %v", subj, err)
		}
	}
	if err := nc.Flush(); err != nil && *once {
		return fail(e, "fleet %s: %v", cfg.URL, err)
	}
	opts := overview.TextOptions{Lang: *lang, Color: isTerminal(e.stdout)}
	// A frame is written at once (one write), so a terminal never shows
	// half a table.
	draw := func(clear bool) {
		var b strings.Builder
		if clear {
			b.WriteString("\x1b[H\x1b[2J")
			link := nc.ConnectedUrlRedacted()
			if !nc.IsConnected() {
				link = "offline, reconnecting to " + cfg.URL
			}
			fmt.Fprintf(&b, "StudioDesk fleet · %s · %s\n", link, time.Now().Format("15:04:05"))
		}
		bad, _ := board.Bad()
		_ = overview.WriteText(&b, board.Rows(), bad, opts)
		_, _ = io.WriteString(e.stdout, b.String())
	}
	if *once {
		select {
		case err := <-errs:
			return fail(e, "fleet %s: %v", cfg.URL, err)
		case <-time.After(*wait):
		}
		draw(false)
		return ExitOK
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	// Redraw on change at most every minGap: a change inside the gap is
	// drawn when the gap ends.
	const minGap = 250 * time.Millisecond
	later := time.NewTimer(time.Hour)
	later.Stop()
	defer later.Stop()
	pending := false
	draw(true)
	last := time.Now()
	redraw := func() {
		draw(true)
		last = time.Now()
		pending = false
	}
	for {
		select {
		case <-sig:
			return ExitOK
		case err := <-errs:
			fmt.Fprintf(e.stderr, "studiodesk: fleet: %v\n", err)
		case <-changed:
			if gap := time.Since(last); gap >= minGap {
				redraw()
			} else if !pending {
				pending = true
				later.Reset(minGap - gap)
			}
		case <-later.C:
			if pending {
				redraw()
			}
		case <-tick.C:
			redraw()
		}
	}
}

// checkAgencyConfig validates the connection flags (the desk's Check
// wants a studio; the agency has none).
func checkAgencyConfig(c *fleet.Config) error {
	if c.URL == "" {
		return errors.New("--fleet nats://HOST:4222 is required")
	}
	probe := *c
	probe.Studio = "agency"
	return probe.Check()
}

func defaultLang() string {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := os.Getenv(k); v != "" {
			if strings.HasPrefix(strings.ToLower(v), "zh") {
				return "zh"
			}
			return "en"
		}
	}
	return "en"
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
