package studio

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"studiodesk/devices"
	"studiodesk/devices/sim"
	"studiodesk/studio/store"
)

// demoRegistry holds sims: camera "cam-a" (A机位), light "light-main"
// (主光), obs "obs".
func demoRegistry(t *testing.T) *Registry {
	t.Helper()
	reg := NewRegistry()
	for _, d := range []devices.Device{
		sim.NewCamera("cam-a", "A机位"),
		sim.NewLight("light-main", "主光"),
		sim.NewOBS("obs", "OBS", []string{"主播全景", "产品特写"}),
	} {
		if err := reg.Add(d); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _ = reg.CloseAll() })
	return reg
}

func closeUp() Preset {
	return Preset{
		ID: "p-close", Name: "产品特写", Color: "#FF8800", Key: "2",
		Fade: 800 * time.Millisecond, Curve: devices.SCurve,
		Targets: map[string]devices.Target{
			"cam-a":      {Camera: &devices.CameraTarget{Preset: 3}},
			"light-main": {Light: &devices.LightTarget{On: devices.Ptr(true), Brightness: devices.Ptr(80), Temperature: devices.Ptr(5600)}},
			"obs":        {Scene: &devices.SceneTarget{Name: "产品特写"}},
		},
	}
}

func TestValidPresetPasses(t *testing.T) {
	reg := demoRegistry(t)
	p := closeUp()
	if err := p.Validate(reg); err != nil {
		t.Fatalf("valid preset refused: %v", err)
	}
	if err := p.Validate(nil); err != nil {
		t.Fatalf("valid preset refused without registry: %v", err)
	}
}

func TestValidateNamesPresetDeviceAndField(t *testing.T) {
	reg := demoRegistry(t)
	cases := []struct {
		name   string
		change func(p *Preset)
		want   string
		cause  error
	}{
		{"camera preset", func(p *Preset) { p.Targets["cam-a"] = devices.Target{Camera: &devices.CameraTarget{Preset: 200}} },
			`preset "产品特写": device "A机位": camera.preset: value 200 out of range 1-128`, devices.ErrOutOfRange},
		{"camera both", func(p *Preset) {
			p.Targets["cam-a"] = devices.Target{Camera: &devices.CameraTarget{Preset: 2, Absolute: true}}
		}, `preset "产品特写": device "A机位": camera: sets both`, nil},
		{"brightness", func(p *Preset) { p.Targets["light-main"].Light.Brightness = devices.Ptr(101) },
			`preset "产品特写": device "主光": light.brightness: value 101 out of range 0-100 %`, devices.ErrOutOfRange},
		{"temperature", func(p *Preset) { p.Targets["light-main"].Light.Temperature = devices.Ptr(2000) },
			`device "主光": light.temperature: value 2000 out of range 2700-7000 K`, devices.ErrOutOfRange},
		{"red", func(p *Preset) { p.Targets["light-main"].Light.Red = devices.Ptr(256) },
			`device "主光": light.red: value 256 out of range 0-255`, devices.ErrOutOfRange},
		{"scene", func(p *Preset) { p.Targets["obs"] = devices.Target{Scene: &devices.SceneTarget{Name: " "}} },
			`preset "产品特写": device "OBS": scene.name: empty`, nil},
		{"wrong kind", func(p *Preset) {
			p.Targets["cam-a"] = devices.Target{Light: &devices.LightTarget{On: devices.Ptr(true)}}
		}, `device "A机位": light: target does not match device kind: the device is a camera`, devices.ErrWrongKind},
		{"unknown device", func(p *Preset) { p.Targets["cam-z"] = devices.Target{Camera: &devices.CameraTarget{Preset: 1}} },
			`preset "产品特写": device "cam-z": unknown device`, ErrUnknownDevice},
		{"target fade", func(p *Preset) {
			tg := p.Targets["obs"]
			tg.Fade = 61 * time.Second
			p.Targets["obs"] = tg
		}, `device "OBS": fade: 1m1s: value out of range`, devices.ErrOutOfRange},
		{"preset fade", func(p *Preset) { p.Fade = -time.Second }, `preset "产品特写": fade: -1s: value out of range`, devices.ErrOutOfRange},
		{"curve", func(p *Preset) { p.Curve = "bounce" }, `preset "产品特写": curve: "bounce"`, devices.ErrUnsupported},
		{"key", func(p *Preset) { p.Key = "F13" }, `preset "产品特写": key: "F13": not a shortcut key`, nil},
		{"color", func(p *Preset) { p.Color = "orange" }, `preset "产品特写": color: "orange"`, nil},
		{"name", func(p *Preset) { p.Name = "" }, `preset "p-close": name: empty`, nil},
		{"id", func(p *Preset) { p.ID = "_order" }, `id: "_order": reserved`, nil},
		{"empty target", func(p *Preset) { p.Targets["obs"] = devices.Target{} }, `device "OBS": target: empty`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := closeUp().Clone()
			c.change(&p)
			err := p.Validate(reg)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q\n does not contain %q", err, c.want)
			}
			if !errors.Is(err, ErrInvalidPreset) {
				t.Errorf("error %v is not ErrInvalidPreset", err)
			}
			if c.cause != nil && !errors.Is(err, c.cause) {
				t.Errorf("error %v does not wrap %v", err, c.cause)
			}
			var pe *PresetError
			if !errors.As(err, &pe) {
				t.Errorf("error %v is not a *PresetError", err)
			}
		})
	}
}

func TestValidateReportsEveryProblemInStableOrder(t *testing.T) {
	reg := demoRegistry(t)
	p := closeUp()
	p.Name = "坏预设"
	p.Targets["cam-a"] = devices.Target{Camera: &devices.CameraTarget{Preset: 0}}
	p.Targets["light-main"].Light.Brightness = devices.Ptr(-1)
	err := p.Validate(reg)
	if err == nil {
		t.Fatal("accepted")
	}
	msg := err.Error()
	a, b := strings.Index(msg, `device "A机位"`), strings.Index(msg, `device "主光"`)
	if a < 0 || b < 0 || a > b {
		t.Fatalf("want both devices, camera first:\n%s", msg)
	}
	if err2 := p.Validate(reg); err2.Error() != msg {
		t.Fatalf("unstable message:\n%s\n%s", msg, err2)
	}
}

func TestValidKey(t *testing.T) {
	for k, want := range map[string]bool{"1": true, "9": true, "0": false, "F1": true, "F12": true, "F13": false,
		"F0": false, "F01": false, "f1": false, "": false, "F": false, "10": false, "F-1": false} {
		if got := ValidKey(k); got != want {
			t.Errorf("ValidKey(%q) = %v", k, got)
		}
	}
}

func names(b *PresetBook) string {
	var s []string
	for _, p := range b.Presets() {
		s = append(s, p.ID)
	}
	return strings.Join(s, ",")
}

func bookOf(t *testing.T, ps ...Preset) *PresetBook {
	t.Helper()
	b := NewPresetBook()
	for _, p := range ps {
		if err := b.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func simple(id, name, key string) Preset {
	return Preset{ID: id, Name: name, Key: key, Targets: map[string]devices.Target{
		"obs": {Scene: &devices.SceneTarget{Name: name}},
	}}
}

func TestBookKeysAndIDsAreUnique(t *testing.T) {
	b := bookOf(t, simple("p1", "开场", "1"), simple("p2", "主播全景", "2"))
	err := b.Add(simple("p3", "产品特写", "1"))
	if !errors.Is(err, ErrKeyInUse) || !errors.Is(err, ErrInvalidPreset) {
		t.Fatalf("duplicate key: got %v", err)
	}
	if !strings.Contains(err.Error(), `preset "产品特写": key: "1": key already used by preset "开场"`) {
		t.Errorf("message: %v", err)
	}
	if err := b.Add(simple("p1", "别的", "")); !errors.Is(err, ErrIDInUse) {
		t.Fatalf("duplicate id: got %v", err)
	}
	if err := b.SetKey("p2", "1"); !errors.Is(err, ErrKeyInUse) {
		t.Fatalf("SetKey to a used key: got %v", err)
	}
	if err := b.SetKey("p2", "F5"); err != nil {
		t.Fatal(err)
	}
	if p, ok := b.ByKey("F5"); !ok || p.ID != "p2" {
		t.Fatalf("ByKey(F5) = %v, %v", p.ID, ok)
	}
	if err := b.Add(simple("p3", "产品特写", "2")); err != nil {
		t.Fatalf("key freed by SetKey: %v", err)
	}
	if names(b) != "p1,p2,p3" {
		t.Fatalf("order %s", names(b))
	}
	if _, ok := b.ByKey(""); ok {
		t.Error("ByKey(\"\") found a preset")
	}
}

func TestBookRenameDuplicateAndCopies(t *testing.T) {
	b := bookOf(t, simple("p1", "开场", "1"), closeUp(), simple("p3", "抽奖", ""))
	if err := b.Rename("p-close", "产品特写 2"); err != nil {
		t.Fatal(err)
	}
	if err := b.Rename("p-close", "  "); !errors.Is(err, ErrInvalidPreset) {
		t.Fatalf("blank name: %v", err)
	}
	if err := b.Rename("nope", "x"); !errors.Is(err, ErrPresetNotFound) {
		t.Fatalf("rename unknown: %v", err)
	}
	dup, err := b.Duplicate("p-close", "p-close-b", "产品特写 B")
	if err != nil {
		t.Fatal(err)
	}
	if dup.Key != "" || dup.Fade != 800*time.Millisecond || dup.Targets["cam-a"].Camera.Preset != 3 {
		t.Fatalf("duplicate: %+v", dup)
	}
	if names(b) != "p1,p-close,p-close-b,p3" {
		t.Fatalf("duplicate not placed after its original: %s", names(b))
	}
	if _, err := b.Duplicate("p-close", "p1", "x"); !errors.Is(err, ErrIDInUse) {
		t.Fatalf("duplicate onto a used id: %v", err)
	}

	// Copies in and out: changing what the caller holds changes nothing.
	got, _ := b.Get("p-close-b")
	got.Targets["cam-a"].Camera.Preset = 99
	*got.Targets["light-main"].Light.Brightness = 1
	orig, _ := b.Get("p-close")
	if orig.Targets["cam-a"].Camera.Preset != 3 || *orig.Targets["light-main"].Light.Brightness != 80 {
		t.Fatal("duplicate shares targets with its original")
	}
	again, _ := b.Get("p-close-b")
	if again.Targets["cam-a"].Camera.Preset != 3 {
		t.Fatal("Get returned the book's own preset")
	}
	if orig.Name != "产品特写 2" {
		t.Fatalf("rename lost: %q", orig.Name)
	}
}

func TestBookDeleteUndoRestoresExactly(t *testing.T) {
	b := bookOf(t, simple("p1", "开场", "1"), closeUp(), simple("p3", "抽奖", "3"))
	before := b.Presets()
	tok, err := b.Delete("p-close")
	if err != nil {
		t.Fatal(err)
	}
	if names(b) != "p1,p3" {
		t.Fatalf("after delete: %s", names(b))
	}
	if _, ok := b.ByKey("2"); ok {
		t.Fatal("deleted preset still bound to its key")
	}
	if err := b.Undo(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(b.Presets(), before) {
		t.Fatalf("undo did not restore exactly:\n got %+v\nwant %+v", b.Presets(), before)
	}
	if err := b.UndoDelete(tok); !errors.Is(err, ErrNothingToUndo) {
		t.Fatalf("token reused after Undo: %v", err)
	}

	// UndoDelete by token after later changes.
	tok, _ = b.Delete("p1")
	if err := b.Add(simple("p4", "收尾", "4")); err != nil {
		t.Fatal(err)
	}
	if err := b.UndoDelete(tok); err != nil {
		t.Fatal(err)
	}
	if names(b) != "p1,p-close,p3,p4" {
		t.Fatalf("after UndoDelete: %s", names(b))
	}
	// Undo now reverts the add of p4, then the earlier history.
	if err := b.Undo(); err != nil || names(b) != "p1,p-close,p3" {
		t.Fatalf("undo add: %v %s", err, names(b))
	}

	// A deletion whose key was taken since cannot come back silently.
	tok, _ = b.Delete("p3")
	if err := b.Add(simple("p5", "新", "3")); err != nil {
		t.Fatal(err)
	}
	if err := b.UndoDelete(tok); !errors.Is(err, ErrKeyInUse) {
		t.Fatalf("undo onto a taken key: %v", err)
	}

	for b.CanUndo() {
		if err := b.Undo(); err != nil {
			// Entries whose preset is gone report it and are dropped.
			if !errors.Is(err, ErrPresetNotFound) && !errors.Is(err, ErrInvalidPreset) {
				t.Fatalf("undo: %v", err)
			}
		}
	}
	if err := b.Undo(); !errors.Is(err, ErrNothingToUndo) {
		t.Fatalf("empty history: %v", err)
	}
	if _, err := b.Delete("nope"); !errors.Is(err, ErrPresetNotFound) {
		t.Fatalf("delete unknown: %v", err)
	}
}

func TestBookUndoUpdateAndMove(t *testing.T) {
	b := bookOf(t, simple("p1", "开场", "1"), simple("p2", "主播全景", ""), simple("p3", "抽奖", ""))
	before := b.Presets()
	if err := b.Move("p3", 0); err != nil {
		t.Fatal(err)
	}
	if names(b) != "p3,p1,p2" {
		t.Fatalf("move: %s", names(b))
	}
	p, _ := b.Get("p1")
	p.Fade = 2 * time.Second
	if err := b.Update(p); err != nil {
		t.Fatal(err)
	}
	if err := b.Undo(); err != nil {
		t.Fatal(err)
	}
	if err := b.Undo(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(b.Presets(), before) {
		t.Fatalf("undo update+move:\n got %+v\nwant %+v", b.Presets(), before)
	}
	if err := b.Update(simple("zz", "x", "")); !errors.Is(err, ErrPresetNotFound) {
		t.Fatalf("update unknown: %v", err)
	}
	if id := b.NextID(); b.index(id) >= 0 || id == "" {
		t.Fatalf("NextID %q in use", id)
	}
}

func openStore(t *testing.T, dir string) *store.Store {
	t.Helper()
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestPresetsPersistRoundTrip(t *testing.T) {
	dir := t.TempDir()
	st := openStore(t, dir)
	cam := closeUp()
	abs := Preset{ID: "p-abs", Name: "全景 绝对位置", Color: "#00aa00", Key: "F1", Targets: map[string]devices.Target{
		"cam-a":      {Camera: &devices.CameraTarget{Absolute: true, Pan: -300, Tilt: 120, Zoom: 4000, Speed: 12}},
		"light-main": {Light: &devices.LightTarget{Red: devices.Ptr(255), Green: devices.Ptr(0), Blue: devices.Ptr(10)}, Fade: time.Second, Curve: devices.Linear},
	}}
	b := bookOf(t, simple("z-first", "开场", "1"), cam, abs)
	if err := b.Move("p-abs", 1); err != nil {
		t.Fatal(err)
	}
	want := b.Presets()
	if err := b.Save(st); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st = openStore(t, dir)
	got, err := LoadPresets(st)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Presets(), want) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got.Presets(), want)
	}

	// A deletion is saved as a removal, order kept.
	if _, err := got.Delete("p-abs"); err != nil {
		t.Fatal(err)
	}
	if err := got.Save(st); err != nil {
		t.Fatal(err)
	}
	again, err := LoadPresets(st)
	if err != nil {
		t.Fatal(err)
	}
	if names(again) != "z-first,p-close" {
		t.Fatalf("after delete+save: %s", names(again))
	}
	keys, _ := st.Keys(store.BucketPresets)
	if len(keys) != 3 { // two presets and the order
		t.Fatalf("documents left: %v", keys)
	}
	_ = st.Close()
}

func TestLoadPresetsSkipsBadDocumentsAndKeepsTheRest(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	b := bookOf(t, simple("p1", "开场", "1"), simple("p2", "抽奖", "2"))
	if err := b.Save(st); err != nil {
		t.Fatal(err)
	}
	// Not a preset; a preset whose key clashes; one missing from the order.
	if err := st.Put(store.BucketPresets, "junk", []int{1, 2}); err != nil {
		t.Fatal(err)
	}
	if err := st.Put(store.BucketPresets, "p3", simple("p3", "撞键", "1")); err != nil {
		t.Fatal(err)
	}
	if err := st.Put(store.BucketPresets, "a-late", simple("a-late", "后加", "")); err != nil {
		t.Fatal(err)
	}
	got, err := LoadPresets(st)
	if got == nil {
		t.Fatalf("no book: %v", err)
	}
	if !errors.Is(err, store.ErrCorrupt) || !errors.Is(err, ErrKeyInUse) {
		t.Fatalf("want corrupt and key errors, got %v", err)
	}
	if !strings.Contains(err.Error(), `"junk"`) || !strings.Contains(err.Error(), `"撞键"`) {
		t.Errorf("errors do not name the documents: %v", err)
	}
	if names(got) != "p1,p2,a-late" {
		t.Fatalf("loaded %s", names(got))
	}
}

func TestLoadPresetsEmptyStore(t *testing.T) {
	st := openStore(t, t.TempDir())
	defer st.Close()
	b, err := LoadPresets(st)
	if err != nil || b == nil || b.Len() != 0 {
		t.Fatalf("empty store: %v %v", b, err)
	}
}
