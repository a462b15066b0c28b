package fleet_test

import (
	"bufio"
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"studiodesk/app/fleet"
	"studiodesk/app/fleet/fleettest"
	"studiodesk/studio/store"
)

const evidenceCrashEnv = "STUDIODESK_EVIDENCE_CRASH_CHILD"

// TestEvidenceCrashChild is the process TestEvidenceExactlyOnceAcrossKills
// SIGKILLs: a store appending records as fast as it can, and the real
// publisher sending them.
func TestEvidenceCrashChild(t *testing.T) {
	dir := os.Getenv(evidenceCrashEnv)
	if dir == "" {
		t.Skip("child of TestEvidenceExactlyOnceAcrossKills only")
	}
	st, err := store.Open(dir, store.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	cfg := fleet.Config{URL: os.Getenv(evidenceCrashEnv + "_URL"), Studio: "s1", User: "studio-s1", Password: fleettest.Password("s1")}
	nc, _, err := cfg.Connect()
	if err != nil {
		t.Fatal(err)
	}
	ev, err := fleet.NewEvidence(context.Background(), fleet.EvidenceConfig{Store: st, Conn: nc, Studio: fleet.Studio{ID: "s1"}, Poll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("READY\n")
	for i := 0; ; i++ {
		show := "run-a"
		if i%7 == 0 {
			show = "desk"
		}
		if _, err := st.Append(show, "figures", map[string]int{"i": i}); err != nil {
			t.Fatal(err)
		}
		if i%50 == 0 {
			_ = ev.Status()
		}
	}
}

// A desk process killed (SIGKILL) again and again while it publishes —
// between the stream's ack and the cursor's save most of the time — never
// sends a record twice and never skips one: after the kills, the hub's
// stream equals the desk's logs byte for byte.
func TestEvidenceExactlyOnceAcrossKills(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	c := fleettest.Start(t, 3, "s1")
	_, ajs := c.Agency()
	s := fleet.Studio{ID: "s1"}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 17))
	behind := 0
	const kills = 6
	for k := range kills {
		cmd := exec.Command(os.Args[0], "-test.run=^TestEvidenceCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), evidenceCrashEnv+"="+dir, evidenceCrashEnv+"_URL="+c.URL())
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ready := make(chan bool, 1)
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if strings.Contains(sc.Text(), "READY") {
					ready <- true
				}
			}
			close(ready)
		}()
		select {
		case ok := <-ready:
			if !ok {
				_ = cmd.Wait()
				t.Fatalf("child %d ended before it was ready", k)
			}
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatalf("child %d not ready in 20 s", k)
		}
		time.Sleep(time.Duration(300+rng.IntN(900)) * time.Millisecond)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()

		// Was the kill between an ack and the cursor's save?
		st, err := store.OpenReadOnly(dir+"/"+store.FileName, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var cur struct{ Seq uint64 }
		_, _ = st.Get(fleet.EvidenceBucket, "run-a", &cur)
		_ = st.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		hub, err := fleet.ReadHubLog(ctx, ajs, s, "run-a")
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if uint64(len(hub)) > cur.Seq {
			behind++
		}
		t.Logf("kill %d: the hub holds %d records of run-a, the desk's cursor says %d", k+1, len(hub), cur.Seq)
	}
	if behind == 0 {
		t.Fatalf("no kill landed between an ack and the cursor's save in %d kills: the test did not test that", kills)
	}
	// The desk once more, to publish what the last kill left.
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	nc, _, err := c.Desk("s1").Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ev, err := fleet.NewEvidence(context.Background(), fleet.EvidenceConfig{Store: st, Conn: nc, Studio: s})
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := ev.WaitPublished(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := hubEqualsLocal(ctx, st, ajs, s)
	if err != nil {
		t.Fatal(err)
	}
	if n < 200 {
		t.Fatalf("only %d records written: the children did not run", n)
	}
	t.Logf("%d kills (%d between an ack and the cursor's save): %d records, the hub's stream equals the desk's logs", kills, behind, n)
}
