package scripts

import (
	"math"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/width"
)

// Severity ranks an import problem.
type Severity int

// Errors stop the import; warnings and notes are shown before it.
const (
	SevError Severity = iota
	SevWarning
	SevNote
)

// In names the severity in l.
func (s Severity) In(l Lang) string {
	switch s {
	case SevError:
		return M("sev.error").In(l)
	case SevWarning:
		return M("sev.warning").In(l)
	}
	return M("sev.note").In(l)
}

// Problem is one error, warning or note of an import, located by sheet and
// cell (a *LoadError renders it in either language).
type Problem struct {
	Severity Severity
	*LoadError
}

// Preview is what an import would give, before anything is committed:
// the sheet and header row used, the column mapping, the show (best
// effort, for display) and every problem found, all at once.
type Preview struct {
	File   string
	Sheets []string
	// Mapping is nil when no sheet has a run-sheet header.
	Mapping *Mapping
	Show    *Show
	// SegmentRows are the 1-based sheet rows where each segment starts.
	SegmentRows []int
	Problems    []Problem
}

// Errors returns the problems that stop the import.
func (p *Preview) Errors() []*LoadError {
	var out []*LoadError
	for _, pr := range p.Problems {
		if pr.Severity == SevError {
			out = append(out, pr.LoadError)
		}
	}
	return out
}

// Result is the imported show, or an *ImportError with every error: all or
// nothing.
func (p *Preview) Result() (*Show, error) {
	if errs := p.Errors(); len(errs) > 0 {
		return nil, &ImportError{File: p.File, Errs: errs}
	}
	if p.Show == nil {
		return nil, &ImportError{File: p.File, Errs: []*LoadError{{File: p.File, Err: ErrNoRundown}}}
	}
	return p.Show, nil
}

// ImportError lists every error of an import. errors.As finds the first
// *LoadError, errors.Is the sentinels of any of them.
type ImportError struct {
	File string
	Errs []*LoadError
}

func (e *ImportError) Error() string { return e.In(LangEN) }

// In renders every error, one per line, in l.
func (e *ImportError) In(l Lang) string {
	if len(e.Errs) == 1 {
		return e.Errs[0].In(l)
	}
	lines := []string{M("import.problems", e.File, len(e.Errs)).In(l)}
	for _, le := range e.Errs {
		lines = append(lines, "  "+le.In(l))
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the errors, for errors.Is and errors.As.
func (e *ImportError) Unwrap() []error {
	out := make([]error, len(e.Errs))
	for i, le := range e.Errs {
		out[i] = le
	}
	return out
}

// extraSheetReaders read other sheets of a run-sheet workbook into the
// show (an 互动 sheet of coupons and votes, say); they report problems on
// the preview with AddProblem. Register them from init.
var extraSheetReaders []func(wb *Workbook, s *Show, p *Preview)

// extraSheetWriters add sheets to an exported workbook.
var extraSheetWriters []func(f *excelize.File, s *Show) error

// AddProblem records a problem found by an extra sheet reader.
func (p *Preview) AddProblem(sev Severity, e *LoadError) { p.add(sev, e) }

// Plausibility limits: beyond them the importer warns before importing.
const (
	plausibleSegment = time.Hour
	plausibleShow    = 6 * time.Hour
)

// Preview maps the workbook (with m, or the detected mapping when m is nil)
// and builds the show it holds, collecting every problem.
func (wb *Workbook) Preview(m *Mapping) *Preview {
	p := &Preview{File: wb.File}
	for _, sh := range wb.Sheets {
		p.Sheets = append(p.Sheets, sh.Name)
	}
	if m == nil {
		m = wb.DetectMapping()
	}
	if m == nil {
		var found []Msg
		for _, sh := range wb.Sheets {
			found = append(found, sheetSummary(sh))
		}
		p.add(SevError, &LoadError{File: wb.File, Err: errf("e.no_rundown", ErrNoRundown, msgList(found))})
		return p
	}
	var sh *Sheet
	for _, s := range wb.Sheets {
		if s.Name == m.Sheet {
			sh = s
		}
	}
	if sh == nil {
		p.add(SevError, &LoadError{File: wb.File, Sheet: m.Sheet, Err: errf("e.no_rundown", ErrNoRundown, M("e.sheet_nothing", m.Sheet))})
		return p
	}
	p.Mapping = m.Clone()
	b := &builder{wb: wb, sh: sh, m: p.Mapping, p: p}
	b.build()
	// Errors first, then warnings, then notes; each in sheet order.
	sort.SliceStable(p.Problems, func(i, j int) bool {
		a, b := p.Problems[i], p.Problems[j]
		if a.Severity != b.Severity {
			return a.Severity < b.Severity
		}
		ra, ca := cellOrder(a.Cell)
		rb, cb := cellOrder(b.Cell)
		return ra < rb || (ra == rb && ca < cb)
	})
	return p
}

func (p *Preview) add(sev Severity, e *LoadError) {
	p.Problems = append(p.Problems, Problem{Severity: sev, LoadError: e})
}

// builder turns the rows of the rundown sheet into a show.
type builder struct {
	wb *Workbook
	sh *Sheet
	m  *Mapping
	p  *Preview

	cols     map[Field][]Column
	segs     []*segBuild
	mmss     map[int]bool // duration columns whose h:mm time cells read as mm:ss
	total    time.Duration
	totalRow int
	window   [2]timeOfDay
	hasWin   bool
	title    string
	settings *Show
}

type segBuild struct {
	seg       Segment
	row       int // 0-based first row
	firstVals map[Field]string
	hasDur    bool
	durRow    int
	formula   bool
	formulaV  time.Duration
	start     timeOfDay
	end       timeOfDay
	hasStart  bool
	hasEnd    bool
	offset    time.Duration
	hasOffset bool
	offsetRow int
	loose     []SellingPoint
	looseRow  int
	curPhase  int
	notes     []string
	kindRow   int
	durBad    bool
}

func (b *builder) fail(sev Severity, col, row int, field string, err error) {
	b.p.add(sev, &LoadError{File: b.wb.File, Sheet: b.sh.Name, Cell: cellName(col+1, row+1), Field: field, Err: err})
}

func (b *builder) warn(sev Severity, col, row int, m Msg) {
	b.fail(sev, col, row, "", &msgError{msg: m})
}

// colOf is the first column of f, or -1.
func (b *builder) colOf(f Field) int {
	if cs := b.cols[f]; len(cs) > 0 {
		return cs[0].Index
	}
	return -1
}

// colOr is the column of f, else of the title, for locating problems.
func (b *builder) colOr(f Field) int {
	if c := b.colOf(f); c >= 0 {
		return c
	}
	if c := b.colOf(FieldTitle); c >= 0 {
		return c
	}
	return 0
}

func (b *builder) text(r, c int) string {
	v := b.sh.cell(r, c).Text
	return strings.TrimSpace(v)
}

func (b *builder) build() {
	b.cols = make(map[Field][]Column)
	for _, c := range b.m.Columns {
		b.cols[c.Field] = append(b.cols[c.Field], c)
		if c.Field == FieldUnknown && strings.TrimSpace(c.Header) != "" {
			b.warn(SevWarning, c.Index, b.m.HeaderRow, M("w.unknown_column", c.Header))
		}
	}
	for f, cs := range b.cols {
		if len(cs) > 1 && f != FieldUnknown && f != FieldIgnore && f != FieldNotes && f != FieldPoints && f != FieldHostLines {
			b.fail(SevError, cs[1].Index, b.m.HeaderRow, "", errf("e.column_twice", ErrBadValue, cs[1].Header, cellName(cs[0].Index+1, b.m.HeaderRow+1)))
		}
	}
	if !b.m.has(FieldTitle) {
		b.fail(SevError, len(b.m.Columns), b.m.HeaderRow, "", errf("e.unknown_field", ErrMissingColumn, M("map.title")))
	}
	if !b.m.has(FieldDuration) && !b.m.has(FieldTime) && !b.m.has(FieldPhaseDuration) {
		b.fail(SevError, len(b.m.Columns), b.m.HeaderRow, "", errf("e.unknown_field", ErrMissingColumn, M("map.duration")))
	}
	b.p.add(SevNote, &LoadError{File: b.wb.File, Sheet: b.sh.Name, Err: &msgError{msg: M("w.sheet_used", b.sh.Name, b.m.HeaderRow+1)}})
	b.readAbove()
	b.decideTimeCells()
	b.readRows()
	// Work is bounded by structure, not only bytes: cells are capped while
	// reading, segments here, before anything is built from them.
	if len(b.segs) > MaxSegments {
		b.p.add(SevError, checkSegmentCount(b.wb.File, len(b.segs)).(*LoadError))
		return
	}
	b.finish()
}

var windowRE = regexp.MustCompile(`(\d{1,2}[:：]\d{2})\s*[-~～—–至到]\s*(\d{1,2}[:：]\d{2})`)

// readAbove reads the rows above the header: show settings written as
// label/value pairs (节目标题, 编号, …), a title, and a planned slot.
func (b *builder) readAbove() {
	for r := 0; r < b.m.HeaderRow && r < len(b.sh.Rows); r++ {
		row := b.sh.Rows[r]
		pairs := false
		for c := 0; c+1 < len(row); c += 2 {
			if f, ok := showField(row[c].Text); ok {
				pairs = true
				if b.settings == nil {
					b.settings = &Show{}
				}
				b.showSetting(b.settings, f, strings.TrimSpace(row[c+1].Text), c+1, r)
			}
		}
		if pairs {
			continue
		}
		for _, cell := range row {
			t := strings.TrimSpace(cell.Text)
			if t == "" || cell.IsNum {
				continue
			}
			if b.title == "" {
				b.title = t
			}
			if m := windowRE.FindStringSubmatch(width.Fold.String(t)); m != nil && !b.hasWin {
				s1, ok1 := parseTimeOfDay(m[1])
				s2, ok2 := parseTimeOfDay(m[2])
				if ok1 && ok2 {
					b.window, b.hasWin = [2]timeOfDay{s1, s2}, true
				}
			}
		}
	}
}

// showField recognises the label of a show setting.
func showField(label string) (runColumn, bool) {
	h := strings.ToLower(strings.TrimSpace(width.Fold.String(label)))
	if h == "节目标题" || h == "节目" {
		h = "标题"
	}
	for _, c := range showFields {
		if h == c.key || h == c.zh {
			return c, true
		}
	}
	return runColumn{}, false
}

// decideTimeCells chooses, per duration column, how to read time-of-day
// cells without seconds ("05:00" formatted h:mm): as hours:minutes, unless
// one of them would then make an implausible segment — then the whole
// column reads as minutes:seconds, which is what was typed.
func (b *builder) decideTimeCells() {
	b.mmss = make(map[int]bool)
	for _, f := range []Field{FieldDuration, FieldPhaseDuration, FieldPointDuration} {
		for _, c := range b.cols[f] {
			for r := b.m.HeaderRow + 1; r < len(b.sh.Rows); r++ {
				cell := b.sh.cell(r, c.Index)
				if cell.IsNum && !cell.Formula && isClockFormat(cell.Format) && !strings.Contains(cell.Format, "s") &&
					cell.Num*24 > plausibleSegment.Hours() {
					b.mmss[c.Index] = true
				}
			}
		}
	}
}

// isClockFormat reports a time or duration number format.
func isClockFormat(f string) bool {
	f = stripFormatLiterals(f)
	return strings.Contains(f, "h") || strings.Contains(f, "s") || (strings.Contains(f, "m") && strings.Contains(f, ":") && !strings.Contains(f, "y") && !strings.Contains(f, "d"))
}

// isDateFormat reports a date format (day, month or year fields).
func isDateFormat(f string) bool {
	f = stripFormatLiterals(f)
	if isClockFormat(f) && !strings.ContainsAny(f, "yd") {
		return false
	}
	return strings.ContainsAny(f, "yd") || (strings.Contains(f, "m") && !strings.Contains(f, ":"))
}

// stripFormatLiterals drops quoted text, escapes and [$-…] locale tags
// (but keeps [h], [mm], [ss]).
func stripFormatLiterals(f string) string {
	var out strings.Builder
	inQuote := false
	for i := 0; i < len(f); i++ {
		c := f[i]
		switch {
		case c == '"':
			inQuote = !inQuote
		case inQuote:
		case c == '\\' || c == '_' || c == '*':
			i++
		case c == '[':
			j := strings.IndexByte(f[i:], ']')
			if j < 0 {
				return out.String()
			}
			tag := f[i+1 : i+j]
			if tag != "" && strings.Trim(tag, "hms") == "" {
				out.WriteString(tag)
			}
			i += j
		default:
			out.WriteByte(c)
		}
	}
	return out.String()
}

// durationCell reads a cell of a duration column.
func (b *builder) durationCell(r int, col Column, field string) (time.Duration, bool) {
	cell := b.sh.cell(r, col.Index)
	text := strings.TrimSpace(cell.Text)
	if text == "" {
		return 0, false
	}
	if !cell.IsNum {
		d, err := parseDurationUnit(text, col.Unit)
		if err != nil {
			b.fail(SevError, col.Index, r, field, err)
			return 0, false
		}
		return d, true
	}
	v := cell.Num
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		b.fail(SevError, col.Index, r, field, errf("e.quoted_detail", text, ErrBadDuration, M("e.negative")))
		return 0, false
	}
	switch {
	case isDateFormat(cell.Format):
		b.fail(SevError, col.Index, r, field, errf("e.date_cell", text, ErrBadDuration))
		return 0, false
	case isClockFormat(cell.Format):
		if v*86400 > maxDuration.Seconds() {
			b.fail(SevError, col.Index, r, field, errf("e.quoted_detail", text, ErrBadDuration, M("e.over", maxDuration)))
			return 0, false
		}
		d := time.Duration(math.Round(v*86400)) * time.Second
		if strings.Contains(stripFormatLiterals(cell.Format), "s") || cell.Formula {
			return d, true // a real duration (or a computed one): exact
		}
		shown := timeOfDay(math.Round(v * 86400)).String()
		if b.mmss[col.Index] {
			mmss := d / 60
			b.warn(SevNote, col.Index, r, M("w.time_as_mmss", shown, clockText(mmss), clockText(d)))
			return mmss, true
		}
		b.warn(SevNote, col.Index, r, M("w.time_as_hmm", shown, clockText(d)))
		return d, true
	}
	if col.Unit == 0 {
		b.fail(SevError, col.Index, r, field, errf("e.bare_number", text, ErrBadDuration))
		return 0, false
	}
	d := time.Duration(math.Round(v*float64(col.Unit)/float64(time.Second))) * time.Second
	if d > maxDuration {
		b.fail(SevError, col.Index, r, field, errf("e.quoted_detail", text, ErrBadDuration, M("e.over", maxDuration)))
		return 0, false
	}
	return d, true
}

// quietDuration reads a length that is only checked against the rundown
// (a 合计 row, an elapsed column): up to a whole show, and without an error
// when it cannot be read — the check is then skipped.
func (b *builder) quietDuration(r int, col Column) (time.Duration, bool) {
	cell := b.sh.cell(r, col.Index)
	text := strings.TrimSpace(cell.Text)
	switch {
	case text == "":
		return 0, false
	case !cell.IsNum:
		if t := normaliseDurationText(text); strings.Count(t, ":") == 2 {
			// h:mm:ss may pass 24 h on a long show.
			parts := strings.Split(t, ":")
			h, err := strconv.Atoi(parts[0])
			if rest, ok := parseClock("0:" + parts[1] + ":" + parts[2]); ok && err == nil && h >= 0 && h < int(maxShowDuration/time.Hour) {
				return time.Duration(h)*time.Hour + rest, true
			}
		}
		d, err := parseDurationUnit(text, col.Unit)
		return d, err == nil
	case isClockFormat(cell.Format) && !isDateFormat(cell.Format) && cell.Num >= 0 && cell.Num*86400 <= maxShowDuration.Seconds():
		return time.Duration(math.Round(cell.Num*86400)) * time.Second, true
	case col.Unit > 0 && cell.Num >= 0 && cell.Num*float64(col.Unit) <= float64(maxShowDuration):
		return time.Duration(math.Round(cell.Num*float64(col.Unit)/float64(time.Second))) * time.Second, true
	}
	return 0, false
}

// timeCell reads a cell of the time-of-day column.
func (b *builder) timeCell(r, c int) (start, end timeOfDay, hasEnd, ok bool) {
	cell := b.sh.cell(r, c)
	text := strings.TrimSpace(cell.Text)
	if text == "" {
		return 0, 0, false, false
	}
	if cell.IsNum && (isClockFormat(cell.Format) || (cell.Num >= 0 && cell.Num < 1)) {
		frac := cell.Num - math.Floor(cell.Num)
		return timeOfDay(math.Round(frac*86400)) % 86400, 0, false, true
	}
	s, e, he, good := parseTimeRange(text)
	if !good {
		b.fail(SevWarning, c, r, "", errf("e.bad_time", text, ErrBadValue))
		return 0, 0, false, false
	}
	return s, e, he, true
}

// rowVals are the texts of one row by field; multi-column fields joined.
func (b *builder) rowVals(r int) (map[Field]string, int, int) {
	vals := make(map[Field]string)
	nonEmpty, only := 0, -1
	for _, c := range b.m.Columns {
		cell := b.sh.cell(r, c.Index)
		v := strings.TrimSpace(cell.Text)
		if b.wb.sanitized && strings.ContainsRune(v, '\uFFFD') {
			b.fail(SevError, c.Index, r, "", ErrBadUTF8)
			v = ""
		}
		if v == "" || c.Field == FieldIgnore {
			continue
		}
		nonEmpty++
		only = c.Index
		if c.Field == FieldUnknown {
			vals[FieldUnknown] = joinLines(vals[FieldUnknown], c.Header+"："+v)
			continue
		}
		vals[c.Field] = joinLines(vals[c.Field], v)
	}
	return vals, nonEmpty, only
}

func joinLines(a, b string) string {
	if a == "" {
		return b
	}
	return a + "\n" + b
}

// segmentFields are read from a segment's first row; later rows may only
// repeat them.
var segmentFields = []Field{FieldKind, FieldProduct, FieldFlagship, FieldPreset, FieldRecallPreset, FieldInteraction}

func (b *builder) readRows() {
	var cur *segBuild
	for r := b.m.HeaderRow + 1; r < len(b.sh.Rows); r++ {
		vals, nonEmpty, only := b.rowVals(r)
		if nonEmpty == 0 {
			continue
		}
		label := vals[FieldTitle]
		if label == "" && nonEmpty == 1 {
			label = b.text(r, only)
		}
		if isTotalLabel(label) || isTotalLabel(vals[FieldID]) {
			if cs := b.cols[FieldDuration]; len(cs) > 0 && (!b.sh.cell(r, cs[0].Index).Formula || b.sh.cell(r, cs[0].Index).IsNum) {
				if d, ok := b.quietDuration(r, cs[0]); ok {
					b.total, b.totalRow = d, r
				}
			}
			b.warn(SevNote, b.colOr(FieldTitle), r, M("w.total_row", r+1))
			continue
		}
		if nonEmpty == 1 {
			mr, merged := b.sh.mergeAt(r, only)
			wide := merged && mr.Col2 > mr.Col1 && mr.Row1 == r
			// A lone selling point or host line continues its segment
			// whatever it starts with.
			content := false
			for _, c := range b.m.Columns {
				content = content || (c.Index == only && (c.Field == FieldPoints || c.Field == FieldHostLines || c.Field == FieldPhase))
			}
			if wide || (!content && isNoteText(b.text(r, only))) {
				b.warn(SevNote, only, r, M("w.note_row", r+1, b.text(r, only)))
				continue
			}
		}
		id, title := vals[FieldID], vals[FieldTitle]
		newSeg := false
		switch {
		case cur == nil:
			newSeg = true
		case id != "" && id != cur.seg.ID:
			newSeg = true
		case id == "" && title != "" && title != cur.seg.Title:
			newSeg = true
		}
		if newSeg {
			if title == "" && id == "" {
				b.fail(SevError, b.colOr(FieldTitle), r, "title", errf("e.no_title", ErrMissingField))
				continue
			}
			cur = &segBuild{seg: Segment{ID: id, Title: title}, row: r, firstVals: vals, curPhase: -1, kindRow: r, looseRow: -1}
			b.segs = append(b.segs, cur)
			b.segmentRow(cur, vals, r)
		} else {
			b.continuationRow(cur, vals, r)
		}
		b.pointsAndPhases(cur, vals, r)
	}
}

func (b *builder) segmentRow(cur *segBuild, vals map[Field]string, r int) {
	g := &cur.seg
	g.Kind = SegmentKind(vals[FieldKind])
	g.Product = vals[FieldProduct]
	g.PresetID = vals[FieldPreset]
	g.Interaction = vals[FieldInteraction]
	for _, fl := range []struct {
		f   Field
		dst *bool
	}{{FieldFlagship, &g.Flagship}, {FieldRecallPreset, &g.RecallPreset}} {
		v, ok := parseFlag(vals[fl.f])
		if !ok {
			b.fail(SevError, b.colOf(fl.f), r, "", errf("e.want_flag", vals[fl.f], ErrBadValue))
		}
		*fl.dst = v
	}
	if cs := b.cols[FieldDuration]; len(cs) > 0 {
		if cell := b.sh.cell(r, cs[0].Index); cell.Formula && !cell.IsNum {
			// A formula with no value (a CSV): the length is the phases'.
			cur.formula, cur.formulaV, cur.durRow = true, -1, r
		} else if d, ok := b.durationCell(r, cs[0], "duration"); ok {
			g.Duration, cur.hasDur, cur.durRow = d, true, r
			cur.formula, cur.formulaV = cell.Formula, d
		} else if strings.TrimSpace(cell.Text) != "" {
			cur.durBad = true // already reported
		}
	}
	if c := b.colOf(FieldTime); c >= 0 {
		if s, e, he, ok := b.timeCell(r, c); ok {
			cur.start, cur.end, cur.hasEnd, cur.hasStart = s, e, he, true
		}
	}
	if cs := b.cols[FieldOffset]; len(cs) > 0 {
		if d, ok := b.quietDuration(r, cs[0]); ok {
			cur.offset, cur.hasOffset, cur.offsetRow = d, true, r
		}
	}
	b.addNotes(cur, vals)
}

func (b *builder) addNotes(cur *segBuild, vals map[Field]string) {
	if v := vals[FieldNotes]; v != "" {
		cur.notes = append(cur.notes, v)
	}
	if v := vals[FieldUnknown]; v != "" {
		cur.notes = append(cur.notes, v)
	}
	cur.seg.HostLines = append(cur.seg.HostLines, splitLines(vals[FieldHostLines])...)
}

func (b *builder) continuationRow(cur *segBuild, vals map[Field]string, r int) {
	for _, f := range segmentFields {
		if v := vals[f]; v != "" && v != cur.firstVals[f] {
			b.fail(SevError, b.colOf(f), r, "", errf("e.differs_first", v, ErrBadValue, cur.row+1))
		}
	}
	if cs := b.cols[FieldDuration]; len(cs) > 0 && b.text(r, cs[0].Index) != "" {
		// Rows of one segment (its title merged over them) each with a
		// length: the segment runs their sum.
		if d, ok := b.durationCell(r, cs[0], "duration"); ok {
			cur.seg.Duration += d
			cur.hasDur = true
			b.warn(SevNote, cs[0].Index, r, M("w.duration_summed", cur.seg.Title, clockText(cur.seg.Duration)))
		}
	}
	if c := b.colOf(FieldTime); c >= 0 && cur.hasStart {
		if _, e, he, ok := b.timeCell(r, c); ok && he {
			cur.end, cur.hasEnd = e, true
		}
	}
	b.addNotes(cur, vals)
}

// splitLines splits a cell into its non-empty lines.
func splitLines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// stripNumbering drops a list marker: "1. ", "2、", "①", "- ", "• ".
func stripNumbering(s string) string {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	if i > 0 && i < len(t) {
		rest := t[i:]
		switch {
		case strings.HasPrefix(rest, "."):
			if len(rest) > 1 && rest[1] >= '0' && rest[1] <= '9' {
				return t // 1.5倍: a number, not a marker
			}
			return strings.TrimSpace(rest[1:])
		case strings.HasPrefix(rest, "、"), strings.HasPrefix(rest, "）"), strings.HasPrefix(rest, ")"):
			_, n := firstRune(rest)
			return strings.TrimSpace(rest[n:])
		}
		return t
	}
	if r, n := firstRune(t); (r >= '①' && r <= '⑳') || r == '•' || r == '·' || r == '-' || r == '●' || r == '▪' {
		return strings.TrimSpace(t[n:])
	}
	return t
}

func firstRune(s string) (rune, int) {
	for _, r := range s {
		return r, len(string(r))
	}
	return 0, 0
}

func (b *builder) pointsAndPhases(cur *segBuild, vals map[Field]string, r int) {
	g := &cur.seg
	phase := vals[FieldPhase]
	phaseDurCol := b.cols[FieldPhaseDuration]
	hasPhaseDur := len(phaseDurCol) > 0 && b.text(r, phaseDurCol[0].Index) != ""
	switch {
	case phase != "" && (cur.curPhase < 0 || phase != g.Phases[cur.curPhase].Name):
		for _, p := range g.Phases {
			if p.Name == phase {
				b.fail(SevError, b.colOf(FieldPhase), r, "", errf("e.quoted", phase, ErrDuplicatePhase))
			}
		}
		var d time.Duration
		if hasPhaseDur {
			d, _ = b.durationCell(r, phaseDurCol[0], "phase duration")
		}
		g.Phases = append(g.Phases, Phase{Name: phase, Duration: d})
		cur.curPhase = len(g.Phases) - 1
	case hasPhaseDur:
		if cur.curPhase < 0 || phase == "" {
			b.fail(SevError, b.colOr(FieldPhase), r, "phase", errf("e.phase_needs", ErrMissingField))
		} else if d, ok := b.durationCell(r, phaseDurCol[0], "phase duration"); ok && d != g.Phases[cur.curPhase].Duration {
			b.fail(SevError, phaseDurCol[0].Index, r, "", errf("e.differs_phase", b.text(r, phaseDurCol[0].Index), ErrBadValue))
		}
	}
	points := vals[FieldPoints]
	var pointDur time.Duration
	if cs := b.cols[FieldPointDuration]; len(cs) > 0 && b.text(r, cs[0].Index) != "" {
		if points == "" {
			b.fail(SevError, b.colOr(FieldPoints), r, "point", errf("e.point_needs", ErrMissingField))
		}
		pointDur, _ = b.durationCell(r, cs[0], "point duration")
	}
	lines := splitLines(points)
	for _, l := range lines {
		sp := SellingPoint{Text: l}
		if len(lines) > 1 {
			sp.Text = stripNumbering(l) // a numbered list in one cell
		}
		if len(lines) == 1 {
			sp.Duration = pointDur
		}
		if sp.Text == "" {
			continue
		}
		if cur.curPhase < 0 {
			if len(cur.loose) == 0 {
				cur.looseRow = r
			}
			cur.loose = append(cur.loose, sp)
			continue
		}
		g.Phases[cur.curPhase].Points = append(g.Phases[cur.curPhase].Points, sp)
	}
}

// loosePhase names the phase made for selling points written without one.
const loosePhase = "卖点"

func (b *builder) finish() {
	s := &Show{}
	if b.settings != nil {
		*s = *b.settings
	}
	// The 节目 sheet, when there is one, holds the show settings.
	for _, sh := range b.wb.Sheets {
		if n := strings.ToLower(strings.TrimSpace(sh.Name)); sh != b.sh && (n == showSheetName || n == "show") {
			b.readShowSheet(s, sh)
			break
		}
	}
	if s.Title == "" {
		s.Title = b.title
	}
	base := strings.TrimSuffix(filepath.Base(b.wb.File), filepath.Ext(b.wb.File))
	if s.ID == "" {
		s.ID = base
	}
	if s.Title == "" {
		s.Title = base
	}
	ids := make(map[string]int)
	for _, sb := range b.segs {
		if sb.seg.ID != "" {
			if first, dup := ids[sb.seg.ID]; dup {
				b.fail(SevError, b.colOr(FieldID), sb.row, "id", errf("e.first_at", errf("e.quoted", sb.seg.ID, ErrDuplicateID), cellName(b.colOr(FieldID)+1, first+1)))
			} else {
				ids[sb.seg.ID] = sb.row
			}
		}
	}
	for i, sb := range b.segs {
		g := &sb.seg
		if g.ID == "" {
			g.ID = "seg-" + strconv.Itoa(i+1)
			for n := 2; ids[g.ID] != 0; n++ {
				g.ID = "seg-" + strconv.Itoa(i+1) + "-" + strconv.Itoa(n)
			}
			ids[g.ID] = sb.row
		}
		if g.Title == "" {
			g.Title = g.ID
		}
		b.finishKind(sb)
		b.finishDuration(sb, i)
		if len(sb.loose) > 0 {
			if len(g.Phases) > 0 {
				b.fail(SevError, b.colOr(FieldPhase), sb.looseRow, "phase", errf("e.point_phase", ErrMissingField))
			} else if g.Duration > 0 {
				g.Phases = []Phase{{Name: loosePhase, Duration: g.Duration, Points: sb.loose}}
				g.Duration = 0
			}
		}
		if len(g.Phases) > 0 && sb.formula {
			// A 时长 formula (=SUM of the phases) keeps the length computed.
			var sum time.Duration
			for _, p := range g.Phases {
				sum += p.Duration
			}
			if sb.formulaV >= 0 && sum != sb.formulaV {
				b.warn(SevWarning, b.colOr(FieldDuration), sb.durRow, M("w.formula_differs", clockText(sb.formulaV), clockText(sum)))
			}
			g.Duration = 0
		}
		g.Notes = strings.Join(sb.notes, "\n")
		s.Segments = append(s.Segments, *g)
		b.p.SegmentRows = append(b.p.SegmentRows, sb.row+1)
	}
	if len(b.segs) > 0 && b.segs[0].hasStart && s.Start == "" {
		s.Start = b.segs[0].start.String()
	}
	b.readInteractions(s)
	for _, read := range extraSheetReaders {
		read(b.wb, s, b.p)
	}
	b.p.Show = s
	b.plausibility(s)
	if len(b.p.Errors()) == 0 {
		if iss := checkStructure(s); iss != nil {
			b.p.add(SevError, b.locate(s, iss))
		}
	}
}

func (b *builder) finishKind(sb *segBuild) {
	g := &sb.seg
	raw := strings.TrimSpace(string(g.Kind))
	if raw == "" {
		switch k, ok := guessKind(g.Title); {
		case ok:
			g.Kind = k
		default:
			// Most of a rundown is selling: a segment nothing marks
			// otherwise is a product segment, and the preview says so.
			g.Kind = KindProduct
		}
		b.warn(SevNote, b.colOr(FieldKind), sb.kindRow, M("w.kind_inferred", g.Title, kindText(g.Kind)))
		return
	}
	// "发券：coupon-1", "投票(vote-2)": the kind word names the coupon or
	// vote fired at this node.
	if i := strings.IndexAny(raw, ":：(（ "); i > 0 {
		word, name := raw[:i], strings.Trim(raw[i:], ":：()（） ")
		if k := normaliseKind(word); k == KindInteraction && name != "" {
			raw = word
			if g.Interaction == "" {
				g.Interaction = name
			}
		}
	}
	g.Kind = normaliseKind(raw)
	if !knownKind(g.Kind) {
		b.fail(SevError, b.colOr(FieldKind), sb.kindRow, "kind", errf("e.unknown_kind", raw, ErrUnknownKind, M("kinds.accepted")))
	}
}

func (b *builder) finishDuration(sb *segBuild, i int) {
	g := &sb.seg
	if sb.hasDur || sb.durBad || len(g.Phases) > 0 {
		return
	}
	var d time.Duration
	switch {
	case sb.hasStart && sb.hasEnd:
		d = time.Duration((int(sb.end)-int(sb.start)+86400)%86400) * time.Second
	case sb.hasStart && i+1 < len(b.segs) && b.segs[i+1].hasStart:
		d = time.Duration((int(b.segs[i+1].start)-int(sb.start)+86400)%86400) * time.Second
	}
	if d > 0 {
		g.Duration = d
		b.warn(SevNote, b.colOr(FieldTime), sb.row, M("w.duration_times", g.Title, clockText(d)))
		return
	}
	b.fail(SevError, b.colOr(FieldDuration), sb.row, "duration", errf("e.no_duration_row", ErrMissingField))
}

// plausibility warns, before import, about lengths that look like typos.
func (b *builder) plausibility(s *Show) {
	var total time.Duration
	durCol := b.colOr(FieldDuration)
	for i, sb := range b.segs {
		g := &s.Segments[i]
		d := g.Planned()
		if d > plausibleSegment {
			b.warn(SevWarning, durCol, sb.row, M("w.seg_long", g.Title, clockText(d)))
		}
		if sb.hasStart && i > 0 && b.segs[i-1].hasStart {
			want := (int(b.segs[i-1].start) + int(s.Segments[i-1].Planned()/time.Second)) % 86400
			if want != int(sb.start) {
				b.warn(SevWarning, b.colOr(FieldTime), sb.row, M("w.start_differs", sb.start, timeOfDay(want)))
			}
		}
		if sb.hasOffset && sb.offset != total {
			b.warn(SevWarning, b.colOr(FieldOffset), sb.offsetRow, M("w.start_differs", clockText(sb.offset), clockText(total)))
		}
		total += d
	}
	if total > plausibleShow {
		b.warn(SevWarning, durCol, b.m.HeaderRow, M("w.show_long", clockText(total)))
	}
	if b.totalRow > 0 && b.total != total {
		b.warn(SevWarning, durCol, b.totalRow, M("w.total_differs", clockText(total), clockText(b.total)))
	}
	if b.hasWin {
		slot := time.Duration((int(b.window[1])-int(b.window[0])+86400)%86400) * time.Second
		if slot != total {
			b.warn(SevWarning, 0, 0, M("w.window_differs", clockText(total), b.window[0], b.window[1], clockText(slot)))
		}
	}
	if n := len(b.segs); n > 0 && b.segs[n-1].hasStart && b.segs[n-1].hasEnd && len(b.segs) > 0 && b.segs[0].hasStart {
		span := time.Duration((int(b.segs[n-1].end)-int(b.segs[0].start)+86400)%86400) * time.Second
		if span != total && !b.hasWin {
			b.warn(SevWarning, b.colOr(FieldTime), b.segs[n-1].row, M("w.window_differs", clockText(total), b.segs[0].start, b.segs[n-1].end, clockText(span)))
		}
	}
}

// locate turns a structure issue into a located error.
func (b *builder) locate(s *Show, iss *issue) *LoadError {
	e := &LoadError{File: b.wb.File, Sheet: b.sh.Name, Field: iss.label(), Err: iss.err}
	if iss.seg < 0 || iss.seg >= len(b.segs) {
		return e
	}
	col := b.colOr(FieldTitle)
	switch {
	case iss.phase >= 0:
		col = b.colOr(FieldPhaseDuration)
	case iss.field == "duration":
		col = b.colOr(FieldDuration)
	case iss.field == "kind":
		col = b.colOr(FieldKind)
	case iss.field == "id":
		col = b.colOr(FieldID)
	}
	e.Cell = cellName(col+1, b.segs[iss.seg].row+1)
	return e
}

// readShowSheet reads the 节目 sheet: label/value pairs in columns A and B.
func (b *builder) readShowSheet(s *Show, sh *Sheet) {
	seen := make(map[string]bool)
	for r, row := range sh.Rows {
		if len(row) == 0 || strings.TrimSpace(row[0].Text) == "" {
			continue
		}
		f, ok := showField(row[0].Text)
		if !ok {
			b.p.add(SevError, &LoadError{File: b.wb.File, Sheet: sh.Name, Cell: cellName(1, r+1), Err: errf("e.unknown_field", ErrUnknownField, strings.TrimSpace(row[0].Text))})
			continue
		}
		if seen[f.key] {
			b.p.add(SevError, &LoadError{File: b.wb.File, Sheet: sh.Name, Cell: cellName(1, r+1), Err: errf("e.named_twice", ErrBadValue, f.zh)})
			continue
		}
		seen[f.key] = true
		v := ""
		if len(row) > 1 {
			v = strings.TrimSpace(row[1].Text)
		}
		old := b.sh
		b.sh = sh
		b.showSetting(s, f, v, 1, r)
		b.sh = old
	}
}

// showSetting applies one show setting read from (col, row) of b.sh.
func (b *builder) showSetting(s *Show, f runColumn, v string, col, row int) {
	switch f.key {
	case "id":
		s.ID = v
	case "title":
		s.Title = v
	case "start":
		if v != "" {
			if _, ok := parseTimeOfDay(v); !ok {
				b.fail(SevError, col, row, f.key, errf("e.bad_start", v, ErrBadValue))
				return
			}
		}
		s.Start = v
	case "point_cue", "warning", "danger":
		d, ok := b.durationCell(row, Column{Index: col}, f.key)
		if !ok {
			return
		}
		switch f.key {
		case "point_cue":
			s.PointCue = d
		case "warning":
			s.Warning = d
		default:
			s.Danger = d
		}
	case "adjustment_windows":
		n, err := strconv.Atoi(v)
		if v != "" && (err != nil || n < 0 || n > 100) {
			b.fail(SevError, col, row, f.key, errf("e.want_whole", v, ErrBadValue))
			return
		}
		s.AdjustmentWindows = n
	}
}

// cellOrder is a cell's row and column for sorting; no cell sorts first.
func cellOrder(ref string) (int, int) {
	c, r, err := excelize.CellNameToCoordinates(ref)
	if err != nil {
		return 0, 0
	}
	return r, c
}
