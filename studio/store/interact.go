package store

// InteractBucket holds the live state of the show's interactions (status,
// countdown anchor, claims, stock left, tallies), rewritten as it changes
// so a restart resumes them.
const InteractBucket = "interactions"

const interactKey = "current"

// SaveInteractState replaces the persisted interaction state with v (JSON).
func (s *Store) SaveInteractState(v any) error { return s.Put(InteractBucket, interactKey, v) }

// LoadInteractState decodes the persisted interaction state into v; found
// is false when none was saved.
func (s *Store) LoadInteractState(v any) (found bool, err error) {
	return s.Get(InteractBucket, interactKey, v)
}
