package ui

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"studiodesk/app/fleet"
	"studiodesk/studio"
	"studiodesk/studio/store"
)

// The producer's library page on a desk that is offline with a conflict
// in its record: the light says offline, conflicts come first with their
// states, the copy offers the three answers, and "keep both" turns the
// copy into a preset of its own (here, offline; it syncs later).
func TestLibraryPageShowsStatesAndResolvesOffline(t *testing.T) {
	lang = "zh"
	a := test.NewTempApp(t)
	a.Settings().SetTheme(newDeskTheme())
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	mine := studio.Preset{ID: "wide", Name: "开场 A"}
	copyID := fleet.ConflictID("wide", "desk-b", 4)
	theirs := studio.Preset{ID: copyID, Name: "开场 B (conflict copy, desk-b)"}
	shared := studio.Preset{ID: "hq", Name: "总部"}
	book := studio.NewPresetBook()
	for _, p := range []studio.Preset{mine, theirs, shared} {
		if err := book.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := book.Save(st); err != nil {
		t.Fatal(err)
	}
	raw := func(p studio.Preset) json.RawMessage { b, _ := json.Marshal(p); return b }
	at := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	for _, it := range []fleet.Item{
		{Kind: fleet.KindPreset, ID: "wide", Value: raw(mine), Rev: 3, EditedAt: at, EditedBy: "desk-a"},
		{Kind: fleet.KindPreset, ID: copyID, Value: raw(theirs), Rev: 4, EditedAt: at.Add(time.Second), EditedBy: "desk-b", ConflictOf: fleet.ItemKey(fleet.KindPreset, "wide")},
		{Kind: fleet.KindPreset, ID: "hq", Value: raw(shared), Rev: 5, LibRev: 2, EditedAt: at, EditedBy: "agency"},
	} {
		if err := st.Put(fleet.LibraryStoreBucket, "s/"+it.Key(), it); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Put(fleet.LibraryStoreBucket, "l/"+fleet.ItemKey(fleet.KindPreset, "hq"), map[string]any{"value": raw(shared), "rev": 2}); err != nil {
		t.Fatal(err)
	}
	// No hub listens there: the desk is offline and works on.
	link, err := fleet.Start(fleet.Config{URL: "nats://127.0.0.1:1", Studio: "s1", Name: "desk-a"}, fleet.Desk{Store: st, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = link.Close() })
	lib := fleet.LibraryOf(link)
	w := test.NewWindow(nil)
	t.Cleanup(w.Close)
	// The page's UI work runs here, on the test's goroutine.
	calls := make(chan func(), 256)
	p := newLibraryPage(lib, "s1", w, func(f func()) { calls <- f })
	pump := func(what string, done func() bool) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for !done() {
			select {
			case f := <-calls:
				f()
			case <-time.After(20 * time.Millisecond):
			case <-deadline:
				t.Fatalf("not within 10 s: %s", what)
			}
		}
	}
	w.SetContent(p.root)
	w.Resize(fyne.NewSize(1366, 768))

	if !strings.Contains(p.light.label.Text, "离线") {
		t.Fatalf("light %q", p.light.label.Text)
	}
	if p.counts.Text != "共享 1 · 本直播间 0 · 本地 0 · 已修改 0 · 冲突 2" {
		t.Fatalf("counts %q", p.counts.Text)
	}
	if len(p.items) != 3 || p.items[0].State != fleet.StateConflict || p.items[1].State != fleet.StateConflict || p.items[2].State != fleet.StateShared {
		t.Fatalf("rows %+v", p.items)
	}
	p.selectFirstConflict()
	if !strings.Contains(p.detail.Text, "冲突副本") || !strings.Contains(p.detail.Text, "desk-b") {
		t.Fatalf("detail %q", p.detail.Text)
	}
	var keepBoth *widget.Button
	var labels []string
	for _, o := range p.acts.Objects {
		b := o.(*widget.Button)
		labels = append(labels, b.Text)
		if b.Text == T("lib.keep_both") {
			keepBoth = b
		}
	}
	if strings.Join(labels, "|") != "保留当前|采用副本的修改|两者都保留" || keepBoth == nil {
		t.Fatalf("actions %v", labels)
	}
	test.Tap(keepBoth)
	pump("keep both applied and shown", func() bool {
		b, _ := studio.LoadPresets(st)
		_, copyLeft := b.Get(copyID)
		kept, ok := b.Get("wide-desk-b-4")
		return !copyLeft && ok && kept.Name == "开场 B (desk-b)" && strings.Contains(p.status.Text, "已处理冲突")
	})
	pump("counts redrawn", func() bool {
		return p.counts.Text == "共享 1 · 本直播间 1 · 本地 1 · 已修改 0 · 冲突 0"
	})
	for _, it := range lib.Items() {
		if it.State == fleet.StateConflict {
			t.Fatalf("still in conflict after keep both: %+v", it)
		}
	}

	// On the desk: a Library tab in the producer's pages, selected by
	// --view library, and the fleet light on the controller.
	d := &deskUI{win: w, producerTabs: container.NewAppTabs(container.NewTabItem("x", widget.NewLabel(""))),
		controller: &controllerView{right: container.NewVBox()}}
	d.attachFleetLibrary(link, "library")
	if n := len(d.producerTabs.Items); n != 2 || d.producerTabs.Items[1].Text != "共享库" || d.producerTabs.SelectedIndex() != 1 {
		t.Fatalf("producer tabs: %d, selected %d", n, d.producerTabs.SelectedIndex())
	}
	if len(d.controller.right.Objects) != 1 {
		t.Fatal("no fleet light on the controller")
	}
}
