package danmaku

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
	"unsafe"
)

// Config tunes a Pipeline. Zero values take the defaults in brackets.
type Config struct {
	// Now is the clock for every window (time.Now). Message.Time is kept as
	// given (set to Now when zero) but windows run on this clock, so a
	// platform's skewed timestamps cannot break them.
	Now func() time.Time

	MaxRunes     int // shown text cap in runes [200]
	MaxNameRunes int // viewer name cap in runes [24]

	// DedupeIDs is how many recent platform message ids are remembered: a
	// message whose id is among them is a platform re-delivery (a replay
	// after a reconnect) and is dropped before anything else [65536].
	DedupeIDs int

	RepeatWindow  time.Duration // identical/contained text merges into the line for this long [8s]
	ContainRecent int           // recent lines checked for containment [16]
	RepeatLines   int           // lines remembered for merging [4096]

	FloodMax     int           // more than FloodMax messages per FloodWindow from one viewer are dropped [5]
	FloodWindow  time.Duration // [10s]
	FloodViewers int           // viewers tracked at once [100000]; past it the oldest windows are forgotten early

	LotteryPhrases []string      // lottery texts, merged into one counted line
	LotteryWindow  time.Duration // a lottery line collects merges for this long [60s]

	BannedWords []string
	StopWords   []string // in addition to the built-in list

	RecentCap     int           // shown items kept for Snapshot [500]
	WallCap       int           // pinned review wall [50]
	QuestionCap   int           // question groups [50]
	QuestionTTL   time.Duration // a group leaves the queue when silent this long [10m]
	QuestionShown int           // examples kept per group [3]

	TrendBucket  time.Duration   // [5s]
	TrendWindows []time.Duration // [1m, 5m]
	TrendVocab   int             // distinct terms in the longest window [50000]
	SegmentRate  int             // cache-miss segmentations per second, burst of one second [3000]
	SegmentCache int             // match keys whose terms are cached [16384]
	Segmenter    Segmenter       // [DefaultSegmenter(), loading in the background]
	MaxBlocked   int             // blocked viewers [10000]
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	def(&c.MaxRunes, 200)
	def(&c.MaxNameRunes, 24)
	def(&c.DedupeIDs, 65536)
	defD(&c.RepeatWindow, 8*time.Second)
	def(&c.ContainRecent, 16)
	def(&c.RepeatLines, 4096)
	def(&c.FloodMax, 5)
	defD(&c.FloodWindow, 10*time.Second)
	def(&c.FloodViewers, 100_000)
	defD(&c.LotteryWindow, 60*time.Second)
	def(&c.RecentCap, 500)
	def(&c.WallCap, 50)
	def(&c.QuestionCap, 50)
	defD(&c.QuestionTTL, 10*time.Minute)
	def(&c.QuestionShown, 3)
	defD(&c.TrendBucket, 5*time.Second)
	if len(c.TrendWindows) == 0 {
		c.TrendWindows = []time.Duration{time.Minute, 5 * time.Minute}
	}
	c.TrendWindows = append([]time.Duration(nil), c.TrendWindows...)
	def(&c.TrendVocab, 50_000)
	def(&c.SegmentRate, 1000)
	def(&c.SegmentCache, 16384)
	def(&c.MaxBlocked, 10_000)
	if c.Segmenter == nil {
		c.Segmenter = DefaultSegmenter()
	}
	return c
}

// line is a shown line that later messages can merge into.
type line struct {
	no      uint64 // line number; slot = no % len(lines)
	key     string
	runes   int
	created int64
	count   int
	id      string
	seq     uint64 // the shown item's Seq, to update it in the recent ring
	slot    int    // its slot in the recent ring
}

type floodEntry struct {
	viewer string
	start  int64
}

type floodState struct {
	start int64
	count int32
}

type lotteryLine struct {
	key   string
	runes int
	no    uint64 // 0: no line yet
}

// counters are updated under the pipeline lock and read without it.
type counters struct {
	received, shown                               atomic.Int64
	links, contact, banned, flood, blocked, empty atomic.Int64
	repeat, contains, lottery, opHidden           atomic.Int64
	segmented, segCached, segSkipped, termsDrop   atomic.Int64
	qQueued, qDropped                             atomic.Int64
	subDrops                                      atomic.Int64
	dupes                                         atomic.Int64
}

// Pipeline turns Messages into Items. All methods are safe for concurrent
// use: state is guarded by one mutex. Ingest is meant to be called from one
// goroutine (the platform reader); items are numbered and fanned out in
// call order. Subscribers never block Ingest.
type Pipeline struct {
	cfg  Config
	st   counters
	bann atomic.Pointer[wordMatcher]

	mu   sync.Mutex
	seq  uint64
	norm *normalizer

	// seen is the dedupe window: the last DedupeIDs platform ids.
	seen *idWindow

	blocked map[string]struct{}

	flood     map[string]floodState
	floodFIFO []floodEntry // ring
	floodHead int
	floodLen  int

	lines    []line // ring of recent lines by creation
	lineNext uint64 // next line number (starts at 1)
	lineHead uint64 // oldest line still indexed
	lineIdx  map[string]uint64

	lottery []lotteryLine

	recent     []Item // ring of shown items
	recentNext int
	recentLen  int
	wall       []Item

	trend    *trender
	cache    *segCache
	stop     map[string]bool
	tokens   float64
	tokensAt int64

	questions questionQueue

	subs []*Subscription
}

// New builds a Pipeline. With the default segmenter, its dictionary starts
// loading in the background; until it is ready messages are not segmented
// (counted in Stats.SegmentSkipped). Call LoadSegmenter first to wait.
func New(cfg Config) *Pipeline {
	cfg = cfg.withDefaults()
	p := &Pipeline{
		cfg:       cfg,
		norm:      newNormalizer(cfg.MaxRunes),
		seen:      newIDWindow(cfg.DedupeIDs),
		blocked:   make(map[string]struct{}),
		flood:     make(map[string]floodState),
		floodFIFO: make([]floodEntry, min(cfg.FloodViewers, floodStart)),
		lines:     make([]line, cfg.RepeatLines),
		lineNext:  1,
		lineHead:  1,
		lineIdx:   make(map[string]uint64, cfg.RepeatLines),
		recent:    make([]Item, cfg.RecentCap),
		trend:     newTrender(cfg.TrendBucket, cfg.TrendWindows, cfg.TrendVocab),
		cache:     newSegCache(cfg.SegmentCache),
		stop:      make(map[string]bool),
		tokens:    float64(cfg.SegmentRate),
		tokensAt:  cfg.Now().UnixNano(),
		questions: questionQueue{cap: cfg.QuestionCap, examples: cfg.QuestionShown, ttl: cfg.QuestionTTL},
	}
	for _, w := range append(append([]string(nil), defaultStopWords...), cfg.StopWords...) {
		p.stop[MatchKey(w)] = true
	}
	p.SetBannedWords(cfg.BannedWords)
	p.SetLotteryPhrases(cfg.LotteryPhrases)
	if g, ok := cfg.Segmenter.(*gseSegmenter); ok && !g.Ready() {
		go g.load()
	}
	return p
}

// SetBannedWords replaces the banned word list; it takes effect for the
// next message. Words are matched on match keys, so full-width, traditional
// and punctuation-separated variants are caught.
func (p *Pipeline) SetBannedWords(words []string) {
	p.bann.Store(newWordMatcher(words))
}

// SetLotteryPhrases replaces the lottery phrases.
func (p *Pipeline) SetLotteryPhrases(phrases []string) {
	var ls []lotteryLine
	for _, ph := range phrases {
		k := MatchKey(ph)
		if k == "" {
			continue
		}
		ls = append(ls, lotteryLine{key: k, runes: utf8.RuneCountInString(k)})
	}
	p.mu.Lock()
	p.lottery = ls
	p.mu.Unlock()
}

// bstr views b as a string without copying; only for lookups that do not
// keep the string.
func bstr(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// duplicate reports whether id was seen among the last DedupeIDs ids, and
// remembers it.
func (p *Pipeline) duplicate(id string) bool { return p.seen.seen(id) }

// Ingest runs one message through the pipeline. A message whose platform
// id was already ingested (within the last DedupeIDs) is dropped: it is
// counted in Stats.Duplicates and neither numbered nor fanned out.
func (p *Pipeline) Ingest(m Message) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if m.ID != "" && p.duplicate(m.ID) {
		p.st.dupes.Add(1)
		return
	}
	now := p.cfg.Now()
	nowNs := now.UnixNano()
	p.seq++
	p.st.received.Add(1)
	if m.Time.IsZero() {
		m.Time = now
	}
	if m.ID == "" {
		m.ID = "#" + strconv.FormatUint(p.seq, 10)
	}
	n := p.norm
	// Names are viewer text too: cleaned like it (control, zero-width and
	// bidi characters removed, width folded, capped).
	m.ViewerName = n.normalize(truncateOriginal(m.ViewerName))
	if utf8.RuneCountInString(m.ViewerName) > p.cfg.MaxNameRunes {
		m.ViewerName = string([]rune(m.ViewerName)[:p.cfg.MaxNameRunes])
	}
	m.Text = truncateOriginal(m.Text)
	it := Item{Message: m, Seq: p.seq}
	it.Norm = n.normalize(m.Text)
	n.buildKey()
	key := n.key
	mkey, mrunes := key, n.keyRunes
	if len(key) == 0 {
		// Emoji or punctuation only: merge on the shown symbols.
		mkey, mrunes = n.symbolKey(), 1
	}

	groups := keywords.groups(key)
	if reason := p.filter(&it, groups, nowNs); reason != "" {
		it.Hidden, it.Reason = true, reason
		p.fanout(&it)
		return
	}
	it.Class, it.Topic, it.VoteDigit = classifyKey(key, n.qmark, groups)

	lottery := p.mergeLottery(&it, key, nowNs)
	if !lottery && !p.mergeRepeat(&it, mkey, mrunes, nowNs) {
		p.newLine(&it, mkey, mrunes, nowNs)
	}
	if !lottery && it.Class != Vote && len(key) > 0 {
		p.countTerms(now, key)
	}
	if it.Class == Question {
		p.st.qQueued.Add(1)
		if p.questions.add(it, string(key), now) {
			p.st.qDropped.Add(1)
		}
	}
	p.fanout(&it)
}

// filter applies the dropping rules in order and returns the reason, or "".
func (p *Pipeline) filter(it *Item, groups uint32, now int64) string {
	if _, ok := p.blocked[it.ViewerID]; ok {
		p.st.blocked.Add(1)
		return ReasonBlocked
	}
	if !it.IsAdmin && p.floods(it.ViewerID, now) {
		p.st.flood.Add(1)
		return ReasonFlood
	}
	n := p.norm
	if it.Norm == "" {
		p.st.empty.Add(1)
		return ReasonEmpty
	}
	if groups&gLinkPhrase != 0 {
		p.st.links.Add(1)
		return ReasonLink
	}
	if n.hasASCII {
		n.buildLinkView()
		if hasLink(n.link) {
			p.st.links.Add(1)
			return ReasonLink
		}
	}
	if groups&(gContactAdd|gQR) != 0 {
		p.st.contact.Add(1)
		return ReasonContact
	}
	if phone, id := scanRuns(n.key); phone || (id && groups&gContact != 0) {
		p.st.contact.Add(1)
		return ReasonContact
	}
	if r := p.bann.Load().match(n.key); r != "" {
		p.st.banned.Add(1)
		return r
	}
	return ""
}

// floods counts a message for viewer and reports whether it is over the
// limit.
func (p *Pipeline) floods(viewer string, now int64) bool {
	window := int64(p.cfg.FloodWindow)
	// expire old windows
	for p.floodLen > 0 {
		e := p.floodFIFO[p.floodHead]
		if now-e.start < window && p.floodLen < p.cfg.FloodViewers {
			break
		}
		if s, ok := p.flood[e.viewer]; ok && s.start == e.start {
			delete(p.flood, e.viewer)
		}
		p.floodFIFO[p.floodHead] = floodEntry{}
		p.floodHead = (p.floodHead + 1) % len(p.floodFIFO)
		p.floodLen--
	}
	s, ok := p.flood[viewer]
	if ok && now-s.start < window && now >= s.start {
		s.count++
		p.flood[viewer] = s
		return int(s.count) > p.cfg.FloodMax
	}
	viewer = strings.Clone(viewer)
	p.flood[viewer] = floodState{start: now, count: 1}
	if p.floodLen == len(p.floodFIFO) {
		p.growFloods()
	}
	tail := (p.floodHead + p.floodLen) % len(p.floodFIFO)
	p.floodFIFO[tail] = floodEntry{viewer: viewer, start: now}
	p.floodLen++
	return p.cfg.FloodMax < 1
}

// floodStart is the flood ring's first length: it grows (doubling, up to
// FloodViewers) only as more viewers speak within one window, so a room of
// a few hundred does not hold 100,000 slots (2.4 MB).
const floodStart = 1024

// growFloods doubles the flood ring, oldest entry first. The caller knows
// the ring is full and shorter than FloodViewers.
func (p *Pipeline) growFloods() {
	n := min(2*len(p.floodFIFO), p.cfg.FloodViewers)
	ring := make([]floodEntry, n)
	for i := range p.floodLen {
		ring[i] = p.floodFIFO[(p.floodHead+i)%len(p.floodFIFO)]
	}
	p.floodFIFO, p.floodHead = ring, 0
}

// containsSimilar reports one key containing the other at similar length:
// the shorter has at least 3 runes and at least 2/3 of the longer's.
func containsSimilar(a, b string, ra, rb int) bool {
	if ra > rb {
		a, b, ra, rb = b, a, rb, ra
	}
	if ra < 3 || ra*3 < rb*2 {
		return false
	}
	return strings.Contains(b, a)
}

func (p *Pipeline) lineAt(no uint64) *line {
	if no == 0 {
		return nil
	}
	l := &p.lines[no%uint64(len(p.lines))]
	if l.no != no {
		return nil
	}
	return l
}

// expireLines drops lines older than the repeat window (and the oldest when
// the ring is full) from the index.
func (p *Pipeline) expireLines(now int64) {
	window := int64(p.cfg.RepeatWindow)
	for p.lineHead < p.lineNext {
		l := &p.lines[p.lineHead%uint64(len(p.lines))]
		if l.no == p.lineHead && now-l.created <= window && p.lineNext-p.lineHead < uint64(len(p.lines)) {
			break
		}
		if l.no == p.lineHead {
			if no, ok := p.lineIdx[l.key]; ok && no == l.no {
				delete(p.lineIdx, l.key)
			}
		}
		p.lineHead++
	}
}

func (p *Pipeline) mergeInto(it *Item, l *line, reason string) {
	l.count++
	it.Hidden, it.Reason = true, reason
	it.Merged, it.MergedInto = l.count, l.id
	if r := &p.recent[l.slot]; r.Seq == l.seq {
		r.Merged = l.count
	}
}

// mergeLottery merges a lottery text into its line.
func (p *Pipeline) mergeLottery(it *Item, key []byte, now int64) bool {
	ks := bstr(key)
	for i := range p.lottery {
		lt := &p.lottery[i]
		if !strings.Contains(ks, lt.key) {
			continue
		}
		p.st.lottery.Add(1)
		if l := p.lineAt(lt.no); l != nil && now-l.created <= int64(p.cfg.LotteryWindow) {
			p.mergeInto(it, l, ReasonLottery)
			return true
		}
		// the first lottery text of a window becomes the line
		lt.no = p.newLine(it, []byte(lt.key), lt.runes, now)
		return true
	}
	return false
}

// mergeRepeat merges an identical or contained text into a recent line.
func (p *Pipeline) mergeRepeat(it *Item, key []byte, runes int, now int64) bool {
	p.expireLines(now)
	if len(key) == 0 {
		return false
	}
	if no, ok := p.lineIdx[bstr(key)]; ok {
		if l := p.lineAt(no); l != nil && now-l.created <= int64(p.cfg.RepeatWindow) {
			p.st.repeat.Add(1)
			p.mergeInto(it, l, ReasonRepeat)
			return true
		}
	}
	ks := bstr(key)
	checked := 0
	for no := p.lineNext - 1; no >= p.lineHead && no > 0 && checked < p.cfg.ContainRecent; no-- {
		l := p.lineAt(no)
		if l == nil || now-l.created > int64(p.cfg.RepeatWindow) {
			break
		}
		checked++
		if containsSimilar(l.key, ks, l.runes, runes) {
			p.st.contains.Add(1)
			p.mergeInto(it, l, ReasonContains)
			return true
		}
	}
	return false
}

// newLine shows it as a new line and indexes it for merging; it returns the
// line number.
func (p *Pipeline) newLine(it *Item, key []byte, runes int, now int64) uint64 {
	it.Merged = 1
	p.st.shown.Add(1)
	slot := p.pushRecent(*it)
	if len(key) == 0 { // nothing to merge on
		return 0
	}
	no := p.lineNext
	p.lineNext++
	l := &p.lines[no%uint64(len(p.lines))]
	if l.no != 0 {
		if old, ok := p.lineIdx[l.key]; ok && old == l.no {
			delete(p.lineIdx, l.key)
		}
	}
	if no >= uint64(len(p.lines)) && p.lineHead <= no-uint64(len(p.lines)) {
		p.lineHead = no - uint64(len(p.lines)) + 1
	}
	*l = line{no: no, key: string(key), runes: runes, created: now, count: 1, id: it.ID, seq: it.Seq, slot: slot}
	p.lineIdx[l.key] = no
	return no
}

func (p *Pipeline) pushRecent(it Item) (slot int) {
	slot = p.recentNext
	p.recent[slot] = it
	p.recentNext = (p.recentNext + 1) % len(p.recent)
	if p.recentLen < len(p.recent) {
		p.recentLen++
	}
	return slot
}

// countTerms adds the terms of key to the trending counters, segmenting on
// a cache miss when the budget allows.
func (p *Pipeline) countTerms(now time.Time, key []byte) {
	terms, ok := p.cache.get(key)
	if ok {
		p.st.segCached.Add(1)
	} else {
		if r, isR := p.cfg.Segmenter.(readier); isR && !r.Ready() {
			p.st.segSkipped.Add(1)
			return
		}
		if !p.takeToken(now.UnixNano()) {
			p.st.segSkipped.Add(1)
			return
		}
		p.st.segmented.Add(1)
		ks := string(key)
		for _, w := range p.cfg.Segmenter.Cut(ks) {
			if keepTerm(w, p.stop) {
				terms = append(terms, strings.Clone(w))
			}
		}
		p.cache.put(ks, terms)
	}
	if len(terms) > 0 {
		if d := p.trend.add(now, terms); d > 0 {
			p.st.termsDrop.Add(int64(d))
		}
	}
}

// takeToken spends one segmentation token, refilled at SegmentRate per
// second up to one second's worth.
func (p *Pipeline) takeToken(now int64) bool {
	rate := float64(p.cfg.SegmentRate)
	if dt := now - p.tokensAt; dt > 0 {
		p.tokens += float64(dt) / 1e9 * rate
		if p.tokens > rate {
			p.tokens = rate
		}
		p.tokensAt = now
	}
	if p.tokens < 1 {
		return false
	}
	p.tokens--
	return true
}
