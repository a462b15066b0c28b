package store

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// OutboxItem is one platform command (coupon, vote, ...). It is written
// before the command is sent and marked done when the platform acknowledges
// it, so after a crash or reconnect the pending items are re-sent under the
// same idempotency key and nothing is issued twice.
type OutboxItem struct {
	Key      string          `json:"key"` // idempotency key, unique per action
	Kind     string          `json:"kind"`
	Payload  json.RawMessage `json:"payload,omitempty"`
	Created  time.Time       `json:"created"`
	Attempts int             `json:"attempts"`
	Done     bool            `json:"done"`
	DoneAt   time.Time       `json:"done_at,omitzero"`
	Result   json.RawMessage `json:"result,omitempty"`
}

// outboxRecord is the stored form; Order is the bucket's sequence at insert
// time, so "creation order" survives clock steps and equal timestamps.
type outboxRecord struct {
	OutboxItem
	Order uint64 `json:"order"`
}

func checkOutboxKey(key string) error {
	if key == "" || len(key) > bolt.MaxKeySize {
		return fmt.Errorf("store: outbox key %q: %w", key, ErrInvalidName)
	}
	return nil
}

// OutboxAdd records a new pending item. Attempts, Done, DoneAt and Result
// are ignored (a new item has none); a zero Created is set to now. It fails
// with ErrDuplicateKey if the key was ever added, done or not: one action,
// one item.
func (s *Store) OutboxAdd(item OutboxItem) error {
	if err := checkOutboxItem(item); err != nil {
		return err
	}
	if item.Created.IsZero() {
		item.Created = s.now()
	}
	item.Attempts, item.Done, item.DoneAt, item.Result = 0, false, time.Time{}, nil
	err := s.update(func(tx *bolt.Tx) error { return outboxAddTx(tx, item) })
	if err != nil {
		return fmt.Errorf("store: outbox key %q: add: %w", item.Key, err)
	}
	return nil
}

// OutboxGet returns the item; found is false if the key is unknown.
func (s *Store) OutboxGet(key string) (item OutboxItem, found bool, err error) {
	err = s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(outboxBucket))
		if b == nil {
			return nil
		}
		v := b.Get([]byte(key))
		if v == nil {
			return nil
		}
		rec, err := decodeOutbox(key, v)
		if err != nil {
			return err
		}
		item, found = rec.OutboxItem, true
		return nil
	})
	if err != nil {
		return OutboxItem{}, false, fmt.Errorf("store: outbox get: %w", err)
	}
	return item, found, nil
}

// OutboxPending lists the items not yet done, oldest first.
func (s *Store) OutboxPending() ([]OutboxItem, error) {
	var items []OutboxItem
	err := s.view(func(tx *bolt.Tx) (err error) {
		items, err = pendingTx(tx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: outbox pending: %w", err)
	}
	return items, nil
}

// pendingTx lists the outbox items not yet done in tx, oldest first.
func pendingTx(tx *bolt.Tx) ([]OutboxItem, error) {
	var recs []outboxRecord
	if b := tx.Bucket([]byte(outboxBucket)); b != nil {
		err := b.ForEach(func(k, v []byte) error {
			rec, err := decodeOutbox(string(k), v)
			if err != nil {
				return err
			}
			if !rec.Done {
				recs = append(recs, rec)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].Order < recs[j].Order })
	items := make([]OutboxItem, len(recs))
	for i, r := range recs {
		items[i] = r.OutboxItem
	}
	return items, nil
}

// OutboxAttempt counts a send attempt; call it before each send. It fails
// with ErrAlreadyDone for an acknowledged item, which must not be sent again.
func (s *Store) OutboxAttempt(key string) error {
	return s.updateOutbox(key, "attempt", func(rec *outboxRecord) error {
		if rec.Done {
			return ErrAlreadyDone
		}
		rec.Attempts++
		return nil
	})
}

// OutboxDone marks the item acknowledged with the platform's result. A
// repeated acknowledgement (e.g. after a reconnect) is a no-op: the first
// result is kept.
func (s *Store) OutboxDone(key string, result any) error {
	raw, err := json.Marshal(result)
	if err != nil {
		return fmt.Errorf("store: outbox key %q: encode result: %w", key, err)
	}
	now := s.now()
	return s.updateOutbox(key, "done", func(rec *outboxRecord) error {
		if rec.Done {
			return nil
		}
		rec.Done, rec.DoneAt, rec.Result = true, now, raw
		return nil
	})
}

// OutboxPrune deletes done items acknowledged before the cutoff and returns
// how many went. Their keys become reusable, so keep the cutoff well past
// any window in which a caller could retry the same action.
func (s *Store) OutboxPrune(doneBefore time.Time) (int, error) {
	n := 0
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(outboxBucket))
		if b == nil {
			return nil
		}
		var drop [][]byte
		err := b.ForEach(func(k, v []byte) error {
			rec, err := decodeOutbox(string(k), v)
			if err != nil {
				return err
			}
			if rec.Done && rec.DoneAt.Before(doneBefore) {
				drop = append(drop, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range drop {
			if err := b.Delete(k); err != nil {
				return fmt.Errorf("bucket %q key %q: %w", outboxBucket, k, err)
			}
		}
		n = len(drop)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: outbox prune: %w", err)
	}
	return n, nil
}

func (s *Store) updateOutbox(key, op string, change func(*outboxRecord) error) error {
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(outboxBucket))
		var v []byte
		if b != nil {
			v = b.Get([]byte(key))
		}
		if v == nil {
			return ErrNotFound
		}
		rec, err := decodeOutbox(key, v)
		if err != nil {
			return err
		}
		if err := change(&rec); err != nil {
			return err
		}
		return putOutbox(b, rec)
	})
	if err != nil {
		return fmt.Errorf("store: outbox key %q: %s: %w", key, op, err)
	}
	return nil
}

func putOutbox(b *bolt.Bucket, rec outboxRecord) error {
	v, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return b.Put([]byte(rec.Key), v)
}

func decodeOutbox(key string, v []byte) (outboxRecord, error) {
	var rec outboxRecord
	if v == nil {
		return rec, fmt.Errorf("bucket %q key %q: a bucket, not an item: %w", outboxBucket, key, ErrCorrupt)
	}
	if err := json.Unmarshal(v, &rec); err != nil {
		return rec, fmt.Errorf("bucket %q key %q: %v: %w", outboxBucket, key, err, ErrCorrupt)
	}
	if rec.Key != key {
		return rec, fmt.Errorf("bucket %q key %q: item says key %q: %w", outboxBucket, key, rec.Key, ErrCorrupt)
	}
	return rec, nil
}

func outboxAddTx(tx *bolt.Tx, item OutboxItem) error {
	b, err := tx.CreateBucketIfNotExists([]byte(outboxBucket))
	if err != nil {
		return err
	}
	if b.Get([]byte(item.Key)) != nil {
		return ErrDuplicateKey
	}
	order, err := b.NextSequence()
	if err != nil {
		return err
	}
	return putOutbox(b, outboxRecord{OutboxItem: item, Order: order})
}

// OutboxAdd is Store.OutboxAdd within the transaction, so that a command's
// show-log record and its outbox item are committed together.
func (t *Tx) OutboxAdd(item OutboxItem) error {
	if err := checkOutboxItem(item); err != nil {
		return err
	}
	if item.Created.IsZero() {
		item.Created = t.now
	}
	item.Attempts, item.Done, item.DoneAt, item.Result = 0, false, time.Time{}, nil
	if err := outboxAddTx(t.tx, item); err != nil {
		return fmt.Errorf("store: outbox key %q: add: %w", item.Key, err)
	}
	return nil
}

// checkOutboxItem validates a new item's key, kind and payload.
func checkOutboxItem(item OutboxItem) error {
	if err := checkOutboxKey(item.Key); err != nil {
		return err
	}
	if item.Kind == "" {
		return fmt.Errorf("store: outbox key %q: empty kind: %w", item.Key, ErrInvalidName)
	}
	if len(item.Payload) > 0 && !json.Valid(item.Payload) {
		return fmt.Errorf("store: outbox key %q: payload is not valid JSON", item.Key)
	}
	return nil
}
