package studio

import (
	"context"
	"errors"
	"testing"
	"time"

	"studiodesk/studio/danmaku"
	"studiodesk/studio/store"
)

// Moderation is recorded if and only if it took effect: a pin, hide,
// block or dismissal the disk cannot record leaves the feed as it was and
// answers with a storage error; the same command then succeeds with its
// record once the disk takes writes again.
func TestDanmakuCommandsRecordIffEffect(t *testing.T) {
	now := t0
	pipe := danmaku.New(danmaku.Config{Now: func() time.Time { return now }})
	pipe.Ingest(danmaku.Message{ID: "m1", ViewerID: "v1", ViewerName: "小王", Text: "这个口红好看", Time: now})
	pipe.Ingest(danmaku.Message{ID: "m2", ViewerID: "v2", ViewerName: "小李", Text: "发货快吗？什么时候发货", Time: now})
	pipe.Ingest(danmaku.Message{ID: "m3", ViewerID: "v3", ViewerName: "小赵", Text: "今天有优惠券吗", Time: now})
	j := NewMemoryJournal()
	d := New(Config{Clock: NewFakeClock(t0), Journal: j, Rehearsal: true, Danmaku: pipe})
	t.Cleanup(d.Close)
	qs := pipe.Questions(-1)
	if len(qs) == 0 {
		t.Fatal("no question group to dismiss")
	}
	full := &store.StorageError{Path: "desk.db", Free: 0, Err: errors.New("no space left on device")}
	hidden := func(id string) bool {
		for _, it := range pipe.Recent() {
			if it.ID == id {
				return it.Hidden
			}
		}
		t.Fatalf("line %s gone", id)
		return false
	}
	steps := []struct {
		cmd    Command
		effect func() bool
	}{
		{PinDanmaku{ID: "m1"}, func() bool { return len(pipe.Wall()) == 1 }},
		{HideDanmaku{ID: "m3"}, func() bool { return hidden("m3") }},
		{BlockViewer{ViewerID: "v2", ViewerName: "小李"}, func() bool { return hidden("m2") }},
		{DismissQuestion{ID: qs[0].ID}, func() bool { return len(pipe.Questions(-1)) == len(qs)-1 }},
	}
	for _, s := range steps {
		before := len(j.Records())
		j.Fail(full)
		err := d.Do(context.Background(), s.cmd)
		if !errors.Is(err, ErrStorage) {
			t.Fatalf("%s on a full disk: %v, want a storage error", s.cmd.Name(), err)
		}
		if s.effect() {
			t.Fatalf("%s took effect although its record was refused", s.cmd.Name())
		}
		if n := len(j.Records()); n != before {
			t.Fatalf("%s: %d records after a refused write, was %d", s.cmd.Name(), n, before)
		}
		if d.Snapshot().Storage == nil {
			t.Fatalf("%s: no storage warning on the snapshot", s.cmd.Name())
		}
		if err := d.Do(context.Background(), s.cmd); err != nil {
			t.Fatalf("%s once the disk takes writes: %v", s.cmd.Name(), err)
		}
		if !s.effect() {
			t.Fatalf("%s recorded but without effect", s.cmd.Name())
		}
		recs := j.Records()
		if len(recs) != before+1 || recs[len(recs)-1].Kind != s.cmd.Name() {
			t.Fatalf("%s: records %v", s.cmd.Name(), recs[before:])
		}
	}
	// Nothing to act on: refused, no record.
	before := len(j.Records())
	if err := d.Do(context.Background(), PinDanmaku{ID: "gone"}); !errors.Is(err, ErrUnknownLine) {
		t.Fatalf("pin of an unknown line: %v", err)
	}
	if len(j.Records()) != before {
		t.Fatal("a refused pin left a record")
	}
}

// With PresetsInLog a preset change is saved in its record's transaction:
// after the command both the record and the saved book are there.
func TestPresetChangeSavedWithItsRecord(t *testing.T) {
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	saves := 0
	d := New(Config{Clock: NewFakeClock(t0), Journal: NewStoreJournal(st), Rehearsal: true, Presets: NewPresetBook(),
		SavePresets: func(*PresetBook) error { saves++; return nil }, PresetsInLog: true})
	t.Cleanup(d.Close)
	if err := d.Do(context.Background(), SavePreset{Preset: Preset{ID: "p-new", Name: "新场景"}}); err != nil {
		t.Fatal(err)
	}
	book, err := LoadPresets(st)
	if err != nil || book == nil || book.Len() != 1 {
		t.Fatalf("saved book %v (%v), want the new preset", book, err)
	}
	if saves != 0 {
		t.Fatal("the book was also saved in a second transaction")
	}
	rec, found, err := st.Last(logName(""))
	if err != nil || !found || rec.Kind != (SavePreset{}).Name() {
		t.Fatalf("last desk record %+v found %v (%v)", rec, found, err)
	}
}
