// Package scripts holds the show script (直播脚本): its model, validation,
// YAML and XLSX import/export, compliance lint, and the pure Timer.
package scripts

import (
	"time"

	"studiodesk/studio/interact"
)

// SegmentKind classifies a rundown segment.
type SegmentKind string

// The segment kinds a rundown is built from.
const (
	KindOpening     SegmentKind = "opening"
	KindProduct     SegmentKind = "product"
	KindInteraction SegmentKind = "interaction"
	KindBreak       SegmentKind = "break"
	KindClosing     SegmentKind = "closing"
)

// Defaults from the operating plan (DOMAIN.md).
const (
	DefaultPointCue          = 30 * time.Second
	DefaultWarning           = 60 * time.Second
	DefaultDanger            = 10 * time.Second
	DefaultAdjustmentWindows = 3
	FlagshipDeadline         = 5 * time.Minute
)

// Show is a whole script: a rundown of segments plus timing rules.
type Show struct {
	ID    string `yaml:"id" json:"id"`
	Title string `yaml:"title" json:"title"`
	// PointCue is the default length of a selling point (0 → 30 s).
	PointCue time.Duration `yaml:"point_cue,omitempty" json:"point_cue,omitempty"`
	// Warning and Danger count back from a segment's end (0 → 60 s / 10 s).
	Warning time.Duration `yaml:"warning,omitempty" json:"warning,omitempty"`
	Danger  time.Duration `yaml:"danger,omitempty" json:"danger,omitempty"`
	// AdjustmentWindows is how many re-plans the controller may make (0 → 3).
	AdjustmentWindows int       `yaml:"adjustment_windows,omitempty" json:"adjustment_windows,omitempty"`
	Segments          []Segment `yaml:"segments" json:"segments"`
	// Start is the planned time of day the show goes on air ("20:00"), as
	// a run sheet's time column gives it; "" when not planned.
	Start string `yaml:"start,omitempty" json:"start,omitempty"`
	// Coupons and Votes are the show's interactions; a segment's
	// Interaction names one of them by id (see docs/script-format.md).
	Coupons []interact.Coupon `yaml:"coupons,omitempty" json:"coupons,omitempty"`
	Votes   []interact.Vote   `yaml:"votes,omitempty" json:"votes,omitempty"`
}

// Segment is one block of the rundown.
type Segment struct {
	ID    string      `yaml:"id" json:"id"`
	Title string      `yaml:"title" json:"title"`
	Kind  SegmentKind `yaml:"kind" json:"kind"`
	// Duration is the planned length. For a segment with phases it must equal
	// the sum of the phases (0 → computed from them).
	Duration time.Duration `yaml:"duration,omitempty" json:"duration,omitempty"`
	Notes    string        `yaml:"notes,omitempty" json:"notes,omitempty"`
	// Product and Flagship apply to product segments.
	Product  string `yaml:"product,omitempty" json:"product,omitempty"`
	Flagship bool   `yaml:"flagship,omitempty" json:"flagship,omitempty"`
	// PresetID binds a scene preset; RecallPreset recalls it when the segment starts.
	PresetID     string `yaml:"preset,omitempty" json:"preset,omitempty"`
	RecallPreset bool   `yaml:"recall_preset,omitempty" json:"recall_preset,omitempty"`
	// Interaction names the coupon or vote fired at an interaction node.
	Interaction string `yaml:"interaction,omitempty" json:"interaction,omitempty"`
	// Phases are the sub-phases (a product segment: 1 min core selling points,
	// 3 min scenario demo, 1 min comparison). Optional for other kinds.
	Phases []Phase `yaml:"phases,omitempty" json:"phases,omitempty"`
	// HostLines are the host's lines for the segment (话术), shown on the
	// host view with the selling points.
	HostLines []string `yaml:"host_lines,omitempty" json:"host_lines,omitempty"`
}

// Phase is a sub-phase of a segment, with the selling points said in it.
type Phase struct {
	Name     string         `yaml:"name" json:"name"`
	Duration time.Duration  `yaml:"duration" json:"duration"`
	Points   []SellingPoint `yaml:"points,omitempty" json:"points,omitempty"`
}

// SellingPoint is one line the host says, at most PointCue long by default.
type SellingPoint struct {
	Text string `yaml:"text" json:"text"`
	// Duration overrides the show's PointCue for this point (0 → default).
	Duration time.Duration `yaml:"duration,omitempty" json:"duration,omitempty"`
}

// The standard product-segment phase names (DOMAIN.md).
const (
	PhaseCore    = "核心卖点"
	PhaseDemo    = "场景演示"
	PhaseCompare = "对比"
)

// PointCueOr returns the show's selling-point cue length, defaulted.
func (s *Show) PointCueOr() time.Duration {
	if s.PointCue > 0 {
		return s.PointCue
	}
	return DefaultPointCue
}

// WarningOr returns the segment warning threshold, defaulted.
func (s *Show) WarningOr() time.Duration {
	if s.Warning > 0 {
		return s.Warning
	}
	return DefaultWarning
}

// DangerOr returns the segment danger threshold, defaulted.
func (s *Show) DangerOr() time.Duration {
	if s.Danger > 0 {
		return s.Danger
	}
	return DefaultDanger
}

// WindowsOr returns the number of adjustment windows, defaulted.
func (s *Show) WindowsOr() int {
	if s.AdjustmentWindows > 0 {
		return s.AdjustmentWindows
	}
	return DefaultAdjustmentWindows
}

// Planned returns the planned length of a segment: its Duration, or the sum
// of its phases when Duration is zero.
func (g *Segment) Planned() time.Duration {
	if g.Duration > 0 {
		return g.Duration
	}
	var d time.Duration
	for _, p := range g.Phases {
		d += p.Duration
	}
	return d
}

// Total returns the planned length of the whole show.
func (s *Show) Total() time.Duration {
	var d time.Duration
	for i := range s.Segments {
		d += s.Segments[i].Planned()
	}
	return d
}

// AnchorKind is what the controller did to the running show.
type AnchorKind string

// Anchor kinds. Next, previous and jump are all AnchorGoto.
const (
	AnchorStart  AnchorKind = "start"
	AnchorPause  AnchorKind = "pause"
	AnchorResume AnchorKind = "resume"
	AnchorGoto   AnchorKind = "goto"
	AnchorAdjust AnchorKind = "adjust"
	AnchorEnd    AnchorKind = "end"
)

// Anchor is one persisted fact about the running show. The whole on-air
// state is recomputed from the script, the anchors and now.
type Anchor struct {
	Kind AnchorKind `json:"kind"`
	At   time.Time  `json:"at"`
	// Segment is the target index for AnchorGoto.
	Segment int `json:"segment,omitempty"`
	// Delta lengthens (+) or shortens (−) the current segment for AnchorAdjust.
	Delta time.Duration `json:"delta,omitempty"`
	// Window marks an adjustment made inside one of the show's adjustment
	// windows (counted against WindowsOr).
	Window bool `json:"window,omitempty"`
}
