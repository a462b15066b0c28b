#!/usr/bin/env python3
"""Build the run-sheet corpus: sheets laid out the way live-commerce teams
write them (title rows, merged cells, headers on row 1-4, Chinese and English
column names in any order, durations as 5分钟 / 5' / 300 / 05:00 / time and
duration cells, kinds as 开播 / 过款 / 福利 / 下播 ..., product lists and
interaction sheets next to the rundown, blank and note rows).

Each NAME.xlsx (or .csv) comes with NAME.golden.yaml: the show the importer
must produce, in the script format (docs/script-format.md). Lines starting
"# expect:" name message keys the import preview must show for that file.

Run once with python3-openpyxl; files marked for LibreOffice are then saved
again by LibreOffice (soffice --headless --convert-to xlsx), as a team using
LibreOffice would hand them over. The generated files are committed; tests
do not need LibreOffice.

    /usr/bin/python3 make_corpus.py [--libreoffice]
"""

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

HERE = os.path.dirname(os.path.abspath(__file__))


def q(s):
    return json.dumps(s, ensure_ascii=False)


def dur(seconds):
    """Go duration text for the golden file."""
    h, rem = divmod(int(seconds), 3600)
    m, s = divmod(rem, 60)
    out = ""
    if h:
        out += "%dh" % h
    if h or m:
        out += "%dm" % m
    return out + "%ds" % s


def golden(name, show, expect=()):
    """Write NAME.golden.yaml. show: dict with id, title, start, segments;
    a segment: id, title, kind, duration (s) or phases, product, flagship,
    interaction, preset, notes, host_lines, points (loose → phase 卖点)."""
    lines = []
    for e in expect:
        lines.append("# expect: " + e)
    lines.append("id: " + q(show["id"]))
    lines.append("title: " + q(show["title"]))
    if show.get("start"):
        lines.append("start: " + q(show["start"]))
    lines.append("segments:")
    for g in show["segments"]:
        lines.append("  - id: " + q(g["id"]))
        lines.append("    title: " + q(g["title"]))
        lines.append("    kind: " + g["kind"])
        phases = g.get("phases")
        if g.get("points") and not phases:
            phases = [("卖点", g["duration"], g["points"])]
        elif "duration" in g:
            lines.append("    duration: " + dur(g["duration"]))
        for key in ("product", "preset", "interaction", "notes"):
            if g.get(key):
                lines.append("    %s: %s" % (key, q(g[key])))
        if g.get("flagship"):
            lines.append("    flagship: true")
        if phases:
            lines.append("    phases:")
            for pname, pdur, pts in phases:
                lines.append("      - name: " + q(pname))
                lines.append("        duration: " + dur(pdur))
                if pts:
                    lines.append("        points:")
                    for p in pts:
                        if isinstance(p, tuple):
                            lines.append("          - {text: %s, duration: %s}" % (q(p[0]), dur(p[1])))
                        else:
                            lines.append("          - " + q(p))
        if g.get("host_lines"):
            lines.append("    host_lines:")
            for l in g["host_lines"]:
                lines.append("      - " + q(l))
    if show.get("extra_yaml"):
        lines.append(show["extra_yaml"].rstrip("\n"))
    with open(os.path.join(HERE, name + ".golden.yaml"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def title_row(ws, text, ncols, row=1):
    ws.cell(row=row, column=1, value=text)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=ncols)
    ws.cell(row=row, column=1).font = Font(bold=True, size=16)
    ws.cell(row=row, column=1).alignment = Alignment(horizontal="center")


def header(ws, row, names):
    for i, n in enumerate(names, 1):
        c = ws.cell(row=row, column=i, value=n)
        c.font = Font(bold=True)
        c.fill = PatternFill("solid", fgColor="FFF2CC")


def put(ws, row, values):
    for i, v in enumerate(values, 1):
        if v is not None and v != "":
            ws.cell(row=row, column=i, value=v)


def time_cell(ws, row, col, h, m, fmt="hh:mm"):
    """A cell typed as 05:00 in Excel/LibreOffice: a time of day."""
    c = ws.cell(row=row, column=col, value=dt.time(h, m))
    c.number_format = fmt
    return c


def duration_cell(ws, row, col, seconds, fmt="[mm]:ss"):
    c = ws.cell(row=row, column=col, value=dt.timedelta(seconds=seconds))
    c.number_format = fmt
    return c


def save(wb, name):
    wb.save(os.path.join(HERE, name + ".xlsx"))


# 01 — a merged title with the slot, a blank row, header on row 3, 时长(分钟)
# as bare numbers, kinds as 开播/产品讲解/福利/下播, 话术 and 卖点 per segment.
def s01():
    name = "01_title_row_minutes"
    wb = Workbook()
    ws = wb.active
    ws.title = "直播脚本"
    cols = ["序号", "时间", "环节", "类型", "时长(分钟)", "产品", "卖点", "话术", "备注"]
    title_row(ws, "春季焕新美妆专场 直播脚本 20:00-20:40", len(cols))
    header(ws, 3, cols)
    rows = [
        (1, "20:00-20:05", "开场暖场", "开播", 5, "", "", "欢迎来到直播间！今天福利多多，先点个关注", "主播+助播"),
        (2, "20:05-20:15", "修护精华液", "产品讲解", 10, "修护精华液 30ml", "积雪草修护屏障\n熬夜不暗沉\n敏感肌可用", "姐妹们看这个质地，一抹就化开了", ""),
        (3, "20:15-20:20", "整点抽奖", "福利", 5, "", "", "评论区扣1参与抽奖，抽三位送正装", "抽奖工具提前设置"),
        (4, "20:20-20:35", "持妆粉底液", "产品讲解", 15, "持妆粉底液", "控油持妆12小时\n六个色号", "油皮姐妹一定要试试", ""),
        (5, "20:35-20:40", "下播预告", "下播", 5, "", "", "明晚八点不见不散", ""),
    ]
    for i, r in enumerate(rows):
        put(ws, 4 + i, r)
    save(wb, name)
    golden(name, {"id": name, "title": "春季焕新美妆专场 直播脚本 20:00-20:40", "start": "20:00", "segments": [
        {"id": "1", "title": "开场暖场", "kind": "opening", "duration": 300, "notes": "主播+助播",
         "host_lines": ["欢迎来到直播间！今天福利多多，先点个关注"]},
        {"id": "2", "title": "修护精华液", "kind": "product", "duration": 600, "product": "修护精华液 30ml",
         "points": ["积雪草修护屏障", "熬夜不暗沉", "敏感肌可用"], "host_lines": ["姐妹们看这个质地，一抹就化开了"]},
        {"id": "3", "title": "整点抽奖", "kind": "interaction", "duration": 300, "notes": "抽奖工具提前设置",
         "host_lines": ["评论区扣1参与抽奖，抽三位送正装"]},
        {"id": "4", "title": "持妆粉底液", "kind": "product", "duration": 900, "product": "持妆粉底液",
         "points": ["控油持妆12小时", "六个色号"], "host_lines": ["油皮姐妹一定要试试"]},
        {"id": "5", "title": "下播预告", "kind": "closing", "duration": 300, "host_lines": ["明晚八点不见不散"]},
    ]}, ["w.sheet_used"])


# 02 — 时长 typed as 05:00 in Excel: time-of-day cells (h:mm), no 类型
# column (kinds from the titles), 话术 only.
def s02(name="02_time_typed_cells", lo=False):
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    header(ws, 1, ["环节", "时长", "话术"])
    data = [("开场", (5, 0), "大家好，欢迎来到直播间"), ("讲解 · 保湿面霜", (10, 0), "这款面霜是我们的爆款"),
            ("抽奖福利", (3, 30), "扣1参与"), ("讲解 · 防晒喷雾", (8, 0), "出门前喷一喷"), ("下播", (2, 0), "感谢大家")]
    for i, (t, (h, m), line) in enumerate(data):
        ws.cell(row=2 + i, column=1, value=t)
        time_cell(ws, 2 + i, 2, h, m)
        ws.cell(row=2 + i, column=3, value=line)
    save(wb, name)
    kinds = ["opening", "product", "interaction", "product", "closing"]
    golden(name, {"id": name, "title": name, "segments": [
        {"id": "seg-%d" % (i + 1), "title": t, "kind": kinds[i], "duration": h * 60 + m, "host_lines": [line]}
        for i, (t, (h, m), line) in enumerate(data)]}, ["w.time_as_mmss"])


# 03 — a product list is the first sheet; the rundown is the second, with a
# title row, header on row 2, durations in Chinese units and 5:00 text.
def s03():
    name = "03_product_list_first"
    wb = Workbook()
    ws = wb.active
    ws.title = "商品清单"
    header(ws, 1, ["序号", "商品名称", "价格", "库存", "卖点"])
    put(ws, 2, (1, "修护精华液", 199, 500, "修护"))
    put(ws, 3, (2, "丝绒口红", 89, 1000, "显白"))
    rs = wb.create_sheet("直播流程")
    title_row(rs, "周五晚场", 6)
    header(rs, 2, ["环节", "类型", "时长", "商品", "主推", "话术"])
    data = [("暖场互动", "暖场", "5分钟", "", "", "先来签到"), ("精华液", "过款", "3分30秒", "修护精华液", "是", "买一送一"),
            ("口红试色", "讲品", "１０：００", "丝绒口红", "", "三个新色"), ("发券", "发券", "90秒", "", "", "券在小黄车"),
            ("中场休息", "中场", "1小时", "", "", ""), ("返场", "返场", "5:00", "", "", "没抢到的再来")]
    for i, r in enumerate(data):
        put(rs, 3 + i, r)
    save(wb, name)
    secs = [300, 210, 600, 90, 3600, 300]
    kinds = ["opening", "product", "product", "interaction", "break", "closing"]
    segs = []
    for i, r in enumerate(data):
        g = {"id": "seg-%d" % (i + 1), "title": r[0], "kind": kinds[i], "duration": secs[i]}
        if r[3]:
            g["product"] = r[3]
        if r[4]:
            g["flagship"] = True
        if r[5]:
            g["host_lines"] = [r[5]]
        segs.append(g)
    golden(name, {"id": name, "title": "周五晚场", "segments": segs}, ["w.sheet_used"])


# 04 — English headers with units, kinds in English words.
def s04():
    name = "04_english_headers"
    wb = Workbook()
    ws = wb.active
    ws.title = "Rundown"
    header(ws, 1, ["No.", "Segment", "Type", "Duration (min)", "Product", "Selling points", "Host lines", "Notes"])
    data = [(1, "Welcome", "intro", 3, "", "", "Hi everyone!", ""),
            (2, "Serum demo", "product", 12, "Repair serum", "Barrier repair\nLight texture", "Look at this texture", "close-up cam"),
            (3, "Giveaway", "giveaway", 4.5, "", "", "Comment 1 to join", ""),
            (4, "Wrap-up", "outro", 2, "", "", "See you tomorrow", "")]
    for i, r in enumerate(data):
        put(ws, 2 + i, r)
    save(wb, name)
    golden(name, {"id": name, "title": name, "segments": [
        {"id": "1", "title": "Welcome", "kind": "opening", "duration": 180, "host_lines": ["Hi everyone!"]},
        {"id": "2", "title": "Serum demo", "kind": "product", "duration": 720, "product": "Repair serum", "notes": "close-up cam",
         "points": ["Barrier repair", "Light texture"], "host_lines": ["Look at this texture"]},
        {"id": "3", "title": "Giveaway", "kind": "interaction", "duration": 270, "host_lines": ["Comment 1 to join"]},
        {"id": "4", "title": "Wrap-up", "kind": "closing", "duration": 120, "host_lines": ["See you tomorrow"]},
    ]})


# 05 — prime marks and full-width digits; columns in another order.
def s05():
    name = "05_primes_fullwidth"
    wb = Workbook()
    ws = wb.active
    header(ws, 1, ["话术", "时长", "环节名称", "环节类型"])
    data = [("开播啦", "5'", "开场", "开场"), ("看细节", "5'30\"", "羊绒大衣", "产品"),
            ("截屏抽奖", "３分钟", "截屏抽奖", "抽奖"), ("喝口水", "２′", "休息一下", "休息"), ("拜拜", "１：３０", "收尾", "结束")]
    for i, r in enumerate(data):
        put(ws, 2 + i, r)
    save(wb, name)
    secs = [300, 330, 180, 120, 90]
    kinds = ["opening", "product", "interaction", "break", "closing"]
    golden(name, {"id": name, "title": name, "segments": [
        {"id": "seg-%d" % (i + 1), "title": r[2], "kind": kinds[i], "duration": secs[i], "host_lines": [r[0]]}
        for i, r in enumerate(data)]})


# 06 — a segment's title and length merged over its rows, one selling point
# and one 话术 line per row; a note row and a 合计 row at the bottom.
def s06():
    name = "06_merged_segment_rows"
    wb = Workbook()
    ws = wb.active
    ws.title = "脚本"
    header(ws, 1, ["环节", "类型", "时长", "卖点", "话术"])
    r = 2
    segs = [("开场", "开场", "3分钟", [], ["欢迎新进直播间的宝宝", "先点关注不迷路"]),
            ("羽绒服", "产品", "8分钟", ["90%白鸭绒", "零下二十度不冷", "三色可选"], ["大家看充绒量", "穿上试试", "颜色我都换给大家看"]),
            ("福袋", "互动", "2分钟", [], ["福袋倒计时"]),
            ("下播", "收尾", "2分钟", [], ["明天见"])]
    for t, k, d, pts, lines in segs:
        n = max(len(pts), len(lines), 1)
        put(ws, r, (t, k, d))
        if n > 1:
            for col in (1, 2, 3):
                ws.merge_cells(start_row=r, start_column=col, end_row=r + n - 1, end_column=col)
        for i in range(n):
            if i < len(pts):
                ws.cell(row=r + i, column=4, value=pts[i])
            if i < len(lines):
                ws.cell(row=r + i, column=5, value=lines[i])
        r += n
    ws.cell(row=r, column=1, value="合计")
    ws.cell(row=r, column=3, value="15分钟")
    r += 2
    ws.cell(row=r, column=1, value="注：以上时长为计划时长，以现场为准")
    save(wb, name)
    golden(name, {"id": name, "title": name, "segments": [
        {"id": "seg-1", "title": "开场", "kind": "opening", "duration": 180, "host_lines": ["欢迎新进直播间的宝宝", "先点关注不迷路"]},
        {"id": "seg-2", "title": "羽绒服", "kind": "product", "duration": 480, "points": ["90%白鸭绒", "零下二十度不冷", "三色可选"],
         "host_lines": ["大家看充绒量", "穿上试试", "颜色我都换给大家看"]},
        {"id": "seg-3", "title": "福袋", "kind": "interaction", "duration": 120, "host_lines": ["福袋倒计时"]},
        {"id": "seg-4", "title": "下播", "kind": "closing", "duration": 120, "host_lines": ["明天见"]},
    ]}, ["w.total_row", "w.note_row"])


# 07 — two title lines and a blank before the header (row 4), 时长（秒）
# with seconds, an unknown 价格 column (kept as notes, warned).
def s07():
    name = "07_seconds_unknown_column"
    wb = Workbook()
    ws = wb.active
    ws.title = "流程"
    title_row(ws, "家居百货专场", 6, 1)
    ws.cell(row=2, column=1, value="主播：小林  场控：阿杰")
    header(ws, 4, ["类型", "环节", "时长（秒）", "价格", "话术", "备注"])
    data = [("开场", "开场白", 120, "", "欢迎", ""), ("产品", "收纳箱", 300, "39.9", "三个装", "库存500"),
            ("问答", "答疑", 240, "", "有问题打在公屏", ""), ("收尾", "结束语", 60, "", "谢谢", "")]
    for i, r in enumerate(data):
        put(ws, 5 + i, r)
    save(wb, name)
    golden(name, {"id": name, "title": "家居百货专场", "segments": [
        {"id": "seg-1", "title": "开场白", "kind": "opening", "duration": 120, "host_lines": ["欢迎"]},
        {"id": "seg-2", "title": "收纳箱", "kind": "product", "duration": 300, "notes": "库存500\n价格：39.9", "host_lines": ["三个装"]},
        {"id": "seg-3", "title": "答疑", "kind": "interaction", "duration": 240, "host_lines": ["有问题打在公屏"]},
        {"id": "seg-4", "title": "结束语", "kind": "closing", "duration": 60, "host_lines": ["谢谢"]},
    ]}, ["w.unknown_column"])


# 08 — no duration column: lengths come from the 时间段 ranges.
def s08():
    name = "08_time_ranges_only"
    wb = Workbook()
    ws = wb.active
    header(ws, 1, ["时间段", "直播内容", "主播话术"])
    data = [("19:55-20:00", "暖场", "宝宝们马上开始"), ("20:00-20:12", "爆款连衣裙", "这条裙子卖爆了"),
            ("20:12~20:15", "抽免单", "抽一位免单"), ("20:15—20:20", "下播", "关注明天见")]
    for i, r in enumerate(data):
        put(ws, 2 + i, r)
    save(wb, name)
    golden(name, {"id": name, "title": name, "start": "19:55", "segments": [
        {"id": "seg-1", "title": "暖场", "kind": "opening", "duration": 300, "host_lines": ["宝宝们马上开始"]},
        {"id": "seg-2", "title": "爆款连衣裙", "kind": "product", "duration": 720, "host_lines": ["这条裙子卖爆了"]},
        {"id": "seg-3", "title": "抽免单", "kind": "interaction", "duration": 180, "host_lines": ["抽一位免单"]},
        {"id": "seg-4", "title": "下播", "kind": "closing", "duration": 300, "host_lines": ["关注明天见"]},
    ]}, ["w.duration_times"])


# 09 — real duration cells ([mm]:ss and h:mm:ss) and the phase layout.
def s09():
    name = "09_duration_cells_phases"
    wb = Workbook()
    ws = wb.active
    ws.title = "脚本"
    header(ws, 1, ["序号", "环节", "类型", "时长", "产品", "主推", "阶段", "阶段时长", "卖点", "卖点时长", "预设"])
    put(ws, 2, ("open", "开场", "开场", None, "", "", "", None, "", None, "cam-wide"))
    duration_cell(ws, 2, 4, 60)
    put(ws, 3, ("p1", "精华液", "产品", None, "修护精华液", "是", "核心卖点", None, "修护屏障", None, "cam-close"))
    duration_cell(ws, 3, 8, 60)
    duration_cell(ws, 3, 10, 25)
    put(ws, 4, ("", "", "", None, "", "", "", None, "敏感肌可用"))
    put(ws, 5, ("", "", "", None, "", "", "场景演示", None, "上脸演示"))
    duration_cell(ws, 5, 8, 180, "h:mm:ss")
    put(ws, 6, ("", "", "", None, "", "", "对比", None, "对比大牌"))
    duration_cell(ws, 6, 8, 60)
    put(ws, 7, ("end", "收尾", "收尾"))
    duration_cell(ws, 7, 4, 120, "h:mm:ss")
    save(wb, name)
    golden(name, {"id": name, "title": name, "segments": [
        {"id": "open", "title": "开场", "kind": "opening", "duration": 60, "preset": "cam-wide"},
        {"id": "p1", "title": "精华液", "kind": "product", "product": "修护精华液", "flagship": True, "preset": "cam-close",
         "phases": [("核心卖点", 60, [("修护屏障", 25), "敏感肌可用"]), ("场景演示", 180, ["上脸演示"]), ("对比", 60, ["对比大牌"])]},
        {"id": "end", "title": "收尾", "kind": "closing", "duration": 120},
    ]})


# 10 — an 互动 sheet (coupons and votes) comes first and has a 时长 column;
# the rundown is "脚本" with the 互动 column naming them.
def s10():
    name = "10_interaction_sheet_first"
    wb = Workbook()
    ws = wb.active
    ws.title = "互动"
    header(ws, 1, ["编号", "名称", "类型", "时长", "面额", "门槛", "库存", "问题", "选项"])
    put(ws, 2, ("coupon-1", "满199减30", "发券", "3分钟", "30", "199", "200", "", ""))
    put(ws, 3, ("vote-1", "", "投票", "2分钟", "", "", "", "下一款选哪个", "A款|B款"))
    rs = wb.create_sheet("脚本")
    header(rs, 1, ["序号", "环节", "类型", "时长", "互动", "话术"])
    data = [("open", "开场", "开场", "2分钟", "", "欢迎"), ("c1", "发券", "发券", "3分钟", "coupon-1", "券已上架"),
            ("p1", "连衣裙", "产品", "5分钟", "", "看版型"), ("v1", "投票", "投票", "2分钟", "vote-1", "扣A或B"),
            ("end", "下播", "下播", "1分钟", "", "再见")]
    for i, r in enumerate(data):
        put(rs, 2 + i, r)
    save(wb, name)
    secs = [120, 180, 300, 120, 60]
    kinds = ["opening", "interaction", "product", "interaction", "closing"]
    segs = []
    for i, r in enumerate(data):
        g = {"id": r[0], "title": r[1], "kind": kinds[i], "duration": secs[i], "host_lines": [r[5]]}
        if r[4]:
            g["interaction"] = r[4]
        segs.append(g)
    extra = """coupons:
  - id: coupon-1
    name: 满199减30
    face_value: 30
    threshold: 199
    stock: 200
    window: 3m
votes:
  - id: vote-1
    question: 下一款选哪个
    options: [A款, B款]
    duration: 2m
"""
    golden(name, {"id": name, "title": name, "segments": segs, "extra_yaml": extra}, ["w.sheet_used"])


# 11 — blank rows between segments, section headings merged across the
# sheet, header on row 2 under a title, a note row.
def s11():
    name = "11_blank_rows_sections"
    wb = Workbook()
    ws = wb.active
    title_row(ws, "零食节 直播流程", 5)
    header(ws, 2, ["流程", "性质", "用时", "商品", "口播"])
    ws.cell(row=3, column=1, value="第一部分：暖场")
    ws.merge_cells("A3:E3")
    put(ws, 4, ("开场", "暖场", "3分钟", "", "家人们晚上好"))
    put(ws, 6, ("坚果礼盒", "过款", "6分钟", "每日坚果", "一天一包"))
    ws.cell(row=8, column=1, value="第二部分：福利")
    ws.merge_cells("A8:E8")
    put(ws, 9, ("秒杀", "秒杀", "4分钟", "", "三二一上链接"))
    put(ws, 11, ("结束", "下播", "2分钟", "", "拜拜"))
    ws.cell(row=13, column=1, value="※ 链接顺序以运营为准")
    save(wb, name)
    golden(name, {"id": name, "title": "零食节 直播流程", "segments": [
        {"id": "seg-1", "title": "开场", "kind": "opening", "duration": 180, "host_lines": ["家人们晚上好"]},
        {"id": "seg-2", "title": "坚果礼盒", "kind": "product", "duration": 360, "product": "每日坚果", "host_lines": ["一天一包"]},
        {"id": "seg-3", "title": "秒杀", "kind": "interaction", "duration": 240, "host_lines": ["三二一上链接"]},
        {"id": "seg-4", "title": "结束", "kind": "closing", "duration": 120, "host_lines": ["拜拜"]},
    ]}, ["w.note_row"])


# 13 — WPS-style: an empty first sheet, the rundown on "直播脚本" with 时长/分,
# start times typed as time cells, kinds 产品 / 投票.
def s13():
    name = "13_wps_style"
    wb = Workbook()
    wb.active.title = "Sheet1"
    ws = wb.create_sheet("直播脚本")
    title_row(ws, "母婴专场", 6)
    header(ws, 2, ["开始时间", "环节", "类型", "时长/分", "产品", "话术"])
    data = [((21, 0), "开场", "开场", 2, "", "欢迎宝妈们"), ((21, 2), "纸尿裤", "产品", 10, "超薄纸尿裤", "透气不红屁屁"),
            ((21, 12), "投票", "投票", 3, "", "想要哪款扣几"), ((21, 15), "收尾", "收尾", 5, "", "明天见")]
    for i, ((h, m), *rest) in enumerate(data):
        time_cell(ws, 3 + i, 1, h, m, "h:mm")
        put_row = [None] + rest
        for j, v in enumerate(put_row):
            if v not in (None, ""):
                ws.cell(row=3 + i, column=1 + j, value=v)
    save(wb, name)
    kinds = ["opening", "product", "interaction", "closing"]
    segs = []
    for i, ((h, m), t, k, d, prod, line) in enumerate(data):
        g = {"id": "seg-%d" % (i + 1), "title": t, "kind": kinds[i], "duration": d * 60, "host_lines": [line]}
        if prod:
            g["product"] = prod
        segs.append(g)
    golden(name, {"id": name, "title": "母婴专场", "start": "21:00", "segments": segs})


# 14 — a CSV saved by Excel on a Chinese system (GB18030, no BOM).
def s14():
    name = "14_excel_gbk"
    rows = [["序号", "环节", "类型", "时长", "话术"], ["1", "开场", "开场", "3分钟", "欢迎"],
            ["2", "茶叶礼盒", "产品", "8分钟", "明前龙井"], ["3", "抽奖", "抽奖", "2分钟", "扣1"], ["4", "下播", "下播", "1分钟", "晚安"]]
    with open(os.path.join(HERE, name + ".csv"), "w", encoding="gb18030", newline="") as f:
        for r in rows:
            f.write(",".join(r) + "\r\n")
    kinds = ["opening", "product", "interaction", "closing"]
    secs = [180, 480, 120, 60]
    golden(name, {"id": name, "title": name, "segments": [
        {"id": r[0], "title": r[1], "kind": kinds[i], "duration": secs[i], "host_lines": [r[4]]} for i, r in enumerate(rows[1:])]})


# 15 — a UTF-8 CSV with BOM, quoted multi-line selling points.
def s15():
    name = "15_utf8_bom"
    body = "\ufeff环节,类型,时长(分钟),卖点,话术\r\n开场,开场,2,,大家好\r\n" \
           "\"保温杯\",产品,6,\"1. 24小时保温\n2. 316不锈钢\",\"今天只要59\"\r\n福利,福利,2,,关注领券\r\n收尾,收尾,1,,拜拜\r\n"
    with open(os.path.join(HERE, name + ".csv"), "w", encoding="utf-8", newline="") as f:
        f.write(body)
    golden(name, {"id": name, "title": name, "segments": [
        {"id": "seg-1", "title": "开场", "kind": "opening", "duration": 120, "host_lines": ["大家好"]},
        {"id": "seg-2", "title": "保温杯", "kind": "product", "duration": 360, "points": ["24小时保温", "316不锈钢"], "host_lines": ["今天只要59"]},
        {"id": "seg-3", "title": "福利", "kind": "interaction", "duration": 120, "host_lines": ["关注领券"]},
        {"id": "seg-4", "title": "收尾", "kind": "closing", "duration": 60, "host_lines": ["拜拜"]},
    ]})


# 20 — the formats a Chinese-locale Excel/WPS offers for times: 时长 typed
# 5:00 shown as 5时00分 (built-in Chinese time format), starts as 上午/下午
# times with a [$-F400] locale tag; a merged two-line header title.
def s20():
    name = "20_chinese_time_formats"
    wb = Workbook()
    ws = wb.active
    ws.title = "直播流程表"
    title_row(ws, "双十一预热场 直播流程", 5)
    ws.cell(row=2, column=1, value="编制：运营部")
    header(ws, 3, ["开始", "环节名称", "环节类型", "时长", "主播话术"])
    data = [((20, 0), "开场", "开播", (5, 0), "欢迎各位"), ((20, 5), "爆款面膜", "产品讲解", (10, 0), "一片顶三片"),
            ((20, 15), "福袋", "福利", (2, 30), "福袋已上"), ((20, 17, 30), "下播", "下播", (2, 30), "晚安")]
    for i, (st, t, k, (h, m), line) in enumerate(data):
        r = 4 + i
        c = ws.cell(row=r, column=1, value=dt.time(*st))
        c.number_format = '[$-F400]h:mm:ss\\ AM/PM'
        ws.cell(row=r, column=2, value=t)
        ws.cell(row=r, column=3, value=k)
        time_cell(ws, r, 4, h, m, 'h"时"mm"分"')
        ws.cell(row=r, column=5, value=line)
    save(wb, name)
    kinds = ["opening", "product", "interaction", "closing"]
    golden(name, {"id": name, "title": "双十一预热场 直播流程", "start": "20:00", "segments": [
        {"id": "seg-%d" % (i + 1), "title": t, "kind": kinds[i], "duration": h * 60 + m, "host_lines": [line]}
        for i, (st, t, k, (h, m), line) in enumerate(data)]}, ["w.time_as_mmss"])


def libreoffice_resave(name, to="xlsx", src_name=None):
    """Open NAME.xlsx (or SRC_NAME.xlsx) in LibreOffice and save it as
    NAME.xlsx or NAME.ods."""
    src = os.path.join(HERE, (src_name or name) + ".xlsx")
    fmt = {"xlsx": "xlsx:Calc MS Excel 2007 XML", "ods": "ods"}[to]
    with tempfile.TemporaryDirectory() as tmp:
        profile = "file://" + os.path.join(tmp, "profile")
        out = os.path.join(tmp, "out")
        os.mkdir(out)
        subprocess.run(["soffice", "-env:UserInstallation=" + profile, "--headless", "--convert-to",
                        fmt, "--outdir", out, src], check=True, capture_output=True, timeout=180)
        shutil.move(os.path.join(out, (src_name or name) + "." + to), os.path.join(HERE, name + "." + to))


def copy_golden(src, dst):
    g = open(os.path.join(HERE, src + ".golden.yaml"), encoding="utf-8").read()
    g = g.replace(q(src), q(dst))
    open(os.path.join(HERE, dst + ".golden.yaml"), "w", encoding="utf-8").write(g)


def main():
    for f in (s01, s02, s03, s04, s05, s06, s07, s08, s09, s10, s11, s13, s14, s15, s20):
        f()
    # 12 — the time-typed sheet, and the merged-rows sheet, saved again by
    # LibreOffice.
    s02("12_libreoffice_time_cells")
    if "--libreoffice" in sys.argv:
        libreoffice_resave("12_libreoffice_time_cells")
        shutil.copy(os.path.join(HERE, "06_merged_segment_rows.xlsx"), os.path.join(HERE, "16_libreoffice_merged.xlsx"))
        libreoffice_resave("16_libreoffice_merged")
        copy_golden("06_merged_segment_rows", "16_libreoffice_merged")
        # Saved as .ods by LibreOffice: time cells, merged rows, durations.
        for src, dst in (("02_time_typed_cells", "17_ods_time_cells"), ("06_merged_segment_rows", "18_ods_merged"),
                         ("09_duration_cells_phases", "19_ods_duration_cells")):
            libreoffice_resave(dst, "ods", src)
            copy_golden(src, dst)


if __name__ == "__main__":
    main()
