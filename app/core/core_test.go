package core

import (
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"studiodesk/studio"
	"studiodesk/studio/remote"
	"studiodesk/studio/store"
)

func testOptions(t *testing.T) Options {
	t.Helper()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var o Options
	o.Register(fs)
	if err := fs.Parse([]string{"--data", t.TempDir(), "--overlay", "127.0.0.1:0", "--remote-addr", "127.0.0.1:0", "--sim-rate", "20"}); err != nil {
		t.Fatal(err)
	}
	o.OSCAddr = remote.OSCOff
	return o
}

// TestOpenBuildsTheWholeDesk opens the composition root as the GUI and
// serve do: demo studio seeded, demo show loaded, danmaku flowing from
// the simulator to the hooks, remote server started and stopped, and
// Close leaves a store another desk can open at once.
func TestOpenBuildsTheWholeDesk(t *testing.T) {
	o := testOptions(t)
	a, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		if !closed {
			a.Close()
		}
	})
	if len(a.Devices) == 0 || a.Presets.Len() == 0 {
		t.Fatalf("demo studio not seeded: %d devices, %d presets", len(a.Devices), a.Presets.Len())
	}
	snap := a.Desk.Snapshot()
	if snap == nil || snap.Show == nil || len(snap.Show.Segments) == 0 {
		t.Fatal("no show loaded")
	}
	if a.OverlayURL("danmaku") == "" {
		t.Fatal("overlay not started")
	}
	lines := make(chan struct{}, 1)
	a.OnDanmaku(func() {
		select {
		case lines <- struct{}{}:
		default:
		}
	})
	select {
	case <-lines:
	case <-time.After(5 * time.Second):
		t.Fatal("no danmaku line reached the hook in 5 s at 20/s")
	}
	srv, err := a.StartRemote()
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := a.StartRemote(); again != srv || a.Remote() != srv {
		t.Fatal("StartRemote is not idempotent")
	}
	a.StopRemote()
	if a.Remote() != nil {
		t.Fatal("remote still running")
	}
	if err := a.Desk.Do(context.Background(), studio.Start{}); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	closed = true
	st, err := store.Open(o.DataDir, store.Options{Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatalf("store still locked after Close: %v", err)
	}
	defer st.Close()
	runs, err := st.Shows()
	if err != nil || len(runs) == 0 {
		t.Fatalf("no show log after a started show: %v %v", runs, err)
	}
}

func TestSecondDeskOnTheSameDataFailsFast(t *testing.T) {
	o := testOptions(t)
	a, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	start := time.Now()
	if _, err := Open(o); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("second desk: %v, want ErrLocked", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("second desk took %v to fail", d)
	}
}

func TestPprofIsLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:6060", "192.168.1.20:6060", ":6060", "example.com:6060", "127.0.0.1"} {
		o := testOptions(t)
		o.Pprof = addr
		if _, err := Open(o); err == nil || !strings.Contains(err.Error(), "--pprof") {
			t.Errorf("--pprof %s: %v, want a refusal naming --pprof", addr, err)
		}
	}
	o := testOptions(t)
	o.Pprof = "127.0.0.1:0"
	a, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	resp, err := http.Get("http://" + a.pprof.ln.Addr().String() + MetricsPath)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"alloc_bytes"`) {
		t.Fatalf("metrics: %s", body)
	}
	resp, err = http.Get("http://" + a.pprof.ln.Addr().String() + "/debug/pprof/heap?debug=1")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("heap profile: %v %v", resp, err)
	}
	resp.Body.Close()
}
