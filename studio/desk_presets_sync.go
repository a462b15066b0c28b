package studio

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// ErrPresetChanged: a SyncPreset found the preset other than expected
// (edited on this desk meanwhile); nothing was changed.
var ErrPresetChanged = errors.New("preset changed on this desk meanwhile")

// SyncPreset puts a preset that came from elsewhere (the fleet's library)
// into the book, or removes it (Preset nil), only if the book's preset ID
// is still Expect (nil: absent). It is the compare-and-set that lets a
// remote change never overwrite an edit made here an instant before: that
// edit wins, the command fails with ErrPresetChanged, and the caller
// settles the two as a conflict.
type SyncPreset struct {
	ID     string
	Preset *Preset
	Expect *Preset
	// From names where the change came from (for the show log).
	From string
}

// Name is the show-log kind.
func (SyncPreset) Name() string { return "sync_preset" }

func samePresetJSON(a, b Preset) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// applySyncPreset runs on the desk goroutine.
func (d *Desk) applySyncPreset(c SyncPreset) error {
	book := d.cfg.Presets
	cur, ok := book.Get(c.ID)
	if ok != (c.Expect != nil) || (ok && !samePresetJSON(cur, *c.Expect)) {
		return fmt.Errorf("%s %q: %w", c.Name(), c.ID, ErrPresetChanged)
	}
	if c.Preset == nil {
		if !ok {
			return nil
		}
		_, err := book.Delete(c.ID)
		return d.presetsChanged(c, err, map[string]any{"preset": c.ID, "from": c.From})
	}
	p := c.Preset.Clone()
	if p.ID != c.ID {
		return fmt.Errorf("%s %q: holds preset id %q: %w", c.Name(), c.ID, p.ID, ErrBadCommand)
	}
	if err := p.Validate(d.cfg.Devices); err != nil {
		return err
	}
	var err error
	if ok {
		err = book.Update(p)
	} else {
		err = book.Add(p)
	}
	return d.presetsChanged(c, err, map[string]any{"preset": p.ID, "name": p.Name, "from": c.From})
}
