// Package rehearsal is the default platform: a simulated Chinese
// live-commerce room. Viewers arrive and leave, ask about sizes and prices,
// buy, praise, complain, spam links, flood lottery phrases, like and send
// gifts; after a coupon is issued they claim it within stock and per-viewer
// limits; during a vote they send digits ("扣1").
//
// The simulation is deterministic: the same Seed, the same clock and the
// same commands at the same instants give the same events. Generate
// produces any window of the show at once (tests, accelerated
// rehearsals); Run paces the same generator in real time.
package rehearsal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"studiodesk/studio/platform"
)

// Name is the simulator's platform name.
const Name = "rehearsal"

// Defaults.
const (
	DefaultProfile = "normal"
	DefaultTick    = 50 * time.Millisecond
	// MaxCatchUp is the longest stretch Run generates after a stall of its
	// own (a suspended laptop); older time is skipped.
	MaxCatchUp = 5 * time.Second
	// DefaultCouponWindow is the coupon decision window.
	DefaultCouponWindow = 3 * time.Minute
	// MaxKeys is how many idempotency keys are remembered; the oldest are
	// forgotten first (a show sends far fewer commands).
	MaxKeys = 1 << 16
	batch   = 4096
)

// Errors callers branch on.
var (
	// ErrDown is wrapped by Send while the simulated link is down
	// (SetDown, or an outage in the flaky profile): nothing was done.
	ErrDown = errors.New("link down")
	// ErrAckLost is wrapped by Send when the command was carried out but
	// its ack was lost (DropNextAck): re-send with the same key.
	ErrAckLost = errors.New("link dropped before the ack arrived")
)

// Config configures a Sim. The zero value is a normal room in real time.
type Config struct {
	// Seed makes a run replayable.
	Seed int64
	// Rate is viewer messages (danmaku) per second, MinRate to MaxRate;
	// 0 takes the profile's rate.
	Rate float64
	// Viewers is the audience size around which the count wanders; 0
	// takes the profile's.
	Viewers int
	// Profile is "quiet", "normal" (default), "mega" (20,000 msg/s),
	// "hostile" (spam, injection attempts, floods) or "flaky" (lost,
	// delayed and repeated events, short outages).
	Profile string
	// Now is the clock (time.Now if nil). Run generates up to Now().
	Now func() time.Time
	// Tick is how often Run generates (DefaultTick).
	Tick time.Duration
}

// Sim is the simulated platform. It implements platform.Platform.
type Sim struct {
	platform.Link

	cfg     Config
	err     error
	running atomic.Bool

	mu       sync.Mutex
	g        *gen
	keys     map[string]*keyRec
	keyOrder []string // ring of remembered keys, oldest at keyHead
	keyHead  int
	issued   map[string]int     // coupon id → successful issuances
	coupons  map[string]*coupon // by id, latest issuance
	votes    map[string]time.Time
	down     bool
	dropAck  bool
}

type keyRec struct {
	ack     platform.Ack
	effects int
}

var _ platform.Platform = (*Sim)(nil)

// New returns a simulator. A bad Config is reported by Run, Generate and
// Send (and Err).
func New(cfg Config) *Sim {
	s := &Sim{
		keys:    make(map[string]*keyRec),
		issued:  make(map[string]int),
		coupons: make(map[string]*coupon),
		votes:   make(map[string]time.Time),
	}
	if cfg.Profile == "" {
		cfg.Profile = DefaultProfile
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Tick <= 0 {
		cfg.Tick = DefaultTick
	}
	p, ok := profiles[cfg.Profile]
	switch {
	case !ok:
		s.err = fmt.Errorf("rehearsal: config: unknown profile %q (quiet, normal, mega, hostile, flaky)", cfg.Profile)
	case math.IsNaN(cfg.Rate) || cfg.Rate < 0 || (cfg.Rate > 0 && cfg.Rate < MinRate) || cfg.Rate > MaxRate:
		s.err = fmt.Errorf("rehearsal: config: rate %v msg/s out of range %d-%d", cfg.Rate, MinRate, MaxRate)
	case cfg.Viewers < 0 || cfg.Viewers > MaxViewers:
		s.err = fmt.Errorf("rehearsal: config: viewers %d out of range 1-%d", cfg.Viewers, MaxViewers)
	}
	if cfg.Rate == 0 {
		cfg.Rate = p.rate
	}
	if cfg.Viewers == 0 {
		cfg.Viewers = p.viewers
	}
	if s.err != nil {
		p, cfg.Rate, cfg.Viewers = profiles[DefaultProfile], 1, 1
	}
	s.cfg = cfg
	s.Link.Now = cfg.Now
	s.g = newGen(cfg.Seed, p, cfg.Rate, cfg.Viewers)
	return s
}

// Err reports a bad Config.
func (s *Sim) Err() error { return s.err }

// Name returns "rehearsal".
func (s *Sim) Name() string { return Name }

// Capabilities: danmaku, coupons and votes (counted from danmaku digits).
func (s *Sim) Capabilities() platform.Capabilities {
	return platform.Capabilities{Danmaku: true, Coupons: true, Votes: true}
}

// Generate simulates [from, to) at once and hands the events to sink in
// order, in batches, without holding any lock (sink may call Send). The
// simulation continues from where the previous window ended: a window
// starting earlier is trimmed, one starting later skips the gap. Windows
// split differently give the same events. It fails while Run is running.
func (s *Sim) Generate(from, to time.Time, sink func(platform.Event)) error {
	if s.err != nil {
		return s.err
	}
	if sink == nil {
		return errors.New("rehearsal: Generate: nil sink")
	}
	if s.running.Load() {
		return fmt.Errorf("rehearsal: Generate: %w", platform.ErrRunning)
	}
	s.generate(from, to, sink)
	return nil
}

func (s *Sim) generate(from, to time.Time, sink func(platform.Event)) {
	var out []platform.Event
	var done bool
	for {
		s.mu.Lock()
		g := s.g
		if !g.started {
			out = g.start(from, out)
		} else if from.After(g.at) {
			g.skipTo(from)
		}
		out, done = g.generate(to, batch, out)
		s.mu.Unlock()
		for _, ev := range out {
			sink(ev)
		}
		clear(out)
		out = out[:0]
		if done {
			return
		}
		from = time.Time{}
	}
}

// Run generates events in real time (every Tick, up to Now()) until ctx
// ends. While the link is down (SetDown, flaky outages) the room goes on
// but its events are lost.
func (s *Sim) Run(ctx context.Context, sink func(platform.Event)) error {
	if s.err != nil {
		return s.err
	}
	if sink == nil {
		return errors.New("rehearsal: Run: nil sink")
	}
	if !s.running.CompareAndSwap(false, true) {
		return fmt.Errorf("rehearsal: %w", platform.ErrRunning)
	}
	defer s.running.Store(false)
	defer s.Set(platform.Down, nil)
	s.Set(platform.Connected, nil)

	t := time.NewTicker(s.cfg.Tick)
	defer t.Stop()
	last := s.cfg.Now()
	s.mu.Lock()
	if s.g.started && s.g.at.After(last) {
		last = s.g.at
	}
	s.mu.Unlock()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		now := s.cfg.Now()
		if !now.After(last) {
			continue
		}
		if now.Sub(last) > MaxCatchUp {
			last = now.Add(-MaxCatchUp)
		}
		down := s.linkDown(now)
		s.generate(last, now, func(ev platform.Event) {
			if !down {
				sink(ev)
			}
		})
		last = now
		if s.linkDown(now) {
			s.Set(platform.Connecting, errOutage)
		} else {
			s.Set(platform.Connected, nil)
		}
	}
}

var errOutage = fmt.Errorf("rehearsal: simulated outage: %w", ErrDown)

func (s *Sim) linkDown(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.down || s.g.inOutage(now)
}

// SetDown takes the simulated link down (true) or back up. While down,
// Send fails with ErrDown and Run loses events.
func (s *Sim) SetDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

// DropNextAck makes the next Send that reaches the platform act but lose
// its ack, as when the link drops right after the platform acted.
func (s *Sim) DropNextAck() {
	s.mu.Lock()
	s.dropAck = true
	s.mu.Unlock()
}

// Issuances is how many times a command with this key took effect (0 or 1
// unless idempotency is broken).
func (s *Sim) Issuances(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.keys[key]; r != nil {
		return r.effects
	}
	return 0
}

// IssuedCount is how many times coupon id was issued (under any key).
func (s *Sim) IssuedCount(couponID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issued[couponID]
}

// CouponStatus is a coupon's state in the simulation.
type CouponStatus struct {
	ID       string
	Stock    int
	Limit    int // per viewer
	Claimed  int
	Attempts int // claims tried, including refused ones
	Refused  int // over the per-viewer limit
	Active   bool
	EndsAt   time.Time
}

// Coupon returns the latest issuance of coupon id.
func (s *Sim) Coupon(id string) (CouponStatus, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.coupons[id]
	if c == nil {
		return CouponStatus{}, false
	}
	return CouponStatus{ID: c.id, Stock: c.stock, Limit: c.limit, Claimed: c.claimed,
		Attempts: c.attempts, Refused: c.rejected, Active: c.active, EndsAt: c.endsAt}, true
}

// Payloads.
type (
	// CouponIssue is the payload of "coupon.issue".
	CouponIssue struct {
		ID             string `json:"id"`
		Name           string `json:"name"`
		Stock          int    `json:"stock"`
		PerViewerLimit int    `json:"per_viewer_limit"`
		WindowSeconds  int    `json:"window_seconds"`
	}
	// VoteStart is the payload of "vote.start"; Duration is in seconds
	// (0: until vote.end).
	VoteStart struct {
		ID       string `json:"id"`
		Options  int    `json:"options"`
		Duration int    `json:"duration"`
	}
	// VoteEnd is the payload of "vote.end".
	VoteEnd struct {
		ID string `json:"id"`
	}
)

// Send carries out a command once per key. A repeated key returns the
// first Ack with Duplicate set and does nothing. A refused command (bad
// payload, conflict) is an Ack with OK false and Result
// {"code","message"}, and a nil error; kinds other than coupon.issue,
// vote.start and vote.end fail with platform.ErrUnsupported.
func (s *Sim) Send(ctx context.Context, cmd platform.Command) (platform.Ack, error) {
	ack := platform.Ack{Key: cmd.Key}
	if err := ctx.Err(); err != nil {
		return ack, fmt.Errorf("rehearsal: %s %q: %w", cmd.Kind, cmd.Key, err)
	}
	if s.err != nil {
		return ack, s.err
	}
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down || s.g.inOutage(now) {
		return ack, fmt.Errorf("rehearsal: %s %q: connection refused: %w", cmd.Kind, cmd.Key, ErrDown)
	}
	if cmd.Key == "" {
		return refuse(ack, "invalid", "empty idempotency key"), nil
	}
	if r := s.keys[cmd.Key]; r != nil {
		a := r.ack
		a.Duplicate = true
		return s.deliver(cmd, a)
	}
	if s.g.started && s.g.at.After(now) {
		now = s.g.at
	}
	var effect bool
	switch cmd.Kind {
	case platform.CmdCouponIssue:
		ack, effect = s.issueCoupon(ack, cmd.Payload, now)
	case platform.CmdVoteStart:
		ack, effect = s.startVote(ack, cmd.Payload, now)
	case platform.CmdVoteEnd:
		ack, effect = s.endVote(ack, cmd.Payload, now)
	default:
		return refuse(ack, "unsupported", cmd.Kind+" is not a simulator command"),
			fmt.Errorf("rehearsal: %s: %w", cmd.Kind, platform.ErrUnsupported)
	}
	s.remember(cmd.Key, ack, effect)
	s.prune()
	return s.deliver(cmd, ack)
}

// prune keeps the per-coupon and per-vote records bounded: past MaxKeys
// entries, finished ones are forgotten.
func (s *Sim) prune() {
	if len(s.coupons) > MaxKeys {
		for id, c := range s.coupons {
			if !c.active {
				delete(s.coupons, id)
				delete(s.issued, id)
			}
		}
	}
	if len(s.votes) > MaxKeys {
		now := s.cfg.Now()
		for id, end := range s.votes {
			if !now.Before(end) {
				delete(s.votes, id)
			}
		}
	}
}

func (s *Sim) deliver(cmd platform.Command, a platform.Ack) (platform.Ack, error) {
	if s.dropAck {
		s.dropAck = false
		return platform.Ack{Key: cmd.Key}, fmt.Errorf("rehearsal: %s %q: %w", cmd.Kind, cmd.Key, ErrAckLost)
	}
	return a, nil
}

func (s *Sim) remember(key string, a platform.Ack, effect bool) {
	r := &keyRec{ack: a}
	if effect {
		r.effects = 1
	}
	if len(s.keyOrder) < MaxKeys {
		s.keyOrder = append(s.keyOrder, key)
	} else {
		delete(s.keys, s.keyOrder[s.keyHead])
		s.keyOrder[s.keyHead] = key
		s.keyHead = (s.keyHead + 1) % MaxKeys
	}
	s.keys[key] = r
}

func refuse(a platform.Ack, code, msg string) platform.Ack {
	a.OK = false
	a.Result, _ = json.Marshal(map[string]string{"code": code, "message": msg})
	return a
}

func succeed(a platform.Ack, v any) platform.Ack {
	a.OK = true
	a.Result, _ = json.Marshal(v)
	return a
}

func (s *Sim) issueCoupon(a platform.Ack, raw json.RawMessage, now time.Time) (platform.Ack, bool) {
	var p CouponIssue
	if err := json.Unmarshal(raw, &p); err != nil {
		return refuse(a, "invalid", "coupon.issue payload: "+err.Error()), false
	}
	if p.PerViewerLimit == 0 {
		p.PerViewerLimit = 1
	}
	if p.WindowSeconds == 0 {
		p.WindowSeconds = int(DefaultCouponWindow / time.Second)
	}
	if p.Name == "" {
		p.Name = p.ID
	}
	switch {
	case p.ID == "" || len(p.ID) > 64:
		return refuse(a, "invalid", "coupon id must be 1-64 bytes"), false
	case p.Stock < 1 || p.Stock > 1000000:
		return refuse(a, "invalid", fmt.Sprintf("stock %d out of range 1-1000000", p.Stock)), false
	case p.PerViewerLimit < 1 || p.PerViewerLimit > 100:
		return refuse(a, "invalid", fmt.Sprintf("per_viewer_limit %d out of range 1-100", p.PerViewerLimit)), false
	case p.WindowSeconds < 1 || p.WindowSeconds > 3600:
		return refuse(a, "invalid", fmt.Sprintf("window_seconds %d out of range 1-3600", p.WindowSeconds)), false
	}
	if c := s.coupons[p.ID]; c != nil && c.active {
		return refuse(a, "conflict", fmt.Sprintf("coupon %q is still running until %s", p.ID, c.endsAt.Format(time.RFC3339))), false
	}
	if len(s.g.coupons) >= maxActiveCoupons {
		return refuse(a, "conflict", fmt.Sprintf("%d coupons already running", maxActiveCoupons)), false
	}
	c := &coupon{id: p.ID, name: p.Name, stock: p.Stock, limit: p.PerViewerLimit,
		issuedAt: now, endsAt: now.Add(time.Duration(p.WindowSeconds) * time.Second)}
	s.g.issue(c, now)
	s.coupons[p.ID] = c
	s.issued[p.ID]++
	return succeed(a, map[string]any{"id": c.id, "name": c.name, "stock": c.stock,
		"per_viewer_limit": c.limit, "issued_at": c.issuedAt, "ends_at": c.endsAt}), true
}

func (s *Sim) startVote(a platform.Ack, raw json.RawMessage, now time.Time) (platform.Ack, bool) {
	var p VoteStart
	if err := json.Unmarshal(raw, &p); err != nil {
		return refuse(a, "invalid", "vote.start payload: "+err.Error()), false
	}
	switch {
	case p.ID == "" || len(p.ID) > 64:
		return refuse(a, "invalid", "vote id must be 1-64 bytes"), false
	case p.Options < 2 || p.Options > 9:
		return refuse(a, "invalid", fmt.Sprintf("options %d out of range 2-9", p.Options)), false
	case p.Duration < 0 || p.Duration > 3600:
		return refuse(a, "invalid", fmt.Sprintf("duration %d s out of range 0-3600", p.Duration)), false
	}
	if v := s.g.vote; v != nil && (v.end.IsZero() || now.Before(v.end)) {
		return refuse(a, "conflict", fmt.Sprintf("vote %q is running", v.id)), false
	}
	v := &vote{id: p.ID, n: p.Options, start: now}
	res := map[string]any{"id": v.id, "options": v.n, "started_at": now}
	if p.Duration > 0 {
		v.end = now.Add(time.Duration(p.Duration) * time.Second)
		res["ends_at"] = v.end
		s.votes[v.id] = v.end
	} else {
		s.votes[v.id] = never
	}
	s.g.startVote(v)
	return succeed(a, res), true
}

func (s *Sim) endVote(a platform.Ack, raw json.RawMessage, now time.Time) (platform.Ack, bool) {
	var p VoteEnd
	if err := json.Unmarshal(raw, &p); err != nil {
		return refuse(a, "invalid", "vote.end payload: "+err.Error()), false
	}
	end, ok := s.votes[p.ID]
	if !ok {
		return refuse(a, "invalid", fmt.Sprintf("no vote %q", p.ID)), false
	}
	if !now.Before(end) {
		return succeed(a, map[string]any{"id": p.ID, "ended_at": end, "already_ended": true}), false
	}
	s.votes[p.ID] = now
	if v := s.g.vote; v != nil && v.id == p.ID {
		s.g.vote = nil
	}
	return succeed(a, map[string]any{"id": p.ID, "ended_at": now}), true
}
