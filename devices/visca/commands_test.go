package visca

import (
	"bytes"
	"errors"
	"testing"

	"studiodesk/devices"
)

func TestCommandPayloads(t *testing.T) {
	must := func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name string
		got  []byte
		want []byte
	}{
		{"recall 1", must(PresetRecall(1)), []byte{0x81, 0x01, 0x04, 0x3F, 0x02, 0x00, 0xFF}},
		{"recall 128", must(PresetRecall(128)), []byte{0x81, 0x01, 0x04, 0x3F, 0x02, 0x7F, 0xFF}},
		{"set 5", must(PresetSet(5)), []byte{0x81, 0x01, 0x04, 0x3F, 0x01, 0x04, 0xFF}},
		{"reset 5", must(PresetReset(5)), []byte{0x81, 0x01, 0x04, 0x3F, 0x00, 0x04, 0xFF}},
		{"absolute", must(AbsolutePosition(0x18, 0x17, 0x1234, -1)),
			[]byte{0x81, 0x01, 0x06, 0x02, 0x18, 0x17, 0x01, 0x02, 0x03, 0x04, 0x0F, 0x0F, 0x0F, 0x0F, 0xFF}},
		{"absolute extremes", must(AbsolutePosition(1, 1, -0x8000, 0x7FFF)),
			[]byte{0x81, 0x01, 0x06, 0x02, 0x01, 0x01, 0x08, 0x00, 0x00, 0x00, 0x07, 0x0F, 0x0F, 0x0F, 0xFF}},
		{"home", Home(), []byte{0x81, 0x01, 0x06, 0x04, 0xFF}},
		{"zoom", must(ZoomDirect(0x4000)), []byte{0x81, 0x01, 0x04, 0x47, 0x04, 0x00, 0x00, 0x00, 0xFF}},
		{"pan/tilt inquiry", PanTiltInquiry(), []byte{0x81, 0x09, 0x06, 0x12, 0xFF}},
		{"zoom inquiry", ZoomInquiry(), []byte{0x81, 0x09, 0x04, 0x47, 0xFF}},
	}
	for _, tc := range tests {
		if !bytes.Equal(tc.got, tc.want) {
			t.Errorf("%s: got % X, want % X", tc.name, tc.got, tc.want)
		}
	}
}

func TestCommandRanges(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{second(PresetRecall(0)), "preset: value 0 out of range 1-128"},
		{second(PresetRecall(129)), "preset: value 129 out of range 1-128"},
		{second(PresetSet(-3)), "preset: value -3 out of range 1-128"},
		{second(AbsolutePosition(0, 1, 0, 0)), "pan speed: value 0 out of range 1-24"},
		{second(AbsolutePosition(0x19, 1, 0, 0)), "pan speed: value 25 out of range 1-24"},
		{second(AbsolutePosition(1, 0x18, 0, 0)), "tilt speed: value 24 out of range 1-23"},
		{second(AbsolutePosition(1, 1, 0x8000, 0)), "pan: value 32768 out of range -32768 to 32767"},
		{second(AbsolutePosition(1, 1, 0, -0x8001)), "tilt: value -32769 out of range -32768 to 32767"},
		{second(ZoomDirect(-1)), "zoom: value -1 out of range 0-65535"},
		{second(ZoomDirect(0x10000)), "zoom: value 65536 out of range 0-65535"},
	}
	for _, tc := range tests {
		if tc.err == nil || tc.err.Error() != tc.want || !errors.Is(tc.err, devices.ErrOutOfRange) {
			t.Errorf("got %v, want %q wrapping ErrOutOfRange", tc.err, tc.want)
		}
	}
}

func second(_ []byte, err error) error { return err }

func TestDecode(t *testing.T) {
	pan, tilt, err := DecodePanTilt([]byte{0x0F, 0x0F, 0x03, 0x08, 0x00, 0x00, 0x09, 0x06})
	if err != nil || pan != -200 || tilt != 150 {
		t.Errorf("DecodePanTilt = %d, %d, %v; want -200, 150", pan, tilt, err)
	}
	zoom, err := DecodeZoom([]byte{0x01, 0x02, 0x03, 0x04})
	if err != nil || zoom != 0x1234 {
		t.Errorf("DecodeZoom = %#x, %v", zoom, err)
	}
	bad := [][]byte{nil, {1, 2, 3}, {0x10, 0, 0, 0}}
	for _, b := range bad {
		if _, err := DecodeZoom(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeZoom(% X) err = %v", b, err)
		}
	}
	if _, _, err := DecodePanTilt([]byte{0, 0, 0, 0, 0, 0, 0, 0xF0}); !errors.Is(err, ErrMalformed) {
		t.Errorf("DecodePanTilt with a non-nibble: err = %v", err)
	}
}
