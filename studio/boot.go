package studio

import (
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"studiodesk/studio/store"
)

// BootOptions say how to open the desk's durable side.
type BootOptions struct {
	// Dir is the data directory (already resolved).
	Dir string
	// Speed > 1 is an accelerated rehearsal: show time runs Speed× the
	// wall clock and records carry both times, named.
	Speed float64
	// Timeout bounds the wait for desk.db's lock.
	Timeout time.Duration
	// KeepBackups bounds the hot copies kept (0: store default).
	KeepBackups int
	// Logf reports background failures (backups); nil: discard.
	Logf func(format string, args ...any)
}

// Boot is the desk's durable side as the app, the headless server and the
// crash test all build it: the show clock, the store stamped with it, the
// signing key, the signed journal and the backup hook.
type Boot struct {
	Clock   *ScaledClock
	Store   *store.Store
	Key     *store.Key
	Journal *StoreJournal
	Speed   float64
	opts    BootOptions
	wg      sync.WaitGroup
	mu      sync.Mutex
	// busy while a copy runs; pending is the next reason asked meanwhile
	// (only the latest is kept: one more copy covers all of them).
	busy    bool
	pending string
}

// OpenBoot opens the store in o.Dir (see store.Open for the errors: a
// damaged file is a *store.DamagedError, nothing written) and the signing
// key beside it.
func OpenBoot(o BootOptions) (*Boot, error) {
	if o.Speed <= 0 {
		o.Speed = 1
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	clk := NewShowClock(o.Speed)
	so := store.Options{Timeout: o.Timeout, Now: clk.Now}
	if o.Speed != 1 {
		so.Wall = clk.Wall
	}
	st, err := store.Open(o.Dir, so)
	if err != nil {
		return nil, err
	}
	key, err := store.LoadOrCreateKey(o.Dir)
	if err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("%w (the desk signs its show log with it; restore it from a backup or move it away to make a new one)", err)
	}
	return &Boot{Clock: clk, Store: st, Key: key, Journal: NewSignedJournal(st, key), Speed: o.Speed, opts: o}, nil
}

// Config is the desk configuration for this boot: its clock, journal,
// housekeeping (step checks, minute checkpoints) and backups. The caller
// adds devices, presets, danmaku and interactions.
func (b *Boot) Config(rehearsal bool) Config {
	return Config{
		Clock:        b.Clock,
		Journal:      b.Journal,
		Rehearsal:    rehearsal,
		Housekeeping: time.Second,
		Backup:       b.BackupAsync,
	}
}

// BackupAsync takes a hot copy in the background, one at a time: a copy
// asked for while one runs is taken right after it (the latest reason).
func (b *Boot) BackupAsync(reason string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.busy {
		b.pending = reason
		return
	}
	b.busy = true
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for {
			if _, err := b.Store.Backup(reason, b.opts.KeepBackups); err != nil {
				b.opts.Logf("studiodesk: backup (%s): %v", reason, err)
			}
			b.mu.Lock()
			if b.pending == "" {
				b.busy = false
				b.mu.Unlock()
				return
			}
			reason, b.pending = b.pending, ""
			b.mu.Unlock()
		}
	}()
}

// Close waits for a backup in progress, then closes the store.
func (b *Boot) Close() error {
	b.wg.Wait()
	return b.Store.Close()
}

// DataDir is the data directory.
func (b *Boot) DataDir() string { return filepath.Dir(b.Store.Path()) }
