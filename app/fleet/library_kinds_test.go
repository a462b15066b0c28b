package fleet_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"studiodesk/app/core"
	"studiodesk/app/fleet"
	"studiodesk/app/fleet/fleettest"
	"studiodesk/studio"
	"studiodesk/studio/danmaku"
	"studiodesk/studio/store"
)

// An agency desk publishes to the shared library and the studio's desks
// take it and follow it while unchanged; a studio's own edit of a library
// item stays (changed, library newer). Device templates (without their
// passwords), the show and word lists sync between two desks; the banned
// list reaches the danmaku filter. A desk closed while offline keeps its
// unsynced edit and pushes it after the restart; a conflict resolved with
// "use the copy's edit" converges on both desks.
func TestLibraryAgencyKindsAndOfflineRestart(t *testing.T) {
	c := fleettest.Start(t, 1, "s1", "hq")
	dirA := t.TempDir()
	a, b := libOpenDeskAt(t, c, "s1", dirA), libOpenProducer(t, c, "s1")
	la, lb := fleet.LibraryOf(a.Fleet), fleet.LibraryOf(b.Fleet)
	ctx := context.Background()

	// The agency's desk: agency credentials, desk-less (its store only).
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	cfg := c.Desk("hq")
	cfg.User, cfg.Password, cfg.Name = fleettest.AgencyUser, fleettest.AgencyPassword, "agency-desk"
	link, err := fleet.Start(cfg, fleet.Desk{Store: st, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = link.Close() })
	hq := fleet.LibraryOf(link)
	waitFor(t, 20*time.Second, "desks and agency online", func() bool { return settled(la) && settled(lb) && settled(hq) })

	hqKey := fleet.ItemKey(fleet.KindPreset, "hq-open")
	putHQ := func(name string) {
		t.Helper()
		book, _ := studio.LoadPresets(st)
		p := studio.Preset{ID: "hq-open", Name: name, Color: "#112233"}
		if _, ok := book.Get(p.ID); ok {
			err = book.Update(p)
		} else {
			err = book.Add(p)
		}
		if err != nil || book.Save(st) != nil {
			t.Fatal(err)
		}
		if err := hq.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		if err := hq.Publish(ctx, hqKey); err != nil {
			t.Fatalf("agency publish: %v", err)
		}
	}
	named := func(d *core.App, id, name string) func() bool {
		return func() bool {
			for _, q := range d.Desk.Snapshot().Presets {
				if q.ID == id {
					return q.Name == name
				}
			}
			return false
		}
	}
	putHQ("总部开场 v1")
	for _, d := range []*core.App{a, b} {
		waitFor(t, 15*time.Second, "library preset taken", named(d, "hq-open", "总部开场 v1"))
	}
	waitFor(t, 10*time.Second, "shared", func() bool {
		return stateOf(la, hqKey) == fleet.StateShared && stateOf(lb, hqKey) == fleet.StateShared
	})
	putHQ("总部开场 v2")
	for _, d := range []*core.App{a, b} {
		waitFor(t, 15*time.Second, "unchanged copy follows the library", named(d, "hq-open", "总部开场 v2"))
	}
	// The studio makes it its own; the next library version does not
	// overwrite that, on either desk.
	p := preset(t, a, "hq-open")
	p.Name = "本店开场"
	save(t, a, p)
	waitFor(t, 15*time.Second, "studio edit on both", func() bool {
		return named(b, "hq-open", "本店开场")() && settled(la) && settled(lb) && stateOf(la, hqKey) == fleet.StateChanged
	})
	putHQ("总部开场 v3")
	waitFor(t, 15*time.Second, "library newer shown", func() bool {
		for _, it := range la.Items() {
			if it.Key == hqKey && it.LibNewer {
				return true
			}
		}
		return false
	})
	time.Sleep(500 * time.Millisecond)
	for _, d := range []*core.App{a, b} {
		if !named(d, "hq-open", "本店开场")() {
			t.Fatal("a library version overwrote the studio's own edit")
		}
	}

	// Device template: name syncs, the password stays on its desk.
	cfgs, err := studio.LoadDeviceConfigs(a.Store)
	if err != nil || len(cfgs) == 0 {
		t.Fatal(err)
	}
	cfgs[0].Name, cfgs[0].Password = "A 改机位", "secret-a"
	if err := studio.SaveDeviceConfigs(a.Store, cfgs); err != nil {
		t.Fatal(err)
	}
	devID := cfgs[0].ID
	waitFor(t, 15*time.Second, "device template on B", func() bool {
		bc, _ := studio.LoadDeviceConfigs(b.Store)
		for _, c := range bc {
			if c.ID == devID {
				return c.Name == "A 改机位" && c.Password == ""
			}
		}
		return false
	})
	_, js := c.Agency()
	kv, err := js.KeyValue(ctx, fleet.Studio{ID: "s1"}.Bucket())
	if err != nil {
		t.Fatal(err)
	}
	e, err := kv.Get(ctx, fleet.ItemKey(fleet.KindDevice, devID))
	if err != nil || strings.Contains(string(e.Value()), "secret-a") || !strings.Contains(string(e.Value()), "A 改机位") {
		t.Fatalf("device template in the studio bucket: %v %s", err, e.Value())
	}

	// Show: A saves its script; B's desk loads it (not on air).
	show, err := core.LoadCurrentShow(a.Store)
	if err != nil {
		t.Fatal(err)
	}
	show.Title = "A 的脚本"
	if err := a.Store.Put(core.ScriptBucket, core.CurrentScript, show); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "show on B's desk", func() bool {
		s := b.Desk.Snapshot()
		return s != nil && s.Show != nil && s.Show.Title == "A 的脚本"
	})

	// Word list from the agency: saved on both desks, in B's filter.
	w, _ := fleet.LibraryValue(fleet.KindWords, core.BannedWordList, fleet.WordList{ID: core.BannedWordList, Name: "违禁词", Words: []string{"禁词测试甲"}}, "agency", time.Now())
	lkv, err := js.KeyValue(ctx, fleet.LibraryBucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lkv.Put(ctx, fleet.ItemKey(fleet.KindWords, core.BannedWordList), w); err != nil {
		t.Fatal(err)
	}
	for _, d := range []*core.App{a, b} {
		waitFor(t, 15*time.Second, "word list saved", func() bool {
			var got fleet.WordList
			ok, _ := d.Store.Get(fleet.WordsBucket, core.BannedWordList, &got)
			return ok && len(got.Words) == 1
		})
	}
	// (the filter gets the list right after the store does)
	before, n := b.Pipeline.Stats().Banned, 0
	waitFor(t, 5*time.Second, "banned word from the fleet filtered", func() bool {
		n++
		b.Pipeline.Ingest(danmaku.Message{ID: fmt.Sprintf("t-banned-%d", n), ViewerID: fmt.Sprintf("v%d", n), ViewerName: "v", Text: "这是禁词测试甲吗", Time: time.Now()})
		return b.Pipeline.Stats().Banned > before
	})

	// Offline: both edit p-host; A is closed and reopened before the hub
	// returns. Its edit is still waiting, and after reconnect the two
	// edits are one item and one conflict copy.
	waitFor(t, 15*time.Second, "settled", func() bool { return settled(la) && settled(lb) })
	c.Kill(0)
	waitFor(t, 15*time.Second, "offline", func() bool {
		s1, _ := la.Link()
		s2, _ := lb.Link()
		return s1 == fleet.LinkOffline && s2 == fleet.LinkOffline
	})
	pa := preset(t, a, "p-host")
	pa.Name = "A 离线改"
	save(t, a, pa)
	time.Sleep(20 * time.Millisecond)
	pb := preset(t, b, "p-host")
	pb.Name = "B 离线改"
	save(t, b, pb)
	// and A deletes a preset B edits: the edit wins over the delete
	if err := a.Desk.Do(ctx, studio.DeletePreset{ID: "p-compare"}); err != nil {
		t.Fatal(err)
	}
	pc := preset(t, b, "p-compare")
	pc.Name = "B 改对比"
	save(t, b, pc)
	if err := la.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	// While A is down its preset document is lost (as a damaged document
	// left out at load would be): A puts it back from the library record
	// instead of deleting it on every desk.
	ast, err := store.Open(dirA, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ast.Delete(store.BucketPresets, "p-lottery"); err != nil {
		t.Fatal(err)
	}
	// and a record document is damaged: the desk starts all the same
	if err := ast.Commit(func(tx *store.Tx) error {
		b, err := tx.Bolt().CreateBucketIfNotExists([]byte(fleet.LibraryStoreBucket))
		if err != nil {
			return err
		}
		return b.Put([]byte("s/"+fleet.ItemKey(fleet.KindPreset, "p-host")), []byte("{damaged"))
	}); err != nil {
		t.Fatal(err)
	}
	if err := ast.Close(); err != nil {
		t.Fatal(err)
	}
	a = libOpenDeskAt(t, c, "s1", dirA)
	la = fleet.LibraryOf(a.Fleet)
	hostKey := fleet.ItemKey(fleet.KindPreset, "p-host")
	// (its record was damaged: the desk finds the edit again as new, dirty)
	waitFor(t, 5*time.Second, "offline edit still waiting after the restart", func() bool {
		it, ok := la.Get(hostKey)
		return ok && it.Dirty && strings.Contains(string(it.Value), "A 离线改")
	})
	c.Restart(0)
	c.WaitReady(30 * time.Second)
	var copyKey string
	waitFor(t, 30*time.Second, "conflict after reconnect", func() bool {
		if !settled(la) || !settled(lb) {
			return false
		}
		copyKey = ""
		for _, it := range lb.Items() {
			if it.ConflictOf == hostKey {
				copyKey = it.Key
			}
		}
		_, onA := la.Get(copyKey)
		return copyKey != "" && onA
	})
	waitFor(t, 20*time.Second, "lost document restored, not deleted", func() bool {
		return presetName(a, "p-lottery") != "" && presetName(b, "p-lottery") != "" && settled(la) && settled(lb)
	})
	waitFor(t, 20*time.Second, "edit beats delete", func() bool {
		return named(a, "p-compare", "B 改对比")() && named(b, "p-compare", "B 改对比")()
	})
	copyItem, _ := lb.Get(copyKey)
	copyName := strings.Split(preset(t, b, copyItem.ID).Name, " (conflict copy, ")[0]
	if err := lb.Resolve(ctx, copyKey, fleet.ResolveKeepCopy); err != nil {
		t.Fatal(err)
	}
	for _, d := range []*core.App{a, b} {
		waitFor(t, 20*time.Second, "keep-copy converges", func() bool {
			return named(d, "p-host", copyName)() && !hasConflictCopy(d, "p-host")
		})
	}

	// A new desk joins the studio: its demo presets are nobody's edit, so
	// it takes the studio's versions without conflict copies.
	nd := libOpenProducer(t, c, "s1")
	ln := fleet.LibraryOf(nd.Fleet)
	waitFor(t, 20*time.Second, "new desk takes the studio's presets", func() bool {
		return settled(ln) && named(nd, "p-host", copyName)() && named(nd, "hq-open", "本店开场")() &&
			fmt.Sprint(presetsJSON(nd)) == fmt.Sprint(presetsJSON(a))
	})
	for _, it := range ln.Items() {
		if it.State == fleet.StateConflict {
			t.Errorf("joining desk made a conflict: %+v", it)
		}
	}

	// A delete online reaches every desk.
	if err := a.Desk.Do(ctx, studio.DeletePreset{ID: "cam-table"}); err != nil {
		t.Fatal(err)
	}
	for _, d := range []*core.App{b, nd} {
		waitFor(t, 15*time.Second, "delete reaches the other desks", func() bool { return presetName(d, "cam-table") == "" })
	}
}

// Library versions arriving faster than the desk pushes its studio copy
// are all followed: the desk ends on the last one, shared, on every desk.
func TestLibraryFollowsRapidLibraryChanges(t *testing.T) {
	c := fleettest.Start(t, 1, "s1")
	a, b := libOpenDesk(t, c, "s1"), libOpenProducer(t, c, "s1")
	la, lb := fleet.LibraryOf(a.Fleet), fleet.LibraryOf(b.Fleet)
	waitFor(t, 20*time.Second, "online", func() bool { return settled(la) && settled(lb) })
	_, js := c.Agency()
	ctx := context.Background()
	kv, err := js.KeyValue(ctx, fleet.LibraryBucket)
	if err != nil {
		t.Fatal(err)
	}
	key := fleet.ItemKey(fleet.KindPreset, "hq-fast")
	const last = 40
	for v := 0; v <= last; v++ {
		raw, _ := fleet.LibraryValue(fleet.KindPreset, "hq-fast", studio.Preset{ID: "hq-fast", Name: fmt.Sprintf("v%d", v)}, "agency", time.Now())
		if _, err := kv.Put(ctx, key, raw); err != nil {
			t.Fatal(err)
		}
		if v%8 == 0 {
			time.Sleep(5 * time.Millisecond)
		}
	}
	for _, d := range []*core.App{a, b} {
		lib := fleet.LibraryOf(d.Fleet)
		waitFor(t, 20*time.Second, "last library version, shared", func() bool {
			return presetName(d, "hq-fast") == fmt.Sprintf("v%d", last) && settled(lib) && stateOf(lib, key) == fleet.StateShared
		})
	}
}

func presetName(d *core.App, id string) string {
	for _, p := range d.Desk.Snapshot().Presets {
		if p.ID == id {
			return p.Name
		}
	}
	return ""
}

// The hub loses its store (a new hub, an empty bucket): the desks' items
// are not "deleted while away" but pushed again, and the desks converge
// with everything they had.
func TestLibraryHubStoreLost(t *testing.T) {
	c := fleettest.Start(t, 1, "s1")
	a, b := libOpenDesk(t, c, "s1"), libOpenProducer(t, c, "s1")
	la, lb := fleet.LibraryOf(a.Fleet), fleet.LibraryOf(b.Fleet)
	p := preset(t, a, "p-host")
	p.Name = "A 改过"
	save(t, a, p)
	waitFor(t, 20*time.Second, "synced", func() bool {
		return settled(la) && settled(lb) && presetName(b, "p-host") == "A 改过"
	})
	before := fmt.Sprint(presetsJSON(a))
	c.Kill(0)
	if err := os.RemoveAll(c.Configs[0].Store); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 15*time.Second, "offline", func() bool { s, _ := la.Link(); return s == fleet.LinkOffline })
	c.Restart(0)
	c.WaitReady(30 * time.Second)
	waitFor(t, 30*time.Second, "converged on the new hub", func() bool {
		return settled(la) && settled(lb) && fmt.Sprint(presetsJSON(a)) == fmt.Sprint(presetsJSON(b))
	})
	time.Sleep(time.Second)
	if got := fmt.Sprint(presetsJSON(a)); got != before || fmt.Sprint(presetsJSON(b)) != before {
		t.Fatalf("presets changed by the hub's loss:\nbefore %s\nA      %s\nB      %s", before, got, fmt.Sprint(presetsJSON(b)))
	}
	_, js := c.Agency()
	kv, err := js.KeyValue(context.Background(), fleet.Studio{ID: "s1"}.Bucket())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Get(context.Background(), fleet.ItemKey(fleet.KindPreset, "p-host")); err != nil {
		t.Fatalf("the new hub's bucket did not get the items back: %v", err)
	}
}
