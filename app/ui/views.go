package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
)

// viewID is one of the main window's views; its value is its place in the
// tab bar.
type viewID int

const (
	viewController viewID = iota
	viewStreamer
	viewProducer
	viewRemote
	viewData
	viewOverlays
)

// viewSpec names a view: its --view name and its tab title's message key.
type viewSpec struct {
	name  string
	title string
}

// mainViews is the main window's views in one table, in tab order: the
// tab bar, the --view flag (its help, its check, the first view shown) and
// the bridge's "which view is on screen" all read it.
var mainViews = [...]viewSpec{
	viewController: {"controller", "view.controller"},
	viewStreamer:   {"streamer", "view.streamer"},
	viewProducer:   {"producer", "view.producer"},
	viewRemote:     {"remote", "view.remote"},
	viewData:       {"data", "view.data"},
	viewOverlays:   {"overlays", "view.overlays"},
}

// The producer's own pages, in tab order (the fleet library, when there
// is a fleet, is added after them and opened with --view library).
const (
	prodScript = iota
	prodInteractions
	prodPresets
	prodDevices
)

var producerViews = [...]viewSpec{
	prodScript:       {"script", "prod.script"},
	prodInteractions: {"interactions", "ixe.tab"},
	prodPresets:      {"presets", "prod.presets"},
	prodDevices:      {"devices", "prod.devices"},
}

// libraryView opens the producer's fleet library page.
const libraryView = "library"

// findView returns the view a --view name opens and, for the producer's
// pages, which of them (-1: the main view alone).
func findView(name string) (v viewID, page int, ok bool) {
	for id, s := range mainViews {
		if s.name == name {
			return viewID(id), -1, true
		}
	}
	for i, s := range producerViews {
		if s.name == name {
			return viewProducer, i, true
		}
	}
	if name == libraryView {
		return viewProducer, -1, true
	}
	return 0, -1, false
}

// viewNames lists every --view name, for the flag's help and its error.
func viewNames() string {
	var names []string
	for _, s := range mainViews {
		names = append(names, s.name)
	}
	for _, s := range producerViews {
		names = append(names, s.name)
	}
	return strings.Join(append(names, libraryView), ", ")
}

// viewTabs builds a tab bar from a table and the contents in its order.
func viewTabs(specs []viewSpec, contents ...fyne.CanvasObject) *container.AppTabs {
	items := make([]*container.TabItem, len(specs))
	for i, s := range specs {
		items[i] = container.NewTabItem(T(s.title), contents[i])
	}
	return container.NewAppTabs(items...)
}
