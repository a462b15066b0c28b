package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"runtime/debug"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ErrStorage: the disk did not take a write (full, failing, read-only).
// Nothing of the transaction was kept. Callers show it as a storage fault,
// never as a refusal of the command itself.
var ErrStorage = errors.New("storage failure")

// StorageError is a write that did not reach the disk. It matches
// ErrStorage with errors.Is and unwraps to the cause.
type StorageError struct {
	Path string
	// Free is the bytes left on the file system when it failed (-1 unknown).
	Free int64
	Err  error
}

func (e *StorageError) Error() string {
	free := "unknown"
	if e.Free >= 0 {
		free = formatBytes(e.Free)
	}
	return fmt.Sprintf("could not write %s (%v; %s free) — nothing was recorded (无法写入，未记录)", e.Path, e.Err, free)
}

// Is makes errors.Is(err, ErrStorage) true.
func (e *StorageError) Is(target error) bool { return target == ErrStorage }

// Unwrap returns the cause.
func (e *StorageError) Unwrap() error { return e.Err }

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// Tx is one write transaction of the store: everything done through it is
// committed together, with one fsync, or not at all. The desk uses it to
// write a command's log record and its effect on the run as one truth;
// other state (coupons, votes) joins the same transaction.
type Tx struct {
	s   *Store
	tx  *bolt.Tx
	now time.Time
}

// Commit runs fn in one write transaction. If fn returns an error nothing
// is written and that error is returned unchanged; if the commit itself
// fails (disk full, I/O error) nothing is written either and the error is
// a *StorageError. A panic inside bbolt (a damaged page) is contained and
// reported as a *DamagedError.
func (s *Store) Commit(fn func(tx *Tx) error) error {
	return s.update(func(btx *bolt.Tx) error {
		return fn(&Tx{s: s, tx: btx, now: s.now()})
	})
}

// Bolt is the underlying bbolt transaction, for state kept in its own
// buckets. Do not commit or roll it back.
func (t *Tx) Bolt() *bolt.Tx { return t.tx }

// Append adds one record to the show's log within the transaction.
func (t *Tx) Append(show, kind string, payload any) (Record, error) {
	recs, err := t.AppendEntries(show, []Entry{{Kind: kind, Payload: payload}})
	if err != nil {
		return Record{}, err
	}
	return recs[0], nil
}

// AppendEntries adds the entries, in order, within the transaction.
func (t *Tx) AppendEntries(show string, items []Entry) ([]Record, error) {
	payloads, err := encodeEntries(show, items)
	if err != nil {
		return nil, err
	}
	recs, err := appendTx(t.tx, show, items, payloads, t.now, t.s.wallNow())
	if err != nil {
		return nil, fmt.Errorf("store: show %q: append: %w", show, err)
	}
	return recs, nil
}

// Put stores v as a document within the transaction (see Store.Put).
func (t *Tx) Put(bucket, key string, v any) error {
	raw, err := encodeDoc(bucket, key, v)
	if err != nil {
		return err
	}
	if err := putTx(t.tx, bucket, key, raw); err != nil {
		return fmt.Errorf("store: bucket %q key %q: put: %w", bucket, key, err)
	}
	return nil
}

// Get reads a document within the transaction (see Store.Get).
func (t *Tx) Get(bucket, key string, v any) (bool, error) {
	if err := checkDocBucket(bucket); err != nil {
		return false, err
	}
	b := t.tx.Bucket([]byte(bucket))
	if b == nil {
		return false, nil
	}
	raw := b.Get([]byte(key))
	if raw == nil {
		return false, nil
	}
	data, err := openEnvelope(bucket, key, raw)
	if err != nil {
		return true, err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return true, fmt.Errorf("store: bucket %q key %q: decode into %T: %v: %w", bucket, key, v, err, ErrCorrupt)
	}
	return true, nil
}

// Delete removes a document within the transaction.
func (t *Tx) Delete(bucket, key string) error {
	if err := checkDocBucket(bucket); err != nil {
		return err
	}
	b := t.tx.Bucket([]byte(bucket))
	if b == nil {
		return nil
	}
	return b.Delete([]byte(key))
}

func (s *Store) wallNow() time.Time {
	if s.wall == nil {
		return time.Time{}
	}
	return s.wall()
}

// update is db.Update with the store's error contract: fn's own error comes
// back unchanged, a failed commit is a *StorageError, a bbolt panic is a
// *DamagedError.
func (s *Store) update(fn func(*bolt.Tx) error) (err error) {
	if s.readOnly {
		return &StorageError{Path: s.path, Free: -1, Err: errors.New("opened read-only")}
	}
	if d := s.damaged.Load(); d != nil {
		return d // a page was found damaged: never write to the file again
	}
	var fnErr error
	// A damaged page can make bbolt read outside its map: with panic on
	// fault that is a recoverable panic instead of a crash.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			de := &DamagedError{Path: s.path, Reason: fmt.Sprintf("write failed inside the database: %v", r)}
			s.damaged.Store(de)
			err = de
		}
	}()
	err = s.db.Update(func(tx *bolt.Tx) error {
		fnErr = fn(tx)
		return fnErr
	})
	if err != nil && fnErr == nil {
		return &StorageError{Path: s.path, Free: FreeSpace(filepath.Dir(s.path)), Err: err}
	}
	if err == nil {
		s.committed()
	}
	return err
}

// view is db.View with a damaged page's panic turned into a *DamagedError.
func (s *Store) view(fn func(*bolt.Tx) error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			de := &DamagedError{Path: s.path, Reason: fmt.Sprintf("read hit a damaged page: %v", r)}
			s.damaged.Store(de)
			err = de
		}
	}()
	return s.db.View(fn)
}

// ReadOnly reports whether the store was opened with OpenReadOnly.
func (s *Store) ReadOnly() bool { return s.readOnly }

// Keys lists a bucket's document keys within the transaction (see
// Store.Keys).
func (t *Tx) Keys(bucket string) ([]string, error) {
	if err := checkDocBucket(bucket); err != nil {
		return nil, err
	}
	keys, err := docKeys(t.tx, bucket)
	if err != nil {
		return nil, fmt.Errorf("store: bucket %q: keys: %w", bucket, err)
	}
	return keys, nil
}
