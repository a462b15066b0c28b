package scripts

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/width"
)

// ParseDuration reads a script duration the ways people write one: a Go
// duration ("5m", "30s", "1m30s"), a clock ("mm:ss", "h:mm:ss"), Chinese
// units ("5分钟", "5分", "1小时30分", "90秒"), primes ("5'", "5'30\"") — each
// in half- or full-width digits and colons. A bare number is rejected: its
// unit would be a guess (see parseDurationUnit). Negative values and values
// over 24 h are rejected.
func ParseDuration(s string) (time.Duration, error) {
	return parseDurationUnit(s, 0)
}

// parseDurationUnit is ParseDuration where a bare number counts in unit
// (0: a bare number is an error).
func parseDurationUnit(s string, unit time.Duration) (time.Duration, error) {
	t := normaliseDurationText(s)
	d, ok := time.Duration(0), false
	switch {
	case t == "":
	case strings.Contains(t, ":"):
		d, ok = parseClock(t)
	case isNumber(t):
		if unit == 0 {
			if t == "0" {
				return 0, nil
			}
			return 0, errf("e.bare_number", s, ErrBadDuration)
		}
		v, err := strconv.ParseFloat(t, 64)
		if err == nil && v >= 0 && v*float64(unit) <= float64(maxDuration) {
			d, ok = time.Duration(math.Round(v*float64(unit)/float64(time.Second)))*time.Second, true
		} else if err == nil && v > 0 {
			return 0, errf("e.quoted_detail", s, ErrBadDuration, M("e.over", maxDuration))
		}
	default:
		if v, err := time.ParseDuration(t); err == nil && !strings.ContainsAny(t, "eE") {
			d, ok = v, true
		} else {
			d, ok = parseUnits(t)
		}
	}
	if !ok {
		return 0, errf("e.dur_forms", s, ErrBadDuration)
	}
	if d < 0 {
		return 0, errf("e.quoted_detail", s, ErrBadDuration, M("e.negative"))
	}
	if d > maxDuration {
		return 0, errf("e.quoted_detail", s, ErrBadDuration, M("e.over", maxDuration))
	}
	return d, nil
}

// normaliseDurationText folds full-width forms to ASCII ("５：００" → "5:00"),
// maps the prime marks people type to ' and ", and drops blanks.
func normaliseDurationText(s string) string {
	s = width.Fold.String(s)
	var b strings.Builder
	for _, r := range s {
		switch r {
		case ' ', '\t', '\u00a0', '\u3000', '\n', '\r':
		case '′', '’', '‘', '`', '´':
			b.WriteByte('\'')
		case '″', '”', '“', '〃':
			b.WriteByte('"')
		case '：':
			b.WriteByte(':')
		default:
			b.WriteRune(r)
		}
	}
	return strings.ToLower(b.String())
}

func isNumber(t string) bool {
	dot := false
	for i, c := range t {
		switch {
		case c >= '0' && c <= '9':
		case c == '.' && !dot && i > 0 && i < len(t)-1:
			dot = true
		default:
			return false
		}
	}
	return t != ""
}

// unitRE matches one "number unit" pair of the Chinese, English-word and
// prime forms.
var unitRE = regexp.MustCompile(`^(\d+(?:\.\d+)?)(小时|个小时|钟头|时|hours|hour|hrs|hr|分钟|分|minutes|minute|mins|min|'|秒钟|秒|seconds|second|secs|sec|")`)

// parseUnits reads a sequence of "number unit" pairs in decreasing units:
// 1小时30分, 5分30秒, 5'30", 90秒, 1.5小时, 5mins. "半小时" is 30 minutes.
func parseUnits(t string) (time.Duration, bool) {
	if t == "半小时" || t == "半个小时" {
		return 30 * time.Minute, true
	}
	var total float64
	last := math.Inf(1)
	for t != "" {
		m := unitRE.FindStringSubmatch(t)
		if m == nil {
			return 0, false
		}
		v, err := strconv.ParseFloat(m[1], 64)
		if err != nil || v > 1e6 {
			return 0, false
		}
		var u float64
		switch m[2] {
		case "小时", "个小时", "钟头", "时", "hours", "hour", "hrs", "hr":
			u = 3600
		case "分钟", "分", "minutes", "minute", "mins", "min", "'":
			u = 60
		default:
			u = 1
		}
		if u >= last {
			return 0, false
		}
		last = u
		total += v * u
		t = t[len(m[0]):]
		t = strings.TrimPrefix(t, "钟") // "5分钟30秒"
	}
	if total > maxDuration.Seconds()*2 {
		return 0, false
	}
	return time.Duration(math.Round(total)) * time.Second, true
}

// parseClock reads "mm:ss" or "h:mm:ss" (ASCII digits; callers fold
// full-width forms first).
func parseClock(t string) (time.Duration, bool) {
	parts := strings.Split(t, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	nums := make([]int, len(parts))
	for i, p := range parts {
		if p == "" || len(p) > 4 {
			return 0, false
		}
		for _, c := range p {
			if c < '0' || c > '9' {
				return 0, false
			}
		}
		nums[i], _ = strconv.Atoi(p) // digits only and short: cannot fail
		// Every field after the first is a clock field and must stay below 60.
		if i > 0 && (len(p) != 2 || nums[i] > 59) {
			return 0, false
		}
	}
	if len(nums) == 2 {
		return time.Duration(nums[0])*time.Minute + time.Duration(nums[1])*time.Second, true
	}
	return time.Duration(nums[0])*time.Hour + time.Duration(nums[1])*time.Minute +
		time.Duration(nums[2])*time.Second, true
}

// FormatDuration writes a duration the way SaveYAML does: Go's form
// ("5m0s", "1m30s"), which ParseDuration reads back exactly.
func FormatDuration(d time.Duration) string { return d.String() }

// FormatClock writes a duration as people read it on a run sheet: "5:00",
// "1:05:00".
func FormatClock(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	s := int64(d.Round(time.Second) / time.Second)
	out := ""
	if s >= 3600 {
		out = strconv.FormatInt(s/3600, 10) + ":" + pad2(s/60%60) + ":" + pad2(s%60)
	} else {
		out = strconv.FormatInt(s/60, 10) + ":" + pad2(s%60)
	}
	if neg {
		return "-" + out
	}
	return out
}

func pad2(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

// clockText is a duration as Msg argument, shown as a clock.
type clockText time.Duration

func (c clockText) In(Lang) string { return FormatClock(time.Duration(c)) }

// kindAliases maps the words run sheets use for a kind, in Chinese and
// English, to kinds.
var kindAliases = map[string]SegmentKind{
	"开场": KindOpening, "开播": KindOpening, "暖场": KindOpening, "开头": KindOpening,
	"opening": KindOpening, "intro": KindOpening, "warm-up": KindOpening, "warmup": KindOpening,
	"产品": KindProduct, "产品讲解": KindProduct, "过款": KindProduct, "讲品": KindProduct,
	"讲解": KindProduct, "商品": KindProduct, "product": KindProduct, "pitch": KindProduct,
	"互动": KindInteraction, "福利": KindInteraction, "抽奖": KindInteraction, "发券": KindInteraction,
	"优惠券": KindInteraction, "投票": KindInteraction, "问答": KindInteraction, "秒杀": KindInteraction,
	"interaction": KindInteraction, "giveaway": KindInteraction, "coupon": KindInteraction,
	"vote": KindInteraction, "q&a": KindInteraction,
	"休息": KindBreak, "中场": KindBreak, "中场休息": KindBreak, "break": KindBreak,
	"收尾": KindClosing, "结束": KindClosing, "下播": KindClosing, "返场": KindClosing,
	"结尾": KindClosing, "closing": KindClosing, "outro": KindClosing, "wrap-up": KindClosing,
}

// acceptedKinds lists the kind words for error messages, grouped by kind.
const acceptedKindsZH = "开场/开播/暖场、产品/产品讲解/过款/讲品、互动/福利/抽奖/发券/投票/问答、休息/中场、收尾/结束/下播/返场（或 opening, product, interaction, break, closing）"

const acceptedKindsEN = "opening (开场/开播/暖场), product (产品/产品讲解/过款/讲品), interaction (互动/福利/抽奖/发券/投票/问答), break (休息/中场), closing (收尾/结束/下播/返场)"

// kindNamesZH is the Chinese name of each kind, used on export.
var kindNamesZH = map[SegmentKind]string{
	KindOpening:     "开场",
	KindProduct:     "产品",
	KindInteraction: "互动",
	KindBreak:       "休息",
	KindClosing:     "收尾",
}

// normaliseKind accepts a kind word in English or Chinese; unknown words
// pass through unchanged so the structure check can name them.
func normaliseKind(s string) SegmentKind {
	t := strings.TrimSpace(s)
	if k, ok := kindAliases[strings.ToLower(width.Fold.String(t))]; ok {
		return k
	}
	return SegmentKind(strings.ToLower(t))
}

// guessKind works a kind out of a segment title: the first kind word in it.
func guessKind(title string) (SegmentKind, bool) {
	t := strings.ToLower(title)
	for _, w := range []struct {
		word string
		kind SegmentKind
	}{
		{"开场", KindOpening}, {"开播", KindOpening}, {"暖场", KindOpening},
		{"下播", KindClosing}, {"收尾", KindClosing}, {"返场", KindClosing}, {"结束", KindClosing},
		{"休息", KindBreak}, {"中场", KindBreak},
		{"抽奖", KindInteraction}, {"福利", KindInteraction}, {"发券", KindInteraction},
		{"优惠券", KindInteraction}, {"投票", KindInteraction}, {"问答", KindInteraction}, {"互动", KindInteraction},
		{"免单", KindInteraction}, {"秒杀", KindInteraction}, {"福袋", KindInteraction}, {"红包", KindInteraction},
		{"讲解", KindProduct}, {"过款", KindProduct}, {"讲品", KindProduct},
	} {
		if strings.Contains(t, w.word) {
			return w.kind, true
		}
	}
	return "", false
}

func knownKind(k SegmentKind) bool {
	_, ok := kindNamesZH[k]
	return ok
}

// kindText is a kind as a Msg argument.
type kindText SegmentKind

func (k kindText) In(l Lang) string {
	if knownKind(SegmentKind(k)) {
		return M("kind." + string(k)).In(l)
	}
	return string(k)
}
