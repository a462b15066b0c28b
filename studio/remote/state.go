package remote

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"studiodesk/studio"
	"studiodesk/studio/interact"
)

// Message types on the state channel.
const (
	TypeSnapshot = "snapshot"
	TypeDiff     = "diff"
)

// StateMsg is one message on the state channel. On the wire a diff's data
// holds only the top-level fields that changed; Client.State delivers the
// merged, whole state in Data.
type StateMsg struct {
	Type string    `json:"type"`
	Seq  uint64    `json:"seq"`
	Data StateData `json:"data"`
}

// StateData is what a remote shows. Durations are milliseconds measured at
// AtMs (the desk's clock); a remote counts down locally from the moment it
// received the message unless Paused. Every field is always present, so a
// diff replaces top-level fields and never deletes one.
type StateData struct {
	AtMs      int64  `json:"at_ms"`
	DeskSeq   uint64 `json:"desk_seq"`
	ShowID    string `json:"show_id"`
	ShowTitle string `json:"show_title"`
	Run       string `json:"run"`
	Rehearsal bool   `json:"rehearsal"`

	Started bool   `json:"started"`
	Paused  bool   `json:"paused"`
	Ended   bool   `json:"ended"`
	Clock   string `json:"clock"` // idle|normal|warning|danger|overtime|ended

	Segment       int    `json:"segment"`
	SegmentTitle  string `json:"segment_title"`
	SegmentLeftMs int64  `json:"segment_left_ms"`
	SegmentPlanMs int64  `json:"segment_planned_ms"`
	PointText     string `json:"point_text"`
	NextPointText string `json:"next_point_text"`
	ShowLeftMs    int64  `json:"show_left_ms"`
	OverUnderMs   int64  `json:"over_under_ms"`
	WindowsLeft   int    `json:"windows_left"`
	Rundown       []Row  `json:"rundown"`
	// CanControl is true for a controller, false for a viewer.
	CanControl bool `json:"can_control"`

	// Presets are the scene presets in grid order with their last recall.
	Presets []PresetState `json:"presets"`
	// Interactions are the show's coupons and votes.
	Interactions []InteractionState `json:"interactions"`
	// Devices are the studio devices and their health.
	Devices       []DeviceState `json:"devices"`
	DanmakuPaused bool          `json:"danmaku_paused"`
	// Questions are the top question groups waiting for an answer.
	Questions []QuestionState `json:"questions"`
	// Deck holds ready-to-show texts for a Stream Deck key.
	Deck DeckFields `json:"deck"`
}

// PresetState is one preset button.
type PresetState struct {
	ID     string       `json:"id"`
	Key    string       `json:"key"`
	Name   string       `json:"name"`
	Colour string       `json:"colour"`
	Last   *RecallState `json:"last"`
}

// RecallState is the result of a preset's last recall.
type RecallState struct {
	OK     bool     `json:"ok"`
	AtMs   int64    `json:"at_ms"`
	TookMs int64    `json:"took_ms"`
	Failed []string `json:"failed"`
	// Text is "✓ 3 devices · 42 ms" or "⚠ key light: timeout".
	Text string `json:"text"`
}

// InteractionState is one coupon or vote.
type InteractionState struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"` // coupon|vote
	Label string `json:"label"`
	State string `json:"state"` // draft|armed|live|closed|cancelled
	// CountdownMs is the time left while live (0 otherwise); Countdown is
	// it as mm:ss.
	CountdownMs int64     `json:"countdown_ms"`
	Countdown   string    `json:"countdown"`
	Stock       int       `json:"stock"`
	StockLeft   int       `json:"stock_left"`
	Claims      int       `json:"claims"`
	Counts      []int     `json:"counts"`
	Percent     []float64 `json:"percent"`
	Total       int       `json:"total"`
	Delivery    string    `json:"delivery"`
	Error       string    `json:"error"`
	// Text is one line for a key: "满300减50 · live · 02:59 · 120/500".
	Text string `json:"text"`
}

// QuestionState is one question group (answer_question takes its id).
type QuestionState struct {
	ID      string `json:"id"`
	Topic   string `json:"topic"`
	Count   int    `json:"count"`
	Example string `json:"example"`
}

// DeviceState is one device's status light.
type DeviceState struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Health string `json:"health"`
	RTTMs  int64  `json:"rtt_ms"`
	Error  string `json:"error"`
}

// DeckFields are a Stream Deck key's texts and colour.
type DeckFields struct {
	Left      string `json:"left"`       // "04:12", "+00:35" in overtime
	Segment   string `json:"segment"`    // "2. 精华液"
	Next      string `json:"next"`       // "3. 面霜" ("" at the last)
	OverUnder string `json:"over_under"` // "+01:10 over", "-00:20 under", "on time"
	Colour    string `json:"colour"`     // "#RRGGBB" for the phase
}

// Row is one rundown line.
type Row struct {
	Title     string `json:"title"`
	Kind      string `json:"kind"`
	PlannedMs int64  `json:"planned_ms"`
	Done      bool   `json:"done"`
}

func ms(d time.Duration) int64 { return d.Milliseconds() }

// stateFrom computes the remote's view of a desk snapshot at now.
func stateFrom(s *studio.Snapshot, now time.Time) StateData {
	d := snapshotState(s, now)
	d.Deck = deckFields(s, d)
	return d
}

func snapshotState(s *studio.Snapshot, now time.Time) StateData {
	d := StateData{AtMs: now.UnixMilli(), Clock: "idle", Rundown: []Row{},
		Presets: []PresetState{}, Interactions: []InteractionState{}, Devices: []DeviceState{}}
	if s == nil {
		return d
	}
	for _, p := range s.Presets {
		d.Presets = append(d.Presets, PresetState{ID: p.ID, Key: p.Key, Name: p.Name, Colour: p.Color})
	}
	if s.Devices != nil {
		st := s.Devices.Statuses()
		for _, dev := range s.Devices.List() {
			x := st[dev.ID()]
			d.Devices = append(d.Devices, DeviceState{ID: dev.ID(), Name: dev.Name(), Health: x.Health.String(),
				RTTMs: x.RTT.Milliseconds(), Error: x.LastError})
		}
	}
	d.DeskSeq, d.Run, d.Rehearsal = s.Seq, s.Run, s.Rehearsal
	st := s.State(now)
	d.Started, d.Paused, d.Ended = st.Started, st.Paused, st.Ended
	if st.Clock != "" {
		d.Clock = string(st.Clock)
	}
	d.Segment = st.Segment
	d.SegmentLeftMs, d.SegmentPlanMs = ms(st.SegmentLeft), ms(st.SegmentPlanned)
	d.PointText, d.NextPointText = st.PointText, st.NextPointText
	d.ShowLeftMs, d.OverUnderMs = ms(st.ShowLeft), ms(st.OverUnder)
	d.WindowsLeft = st.WindowsLeft
	if s.Show == nil {
		return d
	}
	d.ShowID, d.ShowTitle = s.Show.ID, s.Show.Title
	if st.Segment >= 0 && st.Segment < len(s.Show.Segments) {
		d.SegmentTitle = s.Show.Segments[st.Segment].Title
	}
	d.Rundown = make([]Row, len(s.Show.Segments))
	for i, seg := range s.Show.Segments {
		r := Row{Title: seg.Title, Kind: string(seg.Kind), PlannedMs: ms(seg.Duration)}
		if i < len(st.Rundown) {
			r.PlannedMs, r.Done = ms(st.Rundown[i].Planned), st.Rundown[i].Done
		}
		d.Rundown[i] = r
	}
	return d
}

// wireMsg is a state message on the wire: data is a whole object or a diff.
type wireMsg struct {
	Type string          `json:"type"`
	Seq  uint64          `json:"seq"`
	Data json.RawMessage `json:"data"`
}

// fields splits a state into its top-level JSON fields.
func fields(d StateData) (map[string]json.RawMessage, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("remote: encode state: %w", err)
	}
	m := make(map[string]json.RawMessage)
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("remote: split state: %w", err)
	}
	return m, nil
}

// stateCache computes the fields of a desk snapshot at one instant once,
// however many remotes are connected.
type stateCache struct {
	mu     sync.Mutex
	snap   *studio.Snapshot
	at     time.Time
	ver    uint64
	fields map[string]json.RawMessage
}

// get returns the fields of compute(snap, at); ver is the version of
// everything else the state holds (see extrasCache).
func (c *stateCache) get(snap *studio.Snapshot, at time.Time, ver uint64, compute func(*studio.Snapshot, time.Time) StateData) (map[string]json.RawMessage, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fields != nil && c.snap == snap && c.at.Equal(at) && c.ver == ver {
		return c.fields, nil
	}
	f, err := fields(compute(snap, at))
	if err != nil {
		return nil, err
	}
	c.snap, c.at, c.ver, c.fields = snap, at, ver, f
	return f, nil
}

var (
	canControlTrue  = json.RawMessage("true")
	canControlFalse = json.RawMessage("false")
)

// encoder turns successive states into snapshot or diff messages for one
// remote. Not safe for concurrent use.
type encoder struct {
	seq  uint64
	last map[string]json.RawMessage
	keys []string
	buf  bytes.Buffer
}

// encode returns the next message for the shared fields cur (not
// modified) plus this remote's can_control: a diff against the last one
// unless full is set or nothing was sent yet. It returns nil when nothing
// changed.
func (e *encoder) encode(cur map[string]json.RawMessage, canControl bool, full bool) []byte {
	own := canControlFalse
	if canControl {
		own = canControlTrue
	}
	get := func(k string) json.RawMessage {
		if k == "can_control" {
			return own
		}
		return cur[k]
	}
	if e.keys == nil || len(e.keys) != len(cur) {
		e.keys = e.keys[:0]
		for k := range cur {
			e.keys = append(e.keys, k)
		}
		if _, ok := cur["can_control"]; !ok {
			e.keys = append(e.keys, "can_control")
		}
		slices.Sort(e.keys)
	}
	typ := TypeSnapshot
	if !full && e.last != nil {
		typ = TypeDiff
	}
	b := &e.buf
	b.Reset()
	b.WriteString(`{"type":"`)
	b.WriteString(typ)
	b.WriteString(`","seq":`)
	b.WriteString(strconv.FormatUint(e.seq+1, 10))
	b.WriteString(`,"data":{`)
	n := 0
	for _, k := range e.keys {
		v := get(k)
		if typ == TypeDiff && k != "at_ms" && bytes.Equal(e.last[k], v) {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(k)
		b.WriteString(`":`)
		b.Write(v)
		n++
	}
	b.WriteString("}}")
	if typ == TypeDiff && n == 1 { // only at_ms: nothing changed
		return nil
	}
	e.seq++
	if e.last == nil {
		e.last = make(map[string]json.RawMessage, len(e.keys))
	}
	for _, k := range e.keys {
		e.last[k] = get(k)
	}
	return bytes.Clone(b.Bytes())
}

// decoder merges snapshot and diff messages into whole states.
type decoder struct {
	have bool
	seq  uint64
	cur  StateData
}

// decode applies one message. A diff that does not follow the last message
// is an error (the caller resynchronises).
func (d *decoder) decode(b []byte) (StateMsg, error) {
	var w wireMsg
	if err := json.Unmarshal(b, &w); err != nil {
		return StateMsg{}, fmt.Errorf("remote: state message: %w", err)
	}
	next := d.cur
	switch w.Type {
	case TypeSnapshot:
		next = StateData{}
	case TypeDiff:
		if !d.have || w.Seq != d.seq+1 {
			return StateMsg{}, fmt.Errorf("remote: state diff %d does not follow %d", w.Seq, d.seq)
		}
		next.Rundown = slices.Clone(next.Rundown)
		next.Presets = slices.Clone(next.Presets)
		next.Interactions = slices.Clone(next.Interactions)
		next.Devices = slices.Clone(next.Devices)
		next.Questions = slices.Clone(next.Questions)
	default:
		return StateMsg{}, fmt.Errorf("remote: state message type %q", w.Type)
	}
	if err := json.Unmarshal(w.Data, &next); err != nil {
		return StateMsg{}, fmt.Errorf("remote: state %s %d: %w", w.Type, w.Seq, err)
	}
	d.have, d.seq, d.cur = true, w.Seq, next
	return StateMsg{Type: w.Type, Seq: w.Seq, Data: next}, nil
}

// hms formats a non-negative duration, rounded down, as mm:ss (h:mm:ss
// past an hour).
func hms(d time.Duration) string {
	s := int64(d / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}

// mmss formats a countdown: 00:01 until the last second is gone; "+" and
// counting up in overtime.
func mmss(d time.Duration) string {
	if d < 0 {
		return "+" + hms(-d)
	}
	return hms(d + time.Second - time.Nanosecond)
}

// Phase colours of the Stream Deck key (the desk's palette).
var deckColours = map[string]string{
	"idle": "#8A94A3", "normal": "#30A46C", "warning": "#F0B429", "danger": "#E5484D",
	"overtime": "#B3261E", "ended": "#8A94A3", "paused": "#2F7CF6",
}

func deckFields(s *studio.Snapshot, d StateData) DeckFields {
	f := DeckFields{Left: "--:--", Colour: deckColours[d.Clock]}
	if d.Paused {
		f.Colour = deckColours["paused"]
	}
	if s == nil || s.Show == nil || len(s.Show.Segments) == 0 {
		return f
	}
	f.Left = mmss(time.Duration(d.SegmentLeftMs) * time.Millisecond)
	if d.Segment >= 0 && d.Segment < len(s.Show.Segments) {
		f.Segment = fmt.Sprintf("%d. %s", d.Segment+1, s.Show.Segments[d.Segment].Title)
	}
	if n := d.Segment + 1; n < len(s.Show.Segments) {
		f.Next = fmt.Sprintf("%d. %s", n+1, s.Show.Segments[n].Title)
	}
	switch ou := time.Duration(d.OverUnderMs) * time.Millisecond; {
	case !d.Started:
		f.OverUnder = ""
	case ou >= time.Second:
		f.OverUnder = "+" + hms(ou) + " over"
	case ou <= -time.Second:
		f.OverUnder = "-" + hms(-ou) + " under"
	default:
		f.OverUnder = "on time"
	}
	return f
}

// extrasCache holds what the state adds to a desk snapshot from events:
// each preset's last recall.
type extrasCache struct {
	mu      sync.Mutex
	ver     uint64
	recalls map[string]RecallState
	// ix is the interactions as of the last interaction event (fetched
	// from the desk then, not for every state: countdowns are computed
	// from their end time).
	ix     []interact.View
	haveIx bool
}

func (e *extrasCache) version() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.ver
}

// noteEvent records what an event adds to the state.
func (s *Server) noteEvent(ev studio.Event) {
	switch ev.Kind {
	case studio.EventRecall:
		if ev.Recall == nil {
			return
		}
		r := ev.Recall
		rs := RecallState{OK: r.OK(), AtMs: ev.At.UnixMilli(), TookMs: r.Took.Milliseconds(), Failed: []string{}}
		var parts []string
		for _, x := range r.Results {
			if x.Err != nil {
				rs.Failed = append(rs.Failed, x.Name)
				parts = append(parts, x.Name+": "+x.Err.Error())
			}
		}
		if rs.OK {
			rs.Text = fmt.Sprintf("✓ %d devices · %d ms", len(r.Results), rs.TookMs)
		} else {
			rs.Text = "⚠ " + strings.Join(parts, "; ")
		}
		s.extras.mu.Lock()
		if s.extras.recalls == nil {
			s.extras.recalls = map[string]RecallState{}
		}
		s.extras.recalls[r.PresetID] = rs
		s.extras.ver++
		s.extras.mu.Unlock()
	case studio.EventInteraction:
		s.refreshInteractions()
	case studio.EventDanmakuPause, studio.EventWall:
		s.extras.mu.Lock()
		s.extras.ver++
		s.extras.mu.Unlock()
	}
}

// refreshInteractions fetches the interactions from the desk.
func (s *Server) refreshInteractions() []interact.View {
	items := s.cfg.Desk.Interactions().Items
	s.extras.mu.Lock()
	s.extras.ix, s.extras.haveIx = items, true
	s.extras.ver++
	s.extras.mu.Unlock()
	return items
}

// stateAt is the whole state of snap at at: the snapshot's fields plus
// the interactions, the last recalls and the feed's pause.
func (s *Server) stateAt(snap *studio.Snapshot, at time.Time) StateData {
	d := stateFrom(snap, at)
	s.extras.mu.Lock()
	for i, p := range d.Presets {
		if r, ok := s.extras.recalls[p.ID]; ok {
			r := r
			d.Presets[i].Last = &r
		}
	}
	items, have := s.extras.ix, s.extras.haveIx
	s.extras.mu.Unlock()
	if !have {
		items = s.refreshInteractions()
	}
	d.DanmakuPaused = s.cfg.Desk.DanmakuPaused()
	d.Questions = []QuestionState{}
	for _, g := range s.cfg.Desk.Questions(5) {
		q := QuestionState{ID: g.ID, Topic: g.Topic, Count: g.Count}
		if n := len(g.Examples); n > 0 {
			q.Example = g.Examples[n-1].Norm
		}
		d.Questions = append(d.Questions, q)
	}
	for _, v := range items {
		d.Interactions = append(d.Interactions, interactionState(v, at))
	}
	return d
}

// stateNow is the whole state at the desk's clock now.
func (s *Server) stateNow() StateData { return s.stateAt(s.cfg.Desk.Snapshot(), s.cfg.Now()) }

func interactionState(v interact.View, at time.Time) InteractionState {
	x := InteractionState{ID: v.ID, Kind: string(v.Kind), Label: v.Label, State: string(v.State),
		StockLeft: v.StockLeft, Claims: v.Claims, Counts: v.Counts, Percent: v.Percent, Total: v.Total,
		Delivery: string(v.Delivery), Error: v.LastError}
	if x.Counts == nil {
		x.Counts = []int{}
	}
	if x.Percent == nil {
		x.Percent = []float64{}
	}
	if v.Coupon != nil {
		x.Stock = v.Coupon.Stock
	}
	parts := []string{v.Label, x.State}
	if v.State == interact.Live && !v.EndsAt.IsZero() {
		left := max(v.EndsAt.Sub(at), 0)
		x.CountdownMs = left.Milliseconds()
		x.Countdown = mmss(left)
		parts = append(parts, x.Countdown)
	}
	switch v.Kind {
	case interact.KindCoupon:
		parts = append(parts, fmt.Sprintf("%d/%d", x.StockLeft, x.Stock))
	case interact.KindVote:
		for i, c := range x.Counts {
			parts = append(parts, fmt.Sprintf("%d:%d", i+1, c))
		}
	}
	x.Text = strings.Join(parts, " · ")
	return x
}
