package core

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"studiodesk/app/fleet"
	"studiodesk/app/fleet/fleettest"
	"studiodesk/studio"
	"studiodesk/studio/store"
)

func waitConnected(t *testing.T, a *App, want bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for a.Fleet.Connected() != want {
		if time.Now().After(deadline) {
			t.Fatalf("fleet connected = %v, want %v", a.Fleet.Connected(), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The fleet saved on the settings page is joined at the next start, with
// the flags' wiring (URL, studio, user, password).
func TestOpenJoinsTheSavedFleet(t *testing.T) {
	c := fleettest.Start(t, 1, "s1")
	o := testOptions(t)
	st, err := store.Open(o.DataDir, store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := fleet.SaveSettings(st, c.Desk("s1")); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	a, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.Fleet == nil {
		t.Fatal("saved fleet not joined")
	}
	waitConnected(t, a, true)
	if a.Fleet.Studio.ID != "s1" {
		t.Fatalf("studio %q", a.Fleet.Studio.ID)
	}
}

// Offline first: a hub that is down does not delay or stop the desk; the
// link keeps trying and joins when the hub comes up.
func TestOpenWithTheHubDownStartsAtOnceAndJoinsLater(t *testing.T) {
	port := fleettest.FreePort(t)
	o := testOptions(t)
	o.Fleet = fleet.Config{URL: fmt.Sprintf("nats://127.0.0.1:%d", port), Studio: "s1", User: "studio-s1", Password: fleettest.Password("s1")}
	began := time.Now()
	a, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if d := time.Since(began); d > 3*time.Second {
		t.Fatalf("Open took %v with the hub down", d)
	}
	if a.Fleet == nil || a.Fleet.Connected() {
		t.Fatal("want a link that is not connected")
	}
	if err := a.Desk.Do(context.Background(), studio.Start{}); err != nil {
		t.Fatalf("desk refused to start a show offline: %v", err)
	}
	// Now a hub comes up on that port.
	c := fleettest.StartOn(t, port, "s1")
	_ = c
	waitConnected(t, a, true)
}

// Flags that make no sense without a fleet are refused, naming the flag.
func TestFleetFlagsChecked(t *testing.T) {
	for _, tc := range []struct {
		cfg  fleet.Config
		want string
	}{
		{fleet.Config{Studio: "s1"}, "--studio: needs --fleet"},
		{fleet.Config{URL: "nats://127.0.0.1:1"}, "--fleet: needs --studio"},
		{fleet.Config{URL: "nats://127.0.0.1:1", Studio: "S 1"}, "--studio: studio id"},
		{fleet.Config{URL: "http://x:1", Studio: "s1"}, `scheme "http"`},
		{fleet.Config{URL: "nats://127.0.0.1:1", Studio: "s1", StandbyFor: "s2"}, "--standby-for"},
		{fleet.Config{URL: "nats://127.0.0.1:1", Studio: "s1", NKeyFile: "/nonexistent/seed"}, "--fleet-nkey /nonexistent/seed"},
		{fleet.Config{URL: "nats://127.0.0.1:1", Studio: "s1", User: "u", CredsFile: "x"}, "give one of them"},
	} {
		o := testOptions(t)
		o.Fleet = tc.cfg
		err := o.Check()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want an error with %q", tc.cfg, err, tc.want)
		}
	}
}
