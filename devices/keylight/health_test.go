package keylight_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"studiodesk/devices"
	"studiodesk/devices/keylight"
	"studiodesk/devices/keylight/keylighttest"
)

// Each health state of the one meaning (docs/devices.md, status lights).
func TestHealthStates(t *testing.T) {
	r := newRig(t)
	if h := r.light.Status().Health; h != devices.Connecting {
		t.Fatalf("before any reply: %v, want connecting", h)
	}
	if err := r.apply(devices.LightTarget{On: devices.Ptr(true)}, 0, ""); err != nil {
		t.Fatal(err)
	}
	if h := r.light.Status().Health; h != devices.OK {
		t.Fatalf("after a good command: %v, want ok", h)
	}
	r.srv.SetMode(keylighttest.Unavailable) // answers, refuses
	if err := r.apply(devices.LightTarget{On: devices.Ptr(false)}, 0, ""); err == nil {
		t.Fatal("refused: no error")
	}
	if st := r.light.Status(); st.Health != devices.Degraded || !strings.Contains(st.LastError, "HTTP 503") {
		t.Fatalf("refused: %v %q, want degraded with the reply", st.Health, st.LastError)
	}
	r.srv.SetMode(keylighttest.Unreachable)
	if err := r.apply(devices.LightTarget{On: devices.Ptr(false)}, 0, ""); err == nil {
		t.Fatal("unreachable: no error")
	}
	if h := r.light.Status().Health; h != devices.Down {
		t.Fatalf("unreachable: %v, want down", h)
	}
	r.srv.SetMode(keylighttest.Up)
	if err := r.apply(devices.LightTarget{On: devices.Ptr(false)}, 0, ""); err != nil {
		t.Fatal(err)
	}
	if st := r.light.Status(); st.Health != devices.OK || st.LastError != "" {
		t.Fatalf("back: %v %q", st.Health, st.LastError)
	}
}

// The documented warm and cool ends are accepted and reach the light.
func TestDocumentedKelvinEnds(t *testing.T) {
	r := newRig(t)
	for k, m := range map[int]int{2900: 344, 7000: 143} {
		if err := r.apply(devices.LightTarget{On: devices.Ptr(true), Temperature: devices.Ptr(k)}, 0, ""); err != nil {
			t.Fatalf("%d K: %v", k, err)
		}
		if got := r.srv.State().Temperature; got != m {
			t.Fatalf("%d K reached the light as %d mireds, want %d", k, got, m)
		}
	}
}

// No PUT ever carries a brightness under the light's minimum of 3: fades
// in from off and out to off, low targets, and 0 % as off.
func TestBrightnessOnTheWireNeverBelowThree(t *testing.T) {
	r := newRig(t)
	r.srv.SetState(keylighttest.LightState{On: 0, Brightness: 40, Temperature: 200})
	r.fade(devices.LightTarget{On: devices.Ptr(true), Brightness: devices.Ptr(20)}, devices.Linear)
	r.fade(devices.LightTarget{On: devices.Ptr(false)}, devices.Linear) // 20 → 2 would be the 9th step
	if err := r.apply(devices.LightTarget{Brightness: devices.Ptr(2)}, 0, ""); err != nil {
		t.Fatal(err)
	}
	if err := r.apply(devices.LightTarget{Brightness: devices.Ptr(0)}, 0, ""); err != nil {
		t.Fatal(err)
	}
	if st := r.srv.State(); st.On != 0 {
		t.Fatalf("0 %%: light %+v, want off", st)
	}
	for _, req := range r.srv.Requests() {
		if req.Method != "PUT" {
			continue
		}
		var b int
		i := strings.Index(req.Body, `"brightness":`)
		if i < 0 {
			continue
		}
		if _, err := fmt.Sscanf(req.Body[i:], `"brightness":%d`, &b); err != nil || b < keylight.MinBrightness {
			t.Fatalf("PUT %s: brightness %d under the light's minimum", req.Body, b)
		}
	}
}

// The prober turns the light green on its own once it is back, and a
// command issued while it waits out its backoff goes out at once.
func TestProberAndCommandDuringBackoff(t *testing.T) {
	srv := keylighttest.NewServer()
	t.Cleanup(srv.Close)
	l, err := keylight.New(keylight.Config{ID: "kl", Name: "补光", Addr: srv.Addr(), Timeout: 200 * time.Millisecond, ProbeInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	waitHealth(t, l, devices.OK) // the first probe reaches it
	srv.SetMode(keylighttest.Unreachable)
	_ = l.Apply(context.Background(), devices.Target{Light: &devices.LightTarget{On: devices.Ptr(true)}})
	if h := l.Status().Health; h != devices.Down {
		t.Fatalf("health %v, want down", h)
	}
	srv.SetMode(keylighttest.Up)
	waitHealth(t, l, devices.OK)

	// Now with a prober that would wait an hour: the recall does not.
	l2, err := keylight.New(keylight.Config{ID: "kl2", Name: "补光2", Addr: srv.Addr(), Timeout: 200 * time.Millisecond, ProbeInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l2.Close() })
	srv.SetMode(keylighttest.Unreachable)
	_ = l2.Apply(context.Background(), devices.Target{Light: &devices.LightTarget{On: devices.Ptr(true)}})
	if h := l2.Status().Health; h != devices.Down {
		t.Fatalf("health %v, want down", h)
	}
	srv.SetMode(keylighttest.Up)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := l2.Apply(ctx, devices.Target{Light: &devices.LightTarget{On: devices.Ptr(true), Brightness: devices.Ptr(70)}}); err != nil {
		t.Fatalf("recall once the light is back: %v", err)
	}
	if st := srv.State(); st.On != 1 || st.Brightness != 70 {
		t.Fatalf("light %+v", st)
	}
}

func waitHealth(t *testing.T, l *keylight.Light, want devices.Health) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for l.Status().Health != want {
		if time.Now().After(deadline) {
			t.Fatalf("health %v, want %v", l.Status(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
