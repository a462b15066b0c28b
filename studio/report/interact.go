package report

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"studiodesk/scripts"
	"studiodesk/studio/interact"
	"studiodesk/studio/store"
)

// IxSummary is one coupon or vote of the run: when it went out, at which
// node against the one the script planned, and what came of it.
type IxSummary struct {
	ID    string
	Kind  interact.Kind
	Label string // coupon name or vote question
	// State is the last state the log shows ("defined" if never fired).
	State       string
	FiredAt     time.Time
	EndedAt     time.Time
	PlannedNode string // segment title the script attaches it to
	ActualNode  string // segment title on air when it was fired
	OffPlan     bool   // fired at another node than planned
	Queued      bool   // fired while the platform was down
	// Coupons.
	Claims, Stock, StockUsed int
	ClaimsPerMinute          []int
	// Votes: the final tally and participation = voters / viewers.
	Options       []string
	Counts        []int
	Voters        int
	Viewers       int
	Participation float64 // 0..1; 0 when viewers are unknown
}

// isIxKind reports whether a show-log kind belongs to the interactions.
func isIxKind(k string) bool {
	switch k {
	case interact.LogDefined, interact.LogRestored, interact.LogDefine, interact.LogDefineV, interact.LogArm,
		interact.LogFire, interact.LogStart, interact.LogEnd, interact.LogCancel, interact.LogClosed,
		interact.LogAck, interact.LogRefused, interact.LogQueued, interact.LogClaims, interact.LogVoteCount:
		return true
	}
	return strings.Contains(k, "coupon") || strings.Contains(k, "vote")
}

// summarizeInteractions folds the interaction records into one summary per
// coupon and vote, in the order the show defines them.
func summarizeInteractions(r *Report, show *scripts.Show, recs []store.Record, segAt func(time.Time) int) error {
	byID := map[string]*IxSummary{}
	var order []string
	get := func(id string, kind interact.Kind) *IxSummary {
		s := byID[id]
		if s == nil {
			s = &IxSummary{ID: id, Kind: kind, State: "defined"}
			byID[id] = s
			order = append(order, id)
		}
		if s.Kind == "" {
			s.Kind = kind
		}
		return s
	}
	title := func(segID string) string {
		for _, g := range show.Segments {
			if g.ID == segID {
				return g.Title
			}
		}
		return segID
	}
	for _, c := range show.Coupons {
		s := get(c.ID, interact.KindCoupon)
		s.Label, s.Stock = c.Label(), c.Stock
	}
	for _, v := range show.Votes {
		s := get(v.ID, interact.KindVote)
		s.Label, s.Options = v.Question, v.Options
	}
	for _, g := range show.Segments {
		if s := byID[g.Interaction]; s != nil && g.Interaction != "" {
			s.PlannedNode = g.Title
		}
	}
	for _, rec := range recs {
		bad := func(err error) error { return fmt.Errorf("record %d (%s): %w", rec.Seq, rec.Kind, err) }
		switch rec.Kind {
		case interact.LogDefined:
			var p interact.DefinedLog
			if err := json.Unmarshal(rec.Payload, &p); err != nil {
				return bad(err)
			}
			for seg, id := range p.Nodes {
				if s := byID[id]; s != nil {
					s.PlannedNode = title(seg)
				}
			}
		case interact.LogFire:
			var p interact.FiredLog
			if err := json.Unmarshal(rec.Payload, &p); err != nil {
				return bad(err)
			}
			s := get(p.ID, interact.KindCoupon)
			s.Label, s.Stock, s.FiredAt, s.State, s.Queued = p.Name, p.Stock, rec.Time, string(interact.Live), p.Queued
			s.ActualNode = nodeAt(p.Node, title, show, segAt(rec.Time))
		case interact.LogStart:
			var p interact.StartedLog
			if err := json.Unmarshal(rec.Payload, &p); err != nil {
				return bad(err)
			}
			s := get(p.ID, interact.KindVote)
			s.Label, s.Options, s.FiredAt, s.State, s.Viewers = p.Question, p.Options, rec.Time, string(interact.Live), p.Viewers
			s.ActualNode = nodeAt(p.Node, title, show, segAt(rec.Time))
		case interact.LogEnd, interact.LogClosed:
			var p interact.ResultLog
			if err := json.Unmarshal(rec.Payload, &p); err != nil {
				return bad(err)
			}
			s := get(p.ID, p.Kind)
			s.EndedAt, s.State = rec.Time, string(interact.Closed)
			if s.Kind == interact.KindCoupon {
				s.Claims = p.Claims
				if p.Stock > 0 {
					s.Stock = p.Stock
				}
			} else {
				s.Counts, s.Voters = p.Counts, p.Total
				if len(p.Options) > 0 {
					s.Options = p.Options
				}
			}
		case interact.LogCancel:
			var p interact.StateLog
			if err := json.Unmarshal(rec.Payload, &p); err != nil {
				return bad(err)
			}
			s := get(p.ID, "")
			s.EndedAt, s.State = rec.Time, string(interact.Cancelled)
		case interact.LogClaims:
			var p interact.ClaimsLog
			if err := json.Unmarshal(rec.Payload, &p); err != nil {
				return bad(err)
			}
			s := get(p.ID, interact.KindCoupon)
			s.ClaimsPerMinute = append(s.ClaimsPerMinute, p.Claims)
			s.Claims = max(s.Claims, p.Total)
		}
	}
	for _, id := range order {
		s := byID[id]
		s.StockUsed = s.Claims
		s.OffPlan = !s.FiredAt.IsZero() && s.PlannedNode != "" && s.ActualNode != s.PlannedNode
		if s.Kind == interact.KindVote && !s.FiredAt.IsZero() {
			if s.Viewers == 0 {
				s.Viewers = viewersDuring(r.Minutes, s.FiredAt, s.EndedAt)
			}
			if s.Viewers > 0 {
				s.Participation = float64(s.Voters) / float64(s.Viewers)
			}
		}
		r.IxSummaries = append(r.IxSummaries, *s)
	}
	return nil
}

// nodeAt names the node on air: the logged segment id, else the segment
// the timer puts at that time.
func nodeAt(segID string, title func(string) string, show *scripts.Show, seg int) string {
	if segID != "" {
		return title(segID)
	}
	if seg >= 0 && seg < len(show.Segments) {
		return show.Segments[seg].Title
	}
	return ""
}

// viewersDuring is the largest audience the per-minute figures show while
// the vote ran (or the last figure before it).
func viewersDuring(ms []Minute, from, to time.Time) int {
	best, before := 0, 0
	for _, m := range ms {
		switch {
		case m.At.Before(from.Truncate(time.Minute)):
			before = m.Viewers
		case to.IsZero() || !m.At.After(to):
			best = max(best, m.Viewers)
		}
	}
	if best == 0 {
		return before
	}
	return best
}

// Template helpers of the interactions section.

func intsText(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = fmt.Sprint(n)
	}
	return strings.Join(parts, " · ")
}

func tallyText(opts []string, counts []int) string {
	parts := make([]string, 0, len(counts))
	for i, c := range counts {
		name := fmt.Sprint(i + 1)
		if i < len(opts) {
			name = opts[i]
		}
		parts = append(parts, fmt.Sprintf("%s %d", name, c))
	}
	return strings.Join(parts, " · ")
}

func pctText(f float64) string { return fmt.Sprintf("%.1f%%", f*100) }
