package studio

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"studiodesk/devices"
	"studiodesk/devices/sim"
	"studiodesk/devices/visca"
	"studiodesk/devices/visca/viscatest"
)

// fakeDevice is a scriptable device: apply decides what Apply does; every
// target received is recorded.
type fakeDevice struct {
	id, name string
	kind     devices.Kind
	apply    func(ctx context.Context, t devices.Target) error

	mu  sync.Mutex
	got []devices.Target
}

func (f *fakeDevice) ID() string             { return f.id }
func (f *fakeDevice) Name() string           { return f.name }
func (f *fakeDevice) Kind() devices.Kind     { return f.kind }
func (f *fakeDevice) Status() devices.Status { return devices.Status{Health: devices.OK} }
func (f *fakeDevice) Close() error           { return nil }
func (f *fakeDevice) Apply(ctx context.Context, t devices.Target) error {
	f.mu.Lock()
	f.got = append(f.got, t)
	f.mu.Unlock()
	if f.apply == nil {
		return nil
	}
	return f.apply(ctx, t)
}

func (f *fakeDevice) targets() []devices.Target {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]devices.Target(nil), f.got...)
}

// studio builds a registry of sims with the given latency: cameras A机位
// and B机位, lights 主光 and 轮廓光, OBS.
type simStudio struct {
	reg        *Registry
	camA, camB *sim.Camera
	main, rim  *sim.Light
	obs        *sim.OBS
}

func newSimStudio(t *testing.T, latency time.Duration) *simStudio {
	t.Helper()
	s := &simStudio{
		reg:  NewRegistry(),
		camA: sim.NewCamera("cam-a", "A机位"),
		camB: sim.NewCamera("cam-b", "B机位"),
		main: sim.NewLight("light-main", "主光"),
		rim:  sim.NewLight("light-rim", "轮廓光"),
		obs:  sim.NewOBS("obs", "OBS", []string{"主播全景", "产品特写"}),
	}
	for _, d := range []interface {
		devices.Device
		SetLatency(time.Duration)
	}{s.camA, s.camB, s.main, s.rim, s.obs} {
		d.SetLatency(latency)
		if err := s.reg.Add(d); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _ = s.reg.CloseAll() })
	return s
}

func fullPreset() *Preset {
	return &Preset{ID: "p-close", Name: "产品特写", Targets: map[string]devices.Target{
		"cam-a":      {Camera: &devices.CameraTarget{Preset: 3}},
		"cam-b":      {Camera: &devices.CameraTarget{Absolute: true, Pan: 100, Tilt: -20, Zoom: 3000}},
		"light-main": {Light: &devices.LightTarget{On: devices.Ptr(true), Brightness: devices.Ptr(80), Temperature: devices.Ptr(5600)}},
		"light-rim":  {Light: &devices.LightTarget{On: devices.Ptr(true), Red: devices.Ptr(255), Green: devices.Ptr(40), Blue: devices.Ptr(0)}},
		"obs":        {Scene: &devices.SceneTarget{Name: "产品特写"}},
	}}
}

func resultFor(t *testing.T, res RecallResult, id string) DeviceResult {
	t.Helper()
	for _, r := range res.Results {
		if r.DeviceID == id {
			return r
		}
	}
	t.Fatalf("no result for %s in %+v", id, res.Results)
	return DeviceResult{}
}

func TestRecallAppliesEveryTarget(t *testing.T) {
	s := newSimStudio(t, time.Millisecond)
	res := Recall(context.Background(), s.reg, fullPreset(), 0)
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	if got := s.camA.State(); got.Preset != 3 {
		t.Errorf("A机位 %+v", got)
	}
	if got := s.camB.State(); got.Pan != 100 || got.Tilt != -20 || got.Zoom != 3000 {
		t.Errorf("B机位 %+v", got)
	}
	if got := s.main.State(); !got.On || got.Brightness != 80 || got.Temperature != 5600 {
		t.Errorf("主光 %+v", got)
	}
	if got := s.rim.State(); !got.On || got.Red != 255 || got.Green != 40 {
		t.Errorf("轮廓光 %+v", got)
	}
	if got := s.obs.CurrentScene(); got != "产品特写" {
		t.Errorf("OBS %q", got)
	}
	// Stable order: registry order, every device once.
	var ids []string
	for _, r := range res.Results {
		ids = append(ids, r.DeviceID)
		if r.Took <= 0 || r.Took > res.Took {
			t.Errorf("%s took %v of %v", r.DeviceID, r.Took, res.Took)
		}
	}
	if strings.Join(ids, ",") != "cam-a,cam-b,light-main,light-rim,obs" {
		t.Errorf("order %v", ids)
	}
	if res.Results[0].Name != "A机位" || res.PresetName != "产品特写" || res.PresetID != "p-close" {
		t.Errorf("names %+v", res)
	}
	if res.SentAt.Before(res.Started) || res.SentAt.After(res.Started.Add(res.Took)) {
		t.Errorf("SentAt %v outside [%v, +%v]", res.SentAt, res.Started, res.Took)
	}
	if !res.OK() || len(res.Failed()) != 0 {
		t.Error("OK/Failed disagree with Err")
	}
}

func TestRecallCopiesPresetFadeUnlessTargetSetsItsOwn(t *testing.T) {
	reg := NewRegistry()
	a := &fakeDevice{id: "a", name: "主光", kind: devices.KindLight}
	b := &fakeDevice{id: "b", name: "轮廓光", kind: devices.KindLight}
	for _, d := range []*fakeDevice{a, b} {
		if err := reg.Add(d); err != nil {
			t.Fatal(err)
		}
	}
	p := &Preset{ID: "p", Name: "柔光", Fade: 2 * time.Second, Curve: devices.SCurve, Targets: map[string]devices.Target{
		"a": {Light: &devices.LightTarget{Brightness: devices.Ptr(50)}},
		"b": {Light: &devices.LightTarget{Brightness: devices.Ptr(50)}, Fade: 500 * time.Millisecond, Curve: devices.Linear},
	}}
	if err := Recall(context.Background(), reg, p, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got := a.targets()[0]; got.Fade != 2*time.Second || got.Curve != devices.SCurve {
		t.Errorf("a got fade %v %s", got.Fade, got.Curve)
	}
	if got := b.targets()[0]; got.Fade != 500*time.Millisecond || got.Curve != devices.Linear {
		t.Errorf("b got fade %v %s", got.Fade, got.Curve)
	}
	// The preset is untouched and shares nothing with what was sent.
	if p.Targets["a"].Fade != 0 {
		t.Error("recall wrote into the preset")
	}
	*a.targets()[0].Light.Brightness = 1
	if *p.Targets["a"].Light.Brightness != 50 {
		t.Error("a device's target shares memory with the preset")
	}
}

func TestDeadDeviceDoesNotDelayTheOthers(t *testing.T) {
	s := newSimStudio(t, 5*time.Millisecond)
	release := make(chan struct{})
	defer close(release)
	// A driver that ignores its context altogether.
	dead := &fakeDevice{id: "cam-c", name: "C机位", kind: devices.KindCamera, apply: func(context.Context, devices.Target) error {
		<-release
		return nil
	}}
	if err := s.reg.Add(dead); err != nil {
		t.Fatal(err)
	}
	p := fullPreset()
	p.Targets["cam-c"] = devices.Target{Camera: &devices.CameraTarget{Preset: 1}}

	const perDevice = 300 * time.Millisecond
	begin := time.Now()
	res := Recall(context.Background(), s.reg, p, perDevice)
	elapsed := time.Since(begin)

	for _, r := range res.Results {
		if r.DeviceID == "cam-c" {
			continue
		}
		if r.Err != nil {
			t.Errorf("%s: %v", r.Name, r.Err)
		}
		if r.Took >= 150*time.Millisecond {
			t.Errorf("%s answered after %v: held up by the dead device", r.Name, r.Took)
		}
	}
	d := resultFor(t, res, "cam-c")
	if !errors.Is(d.Err, devices.ErrTimeout) {
		t.Fatalf("dead device: %v, want a timeout", d.Err)
	}
	if msg := d.Err.Error(); !strings.Contains(msg, `preset "产品特写": device "C机位"`) {
		t.Errorf("timeout does not name preset and device: %s", msg)
	}
	if d.Took < perDevice {
		t.Errorf("dead device written off after %v, before its deadline", d.Took)
	}
	// Returned at the deadline, not whenever the dead driver gives up.
	if elapsed > perDevice+time.Second {
		t.Errorf("Recall took %v with a %v per-device deadline", elapsed, perDevice)
	}
	if s.camA.State().Preset != 3 || s.obs.CurrentScene() != "产品特写" {
		t.Error("the others were not applied")
	}
}

func TestDownSimulatorTimesOutNamingTheDevice(t *testing.T) {
	s := newSimStudio(t, 5*time.Millisecond)
	s.camB.SetLatency(10 * time.Second) // the link is gone: no answer before the deadline
	res := Recall(context.Background(), s.reg, fullPreset(), 200*time.Millisecond)
	b := resultFor(t, res, "cam-b")
	if !errors.Is(b.Err, devices.ErrTimeout) || !strings.Contains(b.Err.Error(), `device "B机位"`) {
		t.Fatalf("B机位: %v", b.Err)
	}
	if n := len(res.Failed()); n != 1 {
		t.Fatalf("%d failures, want 1: %v", n, res.Err())
	}
}

func TestFailingDeviceIsReportedAndTheOthersSucceed(t *testing.T) {
	s := newSimStudio(t, time.Millisecond)
	s.main.FailNext(errors.New("DMX node refused the frame"))
	s.camB.SetDown(true)
	res := Recall(context.Background(), s.reg, fullPreset(), 0)
	m := resultFor(t, res, "light-main")
	if m.Err == nil || !strings.Contains(m.Err.Error(), `preset "产品特写": device "主光"`) ||
		!strings.Contains(m.Err.Error(), "DMX node refused the frame") {
		t.Errorf("主光: %v", m.Err)
	}
	b := resultFor(t, res, "cam-b")
	if !errors.Is(b.Err, sim.ErrSimulatedDown) {
		t.Errorf("B机位: %v", b.Err)
	}
	for _, id := range []string{"cam-a", "light-rim", "obs"} {
		if r := resultFor(t, res, id); r.Err != nil {
			t.Errorf("%s: %v", id, r.Err)
		}
	}
	if len(res.Failed()) != 2 || res.OK() {
		t.Errorf("failed %v", res.Failed())
	}
	if s.camA.State().Preset != 3 || s.rim.State().Red != 255 || s.obs.CurrentScene() != "产品特写" {
		t.Error("the healthy devices were not applied")
	}
	if s.main.State().On {
		t.Error("the failed light changed anyway")
	}
}

func TestRecallReportsUnknownAndInvalidTargetsWithoutSending(t *testing.T) {
	reg := NewRegistry()
	cam := &fakeDevice{id: "cam", name: "A机位", kind: devices.KindCamera}
	light := &fakeDevice{id: "light", name: "主光", kind: devices.KindLight}
	_ = reg.Add(cam)
	_ = reg.Add(light)
	p := &Preset{ID: "p", Name: "产品特写", Targets: map[string]devices.Target{
		"cam":   {Camera: &devices.CameraTarget{Preset: 200}},
		"light": {Light: &devices.LightTarget{Brightness: devices.Ptr(60)}},
		"ghost": {Camera: &devices.CameraTarget{Preset: 1}},
	}}
	res := Recall(context.Background(), reg, p, 0)
	c := resultFor(t, res, "cam")
	if !errors.Is(c.Err, ErrInvalidPreset) || !strings.Contains(c.Err.Error(), `preset "产品特写": device "A机位": camera.preset: value 200 out of range 1-128`) {
		t.Errorf("cam: %v", c.Err)
	}
	if len(cam.targets()) != 0 {
		t.Error("an invalid target was sent")
	}
	if g := resultFor(t, res, "ghost"); !errors.Is(g.Err, ErrUnknownDevice) {
		t.Errorf("ghost: %v", g.Err)
	}
	if res.Results[len(res.Results)-1].DeviceID != "ghost" {
		t.Errorf("unknown devices should come last: %+v", res.Results)
	}
	if r := resultFor(t, res, "light"); r.Err != nil || len(light.targets()) != 1 {
		t.Errorf("light: %v (%d sent)", r.Err, len(light.targets()))
	}
}

func TestRecallSurvivesNilAndPanics(t *testing.T) {
	if res := Recall(context.Background(), nil, nil, 0); len(res.Results) != 0 || !res.OK() {
		t.Fatalf("nil preset: %+v", res)
	}
	res := Recall(context.Background(), nil, fullPreset(), 0)
	if !errors.Is(res.Err(), ErrUnknownDevice) {
		t.Fatalf("nil registry: %v", res.Err())
	}
	reg := NewRegistry()
	_ = reg.Add(&fakeDevice{id: "cam-a", name: "A机位", kind: devices.KindCamera, apply: func(context.Context, devices.Target) error {
		panic("driver bug")
	}})
	res = Recall(context.Background(), reg, &Preset{ID: "p", Name: "x", Targets: map[string]devices.Target{
		"cam-a": {Camera: &devices.CameraTarget{Preset: 1}}}}, 0)
	if !errors.Is(res.Err(), ErrDevicePanic) {
		t.Fatalf("panicking driver: %v", res.Err())
	}
}

func TestNewRecallCancelsThePreviousOne(t *testing.T) {
	reg := NewRegistry()
	started := make(chan struct{}, 4)
	observed := make(chan error, 4)
	slow := &fakeDevice{id: "light", name: "主光", kind: devices.KindLight, apply: func(ctx context.Context, t devices.Target) error {
		if *t.Light.Brightness != 10 {
			return nil // the second recall: accept at once
		}
		started <- struct{}{}
		<-ctx.Done() // a long fade, abandoned only when cancelled
		observed <- ctx.Err()
		return ctx.Err()
	}}
	_ = reg.Add(slow)
	preset := func(b int) *Preset {
		return &Preset{ID: "p", Name: "渐变", Targets: map[string]devices.Target{"light": {Light: &devices.LightTarget{Brightness: devices.Ptr(b)}}}}
	}
	var rc Recaller
	first := make(chan RecallResult, 1)
	go func() { first <- rc.Recall(context.Background(), reg, preset(10), time.Minute) }()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("first recall never reached the device")
	}
	second := rc.Recall(context.Background(), reg, preset(90), 0)
	select {
	case err := <-observed:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("the slow device saw %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the first recall's context was never cancelled")
	}
	if err := second.Err(); err != nil || second.Superseded {
		t.Fatalf("second recall: %v superseded=%v", err, second.Superseded)
	}
	var r1 RecallResult
	select {
	case r1 = <-first:
	case <-time.After(10 * time.Second):
		t.Fatal("the first recall did not return after being cancelled")
	}
	if !r1.Superseded || r1.Seq >= second.Seq {
		t.Errorf("first: superseded=%v seq %d vs %d", r1.Superseded, r1.Seq, second.Seq)
	}
	if !errors.Is(r1.Err(), context.Canceled) {
		t.Errorf("first recall error %v", r1.Err())
	}
	got := slow.targets()
	if len(got) != 2 || *got[1].Light.Brightness != 90 {
		t.Errorf("targets sent %d", len(got))
	}
	rc.Cancel() // nothing running: harmless
}

func TestRecallerCancelStopsARunningRecall(t *testing.T) {
	reg := NewRegistry()
	_ = reg.Add(&fakeDevice{id: "cam", name: "A机位", kind: devices.KindCamera, apply: func(ctx context.Context, _ devices.Target) error {
		<-ctx.Done()
		return ctx.Err()
	}})
	var rc Recaller
	done := make(chan RecallResult, 1)
	go func() {
		done <- rc.Recall(context.Background(), reg, &Preset{ID: "p", Name: "x", Targets: map[string]devices.Target{
			"cam": {Camera: &devices.CameraTarget{Preset: 1}}}}, time.Minute)
	}()
	// Cancel until the recall has registered its context and returned.
	for {
		rc.Cancel()
		select {
		case res := <-done:
			if !errors.Is(res.Err(), context.Canceled) {
				t.Fatalf("cancelled recall: %v", res.Err())
			}
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// TestCameraGoesAwayAndComesBack drives a real VISCA camera against the
// emulator: power lost → only that camera fails; power back → the next
// recall works with no user action.
func TestCameraGoesAwayAndComesBack(t *testing.T) {
	emu, err := viscatest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Stop()
	emu.StorePreset(2, 200, 20, 2000)
	emu.StorePreset(5, 500, 50, 5000)
	cam, err := visca.New(visca.Config{ID: "cam-a", Name: "A机位", Addr: emu.Addr(),
		ReplyTimeout: 40 * time.Millisecond, Retries: 1, ProbeInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	reg := NewRegistry()
	defer reg.CloseAll()
	light := sim.NewLight("light-main", "主光")
	light.SetLatency(time.Millisecond)
	for _, d := range []devices.Device{cam, light} {
		if err := reg.Add(d); err != nil {
			t.Fatal(err)
		}
	}
	preset := func(n, b int) *Preset {
		return &Preset{ID: "p", Name: "产品特写", Targets: map[string]devices.Target{
			"cam-a":      {Camera: &devices.CameraTarget{Preset: n}},
			"light-main": {Light: &devices.LightTarget{Brightness: devices.Ptr(b)}},
		}}
	}
	ctx := context.Background()
	if err := Recall(ctx, reg, preset(2, 30), 2*time.Second).Err(); err != nil {
		t.Fatalf("camera up: %v", err)
	}
	if pan, _, _ := emu.Position(); pan != 200 {
		t.Fatalf("camera at pan %d", pan)
	}

	emu.Stop()
	res := Recall(ctx, reg, preset(5, 40), 300*time.Millisecond)
	c := resultFor(t, res, "cam-a")
	if c.Err == nil || !strings.Contains(c.Err.Error(), `device "A机位"`) {
		t.Fatalf("camera off: %v", c.Err)
	}
	if !errors.Is(c.Err, devices.ErrTimeout) {
		t.Errorf("camera off: %v is not a timeout", c.Err)
	}
	if l := resultFor(t, res, "light-main"); l.Err != nil {
		t.Fatalf("the light failed with the camera: %v", l.Err)
	}
	if light.State().Brightness != 40 {
		t.Error("light not applied while the camera was off")
	}

	if err := emu.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := Recall(ctx, reg, preset(5, 50), 2*time.Second).Err(); err != nil {
		t.Fatalf("camera back: %v", err)
	}
	if pan, tilt, zoom := emu.Position(); pan != 500 || tilt != 50 || zoom != 5000 {
		t.Fatalf("camera at %d/%d/%d after coming back", pan, tilt, zoom)
	}
	if h := cam.Status().Health; h != devices.OK {
		t.Errorf("camera health %v after a good recall", h)
	}
}

func TestCaptureReadsDevicesBack(t *testing.T) {
	s := newSimStudio(t, time.Millisecond)
	if err := Recall(context.Background(), s.reg, fullPreset(), 0).Err(); err != nil {
		t.Fatal(err)
	}
	noCap := &fakeDevice{id: "old", name: "老灯", kind: devices.KindLight}
	_ = s.reg.Add(noCap)
	got, errs := Capture(context.Background(), s.reg, []string{"cam-a", "light-main", "obs", "old", "ghost"})
	if len(errs) != 2 || !errors.Is(errs[0], devices.ErrUnsupported) || !strings.Contains(errs[0].Error(), `"老灯"`) ||
		!errors.Is(errs[1], ErrUnknownDevice) {
		t.Fatalf("errors %v", errs)
	}
	if c := got["cam-a"].Camera; c == nil || c.Preset != 3 {
		t.Errorf("cam-a %+v", got["cam-a"])
	}
	if l := got["light-main"].Light; l == nil || *l.Brightness != 80 || *l.Temperature != 5600 || !*l.On {
		t.Errorf("light-main %+v", got["light-main"])
	}
	if sc := got["obs"].Scene; sc == nil || sc.Name != "产品特写" {
		t.Errorf("obs %+v", got["obs"])
	}
	// A captured preset is a valid preset that recalls to the same state.
	p := &Preset{ID: "cap", Name: "采集", Targets: got}
	if err := p.Validate(s.reg); err != nil {
		t.Fatal(err)
	}

	// No ids: every device; a dead one times out without holding the rest.
	s.camB.SetLatency(time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	all, errs := Capture(ctx, s.reg, nil)
	if len(all) != 4 {
		t.Errorf("captured %d devices, want 4", len(all))
	}
	var timedOut bool
	for _, e := range errs {
		if errors.Is(e, devices.ErrTimeout) && strings.Contains(e.Error(), `"B机位"`) {
			timedOut = true
		}
	}
	if !timedOut {
		t.Errorf("B机位 not reported as timed out: %v", errs)
	}
}
