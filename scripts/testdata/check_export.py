#!/usr/bin/env python3
"""Read an exported run sheet with openpyxl, independently of the Go code,
and print what a team would see in Excel as JSON: the rundown's header row,
each segment's 时长 (as the spreadsheet value, in seconds), their sum, the
合计 row, number formats, frozen panes and print set-up.

    python3 check_export.py FILE.xlsx
"""
import datetime as dt
import json
import sys

import openpyxl


def seconds(v):
    if isinstance(v, dt.timedelta):
        return v.total_seconds()
    if isinstance(v, dt.time):
        return v.hour * 3600 + v.minute * 60 + v.second
    if isinstance(v, dt.datetime):
        return v.hour * 3600 + v.minute * 60 + v.second
    return None


def main(path):
    wb = openpyxl.load_workbook(path, data_only=True)
    ws = wb.worksheets[0]
    header_row, cols = None, {}
    for r in range(1, 6):
        names = [c.value for c in ws[r]]
        if "环节" in names and "时长" in names:
            header_row = r
            cols = {n: i for i, n in enumerate(names) if n}
            break
    out = {"sheet": ws.title, "header_row": header_row, "segments": 0, "sum_seconds": 0,
           "total_row_seconds": None, "untyped": [], "formats": [], "freeze": ws.freeze_panes,
           "orientation": ws.page_setup.orientation, "print_title_rows": ws.print_title_rows,
           "fit_to_width": ws.page_setup.fitToWidth, "header_bold": None, "widths": {}}
    if header_row is None:
        print(json.dumps(out, ensure_ascii=False))
        return
    out["header_bold"] = bool(ws.cell(row=header_row, column=cols["环节"] + 1).font.b)
    for name in ("环节", "卖点", "话术"):
        letter = openpyxl.utils.get_column_letter(cols[name] + 1)
        out["widths"][name] = ws.column_dimensions[letter].width
    d, t = cols["时长"], cols["环节"]
    formats = set()
    for row in ws.iter_rows(min_row=header_row + 1):
        title = row[t].value
        if title is None:
            if row[d].value is not None:
                out["untyped"].append("%s: 时长 on a continuation row" % row[d].coordinate)
            continue
        s = seconds(row[d].value)
        if title == "合计":
            out["total_row_seconds"] = s
            continue
        out["segments"] += 1
        if s is None:
            out["untyped"].append("%s: %r" % (row[d].coordinate, row[d].value))
            continue
        formats.add(row[d].number_format)
        out["sum_seconds"] += s
    out["formats"] = sorted(formats)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1])
