package ui

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"studiodesk/studio"
	"studiodesk/studio/remote"
)

// Every catalogue action has exactly one key, no two live actions share a
// key, and the help line shows them all.
func TestKeymapCoversTheCatalogue(t *testing.T) {
	lang = "en"
	seen := map[string]string{}
	for _, b := range keymap {
		if _, err := studio.LookupAction(b.action); err != nil {
			t.Errorf("keymap: %v", err)
		}
		for _, k := range b.keys {
			id := string(k)
			if b.ctrl {
				id = "ctrl+" + id
			}
			if other, dup := seen[id]; dup {
				t.Errorf("key %s is both %s and %s", id, other, b.action)
			}
			seen[id] = b.action
		}
	}
	help := shortcutHelp()
	for _, a := range studio.Actions() {
		kt := keyText(a.Name)
		if kt == "" {
			t.Errorf("action %s has no key", a.Name)
			continue
		}
		if !strings.Contains(help, "["+kt+"] "+T(actionLabels[a.Name])) {
			t.Errorf("help line lacks %s [%s]: %s", a.Name, kt, help)
		}
	}
}

// F5 cannot be both Start and a preset: the editor does not offer it, a
// save with it is refused, and a preset stored with it before does not
// take the key from Start.
func TestPresetKeyConflictRefused(t *testing.T) {
	lang = "en"
	if err := checkPresetKey("F5"); err == nil || !strings.Contains(err.Error(), "Start") {
		t.Fatalf("F5: %v", err)
	}
	if err := checkPresetKey("F6"); err != nil {
		t.Fatalf("F6: %v", err)
	}
	for _, k := range presetKeys {
		if k == "F5" {
			t.Fatal("the editor offers F5")
		}
	}
	f := newFixture(t)
	f.ui.editor.name.SetText("抢 F5")
	f.ui.editor.key.Options = append(f.ui.editor.key.Options, "F5")
	f.ui.editor.key.SetSelected("F5")
	if _, err := f.ui.editor.formPreset(); err == nil || !errors.Is(err, err) || !strings.Contains(err.Error(), "F5") {
		t.Fatalf("save with F5: %v", err)
	}
	// A book that already holds F5 (saved by an older version).
	f.ui.presets.setPresets([]studio.Preset{{ID: "p1", Name: "old", Key: "F5"}}, nil)
	if _, ok := f.ui.presets.presetForKey(fyne.KeyF5); ok {
		t.Fatal("a preset took F5 from Start")
	}
	f.key(fyne.KeyF5)
	if !f.desk.Snapshot().State(f.clk.Now()).Started {
		t.Fatal("F5 did not start the show")
	}
}

// The pairing page shows where the server is bound, refreshes itself
// after a pairing and on expiry, and shows why a transport is off while
// the other runs.
func TestRemotePageBoundAddressesRefreshAndBusyOSC(t *testing.T) {
	busy, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	f := newFixture(t)
	lang = "en"
	p := f.ui.remote
	p.addr, p.oscAddr = "127.0.0.1:0", busy.LocalAddr().String()
	p.now, p.codeTTL = time.Now, 2*time.Second
	// The test goroutine is the UI goroutine: what the page hands to
	// fyne.Do from other goroutines runs here, in order.
	queue := make(chan func(), 64)
	p.uiDo = func(f func()) { queue <- f }
	ui := func() {
		for {
			select {
			case f := <-queue:
				f()
			default:
				return
			}
		}
	}
	p.enable.SetChecked(true)
	t.Cleanup(p.close)
	if p.srv == nil {
		t.Fatalf("remote control did not start: %s", p.info.Text)
	}
	info := p.info.Text
	if !strings.Contains(info, "http://"+p.srv.Addr()+"/remote") || !strings.Contains(info, "OSC is off") ||
		!strings.Contains(info, "address already in use") {
		t.Fatalf("page: %s", info)
	}
	code := p.code.Text
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := remote.Pair(ctx, p.srv.Addr(), code, "平板", remote.RoleController); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		ui()
		return len(p.devices.Objects) == 1 && p.code.Text != code
	}, "the page lists the new device and a new code without a click")
	// The code expires: the page shows a new one by itself.
	before := p.code.Text
	waitFor(t, func() bool {
		ui()
		return p.code.Text != before && len(p.code.Text) == 6
	}, "a new code after expiry")
	// OSC port free again: it binds and the page shows the bound address.
	p.enable.SetChecked(false)
	busy.Close()
	p.enable.SetChecked(true)
	if !strings.Contains(p.info.Text, "OSC (UDP): "+p.oscAddr) {
		t.Fatalf("page after freeing the port: %s", p.info.Text)
	}
}

// docs/control-api.md lists every catalogue action with its examples and
// the desk key the keymap gives it.
func TestControlAPIDocListsEveryActionAndKey(t *testing.T) {
	b, err := os.ReadFile("../../docs/control-api.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, a := range studio.Actions() {
		if !strings.Contains(doc, "#### `"+a.Name+"`") || !strings.Contains(doc, "/api/v1/"+a.Name) || !strings.Contains(doc, "/studiodesk/"+a.Name) {
			t.Errorf("docs lack the examples of %s", a.Name)
		}
		var row string
		for _, l := range strings.Split(doc, "\n") {
			if strings.HasPrefix(l, "| `"+a.Name+"` |") {
				row = l
			}
		}
		if row == "" {
			t.Errorf("docs lack the table row of %s", a.Name)
			continue
		}
		if b, ok := binding(a.Name); ok && !strings.Contains(row, b.text) {
			t.Errorf("docs row of %s lacks its key %s: %s", a.Name, b.text, row)
		}
		for _, x := range a.Args {
			if !strings.Contains(row, "`"+x.Name+"`") {
				t.Errorf("docs row of %s lacks argument %s", a.Name, x.Name)
			}
		}
	}
}

// --osc-addr reaches the remote server the Remote tab starts.
func TestOSCAddrFlag(t *testing.T) {
	o, err := parseOptions([]string{"--osc-addr", "127.0.0.1:0", "--remote-addr", "127.0.0.1:0"}, io.Discard)
	if err != nil || o.OSCAddr != "127.0.0.1:0" {
		t.Fatalf("%+v %v", o, err)
	}
	f := newFixture(t)
	p := f.ui.remote
	p.addr, p.oscAddr = o.RemoteAddr, o.OSCAddr
	p.uiDo = func(func()) {}
	p.enable.SetChecked(true)
	t.Cleanup(p.close)
	if p.srv == nil || p.srv.OSCAddr() == "" || !strings.HasPrefix(p.srv.OSCAddr(), "127.0.0.1:") {
		t.Fatalf("OSC not on the flag's address: %+v", p.srv.Transports())
	}
	o, _ = parseOptions([]string{"--osc-addr", "off"}, io.Discard)
	p.enable.SetChecked(false)
	p.oscAddr = o.OSCAddr
	p.enable.SetChecked(true)
	if p.srv.OSCAddr() != "" || strings.Contains(p.info.Text, "OSC") {
		t.Fatalf("--osc-addr off: %s", p.info.Text)
	}
}
