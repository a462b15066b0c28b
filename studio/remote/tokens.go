package remote

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Role is what a paired device may do.
type Role string

// Roles. A viewer sees the state; only a controller changes the show.
const (
	RoleController Role = "controller"
	RoleViewer     Role = "viewer"
)

func (r Role) valid() bool { return r == RoleController || r == RoleViewer }

// Device is one paired remote. Only the SHA-256 of its token is kept: a
// copy of the store does not let anyone act as the device.
type Device struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role Role   `json:"role"`
	// TokenSHA256 is the hex SHA-256 of the bearer token.
	TokenSHA256 string    `json:"token_sha256"`
	Paired      time.Time `json:"paired"`
}

// TokenStore persists paired devices. The app backs it with bbolt; tests
// and a desk without a data directory use MemoryTokenStore.
type TokenStore interface {
	Save(d Device) error
	Delete(id string) error
	List() ([]Device, error)
}

// ErrUnknownDevice is returned for an id that is not paired.
var ErrUnknownDevice = errors.New("unknown device")

// MemoryTokenStore keeps devices in memory.
type MemoryTokenStore struct {
	mu      sync.Mutex
	devices map[string]Device
}

// NewMemoryTokenStore returns an empty store.
func NewMemoryTokenStore() *MemoryTokenStore {
	return &MemoryTokenStore{devices: make(map[string]Device)}
}

// Save adds or replaces a device.
func (m *MemoryTokenStore) Save(d Device) error {
	if d.ID == "" {
		return fmt.Errorf("token store: save: %w: empty id", ErrUnknownDevice)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.devices[d.ID] = d
	return nil
}

// Delete removes a device; deleting an unknown id is not an error.
func (m *MemoryTokenStore) Delete(id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.devices, id)
	return nil
}

// List returns the devices sorted by pairing time.
func (m *MemoryTokenStore) List() ([]Device, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Device, 0, len(m.devices))
	for _, d := range m.devices {
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b Device) int {
		if c := a.Paired.Compare(b.Paired); c != 0 {
			return c
		}
		return compareStrings(a.ID, b.ID)
	})
	return out, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// newToken returns a fresh bearer token (32 random bytes, base64url) and
// the hex SHA-256 that is stored in its place.
func newToken() (token, sum string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("remote: new token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, hashToken(token), nil
}

func hashToken(token string) string {
	s := sha256.Sum256([]byte(token))
	return hex.EncodeToString(s[:])
}

func newID(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("remote: new id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// registry is the server's view of paired devices. Lookups compare the
// token's hash against every device in constant time.
type registry struct {
	mu      sync.Mutex
	store   TokenStore
	devices []Device
}

func newRegistry(store TokenStore) (*registry, error) {
	list, err := store.List()
	if err != nil {
		return nil, fmt.Errorf("remote: load paired devices: %w", err)
	}
	r := &registry{store: store}
	for _, d := range list {
		if d.ID == "" || !d.Role.valid() || len(d.TokenSHA256) != sha256.Size*2 {
			continue // a damaged record grants nothing
		}
		r.devices = append(r.devices, d)
	}
	return r, nil
}

// lookup returns the device holding token. Every stored hash is compared,
// so timing does not tell which (or whether any) prefix matched.
func (r *registry) lookup(token string) (Device, bool) {
	if token == "" || len(token) > 256 {
		return Device{}, false
	}
	sum := []byte(hashToken(token))
	r.mu.Lock()
	defer r.mu.Unlock()
	var found Device
	ok := 0
	for _, d := range r.devices {
		eq := subtle.ConstantTimeCompare(sum, []byte(d.TokenSHA256))
		if eq == 1 && ok == 0 {
			found = d
		}
		ok |= eq
	}
	return found, ok == 1
}

func (r *registry) add(d Device) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.store.Save(d); err != nil {
		return fmt.Errorf("remote: save device %q: %w", d.Name, err)
	}
	r.devices = append(r.devices, d)
	return nil
}

func (r *registry) remove(id string) (Device, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := slices.IndexFunc(r.devices, func(d Device) bool { return d.ID == id })
	if i < 0 {
		return Device{}, fmt.Errorf("remote: revoke %q: %w", id, ErrUnknownDevice)
	}
	if err := r.store.Delete(id); err != nil {
		return Device{}, fmt.Errorf("remote: revoke %q: %w", id, err)
	}
	d := r.devices[i]
	r.devices = slices.Delete(r.devices, i, i+1)
	return d, nil
}

func (r *registry) list() []Device {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.devices)
}

func (r *registry) has(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.ContainsFunc(r.devices, func(d Device) bool { return d.ID == id })
}
