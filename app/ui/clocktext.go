package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"
)

// clockText is the big time left ("04:59"), drawn one character per cell.
// Fyne turns each distinct string into a texture — at 220 points a new
// "04:58" is some 700 KB rasterised and uploaded every second, kept for
// the texture lifetime after it is gone. Cut into characters, the clock
// draws from at most a dozen glyph textures that are made once and reused:
// a second changes one or two small textures, not the whole figure. Digits
// share one cell width (the widest digit), so the figure does not shift as
// it counts down.
type clockText struct {
	widget.BaseWidget
	box *fyne.Container // the cells
	// Text is what the clock shows (read by tests and the views).
	Text      string
	TextSize  float32
	TextStyle fyne.TextStyle
	Color     color.Color
	cells     *cellLayout
}

func newClockText(size float32, c color.Color) *clockText {
	t := &clockText{TextSize: size, TextStyle: fyne.TextStyle{Bold: true}, Color: c}
	t.cells = &cellLayout{clock: t}
	t.box = &fyne.Container{Layout: t.cells}
	t.ExtendBaseWidget(t)
	return t
}

func (t *clockText) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(t.box) }

// Set shows s, drawing again only the cells whose character changed.
func (t *clockText) Set(s string) {
	if s == t.Text {
		return
	}
	t.Text = s
	rs := []rune(s)
	objs := t.box.Objects
	relayout := len(rs) != len(objs)
	for len(objs) < len(rs) {
		c := canvas.NewText("", t.Color)
		c.TextSize, c.TextStyle, c.Alignment = t.TextSize, t.TextStyle, fyne.TextAlignCenter
		objs = append(objs, c)
	}
	t.box.Objects = objs[:len(rs)]
	for i, r := range rs {
		c := t.box.Objects[i].(*canvas.Text)
		if ch := string(r); c.Text != ch {
			relayout = relayout || t.cells.width(r) != t.cells.width([]rune(c.Text + " ")[0])
			c.Text = ch
			if !relayout {
				c.Refresh()
			}
		}
	}
	if relayout {
		t.box.Refresh()
	}
}

// SetSize changes the figure's size (the host's clock gives up room while
// an interaction runs).
func (t *clockText) SetSize(size float32) {
	if size == t.TextSize {
		return
	}
	t.TextSize = size
	for _, o := range t.box.Objects {
		o.(*canvas.Text).TextSize = size
	}
	t.box.Refresh()
}

// cellLayout puts the clock's characters side by side, centred: a digit
// in a cell as wide as the widest digit, anything else (":", "-", "+") as
// wide as itself.
type cellLayout struct {
	clock  *clockText
	size   float32
	style  fyne.TextStyle
	digit  float32
	height float32
	other  map[rune]float32
}

func (l *cellLayout) measure() {
	if l.size == l.clock.TextSize && l.style == l.clock.TextStyle && l.other != nil {
		return
	}
	l.size, l.style = l.clock.TextSize, l.clock.TextStyle
	l.digit, l.height, l.other = 0, 0, map[rune]float32{}
	for d := '0'; d <= '9'; d++ {
		m := fyne.MeasureText(string(d), l.size, l.style)
		l.digit = max(l.digit, m.Width)
		l.height = max(l.height, m.Height)
	}
}

func (l *cellLayout) width(r rune) float32 {
	l.measure()
	if r >= '0' && r <= '9' {
		return l.digit
	}
	w, ok := l.other[r]
	if !ok {
		w = fyne.MeasureText(string(r), l.size, l.style).Width
		l.other[r] = w
	}
	return w
}

func (l *cellLayout) rowWidth(objs []fyne.CanvasObject) float32 {
	var w float32
	for _, o := range objs {
		if c, ok := o.(*canvas.Text); ok && c.Text != "" {
			w += l.width([]rune(c.Text)[0])
		}
	}
	return w
}

func (l *cellLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	l.measure()
	return fyne.NewSize(l.rowWidth(objs), l.height)
}

func (l *cellLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	x := (size.Width - l.rowWidth(objs)) / 2
	for _, o := range objs {
		c := o.(*canvas.Text)
		w := float32(0)
		if c.Text != "" {
			w = l.width([]rune(c.Text)[0])
		}
		o.Move(fyne.NewPos(x, 0))
		o.Resize(fyne.NewSize(w, size.Height))
		x += w
	}
}
