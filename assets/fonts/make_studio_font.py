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
import subprocess
import sys

from fontTools import subset
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.boundsPen import BoundsPen
from fontTools.pens.t2CharStringPen import T2CharStringPen
from fontTools.pens.transformPen import TransformPen
from fontTools.ttLib import TTFont

SRC = "assets/fonts/DroidSansFallbackFull.ttf"
DST = "assets/fonts/DroidSansFallbackStudio.otf"
DICT = "studio/danmaku/dict/zh_s.txt.gz"
SOURCE_EXT = (".go", ".yaml", ".yml", ".json", ".md", ".txt", ".html", ".js", ".csv")
EMOJI_LIST = "assets/fonts/studio-emoji.txt"
FYNE = "fyne.io/fyne/v2@v2.8.1/theme/font"
ZERO_WIDTH = (0xFE0F, 0x200D)  # emoji presentation selector, zero-width joiner


def fyne_font(name):
    if name == "EmojiOneColor.otf" and os.environ.get("EMOJI_FONT"):
        return os.environ["EMOJI_FONT"]
    cache = subprocess.run(["go", "env", "GOMODCACHE"], check=True, capture_output=True, text=True).stdout.strip()
    return os.path.join(cache, FYNE, name)


def is_han(u):
    return 0x3400 <= u <= 0x4DBF or 0x4E00 <= u <= 0x9FFF or 0xF900 <= u <= 0xFAFF or u >= 0x20000


def source_chars():
    chars = set()
    for root, dirs, files in os.walk("."):
        dirs[:] = [d for d in dirs if d not in (".git", "bin", "dist", "node_modules")]
        for name in files:
            if name.endswith(SOURCE_EXT):
                try:
                    with open(os.path.join(root, name), encoding="utf-8") as f:
                        chars.update(ord(c) for c in f.read())
                except (UnicodeDecodeError, OSError):
                    pass
    return chars


def wanted_emoji(own, emoji):
    """The emoji codepoints to add: the list, and every emoji in the
    sources that neither this font nor Fyne's Noto Sans (regular, bold)
    draws."""
    listed = []
    with open(EMOJI_LIST, encoding="utf-8") as f:
        for line in f:
            if not line.startswith("#"):
                listed += [ord(c) for c in line.split()]
    for u in listed:
        if u not in emoji:
            sys.exit(f"{EMOJI_LIST}: U+{u:04X} is not in EmojiOneColor.otf")
        if u in own:
            sys.exit(f"{EMOJI_LIST}: U+{u:04X} is already in {SRC}")
    noto = set()
    for name in ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"):
        noto.update(TTFont(fyne_font(name)).getBestCmap())
    found = {u for u in source_chars() if u >= 0x2000 and u in emoji and u not in own and u not in noto}
    return sorted(set(listed) | found - set(ZERO_WIDTH))


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
    keep.update(source_chars())
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


def add_emoji(font, charstrings, src, codepoints):
    """Appends the CFF outlines of codepoints in src (EmojiOneColor.otf),
    scaled to font's em, and one empty zero-width glyph for ZERO_WIDTH, to
    font's glyph order, charstrings, hmtx, vmtx and cmap (format 4 for the
    BMP, format 12 for all)."""
    upem = font["head"].unitsPerEm
    scale = upem / src["head"].unitsPerEm
    src_cmap = src.getBestCmap()
    src_glyphs = src.getGlyphSet()
    # Vertical metrics like an ideograph's: same advance and top origin.
    ideo = font.getBestCmap()[ord("中")]
    ideo_bounds = BoundsPen(font.getGlyphSet())
    font.getGlyphSet()[ideo].draw(ideo_bounds)
    v_adv, v_tsb = font["vmtx"][ideo]
    top = v_tsb + ideo_bounds.bounds[3]
    # The empty glyph first: the emoji after it share the ideographs'
    # advances, so hmtx keeps storing that trailing run compactly. Its
    # vertical advance is the ideographs' too (vertical text is not drawn
    # anywhere; a zero would store every glyph's vertical metrics in full).
    order = font.getGlyphOrder()
    charstrings["zerowidth"] = T2CharStringPen(0, None).getCharString()
    font["hmtx"]["zerowidth"] = (0, 0)
    font["vmtx"]["zerowidth"] = (v_adv, 0)
    order.append("zerowidth")
    mapping = {u: "zerowidth" for u in ZERO_WIDTH}
    for u in codepoints:
        name = f"emoji{u:04X}"
        adv = round(src["hmtx"][src_cmap[u]][0] * scale)
        pen = T2CharStringPen(adv, None)
        bounds = BoundsPen(None)
        for p in (pen, bounds):
            src_glyphs[src_cmap[u]].draw(TransformPen(p, (scale, 0, 0, scale, 0, 0)))
        charstrings[name] = pen.getCharString()
        x_min, _, _, y_max = bounds.bounds
        font["hmtx"][name] = (adv, round(x_min))
        font["vmtx"][name] = (v_adv, round(top - y_max))
        order.append(name)
        mapping[u] = name
    font.setGlyphOrder(order)
    for table in font["cmap"].tables:
        if table.isUnicode():
            table.cmap.update({u: n for u, n in mapping.items() if table.format == 12 or u <= 0xFFFF})


def to_cff(font, emoji_src, emoji):
    glyphs = font.getGlyphSet()
    hmtx = font["hmtx"]
    charstrings = {}
    for name in font.getGlyphOrder():
        pen = T2CharStringPen(hmtx[name][0], glyphs)
        glyphs[name].draw(pen)
        charstrings[name] = pen.getCharString()
    add_emoji(font, charstrings, emoji_src, emoji)
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
    emoji_src = TTFont(fyne_font("EmojiOneColor.otf"))
    emoji = wanted_emoji(set(font.getBestCmap()), set(emoji_src.getBestCmap()))
    subset_font(font, unicodes)
    to_cff(font, emoji_src, emoji)
    # Round-trip, then subset again: the decomposed outlines leave the
    # TrueType component glyphs unused.
    buf = io.BytesIO()
    font.save(buf)
    buf.seek(0)
    font = TTFont(buf)
    subset_font(font, unicodes + emoji + list(ZERO_WIDTH))
    font.save(DST)
    han = sum(1 for u in unicodes if is_han(u))
    print(f"{DST}: {len(unicodes)} characters ({han} Han), {len(emoji)} emoji, {font['maxp'].numGlyphs} glyphs, {os.path.getsize(DST)} bytes")


if __name__ == "__main__":
    if not os.path.exists(SRC):
        sys.exit("run from the repository root")
    main()
