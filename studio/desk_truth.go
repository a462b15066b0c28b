package studio

import (
	"errors"
	"time"
)

// record is the desk's one way to write to the journal: it keeps the
// storage fault on the snapshot while the disk refuses writes.
func (d *Desk) record(e JournalEntry) error {
	err := d.cfg.Journal.Record(e)
	d.noteStorage(err)
	return err
}

// noteStorage raises or clears the persistent storage warning.
func (d *Desk) noteStorage(err error) {
	switch {
	case err != nil && errors.Is(err, ErrStorage):
		d.storage = storageFault(err, d.cfg.Clock.Now())
		d.publishSnapshot()
		d.hub.publish(Event{Kind: EventError, At: d.storage.At, Err: err, Message: err.Error()})
	case err == nil && d.storage != nil:
		d.storage = nil
		d.publishSnapshot()
	}
}

// onAir reports whether the run is started and not ended at now.
func (d *Desk) onAir(now time.Time) bool {
	if d.timer == nil || d.run.ID == "" {
		return false
	}
	st := d.timer.State(d.run.Anchors, now)
	return st.Started && !st.Ended
}

// checkpoint signs the run's head into its log and remembers now as the
// latest show time recorded for the run.
func (d *Desk) checkpoint(reason string, now time.Time) {
	if d.run.ID == "" || d.cfg.Housekeeping <= 0 {
		return
	}
	r := d.run
	r.Seen = now
	err := d.cfg.Journal.Checkpoint(r, reason)
	d.noteStorage(err)
	if err != nil {
		d.cfg.Logf("desk: checkpoint: %v", err)
		return
	}
	d.run.Seen = now
	d.lastCk = now
}

// closeCheckpoint seals the log when the desk stops with a run on air.
func (d *Desk) closeCheckpoint() {
	if d.cfg.Housekeeping > 0 && d.onAir(d.cfg.Clock.Now()) {
		d.checkpoint("close", d.cfg.Clock.Now())
	}
}

// housekeeping looks for a wall-clock step and writes the minute
// checkpoint on air.
func (d *Desk) housekeeping() {
	now := d.cfg.Clock.Now()
	d.checkStep(now)
	if d.onAir(now) && now.Sub(d.lastCk) >= d.cfg.CheckpointEvery {
		d.checkpoint("minute", now)
	}
	if d.onAir(now) && now.Sub(d.lastBk) >= d.cfg.BackupEvery {
		d.backup("on-air", now)
	}
}

// backup asks for a hot copy of the store.
func (d *Desk) backup(reason string, now time.Time) {
	d.lastBk = now
	if d.cfg.Backup != nil {
		d.cfg.Backup(reason)
	}
}

// StepThreshold is the smallest wall-clock jump the desk logs as a step.
const StepThreshold = time.Second

// checkStep compares the wall clock with show time. Show time runs on the
// monotonic clock, so a step changes only their difference: it is logged
// as its own record and changes nothing else — no cue fires for it and no
// on-air time is gained or lost.
func (d *Desk) checkStep(now time.Time) {
	wc, ok := d.cfg.Clock.(WallClock)
	if !ok {
		return
	}
	wall := wc.Wall()
	drift := wall.Sub(now)
	if !d.driftSet {
		d.drift, d.driftSet = drift, true
		return
	}
	step := drift - d.drift
	if step < StepThreshold && step > -StepThreshold {
		return
	}
	d.drift = drift
	d.logStep("step", now, wall, step)
}

// StepRecord is the payload of a clock_step record.
type StepRecord struct {
	// Reason is "step" (seen while running) or "restart" (the wall clock
	// at a restart is behind the run's last recorded show time).
	Reason string `json:"reason"`
	// Step is the wall clock's jump (negative: back), in nanoseconds.
	Step time.Duration `json:"step_ns"`
	// Show is the show time, Wall the wall clock, at detection.
	Show time.Time `json:"show"`
	Wall time.Time `json:"wall"`
}

// ClockStepKind is the log kind of a wall-clock step record.
const ClockStepKind = "clock_step"

func (d *Desk) logStep(reason string, now, wall time.Time, step time.Duration) {
	rec := StepRecord{Reason: reason, Step: step, Show: now.UTC(), Wall: wall.UTC()}
	if err := d.record(JournalEntry{Run: d.run.ID, Kind: ClockStepKind, Payload: rec}); err != nil {
		d.cfg.Logf("desk: clock step: %v", err)
	}
	d.hub.publish(Event{Kind: EventNotice, At: now, Message: "wall clock stepped " + step.Round(time.Millisecond).String() + "; show time unaffected"})
}

// resume continues a persisted run after a restart. If the clock now reads
// before the latest show time the run recorded (the wall clock was set
// back while the desk was down), show time is moved forward to it, so the
// run resumes on air instead of looking not started, and the step is
// logged. It returns the show time to continue from.
func (d *Desk) resume(now time.Time) time.Time {
	high := d.run.Seen
	for _, a := range d.run.Anchors {
		if a.At.After(high) {
			high = a.At
		}
	}
	if high.After(now) {
		behind := high.Sub(now)
		if sc, ok := d.cfg.Clock.(ShiftClock); ok {
			sc.Shift(behind)
			wall := now
			if wc, ok := d.cfg.Clock.(WallClock); ok {
				wall = wc.Wall()
			}
			now = d.cfg.Clock.Now()
			d.logStep("restart", now, wall, -behind)
			d.driftSet = false
		}
	}
	if d.onAir(now) {
		d.checkpoint("resume", now)
	}
	return now
}
