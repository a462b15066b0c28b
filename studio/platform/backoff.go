package platform

import (
	"math/rand/v2"
	"time"
)

// Backoff yields reconnect delays for adapters: Min, doubling up to Max,
// each with ±10 % jitter so a studio's links do not reconnect in lockstep.
type Backoff struct {
	Min, Max time.Duration
	cur      time.Duration
}

// Next returns the next delay and advances.
func (b *Backoff) Next() time.Duration {
	if b.cur == 0 {
		b.cur = b.Min
	} else {
		b.cur = min(b.cur*2, b.Max)
	}
	j := time.Duration(rand.Int64N(int64(b.cur)/5 + 1))
	return b.cur - b.cur/10 + j
}

// Reset starts over after a link came up.
func (b *Backoff) Reset() { b.cur = 0 }
