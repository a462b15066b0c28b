package core

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"studiodesk/app/fleet"
	"studiodesk/app/fleet/fleettest"
	"studiodesk/studio"
	"studiodesk/studio/store"
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
		time.Sleep(time.Millisecond)
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
	// How soon a command on the primary shows on the standby (the state's
	// replication lag: commit → published → written → shown).
	var lags []time.Duration
	for i := range 20 {
		var cmd studio.Command = studio.Next{}
		if i%2 == 1 {
			cmd = studio.Previous{}
		}
		if err := p.Desk.Do(ctx, cmd); err != nil {
			t.Fatal(err)
		}
		done := time.Now()
		n := len(p.Desk.Snapshot().Anchors)
		waitUntil(t, 5*time.Second, "standby shows the command", func() bool { return len(s.Desk.Snapshot().Anchors) == n })
		lags = append(lags, time.Since(done))
	}
	slices.Sort(lags)
	t.Logf("state lag primary → standby over %d commands: p50 %v max %v", len(lags), lags[len(lags)/2], lags[len(lags)-1])
	pr := p.Desk.Snapshot()
	waitUntil(t, 5*time.Second, "standby follows the run", func() bool {
		sn := s.Desk.Snapshot()
		return sn.Run == pr.Run && len(sn.Anchors) == len(pr.Anchors)
	})
	waitUntil(t, 5*time.Second, "standby follows the coupon", func() bool {
		v, ok := s.Desk.Interactions().Get("coupon-1")
		return ok && v.State == "live"
	})
	// The primary's show logs reach the evidence stream in the evidence
	// part's wire format (published here as that part does); the standby
	// keeps them as its own logs.
	published := publishEvidence(t, c, p, pr.Run, "desk")
	// The standby holds the last record published here. It may hold more:
	// the primary's log goes on growing (the live coupon's claims) and its
	// own evidence part publishes those too, so its last record need not
	// be this one.
	pub := published[pr.Run]
	errFound := errors.New("found")
	waitUntil(t, 10*time.Second, "standby imports the run's log", func() bool {
		err := s.Store.Records(pr.Run, pub.Seq, func(r store.Record) error {
			if r.Seq == pub.Seq && r.Hash == pub.Hash {
				return errFound
			}
			return errors.New("another record")
		})
		return errors.Is(err, errFound)
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
	// The new primary's records continue the primary's chain.
	head := published[pr.Run]
	res, err := s.Store.Verify(pr.Run)
	if err != nil || !res.OK() || res.LastSeq <= head.Seq {
		t.Fatalf("standby's log of the run: %+v %v (primary published up to %d)", res, err, head.Seq)
	}
	var at store.Record
	_ = s.Store.Records(pr.Run, head.Seq, func(r store.Record) error {
		if r.Seq == head.Seq {
			at = r
		}
		return nil
	})
	if at.Hash != head.Hash {
		t.Fatalf("standby's record %d is %s, the primary's %s", head.Seq, at.Hash, head.Hash)
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

// publishEvidence publishes the desk's logs of the named shows to the
// studio's evidence stream as the evidence part does (FLEET.md: data =
// the canonical bytes, headers Nats-Msg-Id, Sd-Show, Sd-Seq, Sd-Hash,
// Sd-Desk) and returns each log's last record published.
func publishEvidence(t *testing.T, c *fleettest.Cluster, a *App, shows ...string) map[string]store.Record {
	t.Helper()
	nc, js := c.Agency()
	_ = nc
	out := map[string]store.Record{}
	st := fleet.Studio{ID: "s1"}
	for _, show := range shows {
		var buf bytes.Buffer
		if _, err := a.Store.ExportJSONL(show, &buf, nil); err != nil {
			t.Fatal(err)
		}
		for _, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
			if bytes.HasPrefix(line, []byte(`{"final_hash":`)) {
				continue
			}
			var r struct {
				Seq uint64 `json:"seq"`
			}
			if err := json.Unmarshal(line, &r); err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(line)
			hash := hex.EncodeToString(sum[:])
			m := nats.NewMsg(st.LogSubject(show))
			m.Data = line
			m.Header.Set("Nats-Msg-Id", fmt.Sprintf("%s/%d/%s", show, r.Seq, hash))
			m.Header.Set("Sd-Show", show)
			m.Header.Set("Sd-Seq", fmt.Sprint(r.Seq))
			m.Header.Set("Sd-Hash", hash)
			m.Header.Set("Sd-Desk", a.Boot.Key.Fingerprint())
			if _, err := js.PublishMsg(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			out[show] = store.Record{Seq: r.Seq, Hash: hash}
		}
	}
	return out
}

// Offline first: a fleet desk whose hub does not answer starts as the
// primary after fleet.LeaseWait and works (commands, platform, devices).
func TestFleetDeskOfflineStartsAsPrimary(t *testing.T) {
	cfg := fleet.Config{URL: fmt.Sprintf("nats://127.0.0.1:%d", fleettest.FreePort(t)), Studio: "s1",
		User: "studio-s1", Password: "pw-s1", HeartbeatTimeout: fleet.DefaultHeartbeatTimeout}
	start := time.Now()
	a := fleetDesk(t, t.TempDir(), cfg)
	defer a.Close()
	took := time.Since(start)
	if _, f := a.Desk.Following(); f {
		t.Fatal("an offline fleet desk stayed read-only")
	}
	if took > fleet.LeaseWait+5*time.Second {
		t.Fatalf("opening took %v", took)
	}
	if err := a.Desk.Do(context.Background(), studio.Start{}); err != nil {
		t.Fatal(err)
	}
	if len(a.Registry.List()) == 0 || a.OverlayURL("danmaku") == "" {
		t.Fatal("devices or overlays not started")
	}
	t.Logf("offline fleet desk primary after %v", took.Round(time.Millisecond))
}

// A hub node dies mid-show (3-node cluster, R3): the standby keeps
// following through its reconnect and still takes over.
func TestStandbyFollowsThroughAHubNodeLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("3-node cluster")
	}
	c := fleettest.Start(t, 3, "s1")
	pcfg := c.Desk("s1")
	pcfg.HeartbeatTimeout = 2 * time.Second
	scfg := pcfg
	scfg.StandbyFor = "s1"
	p := fleetDesk(t, t.TempDir(), pcfg)
	s := fleetDesk(t, t.TempDir(), scfg)
	defer s.Close()
	ctx := context.Background()
	if err := p.Desk.Do(ctx, studio.Start{}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "standby follows", func() bool { return s.Desk.Snapshot().Run == p.Desk.Snapshot().Run })
	for i := range 3 {
		c.Kill(i)
		for _, cmd := range []studio.Command{studio.Next{}, studio.ArmInteraction{ID: "coupon-1"}} {
			if err := p.Desk.Do(ctx, cmd); err != nil && i == 0 {
				t.Fatal(err)
			}
		}
		n := len(p.Desk.Snapshot().Anchors)
		waitUntil(t, 15*time.Second, fmt.Sprintf("standby follows with hub %d down", i+1), func() bool {
			return len(s.Desk.Snapshot().Anchors) == n
		})
		if _, f := s.Desk.Following(); !f {
			t.Fatalf("the standby took over while the primary lived (hub %d down)", i+1)
		}
		c.Restart(i)
		c.WaitReady(30 * time.Second)
		waitHealthy(t, c, "KV_"+fleet.Studio{ID: "s1"}.Bucket())
	}
	c.Kill(1)
	pr := p.Desk.Snapshot()
	p.Close()
	killed := time.Now()
	// A hub node down at the same time may hold the bucket's leader: the
	// lease can be taken only once the cluster elected another (seconds).
	waitUntil(t, 20*time.Second, "standby takes over with a hub node down", func() bool { _, f := s.Desk.Following(); return !f })
	t.Logf("takeover with a hub node down after %v", time.Since(killed).Round(time.Millisecond))
	now := time.Now()
	if got, want := s.Desk.Snapshot().State(now), pr.State(now); got.Segment != want.Segment || (got.SegmentElapsed-want.SegmentElapsed).Abs() > 50*time.Millisecond {
		t.Fatalf("timer: %+v, want %+v", got, want)
	}
}

// waitHealthy waits until the stream has a leader and both followers
// current (a node just restarted has caught up), so killing the next node
// leaves a quorum.
func waitHealthy(t *testing.T, c *fleettest.Cluster, stream string) {
	t.Helper()
	_, js := c.Agency()
	waitUntil(t, 30*time.Second, stream+" healthy", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		info, err := c.StreamInfo(ctx, js, stream)
		if err != nil || info.Cluster == nil || info.Cluster.Leader == "" || len(info.Cluster.Replicas) != 2 {
			return false
		}
		for _, r := range info.Cluster.Replicas {
			if !r.Current || r.Offline {
				return false
			}
		}
		return true
	})
}

// The hub goes away for longer than the standby timeout and comes back:
// neither desk could see the lease meanwhile, so the primary stays
// primary and the standby a follower (the timeout counts only time the
// standby could see the lease). When the primary dies during an outage,
// the standby takes over a whole timeout after the hub is back.
func TestStandbyNoTakeoverAfterHubOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("hub outage")
	}
	c := fleettest.Start(t, 1, "s1")
	pcfg := c.Desk("s1")
	scfg := pcfg
	scfg.StandbyFor = "s1"
	p := fleetDesk(t, t.TempDir(), pcfg)
	s := fleetDesk(t, t.TempDir(), scfg)
	defer s.Close()
	if err := p.Desk.Do(context.Background(), studio.Start{}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "standby follows", func() bool { return s.Desk.Snapshot().Run == p.Desk.Snapshot().Run })
	c.Kill(0)
	time.Sleep(pcfg.HeartbeatTimeout + time.Second)
	c.Restart(0)
	c.WaitReady(30 * time.Second)
	deadline := time.Now().Add(pcfg.HeartbeatTimeout + 3*time.Second)
	for time.Now().Before(deadline) {
		if _, f := s.Desk.Following(); !f {
			t.Fatal("the standby took over after a hub outage while the primary lived")
		}
		if _, f := p.Desk.Following(); f {
			t.Fatal("the primary lost its lease to a hub outage")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := p.Desk.Do(context.Background(), studio.Next{}); err != nil {
		t.Fatal(err)
	}
	n := len(p.Desk.Snapshot().Anchors)
	waitUntil(t, 10*time.Second, "standby follows after the outage", func() bool { return len(s.Desk.Snapshot().Anchors) == n })

	// Another outage, during which the primary dies: once the hub is
	// back the standby takes over, but only after a whole timeout in
	// which it could see the lease.
	c.Kill(0)
	p.Close()
	time.Sleep(pcfg.HeartbeatTimeout + time.Second)
	c.Restart(0)
	back := time.Now()
	waitUntil(t, 15*time.Second, "standby takes over after the outage", func() bool { _, f := s.Desk.Following(); return !f })
	if took := time.Since(back); took < pcfg.HeartbeatTimeout-500*time.Millisecond {
		t.Fatalf("the standby took over %v after the hub came back: it did not give the lease a whole timeout (%v) in sight", took, pcfg.HeartbeatTimeout)
	} else {
		t.Logf("hub back → takeover %v (timeout %v)", took.Round(time.Millisecond), pcfg.HeartbeatTimeout)
	}
}
