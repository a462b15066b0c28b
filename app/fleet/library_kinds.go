package fleet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"studiodesk/scripts"
	"studiodesk/studio"
	"studiodesk/studio/store"
)

// kind is how the library reads and writes one kind of item on the desk.
type kind interface {
	// scan returns the desk's live values by id; complete says whether
	// an id missing from it was deleted here.
	scan() (vals map[string]json.RawMessage, complete bool, err error)
	// apply puts a value into the desk (through its command path where
	// the desk owns the data); remove deletes one. Both first check that
	// the desk still holds prev (nil: nothing) and fail with
	// errChangedHere if not, so a remote value never lands on an edit
	// made here an instant before.
	apply(id string, v, prev json.RawMessage) error
	remove(id string, prev json.RawMessage) error
	// name is the value's display name.
	name(v json.RawMessage) string
	// conflictCopy is v as the conflict copy newID of desk's edit.
	conflictCopy(v json.RawMessage, newID, desk string) (json.RawMessage, error)
	// rename is the conflict copy v as an item of its own, newID.
	rename(v json.RawMessage, newID string) (json.RawMessage, error)
	// restore is the conflict copy's edit as the item orig.
	restore(copyV, orig json.RawMessage) (json.RawMessage, error)
	// seed reports whether v is what a new desk starts with (the demo
	// studio), which is nobody's edit: a desk joining a studio takes the
	// studio's version of it without a conflict copy.
	seed(id string, v json.RawMessage) bool
}

// WordsBucket is where the desk keeps its word lists (banned words and
// the like), one document per list.
const WordsBucket = "wordlists"

// WordList is a named word list (e.g. id "banned": words the danmaku
// filter drops; "script-banned": terms the script lint flags).
type WordList struct {
	ID    string   `json:"id"`
	Name  string   `json:"name"`
	Words []string `json:"words"`
}

const copyLabel = " (conflict copy, "

func copyName(name, desk string) string { return name + copyLabel + desk + ")" }

// plainName strips a conflict-copy label.
func plainName(name string) string {
	if i := strings.LastIndex(name, copyLabel); i >= 0 && strings.HasSuffix(name, ")") {
		return name[:i]
	}
	return name
}

// keptName is a conflict copy's name once kept as an item of its own.
func keptName(name string) string { return strings.Replace(name, copyLabel, " (", 1) }

func libraryKinds(lib *Library) map[string]kind {
	return map[string]kind{
		KindPreset: presetKind{lib},
		KindDevice: deviceKind{lib},
		KindShow:   showKind{lib},
		KindWords:  wordsKind{lib},
	}
}

func marshal(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

func decode[T any](v json.RawMessage, what string) (T, error) {
	var x T
	if err := json.Unmarshal(v, &x); err != nil {
		return x, fmt.Errorf("library %s: %w", what, err)
	}
	return x, nil
}

// edit decodes v, changes it and encodes it again.
func edit[T any](v json.RawMessage, what string, f func(*T)) (json.RawMessage, error) {
	x, err := decode[T](v, what)
	if err != nil {
		return nil, err
	}
	f(&x)
	return marshal(x), nil
}

func deskCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 5*time.Second)
}

// presetKind: scene presets. The desk owns the preset book; changes go
// through its commands (validated, logged, saved, shown to the UI).
type presetKind struct{ lib *Library }

func (k presetKind) scan() (map[string]json.RawMessage, bool, error) {
	var ps []studio.Preset
	if d := k.lib.desk; d != nil {
		snap := d.Snapshot()
		if snap == nil {
			return nil, false, nil
		}
		ps = snap.Presets
	} else {
		b, err := studio.LoadPresets(k.lib.st)
		if b == nil {
			return nil, false, err
		}
		ps = b.Presets()
	}
	out := make(map[string]json.RawMessage, len(ps))
	for _, p := range ps {
		out[p.ID] = marshal(p)
	}
	return out, true, nil
}

func (k presetKind) apply(id string, v, prev json.RawMessage) error {
	p, err := decode[studio.Preset](v, "preset "+id)
	if err != nil {
		return err
	}
	if p.ID != id {
		return fmt.Errorf("library preset %q holds id %q", id, p.ID)
	}
	return k.sync(id, &p, prev)
}

// sync is the desk's compare-and-set (studio.SyncPreset); p nil removes.
func (k presetKind) sync(id string, p *studio.Preset, prev json.RawMessage) error {
	var expect *studio.Preset
	if prev != nil {
		e, err := decode[studio.Preset](prev, "preset "+id)
		if err != nil {
			return err
		}
		expect = &e
	}
	var err error
	if d := k.lib.desk; d != nil {
		ctx, cancel := deskCtx()
		defer cancel()
		err = d.Do(ctx, studio.SyncPreset{ID: id, Preset: p, Expect: expect, From: "fleet library"})
	} else {
		err = k.book(func(b *studio.PresetBook) error {
			cur, ok := b.Get(id)
			if ok != (expect != nil) || ok && !sameJSON(marshal(cur), prev) {
				return studio.ErrPresetChanged
			}
			switch {
			case p == nil && ok:
				_, err := b.Delete(id)
				return err
			case p == nil:
				return nil
			case ok:
				return b.Update(*p)
			}
			return b.Add(*p)
		})
	}
	if errors.Is(err, studio.ErrPresetChanged) {
		return fmt.Errorf("preset %q: %w", id, errChangedHere)
	}
	return err
}

// book changes the stored book of a desk-less library (benches, tools).
func (k presetKind) book(f func(*studio.PresetBook) error) error {
	b, err := studio.LoadPresets(k.lib.st)
	if b == nil {
		return err
	}
	if err := f(b); err != nil {
		return err
	}
	return b.Save(k.lib.st)
}

func (k presetKind) remove(id string, prev json.RawMessage) error { return k.sync(id, nil, prev) }

func (presetKind) seed(id string, v json.RawMessage) bool {
	for _, p := range studio.DemoPresets() {
		if p.ID == id {
			return sameJSON(marshal(p), v)
		}
	}
	return false
}

func (presetKind) name(v json.RawMessage) string {
	p, _ := decode[studio.Preset](v, "preset")
	return p.Name
}

func (presetKind) conflictCopy(v json.RawMessage, newID, desk string) (json.RawMessage, error) {
	return edit(v, "preset", func(p *studio.Preset) { p.ID, p.Name, p.Key = newID, copyName(plainName(p.Name), desk), "" })
}

func (presetKind) rename(v json.RawMessage, newID string) (json.RawMessage, error) {
	return edit(v, "preset", func(p *studio.Preset) { p.ID, p.Name = newID, keptName(p.Name) })
}

func (presetKind) restore(copyV, orig json.RawMessage) (json.RawMessage, error) {
	o, err := decode[studio.Preset](orig, "preset")
	if err != nil {
		return nil, err
	}
	return edit(copyV, "preset", func(p *studio.Preset) { p.ID, p.Name, p.Key = o.ID, plainName(p.Name), o.Key })
}

// deviceKind: device templates (the studio's device list, without
// passwords: those stay on the desk). A change applies to the saved list;
// the live devices reopen with it at the next start.
type deviceKind struct{ lib *Library }

func template(c studio.DeviceConfig) studio.DeviceConfig {
	c.Password = ""
	c.Scenes = slices.Clone(c.Scenes)
	return c
}

func (k deviceKind) scan() (map[string]json.RawMessage, bool, error) {
	cfgs, err := studio.LoadDeviceConfigs(k.lib.st)
	if err != nil && cfgs == nil {
		return nil, false, err
	}
	out := make(map[string]json.RawMessage, len(cfgs))
	for _, c := range cfgs {
		out[c.ID] = marshal(template(c))
	}
	return out, true, nil
}

// current checks that the saved list still holds prev for id.
func (k deviceKind) current(id string, prev json.RawMessage) ([]studio.DeviceConfig, error) {
	cfgs, err := studio.LoadDeviceConfigs(k.lib.st)
	if err != nil && cfgs == nil {
		return nil, err
	}
	i := slices.IndexFunc(cfgs, func(o studio.DeviceConfig) bool { return o.ID == id })
	if (i >= 0) != (prev != nil) || i >= 0 && !sameJSON(marshal(template(cfgs[i])), prev) {
		return nil, fmt.Errorf("device %q: %w", id, errChangedHere)
	}
	return cfgs, nil
}

func (k deviceKind) apply(id string, v, prev json.RawMessage) error {
	c, err := decode[studio.DeviceConfig](v, "device "+id)
	if err != nil {
		return err
	}
	if c.ID != id {
		return fmt.Errorf("library device %q holds id %q", id, c.ID)
	}
	if err := studio.ValidateDevice(c); err != nil {
		return err
	}
	cfgs, err := k.current(id, prev)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(cfgs, func(o studio.DeviceConfig) bool { return o.ID == id })
	if i >= 0 {
		c.Password = cfgs[i].Password // the desk's own secret stays
		cfgs[i] = c
	} else {
		cfgs = append(cfgs, c)
	}
	return studio.SaveDeviceConfigs(k.lib.st, cfgs)
}

func (k deviceKind) remove(id string, prev json.RawMessage) error {
	cfgs, err := k.current(id, prev)
	if err != nil {
		return err
	}
	return studio.SaveDeviceConfigs(k.lib.st, slices.DeleteFunc(cfgs, func(o studio.DeviceConfig) bool { return o.ID == id }))
}

func (deviceKind) seed(id string, v json.RawMessage) bool {
	for _, c := range studio.DemoDevices() {
		if c.ID == id {
			return sameJSON(marshal(template(c)), v)
		}
	}
	return false
}

func (deviceKind) name(v json.RawMessage) string {
	c, _ := decode[studio.DeviceConfig](v, "device")
	return c.Name
}

func (deviceKind) conflictCopy(v json.RawMessage, newID, desk string) (json.RawMessage, error) {
	return edit(v, "device", func(c *studio.DeviceConfig) { c.ID, c.Name = newID, copyName(plainName(c.Name), desk) })
}

func (deviceKind) rename(v json.RawMessage, newID string) (json.RawMessage, error) {
	return edit(v, "device", func(c *studio.DeviceConfig) { c.ID, c.Name = newID, keptName(c.Name) })
}

func (deviceKind) restore(copyV, orig json.RawMessage) (json.RawMessage, error) {
	o, err := decode[studio.DeviceConfig](orig, "device")
	if err != nil {
		return nil, err
	}
	return edit(copyV, "device", func(c *studio.DeviceConfig) { c.ID, c.Name = o.ID, plainName(c.Name) })
}

// showKind: shows (script with its interactions). The desk's current
// show is the producer's saved script; other shows from the fleet are
// kept in the library record. A change to the current show is loaded when
// the desk is not on air (the desk refuses it on air; it loads at the
// next start).
type showKind struct{ lib *Library }

func (k showKind) current() (*scripts.Show, error) {
	var s scripts.Show
	ok, err := k.lib.st.Get(store.BucketScripts, "current", &s)
	if err != nil || !ok || len(s.Segments) == 0 {
		return nil, err
	}
	return &s, nil
}

func (k showKind) scan() (map[string]json.RawMessage, bool, error) {
	s, err := k.current()
	if err != nil || s == nil {
		return nil, false, err
	}
	return map[string]json.RawMessage{s.ID: marshal(s)}, false, nil
}

func (k showKind) apply(id string, v, prev json.RawMessage) error {
	s, err := decode[scripts.Show](v, "show "+id)
	if err != nil {
		return err
	}
	if s.ID != id {
		return fmt.Errorf("library show %q holds id %q", id, s.ID)
	}
	cur, err := k.current()
	if err != nil {
		return err
	}
	if cur != nil && cur.ID != id {
		return nil // not the show on this desk: kept in the record
	}
	if cur != nil && !sameJSON(marshal(cur), prev) {
		return fmt.Errorf("show %q: %w", id, errChangedHere)
	}
	if err := k.lib.st.Put(store.BucketScripts, "current", s); err != nil {
		return err
	}
	if d := k.lib.desk; d != nil {
		ctx, cancel := deskCtx()
		defer cancel()
		if err := d.Do(ctx, studio.LoadShow{Show: &s}); err != nil {
			return fmt.Errorf("show %q saved, loads at the next start: %w", id, err)
		}
	}
	return nil
}

func (showKind) remove(string, json.RawMessage) error { return nil } // a show is never taken off a desk remotely

func (showKind) seed(string, json.RawMessage) bool { return false }

func (showKind) name(v json.RawMessage) string {
	s, _ := decode[scripts.Show](v, "show")
	return s.Title
}

func (showKind) conflictCopy(v json.RawMessage, newID, desk string) (json.RawMessage, error) {
	return edit(v, "show", func(s *scripts.Show) { s.ID, s.Title = newID, copyName(plainName(s.Title), desk) })
}

func (showKind) rename(v json.RawMessage, newID string) (json.RawMessage, error) {
	return edit(v, "show", func(s *scripts.Show) { s.ID, s.Title = newID, keptName(s.Title) })
}

func (showKind) restore(copyV, orig json.RawMessage) (json.RawMessage, error) {
	o, err := decode[scripts.Show](orig, "show")
	if err != nil {
		return nil, err
	}
	return edit(copyV, "show", func(s *scripts.Show) { s.ID, s.Title = o.ID, plainName(s.Title) })
}

// wordsKind: word lists, one document each in WordsBucket.
type wordsKind struct{ lib *Library }

func (k wordsKind) scan() (map[string]json.RawMessage, bool, error) {
	out := map[string]json.RawMessage{}
	err := k.lib.st.All(WordsBucket, func(key string, raw json.RawMessage) error {
		var w WordList
		if json.Unmarshal(raw, &w) == nil && w.ID == key {
			out[key] = marshal(w)
		}
		return nil
	})
	return out, err == nil, err
}

func (k wordsKind) apply(id string, v, prev json.RawMessage) error {
	w, err := decode[WordList](v, "word list "+id)
	if err != nil {
		return err
	}
	if w.ID != id {
		return fmt.Errorf("library word list %q holds id %q", id, w.ID)
	}
	return k.put(id, &w, prev)
}

// put compares and writes in one store transaction (w nil deletes).
func (k wordsKind) put(id string, w *WordList, prev json.RawMessage) error {
	err := k.lib.st.Commit(func(tx *store.Tx) error {
		var cur WordList
		ok, err := tx.Get(WordsBucket, id, &cur)
		if err != nil {
			return err
		}
		if ok != (prev != nil) || ok && !sameJSON(marshal(cur), prev) {
			return fmt.Errorf("word list %q: %w", id, errChangedHere)
		}
		if w == nil {
			return tx.Delete(WordsBucket, id)
		}
		return tx.Put(WordsBucket, id, w)
	})
	if err == nil {
		var words []string
		if w != nil {
			words = w.Words
		}
		k.lib.onWords(id, words)
	}
	return err
}

func (k wordsKind) remove(id string, prev json.RawMessage) error { return k.put(id, nil, prev) }

func (wordsKind) seed(string, json.RawMessage) bool { return false }

func (wordsKind) name(v json.RawMessage) string {
	w, _ := decode[WordList](v, "word list")
	return w.Name
}

func (wordsKind) conflictCopy(v json.RawMessage, newID, desk string) (json.RawMessage, error) {
	return edit(v, "word list", func(w *WordList) { w.ID, w.Name = newID, copyName(plainName(w.Name), desk) })
}

func (wordsKind) rename(v json.RawMessage, newID string) (json.RawMessage, error) {
	return edit(v, "word list", func(w *WordList) { w.ID, w.Name = newID, keptName(w.Name) })
}

func (wordsKind) restore(copyV, orig json.RawMessage) (json.RawMessage, error) {
	o, err := decode[WordList](orig, "word list")
	if err != nil {
		return nil, err
	}
	return edit(copyV, "word list", func(w *WordList) { w.ID, w.Name = o.ID, plainName(w.Name) })
}
