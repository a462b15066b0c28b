package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// GenesisPrev is the Prev of a show's first record.
var GenesisPrev = strings.Repeat("0", 64)

// Record is one entry of a show log.
//
// # Canonical bytes
//
// A record's hash is the lowercase hex SHA-256 of its canonical bytes, which
// are the UTF-8 JSON object
//
//	{"seq":<seq>,"time":"<time>","kind":"<kind>","payload":<payload>,"prev":"<prev>"}
//
// with exactly these five keys in this order and no whitespace outside strings:
//   - seq: decimal, starting at 1 and increasing by 1 within a show;
//   - time: RFC 3339 in UTC with fractional seconds as needed
//     (Go's time.RFC3339Nano, e.g. "2025-03-01T07:00:00.5Z");
//   - kind: a JSON string;
//   - payload: the payload's JSON with insignificant whitespace removed;
//   - prev: the previous record's hash, or 64 "0"s for seq 1.
//
// Strings are escaped as Go's encoding/json does with HTML escaping off
// (quote, backslash and control characters escaped; U+2028/U+2029 as
// \u2028/\u2029; everything else literal UTF-8).
//
// Each record line of an ExportJSONL file is exactly these bytes, so an
// auditor re-verifies an export without this code: the SHA-256 of each line
// (without its newline) must equal the next line's "prev", and the last
// one must equal the closing line's "final_hash".
type Record struct {
	Seq uint64
	// Time is show time: the desk's clock, which runs on the monotonic
	// clock between anchors and, in an accelerated rehearsal, faster than
	// the wall. Wall is the wall-clock time, set only in accelerated
	// rehearsals (zero otherwise).
	Time    time.Time
	Wall    time.Time
	Kind    string
	Payload json.RawMessage
	Prev    string
	Hash    string
}

// Entry is one record to append; a zero Time means the store's clock at commit.
type Entry struct {
	Kind    string
	Payload any
	Time    time.Time
}

// canonical is the hashed part of a record. The field order here is the
// canonical key order; do not reorder.
type canonical struct {
	Seq  uint64 `json:"seq"`
	Time string `json:"time"`
	// Wall is present only in accelerated rehearsals: the wall-clock time
	// beside the show time in Time.
	Wall    string          `json:"wall,omitempty"`
	Kind    string          `json:"kind"`
	Payload json.RawMessage `json:"payload"`
	Prev    string          `json:"prev"`
}

// stored is the value kept in bbolt: the canonical fields plus the hash.
type stored struct {
	canonical
	Hash string `json:"hash"`
}

// marshalNoHTML is json.Marshal without HTML escaping and without the
// encoder's trailing newline; it keeps <, > and & literal so the canonical
// form is easy to reproduce outside Go.
func marshalNoHTML(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func (c *canonical) bytes() ([]byte, error) { return marshalNoHTML(c) }

func hashOf(canon []byte) string {
	sum := sha256.Sum256(canon)
	return hex.EncodeToString(sum[:])
}

func (st *stored) record() (Record, error) {
	t, err := time.Parse(time.RFC3339Nano, st.Time)
	if err != nil {
		return Record{}, err
	}
	var wall time.Time
	if st.Wall != "" {
		if wall, err = time.Parse(time.RFC3339Nano, st.Wall); err != nil {
			return Record{}, err
		}
	}
	return Record{Seq: st.Seq, Time: t, Wall: wall, Kind: st.Kind, Payload: st.Payload, Prev: st.Prev, Hash: st.Hash}, nil
}

func seqKey(seq uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, seq)
	return k
}

// ChainError names the first record at which a show log stops verifying.
type ChainError struct {
	Show   string
	Seq    uint64
	Reason string
}

func (e *ChainError) Error() string {
	if e.Show == "" {
		return fmt.Sprintf("show log: record %d: %s", e.Seq, e.Reason)
	}
	return fmt.Sprintf("show %q: log record %d: %s", e.Show, e.Seq, e.Reason)
}

// Is makes errors.Is(err, ErrTampered) true.
func (e *ChainError) Is(target error) bool { return target == ErrTampered }

// VerifyResult sums up a chain check. Records and FinalHash cover the
// records that verified, so on a break they describe the intact prefix.
type VerifyResult struct {
	Show      string
	Records   int
	LastSeq   uint64
	FinalHash string
	// Broken is the first break, nil if the whole chain verified.
	Broken *ChainError
}

// OK reports whether the whole chain verified.
func (r VerifyResult) OK() bool { return r.Broken == nil }

func checkShow(show string) error {
	if show == "" || len(show) > bolt.MaxKeySize {
		return fmt.Errorf("store: show id %q: %w", show, ErrInvalidName)
	}
	return nil
}

// Append adds one record to the show's log in its own transaction (one
// fsync). For high event rates use AppendBatch or a Batcher.
func (s *Store) Append(show, kind string, payload any) (Record, error) {
	recs, err := s.AppendBatch(show, []Entry{{Kind: kind, Payload: payload}})
	if err != nil {
		return Record{}, err
	}
	return recs[0], nil
}

// AppendBatch adds the entries, in order, in one transaction: all or none.
func (s *Store) AppendBatch(show string, items []Entry) ([]Record, error) {
	payloads, err := encodeEntries(show, items)
	if err != nil || len(items) == 0 {
		return nil, err
	}
	var recs []Record
	err = s.update(func(tx *bolt.Tx) error {
		var err error
		recs, err = appendTx(tx, show, items, payloads, s.now(), s.wallNow())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store: show %q: append: %w", show, err)
	}
	return recs, nil
}

// encodeEntries checks the show and kinds and encodes the payloads, before
// any write lock is taken (bbolt has one writer).
func encodeEntries(show string, items []Entry) ([][]byte, error) {
	if err := checkShow(show); err != nil {
		return nil, err
	}
	payloads := make([][]byte, len(items))
	for i, it := range items {
		if it.Kind == "" || !utf8.ValidString(it.Kind) {
			return nil, fmt.Errorf("store: show %q: entry %d: kind %q is empty or not UTF-8: %w", show, i, it.Kind, ErrInvalidName)
		}
		p, err := marshalNoHTML(it.Payload)
		if err != nil {
			return nil, fmt.Errorf("store: show %q: entry %d (%s): encode payload: %w", show, i, it.Kind, err)
		}
		payloads[i] = p
	}
	return payloads, nil
}

// appendTx chains the entries onto the show's log inside tx. now stamps
// entries without a Time; wall, if not zero, is added as each record's
// "wall" time.
func appendTx(tx *bolt.Tx, show string, items []Entry, payloads [][]byte, now, wall time.Time) ([]Record, error) {
	recs := make([]Record, len(items))
	logs, err := tx.CreateBucketIfNotExists([]byte(logBucket))
	if err != nil {
		return nil, fmt.Errorf("bucket %q: %w", logBucket, err)
	}
	b, err := logs.CreateBucketIfNotExists([]byte(show))
	if err != nil {
		return nil, fmt.Errorf("bucket %q/%q: %w", logBucket, show, err)
	}
	// Keys only ever grow, so pack pages full instead of splitting at half.
	b.FillPercent = 1.0
	seq, prev := uint64(0), GenesisPrev
	if k, v := lastRecordEntry(b); k != nil {
		last, err := decodeStored(k, v)
		if err != nil {
			return nil, fmt.Errorf("last record: %w", err)
		}
		// Number from the key: trusting a tampered seq field could
		// overwrite an existing record.
		if keySeq := binary.BigEndian.Uint64(k); last.Seq != keySeq || last.Hash == "" {
			return nil, fmt.Errorf("last record %d: holds seq %d, hash %q: %w", keySeq, last.Seq, last.Hash, ErrCorrupt)
		}
		seq, prev = last.Seq, last.Hash
	}
	wallStr := ""
	if !wall.IsZero() {
		wallStr = wall.UTC().Format(time.RFC3339Nano)
	}
	for i, it := range items {
		seq++
		t := it.Time
		if t.IsZero() {
			t = now
		}
		st := stored{canonical: canonical{
			Seq:     seq,
			Time:    t.UTC().Format(time.RFC3339Nano),
			Wall:    wallStr,
			Kind:    it.Kind,
			Payload: payloads[i],
			Prev:    prev,
		}}
		canon, err := st.bytes()
		if err != nil {
			return nil, fmt.Errorf("record %d: encode: %w", seq, err)
		}
		st.Hash = hashOf(canon)
		if err := b.Put(seqKey(seq), storedBytes(canon, st.Hash)); err != nil {
			return nil, fmt.Errorf("record %d: %w", seq, err)
		}
		rec, err := st.record()
		if err != nil {
			return nil, fmt.Errorf("record %d: %w", seq, err)
		}
		recs[i] = rec
		prev = st.Hash
	}
	return recs, nil
}

// lastRecordEntry is the bucket's last entry with an 8-byte key. A stray key
// (which sorts after the records if it starts above 0x00) is not a record;
// skipping it keeps the log appendable, and Verify still reports it.
func lastRecordEntry(b *bolt.Bucket) (k, v []byte) {
	c := b.Cursor()
	for k, v = c.Last(); k != nil && len(k) != 8; k, v = c.Prev() {
	}
	return k, v
}

// storedBytes is the bbolt value: the canonical object with "hash" added as
// its last key. Same bytes as json.Marshal(stored), without encoding twice.
func storedBytes(canon []byte, hash string) []byte {
	v := make([]byte, 0, len(canon)+len(hash)+10)
	v = append(v, canon[:len(canon)-1]...) // drop the closing brace
	v = append(v, `,"hash":"`...)
	v = append(v, hash...)
	return append(v, `"}`...)
}

// decodeStored parses a log value and checks that its key is 8 bytes; it
// does not check the hash (Verify does).
func decodeStored(k, v []byte) (stored, error) {
	var st stored
	if len(k) != 8 {
		return st, fmt.Errorf("key %x is not an 8-byte sequence number: %w", k, ErrCorrupt)
	}
	seq := binary.BigEndian.Uint64(k)
	if v == nil {
		return st, fmt.Errorf("record %d is a bucket, not a value: %w", seq, ErrCorrupt)
	}
	if err := json.Unmarshal(v, &st); err != nil {
		return st, fmt.Errorf("record %d: %v: %w", seq, err, ErrCorrupt)
	}
	return st, nil
}

// showBucket returns the show's log bucket, or nil if it has no log.
func showBucket(tx *bolt.Tx, show string) *bolt.Bucket {
	logs := tx.Bucket([]byte(logBucket))
	if logs == nil {
		return nil
	}
	return logs.Bucket([]byte(show))
}

// rawRecord is one log entry as read, before any checks.
type rawRecord struct {
	key []byte
	val []byte
}

// readChunkSize bounds how many records one read transaction holds. Short
// read transactions let a live show keep appending while a long export or
// verify runs (bbolt's writer waits for readers when it grows the file).
const readChunkSize = 1024

// scan walks the show's raw log entries with key seq >= from in chunks, each
// chunk in its own read transaction, stopping at the last key present when
// the scan started. fn runs outside any transaction. exists is false if the
// show has no log.
func (s *Store) scan(show string, from uint64, fn func(rawRecord) error) (exists bool, err error) {
	var end []byte
	err = s.view(func(tx *bolt.Tx) error {
		b := showBucket(tx, show)
		if b == nil {
			return nil
		}
		exists = true
		if k, _ := b.Cursor().Last(); k != nil {
			end = bytes.Clone(k)
		}
		return nil
	})
	if err != nil || end == nil {
		return exists, err
	}
	// From the start, use First rather than Seek so that a malformed short
	// key (which sorts before any 8-byte key) is still seen and reported.
	var start []byte
	if from > 1 {
		start = seqKey(from)
	}
	for first := true; first || start != nil; first = false {
		var chunk []rawRecord
		var resume []byte
		err := s.view(func(tx *bolt.Tx) error {
			b := showBucket(tx, show)
			if b == nil {
				return fmt.Errorf("bucket %q/%q vanished during the read: %w", logBucket, show, ErrCorrupt)
			}
			c := b.Cursor()
			var k, v []byte
			if start == nil {
				k, v = c.First()
			} else {
				k, v = c.Seek(start)
			}
			for ; k != nil && bytes.Compare(k, end) <= 0; k, v = c.Next() {
				if len(chunk) == readChunkSize {
					resume = bytes.Clone(k)
					break
				}
				chunk = append(chunk, rawRecord{key: bytes.Clone(k), val: bytes.Clone(v)})
			}
			return nil
		})
		if err != nil {
			return true, err
		}
		for _, r := range chunk {
			if err := fn(r); err != nil {
				return true, err
			}
		}
		start = resume
	}
	return true, nil
}

// Records calls fn for each record of the show with Seq >= from, in order.
// fn runs outside any transaction, so it may write to the store; an error
// from fn stops the walk and is returned unchanged. Hashes are not checked
// here (see Verify). A show without a log has no records.
func (s *Store) Records(show string, from uint64, fn func(Record) error) error {
	if err := checkShow(show); err != nil {
		return err
	}
	var fnErr error
	_, err := s.scan(show, from, func(r rawRecord) error {
		st, err := decodeStored(r.key, r.val)
		if err != nil {
			return fmt.Errorf("store: show %q: %w", show, err)
		}
		rec, err := st.record()
		if err != nil {
			return fmt.Errorf("store: show %q: record %d: time %q: %v: %w", show, st.Seq, st.Time, err, ErrCorrupt)
		}
		if err := fn(rec); err != nil {
			fnErr = err
			return err
		}
		return nil
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil && !errors.Is(err, ErrCorrupt) {
		return fmt.Errorf("store: show %q: read log: %w", show, err)
	}
	return err
}

// Last returns the show's latest record; found is false if it has none.
func (s *Store) Last(show string) (rec Record, found bool, err error) {
	if err := checkShow(show); err != nil {
		return Record{}, false, err
	}
	err = s.view(func(tx *bolt.Tx) error {
		b := showBucket(tx, show)
		if b == nil {
			return nil
		}
		k, v := lastRecordEntry(b)
		if k == nil {
			return nil
		}
		st, err := decodeStored(k, v)
		if err != nil {
			return err
		}
		if rec, err = st.record(); err != nil {
			return fmt.Errorf("record %d: time %q: %v: %w", st.Seq, st.Time, err, ErrCorrupt)
		}
		found = true
		return nil
	})
	if err != nil {
		return Record{}, false, fmt.Errorf("store: show %q: last record: %w", show, err)
	}
	return rec, found, nil
}

// Shows lists the show ids that have a log, in byte order.
func (s *Store) Shows() ([]string, error) {
	var shows []string
	err := s.view(func(tx *bolt.Tx) error {
		logs := tx.Bucket([]byte(logBucket))
		if logs == nil {
			return nil
		}
		return logs.ForEachBucket(func(k []byte) error {
			shows = append(shows, string(k))
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: bucket %q: list shows: %w", logBucket, err)
	}
	return shows, nil
}

// chain applies the verification rules record by record; the store's
// Verify and the offline VerifyJSONL share it so both judge alike.
type chain struct {
	res  VerifyResult
	prev string
	sig  *sigState // checkpoint checks; nil = none
}

func newChain(show string) *chain {
	return &chain{res: VerifyResult{Show: show}, prev: GenesisPrev}
}

func (c *chain) fail(seq uint64, format string, args ...any) *ChainError {
	c.res.Broken = &ChainError{Show: c.res.Show, Seq: seq, Reason: fmt.Sprintf(format, args...)}
	return c.res.Broken
}

// expected is the seq the next record must carry.
func (c *chain) expected() uint64 { return c.res.LastSeq + 1 }

// step checks one decoded record and returns its canonical bytes. keySeq is
// the bbolt key's seq, or 0 for an export line, which has no key; line is
// the export line, which must be the canonical bytes exactly, or nil.
func (c *chain) step(keySeq uint64, st *stored, line []byte) ([]byte, *ChainError) {
	want := c.expected()
	if keySeq != 0 && st.Seq != keySeq {
		return nil, c.fail(keySeq, "holds record %d (record moved or reordered)", st.Seq)
	}
	switch {
	case st.Seq > want && st.Seq == want+1:
		return nil, c.fail(want, "missing: the log goes from %d to %d (record removed)", want-1, st.Seq)
	case st.Seq > want:
		return nil, c.fail(want, "missing: the log goes from %d to %d (records %d-%d removed)", want-1, st.Seq, want, st.Seq-1)
	case st.Seq < want:
		return nil, c.fail(want, "found record %d where %d belongs (record duplicated or reordered)", st.Seq, want)
	}
	if _, err := time.Parse(time.RFC3339Nano, st.Time); err != nil {
		return nil, c.fail(st.Seq, "time %q is not RFC 3339 (record modified)", st.Time)
	}
	canon, err := st.bytes()
	if err != nil {
		return nil, c.fail(st.Seq, "cannot encode: %v", err)
	}
	hash := hashOf(canon)
	if line == nil && hash != st.Hash {
		return nil, c.fail(st.Seq, "content does not match its hash (record modified)")
	}
	if line != nil && !bytes.Equal(canon, line) {
		return nil, c.fail(st.Seq, "line is not in canonical form (record modified)")
	}
	if st.Prev != c.prev {
		return nil, c.fail(st.Seq, "prev does not match the hash of record %d (record removed, replaced or reordered)", want-1)
	}
	if c.sig != nil {
		if brk := c.sig.check(c, st, hash); brk != nil {
			return nil, brk
		}
	}
	c.prev = hash
	c.res.Records++
	c.res.LastSeq = st.Seq
	c.res.FinalHash = hash
	return canon, nil
}

// broken records a break and returns the outcome.
func (c *chain) broken(seq uint64, format string, args ...any) (VerifyResult, error) {
	c.fail(seq, format, args...)
	return c.result()
}

// result returns the outcome; err is the *ChainError when the chain broke.
func (c *chain) result() (VerifyResult, error) {
	if c.res.Broken != nil {
		return c.res, c.res.Broken
	}
	return c.res, nil
}

// Verify re-checks the show's whole hash chain: every record's seq matches
// its key and follows the previous one, its content matches its hash, and
// its Prev is the previous record's hash. On a break the returned error is
// the *ChainError (errors.Is ErrTampered) naming the first bad record, and
// the result describes the intact prefix; any other error means the check
// could not run. Removing records from the end cannot be seen from the file
// alone: compare FinalHash with one kept elsewhere (an export's final_hash).
func (s *Store) Verify(show string) (VerifyResult, error) {
	if err := checkShow(show); err != nil {
		return VerifyResult{Show: show}, err
	}
	c := newChain(show)
	exists, err := s.scan(show, 0, func(r rawRecord) error {
		_, err := c.stepRaw(r)
		return err
	})
	if c.res.Broken != nil {
		return c.result()
	}
	if err != nil {
		return c.res, fmt.Errorf("store: show %q: verify: %w", show, err)
	}
	if !exists {
		return c.res, fmt.Errorf("store: show %q: %w", show, ErrUnknownShow)
	}
	return c.result()
}

// stepRaw decodes a bbolt entry, checks it and returns its canonical bytes.
// A value that does not decode is a chain break too: the store never writes one.
func (c *chain) stepRaw(r rawRecord) ([]byte, error) {
	if len(r.key) != 8 {
		return nil, c.fail(c.expected(), "unexpected key %x in the log (not an 8-byte seq)", r.key)
	}
	keySeq := binary.BigEndian.Uint64(r.key)
	if keySeq == 0 {
		return nil, c.fail(c.expected(), "unexpected key 0 in the log (seqs start at 1)")
	}
	st, err := decodeStored(r.key, r.val)
	if err != nil {
		return nil, c.fail(keySeq, "does not decode: %v", err)
	}
	if st.Hash == "" {
		return nil, c.fail(keySeq, "has no hash (record modified)")
	}
	canon, brk := c.step(keySeq, &st, nil)
	if brk != nil {
		return nil, brk
	}
	return canon, nil
}
