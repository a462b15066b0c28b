package fleet_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"studiodesk/app/fleet"
	"studiodesk/app/fleet/fleettest"
	"studiodesk/studio/store"
)

func startPublisher(t *testing.T, c *fleettest.Cluster, st *store.Store) *fleet.Evidence {
	t.Helper()
	nc, _, err := c.Desk("s1").Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	ev, err := fleet.NewEvidence(context.Background(), fleet.EvidenceConfig{Store: st, Conn: nc, Studio: fleet.Studio{ID: "s1"}, DeskKey: "test", Logf: t.Logf, Poll: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ev.Close() })
	return ev
}

func appendN(t *testing.T, st *store.Store, show string, n int) {
	t.Helper()
	for i := range n {
		if _, err := st.Append(show, "figures", map[string]int{"i": i}); err != nil {
			t.Fatal(err)
		}
	}
}

func waitStatus(t *testing.T, ev *fleet.Evidence, ok func(fleet.EvidenceStatus) bool) fleet.EvidenceStatus {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if s := ev.Status(); ok(s) {
			return s
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("status never as wanted: %+v", ev.Status())
	return fleet.EvidenceStatus{}
}

// A crash between the stream's ack and the cursor's save (here: the
// cursor lost, then set back) re-sends nothing: the stream decides where
// to go on. A re-sent record is dropped by the stream's dedupe.
func TestEvidenceResyncAfterLostCursor(t *testing.T) {
	c := fleettest.Start(t, 1, "s1")
	_, ajs := c.Agency()
	s := fleet.Studio{ID: "s1"}
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	appendN(t, st, "run-a", 40)
	appendN(t, st, "desk", 5)
	ev := startPublisher(t, c, st)
	waitStatus(t, ev, func(s fleet.EvidenceStatus) bool { return s.Connected && s.Unpublished == 0 && s.Published == 45 })
	if err := ev.Close(); err != nil {
		t.Fatal(err)
	}
	// The crash: the cursor says less than the stream has.
	if err := st.Delete(fleet.EvidenceBucket, "run-a"); err != nil {
		t.Fatal(err)
	}
	if err := st.Put(fleet.EvidenceBucket, "desk", map[string]any{"seq": 2}); err != nil {
		t.Fatal(err)
	}
	appendN(t, st, "run-a", 10)
	ev = startPublisher(t, c, st)
	got := waitStatus(t, ev, func(s fleet.EvidenceStatus) bool { return s.Connected && s.Unpublished == 0 && s.Published > 0 })
	if got.Published != 10 {
		t.Fatalf("after a lost cursor the desk published %d records, want the 10 new ones only", got.Published)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if n, err := hubEqualsLocal(ctx, st, ajs, s); err != nil || n != 55 {
		t.Fatalf("hub vs local: %d, %v", n, err)
	}
	// A re-send of a stored record (same Nats-Msg-Id) is a duplicate.
	var rec store.CanonicalRecord
	_ = st.Canonical("run-a", 7, 7, func(r store.CanonicalRecord) error { rec = r; return nil })
	m := nats.NewMsg(s.LogSubject("run-a"))
	m.Data = rec.Bytes
	m.Header.Set(jetstream.MsgIDHeader, fleet.EvidenceMsgID("run-a", 7, rec.Hash))
	ack, err := ajs.PublishMsg(ctx, m)
	if err != nil || !ack.Duplicate {
		t.Fatalf("re-send of record 7: ack %+v, %v; want a duplicate", ack, err)
	}
}

// A desk whose log was cut short or rewritten after it was published
// reports a divergence naming the log and record and publishes nothing
// for that log; the hub's copy is untouched.
func TestEvidenceDivergenceIsReportedNeverOverwritten(t *testing.T) {
	c := fleettest.Start(t, 1, "s1")
	_, ajs := c.Agency()
	s := fleet.Studio{ID: "s1"}
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	appendN(t, st, "run-a", 30)
	ev := startPublisher(t, c, st)
	waitStatus(t, ev, func(s fleet.EvidenceStatus) bool { return s.Connected && s.Unpublished == 0 && s.Published == 30 })
	_ = ev.Close()
	_ = st.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	before, err := fleet.ReadHubLog(ctx, ajs, s, "run-a")
	if err != nil || len(before) != 30 {
		t.Fatalf("hub copy: %d, %v", len(before), err)
	}

	for _, tc := range []struct {
		name  string
		build func(*store.Store)
		want  string
		seq   uint64
	}{
		{"truncated", func(st *store.Store) { appendN(t, st, "run-a", 20) }, "missing on the desk", 21},
		{"rewritten", func(st *store.Store) {
			for i := range 35 {
				if _, err := st.Append("run-a", "figures", map[string]int{"i": i + 1000}); err != nil {
					t.Fatal(err)
				}
			}
		}, "rewritten", 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			other, err := store.Open(t.TempDir(), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer other.Close()
			tc.build(other)
			ev := startPublisher(t, c, other)
			got := waitStatus(t, ev, func(s fleet.EvidenceStatus) bool { return len(s.Divergences) > 0 })
			d := got.Divergences[0]
			if d.Show != "run-a" || d.Seq != tc.seq || !strings.Contains(d.Reason, tc.want) {
				t.Fatalf("divergence %+v, want run-a record %d %q", d, tc.seq, tc.want)
			}
			time.Sleep(200 * time.Millisecond)
			after, err := fleet.ReadHubLog(ctx, ajs, s, "run-a")
			if err != nil || len(after) != 30 {
				t.Fatalf("hub copy changed: %d records, %v", len(after), err)
			}
			for i := range after {
				if string(after[i].Data) != string(before[i].Data) {
					t.Fatalf("hub record %d changed", i+1)
				}
			}
			if got.Published != 0 {
				t.Fatalf("a diverged desk published %d records", got.Published)
			}
		})
	}
}

// A standby's publisher (started inactive) sends nothing until it is
// made active, then everything.
func TestEvidenceInactiveUntilActivated(t *testing.T) {
	c := fleettest.Start(t, 1, "s1")
	_, ajs := c.Agency()
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	appendN(t, st, "run-a", 12)
	nc, _, err := c.Desk("s1").Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ev, err := fleet.NewEvidence(context.Background(), fleet.EvidenceConfig{Store: st, Conn: nc, Studio: fleet.Studio{ID: "s1"}, Inactive: true, Poll: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	time.Sleep(500 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// A follower's records are not its to publish: none counts as unpublished.
	if s := ev.Status(); s.Active || s.Published != 0 || s.Unpublished != 0 || s.Logs != 1 {
		t.Fatalf("inactive publisher: %+v", s)
	}
	if recs, err := fleet.ReadHubLog(ctx, ajs, fleet.Studio{ID: "s1"}, "run-a"); err != nil || len(recs) != 0 {
		t.Fatalf("an inactive desk published %d records (%v)", len(recs), err)
	}
	ev.SetActive(true)
	if err := ev.WaitPublished(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := hubEqualsLocal(ctx, st, ajs, fleet.Studio{ID: "s1"}); err != nil || n != 12 {
		t.Fatalf("after activation: %d, %v", n, err)
	}
}
