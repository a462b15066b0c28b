package studio

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"studiodesk/devices"
	"studiodesk/studio/store"
)

// Scene preset limits of the desk's own. Value ranges (camera presets,
// colour temperature, …) are not restated here: each driver declares what
// it accepts (devices.Driver.Limits) and targets are checked against the
// device's driver, or, before a preset is tied to a device, against the
// widest range any driver of that kind accepts (devices.KindLimit).
const (
	MaxFade        = 60 * time.Second
	MaxPresetIDLen = 64
)

// presetOrderKey is the document in store.BucketPresets that holds the
// order of the book; preset ids may not take it.
const presetOrderKey = "_order"

// Sentinel errors callers branch on.
var (
	// ErrInvalidPreset marks every validation failure of a preset (a
	// *PresetError).
	ErrInvalidPreset = errors.New("invalid preset")
	// ErrUnknownDevice: a preset names a device id the registry does not hold.
	ErrUnknownDevice = errors.New("unknown device")
	// ErrKeyInUse: another preset already has this shortcut key.
	ErrKeyInUse = errors.New("key already used")
	// ErrIDInUse: another preset already has this id.
	ErrIDInUse = errors.New("id already used")
	// ErrPresetNotFound: no preset with that id in the book.
	ErrPresetNotFound = errors.New("preset not found")
	// ErrNothingToUndo: the undo history is empty or the token is spent.
	ErrNothingToUndo = errors.New("nothing to undo")
)

// Preset is a scene preset: what each device should become when the field
// controller recalls it.
type Preset struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Color string `json:"color,omitempty"` // "#RRGGBB" for the grid button; "" = default
	Key   string `json:"key,omitempty"`   // "1".."9", "F1".."F12" or ""
	// Fade and Curve apply to every target that does not set its own.
	Fade    time.Duration             `json:"fade,omitempty"`
	Curve   devices.Curve             `json:"curve,omitempty"`
	Targets map[string]devices.Target `json:"targets,omitempty"` // device id → target
}

// PresetError is one validation failure, naming the preset, the device (if
// the failure is in a target) and the field. It matches ErrInvalidPreset
// with errors.Is and unwraps to the cause (devices.ErrOutOfRange,
// devices.ErrWrongKind, ErrUnknownDevice, ErrKeyInUse, ...).
type PresetError struct {
	Preset string // preset name (its id when unnamed)
	Device string // device name (its id when unknown); "" for preset fields
	Field  string // e.g. "camera.preset", "light.brightness", "key"
	Value  string // the offending value as text; "" when there is none
	Err    error
}

func (e *PresetError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "preset %q", e.Preset)
	if e.Device != "" {
		fmt.Fprintf(&b, ": device %q", e.Device)
	}
	var re *devices.RangeError
	if errors.As(e.Err, &re) && re.Field == e.Field {
		// "light.brightness: value 101 out of range 0-100 %" says it all.
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
		return b.String()
	}
	if e.Field != "" {
		b.WriteString(": ")
		b.WriteString(e.Field)
	}
	if e.Value != "" {
		b.WriteString(": ")
		b.WriteString(e.Value)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *PresetError) Unwrap() error { return e.Err }

// Is makes every PresetError match ErrInvalidPreset.
func (e *PresetError) Is(target error) bool { return target == ErrInvalidPreset }

// label is how errors name the preset.
func (p *Preset) label() string {
	if strings.TrimSpace(p.Name) != "" {
		return p.Name
	}
	return p.ID
}

// Validate checks the preset: its id, name, color, key, fade and curve, and
// every target. With a registry, every device id must be known and each
// target's kind must match its device; with reg == nil only the values are
// checked (a preset may name a device not configured on this machine yet).
// All problems are returned, joined, in a stable order; each is a
// *PresetError. Key uniqueness is the PresetBook's to check.
func (p *Preset) Validate(reg *Registry) error {
	if p == nil {
		return &PresetError{Field: "preset", Err: errors.New("missing")}
	}
	var errs []error
	add := func(dev, field, value string, err error) {
		errs = append(errs, &PresetError{Preset: p.label(), Device: dev, Field: field, Value: value, Err: err})
	}
	switch {
	case p.ID == "":
		add("", "id", "", errors.New("empty"))
	case len(p.ID) > MaxPresetIDLen:
		add("", "id", "", fmt.Errorf("%d bytes, at most %d", len(p.ID), MaxPresetIDLen))
	case p.ID == presetOrderKey:
		add("", "id", strconv.Quote(p.ID), errors.New("reserved"))
	case strings.IndexFunc(p.ID, unicode.IsControl) >= 0:
		add("", "id", strconv.Quote(p.ID), errors.New("contains control characters"))
	}
	if strings.TrimSpace(p.Name) == "" {
		add("", "name", "", errors.New("empty"))
	}
	if p.Color != "" && !validColor(p.Color) {
		add("", "color", strconv.Quote(p.Color), errors.New(`not a "#RRGGBB" colour`))
	}
	if p.Key != "" && !ValidKey(p.Key) {
		add("", "key", strconv.Quote(p.Key), errors.New(`not a shortcut key ("1".."9", "F1".."F12")`))
	}
	if err := checkFade(p.Fade); err != nil {
		add("", "fade", p.Fade.String(), err)
	}
	if err := checkCurve(p.Curve); err != nil {
		add("", "curve", strconv.Quote(string(p.Curve)), err)
	}
	for _, id := range sortedKeys(p.Targets) {
		var dev devices.Device
		name := id
		if reg != nil {
			d, ok := reg.Get(id)
			if !ok {
				add(id, "", "", ErrUnknownDevice)
				continue
			}
			dev, name = d, deviceLabel(d)
		}
		for _, fe := range checkTarget(dev, reg.driverOf(id), p.Targets[id]) {
			add(name, fe.field, fe.value, fe.err)
		}
	}
	return errors.Join(errs...)
}

// fieldErr is a target problem before it is tagged with preset and device.
type fieldErr struct {
	field, value string
	err          error
}

// checkTarget checks one target's values and, when dev is known, that its
// kind matches the device. Values are checked against drv's declared limits
// (the device's driver), or with drv == nil against the widest any driver
// of the target's kind accepts.
func checkTarget(dev devices.Device, drv *devices.Driver, t devices.Target) []fieldErr {
	var errs []fieldErr
	add := func(field, value string, err error) { errs = append(errs, fieldErr{field, value, err}) }
	parts := 0
	var kind devices.Kind
	if t.Camera != nil {
		parts++
		kind = devices.KindCamera
	}
	if t.Light != nil {
		parts++
		kind = devices.KindLight
	}
	if t.Scene != nil {
		parts++
		kind = devices.KindOBS
	}
	switch parts {
	case 0:
		add("target", "", errors.New("empty: set a camera, light or scene"))
		return errs
	case 1:
	default:
		add("target", "", errors.New("sets more than one of camera, light and scene"))
		return errs
	}
	if dev != nil && dev.Kind() != kind {
		add(kindField(kind), "", fmt.Errorf("%w: the device is a %s", devices.ErrWrongKind, dev.Kind()))
		return errs
	}
	intRange := func(field string, v *int) {
		if v == nil {
			return
		}
		var (
			l  devices.Limit
			ok bool
		)
		if drv != nil && (drv.Kind == kind || drv.Kind == "") {
			l, ok = drv.Limit(field)
		} else {
			l, ok = devices.KindLimit(kind, field)
		}
		if !ok {
			add(field, strconv.Itoa(*v), fmt.Errorf("%w by this device", devices.ErrUnsupported))
			return
		}
		if err := l.Check(*v); err != nil {
			add(field, strconv.Itoa(*v), err)
		}
	}
	switch {
	case t.Camera != nil:
		c := t.Camera
		switch {
		case c.Preset != 0 && c.Absolute:
			add("camera", "", errors.New("sets both a preset and an absolute position"))
		case c.Preset == 0 && !c.Absolute:
			add("camera", "", errors.New("sets neither a preset nor an absolute position"))
		case !c.Absolute:
			intRange("camera.preset", &c.Preset)
		default:
			intRange("camera.pan", &c.Pan)
			intRange("camera.tilt", &c.Tilt)
			intRange("camera.zoom", &c.Zoom)
		}
		if c.Speed != 0 {
			intRange("camera.speed", &c.Speed)
		}
	case t.Light != nil:
		l := t.Light
		if l.On == nil && l.Brightness == nil && l.Temperature == nil && l.Red == nil && l.Green == nil && l.Blue == nil {
			add("light", "", errors.New("sets nothing"))
		}
		intRange("light.brightness", l.Brightness)
		intRange("light.temperature", l.Temperature)
		intRange("light.red", l.Red)
		intRange("light.green", l.Green)
		intRange("light.blue", l.Blue)
	case t.Scene != nil:
		if strings.TrimSpace(t.Scene.Name) == "" {
			add("scene.name", "", errors.New("empty"))
		}
	}
	if err := checkFade(t.Fade); err != nil {
		add("fade", t.Fade.String(), err)
	}
	if err := checkCurve(t.Curve); err != nil {
		add("curve", strconv.Quote(string(t.Curve)), err)
	}
	return errs
}

func kindField(k devices.Kind) string {
	if k == devices.KindOBS {
		return "scene"
	}
	return string(k)
}

func checkFade(d time.Duration) error {
	if d < 0 || d > MaxFade {
		return fmt.Errorf("%w (0-%v)", devices.ErrOutOfRange, MaxFade)
	}
	return nil
}

// driverOf is the declaration of a device's configured driver; nil for an
// unknown device, a device added without a configuration, or a nil
// registry.
func (r *Registry) driverOf(id string) *devices.Driver {
	d, ok := r.Driver(id)
	if !ok {
		return nil
	}
	return d
}

func checkCurve(c devices.Curve) error {
	switch c {
	case "", devices.Linear, devices.SCurve:
		return nil
	}
	return fmt.Errorf("%w (linear or s-curve)", devices.ErrUnsupported)
}

func validColor(s string) bool {
	if len(s) != 7 || s[0] != '#' {
		return false
	}
	for _, c := range s[1:] {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

// ValidKey reports whether k is a preset shortcut: "1".."9" or "F1".."F12".
func ValidKey(k string) bool {
	if len(k) == 1 {
		return k[0] >= '1' && k[0] <= '9'
	}
	if len(k) < 2 || k[0] != 'F' || k[1] == '0' {
		return false
	}
	n, err := strconv.Atoi(k[1:])
	return err == nil && n >= 1 && n <= 12
}

func deviceLabel(d devices.Device) string {
	if n := d.Name(); n != "" {
		return n
	}
	return d.ID()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Clone returns a deep copy: changing the copy's targets never changes p.
func (p Preset) Clone() Preset {
	if p.Targets != nil {
		ts := make(map[string]devices.Target, len(p.Targets))
		for id, t := range p.Targets {
			ts[id] = cloneTarget(t)
		}
		p.Targets = ts
	}
	return p
}

func cloneTarget(t devices.Target) devices.Target {
	if t.Camera != nil {
		c := *t.Camera
		t.Camera = &c
	}
	if t.Light != nil {
		l := *t.Light
		for _, f := range []**int{&l.Brightness, &l.Temperature, &l.Red, &l.Green, &l.Blue} {
			if *f != nil {
				v := **f
				*f = &v
			}
		}
		if l.On != nil {
			v := *l.On
			l.On = &v
		}
		t.Light = &l
	}
	if t.Scene != nil {
		s := *t.Scene
		t.Scene = &s
	}
	return t
}

// PresetBook is the ordered collection of scene presets with an undo
// history. It is not safe for concurrent use and needs no lock: the desk
// owns one and calls it only from its own goroutine. Presets go in and come
// out as deep copies, so nobody can change one behind the book's back.
type PresetBook struct {
	list    []Preset
	history []undoEntry
	nextTok UndoToken
}

// UndoToken names one change in the book's history (see UndoDelete).
type UndoToken uint64

// maxHistory bounds the undo history.
const maxHistory = 100

type undoOp int

const (
	opAdd     undoOp = iota // undo: remove id
	opReplace               // undo: put old back in place
	opDelete                // undo: insert old at index
	opMove                  // undo: move id back to index
)

type undoEntry struct {
	tok   UndoToken
	op    undoOp
	id    string
	old   Preset
	index int
}

// NewPresetBook returns an empty book.
func NewPresetBook() *PresetBook { return &PresetBook{} }

// Len is the number of presets.
func (b *PresetBook) Len() int { return len(b.list) }

// Presets returns copies of all presets in order.
func (b *PresetBook) Presets() []Preset {
	out := make([]Preset, len(b.list))
	for i, p := range b.list {
		out[i] = p.Clone()
	}
	return out
}

// Get returns a copy of the preset with this id.
func (b *PresetBook) Get(id string) (Preset, bool) {
	i := b.index(id)
	if i < 0 {
		return Preset{}, false
	}
	return b.list[i].Clone(), true
}

// ByKey returns a copy of the preset bound to a shortcut key.
func (b *PresetBook) ByKey(key string) (Preset, bool) {
	if key == "" {
		return Preset{}, false
	}
	for _, p := range b.list {
		if p.Key == key {
			return p.Clone(), true
		}
	}
	return Preset{}, false
}

// NextID returns an unused id of the form "p1", "p2", ….
func (b *PresetBook) NextID() string {
	for n := len(b.list) + 1; ; n++ {
		id := "p" + strconv.Itoa(n)
		if b.index(id) < 0 {
			return id
		}
	}
}

func (b *PresetBook) index(id string) int {
	return slices.IndexFunc(b.list, func(p Preset) bool { return p.ID == id })
}

// check validates p's own values (devices are not looked up: the book does
// not know the registry) and the uniqueness of its id and key against every
// preset but the one at skip.
func (b *PresetBook) check(p *Preset, skip int) error {
	if err := p.Validate(nil); err != nil {
		return err
	}
	for i, o := range b.list {
		if i == skip {
			continue
		}
		if o.ID == p.ID {
			return &PresetError{Preset: p.label(), Field: "id", Value: strconv.Quote(p.ID),
				Err: fmt.Errorf("%w by preset %q", ErrIDInUse, o.label())}
		}
		if p.Key != "" && o.Key == p.Key {
			return &PresetError{Preset: p.label(), Field: "key", Value: strconv.Quote(p.Key),
				Err: fmt.Errorf("%w by preset %q", ErrKeyInUse, o.label())}
		}
	}
	return nil
}

func (b *PresetBook) notFound(id string) error {
	return fmt.Errorf("preset id %q: %w", id, ErrPresetNotFound)
}

func (b *PresetBook) remember(e undoEntry) UndoToken {
	b.nextTok++
	e.tok = b.nextTok
	b.history = append(b.history, e)
	if len(b.history) > maxHistory {
		b.history = slices.Delete(b.history, 0, len(b.history)-maxHistory)
	}
	return e.tok
}

// Add appends a preset. Its values are validated, its id and key must be
// unused.
func (b *PresetBook) Add(p Preset) error {
	p = p.Clone()
	if err := b.check(&p, -1); err != nil {
		return err
	}
	b.list = append(b.list, p)
	b.remember(undoEntry{op: opAdd, id: p.ID})
	return nil
}

// Update replaces the preset with p.ID, keeping its place in the order.
func (b *PresetBook) Update(p Preset) error {
	i := b.index(p.ID)
	if i < 0 {
		return b.notFound(p.ID)
	}
	p = p.Clone()
	if err := b.check(&p, i); err != nil {
		return err
	}
	old := b.list[i]
	b.list[i] = p
	b.remember(undoEntry{op: opReplace, id: p.ID, old: old})
	return nil
}

// Rename changes a preset's display name.
func (b *PresetBook) Rename(id, name string) error {
	p, ok := b.Get(id)
	if !ok {
		return b.notFound(id)
	}
	p.Name = name
	return b.Update(p)
}

// SetKey binds a shortcut key to a preset ("" unbinds it).
func (b *PresetBook) SetKey(id, key string) error {
	p, ok := b.Get(id)
	if !ok {
		return b.notFound(id)
	}
	p.Key = key
	return b.Update(p)
}

// Duplicate copies preset id as newID named newName, placed right after the
// original. The copy has no shortcut key (keys are unique).
func (b *PresetBook) Duplicate(id, newID, newName string) (Preset, error) {
	i := b.index(id)
	if i < 0 {
		return Preset{}, b.notFound(id)
	}
	p := b.list[i].Clone()
	p.ID, p.Name, p.Key = newID, newName, ""
	if err := b.check(&p, -1); err != nil {
		return Preset{}, err
	}
	b.list = slices.Insert(b.list, i+1, p)
	b.remember(undoEntry{op: opAdd, id: p.ID})
	return p.Clone(), nil
}

// Move puts preset id at position index (clamped to the list).
func (b *PresetBook) Move(id string, index int) error {
	i := b.index(id)
	if i < 0 {
		return b.notFound(id)
	}
	index = max(0, min(index, len(b.list)-1))
	if index == i {
		return nil
	}
	p := b.list[i]
	b.list = slices.Insert(slices.Delete(b.list, i, i+1), index, p)
	b.remember(undoEntry{op: opMove, id: id, index: i})
	return nil
}

// Delete removes a preset. The token undoes exactly this deletion with
// UndoDelete; Undo undoes the latest change, whatever it was.
func (b *PresetBook) Delete(id string) (UndoToken, error) {
	i := b.index(id)
	if i < 0 {
		return 0, b.notFound(id)
	}
	old := b.list[i]
	b.list = slices.Delete(b.list, i, i+1)
	return b.remember(undoEntry{op: opDelete, id: id, old: old, index: i}), nil
}

// CanUndo reports whether Undo has something to undo.
func (b *PresetBook) CanUndo() bool { return len(b.history) > 0 }

// Undo reverts the latest change (add, update, rename, duplicate, move or
// delete). A deleted preset comes back exactly as it was, at its old
// position.
func (b *PresetBook) Undo() error {
	if len(b.history) == 0 {
		return ErrNothingToUndo
	}
	e := b.history[len(b.history)-1]
	b.history = b.history[:len(b.history)-1]
	return b.revert(e)
}

// UndoDelete restores the deletion the token came from, even if other
// changes came after it, provided its id and key are still free. Undoing
// in reverse order restores the exact position; otherwise the old index is
// used, clamped to the list.
func (b *PresetBook) UndoDelete(tok UndoToken) error {
	i := slices.IndexFunc(b.history, func(e undoEntry) bool { return e.tok == tok && e.op == opDelete })
	if i < 0 {
		return fmt.Errorf("undo token %d: %w", tok, ErrNothingToUndo)
	}
	if err := b.revert(b.history[i]); err != nil {
		return err
	}
	b.history = slices.Delete(b.history, i, i+1)
	return nil
}

func (b *PresetBook) revert(e undoEntry) error {
	switch e.op {
	case opAdd:
		i := b.index(e.id)
		if i < 0 {
			return b.notFound(e.id)
		}
		b.list = slices.Delete(b.list, i, i+1)
	case opReplace:
		i := b.index(e.id)
		if i < 0 {
			return b.notFound(e.id)
		}
		if err := b.check(&e.old, i); err != nil {
			return fmt.Errorf("undo: %w", err)
		}
		b.list[i] = e.old
	case opDelete:
		if err := b.check(&e.old, -1); err != nil {
			return fmt.Errorf("undo delete: %w", err)
		}
		b.list = slices.Insert(b.list, max(0, min(e.index, len(b.list))), e.old)
	case opMove:
		i := b.index(e.id)
		if i < 0 {
			return b.notFound(e.id)
		}
		p := b.list[i]
		b.list = slices.Delete(b.list, i, i+1)
		b.list = slices.Insert(b.list, max(0, min(e.index, len(b.list))), p)
	}
	return nil
}

// LoadPresets reads the book from store.BucketPresets: one document per
// preset plus the order document. Presets the order does not list (a save
// cut short) follow in id order. A document that cannot be decoded, or a
// preset that fails validation or repeats an id or key, is left out and
// named in the returned error; the book of everything else is still
// returned, so one bad document never costs the show its presets. The book
// is nil only when the store itself fails.
func LoadPresets(st *store.Store) (*PresetBook, error) {
	if st == nil {
		return nil, errors.New("load presets: no store")
	}
	var order []string
	if _, err := st.Get(store.BucketPresets, presetOrderKey, &order); err != nil {
		return nil, fmt.Errorf("load presets: order: %w", err)
	}
	docs := make(map[string]Preset)
	var problems []error
	err := st.All(store.BucketPresets, func(key string, raw json.RawMessage) error {
		if key == presetOrderKey {
			return nil
		}
		var p Preset
		if err := json.Unmarshal(raw, &p); err != nil {
			problems = append(problems, fmt.Errorf("load presets: document %q: %w: %w", key, store.ErrCorrupt, err))
			return nil
		}
		if p.ID != key {
			problems = append(problems, fmt.Errorf("load presets: document %q holds preset id %q: %w", key, p.ID, store.ErrCorrupt))
			return nil
		}
		docs[key] = p
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load presets: %w", err)
	}
	ids := make([]string, 0, len(docs))
	seen := make(map[string]bool, len(docs))
	for _, id := range order {
		if _, ok := docs[id]; ok && !seen[id] {
			ids, seen[id] = append(ids, id), true
		}
	}
	for _, id := range sortedKeys(docs) {
		if !seen[id] {
			ids = append(ids, id)
		}
	}
	b := NewPresetBook()
	for _, id := range ids {
		p := docs[id]
		if err := b.check(&p, -1); err != nil {
			problems = append(problems, fmt.Errorf("load presets: %w", err))
			continue
		}
		b.list = append(b.list, p)
	}
	return b, errors.Join(problems...)
}

// Save writes every preset and the order to store.BucketPresets and removes
// documents of presets no longer in the book. The order document is written
// after the presets, so a save cut short loses no preset.
func (b *PresetBook) Save(st *store.Store) error {
	if st == nil {
		return errors.New("save presets: no store")
	}
	return st.Commit(b.SaveTx)
}

// SaveTx writes the book within tx, so that a preset change and its
// show-log record are committed together (Config.PresetsInLog).
func (b *PresetBook) SaveTx(tx *store.Tx) error {
	keys, err := tx.Keys(store.BucketPresets)
	if err != nil {
		return fmt.Errorf("save presets: %w", err)
	}
	order := make([]string, len(b.list))
	for i, p := range b.list {
		if err := tx.Put(store.BucketPresets, p.ID, p); err != nil {
			return fmt.Errorf("save presets: preset %q: %w", p.label(), err)
		}
		order[i] = p.ID
	}
	if err := tx.Put(store.BucketPresets, presetOrderKey, order); err != nil {
		return fmt.Errorf("save presets: order: %w", err)
	}
	for _, k := range keys {
		if k != presetOrderKey && b.index(k) < 0 {
			if err := tx.Delete(store.BucketPresets, k); err != nil {
				return fmt.Errorf("save presets: remove %q: %w", k, err)
			}
		}
	}
	return nil
}
