package ui

import (
	"time"

	"studiodesk/scripts"
)

// redrawSlack puts a redraw just past the boundary it waits for.
const redrawSlack = time.Millisecond

// nextClockChange is how long after now the big clock face stays the
// same, on the desk's clock: the segment's countdown, shown in whole
// seconds rounded up, changes just after it crosses a whole second (also
// in overtime, where it counts on below zero). While paused the face is
// still but the projected end moves with the wall clock. Before the start
// and after the end nothing moves: the bridge redraws after each desk
// event anyway, and wakes once a second for the figures.
//
// The other figures (time left in the show, the selling point's
// countdown, the elapsed time) are redrawn in the same frame rather than
// at their own boundaries: the segment's countdown and elapsed time share
// one, and the others move at most a second late instead of costing a
// second frame each second.
func nextClockChange(st scripts.State, now time.Time) time.Duration {
	if !st.Started || st.Ended {
		return maxClockWait
	}
	if st.Paused {
		return time.Second - time.Duration(now.Nanosecond()) + redrawSlack
	}
	return down(st.SegmentLeft)
}

// down is the wait until a falling duration, shown rounded up, shows the
// next second: just after it crosses a whole second, or a second from now
// when it sits on one.
func down(d time.Duration) time.Duration {
	m := floorMod(d)
	if m == 0 {
		m = time.Second
	}
	return m + redrawSlack
}

func floorMod(d time.Duration) time.Duration {
	m := d % time.Second
	if m < 0 {
		m += time.Second
	}
	return m
}
