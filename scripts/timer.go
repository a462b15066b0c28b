package scripts

import (
	"math"
	"sort"
	"time"
)

// Timer computes the on-air state of one show from its persisted anchors and
// the current instant. It keeps no running counters: the same script, anchors
// and now always give the same State, so a restart after a crash resumes
// exactly and a long show cannot drift.
//
// Rules the desk relies on:
//
//   - Anchors are applied in slice order (the order they were recorded). An
//     anchor timed before its predecessor counts as happening at the
//     predecessor's instant (the wall clock stepped back); anchors after now
//     have not happened yet.
//   - Only AnchorStart counts before the show starts, and nothing counts after
//     it ends, so a stray press cannot rewrite a finished show.
//   - Segment and show elapsed are on-air time: paused spans do not count.
//   - There is no auto-advance. A segment that runs out stays on air in
//     overtime until the controller presses Next.
//   - The clock is in overtime from the instant the segment's time runs out
//     (SegmentLeft <= 0), the same instant the CueOvertime fires, so a State
//     computed when a cue wakes the desk already shows what the cue announced.
//     Warning and danger likewise start at SegmentLeft == Warning / Danger.
//   - AnchorGoto to a negative index is ignored (Previous on the first
//     segment); to len(Segments) or beyond it ends the show. Revisiting a
//     segment restarts its clock from 0; its Rundown row keeps the first
//     Started, and Actual adds up the on-air time of every run.
//   - AnchorAdjust changes the current segment's planned length, never below
//     0. The last phase absorbs an extension; a cut drops the selling points
//     and phases that no longer fit, with their cues. Cues already past when
//     the plan changes are not replayed.
//   - A cue fires when the segment's elapsed time reaches its offset while the
//     segment is on air; a segment left (Next, End) exactly at a cue instant
//     does not fire it, so pressing Next right on time gives no overtime cue.
type Timer struct {
	segments []segmentPlan
	// later[i] is the planned length of segments i.. to the end, from the script.
	later    []time.Duration
	total    time.Duration
	warning  time.Duration
	danger   time.Duration
	windows  int
	pointCue time.Duration
}

// segmentPlan is one segment's schedule, copied out of the script so the
// Timer never reads the Show again.
type segmentPlan struct {
	planned time.Duration // from the script, before adjustments
	start   time.Duration // planned offset from the show start
	// marks are the instants at which the phase or the selling point changes,
	// by offset into the segment. marks[0] is at 0; offsets strictly increase.
	marks []mark
}

// mark is a change of phase or selling point within a segment.
type mark struct {
	at    time.Duration
	kind  CueKind // CuePhase or CuePoint
	phase int     // -1 when the segment has no phases
	point int     // -1 when the phase has no selling points
	text  string  // the selling point's text, "" when point is -1
}

// Cue ranks order cues that fall on the same instant: the host's line first,
// then the clock colours in the order they normally appear.
const (
	rankMark = iota
	rankWarning
	rankDanger
	rankOvertime
)

// NewTimer precomputes the schedule of s. The Timer keeps its own copy of what
// it needs, so editing s afterwards does not affect it; the desk builds a new
// Timer when the script changes. A nil Show is an empty show.
func NewTimer(s *Show) *Timer {
	if s == nil {
		s = &Show{}
	}
	t := &Timer{
		segments: make([]segmentPlan, len(s.Segments)),
		later:    make([]time.Duration, len(s.Segments)+1),
		warning:  s.WarningOr(),
		danger:   s.DangerOr(),
		windows:  s.WindowsOr(),
		pointCue: s.PointCueOr(),
	}
	var offset time.Duration
	for i := range s.Segments {
		seg := &s.Segments[i]
		planned := max(seg.Planned(), 0)
		t.segments[i] = segmentPlan{
			planned: planned,
			start:   offset,
			marks:   t.buildMarks(seg),
		}
		offset = satAdd(offset, planned)
	}
	t.total = offset
	for i := len(s.Segments) - 1; i >= 0; i-- {
		t.later[i] = satAdd(t.later[i+1], t.segments[i].planned)
	}
	return t
}

// buildMarks walks the phases and, within each, the selling points. A point
// that would start at or after its phase's end does not fit and is dropped; a
// point that starts inside the phase but runs past its end is cut by the next
// phase. When several changes fall on one offset (a zero-length phase) the
// last one wins, so the host gets one cue.
func (t *Timer) buildMarks(seg *Segment) []mark {
	if len(seg.Phases) == 0 {
		return []mark{{at: 0, kind: CuePhase, phase: -1, point: -1}}
	}
	var marks []mark
	add := func(m mark) {
		if n := len(marks); n > 0 && marks[n-1].at == m.at {
			marks[n-1] = m
			return
		}
		marks = append(marks, m)
	}
	var phaseStart time.Duration
	for k := range seg.Phases {
		ph := &seg.Phases[k]
		phaseEnd := satAdd(phaseStart, max(ph.Duration, 0))
		if len(ph.Points) == 0 {
			add(mark{at: phaseStart, kind: CuePhase, phase: k, point: -1})
		}
		at := phaseStart
		for j := range ph.Points {
			pt := &ph.Points[j]
			if j > 0 && at >= phaseEnd {
				break
			}
			kind := CuePoint
			if j == 0 {
				kind = CuePhase
			}
			add(mark{at: at, kind: kind, phase: k, point: j, text: pt.Text})
			d := pt.Duration
			if d <= 0 {
				d = t.pointCue
			}
			at = satAdd(at, d)
		}
		phaseStart = phaseEnd
	}
	return marks
}

// State returns the on-air state at now.
func (t *Timer) State(anchors []Anchor, now time.Time) State {
	var st State
	t.StateInto(&st, anchors, now)
	return st
}

// StateInto is State writing into dst and reusing dst.Rundown's array when it
// is large enough, for callers that recompute many times a second. Everything
// else in dst is overwritten; NextCue is always freshly allocated, so a cue
// handed out earlier is never changed.
func (t *Timer) StateInto(dst *State, anchors []Anchor, now time.Time) {
	n := len(t.segments)
	rows := dst.Rundown
	if cap(rows) >= n {
		rows = rows[:n]
		clear(rows)
	} else {
		rows = make([]SegmentTiming, n)
	}
	now = now.Round(0) // wall clock only: persisted anchors carry no monotonic reading
	r := replay{timer: t, rows: rows}
	r.run(anchors, now)

	*dst = State{
		Now:         now,
		Started:     r.started,
		Paused:      r.paused && !r.ended,
		Ended:       r.ended,
		Clock:       ClockIdle,
		Segment:     r.cur,
		Phase:       -1,
		Point:       -1,
		WindowsUsed: r.windowsUsed,
		WindowsLeft: max(t.windows-r.windowsUsed, 0),
		Rundown:     rows,
	}
	st := dst
	st.ShowElapsed = r.air
	if r.started {
		st.PlannedEnd = r.startAt.Add(t.total)
	}

	for i := range rows {
		row := &rows[i]
		row.Index = i
		row.PlannedStart = t.segments[i].start
		row.Planned = t.planned(i, rows)
	}

	if n == 0 {
		switch {
		case r.ended:
			st.Clock = ClockEnded
			st.ProjectedEnd = r.endAt
			st.OverUnder = r.endAt.Sub(st.PlannedEnd)
		default:
			st.ProjectedEnd = now
		}
		return
	}

	elapsed := r.air - r.runAirStart
	planned := rows[r.cur].Planned
	left := planned - elapsed
	st.SegmentElapsed = elapsed
	st.SegmentLeft = left
	st.SegmentPlanned = planned
	t.fillPoint(st, r.cur, elapsed, rows)

	switch {
	case !r.started:
		// Adjustments do not apply before the start, so the plan is the script.
		st.ShowLeft = t.total
		st.ProjectedEnd = now.Add(t.total)
	case r.ended:
		st.Clock = ClockEnded
		st.ProjectedEnd = r.endAt
		st.OverUnder = r.endAt.Sub(st.PlannedEnd)
	default:
		rows[r.cur].Actual += elapsed
		st.Clock = t.clock(left)
		showLeft := max(left, 0)
		for i := r.cur + 1; i < n; i++ {
			showLeft = satAdd(showLeft, rows[i].Planned)
		}
		st.ShowLeft = showLeft
		st.ProjectedEnd = now.Add(showLeft)
		// OverUnder answers "when do we go off air, against the plan?": the
		// projected end minus the script's end (start + planned total). Overruns,
		// pauses and extensions push it up; early Nexts and cuts pull it down.
		st.OverUnder = st.ProjectedEnd.Sub(st.PlannedEnd)
		if !r.paused {
			if c, ok := t.nextCue(r.cur, planned, elapsed, rankOvertime); ok {
				st.NextCue = &Cue{
					Kind:    c.kind,
					At:      now.Add(c.at - elapsed),
					Segment: r.cur,
					Phase:   c.phase,
					Point:   c.point,
				}
			}
		}
	}
}

// CuesBetween returns the cues whose At lies in (from, to], in order, as the
// anchors make them: what fired while the desk was asleep. Cues at the same
// instant come point or phase first, then warning, danger, overtime.
func (t *Timer) CuesBetween(anchors []Anchor, from, to time.Time) []Cue {
	from, to = from.Round(0), to.Round(0)
	if !to.After(from) || len(t.segments) == 0 {
		return nil
	}
	r := replay{
		timer:   t,
		rows:    make([]SegmentTiming, len(t.segments)),
		collect: true,
		from:    from,
		to:      to,
	}
	r.run(anchors, to)
	return r.cues
}

// planned is segment i's planned length including its adjustments.
func (t *Timer) planned(i int, rows []SegmentTiming) time.Duration {
	return max(satAdd(t.segments[i].planned, rows[i].Adjusted), 0)
}

func (t *Timer) clock(left time.Duration) ClockPhase {
	switch {
	case left <= 0:
		return ClockOvertime
	case left <= t.danger:
		return ClockDanger
	case left <= t.warning:
		return ClockWarning
	default:
		return ClockNormal
	}
}

// markAt is the index of the mark in force at elapsed, counting only marks
// that fit in planned (marks[0] always does).
func (p *segmentPlan) markAt(elapsed, planned time.Duration) int {
	bound := min(elapsed, planned-1)
	i := sort.Search(len(p.marks), func(i int) bool { return p.marks[i].at > bound }) - 1
	return max(i, 0)
}

// fillPoint sets the phase, selling point and their texts for segment i at
// elapsed.
func (t *Timer) fillPoint(st *State, i int, elapsed time.Duration, rows []SegmentTiming) {
	p := &t.segments[i]
	planned := rows[i].Planned
	m := p.markAt(elapsed, planned)
	cur := &p.marks[m]
	st.Phase, st.Point, st.PointText = cur.phase, cur.point, cur.text

	changeAt := planned // the last phase runs to the segment's end
	if m+1 < len(p.marks) && p.marks[m+1].at < planned {
		changeAt = p.marks[m+1].at
	}
	st.PointLeft = max(changeAt-elapsed, 0)

	for j := m + 1; j < len(p.marks) && p.marks[j].at < planned; j++ {
		if p.marks[j].point >= 0 {
			st.NextPointText = p.marks[j].text
			return
		}
	}
	if i+1 < len(t.segments) {
		next := &t.segments[i+1]
		nextPlanned := rows[i+1].Planned
		for j := range next.marks {
			if j > 0 && next.marks[j].at >= nextPlanned {
				break
			}
			if next.marks[j].point >= 0 {
				st.NextPointText = next.marks[j].text
				return
			}
		}
	}
}

// segmentCue is a cue by offset into its segment.
type segmentCue struct {
	at    time.Duration
	rank  int
	kind  CueKind
	phase int
	point int
}

// nextCue returns segment i's first cue ordered after (after, afterRank), by
// offset then rank, given the segment's planned length. Cues lie strictly
// inside (0, planned]: nothing at the segment's start, nothing after overtime.
func (t *Timer) nextCue(i int, planned, after time.Duration, afterRank int) (segmentCue, bool) {
	p := &t.segments[i]
	best := segmentCue{at: math.MaxInt64, rank: math.MaxInt}
	found := false
	consider := func(c segmentCue) {
		if c.at <= 0 || c.at > planned {
			return
		}
		if c.at < after || (c.at == after && c.rank <= afterRank) {
			return
		}
		if c.at < best.at || (c.at == best.at && c.rank < best.rank) {
			best, found = c, true
		}
	}
	// Marks rank first, so the earliest one strictly after after is the only
	// mark that can win.
	j := sort.Search(len(p.marks), func(j int) bool { return p.marks[j].at > after })
	if j < len(p.marks) && p.marks[j].at < planned {
		m := &p.marks[j]
		consider(segmentCue{at: m.at, rank: rankMark, kind: m.kind, phase: m.phase, point: m.point})
	}
	consider(segmentCue{at: planned - t.warning, rank: rankWarning, kind: CueWarning, point: -1})
	consider(segmentCue{at: planned - t.danger, rank: rankDanger, kind: CueDanger, point: -1})
	consider(segmentCue{at: planned, rank: rankOvertime, kind: CueOvertime, point: -1})
	if found && best.rank != rankMark {
		best.phase = p.marks[p.markAt(best.at, planned)].phase
	}
	return best, found
}

// replay applies anchors in order and tracks on-air time.
type replay struct {
	timer *Timer
	rows  []SegmentTiming // working storage: adjustments, starts, ends, actuals

	started, paused, ended bool
	startAt, endAt         time.Time
	last                   time.Time     // effective instant of the last anchor seen
	air                    time.Duration // on-air time from start to last
	cur                    int           // segment on air (or last on air once ended)
	runAirStart            time.Duration // air when the current run of cur began
	windowsUsed            int

	// Cue collection, for CuesBetween only.
	collect  bool
	from, to time.Time
	cues     []Cue
}

// run applies every anchor that has happened by until, then brings the
// on-air time up to until (or leaves it at the end instant).
func (r *replay) run(anchors []Anchor, until time.Time) {
	n := len(r.rows)
	for k := range anchors {
		a := &anchors[k]
		at := a.At.Round(0)
		if k > 0 && at.Before(r.last) {
			at = r.last
		}
		if at.After(until) {
			break
		}
		live := r.started && !r.ended
		switch a.Kind {
		case AnchorStart:
			r.advance(at, false)
			if r.started {
				continue
			}
			r.started, r.startAt, r.air = true, at, 0
			if n == 0 {
				r.ended, r.endAt = true, at
				continue
			}
			r.beginRun(0, at)
		case AnchorPause:
			r.advance(at, false)
			if live {
				r.paused = true
			}
		case AnchorResume:
			r.advance(at, false)
			if live {
				r.paused = false
			}
		case AnchorGoto:
			leaves := live && a.Segment >= 0
			r.advance(at, leaves)
			if !leaves {
				continue
			}
			r.endRun(at)
			if a.Segment >= n {
				r.ended, r.endAt = true, at
				continue
			}
			r.beginRun(a.Segment, at)
		case AnchorAdjust:
			r.advance(at, false)
			if !live {
				continue
			}
			row := &r.rows[r.cur]
			// Keep Planned = script + Adjusted exact by never going below 0.
			row.Adjusted = max(satAdd(row.Adjusted, a.Delta), -r.timer.segments[r.cur].planned)
			if a.Window {
				r.windowsUsed++
			}
		case AnchorEnd:
			r.advance(at, live)
			if live {
				r.endRun(at)
				r.ended, r.endAt = true, at
			}
		default:
			// An unknown kind (a newer desk's anchor) only moves time on.
			r.advance(at, false)
		}
	}
	if !r.ended {
		r.advance(until, false)
	}
}

// advance moves the on-air time to at. leaving says the current segment goes
// off air at at, so a cue due exactly then does not fire.
func (r *replay) advance(at time.Time, leaving bool) {
	if r.started && !r.paused && !r.ended {
		if d := at.Sub(r.last); d > 0 {
			if r.collect {
				r.collectCues(r.last, r.air-r.runAirStart, d, leaving)
			}
			r.air = satAdd(r.air, d)
		}
	}
	r.last = at
}

// collectCues appends the current segment's cues due while its elapsed time
// runs from elapsed (exclusive) over d, starting at the wall instant since.
func (r *replay) collectCues(since time.Time, elapsed, d time.Duration, leaving bool) {
	if !since.Add(d).After(r.from) || since.After(r.to) {
		return
	}
	t := r.timer
	planned := t.planned(r.cur, r.rows)
	until := satAdd(elapsed, d)
	at, rank := elapsed, rankOvertime
	for {
		c, ok := t.nextCue(r.cur, planned, at, rank)
		if !ok || c.at > until || (leaving && c.at == until) {
			return
		}
		at, rank = c.at, c.rank
		wall := since.Add(c.at - elapsed)
		if wall.After(r.to) {
			return
		}
		if wall.After(r.from) {
			r.cues = append(r.cues, Cue{Kind: c.kind, At: wall, Segment: r.cur, Phase: c.phase, Point: c.point})
		}
	}
}

func (r *replay) beginRun(i int, at time.Time) {
	r.cur, r.runAirStart = i, r.air
	row := &r.rows[i]
	if row.Started.IsZero() {
		row.Started = at
	}
	row.Ended, row.Done = time.Time{}, false
}

func (r *replay) endRun(at time.Time) {
	row := &r.rows[r.cur]
	row.Actual = satAdd(row.Actual, r.air-r.runAirStart)
	row.Ended, row.Done = at, true
}

// satAdd adds durations without wrapping, so absurd adjustments in a
// hand-edited anchor file cannot turn a plan negative.
func satAdd(a, b time.Duration) time.Duration {
	s := a + b
	switch {
	case a > 0 && b > 0 && s < 0:
		return math.MaxInt64
	case a < 0 && b < 0 && s >= 0:
		return math.MinInt64
	}
	return s
}
