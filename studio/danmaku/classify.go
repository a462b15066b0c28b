package danmaku

import (
	"bytes"
	"unicode/utf8"
)

// Classify returns the class, question topic and vote digit of a text, as
// the pipeline would (without filtering).
func Classify(text string) (Class, string, int) {
	n := newNormalizer(200)
	n.normalize(text)
	n.buildKey()
	return classifyKey(n.key, n.qmark, keywords.groups(n.key))
}

var votePrefixes = [][]byte{[]byte("投票"), []byte("选项"), []byte("扣"), []byte("选"), []byte("投"), []byte("打"), []byte("刷")}

// voteDigit recognises "1", "111", "扣1", "扣 2" (the key has no spaces),
// "选3" and, after a prefix, Chinese numerals "扣一". "12" is not a vote,
// nor are the cheers "66", "666", "88", "888" (a lone "6" or "8" is).
func voteDigit(key []byte) int {
	prefixed := false
	for _, p := range votePrefixes {
		if bytes.HasPrefix(key, p) && len(key) > len(p) {
			key = key[len(p):]
			prefixed = true
			break
		}
	}
	if len(key) == 0 {
		return 0
	}
	if prefixed {
		if r, size := utf8.DecodeRune(key); size == len(key) {
			if d := chineseDigit(r); d >= 1 && d <= 9 {
				return d
			}
		}
	}
	if len(key) > 3 {
		return 0
	}
	d := key[0]
	if d < '1' || d > '9' {
		return 0
	}
	if len(key) > 1 && (d == '6' || d == '8') {
		return 0
	}
	for _, c := range key[1:] {
		if c != d {
			return 0
		}
	}
	return int(d - '0')
}

// chineseDigit maps 〇一二…九 (and 零, 壹…玖) to 0..9, anything else to -1.
func chineseDigit(r rune) int {
	switch r {
	case '〇', '零':
		return 0
	case '一', '壹':
		return 1
	case '二', '贰', '两':
		return 2
	case '三', '叁':
		return 3
	case '四', '肆':
		return 4
	case '五', '伍':
		return 5
	case '六', '陆':
		return 6
	case '七', '柒':
		return 7
	case '八', '捌':
		return 8
	case '九', '玖':
		return 9
	}
	return -1
}

// questionEnd reports a key ending in 吗, 呢, 么 or 嘛.
func questionEnd(key []byte) bool {
	r, _ := utf8.DecodeLastRune(key)
	return r == '吗' || r == '呢' || r == '么' || r == '嘛'
}

// classifyKey decides the class from the match key, whether the shown text
// had a question mark, and the keyword groups of the key. Order: vote,
// complaint, question (cue), buy intent, praise, question (topic word
// alone, as in "尺码" or "包邮").
func classifyKey(key []byte, qmark bool, m uint32) (Class, string, int) {
	if d := voteDigit(key); d > 0 {
		return Vote, "", d
	}
	if m&gComplaint != 0 {
		return Complaint, "", 0
	}
	if qmark || m&gQuestion != 0 || questionEnd(key) {
		return Question, topicOf(m), 0
	}
	if m&gBuy != 0 {
		return BuyIntent, "", 0
	}
	if m&gPraise != 0 {
		return Praise, "", 0
	}
	if t := topicOf(m); t != "" {
		return Question, t, 0
	}
	return Other, "", 0
}
