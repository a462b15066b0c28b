package danmaku

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// maxScanBytes bounds the work done on one message: bytes past it are not
// looked at (the shown text is capped far below it anyway).
const maxScanBytes = 8 << 10

// maxOriginalBytes bounds the original text kept in an Item.
const maxOriginalBytes = 2 << 10

// normalizer holds reusable buffers, so normalising a message does not
// allocate unless the shown text differs from the original. Not safe for
// concurrent use: the pipeline owns one under its lock.
type normalizer struct {
	maxRunes int
	stage    []byte // repaired, controls and invisibles removed
	nfkc     []byte
	out      []byte // shown text
	key      []byte // match key
	keyRunes int
	link     []byte // link view
	hasASCII bool   // the shown text has an ASCII letter
	qmark    bool   // the shown text has a question mark
}

func newNormalizer(maxRunes int) *normalizer {
	return &normalizer{
		maxRunes: maxRunes,
		stage:    make([]byte, 0, 1024),
		nfkc:     make([]byte, 0, 1024),
		out:      make([]byte, 0, 1024),
		key:      make([]byte, 0, 1024),
		link:     make([]byte, 0, 1024),
	}
}

// Normalize returns the shown form of text: invalid UTF-8 replaced by
// U+FFFD, control and zero-width characters removed, NFKC (full-width
// letters and digits to half-width), whitespace collapsed and trimmed,
// at most maxRunes runes. It allocates a new normalizer; the pipeline
// reuses one.
func Normalize(text string, maxRunes int) string {
	n := newNormalizer(maxRunes)
	return n.normalize(text)
}

// MatchKey returns the key filters match on: the normalised text
// lower-cased, traditional characters simplified, and everything but
// letters and digits removed (punctuation, spaces, emoji, separators).
func MatchKey(text string) string {
	n := newNormalizer(1 << 20)
	n.normalize(text)
	n.buildKey()
	return string(n.key)
}

// normalize fills n.out and returns it as a string, reusing text when equal.
func (n *normalizer) normalize(text string) string {
	src := text
	if len(src) > maxScanBytes {
		src = src[:maxScanBytes]
	}
	st := n.stage[:0]
	needNFKC := false
	for i := 0; i < len(src); {
		c := src[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
				st = append(st, ' ')
			case c < 0x20 || c == 0x7F:
				// control: dropped
			default:
				st = append(st, c)
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(src[i:])
		i += size
		if r == utf8.RuneError && size == 1 {
			st = utf8.AppendRune(st, utf8.RuneError)
			continue
		}
		switch {
		case r >= 0x4E00 && r <= 0x9FFF: // CJK ideographs: the common case
		case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII, as NFKC folds it
			st = append(st, byte(r-0xFEE0))
			continue
		case r == 0x3000: // ideographic space
			st = append(st, ' ')
			continue
		case nfkcStable(r):
		case invisible(r):
			continue
		default:
			needNFKC = true
		}
		st = append(st, src[i-size:i]...)
	}
	n.stage = st
	if needNFKC {
		n.nfkc = norm.NFKC.Append(n.nfkc[:0], st...)
		st = n.nfkc
	}
	out := n.out[:0]
	runes := 0
	space := false
	n.hasASCII, n.qmark = false, false
	for i := 0; i < len(st) && runes < n.maxRunes; {
		c := st[i]
		var r rune
		size := 1
		if c < utf8.RuneSelf {
			r = rune(c)
		} else {
			r, size = utf8.DecodeRune(st[i:])
		}
		i += size
		if r < utf8.RuneSelf {
			if c == ' ' {
				space = true
				continue
			}
			if c < 0x20 || c == 0x7F { // NFKC output is re-checked
				continue
			}
			if (c|0x20) >= 'a' && (c|0x20) <= 'z' {
				n.hasASCII = true
			} else if c == '?' {
				n.qmark = true
			}
		} else if r >= 0x4E00 && r <= 0x9FFF {
			// CJK ideograph: kept as is
		} else if unicode.IsSpace(r) {
			space = true
			continue
		} else if invisible(r) {
			continue
		}
		if space && len(out) > 0 {
			out = append(out, ' ')
			runes++
			if runes >= n.maxRunes {
				break
			}
		}
		space = false
		out = append(out, st[i-size:i]...)
		runes++
	}
	// a trailing separator space can remain only when the cap cut right after it
	if len(out) > 0 && out[len(out)-1] == ' ' {
		out = out[:len(out)-1]
	}
	n.out = out
	if string(out) == text {
		return text
	}
	return string(out)
}

// nfkcStable reports runes common in danmaku that NFKC leaves alone: CJK
// ideographs, CJK punctuation, kana, emoji and pictographs. Text made of
// these (and ASCII) skips the NFKC pass.
func nfkcStable(r rune) bool {
	switch {
	case r >= 0x4E00 && r <= 0x9FFF, r >= 0x3001 && r <= 0x3035,
		r >= 0x3041 && r <= 0x3096, r >= 0x30A1 && r <= 0x30FA,
		r >= 0x1F300 && r <= 0x1F6FF, r >= 0x1F900 && r <= 0x1FAFF,
		r >= 0x2600 && r <= 0x27BF, r == 0xFE0F, r == 0x2014,
		r >= 0x2018 && r <= 0x201D, r == 0x00B7, r == 0xFFFD:
		return true
	}
	return false
}

// invisible reports zero-width, bidi and other format characters.
func invisible(r rune) bool {
	switch {
	case r >= 0x200B && r <= 0x200F, r >= 0x202A && r <= 0x202E,
		r >= 0x2060 && r <= 0x206F, r == 0xFEFF, r == 0x00AD, r == 0x180E,
		r == 0x061C, r == 0x034F, r >= 0x80 && r < 0xA0:
		return true
	case r < 0x0600:
		return false
	}
	return unicode.Is(unicode.Cf, r)
}

// buildKey derives n.key from n.out.
func (n *normalizer) buildKey() {
	k := n.key[:0]
	runes := 0
	for i := 0; i < len(n.out); {
		c := n.out[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
				k = append(k, c)
				runes++
			case c >= 'A' && c <= 'Z':
				k = append(k, c+('a'-'A'))
				runes++
			}
			continue
		}
		r, size := utf8.DecodeRune(n.out[i:])
		i += size
		if r >= 0x4E00 && r <= 0x9FFF {
			k = utf8.AppendRune(k, toSimplified(r))
			runes++
			continue
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			k = utf8.AppendRune(k, unicode.ToLower(r))
			runes++
		}
	}
	n.key = k
	n.keyRunes = runes
}

// symbolKey is the merge key of a text without letters or digits (emoji,
// punctuation): a NUL, which no letter key holds, then the shown runes
// with spaces, variation selectors and joiners dropped and runs of the same
// rune collapsed, so "👍", "👍👍👍" and "👍 👍" merge into one line. It
// reuses n.key.
func (n *normalizer) symbolKey() []byte {
	k := append(n.key[:0], 0)
	var last rune = -1
	for _, r := range string(n.out) {
		if r == ' ' || r == 0xFE0F || r == 0xFE0E || r == 0x200D || r == last {
			continue
		}
		last = r
		k = utf8.AppendRune(k, r)
	}
	n.key = k
	if len(k) == 1 {
		return nil
	}
	return k
}

// buildLinkView derives n.link from n.out: ASCII lower-cased, whitespace
// removed, look-alike dots (。·・丶点點) turned into '.'.
func (n *normalizer) buildLinkView() {
	v := n.link[:0]
	for i := 0; i < len(n.out); {
		c := n.out[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == ' ':
			case c >= 'A' && c <= 'Z':
				v = append(v, c+('a'-'A'))
			default:
				v = append(v, c)
			}
			continue
		}
		r, size := utf8.DecodeRune(n.out[i:])
		switch r {
		case '。', '·', '・', '丶', '点', '點', '｡', '∙', '•':
			v = append(v, '.')
		default:
			v = append(v, n.out[i:i+size]...)
		}
		i += size
	}
	n.link = v
}

// truncateOriginal caps s at maxOriginalBytes on a rune boundary.
func truncateOriginal(s string) string {
	if len(s) <= maxOriginalBytes {
		return s
	}
	cut := maxOriginalBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
