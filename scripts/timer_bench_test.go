package scripts

import (
	"testing"
	"time"
)

// benchAnchors is a realistic mid-show anchor log: ten presses into a 2-hour
// show, now in the middle of a selling point of segment 5.
func benchAnchors() ([]Anchor, time.Time) {
	m := time.Minute
	s := time.Second
	anchors := []Anchor{
		startAt(0),
		adjustAt(2*m, 30*s, true),
		pauseAt(3 * m), resumeAt(4 * m),
		gotoAt(6*m+30*s, 1),
		gotoAt(11*m, 2),
		adjustAt(12*m, -20*s, true),
		gotoAt(16*m, 3),
		gotoAt(21*m, 4),
		gotoAt(26*m, 5),
	}
	return anchors, at(28*m + 17*s)
}

func BenchmarkTimerState(b *testing.B) {
	tm := NewTimer(twoHourShow())
	anchors, now := benchAnchors()
	b.ReportAllocs()
	for b.Loop() {
		st := tm.State(anchors, now)
		if st.NextCue == nil {
			b.Fatal("no next cue")
		}
	}
}

func BenchmarkTimerStateInto(b *testing.B) {
	tm := NewTimer(twoHourShow())
	anchors, now := benchAnchors()
	var st State
	b.ReportAllocs()
	for b.Loop() {
		tm.StateInto(&st, anchors, now)
		if st.NextCue == nil {
			b.Fatal("no next cue")
		}
	}
}

// BenchmarkTimerCuesBetween is the wake-up path: what fired over the last
// minute of the show so far.
func BenchmarkTimerCuesBetween(b *testing.B) {
	tm := NewTimer(twoHourShow())
	anchors, now := benchAnchors()
	from := now.Add(-time.Minute)
	b.ReportAllocs()
	for b.Loop() {
		if cues := tm.CuesBetween(anchors, from, now); len(cues) == 0 {
			b.Fatal("no cues")
		}
	}
}

func BenchmarkNewTimer(b *testing.B) {
	show := twoHourShow()
	b.ReportAllocs()
	for b.Loop() {
		NewTimer(show)
	}
}
