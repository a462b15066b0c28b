package studio

import (
	"fmt"

	"studiodesk/studio/store"
)

// StoreJournal persists the show log and the run on air in the bbolt store.
type StoreJournal struct {
	st *store.Store
}

// NewStoreJournal wraps an open store.
func NewStoreJournal(st *store.Store) *StoreJournal { return &StoreJournal{st: st} }

// deskLog is the log for records made before any run started (script
// loads, rewinds), so nothing the operator did goes unrecorded.
const deskLog = "desk"

// Append writes one record to the run's hash-chained log.
func (j *StoreJournal) Append(run, kind string, payload any) error {
	if run == "" {
		run = deskLog
	}
	if _, err := j.st.Append(run, kind, payload); err != nil {
		return fmt.Errorf("show log %q: %w", run, err)
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
