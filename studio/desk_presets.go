package studio

import (
	"context"
	"errors"
	"fmt"
	"time"

	"studiodesk/devices"
)

// Preset commands. Recall is a live action; the others are the producer's.
type (
	// RecallPreset moves every device of preset ID at once.
	RecallPreset struct{ ID string }
	// SavePreset adds the preset, or replaces the one with the same ID.
	SavePreset struct{ Preset Preset }
	// DeletePreset removes a preset; UndoPreset brings it back.
	DeletePreset struct{ ID string }
	// DuplicatePreset copies a preset under a new id and name.
	DuplicatePreset struct{ ID, NewName string }
	// RenamePreset changes a preset's name.
	RenamePreset struct{ ID, NewName string }
	// UndoPreset undoes the last change to the preset book.
	UndoPreset struct{}
)

// Name implementations: the show-log kind.
func (RecallPreset) Name() string    { return "recall_preset" }
func (SavePreset) Name() string      { return "save_preset" }
func (DeletePreset) Name() string    { return "delete_preset" }
func (DuplicatePreset) Name() string { return "duplicate_preset" }
func (RenamePreset) Name() string    { return "rename_preset" }
func (UndoPreset) Name() string      { return "undo_preset" }

// EventRecall carries a finished recall's per-device results.
const EventRecall EventKind = "recall"

// DefaultDeviceTimeout bounds each device's part of a recall.
const DefaultDeviceTimeout = 300 * time.Millisecond

// applyPresetCommand handles the preset commands on the desk goroutine;
// handled is false for any other command.
func (d *Desk) applyPresetCommand(cmd Command) (handled bool, err error) {
	book := d.cfg.Presets
	switch c := cmd.(type) {
	case RecallPreset:
		return true, d.startRecall(c.ID, "operator")
	case SavePreset:
		p := c.Preset.Clone()
		if err := p.Validate(d.cfg.Devices); err != nil {
			return true, err
		}
		if _, ok := book.Get(p.ID); ok {
			err = book.Update(p)
		} else {
			err = book.Add(p)
		}
		return true, d.presetsChanged(cmd, err, map[string]any{"preset": p.ID, "name": p.Name})
	case DeletePreset:
		_, err := book.Delete(c.ID)
		return true, d.presetsChanged(cmd, err, map[string]any{"preset": c.ID})
	case DuplicatePreset:
		p, err := book.Duplicate(c.ID, book.NextID(), c.NewName)
		return true, d.presetsChanged(cmd, err, map[string]any{"from": c.ID, "preset": p.ID})
	case RenamePreset:
		err := book.Rename(c.ID, c.NewName)
		return true, d.presetsChanged(cmd, err, map[string]any{"preset": c.ID, "name": c.NewName})
	case UndoPreset:
		err := book.Undo()
		return true, d.presetsChanged(cmd, err, nil)
	case SyncPreset:
		return true, d.applySyncPreset(c)
	}
	return false, nil
}

// presetsChanged logs, persists and publishes a change the book accepted.
func (d *Desk) presetsChanged(cmd Command, err error, payload any) error {
	if err != nil {
		return fmt.Errorf("%s: %w", cmd.Name(), err)
	}
	e := JournalEntry{Run: d.run.ID, Kind: cmd.Name(), Payload: payload}
	if d.cfg.PresetsInLog {
		e.Also = d.cfg.Presets.SaveTx
	}
	if lerr := d.record(e); lerr != nil {
		// Neither recorded nor saved: take the change back (every book
		// change but an undo pushes one undo step) and refuse the command
		// visibly.
		if _, undo := cmd.(UndoPreset); !undo && (d.cfg.PresetsInLog || errors.Is(lerr, ErrStorage)) {
			_ = d.cfg.Presets.Undo()
			d.publishSnapshot()
			return fmt.Errorf("%s: show log: %w", cmd.Name(), lerr)
		}
		d.cfg.Logf("desk: show log: %v", lerr)
	}
	if d.cfg.SavePresets != nil && !d.cfg.PresetsInLog {
		if serr := d.cfg.SavePresets(d.cfg.Presets); serr != nil {
			d.publishError(fmt.Errorf("%s: save presets: %w", cmd.Name(), serr))
		}
	}
	d.publishSnapshot()
	return nil
}

// startRecall fans the preset out to its devices off the desk goroutine;
// the result comes back through recallDone, so a dead device never holds
// the desk.
func (d *Desk) startRecall(id, why string) error {
	p, ok := d.cfg.Presets.Get(id)
	if !ok {
		return fmt.Errorf("recall preset %q: %w", id, ErrPresetNotFound)
	}
	if err := d.cfg.Journal.Append(d.run.ID, "recall_preset", map[string]any{"preset": p.ID, "name": p.Name, "by": why}); err != nil {
		return fmt.Errorf("recall preset %q: show log: %w", p.Name, err)
	}
	reg, recaller, done := d.cfg.Devices, d.recaller, d.recallDone
	go func() {
		res := recaller.Recall(context.Background(), reg, &p, d.cfg.DeviceTimeout)
		select {
		case done <- res:
		case <-d.done:
		}
	}()
	return nil
}

// finishRecall logs and publishes a recall's per-device results.
func (d *Desk) finishRecall(res RecallResult) {
	failed := map[string]string{}
	for _, r := range res.Results {
		if r.Err != nil {
			failed[r.DeviceID] = r.Err.Error()
		}
	}
	if err := d.cfg.Journal.Append(d.run.ID, "recall_result", map[string]any{
		"preset": res.PresetID, "took_ms": float64(res.Took) / float64(time.Millisecond), "failed": failed, "superseded": res.Superseded,
	}); err != nil {
		d.cfg.Logf("desk: show log: %v", err)
	}
	d.hub.publish(Event{Kind: EventRecall, At: d.cfg.Clock.Now(), Recall: &res})
}

// recallForSegment recalls the preset bound to a segment that just went on
// air, when the producer ticked "recall when the segment starts".
func (d *Desk) recallForSegment(index int) {
	if d.show == nil || index < 0 || index >= len(d.show.Segments) {
		return
	}
	seg := d.show.Segments[index]
	if !seg.RecallPreset || seg.PresetID == "" {
		return
	}
	if err := d.startRecall(seg.PresetID, "segment "+seg.ID); err != nil {
		d.publishError(err)
	}
}

func (d *Desk) publishError(err error) {
	d.hub.publish(Event{Kind: EventError, At: d.cfg.Clock.Now(), Err: err, Message: err.Error()})
}

// DemoPresets is the demo studio's preset grid, for DemoDevices.
func DemoPresets() []Preset {
	on := devices.Ptr(true)
	light := func(b, k int) devices.Target {
		return devices.Target{Light: &devices.LightTarget{On: on, Brightness: devices.Ptr(b), Temperature: devices.Ptr(k)}}
	}
	cam := func(n int) devices.Target { return devices.Target{Camera: &devices.CameraTarget{Preset: n}} }
	scene := func(s string) devices.Target { return devices.Target{Scene: &devices.SceneTarget{Name: s}} }
	return []Preset{
		{ID: "cam-wide", Name: "开场全景", Color: "#1565C0", Key: "1", Fade: 2 * time.Second, Curve: devices.SCurve, Targets: map[string]devices.Target{
			"cam-a": cam(1), "cam-b": cam(1), "light-main": light(80, 5600), "light-rim": light(60, 5600), "keylight": light(50, 5000), "obs": scene("开场")}},
		{ID: "p-host", Name: "主播全景", Color: "#2E7D32", Key: "2", Fade: time.Second, Curve: devices.SCurve, Targets: map[string]devices.Target{
			"cam-a": cam(2), "light-main": light(75, 5200), "light-rim": light(50, 5200), "obs": scene("主播全景")}},
		{ID: "cam-close", Name: "产品特写", Color: "#C62828", Key: "3", Fade: 500 * time.Millisecond, Curve: devices.Linear, Targets: map[string]devices.Target{
			"cam-b": cam(3), "keylight": light(90, 5600), "light-main": light(60, 5600), "obs": scene("产品特写")}},
		{ID: "cam-table", Name: "桌面演示", Color: "#6A1B9A", Key: "4", Fade: time.Second, Curve: devices.SCurve, Targets: map[string]devices.Target{
			"cam-a": cam(4), "light-main": light(85, 4800), "obs": scene("场景演示")}},
		{ID: "p-compare", Name: "对比", Color: "#EF6C00", Key: "5", Fade: time.Second, Curve: devices.Linear, Targets: map[string]devices.Target{
			"cam-b": cam(5), "keylight": light(80, 6000), "obs": scene("对比")}},
		{ID: "p-lottery", Name: "互动抽奖", Color: "#AD1457", Key: "6", Fade: 300 * time.Millisecond, Curve: devices.Linear, Targets: map[string]devices.Target{
			"cam-a": cam(2), "light-rim": light(100, 3200), "obs": scene("互动抽奖")}},
	}
}
