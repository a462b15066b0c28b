package fleet_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"studiodesk/app/core"
	"studiodesk/app/fleet"
	"studiodesk/app/fleet/fleettest"
	"studiodesk/devices"
	"studiodesk/studio"
	"studiodesk/studio/remote"
)

// openDesk opens a real headless desk (core.Open, as serve does) joined
// to the fleet with cfg.
func stOpenDesk(t *testing.T, cfg fleet.Config, extra ...string) *core.App {
	t.Helper()
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var o core.Options
	o.Register(fs)
	args := append([]string{"--data", t.TempDir(), "--overlay", "127.0.0.1:0", "--remote-addr", "127.0.0.1:0", "--sim-rate", "20"}, extra...)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	o.OSCAddr = remote.OSCOff
	o.Fleet = cfg
	a, err := core.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// statusFeed subscribes as the agency to subject and hands over each
// decoded message with its arrival time.
type received struct {
	s  fleet.Status
	at time.Time
}

func statusFeed(t *testing.T, nc *nats.Conn, subject string) chan received {
	t.Helper()
	ch := make(chan received, 256)
	sub, err := nc.Subscribe(subject, func(m *nats.Msg) {
		s, err := fleet.ParseStatus(m.Subject, m.Data)
		if err != nil {
			t.Errorf("status on %s: %v (%s)", m.Subject, err, m.Data)
			return
		}
		select {
		case ch <- received{s, time.Now()}:
		default:
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return ch
}

// await returns the first message for which ok holds, within d.
func await(t *testing.T, ch chan received, d time.Duration, what string, ok func(fleet.Status) bool) received {
	t.Helper()
	deadline := time.After(d)
	var last fleet.Status
	for {
		select {
		case r := <-ch:
			last = r.s
			if ok(r.s) {
				return r
			}
		case <-deadline:
			t.Fatalf("no status with %s within %v; last %+v", what, d, last)
		}
	}
}

// A real desk on a real hub tells the agency its studio's status: once a
// second while nothing changes, at once when the show starts or moves
// on, with its key fingerprint, the show, the devices' health and the
// danmaku rate.
func TestStatusOfARealDesk(t *testing.T) {
	c := fleettest.Start(t, 1, "s1")
	nc, _ := c.Agency()
	ch := statusFeed(t, nc, fleet.Studio{ID: "s1"}.Heartbeat())
	a := stOpenDesk(t, c.Desk("s1"))

	first := await(t, ch, 5*time.Second, "the first message", func(fleet.Status) bool { return true })
	s := first.s
	if s.Desk != a.Boot.Key.Fingerprint() || s.Role != fleet.RolePrimary || s.Studio != "s1" {
		t.Fatalf("identity: desk %q role %q studio %q (key %q)", s.Desk, s.Role, s.Studio, a.Boot.Key.Fingerprint())
	}
	snap := a.Desk.Snapshot()
	if s.Show != snap.Show.Title || s.Segments != len(snap.Show.Segments) || s.State != fleet.StateIdle {
		t.Fatalf("show: %q %d segments state %q, want %q %d idle", s.Show, s.Segments, s.State, snap.Show.Title, len(snap.Show.Segments))
	}
	if len(s.Devices) != len(a.Devices) || len(s.Devices) == 0 {
		t.Fatalf("devices %+v, want %d", s.Devices, len(a.Devices))
	}
	for _, d := range s.Devices {
		if d.Name == "" || d.Kind == "" || (d.Health != fleet.HealthOK && d.Health != fleet.HealthDegraded && d.Health != fleet.HealthDown) {
			t.Fatalf("device %+v", d)
		}
	}
	if !s.Fleet.Connected || s.SentAt.IsZero() || s.Seq == 0 {
		t.Fatalf("fleet %+v sent %v seq %d", s.Fleet, s.SentAt, s.Seq)
	}

	// Heartbeat: about one a second while idle.
	n, start := 0, time.Now()
	for time.Since(start) < 3200*time.Millisecond {
		select {
		case <-ch:
			n++
		case <-time.After(100 * time.Millisecond):
		}
	}
	if n < 2 || n > 5 {
		t.Fatalf("%d messages in 3.2 s while idle, want about 3", n)
	}

	// On change: start and next go out well before the next heartbeat.
	ctx := context.Background()
	for i, cmd := range []studio.Command{studio.Start{}, studio.Next{}} {
		t0 := time.Now()
		if err := a.Desk.Do(ctx, cmd); err != nil {
			t.Fatal(err)
		}
		r := await(t, ch, 3*time.Second, "the new segment", func(s fleet.Status) bool { return s.State == fleet.StateRunning && s.Segment == i })
		if lag := r.at.Sub(t0); lag > 500*time.Millisecond {
			t.Fatalf("%T reached the agency after %v, want < 500 ms", cmd, lag)
		}
		if want := a.Desk.Snapshot().Show.Segments[i].Title; r.s.SegmentTitle != want || r.s.Run == "" {
			t.Fatalf("segment title %q run %q, want %q", r.s.SegmentTitle, r.s.Run, want)
		}
	}
	// Live interactions, with their counts.
	if err := a.Desk.Do(ctx, studio.FireCoupon{ID: "coupon-1"}); err != nil {
		t.Fatal(err)
	}
	if err := a.Desk.Do(ctx, studio.StartVote{ID: "vote-1"}); err != nil {
		t.Fatal(err)
	}
	ixOf := func(s fleet.Status, id string) (fleet.StatusInteraction, bool) {
		for _, it := range s.Interactions {
			if it.ID == id {
				return it, true
			}
		}
		return fleet.StatusInteraction{}, false
	}
	r := await(t, ch, 3*time.Second, "a live coupon and vote", func(s fleet.Status) bool {
		c, okc := ixOf(s, "coupon-1")
		v, okv := ixOf(s, "vote-1")
		return okc && c.State == "live" && okv && v.State == "live"
	})
	cp, _ := ixOf(r.s, "coupon-1")
	v, _ := ixOf(r.s, "vote-1")
	if cp.Kind != "coupon" || cp.Label == "" || cp.Claims+cp.StockLeft != 500 || v.Kind != "vote" || len(v.Options) != 3 || len(v.Counts) != 3 {
		t.Fatalf("interactions %+v %+v", cp, v)
	}
	if v.Label != "下一支试什么色？扣数字投票" {
		t.Fatalf("vote label %q, want its question", v.Label)
	}
	// The simulator's audience claims and votes: the counts follow the
	// desk's own.
	for i := range 5 {
		a.Desk.VoteDanmaku(fmt.Sprintf("viewer-%d", i), 1+i%2, time.Now())
	}
	deskView := a.Desk.Interactions()
	dv, _ := deskView.Get("vote-1")
	dc, _ := deskView.Get("coupon-1")
	await(t, ch, 3*time.Second, "the desk's counts", func(s fleet.Status) bool {
		v, okv := ixOf(s, "vote-1")
		c, okc := ixOf(s, "coupon-1")
		sum := 0
		for _, n := range v.Counts {
			sum += n
		}
		return okv && okc && v.Total >= dv.Total && dv.Total >= 5 && sum == v.Total && c.Claims >= dc.Claims
	})
	// The simulator sends 20 comments a second: about 1200 a minute.
	await(t, ch, 5*time.Second, "a danmaku rate", func(s fleet.Status) bool { return s.DanmakuPerMin > 300 })
	if err := a.Desk.Do(ctx, studio.Pause{}); err != nil {
		t.Fatal(err)
	}
	await(t, ch, 2*time.Second, "paused", func(s fleet.Status) bool { return s.State == fleet.StatePaused })
	if err := a.Desk.Do(ctx, studio.End{}); err != nil {
		t.Fatal(err)
	}
	await(t, ch, 2*time.Second, "ended", func(s fleet.Status) bool { return s.State == fleet.StateEnded })
	if last, ok := a.Fleet.LastStatus(); !ok || last.State != fleet.StateEnded {
		t.Fatalf("LastStatus %+v %v", last, ok)
	}
}

// A standby desk reports on the standby subject, never on the primary's
// heartbeat.
func TestStatusOfAStandbyGoesToItsOwnSubject(t *testing.T) {
	c := fleettest.Start(t, 1, "s1")
	nc, _ := c.Agency()
	primary := statusFeed(t, nc, fleet.Studio{ID: "s1"}.Heartbeat())
	standby := statusFeed(t, nc, fleet.Studio{ID: "s1"}.StandbyStatus())
	cfg := c.Desk("s1")
	cfg.StandbyFor = "s1"
	a := stOpenDesk(t, cfg)
	r := await(t, standby, 5*time.Second, "a standby message", func(fleet.Status) bool { return true })
	if r.s.Role != fleet.RoleStandby || r.s.Desk != a.Boot.Key.Fingerprint() {
		t.Fatalf("standby status %+v", r.s)
	}
	select {
	case m := <-primary:
		t.Fatalf("a standby sent on the primary's subject: %+v", m.s)
	case <-time.After(1500 * time.Millisecond):
	}
}

// ParseStatus refuses what is not a status of the subject's studio, with
// the studio named.
func TestParseStatusRefusesBadMessages(t *testing.T) {
	good := fleet.Status{V: fleet.StatusVersion, Studio: "s1", Role: fleet.RolePrimary}
	raw, _ := json.Marshal(good)
	if _, err := fleet.ParseStatus("sd.s1.status", raw); err != nil {
		t.Fatal(err)
	}
	other := good
	other.Studio = "s2"
	rawOther, _ := json.Marshal(other)
	sb := good
	rawPrimaryOnStandby, _ := json.Marshal(sb)
	v2 := good
	v2.V = 2
	rawV2, _ := json.Marshal(v2)
	for _, tc := range []struct {
		subject string
		data    []byte
		want    string
	}{
		{"sd.s1.status", []byte("{"), "studio s1"},
		{"sd.s1.status", []byte("null"), "format version 0"},
		{"sd.s1.status", rawOther, `names studio "s2"`},
		{"sd.s1.status.standby", rawPrimaryOnStandby, "standby subject"},
		{"sd.s1.status", rawV2, "format version 2"},
		{"sd.S1.status", raw, "not a status subject"},
		{"sd.s1.log.x", raw, "not a status subject"},
		{"xx.s1.status", raw, "not a status subject"},
	} {
		_, err := fleet.ParseStatus(tc.subject, tc.data)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s: %v, want %q", tc.subject, tc.data, err, tc.want)
		}
	}
}

// fakeDevice is a device whose health the test sets.
type fakeDevice struct {
	mu sync.Mutex
	h  devices.Health
}

func (f *fakeDevice) ID() string                                  { return "cam-x" }
func (f *fakeDevice) Name() string                                { return "X机位" }
func (f *fakeDevice) Kind() devices.Kind                          { return devices.KindCamera }
func (f *fakeDevice) Apply(context.Context, devices.Target) error { return nil }
func (f *fakeDevice) Close() error                                { return nil }
func (f *fakeDevice) Status() devices.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	return devices.Status{Health: f.h, LastError: map[bool]string{true: "no reply in time"}[f.h == devices.Down]}
}
func (f *fakeDevice) set(h devices.Health) { f.mu.Lock(); f.h = h; f.mu.Unlock() }

// A device that goes down is reported at once, not at the next
// heartbeat; so is its recovery.
func TestStatusReportsDeviceHealthChanges(t *testing.T) {
	c := fleettest.Start(t, 1, "s1")
	nc, _ := c.Agency()
	ch := statusFeed(t, nc, fleet.Studio{ID: "s1"}.Heartbeat())
	a := stOpenDesk(t, c.Desk("s1"))
	dev := &fakeDevice{h: devices.OK}
	if err := a.Registry.Add(dev); err != nil {
		t.Fatal(err)
	}
	health := func(s fleet.Status) string {
		for _, d := range s.Devices {
			if d.ID == "cam-x" {
				return d.Health
			}
		}
		return ""
	}
	await(t, ch, 5*time.Second, "cam-x ok", func(s fleet.Status) bool { return health(s) == fleet.HealthOK })
	for _, step := range []struct {
		h    devices.Health
		want string
	}{{devices.Down, fleet.HealthDown}, {devices.Degraded, fleet.HealthDegraded}, {devices.OK, fleet.HealthOK}} {
		time.Sleep(300 * time.Millisecond)
		t0 := time.Now()
		dev.set(step.h)
		r := await(t, ch, 3*time.Second, "cam-x "+step.want, func(s fleet.Status) bool { return health(s) == step.want })
		if lag := r.at.Sub(t0); lag > 700*time.Millisecond {
			t.Fatalf("cam-x %s reached the agency after %v, want within the 250 ms poll", step.want, lag)
		}
		if step.h == devices.Down {
			for _, d := range r.s.Devices {
				if d.ID == "cam-x" && (d.Name != "X机位" || d.Kind != "camera" || d.Error == "") {
					t.Fatalf("down device %+v", d)
				}
			}
		}
	}
}

// The evidence part reports its backlog to the status part (the overview
// shows unpublished records per studio).
var _ fleet.UnpublishedReporter = (*fleet.Evidence)(nil)
