package fleet

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"studiodesk/assets"
	"studiodesk/scripts"
	"studiodesk/studio"
	"studiodesk/studio/danmaku"
)

// statusRig is a running desk (demo show on air, the demo studio's
// simulated devices, a danmaku pipeline) linked to a plain NATS server:
// exactly what the status part reads and where it publishes.
func statusRig(tb testing.TB) (*Link, *statusBuilder) {
	tb.Helper()
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, NoSigs: true, NoLog: true})
	if err != nil {
		tb.Fatal(err)
	}
	srv.Start()
	if !srv.ReadyForConnections(5 * time.Second) {
		tb.Fatal("nats server not ready")
	}
	tb.Cleanup(srv.Shutdown)
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	reg := studio.NewRegistry()
	if err := reg.OpenAll(studio.DemoDevices(), true); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = reg.CloseAll() })
	pipe := danmaku.New(danmaku.Config{})
	d := studio.New(studio.Config{Rehearsal: true, Devices: reg, Danmaku: pipe, Logf: func(string, ...any) {}})
	tb.Cleanup(d.Close)
	show, err := scripts.LoadYAML("demo/show.yaml", assets.DemoShow())
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range []studio.Command{studio.LoadShow{Show: show}, studio.Start{}, studio.Next{}} {
		if err := d.Do(ctx, c); err != nil {
			tb.Fatal(err)
		}
	}
	for i := range 500 {
		pipe.Ingest(danmaku.Message{ID: string(rune('a'+i%26)) + string(rune('a'+i/26)), ViewerID: "v", Text: "好看"})
	}
	l := &Link{Config: Config{Studio: "s1"}, Studio: Studio{ID: "s1"}, Conn: nc, Desk: Desk{Desk: d, Logf: func(string, ...any) {}}, running: map[string]Running{}}
	b := newStatusBuilder(l)
	b.refreshInteractions()
	return l, b
}

// BenchmarkStatusPoll is what the part does four times a second between
// heartbeats: look at the devices' health and the role.
func BenchmarkStatusPoll(b *testing.B) {
	_, sb := statusRig(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = sb.pollKey()
	}
}

// BenchmarkStatusBeat is a heartbeat: build, compare, encode, publish.
func BenchmarkStatusBeat(b *testing.B) {
	l, sb := statusRig(b)
	b.ReportAllocs()
	for b.Loop() {
		s := sb.build(time.Now())
		_ = s.changeKey()
		raw, _ := json.Marshal(s)
		_ = l.Conn.Publish(l.Studio.Heartbeat(), raw)
	}
}

// TestStatusCPUShare measures the part's cost per second of a desk: four
// polls and one heartbeat (plus one refresh of the interactions) a second
// must stay under 0.2 % of one core. Benchmarks are slow under the race
// detector, so this runs with STUDIODESK_FLEET_BENCH=1.
func TestStatusCPUShare(t *testing.T) {
	if os.Getenv("STUDIODESK_FLEET_BENCH") != "1" {
		t.Skip("set STUDIODESK_FLEET_BENCH=1 to measure the status part's CPU share")
	}
	poll := testing.Benchmark(BenchmarkStatusPoll)
	beat := testing.Benchmark(BenchmarkStatusBeat)
	ix := testing.Benchmark(func(b *testing.B) {
		_, sb := statusRig(b)
		for b.Loop() {
			sb.refreshInteractions()
		}
	})
	perSecond := time.Duration(4*poll.NsPerOp()+beat.NsPerOp()+ix.NsPerOp()) * time.Nanosecond
	share := perSecond.Seconds() * 100
	t.Logf("poll %v/op (%d allocs), heartbeat %v/op (%d allocs), interactions %v/op: %v of CPU a second = %.4f %% of one core",
		time.Duration(poll.NsPerOp()), poll.AllocsPerOp(), time.Duration(beat.NsPerOp()), beat.AllocsPerOp(), time.Duration(ix.NsPerOp()), perSecond, share)
	if share >= 0.2 {
		t.Fatalf("the status part costs %.4f %% of a core, want < 0.2 %%", share)
	}
}
