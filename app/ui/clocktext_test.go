package ui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
)

// The clock is drawn from a fixed set of glyph strings: a minute of
// countdown uses only "0"–"9" and ":", each cell stays where it was, and
// a tick touches only the characters that changed.
func TestClockTextCellsAndGlyphs(t *testing.T) {
	test.NewTempApp(t)
	c := newClockText(96, colText)
	c.Set("05:00")
	c.Resize(fyne.NewSize(600, 140))
	if len(c.box.Objects) != 5 {
		t.Fatalf("%d cells for 05:00", len(c.box.Objects))
	}
	cells := append([]fyne.CanvasObject(nil), c.box.Objects...)
	pos := make([]fyne.Position, len(cells))
	for i, o := range cells {
		pos[i] = o.Position()
	}
	d0, d1 := cells[0].Size().Width, cells[4].Size().Width
	if d0 != d1 || d0 <= cells[2].Size().Width {
		t.Fatalf("digit cells %v and %v, colon %v: digits share one cell, wider than the colon", d0, d1, cells[2].Size().Width)
	}
	if mid := pos[0].X + c.MinSize().Width/2; mid < 299 || mid > 301 {
		t.Fatalf("figure centred at %v in 600", mid)
	}
	glyphs := map[string]bool{}
	for s := 300 * time.Second; s >= 240*time.Second; s -= time.Second {
		c.Set(clock(s))
		if c.Text != clock(s) {
			t.Fatalf("Text %q, want %q", c.Text, clock(s))
		}
		for i, o := range c.box.Objects {
			if o != cells[i] || o.Position() != pos[i] {
				t.Fatalf("at %s cell %d was replaced or moved", clock(s), i)
			}
			glyphs[o.(*canvas.Text).Text] = true
		}
	}
	if len(glyphs) > 11 {
		t.Fatalf("a minute drew %d distinct strings, want at most 11 (digits and the colon): %v", len(glyphs), glyphs)
	}
	// overtime adds a sign: the row grows by one cell and is laid out again
	c.Set("-00:12")
	if len(c.box.Objects) != 6 || c.box.Objects[0].(*canvas.Text).Text != "-" {
		t.Fatalf("overtime cells: %d", len(c.box.Objects))
	}
	c.SetSize(150)
	if got := c.box.Objects[1].(*canvas.Text).TextSize; got != 150 {
		t.Fatalf("cell size %v after SetSize(150)", got)
	}
}

// The cells are really drawn: a window with the clock has the figure's
// light pixels where the digits are (a clock made of objects the painter
// does not walk would leave the band empty).
func TestClockTextIsDrawn(t *testing.T) {
	a := test.NewTempApp(t)
	a.Settings().SetTheme(newDeskTheme())
	c := newClockText(96, colText)
	w := test.NewWindow(container.NewVBox(c))
	defer w.Close()
	w.Resize(fyne.NewSize(600, 200))
	c.Set("04:59")
	img := w.Canvas().Capture()
	light := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, g, bl, _ := img.At(x, y).RGBA(); r > 0xC000 && g > 0xC000 && bl > 0xC000 {
				light++
			}
		}
	}
	if light < 2000 {
		t.Fatalf("%d light pixels: the clock is not drawn", light)
	}
}
