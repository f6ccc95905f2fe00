"""Helpers for the import and export tests: build files in memory."""

import io
import zipfile

from learnapp.question_bank.formats.sheet import COLUMNS

HEADER = list(COLUMNS)


def row(type_="单选", stem="题干", options=("甲", "乙", "丙", "丁"), answer="A", **cells):
    """A template row as a list of 16 cells; keyword cells by column name (分值=2)."""
    values = dict.fromkeys(HEADER, "")
    values.update({"题型": type_, "题干": stem, "答案": answer})
    for letter, option in zip("ABCDEF", options, strict=False):
        values[f"选项{letter}"] = option
    values.update(cells)
    return [values[name] for name in HEADER]


def csv_text(rows, header=None) -> str:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header or HEADER)
    writer.writerows(rows)
    return buffer.getvalue()


def xlsx_bytes(rows, header=None) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header or HEADER)
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def zip_bomb() -> bytes:
    """A tiny file claiming to be a workbook whose one sheet expands ~1000 times."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<a>" + "0" * 20_000_000 + "</a>")
    return buffer.getvalue()


def messages(problems) -> list[str]:
    """The problems' messages in English (the msgids), whatever the catalogues hold."""
    from flask import has_app_context
    from flask_babel import force_locale

    if not has_app_context():
        return [str(problem.message) for problem in problems]
    with force_locale("en"):
        return [str(problem.message) for problem in problems]
