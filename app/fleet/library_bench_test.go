package fleet_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"studiodesk/app/core"
	"studiodesk/app/fleet"
	"studiodesk/app/fleet/fleettest"
)

// TestLibraryBenchFanout measures "library change → other desks": the
// agency changes a shared-library preset; N real desks (one per studio,
// on a 3-node cluster) each take it into their live preset book; the
// latency is from the agency's Put (sent) to the desk's snapshot
// showing the new value. Changes go one at a time (the next when every
// desk has the last). STUDIODESK_FLEET_BENCH=1 runs it;
// STUDIODESK_FLEET_BENCH_DESKS and _CHANGES size it (24, 120).
func TestLibraryBenchFanout(t *testing.T) {
	if os.Getenv("STUDIODESK_FLEET_BENCH") != "1" {
		t.Skip("set STUDIODESK_FLEET_BENCH=1 to run the library fan-out benchmark")
	}
	n, changes := envInt("STUDIODESK_FLEET_BENCH_DESKS", 24), envInt("STUDIODESK_FLEET_BENCH_CHANGES", 120)
	studios := make([]string, n)
	for i := range studios {
		studios[i] = fmt.Sprintf("b%02d", i)
	}
	c := fleettest.Start(t, 3, studios...)
	desks := make([]*core.App, n)
	for i, id := range studios {
		desks[i] = libOpenDesk(t, c, id)
	}
	for _, d := range desks {
		lib := fleet.LibraryOf(d.Fleet)
		waitFor(t, 120*time.Second, "desk synced", func() bool { return settled(lib) })
	}
	_, js := c.Agency()
	ctx := context.Background()
	kv, err := js.KeyValue(ctx, fleet.LibraryBucket)
	if err != nil {
		t.Fatal(err)
	}
	base := preset(t, desks[0], "p-compare")
	base.ID, base.Key = "bench", ""
	key := fleet.ItemKey(fleet.KindPreset, "bench")

	// Each desk reports when its live book shows version v.
	type seen struct {
		desk int
		v    int
		at   time.Time
	}
	got := make(chan seen, n*4)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for i, d := range desks {
		sub := d.Desk.Subscribe(64)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer sub.Close()
			last := -1
			for {
				select {
				case <-stop:
					return
				case ev := <-sub.C():
					if ev.Snapshot == nil {
						continue
					}
					for _, p := range ev.Snapshot.Presets {
						if p.ID == "bench" {
							if v, err := strconv.Atoi(p.Name[len("bench v"):]); err == nil && v > last {
								last = v
								got <- seen{i, v, time.Now()}
							}
						}
					}
				}
			}
		}()
	}
	var lat []time.Duration
	for v := 0; v <= changes; v++ {
		p := base
		p.Name = fmt.Sprintf("bench v%d", v)
		raw, _ := fleet.LibraryValue(fleet.KindPreset, "bench", p, "agency", time.Now())
		t0 := time.Now()
		if _, err := kv.Put(ctx, key, raw); err != nil {
			t.Fatal(err)
		}
		have := make([]bool, n)
		for left := n; left > 0; {
			select {
			case s := <-got:
				if s.v == v && !have[s.desk] {
					have[s.desk] = true
					left--
					if v > 0 { // version 0 creates the item: not a change
						lat = append(lat, s.at.Sub(t0))
					}
				}
			case <-time.After(30 * time.Second):
				t.Fatalf("change %d: %d desks of %d never showed it", v, left, n)
			}
		}
	}
	close(stop)
	wg.Wait()
	slices.Sort(lat)
	q := func(f float64) time.Duration { return lat[min(len(lat)-1, int(f*float64(len(lat))))] }
	t.Logf("library change → other desks: %d desks (one per studio) on a 3-node cluster, %d changes, %d deliveries: p50 %v, p90 %v, p99 %v, max %v",
		n, changes, len(lat), q(0.50).Round(time.Microsecond*100), q(0.90).Round(time.Microsecond*100), q(0.99).Round(time.Microsecond*100), lat[len(lat)-1].Round(time.Microsecond*100))
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
