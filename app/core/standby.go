package core

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"studiodesk/app/fleet"
	"studiodesk/scripts"
	"studiodesk/studio"
)

// checkProducer refuses a producer desk (--fleet-producer) outside
// rehearsal mode: it prepares and rehearses, it never goes on air.
func (o *Options) checkProducer(c fleet.Config) error {
	if !c.Producer {
		return nil
	}
	if !o.Rehearsal || o.Platform.Kind() != "rehearsal" {
		return errors.New("--fleet-producer: a producer desk never goes on air; run it in rehearsal mode (--rehearsal, on the simulator) / 制片台（--fleet-producer）不上播：请以排练模式（--rehearsal，模拟平台）运行")
	}
	return nil
}

// roles is the hot standby's switch between follower and primary
// (fleet.Roles). In a fleet, Open builds the desk as a follower — its
// journal writes nothing, no device is opened, the platform feed and
// the overlays are not started — and the fleet's standby part decides:
// Promote when this desk holds the studio's lease, Follow while another
// desk does.
type roles struct {
	a *App

	mu      sync.Mutex
	primary bool
	decided chan struct{}
	once    sync.Once
	// ready: Promote finished (devices open, run resumed) and no Follow
	// since; the fleet's evidence and status parts act as primary only
	// then (PrimaryReady).
	ready atomic.Bool
}

// PrimaryReady reports whether the desk finished becoming primary (the
// fleet parts' role hook: it never blocks).
func (r *roles) PrimaryReady() bool { return r.ready.Load() }

var _ fleet.Roles = (*roles)(nil)

func newRoles(a *App) *roles { return &roles{a: a, decided: make(chan struct{})} }

func (r *roles) decide() { r.once.Do(func() { close(r.decided) }) }

// wait blocks until the part decided the desk's first role (it does
// within fleet.LeaseWait, plus the time to promote) and reports it.
func (r *roles) wait() bool {
	select {
	case <-r.decided:
	case <-time.After(fleet.LeaseWait + 30*time.Second):
		r.a.logf("studiodesk: fleet: no role decided; the desk stays read-only")
	}
	return r.isPrimary()
}

func (r *roles) isPrimary() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.primary
}

// Follow makes the desk a read-only follower; a primary that lost its
// lease stops its platform feed, overlays and devices.
func (r *roles) Follow(primary string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.decide()
	r.ready.Store(false)
	a := r.a
	a.Desk.Follow(primary, studio.FollowJournal{J: a.Boot.Journal})
	if r.primary {
		r.primary = false
		a.live.stop()
		if err := a.Registry.CloseAll(); err != nil {
			a.logf("studiodesk: fleet: closing devices: %v", err)
		}
	}
}

// Mirrored shows what the standby part wrote into the store.
func (r *roles) Mirrored() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.primary {
		return nil
	}
	show, book, err := r.load()
	if show == nil {
		return err
	}
	if rerr := r.a.Desk.Reload(show, book); rerr != nil {
		return errors.Join(err, rerr)
	}
	return err
}

// load reads the current script and the presets from the store.
func (r *roles) load() (*scripts.Show, *studio.PresetBook, error) {
	show, err := LoadCurrentShow(r.a.Store)
	book, berr := studio.LoadPresets(r.a.Store)
	if berr != nil || (book != nil && book.Len() == 0) {
		book = nil // keep the book the desk has
	}
	return show, book, errors.Join(err, berr)
}

// Promote makes the desk the primary by the crash-restart path: the show
// is loaded again from the store (the run resumes at its anchors, the
// interactions' state comes back), the devices open, the platform feed
// and the overlays start, and the pending outbox is re-sent under its
// original keys.
func (r *roles) Promote() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.decide()
	if r.primary {
		return nil
	}
	a := r.a
	var errs []error
	show, book, err := r.load()
	if err != nil {
		errs = append(errs, err)
	}
	cfgs, err := studio.LoadDeviceConfigs(a.Store)
	if err != nil {
		errs = append(errs, err)
	}
	if len(cfgs) > 0 {
		a.Devices = cfgs
	}
	if err := a.Registry.OpenAll(a.Devices, a.Rehearsal); err != nil {
		errs = append(errs, err)
	}
	if err := a.Desk.Promote(a.Boot.Journal, show, book); err != nil {
		errs = append(errs, fmt.Errorf("resume: %w", err))
	}
	r.primary = true
	a.live.start()
	a.Desk.Lead()
	a.Desk.ResendPending()
	r.ready.Store(true)
	if err := errors.Join(errs...); err != nil {
		a.logf("studiodesk: fleet: becoming primary: %v", err)
	}
	return nil
}
