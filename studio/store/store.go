// Package store keeps StudioDesk's durable state in one bbolt file: JSON
// documents (scripts, presets, devices, settings, anchors, interactions), the
// hash-chained show log that serves as the evidence record of a broadcast, and
// the outbox that makes platform commands exactly-once across crashes.
//
// Every write is one bbolt transaction and is on disk (fsync) when the call
// returns; NoSync is never set.
package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// FileName is the database file inside the data directory.
const FileName = "desk.db"

// EnvDataDir overrides the default data directory (a --data flag beats it).
const EnvDataDir = "STUDIODESK_DATA"

// Top-level buckets owned by the store itself; document buckets may not use
// these names.
const (
	metaBucket   = "meta"
	logBucket    = "log"
	outboxBucket = "outbox"
	schemaKey    = "schema"
)

// Sentinel errors callers branch on. Returned errors wrap them with the place
// (path, bucket, key, show, seq) so errors.Is works and messages stay useful.
var (
	// ErrLocked: another process (or another Store in this one) has desk.db open.
	ErrLocked = errors.New("database in use")
	// ErrNewerSchema: the file was written by a newer StudioDesk; it is left untouched.
	ErrNewerSchema = errors.New("database schema is newer than this build")
	// ErrCorrupt: a stored value does not decode.
	ErrCorrupt = errors.New("corrupt value")
	// ErrInvalidName: an empty or reserved bucket, key, show or kind name.
	ErrInvalidName = errors.New("invalid name")
	// ErrUnknownShow: no log exists for the show id.
	ErrUnknownShow = errors.New("unknown show")
	// ErrTampered: the show log's hash chain is broken; see *ChainError.
	ErrTampered = errors.New("show log chain broken")
	// ErrDuplicateKey: an outbox item with this idempotency key already exists.
	ErrDuplicateKey = errors.New("duplicate idempotency key")
	// ErrNotFound: no outbox item with this key.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyDone: the outbox item was acknowledged already; do not send it again.
	ErrAlreadyDone = errors.New("outbox item already done")
)

// LockedError reports that desk.db is held by another opener. It matches
// ErrLocked with errors.Is.
type LockedError struct {
	Path string
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("desk.db at %s is in use by another StudioDesk (close it first)", e.Path)
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// Options tune Open. The zero value is usable.
type Options struct {
	// Timeout bounds the wait for the file lock; 0 means 1s. A second
	// instance must fail fast, never hang.
	Timeout time.Duration
	// Now is the clock for record and outbox times; nil means time.Now.
	// The desk passes its show clock, so a record's "time" is show time.
	Now func() time.Time
	// Wall, if set, adds the wall-clock time to every record as "wall"
	// (accelerated rehearsals, where show time runs faster than the wall).
	Wall func() time.Time
}

// Store is the open database. Its methods are safe for concurrent use.
type Store struct {
	db   *bolt.DB
	path string
	now  func() time.Time
	wall func() time.Time
	// readOnly stores refuse writes (OpenReadOnly).
	readOnly bool
	// damaged is set once bbolt panicked on a damaged page; from then on
	// the store refuses writes and Close does not wait on bbolt's locks.
	damaged atomic.Pointer[DamagedError]
	// onCommit runs after every committed write (mirror_standby.go).
	onCommit atomic.Pointer[func()]

	closeOnce sync.Once
	closeErr  error
}

// DefaultDir is os.UserConfigDir()/studiodesk.
func DefaultDir() (string, error) {
	cfg, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("store: default data dir: %w", err)
	}
	return filepath.Join(cfg, "studiodesk"), nil
}

// ResolveDir picks the data directory: the --data flag value if set, else
// $STUDIODESK_DATA if set, else DefaultDir. Overrides are made absolute so
// error messages name the real place.
func ResolveDir(flagValue string) (string, error) {
	dir := flagValue
	if dir == "" {
		dir = os.Getenv(EnvDataDir)
	}
	if dir == "" {
		return DefaultDir()
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("store: data dir %q: %w", dir, err)
	}
	return abs, nil
}

// Open opens or creates dir/desk.db (creating dir as needed), then brings the
// schema up to date. It fails with ErrLocked if another opener holds the
// file, and with ErrNewerSchema, without writing, if a newer build wrote it.
//
// An existing file is checked before bbolt maps it (see checkFile): a
// damaged, truncated or empty file, or a directory in its place, is
// refused with a *DamagedError naming it, and nothing is written to it. A
// read-only file is refused with a message pointing at the read-only tools.
// No input makes Open panic.
func Open(dir string, opt Options) (*Store, error) {
	if opt.Timeout <= 0 {
		opt.Timeout = time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: create data dir %s: %w", dir, err)
	}
	path := filepath.Join(dir, FileName)
	fi, err := os.Stat(path)
	fresh := errors.Is(err, os.ErrNotExist)
	switch {
	case fresh:
	case err != nil:
		return nil, fmt.Errorf("store: %s: %w", path, err)
	case fi.IsDir():
		return nil, &DamagedError{Path: path, Reason: "it is a directory, not a database file"}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		if isReadOnlyErr(err) {
			return nil, fmt.Errorf("store: %s is read-only (%v); the desk must write its show log there. Copy it to a writable folder, or read it with `studiodesk verify`/`export`/`report` (文件只读，桌面无法写入): %w", path, err, ErrStorage)
		}
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	locked, lerr := lockFile(f, true, opt.Timeout)
	if lerr != nil {
		_ = f.Close()
		return nil, fmt.Errorf("store: lock %s: %w", path, lerr)
	}
	if !locked {
		_ = f.Close()
		return nil, &LockedError{Path: path}
	}
	if !fresh {
		if err := safeCheck(f, path); err != nil {
			_ = f.Close()
			return nil, err
		}
	}
	db, err := safeOpen(path, f, &bolt.Options{Timeout: opt.Timeout})
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	s := &Store{db: db, path: path, now: opt.Now, wall: opt.Wall}
	if err := s.migrate(); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

// OpenReadOnly opens an existing database file for reading only: the file
// is opened O_RDONLY and never written, so it works on write-protected
// copies and read-only media (without a lock where the medium has none).
// The same open-time check as Open runs first; a damaged file is refused
// with a *DamagedError, and Salvage reads what it can of its logs.
func OpenReadOnly(path string, opt Options) (*Store, error) {
	if opt.Timeout <= 0 {
		opt.Timeout = time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if fi.IsDir() {
		return nil, &DamagedError{Path: path, Reason: "it is a directory, not a database file"}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	// A reader needs no lock on read-only media; it only must not read
	// while a desk writes, which the shared lock prevents where it exists.
	if locked, lerr := lockFile(f, false, opt.Timeout); lerr == nil && !locked {
		_ = f.Close()
		return nil, &LockedError{Path: path}
	}
	if err := safeCheck(f, path); err != nil {
		_ = f.Close()
		return nil, err
	}
	db, err := safeOpen(path, f, &bolt.Options{Timeout: opt.Timeout, ReadOnly: true})
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	s := &Store{db: db, path: path, now: opt.Now, readOnly: true}
	var stored int
	if err := s.view(func(tx *bolt.Tx) error {
		var err error
		stored, err = readSchema(tx)
		return err
	}); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: %s: %w", path, err)
	}
	if stored > SchemaVersion() {
		_ = db.Close()
		return nil, fmt.Errorf("store: %s: schema %d, this build knows up to %d (update StudioDesk): %w",
			path, stored, SchemaVersion(), ErrNewerSchema)
	}
	return s, nil
}

// safeCheck runs the open-time check, turning any failure (or panic) into
// a *DamagedError.
func safeCheck(f *os.File, path string) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = &DamagedError{Path: path, Reason: fmt.Sprint(r)}
		}
	}()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("store: %s: %w", path, err)
	}
	r, unmap := mapFile(f, fi.Size())
	defer unmap()
	if err := checkPages(r, fi.Size()); err != nil {
		return &DamagedError{Path: path, Reason: err.Error()}
	}
	return nil
}

// safeOpen is bolt.Open on the already opened and locked file, with any
// panic contained.
func safeOpen(path string, f *os.File, o *bolt.Options) (db *bolt.DB, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, &DamagedError{Path: path, Reason: fmt.Sprint(r)}
		}
	}()
	o.OpenFile = func(string, int, os.FileMode) (*os.File, error) { return f, nil }
	db, err = bolt.Open(path, 0o600, o)
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, &LockedError{Path: path}
	}
	if errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrChecksum) || errors.Is(err, berrors.ErrVersionMismatch) {
		return nil, &DamagedError{Path: path, Reason: err.Error()}
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return db, nil
}

// Path is the database file's path.
func (s *Store) Path() string { return s.path }

// Close releases the file and its lock. Calling it again is harmless.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		done := make(chan error, 1)
		go func() { done <- s.db.Close() }()
		var err error
		if s.damaged.Load() != nil {
			// A panic inside bbolt may have left a lock held: do not hang.
			select {
			case err = <-done:
			case <-time.After(2 * time.Second):
				err = s.damaged.Load()
			}
		} else {
			err = <-done
		}
		if err != nil {
			s.closeErr = fmt.Errorf("store: close %s: %w", s.path, err)
		}
	})
	return s.closeErr
}

// migrations[v] upgrades a database from schema v to v+1; the schema this
// build writes is len(migrations). Entry 0 stays nil: a file without a schema
// is initialised, not migrated. To change the layout, append a function.
var migrations = []func(tx *bolt.Tx) error{
	0: nil,
}

// SchemaVersion is the schema this build reads and writes.
func SchemaVersion() int { return len(migrations) }

// setMigrations swaps the migration list (tests only) and returns a restore func.
func setMigrations(m []func(tx *bolt.Tx) error) (restore func()) {
	old := migrations
	migrations = m
	return func() { migrations = old }
}

// migrate initialises a fresh file or runs the pending migrations, all in
// one transaction so a failed step leaves the file as it was.
func (s *Store) migrate() error {
	current := SchemaVersion()
	var stored int
	err := s.view(func(tx *bolt.Tx) error {
		var err error
		stored, err = readSchema(tx)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: %s: %w", s.path, err)
	}
	if stored > current {
		return fmt.Errorf("store: %s: schema %d, this build knows up to %d (update StudioDesk): %w",
			s.path, stored, current, ErrNewerSchema)
	}
	if stored == current {
		// Writers create missing buckets themselves, so nothing to do here.
		return nil
	}
	err = s.update(func(tx *bolt.Tx) error {
		if stored > 0 {
			for v := stored; v < current; v++ {
				if migrations[v] == nil {
					return fmt.Errorf("no migration from schema %d to %d", v, v+1)
				}
				if err := migrations[v](tx); err != nil {
					return fmt.Errorf("migrate schema %d to %d: %w", v, v+1, err)
				}
			}
		}
		if err := ensureBuckets(tx); err != nil {
			return err
		}
		return tx.Bucket([]byte(metaBucket)).Put([]byte(schemaKey), []byte(strconv.Itoa(current)))
	})
	if err != nil {
		return fmt.Errorf("store: %s: %w", s.path, err)
	}
	return nil
}

// readSchema returns 0 when the file has no schema yet.
func readSchema(tx *bolt.Tx) (int, error) {
	meta := tx.Bucket([]byte(metaBucket))
	if meta == nil {
		return 0, nil
	}
	raw := meta.Get([]byte(schemaKey))
	if raw == nil {
		return 0, nil
	}
	v, err := strconv.Atoi(string(raw))
	if err != nil || v < 1 {
		return 0, fmt.Errorf("bucket %q key %q: schema %q is not a positive integer: %w",
			metaBucket, schemaKey, raw, ErrCorrupt)
	}
	return v, nil
}

func ensureBuckets(tx *bolt.Tx) error {
	for _, name := range []string{metaBucket, logBucket, outboxBucket} {
		if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
			return fmt.Errorf("create bucket %q: %w", name, err)
		}
	}
	return nil
}
