package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"studiodesk/studio"
	"studiodesk/studio/store"
)

// The library part keeps the desk's presets, device templates, shows and
// word lists in step with the fleet: the agency's shared library (bucket
// sd_lib, read-only for a studio) and the studio's own copies (bucket
// sd_s_<id>, keys <kind>.<id>, read-write for every desk of the studio).
//
// The desk's bbolt copy is the truth the desk works on, online or not.
// Per item the part records the value, the studio-bucket revision it was
// last synced at, a dirty flag, when and on which desk it was last edited
// (bucket LibraryStoreBucket). On (re)connect it reads both buckets in full
// and pushes every dirty item with a revision check (kv.Create for a new
// key, kv.Update with the synced revision otherwise). A remote change to an
// item that is not dirty here is applied here; when both sides changed the
// same item, neither edit is lost: the earlier edit stays the item and the
// later one becomes a conflict copy (key <kind>.<id>~conflict~<desk>~<rev>,
// escaped; a local item named "… (conflict copy, <desk>)") for the producer
// to resolve (ResolveKeepCopy, ResolveKeepItem, ResolveKeepBoth).
//
// Roles (docs/fleet-library.md, "Under the standby's roles"): while the
// desk is a read-only follower of its studio's primary (the desk's
// Following), the part pauses: no scan, no push, no session. The store's
// library kinds then hold the primary's state, which the standby part
// mirrors into it — never this desk's edits — and the primary's own
// library part applies the fleet's changes before they are mirrored. When
// the desk becomes primary the part resumes: its first scan and session
// reconcile the store with the bucket (equal values merge; a differing
// value is kept as a conflict copy, never lost). A producer desk
// (--fleet-producer) is never a follower and syncs like any desk.

// LibraryPart is the part's registered name.
const LibraryPart = "library"

// LibraryStoreBucket is the desk-side record of every synced item.
const LibraryStoreBucket = "fleetlib"

// Item kinds (the first token of a library key).
const (
	KindPreset = "preset"
	KindDevice = "device"
	KindShow   = "show"
	KindWords  = "words"
)

// SyncState is what the producer view shows per item.
type SyncState string

// Sync states.
const (
	// StateShared: taken from the shared library and unchanged.
	StateShared SyncState = "shared"
	// StateStudio: the studio's own item (not from the library), in step
	// with the studio's other desks.
	StateStudio SyncState = "studio"
	// StateLocal: only on this desk, not yet in the fleet (made offline,
	// or refused: see ItemView.Err).
	StateLocal SyncState = "local"
	// StateChanged: edited here since the last sync, or differing from
	// the library item it was taken from.
	StateChanged SyncState = "changed"
	// StateConflict: a conflict copy, or an item that has one.
	StateConflict SyncState = "conflict"
)

// LinkState is the fleet status light.
type LinkState string

// Link states.
const (
	LinkOffline   LinkState = "offline"
	LinkSyncing   LinkState = "syncing"
	LinkConnected LinkState = "connected"
)

// Resolution is the producer's answer to a conflict copy.
type Resolution int

// Resolutions of a conflict copy.
const (
	// ResolveKeepItem keeps the item as it is and drops the copy.
	ResolveKeepItem Resolution = iota + 1
	// ResolveKeepCopy makes the copy's edit the item and drops the copy.
	ResolveKeepCopy
	// ResolveKeepBoth turns the copy into an item of its own.
	ResolveKeepBoth
)

// ErrFollowing: the desk is a read-only follower of its studio's primary;
// the library is paused until it takes over.
var ErrFollowing = errors.New("this desk follows the studio's primary (read-only): the library is paused until it takes over / 本机为备机（只读跟随主机）：素材库同步暂停，接管后恢复")

// ErrLibraryDenied: these credentials may not write the shared library
// (a studio's; the agency's may).
var ErrLibraryDenied = errors.New("not allowed to write the shared library")

// conflictMark separates an item's id from its conflict copy's suffix.
const conflictMark = "~conflict~"

// Item is one library item as the desk records it.
type Item struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	// Value is the item's JSON (a studio.Preset, devices.Config,
	// scripts.Show or word list); nil when Deleted.
	Value   json.RawMessage `json:"value,omitempty"`
	Deleted bool            `json:"deleted,omitempty"`
	// Rev is the studio-bucket revision the item was last synced at (0:
	// never in the fleet).
	Rev uint64 `json:"rev,omitempty"`
	// Dirty: edited here since Rev.
	Dirty    bool      `json:"dirty,omitempty"`
	EditedAt time.Time `json:"edited_at"`
	EditedBy string    `json:"edited_by,omitempty"`
	// LibRev is the shared-library revision the item was taken from.
	LibRev uint64 `json:"lib_rev,omitempty"`
	// ConflictOf is set on a conflict copy: the key of the item it is a
	// copy of.
	ConflictOf string `json:"conflict_of,omitempty"`
	// Err is the last push or publish failure; ApplyErr why the value
	// could not be applied to the live desk (it is still kept here).
	Err      string `json:"err,omitempty"`
	ApplyErr string `json:"apply_err,omitempty"`
}

// Key is the item's key in the buckets.
func (it *Item) Key() string { return ItemKey(it.Kind, it.ID) }

// wire is an item's value in a bucket.
type wire struct {
	Kind       string          `json:"kind"`
	ID         string          `json:"id"`
	Value      json.RawMessage `json:"value"`
	EditedAt   time.Time       `json:"edited_at"`
	Desk       string          `json:"desk"`
	LibRev     uint64          `json:"lib_rev,omitempty"`
	ConflictOf string          `json:"conflict_of,omitempty"`
}

// libEntry is the desk's copy of one shared-library item.
type libEntry struct {
	Value    json.RawMessage `json:"value"`
	Rev      uint64          `json:"rev"`
	Desk     string          `json:"desk,omitempty"`
	EditedAt time.Time       `json:"edited_at"`
}

// ItemKey is the bucket key of an item: <kind>.<id> with the id escaped
// to the characters a key may hold (bytes outside [A-Za-z0-9_-] as =XX).
func ItemKey(kind, id string) string { return kind + "." + keyToken(id) }

// ParseItemKey reverses ItemKey.
func ParseItemKey(key string) (kind, id string, err error) {
	kind, tok, ok := strings.Cut(key, ".")
	if !ok || kind == "" || tok == "" {
		return "", "", fmt.Errorf("library key %q: want <kind>.<id>", key)
	}
	id, err = keyUntoken(tok)
	if err != nil {
		return "", "", fmt.Errorf("library key %q: %w", key, err)
	}
	return kind, id, nil
}

func keyToken(s string) string {
	const hex = "0123456789ABCDEF"
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
			out = append(out, c)
		default:
			out = append(out, '=', hex[c>>4], hex[c&15])
		}
	}
	return string(out)
}

func keyUntoken(t string) (string, error) {
	out := make([]byte, 0, len(t))
	for i := 0; i < len(t); i++ {
		if t[i] != '=' {
			out = append(out, t[i])
			continue
		}
		if i+2 >= len(t) {
			return "", fmt.Errorf("cut escape at %d", i)
		}
		v, err := strconv.ParseUint(t[i+1:i+3], 16, 8)
		if err != nil {
			return "", fmt.Errorf("bad escape at %d", i)
		}
		out = append(out, byte(v))
		i += 2
	}
	return string(out), nil
}

// ConflictID is the local id of the conflict copy of item id holding the
// edit of desk, made when the bucket stood at rev.
func ConflictID(id, desk string, rev uint64) string {
	suffix := conflictMark + desk + "~" + strconv.FormatUint(rev, 10)
	if max := studio.MaxPresetIDLen - len(suffix); len(id) > max && max > 0 {
		id = id[:max]
	}
	return id + suffix
}

// ItemView is one row of the producer view.
type ItemView struct {
	Key, Kind, ID, Name string
	State               SyncState
	// Pending: edited here and not yet in the fleet (offline, or refused:
	// see Err).
	Pending    bool
	EditedAt   time.Time
	EditedBy   string
	ConflictOf string // key of the item this is a conflict copy of
	Err        string
	LibNewer   bool // the library has a different version
}

// Library is the running library part of a desk.
type Library struct {
	l     *Link
	st    *store.Store
	desk  *studio.Desk
	self  string
	kinds map[string]kind
	now   func() time.Time

	mu       sync.Mutex
	items    map[string]*Item
	lib      map[string]*libEntry
	link     LinkState
	lastErr  string
	watchers []func()
	words    func(id string, words []string)

	kick   chan struct{}
	calls  chan func()
	done   chan struct{}
	cancel context.CancelFunc

	// connected-session state, owned by the loop
	sess *session
	// live: items the scans saw on the desk since the part started (owned
	// by the loop). Only those can be deleted by the desk; one missing
	// from the start is restored from the record instead (a document
	// that did not load, a change made without the fleet), never deleted
	// fleet-wide.
	live map[string]bool
}

type session struct {
	ctx       context.Context
	cancel    context.CancelFunc
	studio    jetstream.KeyValue
	library   jetstream.KeyValue
	updates   chan jetstream.KeyValueEntry
	libUpd    chan jetstream.KeyValueEntry
	ready     bool // both initial sets read
	initDone  [2]bool
	seen      map[string]bool
	reconnect uint64
}

func init() {
	Register(Part{Name: LibraryPart, Start: startLibrary})
}

func startLibrary(ctx context.Context, l *Link) (Running, error) {
	if l.Desk.Store == nil {
		return nil, errors.New("library: no store")
	}
	lib := newLibrary(l)
	if err := lib.load(); err != nil {
		return nil, err
	}
	lctx, cancel := context.WithCancel(ctx)
	lib.cancel = cancel
	go lib.run(lctx)
	return lib, nil
}

func newLibrary(l *Link) *Library {
	lib := &Library{
		l: l, st: l.Desk.Store, desk: l.Desk.Desk, now: time.Now,
		items: map[string]*Item{}, lib: map[string]*libEntry{}, link: LinkOffline, live: map[string]bool{},
		kick: make(chan struct{}, 1), calls: make(chan func()), done: make(chan struct{}),
	}
	lib.self = l.Config.Name
	if lib.self == "" && l.Desk.Boot != nil && l.Desk.Boot.Key != nil {
		fp := strings.ReplaceAll(l.Desk.Boot.Key.Fingerprint(), " ", "")
		lib.self = "desk-" + fp[:min(8, len(fp))]
	}
	if lib.self == "" {
		h, _ := os.Hostname()
		lib.self = "desk-" + keyToken(h)
	}
	lib.kinds = libraryKinds(lib)
	return lib
}

// OnWords sets f to run (on the part's goroutine) when a word list from
// the fleet is saved on this desk (words nil: the list was removed), so
// the composition root can hand it to the danmaku filter.
func (lib *Library) OnWords(f func(id string, words []string)) {
	lib.mu.Lock()
	lib.words = f
	lib.mu.Unlock()
}

func (lib *Library) onWords(id string, words []string) {
	lib.mu.Lock()
	f := lib.words
	lib.mu.Unlock()
	if f != nil {
		f(id, words)
	}
}

// Self is the name this desk signs its edits with.
func (lib *Library) Self() string { return lib.self }

// LibraryOf returns the running library part of l (nil without one).
func LibraryOf(l *Link) *Library {
	lib, _ := l.Part(LibraryPart).(*Library)
	return lib
}

// load reads the desk's record. A damaged record document is named in
// the log and left out (its item is then found on the desk again as new,
// and a push meeting the bucket's version merges or keeps both); only a
// store that cannot be read at all is an error.
func (lib *Library) load() error {
	keys, err := lib.st.Keys(LibraryStoreBucket)
	if err != nil {
		return fmt.Errorf("library: record: %w", err)
	}
	for _, key := range keys {
		var err error
		switch {
		case strings.HasPrefix(key, "s/"):
			var it Item
			if _, err = lib.st.Get(LibraryStoreBucket, key, &it); err == nil {
				lib.items[key[2:]] = &it
			}
		case strings.HasPrefix(key, "l/"):
			var e libEntry
			if _, err = lib.st.Get(LibraryStoreBucket, key, &e); err == nil {
				lib.lib[key[2:]] = &e
			}
		}
		if err != nil {
			lib.l.Logf("fleet: library: record %q: %v (left out)", key, err)
		}
	}
	return nil
}

// Close stops the part (what is not yet pushed stays dirty in the store).
func (lib *Library) Close() error {
	lib.cancel()
	<-lib.done
	return nil
}

// OnChange registers f to run (on the part's goroutine; it must not
// block) whenever an item or the link state changes.
func (lib *Library) OnChange(f func()) {
	lib.mu.Lock()
	lib.watchers = append(lib.watchers, f)
	lib.mu.Unlock()
}

func (lib *Library) changed() {
	lib.mu.Lock()
	ws := slices.Clone(lib.watchers)
	lib.mu.Unlock()
	for _, f := range ws {
		f()
	}
}

// Link is the status light.
func (lib *Library) Link() (LinkState, string) {
	lib.mu.Lock()
	defer lib.mu.Unlock()
	return lib.link, lib.lastErr
}

// Get returns a copy of the item at key.
func (lib *Library) Get(key string) (Item, bool) {
	lib.mu.Lock()
	defer lib.mu.Unlock()
	it, ok := lib.items[key]
	if !ok {
		return Item{}, false
	}
	return *it, true
}

// Items lists the items (not deleted) for the producer view, by kind and
// key, each with its sync state.
func (lib *Library) Items() []ItemView {
	lib.mu.Lock()
	defer lib.mu.Unlock()
	hasCopy := map[string]bool{}
	for _, it := range lib.items {
		if it.ConflictOf != "" && !it.Deleted {
			hasCopy[it.ConflictOf] = true
		}
	}
	var out []ItemView
	for key, it := range lib.items {
		if it.Deleted {
			continue
		}
		v := ItemView{Key: key, Kind: it.Kind, ID: it.ID, Name: it.ID, Pending: it.Dirty, EditedAt: it.EditedAt, EditedBy: it.EditedBy, ConflictOf: it.ConflictOf, Err: it.Err}
		if k, ok := lib.kinds[it.Kind]; ok {
			if n := k.name(it.Value); n != "" {
				v.Name = n
			}
		}
		le := lib.lib[key]
		switch {
		case it.ConflictOf != "" || hasCopy[key]:
			v.State = StateConflict
		case le != nil && it.LibRev > 0:
			if sameJSON(le.Value, it.Value) {
				v.State = StateShared
			} else {
				v.State, v.LibNewer = StateChanged, le.Rev > it.LibRev
			}
		case it.Rev == 0:
			v.State = StateLocal
		case it.Dirty:
			v.State = StateChanged
		default:
			v.State = StateStudio
		}
		if it.ApplyErr != "" && v.Err == "" {
			v.Err = it.ApplyErr
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Key < out[j].Key
	})
	return out
}

// do runs f on the part's goroutine and waits for it.
func (lib *Library) do(ctx context.Context, f func() error) error {
	if err := lib.followErr(); err != nil {
		return err
	}
	res := make(chan error, 1)
	select {
	case lib.calls <- func() { res <- f() }:
	case <-lib.done:
		return errors.New("library: closed")
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-res:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Sync scans the desk for local edits and, when connected, pushes them;
// it returns once done (the loop also does this on its own).
func (lib *Library) Sync(ctx context.Context) error {
	return lib.do(ctx, func() error {
		lib.scan()
		lib.pushAll()
		return nil
	})
}

// Resolve answers the conflict copy at key (see Resolution). The answer
// is applied here at once and synced like any edit.
func (lib *Library) Resolve(ctx context.Context, key string, r Resolution) error {
	return lib.do(ctx, func() error { return lib.resolve(key, r) })
}

// Publish writes the item at key to the shared library (agency
// credentials needed). A refusal is returned and recorded on the item,
// which stays as it is here and in the studio's bucket.
func (lib *Library) Publish(ctx context.Context, key string) error {
	return lib.do(ctx, func() error { return lib.publish(ctx, key) })
}

func (lib *Library) run(ctx context.Context) {
	defer close(lib.done)
	var events <-chan studio.Event
	if lib.desk != nil {
		sub := lib.desk.Subscribe(16)
		defer sub.Close()
		events = sub.C()
	}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	scanEvery := time.NewTicker(time.Second)
	defer scanEvery.Stop()
	lib.scan()
	defer lib.endSession()
	for {
		var upd, libUpd chan jetstream.KeyValueEntry
		if s := lib.sess; s != nil {
			upd, libUpd = s.updates, s.libUpd
		}
		select {
		case <-ctx.Done():
			return
		case f := <-lib.calls:
			f()
		case ev := <-events:
			if ev.Kind == studio.EventSnapshot && !lib.following() {
				lib.scanPresets()
				lib.pushAll()
			}
		case <-lib.kick:
			lib.pushAll()
		case <-scanEvery.C:
			lib.scan()
			lib.pushAll()
		case <-tick.C:
			lib.checkLink(ctx)
		case e, ok := <-upd:
			if !ok {
				lib.endSession()
				continue
			}
			lib.remote(e)
		case e, ok := <-libUpd:
			if !ok {
				lib.endSession()
				continue
			}
			lib.remoteLib(e)
		}
	}
}

func (lib *Library) setLink(s LinkState, errText string) {
	lib.mu.Lock()
	ch := lib.link != s || lib.lastErr != errText
	lib.link, lib.lastErr = s, errText
	lib.mu.Unlock()
	if ch {
		lib.changed()
	}
}

// checkLink starts a session when the connection is up (and restarts it
// after a reconnect: the full read is the reconciliation), ends it when
// the connection is down.
func (lib *Library) checkLink(ctx context.Context) {
	if lib.following() {
		// Paused: the primary syncs; its state comes through the standby.
		lib.endSession()
		lib.setLink(LinkSyncing, ErrFollowing.Error())
		return
	}
	if !lib.l.Connected() {
		if lib.sess != nil {
			lib.endSession()
		}
		lib.setLink(LinkOffline, "")
		return
	}
	rc := lib.l.Conn.Stats().Reconnects
	if lib.sess != nil && lib.sess.reconnect != rc {
		lib.endSession()
	}
	if lib.sess == nil {
		if err := lib.startSession(ctx, rc); err != nil {
			lib.setLink(LinkSyncing, err.Error())
			return
		}
	}
	if lib.sess.ready {
		lib.setLink(LinkConnected, "")
	} else {
		lib.setLink(LinkSyncing, "")
	}
}

func (lib *Library) kinds4Watch() []string {
	var fs []string
	for k := range lib.kinds {
		fs = append(fs, k+".>")
	}
	sort.Strings(fs)
	return fs
}

func (lib *Library) startSession(ctx context.Context, rc uint64) error {
	sctx, cancel := context.WithCancel(ctx)
	s := &session{ctx: sctx, cancel: cancel, seen: map[string]bool{}, reconnect: rc}
	octx, ocancel := context.WithTimeout(sctx, 3*time.Second)
	defer ocancel()
	var err error
	if s.studio, err = lib.l.JS.KeyValue(octx, lib.l.Studio.Bucket()); err != nil {
		cancel()
		return fmt.Errorf("studio bucket %s: %w", lib.l.Studio.Bucket(), err)
	}
	if s.library, err = lib.l.JS.KeyValue(octx, LibraryBucket); err != nil {
		cancel()
		return fmt.Errorf("library bucket %s: %w", LibraryBucket, err)
	}
	if err := lib.checkReset(octx, s.studio, true); err != nil {
		cancel()
		return err
	}
	if err := lib.checkReset(octx, s.library, false); err != nil {
		cancel()
		return err
	}
	w, err := s.studio.WatchFiltered(sctx, lib.kinds4Watch())
	if err != nil {
		cancel()
		return fmt.Errorf("watch %s: %w", lib.l.Studio.Bucket(), err)
	}
	lw, err := s.library.WatchAll(sctx)
	if err != nil {
		_ = w.Stop()
		cancel()
		return fmt.Errorf("watch %s: %w", LibraryBucket, err)
	}
	s.updates, s.libUpd = forward(sctx, w), forward(sctx, lw)
	lib.sess = s
	return nil
}

// checkReset notices a bucket younger than the desk's record — the hub
// lost its store, or the bucket was made anew: its creation time differs
// from the one recorded, or it has fewer messages than a revision the desk
// synced. Revisions then mean nothing: the studio's items go in again as
// new keys (meeting any other desk's copy as usual), and the library is
// read as new.
func (lib *Library) checkReset(ctx context.Context, kv jetstream.KeyValue, studioBucket bool) error {
	st, err := kv.Status(ctx)
	if err != nil {
		return fmt.Errorf("bucket %s: %w", kv.Bucket(), err)
	}
	bs, ok := st.(*jetstream.KeyValueBucketStatus)
	if !ok || bs.StreamInfo() == nil {
		return nil
	}
	created, last := bs.StreamInfo().Created, bs.StreamInfo().State.LastSeq
	mkey := "m/created/" + kv.Bucket()
	var rec time.Time
	if _, err := lib.st.Get(LibraryStoreBucket, mkey, &rec); err != nil {
		lib.l.Logf("fleet: library: record %q: %v", mkey, err)
	}
	reset := !rec.IsZero() && !rec.Equal(created)
	lib.mu.Lock()
	if studioBucket {
		for _, it := range lib.items {
			reset = reset || it.Rev > last
		}
	} else {
		for _, e := range lib.lib {
			reset = reset || e.Rev > last
		}
	}
	lib.mu.Unlock()
	if reset {
		lib.l.Logf("fleet: library: bucket %s is newer than this desk's record (made %s): syncing everything again", kv.Bucket(), created.Format(time.RFC3339))
		if studioBucket {
			lib.mu.Lock()
			var keys []string
			for key, it := range lib.items {
				if it.Rev > 0 {
					keys = append(keys, key)
				}
			}
			lib.mu.Unlock()
			for _, key := range keys {
				it := lib.item(key)
				it.Rev, it.Dirty = 0, true // not an edit: EditedAt stays
				lib.save(key, it)
			}
		} else {
			lib.mu.Lock()
			var keys []string
			for key := range lib.lib {
				keys = append(keys, key)
			}
			lib.mu.Unlock()
			for _, key := range keys {
				lib.mu.Lock()
				e := *lib.lib[key]
				lib.mu.Unlock()
				e.Rev = 0
				lib.saveLib(key, &e)
			}
		}
	}
	if !rec.Equal(created) {
		if err := lib.st.Put(LibraryStoreBucket, mkey, created); err != nil {
			lib.l.Logf("fleet: library: record %q: %v", mkey, err)
		}
	}
	return nil
}

// forward copies a watcher's entries to a channel that closes when the
// watcher ends; a nil entry marks the end of the initial values.
func forward(ctx context.Context, w jetstream.KeyWatcher) chan jetstream.KeyValueEntry {
	out := make(chan jetstream.KeyValueEntry, 64)
	go func() {
		defer close(out)
		defer func() { _ = w.Stop() }()
		for {
			select {
			case <-ctx.Done():
				return
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				select {
				case out <- e:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

func (lib *Library) endSession() {
	if lib.sess != nil {
		lib.sess.cancel()
		lib.sess = nil
	}
}

// save writes an item's record (nil it: remove it).
func (lib *Library) save(key string, it *Item) {
	lib.mu.Lock()
	if it == nil {
		delete(lib.items, key)
	} else {
		lib.items[key] = it
	}
	lib.mu.Unlock()
	var err error
	if it == nil {
		err = lib.st.Delete(LibraryStoreBucket, "s/"+key)
	} else {
		err = lib.st.Put(LibraryStoreBucket, "s/"+key, it)
	}
	if err != nil {
		lib.l.Logf("fleet: library: save %s: %v", key, err)
	}
	lib.changed()
}

func (lib *Library) saveLib(key string, e *libEntry) {
	lib.mu.Lock()
	if e == nil {
		delete(lib.lib, key)
	} else {
		lib.lib[key] = e
	}
	lib.mu.Unlock()
	var err error
	if e == nil {
		err = lib.st.Delete(LibraryStoreBucket, "l/"+key)
	} else {
		err = lib.st.Put(LibraryStoreBucket, "l/"+key, e)
	}
	if err != nil {
		lib.l.Logf("fleet: library: save library copy %s: %v", key, err)
	}
	lib.changed()
}

func (lib *Library) item(key string) *Item {
	lib.mu.Lock()
	defer lib.mu.Unlock()
	if it, ok := lib.items[key]; ok {
		c := *it
		return &c
	}
	return nil
}

// scan compares every kind's live values with the record and marks what
// the desk changed as dirty.
func (lib *Library) scan() {
	for _, name := range sortedKinds(lib.kinds) {
		lib.scanKind(name)
	}
}

func (lib *Library) scanPresets() { lib.scanKind(KindPreset) }

func (lib *Library) scanKind(name string) {
	if lib.following() {
		return
	}
	k := lib.kinds[name]
	live, complete, err := k.scan()
	if err != nil {
		lib.l.Logf("fleet: library: read %ss: %v", name, err)
		return
	}
	if lib.following() {
		// The desk became a follower while it was read: what was read may
		// be the primary's mirrored state, not an edit made here. (The
		// desk's follow flag is set before the standby writes a state.)
		return
	}
	now := lib.now()
	for id, v := range live {
		key := ItemKey(name, id)
		lib.live[key] = true
		it := lib.item(key)
		switch {
		case it == nil:
			it = &Item{Kind: name, ID: id, Value: v, Dirty: true, EditedAt: now, EditedBy: lib.self}
			if strings.Contains(id, conflictMark) {
				// a copy made here before it was pushed keeps its mark
				it.ConflictOf = ItemKey(name, id[:strings.Index(id, conflictMark)])
			}
		case it.Deleted || !sameJSON(it.Value, v):
			it.Value, it.Deleted, it.Dirty, it.EditedAt, it.EditedBy, it.ApplyErr = v, false, true, now, lib.self, ""
		default:
			continue
		}
		lib.save(key, it)
	}
	if !complete {
		return
	}
	lib.mu.Lock()
	var gone []string
	for key, it := range lib.items {
		if it.Kind != name || it.Deleted || it.ApplyErr != "" {
			continue
		}
		if _, ok := live[it.ID]; !ok {
			gone = append(gone, key)
		}
	}
	lib.mu.Unlock()
	for _, key := range gone {
		it := lib.item(key)
		if !lib.live[key] {
			// missing since the start: put it back rather than delete it
			lib.l.Logf("fleet: library: %s is in the library record but not on the desk: restored", key)
			if err := lib.applyLocal(it, nil); err == nil || !errors.Is(err, errChangedHere) {
				lib.live[key] = err == nil
				lib.save(key, it)
			}
			continue
		}
		if it.Rev == 0 && it.LibRev == 0 {
			lib.save(key, nil) // never left this desk
			continue
		}
		it.Value, it.Deleted, it.Dirty, it.EditedAt, it.EditedBy = nil, true, true, now, lib.self
		lib.save(key, it)
	}
}

// pushAll sends every dirty item when a session is ready.
func (lib *Library) pushAll() {
	s := lib.sess
	if s == nil || !s.ready || lib.following() {
		return
	}
	lib.mu.Lock()
	var keys []string
	for key, it := range lib.items {
		if it.Dirty {
			keys = append(keys, key)
		}
	}
	lib.mu.Unlock()
	sort.Strings(keys)
	for _, key := range keys {
		if err := lib.push(s, key); err != nil {
			if it := lib.item(key); it != nil && it.Err != err.Error() {
				it.Err = err.Error()
				lib.save(key, it)
			}
			lib.l.Logf("fleet: library: push %s: %v (kept here, retried)", key, err)
			if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrConnectionClosed) ||
				errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse) || !lib.l.Connected() {
				return // the hub is not answering: the rest waits for the next round
			}
		}
	}
}

func (lib *Library) wireOf(it *Item) []byte {
	b, _ := json.Marshal(wire{Kind: it.Kind, ID: it.ID, Value: it.Value, EditedAt: it.EditedAt, Desk: it.EditedBy, LibRev: it.LibRev, ConflictOf: it.ConflictOf})
	return b
}

// push sends one dirty item with a revision check and resolves a
// conflict without losing either edit.
func (lib *Library) push(s *session, key string) error {
	for attempt := 0; attempt < 8; attempt++ {
		it := lib.item(key)
		if it == nil || !it.Dirty {
			return nil
		}
		ctx, cancel := context.WithTimeout(s.ctx, 3*time.Second)
		var rev uint64
		var err error
		switch {
		case it.Deleted:
			err = s.studio.Delete(ctx, key, jetstream.LastRevision(it.Rev))
		case it.Rev == 0:
			rev, err = s.studio.Create(ctx, key, lib.wireOf(it))
		default:
			rev, err = s.studio.Update(ctx, key, lib.wireOf(it), it.Rev)
		}
		cancel()
		if err == nil {
			if it.Deleted {
				lib.save(key, nil)
				return nil
			}
			it.Rev, it.Dirty, it.Err = rev, false, ""
			lib.save(key, it)
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return err
		}
		// Someone else wrote the key since we last synced.
		ctx, cancel = context.WithTimeout(s.ctx, 3*time.Second)
		e, gerr := s.studio.Get(ctx, key)
		cancel()
		if errors.Is(gerr, jetstream.ErrKeyNotFound) {
			// Deleted there; an edit here beats a delete.
			if it.Deleted {
				lib.save(key, nil)
				return nil
			}
			it.Rev = 0
			lib.save(key, it)
			continue
		}
		if gerr != nil {
			return gerr
		}
		if e.Revision() <= it.Rev {
			if attempt < 3 {
				// a replica behind the leader answered: ask again
				time.Sleep(50 * time.Millisecond)
				continue
			}
			// still older than our record: the bucket was reset; start
			// over as a new key against what it holds now
			it.Rev = 0
			lib.save(key, it)
		}
		if err := lib.conflict(s, it, e); err != nil {
			return err
		}
	}
	return fmt.Errorf("library: %s: still contended after 8 attempts", key)
}

// conflict settles a dirty item against the newer entry e in the bucket.
// Nothing is lost: equal values merge; otherwise the earlier edit stays
// the item and the later one becomes a conflict copy.
func (lib *Library) conflict(s *session, it *Item, e jetstream.KeyValueEntry) error {
	key := it.Key()
	var rw wire
	if err := json.Unmarshal(e.Value(), &rw); err != nil {
		return fmt.Errorf("library: %s revision %d: %w", key, e.Revision(), err)
	}
	k := lib.kinds[it.Kind]
	if it.Deleted {
		// A delete here against an edit there: the edit wins.
		lib.adopt(it, e.Revision(), rw)
		return nil
	}
	if sameJSON(rw.Value, it.Value) {
		it.Rev, it.Dirty, it.Err = e.Revision(), false, ""
		if it.LibRev == 0 {
			it.LibRev = rw.LibRev
		}
		lib.save(key, it)
		return nil
	}
	if k == nil {
		return fmt.Errorf("library: %s: unknown kind", key)
	}
	lib.mu.Lock()
	le := lib.lib[key]
	lib.mu.Unlock()
	// Not an edit: a new desk's demo value, or the library's value this
	// desk took or followed (the studio's own version wins over those).
	if it.Rev == 0 && it.LibRev == 0 && k.seed(it.ID, it.Value) ||
		le != nil && it.EditedBy != lib.self && sameJSON(le.Value, it.Value) {
		lib.adopt(it, e.Revision(), rw)
		return nil
	}
	localEarlier := it.EditedAt.Before(rw.EditedAt) || (it.EditedAt.Equal(rw.EditedAt) && it.EditedBy < rw.Desk)
	of := it.ConflictOf
	if of == "" {
		of = key
	}
	_, baseID, _ := ParseItemKey(of)
	lib.l.Logf("fleet: library: %s edited on %s (%s) and on %s (%s) since revision %d: the earlier edit stays, the later is kept as a conflict copy",
		key, it.EditedBy, it.EditedAt.Format(time.RFC3339Nano), rw.Desk, rw.EditedAt.Format(time.RFC3339Nano), it.Rev)
	if localEarlier {
		// Theirs becomes the copy; ours stays the item.
		cid := ConflictID(baseID, rw.Desk, e.Revision())
		cv, err := k.conflictCopy(rw.Value, cid, rw.Desk)
		if err != nil {
			return err
		}
		c := &Item{Kind: it.Kind, ID: cid, Value: cv, Dirty: true, EditedAt: rw.EditedAt, EditedBy: rw.Desk, ConflictOf: of}
		_ = lib.applyLocal(c, nil)
		lib.save(c.Key(), c)
		it.Rev = e.Revision() // retry the update on top of theirs
		lib.save(key, it)
		return lib.pushCopy(s, c.Key())
	}
	// Ours becomes the copy; theirs stays the item.
	cid := ConflictID(baseID, it.EditedBy, e.Revision())
	cv, err := k.conflictCopy(it.Value, cid, it.EditedBy)
	if err != nil {
		return err
	}
	c := &Item{Kind: it.Kind, ID: cid, Value: cv, Dirty: true, EditedAt: it.EditedAt, EditedBy: it.EditedBy, ConflictOf: of}
	_ = lib.applyLocal(c, nil)
	lib.save(c.Key(), c)
	lib.adopt(it, e.Revision(), rw)
	return lib.pushCopy(s, c.Key())
}

// pushCopy sends a fresh conflict copy (its Create may meet the same copy
// made by another desk: equal values merge).
func (lib *Library) pushCopy(s *session, key string) error {
	return lib.push(s, key)
}

// adopt makes the bucket's value at rev the item here. If the desk
// changed the item an instant before (the apply's compare-and-set
// refuses), the record stays as it was, the desk's edit is picked up as
// dirty, and the push settles the two as a conflict. The desk is changed
// before the record: after a crash in between, the restart's scan sees
// the new value as an edit here, which the push then merges (equal
// values); the other order would push the old value back over it.
func (lib *Library) adopt(it *Item, rev uint64, rw wire) {
	key := it.Key()
	before := lib.item(key)
	var prev json.RawMessage
	if before != nil && !before.Deleted {
		prev = before.Value
	}
	it.Value, it.Deleted, it.Rev, it.Dirty, it.Err = rw.Value, false, rev, false, ""
	it.EditedAt, it.EditedBy, it.LibRev, it.ConflictOf = rw.EditedAt, rw.Desk, rw.LibRev, rw.ConflictOf
	if err := lib.applyLocal(it, prev); errors.Is(err, errChangedHere) {
		lib.l.Logf("fleet: library: %s: edited here while revision %d arrived: both kept", key, rev)
		lib.scanKind(it.Kind)
		lib.kickPush()
		return
	}
	lib.save(key, it)
}

// errChangedHere: the desk changed the item since the library last read
// it; a remote value was not applied over it.
var errChangedHere = errors.New("changed on this desk meanwhile")

// applyLocal puts an item's value (or its deletion) into the live desk,
// provided the desk still holds prev (nil: nothing) for it. A value the
// desk refuses (a preset naming a device this studio lacks) is noted in
// it.ApplyErr and kept in the record; the caller saves it.
func (lib *Library) applyLocal(it *Item, prev json.RawMessage) error {
	k := lib.kinds[it.Kind]
	if k == nil {
		return nil
	}
	var err error
	if it.Deleted {
		err = k.remove(it.ID, prev)
	} else {
		err = k.apply(it.ID, it.Value, prev)
	}
	if errors.Is(err, errChangedHere) {
		return err
	}
	it.ApplyErr = ""
	if err != nil {
		it.ApplyErr = err.Error()
		lib.l.Logf("fleet: library: apply %s: %v (kept in the library record)", it.Key(), err)
	}
	return err
}

// remote handles an entry of the studio bucket (nil: the initial values
// are all read).
func (lib *Library) remote(e jetstream.KeyValueEntry) {
	s := lib.sess
	if lib.following() {
		lib.endSession() // paused; the next session reads everything again
		return
	}
	if e == nil {
		s.initDone[0] = true
		lib.initialDone(s)
		return
	}
	key := e.Key()
	if !s.initDone[0] {
		s.seen[key] = true
	}
	kind, id, err := ParseItemKey(key)
	if err != nil || lib.kinds[kind] == nil {
		return
	}
	// See what the desk changed before anything is applied over it.
	lib.scanKind(kind)
	it := lib.item(key)
	if e.Operation() != jetstream.KeyValuePut {
		if it == nil || it.Dirty || it.Rev >= e.Revision() {
			return
		}
		lib.removeHere(it)
		return
	}
	var rw wire
	if err := json.Unmarshal(e.Value(), &rw); err != nil || rw.Kind != kind || rw.ID != id {
		lib.l.Logf("fleet: library: %s revision %d: not a library item (skipped)", key, e.Revision())
		return
	}
	if it != nil && (it.Rev >= e.Revision() || it.Dirty) {
		if it.Dirty && s.ready {
			lib.kickPush()
		}
		return
	}
	if it == nil {
		it = &Item{Kind: kind, ID: id}
	}
	lib.adopt(it, e.Revision(), rw)
}

// removeHere applies a remote deletion (an edit made here meanwhile wins
// and is pushed back).
func (lib *Library) removeHere(it *Item) {
	prev := it.Value
	d := *it
	d.Deleted, d.Value = true, nil
	if err := lib.applyLocal(&d, prev); errors.Is(err, errChangedHere) {
		lib.scanKind(it.Kind)
		lib.kickPush()
		return
	}
	lib.save(it.Key(), nil)
}

func (lib *Library) initialDone(s *session) {
	if !s.initDone[0] || !s.initDone[1] || s.ready {
		return
	}
	// Items synced before that the bucket has no trace of (a delete
	// leaves a marker, which the watcher delivers): the bucket is younger
	// than the record — the hub lost its store, or the bucket was made
	// anew. Nothing was deleted; the items go in again (and meet any other
	// desk's copy as usual: equal values merge, different ones are kept).
	lib.mu.Lock()
	var unknown []string
	for key, it := range lib.items {
		if it.Rev > 0 && !it.Dirty && !s.seen[key] {
			unknown = append(unknown, key)
		}
	}
	lib.mu.Unlock()
	if len(unknown) > 0 {
		lib.l.Logf("fleet: library: %s has no trace of %d items synced before (a new or reset bucket): pushing them again", lib.l.Studio.Bucket(), len(unknown))
	}
	for _, key := range unknown {
		it := lib.item(key)
		it.Rev, it.Dirty = 0, true
		lib.save(key, it)
	}
	s.ready = true
	lib.setLink(LinkConnected, "")
	lib.pushAll()
}

// following reports whether the desk is a read-only follower of its
// studio's primary now (see the comment at the top).
func (lib *Library) following() bool {
	if lib.desk == nil {
		return false
	}
	_, ok := lib.desk.Following()
	return ok
}

// followErr is ErrFollowing while the desk follows.
func (lib *Library) followErr() error {
	if lib.following() {
		return fmt.Errorf("library: %w", ErrFollowing)
	}
	return nil
}

func (lib *Library) kickPush() {
	select {
	case lib.kick <- struct{}{}:
	default:
	}
}

// remoteLib handles an entry of the shared library: the desk keeps a copy
// and takes the item (into the live desk and the studio's bucket) when it
// has none, or follows the library when its copy is unchanged.
func (lib *Library) remoteLib(e jetstream.KeyValueEntry) {
	if lib.following() {
		lib.endSession()
		return
	}
	s := lib.sess
	if e == nil {
		s.initDone[1] = true
		lib.initialDone(s)
		return
	}
	key := e.Key()
	kind, id, err := ParseItemKey(key)
	if err != nil || lib.kinds[kind] == nil {
		return
	}
	lib.mu.Lock()
	prev := lib.lib[key]
	lib.mu.Unlock()
	if e.Operation() != jetstream.KeyValuePut {
		if prev != nil {
			lib.saveLib(key, nil)
		}
		return
	}
	var rw wire
	if err := json.Unmarshal(e.Value(), &rw); err != nil || rw.Kind != kind || rw.ID != id {
		lib.l.Logf("fleet: library: %s %s revision %d: not a library item (skipped)", LibraryBucket, key, e.Revision())
		return
	}
	if prev != nil && prev.Rev >= e.Revision() {
		return // seen already (a session's full read repeats what the desk has)
	}
	lib.saveLib(key, &libEntry{Value: rw.Value, Rev: e.Revision(), Desk: rw.Desk, EditedAt: rw.EditedAt})
	lib.scanKind(kind)
	it, old := lib.item(key), lib.item(key)
	var prevHere json.RawMessage
	if old != nil && !old.Deleted {
		prevHere = old.Value
	}
	switch {
	case it == nil || it.Deleted && !it.Dirty:
		it = &Item{Kind: kind, ID: id, Value: rw.Value, Dirty: true, EditedAt: rw.EditedAt, EditedBy: rw.Desk, LibRev: e.Revision()}
		if old := lib.item(key); old != nil {
			it.Rev = old.Rev
		}
	case prev != nil && sameJSON(prev.Value, it.Value):
		// unchanged since the last library version (dirty or not: a
		// follow not yet pushed is no edit): follow the library
		it.Value, it.Dirty, it.EditedAt, it.EditedBy, it.LibRev = rw.Value, true, rw.EditedAt, rw.Desk, e.Revision()
	case sameJSON(rw.Value, it.Value):
		if it.LibRev != e.Revision() {
			it.LibRev = e.Revision()
			it.Dirty = true
		}
	default:
		if it.LibRev == 0 {
			it.LibRev = e.Revision() // the studio's own version of a library item: changed
		}
		lib.save(key, it)
		return
	}
	if err := lib.applyLocal(it, prevHere); errors.Is(err, errChangedHere) {
		lib.scanKind(kind) // the edit made here meanwhile stays; the library copy is kept
	} else {
		lib.save(key, it)
	}
	lib.kickPush()
}

// resolve applies the producer's answer to the conflict copy at key.
func (lib *Library) resolve(key string, r Resolution) error {
	c := lib.item(key)
	if c == nil || c.ConflictOf == "" || c.Deleted {
		return fmt.Errorf("library: %s: not a conflict copy", key)
	}
	k := lib.kinds[c.Kind]
	orig := lib.item(c.ConflictOf)
	now := lib.now()
	switch r {
	case ResolveKeepItem:
	case ResolveKeepCopy:
		if orig == nil {
			return fmt.Errorf("library: %s: the item %s is gone; keep both instead", key, c.ConflictOf)
		}
		v, err := k.restore(c.Value, orig.Value)
		if err != nil {
			return err
		}
		prev := orig.Value
		orig.Value, orig.Deleted, orig.Dirty, orig.EditedAt, orig.EditedBy = v, false, true, now, lib.self
		if err := lib.applyLocal(orig, prev); errors.Is(err, errChangedHere) {
			lib.scanKind(c.Kind)
			return fmt.Errorf("library: %s: %w; look again and choose", c.ConflictOf, err)
		}
		lib.save(orig.Key(), orig)
	case ResolveKeepBoth:
		_, baseID, _ := ParseItemKey(c.ConflictOf)
		nid := baseID + "-" + strings.TrimPrefix(c.ID[len(baseID):], conflictMark)
		nid = strings.ReplaceAll(nid, "~", "-")
		for i, base := 2, nid; lib.item(ItemKey(c.Kind, nid)) != nil; i++ {
			nid = base + "-" + strconv.Itoa(i)
		}
		v, err := k.rename(c.Value, nid)
		if err != nil {
			return err
		}
		n := &Item{Kind: c.Kind, ID: nid, Value: v, Dirty: true, EditedAt: now, EditedBy: lib.self}
		if err := lib.applyLocal(n, nil); errors.Is(err, errChangedHere) {
			lib.scanKind(c.Kind)
			return fmt.Errorf("library: %s: %w; look again and choose", key, err)
		}
		lib.save(n.Key(), n)
	default:
		return fmt.Errorf("library: %s: unknown resolution %d", key, r)
	}
	// The copy goes (here, and from the bucket on the next push).
	cv := c.Value
	c.Value, c.Deleted, c.Dirty, c.EditedAt, c.EditedBy = nil, true, true, now, lib.self
	if err := lib.applyLocal(c, cv); errors.Is(err, errChangedHere) {
		lib.scanKind(c.Kind)
		lib.pushAll()
		return fmt.Errorf("library: %s: %w; look again and choose", key, err)
	}
	if c.Rev == 0 {
		lib.save(key, nil)
	} else {
		lib.save(key, c)
	}
	lib.pushAll()
	return nil
}

// publish writes the item at key to the shared library.
func (lib *Library) publish(ctx context.Context, key string) error {
	it := lib.item(key)
	if it == nil || it.Deleted {
		return fmt.Errorf("library: publish %s: no such item here", key)
	}
	fail := func(err error) error {
		err = fmt.Errorf("library: publish %s to %s: %w", key, LibraryBucket, err)
		if cur := lib.item(key); cur != nil {
			cur.Err = err.Error()
			lib.save(key, cur)
		}
		lib.l.Logf("fleet: %v", err)
		return err
	}
	s := lib.sess
	if s == nil {
		return fail(errors.New("offline"))
	}
	lib.mu.Lock()
	var base uint64
	if le := lib.lib[key]; le != nil {
		base = le.Rev
	}
	lib.mu.Unlock()
	octx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	var rev uint64
	var err error
	w := lib.wireOf(&Item{Kind: it.Kind, ID: it.ID, Value: it.Value, EditedAt: it.EditedAt, EditedBy: it.EditedBy})
	if base == 0 {
		rev, err = s.library.Create(octx, key, w)
	} else {
		rev, err = s.library.Update(octx, key, w, base)
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, jetstream.ErrNoStreamResponse) {
			// A refused publish gets no reply; the server's reason comes
			// back asynchronously as the connection's last error.
			if le := lib.l.Conn.LastError(); le != nil && strings.Contains(strings.ToLower(le.Error()), "permissions violation") {
				err = fmt.Errorf("%w: %w", ErrLibraryDenied, le)
			} else {
				err = fmt.Errorf("%w (no answer: these credentials may not write the shared library)", err)
			}
		}
		return fail(err)
	}
	lib.saveLib(key, &libEntry{Value: it.Value, Rev: rev, Desk: it.EditedBy, EditedAt: it.EditedAt})
	it = lib.item(key)
	it.LibRev, it.Err = rev, ""
	it.Dirty = true // the studio copy records the library revision
	lib.save(key, it)
	lib.pushAll()
	return nil
}

// sameJSON compares two JSON values by their canonical form.
func sameJSON(a, b json.RawMessage) bool {
	if bytes.Equal(a, b) {
		return true
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ca, _ := json.Marshal(x)
	cb, _ := json.Marshal(y)
	return bytes.Equal(ca, cb)
}

func sortedKinds(m map[string]kind) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// LibraryValue is the bucket value of an item: what the agency (or a tool
// with its credentials) writes to the shared library, v being a
// studio.Preset, devices.Config, scripts.Show or WordList with that id.
func LibraryValue(kind, id string, v any, desk string, at time.Time) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("library %s %q: %w", kind, id, err)
	}
	return json.Marshal(wire{Kind: kind, ID: id, Value: raw, EditedAt: at, Desk: desk})
}
