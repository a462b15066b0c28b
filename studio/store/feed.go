package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The show log as a feed: what an off-box copy (the fleet's evidence
// stream) needs to follow the log cheaply and byte for byte, and to build
// a store back from such a copy.

// Generation is the id of the last committed write transaction. It
// changes whenever anything is written, so a follower polls it (one read
// transaction, no scan) and looks at the logs only when it moved.
func (s *Store) Generation() (uint64, error) {
	var id int
	err := s.view(func(tx *bolt.Tx) error {
		id = tx.ID()
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: %s: generation: %w", s.path, err)
	}
	return uint64(id), nil
}

// Head is the last record of one show log.
type Head struct {
	Show string
	Seq  uint64
	Hash string
}

// Heads lists the last record of every show log (byte order of the show
// ids), in one read transaction. A log without records has Seq 0.
func (s *Store) Heads() ([]Head, error) {
	var heads []Head
	err := s.view(func(tx *bolt.Tx) error {
		logs := tx.Bucket([]byte(logBucket))
		if logs == nil {
			return nil
		}
		return logs.ForEachBucket(func(name []byte) error {
			h := Head{Show: string(name)}
			k, v := lastRecordEntry(logs.Bucket(name))
			if k != nil {
				h.Seq = binary.BigEndian.Uint64(k)
				h.Hash = hashOfStored(v)
				if h.Hash == "" {
					st, err := decodeStored(k, v)
					if err != nil {
						return fmt.Errorf("show %q: %w", h.Show, err)
					}
					h.Hash = st.Hash
				}
			}
			heads = append(heads, h)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: %s: log heads: %w", s.path, err)
	}
	return heads, nil
}

// hashOfStored reads the hash from the end of a stored value as the
// store writes it (…,"hash":"<64 hex>"}), or "" if it is not there.
func hashOfStored(v []byte) string {
	const tail = len(`,"hash":"`) + 64 + len(`"}`)
	if len(v) < tail || !bytes.HasPrefix(v[len(v)-tail:], []byte(`,"hash":"`)) || !bytes.HasSuffix(v, []byte(`"}`)) {
		return ""
	}
	h := v[len(v)-tail+len(`,"hash":"`) : len(v)-2]
	for _, c := range h {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return ""
		}
	}
	return string(h)
}

// CanonicalRecord is one record as its canonical bytes (an export line
// without the newline) with its seq, hash and prev.
type CanonicalRecord struct {
	Seq   uint64
	Hash  string
	Prev  string
	Kind  string
	Bytes []byte
}

var errStopFeed = errors.New("stop")

// Canonical calls fn with the records of show with from <= seq <= to (to
// 0: to the end) in order, as canonical bytes. Each record's content must
// match its stored hash and its key; a record that does not is a
// *ChainError (errors.Is ErrTampered) and ends the walk. fn runs outside
// any transaction; an error from it stops the walk and is returned.
func (s *Store) Canonical(show string, from, to uint64, fn func(CanonicalRecord) error) error {
	if err := checkShow(show); err != nil {
		return err
	}
	var fnErr error
	_, err := s.scan(show, from, func(r rawRecord) error {
		if len(r.key) != 8 {
			return &ChainError{Show: show, Seq: from, Reason: fmt.Sprintf("unexpected key %x in the log (not an 8-byte seq)", r.key)}
		}
		seq := binary.BigEndian.Uint64(r.key)
		if seq < from {
			return nil
		}
		if to != 0 && seq > to {
			return errStopFeed
		}
		st, err := decodeStored(r.key, r.val)
		if err != nil {
			return &ChainError{Show: show, Seq: seq, Reason: "does not decode: " + err.Error()}
		}
		if st.Seq != seq {
			return &ChainError{Show: show, Seq: seq, Reason: fmt.Sprintf("holds record %d (record moved or reordered)", st.Seq)}
		}
		canon, err := st.bytes()
		if err != nil {
			return &ChainError{Show: show, Seq: seq, Reason: "cannot encode: " + err.Error()}
		}
		if hashOf(canon) != st.Hash {
			return &ChainError{Show: show, Seq: seq, Reason: "content does not match its hash (record modified)"}
		}
		if err := fn(CanonicalRecord{Seq: seq, Hash: st.Hash, Prev: st.Prev, Kind: st.Kind, Bytes: canon}); err != nil {
			fnErr = err
			return err
		}
		return nil
	})
	switch {
	case fnErr != nil:
		return fnErr
	case errors.Is(err, errStopFeed):
		return nil
	case err != nil:
		var ce *ChainError
		if errors.As(err, &ce) {
			return err
		}
		return fmt.Errorf("store: show %q: read log: %w", show, err)
	}
	return nil
}

// ParseCanonical decodes one record given as canonical bytes (an export
// line, an evidence message) and checks that the bytes are exactly its
// canonical form; the hash is computed from them.
func ParseCanonical(line []byte) (CanonicalRecord, error) {
	var st stored
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return CanonicalRecord{}, fmt.Errorf("does not decode as a record: %w", err)
	}
	if dec.More() {
		return CanonicalRecord{}, errors.New("data after the record")
	}
	if st.Seq == 0 {
		return CanonicalRecord{}, errors.New("seq 0 (seqs start at 1)")
	}
	if st.Kind == "" {
		return CanonicalRecord{}, fmt.Errorf("record %d: empty kind", st.Seq)
	}
	if _, err := time.Parse(time.RFC3339Nano, st.Time); err != nil {
		return CanonicalRecord{}, fmt.Errorf("record %d: time %q is not RFC 3339", st.Seq, st.Time)
	}
	if _, err := time.Parse(time.RFC3339Nano, st.Wall); st.Wall != "" && err != nil {
		return CanonicalRecord{}, fmt.Errorf("record %d: wall time %q is not RFC 3339", st.Seq, st.Wall)
	}
	canon, err := st.bytes()
	if err != nil {
		return CanonicalRecord{}, fmt.Errorf("cannot encode: %w", err)
	}
	if !bytes.Equal(canon, line) {
		return CanonicalRecord{}, errors.New("not in canonical form (record modified)")
	}
	return CanonicalRecord{Seq: st.Seq, Hash: hashOf(canon), Prev: st.Prev, Kind: st.Kind, Bytes: canon}, nil
}

// AppendCanonical appends records given as canonical bytes (an off-box
// copy of a log) to show's log exactly as they are, all or none: each must
// be canonical, carry the next seq and chain onto the log's last record,
// so the log rebuilt has the same hashes as the original.
func (s *Store) AppendCanonical(show string, lines [][]byte) error {
	_, err := s.appendCanonical(show, lines, false, "append canonical")
	return err
}

// appendCanonical is AppendCanonical and ImportCanonical: held true skips
// records the log already holds with the same hash (a re-delivery). A
// line that is not a canonical record, or a gap, is ErrCorrupt; a record
// that does not chain onto the one before it, or differs from the one
// held at its seq, is a *ChainError (ErrTampered). Nothing of the batch is
// written on an error; it returns how many records were added.
func (s *Store) appendCanonical(show string, lines [][]byte, held bool, verb string) (int, error) {
	if err := checkShow(show); err != nil {
		return 0, err
	}
	recs := make([]CanonicalRecord, len(lines))
	for i, l := range lines {
		r, err := ParseCanonical(l)
		if err != nil {
			return 0, fmt.Errorf("store: show %q: %s: record %d of %d given: %v: %w", show, verb, i+1, len(lines), err, ErrCorrupt)
		}
		recs[i] = r
	}
	added := 0
	err := s.update(func(tx *bolt.Tx) error {
		logs, err := tx.CreateBucketIfNotExists([]byte(logBucket))
		if err != nil {
			return err
		}
		b, err := logs.CreateBucketIfNotExists([]byte(show))
		if err != nil {
			return err
		}
		b.FillPercent = 1.0
		seq, prev := uint64(0), GenesisPrev
		if k, v := lastRecordEntry(b); k != nil {
			last, err := decodeStored(k, v)
			if err != nil {
				return fmt.Errorf("last record: %w", err)
			}
			seq, prev = binary.BigEndian.Uint64(k), last.Hash
		}
		for _, r := range recs {
			switch {
			case held && r.Seq <= seq:
				have, err := decodeStored(seqKey(r.Seq), b.Get(seqKey(r.Seq)))
				if err != nil {
					return err
				}
				if have.Hash != r.Hash {
					return &ChainError{Show: show, Seq: r.Seq, Reason: "differs from the record this log holds"}
				}
				continue
			case r.Seq != seq+1:
				return fmt.Errorf("record %d given where %d belongs: %w", r.Seq, seq+1, ErrCorrupt)
			case r.Prev != prev:
				return &ChainError{Show: show, Seq: r.Seq, Reason: fmt.Sprintf("prev does not match the hash of record %d", seq)}
			}
			if err := b.Put(seqKey(r.Seq), storedBytes(r.Bytes, r.Hash)); err != nil {
				return err
			}
			seq, prev = r.Seq, r.Hash
			added++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: show %q: %s: %w", show, verb, err)
	}
	return added, nil
}

// RecordHashes calls fn for every record of show in key order with the
// hash stored beside it and the hash of its content as it is now (they
// differ when a record was modified without re-hashing). A value that
// does not decode has computed "". Unlike Verify it goes on after a
// break, so a copy kept elsewhere can be compared record by record.
func (s *Store) RecordHashes(show string, fn func(seq uint64, stored, computed string) error) error {
	if err := checkShow(show); err != nil {
		return err
	}
	var fnErr error
	exists, err := s.scan(show, 0, func(r rawRecord) error {
		if len(r.key) != 8 {
			return nil
		}
		seq := binary.BigEndian.Uint64(r.key)
		stored, computed := "", ""
		if st, err := decodeStored(r.key, r.val); err == nil {
			stored = st.Hash
			if canon, err := st.bytes(); err == nil {
				computed = hashOf(canon)
			}
		}
		if err := fn(seq, stored, computed); err != nil {
			fnErr = err
			return err
		}
		return nil
	})
	switch {
	case fnErr != nil:
		return fnErr
	case err != nil:
		return fmt.Errorf("store: show %q: read log: %w", show, err)
	case !exists:
		return fmt.Errorf("store: show %q: %w", show, ErrUnknownShow)
	}
	return nil
}
