package core

import (
	"context"
	"errors"
	"testing"
	"time"

	"studiodesk/app/fleet"
	"studiodesk/app/fleet/fleettest"
	"studiodesk/studio"
)

func fleetDesk(t *testing.T, dir string, cfg fleet.Config) *App {
	t.Helper()
	o := testOptions(t)
	o.DataDir = dir
	o.Fleet = cfg
	a, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func waitUntil(t *testing.T, d time.Duration, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// In one process: a primary and a standby of studio s1; the standby
// follows the run and the live coupon, takes over when the primary
// closes, and the old primary reopened stays read-only.
func TestStandbyInProcess(t *testing.T) {
	c := fleettest.Start(t, 1, "s1")
	pcfg := c.Desk("s1")
	pcfg.HeartbeatTimeout = time.Second
	scfg := pcfg
	scfg.StandbyFor = "s1"
	pdir, sdir := t.TempDir(), t.TempDir()
	p := fleetDesk(t, pdir, pcfg)
	if _, f := p.Desk.Following(); f {
		t.Fatal("primary started as a follower")
	}
	s := fleetDesk(t, sdir, scfg)
	defer s.Close()
	if _, f := s.Desk.Following(); !f {
		t.Fatal("standby is not a follower")
	}
	ctx := context.Background()
	for _, cmd := range []studio.Command{studio.Start{}, studio.ArmInteraction{ID: "coupon-1"}, studio.FireCoupon{ID: "coupon-1"}} {
		if err := p.Desk.Do(ctx, cmd); err != nil {
			t.Fatalf("%s: %v", cmd.Name(), err)
		}
	}
	if err := s.Desk.Do(ctx, studio.Next{}); !errors.Is(err, studio.ErrStandby) {
		t.Fatalf("standby accepted a command: %v", err)
	}
	pr := p.Desk.Snapshot()
	waitUntil(t, 5*time.Second, "standby follows the run", func() bool {
		sn := s.Desk.Snapshot()
		return sn.Run == pr.Run && len(sn.Anchors) == len(pr.Anchors)
	})
	waitUntil(t, 5*time.Second, "standby follows the coupon", func() bool {
		v, ok := s.Desk.Interactions().Get("coupon-1")
		return ok && v.State == "live"
	})
	p.Close()
	killed := time.Now()
	waitUntil(t, 5*time.Second, "standby takes over", func() bool { _, f := s.Desk.Following(); return !f })
	t.Logf("takeover after %v", time.Since(killed))
	now := time.Now()
	got := s.Desk.Snapshot().State(now)
	want := pr.State(now)
	if got.Segment != want.Segment || (got.SegmentElapsed-want.SegmentElapsed).Abs() > 50*time.Millisecond {
		t.Fatalf("timer: standby %+v, primary's anchors %+v", got, want)
	}
	if err := s.Desk.Do(ctx, studio.Next{}); err != nil {
		t.Fatalf("new primary refuses: %v", err)
	}
	p2 := fleetDesk(t, pdir, pcfg)
	defer p2.Close()
	if _, f := p2.Desk.Following(); !f {
		t.Fatal("old primary restarted is not read-only")
	}
	if err := p2.Desk.Do(ctx, studio.Next{}); !errors.Is(err, studio.ErrStandby) {
		t.Fatalf("old primary accepted a command: %v", err)
	}
}
