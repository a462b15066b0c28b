package ui

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"unicode"

	"fyne.io/fyne/v2/theme"
	"github.com/go-text/typesetting/font"

	"studiodesk/assets"
)

// The shipped binary is built with Fyne's no_emoji tag (Makefile APPTAGS),
// so Fyne's colour emoji font is gone and the desk's own font must draw
// the chat's emoji (monochrome outlines, assets/fonts/make_studio_font.py):
// every emoji of assets/fonts/studio-emoji.txt (which holds the desk's own
// symbols too) and every emoji the rehearsal corpus and the danmaku quality
// set send, each with a real outline one em wide inside the line, and U+FE0F / U+200D as empty zero-width glyphs
// (so "❤️" is a heart, not a heart and a box).
func TestStudioFontDrawsTheChatsEmoji(t *testing.T) {
	face, err := font.ParseTTF(bytes.NewReader(assets.Font()))
	if err != nil {
		t.Fatalf("embedded font: %v", err)
	}
	// Fyne's Noto Sans comes right after the desk's font in Fyne's chain
	// and is compiled in with or without no_emoji: what it draws (arrows,
	// ©, digits) is not the emoji list's business.
	noto, err := font.ParseTTF(bytes.NewReader(theme.DefaultTextFont().Content()))
	if err != nil {
		t.Fatalf("Noto Sans: %v", err)
	}
	upem := float32(face.Upem())
	ascent, descent := float32(face.Upem()), -float32(face.Upem())/2
	if ext, ok := face.FontHExtents(); ok {
		ascent, descent = ext.Ascender, ext.Descender
	}

	notdef := outline(face, 0)
	want := map[rune]string{}
	list, err := os.ReadFile("../../assets/fonts/studio-emoji.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(list), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		for _, f := range strings.Fields(line) {
			for _, r := range f {
				want[r] = "studio-emoji.txt"
			}
		}
	}
	if len(want) < 150 {
		t.Fatalf("studio-emoji.txt lists %d emoji, want the chat's 150 or more", len(want))
	}
	// The rehearsal corpus and the danmaku quality set: every symbol above
	// U+2000 that Noto Sans cannot draw is an emoji a chat sends. (The
	// desk's own symbols, ⚠ ▶ ⏸ 🛒 …, are in the list.)
	sources := []string{
		"../../studio/platform/rehearsal/corpus.go",
		"../../studio/danmaku/testdata/quality_golden.json",
	}
	corpusEmoji := 0
	for _, p := range sources {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range string(b) {
			if r < 0x2000 || !unicode.In(r, unicode.So, unicode.Sm) || unicode.Is(unicode.Han, r) {
				continue
			}
			if _, ok := noto.NominalGlyph(r); ok {
				continue
			}
			if _, listed := want[r]; !listed {
				want[r] = p
			}
			if strings.HasSuffix(p, "corpus.go") {
				corpusEmoji++
			}
		}
	}
	if corpusEmoji == 0 {
		t.Fatalf("no emoji found in the rehearsal corpus: did the walk read it?")
	}
	for _, r := range "❤👍🔥😂🌹👏😍💰🎉🙏👀✨👉" {
		if _, ok := want[r]; !ok {
			t.Errorf("%q (U+%04X) is in neither the list nor the corpus", r, r)
		}
	}

	for r, where := range want {
		gid, ok := face.NominalGlyph(r)
		if !ok {
			t.Errorf("%s: no glyph for %q (U+%04X)", where, r, r)
			continue
		}
		segs := outline(face, gid)
		if len(segs) == 0 {
			t.Errorf("%s: %q (U+%04X) has an empty outline", where, r, r)
			continue
		}
		if equalOutlines(segs, notdef) {
			t.Errorf("%s: %q (U+%04X) draws .notdef", where, r, r)
		}
		if adv := face.HorizontalAdvance(gid); adv != upem {
			t.Errorf("%s: %q (U+%04X) is %v units wide, want one em (%v) like an ideograph", where, r, r, adv, upem)
		}
		// On the baseline like an ideograph: inside the line, not above it.
		lo, hi := yRange(segs)
		if lo < descent || hi > ascent {
			t.Errorf("%s: %q (U+%04X) spans y %v..%v, want within the line %v..%v", where, r, r, lo, hi, descent, ascent)
		}
	}

	// The variation selector and the joiner take no room and draw nothing.
	for _, r := range []rune{0xFE0F, 0x200D} {
		gid, ok := face.NominalGlyph(r)
		if !ok {
			t.Errorf("U+%04X is not in the font: \"❤️\" would show a box", r)
			continue
		}
		if adv := face.HorizontalAdvance(gid); adv != 0 {
			t.Errorf("U+%04X advances %v units, want 0", r, adv)
		}
		if segs := outline(face, gid); len(segs) != 0 {
			t.Errorf("U+%04X draws %d segments, want none", r, len(segs))
		}
	}
	// Text the font had before the emoji keeps its glyphs.
	for _, r := range "中文直播，" {
		if _, ok := face.NominalGlyph(r); !ok {
			t.Errorf("no glyph for %q", r)
		}
	}
}

func outline(face *font.Face, gid font.GID) []font.Segment {
	o, ok := face.GlyphData(gid).(font.GlyphOutline)
	if !ok {
		return nil
	}
	return o.Segments
}

func equalOutlines(a, b []font.Segment) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func yRange(segs []font.Segment) (lo, hi float32) {
	lo, hi = segs[0].Args[0].Y, segs[0].Args[0].Y
	for _, s := range segs {
		for _, p := range s.ArgsSlice() {
			lo, hi = min(lo, p.Y), max(hi, p.Y)
		}
	}
	return lo, hi
}
