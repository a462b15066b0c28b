package platform

import (
	"testing"
	"time"
)

func TestBackoffDoublesWithinJitterAndResets(t *testing.T) {
	b := Backoff{Min: 100 * time.Millisecond, Max: time.Second}
	for i, want := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		want *= time.Millisecond
		got := b.Next()
		if got < want-want/10 || got > want+want/10 {
			t.Fatalf("step %d: %v, want %v ±10%%", i, got, want)
		}
	}
	b.Reset()
	if got := b.Next(); got > 110*time.Millisecond {
		t.Fatalf("after reset: %v", got)
	}
}
