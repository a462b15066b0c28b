package scripts

import (
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
// keeping the sentinel reachable through errors.Is:
// "scripts: save: segment 2 "精华液": phase 1: duration missing".
func (i *issue) asError(s *Show, op string) error {
	var where []Msg
	if i.seg >= 0 {
		where = append(where, M("e.seg_label", i.seg+1, segmentLabel(&s.Segments[i.seg], i.seg)))
	}
	if i.phase >= 0 {
		where = append(where, M("where.phase", i.phase+1))
	}
	if i.point >= 0 {
		where = append(where, M("where.point", i.point+1))
	}
	cause := i.err
	if i.dupOf >= 0 {
		cause = errf("e.first_in_seg", i.err, i.dupOf+1)
	}
	return errf("e.refused", M("op."+op), whereList(where), fieldName(i.field), cause)
}

// whereList renders location parts each followed by the separator.
type whereList []Msg

func (w whereList) In(l Lang) string {
	var b strings.Builder
	for _, m := range w {
		b.WriteString(M("e.where_part", m).In(l))
	}
	return b.String()
}

func mkIssue(seg, phase, point int, field string, err error) *issue {
	return &issue{seg: seg, phase: phase, point: point, field: field, err: err, dupOf: -1}
}

func durationIssue(d time.Duration) error {
	if d < 0 {
		return errf("e.quoted_detail", FormatDuration(d), ErrBadDuration, M("e.negative"))
	}
	if d > maxDuration {
		return errf("e.quoted_detail", FormatDuration(d), ErrBadDuration, M("e.over", maxDuration))
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
		return mkIssue(-1, -1, -1, "adjustment_windows", errf("e.want_int", s.AdjustmentWindows, ErrBadValue))
	case len(s.Segments) == 0:
		return mkIssue(-1, -1, -1, "segments", ErrMissingField)
	}
	if s.Start != "" {
		if _, ok := parseTimeOfDay(s.Start); !ok {
			return mkIssue(-1, -1, -1, "start", errf("e.bad_start", s.Start, ErrBadValue))
		}
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
			iss := mkIssue(si, -1, -1, "id", errf("e.quoted", g.ID, ErrDuplicateID))
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
			return mkIssue(si, -1, -1, "kind", errf("e.unknown_kind", string(g.Kind), ErrUnknownKind, M("kinds.accepted")))
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
				return mkIssue(si, pi, -1, "name", errf("e.quoted", p.Name, ErrDuplicatePhase))
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
				return mkIssue(si, pi, -1, "duration", errf("e.seg_over", ErrBadDuration, maxShowDuration))
			}
		}
		if g.Duration > 0 && len(g.Phases) > 0 && sum != g.Duration {
			return mkIssue(si, -1, -1, "duration", errf("e.mismatch", FormatDuration(g.Duration), ErrDurationMismatch, FormatDuration(sum)))
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
			return mkIssue(si, -1, -1, "duration", errf("e.show_over", ErrBadDuration, maxShowDuration))
		}
	}
	return nil
}

// Warning is a problem worth showing the producer that does not stop the
// show from loading. Indices are 0-based and -1 when not applicable.
// Message is the English text of Msg; render Msg with In for the user.
type Warning struct {
	Segment int
	Phase   int
	Point   int
	Field   string
	Message string
	Msg     Msg
}

// String formats the warning in English with 1-based numbers, as people count.
func (w Warning) String() string { return w.In(LangEN) }

// In formats the warning in l: "第 3 个环节，第 1 阶段：卖点：卖点为空".
func (w Warning) In(l Lang) string {
	var where string
	if w.Segment < 0 {
		where = M("where.show").In(l)
	} else {
		parts := []string{M("where.segment", w.Segment+1).In(l)}
		if w.Phase >= 0 {
			parts = append(parts, M("where.phase", w.Phase+1).In(l))
		}
		if w.Point >= 0 {
			parts = append(parts, M("where.point", w.Point+1).In(l))
		}
		where = strings.Join(parts, M("where.sep").In(l))
	}
	if w.Field != "" {
		where = M("where.field", where, fieldName(w.Field)).In(l)
	}
	msg := w.Message
	if w.Msg.Key != "" {
		msg = w.Msg.In(l)
	}
	return M("where.field", where, msg).In(l)
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
		return []Warning{{Segment: -1, Phase: -1, Point: -1, Message: M("v.no_show").String(), Msg: M("v.no_show")}}
	}
	var ws []Warning
	add := func(seg, phase, point int, field, key string, args ...any) {
		m := M(key, args...)
		ws = append(ws, Warning{Segment: seg, Phase: phase, Point: point, Field: field, Message: m.String(), Msg: m})
	}
	if strings.TrimSpace(s.Title) == "" {
		add(-1, -1, -1, "title", "v.show_no_title")
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
			add(si, -1, -1, "title", "v.seg_no_title")
		}
		var sum time.Duration
		for pi := range g.Phases {
			p := &g.Phases[pi]
			sum += p.Duration
			var said time.Duration
			for ti, sp := range p.Points {
				if strings.TrimSpace(sp.Text) == "" {
					add(si, pi, ti, "text", "v.empty_point")
				}
				d := sp.Duration
				if d == 0 {
					d = cue
				}
				if sp.Duration > cue {
					add(si, pi, ti, "duration", "v.point_long", FormatDuration(sp.Duration), FormatDuration(cue))
				}
				said += d
			}
			if said > p.Duration {
				add(si, pi, -1, "points", "v.points_over", FormatDuration(said), p.Name, FormatDuration(p.Duration))
			}
		}
		if g.Duration > 0 && len(g.Phases) > 0 && sum != g.Duration {
			add(si, -1, -1, "duration", "v.planned_phases", FormatDuration(g.Duration), FormatDuration(sum))
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
			if diffs := productPlanDeparture(g); len(diffs) > 0 {
				add(si, -1, -1, "phases", "v.product_plan", msgList(diffs))
			}
		}
		start += g.Planned()
	}
	if interactions < minInteractions || interactions > maxInteractions {
		add(-1, -1, -1, "segments", "v.interactions", interactions, minInteractions, maxInteractions)
	}
	if flagships < minFlagships {
		add(-1, -1, -1, "segments", "v.flagships", flagships, FormatDuration(FlagshipDeadline), minFlagships)
	}
	if !hasOpening {
		add(-1, -1, -1, "segments", "v.no_opening")
	}
	if !hasClosing {
		add(-1, -1, -1, "segments", "v.no_closing")
	}
	return ws
}

// productPlanDeparture says how a product segment departs from the
// 1 min core + 3 min demo + 1 min comparison plan; empty if it follows it.
func productPlanDeparture(g *Segment) []Msg {
	var diffs []Msg
	byName := make(map[string]time.Duration, len(g.Phases))
	for _, p := range g.Phases {
		byName[p.Name] = p.Duration
	}
	for _, want := range standardProductPhases {
		got, ok := byName[want.Name]
		switch {
		case !ok:
			diffs = append(diffs, M("v.missing_phase", want.Name))
		case got != want.Duration:
			diffs = append(diffs, M("v.phase_is", want.Name, FormatDuration(got)))
		}
	}
	if len(diffs) == 0 && len(g.Phases) == len(standardProductPhases) {
		for i, p := range g.Phases {
			if p.Name != standardProductPhases[i].Name {
				diffs = append(diffs, M("v.out_of_order"))
				break
			}
		}
	} else if len(diffs) == 0 {
		diffs = append(diffs, M("v.phase_count", len(g.Phases)))
	}
	return diffs
}

// msgList renders messages joined by the language's list separator.
type msgList []Msg

func (ms msgList) In(l Lang) string {
	parts := make([]string, len(ms))
	for i, m := range ms {
		parts[i] = m.In(l)
	}
	return strings.Join(parts, M("v.list_sep").In(l))
}
