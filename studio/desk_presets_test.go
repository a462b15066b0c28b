package studio

import (
	"context"
	"errors"
	"testing"
	"time"

	"studiodesk/devices"
	"studiodesk/devices/sim"
)

// presetDesk: a desk with two simulated devices and one preset.
func presetDesk(t *testing.T) (*Desk, *sim.Camera, *sim.OBS, *int) {
	t.Helper()
	reg := NewRegistry()
	cam := sim.NewCamera("cam", "A机位")
	cam.SetLatency(0)
	obs := sim.NewOBS("obs", "OBS", []string{"开场", "产品特写"})
	obs.SetLatency(0)
	for _, d := range []devices.Device{cam, obs} {
		if err := reg.Add(d); err != nil {
			t.Fatal(err)
		}
	}
	book := NewPresetBook()
	if err := book.Add(Preset{ID: "close", Name: "产品特写", Key: "1", Targets: map[string]devices.Target{
		"cam": {Camera: &devices.CameraTarget{Preset: 3}}, "obs": {Scene: &devices.SceneTarget{Name: "产品特写"}}}}); err != nil {
		t.Fatal(err)
	}
	saves := new(int)
	clk := NewFakeClock(t0)
	d := New(Config{Clock: clk, Devices: reg, Presets: book, SavePresets: func(*PresetBook) error { *saves++; return nil }})
	t.Cleanup(d.Close)
	show := testShow()
	show.Segments[1].PresetID, show.Segments[1].RecallPreset = "close", true
	mustDo(t, d, LoadShow{Show: show})
	return d, cam, obs, saves
}

func waitRecall(t *testing.T, sub *Subscription) *RecallResult {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev := <-sub.C():
			if ev.Kind == EventRecall {
				return ev.Recall
			}
		case <-timeout:
			t.Fatal("no recall result within 5 s")
		}
	}
}

func TestRecallPresetMovesEveryDeviceAndReportsPerDevice(t *testing.T) {
	d, cam, obs, _ := presetDesk(t)
	sub := d.Subscribe(64)
	defer sub.Close()
	mustDo(t, d, RecallPreset{ID: "close"})
	res := waitRecall(t, sub)
	if !res.OK() || len(res.Results) != 2 {
		t.Fatalf("recall result %+v", res)
	}
	if cam.State().Preset != 3 || obs.CurrentScene() != "产品特写" {
		t.Fatalf("devices after recall: camera preset %d, scene %q", cam.State().Preset, obs.CurrentScene())
	}
	if err := d.Do(context.Background(), RecallPreset{ID: "nope"}); !errors.Is(err, ErrPresetNotFound) {
		t.Fatalf("unknown preset: %v", err)
	}
}

func TestADeadDeviceNeverHoldsTheDesk(t *testing.T) {
	d, cam, _, _ := presetDesk(t)
	cam.SetLatency(time.Hour) // never answers within its deadline
	sub := d.Subscribe(64)
	defer sub.Close()
	mustDo(t, d, RecallPreset{ID: "close"})
	// The desk keeps serving commands while the recall waits on the camera.
	mustDo(t, d, Start{}, Pause{}, Resume{})
	res := waitRecall(t, sub)
	var camErr, obsErr error
	for _, r := range res.Results {
		switch r.DeviceID {
		case "cam":
			camErr = r.Err
		case "obs":
			obsErr = r.Err
		}
	}
	if camErr == nil || obsErr != nil {
		t.Fatalf("want only the camera to fail: cam=%v obs=%v", camErr, obsErr)
	}
}

func TestSegmentBoundPresetIsRecalledWhenTheSegmentStarts(t *testing.T) {
	d, cam, _, _ := presetDesk(t)
	sub := d.Subscribe(64)
	defer sub.Close()
	mustDo(t, d, Start{})
	mustDo(t, d, Next{}) // segment 1 is bound to "close"
	if res := waitRecall(t, sub); res.PresetID != "close" || !res.OK() {
		t.Fatalf("bound recall: %+v", res)
	}
	if cam.State().Preset != 3 {
		t.Fatalf("camera preset %d after the bound segment started", cam.State().Preset)
	}
}

func TestPresetEditsPersistAndUndo(t *testing.T) {
	d, _, _, saves := presetDesk(t)
	bad := Preset{ID: "bad", Name: "坏", Targets: map[string]devices.Target{"cam": {Camera: &devices.CameraTarget{Preset: 200}}}}
	if err := d.Do(context.Background(), SavePreset{Preset: bad}); !errors.Is(err, ErrInvalidPreset) {
		t.Fatalf("invalid preset accepted: %v", err)
	}
	if *saves != 0 || len(d.Snapshot().Presets) != 1 {
		t.Fatal("a refused preset changed the book")
	}
	mustDo(t, d, DuplicatePreset{ID: "close", NewName: "产品特写 2"}, RenamePreset{ID: "close", NewName: "特写"})
	if got := d.Snapshot().Presets; len(got) != 2 || got[0].Name != "特写" {
		t.Fatalf("presets after duplicate+rename: %+v", got)
	}
	mustDo(t, d, DeletePreset{ID: "close"})
	if len(d.Snapshot().Presets) != 1 {
		t.Fatal("delete did not remove")
	}
	mustDo(t, d, UndoPreset{})
	if got := d.Snapshot().Presets; len(got) != 2 || got[0].ID != "close" {
		t.Fatalf("undo did not restore in place: %+v", got)
	}
	if *saves != 4 {
		t.Fatalf("book saved %d times, want 4", *saves)
	}
}

func TestDemoPresetsValidateAgainstTheDemoStudio(t *testing.T) {
	reg := NewRegistry()
	if err := reg.OpenAll(DemoDevices(), true); err != nil {
		t.Fatal(err)
	}
	defer reg.CloseAll()
	for _, p := range DemoPresets() {
		if err := p.Validate(reg); err != nil {
			t.Errorf("demo preset %q: %v", p.Name, err)
		}
	}
}
