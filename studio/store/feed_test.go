package store

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// The feed gives exactly the export's record lines, notices writes by
// the generation, and rebuilds a log from canonical bytes with the same
// hashes; a line that is not canonical, out of order or off the chain is
// refused with nothing written.
func TestFeedCanonicalAndRebuild(t *testing.T) {
	s := openTemp(t)
	g0, err := s.Generation()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := s.Append("run-1", "cue", map[string]any{"i": i, "text": "<b>&\u2028"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Append("desk", "load_show", map[string]string{"id": "x"}); err != nil {
		t.Fatal(err)
	}
	g1, _ := s.Generation()
	if g1 <= g0 {
		t.Fatalf("generation did not move: %d -> %d", g0, g1)
	}
	heads, err := s.Heads()
	if err != nil || len(heads) != 2 || heads[1].Show != "run-1" || heads[1].Seq != 5 {
		t.Fatalf("heads %+v %v", heads, err)
	}
	last, _, _ := s.Last("run-1")
	if heads[1].Hash != last.Hash {
		t.Fatal("head hash is not the last record's")
	}
	var exp bytes.Buffer
	if _, err := s.ExportJSONL("run-1", &exp, nil); err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(exp.Bytes(), []byte("\n"))
	var got [][]byte
	if err := s.Canonical("run-1", 1, 0, func(r CanonicalRecord) error { got = append(got, r.Bytes); return nil }); err != nil {
		t.Fatal(err)
	}
	for i := range got {
		if !bytes.Equal(got[i], lines[i]) {
			t.Fatalf("record %d: feed %s, export %s", i+1, got[i], lines[i])
		}
	}
	var mid []uint64
	_ = s.Canonical("run-1", 2, 3, func(r CanonicalRecord) error { mid = append(mid, r.Seq); return nil })
	if len(mid) != 2 || mid[0] != 2 || mid[1] != 3 {
		t.Fatalf("range 2-3: %v", mid)
	}

	c := openTemp(t)
	if err := c.AppendCanonical("run-1", got[:2]); err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string][][]byte{
		"gap":           {got[3]},
		"not canonical": {append([]byte(" "), got[2]...)},
		"repeat":        {got[1]},
		"off the chain": {got[2], got[4]},
	} {
		if err := c.AppendCanonical("run-1", bad); err == nil {
			t.Fatalf("%s line accepted", name)
		}
	}
	if err := c.AppendCanonical("run-1", got[2:]); err != nil {
		t.Fatal(err)
	}
	res, err := c.Verify("run-1")
	if err != nil || res.FinalHash != last.Hash || res.Records != 5 {
		t.Fatalf("rebuilt log: %+v %v", res, err)
	}
}

// RecordHashes goes on past a modified record and shows both hashes.
func TestFeedRecordHashesSeesModifiedRecords(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		if _, err := s.Append("run-1", "cue", map[string]int{"i": i}); err != nil {
			t.Fatal(err)
		}
	}
	err = s.update(func(tx *bolt.Tx) error {
		b := showBucket(tx, "run-1")
		v := bytes.Replace(b.Get(seqKey(2)), []byte(`"i":1`), []byte(`"i":7`), 1)
		return b.Put(seqKey(2), v)
	})
	if err != nil {
		t.Fatal(err)
	}
	n, diff := 0, 0
	err = s.RecordHashes("run-1", func(seq uint64, stored, computed string) error {
		n++
		if stored != computed {
			diff++
			if seq != 2 {
				t.Fatalf("record %d reported modified", seq)
			}
		}
		return nil
	})
	if err != nil || n != 4 || diff != 1 {
		t.Fatalf("RecordHashes: %d records, %d modified, %v", n, diff, err)
	}
	err = s.Canonical("run-1", 1, 0, func(CanonicalRecord) error { return nil })
	if !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), "record 2") {
		t.Fatalf("Canonical over a modified record: %v", err)
	}
	if err := s.RecordHashes("none", func(uint64, string, string) error { return nil }); !errors.Is(err, ErrUnknownShow) {
		t.Fatalf("unknown show: %v", err)
	}
	_ = s.Close()
}

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
