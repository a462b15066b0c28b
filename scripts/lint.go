package scripts

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// DefaultBannedTerms are absolute terms of the kind 《广告法》第九条 bans in
// advertising (国家级, 最高级, 最佳 "等"). There is no official complete list,
// and the enforcement guide excludes true facts, trademarks and self-
// comparison, so hits are warnings for a person to judge, never blocks.
var DefaultBannedTerms = []string{
	"最", "最佳", "最好", "最优", "最强", "最高", "最高级", "最低", "最大", "最便宜",
	"全网最低", "史上最低", "第一", "NO.1", "TOP1", "国家级", "世界级", "顶级",
	"顶尖", "极致", "绝对", "唯一", "首个", "首选", "独家", "万能", "永久",
	"100%", "全球首发", "独一无二", "史无前例", "无敌", "王牌", "销量冠军",
	"领导品牌", "填补国内空白",
}

// LintHit is one banned term found in the script. Term is the term as listed
// (the text may differ in width or case; Context shows it). Offset counts runes from
// the start of the field; indices are -1 when not applicable (the show
// title has Segment -1).
type LintHit struct {
	Segment, Phase, Point int
	Field                 string
	Term                  string
	Offset                int
	Context               string
}

// lintContextRunes is how much text either side of a hit Context shows.
const lintContextRunes = 8

// Lint finds the terms in every title, note and selling point of the show.
// Matching ignores case and full-/half-width differences ("１００％" matches
// "100%"); at each position the longest term wins and hits do not overlap.
func Lint(s *Show, terms []string) []LintHit {
	if s == nil {
		return nil
	}
	folded := make([]lintTerm, 0, len(terms))
	for _, t := range terms {
		if f := foldRunes(t); len(f) > 0 {
			folded = append(folded, lintTerm{term: t, folded: f})
		}
	}
	var hits []LintHit
	scan := func(seg, phase, point int, field, text string) {
		for _, h := range matchTerms(text, folded) {
			h.Segment, h.Phase, h.Point, h.Field = seg, phase, point, field
			hits = append(hits, h)
		}
	}
	scan(-1, -1, -1, "title", s.Title)
	for si := range s.Segments {
		g := &s.Segments[si]
		scan(si, -1, -1, "title", g.Title)
		scan(si, -1, -1, "notes", g.Notes)
		for pi := range g.Phases {
			for ti, sp := range g.Phases[pi].Points {
				scan(si, pi, ti, "text", sp.Text)
			}
		}
	}
	return hits
}

// foldRunes maps each rune to its narrow, lower-case form one for one, so a
// rune offset in the folded text is the same offset in the original.
func foldRunes(s string) []rune {
	out := make([]rune, 0, utf8.RuneCountInString(s))
	for _, r := range s {
		if f, n := utf8.DecodeRuneInString(width.Fold.String(string(r))); n > 0 && f != utf8.RuneError {
			r = f
		}
		out = append(out, unicode.ToLower(r))
	}
	return out
}

// lintTerm is a term as given (reported in hits) and as matched.
type lintTerm struct {
	term   string
	folded []rune
}

func matchTerms(text string, terms []lintTerm) []LintHit {
	if text == "" || len(terms) == 0 {
		return nil
	}
	orig := []rune(text)
	hay := foldRunes(text)
	var hits []LintHit
	for i := 0; i < len(hay); {
		best := -1
		for ti, t := range terms {
			f := t.folded
			if len(f) <= len(hay)-i && (best < 0 || len(f) > len(terms[best].folded)) && runesEqual(hay[i:i+len(f)], f) {
				best = ti
			}
		}
		if best < 0 {
			i++
			continue
		}
		n := len(terms[best].folded)
		lo, hi := max(0, i-lintContextRunes), min(len(orig), i+n+lintContextRunes)
		ctx := string(orig[lo:hi])
		if lo > 0 {
			ctx = "…" + ctx
		}
		if hi < len(orig) {
			ctx += "…"
		}
		hits = append(hits, LintHit{Term: terms[best].term, Offset: i, Context: ctx})
		i += n
	}
	return hits
}

func runesEqual(a, b []rune) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// String names where the term was found: segment, field, offset and context.
func (h LintHit) String() string { return h.In(LangEN) }

// In names where the term was found, in l.
func (h LintHit) In(l Lang) string {
	where := M("where.show").In(l)
	if h.Segment >= 0 {
		where = M("where.segment", h.Segment+1).In(l)
	}
	if h.Phase >= 0 {
		where += " " + M("where.phase", h.Phase+1).In(l)
	}
	if h.Point >= 0 {
		where += " " + M("where.point", h.Point+1).In(l)
	}
	return M("lint.hit", where, fieldName(h.Field), h.Offset, h.Term, h.Context).In(l)
}
