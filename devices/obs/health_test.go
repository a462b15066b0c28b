package obs_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"studiodesk/devices"
	"studiodesk/devices/obs"
	"studiodesk/devices/obs/obstest"
)

// Each health state of the one meaning (docs/devices.md, status lights).
func TestHealthStates(t *testing.T) {
	noLeaks(t)
	srv := startServer(t, obstest.Config{})
	srv.SetSilent(true) // accepts the socket, never greets: stays connecting
	c := startClient(t, srv, obs.Config{})
	if h := c.Status().Health; h != devices.Connecting {
		t.Fatalf("before Identified: %v, want connecting", h)
	}
	srv.SetSilent(false)
	srv.DropAll()
	ready(t, c)
	if h := c.Status().Health; h != devices.OK {
		t.Fatalf("identified: %v, want ok", h)
	}
	err := c.Apply(ctxTimeout(t, 5*time.Second), sceneTarget("不存在"))
	var re *obs.RequestError
	if !errors.As(err, &re) {
		t.Fatalf("refused: err = %v", err)
	}
	if st := c.Status(); st.Health != devices.Degraded || !strings.Contains(st.LastError, "code 600") {
		t.Fatalf("refused: %v %q, want degraded with the reason", st.Health, st.LastError)
	}
	if err := c.Apply(ctxTimeout(t, 5*time.Second), sceneTarget("抽奖")); err != nil {
		t.Fatal(err)
	}
	if h := c.Status().Health; h != devices.OK {
		t.Fatalf("after a good request: %v, want ok", h)
	}
	srv.Close()
	eventually(t, "down", func() bool { return c.Status().Health == devices.Down })
	if st := c.Status(); st.LastError == "" {
		t.Fatal("down without the reason")
	}
}

// OBS comes back while the client waits out a long backoff: a recall
// issued then starts a connection at once and succeeds within the recall
// deadline, instead of failing "not connected" until the backoff ends.
func TestRecallDuringBackoffReconnectsAtOnce(t *testing.T) {
	noLeaks(t)
	srv := startServer(t, obstest.Config{})
	addr := srv.Addr()
	c := obs.New(obs.Config{ID: "obs1", Name: "OBS", Addr: addr, ReconnectMin: 10 * time.Second, ReconnectMax: 10 * time.Second})
	t.Cleanup(func() { c.Close() })
	ready(t, c)
	srv.Close()
	eventually(t, "down", func() bool { return c.Status().Health == devices.Down })
	time.Sleep(50 * time.Millisecond) // well inside the 10 s backoff

	back, err := obstest.NewServerAt(obstest.Config{Scenes: testScenes}, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(back.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := c.Apply(ctx, sceneTarget("产品特写")); err != nil {
		t.Fatalf("recall after OBS came back: %v", err)
	}
	t.Logf("recall during backoff took %v", time.Since(start))
	if back.CurrentScene() != "产品特写" {
		t.Fatalf("OBS on %q", back.CurrentScene())
	}
	if h := c.Status().Health; h != devices.OK {
		t.Fatalf("health %v, want ok", h)
	}
	// Still away: the kicked attempt fails and the recall says why, quickly.
	back.Close()
	eventually(t, "down again", func() bool { return c.Status().Health == devices.Down })
	start = time.Now()
	err = c.Apply(ctxTimeout(t, 5*time.Second), sceneTarget("开场"))
	if !errors.Is(err, obs.ErrNotConnected) {
		t.Fatalf("OBS away: err = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("failing took %v", d)
	}
}
