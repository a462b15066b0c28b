package fleettest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"studiodesk/app/fleet"
)

// A 3-node cluster provisions replicated streams, and a studio's
// credentials reach its own subjects and the library read-only, never
// another studio's.
func TestClusterPermissions(t *testing.T) {
	c := Start(t, 3, "s1", "s2")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, ajs := c.Agency()
	info, err := c.StreamInfo(ctx, ajs, fleet.Studio{ID: "s1"}.LogStream())
	if err != nil {
		t.Fatal(err)
	}
	if info.Config.Replicas != 3 || !info.Config.DenyDelete || !info.Config.DenyPurge {
		t.Fatalf("evidence stream config: replicas %d deny delete %v purge %v", info.Config.Replicas, info.Config.DenyDelete, info.Config.DenyPurge)
	}
	lib, err := ajs.KeyValue(ctx, fleet.LibraryBucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lib.Put(ctx, "preset.wide", []byte(`{"name":"wide"}`)); err != nil {
		t.Fatalf("agency writes the library: %v", err)
	}

	cfg := c.Desk("s1")
	errs := make(chan error, 16)
	nc, js, err := cfg.Connect(nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errs <- err }))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if !nc.IsConnected() {
		time.Sleep(500 * time.Millisecond)
	}
	// Own evidence stream: publish is acknowledged.
	if _, err := js.Publish(ctx, fleet.Studio{ID: "s1"}.LogSubject("run-1"), []byte("{}")); err != nil {
		t.Fatalf("own log subject: %v", err)
	}
	// Own bucket: read and write.
	own, err := js.KeyValue(ctx, fleet.Studio{ID: "s1"}.Bucket())
	if err != nil {
		t.Fatalf("own bucket: %v", err)
	}
	if _, err := own.Put(ctx, "x", []byte("1")); err != nil {
		t.Fatalf("own bucket put: %v", err)
	}
	// Library: read yes, write no.
	rlib, err := js.KeyValue(ctx, fleet.LibraryBucket)
	if err != nil {
		t.Fatalf("library bucket: %v", err)
	}
	// Reads may be served by any replica (direct get), so one that is a
	// moment behind the agency's write may not have it yet.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		e, err := rlib.Get(ctx, "preset.wide")
		if err == nil && string(e.Value()) == `{"name":"wide"}` {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("library read: %v", err)
		}
	}
	short, scancel := context.WithTimeout(ctx, 2*time.Second)
	if _, err := rlib.Put(short, "preset.wide", []byte("evil")); err == nil {
		t.Fatal("a studio wrote the shared library")
	}
	scancel()
	// Another studio's stream, bucket and subjects: refused.
	short, scancel = context.WithTimeout(ctx, 2*time.Second)
	if _, err := js.Publish(short, fleet.Studio{ID: "s2"}.LogSubject("run-1"), []byte("{}")); err == nil {
		t.Fatal("studio s1 published to studio s2's evidence")
	}
	scancel()
	short, scancel = context.WithTimeout(ctx, 2*time.Second)
	if _, err := js.KeyValue(short, fleet.Studio{ID: "s2"}.Bucket()); err == nil {
		t.Fatal("studio s1 opened studio s2's bucket")
	}
	scancel()
	// Its own evidence cannot be purged.
	short, scancel = context.WithTimeout(ctx, 2*time.Second)
	if s, err := js.Stream(short, fleet.Studio{ID: "s1"}.LogStream()); err == nil {
		if err := s.Purge(short); err == nil {
			t.Fatal("studio s1 purged its evidence")
		}
	}
	scancel()
	nc.Flush()
	var perm int
	for len(errs) > 0 {
		if e := <-errs; strings.Contains(strings.ToLower(e.Error()), "permissions violation") {
			perm++
		}
	}
	if perm == 0 {
		t.Fatal("the server reported no permissions violation")
	}
	// The agency sees only s1's one record in s1's stream, none in s2's.
	for id, want := range map[string]uint64{"s1": 1, "s2": 0} {
		info, err := c.StreamInfo(ctx, ajs, fleet.Studio{ID: id}.LogStream())
		if err != nil {
			t.Fatal(err)
		}
		if info.State.Msgs != want {
			t.Fatalf("stream of %s: %d records, want %d", id, info.State.Msgs, want)
		}
	}
}
