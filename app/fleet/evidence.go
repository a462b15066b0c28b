package fleet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"studiodesk/studio/store"
)

// Off-box evidence: every record of every show log in the desk's store
// (every run, and the "desk" log) is published, in order and exactly once,
// to the studio's evidence stream (LogStream), as its canonical bytes.
//
// The local log itself is the durable queue: nothing is held in memory
// that is not in desk.db, so records written offline, or before a crash,
// go out when the hub is reachable again. A per-log cursor ("published up
// to seq N with hash H", bucket EvidenceBucket) is kept in the store, but
// the stream is the authority: on every (re)connect the publisher reads
// the last message of each log's subject and continues after it. A hub
// copy that is not a prefix of the local log (the desk's log was cut or
// rewritten, or another desk publishes this studio) is a divergence: it is
// reported loudly and that log is not published any further; nothing on
// the hub is ever overwritten (the stream also denies delete and purge).
//
// Exactly once: each message carries Nats-Msg-Id <show>/<seq>/<hash>
// (the stream drops a re-send within its duplicate window) and the stream
// sequence it must follow (Nats-Expected-Last-Sequence, predicted from
// the last ack; the first message of a batch also carries its subject's
// Nats-Expected-Last-Subject-Sequence). A message whose predecessor was
// not stored is refused, so a log on the hub never has a gap, a repeat or
// a reorder, however the connection, a hub node or the desk fails; after
// any refusal or lost ack the publisher re-reads the stream and goes on.

// EvidencePart is the evidence part's name (Link.Part).
const EvidencePart = "evidence"

// EvidenceBucket holds the per-log publish cursors in the desk's store.
const EvidenceBucket = "fleet_evidence"

// Headers of an evidence message (besides Nats-Msg-Id).
const (
	HeaderShow = "Sd-Show"
	HeaderSeq  = "Sd-Seq"
	HeaderHash = "Sd-Hash"
	HeaderDesk = "Sd-Desk"
)

// EvidenceMsgID is a record's Nats-Msg-Id.
func EvidenceMsgID(show string, seq uint64, hash string) string {
	return show + "/" + strconv.FormatUint(seq, 10) + "/" + hash
}

// Tuning of the publisher.
const (
	evidencePoll        = 200 * time.Millisecond
	evidenceWindow      = 256 // messages in flight per batch
	evidenceAckTimeout  = 5 * time.Second
	evidenceCursorEvery = time.Second
)

func init() {
	Register(Part{Name: EvidencePart, Start: startEvidence})
}

func startEvidence(ctx context.Context, l *Link) (Running, error) {
	if l.Desk.Store == nil {
		return nil, errors.New("no store")
	}
	deskKey := ""
	switch {
	case l.Desk.Boot != nil && l.Desk.Boot.Key != nil:
		deskKey = l.Desk.Boot.Key.Fingerprint()
	case l.Desk.DataDir != "":
		if pub, err := store.LoadPublicKey(l.Desk.DataDir); err == nil {
			deskKey = store.Fingerprint(pub)
		}
	}
	cfg := EvidenceConfig{Store: l.Desk.Store, Conn: l.Conn, Studio: l.Studio, DeskKey: deskKey, Logf: l.Logf}
	if l.Desk.Roles != nil && l.Desk.Boot != nil && l.Desk.Boot.Key != nil {
		// The standby part runs (it starts after this part): only the
		// studio's primary publishes. A follower's log lags the hub's
		// copy (it imports it), so it neither publishes nor judges.
		cfg.Role = func() string { return linkRole(l) }
	}
	ev, err := NewEvidence(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return ev, nil
}

// EvidenceConfig configures a publisher.
type EvidenceConfig struct {
	Store   *store.Store
	Conn    *nats.Conn
	Studio  Studio
	DeskKey string // Sd-Desk: the desk's key fingerprint
	Logf    func(string, ...any)
	// Poll is how often the store is looked at for new records (default
	// 200 ms; one read transaction when nothing changed).
	Poll time.Duration
	// Inactive starts the publisher paused; SetActive(true) starts
	// publishing (in a desk the role decides too: Role).
	Inactive bool
	// Role, if set, is asked before every step: the publisher works only
	// while it answers RolePrimary (a standby, a producer desk and an
	// old primary that came back as a follower publish nothing and judge
	// no divergence). Nil: the desk is alone, it always publishes.
	Role func() string
	// OnAck, if set, is called for every record acknowledged by the
	// stream (benchmarks measure the lag with it).
	OnAck func(show string, seq uint64, at time.Time)
}

// Divergence is a log whose hub copy is not a prefix of the local log.
type Divergence struct {
	Show   string
	Seq    uint64
	Reason string
}

func (d Divergence) Error() string {
	return fmt.Sprintf("evidence of log %q diverges at record %d: %s", d.Show, d.Seq, d.Reason)
}

// EvidenceStatus is what the desk and the overview may show.
type EvidenceStatus struct {
	// Connected: the link is up and the publisher is active.
	Connected bool
	// Active: this desk publishes (false on a standby).
	Active bool
	// Unpublished counts records committed locally and not yet
	// acknowledged by the stream (all logs).
	Unpublished uint64
	// Published counts records acknowledged since the desk started.
	Published uint64
	// LastAck is when the stream last acknowledged a record.
	LastAck time.Time
	// Logs is the number of show logs followed.
	Logs int
	// Divergences are logs not published because the hub's copy differs.
	Divergences []Divergence
	// Err is the last publishing problem ("" once it went away).
	Err string
	// Resyncs counts the times the publisher re-read the hub after a
	// refused or unanswered publish (0 on a healthy link).
	Resyncs uint64

	steps uint64 // steps run, for WaitPublished
}

// Evidence is the running evidence publisher.
type Evidence struct {
	cfg    EvidenceConfig
	js     jetstream.JetStream
	cancel context.CancelFunc
	done   chan struct{}
	wake   chan struct{}
	active atomic.Bool

	mu     sync.Mutex
	status EvidenceStatus

	// Loop state: touched only by the loop goroutine.
	logs       map[string]*logState
	gen        uint64
	genOK      bool
	epoch      uint64
	stream     jetstream.Stream
	streamLast uint64
	streamOK   bool
	lastSave   time.Time
	lastErr    string
	published  uint64
	lastAck    time.Time
	steps      uint64
	resyncs    uint64
	retryAt    time.Time     // after a failure, wait until then
	backoff    time.Duration // doubles per failure up to evidenceMaxBackoff
	wasActive  bool
}

// linkRole is this desk's role in the studio now, as the standby part
// tells it (Role: "primary", "standby", "producer"); "primary" only once the
// desk finished becoming primary (the Roles' PrimaryReady hook, where the
// composition root has it). "" while no standby part runs.
func linkRole(l *Link) string {
	role := ""
	p, ok := l.Part("standby").(RoleReporter)
	if !ok {
		return ""
	}
	role = p.Role()
	if r, ok := l.Desk.Roles.(interface{ PrimaryReady() bool }); ok && role == RolePrimary && !r.PrimaryReady() {
		return RoleStandby // still becoming primary
	}
	return role
}

// evidenceMaxBackoff bounds the wait between attempts while the hub
// refuses or does not answer (a reconnect retries at once).
const evidenceMaxBackoff = 10 * time.Second

type logState struct {
	show     string
	head     uint64 // local last seq
	pub      uint64 // acknowledged by the stream
	pubHash  string
	saved    uint64 // cursor in the store
	subjSeq  uint64 // stream sequence of the subject's last message
	synced   bool
	diverged *Divergence
	dirty    bool
}

type evidenceCursor struct {
	Seq  uint64    `json:"seq"`
	Hash string    `json:"hash"`
	At   time.Time `json:"at"`
}

// NewEvidence starts a publisher; it does not block on the network.
func NewEvidence(ctx context.Context, cfg EvidenceConfig) (*Evidence, error) {
	if cfg.Poll <= 0 {
		cfg.Poll = evidencePoll
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	js, err := jetstream.New(cfg.Conn, jetstream.WithPublishAsyncTimeout(evidenceAckTimeout), jetstream.WithPublishAsyncMaxPending(2*evidenceWindow))
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	e := &Evidence{cfg: cfg, js: js, done: make(chan struct{}), wake: make(chan struct{}, 1), logs: map[string]*logState{}}
	e.active.Store(!cfg.Inactive)
	e.wasActive = e.isActive()
	if err := e.loadCursors(); err != nil {
		return nil, err
	}
	ctx, e.cancel = context.WithCancel(ctx)
	go e.run(ctx)
	return e, nil
}

func (e *Evidence) loadCursors() error {
	keys, err := e.cfg.Store.Keys(EvidenceBucket)
	if err != nil {
		return fmt.Errorf("cursors: %w", err)
	}
	for _, k := range keys {
		var c evidenceCursor
		if _, err := e.cfg.Store.Get(EvidenceBucket, k, &c); err != nil {
			e.cfg.Logf("fleet: evidence: cursor of log %q unreadable (%v): the hub's copy decides", k, err)
			continue
		}
		e.logs[k] = &logState{show: k, pub: c.Seq, pubHash: c.Hash, saved: c.Seq}
	}
	return nil
}

// Close stops publishing and saves the cursors. Records not yet
// acknowledged stay in the log and go out on the next start.
func (e *Evidence) Close() error {
	e.cancel()
	<-e.done
	return nil
}

// SetActive starts or pauses publishing (a standby becoming primary).
func (e *Evidence) SetActive(on bool) {
	e.active.Store(on)
	e.Nudge()
}

// isActive reports whether the publisher works now: not paused, and
// the studio's primary where the desk has a role.
func (e *Evidence) isActive() bool {
	return e.active.Load() && (e.cfg.Role == nil || e.cfg.Role() == RolePrimary)
}

// Nudge makes the publisher look at the store now.
func (e *Evidence) Nudge() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Status is the publisher's state now.
func (e *Evidence) Status() EvidenceStatus {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.status
	s.Divergences = append([]Divergence(nil), s.Divergences...)
	return s
}

// Unpublished is the count of records not yet acknowledged by the stream
// (the status part's UnpublishedReporter: it goes to the agency overview).
func (e *Evidence) Unpublished() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return int(e.status.Unpublished)
}

// WaitPublished waits until every record committed before the call is
// acknowledged by the stream (or ctx ends).
func (e *Evidence) WaitPublished(ctx context.Context) error {
	// A step that starts after this call sees every record committed
	// before it; the one running now may not.
	start := e.Status().steps
	e.Nudge()
	for {
		s := e.Status()
		if s.steps >= start+2 && s.Unpublished == 0 && s.Logs > 0 && s.Connected {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("evidence: %d records still unpublished: %w", s.Unpublished, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (e *Evidence) run(ctx context.Context) {
	defer close(e.done)
	tick := time.NewTicker(e.cfg.Poll)
	defer tick.Stop()
	for {
		e.step(ctx)
		select {
		case <-ctx.Done():
			e.saveCursors(true)
			return
		case <-tick.C:
		case <-e.wake:
		}
	}
}

// step notices new records, resyncs after a (re)connect and publishes
// what is pending.
func (e *Evidence) step(ctx context.Context) {
	if err := e.refreshHeads(); err != nil {
		e.problem(err)
	}
	active := e.isActive()
	if active != e.wasActive {
		// A role change: what the hub holds is judged afresh (a follower
		// imported the old primary's records meanwhile), and nothing
		// judged in the other role stands.
		e.wasActive = active
		e.unsync()
		e.retryAt, e.backoff = time.Time{}, 0
		for _, l := range e.logs {
			l.diverged = nil
		}
		e.lastErr = ""
		if active {
			e.cfg.Logf("fleet: evidence: this desk is the studio's primary: publishing its show logs")
		} else {
			e.cfg.Logf("fleet: evidence: this desk is not the studio's primary: not publishing")
		}
	}
	connected := active && e.cfg.Conn.IsConnected()
	if rc := e.cfg.Conn.Stats().Reconnects; rc != e.epoch {
		e.epoch = rc
		e.unsync()
		e.retryAt, e.backoff = time.Time{}, 0
	}
	if connected && !time.Now().Before(e.retryAt) {
		for ctx.Err() == nil && e.cfg.Conn.IsConnected() {
			progressed, err := e.publishOnce(ctx)
			if err != nil {
				e.resyncs++
				e.unsync()
				if ctx.Err() == nil {
					e.problem(err)
				}
				e.backoff = min(max(2*e.backoff, e.cfg.Poll), evidenceMaxBackoff)
				e.retryAt = time.Now().Add(e.backoff)
				break
			}
			e.backoff = 0
			if !progressed {
				e.problem(nil)
				break
			}
		}
	}
	e.saveCursors(false)
	e.publishStatus(connected && e.cfg.Conn.IsConnected(), active)
}

func (e *Evidence) unsync() {
	e.streamOK = false
	for _, l := range e.logs {
		l.synced = false
	}
}

func (e *Evidence) problem(err error) {
	msg := ""
	if err != nil {
		msg = err.Error()
		if last := e.cfg.Conn.LastError(); IsRefused(last) && !IsRefused(err) && e.cfg.Studio.Names(last.Error()) {
			// A refused request goes unanswered: say why.
			msg += ": " + last.Error() + ": " + RefusedHint(e.cfg.Studio.ID)
		}
	}
	if msg != "" && msg != e.lastErr {
		e.cfg.Logf("fleet: evidence: %s (will retry; the records stay in the local log)", msg)
	}
	e.lastErr = msg
}

// refreshHeads reads the logs' last records when the store changed.
func (e *Evidence) refreshHeads() error {
	gen, err := e.cfg.Store.Generation()
	if err != nil {
		return err
	}
	if e.genOK && gen == e.gen {
		return nil
	}
	heads, err := e.cfg.Store.Heads()
	if err != nil {
		return err
	}
	e.gen, e.genOK = gen, true
	for _, h := range heads {
		l := e.logs[h.Show]
		if l == nil {
			l = &logState{show: h.Show}
			e.logs[h.Show] = l
		}
		l.head = h.Seq
	}
	return nil
}

// publishOnce syncs what needs it and publishes one window of one log;
// progressed is false when nothing was pending.
func (e *Evidence) publishOnce(ctx context.Context) (progressed bool, err error) {
	var pending []*logState
	for _, l := range e.logs {
		if l.diverged == nil && (!l.synced || l.head > l.pub) {
			pending = append(pending, l)
		}
	}
	if len(pending) == 0 {
		return false, nil
	}
	sort.Slice(pending, func(i, j int) bool { return pending[i].show < pending[j].show })
	if !e.streamOK {
		// One stream info per (re)connect: the leader's last sequence,
		// from which the acks are predicted.
		sctx, cancel := context.WithTimeout(ctx, evidenceAckTimeout)
		stream, err := e.js.Stream(sctx, e.cfg.Studio.LogStream())
		cancel()
		if err != nil {
			return false, fmt.Errorf("stream %s: %w", e.cfg.Studio.LogStream(), err)
		}
		e.stream, e.streamLast, e.streamOK = stream, stream.CachedInfo().State.LastSeq, true
	}
	for _, l := range pending {
		if !l.synced {
			sctx, cancel := context.WithTimeout(ctx, evidenceAckTimeout)
			err := e.resync(sctx, e.stream, l)
			cancel()
			if err != nil {
				return false, err
			}
		}
	}
	for _, l := range pending {
		if l.diverged == nil && l.head > l.pub {
			return true, e.publishWindow(ctx, l)
		}
	}
	return false, nil
}

// resync reads the last message of the log's subject and checks that it
// is the local record of that seq, byte for byte.
func (e *Evidence) resync(ctx context.Context, stream jetstream.Stream, l *logState) error {
	subj := e.cfg.Studio.LogSubject(WireLog(l.show, e.cfg.DeskKey))
	msg, err := stream.GetLastMsgForSubject(ctx, subj)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		if l.pub > 0 {
			e.cfg.Logf("fleet: evidence: the hub has no record of log %q although %d were acknowledged before (a new or reset hub?): publishing it again from record 1", l.show, l.pub)
		}
		l.pub, l.pubHash, l.subjSeq, l.synced, l.dirty = 0, "", 0, true, true
		return nil
	}
	if err != nil {
		return fmt.Errorf("log %q: last message on %s: %w", l.show, subj, err)
	}
	hubSeq, _ := strconv.ParseUint(msg.Header.Get(HeaderSeq), 10, 64)
	hubHash := msg.Header.Get(HeaderHash)
	sum := sha256.Sum256(msg.Data)
	if hubSeq == 0 || hex.EncodeToString(sum[:]) != hubHash {
		e.diverge(l, Divergence{Show: l.show, Seq: hubSeq, Reason: fmt.Sprintf("the hub's last message on %s (stream seq %d) is not a well-formed record (Sd-Seq %q, Sd-Hash %.12s…)", subj, msg.Sequence, msg.Header.Get(HeaderSeq), hubHash)})
		return nil
	}
	if hubSeq > l.head {
		e.diverge(l, Divergence{Show: l.show, Seq: l.head + 1, Reason: fmt.Sprintf("the hub has records up to %d, the desk's log ends at %d: records %d-%d are missing on the desk (log cut short?)", hubSeq, l.head, l.head+1, hubSeq)})
		return nil
	}
	var local store.CanonicalRecord
	err = e.cfg.Store.Canonical(l.show, hubSeq, hubSeq, func(r store.CanonicalRecord) error {
		local = r
		return nil
	})
	if err != nil {
		return fmt.Errorf("log %q: record %d: %w", l.show, hubSeq, err)
	}
	if local.Seq != hubSeq || local.Hash != hubHash || string(local.Bytes) != string(msg.Data) {
		e.diverge(l, Divergence{Show: l.show, Seq: hubSeq, Reason: fmt.Sprintf("the desk's record has hash %.12s…, the hub's copy %.12s… (the desk's log was rewritten, or another desk publishes this studio)", local.Hash, hubHash)})
		return nil
	}
	if hubSeq < l.saved {
		e.cfg.Logf("fleet: evidence: the hub has log %q up to record %d, %d were acknowledged before (hub restored from an older state?): publishing again from %d", l.show, hubSeq, l.saved, hubSeq+1)
	}
	if hubSeq != l.pub {
		l.dirty = true
	}
	l.pub, l.pubHash, l.subjSeq, l.synced = hubSeq, hubHash, msg.Sequence, true
	return nil
}

func (e *Evidence) diverge(l *logState, d Divergence) {
	l.diverged = &d
	e.cfg.Logf("fleet: evidence: DIVERGENCE — log %q record %d: %s. This log is no longer published; nothing on the hub was changed (证据与中心副本不一致，已停止上传该日志，中心副本未改动). Check with: studiodesk verify --fleet URL --studio %s %s", d.Show, d.Seq, d.Reason, e.cfg.Studio.ID, d.Show)
}

// publishWindow publishes up to evidenceWindow records of l after its
// last acknowledged one and waits for the acks.
func (e *Evidence) publishWindow(ctx context.Context, l *logState) error {
	from, to := l.pub+1, min(l.head, l.pub+evidenceWindow)
	var recs []store.CanonicalRecord
	prev := l.pubHash
	if l.pub == 0 {
		prev = store.GenesisPrev
	}
	err := e.cfg.Store.Canonical(l.show, from, to, func(r store.CanonicalRecord) error {
		if r.Prev != prev {
			return &store.ChainError{Show: l.show, Seq: r.Seq, Reason: "prev does not match the hash of the record before it (record removed, replaced or reordered)"}
		}
		prev = r.Hash
		recs = append(recs, r)
		return nil
	})
	var ce *store.ChainError
	if errors.As(err, &ce) {
		e.diverge(l, Divergence{Show: l.show, Seq: ce.Seq, Reason: "the desk's own log does not verify: " + ce.Reason})
		return nil
	}
	if err != nil {
		return fmt.Errorf("log %q: read records %d-%d: %w", l.show, from, to, err)
	}
	if len(recs) == 0 || recs[0].Seq != from {
		e.diverge(l, Divergence{Show: l.show, Seq: from, Reason: "record missing in the desk's log"})
		return nil
	}
	wire := WireLog(l.show, e.cfg.DeskKey)
	subj := e.cfg.Studio.LogSubject(wire)
	futures := make([]jetstream.PubAckFuture, 0, len(recs))
	expect := e.streamLast
	var pubErr error
	for i, r := range recs {
		m := nats.NewMsg(subj)
		m.Data = r.Bytes
		m.Header.Set(jetstream.MsgIDHeader, EvidenceMsgID(wire, r.Seq, r.Hash))
		m.Header.Set(HeaderShow, wire)
		m.Header.Set(HeaderSeq, strconv.FormatUint(r.Seq, 10))
		m.Header.Set(HeaderHash, r.Hash)
		if e.cfg.DeskKey != "" {
			m.Header.Set(HeaderDesk, e.cfg.DeskKey)
		}
		m.Header.Set(jetstream.ExpectedLastSeqHeader, strconv.FormatUint(expect, 10))
		if i == 0 {
			m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(l.subjSeq, 10))
		}
		f, err := e.js.PublishMsgAsync(m)
		if err != nil {
			pubErr = fmt.Errorf("log %q: publish record %d: %w", l.show, r.Seq, err)
			break
		}
		futures = append(futures, f)
		expect++
	}
	broken := pubErr
	for i, f := range futures {
		select {
		case ack := <-f.Ok():
			if broken != nil {
				continue // the hub decides on the resync
			}
			if ack.Duplicate || ack.Sequence != e.streamLast+1 {
				// Stored before (a re-send) or the stream moved: the
				// prediction no longer holds; re-read the stream.
				broken = fmt.Errorf("log %q: record %d: acknowledged as stream seq %d (duplicate %v), expected %d", l.show, recs[i].Seq, ack.Sequence, ack.Duplicate, e.streamLast+1)
				continue
			}
			l.pub, l.pubHash, l.subjSeq, l.dirty = recs[i].Seq, recs[i].Hash, ack.Sequence, true
			e.streamLast = ack.Sequence
			now := time.Now()
			e.lastAck = now
			e.published++
			if e.cfg.OnAck != nil {
				e.cfg.OnAck(l.show, recs[i].Seq, now)
			}
		case err := <-f.Err():
			if broken == nil {
				broken = fmt.Errorf("log %q: record %d: %w", l.show, recs[i].Seq, err)
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return broken
}

// saveCursors writes the dirty cursors, at most once a second unless
// forced (the stream is the authority; the cursor only bounds the work
// and the offline count).
func (e *Evidence) saveCursors(force bool) {
	if !force && time.Since(e.lastSave) < evidenceCursorEvery {
		return
	}
	var dirty []*logState
	for _, l := range e.logs {
		if l.dirty && l.pub != l.saved {
			dirty = append(dirty, l)
		}
	}
	if len(dirty) == 0 {
		return
	}
	now := time.Now().UTC()
	err := e.cfg.Store.Commit(func(tx *store.Tx) error {
		for _, l := range dirty {
			if err := tx.Put(EvidenceBucket, l.show, evidenceCursor{Seq: l.pub, Hash: l.pubHash, At: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		e.problem(fmt.Errorf("save cursors: %w", err))
		return
	}
	e.lastSave = now
	for _, l := range dirty {
		l.saved, l.dirty = l.pub, false
	}
}

func (e *Evidence) publishStatus(connected, active bool) {
	e.steps++
	s := EvidenceStatus{Connected: connected, Active: active, Published: e.published, LastAck: e.lastAck, Logs: len(e.logs), Err: e.lastErr, Resyncs: e.resyncs, steps: e.steps}
	for _, l := range e.logs {
		if active && l.head > l.pub {
			// A follower's records are the primary's, imported: not its
			// to publish.
			s.Unpublished += l.head - l.pub
		}
		if l.diverged != nil {
			s.Divergences = append(s.Divergences, *l.diverged)
		}
	}
	sort.Slice(s.Divergences, func(i, j int) bool { return s.Divergences[i].Show < s.Divergences[j].Show })
	e.mu.Lock()
	e.status = s
	e.mu.Unlock()
}

// EvidenceStatusOf is the evidence status of a desk's link, for the
// desk's status lights and the heartbeat; ok is false when the link has
// no evidence part (no fleet).
func EvidenceStatusOf(l *Link) (s EvidenceStatus, ok bool) {
	ev, ok := l.Part(EvidencePart).(*Evidence)
	if !ok || ev == nil {
		return EvidenceStatus{}, false
	}
	return ev.Status(), true
}
