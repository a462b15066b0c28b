package studio

import (
	"context"
	"errors"
	"testing"

	"studiodesk/scripts"
	"studiodesk/studio/store"
)

// Record commits the record, the run and any joined state together: when
// the joined write fails nothing is written, not even the record.
func TestRecordIsOneTransaction(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	j := NewStoreJournal(st)
	run := Run{ShowID: "s", ID: "s@1", Anchors: []scripts.Anchor{{Kind: scripts.AnchorStart, At: t0}}}
	boom := errors.New("coupon state refused")
	err = j.Record(JournalEntry{Run: run.ID, Kind: "start", Payload: run.Anchors[0], At: t0, SetRun: &run,
		Also: func(tx *store.Tx) error {
			if err := tx.Put("interactions", "c1", map[string]int{"claimed": 1}); err != nil {
				return err
			}
			return boom
		}})
	if !errors.Is(err, boom) {
		t.Fatalf("Record: %v", err)
	}
	if _, found, _ := st.Last(run.ID); found {
		t.Fatal("a record was written for a failed transaction (ghost)")
	}
	if _, ok, _ := j.LoadRun(); ok {
		t.Fatal("the run was saved for a failed transaction")
	}
	var v map[string]int
	if ok, _ := st.Get("interactions", "c1", &v); ok {
		t.Fatal("the joined state was written for a failed transaction")
	}
	// And all of it together when it succeeds.
	err = j.Record(JournalEntry{Run: run.ID, Kind: "start", Payload: run.Anchors[0], At: t0, SetRun: &run,
		Also: func(tx *store.Tx) error { return tx.Put("interactions", "c1", map[string]int{"claimed": 1}) }})
	if err != nil {
		t.Fatal(err)
	}
	rec, found, _ := st.Last(run.ID)
	got, ok, _ := j.LoadRun()
	if !found || !rec.Time.Equal(t0) || !ok || len(got.Anchors) != 1 {
		t.Fatalf("record %+v found %v run %+v", rec, found, got)
	}
	if ok, _ := st.Get("interactions", "c1", &v); !ok || v["claimed"] != 1 {
		t.Fatal("joined state missing")
	}
}

// A preset change the disk cannot record is taken back and refused.
func TestPresetChangeNotRecordedIsUndone(t *testing.T) {
	j := NewMemoryJournal()
	d, _ := newTestDesk(t, j)
	before := len(d.Snapshot().Presets)
	j.Fail(&store.StorageError{Path: "desk.db", Free: 0, Err: errors.New("no space left on device")})
	err := d.Do(context.Background(), SavePreset{Preset: Preset{ID: "p-new", Name: "新场景"}})
	if !errors.Is(err, ErrStorage) {
		t.Fatalf("save preset on a full disk: %v", err)
	}
	if n := len(d.Snapshot().Presets); n != before {
		t.Fatalf("%d presets after a refused save, was %d", n, before)
	}
}
