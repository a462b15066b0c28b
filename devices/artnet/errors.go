package artnet

import "studiodesk/devices"

var errOutOfRange = devices.ErrOutOfRange

// RangeError is the drivers' shared range error (devices.RangeError).
type RangeError = devices.RangeError
