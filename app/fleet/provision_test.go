package fleet_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"studiodesk/app/fleet"
	"studiodesk/app/fleet/fleettest"
)

// Provision leaves streams and buckets that already have the fleet's
// settings alone (the revision of their config does not move), puts back
// a setting somebody changed, and creates what is missing, so a hub that
// restarts, or three hubs provisioning at once, go on from what is there.
func TestProvisionKeepsRepairsAndCreates(t *testing.T) {
	c := fleettest.Start(t, 1, "s1")
	nc, js := c.Agency()
	// The server reports every JetStream API call on the audit subject.
	var calls []string
	var mu sync.Mutex
	sub, err := nc.Subscribe("$JS.EVENT.ADVISORY.API", func(m *nats.Msg) {
		var a struct {
			Subject string `json:"subject"`
		}
		if json.Unmarshal(m.Data, &a) == nil {
			mu.Lock()
			calls = append(calls, a.Subject)
			mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	info := func(name string) *jetstream.StreamInfo {
		t.Helper()
		si, err := c.StreamInfo(ctx, js, name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return si
	}
	if err := fleet.Provision(ctx, js, 1, "s1"); err != nil {
		t.Fatalf("provision again: %v", err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	seen := slices.Clone(calls)
	mu.Unlock()
	if len(seen) == 0 {
		t.Fatal("no API audit seen: the test cannot tell what provisioning asked")
	}
	for _, s := range seen {
		if strings.Contains(s, ".CREATE.") || strings.Contains(s, ".UPDATE.") {
			t.Errorf("provisioning what is there asked %s", s)
		}
	}

	// Somebody narrowed the evidence stream's message size.
	cfg := fleet.LogStreamConfig("s1", 1)
	cfg.MaxMsgSize = 2048
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if err := fleet.Provision(ctx, js, 1, "s1", "s2"); err != nil {
		t.Fatalf("provision: %v", err)
	}
	if got := info("SD_LOG_s1").Config.MaxMsgSize; got != 1<<20 {
		t.Errorf("SD_LOG_s1 max message size %d after provisioning, want %d put back", got, 1<<20)
	}
	for _, name := range []string{"SD_LOG_s2", "KV_sd_s_s2", "KV_sd_lib"} {
		si := info(name)
		if si.Config.Replicas != 1 {
			t.Errorf("%s: replicas %d, want 1", name, si.Config.Replicas)
		}
	}
	if got := info("KV_sd_s_s2").Config.MaxMsgsPerSubject; got != 8 {
		t.Errorf("bucket sd_s_s2 history %d, want 8", got)
	}
	if si := info("SD_LOG_s2"); !si.Config.DenyDelete || !si.Config.DenyPurge {
		t.Errorf("SD_LOG_s2 allows delete or purge: %+v", si.Config)
	}
	// A bad studio id is named, not created.
	if err := fleet.Provision(ctx, js, 1, "s 3"); err == nil {
		t.Error("provisioning studio id \"s 3\" succeeded")
	}
}
