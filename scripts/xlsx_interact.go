package scripts

import (
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"

	"studiodesk/studio/interact"
)

// The 互动 sheet of a run sheet: one row per coupon or vote
// (docs/script-format.md). The rundown's 互动 column names which one fires
// at that node.
const interactSheetName = "互动"

var interactColumns = []runColumn{
	{"id", "编号", true},
	{"kind", "类型", true},
	{"name", "名称", false},
	{"discount", "满减规则", false},
	{"face_value", "面额", false},
	{"threshold", "门槛", false},
	{"stock", "库存", false},
	{"per_viewer", "每人限领", false},
	{"duration", "时长", false},
	{"price_protection", "价保", false},
	{"question", "问题", false},
	{"options", "选项", false},
	{"mode", "方式", false},
	{"change_rule", "改票", false},
}

var (
	ixKindAliases = map[string]interact.Kind{"优惠券": interact.KindCoupon, "券": interact.KindCoupon, "coupon": interact.KindCoupon,
		"投票": interact.KindVote, "vote": interact.KindVote}
	ixModeAliases = map[string]string{"弹幕数字": interact.ModeDigits, "数字": interact.ModeDigits, "digits": interact.ModeDigits,
		"平台投票": interact.ModePlatform, "平台": interact.ModePlatform, "platform": interact.ModePlatform}
	ixRuleAliases = map[string]string{"首票": interact.RuleFirst, "first": interact.RuleFirst, "末票": interact.RuleLast, "last": interact.RuleLast}
)

// xlsxIx remembers where each coupon and vote came from.
type xlsxIx struct {
	sheet   string
	col     map[string]int
	coupons []int // rows
	votes   []int
}

// splitOptions splits a 选项 cell: options separated by "|", "｜" or line
// breaks.
func splitOptions(s string) []string {
	f := strings.FieldsFunc(s, func(r rune) bool { return r == '|' || r == '｜' || r == '\n' })
	out := make([]string, 0, len(f))
	for _, o := range f {
		out = append(out, strings.TrimSpace(o))
	}
	return out
}

// readInteractions reads the 互动 sheet, if the workbook has one, and checks
// the show's interactions and the rundown's references to them, naming the
// cell of any problem.
func (x *xlsxReader) readInteractions(s *Show, sheets []string) error {
	ix := &xlsxIx{}
	for _, sh := range sheets[1:] {
		if sh == interactSheetName || strings.EqualFold(sh, "interactions") {
			ix.sheet = sh
		}
	}
	if ix.sheet != "" {
		if err := x.readInteractSheet(s, ix); err != nil {
			return err
		}
	}
	iss := checkInteractions(s)
	if iss == nil {
		return nil
	}
	e := &LoadError{File: x.file, Err: iss.err}
	switch iss.kind {
	case ixSegment:
		e.Sheet, e.Cell = x.sheet, cellName(x.colOr("interaction", "id"), x.segRows[iss.index])
		e.Segment, e.Field = segmentLabel(&s.Segments[iss.index], iss.index), iss.field
		return e
	case interact.KindCoupon:
		e.Cell = cellName(ix.colFor(iss.field), ix.coupons[iss.index])
	default:
		e.Cell = cellName(ix.colFor(iss.field), ix.votes[iss.index])
	}
	e.Sheet = ix.sheet
	if iss.dupOf >= 0 {
		rows := ix.coupons
		if iss.dupK == interact.KindVote {
			rows = ix.votes
		}
		e.Err = fmt.Errorf("%w (first at %s)", iss.err, cellName(ix.col["id"], rows[iss.dupOf]))
	}
	return e
}

// colFor is the column holding a definition field (the id column if the
// field has none).
func (ix *xlsxIx) colFor(field string) int {
	if field == "window" {
		field = "duration"
	}
	if c, ok := ix.col[field]; ok {
		return c
	}
	return ix.col["id"]
}

func (x *xlsxReader) readInteractSheet(s *Show, ix *xlsxIx) error {
	sheet := ix.sheet
	rows, err := x.f.GetRows(sheet)
	if err != nil {
		return &LoadError{File: x.file, Sheet: sheet, Err: fmt.Errorf("%w: %w", ErrSyntax, err)}
	}
	if len(rows) == 0 {
		return nil
	}
	ix.col = make(map[string]int, len(interactColumns))
	for i, h := range rows[0] {
		if x.badText(h) {
			return x.fail(sheet, i+1, 1, "", ErrBadUTF8)
		}
		if strings.TrimSpace(h) == "" {
			continue
		}
		c, ok := lookupColumn(interactColumns, h)
		if !ok {
			return x.fail(sheet, i+1, 1, "", fmt.Errorf("%w: column %q", ErrUnknownField, strings.TrimSpace(h)))
		}
		if prev, dup := ix.col[c.key]; dup {
			return x.fail(sheet, i+1, 1, "", fmt.Errorf("%w: column %q given twice (first at %s)", ErrBadValue, c.zh, cellName(prev, 1)))
		}
		ix.col[c.key] = i + 1
	}
	for _, c := range interactColumns {
		if _, ok := ix.col[c.key]; c.required && !ok {
			return x.fail(sheet, len(rows[0])+1, 1, "", fmt.Errorf("%w %q", ErrMissingColumn, c.zh))
		}
	}
	for i := 1; i < len(rows); i++ {
		rowNum := i + 1
		vals := make(map[string]string, len(ix.col))
		empty := true
		for key, c := range ix.col {
			if c-1 >= len(rows[i]) {
				continue
			}
			v := rows[i][c-1]
			if x.badText(v) {
				return x.fail(sheet, c, rowNum, "", ErrBadUTF8)
			}
			vals[key] = strings.TrimSpace(v)
			empty = empty && vals[key] == ""
		}
		if empty {
			continue
		}
		kind, ok := ixKindAliases[strings.ToLower(vals["kind"])]
		if !ok {
			return x.fail(sheet, ix.col["kind"], rowNum, "", fmt.Errorf("%q: %w (want 优惠券 or 投票)", vals["kind"], ErrBadValue))
		}
		dur, err := x.durationCell(sheet, ix.colFor("duration"), rowNum, vals["duration"], "")
		if err != nil {
			return err
		}
		if kind == interact.KindVote {
			v := interact.Vote{ID: vals["id"], Question: vals["question"], Duration: dur}
			if vals["question"] == "" {
				v.Question = vals["name"]
			}
			if vals["options"] != "" {
				v.Options = splitOptions(vals["options"])
			}
			for _, f := range []struct {
				key     string
				dst     *string
				aliases map[string]string
			}{{"mode", &v.Mode, ixModeAliases}, {"change_rule", &v.ChangeRule, ixRuleAliases}} {
				t := vals[f.key]
				if t == "" {
					continue
				}
				m, ok := f.aliases[strings.ToLower(t)]
				if !ok {
					return x.fail(sheet, ix.col[f.key], rowNum, "", fmt.Errorf("%q: %w", t, ErrBadValue))
				}
				*f.dst = m
			}
			s.Votes = append(s.Votes, v)
			ix.votes = append(ix.votes, rowNum)
			continue
		}
		c := interact.Coupon{ID: vals["id"], Name: vals["name"], Discount: vals["discount"],
			PriceProtection: vals["price_protection"], Window: dur}
		for _, f := range []struct {
			key string
			dst *int64
		}{{"face_value", &c.FaceValue}, {"threshold", &c.Threshold}} {
			cents, err := ParseYuan(vals[f.key])
			if err != nil {
				return x.fail(sheet, ix.col[f.key], rowNum, "", err)
			}
			*f.dst = cents
		}
		for _, f := range []struct {
			key string
			dst *int
		}{{"stock", &c.Stock}, {"per_viewer", &c.PerViewer}} {
			n, err := parseCount(vals[f.key])
			if err != nil {
				return x.fail(sheet, ix.col[f.key], rowNum, "", err)
			}
			*f.dst = n
		}
		s.Coupons = append(s.Coupons, c.WithDefaults())
		ix.coupons = append(ix.coupons, rowNum)
	}
	return nil
}

// writeInteractSheet adds the 互动 sheet for the show's coupons and votes.
func writeInteractSheet(f *excelize.File, s *Show) error {
	if iss := checkInteractions(s); iss != nil {
		return iss.asError(s, "export xlsx")
	}
	if len(s.Coupons) == 0 && len(s.Votes) == 0 {
		return nil
	}
	for _, v := range s.Votes {
		for i, o := range v.Options {
			if strings.ContainsAny(o, "|｜\n") {
				return fmt.Errorf("scripts: export xlsx: vote %q: option %d %q: %w (the 选项 cell separates options with | and line breaks)", v.ID, i+1, o, ErrBadValue)
			}
		}
	}
	if _, err := f.NewSheet(interactSheetName); err != nil {
		return fmt.Errorf("scripts: export xlsx: %w", err)
	}
	col := make(map[string]int, len(interactColumns))
	row := 1
	set := func(key, v string) error {
		if v == "" {
			return nil
		}
		if err := f.SetCellStr(interactSheetName, cellName(col[key], row), v); err != nil {
			return fmt.Errorf("scripts: export xlsx: %s!%s: %w", interactSheetName, cellName(col[key], row), err)
		}
		return nil
	}
	for i, c := range interactColumns {
		col[c.key] = i + 1
		if err := set(c.key, c.zh); err != nil {
			return err
		}
	}
	write := func(vals map[string]string) error {
		row++
		for _, c := range interactColumns {
			if err := set(c.key, vals[c.key]); err != nil {
				return err
			}
		}
		return nil
	}
	for _, c := range s.Coupons {
		vals := map[string]string{"id": c.ID, "kind": "优惠券", "name": c.Name, "discount": c.Discount,
			"face_value": FormatYuan(c.FaceValue), "stock": fmt.Sprint(c.Stock), "per_viewer": fmt.Sprint(c.PerViewer),
			"duration": FormatDuration(c.Window), "price_protection": c.PriceProtection}
		if c.Threshold != 0 {
			vals["threshold"] = FormatYuan(c.Threshold)
		}
		if err := write(vals); err != nil {
			return err
		}
	}
	zh := map[string]string{interact.ModeDigits: "弹幕数字", interact.ModePlatform: "平台投票", interact.RuleFirst: "首票", interact.RuleLast: "末票"}
	for _, v := range s.Votes {
		if err := write(map[string]string{"id": v.ID, "kind": "投票", "question": v.Question,
			"options": strings.Join(v.Options, "|"), "duration": FormatDuration(v.Duration),
			"mode": zh[v.Mode], "change_rule": zh[v.ChangeRule]}); err != nil {
			return err
		}
	}
	if err := f.SetColWidth(interactSheetName, "C", "D", 18); err != nil {
		return fmt.Errorf("scripts: export xlsx: %w", err)
	}
	if err := f.SetColWidth(interactSheetName, "K", "L", 32); err != nil {
		return fmt.Errorf("scripts: export xlsx: %w", err)
	}
	return nil
}
