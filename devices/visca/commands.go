package visca

import (
	"fmt"

	"studiodesk/devices"
)

// Value ranges. Presets: the wire allows a byte, but the number of presets a
// camera stores depends on the model (0-63 is safe, many accept up to 0x7F);
// we accept 1-128 and let the camera answer with an error beyond its range.
const (
	MinPreset       = 1
	MaxPreset       = 128
	MaxPanSpeed     = 0x18
	MaxTiltSpeed    = 0x17
	MinPosition     = -0x8000 // pan/tilt are signed 16-bit on the wire
	MaxPosition     = 0x7FFF
	MaxZoom         = 0xFFFF // four nibbles; optical range is typically 0-0x4000
	presetReset     = 0x00
	presetSet       = 0x01
	presetRecall    = 0x02
	addrCamera      = 0x81
	catCommand      = 0x01
	catInquiry      = 0x09
	groupCamera     = 0x04
	groupPanTilt    = 0x06
	cmdPreset       = 0x3F
	cmdZoomDirect   = 0x47
	cmdAbsolute     = 0x02
	cmdHome         = 0x04
	inqPanTiltPos   = 0x12
	inqZoomPosition = 0x47
)

// checkRange names the field, the value and the range in a
// devices.RangeError.
func checkRange(field string, v, lo, hi int) error {
	return devices.CheckRange(field, v, lo, hi, "")
}

func presetCmd(op byte, n int) ([]byte, error) {
	if err := checkRange("preset", n, MinPreset, MaxPreset); err != nil {
		return nil, err
	}
	return []byte{addrCamera, catCommand, groupCamera, cmdPreset, op, byte(n - 1), terminator}, nil
}

// PresetRecall is "81 01 04 3F 02 pp FF" for the 1-based preset n.
func PresetRecall(n int) ([]byte, error) { return presetCmd(presetRecall, n) }

// PresetSet stores the current position as the 1-based preset n.
func PresetSet(n int) ([]byte, error) { return presetCmd(presetSet, n) }

// PresetReset clears the 1-based preset n.
func PresetReset(n int) ([]byte, error) { return presetCmd(presetReset, n) }

// AbsolutePosition is "81 01 06 02 VV WW 0p 0p 0p 0p 0t 0t 0t 0t FF": move
// to signed pan/tilt at pan speed 1-18h and tilt speed 1-17h. Models that use
// five pan nibbles are not supported.
func AbsolutePosition(panSpeed, tiltSpeed, pan, tilt int) ([]byte, error) {
	if err := checkRange("pan speed", panSpeed, 1, MaxPanSpeed); err != nil {
		return nil, err
	}
	if err := checkRange("tilt speed", tiltSpeed, 1, MaxTiltSpeed); err != nil {
		return nil, err
	}
	if err := checkRange("pan", pan, MinPosition, MaxPosition); err != nil {
		return nil, err
	}
	if err := checkRange("tilt", tilt, MinPosition, MaxPosition); err != nil {
		return nil, err
	}
	b := []byte{addrCamera, catCommand, groupPanTilt, cmdAbsolute, byte(panSpeed), byte(tiltSpeed)}
	b = appendNibbles(b, uint16(int16(pan)))
	b = appendNibbles(b, uint16(int16(tilt)))
	return append(b, terminator), nil
}

// Home is "81 01 06 04 FF".
func Home() []byte {
	return []byte{addrCamera, catCommand, groupPanTilt, cmdHome, terminator}
}

// ZoomDirect is "81 01 04 47 0p 0q 0r 0s FF".
func ZoomDirect(zoom int) ([]byte, error) {
	if err := checkRange("zoom", zoom, 0, MaxZoom); err != nil {
		return nil, err
	}
	b := []byte{addrCamera, catCommand, groupCamera, cmdZoomDirect}
	b = appendNibbles(b, uint16(zoom))
	return append(b, terminator), nil
}

// PanTiltInquiry is "81 09 06 12 FF"; the reply is 90 50 + 8 nibbles + FF.
func PanTiltInquiry() []byte {
	return []byte{addrCamera, catInquiry, groupPanTilt, inqPanTiltPos, terminator}
}

// ZoomInquiry is "81 09 04 47 FF"; the reply is 90 50 + 4 nibbles + FF.
func ZoomInquiry() []byte {
	return []byte{addrCamera, catInquiry, groupCamera, inqZoomPosition, terminator}
}

// DecodePanTilt decodes the data of a pan/tilt inquiry completion (8 nibble
// bytes) into signed positions.
func DecodePanTilt(data []byte) (pan, tilt int, err error) {
	if len(data) != 8 {
		return 0, 0, fmt.Errorf("pan/tilt reply: %w: want 8 nibble bytes, got % X", ErrMalformed, data)
	}
	p, err := nibbles(data[:4])
	if err != nil {
		return 0, 0, fmt.Errorf("pan/tilt reply: pan: %w", err)
	}
	t, err := nibbles(data[4:])
	if err != nil {
		return 0, 0, fmt.Errorf("pan/tilt reply: tilt: %w", err)
	}
	return int(int16(p)), int(int16(t)), nil
}

// DecodeZoom decodes the data of a zoom inquiry completion (4 nibble bytes).
func DecodeZoom(data []byte) (int, error) {
	if len(data) != 4 {
		return 0, fmt.Errorf("zoom reply: %w: want 4 nibble bytes, got % X", ErrMalformed, data)
	}
	z, err := nibbles(data)
	if err != nil {
		return 0, fmt.Errorf("zoom reply: %w", err)
	}
	return int(z), nil
}

func appendNibbles(b []byte, v uint16) []byte {
	return append(b, byte(v>>12)&0x0F, byte(v>>8)&0x0F, byte(v>>4)&0x0F, byte(v)&0x0F)
}

// nibbles joins four 0n bytes; a byte with its high nibble set is malformed.
func nibbles(b []byte) (uint16, error) {
	var v uint16
	for _, x := range b {
		if x > 0x0F {
			return 0, fmt.Errorf("%w: byte %02X is not a nibble", ErrMalformed, x)
		}
		v = v<<4 | uint16(x)
	}
	return v, nil
}
