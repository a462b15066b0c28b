package fleet

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"studiodesk/studio/store"
)

// Hot standby (issue 17, docs/fleet-standby.md).
//
// The studio's primary desk holds the leader lease, key LeaseKey of the
// studio bucket, and renews it every RenewEvery with a revision-checked
// Update. After every commit of its store it publishes the state a
// standby follows (StateKey: the run on air, the interactions' state, the
// pending outbox, the script, presets and devices, read in one
// transaction), also revision-checked, coalesced.
//
// A follower (a desk started with --standby-for, or a desk that found the
// lease held by another desk) writes each published state into its own
// store and shows it read-only. It watches the lease's revision on its own
// monotonic clock: when no new revision has been seen for the standby
// timeout, or on a manual take-over, it takes the lease with a
// revision-checked Update (Create when there is none) — the engine's
// compare-and-set, so exactly one contender wins — and becomes primary by
// the crash-restart path (Roles.Promote). A primary whose renewal finds
// the lease taken becomes a follower at once.
//
// A producer desk (--fleet-producer) stays out of all this: it never
// reads, takes or renews the lease, never follows and publishes no state;
// the part only opens the desk to commands (Roles.Promote, in rehearsal
// mode) and refuses a take-over. Role reports "producer".

// Keys of the studio bucket the standby part owns.
const (
	LeaseKey = "lead"
	StateKey = "state"
)

// Timing of the lease.
const (
	// RenewEvery is how often the primary renews its lease.
	RenewEvery = time.Second
	// LeaseWait bounds how long a desk started as primary waits for the
	// fleet to tell it whether another desk holds the lease; past it the
	// desk starts as primary (offline first) and checks the lease when the
	// hub answers.
	LeaseWait = 2 * time.Second
)

// stateLook is how often a follower reads the state directly, besides
// its watcher (which can stall while a hub node is replaced).
const stateLook = time.Second

// MirrorBuckets are the store buckets the primary mirrors to its standbys.
var MirrorBuckets = []string{store.BucketAnchors, store.BucketInteractions, store.BucketScripts,
	store.BucketPresets, store.BucketDevices}

// Roles switches the desk between follower and primary. The composition
// root (app/core) implements it; the standby part calls it from its own
// goroutine, one call at a time.
type Roles interface {
	// Follow makes the desk a read-only follower of the desk named primary
	// ("" while unknown): commands refused, nothing written, no device or
	// platform output. It may be called on a follower (the name changes)
	// or on a primary that lost its lease.
	Follow(primary string)
	// Mirrored tells a follower that a new state was written into its
	// store, to show it.
	Mirrored() error
	// Promote makes the desk the primary by the crash-restart path: the
	// run resumes from the store, the interactions come back, devices and
	// platform connect and the pending outbox is re-sent with its keys.
	Promote() error
}

// Lease is the value of LeaseKey. Times are the holder's clock and only
// informative: a standby judges the lease by its revision and its own
// monotonic clock.
type Lease struct {
	Desk    string    `json:"desk"` // the holder's signing-key fingerprint
	Host    string    `json:"host,omitempty"`
	Since   time.Time `json:"since"`
	Renewed time.Time `json:"renewed"`
	Renewal uint64    `json:"renewal"`
}

// StandbyState is the value of StateKey.
type StandbyState struct {
	Desk   string       `json:"desk"`
	Seq    uint64       `json:"seq"`
	At     time.Time    `json:"at"`
	Mirror store.Mirror `json:"mirror"`
}

func init() { Register(Part{Name: "standby", Start: startStandby}) }

// Standby is the running standby part.
type Standby struct {
	l       *Link
	roles   Roles
	me      string
	host    string
	timeout time.Duration

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	take   chan chan error
	dirty  chan struct{}

	kvMu sync.Mutex
	kv   jetstream.KeyValue

	primary  atomic.Bool
	holder   atomic.Pointer[string]
	leaseRev uint64 // the lease's revision as this desk last wrote it (run goroutine)
	since    time.Time
	renewals uint64
	applied  atomic.Uint64 // revision of the last state written into the store
	applyMu  sync.Mutex
	stateRev uint64 // publisher goroutine
	stateSeq uint64
	manual   chan error // the operator's take-over, answered once promoted
	warned   map[string]time.Time
	warnMu   sync.Mutex
}

func startStandby(ctx context.Context, l *Link) (Running, error) {
	if l.Desk.Roles == nil || l.Desk.Store == nil || l.Desk.Boot == nil || l.Desk.Boot.Key == nil {
		return nil, nil
	}
	host, _ := os.Hostname()
	s := &Standby{l: l, roles: l.Desk.Roles, me: l.Desk.Boot.Key.Fingerprint(), host: host,
		timeout: l.Config.HeartbeatTimeout, done: make(chan struct{}), take: make(chan chan error),
		dirty: make(chan struct{}, 1), warned: map[string]time.Time{}}
	if s.timeout <= 0 {
		s.timeout = DefaultHeartbeatTimeout
	}
	s.ctx, s.cancel = context.WithCancel(ctx)
	if l.Desk.Desk != nil {
		l.Desk.Desk.SetTakeover(s.TakeOver)
		if l.Config.Producer {
			l.Desk.Desk.RefuseTakeover(errProducer.Error())
		}
	}
	go s.run()
	return s, nil
}

// Close stops the part (the lease is left to expire: a standby takes over
// after its timeout).
func (s *Standby) Close() error {
	s.cancel()
	<-s.done
	s.l.Desk.Store.OnCommit(nil)
	if s.l.Desk.Desk != nil {
		s.l.Desk.Desk.SetTakeover(nil)
		s.l.Desk.Desk.RefuseTakeover("")
	}
	return nil
}

// Primary reports whether this desk holds the studio's lease now.
func (s *Standby) Primary() bool { return s.primary.Load() }

// The status and evidence parts read the role through RoleReporter.
var _ RoleReporter = (*Standby)(nil)

// Role is this desk's role in its studio now: RolePrimary (it holds the
// lease: on air, publishing the state), RoleStandby (a read-only
// follower: started with --standby-for, a desk that found the lease held
// by another, or a desk whose role is not decided yet) or roleProducer
// ("producer", --fleet-producer: edits and rehearses, never contends for the lease,
// never on air, publishes no state).
func (s *Standby) Role() string {
	switch {
	case s.l.Config.Producer:
		return roleProducer
	case s.primary.Load():
		return RolePrimary
	default:
		return RoleStandby
	}
}

// Holder is the desk that holds the lease as this desk last saw it.
func (s *Standby) Holder() string {
	if h := s.holder.Load(); h != nil {
		return *h
	}
	return ""
}

// Me is this desk's name in the lease (its signing-key fingerprint).
func (s *Standby) Me() string { return s.me }

// StandbyPart returns the link's running standby part, or nil.
func StandbyPart(l *Link) *Standby {
	s, _ := l.Part("standby").(*Standby)
	return s
}

// TakeOver makes this follower the primary now (the operator's "take
// over"): the lease is taken with a revision-checked update, whoever held
// it. It returns once the desk is primary, or why not.
func (s *Standby) TakeOver() error {
	if s.l.Config.Producer {
		return fmt.Errorf("take over: %w", errProducer)
	}
	if s.primary.Load() {
		return errors.New("take over: this desk is the primary already")
	}
	reply := make(chan error, 1)
	select {
	case s.take <- reply:
	case <-s.ctx.Done():
		return errors.New("take over: the fleet link is closed")
	case <-time.After(10 * time.Second):
		return errors.New("take over: the standby did not answer in 10 s")
	}
	select {
	case err := <-reply:
		return err
	case <-s.ctx.Done():
		return errors.New("take over: the fleet link is closed")
	}
}

func (s *Standby) logf(format string, a ...any) { s.l.Logf("fleet: standby: "+format, a...) }

// warn logs at most once every 10 s per topic (a hub that is down would
// otherwise fill the log).
func (s *Standby) warn(topic, format string, a ...any) {
	s.warnMu.Lock()
	last := s.warned[topic]
	now := time.Now()
	ok := now.Sub(last) > 10*time.Second
	if ok {
		s.warned[topic] = now
	}
	s.warnMu.Unlock()
	if ok {
		s.logf(format, a...)
	}
}

func (s *Standby) setHolder(h string) { s.holder.Store(&h) }

// bucket returns the studio bucket, looking it up (a network call) the
// first time; nil while the hub does not answer.
func (s *Standby) bucket(ctx context.Context) jetstream.KeyValue {
	s.kvMu.Lock()
	defer s.kvMu.Unlock()
	if s.kv != nil {
		return s.kv
	}
	c, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	kv, err := s.l.JS.KeyValue(c, s.l.Studio.Bucket())
	if err != nil {
		if ctx.Err() == nil {
			s.warn("bucket", "bucket %s: %v (retrying)", s.l.Studio.Bucket(), err)
		}
		return nil
	}
	s.kv = kv
	return kv
}

// waitBucket retries bucket until ctx ends.
func (s *Standby) waitBucket(ctx context.Context) jetstream.KeyValue {
	for {
		if kv := s.bucket(ctx); kv != nil {
			return kv
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func isConflict(err error) bool {
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) {
		return true
	}
	var api *jetstream.APIError
	if errors.As(err, &api) {
		return api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence || api.ErrorCode == 10164
	}
	return false
}

func (s *Standby) leaseValue() []byte {
	now := time.Now()
	if s.since.IsZero() {
		s.since = now
	}
	s.renewals++
	b, _ := json.Marshal(Lease{Desk: s.me, Host: s.host, Since: s.since, Renewed: now, Renewal: s.renewals})
	return b
}

func decodeLease(e jetstream.KeyValueEntry) Lease {
	var l Lease
	_ = json.Unmarshal(e.Value(), &l)
	return l
}

// acquire asks for the lease as a desk started as primary: free (absent)
// → create; held by this desk (a restart) → update; held by another →
// won is false and holder names it. err is a failure to reach the hub.
func (s *Standby) acquire(ctx context.Context, kv jetstream.KeyValue) (won bool, holder string, err error) {
	c, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	e, err := kv.Get(c, LeaseKey)
	switch {
	case errors.Is(err, jetstream.ErrKeyNotFound):
		rev, err := kv.Create(c, LeaseKey, s.leaseValue())
		if isConflict(err) {
			return s.acquire(ctx, kv) // someone was faster: look again
		}
		if err != nil {
			return false, "", err
		}
		s.leaseRev = rev
		return true, s.me, nil
	case err != nil:
		return false, "", err
	}
	l := decodeLease(e)
	if l.Desk != s.me {
		return false, l.Desk, nil
	}
	s.since = l.Since
	rev, err := kv.Update(c, LeaseKey, s.leaseValue(), e.Revision())
	if isConflict(err) {
		return s.acquire(ctx, kv)
	}
	if err != nil {
		return false, "", err
	}
	s.leaseRev = rev
	return true, s.me, nil
}

func (s *Standby) run() {
	defer close(s.done)
	if s.l.Config.Producer {
		s.produce()
		return
	}
	primary := false
	if s.l.Config.StandbyFor == "" {
		// Primary by intent: unless another desk holds the lease.
		ctx, cancel := context.WithTimeout(s.ctx, LeaseWait)
		var (
			won    bool
			holder string
			err    = context.DeadlineExceeded
		)
		if kv := s.waitBucket(ctx); kv != nil {
			won, holder, err = s.acquire(ctx, kv)
		}
		cancel()
		if s.ctx.Err() != nil {
			return
		}
		switch {
		case err != nil:
			s.logf("the hub did not answer in %v (%v): starting as primary (offline first); the lease is checked when it answers", LeaseWait, err)
			primary = true
		case won:
			primary = true
		default:
			s.logf("the studio's lease is held by desk %s: this desk stays read-only (a follower)", holder)
			s.setHolder(holder)
		}
	} else {
		// A standby by intent: name the primary it follows, if the hub
		// answers soon.
		ctx, cancel := context.WithTimeout(s.ctx, LeaseWait)
		if kv := s.waitBucket(ctx); kv != nil {
			if e, err := kv.Get(ctx, LeaseKey); err == nil {
				s.setHolder(decodeLease(e).Desk)
			}
		}
		cancel()
	}
	if primary {
		if err := s.promote(); err != nil {
			s.logf("%v", err)
		}
	} else {
		s.roles.Follow(s.Holder())
	}
	for s.ctx.Err() == nil {
		if s.primary.Load() {
			lostTo := s.lead()
			if s.ctx.Err() != nil {
				return
			}
			s.logf("the lease was taken by desk %s: this desk is a read-only follower now", lostTo)
			s.primary.Store(false)
			s.setHolder(lostTo)
			s.roles.Follow(lostTo)
			continue
		}
		if !s.follow() {
			return
		}
		err := s.promote()
		if err != nil {
			s.logf("%v", err)
		}
		if s.manual != nil {
			s.manual <- err
			s.manual = nil
		}
	}
}

var errProducer = errors.New("this is a producer desk (--fleet-producer): it never goes on air / 制片台不上播，不能接管")

// produce runs a producer desk: the desk accepts commands at once
// (Roles.Promote; the desk runs in rehearsal mode, core.Options.Check
// refuses a producer outside it) and the part never reads, takes or
// renews the lease, never follows the primary and publishes no state.
// A take-over is refused.
func (s *Standby) produce() {
	if err := s.roles.Promote(); err != nil {
		s.logf("producer desk: %v", err)
	}
	s.logf("producer desk (--fleet-producer): edits sync through the library; this desk never takes the studio's lease")
	for {
		select {
		case <-s.ctx.Done():
			return
		case reply := <-s.take:
			reply <- fmt.Errorf("take over: %w", errProducer)
		}
	}
}

func (s *Standby) promote() error {
	s.primary.Store(true)
	s.setHolder(s.me)
	start := time.Now()
	err := s.roles.Promote()
	if err != nil {
		return fmt.Errorf("becoming primary: %w", err)
	}
	s.logf("this desk is the studio's primary (took %v)", time.Since(start).Round(time.Millisecond))
	return nil
}

// lead renews the lease and publishes the state until the lease is lost
// (it returns the new holder) or the part closes.
func (s *Standby) lead() (lostTo string) {
	ctx, cancel := context.WithCancel(s.ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	st := s.l.Desk.Store
	st.OnCommit(s.poke)
	defer st.OnCommit(nil)
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.publish(ctx)
	}()
	s.poke()
	tick := time.NewTicker(min(RenewEvery, s.timeout/3))
	defer tick.Stop()
	for {
		if kv := s.bucket(ctx); kv != nil {
			if lost, holder := s.renew(ctx, kv); lost {
				return holder
			}
		}
		select {
		case <-ctx.Done():
			return ""
		case reply := <-s.take:
			reply <- errors.New("take over: this desk is the primary already")
		case <-tick.C:
		}
	}
}

// renew renews the lease (or acquires it, when this desk became primary
// offline). lost is true when another desk holds it.
func (s *Standby) renew(ctx context.Context, kv jetstream.KeyValue) (lost bool, holder string) {
	if s.leaseRev == 0 {
		won, holder, err := s.acquire(ctx, kv)
		if err != nil {
			s.warn("renew", "lease: %v (still primary; retrying)", err)
			return false, ""
		}
		return !won, holder
	}
	c, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	rev, err := kv.Update(c, LeaseKey, s.leaseValue(), s.leaseRev)
	if err == nil {
		s.leaseRev = rev
		return false, ""
	}
	if !isConflict(err) {
		if ctx.Err() == nil {
			s.warn("renew", "lease: renewal: %v (still primary; retrying)", err)
		}
		return false, ""
	}
	// The revision moved: our own update whose answer was lost, or
	// another desk took the lease.
	e, gerr := kv.Get(c, LeaseKey)
	if gerr != nil {
		if errors.Is(gerr, jetstream.ErrKeyNotFound) {
			s.leaseRev = 0
			return false, ""
		}
		return false, ""
	}
	if l := decodeLease(e); l.Desk != s.me {
		return true, l.Desk
	}
	s.leaseRev = e.Revision()
	return false, ""
}

// poke notes that the store changed (the store's commit hook: it must not
// block).
func (s *Standby) poke() {
	select {
	case s.dirty <- struct{}{}:
	default:
	}
}

// publish sends the mirrored state after each change, one at a time: the
// changes made while one is sent go out together in the next.
func (s *Standby) publish(ctx context.Context) {
	var last []byte
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.dirty:
		}
		m, err := s.l.Desk.Store.ReadMirror(MirrorBuckets)
		if err != nil {
			s.warn("mirror", "state: %v", err)
			continue
		}
		mb, err := json.Marshal(m)
		if err != nil {
			s.warn("mirror", "state: %v", err)
			continue
		}
		if bytes.Equal(mb, last) {
			continue
		}
		kv := s.bucket(ctx)
		if kv == nil {
			s.retryLater(ctx)
			continue
		}
		s.stateSeq++
		data, _ := json.Marshal(struct {
			Desk   string          `json:"desk"`
			Seq    uint64          `json:"seq"`
			At     time.Time       `json:"at"`
			Mirror json.RawMessage `json:"mirror"`
		}{s.me, s.stateSeq, time.Now(), mb})
		if err := s.putState(ctx, kv, encodeState(data)); err != nil {
			if ctx.Err() == nil {
				s.warn("publish", "state: %v (retrying)", err)
				s.retryLater(ctx)
			}
			continue
		}
		last = mb
	}
}

// retryLater marks the state dirty again after a pause.
func (s *Standby) retryLater(ctx context.Context) {
	go func() {
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
			s.poke()
		}
	}()
}

// putState writes the state with a revision check: a conflict means
// another desk wrote it, which only the lease's holder may do — then the
// lease is looked at before trying again.
func (s *Standby) putState(ctx context.Context, kv jetstream.KeyValue, data []byte) error {
	c, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	for attempt := 0; attempt < 2; attempt++ {
		var rev uint64
		var err error
		if s.stateRev == 0 {
			rev, err = kv.Create(c, StateKey, data)
		} else {
			rev, err = kv.Update(c, StateKey, data, s.stateRev)
		}
		if err == nil {
			s.stateRev = rev
			return nil
		}
		if !isConflict(err) {
			return err
		}
		le, lerr := kv.Get(c, LeaseKey)
		if lerr != nil || decodeLease(le).Desk != s.me {
			return fmt.Errorf("not written: this desk does not hold the lease now")
		}
		e, gerr := kv.Get(c, StateKey)
		switch {
		case errors.Is(gerr, jetstream.ErrKeyNotFound):
			s.stateRev = 0
		case gerr != nil:
			return gerr
		default:
			s.stateRev = e.Revision()
		}
	}
	return errors.New("not written: the state's revision kept moving")
}

// follow follows the primary until this desk wins the lease (true) or
// the part closes (false).
func (s *Standby) follow() bool {
	ctx, cancel := context.WithCancel(s.ctx)
	var wg sync.WaitGroup
	stopWatch := func() {
		cancel()
		wg.Wait()
	}
	defer stopWatch()
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.watchState(ctx)
	}()
	// The evidence importer is not waited for: a fetch can outlast its
	// context while the hub replaces a node, and must not hold up a
	// takeover. It hands its consumer over when it ends.
	logs := make(chan jetstream.Consumer, 1)
	go func() { logs <- s.followLogs(ctx) }()
	poll := max(min(s.timeout/10, 200*time.Millisecond), 10*time.Millisecond)
	tick := time.NewTicker(poll)
	defer tick.Stop()
	var rev uint64
	seen := time.Now() // monotonic: the last time a new revision was seen
	lastLook := time.Now()
	// blind: the lease could not be read. The timeout counts only time
	// this desk could see the lease: after a hub outage the primary gets
	// a whole timeout to renew before anyone takes over.
	blind := false
	for {
		var manual chan error
		select {
		case <-ctx.Done():
			return false
		case manual = <-s.take:
		case <-tick.C:
		}
		kv := s.bucket(ctx)
		if kv == nil {
			blind = true
			if manual != nil {
				manual <- errors.New("take over: the fleet's hub does not answer; the lease can only be taken through it")
			}
			continue
		}
		if time.Since(lastLook) >= stateLook {
			// The watcher may stall for seconds while its consumer is
			// recreated after a hub node is lost: look at the state
			// directly now and then.
			lastLook = time.Now()
			s.catchUp(kv, true)
		}
		c, cc := context.WithTimeout(ctx, 2*time.Second)
		e, err := kv.Get(c, LeaseKey)
		cc()
		before := s.Holder()
		switch {
		case err == nil:
			if manual != nil && decodeLease(e).Desk != before {
				// The operator asked to take over from the desk this one
				// showed as primary; another desk holds the lease now.
				h := decodeLease(e).Desk
				manual <- fmt.Errorf("take over: another desk took or renewed the lease meanwhile (desk %s holds it now); try again", h)
				manual = nil
			}
			if e.Revision() != rev {
				rev, seen = e.Revision(), time.Now()
				if h := decodeLease(e).Desk; h != s.Holder() {
					s.setHolder(h)
					if h != s.me {
						s.roles.Follow(h)
						s.catchUp(kv, true)
					}
				}
			}
		case errors.Is(err, jetstream.ErrKeyNotFound):
			if rev != 0 {
				rev, seen = 0, time.Now()
			}
		default:
			// Not read: no judgement (and no take-over) without the hub.
			blind = true
			if manual != nil {
				manual <- fmt.Errorf("take over: reading the lease: %w", err)
			}
			continue
		}
		if blind {
			blind, seen = false, time.Now()
		}
		if manual == nil && time.Since(seen) < s.timeout {
			continue
		}
		why := "the primary's lease was not renewed for " + time.Since(seen).Round(time.Millisecond).String()
		if manual != nil {
			why = "the operator's take-over"
		}
		won, err := s.tryTake(ctx, kv, rev)
		if manual != nil {
			if err == nil && !won {
				err = errors.New("take over: another desk took or renewed the lease meanwhile; try again")
			}
			if err != nil {
				manual <- err
			}
		}
		if !won {
			seen = time.Now()
			continue
		}
		s.logf("took the lease (%s)", why)
		// Catch up with the last state the old primary published, then
		// stop following before the desk becomes primary.
		stopWatch()
		select {
		case cons := <-logs:
			s.drainLogs(cons, time.Second)
		case <-time.After(time.Second):
			s.logf("show log: the evidence stream did not answer; the run's log continues from the records already here")
		}
		s.stateRev = s.catchUp(kv, false)
		s.manual = manual
		return true
	}
}

// tryTake takes the lease at revision rev (0: absent) with the engine's
// compare-and-set.
func (s *Standby) tryTake(ctx context.Context, kv jetstream.KeyValue, rev uint64) (bool, error) {
	c, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	s.since = time.Time{}
	var nrev uint64
	var err error
	if rev == 0 {
		nrev, err = kv.Create(c, LeaseKey, s.leaseValue())
	} else {
		nrev, err = kv.Update(c, LeaseKey, s.leaseValue(), rev)
	}
	if isConflict(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("take over: %w", err)
	}
	s.leaseRev = nrev
	return true, nil
}

// catchUp writes the latest published state if the watcher had not
// (show: and shows it). It returns the state's revision (0: none).
func (s *Standby) catchUp(kv jetstream.KeyValue, show bool) uint64 {
	c, cancel := context.WithTimeout(s.ctx, 2*time.Second)
	defer cancel()
	e, err := kv.Get(c, StateKey)
	if err != nil {
		if !errors.Is(err, jetstream.ErrKeyNotFound) {
			s.warn("catchup", "state: catching up: %v", err)
		}
		return 0
	}
	s.apply(e, show)
	return e.Revision()
}

// watchState writes every state the primary publishes into the store.
func (s *Standby) watchState(ctx context.Context) {
	for ctx.Err() == nil {
		kv := s.waitBucket(ctx)
		if kv == nil {
			return
		}
		w, err := kv.Watch(ctx, StateKey)
		if err != nil {
			s.warn("watch", "state: watch: %v (retrying)", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
			continue
		}
		func() {
			defer func() { _ = w.Stop() }()
			for {
				select {
				case <-ctx.Done():
					return
				case e, ok := <-w.Updates():
					if !ok {
						return
					}
					if e != nil && e.Operation() == jetstream.KeyValuePut {
						s.apply(e, true)
					}
				}
			}
		}()
	}
}

// apply writes one published state into the store (a newer one than the
// last written, published by the lease's holder) and tells the desk.
func (s *Standby) apply(e jetstream.KeyValueEntry, show bool) {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	if e.Revision() <= s.applied.Load() {
		return
	}
	var st StandbyState
	raw, err := decodeState(e.Value())
	if err == nil {
		err = json.Unmarshal(raw, &st)
	}
	if err != nil {
		s.warn("apply", "state revision %d: %v", e.Revision(), err)
		return
	}
	if st.Desk == s.me {
		return // this desk's own, from before it restarted: its store has it
	}
	if h := s.Holder(); h != "" && st.Desk != h {
		// Not the lease holder's (a desk that lost the lease and did not
		// know it yet): ignored; the holder's next state, or the catch-up
		// when this desk sees the holder change, brings the truth.
		return
	}
	if err := s.l.Desk.Store.ApplyMirror(st.Mirror); err != nil {
		s.warn("apply", "state revision %d from desk %s: %v", e.Revision(), st.Desk, err)
		return
	}
	s.applied.Store(e.Revision())
	if show {
		if err := s.roles.Mirrored(); err != nil {
			s.warn("show", "state revision %d: %v", e.Revision(), err)
		}
	}
}

// The state is stored gzip-compressed (JSON compresses 4-6×; the state
// goes out after every change of a live show). A value that does not
// start with gzip's magic bytes is plain JSON.
const maxStateBytes = 64 << 20

func encodeState(data []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	_, _ = zw.Write(data)
	_ = zw.Close()
	return buf.Bytes()
}

func decodeState(v []byte) ([]byte, error) {
	if len(v) < 2 || v[0] != 0x1f || v[1] != 0x8b {
		return v, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(v))
	if err != nil {
		return nil, fmt.Errorf("state: gzip: %w", err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, maxStateBytes+1))
	if err != nil {
		return nil, fmt.Errorf("state: gzip: %w", err)
	}
	if len(out) > maxStateBytes {
		return nil, fmt.Errorf("state: larger than %d bytes uncompressed", maxStateBytes)
	}
	return out, nil
}
