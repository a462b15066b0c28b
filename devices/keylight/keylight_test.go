package keylight_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"studiodesk/devices"
	"studiodesk/devices/keylight"
	"studiodesk/devices/keylight/keylighttest"
)

var t0 = time.Date(2025, 6, 18, 20, 0, 0, 0, time.UTC)

type rig struct {
	t     *testing.T
	srv   *keylighttest.Server
	clock *keylighttest.Clock
	light *keylight.Light
}

func newRig(t *testing.T) *rig {
	t.Helper()
	srv := keylighttest.NewServer()
	t.Cleanup(srv.Close)
	clock := keylighttest.NewClock(t0)
	l, err := keylight.New(keylight.Config{
		ID: "kl1", Name: "补光", Addr: srv.Addr(), Timeout: time.Second,
		Now: clock.Now, NewTicker: clock.NewTicker, StepRate: 10, ProbeInterval: -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return &rig{t: t, srv: srv, clock: clock, light: l}
}

func (r *rig) apply(lt devices.LightTarget, fade time.Duration, curve devices.Curve) error {
	return r.light.Apply(context.Background(), devices.Target{Light: &lt, Fade: fade, Curve: curve})
}

func (r *rig) where() string { return fmt.Sprintf(`light "补光" (%s): `, r.srv.Addr()) }

func body(light string) string { return `{"numberOfLights":1,"lights":[` + light + `]}` }

func TestPutCarriesOnlyTheFieldsSet(t *testing.T) {
	r := newRig(t)
	steps := []struct {
		lt   devices.LightTarget
		want string
	}{
		{devices.LightTarget{On: devices.Ptr(true), Brightness: devices.Ptr(80), Temperature: devices.Ptr(5600)}, `{"on":1,"brightness":80,"temperature":179}`},
		{devices.LightTarget{Brightness: devices.Ptr(0)}, `{"on":0}`}, // 0 % is off: the light's floor is 3
		{devices.LightTarget{Temperature: devices.Ptr(3200)}, `{"temperature":313}`},
		{devices.LightTarget{On: devices.Ptr(false)}, `{"on":0}`},
	}
	for _, s := range steps {
		if err := r.apply(s.lt, 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	got := r.srv.PutBodies()
	if len(got) != len(steps) {
		t.Fatalf("%d PUTs: %q", len(got), got)
	}
	for i, s := range steps {
		if strings.TrimSpace(got[i]) != body(s.want) {
			t.Errorf("PUT %d = %s, want %s", i, got[i], body(s.want))
		}
	}
	if st := r.srv.State(); st != (keylighttest.LightState{On: 0, Brightness: 80, Temperature: 313}) {
		t.Fatalf("light ended %+v", st)
	}
	if h := r.light.Status().Health; h != devices.OK {
		t.Fatalf("health %v", h)
	}
}

func TestKelvinMiredConversion(t *testing.T) {
	for k, m := range map[int]int{5600: 179, 3200: 313, 2903: 344, 7017: 143, 4700: 213, 6500: 154, 2900: 344, 7000: 143} {
		if got := keylight.KelvinToMireds(k); got != m {
			t.Errorf("%d K → %d mireds, want %d", k, got, m)
		}
	}
	if got := keylight.MiredsToKelvin(179); got != 5587 || keylight.KelvinToMireds(got) != 179 {
		t.Errorf("179 mireds → %d K", got)
	}
}

func TestOutOfRangeNamesLightAndFieldAndSendsNothing(t *testing.T) {
	r := newRig(t)
	for _, tc := range []struct {
		lt       devices.LightTarget
		want     string
		sentinel error
	}{
		{devices.LightTarget{Brightness: devices.Ptr(101)}, "brightness: value 101 out of range 0-100 %", devices.ErrOutOfRange},
		{devices.LightTarget{On: devices.Ptr(true), Temperature: devices.Ptr(2899)}, "temperature: value 2899 out of range 2900-7000 K", devices.ErrOutOfRange},
		{devices.LightTarget{Temperature: devices.Ptr(7001)}, "temperature: value 7001 out of range 2900-7000 K", devices.ErrOutOfRange},
		{devices.LightTarget{Temperature: devices.Ptr(0)}, "temperature: value 0 out of range", devices.ErrOutOfRange},
		{devices.LightTarget{Red: devices.Ptr(10)}, "red: the light is white only", devices.ErrUnsupported},
	} {
		err := r.apply(tc.lt, time.Second, "")
		if err == nil || !strings.HasPrefix(err.Error(), r.where()+tc.want) || !errors.Is(err, tc.sentinel) {
			t.Errorf("err = %v\nwant %q wrapping %v", err, r.where()+tc.want, tc.sentinel)
		}
	}
	err := r.light.Apply(context.Background(), devices.Target{Camera: &devices.CameraTarget{Preset: 1}})
	if !errors.Is(err, devices.ErrWrongKind) {
		t.Errorf("camera target: %v", err)
	}
	if reqs := r.srv.Requests(); len(reqs) != 0 {
		t.Fatalf("sent %v", reqs)
	}
}

// fade runs a 1-s fade at 10 steps/s, firing each tick 100 ms apart.
func (r *rig) fade(lt devices.LightTarget, curve devices.Curve) []string {
	r.t.Helper()
	if err := r.apply(lt, time.Second, curve); err != nil {
		r.t.Fatal(err)
	}
	tk, err := r.clock.NextTicker(2 * time.Second)
	if err != nil {
		r.t.Fatal(err)
	}
	if tk.Period != 100*time.Millisecond {
		r.t.Fatalf("step period %v", tk.Period)
	}
	for i := 2; i <= 10; i++ {
		r.clock.Advance(100 * time.Millisecond)
		n := len(r.srv.Requests())
		if err := tk.Fire(); err != nil {
			r.t.Fatal(err)
		}
		if _, err := r.srv.WaitRequests(n+1, 2*time.Second); err != nil {
			r.t.Fatal(err)
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for !tk.Stopped() { // the fade lets go after its last step
		if time.Now().After(deadline) {
			r.t.Fatal("fade still running after its end")
		}
		time.Sleep(time.Millisecond)
	}
	return r.srv.PutBodies()
}

func TestFadeStepsMonotonicallyAndEndsOnTarget(t *testing.T) {
	r := newRig(t)
	r.srv.SetState(keylighttest.LightState{On: 1, Brightness: 20, Temperature: 200})
	puts := r.fade(devices.LightTarget{Brightness: devices.Ptr(80), Temperature: devices.Ptr(5600)}, devices.Linear)

	if reqs := r.srv.Requests(); reqs[0].Method != "GET" || reqs[0].Path != "/elgato/lights" {
		t.Fatalf("first request %+v, want the state read", reqs[0])
	}
	var want []string
	// Brightness 20→80, mireds 200→179, one step per 100 ms; the first
	// step goes out before Apply returns.
	for i, m := range []int{198, 196, 194, 192, 190, 187, 185, 183, 181} {
		want = append(want, body(fmt.Sprintf(`{"brightness":%d,"temperature":%d}`, 20+6*(i+1), m)))
	}
	want = append(want, body(`{"brightness":80,"temperature":179}`))
	if got := trim(puts); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("PUTs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if st := r.srv.State(); st != (keylighttest.LightState{On: 1, Brightness: 80, Temperature: 179}) {
		t.Fatalf("light ended %+v", st)
	}
}

func TestFadeInFromOffSwitchesOnFirst(t *testing.T) {
	r := newRig(t) // off at 20 %
	puts := trim(r.fade(devices.LightTarget{On: devices.Ptr(true), Brightness: devices.Ptr(50)}, devices.SCurve))
	if puts[0] != body(`{"on":1,"brightness":3}`) { // smoothstep(0.1) × 50 = 1.4, raised to the light's minimum
		t.Fatalf("first step %s", puts[0])
	}
	if last := puts[len(puts)-1]; last != body(`{"on":1,"brightness":50}`) {
		t.Fatalf("last step %s", last)
	}
	prev := -1
	for _, p := range puts {
		var b int
		if _, err := fmt.Sscanf(p[strings.Index(p, `"brightness":`):], `"brightness":%d`, &b); err != nil || b < prev {
			t.Fatalf("not monotonic at %s (%v)", p, puts)
		}
		prev = b
	}
}

func TestFadeOutRestoresLevelWhenOff(t *testing.T) {
	r := newRig(t)
	r.srv.SetState(keylighttest.LightState{On: 1, Brightness: 60, Temperature: 200})
	puts := trim(r.fade(devices.LightTarget{On: devices.Ptr(false)}, devices.Linear))
	if puts[0] != body(`{"brightness":54}`) || puts[len(puts)-1] != body(`{"on":0,"brightness":60}`) {
		t.Fatalf("PUTs %v", puts)
	}
	if st := r.srv.State(); st.On != 0 || st.Brightness != 60 {
		t.Fatalf("light ended %+v", st)
	}
}

func TestNewApplyCancelsFade(t *testing.T) {
	r := newRig(t)
	r.srv.SetState(keylighttest.LightState{On: 1, Brightness: 0, Temperature: 200})
	if err := r.apply(devices.LightTarget{Brightness: devices.Ptr(100)}, time.Second, ""); err != nil {
		t.Fatal(err)
	}
	tk, err := r.clock.NextTicker(2 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	r.clock.Advance(200 * time.Millisecond)
	if err := tk.Fire(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.srv.WaitRequests(3, 2*time.Second); err != nil { // GET + 2 steps
		t.Fatal(err)
	}
	// Reverse from 30 % (steps aim one period ahead): the new fade starts
	// there, not at 0 or 100.
	if err := r.apply(devices.LightTarget{Brightness: devices.Ptr(10)}, time.Second, ""); err != nil {
		t.Fatal(err)
	}
	if !tk.Stopped() {
		t.Fatal("old fade still holds its ticker")
	}
	if err := tk.Fire(); err == nil {
		t.Fatal("old fade took a tick")
	}
	got := trim(r.srv.PutBodies())
	want := []string{body(`{"brightness":10}`), body(`{"brightness":30}`), body(`{"brightness":28}`)}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("PUTs %v, want %v", got, want)
	}
	// A plain Apply also stops the second fade.
	if err := r.apply(devices.LightTarget{Brightness: devices.Ptr(42)}, 0, ""); err != nil {
		t.Fatal(err)
	}
	if got := trim(r.srv.PutBodies()); got[len(got)-1] != body(`{"brightness":42}`) || r.srv.State().Brightness != 42 {
		t.Fatalf("PUTs %v", got)
	}
}

func TestHealthDownAndRecovery(t *testing.T) {
	r := newRig(t)
	on := devices.LightTarget{On: devices.Ptr(true)}
	if err := r.apply(on, 0, ""); err != nil {
		t.Fatal(err)
	}
	if st := r.light.Status(); st.Health != devices.OK {
		t.Fatalf("health %v", st.Health)
	}

	r.srv.SetMode(keylighttest.Unreachable)
	err := r.apply(on, 0, "")
	if err == nil || !strings.HasPrefix(err.Error(), r.where()+"PUT /elgato/lights: ") {
		t.Fatalf("err = %v", err)
	}
	if st := r.light.Status(); st.Health != devices.Down || st.LastError != err.Error() {
		t.Fatalf("status %v %q", st.Health, st.LastError)
	}

	r.srv.SetMode(keylighttest.Unavailable)
	err = r.apply(on, 0, "")
	if err == nil || !strings.Contains(err.Error(), "HTTP 503") {
		t.Fatalf("err = %v", err)
	}
	if st := r.light.Status(); st.Health != devices.Degraded {
		t.Fatalf("status %v %q", st.Health, st.LastError)
	}

	r.srv.SetMode(keylighttest.Up)
	if err := r.apply(devices.LightTarget{Brightness: devices.Ptr(33)}, 0, ""); err != nil {
		t.Fatal(err)
	}
	if st := r.light.Status(); st.Health != devices.OK || st.LastError != "" {
		t.Fatalf("after recovery %v %q", st.Health, st.LastError)
	}
	if r.srv.State().Brightness != 33 {
		t.Fatalf("light %+v", r.srv.State())
	}
}

func TestLightLostMidFadeStopsFade(t *testing.T) {
	r := newRig(t)
	r.srv.SetState(keylighttest.LightState{On: 1, Brightness: 0, Temperature: 200})
	if err := r.apply(devices.LightTarget{Brightness: devices.Ptr(100)}, time.Second, ""); err != nil {
		t.Fatal(err)
	}
	tk, err := r.clock.NextTicker(2 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	r.srv.SetMode(keylighttest.Unreachable)
	r.clock.Advance(100 * time.Millisecond)
	if err := tk.Fire(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for !tk.Stopped() {
		if time.Now().After(deadline) {
			t.Fatal("fade kept going after a failed step")
		}
		time.Sleep(time.Millisecond)
	}
	if st := r.light.Status(); st.Health != devices.Down || !strings.HasPrefix(st.LastError, r.where()) {
		t.Fatalf("status %v %q", st.Health, st.LastError)
	}
}

func TestTimeoutHonoursContext(t *testing.T) {
	r := newRig(t)
	r.srv.SetDelay(5 * time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := r.light.Apply(ctx, devices.Target{Light: &devices.LightTarget{On: devices.Ptr(true)}})
	if !errors.Is(err, devices.ErrTimeout) {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("took %v", d)
	}
	if st := r.light.Status(); st.Health != devices.Down {
		t.Fatalf("health %v", st.Health)
	}
}

func TestCaptureReadsState(t *testing.T) {
	r := newRig(t)
	r.srv.SetState(keylighttest.LightState{On: 1, Brightness: 65, Temperature: 179})
	got, err := r.light.Capture(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	lt := got.Light
	if !*lt.On || *lt.Brightness != 65 || *lt.Temperature != 5587 || lt.Red != nil {
		t.Fatalf("captured %+v", *lt)
	}
	// Re-applying the capture sends the same mireds back.
	if err := r.light.Apply(context.Background(), got); err != nil {
		t.Fatal(err)
	}
	if p := trim(r.srv.PutBodies()); p[0] != body(`{"on":1,"brightness":65,"temperature":179}`) {
		t.Fatalf("PUT %v", p)
	}
}

func TestAccessoryInfoAndIdentify(t *testing.T) {
	r := newRig(t)
	info, err := r.light.AccessoryInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.ProductName != "Elgato Key Light" || info.SerialNumber != "BW33J1A02110" || info.DisplayName != "主光" {
		t.Fatalf("info %+v", info)
	}
	if err := r.light.Identify(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r.srv.Identifies() != 1 {
		t.Fatal("identify not received")
	}
	if r.light.ID() != "kl1" || r.light.Name() != "补光" || r.light.Kind() != devices.KindLight {
		t.Fatal("identity")
	}
}

func TestClosedRefuses(t *testing.T) {
	r := newRig(t)
	r.light.Close()
	if err := r.apply(devices.LightTarget{On: devices.Ptr(true)}, 0, ""); !errors.Is(err, devices.ErrClosed) {
		t.Fatalf("err = %v", err)
	}
}

func TestEmulatorRejectsOutOfRangeWith400(t *testing.T) {
	r := newRig(t)
	// The driver never sends such a body; talk to the emulator directly.
	for _, b := range []string{
		body(`{"brightness":101}`), body(`{"temperature":142}`), body(`{"on":2}`),
		`{"numberOfLights":1,"lights":[{"hue":3}]}`, `{"lights":[{"on":1}]}`,
	} {
		req, err := http.NewRequest(http.MethodPut, "http://"+r.srv.Addr()+"/elgato/lights", strings.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("%s → %d, want 400", b, resp.StatusCode)
		}
	}
	if st := r.srv.State(); st != (keylighttest.LightState{On: 0, Brightness: 20, Temperature: 213}) {
		t.Fatalf("state changed to %+v", st)
	}
}

func trim(bodies []string) []string {
	out := make([]string, len(bodies))
	for i, b := range bodies {
		out[i] = strings.TrimSpace(b)
	}
	return out
}
