package platform

import (
	"errors"
	"testing"
	"time"
)

func TestLinkStates(t *testing.T) {
	now := time.Unix(100, 0)
	l := Link{Now: func() time.Time { return now }}
	if s := l.State(); s.Status != Down || s.Status.String() != "down" || !s.Since.IsZero() {
		t.Fatalf("zero Link %+v", s)
	}
	var seen []LinkState
	l.OnState(func(s LinkState) { seen = append(seen, s) })
	l.OnState(nil)

	l.Set(Connecting, nil)
	l.Set(Connecting, nil) // no change, no call
	now = now.Add(time.Second)
	l.Set(Connected, nil)
	l.Set(Down, errors.New("bilibili: read: EOF"))
	l.Set(Connecting, nil)
	l.Set(Connected, nil)

	want := []struct {
		st   LinkStatus
		err  string
		reco int
	}{
		{Connecting, "", 0}, {Connected, "", 0}, {Down, "bilibili: read: EOF", 0},
		{Connecting, "bilibili: read: EOF", 0}, {Connected, "", 1},
	}
	if len(seen) != len(want) {
		t.Fatalf("%d changes, want %d: %+v", len(seen), len(want), seen)
	}
	for i, w := range want {
		if s := seen[i]; s.Status != w.st || s.LastError != w.err || s.Reconnects != w.reco {
			t.Fatalf("change %d: %+v, want %+v", i, s, w)
		}
	}
	if !seen[1].Since.Equal(time.Unix(101, 0)) || seen[1].Status.String() != "connected" {
		t.Fatalf("since %v", seen[1].Since)
	}
}

// An adapter that says "connected" again while connected changes nothing:
// no reconnect is counted and no hook runs.
func TestStillConnectedIsNoChange(t *testing.T) {
	var l Link
	calls := 0
	l.OnState(func(LinkState) { calls++ })
	l.Set(Connected, nil)
	for range 20 {
		l.Set(Connected, nil)
	}
	if st := l.State(); st.Reconnects != 0 || calls != 1 {
		t.Fatalf("after 21 Connected: %d reconnects, %d hook calls; want 0 and 1", st.Reconnects, calls)
	}
	l.Set(Connecting, nil)
	l.Set(Connected, nil)
	if st := l.State(); st.Reconnects != 1 || calls != 3 {
		t.Fatalf("after a real reconnect: %d reconnects, %d hook calls; want 1 and 3", st.Reconnects, calls)
	}
}
