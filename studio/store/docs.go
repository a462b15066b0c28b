package store

import (
	"bytes"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Document buckets the app uses. Any other name is allowed except the
// store's own buckets (meta, log, outbox).
const (
	BucketScripts      = "scripts"
	BucketPresets      = "presets"
	BucketDevices      = "devices"
	BucketSettings     = "settings"
	BucketAnchors      = "anchors"
	BucketInteractions = "interactions"
)

// envelope is how every document is stored: {"v":<schema>,"data":<value>}.
// V records the schema the value was written under, so a migration can tell
// old shapes from new ones.
type envelope struct {
	V    int             `json:"v"`
	Data json.RawMessage `json:"data"`
}

func checkDocBucket(bucket string) error {
	switch bucket {
	case "":
		return fmt.Errorf("store: empty bucket name: %w", ErrInvalidName)
	case metaBucket, logBucket, outboxBucket:
		return fmt.Errorf("store: bucket %q is reserved for the store: %w", bucket, ErrInvalidName)
	}
	return nil
}

func checkDocKey(bucket, key string) error {
	if key == "" {
		return fmt.Errorf("store: bucket %q: empty key: %w", bucket, ErrInvalidName)
	}
	if len(key) > bolt.MaxKeySize {
		return fmt.Errorf("store: bucket %q: key of %d bytes is too long: %w", bucket, len(key), ErrInvalidName)
	}
	return nil
}

// Put stores v as JSON under bucket/key, replacing any previous value.
func (s *Store) Put(bucket, key string, v any) error {
	raw, err := encodeDoc(bucket, key, v)
	if err != nil {
		return err
	}
	err = s.update(func(tx *bolt.Tx) error { return putTx(tx, bucket, key, raw) })
	if err != nil {
		return fmt.Errorf("store: bucket %q key %q: put: %w", bucket, key, err)
	}
	return nil
}

// encodeDoc checks the names and encodes v in its envelope.
func encodeDoc(bucket, key string, v any) ([]byte, error) {
	if err := checkDocBucket(bucket); err != nil {
		return nil, err
	}
	if err := checkDocKey(bucket, key); err != nil {
		return nil, err
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("store: bucket %q key %q: encode: %w", bucket, key, err)
	}
	raw, err := json.Marshal(envelope{V: SchemaVersion(), Data: data})
	if err != nil {
		return nil, fmt.Errorf("store: bucket %q key %q: encode: %w", bucket, key, err)
	}
	return raw, nil
}

func putTx(tx *bolt.Tx, bucket, key string, raw []byte) error {
	b, err := tx.CreateBucketIfNotExists([]byte(bucket))
	if err != nil {
		return err
	}
	return b.Put([]byte(key), raw)
}

// Get decodes bucket/key into v. found is false, with a nil error, when the
// bucket or key does not exist.
func (s *Store) Get(bucket, key string, v any) (found bool, err error) {
	if err := checkDocBucket(bucket); err != nil {
		return false, err
	}
	var data json.RawMessage
	err = s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucket))
		if b == nil {
			return nil
		}
		raw := b.Get([]byte(key))
		if raw == nil {
			return nil
		}
		found = true
		// openEnvelope copies, so data outlives the transaction.
		data, err = openEnvelope(bucket, key, raw)
		return err
	})
	if err != nil || !found {
		return false, err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return true, fmt.Errorf("store: bucket %q key %q: decode into %T: %v: %w", bucket, key, v, err, ErrCorrupt)
	}
	return true, nil
}

// Delete removes bucket/key. Deleting something absent is not an error.
func (s *Store) Delete(bucket, key string) error {
	if err := checkDocBucket(bucket); err != nil {
		return err
	}
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucket))
		if b == nil {
			return nil
		}
		return b.Delete([]byte(key))
	})
	if err != nil {
		return fmt.Errorf("store: bucket %q key %q: delete: %w", bucket, key, err)
	}
	return nil
}

// Keys lists the bucket's keys in byte order; a missing bucket has none.
func (s *Store) Keys(bucket string) ([]string, error) {
	if err := checkDocBucket(bucket); err != nil {
		return nil, err
	}
	var keys []string
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		keys, err = docKeys(tx, bucket)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: bucket %q: keys: %w", bucket, err)
	}
	return keys, nil
}

// docKeys lists the document keys of a bucket (nested buckets are not
// documents).
func docKeys(tx *bolt.Tx, bucket string) ([]string, error) {
	b := tx.Bucket([]byte(bucket))
	if b == nil {
		return nil, nil
	}
	var keys []string
	err := b.ForEach(func(k, v []byte) error {
		if v != nil {
			keys = append(keys, string(k))
		}
		return nil
	})
	return keys, err
}

// All calls fn for every document in the bucket, in key order, with the
// document's JSON (without the envelope). The values are read in one
// transaction and fn runs after it ends, so fn may write to the store. An
// error from fn stops the walk and is returned unchanged.
func (s *Store) All(bucket string, fn func(key string, raw json.RawMessage) error) error {
	if err := checkDocBucket(bucket); err != nil {
		return err
	}
	type doc struct {
		key  string
		data json.RawMessage
	}
	var docs []doc
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucket))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if v == nil {
				return nil
			}
			data, err := openEnvelope(bucket, string(k), v)
			if err != nil {
				return err
			}
			docs = append(docs, doc{string(k), data})
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, d := range docs {
		if err := fn(d.key, d.data); err != nil {
			return err
		}
	}
	return nil
}

// openEnvelope checks the stored envelope and returns a copy of its data.
func openEnvelope(bucket, key string, raw []byte) (json.RawMessage, error) {
	var env envelope
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil {
		return nil, fmt.Errorf("store: bucket %q key %q: %v: %w", bucket, key, err, ErrCorrupt)
	}
	if dec.More() {
		return nil, fmt.Errorf("store: bucket %q key %q: trailing data after value: %w", bucket, key, ErrCorrupt)
	}
	if env.V < 1 || len(env.Data) == 0 {
		return nil, fmt.Errorf("store: bucket %q key %q: missing version or data: %w", bucket, key, ErrCorrupt)
	}
	if env.V > SchemaVersion() {
		return nil, fmt.Errorf("store: bucket %q key %q: written under schema %d, this build knows up to %d: %w",
			bucket, key, env.V, SchemaVersion(), ErrNewerSchema)
	}
	return env.Data, nil
}
