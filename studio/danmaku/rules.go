package danmaku

import (
	"bytes"
	"unicode/utf8"
)

// tlds are top-level domains that, after a dot and a label, make a link.
var tlds = map[string]bool{
	"com": true, "cn": true, "net": true, "org": true, "top": true, "xyz": true, "cc": true,
	"vip": true, "shop": true, "ly": true, "gl": true, "io": true, "info": true, "club": true,
	"site": true, "online": true, "store": true, "link": true, "tk": true, "ink": true,
	"wang": true, "ren": true, "hk": true, "tw": true, "co": true, "biz": true, "live": true,
	"fun": true, "icu": true, "asia": true, "mobi": true, "pro": true, "tv": true,
}

var (
	httpBytes = []byte("http")
	wwwBytes  = []byte("www.")
	schemeSep = []byte("://")
)

// hasLink looks for URLs in a link view (see buildLinkView): a scheme, www.,
// a label followed by a known TLD (shortlinks like t.cn, bit.ly included), or
// a ¥token¥ shopping password.
func hasLink(v []byte) bool {
	if bytes.Contains(v, httpBytes) || bytes.Contains(v, wwwBytes) || bytes.Contains(v, schemeSep) {
		return true
	}
	for i := 1; i < len(v)-1; i++ {
		if v[i] != '.' || !isLabelByte(v[i-1]) {
			continue
		}
		j := i + 1
		for j < len(v) && v[j] >= 'a' && v[j] <= 'z' {
			j++
		}
		if j-(i+1) >= 2 && j-(i+1) <= 6 && tlds[string(v[i+1:j])] {
			return true
		}
	}
	return hasShopToken(v)
}

func isLabelByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-'
}

// hasShopToken finds ¥xxxxxxxx¥ or $xxxxxxxx$ (8..16 letters or digits).
func hasShopToken(v []byte) bool {
	for i := 0; i < len(v); i++ {
		var open rune
		size := 1
		if v[i] == '$' {
			open = '$'
		} else if v[i] == 0xC2 || v[i] == 0xEF {
			r, s := utf8.DecodeRune(v[i:])
			if r != '¥' && r != '￥' {
				continue
			}
			open, size = '¥', s
		} else {
			continue
		}
		j := i + size
		for j < len(v) && (v[j] >= 'a' && v[j] <= 'z' || v[j] >= '0' && v[j] <= '9') {
			j++
		}
		n := j - (i + size)
		if n < 8 || n > 16 || j >= len(v) {
			continue
		}
		r, _ := utf8.DecodeRune(v[j:])
		if r == open || (open == '¥' && r == '￥') {
			return true
		}
	}
	return false
}

// digitLike maps 0-9 and Chinese numerals to 0..9, anything else to -1.
func digitLike(r rune) int {
	if r >= '0' && r <= '9' {
		return int(r - '0')
	}
	if r < 0x3000 {
		return -1
	}
	return chineseDigit(r)
}

// scanRuns reports, for a match key, whether it has a phone number (11
// digit-like runes, 1[3-9]…, not all equal) and whether it has an id-like
// run (ASCII letters, digits and Chinese numerals, at least 5 long with at
// least 2 digits).
func scanRuns(key []byte) (phone, id bool) {
	var (
		digitRun            int
		first, second, same int
		allSame             bool
		alnumRun, alnumDig  int
	)
	endDigits := func() {
		if digitRun == 11 && first == 1 && second >= 3 && !allSame {
			phone = true
		}
		digitRun = 0
	}
	for i := 0; i <= len(key); {
		r, size := rune(-1), 1
		if i < len(key) {
			if key[i] < utf8.RuneSelf {
				r = rune(key[i])
			} else {
				r, size = utf8.DecodeRune(key[i:])
			}
		}
		i += size
		d := digitLike(r)
		if d >= 0 {
			switch digitRun {
			case 0:
				first, same, allSame = d, d, true
			case 1:
				second = d
			}
			if d != same {
				allSame = false
			}
			digitRun++
			alnumRun++
			alnumDig++
		} else {
			endDigits()
			if r >= 'a' && r <= 'z' {
				alnumRun++
			} else {
				if alnumRun >= 5 && alnumDig >= 2 {
					id = true
				}
				alnumRun, alnumDig = 0, 0
			}
		}
		if r == -1 {
			break
		}
	}
	return phone, id
}
