// Package platform defines what the desk needs from a live-streaming
// platform: a stream of viewer events (danmaku, gifts, likes, ...) and, where
// the platform allows it, commands (issue a coupon, start or end a vote).
//
// Adapters live in sub-packages, one platform or bridge each. The desk only
// sees the types in this package; adapter types never travel upward.
package platform

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"time"
)

// EventKind says what a viewer or the platform did.
type EventKind string

// Event kinds. Adapters emit the ones their platform has; the desk ignores
// kinds it does not know.
const (
	KindDanmaku      EventKind = "danmaku"       // a viewer comment (弹幕): Text
	KindGift         EventKind = "gift"          // a gift: Text = gift name, Count, Amount (0 for free gifts)
	KindSuperChat    EventKind = "superchat"     // a paid pinned message (醒目留言): Text, Amount, Ref
	KindSuperChatDel EventKind = "superchat_del" // a super chat withdrawn (moderation): Ref names it
	KindGuard        EventKind = "guard"         // a membership bought (大航海/舰长): GuardLevel, Count, Amount
	KindLike         EventKind = "like"          // likes: Count
	KindEnter        EventKind = "enter"         // a viewer entered the room
	KindViewers      EventKind = "viewers"       // audience size or popularity: Count
	KindLiveStart    EventKind = "live_start"    // the room went live: Text = title
	KindLiveEnd      EventKind = "live_end"      // the room went off air
	KindAck          EventKind = "ack"           // a bridge acknowledged a Command out of band: ID = Command.Key
	KindClaim        EventKind = "claim"         // a viewer claimed a coupon: ID = claim id, Ref = coupon
	KindVote         EventKind = "vote"          // a platform-side vote: Text = option
)

// Event is one thing that happened on the platform, in the desk's terms.
type Event struct {
	Kind EventKind `json:"kind"`
	// Seq is the adapter's own delivery sequence, increasing across
	// reconnects within one Run (0 if the adapter has none).
	Seq uint64 `json:"seq,omitempty"`
	// Time is when the platform says it happened (else when it arrived).
	Time time.Time `json:"time"`
	// ViewerID is the platform's stable, opaque viewer id (e.g. Bilibili's
	// open_id); votes count one per ViewerID.
	ViewerID   string `json:"viewer_id,omitempty"`
	ViewerName string `json:"viewer_name,omitempty"`
	// Text is viewer text: treat it as untrusted and insert it as text only.
	Text string `json:"text,omitempty"`
	// ID is the platform's message id, for dedupe (platforms may deliver
	// twice).
	ID string `json:"id,omitempty"`
	// Ref links related events: a super chat's id that a later
	// superchat_del names, a claimed coupon.
	Ref string `json:"ref,omitempty"`
	// GuardLevel is the viewer's membership tier in the room (Bilibili:
	// 1 总督, 2 提督, 3 舰长; 0 none).
	GuardLevel int  `json:"guard_level,omitempty"`
	IsAdmin    bool `json:"is_admin,omitempty"`
	// Amount is money in the platform's smallest unit (Bilibili: 1/1000
	// CNY, so 1000 = ¥1); 0 for free gifts.
	Amount int64 `json:"amount,omitempty"`
	// Count is likes, gifts or memberships bought, or the audience size.
	Count int `json:"count,omitempty"`
	// Raw is the platform's own payload when the adapter keeps it.
	Raw json.RawMessage `json:"-"`
}

// Capabilities says what an adapter can do beyond receiving events.
type Capabilities struct {
	Danmaku       bool `json:"danmaku"`        // delivers viewer comments
	Coupons       bool `json:"coupons"`        // Send accepts "coupon.issue"
	Votes         bool `json:"votes"`          // Send accepts "vote.start" / "vote.end"
	PlatformPolls bool `json:"platform_polls"` // votes run on the platform itself (not counted from danmaku digits)
}

// Command kinds for Send.
const (
	CmdCouponIssue = "coupon.issue"
	CmdVoteStart   = "vote.start"
	CmdVoteEnd     = "vote.end"
)

// Command is one write to the platform. Key is an idempotency key: sending
// the same Key twice (after a crash or a reconnect) must not act twice; the
// second Ack says Duplicate.
type Command struct {
	Key     string          `json:"key"`
	Kind    string          `json:"kind"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// Ack is the platform's answer to a Command.
type Ack struct {
	Key       string          `json:"key"`
	OK        bool            `json:"ok"`
	Result    json.RawMessage `json:"result,omitempty"`
	Duplicate bool            `json:"duplicate,omitempty"`
}

// ErrUnsupported is wrapped by Send when the adapter cannot do the command,
// e.g. "bilibili: coupon.issue: not supported on bilibili".
var ErrUnsupported = errors.New("not supported on this platform")

// ErrRunning is returned by Run when the adapter is already running.
var ErrRunning = errors.New("platform: already running")

// Platform is one live platform (or a studio bridge to one).
type Platform interface {
	// Name is a short lower-case name for logs and errors ("bilibili").
	Name() string
	// Capabilities says what Send accepts.
	Capabilities() Capabilities
	// Run connects and delivers events to sink, in arrival order, from a
	// single goroutine, until ctx ends. sink must return quickly (hand off
	// to a bounded queue). Run reconnects by itself with backoff and
	// reports link state through State and OnState. It returns ctx's error
	// once it has shut the link down, or another error at once if the
	// adapter cannot run at all (ErrRunning, bad configuration).
	Run(ctx context.Context, sink func(Event)) error
	// State is the current link state.
	State() LinkState
	// OnState registers fn to be called on every link state change. fn
	// runs on the adapter's goroutine and must not block.
	OnState(fn func(LinkState))
	// Send issues a command with an idempotency key. Adapters without the
	// capability return an error wrapping ErrUnsupported.
	Send(ctx context.Context, cmd Command) (Ack, error)
}

// LinkStatus is the state of the link to the platform.
type LinkStatus int

// Link statuses. The zero value is Down: not running.
const (
	Down LinkStatus = iota
	Connecting
	Connected
)

func (s LinkStatus) String() string {
	switch s {
	case Connecting:
		return "connecting"
	case Connected:
		return "connected"
	}
	return "down"
}

// LinkState is a snapshot of the link.
type LinkState struct {
	Status LinkStatus `json:"status"`
	// Since is when Status last changed.
	Since time.Time `json:"since"`
	// LastError is the most recent failure ("" if none since the last
	// successful connect).
	LastError string `json:"last_error,omitempty"`
	// Reconnects counts connections established after the first.
	Reconnects int `json:"reconnects"`
}

// Link tracks a LinkState for an adapter: embed it to get State and
// OnState. Safe for concurrent use. The zero value is ready.
type Link struct {
	// Now is the clock (time.Now if nil).
	Now func() time.Time

	mu        sync.Mutex
	st        LinkState
	connected bool // has ever been Connected
	hooks     []func(LinkState)
}

// State returns the current state.
func (l *Link) State() LinkState {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st
}

// OnState registers fn for every change. fn runs on the goroutine that
// called Set, after the change, and must not block.
func (l *Link) OnState(fn func(LinkState)) {
	if fn == nil {
		return
	}
	l.mu.Lock()
	l.hooks = append(l.hooks, fn)
	l.mu.Unlock()
}

// Set moves to status s. A non-nil err is recorded as LastError; becoming
// Connected clears it.
func (l *Link) Set(s LinkStatus, err error) {
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	l.mu.Lock()
	before := l.st
	if s != l.st.Status {
		l.st.Status = s
		l.st.Since = now()
	}
	if s == Connected {
		// Only a change to Connected is a (re)connection: an adapter
		// that reports "still connected" on every tick is not
		// reconnecting, and must not wake every hook (20 times a
		// second for the rehearsal simulator).
		if l.connected && before.Status != Connected {
			l.st.Reconnects++
		}
		l.connected = true
		l.st.LastError = ""
	}
	if err != nil {
		l.st.LastError = err.Error()
	}
	st := l.st
	hooks := slices.Clone(l.hooks)
	l.mu.Unlock()
	if st != before {
		for _, f := range hooks {
			f(st)
		}
	}
}
