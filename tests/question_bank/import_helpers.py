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


def xlsx_with_formulas(formulas: dict, header=None) -> bytes:
    """A workbook of one good row (row 2) whose cells named by their header are real formulas,
    as openpyxl writes them: with no computed value. ("header", name) puts one in row 1."""
    from openpyxl import Workbook

    header = header or HEADER
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    sheet.append(row())
    for name, formula in formulas.items():
        line, name = (1, name[1]) if isinstance(name, tuple) else (2, name)
        cell = sheet.cell(row=line, column=header.index(name) + 1, value=formula)
        assert cell.data_type == "f"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_examples() -> bytes:
    """The Excel template with its example rows turned into real questions: the marker that
    makes an import leave them out is removed from their stems."""
    from openpyxl import load_workbook

    from learnapp.question_bank.formats import xlsx

    workbook = load_workbook(io.BytesIO(xlsx.template_workbook()))
    for (cell,) in workbook["题目"].iter_rows(min_row=2, min_col=2, max_col=2):
        cell.value = cell.value.removeprefix("（示例）")
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


def has_han(text: str) -> bool:
    """Whether text holds Chinese characters (an English message should name things in English:
    the Chinese catalogue gives them their Chinese names)."""
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def messages(problems) -> list[str]:
    """The problems' messages in English (the msgids), whatever the catalogues hold."""
    from flask import has_app_context
    from flask_babel import force_locale

    if not has_app_context():
        return [str(problem.message) for problem in problems]
    with force_locale("en"):
        return [str(problem.message) for problem in problems]
