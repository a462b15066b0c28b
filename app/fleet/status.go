package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"studiodesk/devices"
	"studiodesk/studio"
	"studiodesk/studio/interact"
)

// The status part: each desk tells the agency what its studio is doing,
// as one small JSON message (Status) on sd.<id>.status once a second and
// at once when something visible changes (segment, state, an
// interaction, a device's health). The hub's overview page and
// `studiodesk fleet` show it; a standby may read it as the primary's
// heartbeat. It is core NATS (fire and forget, nothing stored): a missed
// message is replaced by the next one within a second.
//
// Everything comes from what the desk already publishes — its snapshot,
// its interaction view, the device registry and the danmaku pipeline's
// counters — never from a widget.

// StatusVersion is the status message's format version (Status.V).
const StatusVersion = 1

// Roles a desk reports.
const (
	RolePrimary = "primary"
	RoleStandby = "standby"
	// roleProducer is a producer's desk: it follows, never takes over,
	// and reports on the standby subject.
	roleProducer = "producer"
)

// Show states a desk reports.
const (
	StateIdle    = "idle"
	StateRunning = "running"
	StatePaused  = "paused"
	StateEnded   = "ended"
)

// Device health a desk reports (devices.Health folded to three lights).
const (
	HealthOK       = "ok"
	HealthDegraded = "degraded"
	HealthDown     = "down"
)

// Status is one studio's live status message (docs/fleet-overview.md).
type Status struct {
	V      int    `json:"v"`
	Studio string `json:"studio"`
	// Desk is the publishing desk's signing-key fingerprint.
	Desk string `json:"desk"`
	Role string `json:"role"`
	// Show is the loaded show's title; ShowID its id; Run the run on air
	// ("" before the first start).
	Show      string `json:"show"`
	ShowID    string `json:"show_id,omitempty"`
	Run       string `json:"run,omitempty"`
	Rehearsal bool   `json:"rehearsal"`
	// Segment is the current segment's index (0-based; -1 with no show),
	// of Segments; SegmentTitle its title.
	Segment      int    `json:"segment"`
	Segments     int    `json:"segments"`
	SegmentTitle string `json:"segment_title,omitempty"`
	// SegmentLeft is the time left in the segment in seconds (negative in
	// overtime); OverUnder is projected end minus planned end in seconds
	// (positive = running over). Both 0 before the start.
	SegmentLeft float64 `json:"segment_left_s"`
	OverUnder   float64 `json:"over_under_s"`
	State       string  `json:"state"`
	// DanmakuPerMin is comments received per minute over the last minute
	// (or since the desk started, if that is shorter).
	DanmakuPerMin float64             `json:"danmaku_per_min"`
	Interactions  []StatusInteraction `json:"interactions"`
	Devices       []StatusDevice      `json:"devices"`
	Fleet         StatusFleet         `json:"fleet"`
	// Unpublished counts show-log records not yet in the hub's stream
	// (absent when the evidence part does not say).
	Unpublished *int `json:"unpublished,omitempty"`
	// Seq increases with every message from this desk; SentAt is the
	// desk's wall clock when it was sent.
	Seq    uint64    `json:"seq"`
	SentAt time.Time `json:"sent_at"`
}

// StatusInteraction is a coupon or vote that is armed or live.
type StatusInteraction struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"` // coupon | vote
	Label string `json:"label"`
	State string `json:"state"` // armed | live
	// Coupons: claimed and stock left.
	Claims    int `json:"claims,omitempty"`
	StockLeft int `json:"stock_left,omitempty"`
	// Votes: votes per option and in all.
	Options []string  `json:"options,omitempty"`
	Counts  []int     `json:"counts,omitempty"`
	Total   int       `json:"total,omitempty"`
	EndsAt  time.Time `json:"ends_at,omitzero"`
}

// StatusDevice is one device's health.
type StatusDevice struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Health string `json:"health"` // ok | degraded | down
	Error  string `json:"error,omitempty"`
}

// StatusFleet is the desk's link to the fleet as it sends.
type StatusFleet struct {
	Connected  bool   `json:"connected"`
	Server     string `json:"server,omitempty"`
	Reconnects uint64 `json:"reconnects"`
}

// StandbyStatus is where a standby desk sends its status
// (sd.<id>.status.standby), so the primary's subject carries the primary
// alone and a standby never mistakes another standby for its heartbeat.
func (s Studio) StandbyStatus() string { return s.Heartbeat() + ".standby" }

// StatusSubjects are the wildcards the agency subscribes to for every
// studio's status (primary and standby).
var StatusSubjects = []string{Root + ".*.status", Root + ".*.status.standby"}

// ParseStatus decodes a status message received on subject; the studio
// is the subject's (the permissions vouch for it, not the payload). An
// error names the subject and what is wrong.
func ParseStatus(subject string, data []byte) (Status, error) {
	var s Status
	id, standby, ok := StatusSubjectStudio(subject)
	if !ok {
		return s, fmt.Errorf("status on %q: not a status subject (want sd.<id>.status)", subject)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return s, fmt.Errorf("status of studio %s: %w", id, err)
	}
	if s.V != StatusVersion {
		return s, fmt.Errorf("status of studio %s: format version %d, want %d", id, s.V, StatusVersion)
	}
	if s.Studio != id {
		return s, fmt.Errorf("status on %s names studio %q", subject, s.Studio)
	}
	if standby && s.Role != RoleStandby && s.Role != roleProducer {
		return s, fmt.Errorf("status of studio %s: role %q on the standby subject", id, s.Role)
	}
	if !standby && s.Role != RolePrimary {
		return s, fmt.Errorf("status of studio %s: role %q on the primary's subject", id, s.Role)
	}
	return s, nil
}

// StatusSubjectStudio returns the studio id of a status subject and
// whether it is a standby's.
func StatusSubjectStudio(subject string) (id string, standby, ok bool) {
	rest, found := strings.CutPrefix(subject, Root+".")
	if !found {
		return "", false, false
	}
	for i := 0; i < len(rest); i++ {
		if rest[i] != '.' {
			continue
		}
		id, tail := rest[:i], rest[i+1:]
		if CheckID(id) != nil {
			return "", false, false
		}
		switch tail {
		case "status":
			return id, false, true
		case "status.standby":
			return id, true, true
		}
		return "", false, false
	}
	return "", false, false
}

// RoleReporter is implemented by a part (the standby part) that knows
// whether this desk is primary or standby now.
type RoleReporter interface{ Role() string }

// UnpublishedReporter is implemented by a part (the evidence part) that
// counts show-log records not yet acknowledged by the hub.
type UnpublishedReporter interface{ Unpublished() int }

// Status part timing.
const (
	// StatusEvery is the heartbeat: a message at least this often.
	StatusEvery = time.Second
	// statusPoll is how often device health and the role are looked at
	// for a change between heartbeats.
	statusPoll = 250 * time.Millisecond
	// statusSettle batches a burst of interaction changes (votes arrive
	// by the thousand) into one message.
	statusSettle = 200 * time.Millisecond
)

func init() {
	Register(Part{Name: "status", Start: startStatus})
}

// statusPart is the running status publisher.
type statusPart struct {
	l    *Link
	done chan struct{}
	stop context.CancelFunc

	mu   sync.Mutex
	last Status // the last message sent (for tests and the standby)
	sent uint64
}

func startStatus(ctx context.Context, l *Link) (Running, error) {
	if l.Desk.Desk == nil {
		return nil, nil // nothing to report (a link without a desk)
	}
	ctx, cancel := context.WithCancel(ctx)
	p := &statusPart{l: l, done: make(chan struct{}), stop: cancel}
	go p.run(ctx)
	return p, nil
}

// Close stops publishing.
func (p *statusPart) Close() error {
	p.stop()
	<-p.done
	return nil
}

// Last returns the last status sent and how many were sent.
func (p *statusPart) Last() (Status, uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.last, p.sent
}

// LastStatus is what the status part of l sent last (ok false before the
// first message or without the part).
func (l *Link) LastStatus() (Status, bool) {
	p, _ := l.Part("status").(*statusPart)
	if p == nil {
		return Status{}, false
	}
	s, n := p.Last()
	return s, n > 0
}

func (p *statusPart) run(ctx context.Context) {
	defer close(p.done)
	d := p.l.Desk.Desk
	sub := d.Subscribe(16)
	defer sub.Close()
	b := newStatusBuilder(p.l)
	b.refreshInteractions()
	beat := time.NewTicker(StatusEvery)
	defer beat.Stop()
	poll := time.NewTicker(statusPoll)
	defer poll.Stop()
	settle := time.NewTimer(time.Hour)
	settle.Stop()
	defer settle.Stop()
	settling := false
	var lastKey, lastPoll string
	send := func(force bool) {
		s := b.build(time.Now())
		key := s.changeKey()
		if !force && key == lastKey {
			return
		}
		if !p.l.Connected() {
			// A heartbeat buffered while offline would arrive late and
			// lie about the present; the next one after reconnecting
			// tells the truth.
			return
		}
		p.mu.Lock()
		p.sent++
		s.Seq = p.sent
		p.mu.Unlock()
		raw, err := json.Marshal(s)
		if err != nil {
			p.l.Logf("fleet: status: %v", err)
			return
		}
		// The primary's subject carries the primary alone.
		subject := p.l.Studio.StandbyStatus()
		if s.Role == RolePrimary {
			subject = p.l.Studio.Heartbeat()
		}
		if err := p.l.Conn.Publish(subject, raw); err != nil {
			return // disconnected between the check and now: next beat
		}
		lastKey = key
		beat.Reset(StatusEvery)
		p.mu.Lock()
		p.last = s
		p.mu.Unlock()
	}
	send(true)
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-sub.C():
			switch ev.Kind {
			case studio.EventSnapshot:
				send(false)
			case studio.EventInteraction:
				if !settling {
					settling = true
					settle.Reset(statusSettle)
				}
			}
		case <-settle.C:
			settling = false
			// Many interaction events change nothing shown here (a
			// re-send of pending commands, say): build only on a change.
			if b.refreshInteractions() {
				send(false)
			}
		case <-poll.C:
			// Only what no desk event announces: device health, the role.
			if k := b.pollKey(); k != lastPoll {
				lastPoll = k
				send(false)
			}
		case <-beat.C:
			send(true)
		}
	}
}

// statusBuilder turns the desk's state into a Status. It is used by one
// goroutine.
type statusBuilder struct {
	l       *Link
	desk    string
	ix      []StatusInteraction
	samples []danmakuSample // the last minute of the danmaku counter
	now     func() time.Time
}

type danmakuSample struct {
	at time.Time
	n  int64
}

func newStatusBuilder(l *Link) *statusBuilder {
	b := &statusBuilder{l: l, now: time.Now}
	if bt := l.Desk.Boot; bt != nil && bt.Key != nil {
		b.desk = bt.Key.Fingerprint()
	}
	return b
}

// refreshInteractions asks the desk for its interactions (on its
// goroutine) and keeps the armed and live ones; changed reports whether
// they differ from before.
func (b *statusBuilder) refreshInteractions() (changed bool) {
	ix := statusInteractions(b.l.Desk.Desk.Interactions().Items)
	changed = !reflect.DeepEqual(ix, b.ix)
	b.ix = ix
	return changed
}

func statusInteractions(items []interact.View) []StatusInteraction {
	out := []StatusInteraction{}
	for _, v := range items {
		if v.State != interact.Live && v.State != interact.Armed {
			continue
		}
		si := StatusInteraction{ID: v.ID, Kind: string(v.Kind), Label: v.Label, State: string(v.State), EndsAt: v.EndsAt}
		switch v.Kind {
		case interact.KindCoupon:
			si.Claims, si.StockLeft = v.Claims, v.StockLeft
		case interact.KindVote:
			si.Counts, si.Total = slices.Clone(v.Counts), v.Total
			if v.Vote != nil {
				si.Options = slices.Clone(v.Vote.Options)
				if v.Vote.Question != "" && si.Label == v.ID {
					si.Label = v.Vote.Question
				}
			}
		}
		out = append(out, si)
	}
	return out
}

// showNow is the desk's show clock (scaled in a fast rehearsal).
func (b *statusBuilder) showNow() time.Time {
	if bt := b.l.Desk.Boot; bt != nil && bt.Clock != nil {
		return bt.Clock.Now()
	}
	return time.Now()
}

// role is the desk's role now, from the standby part (its Role(), or
// whether it holds the lease): a desk restarted without --standby-for
// that found another desk holding the lease is a follower too. Without
// a standby part (no role switch) the flag decides.
func (b *statusBuilder) role() string {
	switch role := linkRole(b.l); role {
	case RolePrimary, RoleStandby, roleProducer:
		return role
	case "":
	default:
		return RoleStandby // not known yet: not the primary
	}
	if b.l.Config.StandbyFor != "" {
		return RoleStandby
	}
	return RolePrimary
}

func (b *statusBuilder) build(wall time.Time) Status {
	d := b.l.Desk.Desk
	s := Status{V: StatusVersion, Studio: b.l.Studio.ID, Desk: b.desk, Role: b.role(), Segment: -1, State: StateIdle, Interactions: b.ix, Devices: []StatusDevice{}, SentAt: wall.UTC()}
	snap := d.Snapshot()
	if snap != nil {
		s.Run, s.Rehearsal = snap.Run, snap.Rehearsal
		if snap.Show != nil {
			s.Show, s.ShowID, s.Segments = snap.Show.Title, snap.Show.ID, len(snap.Show.Segments)
		}
		if snap.Timer != nil && s.Segments > 0 {
			st := snap.State(b.showNow())
			s.Segment = st.Segment
			if st.Segment >= 0 && st.Segment < s.Segments {
				s.SegmentTitle = snap.Show.Segments[st.Segment].Title
			}
			switch {
			case st.Ended:
				s.State = StateEnded
			case !st.Started:
				s.State = StateIdle
			case st.Paused:
				s.State = StatePaused
			default:
				s.State = StateRunning
			}
			if st.Started {
				s.SegmentLeft = seconds(st.SegmentLeft)
				s.OverUnder = seconds(st.OverUnder)
			}
		}
		if snap.Devices != nil {
			for _, dev := range snap.Devices.List() {
				s.Devices = append(s.Devices, statusDevice(dev))
			}
		}
	}
	if n, ok := d.DanmakuReceived(); ok {
		s.DanmakuPerMin = b.danmakuRate(wall, n)
	}
	if c := b.l.Conn; c != nil {
		s.Fleet = StatusFleet{Connected: c.IsConnected(), Server: c.ConnectedServerName(), Reconnects: c.Stats().Reconnects}
	}
	if r, ok := b.l.Part("evidence").(UnpublishedReporter); ok {
		n := r.Unpublished()
		s.Unpublished = &n
	}
	return s
}

// pollKey is the part of the status that changes without a desk event:
// each device's health and this desk's role. It is cheap to make.
func (b *statusBuilder) pollKey() string {
	var k strings.Builder
	k.WriteString(b.role())
	if snap := b.l.Desk.Desk.Snapshot(); snap != nil && snap.Devices != nil {
		for _, dev := range snap.Devices.List() {
			k.WriteByte('|')
			k.WriteString(dev.ID())
			k.WriteByte('=')
			k.WriteByte(byte('0' + dev.Status().Health))
		}
	}
	return k.String()
}

func statusDevice(dev devices.Device) StatusDevice {
	st := dev.Status()
	h := HealthDegraded
	switch st.Health {
	case devices.OK:
		h = HealthOK
	case devices.Down:
		h = HealthDown
	}
	return StatusDevice{ID: dev.ID(), Name: dev.Name(), Kind: string(dev.Kind()), Health: h, Error: st.LastError}
}

// seconds rounds to a tenth of a second (the page shows whole seconds).
func seconds(d time.Duration) float64 { return math.Round(d.Seconds()*10) / 10 }

// danmakuRate adds a sample of the received counter and returns comments
// per minute over the last minute of samples.
func (b *statusBuilder) danmakuRate(at time.Time, n int64) float64 {
	// Keep one sample per ~second: the poll runs faster than that.
	if k := len(b.samples); k == 0 || at.Sub(b.samples[k-1].at) >= 900*time.Millisecond {
		b.samples = append(b.samples, danmakuSample{at: at, n: n})
	}
	cut := 0
	for cut < len(b.samples)-1 && at.Sub(b.samples[cut].at) > time.Minute {
		cut++
	}
	b.samples = b.samples[cut:]
	first := b.samples[0]
	span := at.Sub(first.at)
	if span < time.Second {
		return 0
	}
	return math.Round(float64(n-first.n)/span.Minutes()*10) / 10
}

// changeKey is what makes a message worth sending before the next
// heartbeat: everything but the running figures (times, rates, counts of
// sends). Over/under and the danmaku rate go out with the heartbeat.
func (s Status) changeKey() string {
	k := s
	k.SegmentLeft, k.OverUnder, k.DanmakuPerMin, k.Seq, k.SentAt = 0, 0, 0, 0, time.Time{}
	k.Fleet.Reconnects = 0
	raw, _ := json.Marshal(k)
	return string(raw)
}
