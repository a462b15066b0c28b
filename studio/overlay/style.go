package overlay

import (
	"fmt"
	"regexp"
)

// Style is the operator's look for the overlay pages. It reaches the pages
// as a JSON config message and is applied through CSSOM property setters
// after the page validates every value again; viewer text never goes here.
// Zero fields take the defaults below.
type Style struct {
	Width, Height int    // page size in CSS pixels (default 1920×1080)
	FontSize      int    // base font size in px (default 32)
	TextColor     string // #RRGGBB or #RRGGBBAA (default #FFFFFF)
	Background    string // line and card background, #RRGGBB or #RRGGBBAA (default #00000099)
	MaxLines      int    // danmaku lines and wall cards shown at once (default 12)
	// Layout places each page's content on the Width×Height design canvas;
	// zero boxes take DefaultLayout scaled to the canvas. The pages scale
	// the whole canvas to the browser source's size.
	Layout Layout
}

// Box is a page's place on the design canvas, in design pixels.
type Box struct {
	X int `json:"x"`
	Y int `json:"y"`
	W int `json:"w"`
	H int `json:"h"`
}

func (b Box) overlaps(o Box) bool {
	return b.X < o.X+o.W && o.X < b.X+b.W && b.Y < o.Y+o.H && o.Y < b.Y+b.H
}

// Layout holds one box per page. Boxes must not overlap: every page can
// be a full-canvas browser source stacked in one OBS scene.
type Layout struct {
	Danmaku Box `json:"danmaku"`
	Wall    Box `json:"wall"`
	Coupon  Box `json:"coupon"`
	Vote    Box `json:"vote"`
}

// DefaultLayout is the layout on the 1920×1080 canvas: review wall top
// left, danmaku below it, coupon card top right, vote below it.
var DefaultLayout = Layout{
	Wall:    Box{X: 24, Y: 24, W: 1300, H: 430},
	Danmaku: Box{X: 24, Y: 480, W: 760, H: 576},
	Coupon:  Box{X: 1360, Y: 24, W: 536, H: 470},
	Vote:    Box{X: 1360, Y: 520, W: 536, H: 536},
}

// Minimum box size in design pixels.
const (
	minBoxW = 120
	minBoxH = 60
)

// Box returns page's box ("danmaku", "wall", "coupon", "vote").
func (l Layout) Box(page string) Box {
	switch page {
	case TopicDanmaku:
		return l.Danmaku
	case TopicWall:
		return l.Wall
	case TopicCoupon:
		return l.Coupon
	case TopicVote:
		return l.Vote
	}
	return Box{}
}

func (l *Layout) box(page string) *Box {
	switch page {
	case TopicDanmaku:
		return &l.Danmaku
	case TopicWall:
		return &l.Wall
	case TopicCoupon:
		return &l.Coupon
	case TopicVote:
		return &l.Vote
	}
	return nil
}

// Pages lists the overlay pages in the order the desk shows them.
var Pages = []string{TopicDanmaku, TopicWall, TopicCoupon, TopicVote}

// Limits of the style values; the page checks the same ranges.
const (
	maxWidth    = 7680
	maxHeight   = 4320
	minFontSize = 8
	maxFontSize = 200
	maxMaxLines = 200
)

// hexColour is the only colour syntax accepted (the page uses the same regex).
var hexColour = regexp.MustCompile(`^#[0-9A-Fa-f]{6}(?:[0-9A-Fa-f]{2})?$`)

// withDefaults fills zero fields.
func (st Style) withDefaults() Style {
	if st.Width == 0 {
		st.Width = 1920
	}
	if st.Height == 0 {
		st.Height = 1080
	}
	if st.FontSize == 0 {
		st.FontSize = 32
	}
	if st.TextColor == "" {
		st.TextColor = "#FFFFFF"
	}
	if st.Background == "" {
		st.Background = "#00000099"
	}
	if st.MaxLines == 0 {
		st.MaxLines = 12
	}
	def := DefaultLayoutFor(st.Width, st.Height)
	for _, pg := range Pages {
		if b := st.Layout.box(pg); *b == (Box{}) {
			*b = def.Box(pg)
		}
	}
	return st
}

// DefaultLayoutFor is DefaultLayout scaled to a width×height canvas.
func DefaultLayoutFor(width, height int) Layout {
	var l Layout
	for _, pg := range Pages {
		d := DefaultLayout.Box(pg)
		*l.box(pg) = Box{X: d.X * width / 1920, Y: d.Y * height / 1080, W: d.W * width / 1920, H: d.H * height / 1080}
	}
	return l
}

// Validate checks the style after defaults; the error names the field.
func (st Style) Validate() error {
	st = st.withDefaults()
	switch {
	case st.Width < 1 || st.Width > maxWidth:
		return fmt.Errorf("overlay style: Width %d: %w (1..%d)", st.Width, ErrInvalidStyle, maxWidth)
	case st.Height < 1 || st.Height > maxHeight:
		return fmt.Errorf("overlay style: Height %d: %w (1..%d)", st.Height, ErrInvalidStyle, maxHeight)
	case st.FontSize < minFontSize || st.FontSize > maxFontSize:
		return fmt.Errorf("overlay style: FontSize %d: %w (%d..%d)", st.FontSize, ErrInvalidStyle, minFontSize, maxFontSize)
	case !hexColour.MatchString(st.TextColor):
		return fmt.Errorf("overlay style: TextColor %q: %w (want #RRGGBB or #RRGGBBAA)", st.TextColor, ErrInvalidStyle)
	case !hexColour.MatchString(st.Background):
		return fmt.Errorf("overlay style: Background %q: %w (want #RRGGBB or #RRGGBBAA)", st.Background, ErrInvalidStyle)
	case st.MaxLines < 1 || st.MaxLines > maxMaxLines:
		return fmt.Errorf("overlay style: MaxLines %d: %w (1..%d)", st.MaxLines, ErrInvalidStyle, maxMaxLines)
	}
	for i, pg := range Pages {
		b := st.Layout.Box(pg)
		if b.X < 0 || b.Y < 0 || b.W < min(minBoxW, st.Width) || b.H < min(minBoxH, st.Height) || b.X+b.W > st.Width || b.Y+b.H > st.Height {
			return fmt.Errorf("overlay style: Layout %s %+v: %w (inside the %d×%d canvas, at least %d×%d)",
				pg, b, ErrInvalidStyle, st.Width, st.Height, minBoxW, minBoxH)
		}
		for _, other := range Pages[:i] {
			if b.overlaps(st.Layout.Box(other)) {
				return fmt.Errorf("overlay style: Layout %s %+v overlaps %s %+v: %w", pg, b, other, st.Layout.Box(other), ErrInvalidStyle)
			}
		}
	}
	return nil
}

// wireStyle is the config message body; Box is the receiving page's own.
type wireStyle struct {
	Width      int     `json:"width"`
	Height     int     `json:"height"`
	FontSize   int     `json:"fontSize"`
	TextColor  string  `json:"textColor"`
	Background string  `json:"background"`
	MaxLines   int     `json:"maxLines"`
	Box        wireBox `json:"box"`
}

type wireBox struct {
	X int `json:"x"`
	Y int `json:"y"`
	W int `json:"w"`
	H int `json:"h"`
}

func (st Style) wire(page string) wireStyle {
	b := st.Layout.Box(page)
	return wireStyle{Width: st.Width, Height: st.Height, FontSize: st.FontSize, TextColor: st.TextColor,
		Background: st.Background, MaxLines: st.MaxLines, Box: wireBox(b)}
}
