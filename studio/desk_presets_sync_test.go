package studio

import (
	"context"
	"errors"
	"testing"
)

// SyncPreset is a compare-and-set: it changes the book only when the
// preset is still what the caller last saw, so a remote value never
// lands on an edit made here an instant before.
func TestSyncPresetComparesBeforeItSets(t *testing.T) {
	d, _, _, saves := presetDesk(t)
	ctx := context.Background()
	seen, _ := d.cfg.Presets.Get("close")

	// The operator edits the preset; the fleet's value, based on what it
	// saw before, is refused and the operator's edit stays.
	mine := seen.Clone()
	mine.Name = "operator edit"
	mustDo(t, d, SavePreset{Preset: mine})
	theirs := seen.Clone()
	theirs.Name = "fleet edit"
	err := d.Do(ctx, SyncPreset{ID: "close", Preset: &theirs, Expect: &seen, From: "test"})
	if !errors.Is(err, ErrPresetChanged) {
		t.Fatalf("stale sync: %v, want ErrPresetChanged", err)
	}
	if p, _ := d.cfg.Presets.Get("close"); p.Name != "operator edit" {
		t.Fatalf("stale sync overwrote the operator's edit: %q", p.Name)
	}

	// Based on the current value it applies, is saved, and shows.
	n := *saves
	if err := d.Do(ctx, SyncPreset{ID: "close", Preset: &theirs, Expect: &mine, From: "test"}); err != nil {
		t.Fatal(err)
	}
	if p, _ := d.cfg.Presets.Get("close"); p.Name != "fleet edit" || *saves != n+1 {
		t.Fatalf("sync not applied or not saved: %q saves %d→%d", p.Name, n, *saves)
	}
	if snap := d.Snapshot(); snap.Presets[0].Name != "fleet edit" {
		t.Fatalf("snapshot: %q", snap.Presets[0].Name)
	}

	// A new preset needs the id free; a removal needs the value current.
	fresh := Preset{ID: "new", Name: "new one"}
	if err := d.Do(ctx, SyncPreset{ID: "new", Preset: &fresh}); err != nil {
		t.Fatal(err)
	}
	if err := d.Do(ctx, SyncPreset{ID: "new", Preset: &fresh}); !errors.Is(err, ErrPresetChanged) {
		t.Fatalf("create over an existing preset: %v", err)
	}
	if err := d.Do(ctx, SyncPreset{ID: "close", Expect: &mine}); !errors.Is(err, ErrPresetChanged) {
		t.Fatalf("stale removal: %v", err)
	}
	if err := d.Do(ctx, SyncPreset{ID: "close", Expect: &theirs}); err != nil {
		t.Fatal(err)
	}
	if _, ok := d.cfg.Presets.Get("close"); ok {
		t.Fatal("removal not applied")
	}
	// An invalid preset is refused with the validation error.
	bad := Preset{ID: "bad", Name: "", Color: "red"}
	if err := d.Do(ctx, SyncPreset{ID: "bad", Preset: &bad}); !errors.Is(err, ErrInvalidPreset) {
		t.Fatalf("invalid preset: %v", err)
	}
}
