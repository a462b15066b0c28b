package artnet_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"studiodesk/devices"
	"studiodesk/devices/artnet"
	"studiodesk/devices/artnet/artnettest"
)

var t0 = time.Date(2025, 6, 18, 20, 0, 0, 0, time.UTC)

type rig struct {
	t     *testing.T
	clock *artnettest.Clock
	rx    *artnettest.Receiver
	node  *artnet.Node
	tick  *artnettest.Ticker
}

func newRig(t *testing.T, cfg artnet.NodeConfig) *rig {
	t.Helper()
	rx, err := artnettest.NewReceiver()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rx.Close() })
	clock := artnettest.NewClock(t0)
	cfg.Addr, cfg.Clock = rx.Addr(), clock
	if cfg.Name == "" {
		cfg.Name = "台口"
	}
	node, err := artnet.NewNode(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { node.Close() })
	tick, err := clock.WaitTicker(2 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return &rig{t: t, clock: clock, rx: rx, node: node, tick: tick}
}

// frame returns the next frame the receiver got.
func (r *rig) frame() artnettest.Frame {
	r.t.Helper()
	f, err := r.rx.Next(2 * time.Second)
	if err != nil {
		r.t.Fatal(err)
	}
	return f
}

// at moves the clock to t0+d, fires one tick and returns the frame it sent.
func (r *rig) at(d time.Duration) artnettest.Frame {
	r.t.Helper()
	r.clock.Advance(t0.Add(d).Sub(r.clock.Now()))
	if err := r.tick.Fire(); err != nil {
		r.t.Fatal(err)
	}
	return r.frame()
}

func (r *rig) noFrame() {
	r.t.Helper()
	if f, err := r.rx.Next(100 * time.Millisecond); err == nil {
		r.t.Fatalf("unexpected frame seq %d", f.Sequence)
	}
}

// add patches a fixture and consumes the frame that announces it.
func (r *rig) add(f artnet.Fixture) devices.Device {
	r.t.Helper()
	d, err := r.node.AddFixture(f)
	if err != nil {
		r.t.Fatal(err)
	}
	r.frame()
	return d
}

// apply sends a target and returns the immediate frame.
func (r *rig) apply(d devices.Device, tg devices.Target) artnettest.Frame {
	r.t.Helper()
	if err := d.Apply(context.Background(), tg); err != nil {
		r.t.Fatal(err)
	}
	return r.frame()
}

func (r *rig) waitPeriod(want time.Duration) {
	r.t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for r.tick.Period() != want {
		if time.Now().After(deadline) {
			r.t.Fatalf("ticker period %v, want %v", r.tick.Period(), want)
		}
		time.Sleep(time.Millisecond)
	}
}

func bicolor(t *testing.T, id, name string, start int) artnet.Fixture {
	t.Helper()
	f, err := artnet.NewFixture(id, name, "bicolor", start)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func light(on bool, pct, kelvin int) devices.Target {
	return devices.Target{Light: &devices.LightTarget{On: &on, Brightness: &pct, Temperature: &kelvin}}
}

func brightness(pct int, fade time.Duration, curve devices.Curve) devices.Target {
	return devices.Target{Light: &devices.LightTarget{Brightness: &pct}, Fade: fade, Curve: curve}
}

func TestBicolorPresetOnTheWire(t *testing.T) {
	r := newRig(t, artnet.NodeConfig{Universe: 0x0102, Physical: 3})
	key := r.add(bicolor(t, "key", "主光", 10))
	f := r.apply(key, light(true, 80, 5600))

	want := make([]byte, 18+512)
	copy(want, []byte{'A', 'r', 't', '-', 'N', 'e', 't', 0, 0x00, 0x50, 0x00, 0x0E,
		2,          // second packet: the first announced the patch
		3,          // physical
		0x02, 0x01, // SubUni, Net
		0x02, 0x00}) // 512 slots
	want[18+9] = 204  // address 10: 80 % of 255 = 204
	want[18+10] = 195 // address 11: (5600-2700)/(6500-2700)*255 = 194.6
	if string(f.Raw) != string(want) {
		t.Fatalf("frame differs:\n got % x\nwant % x", f.Raw[:40], want[:40])
	}
}

func TestSequenceWrapsFrom255To1(t *testing.T) {
	r := newRig(t, artnet.NodeConfig{})
	r.add(bicolor(t, "key", "主光", 1)) // sequence 1
	want := uint8(2)
	for i := 0; i < 300; i++ {
		f := r.at(time.Duration(i+1) * time.Second)
		if f.Sequence != want {
			t.Fatalf("packet %d: sequence %d, want %d", i+2, f.Sequence, want)
		}
		want++
		if want == 0 {
			want = 1
		}
	}
}

func TestKeepaliveResendsUnchangedFrame(t *testing.T) {
	r := newRig(t, artnet.NodeConfig{Keepalive: 800 * time.Millisecond})
	key := r.add(bicolor(t, "key", "主光", 1))
	first := r.apply(key, light(true, 50, 3200))
	r.waitPeriod(800 * time.Millisecond)
	r.noFrame() // nothing until the ticker fires
	again := r.at(800 * time.Millisecond)
	if string(again.Data) != string(first.Data) || again.Sequence != first.Sequence+1 {
		t.Fatalf("keep-alive seq %d data % x, want seq %d data % x",
			again.Sequence, again.Data[:2], first.Sequence+1, first.Data[:2])
	}
}

func TestDefaultKeepaliveIsOneSecond(t *testing.T) {
	r := newRig(t, artnet.NodeConfig{})
	r.waitPeriod(time.Second)
}

// fadeRun applies a 1-s brightness fade 0→100 % and samples it every 25 ms.
func fadeRun(t *testing.T, curve devices.Curve) []int {
	r := newRig(t, artnet.NodeConfig{})
	key := r.add(bicolor(t, "key", "主光", 1))
	vals := []int{r.apply(key, brightness(100, time.Second, curve)).Slot(1)}
	r.waitPeriod(25 * time.Millisecond) // 40 Hz while fading
	for i := 1; i <= 40; i++ {
		vals = append(vals, r.at(time.Duration(i)*25*time.Millisecond).Slot(1))
	}
	r.waitPeriod(time.Second) // back to keep-alive once landed
	return vals
}

func TestLinearFadeIsMonotonicAndLandsExactly(t *testing.T) {
	v := fadeRun(t, devices.Linear)
	if v[0] != 0 || v[40] != 255 {
		t.Fatalf("start %d end %d, want 0 and 255", v[0], v[40])
	}
	if v[20] != 128 { // half way: 127.5 rounds up
		t.Fatalf("midpoint %d, want 128", v[20])
	}
	for i := 1; i < len(v); i++ {
		if v[i] < v[i-1] {
			t.Fatalf("not monotonic at step %d: %v", i, v)
		}
	}
}

func TestSCurveIsSlowerAtTheEnds(t *testing.T) {
	lin := fadeRun(t, devices.Linear)
	s := fadeRun(t, devices.SCurve)
	if s[40] != 255 || s[20] != lin[20] {
		t.Fatalf("s-curve end %d mid %d (linear mid %d)", s[40], s[20], lin[20])
	}
	for i := 1; i < len(s); i++ {
		if s[i] < s[i-1] {
			t.Fatalf("not monotonic at step %d: %v", i, s)
		}
	}
	// First and last 10 %: smoothstep moves less than the straight line.
	if s[4]-s[0] >= lin[4]-lin[0] || s[40]-s[36] >= lin[40]-lin[36] {
		t.Fatalf("ends: s-curve %d/%d, linear %d/%d", s[4]-s[0], s[40]-s[36], lin[4]-lin[0], lin[40]-lin[36])
	}
	if s[4] != 7 { // 255 * (3·0.1² − 2·0.1³) = 7.14
		t.Fatalf("s-curve at 10%% = %d, want 7", s[4])
	}
}

func TestNewApplyMidFadeContinuesFromInBetween(t *testing.T) {
	r := newRig(t, artnet.NodeConfig{})
	key := r.add(bicolor(t, "key", "主光", 1))
	r.apply(key, brightness(100, time.Second, devices.Linear))
	if v := r.at(500 * time.Millisecond).Slot(1); v != 128 {
		t.Fatalf("half way %d", v)
	}
	// Reverse at 0.5 s: the new fade starts from 50 %, not from 100 % or 0.
	if v := r.apply(key, brightness(0, time.Second, devices.Linear)).Slot(1); v != 128 {
		t.Fatalf("after reversal %d, want 128 (no jump)", v)
	}
	if v := r.at(1000 * time.Millisecond).Slot(1); v != 64 { // 127.5 / 2 = 63.75
		t.Fatalf("quarter into the new fade %d, want 64", v)
	}
	if v := r.at(1500 * time.Millisecond).Slot(1); v != 0 {
		t.Fatalf("end %d, want 0", v)
	}
}

func TestApplyOfOneFieldLeavesOthersFading(t *testing.T) {
	r := newRig(t, artnet.NodeConfig{})
	key := r.add(bicolor(t, "key", "主光", 1))
	r.apply(key, brightness(100, time.Second, devices.Linear))
	r.at(500 * time.Millisecond)
	k := 6500
	f := r.apply(key, devices.Target{Light: &devices.LightTarget{Temperature: &k}})
	if f.Slot(1) != 128 || f.Slot(2) != 255 {
		t.Fatalf("dimmer %d cct %d, want 128 255", f.Slot(1), f.Slot(2))
	}
	if f := r.at(time.Second); f.Slot(1) != 255 {
		t.Fatalf("brightness fade did not finish: %d", f.Slot(1))
	}
}

func TestOutOfRangeNamesFixtureAndFieldAndChangesNothing(t *testing.T) {
	r := newRig(t, artnet.NodeConfig{})
	key := r.add(bicolor(t, "key", "主光", 10))
	before := r.apply(key, light(true, 80, 5600))
	rgb, err := artnet.NewFixture("fill", "补光", "rgb", 20)
	if err != nil {
		t.Fatal(err)
	}
	fill := r.add(rgb)
	where := fmt.Sprintf(`light "主光" (%s universe 0): `, r.rx.Addr())
	for _, tc := range []struct {
		dev      devices.Device
		tg       devices.LightTarget
		want     string
		sentinel error
	}{
		{key, devices.LightTarget{Brightness: devices.Ptr(120)}, where + "brightness: value 120 out of range 0-100 %", devices.ErrOutOfRange},
		{key, devices.LightTarget{Brightness: devices.Ptr(50), Temperature: devices.Ptr(9000)}, where + "temperature: value 9000 out of range 2700-6500 K", devices.ErrOutOfRange},
		{key, devices.LightTarget{Red: devices.Ptr(10)}, where + "red: fixture has no colour channels", devices.ErrUnsupported},
		{fill, devices.LightTarget{Green: devices.Ptr(300)}, fmt.Sprintf(`light "补光" (%s universe 0): green: value 300 out of range 0-255`, r.rx.Addr()), devices.ErrOutOfRange},
		{fill, devices.LightTarget{Temperature: devices.Ptr(5600)}, "temperature: fixture has no \"cct\" channel", devices.ErrUnsupported},
	} {
		err := tc.dev.Apply(context.Background(), devices.Target{Light: &tc.tg})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, tc.sentinel) {
			t.Errorf("err = %v\nwant it to contain %q and wrap %v", err, tc.want, tc.sentinel)
		}
	}
	r.noFrame()
	after := r.at(time.Second) // keep-alive shows the frame as it stands
	if string(after.Data) != string(before.Data) {
		t.Fatalf("frame changed: % x → % x", before.Data[:24], after.Data[:24])
	}
	got, _ := key.(devices.Capturer).Capture(context.Background())
	if *got.Light.Brightness != 80 || *got.Light.Temperature != 5600 {
		t.Fatalf("captured %d %%, %d K", *got.Light.Brightness, *got.Light.Temperature)
	}
}

func TestFixtureValidation(t *testing.T) {
	r := newRig(t, artnet.NodeConfig{})
	r.add(bicolor(t, "key", "主光", 10))
	where := func(name string) string {
		return fmt.Sprintf(`light %q (%s universe 0): `, name, r.rx.Addr())
	}
	for _, tc := range []struct {
		f    artnet.Fixture
		want string
	}{
		{artnet.Fixture{ID: "a", Name: "顶光", Start: 1, Channels: []artnet.Channel{{Name: "strobe"}}}, where("顶光") + `channel "strobe": unknown name`},
		{artnet.Fixture{ID: "a", Name: "顶光", Start: 0, Channels: []artnet.Channel{{Name: "dimmer"}}}, where("顶光") + "start: value 0 out of range 1-512"},
		{artnet.Fixture{ID: "a", Name: "顶光", Start: 513, Channels: []artnet.Channel{{Name: "dimmer"}}}, where("顶光") + "start: value 513 out of range 1-512"},
		{artnet.Fixture{ID: "a", Name: "顶光", Start: 510, Channels: []artnet.Channel{{"red", 0}, {"green", 1}, {"blue", 2}, {"white", 3}}}, where("顶光") + "start: value 510 out of range 1-509 for a 4-slot footprint"},
		{artnet.Fixture{ID: "a", Name: "顶光", Start: 1, Channels: []artnet.Channel{{"dimmer", 0}, {"cct", 0}}}, where("顶光") + `channel "cct": offset 0 already used by "dimmer"`},
		{artnet.Fixture{ID: "a", Name: "顶光", Start: 1, Channels: []artnet.Channel{{"dimmer_fine", 1}}}, where("顶光") + `channel "dimmer_fine": needs a "dimmer" channel`},
		{artnet.Fixture{ID: "a", Name: "顶光", Start: 1, Channels: []artnet.Channel{{"cct", 0}}, MinKelvin: 6500, MaxKelvin: 2700}, where("顶光") + "cct range: 6500-2700 K"},
		{artnet.Fixture{ID: "a", Name: "顶光", Start: 1, Channels: []artnet.Channel{{"dimmer", 0}, {"red", 1}}}, where("顶光") + "channels: red, green and blue go together"},
		{artnet.Fixture{ID: "a", Name: "顶光", Start: 1, Channels: []artnet.Channel{{"white", 0}}}, where("顶光") + "channels: red, green and blue go together"},
		{artnet.Fixture{ID: "b", Name: "逆光", Start: 11, Channels: []artnet.Channel{{"dimmer", 0}}}, where("逆光") + `addresses 11-11 overlap "主光" at 10-11`},
		{artnet.Fixture{ID: "key", Name: "主光2", Start: 100, Channels: []artnet.Channel{{"dimmer", 0}}}, where("主光2") + `id "key" already patched`},
	} {
		_, err := r.node.AddFixture(tc.f)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v\nwant %q", err, tc.want)
		}
	}
	if _, err := artnet.NewFixture("x", "侧光", "moving-head", 1); err == nil || !strings.Contains(err.Error(), `fixture "侧光": profile "moving-head": unknown`) {
		t.Errorf("unknown profile: %v", err)
	}
	r.noFrame()
}

func TestRGBWAndFineDimmerRendering(t *testing.T) {
	r := newRig(t, artnet.NodeConfig{})
	rgbw, err := artnet.NewFixture("bg", "背景", "rgbw", 1)
	if err != nil {
		t.Fatal(err)
	}
	bg := r.add(rgbw)
	f := r.apply(bg, devices.Target{Light: &devices.LightTarget{
		Brightness: devices.Ptr(100), Red: devices.Ptr(255), Green: devices.Ptr(200), Blue: devices.Ptr(100)}})
	// White takes the common 100; RGB keep the rest.
	if got := []int{f.Slot(1), f.Slot(2), f.Slot(3), f.Slot(4)}; fmt.Sprint(got) != "[155 100 0 100]" {
		t.Fatalf("rgbw slots %v", got)
	}
	fine := artnet.Fixture{ID: "spot", Name: "追光", Start: 5, Channels: []artnet.Channel{{"dimmer", 0}, {"dimmer_fine", 1}}}
	spot := r.add(fine)
	f = r.apply(spot, devices.Target{Light: &devices.LightTarget{Brightness: devices.Ptr(80)}})
	if f.Slot(5) != 0xCC || f.Slot(6) != 0xCC { // 0.8 × 65535 = 52428 = 0xCCCC
		t.Fatalf("16-bit dimmer %#x %#x", f.Slot(5), f.Slot(6))
	}
}

func TestOnOffSemantics(t *testing.T) {
	r := newRig(t, artnet.NodeConfig{})
	key := r.add(bicolor(t, "key", "主光", 1))
	if v := r.apply(key, devices.Target{Light: &devices.LightTarget{On: devices.Ptr(true)}}).Slot(1); v != 255 {
		t.Fatalf("on without brightness: %d, want full", v)
	}
	if v := r.apply(key, devices.Target{Light: &devices.LightTarget{On: devices.Ptr(false), Brightness: devices.Ptr(60)}}).Slot(1); v != 0 {
		t.Fatalf("off: %d", v)
	}
	got, err := key.(devices.Capturer).Capture(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if *got.Light.On || *got.Light.Brightness != 0 || *got.Light.Temperature != 2700 || got.Light.Red != nil {
		t.Fatalf("captured %+v", *got.Light)
	}
}

func TestCaptureReportsTargetNotInBetween(t *testing.T) {
	r := newRig(t, artnet.NodeConfig{})
	key := r.add(bicolor(t, "key", "主光", 1))
	r.apply(key, devices.Target{Light: light(true, 70, 4000).Light, Fade: 2 * time.Second})
	r.at(time.Second)
	got, err := key.(devices.Capturer).Capture(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !*got.Light.On || *got.Light.Brightness != 70 || *got.Light.Temperature != 4000 {
		t.Fatalf("captured %+v", *got.Light)
	}
	if key.ID() != "key" || key.Name() != "主光" || key.Kind() != devices.KindLight {
		t.Fatalf("identity %s %s %s", key.ID(), key.Name(), key.Kind())
	}
}

func TestWrongKindClosedAndBadCurve(t *testing.T) {
	r := newRig(t, artnet.NodeConfig{})
	key := r.add(bicolor(t, "key", "主光", 1))
	ctx := context.Background()
	if err := key.Apply(ctx, devices.Target{Scene: &devices.SceneTarget{Name: "x"}}); !errors.Is(err, devices.ErrWrongKind) {
		t.Errorf("scene target: %v", err)
	}
	if err := key.Apply(ctx, brightness(10, time.Second, "bounce")); !errors.Is(err, devices.ErrUnsupported) {
		t.Errorf("bad curve: %v", err)
	}
	if err := r.node.Close(); err != nil {
		t.Fatal(err)
	}
	if err := key.Apply(ctx, brightness(10, 0, "")); !errors.Is(err, devices.ErrClosed) {
		t.Errorf("after close: %v", err)
	}
}

func TestHealthReflectsSendErrors(t *testing.T) {
	r := newRig(t, artnet.NodeConfig{})
	r.add(bicolor(t, "key", "主光", 1))
	if st := r.node.Status(); st.Health != devices.OK {
		t.Fatalf("after a good send: %v %q", st.Health, st.LastError)
	}

	// Port 0 cannot be sent to: every write fails locally.
	clock := artnettest.NewClock(t0)
	bad, err := artnet.NewNode(artnet.NodeConfig{Name: "坏节点", Addr: "127.0.0.1:0", Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	d, err := bad.AddFixture(bicolor(t, "key", "主光", 1))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for d.Status().Health != devices.Degraded {
		if time.Now().After(deadline) {
			t.Fatalf("health %v, want degraded", d.Status().Health)
		}
		time.Sleep(time.Millisecond)
	}
	if msg := d.Status().LastError; !strings.Contains(msg, `art-net node "坏节点" (127.0.0.1:0 universe 0): send:`) {
		t.Fatalf("last error %q", msg)
	}
}

func TestNodeConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		cfg  artnet.NodeConfig
		want string
	}{
		{artnet.NodeConfig{Name: "n", Addr: "127.0.0.1", Universe: 0x8000}, `art-net node "n" (127.0.0.1 universe 32768): universe: value 32768 out of range 0-32767`},
		{artnet.NodeConfig{Name: "n", Addr: "127.0.0.1", FadeRate: 100}, "fade rate: value 100 out of range 1-44 Hz"},
		{artnet.NodeConfig{Name: "n", Addr: "127.0.0.1", Keepalive: 5 * time.Second}, "keepalive: 5s not in (0, 4s]"},
	} {
		n, err := artnet.NewNode(tc.cfg)
		if err == nil {
			n.Close()
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
}
