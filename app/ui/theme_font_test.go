package ui

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/go-text/typesetting/font"
	"golang.org/x/text/encoding/simplifiedchinese"

	"studiodesk/assets"
)

// The embedded font is a cut of Droid Sans Fallback
// (assets/fonts/make_studio_font.py). It must still draw every Chinese
// character the desk writes or understands: all of GB2312's 6,763, every
// character of the segmentation dictionary, and every character in the
// project's sources (messages, demo show, rehearsal corpus, test data).
func TestStudioFontCoversWhatTheDeskShows(t *testing.T) {
	face, err := font.ParseTTF(bytes.NewReader(assets.Font()))
	if err != nil {
		t.Fatalf("embedded font: %v", err)
	}
	fullBytes, err := os.ReadFile("../../assets/fonts/DroidSansFallbackFull.ttf")
	if err != nil {
		t.Fatal(err)
	}
	full, err := font.ParseTTF(bytes.NewReader(fullBytes))
	if err != nil {
		t.Fatalf("full font: %v", err)
	}
	in := func(f *font.Face, r rune) bool { _, ok := f.NominalGlyph(r); return ok }
	has := func(r rune) bool { return in(face, r) }
	// A character the full font could not draw either (Extension B and
	// beyond) is the system fonts' business, as it was before the cut.
	missing := map[string][]rune{}
	check := func(where string, r rune) {
		if !has(r) && in(full, r) && len(missing[where]) < 20 {
			missing[where] = append(missing[where], r)
		}
	}

	// GB2312 levels 1 and 2: rows 0xB0–0xF7, 94 cells each, less the five
	// empty cells at the end of row 0xD7.
	dec := simplifiedchinese.GBK.NewDecoder()
	n := 0
	for hi := 0xB0; hi <= 0xF7; hi++ {
		for lo := 0xA1; lo <= 0xFE; lo++ {
			if hi == 0xD7 && lo >= 0xFA {
				continue
			}
			s, err := dec.Bytes([]byte{byte(hi), byte(lo)})
			if err != nil {
				t.Fatalf("GB2312 %X%X: %v", hi, lo, err)
			}
			r := []rune(string(s))[0]
			if !unicode.Is(unicode.Han, r) {
				t.Fatalf("GB2312 %X%X decodes to %q, not a Han character", hi, lo, r)
			}
			check("GB2312", r)
			n++
		}
	}
	if n != 6763 {
		t.Fatalf("GB2312 levels 1+2: %d characters, want 6763", n)
	}

	// The danmaku segmenter's dictionary.
	f, err := os.Open("../../studio/danmaku/dict/zh_s.txt.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	words := 0
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		w, _, _ := strings.Cut(sc.Text(), " ")
		for _, r := range w {
			if unicode.Is(unicode.Han, r) {
				check("dictionary", r)
			}
		}
		words++
	}
	if err := sc.Err(); err != nil || words < 100000 {
		t.Fatalf("dictionary: %d words, %v", words, err)
	}

	// Every Han character in the project's sources and data.
	files := 0
	err = filepath.WalkDir("../..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "bin", "dist", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(p) {
		case ".go", ".yaml", ".yml", ".json", ".md", ".txt", ".html", ".js", ".csv":
		default:
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if !utf8.Valid(b) {
			return nil // e.g. a GBK-encoded import fixture
		}
		files++
		for _, r := range string(b) {
			if unicode.Is(unicode.Han, r) {
				check(p, r)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 100 {
		t.Fatalf("walked %d source files; the walk did not reach the repository", files)
	}
	for where, rs := range missing {
		t.Errorf("%s: no glyph for %q", where, string(rs))
	}

	// Full-width punctuation comes from it; Latin, digits and ASCII
	// punctuation come from Fyne's own font, as before (Droid Sans
	// Fallback has none).
	for _, r := range "：，。！？（）【】、《》" {
		if !has(r) {
			t.Errorf("no glyph for %q", r)
		}
	}
	// And it is a cut: a rare Extension A character is not in it.
	if has('\u3400') {
		t.Errorf("U+3400 is in the font: not the cut font?")
	}
}
