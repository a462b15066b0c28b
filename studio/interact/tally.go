package interact

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Tally counts a digit vote: one vote per viewer, digits 1..n, within
// [start, end). It is not safe for concurrent use; the desk owns it.
type Tally struct {
	n          int
	last       bool
	start, end int64 // unix nanoseconds; end 0: open
	votes      map[string]uint8
	counts     [MaxOptions + 1]int
	total      int
	ignored    int
}

// NewTally counts a vote of n options (clamped to 1..MaxOptions) under rule
// (RuleFirst or RuleLast) between start and end (zero end: no end).
func NewTally(n int, rule string, start, end time.Time) *Tally {
	n = max(1, min(n, MaxOptions))
	t := &Tally{n: n, last: rule == RuleLast, votes: make(map[string]uint8, 1024)}
	if !start.IsZero() {
		t.start = start.UnixNano()
	}
	if !end.IsZero() {
		t.end = end.UnixNano()
	}
	return t
}

// SetEnd moves the end of the vote (an early EndVote).
func (t *Tally) SetEnd(end time.Time) { t.end = end.UnixNano() }

// Add counts viewer's vote for digit at time at and reports whether it
// changed the tally. Digits outside 1..n, empty viewer ids, votes before
// the start or from the end on, and (rule first) second votes are ignored.
func (t *Tally) Add(viewer string, digit int, at time.Time) bool {
	if digit < 1 || digit > t.n || viewer == "" {
		t.ignored++
		return false
	}
	ns := at.UnixNano()
	if ns < t.start || (t.end != 0 && ns >= t.end) {
		t.ignored++
		return false
	}
	prev := t.votes[viewer]
	switch {
	case prev == 0:
		t.votes[viewer] = uint8(digit)
		t.counts[digit]++
		t.total++
		return true
	case !t.last || int(prev) == digit:
		t.ignored++
		return false
	}
	t.votes[viewer] = uint8(digit)
	t.counts[prev]--
	t.counts[digit]++
	return true
}

// AddText parses a danmaku line with ParseDigit and counts it.
func (t *Tally) AddText(viewer, text string, at time.Time) bool {
	return t.Add(viewer, ParseDigit(text), at)
}

// Counts returns the votes per option, option 1 first.
func (t *Tally) Counts() []int {
	out := make([]int, t.n)
	copy(out, t.counts[1:t.n+1])
	return out
}

// Total is the number of viewers who voted.
func (t *Tally) Total() int { return t.total }

// Ignored counts the votes that did not count.
func (t *Tally) Ignored() int { return t.ignored }

// Percent returns each option's share of the votes (0..100); all zero
// before the first vote.
func (t *Tally) Percent() []float64 {
	out := make([]float64, t.n)
	if t.total == 0 {
		return out
	}
	for i := range out {
		out[i] = 100 * float64(t.counts[i+1]) / float64(t.total)
	}
	return out
}

var digitPrefixes = []string{"投票", "选项", "扣", "选", "投"}

// ParseDigit reads a vote from danmaku text: "1", "111", "１", "扣1",
// "扣 2", "选3", "扣一". It returns 0 for anything else ("12", "666", "88").
func ParseDigit(text string) int {
	s := strings.TrimSpace(text)
	prefixed := false
	for _, p := range digitPrefixes {
		if strings.HasPrefix(s, p) {
			s = strings.TrimSpace(s[len(p):])
			prefixed = true
			break
		}
	}
	s = strings.TrimRight(s, "!！~～ ")
	if s == "" || len(s) > 12 {
		return 0
	}
	d, n := 0, 0
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		v := runeDigit(r, prefixed)
		if v < 1 || (d != 0 && v != d) {
			return 0
		}
		d = v
		n++
	}
	if n > 3 || (n > 1 && (d == 6 || d == 8)) || (n > 1 && prefixed) {
		return 0
	}
	return d
}

func runeDigit(r rune, chinese bool) int {
	switch {
	case r >= '0' && r <= '9':
		return int(r - '0')
	case r >= '０' && r <= '９':
		return int(r - '０')
	case !chinese:
		return -1
	}
	if i := strings.IndexRune("一二三四五六七八九", r); i >= 0 {
		return i/3 + 1
	}
	return -1
}
