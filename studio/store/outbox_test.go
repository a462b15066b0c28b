package store

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestOutboxLifecycleSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	// Added out of key order and with equal times: creation order must win.
	at := time.Date(2025, 3, 1, 15, 0, 0, 0, time.UTC)
	for _, key := range []string{"coupon-3", "vote-1", "coupon-1"} {
		item := OutboxItem{Key: key, Kind: "coupon.issue", Payload: json.RawMessage(`{"yuan":20}`), Created: at}
		if err := s.OutboxAdd(item); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.OutboxAttempt("vote-1"); err != nil {
		t.Fatal(err)
	}
	if err := s.OutboxAttempt("vote-1"); err != nil {
		t.Fatal(err)
	}
	if err := s.OutboxDone("coupon-3", map[string]string{"platform_id": "P-77"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// After a restart the unacknowledged items are still there, in order.
	s = openTest(t, dir)
	pending, err := s.OutboxPending()
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 2 || pending[0].Key != "vote-1" || pending[1].Key != "coupon-1" {
		t.Fatalf("pending = %+v, want vote-1 then coupon-1", pending)
	}
	if pending[0].Attempts != 2 || !pending[0].Created.Equal(at) || string(pending[0].Payload) != `{"yuan":20}` {
		t.Fatalf("vote-1 = %+v", pending[0])
	}

	done, found, err := s.OutboxGet("coupon-3")
	if err != nil || !found || !done.Done || string(done.Result) != `{"platform_id":"P-77"}` || done.DoneAt.IsZero() {
		t.Fatalf("coupon-3 = %+v, %v, %v", done, found, err)
	}
	// A repeated acknowledgement keeps the first result.
	if err := s.OutboxDone("coupon-3", "late duplicate"); err != nil {
		t.Fatal(err)
	}
	again, _, _ := s.OutboxGet("coupon-3")
	if string(again.Result) != `{"platform_id":"P-77"}` || !again.DoneAt.Equal(done.DoneAt) {
		t.Fatalf("second ack overwrote the first: %+v", again)
	}
	// A done item must never be sent again.
	if err := s.OutboxAttempt("coupon-3"); !errors.Is(err, ErrAlreadyDone) {
		t.Fatalf("attempt on done item = %v, want ErrAlreadyDone", err)
	}
	if _, found, err := s.OutboxGet("nope"); found || err != nil {
		t.Fatalf("OutboxGet(nope) = %v, %v", found, err)
	}
	for _, err := range []error{s.OutboxAttempt("nope"), s.OutboxDone("nope", nil)} {
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `"nope"`) {
			t.Fatalf("unknown key: %v, want ErrNotFound naming the key", err)
		}
	}
}

func TestOutboxDuplicateKeyRejected(t *testing.T) {
	s := openTest(t, t.TempDir())
	item := OutboxItem{Key: "coupon-show1-seg2", Kind: "coupon.issue"}
	if err := s.OutboxAdd(item); err != nil {
		t.Fatal(err)
	}
	if err := s.OutboxAdd(item); !errors.Is(err, ErrDuplicateKey) {
		t.Fatalf("second add = %v, want ErrDuplicateKey", err)
	}
	// Still a duplicate after it is done: one action, one item, ever.
	if err := s.OutboxDone(item.Key, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.OutboxAdd(item); !errors.Is(err, ErrDuplicateKey) {
		t.Fatalf("add after done = %v, want ErrDuplicateKey", err)
	}
	if err := s.OutboxAdd(OutboxItem{Kind: "x"}); !errors.Is(err, ErrInvalidName) {
		t.Fatalf("empty key = %v, want ErrInvalidName", err)
	}
}

func TestOutboxAddResetsStateAndDefaultsCreated(t *testing.T) {
	s := openTest(t, t.TempDir())
	err := s.OutboxAdd(OutboxItem{Key: "k", Kind: "vote.open", Attempts: 5, Done: true, Result: json.RawMessage(`1`)})
	if err != nil {
		t.Fatal(err)
	}
	it, _, _ := s.OutboxGet("k")
	if it.Attempts != 0 || it.Done || it.Result != nil || it.Created.IsZero() {
		t.Fatalf("new item = %+v, want a fresh pending item with a creation time", it)
	}
}

func TestOutboxPrune(t *testing.T) {
	s := openTest(t, t.TempDir()) // clock steps 1ms per call
	for _, k := range []string{"a", "b", "c"} {
		if err := s.OutboxAdd(OutboxItem{Key: k, Kind: "coupon.issue"}); err != nil {
			t.Fatal(err)
		}
	}
	_ = s.OutboxDone("a", nil)
	cutoff := s.now()
	_ = s.OutboxDone("b", nil)
	n, err := s.OutboxPrune(cutoff)
	if err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want 1", n, err)
	}
	if _, found, _ := s.OutboxGet("a"); found {
		t.Fatal("a survived the prune")
	}
	if _, found, _ := s.OutboxGet("b"); !found {
		t.Fatal("b was done after the cutoff but got pruned")
	}
	if p, _ := s.OutboxPending(); len(p) != 1 || p[0].Key != "c" {
		t.Fatalf("pending = %+v", p)
	}
}

func TestOutboxCorruptItemNamed(t *testing.T) {
	s := openTest(t, t.TempDir())
	_ = s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(outboxBucket)).Put([]byte("bad"), []byte("{"))
	})
	if _, err := s.OutboxPending(); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `key "bad"`) {
		t.Fatalf("OutboxPending = %v, want ErrCorrupt naming the key", err)
	}
	if err := s.OutboxAttempt("bad"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("OutboxAttempt = %v, want ErrCorrupt", err)
	}
}
