//go:build linux

package fleet_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"gopkg.in/yaml.v3"

	"studiodesk/app/fleet"
	"studiodesk/app/fleet/fleettest"
	"studiodesk/app/fleet/hub"
	"studiodesk/studio"
	"studiodesk/studio/store"
)

// The evidence capacity benchmark (STUDIODESK_FLEET_BENCH=1): a 3-node
// hub cluster as three child processes running `studiodesk hub --config`
// (the app built with go build, or $STUDIODESK_HUB_BIN), and 50
// simulated studios in this process, each a real store appending ≈ 20
// records a second — a real rehearsal show log's kinds and payloads,
// replayed — and the real evidence publisher sending them to its R3
// stream. Figures: record commit → stream ack lag p50/p99, replica lag,
// hub CPU and RSS per node, desk-side CPU per studio (idle and under
// load), records/s, bytes per record on the hubs' disks and in desk.db.
//
// STUDIODESK_FLEET_BENCH_STUDIOS (default 50), _SECONDS (default 60) and
// _RATE (records/s per studio, default 20) tune it.

// hubBinary builds the app (or takes $STUDIODESK_HUB_BIN) to run hubs.
func hubBinary(t *testing.T) string {
	t.Helper()
	if b := os.Getenv("STUDIODESK_HUB_BIN"); b != "" {
		return b
	}
	bin := filepath.Join(t.TempDir(), "studiodesk")
	out, err := exec.Command("go", "build", "-tags", "migrated_fynedo", "-o", bin, "studiodesk/app").CombinedOutput()
	if err != nil {
		t.Fatalf("go build studiodesk/app: %v\n%s", err, out)
	}
	return bin
}

type sample struct {
	kind    string
	payload json.RawMessage
}

// realShowSample plays a rehearsal show on a real desk (no fleet) and
// returns its run log's kinds and payloads.
func realShowSample(t *testing.T) ([]sample, string) {
	t.Helper()
	a := evOpenDesk(t, t.TempDir(), fleet.Config{})
	do(t, a, studio.Start{})
	for m := range 4 {
		showPart(t, a, m)
	}
	do(t, a, studio.End{})
	run := a.Desk.Snapshot().Run
	var out []sample
	if err := a.Store.Records(run, 0, func(r store.Record) error {
		out = append(out, sample{r.Kind, r.Payload})
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	_ = a.Close()
	return out, run
}

type hubProc struct {
	cmd   *exec.Cmd
	store string
}

func procCPU(pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

func procMem(pid int, field string) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(l, field+":") {
			kb, _ := strconv.ParseInt(strings.Fields(l)[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(len(d)-1, int(float64(len(d))*p))]
}

func TestEvidenceFleetBenchmark(t *testing.T) {
	if os.Getenv("STUDIODESK_FLEET_BENCH") != "1" {
		t.Skip("STUDIODESK_FLEET_BENCH=1 runs the 50-studio evidence benchmark (several minutes)")
	}
	nStudios := envInt("STUDIODESK_FLEET_BENCH_STUDIOS", 50)
	seconds := envInt("STUDIODESK_FLEET_BENCH_SECONDS", 60)
	rate := envInt("STUDIODESK_FLEET_BENCH_RATE", 20)

	samples, run := realShowSample(t)
	var sizes int
	for _, s := range samples {
		sizes += len(s.payload)
	}
	t.Logf("real show log: %d records, kinds and payloads replayed (mean payload %d B)", len(samples), sizes/len(samples))

	// Three hub processes.
	dir := t.TempDir()
	ids := make([]string, nStudios)
	users := make([]hub.StudioUser, nStudios)
	for i := range ids {
		ids[i] = fmt.Sprintf("studio-%02d", i+1)
		users[i] = hub.StudioUser{ID: ids[i], User: hub.User{User: ids[i], Password: fleettest.Password(ids[i])}}
	}
	cports, rports := make([]int, 3), make([]int, 3)
	for i := range 3 {
		cports[i], rports[i] = fleettest.FreePort(t), fleettest.FreePort(t)
	}
	var urls []string
	bin := hubBinary(t)
	procs := make([]*hubProc, 3)
	for i := range 3 {
		cc := &hub.ClusterConfig{Name: "bench", Listen: fmt.Sprintf("127.0.0.1:%d", rports[i])}
		for j := range 3 {
			if j != i {
				cc.Routes = append(cc.Routes, fmt.Sprintf("nats-route://127.0.0.1:%d", rports[j]))
			}
		}
		c := hub.Config{Name: fmt.Sprintf("hub-%d", i+1), Listen: fmt.Sprintf("127.0.0.1:%d", cports[i]), Store: filepath.Join(dir, fmt.Sprintf("store-%d", i+1)),
			Cluster: cc, Replicas: 3, Agency: hub.User{User: fleettest.AgencyUser, Password: fleettest.AgencyPassword}, Studios: users}
		raw, err := yaml.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, fmt.Sprintf("hub-%d.yaml", i+1))
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		logf, err := os.Create(filepath.Join(dir, fmt.Sprintf("hub-%d.log", i+1)))
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "hub", "--config", path)
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs[i] = &hubProc{cmd: cmd, store: c.Store}
		urls = append(urls, "nats://"+c.Listen)
		t.Cleanup(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { _ = cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				_ = cmd.Process.Kill()
			}
			_ = logf.Close()
		})
	}
	url := strings.Join(urls, ",")
	anc, err := nats.Connect(url, nats.UserInfo(fleettest.AgencyUser, fleettest.AgencyPassword), nats.MaxReconnects(-1), nats.RetryOnFailedConnect(true))
	if err != nil {
		t.Fatal(err)
	}
	defer anc.Close()
	ajs, _ := jetstream.New(anc)
	ready := time.Now()
	for _, id := range ids {
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			s, err := ajs.Stream(ctx, fleet.Studio{ID: id}.LogStream())
			cancel()
			if err == nil && s.CachedInfo().Cluster != nil && s.CachedInfo().Cluster.Leader != "" {
				break
			}
			if time.Since(ready) > 3*time.Minute {
				t.Fatalf("studio %s not provisioned within 3 min: %v", id, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	t.Logf("3 hub processes up, %d studios provisioned R3 in %v", nStudios, time.Since(ready).Round(time.Millisecond))

	// Baseline: the same appends on stores with no publisher (the desk
	// without a fleet), to tell the publisher's CPU from the log's own.
	var baseCPU float64
	{
		base := make([]*store.Store, nStudios)
		for i := range base {
			if base[i], err = store.Open(filepath.Join(dir, fmt.Sprintf("base-%d", i)), store.Options{}); err != nil {
				t.Fatal(err)
			}
		}
		stopBase := make(chan struct{})
		var bwg sync.WaitGroup
		c0, w0 := selfCPU(), time.Now()
		for i, st := range base {
			bwg.Add(1)
			go func() {
				defer bwg.Done()
				tick := time.NewTicker(time.Second / time.Duration(rate))
				defer tick.Stop()
				time.Sleep(time.Duration(i) * time.Second / time.Duration(rate*nStudios))
				for n := 0; ; n++ {
					select {
					case <-stopBase:
						return
					case <-tick.C:
					}
					s := samples[n%len(samples)]
					if _, err := st.Append(run, s.kind, s.payload); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		time.Sleep(15 * time.Second)
		baseCPU = float64(selfCPU()-c0) / float64(time.Since(w0)) / float64(nStudios)
		close(stopBase)
		bwg.Wait()
		for _, st := range base {
			_ = st.Close()
		}
	}

	// The desks: a store and a publisher each.
	type desk struct {
		st     *store.Store
		ev     *fleet.Evidence
		mu     sync.Mutex
		commit map[uint64]time.Time
		acked  map[uint64]time.Time // acks that came before the commit time was noted
		lags   []time.Duration
	}
	desks := make([]*desk, nStudios)
	for i, id := range ids {
		d := &desk{commit: map[uint64]time.Time{}, acked: map[uint64]time.Time{}}
		d.st, err = store.Open(filepath.Join(dir, "desk-"+id), store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		cfg := fleet.Config{URL: url, Studio: id, User: id, Password: fleettest.Password(id)}
		nc, _, err := cfg.Connect()
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		d.ev, err = fleet.NewEvidence(context.Background(), fleet.EvidenceConfig{Store: d.st, Conn: nc, Studio: fleet.Studio{ID: id}, DeskKey: "bench", Logf: t.Logf,
			OnAck: func(_ string, seq uint64, at time.Time) {
				d.mu.Lock()
				if c, ok := d.commit[seq]; ok {
					d.lags = append(d.lags, at.Sub(c))
					delete(d.commit, seq)
				} else {
					d.acked[seq] = at
				}
				d.mu.Unlock()
			}})
		if err != nil {
			t.Fatal(err)
		}
		desks[i] = d
	}
	defer func() {
		for _, d := range desks {
			_ = d.ev.Close()
			_ = d.st.Close()
		}
	}()

	// Idle: publishers polling stores that do not change.
	time.Sleep(2 * time.Second)
	c0, w0 := selfCPU(), time.Now()
	time.Sleep(10 * time.Second)
	idleCPU := float64(selfCPU()-c0) / float64(time.Since(w0)) / float64(nStudios)

	// Load: every studio appends `rate` records a second for `seconds`.
	hubCPU0 := make([]time.Duration, 3)
	for i, p := range procs {
		hubCPU0[i] = procCPU(p.cmd.Process.Pid)
		t.Logf("hub-%d before the load: RSS %.1f MiB", i+1, float64(procMem(p.cmd.Process.Pid, "VmRSS"))/(1<<20))
	}
	c0, w0 = selfCPU(), time.Now()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var appendErrs sync.Map
	for i, d := range desks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(time.Second / time.Duration(rate))
			defer tick.Stop()
			// Stagger the studios over one tick.
			time.Sleep(time.Duration(i) * time.Second / time.Duration(rate*nStudios))
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				s := samples[n%len(samples)]
				rec, err := d.st.Append(run, s.kind, s.payload)
				committed := time.Now()
				if err != nil {
					appendErrs.Store(i, err)
					return
				}
				d.mu.Lock()
				if at, ok := d.acked[rec.Seq]; ok {
					d.lags = append(d.lags, max(0, at.Sub(committed)))
					delete(d.acked, rec.Seq)
				} else {
					d.commit[rec.Seq] = committed
				}
				d.mu.Unlock()
			}
		}()
	}
	// Replica lag: the streams' followers as the leader reports them.
	var replLag []uint64
	var notCurrent, peers int
	sampleDone := make(chan struct{})
	go func() {
		defer close(sampleDone)
		for k := 0; ; k++ {
			select {
			case <-stop:
				return
			case <-time.After(time.Second):
			}
			for j := range 5 {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				s, err := ajs.Stream(ctx, fleet.Studio{ID: ids[(5*k+j)%nStudios]}.LogStream())
				cancel()
				if err != nil || s.CachedInfo().Cluster == nil {
					continue
				}
				for _, p := range s.CachedInfo().Cluster.Replicas {
					peers++
					replLag = append(replLag, p.Lag)
					if !p.Current {
						notCurrent++
					}
				}
			}
		}
	}()
	time.Sleep(time.Duration(seconds) * time.Second)
	wall := time.Since(w0)
	deskCPU := selfCPU() - c0
	hubCPU := make([]time.Duration, 3)
	for i, p := range procs {
		hubCPU[i] = procCPU(p.cmd.Process.Pid) - hubCPU0[i]
	}
	close(stop)
	wg.Wait()
	<-sampleDone
	appendErrs.Range(func(k, v any) bool { t.Errorf("studio %d: append: %v", k, v); return true })

	// Drain, then check every stream against its desk.
	var lags []time.Duration
	var total, resyncs uint64
	for _, d := range desks {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		if err := d.ev.WaitPublished(ctx); err != nil {
			t.Errorf("drain: %v", err)
		}
		cancel()
		d.mu.Lock()
		lags = append(lags, d.lags...)
		d.mu.Unlock()
		total += d.ev.Status().Published
		resyncs += d.ev.Status().Resyncs
	}
	sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
	var msgs, bytesStored uint64
	for i, id := range ids {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		s, err := ajs.Stream(ctx, fleet.Studio{ID: id}.LogStream())
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		last, _, _ := desks[i].st.Last(run)
		if got := s.CachedInfo().State.Msgs; got != last.Seq {
			t.Errorf("studio %s: stream holds %d records, the desk %d", id, got, last.Seq)
		}
		msgs += s.CachedInfo().State.Msgs
		bytesStored += s.CachedInfo().State.Bytes
	}
	sort.Slice(replLag, func(i, j int) bool { return replLag[i] < replLag[j] })
	var lagP50, lagP99, lagMax uint64
	if len(replLag) > 0 {
		lagP50, lagP99, lagMax = replLag[len(replLag)/2], replLag[min(len(replLag)-1, len(replLag)*99/100)], replLag[len(replLag)-1]
	}
	var deskBytes int64
	for _, d := range desks {
		if fi, err := os.Stat(d.st.Path()); err == nil {
			deskBytes += fi.Size()
		}
	}
	t.Logf("load: %d studios × %d records/s for %v: %d records acknowledged, %.0f records/s, every stream == its desk's log (%d messages); %d resyncs after a refused publish", nStudios, rate, wall.Round(time.Second), total, float64(total)/wall.Seconds(), msgs, resyncs)
	t.Logf("lag record commit → R3 ack: p50 %v p99 %v max %v (n=%d; includes the publisher's 200 ms poll)", pct(lags, .50).Round(time.Millisecond), pct(lags, .99).Round(time.Millisecond), lags[len(lags)-1].Round(time.Millisecond), len(lags))
	t.Logf("replicas as the stream leaders report them: lag p50 %d p99 %d max %d operations; %d of %d samples not current", lagP50, lagP99, lagMax, notCurrent, peers)
	for i, p := range procs {
		pid := p.cmd.Process.Pid
		t.Logf("hub-%d (pid %d): CPU %.1f%% of one core, RSS %.1f MiB (peak %.1f MiB), store %.1f MiB", i+1, pid,
			100*float64(hubCPU[i])/float64(wall), float64(procMem(pid, "VmRSS"))/(1<<20), float64(procMem(pid, "VmHWM"))/(1<<20), float64(dirSize(p.store))/(1<<20))
	}
	hubStore := dirSize(procs[0].store)
	t.Logf("disk: stream bytes %d B/record (JetStream's own count); hub-1's store %.0f B/record (all files, one replica); desk.db %.0f B/record",
		bytesStored/max(msgs, 1), float64(hubStore)/float64(max(msgs, 1)), float64(deskBytes)/float64(max(msgs, 1)))
	loadCPU := float64(deskCPU) / float64(wall) / float64(nStudios)
	t.Logf("desk side (this process, per studio): appending alone %.2f%% of a core; appending + publishing %.2f%% (the publisher: %+.2f%%); publisher idle %.3f%%",
		100*baseCPU, 100*loadCPU, 100*(loadCPU-baseCPU), 100*idleCPU)
}

// TestEvidenceCatchUpBenchmark (STUDIODESK_FLEET_BENCH=1): how fast a
// desk that was offline for a long show empties its log into a 3-node
// cluster once the hub is back (STUDIODESK_FLEET_BENCH_BACKLOG records,
// default 20 000 ≈ 17 min of a show at 20 records/s).
func TestEvidenceCatchUpBenchmark(t *testing.T) {
	if os.Getenv("STUDIODESK_FLEET_BENCH") != "1" {
		t.Skip("STUDIODESK_FLEET_BENCH=1 runs the evidence catch-up benchmark")
	}
	n := envInt("STUDIODESK_FLEET_BENCH_BACKLOG", 20000)
	samples, run := realShowSample(t)
	c := fleettest.Start(t, 3, "s1")
	_, ajs := c.Agency()
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i := 0; i < n; i += 500 {
		var batch []store.Entry
		for j := i; j < min(n, i+500); j++ {
			s := samples[j%len(samples)]
			batch = append(batch, store.Entry{Kind: s.kind, Payload: s.payload})
		}
		if _, err := st.AppendBatch(run, batch); err != nil {
			t.Fatal(err)
		}
	}
	nc, _, err := c.Desk("s1").Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	c0, w0 := selfCPU(), time.Now()
	ev, err := fleet.NewEvidence(context.Background(), fleet.EvidenceConfig{Store: st, Conn: nc, Studio: fleet.Studio{ID: "s1"}})
	if err != nil {
		t.Fatal(err)
	}
	defer ev.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := ev.WaitPublished(ctx); err != nil {
		t.Fatal(err)
	}
	took := time.Since(w0)
	cpu := selfCPU() - c0
	if n2, err := hubEqualsLocal(ctx, st, ajs, fleet.Studio{ID: "s1"}); err != nil || n2 != n {
		t.Fatalf("hub vs desk: %d, %v", n2, err)
	}
	t.Logf("catch-up: %d records in %v = %.0f records/s into an in-process 3-node R3 cluster (process CPU %.0f%% of a core, hubs included); hub == desk", n, took.Round(time.Millisecond), float64(n)/took.Seconds(), 100*float64(cpu)/float64(took))
}
