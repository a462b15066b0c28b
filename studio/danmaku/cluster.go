package danmaku

import (
	"container/heap"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"
)

// trender counts terms in time buckets. Each tracked window keeps running
// totals; when a bucket leaves a window its counts are subtracted once, so
// memory is bounded by the vocabulary of the longest window and no work is
// done per message for expiry.
type trender struct {
	bucket  int64 // bucket length in ns
	ring    []trendBucket
	cur     int64 // current bucket number
	started bool
	windows []trendWindow // ascending span
	vocab   int           // cap on distinct terms in the longest window
}

type trendBucket struct {
	num    int64
	counts map[string]int32
}

type trendWindow struct {
	span   int64 // in buckets
	totals map[string]int32
}

func newTrender(bucket time.Duration, windows []time.Duration, vocab int) *trender {
	t := &trender{bucket: int64(bucket), vocab: vocab}
	sort.Slice(windows, func(i, j int) bool { return windows[i] < windows[j] })
	for _, w := range windows {
		span := int64((w + bucket - 1) / bucket)
		if span < 1 {
			span = 1
		}
		t.windows = append(t.windows, trendWindow{span: span, totals: make(map[string]int32)})
	}
	n := t.windows[len(t.windows)-1].span
	t.ring = make([]trendBucket, n)
	for i := range t.ring {
		t.ring[i] = trendBucket{num: -1, counts: make(map[string]int32)}
	}
	return t
}

func (t *trender) slot(num int64) *trendBucket {
	i := num % int64(len(t.ring))
	if i < 0 {
		i += int64(len(t.ring))
	}
	return &t.ring[i]
}

// advance moves the current bucket to now's, expiring buckets on the way.
// Time going backwards counts into the current bucket.
func (t *trender) advance(now time.Time) {
	num := now.UnixNano() / t.bucket
	if !t.started {
		t.started, t.cur = true, num
		t.slot(num).num = num
		return
	}
	if num <= t.cur {
		return
	}
	if num-t.cur >= int64(len(t.ring)) { // everything expired
		for i := range t.ring {
			clear(t.ring[i].counts)
			t.ring[i].num = -1
		}
		for i := range t.windows {
			clear(t.windows[i].totals)
		}
		t.cur = num
		t.slot(num).num = num
		return
	}
	for k := t.cur + 1; k <= num; k++ {
		for i := range t.windows {
			w := &t.windows[i]
			old := t.slot(k - w.span)
			if old.num != k-w.span {
				continue
			}
			for term, c := range old.counts {
				if left := w.totals[term] - c; left > 0 {
					w.totals[term] = left
				} else {
					delete(w.totals, term)
				}
			}
		}
		b := t.slot(k)
		clear(b.counts)
		b.num = k
	}
	t.cur = num
}

// add counts terms at now; it returns how many were dropped by the
// vocabulary cap.
func (t *trender) add(now time.Time, terms []string) (dropped int) {
	t.advance(now)
	b := t.slot(t.cur)
	longest := t.windows[len(t.windows)-1].totals
	for _, term := range terms {
		if _, ok := longest[term]; !ok && len(longest) >= t.vocab {
			dropped++
			continue
		}
		b.counts[term]++
		for i := range t.windows {
			t.windows[i].totals[term]++
		}
	}
	return dropped
}

// top returns the k most frequent terms of the smallest tracked window at
// least as long as window (the longest one if none is), most frequent
// first, ties by text.
func (t *trender) top(now time.Time, window time.Duration, k int) []Term {
	t.advance(now)
	if k <= 0 {
		return nil
	}
	w := &t.windows[len(t.windows)-1]
	for i := range t.windows {
		if t.windows[i].span*t.bucket >= int64(window) {
			w = &t.windows[i]
			break
		}
	}
	h := make(termHeap, 0, k+1)
	for text, c := range w.totals {
		term := Term{Text: text, Count: int(c)}
		if len(h) < k {
			heap.Push(&h, term)
		} else if termLess(h[0], term) {
			h[0] = term
			heap.Fix(&h, 0)
		}
	}
	out := make([]Term, len(h))
	for i := len(h) - 1; i >= 0; i-- {
		out[i] = heap.Pop(&h).(Term)
	}
	return out
}

// termLess orders by count, then reverse text (so that the smaller text
// ranks higher on ties).
func termLess(a, b Term) bool {
	if a.Count != b.Count {
		return a.Count < b.Count
	}
	return a.Text > b.Text
}

type termHeap []Term

func (h termHeap) Len() int           { return len(h) }
func (h termHeap) Less(i, j int) bool { return termLess(h[i], h[j]) }
func (h termHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *termHeap) Push(x any)        { *h = append(*h, x.(Term)) }
func (h *termHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// segCache maps match keys to their filtered terms. Two generations of at
// most half the capacity each: a lookup that hits the old generation moves
// the entry forward, and when the new one fills, the old is dropped.
type segCache struct {
	cur, old map[string][]string
	half     int
}

func newSegCache(size int) *segCache {
	half := size / 2
	if half < 1 {
		half = 1
	}
	// the maps grow with use: a quiet room never holds 16,384 slots
	return &segCache{cur: map[string][]string{}, old: map[string][]string{}, half: half}
}

func (c *segCache) get(key []byte) ([]string, bool) {
	if v, ok := c.cur[string(key)]; ok {
		return v, true
	}
	if v, ok := c.old[string(key)]; ok {
		c.put(string(key), v)
		return v, true
	}
	return nil, false
}

func (c *segCache) put(key string, v []string) {
	if len(c.cur) >= c.half {
		c.old, c.cur = c.cur, c.old
		clear(c.cur)
	}
	c.cur[key] = v
}

// maxTermRunes bounds a counted term.
const maxTermRunes = 16

// keepTerm drops stop words, single runes, digits only, one rune repeated
// (哈哈哈) and very long terms.
func keepTerm(w string, stop map[string]bool) bool {
	n := utf8.RuneCountInString(w)
	if n < 2 || n > maxTermRunes || stop[w] {
		return false
	}
	first, _ := utf8.DecodeRuneInString(w)
	digits, same := true, true
	for _, r := range w {
		if r < '0' || r > '9' {
			digits = false
		}
		if r != first {
			same = false
		}
	}
	return !digits && !same
}

// questionQueue holds the questions the host has not answered yet, grouped
// by topic (and, without a topic, by similar text), oldest group first.
type questionQueue struct {
	groups   []*qgroup
	cap      int
	examples int
	ttl      time.Duration
	next     int
}

type qgroup struct {
	id       string
	topic    string
	key      string // for groups without a topic
	count    int
	first    time.Time
	last     time.Time
	examples []qexample
}

type qexample struct {
	item Item
	key  string
}

// add queues a question; it returns true if a group was evicted to make room.
func (q *questionQueue) add(it Item, key string, now time.Time) (evicted bool) {
	q.expire(now)
	var g *qgroup
	for _, cand := range q.groups {
		if cand.topic != it.Topic {
			continue
		}
		if it.Topic != "" || similarText(cand.key, key) {
			g = cand
			break
		}
	}
	if g == nil {
		if len(q.groups) >= q.cap {
			stale := 0
			for i, cand := range q.groups {
				if cand.last.Before(q.groups[stale].last) {
					stale = i
				}
			}
			q.groups = append(q.groups[:stale], q.groups[stale+1:]...)
			evicted = true
		}
		q.next++
		id := "q" + strconv.Itoa(q.next)
		if it.Topic != "" {
			id = "topic:" + it.Topic
		}
		g = &qgroup{id: id, topic: it.Topic, key: key, first: now}
		q.groups = append(q.groups, g)
	}
	g.count++
	g.last = now
	for i, ex := range g.examples {
		if similarText(ex.key, key) {
			g.examples = append(g.examples[:i], g.examples[i+1:]...)
			break
		}
	}
	if len(g.examples) >= q.examples {
		g.examples = append(g.examples[:0], g.examples[1:]...)
	}
	g.examples = append(g.examples, qexample{item: it, key: key})
	return evicted
}

func (q *questionQueue) expire(now time.Time) {
	kept := q.groups[:0]
	for _, g := range q.groups {
		if now.Sub(g.last) <= q.ttl {
			kept = append(kept, g)
		}
	}
	clear(q.groups[len(kept):])
	q.groups = kept
}

func (q *questionQueue) dismiss(id string) bool {
	for i, g := range q.groups {
		if g.id == id {
			q.groups = append(q.groups[:i], q.groups[i+1:]...)
			return true
		}
	}
	return false
}

func (q *questionQueue) list(now time.Time, k int) []QuestionGroup {
	q.expire(now)
	if k > len(q.groups) || k < 0 {
		k = len(q.groups)
	}
	out := make([]QuestionGroup, 0, k)
	for _, g := range q.groups[:k] {
		qg := QuestionGroup{ID: g.id, Topic: g.topic, Count: g.count, First: g.first, Last: g.last,
			Examples: make([]Item, len(g.examples))}
		for i, ex := range g.examples {
			qg.Examples[i] = ex.item
		}
		out = append(out, qg)
	}
	return out
}

// similarText: equal, one containing the other at similar length, or a
// bigram overlap (Dice) of at least 0.6 over the first 32 runes.
func similarText(a, b string) bool {
	if a == b {
		return true
	}
	if containsSimilar(a, b, utf8.RuneCountInString(a), utf8.RuneCountInString(b)) {
		return true
	}
	return dice(a, b) >= 0.6
}

func dice(a, b string) float64 {
	var ra, rb [32]rune
	na, nb := runesInto(ra[:], a), runesInto(rb[:], b)
	if na < 2 || nb < 2 {
		return 0
	}
	var used [31]bool
	common := 0
	for i := 0; i+1 < na; i++ {
		for j := 0; j+1 < nb; j++ {
			if !used[j] && ra[i] == rb[j] && ra[i+1] == rb[j+1] {
				used[j] = true
				common++
				break
			}
		}
	}
	return 2 * float64(common) / float64(na-1+nb-1)
}

func runesInto(dst []rune, s string) int {
	n := 0
	for _, r := range s {
		if n == len(dst) {
			break
		}
		dst[n] = r
		n++
	}
	return n
}
