package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"studiodesk/studio"
	"studiodesk/studio/danmaku"
	"studiodesk/studio/store"
)

// A full disk on air: the controller shows a persistent warning naming the
// file and the free space, the pressed command is refused visibly in the
// status line (nothing recorded, nothing changed), and the warning clears
// on the next good write.
func TestStorageWarningOnTheController(t *testing.T) {
	lang = "zh"
	a := test.NewTempApp(t)
	a.Settings().SetTheme(newDeskTheme())
	clk := studio.NewFakeClock(start)
	pipe := danmaku.New(danmaku.Config{Now: clk.Now})
	j := studio.NewMemoryJournal()
	desk := studio.New(studio.Config{Clock: clk, Journal: j, Rehearsal: true, Danmaku: pipe})
	t.Cleanup(desk.Close)
	if err := desk.Do(context.Background(), studio.LoadShow{Show: demoShow()}); err != nil {
		t.Fatal(err)
	}
	boot, err := studio.OpenBoot(studio.BootOptions{Dir: t.TempDir(), Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = boot.Close() })
	w := test.NewWindow(nil)
	t.Cleanup(w.Close)
	d := newDeskUI(a, desk, w, nil, studioEnv{pipe: pipe}, "controller", clk.Now)
	d.runner.skipConfirm = true
	d.showEvidence(boot)
	w.Resize(fyne.NewSize(1366, 768))
	if d.evidence.banner.Visible() {
		t.Fatal("storage warning shown before any fault")
	}
	if !strings.Contains(d.evidence.key.Text, boot.Key.Fingerprint()) {
		t.Fatalf("key line %q lacks the fingerprint", d.evidence.key.Text)
	}
	test.Tap(d.controller.buttons["start"])
	j.Fail(&store.StorageError{Path: "/data/desk.db", Free: 1_200_000, Err: errors.New("no space left on device")})
	test.Tap(d.controller.buttons["next"])
	d.onEvent(studio.Event{Kind: studio.EventSnapshot, Snapshot: desk.Snapshot()})
	if !d.evidence.banner.Visible() {
		t.Fatal("no storage warning after a refused write")
	}
	if got := d.evidence.text.Text; !strings.Contains(got, "/data/desk.db") || !strings.Contains(got, "1.2 MB") || !strings.Contains(got, "存储故障") {
		t.Fatalf("warning %q does not name the file and the free space", got)
	}
	if got := d.controller.status.Text; !strings.Contains(got, "⚠") || !strings.Contains(got, "未记录") {
		t.Fatalf("status line %q does not say the command was refused and not recorded", got)
	}
	if st := desk.Snapshot().State(clk.Now()); st.Segment != 0 {
		t.Fatalf("refused Next moved the show to segment %d", st.Segment)
	}
	// The disk takes writes again: the next command clears the warning.
	test.Tap(d.controller.buttons["next"])
	d.onEvent(studio.Event{Kind: studio.EventSnapshot, Snapshot: desk.Snapshot()})
	if d.evidence.banner.Visible() {
		t.Fatal("storage warning still shown after a good write")
	}
	if st := desk.Snapshot().State(clk.Now()); st.Segment != 1 {
		t.Fatalf("after the disk recovered Next gave segment %d", st.Segment)
	}
}

// A restore is offered only for a damaged desk.db with a backup at hand,
// the newest first; a desk in use or no backup offers nothing.
func TestRestoreOfferedForADamagedFileWithABackup(t *testing.T) {
	dir := t.TempDir()
	damaged := fmt.Errorf("open desk.db: %w", store.ErrDamaged)
	if _, _, ok := restoreOffer(dir, damaged); ok {
		t.Fatal("restore offered with no backup")
	}
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Backup("start", 5); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	newest, err := st.Backup("end", 5)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	latest, list, ok := restoreOffer(dir, damaged)
	if !ok || len(list) != 2 || latest.Path != newest.Path {
		t.Fatalf("offer %v: latest %s of %d, want the newest %s", ok, latest.Path, len(list), newest.Path)
	}
	if _, _, ok := restoreOffer(dir, errors.New("desk.db is in use by another StudioDesk")); ok {
		t.Fatal("restore offered for a file that is only in use")
	}
}
