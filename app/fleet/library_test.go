package fleet_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"testing"
	"time"

	"studiodesk/app/core"
	"studiodesk/app/fleet"
	"studiodesk/app/fleet/fleettest"
	"studiodesk/studio"
)

// libOpenDesk opens a real headless desk the way the app does: from its
// flags, with the studio's fleet credentials. The first such desk of a
// studio is its primary (the studio PC: it takes the lease); a second
// one would be a read-only follower, so a test's second desk that edits
// is a producer desk (libOpenProducer).
func libOpenDesk(t *testing.T, c *fleettest.Cluster, studioID string) *core.App {
	t.Helper()
	return libOpenDeskAt(t, c, studioID, t.TempDir())
}

// libOpenProducer opens a producer desk of the studio (--fleet-producer):
// it edits and syncs, and never contends for the lease.
func libOpenProducer(t *testing.T, c *fleettest.Cluster, studioID string) *core.App {
	t.Helper()
	a := libOpenDeskAt(t, c, studioID, t.TempDir(), "--fleet-producer")
	if r := fleet.StandbyPart(a.Fleet).Role(); r != "producer" {
		t.Fatalf("a desk opened with --fleet-producer has role %q", r)
	}
	return a
}

func libOpenDeskAt(t *testing.T, c *fleettest.Cluster, studioID, dir string, extra ...string) *core.App {
	t.Helper()
	fs := flag.NewFlagSet("desk", flag.ContinueOnError)
	var o core.Options
	o.Register(fs)
	cfg := c.Desk(studioID)
	if err := fs.Parse(append([]string{"--data", dir, "--rehearsal", "--overlay", "127.0.0.1:0", "--remote-addr", "127.0.0.1:0",
		"--osc-addr", "off", "--sim-profile", "quiet", "--sim-rate", "1",
		"--fleet", cfg.URL, "--studio", studioID, "--fleet-user", cfg.User, "--fleet-password", cfg.Password}, extra...)); err != nil {
		t.Fatal(err)
	}
	a, err := core.Open(o)
	if err != nil {
		t.Fatalf("open desk: %v", err)
	}
	t.Cleanup(func() { _ = a.Close() })
	if fleet.LibraryOf(a.Fleet) == nil {
		t.Fatal("desk joined the fleet without its library part")
	}
	return a
}

func waitFor(t *testing.T, d time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// settled: connected, every item pushed.
func settled(lib *fleet.Library) bool {
	if s, _ := lib.Link(); s != fleet.LinkConnected {
		return false
	}
	for _, it := range lib.Items() {
		if it.Pending {
			return false
		}
	}
	return true
}

func presetsJSON(a *core.App) map[string]string {
	out := map[string]string{}
	for _, p := range a.Desk.Snapshot().Presets {
		b, _ := json.Marshal(p)
		out[p.ID] = string(b)
	}
	return out
}

func save(t *testing.T, a *core.App, p studio.Preset) {
	t.Helper()
	if err := a.Desk.Do(context.Background(), studio.SavePreset{Preset: p}); err != nil {
		t.Fatalf("save preset %s: %v", p.ID, err)
	}
}

func preset(t *testing.T, a *core.App, id string) studio.Preset {
	t.Helper()
	// The book is the desk goroutine's; the snapshot is everyone's.
	for _, q := range a.Desk.Snapshot().Presets {
		if q.ID == id {
			return q
		}
	}
	t.Fatalf("no preset %s", id)
	return studio.Preset{}
}

// Two desks of one studio — the studio PC (the primary) and a producer
// desk preparing the show — go offline together, edit the same preset and
// different presets, one adds a preset; after the cluster is back both
// hold the same presets, every edited value is there, and the second
// edit of the shared preset is a conflict copy on both.
func TestLibraryTwoDesksOfflineConverge(t *testing.T) {
	c := fleettest.Start(t, 3, "s1")
	a, b := libOpenDesk(t, c, "s1"), libOpenProducer(t, c, "s1")
	if r := fleet.StandbyPart(a.Fleet).Role(); r != "primary" {
		t.Fatalf("the studio PC's role %q, want primary", r)
	}
	la, lb := fleet.LibraryOf(a.Fleet), fleet.LibraryOf(b.Fleet)
	if la.Self() == lb.Self() {
		t.Fatalf("two desks share the name %q", la.Self())
	}
	waitFor(t, 30*time.Second, "both desks synced online", func() bool {
		return settled(la) && settled(lb) && len(la.Items()) > 0 && fmt.Sprint(presetsJSON(a)) == fmt.Sprint(presetsJSON(b))
	})

	// The agency publishes a preset to the shared library: both desks get it.
	_, js := c.Agency()
	ctx := context.Background()
	libKV, err := js.KeyValue(ctx, fleet.LibraryBucket)
	if err != nil {
		t.Fatal(err)
	}
	libPreset := preset(t, a, "p-compare")
	libPreset.ID, libPreset.Name, libPreset.Key = "lib-agency", "总部推荐 Agency pick", ""
	v, err := fleet.LibraryValue(fleet.KindPreset, libPreset.ID, libPreset, "agency", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := libKV.Create(ctx, fleet.ItemKey(fleet.KindPreset, libPreset.ID), v); err != nil {
		t.Fatal(err)
	}
	libKey := fleet.ItemKey(fleet.KindPreset, "lib-agency")
	for _, d := range []*core.App{a, b} {
		lib := fleet.LibraryOf(d.Fleet)
		waitFor(t, 15*time.Second, "library preset on "+lib.Self(), func() bool {
			_, ok := presetsJSON(d)["lib-agency"]
			return ok && stateOf(lib, libKey) == fleet.StateShared
		})
	}

	// Everyone offline: the whole cluster goes down.
	for i := range c.Hubs {
		c.Kill(i)
	}
	waitFor(t, 15*time.Second, "both desks offline", func() bool {
		sa, _ := la.Link()
		sb, _ := lb.Link()
		return sa == fleet.LinkOffline && sb == fleet.LinkOffline
	})
	P, Q, R := "cam-wide", "p-host", "cam-close"
	pa := preset(t, a, P)
	pa.Name, pa.Fade = "A 改 wide", 3*time.Second
	save(t, a, pa)
	time.Sleep(20 * time.Millisecond)
	pb := preset(t, b, P)
	pb.Name, pb.Color = "B 改 wide", "#00AA00"
	save(t, b, pb)
	q := preset(t, a, Q)
	q.Name = "A 改 host"
	save(t, a, q)
	r := preset(t, b, R)
	r.Name = "B 改 close"
	save(t, b, r)
	n := preset(t, a, "p-lottery")
	n.ID, n.Name, n.Key = "a-new", "A 新建", ""
	save(t, a, n)
	// The edits are on each desk's disk while offline.
	for _, d := range []*core.App{a, b} {
		lib := fleet.LibraryOf(d.Fleet)
		if err := lib.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		it, ok := lib.Get(fleet.ItemKey(fleet.KindPreset, P))
		if !ok || !it.Dirty {
			t.Fatalf("%s: preset %s not recorded dirty offline: %+v", lib.Self(), P, it)
		}
	}

	for i := range c.Hubs {
		c.Restart(i)
	}
	c.WaitReady(30 * time.Second)
	waitFor(t, 45*time.Second, "both desks converge after reconnect", func() bool {
		return settled(la) && settled(lb) && fmt.Sprint(presetsJSON(a)) == fmt.Sprint(presetsJSON(b)) && hasConflictCopy(a, P)
	})
	// Quiet for a moment: still equal (no flapping).
	time.Sleep(time.Second)
	ja, jb := presetsJSON(a), presetsJSON(b)
	if fmt.Sprint(ja) != fmt.Sprint(jb) {
		t.Fatalf("desks differ:\nA %v\nB %v", ja, jb)
	}
	for _, d := range []*core.App{a, b} {
		if got := preset(t, d, Q).Name; got != "A 改 host" {
			t.Errorf("Q on a desk: %q", got)
		}
		if got := preset(t, d, R).Name; got != "B 改 close" {
			t.Errorf("R on a desk: %q", got)
		}
		if got := preset(t, d, "a-new").Name; got != "A 新建" {
			t.Errorf("new preset on a desk: %q", got)
		}
		// Both edits of P are there: one as P, the other as its copy.
		all := ""
		for _, s := range presetsJSON(d) {
			all += s
		}
		for _, want := range []string{`"A 改 wide`, `"B 改 wide`, `"fade":3000000000`, `"#00AA00"`, "(conflict copy, "} {
			if !strings.Contains(all, want) {
				t.Errorf("edited value %s lost on a desk", want)
			}
		}
		p := preset(t, d, P)
		if p.Name != "A 改 wide" && p.Name != "B 改 wide" {
			t.Errorf("P is neither edit: %q", p.Name)
		}
	}
	// The conflict is visible in the producer view on both desks.
	var copyKey string
	for _, lib := range []*fleet.Library{la, lb} {
		n := 0
		for _, it := range lib.Items() {
			if it.ConflictOf == fleet.ItemKey(fleet.KindPreset, P) {
				n++
				copyKey = it.Key
				if it.State != fleet.StateConflict || !strings.Contains(it.Name, "(conflict copy, ") {
					t.Errorf("%s: copy row %+v", lib.Self(), it)
				}
			}
			if it.Key == fleet.ItemKey(fleet.KindPreset, P) && it.State != fleet.StateConflict {
				t.Errorf("%s: P's state %s, want conflict", lib.Self(), it.State)
			}
		}
		if n != 1 {
			t.Errorf("%s: %d conflict copies of P, want 1", lib.Self(), n)
		}
	}

	// A studio desk may not write the shared library: the refusal is
	// returned, recorded on the item, and nothing is lost.
	qKey := fleet.ItemKey(fleet.KindPreset, Q)
	err = la.Publish(ctx, qKey)
	if !errors.Is(err, fleet.ErrLibraryDenied) {
		t.Fatalf("a studio desk publishing to the shared library: %v, want a permission refusal", err)
	}
	t.Logf("publish refused: %v", err)
	if it, _ := la.Get(qKey); it.Err == "" || !strings.Contains(string(it.Value), "A 改 host") {
		t.Fatalf("refusal not recorded on the item, or the item changed: %+v", it)
	}
	if _, err := libKV.Get(ctx, qKey); err == nil {
		t.Fatal("the library holds the refused item")
	}

	// The producer on B keeps both: the copy becomes a preset of its own,
	// on both desks.
	if err := lb.Resolve(ctx, copyKey, fleet.ResolveKeepBoth); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "resolution reaches both desks", func() bool {
		return settled(la) && settled(lb) && !hasConflictCopy(a, P) && !hasConflictCopy(b, P) &&
			fmt.Sprint(presetsJSON(a)) == fmt.Sprint(presetsJSON(b)) && len(presetsJSON(a)) == len(ja)
	})
	all := fmt.Sprint(presetsJSON(a))
	for _, want := range []string{`"A 改 wide`, `"B 改 wide`} {
		if !strings.Contains(all, want) {
			t.Errorf("%s lost by keep-both", want)
		}
	}
	if stateOf(la, fleet.ItemKey(fleet.KindPreset, P)) == fleet.StateConflict {
		t.Error("P still in conflict after the resolution")
	}
}

func hasConflictCopy(a *core.App, id string) bool {
	for k := range presetsJSON(a) {
		if strings.HasPrefix(k, id+"~conflict~") {
			return true
		}
	}
	return false
}

func stateOf(lib *fleet.Library, key string) fleet.SyncState {
	for _, it := range lib.Items() {
		if it.Key == key {
			return it.State
		}
	}
	return ""
}
