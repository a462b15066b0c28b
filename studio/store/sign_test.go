package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// signedLog writes 30 records with a signed checkpoint after every 10th.
func signedLog(t *testing.T) (*Store, *Key, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	k, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	const run = "demo@1"
	for i := 1; i <= 30; i++ {
		err := s.Commit(func(tx *Tx) error {
			if _, err := tx.Append(run, "next", map[string]int{"i": i}); err != nil {
				return err
			}
			if i%10 == 0 {
				cp, _, err := tx.Checkpoint(run, "minute", k)
				if err != nil {
					return err
				}
				return WriteHead(dir, cp)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return s, k, run
}

// rechain rewrites the log from seq from on, as an attacker without the
// key would: edit (or drop) records and recompute every hash after them.
func rechain(t *testing.T, s *Store, run string, from uint64, edit func(st *stored) (drop bool)) {
	t.Helper()
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(logBucket)).Bucket([]byte(run))
		var all []stored
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			st, err := decodeStored(k, v)
			if err != nil {
				return err
			}
			all = append(all, st)
		}
		for _, st := range all {
			if st.Seq >= from {
				if err := b.Delete(seqKey(st.Seq)); err != nil {
					return err
				}
			}
		}
		prev := GenesisPrev
		seq := uint64(0)
		for _, st := range all {
			if st.Seq < from {
				prev, seq = st.Hash, st.Seq
				continue
			}
			if edit(&st) {
				continue
			}
			seq++
			st.Seq, st.Prev = seq, prev
			canon, _ := st.bytes()
			st.Hash = hashOf(canon)
			if err := b.Put(seqKey(seq), storedBytes(canon, st.Hash)); err != nil {
				return err
			}
			prev = st.Hash
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSignedCheckpointsCoverTheLog(t *testing.T) {
	s, k, run := signedLog(t)
	res, cov, err := s.VerifySigned(run, SignedCheck{Trusted: k.Pub})
	if err != nil || res.Records != 33 || cov.Checkpoints != 3 || cov.CoveredThrough != 33 || !cov.Trusted || cov.Key != k.Fingerprint() {
		t.Fatalf("intact: %+v %+v %v", res, cov, err)
	}
	head, err := ReadHead(filepath.Join(filepath.Dir(s.Path()), HeadFileName))
	if err != nil || head.Seq != 32 {
		t.Fatalf("desk.head: %+v %v", head, err)
	}
	if _, cov, err := s.VerifySigned(run, SignedCheck{Trusted: k.Pub, Head: &head}); err != nil || cov.External == nil {
		t.Fatalf("with external head: %v", err)
	}
	// The export carries the latest signed head and re-verifies offline.
	var buf bytes.Buffer
	if _, err := s.ExportJSONL(run, &buf, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"signed_head":{"run":"demo@1","seq":32`) {
		t.Fatalf("export closing line: %s", buf.String()[strings.LastIndex(buf.String()[:buf.Len()-1], "\n"):])
	}
	if _, cov, err := VerifyJSONLSigned(bytes.NewReader(buf.Bytes()), SignedCheck{Trusted: k.Pub}); err != nil || cov.CoveredThrough != 33 {
		t.Fatalf("export verify: %+v %v", cov, err)
	}
}

func TestVerifyDetectsTruncatedTail(t *testing.T) {
	s, k, run := signedLog(t)
	head, _ := ReadHead(filepath.Join(filepath.Dir(s.Path()), HeadFileName))
	// Cut the last 5 records (the last checkpoint among them).
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(logBucket)).Bucket([]byte(run))
		for seq := uint64(29); seq <= 33; seq++ {
			if err := b.Delete(seqKey(seq)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The file alone still chains, but it is no longer covered to the end…
	_, cov, err := s.VerifySigned(run, SignedCheck{Trusted: k.Pub})
	if err != nil || cov.CoveredThrough != 22 {
		t.Fatalf("cut log, no head: %+v %v", cov, err)
	}
	// …and the head kept outside the log catches the cut.
	_, _, err = s.VerifySigned(run, SignedCheck{Trusted: k.Pub, Head: &head})
	var ce *ChainError
	if !errors.As(err, &ce) || !strings.Contains(ce.Reason, "tail cut off") {
		t.Fatalf("truncated tail: %v", err)
	}
}

func TestVerifyDetectsRechainedRewrite(t *testing.T) {
	s, k, run := signedLog(t)
	head, _ := ReadHead(filepath.Join(filepath.Dir(s.Path()), HeadFileName))
	// Rewrite record 15 and recompute every hash after it.
	rechain(t, s, run, 15, func(st *stored) bool {
		if st.Seq == 15 {
			st.Payload = []byte(`{"i":999}`)
		}
		return false
	})
	if _, err := s.Verify(run); err != nil {
		t.Fatalf("the bare chain does not see a recomputed rewrite (by design): %v", err)
	}
	_, _, err := s.VerifySigned(run, SignedCheck{Trusted: k.Pub})
	var ce *ChainError
	if !errors.As(err, &ce) || ce.Seq != 22 || !strings.Contains(ce.Reason, "rewritten") {
		t.Fatalf("rewrite against the next checkpoint: %v", err)
	}
	// The attacker also drops the checkpoints after the edit: the head
	// kept outside still catches it.
	s2, k2, run2 := signedLog(t)
	head2, _ := ReadHead(filepath.Join(filepath.Dir(s2.Path()), HeadFileName))
	rechain(t, s2, run2, 15, func(st *stored) bool {
		if st.Seq == 15 {
			st.Payload = []byte(`{"i":999}`)
		}
		return st.Kind == CheckpointKind
	})
	_, cov, err := s2.VerifySigned(run2, SignedCheck{Trusted: k2.Pub})
	if err != nil || cov.CoveredThrough != 11 {
		t.Fatalf("checkpoints dropped: coverage %+v %v", cov, err)
	}
	_, _, err = s2.VerifySigned(run2, SignedCheck{Trusted: k2.Pub, Head: &head2})
	if !errors.As(err, &ce) {
		t.Fatalf("rewrite with checkpoints dropped, external head: %v", err)
	}
	_ = head
}

func TestVerifyDetectsForgedCheckpoint(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(st *stored, k *Key)
		want string
	}{
		{"signature altered", func(st *stored, _ *Key) {
			st.Payload = bytes.Replace(st.Payload, []byte(`"reason":"minute"`), []byte(`"reason":"end"`), 1)
		}, "signature does not verify"},
		{"signed with another key", func(st *stored, _ *Key) {
			other, err := ParseKey("forger", []byte(strings.Repeat("ab", 32)))
			if err != nil {
				panic(err)
			}
			var cp Checkpoint
			_ = jsonUnmarshal(st.Payload, &cp)
			other.Sign(&cp)
			st.Payload, _ = marshalNoHTML(cp)
		}, "not this desk's"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, k, run := signedLog(t)
			rechain(t, s, run, 1, func(st *stored) bool {
				if st.Seq == 22 {
					tc.edit(st, k)
				}
				return false
			})
			_, _, err := s.VerifySigned(run, SignedCheck{Trusted: k.Pub})
			var ce *ChainError
			if !errors.As(err, &ce) || ce.Seq != 22 || !strings.Contains(ce.Reason, tc.want) {
				t.Fatalf("forged checkpoint: %v", err)
			}
		})
	}
}

func TestKeyFileIsOwnerOnly(t *testing.T) {
	dir := t.TempDir()
	k, err := LoadOrCreateKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, KeyFileName))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v %v", fi.Mode(), err)
	}
	k2, err := LoadOrCreateKey(dir)
	if err != nil || !k2.Pub.Equal(k.Pub) || len(strings.Fields(k.Fingerprint())) != 8 {
		t.Fatalf("reload: %v %q", err, k.Fingerprint())
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
