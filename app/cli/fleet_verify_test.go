package cli

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"studiodesk/app/core"
	"studiodesk/app/fleet"
	"studiodesk/app/fleet/fleettest"
	"studiodesk/studio"
	"studiodesk/studio/remote"
	"studiodesk/studio/store"
)

// fleetDeskShow plays a short rehearsal show on a real headless desk
// joined to the cluster and waits until the hub has every record; it
// returns the data directory (desk closed) and the run id.
func fleetDeskShow(t *testing.T, c *fleettest.Cluster) (string, string) {
	t.Helper()
	dir := t.TempDir()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var o core.Options
	o.Register(fs)
	if err := fs.Parse([]string{"--data", dir, "--overlay", "127.0.0.1:0", "--remote-addr", "127.0.0.1:0", "--sim-profile", "quiet", "--speed", "20"}); err != nil {
		t.Fatal(err)
	}
	o.OSCAddr = remote.OSCOff
	o.Fleet = c.Desk("s1")
	a, err := core.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, cmd := range []studio.Command{studio.Start{}, studio.Next{}, studio.FireCoupon{ID: "coupon-1"}, studio.Next{}, studio.Adjust{Delta: 20 * time.Second},
		studio.LogFigures{Figures: studio.Figures{Minute: time.Date(2026, 1, 1, 20, 1, 0, 0, time.UTC), Received: 1500, Viewers: 2100}}, studio.Next{}, studio.End{}} {
		_ = a.Desk.Do(ctx, cmd)
		time.Sleep(50 * time.Millisecond)
	}
	run := a.Desk.Snapshot().Run
	ev := a.Fleet.Part(fleet.EvidencePart).(*fleet.Evidence)
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := ev.WaitPublished(wctx); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if run == "" {
		t.Fatal("no run")
	}
	// What the desk wrote while closing goes out as on its next start.
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	nc, _, err := c.Desk("s1").Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	pub, err := store.LoadPublicKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	ev, err = fleet.NewEvidence(ctx, fleet.EvidenceConfig{Store: st, Conn: nc, Studio: fleet.Studio{ID: "s1"}, DeskKey: store.Fingerprint(pub)})
	if err != nil {
		t.Fatal(err)
	}
	if err := ev.WaitPublished(wctx); err != nil {
		t.Fatal(err)
	}
	_ = ev.Close()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, run
}

// copyData copies the desk's data directory files (desk.db, desk.key,
// desk.head) to a new directory.
func copyData(t *testing.T, dir string) string {
	t.Helper()
	dst := t.TempDir()
	for _, f := range []string{store.FileName, store.KeyFileName, store.HeadFileName} {
		raw, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, f), raw, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// boltEdit edits the run's log in dir/desk.db with bbolt directly.
func boltEdit(t *testing.T, dir, run string, edit func(b *bolt.Bucket, last uint64)) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, store.FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("log")).Bucket([]byte(run))
		k, _ := b.Cursor().Last()
		edit(b, binary.BigEndian.Uint64(k))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func seqKey(n uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, n)
	return k
}

// verify --fleet passes on an honest desk and names the run and record of
// a desk-side truncation and of a rewrite (also one whose local chain and
// signatures would pass on their own); report --fleet builds the report
// from the hub's copy with the agency's credentials.
func TestVerifyFleetDetectsTruncationAndRewrite(t *testing.T) {
	c := fleettest.Start(t, 3, "s1", "s2")
	dir, run := fleetDeskShow(t, c)
	conn := []string{"--fleet", c.URL(), "--studio", "s1", "--fleet-user", "studio-s1", "--fleet-password", fleettest.Password("s1")}

	t0 := time.Now()
	defer func() { t.Logf("cli part took %v", time.Since(t0)) }()
	code, out, errOut := runCLI(t, append([]string{"verify", "--data", dir, "--all"}, conn...)...)
	t.Logf("verify all: %v\n%s", time.Since(t0), out)
	if code != ExitOK || !strings.Contains(out, "OK "+run+" (studio s1): the hub's copy of records 1-") || !strings.Contains(out, "OK desk (studio s1)") || strings.Contains(out, "not yet on the hub") {
		t.Fatalf("honest desk: exit %d\n%s\n%s", code, out, errOut)
	}
	pub, err := store.LoadPublicKey(dir)
	if err != nil || !strings.Contains(out, "published by desk key "+store.Fingerprint(pub)+"\n") {
		t.Fatalf("the publishing desk's key is not named (%v):\n%s", err, out)
	}
	var last uint64
	st, err := store.OpenReadOnly(filepath.Join(dir, store.FileName), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rec, ok, err := st.Last(run); err != nil || !ok {
		t.Fatal(err)
	} else {
		last = rec.Seq
	}
	_ = st.Close()
	if last < 10 {
		t.Fatalf("run has only %d records", last)
	}

	// Truncated: the last 3 records removed from a copy of desk.db.
	cut := copyData(t, dir)
	boltEdit(t, cut, run, func(b *bolt.Bucket, last uint64) {
		for s := last - 2; s <= last; s++ {
			_ = b.Delete(seqKey(s))
		}
	})
	code, out, errOut = runCLI(t, append([]string{"verify", "--data", cut, run}, conn...)...)
	if code != ExitTampered || !strings.Contains(out, "TRUNCATED "+run+": record "+itoa(last-2)) {
		t.Fatalf("truncated copy: exit %d\n%s\n%s", code, out, errOut)
	}

	// Rewritten: one record's payload changed and its hash recomputed in
	// place (what a rewrite must do to pass a record-level check).
	rw := copyData(t, dir)
	target := last / 2
	boltEdit(t, rw, run, func(b *bolt.Bucket, _ uint64) {
		var m map[string]json.RawMessage
		_ = json.Unmarshal(b.Get(seqKey(target)), &m)
		m["hash"] = json.RawMessage(`"` + strings.Repeat("ab", 32) + `"`)
		raw, _ := json.Marshal(m)
		_ = b.Put(seqKey(target), raw)
	})
	code, out, _ = runCLI(t, append([]string{"verify", "--data", rw, run}, conn...)...)
	if code != ExitTampered || !strings.Contains(out, "REWRITTEN "+run+": record "+itoa(target)) {
		t.Fatalf("rewritten copy: exit %d\n%s", code, out)
	}

	// A whole log rewritten consistently (a fresh chain under the same
	// run id, no key, no head): it verifies on its own; only the hub's
	// copy shows it.
	fresh := t.TempDir()
	fst, err := store.Open(fresh, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range int(last) {
		if _, err := fst.Append(run, "figures", map[string]int{"i": i}); err != nil {
			t.Fatal(err)
		}
	}
	_ = fst.Close()
	if code, out, _ = runCLI(t, "verify", "--data", fresh, run); code != ExitOK {
		t.Fatalf("the forged log should verify on its own: %d %s", code, out)
	}
	code, out, _ = runCLI(t, append([]string{"verify", "--data", fresh, run}, conn...)...)
	if code != ExitTampered || !strings.Contains(out, "REWRITTEN "+run+": record 1:") {
		t.Fatalf("forged log: exit %d\n%s", code, out)
	}

	// Another studio's credentials cannot read this studio's copy.
	other := []string{"--fleet", c.URL(), "--studio", "s1", "--fleet-user", "studio-s2", "--fleet-password", fleettest.Password("s2")}
	t1 := time.Now()
	if code, out, errOut = runCLI(t, append([]string{"verify", "--data", dir, run}, other...)...); code != ExitError || !strings.Contains(errOut, "the hub refused") || time.Since(t1) > 15*time.Second {
		t.Fatalf("studio s2 read studio s1: exit %d\n%s%s", code, out, errOut)
	}

	t.Logf("other studio: %v", time.Since(t1))
	// A hub that is not there: said at once, exit 2.
	down := []string{"--fleet", "nats://127.0.0.1:" + itoa(uint64(fleettest.FreePort(t))), "--studio", "s1", "--fleet-user", "studio-s1", "--fleet-password", "x"}
	if code, out, errOut = runCLI(t, append([]string{"verify", "--data", dir, run}, down...)...); code != ExitError || !strings.Contains(errOut, "is the hub running") {
		t.Fatalf("hub down: exit %d\n%s%s", code, out, errOut)
	}

	// The report from the hub's copy, with the agency's credentials.
	html := filepath.Join(t.TempDir(), "hub.html")
	agency := []string{"--fleet", c.URL(), "--studio", "s1", "--fleet-user", fleettest.AgencyUser, "--fleet-password", fleettest.AgencyPassword}
	code, out, errOut = runCLI(t, append([]string{"report", run, "--html", html}, agency...)...)
	if code != ExitOK || !strings.Contains(out, "from the hub's copy (studio s1): "+itoa(last)+" records") {
		t.Fatalf("report --fleet: exit %d\n%s%s", code, out, errOut)
	}
	page, err := os.ReadFile(html)
	if err != nil || !strings.Contains(string(page), run) {
		t.Fatalf("report page: %v (has run: %v)", err, strings.Contains(string(page), run))
	}
	localHTML := filepath.Join(t.TempDir(), "local.html")
	if code, out, errOut = runCLI(t, "report", "--data", dir, run, "--html", localHTML); code != ExitOK {
		t.Fatalf("local report: %d %s %s", code, out, errOut)
	}
	if lp, _ := os.ReadFile(localHTML); len(lp) == 0 || string(lp) != string(page) {
		t.Fatalf("the hub's report differs from the desk's (%d vs %d bytes)", len(page), len(lp))
	}
}

func itoa(n uint64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
