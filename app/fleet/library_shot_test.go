package fleet_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"studiodesk/app/core"
	"studiodesk/app/fleet"
	"studiodesk/app/fleet/hub"
	"studiodesk/studio"
)

// TestSeedLibraryShot prepares the producer library page's screenshots:
// a hub config and store (DIR/hub.yaml, DIR/hub) and desk A's data (DIR/a)
// after two desks edited the same preset offline (a conflict copy), with a
// library preset taken and one changed. It runs only when
// STUDIODESK_SHOT_SEED_LIB names the directory and STUDIODESK_SHOT_PORT
// the hub's loopback port.
func TestSeedLibraryShot(t *testing.T) {
	dir, port := os.Getenv("STUDIODESK_SHOT_SEED_LIB"), os.Getenv("STUDIODESK_SHOT_PORT")
	if dir == "" || port == "" {
		t.Skip("set STUDIODESK_SHOT_SEED_LIB=DIR and STUDIODESK_SHOT_PORT=PORT to seed the library screenshots")
	}
	cfg := hub.Config{Name: "hub", Listen: "127.0.0.1:" + port, Store: filepath.Join(dir, "hub"),
		Agency:  hub.User{User: "agency", Password: "agency-secret"},
		Studios: []hub.StudioUser{{ID: "s1", User: hub.User{User: "studio-s1", Password: "pw-s1"}}}}
	y, _ := yaml.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(dir, "hub.yaml"), y, 0o600); err != nil {
		t.Fatal(err)
	}
	h := startHub(t, cfg)
	open := func(name string) *core.App {
		fs := flag.NewFlagSet("desk", flag.ContinueOnError)
		var o core.Options
		o.Register(fs)
		if err := fs.Parse([]string{"--data", filepath.Join(dir, name), "--rehearsal", "--overlay", "127.0.0.1:0", "--remote-addr", "127.0.0.1:0",
			"--osc-addr", "off", "--sim-profile", "quiet", "--fleet", "nats://" + cfg.Listen, "--studio", "s1", "--fleet-user", "studio-s1", "--fleet-password", "pw-s1"}); err != nil {
			t.Fatal(err)
		}
		a, err := core.Open(o)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a, b := open("a"), open("b")
	la, lb := fleet.LibraryOf(a.Fleet), fleet.LibraryOf(b.Fleet)
	waitFor(t, 30*time.Second, "synced", func() bool { return settled(la) && settled(lb) })
	ctx := context.Background()
	kv, err := h.JS.KeyValue(ctx, fleet.LibraryBucket)
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"总部·爆品开场", "总部·直播间标准光"} {
		p := preset(t, a, "p-compare")
		p.ID, p.Name, p.Key = fmt.Sprintf("hq-%d", i+1), name, ""
		v, _ := fleet.LibraryValue(fleet.KindPreset, p.ID, p, "agency", time.Now())
		if _, err := kv.Put(ctx, fleet.ItemKey(fleet.KindPreset, p.ID), v); err != nil {
			t.Fatal(err)
		}
	}
	w, _ := fleet.LibraryValue(fleet.KindWords, "banned", fleet.WordList{ID: "banned", Name: "违禁词 Banned words", Words: []string{"最便宜", "全网第一"}}, "agency", time.Now())
	if _, err := kv.Put(ctx, fleet.ItemKey(fleet.KindWords, "banned"), w); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "library taken", func() bool {
		return stateOf(la, fleet.ItemKey(fleet.KindPreset, "hq-2")) == fleet.StateShared && settled(la) && settled(lb)
	})
	h.Close()
	waitFor(t, 15*time.Second, "offline", func() bool {
		s, _ := la.Link()
		s2, _ := lb.Link()
		return s == fleet.LinkOffline && s2 == fleet.LinkOffline
	})
	p := preset(t, a, "cam-wide")
	p.Name = "开场全景（A 台改：慢推）"
	save(t, a, p)
	time.Sleep(20 * time.Millisecond)
	p = preset(t, b, "cam-wide")
	p.Name = "开场全景（B 台改：暖光）"
	save(t, b, p)
	q := preset(t, a, "hq-1")
	q.Fade = 4 * time.Second
	save(t, a, q)
	h = startHub(t, cfg)
	waitFor(t, 45*time.Second, "converged", func() bool { return settled(la) && settled(lb) && hasConflictCopy(a, "cam-wide") })
	_ = b.Close()
	h.Close()
	waitFor(t, 15*time.Second, "offline", func() bool { s, _ := la.Link(); return s == fleet.LinkOffline })
	if err := a.Desk.Do(ctx, studio.RenamePreset{ID: "p-host", NewName: "主播全景（离线改）"}); err != nil {
		t.Fatal(err)
	}
	n := preset(t, a, "p-lottery")
	n.ID, n.Name, n.Key = "p-new", "新建（离线）", ""
	save(t, a, n)
	if err := la.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	_ = a.Close()
}

func startHub(t *testing.T, cfg hub.Config) *hub.Hub {
	t.Helper()
	h, err := hub.Start(cfg, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-h.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("hub not ready")
	}
	return h
}
