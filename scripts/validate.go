package scripts

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// issue is a structural defect that makes a show unloadable, located by
// index (-1 when not applicable) so each loader can name its own line/cell.
type issue struct {
	seg, phase, point int
	field             string
	err               error
	dupOf             int // index of the first segment with the same id, or -1
}

// label is the field as shown in an error: "duration", "phase duration".
func (i *issue) label() string {
	switch {
	case i.field == "":
		return ""
	case i.point >= 0:
		return "point " + i.field
	case i.phase >= 0:
		return "phase " + i.field
	}
	return i.field
}

// asError formats the issue without a file location (used when saving),
// keeping the sentinel reachable through errors.Is.
func (i *issue) asError(s *Show, op string) error {
	var b strings.Builder
	b.WriteString("scripts: " + op + ": ")
	if i.seg >= 0 {
		fmt.Fprintf(&b, "segment %d %q: ", i.seg+1, segmentLabel(&s.Segments[i.seg], i.seg))
	}
	if i.phase >= 0 {
		fmt.Fprintf(&b, "phase %d: ", i.phase+1)
	}
	if i.point >= 0 {
		fmt.Fprintf(&b, "point %d: ", i.point+1)
	}
	if i.field != "" {
		b.WriteString(i.field + " ")
	}
	if i.dupOf >= 0 {
		return fmt.Errorf("%s%w (first in segment %d)", b.String(), i.err, i.dupOf+1)
	}
	return fmt.Errorf("%s%w", b.String(), i.err)
}

func mkIssue(seg, phase, point int, field string, err error) *issue {
	return &issue{seg: seg, phase: phase, point: point, field: field, err: err, dupOf: -1}
}

func durationIssue(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("%q: %w (negative)", FormatDuration(d), ErrBadDuration)
	}
	if d > maxDuration {
		return fmt.Errorf("%q: %w (over %v)", FormatDuration(d), ErrBadDuration, maxDuration)
	}
	return nil
}

// checkStructure finds the first defect that makes a show unusable: missing
// ids and titles, duplicate ids, unknown kinds, out-of-range durations and
// segment durations that disagree with their phases. Loaders reject such a
// show; SaveYAML refuses to write one.
func checkStructure(s *Show) *issue {
	switch {
	case s.ID == "":
		return mkIssue(-1, -1, -1, "id", ErrMissingField)
	case s.Title == "":
		return mkIssue(-1, -1, -1, "title", ErrMissingField)
	case s.AdjustmentWindows < 0:
		return mkIssue(-1, -1, -1, "adjustment_windows", fmt.Errorf("%d: %w", s.AdjustmentWindows, ErrBadValue))
	case len(s.Segments) == 0:
		return mkIssue(-1, -1, -1, "segments", ErrMissingField)
	}
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"point_cue", s.PointCue}, {"warning", s.Warning}, {"danger", s.Danger}} {
		if err := durationIssue(f.d); err != nil {
			return mkIssue(-1, -1, -1, f.name, err)
		}
	}
	firstID := make(map[string]int, len(s.Segments))
	var total time.Duration
	for si := range s.Segments {
		g := &s.Segments[si]
		if g.ID == "" {
			return mkIssue(si, -1, -1, "id", ErrMissingField)
		}
		if first, dup := firstID[g.ID]; dup {
			iss := mkIssue(si, -1, -1, "id", fmt.Errorf("%q: %w", g.ID, ErrDuplicateID))
			iss.dupOf = first
			return iss
		}
		firstID[g.ID] = si
		if g.Title == "" {
			return mkIssue(si, -1, -1, "title", ErrMissingField)
		}
		if g.Kind == "" {
			return mkIssue(si, -1, -1, "kind", ErrMissingField)
		}
		if !knownKind(g.Kind) {
			return mkIssue(si, -1, -1, "kind", fmt.Errorf("%q: %w (want opening, product, interaction, break or closing)", string(g.Kind), ErrUnknownKind))
		}
		if err := durationIssue(g.Duration); err != nil {
			return mkIssue(si, -1, -1, "duration", err)
		}
		var sum time.Duration
		names := make(map[string]bool, len(g.Phases))
		for pi := range g.Phases {
			p := &g.Phases[pi]
			if p.Name == "" {
				return mkIssue(si, pi, -1, "name", ErrMissingField)
			}
			if names[p.Name] {
				return mkIssue(si, pi, -1, "name", fmt.Errorf("%q: %w", p.Name, ErrDuplicatePhase))
			}
			names[p.Name] = true
			if p.Duration == 0 {
				return mkIssue(si, pi, -1, "duration", ErrMissingField)
			}
			if err := durationIssue(p.Duration); err != nil {
				return mkIssue(si, pi, -1, "duration", err)
			}
			for ti := range p.Points {
				if err := durationIssue(p.Points[ti].Duration); err != nil {
					return mkIssue(si, pi, ti, "duration", err)
				}
			}
			sum += p.Duration
			if sum > maxShowDuration {
				return mkIssue(si, pi, -1, "duration", fmt.Errorf("%w: segment over %v", ErrBadDuration, maxShowDuration))
			}
		}
		if g.Duration > 0 && len(g.Phases) > 0 && sum != g.Duration {
			return mkIssue(si, -1, -1, "duration", fmt.Errorf("%s %w (%s)", FormatDuration(g.Duration), ErrDurationMismatch, FormatDuration(sum)))
		}
		planned := g.Duration
		if planned == 0 {
			planned = sum
		}
		if planned == 0 {
			return mkIssue(si, -1, -1, "duration", ErrMissingField)
		}
		total += planned
		if total > maxShowDuration {
			return mkIssue(si, -1, -1, "duration", fmt.Errorf("%w: show over %v", ErrBadDuration, maxShowDuration))
		}
	}
	return nil
}

// Warning is a problem worth showing the producer that does not stop the
// show from loading. Indices are 0-based and -1 when not applicable.
type Warning struct {
	Segment int
	Phase   int
	Point   int
	Field   string
	Message string
}

// String formats the warning with 1-based numbers, as people count.
func (w Warning) String() string {
	var b strings.Builder
	if w.Segment < 0 {
		b.WriteString("show")
	} else {
		b.WriteString("segment " + strconv.Itoa(w.Segment+1))
		if w.Phase >= 0 {
			b.WriteString(", phase " + strconv.Itoa(w.Phase+1))
		}
		if w.Point >= 0 {
			b.WriteString(", point " + strconv.Itoa(w.Point+1))
		}
	}
	if w.Field != "" {
		b.WriteString(": " + w.Field)
	}
	b.WriteString(": " + w.Message)
	return b.String()
}

// Interaction-node bounds from the operating plan (每场设置3-5个固定互动节点).
const (
	minInteractions = 3
	maxInteractions = 5
	minFlagships    = 3
)

// standardProductPhases is the product-segment plan: 1 min core selling
// points, 3 min scenario demo, 1 min comparison.
var standardProductPhases = []Phase{
	{Name: PhaseCore, Duration: time.Minute},
	{Name: PhaseDemo, Duration: 3 * time.Minute},
	{Name: PhaseCompare, Duration: time.Minute},
}

// Validate checks a show against the timing rules of the operating plan and
// returns what departs from them. It never fails: a show that breaks a rule
// may still be what the producer wants.
func Validate(s *Show) []Warning {
	if s == nil {
		return []Warning{{Segment: -1, Phase: -1, Point: -1, Message: "no show"}}
	}
	var ws []Warning
	add := func(seg, phase, point int, field, format string, args ...any) {
		ws = append(ws, Warning{Segment: seg, Phase: phase, Point: point, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if strings.TrimSpace(s.Title) == "" {
		add(-1, -1, -1, "title", "the show has no title")
	}
	cue := s.PointCueOr()
	var (
		start                   time.Duration
		interactions, flagships int
		hasOpening, hasClosing  bool
	)
	for si := range s.Segments {
		g := &s.Segments[si]
		if strings.TrimSpace(g.Title) == "" {
			add(si, -1, -1, "title", "the segment has no title")
		}
		var sum time.Duration
		for pi := range g.Phases {
			p := &g.Phases[pi]
			sum += p.Duration
			var said time.Duration
			for ti, sp := range p.Points {
				if strings.TrimSpace(sp.Text) == "" {
					add(si, pi, ti, "text", "empty selling point")
				}
				d := sp.Duration
				if d == 0 {
					d = cue
				}
				if sp.Duration > cue {
					add(si, pi, ti, "duration", "selling point is %s, longer than the %s cue (核心卖点30秒内)", FormatDuration(sp.Duration), FormatDuration(cue))
				}
				said += d
			}
			if said > p.Duration {
				add(si, pi, -1, "points", "selling points need %s but phase %q is %s", FormatDuration(said), p.Name, FormatDuration(p.Duration))
			}
		}
		if g.Duration > 0 && len(g.Phases) > 0 && sum != g.Duration {
			add(si, -1, -1, "duration", "planned %s but the phases add up to %s", FormatDuration(g.Duration), FormatDuration(sum))
		}
		switch g.Kind {
		case KindOpening:
			hasOpening = true
		case KindClosing:
			hasClosing = true
		case KindInteraction:
			interactions++
		case KindProduct:
			if g.Flagship && start < FlagshipDeadline {
				flagships++
			}
			if msg := productPlanDeparture(g); msg != "" {
				add(si, -1, -1, "phases", "%s", msg)
			}
		}
		start += g.Planned()
	}
	if interactions < minInteractions || interactions > maxInteractions {
		add(-1, -1, -1, "segments", "%d interaction nodes; the plan calls for %d to %d (每场3-5个固定互动节点)", interactions, minInteractions, maxInteractions)
	}
	if flagships < minFlagships {
		add(-1, -1, -1, "segments", "%d flagship products start within the first %s; the plan calls for %d (前5分钟展示3款主推)", flagships, FormatDuration(FlagshipDeadline), minFlagships)
	}
	if !hasOpening {
		add(-1, -1, -1, "segments", "no opening segment")
	}
	if !hasClosing {
		add(-1, -1, -1, "segments", "no closing segment")
	}
	return ws
}

// productPlanDeparture says how a product segment departs from the
// 1 min core + 3 min demo + 1 min comparison plan, or "" if it follows it.
func productPlanDeparture(g *Segment) string {
	var diffs []string
	byName := make(map[string]time.Duration, len(g.Phases))
	for _, p := range g.Phases {
		byName[p.Name] = p.Duration
	}
	for _, want := range standardProductPhases {
		got, ok := byName[want.Name]
		switch {
		case !ok:
			diffs = append(diffs, "missing "+want.Name)
		case got != want.Duration:
			diffs = append(diffs, fmt.Sprintf("%s is %s", want.Name, FormatDuration(got)))
		}
	}
	if len(diffs) == 0 && len(g.Phases) == len(standardProductPhases) {
		for i, p := range g.Phases {
			if p.Name != standardProductPhases[i].Name {
				diffs = append(diffs, "phases out of order")
				break
			}
		}
	} else if len(diffs) == 0 {
		diffs = append(diffs, fmt.Sprintf("%d phases instead of 3", len(g.Phases)))
	}
	if len(diffs) == 0 {
		return ""
	}
	return "product segment does not follow 1 min 核心卖点 + 3 min 场景演示 + 1 min 对比: " + strings.Join(diffs, "; ")
}
