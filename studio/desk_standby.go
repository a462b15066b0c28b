package studio

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"studiodesk/scripts"
)

// Hot standby (issue 17): a desk can run as a follower of another desk
// of its studio. A follower shows the show the primary runs (the state
// written into its store by the fleet's standby part) but refuses every
// command, writes nothing of its own and sends nothing to the platform.
// Promote makes it primary by the path a crash restart takes: the show
// is loaded again from the store, which resumes the run and puts back
// the interactions' state; once the caller has connected the devices and
// the platform, Lead opens the desk to commands and ResendPending
// re-sends the pending outbox.

// ErrStandby is the refusal of a command on a follower desk.
var ErrStandby = errors.New("standby: read-only")

// StandbyError says why a follower refuses commands and who is primary.
// It matches ErrStandby.
type StandbyError struct {
	// Primary names the desk that holds the studio's lease ("" while
	// this desk waits for the fleet to decide).
	Primary string
}

func (e *StandbyError) Error() string {
	if e.Primary == "" {
		return "standby: read-only, waiting for the fleet's leader lease (备机：只读，等待主机租约)"
	}
	return fmt.Sprintf("standby: read-only, primary is %s (备机：只读，主机为 %s)", e.Primary, e.Primary)
}

// Is matches ErrStandby.
func (e *StandbyError) Is(target error) bool { return target == ErrStandby }

// TakeOver asks a follower desk to become its studio's primary now
// (the operator's "take over"). It is not a show-log command: the desk
// hands it to the takeover set with SetTakeover.
type TakeOver struct{}

// Name is the action's name.
func (TakeOver) Name() string { return "take_over" }

// standbyState is the desk's follower switch, read by any goroutine.
type standbyState struct {
	follow   atomic.Pointer[StandbyError]
	takeover atomic.Pointer[func() error]
	refuse   atomic.Pointer[string] // RefuseTakeover's reason
}

// FollowJournal reads the run and the interactions' state through J and
// writes nothing: the journal of a follower, whose store is written only
// by the standby's mirror.
type FollowJournal struct{ J Journal }

// Append writes nothing.
func (FollowJournal) Append(string, string, any) error { return nil }

// Record writes nothing.
func (FollowJournal) Record(JournalEntry) error { return nil }

// Checkpoint writes nothing.
func (FollowJournal) Checkpoint(Run, string) error { return nil }

// SaveRun writes nothing.
func (FollowJournal) SaveRun(Run) error { return nil }

// LoadRun reads the run the mirror wrote.
func (f FollowJournal) LoadRun() (Run, bool, error) { return f.J.LoadRun() }

// SaveInteraction writes nothing.
func (FollowJournal) SaveInteraction(InteractRecord) error { return nil }

// ClearInteractions writes nothing.
func (FollowJournal) ClearInteractions() error { return nil }

// LoadInteractions reads the interactions' state the mirror wrote.
func (f FollowJournal) LoadInteractions() ([]InteractRecord, error) {
	if ij, ok := f.J.(InteractJournal); ok {
		return ij.LoadInteractions()
	}
	return nil, nil
}

var (
	_ Journal         = FollowJournal{}
	_ InteractJournal = FollowJournal{}
)

func (d *Desk) standby() *standbyState { return &d.sb }

// following is the follower's refusal, nil on a primary.
func (d *Desk) following() *StandbyError { return d.standby().follow.Load() }

// Following reports whether the desk is a follower, and the primary.
func (d *Desk) Following() (primary string, ok bool) {
	if f := d.following(); f != nil {
		return f.Primary, true
	}
	return "", false
}

// SetTakeover sets what TakeOver runs (the fleet's election); nil: the
// desk has no fleet and refuses TakeOver.
func (d *Desk) SetTakeover(f func() error) {
	if f == nil {
		d.standby().takeover.Store(nil)
		return
	}
	d.standby().takeover.Store(&f)
}

// RefuseTakeover makes TakeOver fail with reason on this desk, follower
// or not: a producer desk of a fleet never goes on air. "" undoes it.
func (d *Desk) RefuseTakeover(reason string) {
	if reason == "" {
		d.standby().refuse.Store(nil)
		return
	}
	d.standby().refuse.Store(&reason)
}

// doStandby handles the follower's gate before a command reaches the
// desk goroutine: TakeOver runs the election; on a follower every other
// command is refused.
func (d *Desk) doStandby(cmd Command) (handled bool, err error) {
	if _, ok := cmd.(TakeOver); ok {
		if why := d.standby().refuse.Load(); why != nil {
			return true, fmt.Errorf("take over: %w: %s", ErrBadCommand, *why)
		}
		if d.following() == nil {
			return true, fmt.Errorf("take over: %w: this desk is the primary already", ErrBadCommand)
		}
		f := d.standby().takeover.Load()
		if f == nil {
			return true, fmt.Errorf("take over: %w: this desk is not in a fleet", ErrBadCommand)
		}
		return true, (*f)()
	}
	if f := d.following(); f != nil {
		return true, fmt.Errorf("%s: %w", cmd.Name(), f)
	}
	return false, nil
}

// Follow makes the desk a follower of primary (it may already be one: the
// primary's name is updated) and makes it read through j, which writes
// nothing. Deliveries in progress stop being re-sent.
func (d *Desk) Follow(primary string, j Journal) {
	d.standby().follow.Store(&StandbyError{Primary: primary})
	done := make(chan struct{})
	d.post(func() {
		defer close(done)
		d.cfg.Journal = j
		for k := range d.ix.pending {
			delete(d.ix.pending, k)
		}
		d.ix.retry.Stop()
		d.publishSnapshot()
	})
	select {
	case <-done:
	case <-d.done:
	}
}

// Reload shows what the store holds now: the show (script), the run and
// the interactions' state are loaded again as at a start, and the presets
// replaced by book (nil: kept). A follower does this after each mirrored
// change; it writes nothing there.
func (d *Desk) Reload(show *scripts.Show, book *PresetBook) error {
	return d.reload(show, book, nil)
}

// Promote begins a follower's takeover: from now on it writes through j,
// and it loads show from the store as a crash restart does (the run
// resumes at its anchors, the interactions come back with their state).
// It still refuses commands and sends nothing: the caller connects the
// devices and the platform, then calls Lead and ResendPending.
func (d *Desk) Promote(j Journal, show *scripts.Show, book *PresetBook) error {
	return d.reload(show, book, func() { d.cfg.Journal = j })
}

// Lead ends the follower mode: the desk accepts commands and sends to the
// platform again.
func (d *Desk) Lead() {
	d.standby().follow.Store(nil)
	done := make(chan struct{})
	d.post(func() {
		defer close(done)
		d.publishSnapshot()
	})
	select {
	case <-done:
	case <-d.done:
	}
}

func (d *Desk) reload(show *scripts.Show, book *PresetBook, before func()) error {
	if show == nil {
		return fmt.Errorf("load show: %w: nil show", ErrBadCommand)
	}
	ch := make(chan error, 1)
	d.post(func() {
		if before != nil {
			before()
		}
		if book != nil {
			*d.cfg.Presets = *book
		}
		// The show on air is replaced by the same show as stored: the
		// on-air refusal of LoadShow protects an operator's show, not
		// this.
		d.show = nil
		ch <- d.loadShow(show, d.cfg.Clock.Now())
	})
	select {
	case err := <-ch:
		return err
	case <-d.done:
		return ErrClosed
	case <-time.After(30 * time.Second):
		return fmt.Errorf("load show %q: the desk did not answer in 30 s", show.ID)
	}
}
