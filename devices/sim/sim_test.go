package sim_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"studiodesk/devices"
	"studiodesk/devices/obs"
	"studiodesk/devices/sim"
)

// fakeClock is a settable clock for fades.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 11, 11, 20, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func bg(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func wantErr(t *testing.T, err error, target error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v %q", target, parts)
	}
	if target != nil && !errors.Is(err, target) {
		t.Errorf("error %q is not %v", err, target)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q lacks %q", err, p)
		}
	}
}

func TestCameraRecallAndAbsolute(t *testing.T) {
	c := sim.NewCamera("cam1", "A机位")
	c.SetLatency(0)
	var changes atomic.Int32
	c.OnChange(func() { changes.Add(1) })
	if c.ID() != "cam1" || c.Name() != "A机位" || c.Kind() != devices.KindCamera || c.Status().Health != devices.OK {
		t.Fatalf("identity/status: %s %s %s %v", c.ID(), c.Name(), c.Kind(), c.Status())
	}
	if err := c.StorePreset(3, 100, -20, 5000); err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(bg(t), devices.Target{Camera: &devices.CameraTarget{Preset: 3}}); err != nil {
		t.Fatal(err)
	}
	if st := c.State(); st != (sim.CameraState{Preset: 3, Pan: 100, Tilt: -20, Zoom: 5000}) {
		t.Errorf("after recall: %+v", st)
	}
	got, err := c.Capture(bg(t))
	if err != nil || got.Camera == nil || *got.Camera != (devices.CameraTarget{Preset: 3}) {
		t.Errorf("Capture = %+v, %v", got.Camera, err)
	}
	if err := c.Apply(bg(t), devices.Target{Camera: &devices.CameraTarget{Absolute: true, Pan: -2448, Tilt: 1296, Zoom: 0x4000}}); err != nil {
		t.Fatal(err)
	}
	got, _ = c.Capture(bg(t))
	if *got.Camera != (devices.CameraTarget{Absolute: true, Pan: -2448, Tilt: 1296, Zoom: 0x4000}) {
		t.Errorf("Capture after absolute = %+v", got.Camera)
	}
	if changes.Load() != 2 {
		t.Errorf("OnChange called %d times for 2 moves", changes.Load())
	}
}

func TestCameraValidation(t *testing.T) {
	c := sim.NewCamera("cam1", "A机位")
	c.SetLatency(0)
	ctx := bg(t)
	cases := []struct {
		target devices.CameraTarget
		parts  []string
	}{
		{devices.CameraTarget{Preset: 129}, []string{`camera "A机位" (sim): preset: value 129`, "1-128"}},
		{devices.CameraTarget{Preset: -1}, []string{"preset: value -1 out"}},
		{devices.CameraTarget{Absolute: true, Zoom: 0x4001}, []string{"zoom: value 16385 out"}},
		{devices.CameraTarget{Absolute: true, Pan: 3000}, []string{"pan: value 3000 out"}},
		{devices.CameraTarget{Absolute: true, Tilt: -500}, []string{"tilt: value -500 out"}},
		{devices.CameraTarget{Preset: 1, Speed: 99}, []string{"speed: value 99 out"}},
	}
	for _, tc := range cases {
		wantErr(t, c.Apply(ctx, devices.Target{Camera: &tc.target}), devices.ErrOutOfRange, tc.parts...)
	}
	wantErr(t, c.Apply(ctx, devices.Target{Camera: &devices.CameraTarget{}}), nil, "neither a preset nor")
	wantErr(t, c.Apply(ctx, devices.Target{Camera: &devices.CameraTarget{Preset: 2, Absolute: true}}), nil, "both preset 2")
	wantErr(t, c.Apply(ctx, devices.Target{Scene: &devices.SceneTarget{Name: "x"}}), devices.ErrWrongKind, `camera "A机位"`)
	if st := c.State(); st != (sim.CameraState{}) {
		t.Errorf("invalid targets moved the camera: %+v", st)
	}
	wantErr(t, c.StorePreset(0, 0, 0, 0), devices.ErrOutOfRange, "preset: value 0 out")
}

func TestLatencyHonoursContext(t *testing.T) {
	c := sim.NewCamera("cam1", "A机位")
	c.SetLatency(time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := c.Apply(ctx, devices.Target{Camera: &devices.CameraTarget{Preset: 1}})
	wantErr(t, err, context.DeadlineExceeded, "recall preset 1")
	if !errors.Is(err, devices.ErrTimeout) {
		t.Errorf("%v is not ErrTimeout", err)
	}
	if time.Since(start) > 30*time.Second {
		t.Errorf("Apply ignored the context")
	}
	if c.State().Preset != 0 {
		t.Errorf("a timed-out recall moved the camera")
	}

	// The default latency is really spent.
	d := sim.NewCamera("cam2", "B机位")
	start = time.Now()
	if err := d.Apply(bg(t), devices.Target{Camera: &devices.CameraTarget{Preset: 1}}); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 20*time.Millisecond {
		t.Errorf("default camera latency not simulated: %v", el)
	}
	if d.Status().RTT != 20*time.Millisecond {
		t.Errorf("RTT = %v", d.Status().RTT)
	}
}

func TestFailureInjection(t *testing.T) {
	l := sim.NewLight("key", "主光")
	l.SetLatency(0)
	var changes atomic.Int32
	l.OnChange(func() { changes.Add(1) })
	on := devices.Target{Light: &devices.LightTarget{On: devices.Ptr(true), Brightness: devices.Ptr(80)}}

	boom := errors.New("DMX node rebooting")
	l.FailNext(boom)
	l.FailNext(nil)
	wantErr(t, l.Apply(bg(t), on), boom, `light "主光" (sim): set: DMX node rebooting`)
	if st := l.Status(); st.Health != devices.Degraded || !strings.Contains(st.LastError, "DMX node rebooting") {
		t.Errorf("status after injected failure: %+v", st)
	}
	wantErr(t, l.Apply(bg(t), on), nil, "injected failure")
	if l.State().On {
		t.Errorf("a failed Apply changed the light")
	}
	if err := l.Apply(bg(t), on); err != nil {
		t.Fatalf("third Apply: %v", err)
	}
	if st := l.State(); !st.On || st.Brightness != 80 || l.Status().Health != devices.OK {
		t.Errorf("after recovery: %+v %v", st, l.Status())
	}

	l.SetDown(true)
	if st := l.Status(); st.Health != devices.Down || !strings.Contains(st.LastError, "link down") {
		t.Errorf("status while down: %+v", st)
	}
	wantErr(t, l.Apply(bg(t), on), sim.ErrSimulatedDown, `light "主光" (sim)`)
	if _, err := l.Capture(bg(t)); !errors.Is(err, devices.ErrTimeout) {
		t.Errorf("Capture while down = %v", err)
	}
	l.SetDown(false)
	if err := l.Apply(bg(t), on); err != nil || l.Status().Health != devices.OK {
		t.Errorf("after SetDown(false): %v %v", err, l.Status())
	}
	if changes.Load() < 4 {
		t.Errorf("OnChange called %d times", changes.Load())
	}

	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	wantErr(t, l.Apply(bg(t), on), devices.ErrClosed)
	if l.Status().Health != devices.Down {
		t.Errorf("status after Close: %v", l.Status())
	}
}

func TestLightFadeOnClock(t *testing.T) {
	clk := newFakeClock()
	l := sim.NewLight("key", "主光")
	l.SetLatency(0)
	l.SetClock(clk.Now)
	ctx := bg(t)
	if err := l.Apply(ctx, devices.Target{Light: &devices.LightTarget{On: devices.Ptr(true), Brightness: devices.Ptr(0), Temperature: devices.Ptr(3200)}}); err != nil {
		t.Fatal(err)
	}
	if st := l.State(); !st.On || st.Brightness != 0 || st.Temperature != 3200 || st.Fading || st.Progress != 1 {
		t.Fatalf("instant set: %+v", st)
	}

	err := l.Apply(ctx, devices.Target{
		Light: &devices.LightTarget{Brightness: devices.Ptr(100), Temperature: devices.Ptr(5600)},
		Fade:  2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if st := l.State(); st.Brightness != 0 || !st.Fading || st.Progress != 0 {
		t.Errorf("fade start: %+v", st)
	}
	clk.Advance(500 * time.Millisecond)
	if st := l.State(); st.Brightness != 25 || st.Temperature != 3800 || !st.Fading || st.Progress != 0.25 {
		t.Errorf("a quarter in: %+v", st)
	}
	got, _ := l.Capture(ctx)
	if *got.Light.Brightness != 25 || *got.Light.Temperature != 3800 || !*got.Light.On {
		t.Errorf("Capture mid-fade = %+v", got.Light)
	}

	// A new Apply cancels the running fade and starts from where it got to.
	err = l.Apply(ctx, devices.Target{Light: &devices.LightTarget{Brightness: devices.Ptr(45)}, Fade: time.Second, Curve: devices.SCurve})
	if err != nil {
		t.Fatal(err)
	}
	if st := l.State(); st.Brightness != 25 || st.Temperature != 3800 {
		t.Errorf("retarget start: %+v", st)
	}
	clk.Advance(250 * time.Millisecond) // s-curve at 1/4: 0.15625 of the way
	if st := l.State(); st.Brightness != 28 {
		t.Errorf("s-curve a quarter in: %+v", st)
	}
	clk.Advance(time.Second)
	if st := l.State(); st.Brightness != 45 || st.Temperature != 3800 || st.Fading || st.Progress != 1 {
		t.Errorf("fade end: %+v", st)
	}
}

func TestLightValidation(t *testing.T) {
	l := sim.NewLight("key", "主光")
	l.SetLatency(0)
	ctx := bg(t)
	lt := func(f func(*devices.LightTarget)) devices.Target {
		var x devices.LightTarget
		f(&x)
		return devices.Target{Light: &x}
	}
	wantErr(t, l.Apply(ctx, lt(func(x *devices.LightTarget) { x.Brightness = devices.Ptr(101) })), devices.ErrOutOfRange, `light "主光" (sim): brightness: value 101 out of range 0-100 %`)
	wantErr(t, l.Apply(ctx, lt(func(x *devices.LightTarget) { x.Brightness = devices.Ptr(-1) })), devices.ErrOutOfRange, "brightness: value -1 out")
	wantErr(t, l.Apply(ctx, lt(func(x *devices.LightTarget) { x.Temperature = devices.Ptr(2000) })), devices.ErrOutOfRange, "temperature: value 2000 out of range 2700-6500 K")
	wantErr(t, l.Apply(ctx, lt(func(x *devices.LightTarget) { x.Temperature = devices.Ptr(7000) })), devices.ErrOutOfRange, "temperature: value 7000 out")
	wantErr(t, l.Apply(ctx, lt(func(x *devices.LightTarget) { x.Green = devices.Ptr(256) })), devices.ErrOutOfRange, "green: value 256 out of range 0-255")
	bad := lt(func(x *devices.LightTarget) {})
	bad.Curve = "bounce"
	wantErr(t, l.Apply(ctx, bad), devices.ErrUnsupported, `curve "bounce"`)
	bad = lt(func(x *devices.LightTarget) {})
	bad.Fade = -time.Second
	wantErr(t, l.Apply(ctx, bad), devices.ErrOutOfRange, "fade -1s")
	wantErr(t, l.Apply(ctx, devices.Target{Camera: &devices.CameraTarget{Preset: 1}}), devices.ErrWrongKind)
	if st := l.State(); st.On || st.Brightness != 0 || st.Temperature != 5600 {
		t.Errorf("invalid targets changed the light: %+v", st)
	}
	// Bounds are inclusive.
	ok := lt(func(x *devices.LightTarget) {
		x.Brightness, x.Temperature, x.Red = devices.Ptr(100), devices.Ptr(2700), devices.Ptr(255)
	})
	if err := l.Apply(ctx, ok); err != nil {
		t.Errorf("bounds: %v", err)
	}
}

func TestOBSScenes(t *testing.T) {
	o := sim.NewOBS("obs", "OBS", []string{"开场", "产品特写"})
	o.SetLatency(0)
	var changes atomic.Int32
	o.OnChange(func() { changes.Add(1) })
	ctx := bg(t)
	if o.CurrentScene() != "开场" || o.Kind() != devices.KindOBS {
		t.Fatalf("start: %q %s", o.CurrentScene(), o.Kind())
	}
	if err := o.Apply(ctx, devices.Target{Scene: &devices.SceneTarget{Name: "产品特写"}}); err != nil {
		t.Fatal(err)
	}
	got, err := o.Capture(ctx)
	if err != nil || got.Scene.Name != "产品特写" {
		t.Errorf("Capture = %+v, %v", got, err)
	}
	err = o.Apply(ctx, devices.Target{Scene: &devices.SceneTarget{Name: "抽奖"}})
	wantErr(t, err, nil, "obs \"OBS\" (sim): SetCurrentProgramScene \"抽奖\": code 600 resource not found: No source was found by the name of `抽奖`.")
	var re *obs.RequestError
	if !errors.As(err, &re) || re.Code != obs.StatusResourceNotFound {
		t.Errorf("unknown scene error is not the client's RequestError: %v", err)
	}
	wantErr(t, o.Apply(ctx, devices.Target{Scene: &devices.SceneTarget{}}), devices.ErrOutOfRange, "scene name")
	wantErr(t, o.Apply(ctx, devices.Target{Light: &devices.LightTarget{}}), devices.ErrWrongKind)
	o.SetScenes([]string{"开场", "产品特写", "抽奖"})
	names, err := o.SceneList(ctx)
	if err != nil || len(names) != 3 || names[2] != "抽奖" {
		t.Errorf("SceneList = %q, %v", names, err)
	}
	if err := o.Apply(ctx, devices.Target{Scene: &devices.SceneTarget{Name: "抽奖"}}); err != nil || o.CurrentScene() != "抽奖" {
		t.Errorf("Apply after SetScenes: %v, %q", err, o.CurrentScene())
	}
	if changes.Load() != 3 {
		t.Errorf("OnChange called %d times, want 3 (two switches and a new list)", changes.Load())
	}
}

func TestConcurrentUse(t *testing.T) {
	devs := []devices.Device{sim.NewCamera("c", "C"), sim.NewLight("l", "L"), sim.NewOBS("o", "O", []string{"a"})}
	targets := []devices.Target{
		{Camera: &devices.CameraTarget{Preset: 2}},
		{Light: &devices.LightTarget{Brightness: devices.Ptr(50)}, Fade: time.Millisecond},
		{Scene: &devices.SceneTarget{Name: "a"}},
	}
	var wg sync.WaitGroup
	for i, d := range devs {
		for range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := d.Apply(bg(t), targets[i]); err != nil {
					t.Error(err)
				}
				_ = d.Status()
				if c, ok := d.(devices.Capturer); ok {
					if _, err := c.Capture(bg(t)); err != nil {
						t.Error(err)
					}
				}
			}()
		}
	}
	wg.Wait()
	for _, d := range devs {
		if err := d.Close(); err != nil {
			t.Error(err)
		}
	}
}
