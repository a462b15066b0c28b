package sim_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"studiodesk/devices"
	"studiodesk/devices/sim"
)

// Each health state of the one meaning (docs/devices.md, status lights),
// for every simulated kind.
func TestHealthStates(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		dev interface {
			devices.Device
			SetConnecting()
			SetDown(bool)
			FailNext(error)
		}
		target devices.Target
	}{
		{sim.NewCamera("cam", "A机位"), devices.Target{Camera: &devices.CameraTarget{Preset: 1}}},
		{sim.NewLight("key", "主光"), devices.Target{Light: &devices.LightTarget{Brightness: devices.Ptr(50)}}},
		{sim.NewOBS("obs", "OBS", []string{"开场"}), devices.Target{Scene: &devices.SceneTarget{Name: "开场"}}},
	} {
		d := tc.dev
		t.Run(string(d.Kind()), func(t *testing.T) {
			defer d.Close()
			if h := d.Status().Health; h != devices.OK {
				t.Fatalf("new: %v, want ok", h)
			}
			d.SetConnecting()
			if h := d.Status().Health; h != devices.Connecting {
				t.Fatalf("connecting: %v", h)
			}
			if err := d.Apply(ctx, tc.target); err != nil {
				t.Fatal(err)
			}
			if h := d.Status().Health; h != devices.OK {
				t.Fatalf("after a good apply: %v, want ok", h)
			}
			d.FailNext(errors.New("refused by the device"))
			if err := d.Apply(ctx, tc.target); err == nil {
				t.Fatal("injected failure: no error")
			}
			if st := d.Status(); st.Health != devices.Degraded || !strings.Contains(st.LastError, "refused by the device") {
				t.Fatalf("refused: %v %q", st.Health, st.LastError)
			}
			d.SetDown(true)
			if err := d.Apply(ctx, tc.target); !errors.Is(err, devices.ErrTimeout) {
				t.Fatalf("down: err = %v", err)
			}
			if h := d.Status().Health; h != devices.Down {
				t.Fatalf("down: %v", h)
			}
			d.SetDown(false)
			if err := d.Apply(ctx, tc.target); err != nil {
				t.Fatal(err)
			}
			if h := d.Status().Health; h != devices.OK {
				t.Fatalf("back: %v", h)
			}
		})
	}
}
