package rehearsal

import (
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"studiodesk/studio/platform"
)

// profile is a preset room: default size and the mix of what viewers send.
type profile struct {
	rate    float64 // default messages per second
	viewers int     // default audience
	mix     [nClass]float64
	// floods: mean gap between episodes and the share of messages that
	// repeat the flood text during one.
	floodEvery time.Duration
	floodShare float64
	hostile    bool
	// flaky link: share of events lost or delivered twice, mean gaps
	// between stalls (some events held back, then delivered late in a
	// burst) and outages (events lost, Send fails).
	dropP, dupP float64
	stallEvery  time.Duration
	outageEvery time.Duration
}

// question buy praise complaint chat emoji spam lottery long malformed hostile
var (
	mixQuiet   = [nClass]float64{20, 10, 16, 3, 34, 14, 1, 1, 0.5, 0, 0}
	mixNormal  = [nClass]float64{18, 16, 12, 4, 24, 12, 3, 8, 1, 0.3, 0}
	mixMega    = [nClass]float64{14, 22, 10, 3, 20, 14, 3, 12, 1, 0.3, 0}
	mixHostile = [nClass]float64{8, 6, 4, 3, 12, 6, 25, 12, 6, 6, 18}
)

var profiles = map[string]profile{
	"quiet":   {rate: 1, viewers: 300, mix: mixQuiet, floodEvery: 10 * time.Minute, floodShare: 0.3},
	"normal":  {rate: 30, viewers: 8000, mix: mixNormal, floodEvery: 90 * time.Second, floodShare: 0.4},
	"mega":    {rate: 20000, viewers: 1000000, mix: mixMega, floodEvery: 40 * time.Second, floodShare: 0.5},
	"hostile": {rate: 300, viewers: 5000, mix: mixHostile, floodEvery: 15 * time.Second, floodShare: 0.7, hostile: true},
	"flaky": {rate: 30, viewers: 8000, mix: mixNormal, floodEvery: 90 * time.Second, floodShare: 0.4,
		dropP: 0.03, dupP: 0.01, stallEvery: 20 * time.Second, outageEvery: 2 * time.Minute},
}

// Bounds.
const (
	MinRate          = 1
	MaxRate          = 50000
	MaxViewers       = 10000000
	viewerTick       = 5 * time.Second
	maxHeld          = 100000 // events a flaky stall holds back at most
	maxActiveCoupons = 64
)

// processes with a single next-due time.
const (
	pMsg = iota
	pEnter
	pLike
	pGift
	pViewers
	pFlood
	pStall
	pOutage
	nProc
)

// coupon is one issued coupon and its claim process.
type coupon struct {
	id, name  string
	stock     int
	limit     int
	issuedAt  time.Time
	endsAt    time.Time
	next      time.Time
	claimed   int
	attempts  int
	rejected  int
	perViewer map[uint64]int // claims so far; at most stock entries
	newN      uint64         // distinct claimers drawn so far
	off       uint64         // permutation offset for this coupon
	active    bool
}

// vote is the running vote.
type vote struct {
	id      string
	n       int
	start   time.Time
	end     time.Time // zero: until vote.end
	weights []float64
	voters  uint64 // distinct voters so far
	off     uint64
}

// gen is the deterministic simulation: everything it does is a function of
// the seed, the windows it is asked for and the commands applied to it.
type gen struct {
	p       profile
	rate    float64
	viewers int
	pool    uint64 // viewer index space
	permA   uint64 // multiplier coprime to pool
	rng     *rand.Rand

	started bool
	at      time.Time // time of the last step
	next    [nProc]time.Time
	aud     float64

	flood      string
	floodUntil time.Time
	stallUntil time.Time
	held       []platform.Event
	outStart   time.Time
	outUntil   time.Time

	msgN uint64 // message ids drawn
	seq  uint64 // events emitted

	coupons []*coupon // active, in issue order
	vote    *vote
}

func newGen(seed int64, p profile, rate float64, viewers int) *gen {
	g := &gen{p: p, rate: rate, viewers: viewers}
	g.rng = rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	g.pool = uint64(max(viewers*2, 100))
	g.permA = 1 + g.rng.Uint64N(g.pool-1)
	for gcd(g.permA, g.pool) != 1 {
		g.permA++
	}
	return g
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// perm maps 0..pool-1 onto distinct viewer indexes.
func (g *gen) perm(n, off uint64) uint64 { return (g.permA*(n%g.pool) + off) % g.pool }

// after is t plus an exponential gap with the given rate per second.
func (g *gen) after(t time.Time, perSec float64) time.Time {
	d := g.rng.ExpFloat64() / perSec * float64(time.Second)
	if d > float64(24*time.Hour) {
		d = float64(24 * time.Hour)
	}
	return t.Add(max(time.Duration(d), 1))
}

func (g *gen) afterMean(t time.Time, mean time.Duration) time.Time {
	return g.after(t, float64(time.Second)/float64(mean))
}

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }

func (g *gen) enterRate() float64 { return clamp(g.aud*0.0015, 0.05, math.Max(0.5, g.rate*0.3)) }
func (g *gen) likeRate() float64  { return clamp(g.rate*0.15, 0.1, 1000) }
func (g *gen) giftRate() float64  { return clamp(g.rate*0.03, 0.01, 500) }

// schedule draws every fixed process's next time from t.
func (g *gen) schedule(t time.Time) {
	g.next[pMsg] = g.after(t, g.rate)
	g.next[pEnter] = g.after(t, g.enterRate())
	g.next[pLike] = g.after(t, g.likeRate())
	g.next[pGift] = g.after(t, g.giftRate())
	g.next[pViewers] = t.Add(viewerTick)
	g.next[pFlood] = g.afterMean(t, g.p.floodEvery)
	g.next[pStall], g.next[pOutage] = never, never
	if g.p.stallEvery > 0 {
		g.next[pStall] = g.afterMean(t, g.p.stallEvery)
	}
	if g.p.outageEvery > 0 {
		g.next[pOutage] = g.afterMean(t, g.p.outageEvery)
	}
	for _, c := range g.coupons {
		if c.next.Before(t) {
			c.next = g.after(t, g.claimRate(c, t))
		}
	}
}

var never = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// start begins the show at t.
func (g *gen) start(t time.Time, out []platform.Event) []platform.Event {
	g.started = true
	g.at = t
	g.aud = float64(g.viewers) * 0.6
	g.schedule(t)
	out = g.emit(out, platform.Event{Kind: platform.KindLiveStart, Time: t, Text: "排练直播间"})
	return g.emit(out, platform.Event{Kind: platform.KindViewers, Time: t, Count: int(g.aud)})
}

// skipTo jumps over a gap: nothing is generated for it.
func (g *gen) skipTo(t time.Time) {
	g.at = t
	g.schedule(t)
}

// generate steps the simulation up to (not including) to, appending at
// most limit events to out. done says it reached to.
func (g *gen) generate(to time.Time, limit int, out []platform.Event) ([]platform.Event, bool) {
	for len(out) < limit {
		which, c, t := g.earliest()
		if !t.Before(to) {
			if to.After(g.at) {
				g.at = to
			}
			out = g.release(out, to)
			return out, true
		}
		g.at = t
		out = g.release(out, t)
		if c != nil {
			out = g.fireCoupon(c, t, out)
			continue
		}
		out = g.fire(which, t, out)
	}
	return out, false
}

// earliest finds the process due next: a fixed one (c nil) or a coupon.
func (g *gen) earliest() (int, *coupon, time.Time) {
	which, t := 0, g.next[0]
	for i := 1; i < nProc; i++ {
		if g.next[i].Before(t) {
			which, t = i, g.next[i]
		}
	}
	var best *coupon
	for _, c := range g.coupons {
		ct := c.next
		if c.endsAt.Before(ct) {
			ct = c.endsAt
		}
		if ct.Before(t) {
			best, t = c, ct
		}
	}
	return which, best, t
}

func (g *gen) fire(which int, t time.Time, out []platform.Event) []platform.Event {
	switch which {
	case pMsg:
		g.next[pMsg] = g.after(t, g.rate)
		return g.message(t, out)
	case pEnter:
		g.next[pEnter] = g.after(t, g.enterRate())
		idx := g.rng.Uint64N(g.pool)
		return g.emit(out, platform.Event{Kind: platform.KindEnter, Time: t,
			ViewerID: viewerID(idx), ViewerName: viewerName(idx, g.p.hostile)})
	case pLike:
		g.next[pLike] = g.after(t, g.likeRate())
		idx := g.rng.Uint64N(g.pool)
		n := 1 + g.rng.IntN(30)
		if g.rate >= 5000 {
			n = 1 + g.rng.IntN(200)
		}
		return g.emit(out, platform.Event{Kind: platform.KindLike, Time: t,
			ViewerID: viewerID(idx), ViewerName: viewerName(idx, g.p.hostile), Count: n})
	case pGift:
		g.next[pGift] = g.after(t, g.giftRate())
		idx := g.rng.Uint64N(g.pool)
		// Cheap gifts are far more common than expensive ones.
		k := min(int(g.rng.ExpFloat64()*1.4), len(giftNames)-1)
		gf := giftNames[k]
		n := 1
		if g.rng.IntN(5) == 0 {
			n = 1 + g.rng.IntN(10)
		}
		return g.emit(out, platform.Event{Kind: platform.KindGift, Time: t, ID: g.newID(),
			ViewerID: viewerID(idx), ViewerName: viewerName(idx, g.p.hostile),
			Text: gf.name, Count: n, Amount: gf.amount * int64(n)})
	case pViewers:
		g.next[pViewers] = t.Add(viewerTick)
		target := float64(g.viewers)
		g.aud += (target-g.aud)*0.08 + g.aud*0.015*g.rng.NormFloat64()
		g.aud = clamp(g.aud, 1, float64(g.viewers)*2)
		return g.emit(out, platform.Event{Kind: platform.KindViewers, Time: t, Count: int(g.aud)})
	case pFlood:
		g.next[pFlood] = g.afterMean(t, g.p.floodEvery)
		g.flood = pick(g.rng, floodTexts)
		g.floodUntil = t.Add(4*time.Second + time.Duration(g.rng.Int64N(int64(12*time.Second))))
	case pStall:
		g.next[pStall] = g.afterMean(t, g.p.stallEvery)
		g.stallUntil = t.Add(300*time.Millisecond + time.Duration(g.rng.Int64N(int64(2700*time.Millisecond))))
	case pOutage:
		g.next[pOutage] = g.afterMean(t, g.p.outageEvery)
		g.outStart = t
		g.outUntil = t.Add(time.Second + time.Duration(g.rng.Int64N(int64(5*time.Second))))
	}
	return out
}

func (g *gen) newID() string {
	g.msgN++
	return "sim-" + strconv.FormatUint(g.msgN, 10)
}

// message writes one viewer danmaku at t.
func (g *gen) message(t time.Time, out []platform.Event) []platform.Event {
	if v := g.vote; v != nil && !v.end.IsZero() && !t.Before(v.end) {
		g.vote = nil
	}
	var idx uint64
	var txt string
	switch {
	case g.vote != nil && g.rng.Float64() < g.voteShare():
		idx, txt = g.voteMessage()
	case t.Before(g.floodUntil) && g.rng.Float64() < g.p.floodShare:
		idx, txt = g.chatter(), g.flood
	default:
		idx, txt = g.chatter(), text(g.rng, g.class())
	}
	return g.emit(out, platform.Event{Kind: platform.KindDanmaku, Time: t, ID: g.newID(),
		ViewerID: viewerID(idx), ViewerName: viewerName(idx, g.p.hostile), Text: txt})
}

// chatter picks who speaks: a few regulars talk a lot.
func (g *gen) chatter() uint64 {
	if g.rng.IntN(10) < 3 {
		return g.rng.Uint64N(max(g.pool/50, 1))
	}
	return g.rng.Uint64N(g.pool)
}

func (g *gen) class() class {
	var sum float64
	for _, w := range g.p.mix {
		sum += w
	}
	x := g.rng.Float64() * sum
	for c, w := range g.p.mix {
		if x < w {
			return class(c)
		}
		x -= w
	}
	return clChat
}

func (g *gen) voteShare() float64 {
	if g.vote.voters < g.pool {
		return 0.5
	}
	return 0.05
}

// voteMessage: mostly a first vote from a new viewer; some change their
// minds, some send a digit that is not an option.
func (g *gen) voteMessage() (uint64, string) {
	v := g.vote
	r := g.rng.Float64()
	switch {
	case r < 0.86 && v.voters < g.pool:
		idx := g.perm(v.voters, v.off)
		v.voters++
		return idx, voteText(g.rng, g.option())
	case r < 0.95 && v.voters > 0:
		idx := g.perm(g.rng.Uint64N(v.voters), v.off)
		return idx, voteText(g.rng, 1+g.rng.IntN(v.n))
	default:
		idx := g.chatter()
		switch g.rng.IntN(4) {
		case 0:
			return idx, voteText(g.rng, 0)
		case 1:
			return idx, voteText(g.rng, v.n+1+g.rng.IntN(10-v.n))
		case 2:
			return idx, "12"
		}
		return idx, "都想要"
	}
}

func (g *gen) option() int {
	v := g.vote
	var sum float64
	for _, w := range v.weights {
		sum += w
	}
	x := g.rng.Float64() * sum
	for i, w := range v.weights {
		if x < w {
			return i + 1
		}
		x -= w
	}
	return v.n
}

// claimRate: about a fifth of the audience tries within the window, three
// times as fast in the first 15 s.
func (g *gen) claimRate(c *coupon, t time.Time) float64 {
	w := c.endsAt.Sub(c.issuedAt).Seconds()
	r := clamp(g.aud*0.2/math.Max(w, 1), 0.2, 3000)
	if t.Sub(c.issuedAt) < 15*time.Second {
		r *= 3
	}
	return r
}

func (g *gen) fireCoupon(c *coupon, t time.Time, out []platform.Event) []platform.Event {
	if !t.Before(c.endsAt) {
		g.endCoupon(c)
		return out
	}
	c.next = g.after(t, g.claimRate(c, t))
	c.attempts++
	var idx uint64
	if c.newN == 0 || (g.rng.Float64() < 0.85 && c.newN < g.pool) {
		idx = g.perm(c.newN, c.off)
		c.newN++
	} else {
		idx = g.perm(g.rng.Uint64N(c.newN), c.off)
	}
	if c.perViewer[idx] >= c.limit {
		c.rejected++
		return out
	}
	c.perViewer[idx]++
	c.claimed++
	out = g.emit(out, platform.Event{Kind: platform.KindClaim, Time: t,
		ID: "claim-" + c.id + "-" + strconv.Itoa(c.claimed), Ref: c.id,
		ViewerID: viewerID(idx), ViewerName: viewerName(idx, g.p.hostile)})
	if c.claimed >= c.stock {
		g.endCoupon(c)
	}
	return out
}

func (g *gen) endCoupon(c *coupon) {
	c.active = false
	c.perViewer = nil
	for i, x := range g.coupons {
		if x == c {
			g.coupons = append(g.coupons[:i], g.coupons[i+1:]...)
			break
		}
	}
}

// issue starts c's claim process at t.
func (g *gen) issue(c *coupon, t time.Time) {
	c.off = g.rng.Uint64N(g.pool)
	c.perViewer = make(map[uint64]int)
	c.active = true
	if g.aud == 0 {
		g.aud = float64(g.viewers) * 0.6
	}
	c.next = g.after(t, g.claimRate(c, t))
	g.coupons = append(g.coupons, c)
}

func (g *gen) startVote(v *vote) {
	v.off = g.rng.Uint64N(g.pool)
	v.weights = make([]float64, v.n)
	for i := range v.weights {
		v.weights[i] = 0.2 + g.rng.Float64()
	}
	g.vote = v
}

func (g *gen) inOutage(t time.Time) bool {
	return !t.Before(g.outStart) && t.Before(g.outUntil)
}

// emit passes ev through the link model (flaky: loss, stalls,
// duplicates) and numbers what gets through.
func (g *gen) emit(out []platform.Event, ev platform.Event) []platform.Event {
	if g.p.dropP > 0 {
		if g.inOutage(ev.Time) || g.rng.Float64() < g.p.dropP {
			return out
		}
		// A stalled push server: about half of the messages arrive late.
		if ev.Time.Before(g.stallUntil) && g.rng.IntN(2) == 0 {
			if len(g.held) < maxHeld {
				g.held = append(g.held, ev)
			}
			return out
		}
		if g.rng.Float64() < g.p.dupP {
			out = g.push(out, ev)
		}
	}
	return g.push(out, ev)
}

func (g *gen) push(out []platform.Event, ev platform.Event) []platform.Event {
	g.seq++
	ev.Seq = g.seq
	return append(out, ev)
}

// release delivers events held by a stall once the stall is over at t.
func (g *gen) release(out []platform.Event, t time.Time) []platform.Event {
	if len(g.held) == 0 || t.Before(g.stallUntil) {
		return out
	}
	for _, ev := range g.held {
		out = g.push(out, ev)
	}
	clear(g.held)
	g.held = g.held[:0]
	return out
}
