package scripts

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"studiodesk/studio/interact"
)

// Sentinel errors of interaction definitions.
var (
	ErrDuplicateInteraction error = &sentinel{"e.dup_ix"}
	ErrUnknownInteraction   error = &sentinel{"e.unknown_ix"}
)

// Issue kinds of ixIssue besides interact.KindCoupon and KindVote.
const ixSegment interact.Kind = "segment"

// ixIssue is a defect in the show's interactions: a bad coupon or vote
// definition (kind coupon/vote, index into Coupons/Votes) or a segment
// naming an interaction that is not defined (kind segment).
type ixIssue struct {
	kind  interact.Kind
	index int
	field string // the script field: "stock", "options", "interaction"
	err   error
	dupOf int // index of the first definition with the same id (same kind as dupKind), or -1
	dupK  interact.Kind
}

// ixField names the field of a validation error from the interact package.
func ixField(err error) string {
	var fe *interact.FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return ""
}

// checkInteractions finds the first defect in the show's coupons and votes
// and in the segments' references to them.
func checkInteractions(s *Show) *ixIssue {
	type ref struct {
		kind  interact.Kind
		index int
	}
	ids := make(map[string]ref, len(s.Coupons)+len(s.Votes))
	for i, c := range s.Coupons {
		if err := c.Validate(); err != nil {
			return &ixIssue{kind: interact.KindCoupon, index: i, field: ixField(err), err: err, dupOf: -1}
		}
		if first, dup := ids[c.ID]; dup {
			return &ixIssue{kind: interact.KindCoupon, index: i, field: "id", dupOf: first.index, dupK: first.kind,
				err: errf("e.ix_dup", M("w.coupon"), c.Label(), c.ID, ErrDuplicateInteraction)}
		}
		ids[c.ID] = ref{interact.KindCoupon, i}
	}
	for i, v := range s.Votes {
		if err := v.Validate(); err != nil {
			return &ixIssue{kind: interact.KindVote, index: i, field: ixField(err), err: err, dupOf: -1}
		}
		if first, dup := ids[v.ID]; dup {
			return &ixIssue{kind: interact.KindVote, index: i, field: "id", dupOf: first.index, dupK: first.kind,
				err: errf("e.ix_dup", M("w.vote"), v.ID, v.ID, ErrDuplicateInteraction)}
		}
		ids[v.ID] = ref{interact.KindVote, i}
	}
	for si := range s.Segments {
		id := s.Segments[si].Interaction
		if id == "" {
			continue
		}
		if _, ok := ids[id]; !ok {
			return &ixIssue{kind: ixSegment, index: si, field: "interaction", dupOf: -1,
				err: errf("e.quoted_plain", id, ErrUnknownInteraction)}
		}
	}
	return nil
}

// asError formats the issue without a file location (used when saving).
func (i *ixIssue) asError(s *Show, op string) error {
	if i.kind == ixSegment {
		g := &s.Segments[i.index]
		return fmt.Errorf("scripts: %s: segment %d %q: interaction %w", op, i.index+1, segmentLabel(g, i.index), i.err)
	}
	return fmt.Errorf("scripts: %s: %w", op, i.err)
}

// FindInteraction returns the coupon or vote with id, if the show defines it.
func (s *Show) FindInteraction(id string) (c *interact.Coupon, v *interact.Vote) {
	for i := range s.Coupons {
		if s.Coupons[i].ID == id {
			return &s.Coupons[i], nil
		}
	}
	for i := range s.Votes {
		if s.Votes[i].ID == id {
			return nil, &s.Votes[i]
		}
	}
	return nil, nil
}

// CheckInteractions reports the first problem in the show's coupons, votes
// and the segments' interaction references (nil if none): for editors that
// validate as the producer types.
func CheckInteractions(s *Show) error {
	if s == nil {
		return nil
	}
	if iss := checkInteractions(s); iss != nil {
		return iss.asError(s, "check")
	}
	return nil
}

// ParseYuan reads an amount of money in yuan ("30", "29.9", "¥199") and
// returns cents. A minus sign is kept so validation can name it.
func ParseYuan(s string) (int64, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimPrefix(strings.TrimPrefix(t, "¥"), "￥")
	t = strings.TrimSuffix(t, "元")
	if t == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e9 {
		return 0, errf("e.quoted_detail", s, ErrBadValue, M("e.want_yuan"))
	}
	cents := math.Round(f * 100)
	if math.Abs(f*100-cents) > 1e-6 {
		return 0, errf("e.quoted_detail", s, ErrBadValue, M("e.two_decimals"))
	}
	return int64(cents), nil
}

// FormatYuan writes cents as yuan the way ParseYuan reads them: "30", "29.9".
func FormatYuan(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	y, c := cents/100, cents%100
	switch {
	case c == 0:
		return sign + strconv.FormatInt(y, 10)
	case c%10 == 0:
		return fmt.Sprintf("%s%d.%d", sign, y, c/10)
	}
	return fmt.Sprintf("%s%d.%02d", sign, y, c)
}

// parseCount reads a whole number for stock and per-viewer limits.
func parseCount(s string) (int, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(t)
	if err != nil || n > interact.MaxStock*10 || n < -interact.MaxStock*10 {
		return 0, errf("e.quoted_detail", s, ErrBadValue, M("e.whole_number"))
	}
	return n, nil
}
