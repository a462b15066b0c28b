package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"studiodesk/studio"
)

// Every --view name the flag accepts opens its own tab (and producer page),
// the tab bar follows the table's order and titles, and a name not in the
// table is refused with the list.
func TestViewTableDrivesTabsAndFlag(t *testing.T) {
	test.NewTempApp(t)
	for id, v := range mainViews {
		got, page, ok := findView(v.name)
		if !ok || got != viewID(id) || page != -1 {
			t.Errorf("%s: view %d page %d ok %v", v.name, got, page, ok)
		}
	}
	for i, v := range producerViews {
		if got, page, ok := findView(v.name); !ok || got != viewProducer || page != i {
			t.Errorf("%s: view %d page %d", v.name, got, page)
		}
	}
	for _, name := range strings.Split(viewNames(), ", ") {
		if _, err := parseOptions([]string{"--view", name}, &strings.Builder{}); err != nil {
			t.Errorf("--view %s refused: %v", name, err)
		}
	}
	_, err := parseOptions([]string{"--view", "nope"}, &strings.Builder{})
	if err == nil || !strings.Contains(err.Error(), viewNames()) {
		t.Fatalf("--view nope: %v", err)
	}
}

// The desk opens on the view --view names: its tab, and the producer's
// page for the producer's names.
func TestDeskOpensOnTheNamedView(t *testing.T) {
	lang = "zh"
	a := test.NewTempApp(t)
	clk := studio.NewFakeClock(start)
	desk := studio.New(studio.Config{Clock: clk})
	t.Cleanup(desk.Close)
	for _, name := range strings.Split(viewNames(), ", ") {
		w := test.NewWindow(nil)
		d := newDeskUI(a, desk, w, nil, studioEnv{}, name, clk.Now)
		want, page, _ := findView(name)
		if d.tab != want {
			t.Errorf("--view %s: on view %d, want %d", name, d.tab, want)
		}
		if page >= 0 && d.producerTabs.SelectedIndex() != page {
			t.Errorf("--view %s: producer page %d, want %d", name, d.producerTabs.SelectedIndex(), page)
		}
		if got := len(d.producerTabs.Items); got != len(producerViews) {
			t.Errorf("producer pages: %d, want %d", got, len(producerViews))
		}
		w.Close()
	}
}
