package core

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"studiodesk/app/fleet"
	"studiodesk/app/fleet/fleettest"
	"studiodesk/scripts"
	"studiodesk/studio"
	"studiodesk/studio/platform"
	"studiodesk/studio/platform/bridge/bridgetest"
	"studiodesk/studio/store"
)

// The hot standby's Must-show, with real desks in separate processes: a
// child builds the desk exactly as the app does (core.Open from the
// app's flags: --fleet, --studio, the studio's credentials,
// --standby-for, --standby-timeout, --platform bridge) and takes
// commands on stdin; the parent runs a real 3-node JetStream cluster and
// the platform: a loopback studio bridge speaking docs/bridge-protocol.md
// (bridgetest), shared by every desk, which counts every coupon issued
// by idempotency key.

const standbyChildEnv = "STUDIODESK_STANDBY_CHILD"

// TestStandbyChild is the child desk: its flags come as JSON in the
// environment. It prints "READY primary|follower", then "PRIMARY <ns>"
// the moment it becomes primary, and answers each stdin line:
//
//	do <action> [id]   → "OK" or "ERR <message>"
//	state              → "STATE <json>"
func TestStandbyChild(t *testing.T) {
	raw := os.Getenv(standbyChildEnv)
	if raw == "" {
		t.Skip("child of the standby tests only")
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		fmt.Printf("OPENFAIL %v\n", err)
		os.Exit(3)
	}
	fs := flag.NewFlagSet("studiodesk", flag.ContinueOnError)
	var o Options
	o.Register(fs)
	if err := fs.Parse(args); err != nil {
		fmt.Printf("OPENFAIL %v\n", err)
		os.Exit(3)
	}
	a, err := Open(o)
	if err != nil {
		fmt.Printf("OPENFAIL %v\n", err)
		os.Exit(3)
	}
	var mu sync.Mutex
	say := func(format string, v ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Printf(format+"\n", v...)
	}
	_, following := a.Desk.Following()
	if following {
		say("READY follower")
	} else {
		say("READY primary")
	}
	go func() {
		for {
			if _, f := a.Desk.Following(); !f {
				if following {
					say("PRIMARY %d", time.Now().UnixNano())
				}
				following = false
			} else {
				following = true
			}
			time.Sleep(time.Millisecond)
		}
	}()
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 2 && f[0] == "do":
			var c studio.Command
			id := ""
			if len(f) > 2 {
				id = f[2]
			}
			switch f[1] {
			case "start":
				c = studio.Start{}
			case "next":
				c = studio.Next{}
			case "arm":
				c = studio.ArmInteraction{ID: id}
			case "fire":
				c = studio.FireCoupon{ID: id}
			case "take_over":
				c = studio.TakeOver{}
			}
			if c == nil {
				say("ERR unknown command %q", f[1])
				continue
			}
			if err := a.Desk.Do(context.Background(), c); err != nil {
				say("ERR %s", strings.ReplaceAll(err.Error(), "\n", " "))
			} else {
				say("OK")
			}
		case len(f) == 1 && f[0] == "state":
			say("STATE %s", childState(a))
		}
	}
	a.Close()
	os.Exit(0)
}

// childStateMsg is what a child reports of its desk.
type childStateMsg struct {
	Following bool                   `json:"following"`
	Primary   string                 `json:"primary"`
	Run       string                 `json:"run"`
	Now       time.Time              `json:"now"`
	Timer     scripts.State          `json:"timer"`
	Pending   []string               `json:"pending"`
	Devices   int                    `json:"devices"` // devices open
	Overlay   bool                   `json:"overlay"` // OBS overlays served
	Items     map[string]interactRow `json:"items"`
}

type interactRow struct {
	State    string    `json:"state"`
	EndsAt   time.Time `json:"ends_at"`
	Key      string    `json:"key"`
	Delivery string    `json:"delivery"`
	Claims   int       `json:"claims"`
}

func childState(a *App) string {
	snap := a.Desk.Snapshot()
	now := a.Clock.Now()
	m := childStateMsg{Run: snap.Run, Now: now, Timer: snap.State(now), Items: map[string]interactRow{},
		Devices: len(a.Registry.List()), Overlay: a.OverlayURL("danmaku") != ""}
	m.Primary, m.Following = a.Desk.Following()
	if items, err := a.Store.OutboxPending(); err == nil {
		for _, it := range items {
			m.Pending = append(m.Pending, it.Key)
		}
	}
	for _, v := range a.Desk.Interactions().Items {
		m.Items[v.ID] = interactRow{State: string(v.State), EndsAt: v.EndsAt, Key: v.Key, Delivery: string(v.Delivery), Claims: v.Claims}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// child is a running desk process.
type child struct {
	t     *testing.T
	name  string
	dir   string
	cmd   *exec.Cmd
	in    io.WriteCloser
	lines chan string
	// promoted receives the instant the desk became primary.
	promoted chan time.Time
	stderr   *bytes.Buffer
	mu       sync.Mutex
	exited   bool
}

// standbyArgs are the app's flags for a desk of studio s1.
func standbyArgs(dir string, cfg fleet.Config, bridgeURL string, standby bool, timeout time.Duration) []string {
	args := []string{"--data", dir, "--rehearsal", "--overlay", "127.0.0.1:0", "--remote-addr", "127.0.0.1:0",
		"--osc-addr", "off", "--sim-profile", "quiet", "--platform", "bridge", "--bridge-url", bridgeURL,
		"--fleet", cfg.URL, "--studio", cfg.Studio, "--fleet-user", cfg.User, "--fleet-password", cfg.Password,
		"--standby-timeout", timeout.String()}
	if standby {
		args = append(args, "--standby-for", cfg.Studio)
	}
	return args
}

func startChild(t *testing.T, name string, args []string, token string) *child {
	t.Helper()
	raw, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^TestStandbyChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), standbyChildEnv+"="+string(raw), "STUDIODESK_BRIDGE_TOKEN="+token)
	c := &child{t: t, name: name, cmd: cmd, lines: make(chan string, 1024), promoted: make(chan time.Time, 1), stderr: &bytes.Buffer{}}
	for i, a := range args {
		if a == "--data" {
			c.dir = args[i+1]
		}
	}
	cmd.Stderr = &lockedBuffer{b: c.stderr, mu: &c.mu}
	var err error
	if c.in, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			l := sc.Text()
			if ns, ok := strings.CutPrefix(l, "PRIMARY "); ok {
				n, _ := strconv.ParseInt(ns, 10, 64)
				c.promoted <- time.Unix(0, n)
				continue
			}
			c.lines <- l
		}
		close(c.lines)
	}()
	t.Cleanup(c.kill)
	return c
}

type lockedBuffer struct {
	b  *bytes.Buffer
	mu *sync.Mutex
}

func (w *lockedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (c *child) errText() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stderr.String()
	if len(s) > 4000 {
		s = s[len(s)-4000:]
	}
	return s
}

// next returns the child's next line (failing after d).
func (c *child) next(d time.Duration) string {
	c.t.Helper()
	select {
	case l, ok := <-c.lines:
		if !ok {
			c.t.Fatalf("%s: exited; stderr:\n%s", c.name, c.errText())
		}
		if strings.HasPrefix(l, "OPENFAIL") {
			c.t.Fatalf("%s: %s\nstderr:\n%s", c.name, l, c.errText())
		}
		return l
	case <-time.After(d):
		c.t.Fatalf("%s: no answer within %v; stderr:\n%s", c.name, d, c.errText())
	}
	return ""
}

func (c *child) ready() string {
	c.t.Helper()
	l := c.next(60 * time.Second)
	role, ok := strings.CutPrefix(l, "READY ")
	if !ok {
		c.t.Fatalf("%s: want READY, got %q", c.name, l)
	}
	return role
}

// do runs a command in the child; it returns "" or the refusal.
func (c *child) do(cmd string) string {
	c.t.Helper()
	fmt.Fprintf(c.in, "do %s\n", cmd)
	l := c.next(30 * time.Second)
	if l == "OK" {
		return ""
	}
	if msg, ok := strings.CutPrefix(l, "ERR "); ok {
		return msg
	}
	c.t.Fatalf("%s: do %s: %q", c.name, cmd, l)
	return ""
}

func (c *child) mustDo(cmd string) {
	c.t.Helper()
	if err := c.do(cmd); err != "" {
		c.t.Fatalf("%s: %s: %s", c.name, cmd, err)
	}
}

func (c *child) state() childStateMsg {
	c.t.Helper()
	fmt.Fprintln(c.in, "state")
	l := c.next(30 * time.Second)
	raw, ok := strings.CutPrefix(l, "STATE ")
	if !ok {
		c.t.Fatalf("%s: want STATE, got %q", c.name, l)
	}
	var m childStateMsg
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		c.t.Fatal(err)
	}
	return m
}

// sigkill kills the process at once (no Close, nothing flushed) and
// returns the instant.
func (c *child) sigkill() time.Time {
	at := time.Now()
	_ = c.cmd.Process.Kill() // SIGKILL
	c.wait()
	return at
}

func (c *child) wait() {
	c.mu.Lock()
	done := c.exited
	c.exited = true
	c.mu.Unlock()
	if !done {
		_ = c.cmd.Wait()
	}
}

func (c *child) kill() {
	if c.cmd.Process != nil {
		_ = c.cmd.Process.Kill()
	}
	c.wait()
}

// waitState polls the child's state until ok holds.
func (c *child) waitState(d time.Duration, what string, ok func(childStateMsg) bool) childStateMsg {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for {
		m := c.state()
		if ok(m) {
			return m
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s: %s: not within %v; last state %+v", c.name, what, d, m)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// leaseHolder reads the studio's lease as the agency sees it.
func leaseHolder(t *testing.T, c *fleettest.Cluster, id string) string {
	t.Helper()
	_, js := c.Agency()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	kv, err := js.KeyValue(ctx, fleet.Studio{ID: id}.Bucket())
	if err != nil {
		t.Fatal(err)
	}
	e, err := kv.Get(ctx, fleet.LeaseKey)
	if err != nil {
		t.Fatalf("lease: %v", err)
	}
	var l fleet.Lease
	if err := json.Unmarshal(e.Value(), &l); err != nil {
		t.Fatal(err)
	}
	return l.Desk
}

// stateDesk is the desk that published the studio's followed state last.
func stateDesk(t *testing.T, c *fleettest.Cluster, id string) string {
	t.Helper()
	_, js := c.Agency()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	kv, err := js.KeyValue(ctx, fleet.Studio{ID: id}.Bucket())
	if err != nil {
		t.Fatal(err)
	}
	e, err := kv.Get(ctx, fleet.StateKey)
	if err != nil {
		t.Fatalf("state: %v", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(e.Value()))
	if err != nil {
		t.Fatal(err)
	}
	var st fleet.StandbyState
	if err := json.NewDecoder(zr).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st.Desk
}

// deskID is a data directory's name in the lease: its key's fingerprint.
func deskID(t *testing.T, dir string) string {
	t.Helper()
	k, err := store.LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	return k.Fingerprint()
}

// referenceTimer computes the timer state at now from the anchors and
// script a dead desk left in its store.
func referenceTimer(t *testing.T, dir string, now time.Time) (string, scripts.State) {
	t.Helper()
	st, err := store.OpenReadOnly(filepath.Join(dir, store.FileName), store.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var run studio.Run
	if ok, err := st.Get(store.BucketAnchors, "current", &run); err != nil || !ok {
		t.Fatalf("primary's anchors: %v %v", ok, err)
	}
	show, err := LoadCurrentShow(st)
	if err != nil {
		t.Fatal(err)
	}
	return run.ID, scripts.NewTimer(show).State(run.Anchors, now)
}

// firedKeys lists the outbox keys a desk's store holds (every command
// it ever fired, done or not).
func firedKeys(t *testing.T, dir string) []string {
	t.Helper()
	st, err := store.OpenReadOnly(filepath.Join(dir, store.FileName), store.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var keys []string
	for _, id := range []string{"coupon-1", "lottery-1"} {
		var run studio.Run
		if _, err := st.Get(store.BucketAnchors, "current", &run); err != nil {
			t.Fatal(err)
		}
		key := "coupon:" + id + ":" + run.ID
		if _, found, err := st.OutboxGet(key); err != nil {
			t.Fatal(err)
		} else if found {
			keys = append(keys, key)
		}
	}
	sort.Strings(keys)
	return keys
}

func skipShort(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns desk processes")
	}
}

// TestStandbyTakesOverAfterSIGKILL is the Must-show: a primary desk
// process runs a rehearsal show with a live coupon (fired, countdown
// running, claims arriving at the platform) and a second coupon whose
// issue the platform carried out but never acknowledged (pending in the
// outbox); a standby process follows. SIGKILL the primary: the standby
// takes over within 5 s; its timer equals, within ±50 ms, the state the
// primary's own anchors give; the platform counted every coupon exactly
// once by idempotency key (0 lost, 0 double-issued); the old primary
// restarted with the same flags stays read-only and never connects to the
// platform.
func TestStandbyTakesOverAfterSIGKILL(t *testing.T) {
	skipShort(t)
	cl := fleettest.Start(t, 3, "s1")
	br := bridgetest.New(bridgetest.Options{Token: "bridge-secret"})
	defer br.Close()
	cfg := cl.Desk("s1")
	pdir, sdir := t.TempDir(), t.TempDir()
	p := startChild(t, "primary", standbyArgs(pdir, cfg, br.WSURL(), false, fleet.DefaultHeartbeatTimeout), "bridge-secret")
	if role := p.ready(); role != "primary" {
		t.Fatalf("primary started as %s", role)
	}
	s := startChild(t, "standby", standbyArgs(sdir, cfg, br.WSURL(), true, fleet.DefaultHeartbeatTimeout), "bridge-secret")
	if role := s.ready(); role != "follower" {
		t.Fatalf("standby started as %s", role)
	}
	if err := s.do("next"); !strings.Contains(err, "standby: read-only, primary is "+deskID(t, pdir)) {
		t.Fatalf("standby's refusal: %q", err)
	}
	if !br.WaitFor(20*time.Second, func(st bridgetest.Stats) bool { return st.Connected }) {
		t.Fatal("the primary never connected to the platform")
	}
	connects := br.Stats().Connects

	p.mustDo("start")
	p.mustDo("next")
	p.mustDo("arm coupon-1")
	p.mustDo("fire coupon-1")
	run := p.state().Run
	key1, key2 := "coupon:coupon-1:"+run, "coupon:lottery-1:"+run
	if !br.WaitFor(10*time.Second, func(bridgetest.Stats) bool { return br.Issuances(key1) == 1 }) {
		t.Fatal("coupon-1 never reached the platform")
	}
	// Claims arrive at the platform while the coupon counts down.
	stopClaims := make(chan struct{})
	var claimsWG sync.WaitGroup
	claimsWG.Add(1)
	go func() {
		defer claimsWG.Done()
		for n := 0; ; n++ {
			br.Push(platform.Event{Kind: platform.KindClaim, Time: time.Now(), ID: fmt.Sprintf("claim-%d", n), Ref: "coupon-1",
				ViewerID: fmt.Sprintf("v%d", n)})
			select {
			case <-stopClaims:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	defer func() {
		close(stopClaims)
		claimsWG.Wait()
	}()
	pm := p.waitState(10*time.Second, "live coupon with claims", func(m childStateMsg) bool {
		v := m.Items["coupon-1"]
		return v.State == "live" && v.Claims > 0 && v.EndsAt.After(m.Now)
	})
	endsAt := pm.Items["coupon-1"].EndsAt
	t.Logf("primary: coupon-1 live, %d claims, delivery %s, countdown %v left", pm.Items["coupon-1"].Claims,
		pm.Items["coupon-1"].Delivery, endsAt.Sub(pm.Now).Round(time.Second))
	// The platform goes silent: the next issue takes effect there but its
	// acknowledgement never comes back.
	br.Stall()
	p.mustDo("arm lottery-1")
	p.mustDo("fire lottery-1")
	if !br.WaitFor(10*time.Second, func(bridgetest.Stats) bool { return br.Issuances(key2) == 1 }) {
		t.Fatal("lottery-1 never reached the platform")
	}
	p.waitState(5*time.Second, "lottery-1 pending at the primary", func(m childStateMsg) bool {
		return len(m.Pending) == 1 && m.Pending[0] == key2
	})
	// The standby follows: the same run, the live coupon, the pending
	// command with its key.
	fm := s.waitState(10*time.Second, "standby follows", func(m childStateMsg) bool {
		return m.Following && m.Run == run && m.Items["coupon-1"].State == "live" && m.Items["lottery-1"].State == "live" &&
			len(m.Pending) == 1 && m.Pending[0] == key2
	})
	if fm.Devices != 0 || fm.Overlay {
		t.Fatalf("the standby has output while following: %d devices open, overlays %v", fm.Devices, fm.Overlay)
	}
	if pm := p.state(); pm.Devices == 0 || !pm.Overlay {
		t.Fatalf("the primary has no output: %d devices, overlays %v", pm.Devices, pm.Overlay)
	}

	killed := p.sigkill()
	var took time.Time
	select {
	case took = <-s.promoted:
	case <-time.After(5 * time.Second):
		t.Fatalf("the standby did not take over within 5 s of the SIGKILL; stderr:\n%s", s.errText())
	}
	takeover := took.Sub(killed)
	if takeover > 5*time.Second || takeover < 0 {
		t.Fatalf("takeover %v", takeover)
	}
	sm := s.state()
	refRun, ref := referenceTimer(t, pdir, sm.Now)
	if sm.Following || sm.Run != refRun {
		t.Fatalf("standby after takeover: following %v, run %q (primary's %q)", sm.Following, sm.Run, refRun)
	}
	if sm.Devices == 0 || !sm.Overlay {
		t.Fatalf("the new primary has no output: %d devices, overlays %v\n%s", sm.Devices, sm.Overlay, s.errText())
	}
	if v := sm.Items["coupon-1"]; v.State != "live" || !v.EndsAt.Equal(endsAt) {
		t.Fatalf("coupon-1 on the new primary: %+v; its countdown ended at %v on the primary", v, endsAt)
	}
	dEl, dLeft := (sm.Timer.SegmentElapsed - ref.SegmentElapsed).Abs(), (sm.Timer.SegmentLeft - ref.SegmentLeft).Abs()
	if sm.Timer.Segment != ref.Segment || sm.Timer.Ended || dEl > 50*time.Millisecond || dLeft > 50*time.Millisecond {
		t.Fatalf("timer: standby segment %d elapsed %v left %v; reference segment %d elapsed %v left %v",
			sm.Timer.Segment, sm.Timer.SegmentElapsed, sm.Timer.SegmentLeft, ref.Segment, ref.SegmentElapsed, ref.SegmentLeft)
	}
	t.Logf("SIGKILL → standby primary in %v; timer segment %d elapsed %v (reference %v, Δ %v), left Δ %v",
		takeover.Round(time.Millisecond), sm.Timer.Segment, sm.Timer.SegmentElapsed.Round(time.Millisecond),
		ref.SegmentElapsed.Round(time.Millisecond), dEl, dLeft)

	// The new primary re-sends the pending command with its original key
	// and connects to the platform itself.
	s.waitState(15*time.Second, "pending command acknowledged", func(m childStateMsg) bool { return len(m.Pending) == 0 })
	if st := br.Stats(); st.Connects <= connects {
		t.Fatalf("the standby never connected to the platform: %+v", st)
	}
	keys := firedKeys(t, pdir)
	if len(keys) != 2 {
		t.Fatalf("the primary fired %v", keys)
	}
	for _, k := range keys {
		if n := br.Issuances(k); n != 1 {
			t.Fatalf("key %s issued %d times at the platform", k, n)
		}
	}
	for _, id := range []string{"coupon-1", "lottery-1"} {
		if n := br.IssuedCount(id); n != 1 {
			t.Fatalf("coupon %s issued %d times at the platform (0 lost, 0 double-issued wanted)", id, n)
		}
	}
	if st := br.Stats(); st.Duplicates < 1 {
		t.Fatalf("the pending command was not re-sent with its original key: %+v", st)
	}
	sm = s.waitState(5*time.Second, "coupons live on the new primary", func(m childStateMsg) bool {
		return m.Items["coupon-1"].State == "live" && m.Items["lottery-1"].State == "live"
	})
	t.Logf("platform: %s and %s issued once each (by key); the re-send got the platform's duplicate answer; claims on the new primary %d",
		key1, key2, sm.Items["coupon-1"].Claims)
	if err := s.do("next"); err != "" {
		t.Fatalf("new primary refuses: %s", err)
	}

	// The old primary comes back with the same flags: read-only.
	connects = br.Stats().Connects
	p2 := startChild(t, "old primary", standbyArgs(pdir, cfg, br.WSURL(), false, fleet.DefaultHeartbeatTimeout), "bridge-secret")
	if role := p2.ready(); role != "follower" {
		t.Fatalf("old primary restarted as %s", role)
	}
	if err := p2.do("fire coupon-1"); !strings.Contains(err, "standby: read-only, primary is "+deskID(t, sdir)) {
		t.Fatalf("old primary's refusal: %q", err)
	}
	time.Sleep(2 * fleet.RenewEvery)
	if h := leaseHolder(t, cl, "s1"); h != deskID(t, sdir) {
		t.Fatalf("lease held by %s, want the new primary %s", h, deskID(t, sdir))
	}
	s.mustDo("next") // a change the new primary publishes
	time.Sleep(time.Second)
	if d := stateDesk(t, cl, "s1"); d != deskID(t, sdir) {
		t.Fatalf("the studio's state was last published by %s, want the new primary %s", d, deskID(t, sdir))
	}
	if m := p2.state(); !m.Following || m.Devices != 0 || m.Overlay {
		t.Fatalf("old primary is not read-only: %+v", m)
	}
	if st := br.Stats(); st.Connects != connects {
		t.Fatalf("the old primary connected to the platform: %d connects, %d before", st.Connects, connects)
	}
}

// TestStandbyRaceExactlyOne: two standbys follow a primary; SIGKILL it:
// both see the lease expire and try to take it, exactly one becomes
// primary and the other follows it. Then the dead desk comes back as a
// standby too, and two standbys ask to take over at the same instant:
// exactly one wins the lease's compare-and-set, the other is told so, and
// the primary, finding its lease taken, becomes a read-only follower.
func TestStandbyRaceExactlyOne(t *testing.T) {
	skipShort(t)
	cl := fleettest.Start(t, 3, "s1")
	br := bridgetest.New(bridgetest.Options{Token: "bridge-secret"})
	defer br.Close()
	cfg := cl.Desk("s1")
	const timeout = fleet.DefaultHeartbeatTimeout
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	desks := make([]*child, 3)
	for i := range desks {
		desks[i] = startChild(t, fmt.Sprintf("desk %d", i), standbyArgs(dirs[i], cfg, br.WSURL(), i > 0, timeout), "bridge-secret")
		want := "follower"
		if i == 0 {
			want = "primary"
		}
		if role := desks[i].ready(); role != want {
			t.Fatalf("desk %d started as %s", i, role)
		}
	}
	desks[0].mustDo("start")
	run := desks[0].state().Run
	for _, d := range desks[1:] {
		d.waitState(10*time.Second, "follows the run", func(m childStateMsg) bool { return m.Run == run })
	}

	// 1. SIGKILL the primary: the two standbys race on the timeout.
	killed := desks[0].sigkill()
	winner := -1
	select {
	case <-desks[1].promoted:
		winner = 1
	case <-desks[2].promoted:
		winner = 2
	case <-time.After(5 * time.Second):
		t.Fatal("no standby took over within 5 s")
	}
	t.Logf("after the SIGKILL standby %d took over in %v", winner, time.Since(killed).Round(time.Millisecond))
	loser := 3 - winner
	// Give the loser several timeouts to (wrongly) take over too.
	select {
	case <-desks[loser].promoted:
		t.Fatal("both standbys became primary")
	case <-time.After(3 * timeout):
	}
	wid := deskID(t, dirs[winner])
	if h := leaseHolder(t, cl, "s1"); h != wid {
		t.Fatalf("lease held by %s, want the winner %s", h, wid)
	}
	if m := desks[loser].state(); !m.Following || m.Primary != wid || m.Run != run {
		t.Fatalf("loser: %+v", m)
	}
	if m := desks[winner].state(); m.Following || m.Run != run || !m.Timer.Started {
		t.Fatalf("winner: %+v", m)
	}
	if err := desks[loser].do("next"); !strings.Contains(err, "standby: read-only, primary is "+wid) {
		t.Fatalf("loser: %q", err)
	}

	// 2. The dead desk comes back as a standby; both standbys take over
	// at the same instant.
	desks[0] = startChild(t, "desk 0 again", standbyArgs(dirs[0], cfg, br.WSURL(), true, timeout), "bridge-secret")
	if role := desks[0].ready(); role != "follower" {
		t.Fatalf("desk 0 restarted as %s", role)
	}
	desks[0].waitState(10*time.Second, "follows the run", func(m childStateMsg) bool { return m.Run == run && m.Primary == wid })
	racers := []int{0, loser}
	for _, i := range racers {
		fmt.Fprintln(desks[i].in, "do take_over")
	}
	second := -1
	for _, i := range racers {
		a := desks[i].next(30 * time.Second)
		switch {
		case a == "OK" && second >= 0:
			t.Fatalf("both standbys won the take-over")
		case a == "OK":
			second = i
		case !strings.Contains(a, "another desk took or renewed the lease"):
			t.Fatalf("desk %d's answer: %q", i, a)
		}
	}
	if second < 0 {
		t.Fatal("no standby won the take-over")
	}
	<-desks[second].promoted
	sid := deskID(t, dirs[second])
	desks[winner].waitState(5*time.Second, "the old primary follows, its output stopped", func(m childStateMsg) bool {
		return m.Following && m.Primary == sid && m.Devices == 0 && !m.Overlay
	})
	if h := leaseHolder(t, cl, "s1"); h != sid {
		t.Fatalf("lease held by %s, want %s", h, sid)
	}
	other := racers[0]
	if other == second {
		other = racers[1]
	}
	if m := desks[other].state(); !m.Following || m.Run != run {
		t.Fatalf("the refused standby: %+v", m)
	}
	if m := desks[second].state(); m.Following || m.Run != run || !m.Timer.Started {
		t.Fatalf("new primary: %+v", m)
	}
	t.Logf("simultaneous take-over: desk %d won, desk %d was refused, the primary became a follower", second, other)
}

// TestStandbyTakeoverBench measures the standby's takeover over 20
// SIGKILLs (STUDIODESK_FLEET_BENCH=1; STUDIODESK_FLEET_BENCH_RUNS
// changes the count): from the SIGKILL of the primary desk process to
// the standby process being primary (lease won, run resumed, devices and
// platform connected, pending outbox re-sent), with the default 3 s
// standby timeout. The killed desk comes back as the next standby, so
// the same show runs through every takeover; each time the new primary's
// timer is checked against the dead one's anchors.
func TestStandbyTakeoverBench(t *testing.T) {
	if os.Getenv("STUDIODESK_FLEET_BENCH") != "1" {
		t.Skip("set STUDIODESK_FLEET_BENCH=1")
	}
	runs := 20
	if v := os.Getenv("STUDIODESK_FLEET_BENCH_RUNS"); v != "" {
		runs, _ = strconv.Atoi(v)
	}
	cl := fleettest.Start(t, 3, "s1")
	br := bridgetest.New(bridgetest.Options{Token: "bridge-secret"})
	defer br.Close()
	cfg := cl.Desk("s1")
	timeout := fleet.DefaultHeartbeatTimeout
	dirs := [2]string{t.TempDir(), t.TempDir()}
	prim := startChild(t, "desk 0", standbyArgs(dirs[0], cfg, br.WSURL(), false, timeout), "bridge-secret")
	if role := prim.ready(); role != "primary" {
		t.Fatalf("desk 0 started as %s", role)
	}
	prim.mustDo("start")
	prim.mustDo("arm coupon-1")
	prim.mustDo("fire coupon-1")
	run := prim.state().Run
	pi := 0
	var took, linked, promote []time.Duration
	var maxDelta time.Duration
	for r := 0; r < runs; r++ {
		si := 1 - pi
		sb := startChild(t, fmt.Sprintf("desk %d (run %d)", si, r), standbyArgs(dirs[si], cfg, br.WSURL(), true, timeout), "bridge-secret")
		if role := sb.ready(); role != "follower" {
			t.Fatalf("run %d: standby started as %s", r, role)
		}
		sb.waitState(10*time.Second, "follows", func(m childStateMsg) bool {
			return m.Run == run && m.Items["coupon-1"].State == "live"
		})
		connects := br.Stats().Connects
		// A standby follows for a while before its primary dies (its
		// first look at the lease is "a new revision"); kill at a spread
		// of phases of the lease's renewal.
		time.Sleep(timeout/2 + time.Duration(r%10)*renewEveryForBench/10)
		killed := prim.sigkill()
		var at time.Time
		select {
		case at = <-sb.promoted:
		case <-time.After(10 * time.Second):
			t.Fatalf("run %d: no takeover in 10 s; stderr:\n%s", r, sb.errText())
		}
		took = append(took, at.Sub(killed))
		if !br.WaitFor(10*time.Second, func(st bridgetest.Stats) bool { return st.Connects > connects && st.Connected }) {
			t.Fatalf("run %d: the new primary did not connect to the platform", r)
		}
		linked = append(linked, time.Since(killed))
		if os.Getenv("STUDIODESK_FLEET_BENCH_DEBUG") != "" {
			t.Logf("run %d: %v\n%s", r, at.Sub(killed), sb.errText())
		}
		sm := sb.state()
		_, ref := referenceTimer(t, dirs[pi], sm.Now)
		d := (sm.Timer.SegmentElapsed - ref.SegmentElapsed).Abs()
		if sm.Timer.Segment != ref.Segment || d > 50*time.Millisecond {
			t.Fatalf("run %d: timer segment %d elapsed %v, reference %d %v", r, sm.Timer.Segment, sm.Timer.SegmentElapsed, ref.Segment, ref.SegmentElapsed)
		}
		maxDelta = max(maxDelta, d)
		if e := sb.errText(); strings.Contains(e, "primary (took ") {
			i := strings.LastIndex(e, "primary (took ")
			rest := e[i+len("primary (took "):]
			if j := strings.Index(rest, ")"); j > 0 {
				if d, err := time.ParseDuration(rest[:j]); err == nil {
					promote = append(promote, d)
				}
			}
		}
		prim, pi = sb, si
	}
	pct := func(xs []time.Duration, p float64) time.Duration {
		s := append([]time.Duration(nil), xs...)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		if len(s) == 0 {
			return 0
		}
		return s[min(len(s)-1, int(p*float64(len(s)-1)+0.5))]
	}
	t.Logf("standby takeover over %d SIGKILLs (timeout %v, renewal every %v): SIGKILL → primary (accepting commands, devices open, feed started) p50 %v p95 %v max %v min %v; SIGKILL → platform connected from the new primary p50 %v p95 %v max %v; promotion itself p50 %v max %v; timer Δ max %v; coupon-1 issued %d time(s) at the platform",
		runs, timeout, fleet.RenewEvery, pct(took, .5).Round(time.Millisecond), pct(took, .95).Round(time.Millisecond),
		pct(took, 1).Round(time.Millisecond), pct(took, 0).Round(time.Millisecond),
		pct(linked, .5).Round(time.Millisecond), pct(linked, .95).Round(time.Millisecond), pct(linked, 1).Round(time.Millisecond),
		pct(promote, .5), pct(promote, 1), maxDelta, br.IssuedCount("coupon-1"))
	if br.IssuedCount("coupon-1") != 1 {
		t.Fatalf("coupon-1 issued %d times", br.IssuedCount("coupon-1"))
	}
}

// renewEveryForBench spreads the kills over the renewal period.
const renewEveryForBench = fleet.RenewEvery
