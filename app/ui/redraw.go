package ui

import (
	"time"

	"studiodesk/scripts"
)

// redrawSlack puts a redraw just past the boundary it waits for.
const redrawSlack = time.Millisecond

// nextClockChange is how long after now every figure the clock faces show
// stays the same, on the desk's clock. The faces show whole seconds,
// rounded up (clock), so a countdown changes just after it crosses a whole
// second and a count-up just after it reaches one. While paused or in
// overtime the projected end moves with the wall clock. Before the start
// and after the end nothing moves: the bridge redraws after each desk
// event anyway, and maxClockWait bounds the wait.
func nextClockChange(st scripts.State, now time.Time) time.Duration {
	if !st.Started || st.Ended {
		return maxClockWait
	}
	wall := time.Second - time.Duration(now.Nanosecond()) + redrawSlack
	if st.Paused {
		return wall
	}
	next := min(down(st.SegmentLeft), down(st.ShowLeft), up(st.SegmentElapsed))
	if st.PointText != "" && st.PointLeft > 0 {
		next = min(next, down(st.PointLeft))
	}
	if st.Clock == scripts.ClockOvertime || st.OverUnder > 0 {
		next = min(next, wall)
	}
	return next
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

// up is the wait until a rising duration reaches its next whole second.
func up(d time.Duration) time.Duration { return time.Second - floorMod(d) + redrawSlack }

func floorMod(d time.Duration) time.Duration {
	m := d % time.Second
	if m < 0 {
		m += time.Second
	}
	return m
}
