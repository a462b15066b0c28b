package fleet_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"studiodesk/app/core"
	"studiodesk/app/fleet"
	"studiodesk/app/fleet/fleettest"
)

// TestLibrarySoak: three desks of one studio edit the same presets at
// random while servers of the 3-node cluster die and come back (all of
// them at times). Afterwards every desk holds the same presets, nothing
// waits to be pushed, and the last edit of every preset is on every desk
// (as the preset or as a conflict copy). STUDIODESK_FLEET_SOAK=1 runs it
// (about a minute); _ROUNDS sizes it (default 150), _SEED fixes the
// randomness.
func TestLibrarySoak(t *testing.T) {
	if os.Getenv("STUDIODESK_FLEET_SOAK") != "1" {
		t.Skip("set STUDIODESK_FLEET_SOAK=1 to run the library soak")
	}
	rounds := envInt("STUDIODESK_FLEET_SOAK_ROUNDS", 150)
	seed := uint64(envInt("STUDIODESK_FLEET_SOAK_SEED", int(time.Now().UnixNano()%1e9)))
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	c := fleettest.Start(t, 3, "s1")
	desks := []*core.App{libOpenDesk(t, c, "s1"), libOpenProducer(t, c, "s1"), libOpenProducer(t, c, "s1")}
	libs := make([]*fleet.Library, len(desks))
	for i, d := range desks {
		libs[i] = fleet.LibraryOf(d.Fleet)
	}
	allSettled := func() bool {
		for _, l := range libs {
			if !settled(l) {
				return false
			}
		}
		return true
	}
	waitFor(t, 30*time.Second, "online", allSettled)
	ids := []string{"cam-wide", "p-host", "cam-close", "cam-table", "p-compare", "p-lottery"}
	last := map[string]string{}
	kills, restarts, allDown := 0, 0, 0
	for r := range rounds {
		d := rng.IntN(len(desks))
		id := ids[rng.IntN(len(ids))]
		p := preset(t, desks[d], id)
		p.Name = fmt.Sprintf("d%d-r%d", d, r)
		save(t, desks[d], p)
		last[id] = p.Name
		switch x := rng.Float64(); {
		case x < 0.06:
			i := rng.IntN(len(c.Hubs))
			if c.Hubs[i] != nil {
				c.Kill(i)
				kills++
			}
		case x < 0.08:
			for i := range c.Hubs {
				c.Kill(i)
			}
			allDown++
		case x < 0.16:
			for i := range c.Hubs {
				if c.Hubs[i] == nil {
					c.Restart(i)
					restarts++
					break
				}
			}
		}
		time.Sleep(time.Duration(10+rng.IntN(90)) * time.Millisecond)
	}
	for i := range c.Hubs {
		c.Restart(i)
	}
	c.WaitReady(30 * time.Second)
	same := func() bool {
		want := fmt.Sprint(presetsJSON(desks[0]))
		for _, d := range desks[1:] {
			if fmt.Sprint(presetsJSON(d)) != want {
				return false
			}
		}
		return true
	}
	waitFor(t, 90*time.Second, "desks converge", func() bool { return allSettled() && same() })
	time.Sleep(time.Second)
	if !same() || !allSettled() {
		t.Fatal("desks drifted apart after converging")
	}
	copies := 0
	for _, d := range desks {
		all := fmt.Sprint(presetsJSON(d))
		for id, name := range last {
			if !strings.Contains(all, `"name":"`+name+`"`) && !strings.Contains(all, `"name":"`+name+` (conflict copy, `) {
				t.Errorf("last edit %s of %s lost on a desk", name, id)
			}
		}
	}
	for k := range presetsJSON(desks[0]) {
		if strings.Contains(k, "~conflict~") {
			copies++
		}
	}
	t.Logf("%d rounds, %d single-server kills, %d whole-cluster outages, %d restarts: converged, %d conflict copies, every last edit present", rounds, kills, allDown, restarts, copies)
}
