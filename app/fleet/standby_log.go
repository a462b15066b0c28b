package fleet

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"studiodesk/studio/store"
)

// A follower keeps the show log of the run on air as the primary wrote
// it, taken from the studio's evidence stream
// (LogStream; message data = a record's canonical bytes, header Sd-Show
// names the log, Sd-Hash its hash — the wire agreement of the evidence
// part). After a takeover the new primary's records continue the same
// hash chain, so the hub's copy and the desk's log stay one chain. The
// desk log (records before any run) is each desk's own, published as
// "desk-<fp8>" (DeskLogWire): a follower does not import another desk's.

// Header names of an evidence message (the evidence part's wire format).
const (
	evShowHeader = "Sd-Show"
	evHashHeader = "Sd-Hash"
)

// logBatch bounds the records fetched (and imported in one transaction).
const logBatch = 256

// currentRun is the id of the run the store holds as on air ("" none).
func (s *Standby) currentRun() string {
	var r struct {
		ID string `json:"id"`
	}
	if _, err := s.l.Desk.Store.Get(store.BucketAnchors, "current", &r); err != nil {
		return ""
	}
	return r.ID
}

// logSubjects are the evidence subjects a follower imports.
func (s *Standby) logSubjects(run string) []string {
	if run == "" || run == DeskLog {
		return nil
	}
	return []string{s.l.Studio.LogSubject(run)}
}

// followLogs imports the evidence of the run on air until ctx ends; it
// returns its consumer, for the final drain at a takeover.
func (s *Standby) followLogs(ctx context.Context) jetstream.Consumer {
	cur := "\x00"
	var cons jetstream.Consumer
	for ctx.Err() == nil {
		if run := s.currentRun(); run != cur || cons == nil {
			subs := s.logSubjects(run)
			if len(subs) == 0 {
				// No run on air: nothing to import (the desk log is each
				// desk's own).
				cons, cur = nil, run
				select {
				case <-ctx.Done():
				case <-time.After(200 * time.Millisecond):
				}
				continue
			}
			c, cc := context.WithTimeout(ctx, 2*time.Second)
			// A bounded number of re-creations after a hub node is lost:
			// the ordered consumer otherwise retries inside Fetch forever.
			oc, err := s.l.JS.OrderedConsumer(c, s.l.Studio.LogStream(), jetstream.OrderedConsumerConfig{
				FilterSubjects: subs, MaxResetAttempts: 3})
			cc()
			if err != nil {
				if ctx.Err() == nil {
					s.warn("logs", "show log: evidence stream %s: %v (retrying)", s.l.Studio.LogStream(), err)
				}
				select {
				case <-ctx.Done():
				case <-time.After(500 * time.Millisecond):
				}
				continue
			}
			cons, cur = oc, run
		}
		if s.fetchLogs(ctx, cons, 200*time.Millisecond) < 0 {
			cons = nil // broken: a new one next time
		}
	}
	return cons
}

// drainLogs imports what the stream holds beyond the follower's last
// fetch, within limit: the records the old primary published last.
func (s *Standby) drainLogs(cons jetstream.Consumer, limit time.Duration) {
	if cons == nil {
		return
	}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if s.fetchLogs(s.ctx, cons, 50*time.Millisecond) == 0 {
			return
		}
	}
}

// fetchLogs fetches one batch and imports it, log by log; it returns
// how many messages came (-1: the consumer is broken).
func (s *Standby) fetchLogs(ctx context.Context, cons jetstream.Consumer, wait time.Duration) int {
	if ctx.Err() != nil {
		return 0
	}
	batch, err := cons.Fetch(logBatch, jetstream.FetchMaxWait(wait))
	if err != nil {
		s.warn("logs", "show log: fetch: %v", err)
		time.Sleep(wait)
		return -1
	}
	n := 0
	var show string
	var lines [][]byte
	flush := func() {
		if len(lines) == 0 {
			return
		}
		if s.primary.Load() {
			// A fetch that outlived the takeover: this desk writes its own
			// records now.
			lines = lines[:0]
			return
		}
		if _, err := s.l.Desk.Store.ImportCanonical(show, lines); err != nil {
			s.warn("import "+show, "show log %q: from the evidence stream: %v", show, err)
		}
		lines = lines[:0]
	}
	for m := range batch.Messages() {
		n++
		sh, err := evidenceShow(m)
		if err != nil {
			s.warn("logs", "show log: %v", err)
			continue
		}
		if _, desk := IsDeskLogWire(sh); desk {
			continue // another desk's own log
		}
		if h := m.Headers().Get(evHashHeader); h != "" {
			sum := sha256.Sum256(m.Data())
			if hex.EncodeToString(sum[:]) != h {
				s.warn("logs", "show log %q: a record's bytes do not match its %s header: skipped", sh, evHashHeader)
				continue
			}
		}
		if sh != show {
			flush()
			show = sh
		}
		lines = append(lines, append([]byte(nil), m.Data()...))
	}
	flush()
	if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && ctx.Err() == nil {
		s.warn("logs", "show log: fetch: %v", err)
	}
	return n
}

// evidenceShow is the log a message belongs to: its Sd-Show header, or
// its subject's last token.
func evidenceShow(m jetstream.Msg) (string, error) {
	if sh := m.Headers().Get(evShowHeader); sh != "" {
		return sh, nil
	}
	subj := m.Subject()
	i := strings.LastIndexByte(subj, '.')
	return Untoken(subj[i+1:])
}
