package scripts

import "time"

// Phase of the segment clock, as Ontime names them.
type ClockPhase string

// Clock phases: normal → warning → danger → overtime.
const (
	ClockIdle     ClockPhase = "idle" // not started
	ClockNormal   ClockPhase = "normal"
	ClockWarning  ClockPhase = "warning"
	ClockDanger   ClockPhase = "danger"
	ClockOvertime ClockPhase = "overtime"
	ClockEnded    ClockPhase = "ended"
)

// CueKind is what the host is cued for.
type CueKind string

// Cue kinds.
const (
	CuePoint    CueKind = "point"    // move to the next selling point
	CuePhase    CueKind = "phase"    // a new sub-phase starts
	CueWarning  CueKind = "warning"  // Warning left in the segment
	CueDanger   CueKind = "danger"   // Danger left in the segment
	CueOvertime CueKind = "overtime" // the segment ran out
)

// Cue is one scheduled instant at which the host is cued.
type Cue struct {
	Kind    CueKind   `json:"kind"`
	At      time.Time `json:"at"`
	Segment int       `json:"segment"`
	Phase   int       `json:"phase"` // -1 when the segment has no phases
	Point   int       `json:"point"` // -1 when not a selling-point cue
}

// SegmentTiming is a rundown row: planned and actual times.
type SegmentTiming struct {
	Index        int           `json:"index"`
	PlannedStart time.Duration `json:"planned_start"` // offset from show start
	Planned      time.Duration `json:"planned"`       // incl. adjustments
	Adjusted     time.Duration `json:"adjusted"`      // sum of adjustments
	Started      time.Time     `json:"started"`       // zero if never on air
	Ended        time.Time     `json:"ended"`         // zero if not finished
	Actual       time.Duration `json:"actual"`        // on-air time excl. pauses
	Done         bool          `json:"done"`
}

// State is the whole on-air state at one instant.
type State struct {
	Now     time.Time  `json:"now"`
	Started bool       `json:"started"`
	Paused  bool       `json:"paused"`
	Ended   bool       `json:"ended"`
	Clock   ClockPhase `json:"clock"`

	Segment int `json:"segment"` // index of the current segment (0 before start; the last on air once ended)
	Phase   int `json:"phase"`   // current sub-phase index, -1 if none
	Point   int `json:"point"`   // current selling-point index within Phase, -1 if none
	// NextPointText is the selling point after the current one, if any.
	PointText     string `json:"point_text"`
	NextPointText string `json:"next_point_text"`

	SegmentElapsed time.Duration `json:"segment_elapsed"`
	SegmentLeft    time.Duration `json:"segment_left"`    // negative in overtime
	SegmentPlanned time.Duration `json:"segment_planned"` // incl. adjustments
	PointLeft      time.Duration `json:"point_left"`      // until the point or phase changes
	ShowElapsed    time.Duration `json:"show_elapsed"`    // on-air time excl. pauses
	ShowLeft       time.Duration `json:"show_left"`       // planned time left incl. current segment
	// OverUnder is actual vs plan: positive = behind schedule (running over).
	// It is ProjectedEnd − PlannedEnd, so pauses, overruns and extensions
	// count; 0 before the start.
	OverUnder    time.Duration `json:"over_under"`
	ProjectedEnd time.Time     `json:"projected_end"`
	// PlannedEnd is the show start plus the script's total (zero before start).
	PlannedEnd time.Time `json:"planned_end"`

	WindowsUsed int `json:"windows_used"`
	WindowsLeft int `json:"windows_left"`

	NextCue *Cue            `json:"next_cue,omitempty"`
	Rundown []SegmentTiming `json:"rundown"`
}
