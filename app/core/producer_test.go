package core

import (
	"context"
	"errors"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"studiodesk/app/fleet"
	"studiodesk/app/fleet/fleettest"
	"studiodesk/studio"
)

// The producer flag is checked where it is parsed: it needs a fleet, is
// not a standby, and is refused outside rehearsal mode, naming the flag.
func TestProducerFlagChecks(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string // "" : accepted
	}{
		{[]string{"--fleet-producer"}, "--fleet-producer: needs --fleet"},
		{[]string{"--fleet", "nats://127.0.0.1:4222", "--studio", "s1", "--fleet-producer", "--standby-for", "s1"}, "--fleet-producer and --standby-for"},
		{[]string{"--fleet", "nats://127.0.0.1:4222", "--studio", "s1", "--fleet-producer", "--rehearsal=false"}, "--fleet-producer: a producer desk never goes on air"},
		{[]string{"--fleet", "nats://127.0.0.1:4222", "--studio", "s1", "--fleet-producer"}, ""},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		var o Options
		o.Register(fs)
		if err := fs.Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		err := o.Check()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%v: %v", tc.args, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
		if tc.want == "" && !o.Fleet.Producer {
			t.Errorf("%v: not a producer", tc.args)
		}
	}
	// Saved with the other fleet settings.
	c := fleet.Config{URL: "nats://127.0.0.1:4222", Studio: "s1", Producer: true}
	back, err := c.ToSaved().Config()
	if err != nil || !back.Producer {
		t.Fatalf("saved producer setting: %+v %v", back, err)
	}
}

// A producer desk of a studio works before the show with no primary
// around: it accepts commands at once (a rehearsal run, a preset edit),
// never takes the studio's lease, publishes no standby state and refuses a
// take-over. The studio PC started later becomes the primary as usual,
// and the producer stays a producer (not a follower).
func TestProducerDeskNeverContends(t *testing.T) {
	c := fleettest.Start(t, 1, "s1")
	pcfg := c.Desk("s1")
	prodCfg := pcfg
	prodCfg.Producer = true
	prodDir, pdir := t.TempDir(), t.TempDir()
	prod := fleetDesk(t, prodDir, prodCfg)
	defer prod.Close()
	sb := fleet.StandbyPart(prod.Fleet)
	if sb == nil || sb.Role() != "producer" {
		t.Fatalf("producer desk's role: %v", sb)
	}
	if _, f := prod.Desk.Following(); f {
		t.Fatal("a producer desk started as a follower")
	}
	ctx := context.Background()
	for _, cmd := range []studio.Command{studio.Start{}, studio.Next{}} {
		if err := prod.Desk.Do(ctx, cmd); err != nil {
			t.Fatalf("producer desk refuses %s: %v", cmd.Name(), err)
		}
	}
	p := prod.Desk.Snapshot().Presets[0]
	p.Name = "制片改"
	if err := prod.Desk.Do(ctx, studio.SavePreset{Preset: p}); err != nil {
		t.Fatalf("producer desk refuses a preset edit: %v", err)
	}
	err := prod.Desk.Do(ctx, studio.TakeOver{})
	if err == nil || !errors.Is(err, studio.ErrBadCommand) || !strings.Contains(err.Error(), "--fleet-producer") {
		t.Fatalf("take over on a producer desk: %v", err)
	}
	// Longer than fleet.LeaseWait plus a few renewal periods: the studio
	// bucket has neither a lease nor a state.
	_, js := c.Agency()
	kv, err := js.KeyValue(ctx, fleet.Studio{ID: "s1"}.Bucket())
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(fleet.LeaseWait + 2*fleet.RenewEvery)
	for _, key := range []string{fleet.LeaseKey, fleet.StateKey} {
		if _, err := kv.Get(ctx, key); !errors.Is(err, jetstream.ErrKeyNotFound) {
			t.Fatalf("producer desk alone: %s: %v, want none", key, err)
		}
	}

	prim := fleetDesk(t, pdir, pcfg)
	defer prim.Close()
	if r := fleet.StandbyPart(prim.Fleet).Role(); r != "primary" {
		t.Fatalf("studio PC's role %q beside a producer desk, want primary", r)
	}
	if err := prim.Desk.Do(ctx, studio.Start{}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "the primary publishes its state", func() bool {
		_, err := kv.Get(ctx, fleet.StateKey)
		return err == nil
	})
	time.Sleep(2 * fleet.RenewEvery)
	if h, me := leaseHolder(t, c, "s1"), deskID(t, pdir); h != me {
		t.Fatalf("lease holder %s, want the studio PC %s", h, me)
	}
	if d, me := stateDesk(t, c, "s1"), deskID(t, pdir); d != me {
		t.Fatalf("state published by %s, want the studio PC %s", d, me)
	}
	if _, f := prod.Desk.Following(); f || sb.Role() != "producer" {
		t.Fatal("the producer desk became a follower beside the primary")
	}
	if err := prod.Desk.Do(ctx, studio.Next{}); err != nil {
		t.Fatalf("producer desk beside a primary refuses commands: %v", err)
	}
}
