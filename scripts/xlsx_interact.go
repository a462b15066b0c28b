package scripts

import (
	"fmt"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"studiodesk/studio/interact"
)

// The 互动 sheet of a run sheet: one row per coupon or vote
// (docs/script-format.md). The rundown's 互动 column names which one fires
// at that node.
const interactSheetName = "互动"

var interactColumns = []ixColumn{
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
	ixKindAliases = map[string]interact.Kind{"优惠券": interact.KindCoupon, "券": interact.KindCoupon, "发券": interact.KindCoupon, "coupon": interact.KindCoupon,
		"投票": interact.KindVote, "vote": interact.KindVote}
	ixModeAliases = map[string]string{"弹幕数字": interact.ModeDigits, "数字": interact.ModeDigits, "digits": interact.ModeDigits,
		"平台投票": interact.ModePlatform, "平台": interact.ModePlatform, "platform": interact.ModePlatform}
	ixRuleAliases = map[string]string{"首票": interact.RuleFirst, "first": interact.RuleFirst, "末票": interact.RuleLast, "last": interact.RuleLast}
)

// ixColumn is one column of the 互动 sheet.
type ixColumn struct {
	key, zh  string
	required bool
}

// ixHeaderAliases are other names teams give the 互动 sheet's columns.
var ixHeaderAliases = map[string]string{
	"id": "id", "序号": "id", "kind": "kind", "name": "name", "discount": "discount", "满减": "discount",
	"face value": "face_value", "facevalue": "face_value", "face_value": "face_value", "threshold": "threshold",
	"stock": "stock", "per viewer": "per_viewer", "per_viewer": "per_viewer", "限领": "per_viewer",
	"duration": "duration", "window": "duration", "决策时间": "duration", "倒计时": "duration",
	"price protection": "price_protection", "price_protection": "price_protection", "价格保护": "price_protection",
	"question": "question", "options": "options", "mode": "mode", "change rule": "change_rule", "change_rule": "change_rule",
}

// ixColumnOf maps a 互动 header to its column key.
func ixColumnOf(h string) (ixColumn, time.Duration, bool) {
	base, unit := normaliseHeader(h)
	for _, c := range interactColumns {
		if base == normaliseWord(c.zh) || base == c.key {
			return c, unit, true
		}
	}
	if k, ok := ixHeaderAliases[base]; ok {
		for _, c := range interactColumns {
			if c.key == k {
				return c, unit, true
			}
		}
	}
	return ixColumn{}, 0, false
}

func normaliseWord(s string) string { w, _ := normaliseHeader(s); return w }

// xlsxIx remembers where each coupon and vote came from.
type xlsxIx struct {
	sh      *Sheet
	col     map[string]Column
	coupons []int // 0-based rows
	votes   []int
}

// colFor is the 0-based column holding a definition field (the id column
// if the field has none).
func (ix *xlsxIx) colFor(field string) int {
	if field == "window" {
		field = "duration"
	}
	if c, ok := ix.col[field]; ok {
		return c.Index
	}
	return ix.col["id"].Index
}

// isInteractSheet tells the 互动 sheet by its name.
func isInteractSheet(name string) bool {
	n := strings.ToLower(strings.TrimSpace(name))
	return n == interactSheetName || n == "interactions" || n == "互动设置" || n == "福利"
}

// readInteractions reads the 互动 sheet, if the workbook has one, into the
// show and checks the show's interactions and the rundown's references to
// them, naming the cell of every problem on the preview.
func (b *builder) readInteractions(s *Show) {
	ix := &xlsxIx{}
	for _, sh := range b.wb.Sheets {
		if sh != b.sh && isInteractSheet(sh.Name) {
			ix.sh = sh
			break
		}
	}
	before := len(b.p.Errors())
	if ix.sh != nil {
		ib := *b
		ib.sh = ix.sh
		ib.readInteractSheet(s, ix)
	}
	if len(b.p.Errors()) > before {
		return
	}
	iss := checkInteractions(s)
	if iss == nil {
		return
	}
	e := &LoadError{File: b.wb.File, Err: iss.err}
	switch iss.kind {
	case ixSegment:
		e.Sheet, e.Cell = b.sh.Name, cellName(b.colOr(FieldInteraction)+1, b.segs[iss.index].row+1)
		e.Segment, e.Field = segmentLabel(&s.Segments[iss.index], iss.index), iss.field
		sev := SevError
		if strings.HasSuffix(strings.ToLower(b.wb.File), ".csv") {
			// A CSV holds one sheet: it cannot define coupons or votes.
			// The reference is kept and the producer defines it in the
			// interactions editor; loading the show checks it again.
			sev = SevWarning
		}
		b.p.add(sev, e)
		return
	case interact.KindCoupon:
		e.Cell = cellName(ix.colFor(iss.field)+1, ix.coupons[iss.index]+1)
	default:
		e.Cell = cellName(ix.colFor(iss.field)+1, ix.votes[iss.index]+1)
	}
	e.Sheet = ix.sh.Name
	if iss.dupOf >= 0 {
		rows := ix.coupons
		if iss.dupK == interact.KindVote {
			rows = ix.votes
		}
		e.Err = errf("e.first_at", iss.err, cellName(ix.colFor("id")+1, rows[iss.dupOf]+1))
	}
	b.p.add(SevError, e)
}

// readInteractSheet reads the rows of the 互动 sheet (b.sh is that sheet):
// a header row (the first non-blank one), then one coupon or vote a row.
func (b *builder) readInteractSheet(s *Show, ix *xlsxIx) {
	sh := ix.sh
	before := len(b.p.Errors())
	hr := -1
	for r, row := range sh.Rows {
		for _, c := range row {
			if strings.TrimSpace(c.Text) != "" {
				hr = r
				break
			}
		}
		if hr >= 0 {
			break
		}
	}
	if hr < 0 {
		return
	}
	ix.col = make(map[string]Column, len(interactColumns))
	for i, c := range sh.Rows[hr] {
		h := strings.TrimSpace(c.Text)
		if h == "" {
			continue
		}
		col, unit, ok := ixColumnOf(h)
		if !ok {
			b.fail(SevError, i, hr, "", errf("e.ix_column", h, ErrUnknownField, ixColumnList()))
			continue
		}
		if prev, dup := ix.col[col.key]; dup {
			b.fail(SevError, i, hr, "", errf("e.ix_column_twice", col.zh, cellName(prev.Index+1, hr+1), ErrBadValue))
			continue
		}
		ix.col[col.key] = Column{Index: i, Header: h, Unit: unit}
	}
	for _, c := range interactColumns {
		if _, ok := ix.col[c.key]; c.required && !ok {
			b.fail(SevError, len(sh.Rows[hr]), hr, "", errf("e.unknown_field", ErrMissingColumn, c.zh))
		}
	}
	if len(b.p.Errors()) > before {
		return
	}
	// Coupon windows and vote durations are minutes: a time cell written
	// 03:00 is three minutes (and said so on the preview).
	b.mmss = map[int]bool{ix.colFor("duration"): true}
	for r := hr + 1; r < len(sh.Rows); r++ {
		vals := make(map[string]string, len(ix.col))
		empty := true
		for key, c := range ix.col {
			vals[key] = strings.TrimSpace(sh.cell(r, c.Index).Text)
			empty = empty && vals[key] == ""
		}
		if empty || isNoteText(vals["id"]) {
			continue
		}
		kind, ok := ixKindAliases[strings.ToLower(vals["kind"])]
		if !ok {
			b.fail(SevError, ix.colFor("kind"), r, "", errf("e.quoted_detail", vals["kind"], ErrBadValue, M("e.ix_kinds")))
			continue
		}
		var dur time.Duration
		if c, ok := ix.col["duration"]; ok {
			d, ok := b.durationCell(r, c, "duration")
			if !ok && vals["duration"] != "" {
				continue
			}
			dur = d
		}
		if kind == interact.KindVote {
			v := interact.Vote{ID: vals["id"], Question: vals["question"], Duration: dur}
			if vals["question"] == "" {
				v.Question = vals["name"]
			}
			if vals["options"] != "" {
				v.Options = splitOptions(vals["options"])
			}
			bad := false
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
					b.fail(SevError, ix.colFor(f.key), r, "", errf("e.quoted_plain", t, ErrBadValue))
					bad = true
					continue
				}
				*f.dst = m
			}
			if !bad {
				s.Votes = append(s.Votes, v)
				ix.votes = append(ix.votes, r)
			}
			continue
		}
		c := interact.Coupon{ID: vals["id"], Name: vals["name"], Discount: vals["discount"],
			PriceProtection: vals["price_protection"], Window: dur}
		bad := false
		for _, f := range []struct {
			key string
			dst *int64
		}{{"face_value", &c.FaceValue}, {"threshold", &c.Threshold}} {
			cents, err := ParseYuan(vals[f.key])
			if err != nil {
				b.fail(SevError, ix.colFor(f.key), r, "", err)
				bad = true
				continue
			}
			*f.dst = cents
		}
		for _, f := range []struct {
			key string
			dst *int
		}{{"stock", &c.Stock}, {"per_viewer", &c.PerViewer}} {
			n, err := parseCount(vals[f.key])
			if err != nil {
				b.fail(SevError, ix.colFor(f.key), r, "", err)
				bad = true
				continue
			}
			*f.dst = n
		}
		if !bad {
			s.Coupons = append(s.Coupons, c.WithDefaults())
			ix.coupons = append(ix.coupons, r)
		}
	}
}

// ixColumnList names the 互动 sheet's columns, for errors.
func ixColumnList() string {
	names := make([]string, len(interactColumns))
	for i, c := range interactColumns {
		names[i] = c.zh
	}
	return strings.Join(names, "、")
}

func init() { extraSheetWriters = append(extraSheetWriters, writeInteractSheet) }

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
