// Package studio is the desk's core: one goroutine owns the show state,
// applies commands, persists them and publishes events. It imports no UI.
package studio

import (
	"context"
	"fmt"
	"log"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"studiodesk/scripts"
	"studiodesk/studio/danmaku"
)

// Journal is where the desk persists what happens: the append-only show
// log and the anchors of the run on air, so a restart resumes exactly.
type Journal interface {
	// Append writes one show-log record; it is durable on return.
	Append(run, kind string, payload any) error
	// Record writes one record together with its effects (the run's
	// anchors, other state) in one transaction: all or nothing.
	Record(e JournalEntry) error
	// Checkpoint writes a signed checkpoint of the run's log head (where
	// the journal has a key) and saves r, in one transaction.
	Checkpoint(r Run, reason string) error
	// SaveRun persists the run on air (script id, run id, anchors).
	SaveRun(r Run) error
	// LoadRun returns the last persisted run, if any.
	LoadRun() (Run, bool, error)
}

// Run is the persisted identity and anchors of a show on air.
type Run struct {
	ShowID  string           `json:"show_id"`
	ID      string           `json:"id"`
	Anchors []scripts.Anchor `json:"anchors"`
	// Seen is the latest show time the desk recorded for the run (its
	// last checkpoint). A restart whose clock reads earlier resumes from
	// here instead of replaying the run as not yet started.
	Seen time.Time `json:"seen,omitzero"`
}

// Config wires a Desk.
type Config struct {
	Clock     Clock
	Journal   Journal
	Rehearsal bool
	Logf      func(format string, args ...any)
	// Devices and Presets are the studio's devices and scene presets (empty
	// when nil). SavePresets persists the book after every change.
	Devices     *Registry
	Presets     *PresetBook
	SavePresets func(*PresetBook) error
	// PresetsInLog writes the book in the same transaction as the change's
	// show-log record (a store journal; SavePresets is then not called):
	// the change is recorded if and only if it is saved.
	PresetsInLog  bool
	DeviceTimeout time.Duration // per device in a recall (default 300 ms)
	// Danmaku is the live comment pipeline (nil: none).
	Danmaku *danmaku.Pipeline
	// Interact configures coupons and votes (see desk_interact.go).
	Interact InteractConfig
	// Housekeeping is how often the desk wakes to look for wall-clock
	// steps and to write the on-air checkpoint (0: only when a command or
	// cue wakes it). The app uses 1 s.
	Housekeeping time.Duration
	// CheckpointEvery is the on-air checkpoint interval in show time
	// (default 1 minute when Housekeeping is set).
	CheckpointEvery time.Duration
	// Backup, if set, takes a hot copy of the store ("start", "on-air",
	// "end"); it must not block. BackupEvery spaces the on-air copies
	// (show time; default 10 minutes).
	Backup      func(reason string)
	BackupEvery time.Duration
}

// Desk owns the show on air. All mutation happens on its goroutine.
type Desk struct {
	cfg  Config
	reqs chan request
	hub  *hub
	done chan struct{}
	stop context.CancelFunc

	// Owned by the loop goroutine.
	show     *scripts.Show
	timer    *scripts.Timer
	run      Run
	snapSeq  uint64
	lastCue  time.Time
	cueTimer ClockTimer
	latest   atomic.Pointer[Snapshot] // read by any goroutine

	recaller   *Recaller
	recallDone chan RecallResult
	// inbox runs closures on the desk goroutine: background work (a
	// platform acknowledgement, a timer) reports back through it.
	inbox chan func()
	ix    *interactEngine

	// storage is the last refused write, until a write succeeds.
	storage *StorageFault
	// hk wakes the desk for step checks and checkpoints.
	hk     ClockTimer
	lastCk time.Time
	lastBk time.Time
	// drift is wall minus show time at the last look; a change of more
	// than a second is a wall-clock step.
	drift    time.Duration
	driftSet bool
	// feedPaused is the comment feed's pause (desk_actions.go).
	feedPaused atomic.Bool
	// sb is the hot standby's follower switch (desk_standby.go).
	sb standbyState
}

type request struct {
	ctx   context.Context
	cmd   Command
	reply chan error
}

// New starts a desk. Call Close to stop it.
func New(cfg Config) *Desk {
	if cfg.Clock == nil {
		cfg.Clock = RealClock{}
	}
	if cfg.Journal == nil {
		cfg.Journal = NewMemoryJournal()
	}
	if cfg.Logf == nil {
		cfg.Logf = log.Printf
	}
	if cfg.Devices == nil {
		cfg.Devices = NewRegistry()
	}
	if cfg.Presets == nil {
		cfg.Presets = NewPresetBook()
	}
	if cfg.DeviceTimeout <= 0 {
		cfg.DeviceTimeout = DefaultDeviceTimeout
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &Desk{
		cfg:        cfg,
		reqs:       make(chan request),
		hub:        newHub(),
		done:       make(chan struct{}),
		stop:       cancel,
		recaller:   &Recaller{},
		recallDone: make(chan RecallResult, 8),
		inbox:      make(chan func(), 256),
	}
	d.cueTimer = cfg.Clock.NewTimer(time.Hour)
	d.cueTimer.Stop()
	if cfg.Housekeeping > 0 && cfg.CheckpointEvery <= 0 {
		d.cfg.CheckpointEvery = time.Minute
	}
	if d.cfg.BackupEvery <= 0 {
		d.cfg.BackupEvery = 10 * time.Minute
	}
	d.hk = cfg.Clock.NewTimer(time.Hour)
	d.hk.Stop()
	if cfg.Housekeeping > 0 {
		d.hk.Reset(cfg.Housekeeping)
		d.checkStep(cfg.Clock.Now())
	}
	d.ix = newInteractEngine(d)
	d.publishSnapshot()
	go d.loop(ctx)
	return d
}

// Close stops the desk goroutine and waits for it.
func (d *Desk) Close() {
	d.stop()
	<-d.done
}

// Subscribe returns a subscription whose first event is the current snapshot.
func (d *Desk) Subscribe(buf int) *Subscription {
	s := d.hub.add(buf)
	if snap := d.Snapshot(); snap != nil {
		deliver(s, Event{Kind: EventSnapshot, At: d.cfg.Clock.Now(), Snapshot: snap})
	}
	return s
}

// Snapshot returns the latest published snapshot without asking the loop.
func (d *Desk) Snapshot() *Snapshot { return d.latest.Load() }

// Do applies one command and returns once it is persisted and published,
// or with the reason it was refused.
func (d *Desk) Do(ctx context.Context, cmd Command) error {
	if cmd == nil {
		return fmt.Errorf("%w: nil", ErrBadCommand)
	}
	if handled, err := d.doStandby(cmd); handled {
		return err
	}
	r := request{ctx: ctx, cmd: cmd, reply: make(chan error, 1)}
	select {
	case d.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-d.done:
		return ErrClosed
	}
	select {
	case err := <-r.reply:
		return err
	case <-ctx.Done():
		// The command may still be applied; the snapshot will show it.
		return ctx.Err()
	case <-d.done:
		return ErrClosed
	}
}

func (d *Desk) loop(ctx context.Context) {
	defer close(d.done)
	defer d.cueTimer.Stop()
	defer d.hk.Stop()
	defer d.ix.saveDue() // tallies not saved yet
	for {
		select {
		case <-ctx.Done():
			d.closeCheckpoint()
			return
		case <-d.hk.C():
			d.housekeeping()
			d.hk.Reset(d.cfg.Housekeeping)
		case r := <-d.reqs:
			r.reply <- d.apply(r.cmd)
		case <-d.cueTimer.C():
			d.fireCues()
		case res := <-d.recallDone:
			d.finishRecall(res)
		case f := <-d.inbox:
			f()
		}
	}
}

func (d *Desk) apply(cmd Command) error {
	now := d.cfg.Clock.Now()
	switch c := cmd.(type) {
	case LoadShow:
		return d.loadShow(c.Show, now)
	case Rewind:
		return d.rewind(now)
	}
	if handled, err := d.applyPresetCommand(cmd); handled {
		return err
	}
	if handled, err := d.applyDanmakuCommand(cmd); handled {
		return err
	}
	if handled, err := d.ix.applyInteractionCommand(cmd); handled {
		return err
	}
	if handled, err := d.applyActionCommand(cmd); handled {
		return err
	}
	if d.show == nil {
		return ErrNoShow
	}
	st := d.timer.State(d.run.Anchors, now)
	a, err := anchorFor(cmd, d.show, st, now)
	if err != nil {
		return fmt.Errorf("%s: %w", cmd.Name(), err)
	}
	if a.Kind == scripts.AnchorStart {
		d.run = Run{ShowID: d.show.ID, ID: runID(d.show.ID, now)}
	}
	prev := d.run
	if a.Kind == scripts.AnchorStart {
		prev = Run{ShowID: d.show.ID}
	}
	anchors := append(slices.Clone(d.run.Anchors), a)
	next := Run{ShowID: d.run.ShowID, ID: d.run.ID, Anchors: anchors, Seen: now}
	// One truth: the record and the anchors are one transaction, and the
	// command takes effect only after it committed. A refused write leaves
	// neither, and the desk stays as it was.
	if err := d.record(JournalEntry{Run: d.run.ID, Kind: cmd.Name(), Payload: a, At: now, SetRun: &next}); err != nil {
		d.run = prev
		return fmt.Errorf("%s: show log: %w", cmd.Name(), err)
	}
	d.run = next
	d.lastCue = now
	d.publishSnapshot()
	d.schedule(now)
	if a.Kind == scripts.AnchorStart {
		d.checkpoint("start", now)
		d.backup("start", now)
	}
	if st := d.timer.State(d.run.Anchors, now); st.Ended {
		d.checkpoint("end", now)
		d.backup("end", now)
	}
	switch a.Kind {
	case scripts.AnchorStart:
		d.ix.newRun(now)
		d.recallForSegment(0)
		d.ix.armForSegment(0)
	case scripts.AnchorGoto:
		d.recallForSegment(a.Segment)
		d.ix.armForSegment(a.Segment)
	}
	return nil
}

func runID(showID string, at time.Time) string {
	return showID + "@" + at.UTC().Format("20060102T150405.000Z")
}

func (d *Desk) loadShow(s *scripts.Show, now time.Time) error {
	if s == nil {
		return fmt.Errorf("load show: %w: nil show", ErrBadCommand)
	}
	if d.show != nil {
		st := d.timer.State(d.run.Anchors, now)
		if st.Started && !st.Ended {
			return fmt.Errorf("load show %q: %w", s.ID, ErrOnAir)
		}
	}
	if err := d.record(JournalEntry{Run: d.run.ID, Kind: "load_show", Payload: map[string]any{"show": s.ID, "title": s.Title, "segments": len(s.Segments)}}); err != nil {
		return fmt.Errorf("load show %q: show log: %w", s.ID, err)
	}
	d.show = s
	d.timer = scripts.NewTimer(s)
	// Resume a persisted run of the same show (a restart after a crash).
	d.run = Run{ShowID: s.ID}
	if r, ok, err := d.cfg.Journal.LoadRun(); err != nil {
		d.cfg.Logf("desk: load run: %v", err)
	} else if ok && r.ShowID == s.ID {
		d.run = r
		now = d.resume(now)
	}
	d.lastCue = now
	d.publishSnapshot()
	d.schedule(now)
	d.ix.loadShow(s, now)
	return nil
}

func (d *Desk) rewind(now time.Time) error {
	if d.show == nil {
		return ErrNoShow
	}
	next := Run{ShowID: d.show.ID}
	if err := d.record(JournalEntry{Run: d.run.ID, Kind: "rewind", Payload: map[string]any{"anchors": len(d.run.Anchors)}, SetRun: &next}); err != nil {
		return fmt.Errorf("rewind: show log: %w", err)
	}
	d.run = next
	d.lastCue = now
	d.publishSnapshot()
	d.schedule(now)
	return nil
}

// schedule arms the one timer for the next cue instant; the desk sleeps
// until then instead of polling.
func (d *Desk) schedule(now time.Time) {
	d.cueTimer.Stop()
	if d.timer == nil {
		return
	}
	st := d.timer.State(d.run.Anchors, now)
	if st.NextCue == nil {
		return
	}
	d.cueTimer.Reset(st.NextCue.At.Sub(now))
}

func (d *Desk) fireCues() {
	now := d.cfg.Clock.Now()
	if d.timer == nil {
		return
	}
	cues := d.timer.CuesBetween(d.run.Anchors, d.lastCue, now)
	d.lastCue = now
	for i := range cues {
		c := cues[i]
		if err := d.record(JournalEntry{Run: d.run.ID, Kind: "cue", Payload: c}); err != nil {
			d.hub.publish(Event{Kind: EventError, At: now, Err: err, Message: "show log: " + err.Error()})
		}
		d.hub.publish(Event{Kind: EventCue, At: now, Cue: &c, Fired: now})
	}
	d.schedule(now)
}

func (d *Desk) publishSnapshot() {
	d.snapSeq++
	s := &Snapshot{
		Show:      d.show,
		Timer:     d.timer,
		Anchors:   slices.Clip(d.run.Anchors),
		Run:       d.run.ID,
		Rehearsal: d.cfg.Rehearsal,
		Seq:       d.snapSeq,
		Presets:   d.cfg.Presets.Presets(),
		Devices:   d.cfg.Devices,
		Storage:   d.storage,
	}
	d.latest.Store(s)
	d.hub.publish(Event{Kind: EventSnapshot, At: d.cfg.Clock.Now(), Snapshot: s})
}

// MemoryJournal keeps the show log in memory: for tests and for a desk
// started without a data directory.
type MemoryJournal struct {
	mu      sync.Mutex
	records []JournalRecord
	run     *Run
	ix      map[string]InteractRecord
	// failNext makes the next Append fail (fault injection in tests).
	failNext error
}

// JournalRecord is one in-memory show-log entry.
type JournalRecord struct {
	Run, Kind string
	Payload   any
}

// NewMemoryJournal returns an empty journal.
func NewMemoryJournal() *MemoryJournal { return &MemoryJournal{} }

// Append records one entry.
func (m *MemoryJournal) Append(run, kind string, payload any) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failNext != nil {
		err := m.failNext
		m.failNext = nil
		return err
	}
	m.records = append(m.records, JournalRecord{Run: run, Kind: kind, Payload: payload})
	return nil
}

// Records returns a copy of what was appended.
func (m *MemoryJournal) Records() []JournalRecord {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.records)
}

// Fail makes the next Append return err.
func (m *MemoryJournal) Fail(err error) {
	m.mu.Lock()
	m.failNext = err
	m.mu.Unlock()
}

// Record appends the entry and saves its run, all or nothing (Also is
// ignored: there is no store transaction to join).
func (m *MemoryJournal) Record(e JournalEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failNext != nil {
		err := m.failNext
		m.failNext = nil
		return err
	}
	m.records = append(m.records, JournalRecord{Run: e.Run, Kind: e.Kind, Payload: e.Payload})
	if e.SetRun != nil {
		r := *e.SetRun
		r.Anchors = slices.Clone(r.Anchors)
		m.run = &r
	}
	return nil
}

// Checkpoint records an (unsigned) checkpoint and keeps the run.
func (m *MemoryJournal) Checkpoint(r Run, reason string) error {
	if r.ID == "" {
		return nil
	}
	return m.Record(JournalEntry{Run: r.ID, Kind: "checkpoint", Payload: map[string]any{"reason": reason}, SetRun: &r})
}

// SaveRun keeps the run.
func (m *MemoryJournal) SaveRun(r Run) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r.Anchors = slices.Clone(r.Anchors)
	m.run = &r
	return nil
}

// LoadRun returns the saved run.
func (m *MemoryJournal) LoadRun() (Run, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.run == nil {
		return Run{}, false, nil
	}
	return *m.run, true, nil
}

// post runs f on the desk goroutine; it never blocks the caller for long
// and gives up when the desk has stopped.
func (d *Desk) post(f func()) {
	select {
	case d.inbox <- f:
	case <-d.done:
	}
}
