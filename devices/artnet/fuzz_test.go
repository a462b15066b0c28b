package artnet

import (
	"math"
	"testing"

	"studiodesk/devices"
)

func FuzzParse(f *testing.F) {
	dmx, _ := EncodeArtDmx(nil, 1, 0, 0x1234, []byte{1, 2, 3})
	f.Add(dmx)
	f.Add(EncodeArtPoll(nil))
	f.Add(append(append([]byte("Art-Net\x00"), 0x00, 0x21), make([]byte, 229)...))
	f.Fuzz(func(t *testing.T, p []byte) {
		if d, err := ParseArtDmx(p); err == nil && (len(d.Data) < 2 || len(d.Data) > 512) {
			t.Fatalf("accepted %d slots", len(d.Data))
		}
		if r, err := ParsePollReply(p); err == nil && len(r.Outputs) > 4 {
			t.Fatalf("%d outputs", len(r.Outputs))
		}
	})
}

// FuzzFixture checks that any patch either fails validation or renders
// any target without touching slots outside its footprint.
func FuzzFixture(f *testing.F) {
	f.Add(10, "dimmer", 0, "cct", 1, "red", 2, 80, 5600, 300)
	f.Add(510, "red", 0, "green", 1, "blue", 2, -1, 0, 255)
	f.Fuzz(func(t *testing.T, start int, n1 string, o1 int, n2 string, o2 int, n3 string, o3 int, b, k, c int) {
		fx := Fixture{ID: "x", Start: start, Channels: []Channel{{n1, o1}, {n2, o2}, {n3, o3}}}
		l, err := compile(fx)
		if err != nil {
			return
		}
		s, err := l.resolve(&devices.LightTarget{Brightness: &b, Temperature: &k, Red: &c, Green: &c, Blue: &c}, l.initial())
		if err != nil {
			s = l.initial()
		}
		var frame [MaxSlots]byte
		for _, lv := range []levels{l.levels(s), {math.NaN(), math.Inf(1), -1, 2, 0.5}} {
			l.render(lv, &frame)
		}
		for i, v := range frame {
			if v != 0 && (i < l.first || i > l.last) {
				t.Fatalf("slot %d written outside %d-%d", i+1, l.first+1, l.last+1)
			}
		}
	})
}
