package scripts

import (
	"errors"
	"fmt"
	"strings"
	"studiodesk/studio/interact"
)

// Lang is the language a message is rendered in.
type Lang string

// The languages every message in this package is written in.
const (
	LangZH Lang = "zh"
	LangEN Lang = "en"
)

// Msg is a translatable message: a catalogue key and its arguments. The UI
// keeps Msg values and renders them with In in the user's language; Args
// that are themselves Localizers (a Msg, a field name, an error from this
// package) are rendered in the same language.
type Msg struct {
	Key  string
	Args []any
}

// M builds a message.
func M(key string, args ...any) Msg { return Msg{Key: key, Args: args} }

// Localizer is anything that can say itself in a language.
type Localizer interface {
	In(Lang) string
}

// In renders the message. An unknown key renders as the key and its
// arguments, so a missing translation is visible, never blank.
func (m Msg) In(l Lang) string {
	tr, ok := catalogue[m.Key]
	if !ok {
		if len(m.Args) == 0 {
			return m.Key
		}
		return m.Key + fmt.Sprint(renderArgs(m.Args, l)...)
	}
	format := tr.en
	if l == LangZH {
		format = tr.zh
	}
	if len(m.Args) == 0 {
		return format
	}
	return fmt.Sprintf(format, renderArgs(m.Args, l)...)
}

// String renders the message in English.
func (m Msg) String() string { return m.In(LangEN) }

func renderArgs(args []any, l Lang) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case Localizer:
			out[i] = v.In(l)
		case error:
			out[i] = Localize(v, l)
		default:
			out[i] = a
		}
	}
	return out
}

// Localize renders an error in l: through In when it (or the first error
// it wraps) can, else its plain Error text.
func Localize(err error, l Lang) string {
	if err == nil {
		return ""
	}
	if e, ok := err.(Localizer); ok {
		return e.In(l)
	}
	var loc Localizer
	if errors.As(err, &loc) {
		// A wrapper around one of ours ("file.xlsx: " + ours): keep the
		// wrapper's prefix, translate ours.
		full := err.Error()
		if inner, ok := loc.(error); ok && strings.HasSuffix(full, inner.Error()) {
			return full[:len(full)-len(inner.Error())] + loc.In(l)
		}
	}
	if fe := (*interact.FieldError)(nil); errors.As(err, &fe) {
		// A coupon or vote definition problem (studio/interact): keep the
		// wrapper's prefix, say the problem in l.
		full, inner := err.Error(), fe.Error()
		if i := strings.Index(full, inner); i >= 0 {
			return full[:i] + localizeField(fe, l) + full[i+len(inner):]
		}
		return localizeField(fe, l)
	}
	return err.Error()
}

// sentinel is a cause callers branch on with errors.Is; it renders itself
// from the catalogue.
type sentinel struct{ key string }

func (s *sentinel) Error() string    { return M(s.key).In(LangEN) }
func (s *sentinel) In(l Lang) string { return M(s.key).In(l) }

// msgError is an error made of a message; error arguments are wrapped, so
// errors.Is finds the sentinels in them.
type msgError struct {
	msg  Msg
	wrap []error
}

func (e *msgError) Error() string    { return e.msg.In(LangEN) }
func (e *msgError) In(l Lang) string { return e.msg.In(l) }
func (e *msgError) Unwrap() []error  { return e.wrap }

// Message returns the message behind an error of this package, if any.
func (e *msgError) Message() Msg { return e.msg }

// errf makes a translatable error; arguments that are errors are wrapped.
func errf(key string, args ...any) error {
	e := &msgError{msg: M(key, args...)}
	for _, a := range args {
		if err, ok := a.(error); ok {
			e.wrap = append(e.wrap, err)
		}
	}
	return e
}

// fieldName is a field of the script format, rendered in the user's language.
type fieldName string

func (f fieldName) In(l Lang) string {
	if f == "" {
		return ""
	}
	parts := strings.Fields(string(f))
	for i, p := range parts {
		if tr, ok := catalogue["field."+p]; ok {
			if l == LangZH {
				parts[i] = tr.zh
			} else {
				parts[i] = tr.en
			}
		}
	}
	if l == LangZH {
		return strings.Join(parts, "")
	}
	return strings.Join(parts, " ")
}

type translation struct{ zh, en string }

// catalogue holds every message of the package in Chinese and English.
// Format verbs are the same in both, in the same order.
var catalogue = map[string]translation{
	"e.ix_dup":          {"%s“%s”：编号“%s”：%s", "%s %q: id: %q: %s"},
	"w.coupon":          {"优惠券", "coupon"},
	"w.vote":            {"投票", "vote"},
	"e.ix_column":       {"列“%s”：%s（互动表的列：%s）", "column %q: %s (the 互动 sheet has: %s)"},
	"e.ix_column_twice": {"列“%s”重复（第一次在 %s）：%s", "column %q given twice (first at %s): %s"},
	"e.ix_kinds":        {"应为 优惠券/发券/券 或 投票", "want 优惠券/发券/券 or 投票"},
	"e.quoted_plain":    {"“%s”：%s", "%q: %s"},
	"e.dup_ix":          {"互动编号重复", "duplicate interaction id"},
	"e.unknown_ix":      {"节目中没有定义这个优惠券或投票", "names no coupon or vote defined in the show"},
	"e.want_yuan":       {"应为以元计的金额，如 30 或 29.9", "want an amount in yuan, e.g. 30 or 29.9"},
	"e.two_decimals":    {"最多两位小数", "at most two decimals"},
	"e.whole_number":    {"应为整数", "want a whole number"},
	// Causes (sentinels).
	"err.bad_duration":      {"不是有效的时长", "not a duration"},
	"err.duplicate_id":      {"环节编号重复", "duplicate segment id"},
	"err.bad_utf8":          {"含有无效的 UTF-8 字符", "invalid UTF-8"},
	"err.missing_column":    {"缺少列", "missing column"},
	"err.unknown_kind":      {"无法识别的环节类型", "unknown segment kind"},
	"err.missing":           {"缺失", "missing"},
	"err.unknown_field":     {"未知字段", "unknown field"},
	"err.bad_value":         {"不是有效的值", "not a valid value"},
	"err.duration_mismatch": {"与各阶段时长之和不一致", "does not match the sum of its phases"},
	"err.duplicate_phase":   {"同一环节内阶段名称重复", "duplicate phase name in this segment"},
	"err.syntax":            {"格式错误", "syntax error"},
	"err.too_large":         {"文件太大", "file too large"},
	"err.no_rundown":        {"找不到脚本表", "no rundown sheet"},

	// Wrapping forms.
	"e.unknown_field":    {"%s“%s”", "%s %q"},
	"kinds.accepted":     {acceptedKindsZH, acceptedKindsEN},
	"map.id":             {"序号/编号", "id"},
	"map.time":           {"时间（时刻）", "time of day"},
	"map.elapsed":        {"开播后（累计）", "elapsed"},
	"map.duration":       {"时长", "duration"},
	"map.title":          {"环节", "segment"},
	"map.kind":           {"类型", "kind"},
	"map.product":        {"产品", "product"},
	"map.flagship":       {"主推", "flagship"},
	"map.point":          {"卖点", "selling points"},
	"map.host_lines":     {"话术", "host lines"},
	"map.interaction":    {"互动", "interaction"},
	"map.preset":         {"预设", "preset"},
	"map.recall_preset":  {"调用预设", "recall preset"},
	"map.notes":          {"备注", "notes"},
	"map.phase":          {"阶段", "phase"},
	"map.phase_duration": {"阶段时长", "phase duration"},
	"map.point_duration": {"卖点时长", "point duration"},
	"map.unknown":        {"未识别（并入备注）", "unrecognised (into notes)"},
	"map.ignore":         {"忽略", "ignore"},
	"x.total":            {"总时长", "total"},
	"x.start":            {"开播", "on air"},
	"e.refused":          {"scripts：%s：%s%s %s", "scripts: %s: %s%s %s"},
	"e.where_part":       {"%s：", "%s: "},
	"e.seg_label":        {"第 %d 个环节“%s”", "segment %d %q"},
	"op.save":            {"保存", "save"},
	"op.export xlsx":     {"导出 xlsx", "export xlsx"},
	"op.export csv":      {"导出 csv", "export csv"},
	"op.fuzz":            {"检查", "check"},
	"e.quoted":           {"“%s”：%s", "%q: %s"},
	"e.quoted_detail":    {"“%s”：%s（%s）", "%q: %s (%s)"},
	"e.detail":           {"%s（%s）", "%s (%s)"},
	"e.colon":            {"%s：%s", "%s: %s"},
	"e.first_at":         {"%s（首次出现在 %s）", "%s (first at %s)"},
	"e.first_at_line":    {"%s（首次出现在第 %d 行）", "%s (first at line %d)"},
	"e.first_in_seg":     {"%s（首次出现在第 %d 个环节）", "%s (first in segment %d)"},
	"e.column":           {"%s：列“%s”", "%s: column %q"},
	"e.column_twice":     {"%s：列“%s”出现两次（第一次在 %s）", "%s: column %q given twice (first at %s)"},
	"e.given_twice":      {"%s：重复填写（第一次在第 %d 行）", "%s: given twice (first at line %d)"},
	"e.named_twice":      {"%s：“%s”填写了两次", "%s: %q given twice"},
	"e.negative":         {"负数", "negative"},
	"e.over":             {"超过 %s", "over %s"},
	"e.over_mib":         {"%s（超过 %d MiB）", "%s (over %d MiB)"},
	"e.not_workbook":     {"%s：不是 xlsx 工作簿：%s", "%s: not an xlsx workbook: %s"},
	"e.not_csv":          {"%s：不是 CSV 文件：%s", "%s: not a CSV file: %s"},
	"e.no_sheets":        {"%s：工作簿没有工作表", "%s: no sheets"},
	"e.read":             {"读取失败：%s", "read: %s"},
	"e.part":             {"%s：%s：%s", "%s: %s: %s"},
	"e.unpacks_large":    {"%s：%s 解压后太大", "%s: %s unpacks too large"},
	"e.empty_file":       {"空文件：%s", "empty file: %s"},
	"e.more_docs":        {"%s：包含多个文档", "%s: more than one document"},
	"e.aliases":          {"%s：不支持别名 (*name)", "%s: aliases (*name) are not supported"},
	"e.want_mapping":     {"%s：应为字段映射", "%s: expected a mapping of fields"},
	"e.plain_keys":       {"%s：字段名必须是纯文本", "%s: field names must be plain text"},
	"e.want_text":        {"%s：应为文本", "%s: expected text"},
	"e.want_duration":    {"%s：应为时长", "%s: expected a duration"},
	"e.want_list":        {"%s：应为列表", "%s: expected a list"},
	"e.want_bool":        {"“%s”：%s（应为 true 或 false）", "%q: %s (want true or false)"},
	"e.want_flag":        {"“%s”：%s（应为 是 或 否）", "%q: %s (want 是 or 否)"},
	"e.want_whole":       {"“%s”：%s（应为 0-100 的整数）", "%q: %s (want a whole number 0-100)"},
	"e.want_int":         {"%d：%s", "%d: %s"},
	"e.mismatch":         {"%s %s（%s）", "%s %s (%s)"},
	"e.seg_over":         {"%s：单个环节超过 %s", "%s: segment over %s"},
	"e.show_over":        {"%s：整场超过 %s", "%s: show over %s"},
	"e.unknown_kind":     {"“%s”：%s（可用：%s）", "%q: %s (accepted: %s)"},
	"e.differs_first":    {"“%s”：%s：与本环节第一行（第 %d 行）不同；请留空", "%q: %s: differs from the segment's first row (row %d); leave it empty"},
	"e.differs_phase":    {"“%s”：%s：与本阶段第一行不同；请留空", "%q: %s: differs from the phase's first row; leave it empty"},
	"e.phase_needs":      {"%s（阶段时长需要阶段名称）", "%s (a phase duration needs its phase name)"},
	"e.point_needs":      {"%s（卖点时长需要卖点内容）", "%s (a point duration needs its text)"},
	"e.point_phase":      {"%s（卖点需要属于某个阶段）", "%s (selling points belong to a phase)"},
	"e.no_title":         {"%s（这一行没有环节名称，前面也没有环节可以接续）", "%s (this row has no segment title and no segment above it to continue)"},
	"e.bare_number":      {"“%s”：%s（只有数字，不知道单位；写成 5分钟、5:00，或在表头注明单位，如 时长(分钟)）", "%q: %s (a bare number with no unit; write 5分钟 or 5:00, or give the unit in the header, e.g. 时长(分钟))"},
	"e.date_cell":        {"“%s”：%s（这是日期单元格，不是时长）", "%q: %s (a date cell, not a duration)"},
	"e.dur_forms":        {"“%s”：%s（可写：5分钟、1小时30分、90秒、5:00、1:05:00、5'30\"、5m30s）", "%q: %s (accepted: 5分钟, 1小时30分, 90秒, 5:00, 1:05:00, 5'30\", 5m30s)"},
	"e.no_rundown":       {"%s：需要一行表头含“环节”（或 内容/流程）以及“时长”或“时间”；%s", "%s: a header row naming the segment (环节/内容/流程) and its duration (时长) or time (时间) is needed; %s"},
	"e.sheet_found":      {"工作表“%s”：%s", "sheet %q: %s"},
	"e.sheet_nothing":    {"工作表“%s”没有可识别的表头", "sheet %q has no recognised headers"},
	"e.bad_time":         {"“%s”：%s（应为时刻，如 20:00 或 20:00-20:05）", "%q: %s (want a time of day such as 20:00 or 20:00-20:05)"},
	"e.no_duration_row":  {"%s（没有时长，也无法从时间推算）", "%s (no duration, and none can be worked out from the times)"},
	"e.bad_start":        {"“%s”：%s（应为 HH:MM）", "%q: %s (want HH:MM)"},

	// Import notes and warnings.
	"w.unknown_column":  {"列“%s”未识别，内容并入备注", "column %q is not recognised; its cells go into the notes"},
	"w.time_as_mmss":    {"“%s”是时刻单元格，按 分:秒 读作 %s（按 时:分 是 %s，不合理）", "%q is a time-of-day cell; read as minutes:seconds = %s (as hours:minutes it would be %s, which is implausible)"},
	"w.time_as_hmm":     {"“%s”是时刻单元格，按 时:分 读作 %s", "%q is a time-of-day cell; read as hours:minutes = %s"},
	"w.seg_long":        {"环节“%s”长达 %s，超过 1 小时，请确认", "segment %q runs %s, over an hour; check it"},
	"w.show_long":       {"整场共 %s，超过 6 小时，请确认", "the show runs %s, over 6 hours; check it"},
	"w.total_differs":   {"各环节时长合计 %s，但表上的合计是 %s", "the segments add up to %s but the sheet's total says %s"},
	"w.window_differs":  {"各环节时长合计 %s，但计划时段 %s-%s 是 %s", "the segments add up to %s but the planned slot %s-%s is %s"},
	"w.start_differs":   {"计划开始 %s，但前面环节累计到 %s", "planned start %s, but the rundown before it reaches %s"},
	"w.note_row":        {"第 %d 行看起来是说明，已跳过：%s", "row %d looks like a note and was skipped: %s"},
	"w.total_row":       {"第 %d 行是合计行，用于核对总时长", "row %d is a total row, used to check the show total"},
	"w.sheet_used":      {"使用工作表“%s”，表头在第 %d 行", "using sheet %q, header on row %d"},
	"w.kind_inferred":   {"环节“%s”未写类型，按%s处理", "segment %q has no kind; taken as %s"},
	"w.duration_summed": {"环节“%s”的多行时长相加为 %s", "segment %q: the durations on its rows add up to %s"},
	"w.duration_times":  {"环节“%s”的时长由时间推算为 %s", "segment %q: duration worked out from the times: %s"},
	"w.formula_differs": {"公式结果 %s 与各阶段之和 %s 不一致，按阶段计", "the formula gives %s but the phases add up to %s; the phases are used"},

	// Validation (Validate).
	"v.no_show":                {"没有节目", "no show"},
	"v.show_no_title":          {"节目没有标题", "the show has no title"},
	"v.seg_no_title":           {"环节没有标题", "the segment has no title"},
	"v.empty_point":            {"卖点为空", "empty selling point"},
	"v.point_long":             {"卖点 %s，超过 %s 的提示时长（核心卖点30秒内）", "selling point is %s, longer than the %s cue (核心卖点30秒内)"},
	"v.points_over":            {"卖点需要 %s，但阶段“%s”只有 %s", "selling points need %s but phase %q is %s"},
	"v.planned_phases":         {"计划 %s，但各阶段合计 %s", "planned %s but the phases add up to %s"},
	"v.interactions":           {"共 %d 个互动节点；方案要求 %d 到 %d 个（每场3-5个固定互动节点）", "%d interaction nodes; the plan calls for %d to %d (每场3-5个固定互动节点)"},
	"v.flagships":              {"前 %[2]s 内开始的主推产品只有 %[1]d 款；方案要求 %[3]d 款（前5分钟展示3款主推）", "%d flagship products start within the first %s; the plan calls for %d (前5分钟展示3款主推)"},
	"v.no_opening":             {"没有开场环节", "no opening segment"},
	"v.no_closing":             {"没有收尾环节", "no closing segment"},
	"v.product_plan":           {"产品环节未按 1 分钟核心卖点 + 3 分钟场景演示 + 1 分钟对比 安排：%s", "product segment does not follow 1 min 核心卖点 + 3 min 场景演示 + 1 min 对比: %s"},
	"v.missing_phase":          {"缺少%s", "missing %s"},
	"v.phase_is":               {"%s为 %s", "%s is %s"},
	"v.out_of_order":           {"阶段顺序不对", "phases out of order"},
	"v.phase_count":            {"共 %d 个阶段，应为 3 个", "%d phases instead of 3"},
	"v.list_sep":               {"；", "; "},
	"where.show":               {"节目", "show"},
	"where.segment":            {"第 %d 个环节", "segment %d"},
	"where.phase":              {"第 %d 阶段", "phase %d"},
	"where.point":              {"第 %d 个卖点", "point %d"},
	"where.sep":                {"，", ", "},
	"where.field":              {"%s：%s", "%s: %s"},
	"lint.hit":                 {"%s %s 第 %d 字：“%s” 出现在“%s”", "%s %s@%d: “%s” in “%s”"},
	"loc.segment":              {"环节“%s”", "segment %q"},
	"sev.error":                {"错误", "error"},
	"sev.warning":              {"警告", "warning"},
	"sev.note":                 {"说明", "note"},
	"import.problems":          {"%s：%d 个问题", "%s: %d problems"},
	"kind.opening":             {"开场", "opening"},
	"kind.product":             {"产品", "product"},
	"kind.interaction":         {"互动", "interaction"},
	"kind.break":               {"休息", "break"},
	"kind.closing":             {"收尾", "closing"},
	"field.id":                 {"编号", "id"},
	"field.title":              {"标题", "title"},
	"field.kind":               {"类型", "kind"},
	"field.duration":           {"时长", "duration"},
	"field.notes":              {"备注", "notes"},
	"field.product":            {"产品", "product"},
	"field.flagship":           {"主推", "flagship"},
	"field.preset":             {"预设", "preset"},
	"field.phase":              {"阶段", "phase"},
	"field.point":              {"卖点", "point"},
	"field.points":             {"卖点", "points"},
	"field.text":               {"内容", "text"},
	"field.name":               {"名称", "name"},
	"field.segments":           {"环节列表", "segments"},
	"field.phases":             {"阶段", "phases"},
	"field.show":               {"节目", "show"},
	"field.segment":            {"环节", "segment"},
	"field.start":              {"开始时间", "start"},
	"field.host_lines":         {"话术", "host lines"},
	"field.interaction":        {"互动", "interaction"},
	"field.point_cue":          {"卖点提示", "point_cue"},
	"field.warning":            {"预警", "warning"},
	"field.danger":             {"危险", "danger"},
	"field.time":               {"时间", "time"},
	"field.recall_preset":      {"调用预设", "recall_preset"},
	"field.adjustment_windows": {"调整窗口", "adjustment_windows"},
}
