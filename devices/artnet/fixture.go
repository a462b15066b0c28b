package artnet

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"studiodesk/devices"
)

// Channel names a fixture may use.
const (
	ChDimmer     = "dimmer"
	ChDimmerFine = "dimmer_fine" // low byte of a 16-bit dimmer
	ChCCT        = "cct"         // colour temperature, MinKelvin at 0, MaxKelvin at 255
	ChRed        = "red"
	ChGreen      = "green"
	ChBlue       = "blue"
	ChWhite      = "white"
)

var knownChannels = []string{ChDimmer, ChDimmerFine, ChCCT, ChRed, ChGreen, ChBlue, ChWhite}

// Default CCT range of bi-colour LED panels, used when a fixture with a cct
// channel leaves MinKelvin/MaxKelvin at zero.
const (
	DefaultMinKelvin = 2700
	DefaultMaxKelvin = 6500
)

// Channel is one DMX slot of a fixture.
type Channel struct {
	Name   string `json:"name"`   // one of the Ch… constants
	Offset int    `json:"offset"` // 0-based, from the fixture's start address
}

// Fixture is a light patched into a universe: its start address and the
// meaning of each slot from there. Presets speak "80 %, 5600 K"; the fixture
// turns that into slot values.
type Fixture struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Start     int       `json:"start"` // 1-based DMX address
	Channels  []Channel `json:"channels"`
	MinKelvin int       `json:"min_kelvin,omitempty"`
	MaxKelvin int       `json:"max_kelvin,omitempty"`
}

var profiles = map[string][]Channel{
	"dimmer":  {{ChDimmer, 0}},
	"bicolor": {{ChDimmer, 0}, {ChCCT, 1}},
	"rgb":     {{ChRed, 0}, {ChGreen, 1}, {ChBlue, 2}},
	"rgbw":    {{ChRed, 0}, {ChGreen, 1}, {ChBlue, 2}, {ChWhite, 3}},
}

// Profiles lists the built-in channel layouts.
func Profiles() []string {
	names := make([]string, 0, len(profiles))
	for n := range profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Profile returns a copy of a built-in channel layout.
func Profile(name string) ([]Channel, error) {
	ch, ok := profiles[name]
	if !ok {
		return nil, fmt.Errorf("profile %q: unknown (have %v): %w", name, Profiles(), devices.ErrUnsupported)
	}
	return slices.Clone(ch), nil
}

// NewFixture builds a fixture from a built-in profile and checks it.
func NewFixture(id, name, profile string, start int) (Fixture, error) {
	ch, err := Profile(profile)
	if err != nil {
		return Fixture{}, fmt.Errorf("fixture %q: %w", label(id, name), err)
	}
	f := Fixture{ID: id, Name: name, Start: start, Channels: ch}
	return f, f.Validate()
}

// Footprint is the number of slots the fixture occupies.
func (f Fixture) Footprint() int {
	n := 0
	for _, c := range f.Channels {
		n = max(n, c.Offset+1)
	}
	return n
}

// Validate checks the patch: known, unique channel names and offsets, the
// start address and footprint inside 1-512, and a sane CCT range.
func (f Fixture) Validate() error {
	if _, err := compile(f); err != nil {
		return fmt.Errorf("fixture %q: %w", label(f.ID, f.Name), err)
	}
	return nil
}

func label(id, name string) string {
	if name != "" {
		return name
	}
	return id
}

// Logical parameters a fixture fades, each normalised to 0..1. Fading these
// rather than raw slots keeps 16-bit dimmers and white extraction correct
// mid-fade.
const (
	pDimmer = iota
	pCCT
	pRed
	pGreen
	pBlue
	numParams
)

type levels [numParams]float64

// layout is a validated fixture with absolute 0-based frame indexes; -1
// marks an absent channel.
type layout struct {
	f                                          Fixture
	dimmer, fine, cct, red, green, blue, white int
	first, last                                int // frame indexes covered
}

func compile(f Fixture) (layout, error) {
	l := layout{f: f, dimmer: -1, fine: -1, cct: -1, red: -1, green: -1, blue: -1, white: -1}
	if f.ID == "" {
		return l, errors.New("id: empty")
	}
	if f.Start < 1 || f.Start > MaxSlots {
		return l, &RangeError{Field: "start", Value: f.Start, Min: 1, Max: MaxSlots}
	}
	if len(f.Channels) == 0 {
		return l, errors.New("channels: none")
	}
	seen := map[int]string{}
	for _, c := range f.Channels {
		if !slices.Contains(knownChannels, c.Name) {
			return l, fmt.Errorf("channel %q: unknown name (want one of %v): %w", c.Name, knownChannels, devices.ErrUnsupported)
		}
		if c.Offset < 0 || c.Offset >= MaxSlots {
			return l, &RangeError{Field: fmt.Sprintf("channel %q: offset", c.Name), Value: c.Offset, Min: 0, Max: MaxSlots - 1}
		}
		if other, dup := seen[c.Offset]; dup {
			return l, fmt.Errorf("channel %q: offset %d already used by %q", c.Name, c.Offset, other)
		}
		seen[c.Offset] = c.Name
		idx := f.Start - 1 + c.Offset
		p := map[string]*int{ChDimmer: &l.dimmer, ChDimmerFine: &l.fine, ChCCT: &l.cct,
			ChRed: &l.red, ChGreen: &l.green, ChBlue: &l.blue, ChWhite: &l.white}[c.Name]
		if *p >= 0 {
			return l, fmt.Errorf("channel %q: listed twice", c.Name)
		}
		*p = idx
	}
	if last := MaxSlots - f.Footprint() + 1; f.Start > last {
		return l, &RangeError{Field: "start", Value: f.Start, Min: 1, Max: last,
			Unit: fmt.Sprintf("for a %d-slot footprint", f.Footprint())}
	}
	if l.fine >= 0 && l.dimmer < 0 {
		return l, fmt.Errorf("channel %q: needs a %q channel", ChDimmerFine, ChDimmer)
	}
	// Colour is mixed from all three primaries, so they come as a set.
	colour := []int{l.red, l.green, l.blue, max(l.red, l.green, l.blue)}
	if (l.white >= 0 || colour[3] >= 0) && slices.Contains(colour, -1) {
		return l, errors.New("channels: red, green and blue go together (white needs them too)")
	}
	if l.cct >= 0 {
		if l.f.MinKelvin == 0 && l.f.MaxKelvin == 0 {
			l.f.MinKelvin, l.f.MaxKelvin = DefaultMinKelvin, DefaultMaxKelvin
		}
		if l.f.MinKelvin < 1000 || l.f.MaxKelvin > 20000 || l.f.MinKelvin >= l.f.MaxKelvin {
			return l, fmt.Errorf("cct range: %d-%d K, want 1000 ≤ min < max ≤ 20000: %w",
				l.f.MinKelvin, l.f.MaxKelvin, devices.ErrOutOfRange)
		}
	}
	l.first, l.last = f.Start-1, f.Start-2+f.Footprint()
	return l, nil
}

func (l *layout) overlaps(o *layout) bool {
	return l.first <= o.last && o.first <= l.last
}

// state is a fixture's target in preset terms; Capture reports it.
type state struct {
	on               bool
	brightness       int // percent
	kelvin           int
	red, green, blue int
}

func (l *layout) initial() state {
	// Colour starts white so a brightness-only preset lights an RGB
	// fixture; the dimmer starts at zero, matching an all-zero frame.
	return state{kelvin: l.f.MinKelvin, red: 255, green: 255, blue: 255}
}

func (l *layout) levels(s state) levels {
	var lv levels
	if s.on {
		lv[pDimmer] = float64(s.brightness) / 100
	}
	if l.cct >= 0 {
		lv[pCCT] = float64(s.kelvin-l.f.MinKelvin) / float64(l.f.MaxKelvin-l.f.MinKelvin)
	}
	lv[pRed], lv[pGreen], lv[pBlue] = float64(s.red)/255, float64(s.green)/255, float64(s.blue)/255
	return lv
}

// resolve validates t against the fixture and returns the new target. Nil
// fields keep cur. On=false sends the dimmer to 0; On=true without a
// brightness means full.
func (l *layout) resolve(t *devices.LightTarget, cur state) (state, error) {
	next := cur
	if t.Brightness != nil {
		if b := *t.Brightness; b < 0 || b > 100 {
			return cur, &RangeError{Field: "brightness", Value: b, Min: 0, Max: 100, Unit: "%"}
		}
		next.brightness, next.on = *t.Brightness, *t.Brightness > 0
	}
	if t.On != nil {
		next.on = *t.On
		switch {
		case !*t.On:
			next.brightness = 0
		case t.Brightness == nil:
			next.brightness = 100
		}
	}
	if t.Temperature != nil {
		k := *t.Temperature
		if l.cct < 0 {
			return cur, fmt.Errorf("temperature: fixture has no %q channel: %w", ChCCT, devices.ErrUnsupported)
		}
		if k < l.f.MinKelvin || k > l.f.MaxKelvin {
			return cur, &RangeError{Field: "temperature", Value: k, Min: l.f.MinKelvin, Max: l.f.MaxKelvin, Unit: "K"}
		}
		next.kelvin = k
	}
	for _, c := range []struct {
		name string
		v    *int
		dst  *int
	}{{"red", t.Red, &next.red}, {"green", t.Green, &next.green}, {"blue", t.Blue, &next.blue}} {
		if c.v == nil {
			continue
		}
		if l.red < 0 {
			return cur, fmt.Errorf("%s: fixture has no colour channels: %w", c.name, devices.ErrUnsupported)
		}
		if *c.v < 0 || *c.v > 255 {
			return cur, &RangeError{Field: c.name, Value: *c.v, Min: 0, Max: 255}
		}
		*c.dst = *c.v
	}
	return next, nil
}

// render writes lv into the fixture's slots of frame.
func (l *layout) render(lv levels, frame *[MaxSlots]byte) {
	scale := 1.0
	if l.dimmer >= 0 {
		if l.fine >= 0 {
			v := uint16(math.Round(clamp01(lv[pDimmer]) * 65535))
			frame[l.dimmer], frame[l.fine] = byte(v>>8), byte(v)
		} else {
			frame[l.dimmer] = to8(lv[pDimmer])
		}
	} else {
		// No dimmer slot: brightness scales the colour instead.
		scale = clamp01(lv[pDimmer])
	}
	if l.cct >= 0 {
		frame[l.cct] = to8(lv[pCCT])
	}
	if l.red < 0 {
		return
	}
	r, g, b := lv[pRed], lv[pGreen], lv[pBlue]
	if l.white >= 0 {
		// The common part of R, G and B goes to the white emitter, which
		// renders it with better colour quality.
		w := min(r, g, b)
		r, g, b = r-w, g-w, b-w
		frame[l.white] = to8(w * scale)
	}
	frame[l.red], frame[l.green], frame[l.blue] = to8(r*scale), to8(g*scale), to8(b*scale)
}

func clamp01(v float64) float64 {
	if !(v > 0) { // also catches NaN
		return 0
	}
	return min(v, 1)
}

func to8(v float64) byte { return byte(math.Round(clamp01(v) * 255)) }
