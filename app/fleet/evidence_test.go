package fleet_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"studiodesk/app/core"
	"studiodesk/app/fleet"
	"studiodesk/app/fleet/fleettest"
	"studiodesk/studio"
	"studiodesk/studio/remote"
	"studiodesk/studio/store"
)

// openDesk builds a real headless desk (core.Open, as serve does) on dir,
// in an accelerated rehearsal, joined to the fleet by cfg.
func evOpenDesk(t *testing.T, dir string, cfg fleet.Config) *core.App {
	t.Helper()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var o core.Options
	o.Register(fs)
	if err := fs.Parse([]string{"--data", dir, "--overlay", "127.0.0.1:0", "--remote-addr", "127.0.0.1:0",
		"--sim-profile", "quiet", "--sim-rate", "20", "--speed", "20"}); err != nil {
		t.Fatal(err)
	}
	o.OSCAddr = remote.OSCOff
	o.Fleet = cfg
	a, err := core.Open(o)
	if err != nil {
		t.Fatalf("open desk: %v", err)
	}
	return a
}

func evidenceOf(t *testing.T, a *core.App) *fleet.Evidence {
	t.Helper()
	ev, ok := a.Fleet.Part(fleet.EvidencePart).(*fleet.Evidence)
	if !ok {
		t.Fatalf("the desk runs no evidence part (parts: %v)", a.Fleet.Part(fleet.EvidencePart))
	}
	return ev
}

// do runs desk commands; refusals (a vote not armed, …) are fine, the
// show log records what happened either way.
func do(t *testing.T, a *core.App, cmds ...studio.Command) {
	t.Helper()
	for _, c := range cmds {
		if err := a.Desk.Do(context.Background(), c); err != nil && strings.Contains(err.Error(), "storage") {
			t.Fatalf("%s: %v", c.Name(), err)
		}
	}
}

// showPart plays a stretch of a rehearsal show: segments, cues, a
// coupon, pinned lines and a minute's figures.
func showPart(t *testing.T, a *core.App, minute int) {
	t.Helper()
	for i := range 3 {
		do(t, a, studio.Next{}, studio.Adjust{Delta: 15 * time.Second},
			studio.LogFigures{Figures: studio.Figures{Minute: time.Date(2026, 1, 1, 20, minute, i, 0, time.UTC), Received: int64(1200 + i), Shown: 900, Viewers: 3400}})
		if rec := a.Pipeline.Recent(); len(rec) > 0 {
			do(t, a, studio.PinDanmaku{ID: rec[0].ID})
		}
		do(t, a, studio.RecallPreset{ID: "cam-wide"}, studio.FireCoupon{ID: "coupon-1"})
		time.Sleep(150 * time.Millisecond)
	}
}

// hubEqualsLocal checks that, for every log of st, the hub's messages are
// the local records' canonical bytes in the same order, and that the
// stream holds nothing else (0 lost, 0 duplicated).
func hubEqualsLocal(ctx context.Context, st *store.Store, js jetstream.JetStream, s fleet.Studio) (int, error) {
	shows, err := st.Shows()
	if err != nil {
		return 0, err
	}
	hubLogs, err := fleet.HubLogs(ctx, js, s)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, show := range shows {
		var local []store.CanonicalRecord
		if err := st.Canonical(show, 1, 0, func(r store.CanonicalRecord) error { local = append(local, r); return nil }); err != nil {
			return 0, err
		}
		wire := show
		if show == fleet.DeskLog {
			// The desk log is per desk on the wire ("desk-<fp8>").
			for w := range hubLogs {
				if _, ok := fleet.IsDeskLogWire(w); ok {
					wire = w
				}
			}
		}
		hub, err := fleet.ReadHubLog(ctx, js, s, wire)
		if err != nil {
			return 0, err
		}
		if len(hub) != len(local) {
			return 0, fmt.Errorf("log %q: hub has %d records, the desk %d", show, len(hub), len(local))
		}
		for i := range local {
			h, l := hub[i], local[i]
			if h.Seq != l.Seq || h.Hash != l.Hash || !bytes.Equal(h.Data, l.Bytes) {
				return 0, fmt.Errorf("log %q: message %d is record %d %.12s, the desk has %d %.12s", show, i, h.Seq, h.Hash, l.Seq, l.Hash)
			}
			if i > 0 && h.StreamSeq <= hub[i-1].StreamSeq {
				return 0, fmt.Errorf("log %q: stream order broken at %d", show, i)
			}
		}
		total += len(local)
		delete(hubLogs, wire)
	}
	if len(hubLogs) > 0 {
		return 0, fmt.Errorf("the hub holds logs the desk does not: %v", hubLogs)
	}
	stream, err := js.Stream(ctx, s.LogStream())
	if err != nil {
		return 0, err
	}
	if n := stream.CachedInfo().State.Msgs; n != uint64(total) {
		return 0, fmt.Errorf("the stream holds %d messages, the desk's logs %d records", n, total)
	}
	return total, nil
}

// waitHubEqualsLocal waits until the hub's copy equals the local logs.
func waitHubEqualsLocal(t *testing.T, st *store.Store, js jetstream.JetStream, s fleet.Studio, d time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(d)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		n, err := hubEqualsLocal(ctx, st, js, s)
		cancel()
		if err == nil {
			return n
		}
		last = err
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("the hub's copy never equalled the desk's logs within %v: %v", d, last)
	return 0
}

// A desk offline for a whole show (the cluster down from before the desk
// starts, and the desk restarted in the middle) publishes every record
// once the cluster is back: the hub's stream equals the local logs byte
// for byte, 0 lost, 0 duplicated; a further restart online adds nothing.
func TestEvidenceOfflineShowPublishedOnReconnect(t *testing.T) {
	c := fleettest.Start(t, 3, "s1")
	_, ajs := c.Agency()
	s := fleet.Studio{ID: "s1"}
	for i := range 3 {
		c.Kill(i)
	}
	dir := t.TempDir()
	a := evOpenDesk(t, dir, c.Desk("s1"))
	do(t, a, studio.Start{})
	showPart(t, a, 1)
	ev := evidenceOf(t, a)
	time.Sleep(400 * time.Millisecond)
	if st := ev.Status(); st.Connected || st.Unpublished == 0 {
		t.Fatalf("offline desk: status %+v, want disconnected with records unpublished", st)
	}
	// The desk restarts in the middle of the offline period.
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	a = evOpenDesk(t, dir, c.Desk("s1"))
	defer a.Close()
	showPart(t, a, 2)
	do(t, a, studio.End{})
	ev = evidenceOf(t, a)
	time.Sleep(400 * time.Millisecond)
	offline := ev.Status()
	if offline.Connected || offline.Unpublished == 0 || offline.Published != 0 {
		t.Fatalf("offline desk after a restart: status %+v", offline)
	}
	runs, _ := a.Store.Shows()
	if len(runs) < 2 {
		t.Fatalf("want the desk log and a run, have %v", runs)
	}
	for i := range 3 {
		c.Restart(i)
	}
	c.WaitReady(30 * time.Second)
	n := waitHubEqualsLocal(t, a.Store, ajs, s, 40*time.Second)
	if n < 30 {
		t.Fatalf("only %d records in the show: the test did not play a show", n)
	}
	st, ok := fleet.EvidenceStatusOf(a.Fleet)
	if !ok || st.Unpublished != 0 || st.LastAck.IsZero() || len(st.Divergences) != 0 || !st.Connected || !st.Active {
		t.Fatalf("after reconnect: status %+v", st)
	}
	t.Logf("offline show: %d records in %d logs published on reconnect (%d by this desk process), hub == local", n, len(runs), st.Published)

	// Restart online: the cursors and the stream agree, nothing is sent twice.
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	a = evOpenDesk(t, dir, c.Desk("s1"))
	defer a.Close()
	do(t, a, studio.LogFigures{Figures: studio.Figures{Minute: time.Date(2026, 1, 1, 21, 0, 0, 0, time.UTC), Received: 1}})
	n2 := waitHubEqualsLocal(t, a.Store, ajs, s, 30*time.Second)
	if n2 <= n {
		t.Fatalf("after the online restart the hub holds %d records, before %d", n2, n)
	}
}

// Killing the NATS server the desk is connected to in the middle of a
// show, and then the stream's leader, loses no record and duplicates none.
func TestEvidenceSurvivesKilledServer(t *testing.T) {
	c := fleettest.Start(t, 3, "s1")
	_, ajs := c.Agency()
	s := fleet.Studio{ID: "s1"}
	a := evOpenDesk(t, t.TempDir(), c.Desk("s1"))
	defer a.Close()
	deadline := time.Now().Add(10 * time.Second)
	for !a.Fleet.Connected() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	do(t, a, studio.Start{})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(15 * time.Millisecond):
			}
			cmds := []studio.Command{
				studio.LogFigures{Figures: studio.Figures{Minute: time.Date(2026, 1, 1, 20, i/60, i%60, 0, time.UTC), Received: int64(i)}},
				studio.RecallPreset{ID: "cam-wide"}, studio.Adjust{Delta: time.Second}, studio.Next{},
			}
			_ = a.Desk.Do(context.Background(), cmds[i%len(cmds)])
		}
	}()
	time.Sleep(1500 * time.Millisecond)
	name := a.Fleet.Conn.ConnectedServerName()
	var victim int
	if _, err := fmt.Sscanf(name, "hub-%d", &victim); err != nil {
		t.Fatalf("connected to %q: %v", name, err)
	}
	before := evidenceOf(t, a).Status().Published
	c.Kill(victim - 1)
	t.Logf("killed %s (the desk's server) after %d records were acknowledged", name, before)
	time.Sleep(2500 * time.Millisecond)
	// Then the stream's leader (with the first server back): acks in
	// flight are lost with it.
	c.Restart(victim - 1)
	time.Sleep(1500 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	info, err := c.StreamInfo(ctx, ajs, s.LogStream())
	cancel()
	if err != nil || info.Cluster == nil || info.Cluster.Leader == "" {
		t.Fatalf("stream leader: %v", err)
	}
	var leader int
	if _, err := fmt.Sscanf(info.Cluster.Leader, "hub-%d", &leader); err != nil {
		t.Fatalf("leader %q: %v", info.Cluster.Leader, err)
	}
	mid := evidenceOf(t, a).Status().Published
	c.Kill(leader - 1)
	t.Logf("killed the stream leader %s after %d records were acknowledged", info.Cluster.Leader, mid)
	time.Sleep(2500 * time.Millisecond)
	close(stop)
	wg.Wait()
	n := waitHubEqualsLocal(t, a.Store, ajs, s, 40*time.Second)
	st := evidenceOf(t, a).Status()
	if st.Unpublished != 0 || len(st.Divergences) != 0 {
		t.Fatalf("status %+v", st)
	}
	if st.Published <= before || n < 100 {
		t.Fatalf("too few records after the kill: %d published in all, %d before the kill, %d in the logs", st.Published, before, n)
	}
	if st.Published <= mid {
		t.Fatalf("nothing published after the leader was killed: %d, %d before", st.Published, mid)
	}
	t.Logf("servers killed mid-show: %d records, hub == local (%d resyncs), now on %s", n, st.Resyncs, a.Fleet.Conn.ConnectedServerName())
}
