package artnet

import (
	"fmt"

	"studiodesk/devices"
)

var errOutOfRange = devices.ErrOutOfRange

// RangeError reports a value outside what a field accepts. It unwraps to
// devices.ErrOutOfRange so callers can branch without parsing text.
type RangeError struct {
	Field    string // e.g. `brightness`, `channel "dimmer"`
	Value    int
	Min, Max int
	Unit     string // optional, e.g. "K"
}

func (e *RangeError) Error() string {
	unit := ""
	if e.Unit != "" {
		unit = " " + e.Unit
	}
	return fmt.Sprintf("%s: value %d out of range %d-%d%s", e.Field, e.Value, e.Min, e.Max, unit)
}

// Unwrap lets errors.Is(err, devices.ErrOutOfRange) succeed.
func (e *RangeError) Unwrap() error { return devices.ErrOutOfRange }
