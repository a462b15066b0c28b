package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"studiodesk/app/overlaycfg"
	"studiodesk/studio/overlay"
)

// walk lists the widgets under o.
func walk(o fyne.CanvasObject, f func(fyne.CanvasObject)) {
	f(o)
	switch c := o.(type) {
	case *fyne.Container:
		for _, ch := range c.Objects {
			walk(ch, f)
		}
	case *container.Scroll:
		walk(c.Content, f)
	}
}

func TestOverlaysPageListsEveryPageWithCopy(t *testing.T) {
	test.NewTempApp(t)
	srv := overlay.New(overlay.Config{Addr: "127.0.0.1:0"})
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	var copied []string
	p := newOverlaysPage(func(s string) { copied = append(copied, s) })
	p.attach(srv, dir)
	w := test.NewWindow(p.root)
	defer w.Close()
	w.Resize(fyne.NewSize(1366, 768))

	var copies []*widget.Button
	var apply *widget.Button
	var entries []*widget.Entry
	walk(p.root, func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Button:
			if x.Text == T("ovl.copy") {
				copies = append(copies, x)
			}
			if x.Text == T("ovl.apply") {
				apply = x
			}
		case *widget.Entry:
			entries = append(entries, x)
		}
	})
	if len(copies) != 4 || len(entries) != 16 || apply == nil {
		t.Fatalf("%d copy buttons, %d box fields, apply %v; want 4, 16, a button", len(copies), len(entries), apply != nil)
	}
	for _, b := range copies {
		test.Tap(b)
	}
	for i, pg := range overlay.Pages {
		if i >= len(copied) || copied[i] != srv.URL(pg) || !strings.HasSuffix(copied[i], "/"+pg) {
			t.Fatalf("copied %q, want the four page URLs in order", copied)
		}
	}
	// Move the coupon card onto the review wall: refused, nothing saved.
	// Fields: danmaku x y w h, wall x y w h, coupon x y w h, vote x y w h.
	entries[8].SetText("24")
	entries[9].SetText("24")
	test.Tap(apply)
	if !strings.Contains(p.status.Text, "overlaps") {
		t.Fatalf("overlapping layout: status %q", p.status.Text)
	}
	if _, err := os.Stat(filepath.Join(dir, overlaycfg.FileName)); err == nil {
		t.Fatal("refused layout saved")
	}
	// A free spot: applied to the server and saved.
	entries[8].SetText("1360")
	entries[9].SetText("40")
	test.Tap(apply)
	if got := srv.Style().Layout.Coupon; got.X != 1360 || got.Y != 40 {
		t.Fatalf("coupon box %+v not applied (status %q)", got, p.status.Text)
	}
	s, err := overlaycfg.Load(dir)
	if err != nil || s.Layout.Coupon.Y != 40 {
		t.Fatalf("saved %+v %v", s.Layout, err)
	}
	entries[0].SetText("x")
	test.Tap(apply)
	if !strings.Contains(p.status.Text, "x") || !strings.HasPrefix(p.status.Text, "⚠") {
		t.Fatalf("bad number: status %q", p.status.Text)
	}
}
