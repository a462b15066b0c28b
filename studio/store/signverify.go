package store

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
)

// Coverage says which part of a run's log a signed checkpoint vouches for.
type Coverage struct {
	// Checkpoints counts the valid signed checkpoints in the log.
	Checkpoints int
	// CoveredThrough is the last record covered by a signed checkpoint
	// (the checkpoint record itself; 0: none); records after it are
	// vouched for by nothing but the file.
	CoveredThrough uint64
	// LastReason is the reason of the last checkpoint (start, minute, end,
	// close, resume).
	LastReason string
	// Key is the fingerprint of the key the checkpoints are signed with.
	Key string
	// Trusted is true when that key was checked against the desk's own
	// public key (desk.key, or --key), not just taken from the log.
	Trusted bool
	// Head is the latest checkpoint found in the log (for exports and
	// reports).
	Head *Checkpoint
	// External is set when a signed head kept elsewhere (desk.head, a
	// report, a printed code) was checked against the log.
	External *Checkpoint
}

// sigState checks checkpoint records while the chain is walked.
type sigState struct {
	trusted ed25519.PublicKey
	peers   []ed25519.PublicKey
	want    *Checkpoint // external head: its record's hash must match
	gotWant string
	cov     Coverage
	key     ed25519.PublicKey
}

func (s *sigState) check(c *chain, st *stored, hash string) *ChainError {
	if s.want != nil && st.Seq == s.want.Seq {
		s.gotWant = hash
	}
	if st.Kind != CheckpointKind {
		return nil
	}
	var cp Checkpoint
	if err := json.Unmarshal(st.Payload, &cp); err != nil {
		return c.fail(st.Seq, "checkpoint does not decode: %v (forged or modified)", err)
	}
	pub, err := cp.Verify(s.trusted)
	if err != nil && s.trusted != nil && len(s.peers) > 0 {
		// A peer desk's checkpoint (the run continued on a hot standby).
		if p, perr := cp.Verify(nil); perr == nil && s.isPeer(p) {
			pub, err = p, nil
		}
	}
	if err != nil {
		return c.fail(st.Seq, "checkpoint: %v", err)
	}
	if s.key != nil && !s.key.Equal(pub) && !(s.trustedKey(s.key) && s.trustedKey(pub)) {
		return c.fail(st.Seq, "checkpoint signed by key %s, earlier ones by %s (forged)", Fingerprint(pub), Fingerprint(s.key))
	}
	s.key = pub
	if cp.Run != c.res.Show && c.res.Show != "" {
		return c.fail(st.Seq, "checkpoint is for run %q (copied from another log)", cp.Run)
	}
	if cp.Seq+1 != st.Seq || cp.Head != st.Prev {
		return c.fail(st.Seq, "checkpoint vouches for record %d with hash %.12s…, the log has %.12s… there (rewritten)", cp.Seq, cp.Head, st.Prev)
	}
	s.cov.Checkpoints++
	s.cov.CoveredThrough = st.Seq // the checkpoint record itself is the signed statement
	s.cov.LastReason = cp.Reason
	s.cov.Head = &cp
	return nil
}

func (s *sigState) isPeer(k ed25519.PublicKey) bool {
	for _, p := range s.peers {
		if p.Equal(k) {
			return true
		}
	}
	return false
}

// trustedKey: the desk's own key or a peer's, both given from outside
// (a key change inside a log is accepted only between those).
func (s *sigState) trustedKey(k ed25519.PublicKey) bool {
	return s.trusted != nil && (s.trusted.Equal(k) || s.isPeer(k))
}

// finish applies the external head after the walk.
func (s *sigState) finish(c *chain) {
	if s.key != nil {
		s.cov.Key = Fingerprint(s.key)
	}
	s.cov.Trusted = s.trusted != nil
	if s.want == nil || c.res.Broken != nil {
		return
	}
	s.cov.External = s.want
	switch {
	case c.res.LastSeq < s.want.Seq:
		c.fail(c.res.LastSeq+1, "the log ends at record %d, but a signed head kept outside vouches for record %d (tail cut off)", c.res.LastSeq, s.want.Seq)
	case s.gotWant != s.want.Head:
		c.fail(s.want.Seq, "record %d does not have the hash the signed head kept outside vouches for (log rewritten)", s.want.Seq)
	}
}

// SignedCheck says how to check checkpoints: Trusted is the desk's public
// key (nil: take the key from the log and report its fingerprint); Head is
// a signed head kept outside the log, checked against it (nil: none).
//
// Peers are the public keys of the studio's other desks (given from
// outside, with Trusted): a run that a hot standby took over carries the
// old primary's checkpoints, then the new one's; checkpoints by a peer
// are accepted, and the key may change only between Trusted and Peers.
type SignedCheck struct {
	Trusted ed25519.PublicKey
	Peers   []ed25519.PublicKey
	Head    *Checkpoint
}

func (o SignedCheck) state() (*sigState, error) {
	s := &sigState{trusted: o.Trusted, peers: o.Peers, want: o.Head}
	if o.Head != nil {
		if _, err := o.Head.Verify(o.Trusted); err != nil {
			return nil, fmt.Errorf("the signed head given: %w", err)
		}
	}
	return s, nil
}

// VerifySigned is Verify plus the checkpoints: every checkpoint record's
// signature (by the trusted key when given), that it vouches for the hash
// the log really has at that point, which records are covered, and the
// external head if given (a tail cut off or a rewrite after it is found).
// A forged checkpoint or a failed external head is a *ChainError.
func (s *Store) VerifySigned(show string, o SignedCheck) (VerifyResult, Coverage, error) {
	if err := checkShow(show); err != nil {
		return VerifyResult{Show: show}, Coverage{}, err
	}
	if o.Head != nil && o.Head.Run != show {
		o.Head = nil
	}
	sig, err := o.state()
	if err != nil {
		return VerifyResult{Show: show}, Coverage{}, err
	}
	c := newChain(show)
	c.sig = sig
	exists, err := s.scan(show, 0, func(r rawRecord) error {
		_, err := c.stepRaw(r)
		return err
	})
	if c.res.Broken == nil && err == nil && exists {
		sig.finish(c)
	}
	if c.res.Broken != nil {
		res, err := c.result()
		return res, sig.cov, err
	}
	if err != nil {
		return c.res, sig.cov, fmt.Errorf("store: show %q: verify: %w", show, err)
	}
	if !exists {
		return c.res, sig.cov, fmt.Errorf("store: show %q: %w", show, ErrUnknownShow)
	}
	res, err := c.result()
	return res, sig.cov, err
}

// VerifyJSONLSigned is VerifyJSONL plus the checkpoint checks of
// VerifySigned; an export's closing signed_head is checked too.
func VerifyJSONLSigned(r io.Reader, o SignedCheck) (VerifyResult, Coverage, error) {
	sig, err := o.state()
	if err != nil {
		return VerifyResult{}, Coverage{}, err
	}
	res, closing, err := verifyJSONL(r, sig)
	if err == nil && closing != nil && closing.SignedHead != nil {
		if _, herr := closing.SignedHead.Verify(sig.trusted); herr != nil {
			err = &ChainError{Show: res.Show, Seq: res.LastSeq, Reason: "closing signed_head: " + herr.Error()}
			res.Broken = err.(*ChainError)
		}
	}
	return res, sig.cov, err
}
