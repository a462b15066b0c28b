// Package danmaku cleans and understands viewer comments (弹幕) in real time:
//
//	normalise → filter → classify → cluster → fan-out
//
// A Pipeline takes platform-independent Messages and turns each into an Item:
// normalised text, a class (question, buy intent, complaint, praise, vote),
// a question topic, and — when a filter rule fires — Hidden with a Reason.
// Identical or near-identical repeats are merged into one counted line.
// Shown items, trending terms and the host's question queue are available
// from Snapshot; every Item is also fanned out to subscribers, which never
// block ingestion.
package danmaku

import "time"

// Message is one viewer comment as delivered by a platform adapter.
type Message struct {
	ID         string
	ViewerID   string
	ViewerName string
	Text       string
	Time       time.Time
	GuardLevel int
	IsAdmin    bool
}

// Class is what a comment is about, as far as the host is concerned.
type Class uint8

// Classes, in the order the classifier prefers them.
const (
	Other Class = iota
	Question
	BuyIntent
	Complaint
	Praise
	Vote
)

var classNames = [...]string{"other", "question", "buy", "complaint", "praise", "vote"}

// String returns a short lower-case name ("question", "vote", …).
func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return "unknown"
}

// Item is a Message after the pipeline.
type Item struct {
	Message
	// Norm is the normalised text shown to people (width folded, control
	// and zero-width characters removed, whitespace collapsed, capped).
	Norm string
	// Class and, for questions, Topic (尺码, 价格, 发货, 用法, …; "" if none).
	Class Class
	Topic string
	// VoteDigit is 1..9 for Class Vote.
	VoteDigit int
	// Merged is the repeat count of the line: 1 for a fresh line. For an
	// item merged into an earlier line, it is that line's count after the
	// merge and MergedInto names the line.
	Merged     int
	MergedInto string
	// Hidden is set when the item is not shown as a line of its own: dropped
	// by a rule, merged into another line, or hidden by the operator.
	Hidden bool
	// Reason says why it is hidden: a rule name (see the Reason* constants),
	// for banned words "banned:<word>".
	Reason string
	// Seq is the pipeline's sequence number, increasing by one per message.
	Seq uint64
}

// Reasons an item is hidden.
const (
	ReasonLink     = "link"
	ReasonContact  = "contact"
	ReasonBanned   = "banned"
	ReasonFlood    = "flood"
	ReasonBlocked  = "blocked"
	ReasonEmpty    = "empty"
	ReasonRepeat   = "repeat"
	ReasonContains = "contained"
	ReasonLottery  = "lottery"
	ReasonOperator = "hidden"
)

// Term is a trending keyword and how often it was seen in the window.
type Term struct {
	Text  string
	Count int
}

// QuestionGroup is one entry of the host's question queue.
type QuestionGroup struct {
	// ID identifies the group for DismissQuestion.
	ID string
	// Topic is the question topic ("" for questions without a known topic).
	Topic string
	// Count is how many questions the group holds.
	Count int
	// First is when the group's oldest pending question arrived, Last the
	// newest.
	First, Last time.Time
	// Examples are the latest distinct questions, newest last.
	Examples []Item
}

// Stats are the pipeline's counters; each filter rule has its own.
type Stats struct {
	Received int64 // every Ingest call
	Shown    int64 // items shown as a line of their own

	Links    int64
	Contact  int64
	Banned   int64
	Flood    int64
	Blocked  int64
	Empty    int64
	Repeat   int64 // merged as an identical repeat
	Contains int64 // merged because contained in a similar line
	Lottery  int64 // merged into the lottery line

	OperatorHidden int64 // Hide calls that hid an item

	Segmented      int64 // texts cut by the segmenter (cache misses)
	SegmentCached  int64 // texts whose terms came from the cache
	SegmentSkipped int64 // texts not cut: budget spent or dictionary loading
	TermsDropped   int64 // terms not counted: vocabulary cap reached

	QuestionsQueued  int64
	QuestionsDropped int64 // groups evicted because the queue was full

	SubscriberDrops int64 // items dropped for slow subscribers, all of them

	// Duplicates are messages dropped because their platform id was
	// already ingested (a platform re-delivery); not in Received.
	Duplicates int64
}

// Snapshot is what the UI draws.
type Snapshot struct {
	Recent     []Item // shown lines, oldest first (merge counters current)
	Wall       []Item // pinned review wall, oldest first
	Trending1m []Term
	Trending5m []Term
	Questions  []QuestionGroup
	Stats      Stats
}
