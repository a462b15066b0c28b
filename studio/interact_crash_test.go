package studio

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"studiodesk/studio/interact"
	"studiodesk/studio/platform"
	"studiodesk/studio/platform/rehearsal"
	"studiodesk/studio/store"
)

// keyedPlatform is the rehearsal simulator with its memory of idempotency
// keys kept in a file, so the platform outlives a desk process: a key it
// has acted on is answered as a duplicate, as the real platform would.
type keyedPlatform struct {
	*rehearsal.Sim
	path string
	// kill, if set, runs inside Send: "before" the platform acts or
	// "after" it acted and before the desk sees the ack.
	kill string
	mu   sync.Mutex
}

func (k *keyedPlatform) effects() map[string]int {
	out := map[string]int{}
	f, err := os.Open(k.path)
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		out[sc.Text()]++
	}
	return out
}

func (k *keyedPlatform) Send(ctx context.Context, cmd platform.Command) (platform.Ack, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.kill == "before" {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Hour)
	}
	if k.effects()[cmd.Key] > 0 {
		return platform.Ack{Key: cmd.Key, OK: true, Duplicate: true}, nil
	}
	ack, err := k.Sim.Send(ctx, cmd)
	if (err == nil && ack.OK) || errors.Is(err, rehearsal.ErrAckLost) {
		f, ferr := os.OpenFile(k.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if ferr != nil {
			return platform.Ack{Key: cmd.Key}, ferr
		}
		_, _ = f.WriteString(cmd.Key + "\n")
		_ = f.Sync()
		_ = f.Close()
	}
	if k.kill == "after" {
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Hour)
	}
	return ack, err
}

const crashEnv = "STUDIODESK_IX_CRASH"

// TestInteractCrashChild is the desk process that dies mid-fire; it runs
// only as the subprocess of TestCouponSurvivesACrash.
func TestInteractCrashChild(t *testing.T) {
	mode, dir, ok := strings.Cut(os.Getenv(crashEnv), ":")
	if !ok {
		t.Skip("subprocess of TestCouponSurvivesACrash")
	}
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := &keyedPlatform{Sim: rehearsal.New(rehearsal.Config{Seed: 1}), path: filepath.Join(dir, "keys"), kill: mode}
	d := New(Config{Journal: NewStoreJournal(st), Interact: InteractConfig{Platform: p, Outbox: st}})
	mustDo(t, d, DefineCoupon{Coupon: testCoupon()}, FireCoupon{ID: "c1"})
	time.Sleep(time.Minute) // killed before this ends
	t.Fatal("not killed")
}

func TestCouponSurvivesACrash(t *testing.T) {
	for _, mode := range []string{"before", "after"} {
		t.Run("killed "+mode+" the platform acted", func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run=^TestInteractCrashChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), crashEnv+"="+mode+":"+dir)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("child did not die by SIGKILL: %v\n%s", err, out)
			}
			key := "coupon:c1:desk"
			// Restart: the same store, a new simulator process that
			// remembers the keys it acted on.
			st, err := store.Open(dir, store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			pend, err := st.OutboxPending()
			if err != nil || len(pend) != 1 || pend[0].Key != key {
				t.Fatalf("pending after crash: %+v %v", pend, err)
			}
			p := &keyedPlatform{Sim: rehearsal.New(rehearsal.Config{Seed: 1}), path: filepath.Join(dir, "keys")}
			before := p.effects()[key]
			if want := map[string]int{"before": 0, "after": 1}[mode]; before != want {
				t.Fatalf("effects before restart %d, want %d", before, want)
			}
			d := New(Config{Journal: NewStoreJournal(st), Logf: t.Logf,
				Interact: InteractConfig{Platform: p, Outbox: st, RetryMin: 10 * time.Millisecond}})
			defer d.Close()
			d.ResendPending()
			deadline := time.Now().Add(10 * time.Second)
			for {
				it, _, _ := st.OutboxGet(key)
				if it.Done {
					if dup := strings.Contains(string(it.Result), `"duplicate":true`); dup != (mode == "after") {
						t.Fatalf("ack %s", it.Result)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("not acknowledged after restart: %+v", it)
				}
				time.Sleep(time.Millisecond)
			}
			if n := p.effects()[key]; n != 1 {
				t.Fatalf("issued %d times by key", n)
			}
			// Firing it again in the same run is refused, not re-issued.
			mustDo(t, d, DefineCoupon{Coupon: testCoupon()})
			if err := d.Do(context.Background(), FireCoupon{ID: "c1"}); !errors.Is(err, store.ErrDuplicateKey) {
				t.Fatalf("re-fire after restart: %v", err)
			}
			if v := view(d.Interactions(), "c1"); v.State != interact.Draft {
				t.Fatalf("%+v", v)
			}
		})
	}
}

func TestLinkDroppedMidSendIsIssuedOnce(t *testing.T) {
	r := newIxRig(t, nil)
	r.sim.DropNextAck()
	mustDo(t, r.d, DefineCoupon{Coupon: testCoupon()}, FireCoupon{ID: "c1"})
	waitIx(t, r.d, "queued", func(s Interactions) bool { return view(s, "c1").Delivery == interact.Queued })
	r.clk.Advance(time.Second) // the backoff re-send
	waitIx(t, r.d, "ack", func(s Interactions) bool { return view(s, "c1").Delivery == interact.Acked })
	it, _, _ := r.st.OutboxGet("coupon:c1:desk")
	if r.sim.IssuedCount("c1") != 1 || it.Attempts != 2 || !strings.Contains(string(it.Result), `"duplicate":true`) {
		t.Fatalf("issued %d, outbox %+v %s", r.sim.IssuedCount("c1"), it, it.Result)
	}
}
