// Package report turns one run's show log into a rehearsal or broadcast
// report: planned against actual time per segment, cues, adjustments,
// scene recalls, interactions, danmaku per minute, compliance hits of the
// script, and the hash-chain verification of the log itself. It reads the
// log only; the timing is recomputed with scripts.Timer from the logged
// anchors, exactly as the desk computed it on air.
package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"studiodesk/scripts"
	"studiodesk/studio/store"
)

// Report is everything the HTML and CSV views show.
type Report struct {
	Run    string
	ShowID string
	Title  string

	Started time.Time // zero if the run never started
	Ended   time.Time // end anchor, else the last record's time
	EndedOK bool      // the run was ended with End

	// PlannedTotal is the script's total; ActualTotal is on-air time
	// without pauses; OverUnder is actual against the (adjusted) plan as
	// the timer counts it (positive: ran over).
	PlannedTotal time.Duration
	ActualTotal  time.Duration
	OverUnder    time.Duration

	Segments []Segment

	WindowsTotal int
	WindowsUsed  int
	Adjustments  []Adjustment
	Pauses       int

	Recalls        []Recall
	RecallFailures int // recalls with at least one failed device

	Interactions []Interaction
	// IxSummaries is one line per coupon and vote (see interact.go).
	IxSummaries []IxSummary

	Minutes      []Minute
	DanmakuTotal int64

	Compliance []scripts.LintHit

	// Kinds counts the log's records per kind.
	Kinds map[string]int
	Chain Chain
}

// Segment is one rundown row.
type Segment struct {
	Index int
	ID    string
	Title string
	Kind  scripts.SegmentKind

	Script   time.Duration // planned length in the script
	Planned  time.Duration // planned incl. adjustments
	Adjusted time.Duration // sum of adjustments
	Actual   time.Duration // on air, excluding pauses
	// Over is Actual − Planned for a finished segment (positive: overran).
	Over    time.Duration
	Started time.Time
	Ended   time.Time
	Done    bool
	OnAir   bool // went on air at all

	Points     int // selling points in the script
	Cues       map[scripts.CueKind]int
	CuesFired  int
	Compliance int // lint hits in this segment
}

// Adjustment is one adjust anchor.
type Adjustment struct {
	Seq     uint64
	At      time.Time
	Segment int
	Delta   time.Duration
	Window  bool
}

// Recall is one scene-preset recall and its outcome.
type Recall struct {
	Seq        uint64
	At         time.Time
	Segment    int
	Preset     string
	Name       string
	By         string
	TookMS     float64
	Failed     map[string]string // device id → error
	Superseded bool
	Finished   bool // a recall_result was logged
}

// Interaction is one coupon or vote record, shown as logged.
type Interaction struct {
	Seq     uint64
	At      time.Time
	Segment int
	Kind    string
	Detail  string // compact payload JSON, cut to maxDetail runes
}

// Minute is one "figures" record.
type Minute struct {
	Seq       uint64
	At        time.Time
	Received  int64
	Shown     int64
	Filtered  int64
	Questions int64
	Viewers   int
	Likes     int64
	Keywords  []Keyword
}

// Keyword is a trending term, when the figures carry them.
type Keyword struct {
	Term  string `json:"term"`
	Count int    `json:"count"`
}

// Chain is the verification of the run's hash chain.
type Chain struct {
	OK        bool
	Records   int    // records that verified
	LastSeq   uint64 // last verified seq
	FinalHash string // hash of the last verified record
	BrokenSeq uint64 // first bad record, when not OK
	Reason    string
	// SignedHead is the latest signed checkpoint in the log (nil: none);
	// Covered is the last record it vouches for, Key its key fingerprint.
	SignedHead *store.Checkpoint
	Covered    uint64
	Key        string
}

// maxDetail bounds an interaction's payload text in the report.
const maxDetail = 240

// anchorKinds are the show-log kinds whose payload is a scripts.Anchor.
var anchorKinds = map[string]bool{
	"start": true, "pause": true, "resume": true, "toggle_pause": true,
	"next": true, "previous": true, "jump": true, "adjust": true, "end": true,
}

// figures mirrors the desk's per-minute figures record (by its JSON keys,
// so this package does not depend on the desk).
type figures struct {
	Minute    time.Time       `json:"minute"`
	Received  int64           `json:"received"`
	Shown     int64           `json:"shown"`
	Filtered  int64           `json:"filtered"`
	Questions int64           `json:"questions"`
	Viewers   int             `json:"viewers"`
	Likes     int64           `json:"likes"`
	Keywords  json.RawMessage `json:"keywords,omitempty"`
}

type recallPreset struct {
	Preset string `json:"preset"`
	Name   string `json:"name"`
	By     string `json:"by"`
}

type recallResult struct {
	Preset     string            `json:"preset"`
	TookMS     float64           `json:"took_ms"`
	Failed     map[string]string `json:"failed"`
	Superseded bool              `json:"superseded"`
}

// ErrNoRecords: the run has no show log.
var ErrNoRecords = errors.New("no show log for this run")

// Build reads the run's show log from st and builds its report against
// show (the script the run was played from). A broken hash chain does not
// fail Build: it is reported in Chain, and the records are still read.
func Build(st *store.Store, run string, show *scripts.Show) (*Report, error) {
	if st == nil || show == nil {
		return nil, fmt.Errorf("report: run %q: nil store or show", run)
	}
	r := &Report{
		Run: run, ShowID: show.ID, Title: show.Title,
		PlannedTotal: show.Total(), WindowsTotal: show.WindowsOr(),
		Kinds: map[string]int{},
	}
	vr, cov, err := st.VerifySigned(run, store.SignedCheck{})
	var ce *store.ChainError
	switch {
	case errors.As(err, &ce):
		r.Chain = Chain{Records: vr.Records, LastSeq: vr.LastSeq, FinalHash: vr.FinalHash, BrokenSeq: ce.Seq, Reason: ce.Reason}
	case errors.Is(err, store.ErrUnknownShow):
		return nil, fmt.Errorf("report: run %q: %w", run, ErrNoRecords)
	case err != nil:
		return nil, fmt.Errorf("report: run %q: verify: %w", run, err)
	default:
		r.Chain = Chain{OK: true, Records: vr.Records, LastSeq: vr.LastSeq, FinalHash: vr.FinalHash}
	}
	r.Chain.SignedHead, r.Chain.Covered, r.Chain.Key = cov.Head, cov.CoveredThrough, cov.Key

	var (
		anchors []scripts.Anchor
		aseqs   []uint64 // seq of each anchor's record
		cues    []scripts.Cue
		last    time.Time
		pending = map[string]int{} // preset → index of its unfinished recall
		others  []store.Record     // interactions and recalls, placed later
	)
	err = st.Records(run, 0, func(rec store.Record) error {
		r.Kinds[rec.Kind]++
		if rec.Time.After(last) {
			last = rec.Time
		}
		switch {
		case anchorKinds[rec.Kind]:
			var a scripts.Anchor
			if err := json.Unmarshal(rec.Payload, &a); err != nil || a.Kind == "" {
				return fmt.Errorf("record %d (%s): not an anchor: %w", rec.Seq, rec.Kind, errOr(err))
			}
			anchors = append(anchors, a)
			aseqs = append(aseqs, rec.Seq)
		case rec.Kind == "cue":
			var c scripts.Cue
			if err := json.Unmarshal(rec.Payload, &c); err != nil {
				return fmt.Errorf("record %d (cue): %w", rec.Seq, err)
			}
			cues = append(cues, c)
		case rec.Kind == "figures":
			var f figures
			if err := json.Unmarshal(rec.Payload, &f); err != nil {
				return fmt.Errorf("record %d (figures): %w", rec.Seq, err)
			}
			at := f.Minute
			if at.IsZero() {
				at = rec.Time
			}
			r.Minutes = append(r.Minutes, Minute{Seq: rec.Seq, At: at, Received: f.Received, Shown: f.Shown,
				Filtered: f.Filtered, Questions: f.Questions, Viewers: f.Viewers, Likes: f.Likes, Keywords: keywords(f.Keywords)})
			r.DanmakuTotal += f.Received
		case rec.Kind == "recall_preset", rec.Kind == "recall_result",
			isIxKind(rec.Kind):
			others = append(others, rec)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("report: run %q: read log: %w", run, err)
	}

	timer := scripts.NewTimer(show)
	end := last
	for _, a := range anchors {
		if a.Kind == scripts.AnchorEnd {
			end, r.EndedOK = a.At, true
		}
		if a.Kind == scripts.AnchorStart && r.Started.IsZero() {
			r.Started = a.At
		}
		if a.Kind == scripts.AnchorPause {
			r.Pauses++
		}
	}
	r.Ended = end
	state := timer.State(anchors, end)
	r.ActualTotal = state.ShowElapsed
	r.OverUnder = state.OverUnder
	r.WindowsUsed = state.WindowsUsed
	segAt := func(t time.Time) int {
		if r.Started.IsZero() || t.Before(r.Started) {
			return -1
		}
		return timer.State(anchors, t).Segment
	}

	hits := scripts.Lint(show, scripts.DefaultBannedTerms)
	r.Compliance = hits
	r.Segments = make([]Segment, len(show.Segments))
	for i := range show.Segments {
		g := &show.Segments[i]
		s := Segment{Index: i, ID: g.ID, Title: g.Title, Kind: g.Kind, Script: g.Planned(), Planned: g.Planned(),
			Cues: map[scripts.CueKind]int{}}
		for _, p := range g.Phases {
			s.Points += len(p.Points)
		}
		if i < len(state.Rundown) {
			row := state.Rundown[i]
			s.Planned, s.Adjusted, s.Actual = row.Planned, row.Adjusted, row.Actual
			s.Started, s.Ended, s.Done = row.Started, row.Ended, row.Done
			s.OnAir = !row.Started.IsZero()
			if s.Done {
				s.Over = s.Actual - s.Planned
			}
		}
		r.Segments[i] = s
	}
	for _, c := range cues {
		if c.Segment >= 0 && c.Segment < len(r.Segments) {
			r.Segments[c.Segment].Cues[c.Kind]++
			r.Segments[c.Segment].CuesFired++
		}
	}
	for _, h := range hits {
		if h.Segment >= 0 && h.Segment < len(r.Segments) {
			r.Segments[h.Segment].Compliance++
		}
	}
	// Adjustments: the segment is the one on air just before the anchor.
	for i, a := range anchors {
		if a.Kind != scripts.AnchorAdjust {
			continue
		}
		r.Adjustments = append(r.Adjustments, Adjustment{Seq: aseqs[i], At: a.At, Segment: timer.State(anchors[:i], a.At).Segment, Delta: a.Delta, Window: a.Window})
	}

	for _, rec := range others {
		switch rec.Kind {
		case "recall_preset":
			var p recallPreset
			if err := json.Unmarshal(rec.Payload, &p); err != nil {
				return nil, fmt.Errorf("report: run %q: record %d (recall_preset): %w", run, rec.Seq, err)
			}
			pending[p.Preset] = len(r.Recalls)
			r.Recalls = append(r.Recalls, Recall{Seq: rec.Seq, At: rec.Time, Segment: segAt(rec.Time), Preset: p.Preset, Name: p.Name, By: p.By})
		case "recall_result":
			var p recallResult
			if err := json.Unmarshal(rec.Payload, &p); err != nil {
				return nil, fmt.Errorf("report: run %q: record %d (recall_result): %w", run, rec.Seq, err)
			}
			i, ok := pending[p.Preset]
			if !ok {
				i = len(r.Recalls)
				r.Recalls = append(r.Recalls, Recall{Seq: rec.Seq, At: rec.Time, Segment: segAt(rec.Time), Preset: p.Preset})
			}
			delete(pending, p.Preset)
			rc := &r.Recalls[i]
			rc.TookMS, rc.Failed, rc.Superseded, rc.Finished = p.TookMS, p.Failed, p.Superseded, true
			if len(p.Failed) > 0 {
				r.RecallFailures++
			}
		default:
			r.Interactions = append(r.Interactions, Interaction{Seq: rec.Seq, At: rec.Time, Segment: segAt(rec.Time),
				Kind: rec.Kind, Detail: cut(string(rec.Payload), maxDetail)})
		}
	}
	sort.SliceStable(r.Minutes, func(i, j int) bool { return r.Minutes[i].At.Before(r.Minutes[j].At) })
	var ixRecs []store.Record
	for _, rec := range others {
		if isIxKind(rec.Kind) {
			ixRecs = append(ixRecs, rec)
		}
	}
	if err := summarizeInteractions(r, show, ixRecs, segAt); err != nil {
		return nil, fmt.Errorf("report: run %q: %w", run, err)
	}
	return r, nil
}

func errOr(err error) error {
	if err != nil {
		return err
	}
	return errors.New("anchor kind missing")
}

// keywords accepts [{"term":..,"count":..}] or ["term", ...].
func keywords(raw json.RawMessage) []Keyword {
	if len(raw) == 0 {
		return nil
	}
	var ks []Keyword
	if json.Unmarshal(raw, &ks) == nil {
		return ks
	}
	var ss []string
	if json.Unmarshal(raw, &ss) == nil {
		for _, s := range ss {
			ks = append(ks, Keyword{Term: s})
		}
	}
	return ks
}

func cut(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n]) + "…"
}

// Segment returns the rundown row of the index, or nil.
func (r *Report) Segment(i int) *Segment {
	if i < 0 || i >= len(r.Segments) {
		return nil
	}
	return &r.Segments[i]
}

// CuesFired is the total of cue records.
func (r *Report) CuesFired() int {
	n := 0
	for _, s := range r.Segments {
		n += s.CuesFired
	}
	return n
}
