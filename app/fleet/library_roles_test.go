package fleet_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"studiodesk/app/core"
	"studiodesk/app/fleet"
	"studiodesk/app/fleet/fleettest"
	"studiodesk/studio"
)

// writers lists, for every library key of the studio bucket, the desks
// that wrote any of its revisions (the wire's desk field).
func writers(t *testing.T, c *fleettest.Cluster, studioID string) map[string][]string {
	t.Helper()
	_, js := c.Agency()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	kv, err := js.KeyValue(ctx, fleet.Studio{ID: studioID}.Bucket())
	if err != nil {
		t.Fatal(err)
	}
	w, err := kv.WatchFiltered(ctx, []string{"preset.>", "device.>", "show.>", "words.>"}, jetstream.IncludeHistory())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Stop() }()
	out := map[string][]string{}
	for e := range w.Updates() {
		if e == nil {
			break
		}
		if e.Operation() != jetstream.KeyValuePut {
			out[e.Key()] = append(out[e.Key()], "(deleted)")
			continue
		}
		var v struct {
			Desk string `json:"desk"`
		}
		if err := json.Unmarshal(e.Value(), &v); err != nil {
			t.Fatalf("%s revision %d: %v", e.Key(), e.Revision(), err)
		}
		out[e.Key()] = append(out[e.Key()], v.Desk)
	}
	return out
}

func wroteAny(ws map[string][]string, desk string) []string {
	var keys []string
	for k, ds := range ws {
		for _, d := range ds {
			if d == desk {
				keys = append(keys, k)
				break
			}
		}
	}
	return keys
}

// A standby desk follows a primary that edits a preset: the edit reaches
// the standby through the standby's mirror, and the standby's library
// pushes nothing (the mirrored presets, devices and script are not its
// edits; its library is paused and says so). After the standby takes
// over, its edits sync through the library again (to a producer desk),
// the presets it took over from the mirror make no conflict copy, and the
// old primary, now a follower, pushes nothing.
func TestLibraryFollowerPushesNothing(t *testing.T) {
	c := fleettest.Start(t, 1, "s1")
	a := libOpenDesk(t, c, "s1")
	s := libOpenDeskAt(t, c, "s1", t.TempDir(), "--standby-for", "s1", "--standby-timeout", "2s")
	pd := libOpenProducer(t, c, "s1")
	la, ls, lp := fleet.LibraryOf(a.Fleet), fleet.LibraryOf(s.Fleet), fleet.LibraryOf(pd.Fleet)
	ctx := context.Background()
	if r := fleet.StandbyPart(a.Fleet).Role(); r != "primary" {
		t.Fatalf("first desk's role %q, want primary", r)
	}
	if r := fleet.StandbyPart(s.Fleet).Role(); r != "standby" {
		t.Fatalf("standby's role %q, want standby", r)
	}
	waitFor(t, 30*time.Second, "primary and producer synced", func() bool { return settled(la) && settled(lp) })
	if st, why := ls.Link(); st == fleet.LinkConnected || !strings.Contains(why, "paused") {
		t.Fatalf("a follower's library light: %s %q, want paused", st, why)
	}
	if err := ls.Sync(ctx); !errors.Is(err, fleet.ErrFollowing) {
		t.Fatalf("Sync on a follower: %v, want ErrFollowing", err)
	}

	// The primary edits a preset and adds one; the standby shows both
	// (mirrored), the producer too (library).
	p := preset(t, a, "cam-wide")
	p.Name = "主机改 wide"
	save(t, a, p)
	n := preset(t, a, "p-host")
	n.ID, n.Name, n.Key = "a-new", "主机新建", ""
	save(t, a, n)
	for _, d := range []*core.App{s, pd} {
		waitFor(t, 15*time.Second, "the primary's edits reach the other desks", func() bool {
			return named(d, "cam-wide", "主机改 wide")() && named(d, "a-new", "主机新建")()
		})
	}
	// Several scan periods (1 s) with the mirrored state in the store.
	time.Sleep(2500 * time.Millisecond)
	if keys := wroteAny(writers(t, c, "s1"), ls.Self()); len(keys) > 0 {
		t.Fatalf("the follower pushed %v", keys)
	}
	for _, it := range ls.Items() {
		if it.Pending || it.State == fleet.StateLocal || it.State == fleet.StateChanged {
			t.Errorf("the follower recorded the mirror as its edit: %+v", it)
		}
	}
	if ws := writers(t, c, "s1"); len(ws[fleet.ItemKey(fleet.KindPreset, "cam-wide")]) == 0 ||
		wroteAny(ws, la.Self()) == nil {
		t.Fatalf("the primary's edit is not in the studio bucket: %v", ws)
	}

	// Take over: the standby is the primary, the old primary follows.
	if err := s.Desk.Do(ctx, studio.TakeOver{}); err != nil {
		t.Fatalf("take over: %v", err)
	}
	waitFor(t, 10*time.Second, "roles swapped", func() bool {
		return fleet.StandbyPart(s.Fleet).Role() == "primary" && fleet.StandbyPart(a.Fleet).Role() == "standby"
	})
	waitFor(t, 20*time.Second, "the new primary's library resumes", func() bool { return settled(ls) })
	q := preset(t, s, "p-host")
	q.Name = "接管后改 host"
	save(t, s, q)
	waitFor(t, 15*time.Second, "the new primary's edit syncs to the producer", func() bool {
		return named(pd, "p-host", "接管后改 host")() && settled(ls) && settled(lp)
	})
	waitFor(t, 15*time.Second, "and reaches the old primary (mirrored)", named(a, "p-host", "接管后改 host"))
	time.Sleep(2500 * time.Millisecond)
	ws := writers(t, c, "s1")
	if got := wroteAny(ws, ls.Self()); len(got) != 1 || got[0] != fleet.ItemKey(fleet.KindPreset, "p-host") {
		t.Fatalf("the new primary pushed %v, want only its edit of p-host", got)
	}
	for k := range ws {
		if strings.Contains(k, "~conflict~") {
			t.Errorf("the takeover made a conflict copy: %s", k)
		}
	}
	// The old primary, a follower now, wrote nothing after its edits.
	if got := ws[fleet.ItemKey(fleet.KindPreset, "p-host")]; got[len(got)-1] != ls.Self() {
		t.Fatalf("p-host's last writer %v, want the new primary", got)
	}
	if err := la.Sync(ctx); !errors.Is(err, fleet.ErrFollowing) {
		t.Fatalf("Sync on the old primary: %v, want ErrFollowing", err)
	}
}

func named(d *core.App, id, name string) func() bool {
	return func() bool { return presetName(d, id) == name }
}
