package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

var (
	// ErrBatcherFull: the queue is full (the disk cannot keep up); the event was not logged.
	ErrBatcherFull = errors.New("show log batcher queue full")
	// ErrBatcherClosed: Add after Close.
	ErrBatcherClosed = errors.New("show log batcher closed")
)

// minQueue keeps a small maxBatch from leaving no room for a burst.
const minQueue = 1024

// Batcher appends events to one show's log in batches: Add never blocks, and
// a goroutine commits what has queued with AppendBatch once maxBatch events
// are waiting or maxDelay after the first of them, whichever comes first.
// At high event rates this turns one fsync per event into one per batch.
// An event is durable only after its batch commits; Close flushes.
type Batcher struct {
	s        *Store
	show     string
	maxBatch int
	maxDelay time.Duration
	invalid  error // a bad show id, reported by Add

	mu     sync.RWMutex // guards closed against Add's send on queue
	closed bool
	queue  chan Entry
	done   chan struct{}

	onFlush func(n int, took time.Duration, err error)

	written, dropped, failed, flushes atomic.Uint64

	errMu    sync.Mutex
	firstErr error
}

// BatcherStats counts a Batcher's events so far.
type BatcherStats struct {
	Written uint64 // committed to the log
	Dropped uint64 // refused by Add because the queue was full
	Failed  uint64 // lost in a batch whose commit failed
	Flushes uint64 // committed batches
}

// NewBatcher starts a Batcher for show. maxBatch below 1 means 1; the queue
// holds 4×maxBatch events (at least 1024).
func NewBatcher(s *Store, show string, maxBatch int, maxDelay time.Duration) *Batcher {
	return newBatcher(s, show, maxBatch, maxDelay, nil)
}

// newBatcher also takes a hook called after every flush (benchmarks use it
// to measure commit latency).
func newBatcher(s *Store, show string, maxBatch int, maxDelay time.Duration, onFlush func(int, time.Duration, error)) *Batcher {
	if maxBatch < 1 {
		maxBatch = 1
	}
	b := &Batcher{
		s:        s,
		show:     show,
		maxBatch: maxBatch,
		maxDelay: maxDelay,
		invalid:  checkShow(show),
		queue:    make(chan Entry, max(4*maxBatch, minQueue)),
		done:     make(chan struct{}),
		onFlush:  onFlush,
	}
	go b.run()
	return b
}

// Add queues one event, stamped with the store's clock now. It never
// blocks: if the queue is full it returns ErrBatcherFull and the event is
// not logged, so the caller can raise the alarm.
func (b *Batcher) Add(kind string, payload any) error {
	if b.invalid != nil {
		return b.invalid
	}
	if kind == "" {
		return fmt.Errorf("store: show %q: batcher: empty kind: %w", b.show, ErrInvalidName)
	}
	// Encode now so later changes to payload by the caller do not leak in.
	raw, err := marshalNoHTML(payload)
	if err != nil {
		return fmt.Errorf("store: show %q: batcher: %s: encode payload: %w", b.show, kind, err)
	}
	e := Entry{Kind: kind, Payload: json.RawMessage(raw), Time: b.s.now()}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return fmt.Errorf("store: show %q: %w", b.show, ErrBatcherClosed)
	}
	select {
	case b.queue <- e:
		return nil
	default:
		b.dropped.Add(1)
		return fmt.Errorf("store: show %q: %s: %w", b.show, kind, ErrBatcherFull)
	}
}

// Close stops accepting events, commits everything queued and returns the
// first commit error, if any. Calling it again returns the same.
func (b *Batcher) Close() error {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.queue)
	}
	b.mu.Unlock()
	<-b.done
	return b.Err()
}

// Err is the first commit error so far.
func (b *Batcher) Err() error {
	b.errMu.Lock()
	defer b.errMu.Unlock()
	return b.firstErr
}

// Stats returns the counters so far.
func (b *Batcher) Stats() BatcherStats {
	return BatcherStats{
		Written: b.written.Load(),
		Dropped: b.dropped.Load(),
		Failed:  b.failed.Load(),
		Flushes: b.flushes.Load(),
	}
}

func (b *Batcher) run() {
	defer close(b.done)
	batch := make([]Entry, 0, b.maxBatch)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		e, ok := <-b.queue
		if !ok {
			return
		}
		batch = append(batch[:0], e)
		timer.Reset(b.maxDelay)
		closed := false
	fill:
		for len(batch) < b.maxBatch {
			select {
			case e, ok := <-b.queue:
				if !ok {
					closed = true
					break fill
				}
				batch = append(batch, e)
			case <-timer.C:
				break fill
			}
		}
		timer.Stop()
		b.flush(batch)
		if closed {
			return
		}
	}
}

func (b *Batcher) flush(batch []Entry) {
	start := time.Now()
	_, err := b.s.AppendBatch(b.show, batch)
	took := time.Since(start)
	if err != nil {
		b.failed.Add(uint64(len(batch)))
		b.errMu.Lock()
		if b.firstErr == nil {
			b.firstErr = err
		}
		b.errMu.Unlock()
	} else {
		b.written.Add(uint64(len(batch)))
		b.flushes.Add(1)
	}
	if b.onFlush != nil {
		b.onFlush(len(batch), took, err)
	}
}
