package studio

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"studiodesk/studio/store"
)

// ErrStorage is store.ErrStorage: the disk did not take a write, so the
// command was not recorded and did not take effect. It is a fault of the
// machine, not a refusal in the current show state.
var ErrStorage = store.ErrStorage

// JournalEntry is one record and everything that must be committed with
// it: the run's new anchors and any other state (coupons, votes). The
// record exists if and only if all of it was written.
type JournalEntry struct {
	Run     string
	Kind    string
	Payload any
	// At stamps the record (show time); zero: the store's clock at commit.
	// The desk passes the instant the command took effect, so a record's
	// time and its anchor's "at" are the same instant.
	At time.Time
	// SetRun, when not nil, is saved as the run on air in the same
	// transaction.
	SetRun *Run
	// Also runs inside the same store transaction (store journals only;
	// the memory journal has no transaction to offer and ignores it).
	Also func(tx *store.Tx) error
}

// StoreJournal persists the show log and the run on air in the bbolt store.
type StoreJournal struct {
	st  *store.Store
	key *store.Key
}

// NewStoreJournal wraps an open store; it writes no checkpoints.
func NewStoreJournal(st *store.Store) *StoreJournal { return &StoreJournal{st: st} }

// NewSignedJournal wraps an open store and signs checkpoints with key.
func NewSignedJournal(st *store.Store, key *store.Key) *StoreJournal {
	return &StoreJournal{st: st, key: key}
}

// deskLog is the log for records made before any run started (script
// loads, rewinds), so nothing the operator did goes unrecorded.
const deskLog = "desk"

func logName(run string) string {
	if run == "" {
		return deskLog
	}
	return run
}

// Append writes one record to the run's hash-chained log.
func (j *StoreJournal) Append(run, kind string, payload any) error {
	return j.Record(JournalEntry{Run: run, Kind: kind, Payload: payload})
}

// Record writes the entry and its effects in one transaction.
func (j *StoreJournal) Record(e JournalEntry) error {
	run := logName(e.Run)
	err := j.st.Commit(func(tx *store.Tx) error {
		if _, err := tx.AppendEntries(run, []store.Entry{{Kind: e.Kind, Payload: e.Payload, Time: e.At}}); err != nil {
			return err
		}
		if e.SetRun != nil {
			if err := tx.Put(runBucket, runKey, *e.SetRun); err != nil {
				return err
			}
		}
		if e.Also != nil {
			return e.Also(tx)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("show log %q: %w", run, err)
	}
	return nil
}

// Checkpoint signs the run's head into its log (and desk.head) and saves r
// (whose Seen the desk sets) in the same transaction. Without a key it
// only saves r.
func (j *StoreJournal) Checkpoint(r Run, reason string) error {
	if r.ID == "" {
		return nil
	}
	var cp store.Checkpoint
	var found bool
	err := j.st.Commit(func(tx *store.Tx) error {
		if j.key != nil {
			var err error
			if cp, found, err = tx.Checkpoint(r.ID, reason, j.key); err != nil {
				return err
			}
		}
		return tx.Put(runBucket, runKey, r)
	})
	if err != nil {
		return fmt.Errorf("show log %q: checkpoint: %w", r.ID, err)
	}
	if found {
		if err := store.WriteHead(filepath.Dir(j.st.Path()), cp); err != nil {
			return err
		}
	}
	return nil
}

const (
	runBucket = "anchors"
	runKey    = "current"
)

// SaveRun persists the run on air.
func (j *StoreJournal) SaveRun(r Run) error { return j.st.Put(runBucket, runKey, r) }

// LoadRun returns the persisted run.
func (j *StoreJournal) LoadRun() (Run, bool, error) {
	var r Run
	ok, err := j.st.Get(runBucket, runKey, &r)
	return r, ok, err
}

// StorageFault is a write the disk refused, kept on the snapshot until a
// later write succeeds, so the controller view can show it persistently.
type StorageFault struct {
	Path string
	// Free is the bytes free on the file system when it failed (-1 unknown).
	Free int64
	Err  string
	At   time.Time
}

func storageFault(err error, at time.Time) *StorageFault {
	f := &StorageFault{Free: -1, Err: err.Error(), At: at}
	var se *store.StorageError
	if errors.As(err, &se) {
		f.Path, f.Free, f.Err = se.Path, se.Free, se.Err.Error()
	}
	return f
}
