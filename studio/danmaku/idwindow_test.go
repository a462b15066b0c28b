package danmaku

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// The window answers exactly as a plain list of the last n ids would, over
// long random runs with many repeats, on tables small enough that probe
// runs wrap around and deletions shift entries back all the time.
func TestIDWindowMatchesTheLastNIDs(t *testing.T) {
	for _, n := range []int{1, 2, 7, 50, 1000} {
		w := newIDWindow(n)
		var last []string // the reference: the last n ids remembered
		rng := rand.New(rand.NewPCG(uint64(n), 99))
		for step := range 200_000 {
			id := "m" + strconv.Itoa(rng.IntN(3*n+5))
			want := false
			for _, x := range last {
				if x == id {
					want = true
					break
				}
			}
			if got := w.seen(id); got != want {
				t.Fatalf("n=%d step %d: seen(%s) = %v, want %v", n, step, id, got, want)
			}
			if !want {
				last = append(last, id)
				if len(last) > n {
					last = last[1:]
				}
			}
		}
		used := 0
		for _, s := range w.slots {
			if s != 0 {
				used++
			}
		}
		if used != w.count || w.count != len(last) {
			t.Fatalf("n=%d: %d slots used, count %d, reference %d", n, used, w.count, len(last))
		}
	}
}

func BenchmarkIDWindow(b *testing.B) {
	w := newIDWindow(65536)
	ids := make([]string, 1<<17)
	for i := range ids {
		ids[i] = "platform-msg-" + strconv.Itoa(i)
	}
	b.ResetTimer()
	for i := range b.N {
		w.seen(ids[i&(1<<17-1)])
	}
}
