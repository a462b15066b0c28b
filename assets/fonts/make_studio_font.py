#!/usr/bin/python3
"""Builds DroidSansFallbackStudio.otf, the CJK font the desk embeds, from
DroidSansFallbackFull.ttf (Apache-2.0, same directory).

Why: Fyne parses the theme font once per text style (regular, bold, ...),
and go-text parses a TrueType glyf table into Go structures about four
times the file's size: the full font cost 17.5 MB of heap per style. This
font keeps

  - every glyph that is not a Han character (Latin, digits, punctuation,
    symbols, full-width forms, kana),
  - GB2312 levels 1 and 2 (6,763 characters) and its symbol rows,
  - every character of the danmaku segmentation dictionary
    (studio/danmaku/dict/zh_s.txt.gz: the vocabulary the desk understands),
  - every character written anywhere in the project's sources (messages,
    the demo show, the rehearsal corpus, test data),

about 11,900 Han characters of the original's 27,500, and stores the
outlines as CFF (PostScript) charstrings instead of glyf: the shapes are
the same (every quadratic curve is exactly a cubic) and go-text keeps CFF
charstrings as bytes until drawn, so a parse costs 3.1 MB instead of 17.5.
app/ui's font test asserts the coverage above.

Run from the repository root with Debian's fontTools (apt-get install
python3-fonttools):  /usr/bin/python3 assets/fonts/make_studio_font.py
"""
import gzip
import io
import os
import sys

from fontTools import subset
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.t2CharStringPen import T2CharStringPen
from fontTools.ttLib import TTFont

SRC = "assets/fonts/DroidSansFallbackFull.ttf"
DST = "assets/fonts/DroidSansFallbackStudio.otf"
DICT = "studio/danmaku/dict/zh_s.txt.gz"
SOURCE_EXT = (".go", ".yaml", ".yml", ".json", ".md", ".txt", ".html", ".js", ".csv")


def is_han(u):
    return 0x3400 <= u <= 0x4DBF or 0x4E00 <= u <= 0x9FFF or 0xF900 <= u <= 0xFAFF or u >= 0x20000


def wanted(cmap):
    keep = {u for u in cmap if not is_han(u)}
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                keep.add(ord(bytes([hi, lo]).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    with gzip.open(DICT, "rt", encoding="utf-8") as f:
        for line in f:
            keep.update(ord(c) for c in line.split(" ")[0])
    for root, dirs, files in os.walk("."):
        dirs[:] = [d for d in dirs if d not in (".git", "bin", "dist", "node_modules")]
        for name in files:
            if name.endswith(SOURCE_EXT):
                try:
                    with open(os.path.join(root, name), encoding="utf-8") as f:
                        keep.update(ord(c) for c in f.read())
                except (UnicodeDecodeError, OSError):
                    pass
    return sorted(u for u in keep if u in cmap)


def subset_font(font, unicodes):
    opts = subset.Options()
    opts.name_IDs = ["*"]
    opts.name_languages = ["*"]
    opts.hinting = False
    opts.notdef_outline = True
    opts.glyph_names = False
    s = subset.Subsetter(options=opts)
    s.populate(unicodes=unicodes)
    s.subset(font)


def to_cff(font):
    glyphs = font.getGlyphSet()
    hmtx = font["hmtx"]
    charstrings = {}
    for name in font.getGlyphOrder():
        pen = T2CharStringPen(hmtx[name][0], glyphs)
        glyphs[name].draw(pen)
        charstrings[name] = pen.getCharString()
    for table in ("glyf", "loca", "fpgm", "prep", "cvt ", "gasp"):
        if table in font:
            del font[table]
    fb = FontBuilder(font["head"].unitsPerEm, isTTF=False)
    fb.font = font
    ps = "DroidSansFallbackStudio"
    fb.setupCFF(ps, {"FullName": ps, "FamilyName": "Droid Sans Fallback"}, charstrings, {})
    font["maxp"].tableVersion = 0x00005000
    font.sfntVersion = "OTTO"


def main():
    font = TTFont(SRC)
    unicodes = wanted(font.getBestCmap())
    subset_font(font, unicodes)
    to_cff(font)
    # Round-trip, then subset again: the decomposed outlines leave the
    # TrueType component glyphs unused.
    buf = io.BytesIO()
    font.save(buf)
    buf.seek(0)
    font = TTFont(buf)
    subset_font(font, unicodes)
    font.save(DST)
    han = sum(1 for u in unicodes if is_han(u))
    print(f"{DST}: {len(unicodes)} characters ({han} Han), {font['maxp'].numGlyphs} glyphs, {os.path.getsize(DST)} bytes")


if __name__ == "__main__":
    if not os.path.exists(SRC):
        sys.exit("run from the repository root")
    main()
