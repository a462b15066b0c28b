package fleet_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"studiodesk/app/fleet"
	"studiodesk/app/fleet/fleettest"
	"studiodesk/studio/store"
)

// The publisher follows the desk's role: a producer's desk and a standby
// publish nothing and judge nothing; the primary publishes everything,
// with its desk log under its own name; a primary that becomes a follower
// stops at once.
func TestEvidenceFollowsTheRole(t *testing.T) {
	c := fleettest.Start(t, 1, "s1")
	_, ajs := c.Agency()
	s := fleet.Studio{ID: "s1"}
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	appendN(t, st, "run-a", 12)
	appendN(t, st, fleet.DeskLog, 3)
	nc, _, err := c.Desk("s1").Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var role atomic.Value
	role.Store("producer")
	const fp = "ab12 cd34 ef56 7890 1111 2222 3333 4444"
	ev, err := fleet.NewEvidence(context.Background(), fleet.EvidenceConfig{Store: st, Conn: nc, Studio: s, DeskKey: fp, Poll: 20 * time.Millisecond,
		Role: func() string { return role.Load().(string) }})
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, r := range []string{"producer", fleet.RoleStandby} {
		role.Store(r)
		time.Sleep(300 * time.Millisecond)
		if got := ev.Status(); got.Active || got.Published != 0 || got.Unpublished != 0 || len(got.Divergences) != 0 {
			t.Fatalf("%s desk: evidence %+v", r, got)
		}
		if logs, err := fleet.HubLogs(ctx, ajs, s); err != nil || len(logs) != 0 {
			t.Fatalf("%s desk: the hub holds %v (%v)", r, logs, err)
		}
	}
	role.Store(fleet.RolePrimary)
	if err := ev.WaitPublished(ctx); err != nil {
		t.Fatal(err)
	}
	logs, err := fleet.HubLogs(ctx, ajs, s)
	if err != nil || logs["run-a"] != 12 || logs["desk-ab12cd34"] != 3 || len(logs) != 2 {
		t.Fatalf("primary: hub logs %v (%v)", logs, err)
	}
	role.Store(fleet.RoleStandby)
	time.Sleep(300 * time.Millisecond)
	appendN(t, st, "run-a", 5)
	time.Sleep(300 * time.Millisecond)
	if got := ev.Status(); got.Active || got.Published != 15 {
		t.Fatalf("demoted: evidence %+v", got)
	}
	if logs, _ := fleet.HubLogs(ctx, ajs, s); logs["run-a"] != 12 {
		t.Fatalf("demoted desk published: %v", logs)
	}
}

func TestDeskLogWireNames(t *testing.T) {
	const fp = "AB12 cd34 ef56 7890"
	if w := fleet.WireLog(fleet.DeskLog, fp); w != "desk-ab12cd34" {
		t.Fatalf("wire %q", w)
	}
	if w := fleet.WireLog("run-1", fp); w != "run-1" {
		t.Fatalf("run renamed: %q", w)
	}
	for wire, want := range map[string]struct {
		show string
		mine bool
	}{"desk-ab12cd34": {"desk", true}, "desk-00000000": {"desk-00000000", false}, "desk": {"desk", true}, "desk-xyz": {"desk-xyz", true}, "run-a": {"run-a", true}} {
		if show, mine := fleet.LocalLog(wire, fp); show != want.show || mine != want.mine {
			t.Errorf("LocalLog(%q) = %q %v, want %q %v", wire, show, mine, want.show, want.mine)
		}
	}
}
