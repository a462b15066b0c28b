package store

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// KeyFileName is the desk's private signing key beside desk.db (owner-only).
const KeyFileName = "desk.key"

// HeadFileName keeps the latest signed head outside the database, so a log
// cut short inside desk.db is caught even without an export at hand.
const HeadFileName = "desk.head"

// CheckpointKind is the log kind of a signed checkpoint record.
const CheckpointKind = "checkpoint"

// Key is a desk's Ed25519 signing key.
type Key struct {
	priv ed25519.PrivateKey
	Pub  ed25519.PublicKey
}

// Fingerprint is the first 16 bytes of SHA-256 of the public key, in hex
// groups of four ("ab12 cd34 …"), short enough to read aloud or print.
func Fingerprint(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	h := hex.EncodeToString(sum[:16])
	var b strings.Builder
	for i := 0; i < len(h); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(h[i : i+4])
	}
	return b.String()
}

// Fingerprint of this key.
func (k *Key) Fingerprint() string { return Fingerprint(k.Pub) }

// PublicHex is the public key in hex.
func (k *Key) PublicHex() string { return hex.EncodeToString(k.Pub) }

// LoadOrCreateKey reads dir/desk.key, creating it (mode 0600) on first run.
func LoadOrCreateKey(dir string) (*Key, error) {
	path := filepath.Join(dir, KeyFileName)
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		_, priv, gerr := ed25519.GenerateKey(rand.Reader)
		if gerr != nil {
			return nil, fmt.Errorf("signing key %s: generate: %w", path, gerr)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("signing key %s: %w", path, err)
		}
		_, werr := f.WriteString(hex.EncodeToString(priv.Seed()) + "\n")
		serr := f.Sync()
		cerr := f.Close()
		if err := errors.Join(werr, serr, cerr); err != nil {
			_ = os.Remove(path)
			return nil, fmt.Errorf("signing key %s: write: %w", path, err)
		}
		return &Key{priv: priv, Pub: priv.Public().(ed25519.PublicKey)}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	return ParseKey(path, raw)
}

// LoadPublicKey reads the public half of dir/desk.key, if there is one.
func LoadPublicKey(dir string) (ed25519.PublicKey, error) {
	path := filepath.Join(dir, KeyFileName)
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	k, err := ParseKey(path, raw)
	if err != nil {
		return nil, err
	}
	return k.Pub, nil
}

// ParseKey decodes a key file's content (hex Ed25519 seed).
func ParseKey(path string, raw []byte) (*Key, error) {
	seed, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("signing key %s: not a 32-byte hex Ed25519 seed (damaged?): %w", path, ErrCorrupt)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	return &Key{priv: priv, Pub: priv.Public().(ed25519.PublicKey)}, nil
}

// Checkpoint is a signed statement "record Seq of run Run has hash Head",
// made by the desk whose public key is Key. It is the payload of a
// checkpoint record (which follows record Seq), the closing line's
// signed_head of an export, and the content of desk.head.
type Checkpoint struct {
	Run    string    `json:"run"`
	Seq    uint64    `json:"seq"`
	Head   string    `json:"head"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason"`
	Key    string    `json:"key"`
	Sig    string    `json:"sig"`
}

// signedBytes is what the signature covers.
func (c *Checkpoint) signedBytes() []byte {
	return fmt.Appendf(nil, "studiodesk checkpoint v1\nrun=%s\nseq=%d\nhead=%s\nat=%s\nreason=%s\n",
		c.Run, c.Seq, c.Head, c.At.UTC().Format(time.RFC3339Nano), c.Reason)
}

// Sign fills Key and Sig.
func (k *Key) Sign(c *Checkpoint) {
	c.Key = k.PublicHex()
	c.Sig = hex.EncodeToString(ed25519.Sign(k.priv, c.signedBytes()))
}

// Verify checks the signature against trusted (or, when trusted is nil,
// against the key the checkpoint names) and returns the key used.
func (c *Checkpoint) Verify(trusted ed25519.PublicKey) (ed25519.PublicKey, error) {
	pub, err := hex.DecodeString(c.Key)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return nil, errors.New("checkpoint key is not an Ed25519 public key")
	}
	if trusted != nil && !ed25519.PublicKey(pub).Equal(trusted) {
		return nil, fmt.Errorf("checkpoint signed by key %s, not this desk's %s", Fingerprint(pub), Fingerprint(trusted))
	}
	sig, err := hex.DecodeString(c.Sig)
	if err != nil || !ed25519.Verify(pub, c.signedBytes(), sig) {
		return nil, errors.New("checkpoint signature does not verify (forged or modified)")
	}
	return pub, nil
}

// Checkpoint appends a signed checkpoint of the show's current head (the
// last record) within the transaction and returns it. A log with no
// records yet gets none (found false).
func (t *Tx) Checkpoint(show, reason string, k *Key) (cp Checkpoint, found bool, err error) {
	if k == nil {
		return cp, false, errors.New("store: checkpoint: no signing key")
	}
	b := showBucket(t.tx, show)
	if b == nil {
		return cp, false, nil
	}
	kk, v := lastRecordEntry(b)
	if kk == nil {
		return cp, false, nil
	}
	last, err := decodeStored(kk, v)
	if err != nil {
		return cp, false, fmt.Errorf("store: show %q: checkpoint: %w", show, err)
	}
	cp = Checkpoint{Run: show, Seq: last.Seq, Head: last.Hash, At: t.now.UTC(), Reason: reason}
	k.Sign(&cp)
	if _, err := t.Append(show, CheckpointKind, cp); err != nil {
		return cp, false, err
	}
	return cp, true, nil
}

// WriteHead saves cp as dir/desk.head (atomically, by rename).
func WriteHead(dir string, cp Checkpoint) error {
	raw, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	path := filepath.Join(dir, HeadFileName)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(raw, '\n'), 0o600); err != nil {
		return fmt.Errorf("signed head %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("signed head %s: %w", path, err)
	}
	return nil
}

// ReadHead reads a signed head file (desk.head, or one kept elsewhere).
func ReadHead(path string) (Checkpoint, error) {
	var cp Checkpoint
	raw, err := os.ReadFile(path)
	if err != nil {
		return cp, fmt.Errorf("signed head: %w", err)
	}
	if err := json.Unmarshal(raw, &cp); err != nil {
		return cp, fmt.Errorf("signed head %s: %v: %w", path, err, ErrCorrupt)
	}
	return cp, nil
}
