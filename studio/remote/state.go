package remote

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"studiodesk/studio"
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
	d := StateData{AtMs: now.UnixMilli(), Clock: "idle", Rundown: []Row{}}
	if s == nil {
		return d
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
	fields map[string]json.RawMessage
}

func (c *stateCache) get(snap *studio.Snapshot, at time.Time) (map[string]json.RawMessage, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fields != nil && c.snap == snap && c.at.Equal(at) {
		return c.fields, nil
	}
	f, err := fields(stateFrom(snap, at))
	if err != nil {
		return nil, err
	}
	c.snap, c.at, c.fields = snap, at, f
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
	default:
		return StateMsg{}, fmt.Errorf("remote: state message type %q", w.Type)
	}
	if err := json.Unmarshal(w.Data, &next); err != nil {
		return StateMsg{}, fmt.Errorf("remote: state %s %d: %w", w.Type, w.Seq, err)
	}
	d.have, d.seq, d.cur = true, w.Seq, next
	return StateMsg{Type: w.Type, Seq: w.Seq, Data: next}, nil
}
