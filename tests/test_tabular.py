"""Reading spreadsheets: a formula cell reads as its formula, never as its cached result."""

import io
import zipfile

import pytest
from openpyxl import Workbook
from openpyxl.worksheet.formula import ArrayFormula

from learnapp.tabular import TableError, looks_like_formula, read_xlsx


def _workbook(*rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_formula_cells_read_as_their_formula(ctx):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "分值"])
    sheet.append(['=HYPERLINK("x")', 3])
    sheet["B3"] = ArrayFormula("B3:B3", "=SUM(B2:B2)")
    sheet["A3"] = "张三"
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_xlsx(buffer.getvalue())
    assert table.rows == [(2, ['=HYPERLINK("x")', "3"]), (3, ["张三", "=SUM(B2:B2)"])]
    assert looks_like_formula(table.rows[0][1][0]) and looks_like_formula(table.rows[1][1][1])


def test_a_formula_that_cannot_be_parsed_is_a_table_error_not_a_crash(ctx):
    data = _workbook(["姓名"], ["x"], ["y"])
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                # A shared formula with an unterminated string: openpyxl fails translating it.
                cell = b'<c r="A2" t="inlineStr"><is><t>x</t></is></c>'
                assert cell in content
                content = content.replace(
                    cell, b'<c r="A2"><f t="shared" ref="A2:A3" si="0">"abc</f></c>'
                )
            target.writestr(item, content)
    with pytest.raises(TableError):
        read_xlsx(buffer.getvalue())
