package scripts

import (
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/width"
)

// Cell is one cell of a run sheet as the importer sees it.
type Cell struct {
	// Text is the cell's text; for a number, its raw value.
	Text string
	// Num is the value of a numeric cell (a number, date, time or duration).
	Num   float64
	IsNum bool
	// Format is the number format code, lower-case ("[mm]:ss", "hh:mm");
	// "" for General and text cells.
	Format string
	// Formula is set when the cell holds a formula; Num/Text are its
	// cached result.
	Formula bool
}

// Sheet is one sheet of a workbook (or a whole CSV file), as cells.
type Sheet struct {
	Name   string
	Rows   [][]Cell
	Merges []CellRange
}

// CellRange is a merged range, 0-based and inclusive.
type CellRange struct{ Row1, Col1, Row2, Col2 int }

// Workbook is a run-sheet file read into cells: every sheet of an XLSX
// workbook, or the one table of a CSV file.
type Workbook struct {
	File   string
	Sheets []*Sheet
	// sanitized is set when invalid UTF-8 was replaced by U+FFFD, so cells
	// holding it can be named.
	sanitized bool
}

func (sh *Sheet) cell(r, c int) Cell {
	if r < 0 || r >= len(sh.Rows) || c < 0 || c >= len(sh.Rows[r]) {
		return Cell{}
	}
	return sh.Rows[r][c]
}

// mergeAt returns the merged range holding (r, c), if any.
func (sh *Sheet) mergeAt(r, c int) (CellRange, bool) {
	for _, m := range sh.Merges {
		if r >= m.Row1 && r <= m.Row2 && c >= m.Col1 && c <= m.Col2 {
			return m, true
		}
	}
	return CellRange{}, false
}

// Field is what a run-sheet column holds.
type Field string

// The fields a column can be mapped to.
const (
	FieldUnknown       Field = ""       // kept: cells go into the notes
	FieldIgnore        Field = "ignore" // dropped
	FieldID            Field = "id"
	FieldTime          Field = "time"    // planned time of day: 20:00 or 20:00-20:05
	FieldOffset        Field = "elapsed" // planned start from the top of the show
	FieldDuration      Field = "duration"
	FieldTitle         Field = "title"
	FieldKind          Field = "kind"
	FieldProduct       Field = "product"
	FieldFlagship      Field = "flagship"
	FieldPoints        Field = "point"
	FieldHostLines     Field = "host_lines"
	FieldInteraction   Field = "interaction"
	FieldPreset        Field = "preset"
	FieldRecallPreset  Field = "recall_preset"
	FieldNotes         Field = "notes"
	FieldPhase         Field = "phase"
	FieldPhaseDuration Field = "phase_duration"
	FieldPointDuration Field = "point_duration"
)

// Fields lists the mappable fields in the order a mapping editor offers them.
var Fields = []Field{
	FieldID, FieldTime, FieldOffset, FieldDuration, FieldTitle, FieldKind, FieldProduct, FieldFlagship,
	FieldPoints, FieldHostLines, FieldInteraction, FieldPreset, FieldRecallPreset, FieldNotes,
	FieldPhase, FieldPhaseDuration, FieldPointDuration, FieldUnknown, FieldIgnore,
}

// fieldHeaders are the header words for each field, normalised (see
// normaliseHeader). The first is the one export writes.
var fieldHeaders = []struct {
	field Field
	words []string
}{
	{FieldID, []string{"序号", "编号", "序", "no", "no.", "#", "id", "顺序", "排序", "number"}},
	{FieldTime, []string{"开始时间", "时间", "时间段", "时段", "时间点", "开始", "计划时间", "计划开始", "直播时间", "time", "start", "starttime", "timeslot", "slot"}},
	{FieldOffset, []string{"开播后", "已播", "累计时间", "累计", "elapsed", "offset"}},
	{FieldDuration, []string{"时长", "用时", "持续时间", "时间长度", "预计时长", "计划时长", "环节时长", "时长分钟", "分钟", "秒数", "duration", "length", "mins", "minutes", "min"}},
	{FieldTitle, []string{"环节", "环节名称", "流程", "直播流程", "内容", "直播内容", "项目", "板块", "环节内容", "segment", "title", "item", "block"}},
	{FieldKind, []string{"类型", "环节类型", "类别", "性质", "kind", "type", "category"}},
	{FieldProduct, []string{"产品", "商品", "品名", "商品名称", "产品名称", "款式", "商品名", "product", "sku", "goods"}},
	{FieldFlagship, []string{"主推", "是否主推", "爆款", "主推款", "flagship", "hero"}},
	{FieldPoints, []string{"卖点", "产品卖点", "核心卖点", "讲解要点", "要点", "卖点提炼", "sellingpoints", "points", "keypoints", "point"}},
	{FieldHostLines, []string{"话术", "主播话术", "口播", "台词", "参考话术", "话术要点", "hostlines", "lines", "script", "talkingpoints"}},
	{FieldInteraction, []string{"互动", "互动内容", "福利", "互动/福利", "福利/互动", "interaction", "coupon", "vote"}},
	{FieldPreset, []string{"预设", "场景", "场景预设", "机位", "preset", "scene"}},
	{FieldRecallPreset, []string{"调用预设", "切换场景", "recall_preset", "recall"}},
	{FieldNotes, []string{"备注", "说明", "注意事项", "备注说明", "notes", "note", "remarks", "memo", "comment"}},
	{FieldPhase, []string{"阶段", "phase"}},
	{FieldPhaseDuration, []string{"阶段时长", "phase_duration", "phaseduration"}},
	{FieldPointDuration, []string{"卖点时长", "point_duration", "pointduration"}},
}

// containsWords are looser matches for headers no exact word fits, most
// specific first ("阶段时长" before "时长").
var containsWords = []struct {
	word  string
	field Field
}{
	{"阶段时长", FieldPhaseDuration}, {"卖点时长", FieldPointDuration}, {"调用预设", FieldRecallPreset},
	{"话术", FieldHostLines}, {"口播", FieldHostLines}, {"台词", FieldHostLines},
	{"卖点", FieldPoints}, {"时长", FieldDuration}, {"开始时间", FieldTime}, {"时间", FieldTime},
	{"环节", FieldTitle}, {"流程", FieldTitle}, {"类型", FieldKind},
	{"商品", FieldProduct}, {"产品", FieldProduct}, {"主推", FieldFlagship},
	{"互动", FieldInteraction}, {"福利", FieldInteraction}, {"备注", FieldNotes},
	{"duration", FieldDuration}, {"host", FieldHostLines}, {"selling", FieldPoints},
}

// IsDuration reports the fields read as lengths, whose unit a header
// (or the producer) may give.
func (f Field) IsDuration() bool {
	return f == FieldDuration || f == FieldPhaseDuration || f == FieldPointDuration || f == FieldOffset
}

// In names the field in l, for the mapping editor and messages.
func (f Field) In(l Lang) string {
	key := "map." + string(f)
	if f == FieldUnknown {
		key = "map.unknown"
	}
	return M(key).In(l)
}

// normaliseHeader folds width and case, drops blanks and a trailing unit
// ("时长(分钟)", "时长（秒）", "Duration [min]", "时长/分"), and returns the
// header word and the unit it gave (0: none).
func normaliseHeader(h string) (string, time.Duration) {
	t := strings.ToLower(width.Fold.String(strings.TrimSpace(h)))
	t = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '*' || r == '：' || r == ':' {
			return -1
		}
		return r
	}, t)
	var unit time.Duration
	for _, br := range []struct{ open, close string }{{"(", ")"}, {"[", "]"}, {"【", "】"}, {"/", ""}} {
		i := strings.LastIndex(t, br.open)
		if i <= 0 {
			continue
		}
		inner := strings.TrimSuffix(t[i+len(br.open):], br.close)
		if br.close != "" && !strings.HasSuffix(t, br.close) {
			continue
		}
		if u, ok := unitWord(inner); ok {
			unit, t = u, t[:i]
			break
		}
	}
	if unit == 0 {
		for _, suf := range []string{"分钟", "秒", "min", "mins", "s"} {
			if strings.HasSuffix(t, suf) && len(t) > len(suf) {
				if base := strings.TrimSuffix(t, suf); base == "时长" || base == "duration" || base == "用时" {
					unit, _ = unitWord(suf)
					t = base
					break
				}
			}
		}
	}
	switch t {
	case "分钟", "mins", "minutes", "min":
		unit = time.Minute
	case "秒数":
		unit = time.Second
	}
	return t, unit
}

func unitWord(w string) (time.Duration, bool) {
	switch w {
	case "分钟", "分", "min", "mins", "minute", "minutes", "m":
		return time.Minute, true
	case "秒", "秒钟", "s", "sec", "secs", "second", "seconds":
		return time.Second, true
	case "小时", "时", "h", "hr", "hrs", "hour", "hours":
		return time.Hour, true
	}
	return 0, false
}

// headerField recognises a header: exact words first, then looser ones.
func headerField(h string) (Field, time.Duration, bool) {
	t, unit := normaliseHeader(h)
	if t == "" {
		return FieldUnknown, 0, false
	}
	for _, fh := range fieldHeaders {
		for _, w := range fh.words {
			if t == w {
				return fh.field, unit, true
			}
		}
	}
	for _, cw := range containsWords {
		if strings.Contains(t, cw.word) {
			return cw.field, unit, true
		}
	}
	return FieldUnknown, unit, false
}

// Column is one column of a mapping.
type Column struct {
	Index  int    // 0-based column
	Header string // as written in the sheet
	Field  Field
	// Unit is what a bare number in a duration column counts (0: bare
	// numbers are refused).
	Unit time.Duration
}

// Mapping says where the rundown is and what each column holds. The
// importer proposes one (DetectMapping); the producer may change it.
type Mapping struct {
	Sheet     string
	HeaderRow int // 0-based
	Columns   []Column
}

// Clone returns an independent copy.
func (m *Mapping) Clone() *Mapping {
	c := *m
	c.Columns = append([]Column(nil), m.Columns...)
	return &c
}

// has reports whether some column is mapped to f.
func (m *Mapping) has(f Field) bool {
	for _, c := range m.Columns {
		if c.Field == f {
			return true
		}
	}
	return false
}

// headerScanRows is how far down a sheet the header row is looked for.
const headerScanRows = 20

// notRundownSheet reports sheet names that hold something else: the show
// settings, interactions (互动), product lists.
func notRundownSheet(name string) bool {
	n := strings.ToLower(strings.TrimSpace(width.Fold.String(name)))
	if n == showSheetName || n == "show" || strings.HasPrefix(n, "互动") {
		return true
	}
	switch n {
	case "interactions", "interaction", "coupons", "votes", "商品", "商品清单", "商品列表", "货盘", "产品清单", "产品列表", "products", "productlist", "product list":
		return true
	}
	return false
}

// rowMapping maps one row as a header row; ok when it names a segment title
// and a duration or time.
func rowMapping(sh *Sheet, r int) (Mapping, int, bool) {
	m := Mapping{Sheet: sh.Name, HeaderRow: r}
	seen := make(map[Field]bool)
	known := 0
	for c, cell := range sh.Rows[r] {
		h := strings.TrimSpace(cell.Text)
		if h == "" || cell.IsNum {
			if h != "" {
				return m, 0, false // a number in a header row: it is data
			}
			continue
		}
		f, unit, ok := headerField(h)
		if f == FieldTime && unit != 0 {
			f = FieldDuration // 时间(分钟) is a length, not a time of day
		}
		if ok && seen[f] && f != FieldNotes && f != FieldPoints && f != FieldHostLines {
			f, ok = FieldUnknown, false // a second column of the same field is kept as notes
		}
		if ok {
			if !seen[f] {
				known++
			}
			seen[f] = true
		}
		m.Columns = append(m.Columns, Column{Index: c, Header: h, Field: f, Unit: unit})
	}
	ok := seen[FieldTitle] && (seen[FieldDuration] || seen[FieldTime] || seen[FieldPhaseDuration])
	return m, known, ok
}

// DetectMapping finds the rundown: the sheet and row within the first rows
// whose headers name the most run-sheet fields, and maps its columns. It
// returns nil when no sheet has such a header.
func (wb *Workbook) DetectMapping() *Mapping {
	var best *Mapping
	bestScore := 0
	for _, sh := range wb.Sheets {
		if len(wb.Sheets) > 1 && notRundownSheet(sh.Name) {
			continue // a sheet of something else next to the rundown
		}
		for r := 0; r < len(sh.Rows) && r < headerScanRows; r++ {
			m, score, ok := rowMapping(sh, r)
			if ok && score > bestScore {
				mm := m
				best, bestScore = &mm, score
			}
		}
	}
	return best
}

// sheetSummary says what headers a sheet has, for the "no rundown" error.
func sheetSummary(sh *Sheet) Msg {
	bestKnown, bestRow := 0, -1
	for r := 0; r < len(sh.Rows) && r < headerScanRows; r++ {
		if _, k, _ := rowMapping(sh, r); k > bestKnown {
			bestKnown, bestRow = k, r
		}
	}
	if bestRow < 0 {
		return M("e.sheet_nothing", sh.Name)
	}
	var words []string
	for _, c := range sh.Rows[bestRow] {
		if t := strings.TrimSpace(c.Text); t != "" {
			words = append(words, t)
		}
	}
	return M("e.sheet_found", sh.Name, strings.Join(words, ", "))
}

// isTotalLabel reports the labels of a total row.
func isTotalLabel(s string) bool {
	switch strings.ToLower(strings.TrimSpace(width.Fold.String(s))) {
	case "合计", "总计", "总时长", "共计", "合计时长", "小计", "total", "sum", "总计时长":
		return true
	}
	return false
}

// isNoteText reports text that plainly is a note, not a segment.
func isNoteText(s string) bool {
	t := strings.TrimSpace(width.Fold.String(s))
	for _, p := range []string{"注:", "注：", "备注:", "备注：", "说明:", "说明：", "提示:", "提示：", "ps:", "PS:", "ps：", "PS：", "Note:", "note:", "※", "*", "【注", "[注", "（注", "(注"} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}

// timeOfDay is seconds after midnight.
type timeOfDay int

func (t timeOfDay) String() string {
	s := int(t) % 86400
	if s%60 != 0 {
		return pad2(int64(s/3600)) + ":" + pad2(int64(s/60%60)) + ":" + pad2(int64(s%60))
	}
	return pad2(int64(s/3600)) + ":" + pad2(int64(s/60%60))
}

func (t timeOfDay) In(Lang) string { return t.String() }

// parseTimeOfDay reads "20:00" or "20:00:30" (half- or full-width).
func parseTimeOfDay(s string) (timeOfDay, bool) {
	t := normaliseDurationText(s)
	parts := strings.Split(t, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	var n [3]int
	for i, p := range parts {
		if p == "" || len(p) > 2 {
			return 0, false
		}
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || (i > 0 && (len(p) != 2 || v > 59)) || (i == 0 && v > 24) {
			return 0, false
		}
		n[i] = v
	}
	if n[0] == 24 && (n[1] != 0 || n[2] != 0) {
		return 0, false
	}
	return timeOfDay(n[0]*3600 + n[1]*60 + n[2]), true
}

// parseTimeRange reads "20:00", "20:00-20:05", "20:00~20:05", "20:00至20:05".
func parseTimeRange(s string) (start, end timeOfDay, hasEnd, ok bool) {
	t := strings.TrimSpace(width.Fold.String(s))
	for _, sep := range []string{"-", "~", "—", "–", "至", "到", "〜"} {
		if a, b, cut := strings.Cut(t, sep); cut {
			s1, ok1 := parseTimeOfDay(a)
			s2, ok2 := parseTimeOfDay(b)
			return s1, s2, true, ok1 && ok2
		}
	}
	s1, ok1 := parseTimeOfDay(t)
	return s1, 0, false, ok1
}

// MappingAt maps the given row of a sheet as the header row (0-based), for
// a producer who picks another sheet or header row than the detected one.
func (wb *Workbook) MappingAt(sheet string, row int) *Mapping {
	for _, sh := range wb.Sheets {
		if sh.Name == sheet {
			if row < 0 || row >= len(sh.Rows) {
				return &Mapping{Sheet: sheet, HeaderRow: row}
			}
			m, _, _ := rowMapping(sh, row)
			return &m
		}
	}
	return &Mapping{Sheet: sheet, HeaderRow: row}
}

// ColumnLetter names a 0-based column as the sheet does: A, B, …, AA.
func ColumnLetter(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

// cleanText normalises line ends inside a cell to \n and drops the other
// control characters, which no spreadsheet shows and XLSX cannot hold.
func cleanText(s string) string {
	clean := true
	for _, r := range s {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return -1
		}
		return r
	}, s)
}
