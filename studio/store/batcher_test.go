package store

import (
	"errors"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func TestBatcherFlushesOnSizeDelayAndClose(t *testing.T) {
	s := openTest(t, t.TempDir())
	var mu sync.Mutex
	var sizes []int
	b := newBatcher(s, show, 10, 20*time.Millisecond, func(n int, _ time.Duration, err error) {
		mu.Lock()
		sizes = append(sizes, n)
		mu.Unlock()
	})
	for i := range 25 {
		if err := b.Add("danmaku", map[string]int{"i": i}); err != nil {
			t.Fatal(err)
		}
	}
	// The delay flushes the tail without Close.
	deadline := time.Now().Add(2 * time.Second)
	for b.Stats().Written < 25 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := b.Stats().Written; got != 25 {
		t.Fatalf("written %d of 25 before Close", got)
	}
	if err := b.Add("danmaku", 25); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	for _, n := range sizes {
		if n > 10 {
			t.Errorf("batch of %d exceeds maxBatch 10", n)
		}
	}
	mu.Unlock()

	res, err := s.Verify(show)
	if err != nil || res.Records != 26 {
		t.Fatalf("Verify = %+v, %v", res, err)
	}
	// Events keep the order they were added in.
	i := 0
	_ = s.Records(show, 0, func(r Record) error {
		want := `{"i":` + string(rune('0'+i%10)) + `}`
		if i < 10 && string(r.Payload) != want {
			t.Errorf("record %d payload %s, want %s", r.Seq, r.Payload, want)
		}
		i++
		return nil
	})

	if err := b.Add("danmaku", 1); !errors.Is(err, ErrBatcherClosed) {
		t.Fatalf("Add after Close = %v, want ErrBatcherClosed", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
}

func TestBatcherRejectsBadInput(t *testing.T) {
	s := openTest(t, t.TempDir())
	bad := NewBatcher(s, "", 8, time.Millisecond)
	if err := bad.Add("ev", 1); !errors.Is(err, ErrInvalidName) {
		t.Fatalf("empty show: %v", err)
	}
	_ = bad.Close()
	b := NewBatcher(s, show, 8, time.Millisecond)
	defer b.Close()
	if err := b.Add("", 1); !errors.Is(err, ErrInvalidName) {
		t.Fatalf("empty kind: %v", err)
	}
	if err := b.Add("ev", func() {}); err == nil {
		t.Fatal("unencodable payload accepted")
	}
}

func TestBatcherReportsFullQueue(t *testing.T) {
	s := openTest(t, t.TempDir())
	// Hold the write lock so nothing drains, then overfill the queue.
	release := make(chan struct{})
	locked := make(chan struct{})
	go func() {
		_ = s.db.Update(func(_ *bolt.Tx) error {
			close(locked)
			<-release
			return nil
		})
	}()
	<-locked
	b := NewBatcher(s, show, 256, time.Millisecond)
	var full int
	for i := range minQueue + 256 + 50 { // queue + one batch in flight + 50
		if err := b.Add("ev", i); errors.Is(err, ErrBatcherFull) {
			full++
		} else if err != nil {
			t.Fatal(err)
		}
	}
	close(release)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	st := b.Stats()
	if full == 0 || st.Dropped != uint64(full) || st.Written+st.Dropped != minQueue+256+50 {
		t.Fatalf("full=%d stats=%+v", full, st)
	}
	if res, err := s.Verify(show); err != nil || res.Records != int(st.Written) {
		t.Fatalf("Verify = %+v, %v", res, err)
	}
}
