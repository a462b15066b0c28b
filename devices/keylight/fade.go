package keylight

import (
	"math"
	"time"

	"studiodesk/devices"
)

// plan is one stepped fade, computed once from the state at its start.
type plan struct {
	start        time.Time
	dur          time.Duration
	curve        devices.Curve
	turnOn       bool // the first step switches the light on
	fadeB, fadeM bool
	fromB, toB   int // visible brightness, 0 when off
	fromM, toM   int // mireds
	final        lightJSON
}

// newPlan returns nil when nothing visible would change, e.g. a
// temperature change on a light that stays off.
func newPlan(cur State, want lightJSON, start time.Time, dur time.Duration, curve devices.Curve) *plan {
	endOn := cur.On
	if want.On != nil {
		endOn = *want.On == 1
	}
	level := cur.Brightness
	if want.Brightness != nil {
		level = *want.Brightness
	}
	p := &plan{start: start, dur: dur, curve: curve, final: want,
		turnOn: endOn && !cur.On, fromM: cur.Temperature, toM: cur.Temperature}
	if cur.On {
		p.fromB = cur.Brightness
	}
	if endOn {
		p.toB = level
	}
	if want.Temperature != nil {
		p.toM = *want.Temperature
	}
	p.fadeB = p.fromB != p.toB
	p.fadeM = p.fromM != p.toM && (cur.On || endOn)
	if !p.fadeB && !p.fadeM {
		return nil
	}
	if cur.On && !endOn && want.Brightness == nil {
		// Fading out dims to 0; put the level back as it switches off.
		p.final.Brightness = devices.Ptr(cur.Brightness)
	}
	return p
}

// at returns the body for time now and whether it is the last one, which
// is exactly the target.
func (p *plan) at(now time.Time, first bool) (lightJSON, bool) {
	el := now.Sub(p.start)
	if el >= p.dur {
		return p.final, true
	}
	x := max(float64(el)/float64(p.dur), 0)
	if p.curve == devices.SCurve {
		x = x * x * (3 - 2*x)
	}
	var b lightJSON
	if first && p.turnOn {
		b.On = devices.Ptr(1)
	}
	if p.fadeB {
		// Visible brightness runs from 0 (off) but the wire starts at the
		// light's minimum: steps near the dark end are sent as 3.
		b.Brightness = devices.Ptr(max(lerp(p.fromB, p.toB, x), MinBrightness))
	}
	if p.fadeM {
		b.Temperature = devices.Ptr(lerp(p.fromM, p.toM, x))
	}
	return b, false
}

func lerp(a, b int, x float64) int {
	return int(math.Round(float64(a) + float64(b-a)*x))
}
