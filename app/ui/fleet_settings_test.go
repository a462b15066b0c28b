package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"studiodesk/app/core"
	"studiodesk/app/fleet"
)

// The fleet settings dialog refuses a fleet without a studio id (the
// dialog stays open, what was typed is kept, the problem names the
// flag), then saves a good one, which the desk's next start picks up.
func TestFleetSettingsDialogChecksAndSaves(t *testing.T) {
	dir := t.TempDir()
	st := tempStore(t, dir)
	show, err := core.LoadCurrentShow(st)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := firstRunFixture(t, st, show)
	d.showFleetDialog(st)
	top := d.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatal("no fleet dialog")
	}
	var entries []*widget.Entry
	var problem *widget.Label
	walkDeep(top, func(o fyne.CanvasObject) {
		switch w := o.(type) {
		case *widget.Entry:
			entries = append(entries, w)
		case *widget.Label:
			if w.Importance == widget.DangerImportance {
				problem = w
			}
		}
	})
	if len(entries) != 11 || problem == nil {
		t.Fatalf("dialog has %d entries (want 11) and problem label %v", len(entries), problem != nil)
	}
	var save *widget.Button
	walkDeep(top, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && b.Text == T("btn.save") {
			save = b
		}
	})
	if save == nil {
		t.Fatal("no Save button")
	}
	test.Type(entries[0], "nats://127.0.0.1:4222")
	test.Type(entries[2], "studio-07")
	test.Tap(save)
	if !problem.Visible() || !strings.Contains(problem.Text, "--studio") {
		t.Fatalf("no studio id: problem %q (visible %v)", problem.Text, problem.Visible())
	}
	if d.win.Canvas().Overlays().Top() != top || entries[0].Text != "nats://127.0.0.1:4222" {
		t.Fatal("the dialog closed or lost what was typed")
	}
	test.Type(entries[1], "studio-07")
	entries[3].SetText("secret")
	var producer *widget.Check
	walkDeep(top, func(o fyne.CanvasObject) {
		if c, ok := o.(*widget.Check); ok {
			producer = c
		}
	})
	if producer == nil || producer.Checked {
		t.Fatalf("producer desk check box: %v", producer)
	}
	test.Tap(producer)
	test.Tap(save)
	c, ok, err := fleet.LoadSaved(st)
	if err != nil || !ok {
		t.Fatalf("saved: %v %v", ok, err)
	}
	if c.URL != "nats://127.0.0.1:4222" || c.Studio != "studio-07" || c.User != "studio-07" || c.Password != "secret" || c.HeartbeatTimeout != fleet.DefaultHeartbeatTimeout || !c.Producer {
		t.Fatalf("saved %+v", c)
	}
}

// walkDeep visits o and everything drawn under it, through widgets'
// renderers (forms and dialogs keep their children there).
func walkDeep(o fyne.CanvasObject, f func(fyne.CanvasObject)) {
	f(o)
	switch c := o.(type) {
	case *fyne.Container:
		for _, ch := range c.Objects {
			walkDeep(ch, f)
		}
	case *widget.Entry, *widget.Label, *widget.Button:
	case fyne.Widget:
		for _, ch := range test.WidgetRenderer(c).Objects() {
			walkDeep(ch, f)
		}
	}
}
