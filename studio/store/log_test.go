package store

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

const show = "2025-03-01-spring-sale"

// appendN logs n records "ev" with payload {"i":i} for i in 1..n, in one
// batch: each commit costs an fsync, and the chain is the same either way.
func appendN(t *testing.T, s *Store, n int) {
	t.Helper()
	entries := make([]Entry, n)
	for i := range entries {
		entries[i] = Entry{Kind: "ev", Payload: map[string]int{"i": i + 1}}
	}
	if _, err := s.AppendBatch(show, entries); err != nil {
		t.Fatal(err)
	}
}

// tamper edits the show's log bucket directly, behind the Store's back.
func tamper(t *testing.T, s *Store, fn func(b *bolt.Bucket) error) {
	t.Helper()
	err := s.db.Update(func(tx *bolt.Tx) error {
		return fn(tx.Bucket([]byte(logBucket)).Bucket([]byte(show)))
	})
	if err != nil {
		t.Fatal(err)
	}
}

func rawStored(t *testing.T, b *bolt.Bucket, seq uint64) stored {
	t.Helper()
	var st stored
	if err := json.Unmarshal(b.Get(seqKey(seq)), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func putStored(t *testing.T, b *bolt.Bucket, key uint64, st stored) {
	t.Helper()
	v, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Put(seqKey(key), v); err != nil {
		t.Fatal(err)
	}
}

// wantBreak asserts Verify reports a break at seq whose reason mentions word.
func wantBreak(t *testing.T, s *Store, seq uint64, word string) VerifyResult {
	t.Helper()
	res, err := s.Verify(show)
	var ce *ChainError
	if !errors.As(err, &ce) || !errors.Is(err, ErrTampered) {
		t.Fatalf("Verify err = %v, want a *ChainError (ErrTampered)", err)
	}
	if ce.Seq != seq || ce.Show != show || !strings.Contains(ce.Reason, word) {
		t.Fatalf("break = %+v, want seq %d, show %q, reason mentioning %q", ce, seq, show, word)
	}
	if res.Broken != ce || res.OK() {
		t.Fatalf("result does not carry the break: %+v", res)
	}
	if res.Records != int(seq-1) {
		t.Fatalf("result counts %d good records, want %d", res.Records, seq-1)
	}
	return res
}

func TestCanonicalBytesAndHash(t *testing.T) {
	s := openTest(t, t.TempDir())
	rec, err := s.Append(show, "coupon.fire", map[string]any{"sku": "A&B <1>", "yuan": 20})
	if err != nil {
		t.Fatal(err)
	}
	// testClock starts at 15:00 CST and steps 1ms: stored as UTC.
	want := `{"seq":1,"time":"2025-03-01T07:00:00.001Z","kind":"coupon.fire","payload":{"sku":"A&B <1>","yuan":20},"prev":"` + GenesisPrev + `"}`
	sum := sha256.Sum256([]byte(want))
	if rec.Hash != hex.EncodeToString(sum[:]) {
		t.Fatalf("hash %s is not sha256 of %s", rec.Hash, want)
	}
	if rec.Seq != 1 || rec.Prev != GenesisPrev || rec.Kind != "coupon.fire" ||
		string(rec.Payload) != `{"sku":"A&B <1>","yuan":20}` ||
		!rec.Time.Equal(time.Date(2025, 3, 1, 7, 0, 0, 1e6, time.UTC)) {
		t.Fatalf("record = %+v", rec)
	}
	rec2, err := s.Append(show, "note", nil)
	if err != nil {
		t.Fatal(err)
	}
	if rec2.Seq != 2 || rec2.Prev != rec.Hash || string(rec2.Payload) != "null" {
		t.Fatalf("second record = %+v", rec2)
	}
}

func TestAppendReadVerify(t *testing.T) {
	s := openTest(t, t.TempDir())
	appendN(t, s, 3)
	batch, err := s.AppendBatch(show, []Entry{
		{Kind: "vote.open", Payload: map[string]string{"q": "红还是蓝"}},
		{Kind: "vote.close", Payload: []int{61, 39}, Time: time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(batch) != 2 || batch[0].Seq != 4 || batch[1].Seq != 5 || batch[1].Prev != batch[0].Hash {
		t.Fatalf("batch = %+v", batch)
	}
	if !batch[1].Time.Equal(time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("entry time not kept: %v", batch[1].Time)
	}

	var seqs []uint64
	var prev string = GenesisPrev
	err = s.Records(show, 0, func(r Record) error {
		if r.Prev != prev {
			return fmt.Errorf("record %d prev %s, want %s", r.Seq, r.Prev, prev)
		}
		prev = r.Hash
		seqs = append(seqs, r.Seq)
		return nil
	})
	if err != nil || fmt.Sprint(seqs) != "[1 2 3 4 5]" {
		t.Fatalf("Records = %v, %v", seqs, err)
	}
	seqs = nil
	_ = s.Records(show, 4, func(r Record) error { seqs = append(seqs, r.Seq); return nil })
	if fmt.Sprint(seqs) != "[4 5]" {
		t.Fatalf("Records from 4 = %v", seqs)
	}
	stop := errors.New("stop")
	if err := s.Records(show, 0, func(Record) error { return stop }); err != stop {
		t.Fatalf("fn error = %v, want it returned unchanged", err)
	}

	last, found, err := s.Last(show)
	if err != nil || !found || last.Seq != 5 || last.Hash != batch[1].Hash {
		t.Fatalf("Last = %+v, %v, %v", last, found, err)
	}
	res, err := s.Verify(show)
	if err != nil || !res.OK() || res.Records != 5 || res.LastSeq != 5 || res.FinalHash != last.Hash || res.Show != show {
		t.Fatalf("Verify = %+v, %v", res, err)
	}

	if _, err := s.Append("other-show", "ev", 1); err != nil {
		t.Fatal(err)
	}
	shows, err := s.Shows()
	if err != nil || fmt.Sprint(shows) != "[2025-03-01-spring-sale other-show]" {
		t.Fatalf("Shows = %v, %v", shows, err)
	}
}

func TestRecordsSpanManyReadChunks(t *testing.T) {
	s := openTest(t, t.TempDir())
	n := readChunkSize*2 + 7
	entries := make([]Entry, n)
	for i := range entries {
		entries[i] = Entry{Kind: "danmaku", Payload: i}
	}
	if _, err := s.AppendBatch(show, entries); err != nil {
		t.Fatal(err)
	}
	want := uint64(1)
	err := s.Records(show, 0, func(r Record) error {
		if r.Seq != want {
			return fmt.Errorf("got seq %d, want %d", r.Seq, want)
		}
		want++
		return nil
	})
	if err != nil || want != uint64(n+1) {
		t.Fatalf("walked to %d of %d: %v", want-1, n, err)
	}
	if res, err := s.Verify(show); err != nil || res.Records != n {
		t.Fatalf("Verify = %+v, %v", res, err)
	}
}

func TestAppendBatchIsAllOrNothing(t *testing.T) {
	s := openTest(t, t.TempDir())
	appendN(t, s, 1)
	_, err := s.AppendBatch(show, []Entry{{Kind: "ok", Payload: 1}, {Kind: "bad", Payload: make(chan int)}})
	if err == nil || !strings.Contains(err.Error(), "entry 1 (bad)") {
		t.Fatalf("err = %v, want the bad entry named", err)
	}
	if _, err := s.AppendBatch(show, []Entry{{Kind: "", Payload: 1}}); !errors.Is(err, ErrInvalidName) {
		t.Fatalf("empty kind: %v, want ErrInvalidName", err)
	}
	if _, err := s.Append("", "ev", 1); !errors.Is(err, ErrInvalidName) {
		t.Fatalf("empty show: %v, want ErrInvalidName", err)
	}
	if last, _, _ := s.Last(show); last.Seq != 1 {
		t.Fatalf("failed batches wrote records: last seq %d", last.Seq)
	}
}

func TestUnknownShow(t *testing.T) {
	s := openTest(t, t.TempDir())
	if _, err := s.Verify("nope"); !errors.Is(err, ErrUnknownShow) {
		t.Fatalf("Verify = %v, want ErrUnknownShow", err)
	}
	if _, err := s.ExportJSONL("nope", &bytes.Buffer{}, nil); !errors.Is(err, ErrUnknownShow) {
		t.Fatalf("ExportJSONL = %v, want ErrUnknownShow", err)
	}
	if _, found, err := s.Last("nope"); found || err != nil {
		t.Fatalf("Last = %v, %v", found, err)
	}
	if err := s.Records("nope", 0, func(Record) error { return errors.New("called") }); err != nil {
		t.Fatalf("Records = %v", err)
	}
}

func TestTamperModifiedRecord(t *testing.T) {
	s := openTest(t, t.TempDir())
	appendN(t, s, 5)
	tamper(t, s, func(b *bolt.Bucket) error {
		st := rawStored(t, b, 3)
		st.Payload = json.RawMessage(`{"i":300}`)
		putStored(t, b, 3, st)
		return nil
	})
	res := wantBreak(t, s, 3, "modified")
	if res.LastSeq != 2 {
		t.Fatalf("intact prefix ends at %d, want 2", res.LastSeq)
	}
}

func TestTamperModifiedKindAndTime(t *testing.T) {
	for name, edit := range map[string]func(*stored){
		"kind": func(st *stored) { st.Kind = "refund" },
		"time": func(st *stored) { st.Time = "2025-03-01T06:00:00Z" },
	} {
		t.Run(name, func(t *testing.T) {
			s := openTest(t, t.TempDir())
			appendN(t, s, 4)
			tamper(t, s, func(b *bolt.Bucket) error {
				st := rawStored(t, b, 4) // the last record: no successor to betray it
				edit(&st)
				putStored(t, b, 4, st)
				return nil
			})
			wantBreak(t, s, 4, "modified")
		})
	}
}

func TestTamperModifiedRecordWithRecomputedHash(t *testing.T) {
	s := openTest(t, t.TempDir())
	appendN(t, s, 5)
	tamper(t, s, func(b *bolt.Bucket) error {
		st := rawStored(t, b, 2)
		st.Payload = json.RawMessage(`{"i":200}`)
		canon, _ := st.bytes()
		st.Hash = hashOf(canon)
		putStored(t, b, 2, st)
		return nil
	})
	// Record 2 is self-consistent now; record 3 no longer links to it.
	wantBreak(t, s, 3, "prev does not match")
}

func TestTamperRemovedRecord(t *testing.T) {
	s := openTest(t, t.TempDir())
	appendN(t, s, 5)
	tamper(t, s, func(b *bolt.Bucket) error { return b.Delete(seqKey(3)) })
	wantBreak(t, s, 3, "removed")
}

func TestTamperRemovedFirstRecord(t *testing.T) {
	s := openTest(t, t.TempDir())
	appendN(t, s, 3)
	tamper(t, s, func(b *bolt.Bucket) error { return b.Delete(seqKey(1)) })
	wantBreak(t, s, 1, "removed")
}

func TestTamperRemovedAndRenumbered(t *testing.T) {
	s := openTest(t, t.TempDir())
	appendN(t, s, 5)
	// Remove record 3 and shift 4, 5 down with fresh hashes, so there is no gap.
	tamper(t, s, func(b *bolt.Bucket) error {
		for seq := uint64(4); seq <= 5; seq++ {
			st := rawStored(t, b, seq)
			st.Seq = seq - 1
			canon, _ := st.bytes()
			st.Hash = hashOf(canon)
			putStored(t, b, seq-1, st)
		}
		return b.Delete(seqKey(5))
	})
	wantBreak(t, s, 3, "prev does not match")
}

func TestTamperReorderedRecords(t *testing.T) {
	s := openTest(t, t.TempDir())
	appendN(t, s, 5)
	tamper(t, s, func(b *bolt.Bucket) error {
		v3 := bytes.Clone(b.Get(seqKey(3)))
		v4 := bytes.Clone(b.Get(seqKey(4)))
		if err := b.Put(seqKey(3), v4); err != nil {
			return err
		}
		return b.Put(seqKey(4), v3)
	})
	wantBreak(t, s, 3, "reordered")
}

func TestTamperReorderedAndRenumbered(t *testing.T) {
	s := openTest(t, t.TempDir())
	appendN(t, s, 5)
	// Swap 3 and 4 and fix their seq fields and hashes; the links give it away.
	tamper(t, s, func(b *bolt.Bucket) error {
		st3, st4 := rawStored(t, b, 3), rawStored(t, b, 4)
		st3.Seq, st4.Seq = 4, 3
		for _, st := range []*stored{&st3, &st4} {
			canon, _ := st.bytes()
			st.Hash = hashOf(canon)
		}
		putStored(t, b, 3, st4)
		putStored(t, b, 4, st3)
		return nil
	})
	wantBreak(t, s, 3, "prev does not match")
}

func TestCorruptLogValue(t *testing.T) {
	s := openTest(t, t.TempDir())
	appendN(t, s, 3)
	var good []byte
	tamper(t, s, func(b *bolt.Bucket) error {
		good = bytes.Clone(b.Get(seqKey(2)))
		return b.Put(seqKey(2), []byte("{not json"))
	})
	wantBreak(t, s, 2, "does not decode")
	err := s.Records(show, 0, func(Record) error { return nil })
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), show) || !strings.Contains(err.Error(), "record 2") {
		t.Fatalf("Records = %v, want ErrCorrupt naming show and record 2", err)
	}

	// A corrupt last record leaves no hash to chain to: appending must refuse.
	tamper(t, s, func(b *bolt.Bucket) error {
		if err := b.Put(seqKey(2), good); err != nil {
			return err
		}
		return b.Put(seqKey(3), []byte("[]"))
	})
	if _, err := s.Append(show, "ev", 4); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "record 3") {
		t.Fatalf("Append on a corrupt tail = %v, want ErrCorrupt naming record 3", err)
	}

	// A tail whose seq field disagrees with its key must not be numbered
	// from: that would overwrite record 2.
	tamper(t, s, func(b *bolt.Bucket) error {
		st := rawStored(t, b, 2)
		st.Seq = 1
		putStored(t, b, 3, st)
		return nil
	})
	if _, err := s.Append(show, "ev", 4); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Append on a renumbered tail = %v, want ErrCorrupt", err)
	}
	tamper(t, s, func(b *bolt.Bucket) error {
		if got := b.Get(seqKey(2)); !bytes.Equal(got, good) {
			t.Fatalf("record 2 was overwritten: %s", got)
		}
		return nil
	})
}

func TestStrayKeyInLog(t *testing.T) {
	s := openTest(t, t.TempDir())
	appendN(t, s, 3)
	tamper(t, s, func(b *bolt.Bucket) error { return b.Put([]byte("x"), []byte("{}")) })
	wantBreak(t, s, 4, "unexpected key")
	// The stray key is not a record: appending carries on from record 3.
	rec, err := s.Append(show, "ev", 4)
	if err != nil || rec.Seq != 4 {
		t.Fatalf("Append = %+v, %v", rec, err)
	}
	if last, _, err := s.Last(show); err != nil || last.Seq != 4 {
		t.Fatalf("Last = %+v, %v", last, err)
	}
}

func TestExportAndVerifyJSONL(t *testing.T) {
	s := openTest(t, t.TempDir())
	appendN(t, s, 300)
	var buf bytes.Buffer
	var calls [][2]int
	final, err := s.ExportJSONL(show, &buf, func(done, total int) { calls = append(calls, [2]int{done, total}) })
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Verify(show)
	if err != nil || final != res.FinalHash {
		t.Fatalf("export final %s, Verify %+v, %v", final, res, err)
	}
	if len(calls) != 2 || calls[0] != [2]int{256, 300} || calls[1] != [2]int{300, 300} {
		t.Fatalf("progress calls = %v", calls)
	}

	// The auditor's check, with nothing but sha256: each line hashes to the next line's prev.
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 301 {
		t.Fatalf("%d lines, want 300 records + final", len(lines))
	}
	prev := GenesisPrev
	for i, line := range lines[:300] {
		var r struct{ Prev string }
		if err := json.Unmarshal([]byte(line), &r); err != nil || r.Prev != prev {
			t.Fatalf("line %d: prev %q, want %q (%v)", i+1, r.Prev, prev, err)
		}
		sum := sha256.Sum256([]byte(line))
		prev = hex.EncodeToString(sum[:])
	}
	want := fmt.Sprintf(`{"final_hash":"%s","records":300,"show":"%s"}`, prev, show)
	if lines[300] != want || prev != final {
		t.Fatalf("final line %s, want %s", lines[300], want)
	}

	for _, v := range []func(r io.Reader) (VerifyResult, error){VerifyJSONL, s.VerifyJSONL} {
		got, err := v(bytes.NewReader(buf.Bytes()))
		if err != nil || !got.OK() || got.Records != 300 || got.FinalHash != final || got.Show != show {
			t.Fatalf("VerifyJSONL = %+v, %v", got, err)
		}
	}
}

func TestVerifyJSONLDetectsTampering(t *testing.T) {
	s := openTest(t, t.TempDir())
	appendN(t, s, 5)
	var buf bytes.Buffer
	if _, err := s.ExportJSONL(show, &buf, nil); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	join := func(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

	cases := []struct {
		name  string
		input string
		seq   uint64
		word  string
	}{
		{"modified payload", join(append(append(append([]string{}, lines[:2]...), strings.Replace(lines[2], `"i":3`, `"i":9`, 1)), lines[3:]...)...), 4, "prev does not match"},
		{"modified last", join(append(append([]string{}, lines[:4]...), strings.Replace(lines[4], `"i":5`, `"i":9`, 1), lines[5])...), 5, "final_hash"},
		{"reformatted", join(append(append(append([]string{}, lines[:1]...), strings.Replace(lines[1], `,"kind"`, `, "kind"`, 1)), lines[2:]...)...), 2, "canonical"},
		{"removed", join(append(append([]string{}, lines[:2]...), lines[3:]...)...), 3, "removed"},
		{"reordered", join(lines[0], lines[1], lines[3], lines[2], lines[4], lines[5]), 3, "removed"},
		{"truncated", join(lines[:5]...), 6, "truncated"},
		{"count changed", join(append(append([]string{}, lines[:5]...), strings.Replace(lines[5], `"records":5`, `"records":4`, 1))...), 5, "records"},
		{"garbage", join(append(append([]string{}, lines[:1]...), "hello")...), 2, "does not decode"},
		{"after final", join(append(append([]string{}, lines...), lines[0])...), 5, "after the final"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := VerifyJSONL(strings.NewReader(tc.input))
			var ce *ChainError
			if !errors.As(err, &ce) || !errors.Is(err, ErrTampered) {
				t.Fatalf("err = %v, want a *ChainError", err)
			}
			if ce.Seq != tc.seq || !strings.Contains(ce.Reason, tc.word) || res.Broken != ce {
				t.Fatalf("break = %+v, want seq %d mentioning %q", ce, tc.seq, tc.word)
			}
		})
	}

	// CRLF line ends (an export opened and saved on Windows) still verify.
	crlf := strings.ReplaceAll(buf.String(), "\n", "\r\n")
	if res, err := VerifyJSONL(strings.NewReader(crlf)); err != nil || res.Records != 5 {
		t.Fatalf("CRLF export: %+v, %v", res, err)
	}
}

func TestExportStopsAtBreak(t *testing.T) {
	s := openTest(t, t.TempDir())
	appendN(t, s, 4)
	tamper(t, s, func(b *bolt.Bucket) error { return b.Delete(seqKey(3)) })
	var buf bytes.Buffer
	_, err := s.ExportJSONL(show, &buf, nil)
	var ce *ChainError
	if !errors.As(err, &ce) || ce.Seq != 3 {
		t.Fatalf("err = %v, want a break at 3", err)
	}
	sc := bufio.NewScanner(&buf)
	n := 0
	for sc.Scan() {
		if strings.Contains(sc.Text(), "final_hash") {
			t.Fatal("a broken export got a final line")
		}
		n++
	}
	if n != 2 {
		t.Fatalf("%d lines written, want the 2 good ones", n)
	}
}

func TestConcurrentAppendsKeepChain(t *testing.T) {
	s := openTest(t, t.TempDir())
	const writers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				var err error
				if i%5 == 0 {
					_, err = s.AppendBatch(show, []Entry{{Kind: "a", Payload: w}, {Kind: "b", Payload: i}})
				} else {
					_, err = s.Append(show, "ev", map[string]int{"w": w, "i": i})
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	// A reader verifying while the writers run sees a consistent prefix.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 5 {
			if res, err := s.Verify(show); err != nil && !errors.Is(err, ErrUnknownShow) {
				errs <- fmt.Errorf("verify during appends: %+v: %w", res, err)
				return
			}
		}
	}()
	wg.Wait()
	<-done
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	res, err := s.Verify(show)
	want := writers * (each + each/5)
	if err != nil || res.Records != want {
		t.Fatalf("Verify = %+v, %v; want %d records", res, err, want)
	}
}

func TestStoredValueIsCanonicalPlusHash(t *testing.T) {
	s := openTest(t, t.TempDir())
	rec, err := s.Append(show, "ev", map[string]string{"t": "<&>"})
	if err != nil {
		t.Fatal(err)
	}
	tamper(t, s, func(b *bolt.Bucket) error {
		st := rawStored(t, b, 1)
		want, err := marshalNoHTML(&st)
		if err != nil {
			return err
		}
		if got := b.Get(seqKey(1)); !bytes.Equal(got, want) {
			t.Fatalf("stored %s, want %s", got, want)
		}
		if st.Hash != rec.Hash {
			t.Fatalf("stored hash %s, returned %s", st.Hash, rec.Hash)
		}
		return nil
	})
}
