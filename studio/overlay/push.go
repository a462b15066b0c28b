package overlay

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"studiodesk/studio/danmaku"
)

// Line is one danmaku line or one review on the wall. Name and Text are
// viewer text: the pages set them with textContent only.
type Line struct {
	ID, Name, Text string
	// Class is one of question, buy, praise, complaint, vote, other; any
	// other value is sent as "other". The page maps it to a CSS class
	// through a fixed lookup table.
	Class string
	// Merged is the repeat count of the line (shown as ×N when above 1).
	Merged int
}

// CouponCard is the coupon on screen: a countdown to EndsAt and the stock left.
type CouponCard struct {
	Name, Discount string
	Stock, Left    int
	EndsAt         time.Time
	Note           string
}

// VoteCard is a vote with live percentages; Closed shows the result card.
type VoteCard struct {
	Question string
	Options  []VoteOption
	EndsAt   time.Time
	Closed   bool
}

// VoteOption is one choice of a vote and its count so far.
type VoteOption struct {
	Label string
	Count int
}

// Text limits. Longer text is cut and ends in "…"; the page also clips
// visually, this only keeps megabyte lines off the socket.
const (
	maxTextRunes  = 200
	maxNameRunes  = 24
	maxVoteOpts   = 10
	maxPendingLns = 1024 // danmaku lines queued per connection before the oldest drop
)

// classes are the line classes the pages know.
var classes = map[string]bool{"question": true, "buy": true, "praise": true, "complaint": true, "vote": true, "other": true}

// normText is the only change made to viewer text before it is sent:
// invalid UTF-8 becomes U+FFFD and text longer than max runes is cut to
// max runes followed by "…". Everything else — markup, quotes, control and
// bidi characters — goes through unchanged and is shown as text.
func normText(s string, max int) string {
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			// Only reached with invalid bytes before the cut; the result
			// is valid, so this recurses once.
			return normText(strings.ToValidUTF8(s, "\uFFFD"), max)
		}
		if n == max {
			return s[:i] + "…"
		}
		n++
		i += size
	}
	return s
}

// cleanName cleans a viewer name like the danmaku pipeline cleans text:
// control, zero-width and bidi characters (U+202E would show the name
// reversed) are removed, widths folded, whitespace collapsed. Names are
// short labels, never layout: nothing in them may steer the page.
func cleanName(s string) string {
	for _, r := range s {
		// Fast path: printable text needs no change (names arrive already
		// cleaned from the pipeline).
		if r < 0x20 || r >= 0x7F && r < 0xA0 || r == utf8.RuneError || r >= 0x2000 && r <= 0x206F ||
			r >= 0xFE00 && r <= 0xFF5E || r == 0x3000 || r == 0x00AD || r == 0x061C || r == 0x180E || r == 0x034F ||
			unicode.Is(unicode.Cf, r) || r > 0xFFFF && !unicode.IsGraphic(r) {
			return danmaku.Normalize(s, 4*maxNameRunes)
		}
	}
	return s
}

type wireLine struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Text   string `json:"text"`
	Class  string `json:"class"`
	Merged int    `json:"merged"`
}

func (l Line) wire() wireLine {
	c := l.Class
	if !classes[c] {
		c = "other"
	}
	m := l.Merged
	if m < 1 {
		m = 1
	}
	return wireLine{
		ID:     normText(l.ID, 64),
		Name:   normText(cleanName(l.Name), maxNameRunes),
		Text:   normText(l.Text, maxTextRunes),
		Class:  c,
		Merged: m,
	}
}

type wireCoupon struct {
	Name     string `json:"name"`
	Discount string `json:"discount"`
	Stock    int    `json:"stock"`
	Left     int    `json:"left"`
	EndsAt   int64  `json:"endsAt"` // Unix ms; 0 means no countdown
	Note     string `json:"note"`
}

type wireVote struct {
	Question string       `json:"question"`
	Options  []wireOption `json:"options"`
	EndsAt   int64        `json:"endsAt"`
	Closed   bool         `json:"closed"`
}

type wireOption struct {
	Label string `json:"label"`
	Count int    `json:"count"`
}

func unixMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func nonNeg(n int) int { return max(n, 0) }

// PushDanmaku appends lines to the scrolling danmaku stream of every
// /danmaku page. It never blocks on a browser: a connection that falls
// more than a queue behind loses its oldest lines (counted in Stats).
func (s *Server) PushDanmaku(items []Line) {
	if len(items) == 0 {
		return
	}
	ws := make([]wireLine, len(items))
	for i, l := range items {
		ws[i] = l.wire()
	}
	s.pushLines(ws)
}

// SetWall replaces the pinned review wall.
func (s *Server) SetWall(lines []Line) {
	ws := make([]wireLine, len(lines))
	for i, l := range lines {
		ws[i] = l.wire()
	}
	s.setState(TopicWall, func() { s.wall = ws })
}

// SetCoupon shows a coupon card; nil hides it.
func (s *Server) SetCoupon(c *CouponCard) {
	var w *wireCoupon
	if c != nil {
		stock := nonNeg(c.Stock)
		w = &wireCoupon{
			Name:     normText(c.Name, maxTextRunes),
			Discount: normText(c.Discount, maxTextRunes),
			Stock:    stock,
			Left:     min(nonNeg(c.Left), stock),
			EndsAt:   unixMS(c.EndsAt),
			Note:     normText(c.Note, maxTextRunes),
		}
	}
	s.setState(TopicCoupon, func() { s.coupon = w })
}

// SetVote shows a vote card; nil hides it. At most 10 options are shown.
func (s *Server) SetVote(v *VoteCard) {
	var w *wireVote
	if v != nil {
		w = &wireVote{
			Question: normText(v.Question, maxTextRunes),
			Options:  make([]wireOption, 0, min(len(v.Options), maxVoteOpts)),
			EndsAt:   unixMS(v.EndsAt),
			Closed:   v.Closed,
		}
		for i, o := range v.Options {
			if i == maxVoteOpts {
				break
			}
			w.Options = append(w.Options, wireOption{Label: normText(o.Label, maxTextRunes), Count: nonNeg(o.Count)})
		}
	}
	s.setState(TopicVote, func() { s.vote = w })
}
