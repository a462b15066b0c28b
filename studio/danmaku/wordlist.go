package danmaku

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	ahocorasick "github.com/petar-dambovaliev/aho-corasick"
)

// Word list limits.
const (
	MaxWordBytes = 256
	MaxWords     = 100_000
)

// Word list errors; LoadWordList wraps them with the file name and line.
var (
	ErrInvalidUTF8  = errors.New("invalid UTF-8")
	ErrWordTooLong  = fmt.Errorf("word longer than %d bytes", MaxWordBytes)
	ErrTooManyWords = fmt.Errorf("more than %d words", MaxWords)
)

// LoadWordList reads one word per line. Blank lines and lines starting with
// '#' are skipped; words are trimmed. Errors name the file and line
// ("banned.txt:12: invalid UTF-8").
func LoadWordList(name string, r io.Reader) ([]string, error) {
	br := bufio.NewReaderSize(r, 4096)
	var words []string
	for line := 1; ; line++ {
		raw, err := br.ReadSlice('\n')
		tooLong := false
		for errors.Is(err, bufio.ErrBufferFull) { // skip the rest of a huge line
			tooLong = true
			_, err = br.ReadSlice('\n')
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s:%d: read word list: %w", name, line, err)
		}
		if tooLong {
			return nil, fmt.Errorf("%s:%d: %w", name, line, ErrWordTooLong)
		}
		if len(raw) > 0 {
			if !utf8.Valid(raw) {
				return nil, fmt.Errorf("%s:%d: %w", name, line, ErrInvalidUTF8)
			}
			w := strings.TrimSpace(string(raw))
			w = strings.TrimPrefix(w, "\uFEFF")
			if len(w) > MaxWordBytes {
				return nil, fmt.Errorf("%s:%d: %w", name, line, ErrWordTooLong)
			}
			if w != "" && !strings.HasPrefix(w, "#") {
				if len(words) >= MaxWords {
					return nil, fmt.Errorf("%s:%d: %w", name, line, ErrTooManyWords)
				}
				words = append(words, w)
			}
		}
		if errors.Is(err, io.EOF) {
			return words, nil
		}
	}
}

// wordMatcher finds banned words in match keys.
type wordMatcher struct {
	ac      ahocorasick.AhoCorasick
	words   []string // as given, by pattern index
	reasons []string // "banned:<word>"
}

// newWordMatcher builds a matcher over the match keys of words; words whose
// key is empty (only punctuation) are ignored.
func newWordMatcher(words []string) *wordMatcher {
	n := newNormalizer(MaxWordBytes)
	seen := make(map[string]bool, len(words))
	wm := &wordMatcher{}
	var patterns []string
	for _, w := range words {
		n.normalize(w)
		n.buildKey()
		if len(n.key) == 0 || seen[string(n.key)] {
			continue
		}
		k := string(n.key)
		seen[k] = true
		patterns = append(patterns, k)
		wm.words = append(wm.words, w)
		wm.reasons = append(wm.reasons, ReasonBanned+":"+w)
	}
	if len(patterns) == 0 {
		return nil
	}
	b := ahocorasick.NewAhoCorasickBuilder(ahocorasick.Opts{
		MatchKind: ahocorasick.LeftMostLongestMatch,
		DFA:       true,
	})
	wm.ac = b.BuildByte(toBytes(patterns))
	return wm
}

func toBytes(ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// match returns the reason for the first banned word in key, or "".
func (wm *wordMatcher) match(key []byte) string {
	if wm == nil || len(key) == 0 {
		return ""
	}
	it := wm.ac.IterByte(key)
	if m := it.Next(); m != nil {
		p := m.Pattern()
		if p >= 0 && p < len(wm.reasons) {
			return wm.reasons[p]
		}
		return ReasonBanned
	}
	return ""
}
