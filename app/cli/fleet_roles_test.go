package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"log"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"studiodesk/app/core"
	"studiodesk/app/fleet"
	"studiodesk/app/fleet/fleettest"
	"studiodesk/studio"
	"studiodesk/studio/remote"
	"studiodesk/studio/store"
)

// openFleetDesk opens a real headless desk (rehearsal, fast clock) in dir
// joined to the fleet with cfg.
func openFleetDesk(t *testing.T, dir string, cfg fleet.Config) *core.App {
	t.Helper()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var o core.Options
	o.Register(fs)
	if err := fs.Parse([]string{"--data", dir, "--overlay", "127.0.0.1:0", "--remote-addr", "127.0.0.1:0", "--sim-profile", "quiet", "--speed", "20"}); err != nil {
		t.Fatal(err)
	}
	o.OSCAddr = remote.OSCOff
	o.Fleet = cfg
	a, err := core.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// hashAt is the hash of record seq of show in st ("" if it has none).
func hashAt(st *store.Store, show string, seq uint64) string {
	h := ""
	_ = st.Canonical(show, seq, seq, func(r store.CanonicalRecord) error { h = r.Hash; return nil })
	return h
}

func evidenceOf(t *testing.T, a *core.App) *fleet.Evidence {
	t.Helper()
	ev, ok := a.Fleet.Part(fleet.EvidencePart).(*fleet.Evidence)
	if !ok {
		t.Fatal("no evidence part")
	}
	return ev
}

func eventually(t *testing.T, d time.Duration, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// statusWatch records every status message of studio s1 (primary and
// standby subjects) as the agency sees them.
type statusWatch struct {
	mu   sync.Mutex
	msgs []struct {
		subject string
		st      fleet.Status
	}
}

func watchStatus(t *testing.T, nc *nats.Conn, studio string) *statusWatch {
	t.Helper()
	w := &statusWatch{}
	for _, subj := range []string{fleet.Studio{ID: studio}.Heartbeat(), fleet.Studio{ID: studio}.StandbyStatus()} {
		sub, err := nc.Subscribe(subj, func(m *nats.Msg) {
			var st fleet.Status
			_ = json.Unmarshal(m.Data, &st)
			w.mu.Lock()
			w.msgs = append(w.msgs, struct {
				subject string
				st      fleet.Status
			}{m.Subject, st})
			w.mu.Unlock()
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = sub.Unsubscribe() })
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return w
}

// from returns the subjects and roles of the messages desk sent.
func (w *statusWatch) from(desk string) (subjects map[string]int, roles map[string]int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	subjects, roles = map[string]int{}, map[string]int{}
	for _, m := range w.msgs {
		if m.st.Desk == desk {
			subjects[m.subject]++
			roles[m.st.Role]++
		}
	}
	return subjects, roles
}

func (w *statusWatch) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.msgs)
}

// End to end, real desks: the primary plays a show and publishes it; the
// standby (a follower) publishes nothing and judges nothing; the primary
// goes away, the standby takes over and goes on; the hub's copy of the
// run then equals the new primary's log record for record (none lost,
// none twice) and verify --fleet passes on the new primary's data. The
// old primary restarted without --standby-for is a follower: it
// publishes no evidence, reports no divergence and sends its status on
// the standby subject.
func TestFleetTakeoverEvidenceEndToEnd(t *testing.T) {
	c := fleettest.Start(t, 1, "s1")
	anc, ajs := c.Agency()
	sw := watchStatus(t, anc, "s1")
	pcfg := c.Desk("s1")
	pcfg.HeartbeatTimeout = time.Second
	scfg := pcfg
	scfg.StandbyFor = "s1"
	pdir, sdir := t.TempDir(), t.TempDir()
	p := openFleetDesk(t, pdir, pcfg)
	pClosed := false
	defer func() {
		if !pClosed {
			_ = p.Close()
		}
	}()
	s := openFleetDesk(t, sdir, scfg)
	sClosed := false
	defer func() {
		if !sClosed {
			_ = s.Close()
		}
	}()
	pFP, sFP := p.Boot.Key.Fingerprint(), s.Boot.Key.Fingerprint()
	ctx := context.Background()
	for _, cmd := range []studio.Command{studio.Start{}, studio.Next{}, studio.FireCoupon{ID: "coupon-1"}, studio.Next{}} {
		if err := p.Desk.Do(ctx, cmd); err != nil {
			t.Fatalf("%s: %v", cmd.Name(), err)
		}
		time.Sleep(30 * time.Millisecond)
	}
	run := p.Desk.Snapshot().Run
	if run == "" {
		t.Fatal("no run")
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := evidenceOf(t, p).WaitPublished(wctx); err != nil {
		t.Fatal(err)
	}
	pLast, _, _ := p.Store.Last(run)
	eventually(t, 10*time.Second, "the standby imports the run's log", func() bool {
		return hashAt(s.Store, run, pLast.Seq) == pLast.Hash
	})
	sev := evidenceOf(t, s)
	if st := sev.Status(); st.Active || st.Published != 0 || len(st.Divergences) != 0 || st.Unpublished != 0 {
		t.Fatalf("standby's evidence while following: %+v", st)
	}

	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	pClosed = true
	eventually(t, 10*time.Second, "the standby takes over", func() bool { _, f := s.Desk.Following(); return !f })
	for _, cmd := range []studio.Command{studio.Next{}, studio.Adjust{Delta: 10 * time.Second}, studio.Next{}} {
		if err := s.Desk.Do(ctx, cmd); err != nil {
			t.Fatalf("new primary: %s: %v", cmd.Name(), err)
		}
		time.Sleep(30 * time.Millisecond)
	}
	sLast, _, _ := s.Store.Last(run)
	if err := sev.WaitPublished(wctx); err != nil {
		t.Fatal(err)
	}
	if st := sev.Status(); !st.Active || st.Published == 0 || len(st.Divergences) != 0 {
		t.Fatalf("new primary's evidence: %+v", st)
	}

	// The hub's copy of the run equals the new primary's log.
	hub, err := fleet.ReadHubLog(wctx, ajs, fleet.Studio{ID: "s1"}, run)
	if err != nil {
		t.Fatal(err)
	}
	var local []store.CanonicalRecord
	if err := s.Store.Canonical(run, 1, 1<<62, func(r store.CanonicalRecord) error { local = append(local, r); return nil }); err != nil {
		t.Fatal(err)
	}
	// Every record committed before WaitPublished is on the hub; the
	// desk may have written more since (its rehearsal clock runs).
	if len(hub) < int(sLast.Seq) || len(local) < len(hub) || sLast.Seq <= pLast.Seq {
		t.Fatalf("hub has %d records of %s, the new primary's log %d (the old primary published %d)", len(hub), run, len(local), pLast.Seq)
	}
	byDesk := map[string]int{}
	for i, h := range hub {
		if h.Seq != uint64(i+1) || h.Hash != local[i].Hash || !bytes.Equal(h.Data, local[i].Bytes) {
			t.Fatalf("hub message %d: record %d %.12s, local record %d %.12s", i+1, h.Seq, h.Hash, local[i].Seq, local[i].Hash)
		}
		byDesk[h.Desk]++
	}
	if byDesk[pFP] == 0 || byDesk[sFP] == 0 || len(byDesk) != 2 {
		t.Fatalf("publishers of the run: %v (old %s, new %s)", byDesk, pFP, sFP)
	}
	t.Logf("run %s: %d records on the hub = the new primary's log (old primary %d, new primary %d), 0 lost, 0 duplicated", run, len(hub), byDesk[pFP], byDesk[sFP])
	// Desk logs are per desk on the wire.
	logs, err := fleet.HubLogs(wctx, ajs, fleet.Studio{ID: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	if _, plain := logs[fleet.DeskLog]; plain {
		t.Fatalf("a desk log published as plain %q: %v", fleet.DeskLog, logs)
	}
	if logs[fleet.DeskLogWire(pFP)] == 0 {
		t.Fatalf("the old primary's desk log is not on the hub as %s: %v", fleet.DeskLogWire(pFP), logs)
	}

	// The old primary comes back without --standby-for: a follower.
	p2 := openFleetDesk(t, pdir, pcfg)
	defer p2.Close()
	if _, f := p2.Desk.Following(); !f {
		t.Fatal("old primary restarted is not a follower")
	}
	p2ev := evidenceOf(t, p2)
	time.Sleep(2 * time.Second)
	if st := p2ev.Status(); st.Active || st.Published != 0 || len(st.Divergences) != 0 {
		t.Fatalf("old primary as follower: evidence %+v", st)
	}
	subjects, roles := sw.from(pFP)
	if subjects[fleet.Studio{ID: "s1"}.StandbyStatus()] == 0 || roles[fleet.RoleStandby] == 0 {
		t.Fatalf("old primary's status after its restart: subjects %v roles %v", subjects, roles)
	}
	if st, ok := p2.Fleet.LastStatus(); !ok || st.Role != fleet.RoleStandby {
		t.Fatalf("old primary restarted reports role %q (%v)", st.Role, ok)
	}
	subjects, _ = sw.from(sFP)
	if subjects[fleet.Studio{ID: "s1"}.Heartbeat()] == 0 {
		t.Fatalf("the new primary sent no status on the primary's subject: %v", subjects)
	}
	if err := p2.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	sClosed = true

	conn := []string{"--fleet", c.URL(), "--studio", "s1", "--fleet-user", "studio-s1", "--fleet-password", fleettest.Password("s1")}
	// The run carries the old primary's checkpoints, then the new one's:
	// without the old primary's key given, they are not vouched for.
	code, out, errOut := runCLI(t, append([]string{"verify", "--data", sdir, run}, conn...)...)
	if code != ExitTampered || !strings.Contains(out, pFP) {
		t.Fatalf("verify --fleet without the old primary's key: exit %d\n%s\n%s", code, out, errOut)
	}
	conn = append(conn, "--peer-key", p.Boot.Key.PublicHex())
	code, out, errOut = runCLI(t, append([]string{"verify", "--data", sdir, run}, conn...)...)
	if code != ExitOK || !strings.Contains(out, "OK "+run+" (studio s1)") {
		t.Fatalf("verify --fleet on the new primary: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, append([]string{"verify", "--data", sdir, "--all"}, conn...)...)
	if code != ExitOK || !strings.Contains(out, "SKIPPED "+fleet.DeskLogWire(pFP)) || !strings.Contains(out, "OK "+run) {
		t.Fatalf("verify --fleet --all on the new primary: exit %d\n%s\n%s", code, out, errOut)
	}
	t.Logf("verify --fleet --all on the new primary:\n%s", out)
}

// syncBuf is a log sink safe for concurrent writers.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A desk started for studio s1 with studio s2's credentials writes
// nothing of studio s1's: no evidence in its stream, no key in its
// bucket, no status on its subjects; it says clearly that the hub
// refuses, and the honest desk's evidence still verifies.
func TestFleetForeignCredentialsCannotWrite(t *testing.T) {
	c := fleettest.Start(t, 3, "s1", "s2")
	dir, run := fleetDeskShow(t, c)
	anc, ajs := c.Agency()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s1 := fleet.Studio{ID: "s1"}
	streamState := func(name string) (msgs, last uint64) {
		t.Helper()
		st, err := ajs.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		info, err := st.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return info.State.Msgs, info.State.LastSeq
	}
	logMsgs, logLast := streamState(s1.LogStream())
	kvMsgs, kvLast := streamState("KV_" + s1.Bucket())
	sw := watchStatus(t, anc, "s1")

	var logs syncBuf
	log.SetOutput(&logs)
	defer log.SetOutput(os.Stderr)
	rogue := c.Desk("s2")
	rogue.Studio = "s1" // studio s2's user and password, studio s1's name
	a := openFleetDesk(t, t.TempDir(), rogue)
	rfp := a.Boot.Key.Fingerprint()
	bg := context.Background()
	for _, cmd := range []studio.Command{studio.Start{}, studio.Next{}, studio.Next{}} {
		if err := a.Desk.Do(bg, cmd); err != nil {
			t.Fatalf("%s: %v", cmd.Name(), err)
		}
	}
	ev := evidenceOf(t, a)
	eventually(t, 20*time.Second, "the desk reports the refusal", func() bool {
		st := ev.Status()
		return strings.Contains(st.Err, "permissions violation") && strings.Contains(st.Err, "studio s1")
	})
	time.Sleep(2 * time.Second) // status beats, lease attempts, publishes
	st := ev.Status()
	if st.Published != 0 || st.Unpublished == 0 {
		t.Fatalf("foreign desk's evidence: %+v", st)
	}
	t.Logf("foreign desk's evidence error: %s", st.Err)
	if err := a.Close(); err != nil {
		t.Logf("close: %v", err)
	}
	out := logs.String()
	if !strings.Contains(out, "permissions violation") || !strings.Contains(out, "may not use studio s1's subjects") {
		t.Fatalf("the desk's log does not name the refusal:\n%s", out)
	}
	if m, l := streamState(s1.LogStream()); m != logMsgs || l != logLast {
		t.Fatalf("evidence stream of s1 changed: %d/%d messages, last %d/%d", m, logMsgs, l, logLast)
	}
	if m, l := streamState("KV_" + s1.Bucket()); m != kvMsgs || l != kvLast {
		t.Fatalf("bucket of s1 changed: %d/%d messages, last %d/%d", m, kvMsgs, l, kvLast)
	}
	if subj, _ := sw.from(rfp); len(subj) != 0 || sw.count() != 0 {
		t.Fatalf("status on s1's subjects while only the foreign desk ran: %v (%d messages)", subj, sw.count())
	}
	conn := []string{"--fleet", c.URL(), "--studio", "s1", "--fleet-user", "studio-s1", "--fleet-password", fleettest.Password("s1")}
	code, vout, verr := runCLI(t, append([]string{"verify", "--data", dir, "--all"}, conn...)...)
	if code != ExitOK || !strings.Contains(vout, "OK "+run+" (studio s1)") || strings.Contains(vout, rfp) {
		t.Fatalf("honest desk after the foreign one: exit %d\n%s\n%s", code, vout, verr)
	}
}
