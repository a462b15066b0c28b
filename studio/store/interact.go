package store

import "encoding/json"

// InteractBucket holds the live state of the show's interactions (status,
// countdown anchor, claims, stock left, tallies), one key per interaction,
// rewritten as it changes so a restart resumes them.
const InteractBucket = "interactions"

// PutInteract replaces the persisted state of interaction id with v (JSON).
func (s *Store) PutInteract(id string, v any) error { return s.Put(InteractBucket, id, v) }

// InteractStates calls fn with every persisted interaction state.
func (s *Store) InteractStates(fn func(id string, raw json.RawMessage) error) error {
	return s.All(InteractBucket, fn)
}

// ClearInteract forgets every persisted interaction state (a new show or
// run).
func (s *Store) ClearInteract() error {
	keys, err := s.Keys(InteractBucket)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := s.Delete(InteractBucket, k); err != nil {
			return err
		}
	}
	return nil
}
