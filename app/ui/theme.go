package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"studiodesk/assets"
)

// deskTheme wraps the default theme with the bundled CJK font, so Chinese
// renders without any system font, and a dark palette for a dim studio.
type deskTheme struct {
	fyne.Theme
	font fyne.Resource
}

func newDeskTheme() *deskTheme {
	return &deskTheme{
		Theme: theme.DefaultTheme(),
		font:  fyne.NewStaticResource("DroidSansFallbackStudio.otf", assets.Font()),
	}
}

func (t *deskTheme) Font(s fyne.TextStyle) fyne.Resource {
	if s.Monospace || s.Symbol {
		return t.Theme.Font(s)
	}
	return t.font
}

func (t *deskTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	if n == theme.ColorNameBackground {
		// the host's screen colour, which the window is cleared to
		return colBg
	}
	return t.Theme.Color(n, theme.VariantDark)
}

// Phase colours a host reads from across the room.
var (
	colNormal   = color.NRGBA{0x2E, 0x7D, 0x32, 0xFF}
	colWarning  = color.NRGBA{0xF9, 0xA8, 0x25, 0xFF}
	colDanger   = color.NRGBA{0xE6, 0x51, 0x00, 0xFF}
	colOvertime = color.NRGBA{0xC6, 0x28, 0x28, 0xFF}
	colIdle     = color.NRGBA{0x45, 0x4F, 0x5A, 0xFF}
	colText     = color.NRGBA{0xF5, 0xF5, 0xF5, 0xFF}
	colDim      = color.NRGBA{0xB0, 0xBE, 0xC5, 0xFF}
	colBg       = color.NRGBA{0x12, 0x14, 0x18, 0xFF}
	colFlash    = color.NRGBA{0xFF, 0xFF, 0xFF, 0xC0}
	colRehearse = color.NRGBA{0x15, 0x65, 0xC0, 0xFF}
)
