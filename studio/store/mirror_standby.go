package store

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Mirror is the durable show state a hot standby follows: whole document
// buckets (the run on air, the interactions' live state, the current
// script, the presets, the devices) and the outbox's pending commands. It
// is read in one transaction, so it is one consistent moment of the
// desk, never half a command.
type Mirror struct {
	// Docs holds each mirrored bucket's documents (their data, without the
	// store's envelope) by key. A bucket present here with no keys is
	// empty on the primary.
	Docs map[string]map[string]json.RawMessage `json:"docs"`
	// Outbox is the pending commands, oldest first, with their original
	// idempotency keys.
	Outbox []OutboxItem `json:"outbox"`
}

// OnCommit registers f to run after every committed write (nil: none). f
// runs on the committing goroutine, so it must not block: a hot standby's
// publisher only notes that the state may have changed.
func (s *Store) OnCommit(f func()) {
	if f == nil {
		s.onCommit.Store(nil)
		return
	}
	s.onCommit.Store(&f)
}

func (s *Store) committed() {
	if f := s.onCommit.Load(); f != nil {
		(*f)()
	}
}

// ReadMirror reads the buckets and the pending outbox in one read
// transaction.
func (s *Store) ReadMirror(buckets []string) (Mirror, error) {
	m := Mirror{Docs: make(map[string]map[string]json.RawMessage, len(buckets))}
	for _, b := range buckets {
		if err := checkDocBucket(b); err != nil {
			return Mirror{}, err
		}
	}
	err := s.view(func(tx *bolt.Tx) error {
		for _, name := range buckets {
			docs := map[string]json.RawMessage{}
			m.Docs[name] = docs
			b := tx.Bucket([]byte(name))
			if b == nil {
				continue
			}
			err := b.ForEach(func(k, v []byte) error {
				if v == nil {
					return nil
				}
				data, err := openEnvelope(name, string(k), v)
				if err != nil {
					return err
				}
				docs[string(k)] = data
				return nil
			})
			if err != nil {
				return err
			}
		}
		pending, err := pendingTx(tx)
		if len(pending) > 0 {
			m.Outbox = pending
		}
		return err
	})
	if err != nil {
		return Mirror{}, fmt.Errorf("store: read mirror: %w", err)
	}
	return m, nil
}

// mirrorDone is the result a standby records for a command the primary
// had acknowledged.
var mirrorDone = json.RawMessage(`{"done_on":"primary"}`)

// ApplyMirror makes this store hold m, in one transaction: each bucket of
// m.Docs gets exactly its documents; each pending outbox item of m is
// added (with its key, kind, payload, creation time and attempts) if
// this store does not have it; and an item pending here but not in m is
// marked done (the primary had it acknowledged). The show logs are not
// touched. A bad bucket name or document is an error and nothing is
// written.
func (s *Store) ApplyMirror(m Mirror) error {
	names := make([]string, 0, len(m.Docs))
	for name := range m.Docs {
		if err := checkDocBucket(name); err != nil {
			return err
		}
		names = append(names, name)
	}
	sort.Strings(names)
	pending := make(map[string]bool, len(m.Outbox))
	for _, it := range m.Outbox {
		if err := checkOutboxItem(it); err != nil {
			return err
		}
		pending[it.Key] = true
	}
	now := s.now()
	err := s.update(func(tx *bolt.Tx) error {
		for _, name := range names {
			docs := m.Docs[name]
			b, err := tx.CreateBucketIfNotExists([]byte(name))
			if err != nil {
				return fmt.Errorf("bucket %q: %w", name, err)
			}
			var drop [][]byte
			err = b.ForEach(func(k, v []byte) error {
				if _, keep := docs[string(k)]; !keep {
					drop = append(drop, append([]byte(nil), k...))
				}
				return nil
			})
			if err != nil {
				return err
			}
			for _, k := range drop {
				if err := b.Delete(k); err != nil {
					return fmt.Errorf("bucket %q key %q: %w", name, k, err)
				}
			}
			keys := make([]string, 0, len(docs))
			for k := range docs {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if !json.Valid(docs[k]) {
					return fmt.Errorf("bucket %q key %q: mirrored document is not JSON: %w", name, k, ErrCorrupt)
				}
				raw, err := encodeDoc(name, k, docs[k])
				if err != nil {
					return err
				}
				if err := b.Put([]byte(k), raw); err != nil {
					return fmt.Errorf("bucket %q key %q: %w", name, k, err)
				}
			}
		}
		ob, err := tx.CreateBucketIfNotExists([]byte(outboxBucket))
		if err != nil {
			return err
		}
		var done []outboxRecord
		err = ob.ForEach(func(k, v []byte) error {
			rec, err := decodeOutbox(string(k), v)
			if err != nil {
				return err
			}
			if !rec.Done && !pending[rec.Key] {
				done = append(done, rec)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, rec := range done {
			rec.Done, rec.DoneAt, rec.Result = true, now, mirrorDone
			if err := putOutbox(ob, rec); err != nil {
				return err
			}
		}
		for _, it := range m.Outbox {
			if ob.Get([]byte(it.Key)) != nil {
				continue
			}
			it.Done, it.DoneAt, it.Result = false, time.Time{}, nil
			order, err := ob.NextSequence()
			if err != nil {
				return err
			}
			if err := putOutbox(ob, outboxRecord{OutboxItem: it, Order: order}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: apply mirror: %w", err)
	}
	return nil
}

// ImportCanonical appends records given as their canonical bytes (an
// export line, an evidence message: another desk's log of the same
// show) to show's log exactly as they are, in one transaction, so a hot
// standby's log is the primary's chain and goes on from it after a
// takeover. Records this log already holds with the same hash are
// skipped (a re-delivery); a record that is not canonical, does not
// carry the next seq or does not chain onto the last record — or that
// differs from the one this log holds at its seq — is an error, and
// nothing of the batch is written. It returns how many were added.
func (s *Store) ImportCanonical(show string, lines [][]byte) (int, error) {
	return s.appendCanonical(show, lines, true, "import")
}
