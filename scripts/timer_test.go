package scripts

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"reflect"
	"testing"
	"time"
)

// t0 is the show start in every test; times are written as offsets from it.
var t0 = time.Date(2025, 6, 1, 15, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func startAt(d time.Duration) Anchor  { return Anchor{Kind: AnchorStart, At: at(d)} }
func pauseAt(d time.Duration) Anchor  { return Anchor{Kind: AnchorPause, At: at(d)} }
func resumeAt(d time.Duration) Anchor { return Anchor{Kind: AnchorResume, At: at(d)} }
func endAt(d time.Duration) Anchor    { return Anchor{Kind: AnchorEnd, At: at(d)} }
func gotoAt(d time.Duration, segment int) Anchor {
	return Anchor{Kind: AnchorGoto, At: at(d), Segment: segment}
}
func adjustAt(d, delta time.Duration, window bool) Anchor {
	return Anchor{Kind: AnchorAdjust, At: at(d), Delta: delta, Window: window}
}

// showBuilder builds test scripts.
type showBuilder struct{ show Show }

func newShow() *showBuilder { return &showBuilder{show: Show{ID: "test", Title: "测试直播"}} }

// product adds a standard 5-minute product segment: 1 min core selling points
// (2 points), 3 min scenario demo (6 points), 1 min comparison (2 points).
// Point texts are "<id>-<phase>-<point>".
func (b *showBuilder) product(id string) *showBuilder {
	phase := func(k int, name string, d time.Duration, points int) Phase {
		p := Phase{Name: name, Duration: d}
		for j := range points {
			p.Points = append(p.Points, SellingPoint{Text: fmt.Sprintf("%s-%d-%d", id, k, j)})
		}
		return p
	}
	return b.segment(Segment{
		ID: id, Title: id, Kind: KindProduct, Product: id,
		Phases: []Phase{
			phase(0, PhaseCore, time.Minute, 2),
			phase(1, PhaseDemo, 3*time.Minute, 6),
			phase(2, PhaseCompare, time.Minute, 2),
		},
	})
}

// plain adds a segment with a duration and no phases.
func (b *showBuilder) plain(id string, d time.Duration) *showBuilder {
	return b.segment(Segment{ID: id, Title: id, Kind: KindInteraction, Duration: d})
}

func (b *showBuilder) segment(s Segment) *showBuilder {
	b.show.Segments = append(b.show.Segments, s)
	return b
}

func (b *showBuilder) build() *Show { return &b.show }

// twoHourShow is 24 product segments of 5 minutes.
func twoHourShow() *Show {
	b := newShow()
	for i := range 24 {
		b.product(fmt.Sprintf("p%02d", i+1))
	}
	return b.build()
}

func TestTimerBeforeStart(t *testing.T) {
	tm := NewTimer(newShow().product("a").product("b").build())
	st := tm.State(nil, at(-time.Minute))
	if st.Started || st.Clock != ClockIdle || st.Segment != 0 || st.NextCue != nil {
		t.Fatalf("before start: %+v", st)
	}
	if st.ShowLeft != 10*time.Minute || st.OverUnder != 0 || !st.PlannedEnd.IsZero() {
		t.Errorf("ShowLeft %v OverUnder %v PlannedEnd %v, want 10m 0 zero", st.ShowLeft, st.OverUnder, st.PlannedEnd)
	}
	if st.Phase != 0 || st.Point != 0 || st.PointText != "a-0-0" || st.NextPointText != "a-0-1" {
		t.Errorf("up first: phase %d point %d %q next %q", st.Phase, st.Point, st.PointText, st.NextPointText)
	}
	if len(st.Rundown) != 2 || st.Rundown[1].PlannedStart != 5*time.Minute {
		t.Errorf("rundown %+v", st.Rundown)
	}
	// A start recorded for later has not happened yet.
	if got := tm.State([]Anchor{startAt(time.Minute)}, at(0)); got.Started {
		t.Error("a future start counted")
	}
}

func TestTimerProductCueSchedule(t *testing.T) {
	tm := NewTimer(newShow().product("a").product("b").build())
	anchors := []Anchor{startAt(0)}
	s := time.Second
	want := []Cue{
		{Kind: CuePoint, At: at(30 * s), Phase: 0, Point: 1},
		{Kind: CuePhase, At: at(60 * s), Phase: 1, Point: 0},
		{Kind: CuePoint, At: at(90 * s), Phase: 1, Point: 1},
		{Kind: CuePoint, At: at(120 * s), Phase: 1, Point: 2},
		{Kind: CuePoint, At: at(150 * s), Phase: 1, Point: 3},
		{Kind: CuePoint, At: at(180 * s), Phase: 1, Point: 4},
		{Kind: CuePoint, At: at(210 * s), Phase: 1, Point: 5},
		{Kind: CuePhase, At: at(240 * s), Phase: 2, Point: 0},
		{Kind: CueWarning, At: at(240 * s), Phase: 2, Point: -1}, // planned − 60 s
		{Kind: CuePoint, At: at(270 * s), Phase: 2, Point: 1},
		{Kind: CueDanger, At: at(290 * s), Phase: 2, Point: -1},   // planned − 10 s
		{Kind: CueOvertime, At: at(300 * s), Phase: 2, Point: -1}, // planned
	}
	if got := tm.CuesBetween(anchors, t0, at(time.Hour)); !reflect.DeepEqual(got, want) {
		t.Fatalf("cues:\n got %v\nwant %v", got, want)
	}

	tests := []struct {
		at                time.Duration
		phase, point      int
		text, next        string
		pointLeft         time.Duration
		clock             ClockPhase
		nextCueAt         time.Duration // 0: no next cue
		nextCueKind       CueKind
		segmentLeft       time.Duration
		showLeft          time.Duration
		overUnder         time.Duration
		segmentElapsedNow time.Duration
	}{
		{0, 0, 0, "a-0-0", "a-0-1", 30 * s, ClockNormal, 30 * s, CuePoint, 300 * s, 600 * s, 0, 0},
		{45 * s, 0, 1, "a-0-1", "a-1-0", 15 * s, ClockNormal, 60 * s, CuePhase, 255 * s, 555 * s, 0, 45 * s},
		{60 * s, 1, 0, "a-1-0", "a-1-1", 30 * s, ClockNormal, 90 * s, CuePoint, 240 * s, 540 * s, 0, 60 * s},
		{239 * s, 1, 5, "a-1-5", "a-2-0", 1 * s, ClockNormal, 240 * s, CuePhase, 61 * s, 361 * s, 0, 239 * s},
		{240 * s, 2, 0, "a-2-0", "a-2-1", 30 * s, ClockWarning, 270 * s, CuePoint, 60 * s, 360 * s, 0, 240 * s},
		{285 * s, 2, 1, "a-2-1", "b-0-0", 15 * s, ClockWarning, 290 * s, CueDanger, 15 * s, 315 * s, 0, 285 * s},
		{290 * s, 2, 1, "a-2-1", "b-0-0", 10 * s, ClockDanger, 300 * s, CueOvertime, 10 * s, 310 * s, 0, 290 * s},
		{300 * s, 2, 1, "a-2-1", "b-0-0", 0, ClockOvertime, 0, "", 0, 300 * s, 0, 300 * s},
	}
	for _, tc := range tests {
		st := tm.State(anchors, at(tc.at))
		if st.Phase != tc.phase || st.Point != tc.point || st.PointText != tc.text || st.NextPointText != tc.next {
			t.Errorf("%v: phase %d point %d %q next %q, want %d %d %q %q", tc.at,
				st.Phase, st.Point, st.PointText, st.NextPointText, tc.phase, tc.point, tc.text, tc.next)
		}
		if st.PointLeft != tc.pointLeft || st.Clock != tc.clock || st.SegmentLeft != tc.segmentLeft ||
			st.ShowLeft != tc.showLeft || st.OverUnder != tc.overUnder || st.SegmentElapsed != tc.segmentElapsedNow {
			t.Errorf("%v: pointLeft %v clock %s segLeft %v showLeft %v overUnder %v elapsed %v", tc.at,
				st.PointLeft, st.Clock, st.SegmentLeft, st.ShowLeft, st.OverUnder, st.SegmentElapsed)
		}
		switch {
		case tc.nextCueAt == 0 && st.NextCue != nil:
			t.Errorf("%v: next cue %+v, want none", tc.at, *st.NextCue)
		case tc.nextCueAt != 0 && (st.NextCue == nil || !st.NextCue.At.Equal(at(tc.nextCueAt)) || st.NextCue.Kind != tc.nextCueKind):
			t.Errorf("%v: next cue %+v, want %s at %v", tc.at, st.NextCue, tc.nextCueKind, tc.nextCueAt)
		}
	}
}

// TestTimerTwoHourShowNoDrift runs a 2-hour show to the end the way the desk
// does: sleep until the next cue, collect what fired, and press Next exactly
// when each segment runs out.
func TestTimerTwoHourShowNoDrift(t *testing.T) {
	show := twoHourShow()
	tm := NewTimer(show)
	anchors := []Anchor{startAt(0)}
	now := t0
	var fired []Cue
	for steps := 0; ; steps++ {
		if steps > 10000 {
			t.Fatal("show did not end")
		}
		st := tm.State(anchors, now)
		if st.Ended {
			break
		}
		if st.OverUnder != 0 {
			t.Fatalf("at %v: OverUnder %v, want 0", now.Sub(t0), st.OverUnder)
		}
		if st.NextCue == nil {
			t.Fatalf("at %v: no next cue in segment %d", now.Sub(t0), st.Segment)
		}
		next := *st.NextCue
		if next.Kind == CueOvertime {
			now = next.At
			anchors = append(anchors, Anchor{Kind: AnchorGoto, At: now, Segment: st.Segment + 1})
			continue
		}
		got := tm.CuesBetween(anchors, now, next.At)
		if len(got) == 0 || got[0] != next {
			t.Fatalf("at %v: cues %v, want first %v", now.Sub(t0), got, next)
		}
		fired = append(fired, got...)
		now = next.At
	}

	st := tm.State(anchors, now.Add(time.Hour))
	if st.ShowElapsed != 2*time.Hour || st.OverUnder != 0 || !st.ProjectedEnd.Equal(at(2*time.Hour)) {
		t.Errorf("end: ShowElapsed %v OverUnder %v ProjectedEnd %v", st.ShowElapsed, st.OverUnder, st.ProjectedEnd)
	}
	if st.Clock != ClockEnded || st.ShowLeft != 0 || st.Segment != 23 {
		t.Errorf("end: clock %s ShowLeft %v segment %d", st.Clock, st.ShowLeft, st.Segment)
	}
	for i, row := range st.Rundown {
		if !row.Done || row.Actual != 5*time.Minute || row.PlannedStart != time.Duration(i)*5*time.Minute ||
			!row.Started.Equal(at(row.PlannedStart)) || !row.Ended.Equal(at(row.PlannedStart+5*time.Minute)) {
			t.Errorf("row %d: %+v", i, row)
		}
	}
	// Per segment: 9 point/phase changes + warning + danger; no overtime,
	// because Next is pressed exactly when time runs out.
	const want = 24 * (9 + 2)
	if len(fired) != want {
		t.Errorf("fired %d cues, want %d", len(fired), want)
	}
	if all := tm.CuesBetween(anchors, t0, at(3*time.Hour)); !reflect.DeepEqual(all, fired) {
		t.Errorf("CuesBetween over the whole show gives %d cues, stepping gave %d", len(all), len(fired))
	}
}

func TestTimerPauseResume(t *testing.T) {
	tm := NewTimer(newShow().product("a").product("b").build())
	s := time.Second
	anchors := []Anchor{startAt(0), pauseAt(70 * s), resumeAt(190 * s)}

	st := tm.State(anchors, at(120*s))
	if !st.Paused || st.NextCue != nil || st.SegmentElapsed != 70*s || st.ShowElapsed != 70*s {
		t.Errorf("paused: %+v", st)
	}
	if st.OverUnder != 50*s || !st.ProjectedEnd.Equal(at(120*s+230*s+300*s)) {
		t.Errorf("paused: OverUnder %v ProjectedEnd %v, want 50s and +650s", st.OverUnder, st.ProjectedEnd.Sub(t0))
	}
	if st.Rundown[0].Actual != 70*s {
		t.Errorf("paused: Actual %v", st.Rundown[0].Actual)
	}

	st = tm.State(anchors, at(200*s))
	if st.Paused || st.SegmentElapsed != 80*s || st.OverUnder != 120*s {
		t.Errorf("resumed: paused %v elapsed %v OverUnder %v", st.Paused, st.SegmentElapsed, st.OverUnder)
	}
	if st.NextCue == nil || !st.NextCue.At.Equal(at(210*s)) { // point at 90 s on air
		t.Errorf("resumed: next cue %+v, want at 210s", st.NextCue)
	}

	cues := tm.CuesBetween(anchors, t0, at(time.Hour))
	wantAt := []time.Duration{30, 60, 90 + 120, 120 + 120, 150 + 120, 180 + 120, 210 + 120, 240 + 120, 240 + 120, 270 + 120, 290 + 120, 300 + 120}
	if len(cues) != len(wantAt) {
		t.Fatalf("cues %v", cues)
	}
	for i, c := range cues {
		if !c.At.Equal(at(wantAt[i] * s)) {
			t.Errorf("cue %d %s at %v, want %v", i, c.Kind, c.At.Sub(t0), wantAt[i]*s)
		}
	}

	// Pause while paused and resume without pause change nothing.
	noisy := []Anchor{startAt(0), resumeAt(10 * s), pauseAt(70 * s), pauseAt(100 * s), resumeAt(190 * s), resumeAt(195 * s)}
	if a, b := tm.State(anchors, at(250*s)), tm.State(noisy, at(250*s)); !reflect.DeepEqual(a, b) {
		t.Errorf("ignored anchors changed the state:\n%+v\n%+v", a, b)
	}

	// A cue due at the pause instant fires once, not again on resume.
	atCue := []Anchor{startAt(0), pauseAt(60 * s), resumeAt(100 * s)}
	cues = tm.CuesBetween(atCue, at(50*s), at(135*s))
	if len(cues) != 2 || cues[0].Kind != CuePhase || !cues[0].At.Equal(at(60*s)) || !cues[1].At.Equal(at(130*s)) {
		t.Errorf("cue at pause: %v", cues)
	}
}

func TestTimerGotoNextPreviousJump(t *testing.T) {
	tm := NewTimer(newShow().product("a").product("b").product("c").build())
	m := time.Minute
	s := time.Second
	anchors := []Anchor{startAt(0), gotoAt(2*m, 1)}

	st := tm.State(anchors, at(3*m))
	if st.Segment != 1 || st.SegmentElapsed != m || st.OverUnder != -3*m || st.ShowLeft != 9*m {
		t.Errorf("next early: segment %d elapsed %v OverUnder %v ShowLeft %v", st.Segment, st.SegmentElapsed, st.OverUnder, st.ShowLeft)
	}
	if r := st.Rundown[0]; !r.Done || r.Actual != 2*m || !r.Ended.Equal(at(2*m)) {
		t.Errorf("row 0 after next: %+v", r)
	}
	if r := st.Rundown[1]; r.Done || r.Actual != m || !r.Started.Equal(at(2*m)) || !r.Ended.IsZero() {
		t.Errorf("row 1 on air: %+v", r)
	}

	// Previous restarts segment 0 from zero; its row keeps the first start and
	// adds up on-air time across runs.
	anchors = append(anchors, gotoAt(4*m, 0))
	st = tm.State(anchors, at(4*m+45*s))
	if st.Segment != 0 || st.SegmentElapsed != 45*s || st.Point != 1 || st.PointText != "a-0-1" {
		t.Errorf("previous: segment %d elapsed %v point %d %q", st.Segment, st.SegmentElapsed, st.Point, st.PointText)
	}
	if r := st.Rundown[0]; r.Done || r.Actual != 2*m+45*s || !r.Started.Equal(t0) || !r.Ended.IsZero() {
		t.Errorf("row 0 revisited: %+v", r)
	}
	if r := st.Rundown[1]; !r.Done || r.Actual != 2*m {
		t.Errorf("row 1 left: %+v", r)
	}
	if st.ShowElapsed != 4*m+45*s {
		t.Errorf("ShowElapsed %v", st.ShowElapsed)
	}

	// A jump, then a Previous from nowhere (-1) that must be ignored.
	anchors = append(anchors, gotoAt(5*m, 2), gotoAt(5*m+10*s, -1))
	st = tm.State(anchors, at(6*m))
	if st.Segment != 2 || st.SegmentElapsed != m || st.Rundown[0].Actual != 3*m || st.Rundown[1].Actual != 2*m {
		t.Errorf("jump: segment %d elapsed %v rundown %+v", st.Segment, st.SegmentElapsed, st.Rundown)
	}
	if st.PointText != "c-1-0" || st.NextPointText != "c-1-1" {
		t.Errorf("NextPointText %q", st.NextPointText)
	}

	// Next past the last segment ends the show; far out of range too.
	for _, target := range []int{3, 99} {
		ended := append(append([]Anchor(nil), anchors...), gotoAt(7*m, target))
		st = tm.State(ended, at(9*m))
		if !st.Ended || st.Clock != ClockEnded || st.Segment != 2 || st.NextCue != nil || st.ShowLeft != 0 {
			t.Errorf("goto %d: %+v", target, st)
		}
		if !st.ProjectedEnd.Equal(at(7*m)) || st.OverUnder != 7*m-15*m || st.ShowElapsed != 7*m {
			t.Errorf("goto %d: ProjectedEnd %v OverUnder %v ShowElapsed %v", target, st.ProjectedEnd.Sub(t0), st.OverUnder, st.ShowElapsed)
		}
		if r := st.Rundown[2]; !r.Done || r.Actual != 2*m {
			t.Errorf("goto %d: last row %+v", target, r)
		}
	}
}

func TestTimerAdjust(t *testing.T) {
	tm := NewTimer(newShow().product("a").product("b").build())
	m := time.Minute
	s := time.Second

	longer := []Anchor{startAt(0), adjustAt(m, 30*s, true)}
	cues := tm.CuesBetween(longer, t0, at(time.Hour))
	tail := cues[len(cues)-5:]
	want := []Cue{
		{Kind: CuePhase, At: at(240 * s), Phase: 2, Point: 0},
		{Kind: CuePoint, At: at(270 * s), Phase: 2, Point: 1},
		{Kind: CueWarning, At: at(270 * s), Phase: 2, Point: -1},
		{Kind: CueDanger, At: at(320 * s), Phase: 2, Point: -1},
		{Kind: CueOvertime, At: at(330 * s), Phase: 2, Point: -1},
	}
	if !reflect.DeepEqual(tail, want) {
		t.Errorf("extended cues:\n got %v\nwant %v", tail, want)
	}
	st := tm.State(longer, at(285*s))
	if st.ShowLeft != 45*s+5*m || st.SegmentPlanned != 330*s || st.OverUnder != 30*s {
		t.Errorf("extended: ShowLeft %v planned %v OverUnder %v", st.ShowLeft, st.SegmentPlanned, st.OverUnder)
	}
	if st.PointLeft != 45*s || st.Clock != ClockWarning { // the last point runs to the new end
		t.Errorf("extended: PointLeft %v clock %s", st.PointLeft, st.Clock)
	}
	if st.WindowsUsed != 1 || st.WindowsLeft != 2 {
		t.Errorf("windows %d/%d", st.WindowsUsed, st.WindowsLeft)
	}
	if r := st.Rundown[0]; r.Adjusted != 30*s || r.Planned != 330*s {
		t.Errorf("row: %+v", r)
	}

	shorter := []Anchor{startAt(0), adjustAt(m, -30*s, false)}
	cues = tm.CuesBetween(shorter, t0, at(time.Hour))
	tail = cues[len(cues)-4:]
	want = []Cue{
		{Kind: CueWarning, At: at(210 * s), Phase: 1, Point: -1},
		{Kind: CuePhase, At: at(240 * s), Phase: 2, Point: 0},
		{Kind: CueDanger, At: at(260 * s), Phase: 2, Point: -1},
		{Kind: CueOvertime, At: at(270 * s), Phase: 2, Point: -1}, // the point at 270 s no longer fits
	}
	if !reflect.DeepEqual(tail, want) {
		t.Errorf("shortened cues:\n got %v\nwant %v", tail, want)
	}
	st = tm.State(shorter, at(280*s))
	if st.Clock != ClockOvertime || st.SegmentLeft != -10*s || st.Point != 0 || st.NextPointText != "b-0-0" {
		t.Errorf("shortened: clock %s left %v point %d next %q", st.Clock, st.SegmentLeft, st.Point, st.NextPointText)
	}
	if st.WindowsUsed != 0 || st.WindowsLeft != 3 || st.ShowLeft != 5*m || st.OverUnder != -20*s { // 30 s cut, 10 s over
		t.Errorf("shortened: windows %d/%d ShowLeft %v OverUnder %v", st.WindowsUsed, st.WindowsLeft, st.ShowLeft, st.OverUnder)
	}

	// Windows are counted, not enforced, and never go below zero left.
	many := []Anchor{startAt(0)}
	for i := range 5 {
		many = append(many, adjustAt(time.Duration(i+1)*s, 0, true))
	}
	if st := tm.State(many, at(m)); st.WindowsUsed != 5 || st.WindowsLeft != 0 {
		t.Errorf("windows %d/%d", st.WindowsUsed, st.WindowsLeft)
	}

	// Planned never goes below zero, and a later extension starts from zero.
	cut := []Anchor{startAt(0), adjustAt(m, -time.Hour, true)}
	st = tm.State(cut, at(m))
	if st.SegmentPlanned != 0 || st.Rundown[0].Adjusted != -5*m || st.Clock != ClockOvertime || st.SegmentLeft != -m || st.NextCue != nil {
		t.Errorf("cut to zero: planned %v adjusted %v clock %s left %v next %v", st.SegmentPlanned, st.Rundown[0].Adjusted, st.Clock, st.SegmentLeft, st.NextCue)
	}
	cut = append(cut, adjustAt(m, 2*m, false))
	if st := tm.State(cut, at(m)); st.SegmentPlanned != 2*m || st.SegmentLeft != m {
		t.Errorf("re-extended: planned %v left %v", st.SegmentPlanned, st.SegmentLeft)
	}

	// Adjustments before the start or after the end do nothing.
	ignored := []Anchor{adjustAt(-m, m, true), startAt(0), endAt(m), adjustAt(2*m, m, true)}
	st = tm.State(ignored, at(3*m))
	if st.WindowsUsed != 0 || st.Rundown[0].Adjusted != 0 {
		t.Errorf("ignored adjustments counted: %+v", st)
	}
}

func TestTimerOvertime(t *testing.T) {
	tm := NewTimer(newShow().product("a").product("b").build())
	s := time.Second
	st := tm.State([]Anchor{startAt(0)}, at(320*s))
	if st.Clock != ClockOvertime || st.SegmentLeft != -20*s || st.NextCue != nil || st.Segment != 0 {
		t.Errorf("overtime: %+v", st)
	}
	if st.ShowLeft != 300*s || st.OverUnder != 20*s || !st.ProjectedEnd.Equal(at(620*s)) || st.PointLeft != 0 {
		t.Errorf("overtime: ShowLeft %v OverUnder %v ProjectedEnd %v PointLeft %v", st.ShowLeft, st.OverUnder, st.ProjectedEnd.Sub(t0), st.PointLeft)
	}
}

func TestTimerClockBoundaries(t *testing.T) {
	show := newShow().plain("talk", 2*time.Minute).plain("short", 30*time.Second).plain("zero", 0).build()
	tm := NewTimer(show)
	ms := time.Millisecond
	s := time.Second
	anchors := []Anchor{startAt(0)}
	for _, tc := range []struct {
		at   time.Duration
		want ClockPhase
	}{
		{59*s + 999*ms, ClockNormal},
		{60 * s, ClockWarning}, // exactly Warning left
		{109*s + 999*ms, ClockWarning},
		{110 * s, ClockDanger}, // exactly Danger left
		{119*s + 999*ms, ClockDanger},
		{120 * s, ClockOvertime}, // time has run out
	} {
		if st := tm.State(anchors, at(tc.at)); st.Clock != tc.want {
			t.Errorf("%v: clock %s, want %s", tc.at, st.Clock, tc.want)
		}
	}

	// A segment without phases cues only warning, danger and overtime.
	cues := tm.CuesBetween(anchors, t0, at(time.Hour))
	want := []Cue{
		{Kind: CueWarning, At: at(60 * s), Phase: -1, Point: -1},
		{Kind: CueDanger, At: at(110 * s), Phase: -1, Point: -1},
		{Kind: CueOvertime, At: at(120 * s), Phase: -1, Point: -1},
	}
	if !reflect.DeepEqual(cues, want) {
		t.Errorf("plain cues %v", cues)
	}
	if st := tm.State(anchors, at(s)); st.Phase != -1 || st.Point != -1 || st.PointText != "" || st.PointLeft != 119*s {
		t.Errorf("plain: phase %d point %d %q PointLeft %v", st.Phase, st.Point, st.PointText, st.PointLeft)
	}

	// A segment shorter than the warning starts in warning, with no cue for it.
	short := []Anchor{startAt(0), gotoAt(0, 1)}
	if st := tm.State(short, t0); st.Clock != ClockWarning || st.NextCue == nil || st.NextCue.Kind != CueDanger || !st.NextCue.At.Equal(at(20*s)) {
		t.Errorf("short segment: clock %s next %+v", st.Clock, st.NextCue)
	}
	if cues := tm.CuesBetween(short, t0, at(time.Hour)); len(cues) != 2 || cues[0].Kind != CueDanger || cues[1].Kind != CueOvertime {
		t.Errorf("short segment cues %v", cues)
	}

	// A zero-length segment is over as soon as it starts, and cues nothing.
	zero := []Anchor{startAt(0), gotoAt(0, 2)}
	if st := tm.State(zero, t0); st.Clock != ClockOvertime || st.NextCue != nil || st.SegmentLeft != 0 {
		t.Errorf("zero segment: %+v", st)
	}
	if cues := tm.CuesBetween(zero, at(-s), at(time.Hour)); len(cues) != 0 {
		t.Errorf("zero segment cues %v", cues)
	}
}

func TestTimerPhaseEdgeCases(t *testing.T) {
	s := time.Second
	show := newShow().segment(Segment{
		ID: "x", Kind: KindProduct,
		Duration: 150 * s, // 30 s more than the phases: the last phase absorbs it
		Phases: []Phase{
			{Name: "intro", Duration: 30 * s},                                       // no points
			{Name: "skipped", Duration: 0, Points: []SellingPoint{{Text: "never"}}}, // zero length
			{Name: "core", Duration: 60 * s, Points: []SellingPoint{
				{Text: "long", Duration: 45 * s}, {Text: "cut"}, {Text: "no room"},
			}},
			{Name: "close", Duration: 30 * s, Points: []SellingPoint{{Text: "bye"}}},
		},
	}).build()
	tm := NewTimer(show)
	anchors := []Anchor{startAt(0)}

	st := tm.State(anchors, at(10*s))
	if st.Phase != 0 || st.Point != -1 || st.PointText != "" || st.NextPointText != "long" || st.PointLeft != 20*s {
		t.Errorf("no points: phase %d point %d %q next %q left %v", st.Phase, st.Point, st.PointText, st.NextPointText, st.PointLeft)
	}
	cues := tm.CuesBetween(anchors, t0, at(time.Hour))
	want := []Cue{
		{Kind: CuePhase, At: at(30 * s), Phase: 2, Point: 0}, // one cue where the empty phase and "core" meet
		{Kind: CuePoint, At: at(75 * s), Phase: 2, Point: 1}, // "cut" ends with the phase; "no room" is dropped
		{Kind: CuePhase, At: at(90 * s), Phase: 3, Point: 0},
		{Kind: CueWarning, At: at(90 * s), Phase: 3, Point: -1},
		{Kind: CueDanger, At: at(140 * s), Phase: 3, Point: -1},
		{Kind: CueOvertime, At: at(150 * s), Phase: 3, Point: -1},
	}
	if !reflect.DeepEqual(cues, want) {
		t.Errorf("cues:\n got %v\nwant %v", cues, want)
	}
	st = tm.State(anchors, at(130*s))
	if st.Phase != 3 || st.PointText != "bye" || st.PointLeft != 20*s || st.NextPointText != "" {
		t.Errorf("last phase: phase %d %q left %v next %q", st.Phase, st.PointText, st.PointLeft, st.NextPointText)
	}
}

func TestTimerEnd(t *testing.T) {
	tm := NewTimer(newShow().product("a").product("b").build())
	m := time.Minute
	anchors := []Anchor{startAt(0), endAt(3 * m), adjustAt(4*m, m, true), gotoAt(5*m, 1), startAt(6 * m), resumeAt(7 * m)}
	st := tm.State(anchors, at(3*m))
	later := tm.State(anchors, at(10*m))
	if !st.Ended || st.Clock != ClockEnded || st.ShowElapsed != 3*m || st.SegmentElapsed != 3*m || st.NextCue != nil {
		t.Errorf("ended: %+v", st)
	}
	if st.OverUnder != -7*m || !st.ProjectedEnd.Equal(at(3*m)) || st.ShowLeft != 0 {
		t.Errorf("ended: OverUnder %v ProjectedEnd %v ShowLeft %v", st.OverUnder, st.ProjectedEnd.Sub(t0), st.ShowLeft)
	}
	if r := st.Rundown[0]; !r.Done || r.Actual != 3*m || !r.Ended.Equal(at(3*m)) {
		t.Errorf("row 0: %+v", r)
	}
	later.Now = st.Now
	if !reflect.DeepEqual(st, later) {
		t.Errorf("state not frozen after end:\n%+v\n%+v", st, later)
	}
	if cues := tm.CuesBetween(anchors, at(3*m), at(time.Hour)); len(cues) != 0 {
		t.Errorf("cues after end: %v", cues)
	}
}

func TestTimerOddInputs(t *testing.T) {
	m := time.Minute
	for _, show := range []*Show{nil, {}, newShow().build()} {
		tm := NewTimer(show)
		if st := tm.State(nil, t0); st.Started || st.Clock != ClockIdle || st.Phase != -1 || st.ShowLeft != 0 {
			t.Errorf("empty show before start: %+v", st)
		}
		st := tm.State([]Anchor{startAt(0), gotoAt(m, 3), adjustAt(m, m, true), pauseAt(2 * m)}, at(3*m))
		if !st.Ended || st.Clock != ClockEnded || st.Segment != 0 || st.Phase != -1 || len(st.Rundown) != 0 {
			t.Errorf("empty show started: %+v", st)
		}
		if cues := tm.CuesBetween([]Anchor{startAt(0)}, t0, at(m)); cues != nil {
			t.Errorf("empty show cues %v", cues)
		}
	}

	tm := NewTimer(newShow().product("a").product("b").build())
	plain := tm.State([]Anchor{startAt(0)}, at(3*m))

	// Anchors before the start are ignored; one recorded out of order counts
	// at its predecessor's instant, so this pause lasts no time at all.
	odd := []Anchor{pauseAt(-2 * m), gotoAt(-m, 1), startAt(0), pauseAt(2 * m), resumeAt(m)}
	if st := tm.State(odd, at(3*m)); st.SegmentElapsed != 3*m || st.Paused || st.Segment != 0 {
		t.Errorf("out of order: elapsed %v paused %v segment %d", st.SegmentElapsed, st.Paused, st.Segment)
	}
	// A second start and an unknown kind change nothing.
	again := []Anchor{startAt(0), startAt(m), {Kind: "rewind", At: at(2 * m)}}
	if st := tm.State(again, at(3*m)); !reflect.DeepEqual(st, plain) {
		t.Errorf("second start changed the state:\n%+v\n%+v", st, plain)
	}
	// now before the start, and a zero now.
	for _, now := range []time.Time{at(-time.Hour), {}} {
		if st := tm.State([]Anchor{startAt(0)}, now); st.Started {
			t.Errorf("started at %v", now)
		}
	}
	// from after to.
	if cues := tm.CuesBetween([]Anchor{startAt(0)}, at(m), t0); cues != nil {
		t.Errorf("reversed window: %v", cues)
	}
}

// TestTimerRestartFromPersistedAnchors is the crash-recovery path: anchors go
// to disk as JSON, come back, and a new Timer gives the identical state.
func TestTimerRestartFromPersistedAnchors(t *testing.T) {
	show := twoHourShow()
	m := time.Minute
	s := time.Second
	anchors := []Anchor{
		startAt(0), adjustAt(2*m, 30*s, true), pauseAt(3 * m), resumeAt(4 * m),
		gotoAt(6*m+30*s, 1), gotoAt(10*m, 5), adjustAt(11*m, -20*s, false),
	}
	now := at(13*m + 17*s + 250*time.Millisecond) // mid selling point
	before := NewTimer(show).State(anchors, now)
	if before.Point < 0 || before.NextCue == nil {
		t.Fatalf("not mid selling point: %+v", before)
	}

	data, err := json.Marshal(anchors)
	if err != nil {
		t.Fatal(err)
	}
	var restored []Anchor
	if err := json.Unmarshal(data, &restored); err != nil {
		t.Fatal(err)
	}
	after := NewTimer(show).State(restored, now)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("restart changed the state:\nbefore %+v\n after %+v", before, after)
	}
}

func TestTimerCuesBetween(t *testing.T) {
	tm := NewTimer(newShow().product("a").product("b").build())
	s := time.Second
	anchors := []Anchor{startAt(0), gotoAt(300*s, 1)}

	// (from, to]: the cue at from is excluded, the cue at to included.
	got := tm.CuesBetween(anchors, at(30*s), at(120*s))
	want := []Cue{
		{Kind: CuePhase, At: at(60 * s), Phase: 1, Point: 0},
		{Kind: CuePoint, At: at(90 * s), Phase: 1, Point: 1},
		{Kind: CuePoint, At: at(120 * s), Phase: 1, Point: 2},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("window:\n got %v\nwant %v", got, want)
	}

	// Across a Next pressed right on time: no overtime, the next segment's cues follow.
	got = tm.CuesBetween(anchors, at(285*s), at(335*s))
	want = []Cue{
		{Kind: CueDanger, At: at(290 * s), Segment: 0, Phase: 2, Point: -1},
		{Kind: CuePoint, At: at(330 * s), Segment: 1, Phase: 0, Point: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("across next:\n got %v\nwant %v", got, want)
	}
}

// TestTimerRandomAnchors throws random anchor sequences at the timer and
// checks the invariants the desk relies on.
func TestTimerRandomAnchors(t *testing.T) {
	odd := newShow().product("a").plain("b", 45*time.Second).plain("zero", 0).segment(Segment{
		ID: "c", Duration: 20 * time.Second,
		Phases: []Phase{{Name: "only", Duration: 40 * time.Second, Points: []SellingPoint{{Text: "x"}, {Text: "y", Duration: -time.Second}}}},
	}).product("d").build()
	shows := []*Show{twoHourShow(), odd, newShow().build()}
	kinds := []AnchorKind{AnchorStart, AnchorPause, AnchorResume, AnchorGoto, AnchorGoto, AnchorAdjust, AnchorEnd, "bogus"}
	rng := rand.New(rand.NewSource(20250601))

	for iter := range 400 {
		show := shows[iter%len(shows)]
		tm := NewTimer(show)
		n := len(show.Segments)
		anchors := []Anchor{startAt(time.Duration(rng.Intn(60)) * time.Second)}
		if rng.Intn(10) == 0 {
			anchors = anchors[:0]
		}
		clock := time.Duration(0)
		for range rng.Intn(25) {
			step := time.Duration(rng.Intn(400)) * time.Second
			if rng.Intn(15) == 0 {
				step = -step // the wall clock stepped back
			}
			clock += step
			a := Anchor{Kind: kinds[rng.Intn(len(kinds))], At: at(clock)}
			switch a.Kind {
			case AnchorGoto:
				a.Segment = rng.Intn(n+6) - 3
			case AnchorAdjust:
				a.Delta = time.Duration(rng.Intn(1200)-600) * time.Second
				a.Window = rng.Intn(2) == 0
			}
			if a.Kind == AnchorEnd && rng.Intn(3) > 0 {
				continue // keep most shows running
			}
			anchors = append(anchors, a)
		}

		var prev time.Time
		for probe := range 12 {
			now := at(time.Duration(rng.Int63n(int64(clock + 20*time.Minute + 1))))
			if probe == 0 {
				now = at(clock) // exactly at the last anchor
			}
			st := checkState(t, tm, anchors, now, n)
			if t.Failed() {
				t.Fatalf("iteration %d, anchors %+v", iter, anchors)
			}
			// The next cue is the first one CuesBetween reports up to it,
			// unless an anchor lands in between.
			if st.NextCue != nil && !anchorIn(anchors, now, st.NextCue.At) {
				cues := tm.CuesBetween(anchors, now, st.NextCue.At)
				if len(cues) == 0 || cues[0] != *st.NextCue {
					t.Fatalf("iteration %d at %v: next cue %+v, CuesBetween %v", iter, now.Sub(t0), *st.NextCue, cues)
				}
			}
			// Cue windows add up, and each lies in its window, in order.
			if !prev.IsZero() {
				from, to := prev, now
				if to.Before(from) {
					from, to = to, from
				}
				mid := from.Add(to.Sub(from) / 3)
				whole := tm.CuesBetween(anchors, from, to)
				parts := append(tm.CuesBetween(anchors, from, mid), tm.CuesBetween(anchors, mid, to)...)
				if len(whole) != len(parts) || (len(whole) > 0 && !reflect.DeepEqual(whole, parts)) {
					t.Fatalf("iteration %d: windows do not add up: %d vs %d cues", iter, len(whole), len(parts))
				}
				for i, c := range whole {
					if !c.At.After(from) || c.At.After(to) || (i > 0 && c.At.Before(whole[i-1].At)) {
						t.Fatalf("iteration %d: cue %+v outside (%v, %v] or out of order", iter, c, from.Sub(t0), to.Sub(t0))
					}
				}
			}
			prev = now
		}
	}
}

func checkState(t *testing.T, tm *Timer, anchors []Anchor, now time.Time, n int) State {
	t.Helper()
	st := tm.State(anchors, now)
	if st.SegmentElapsed < 0 || st.ShowLeft < 0 || st.ShowElapsed < 0 || st.PointLeft < 0 || st.SegmentPlanned < 0 {
		t.Errorf("negative: elapsed %v showLeft %v showElapsed %v pointLeft %v planned %v",
			st.SegmentElapsed, st.ShowLeft, st.ShowElapsed, st.PointLeft, st.SegmentPlanned)
	}
	if st.NextCue != nil && (!st.NextCue.At.After(now) || st.Paused || st.Ended || !st.Started) {
		t.Errorf("next cue %+v at %v (paused %v ended %v started %v)", *st.NextCue, now.Sub(t0), st.Paused, st.Ended, st.Started)
	}
	if st.WindowsLeft < 0 || len(st.Rundown) != n {
		t.Errorf("windows left %d, rundown %d rows", st.WindowsLeft, len(st.Rundown))
	}
	if n > 0 && (st.Segment < 0 || st.Segment >= n) {
		t.Errorf("segment %d of %d", st.Segment, n)
	}
	if !st.ProjectedEnd.Equal(now.Add(st.ShowLeft)) && !st.Ended {
		t.Errorf("ProjectedEnd %v, now+ShowLeft %v", st.ProjectedEnd, now.Add(st.ShowLeft))
	}
	var actual time.Duration
	for _, row := range st.Rundown {
		if row.Actual < 0 || row.Planned < 0 {
			t.Errorf("row %+v", row)
		}
		actual += row.Actual
	}
	if actual != st.ShowElapsed {
		t.Errorf("rows add up to %v, ShowElapsed %v", actual, st.ShowElapsed)
	}
	return st
}

// anchorIn reports whether an anchor is recorded in (from, to].
func anchorIn(anchors []Anchor, from, to time.Time) bool {
	for _, a := range anchors {
		if a.At.After(from) && !a.At.After(to) {
			return true
		}
	}
	return false
}
