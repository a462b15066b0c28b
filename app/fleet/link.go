package fleet

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"studiodesk/studio"
	"studiodesk/studio/store"
)

// Desk is what the fleet's parts see of the running desk (built by the
// composition root, app/core).
type Desk struct {
	Store   *store.Store
	Boot    *studio.Boot
	Desk    *studio.Desk
	Presets *studio.PresetBook
	DataDir string
	Logf    func(string, ...any)
	// Roles switches the desk between follower and primary (hot standby,
	// standby.go); nil: the standby part does not run.
	Roles Roles
}

// Part is one capability of the fleet (evidence, library, standby,
// status). Parts register themselves in init, like device drivers, so
// adding one is one file; Start runs them in name order.
type Part struct {
	Name string
	// Start begins the part's work on l; it must not block on the network
	// (the hub may be unreachable: the desk works offline meanwhile).
	Start func(ctx context.Context, l *Link) (Running, error)
}

// Running is a started part.
type Running interface{ Close() error }

var (
	partsMu sync.Mutex
	parts   = map[string]Part{}
)

// Register adds a part; a second part with the same name panics at init.
func Register(p Part) {
	partsMu.Lock()
	defer partsMu.Unlock()
	if _, dup := parts[p.Name]; dup {
		panic("fleet: part " + p.Name + " registered twice")
	}
	parts[p.Name] = p
}

// Link is a desk's membership of a fleet.
type Link struct {
	Config Config
	Studio Studio
	Conn   *nats.Conn
	JS     jetstream.JetStream
	Desk   Desk

	ctx     context.Context
	cancel  context.CancelFunc
	mu      sync.Mutex
	running map[string]Running
	order   []string
}

// Start connects to the fleet (in the background if the hub is down) and
// starts every registered part. A part that fails to start is an error
// naming it; the parts started before it are closed.
func Start(cfg Config, d Desk, extra ...nats.Option) (*Link, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	if d.Logf == nil {
		d.Logf = func(string, ...any) {}
	}
	logf := d.Logf
	extra = append([]nats.Option{
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				logf("fleet: disconnected: %v (working offline, reconnecting)", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { logf("fleet: reconnected to %s", nc.ConnectedUrlRedacted()) }),
		nats.ErrorHandler(refusedHandler(cfg.Studio, logf)),
	}, extra...)
	nc, js, err := cfg.Connect(extra...)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &Link{Config: cfg, Studio: Studio{ID: cfg.Studio}, Conn: nc, JS: js, Desk: d, ctx: ctx, cancel: cancel, running: map[string]Running{}}
	partsMu.Lock()
	names := make([]string, 0, len(parts))
	for n := range parts {
		names = append(names, n)
	}
	sort.Strings(names)
	ps := make([]Part, len(names))
	for i, n := range names {
		ps[i] = parts[n]
	}
	partsMu.Unlock()
	for _, p := range ps {
		r, err := p.Start(ctx, l)
		if err != nil {
			_ = l.Close()
			return nil, fmt.Errorf("fleet: %s: %w", p.Name, err)
		}
		if r != nil {
			l.mu.Lock()
			l.running[p.Name] = r
			l.order = append(l.order, p.Name)
			l.mu.Unlock()
		}
	}
	return l, nil
}

// Context ends when the link closes.
func (l *Link) Context() context.Context { return l.ctx }

// Connected reports whether the desk is connected to the fleet now.
func (l *Link) Connected() bool { return l != nil && l.Conn != nil && l.Conn.IsConnected() }

// Part returns a running part by name (nil if it is not running).
func (l *Link) Part(name string) Running {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.running[name]
}

// Logf logs through the desk's logger.
func (l *Link) Logf(format string, a ...any) { l.Desk.Logf(format, a...) }

// Close stops the parts in reverse start order, then drains and closes
// the connection (what was published is flushed first).
func (l *Link) Close() error {
	if l == nil {
		return nil
	}
	l.cancel()
	l.mu.Lock()
	order := l.order
	l.order = nil
	l.mu.Unlock()
	var errs []error
	for i := len(order) - 1; i >= 0; i-- {
		if err := l.running[order[i]].Close(); err != nil {
			errs = append(errs, fmt.Errorf("fleet: %s: %w", order[i], err))
		}
	}
	if l.Conn != nil {
		l.Conn.Close()
	}
	return errors.Join(errs...)
}
