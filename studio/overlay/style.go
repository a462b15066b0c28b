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
}

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
	return st
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
	return nil
}

// wireStyle is the config message body.
type wireStyle struct {
	Width      int    `json:"width"`
	Height     int    `json:"height"`
	FontSize   int    `json:"fontSize"`
	TextColor  string `json:"textColor"`
	Background string `json:"background"`
	MaxLines   int    `json:"maxLines"`
}

func (st Style) wire() wireStyle { return wireStyle(st) }
