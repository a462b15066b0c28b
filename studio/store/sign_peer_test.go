package store

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
)

// A run a hot standby took over: checkpoints by the old primary, then by
// the new one. With the new desk's key trusted they verify only when the
// old desk's key is given as a peer; a third key is still a forgery.
func TestVerifyPeerCheckpoints(t *testing.T) {
	s, old, run := signedLog(t) // 30 records, checkpoints by old
	newKey, err := LoadOrCreateKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		err := s.Commit(func(tx *Tx) error {
			if _, err := tx.Append(run, "next", map[string]int{"i": 100 + i}); err != nil {
				return err
			}
			if i == 9 {
				_, _, err := tx.Checkpoint(run, "minute", newKey)
				return err
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	var ce *ChainError
	if _, _, err := s.VerifySigned(run, SignedCheck{Trusted: newKey.Pub}); !errors.As(err, &ce) || !strings.Contains(ce.Reason, old.Fingerprint()) {
		t.Fatalf("without the peer's key: %v", err)
	}
	res, cov, err := s.VerifySigned(run, SignedCheck{Trusted: newKey.Pub, Peers: []ed25519.PublicKey{old.Pub}})
	if err != nil || !res.OK() || cov.Checkpoints != 4 || cov.Key != newKey.Fingerprint() {
		t.Fatalf("with the peer's key: %+v %+v %v", res, cov, err)
	}
	third, err := LoadOrCreateKey(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.VerifySigned(run, SignedCheck{Trusted: newKey.Pub, Peers: []ed25519.PublicKey{third.Pub}}); !errors.As(err, &ce) {
		t.Fatalf("with an unrelated peer key: %v", err)
	}
}
