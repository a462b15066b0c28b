package report

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"path/filepath"

	bolt "go.etcd.io/bbolt"

	"studiodesk/studio/store"
)

// TamperPayload edits one stored record behind the store's back, as someone
// with the raw desk.db file could: it replaces old with new in the value.
// The store must be closed.
func TamperPayload(dir, run string, seq uint64, old, new string) error {
	db, err := bolt.Open(filepath.Join(dir, store.FileName), 0o600, nil)
	if err != nil {
		return err
	}
	defer func() { _ = db.Close() }()
	return db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("log")).Bucket([]byte(run))
		k := make([]byte, 8)
		binary.BigEndian.PutUint64(k, seq)
		v := b.Get(k)
		if !bytes.Contains(v, []byte(old)) {
			return fmt.Errorf("record %d has no %q: %s", seq, old, v)
		}
		return b.Put(k, bytes.Replace(v, []byte(old), []byte(new), 1))
	})
}
