"""Reading spreadsheets: a formula cell reads as its formula, never as its cached result; a
text file in neither encoding is refused with the line of its first bad byte."""

import io
import zipfile

import pytest
from openpyxl import Workbook
from openpyxl.worksheet.formula import ArrayFormula

from learnapp.tabular import TableError, decode_text, looks_like_formula, read_csv, read_xlsx


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


# Line 4 has a Latin-1 "é" (0xE9) in a file that is otherwise UTF-8. Read as GB18030 the UTF-8
# text already fails on line 1: "用户名" is nine bytes, the ninth pairs with the comma.
UTF8_WITH_A_LATIN1_BYTE = (
    "姓名,用户名,所在组织\n张三,zhangsan,甲支部\n李四,lisi,乙支部\n".encode() + b"Jos\xe9,jose,x\n"
)
# GBK with a byte no GB18030 sequence starts with on line 4; as UTF-8 it fails on line 1.
GBK_WITH_A_BAD_BYTE = "姓名,用户名\n张三,zhangsan\n李四,lisi\n王五".encode("gbk") + b"\xff,wangwu\n"


def _line_refused(data: bytes) -> str:
    with pytest.raises(TableError) as refused:
        decode_text(data)
    return str(refused.value)


def test_the_file_fixtures_fail_where_they_say():
    with pytest.raises(UnicodeDecodeError) as gb:
        UTF8_WITH_A_LATIN1_BYTE.decode("gb18030")
    assert UTF8_WITH_A_LATIN1_BYTE[: gb.value.start].count(b"\n") == 0
    with pytest.raises(UnicodeDecodeError) as utf8:
        GBK_WITH_A_BAD_BYTE.decode("utf-8")
    assert GBK_WITH_A_BAD_BYTE[: utf8.value.start].count(b"\n") == 0


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_a_utf8_file_with_one_bad_byte_names_that_bytes_line(ctx, bom):
    assert _line_refused(bom + UTF8_WITH_A_LATIN1_BYTE) == (
        "文件编码既不是 UTF-8，也不是 GBK/GB18030（第 4 行出现首个无效字节）。"
    )


def test_a_gbk_file_with_one_bad_byte_names_that_bytes_line(ctx):
    assert "（第 4 行出现首个无效字节）" in _line_refused(GBK_WITH_A_BAD_BYTE)


def test_a_bad_byte_both_decoders_stop_at_is_named_once(ctx):
    assert "（第 3 行出现首个无效字节）" in _line_refused(b"a,b\r\nc,d\r\ne\x80,f\r\n")


def test_the_bad_line_is_named_when_a_csv_is_read(ctx):
    with pytest.raises(TableError, match="第 4 行"):
        read_csv(UTF8_WITH_A_LATIN1_BYTE)


def test_date_and_time_cells_read_as_the_date_or_time_shown(ctx):
    from datetime import date, datetime, time

    data = _workbook(
        ["选项A", "选项B", "选项C", "选项D"],
        [datetime(1921, 7, 1), date(1949, 10, 1), time(8, 30), datetime(2022, 10, 22, 9, 5)],
    )
    assert read_xlsx(data).rows == [(2, ["1921-07-01", "1949-10-01", "08:30", "2022-10-22 09:05"])]


def test_percentage_cells_read_as_the_percentage_shown(ctx):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["答案", "比例", "分值"])
    sheet.append([0.5, 0.125, 0.5])
    sheet["A2"].number_format = "0%"
    sheet["B2"].number_format = "0.0%"
    buffer = io.BytesIO()
    workbook.save(buffer)
    # A number shown as a percentage reads as shown; the same number without the format does not.
    assert read_xlsx(buffer.getvalue()).rows == [(2, ["50%", "12.5%", "0.5"])]


@pytest.mark.parametrize(
    "data",
    [
        "题型,题干\n".encode("utf-16"),
        "题型,题干\n".encode("utf-16-le"),
        b"\xfe\xff\x00a",
        # 一 is U+4E00: NUL bytes on both offsets, the newlines' on the odd ones.
        ("第一题是哪一年召开的一次会议\n" * 30).encode("utf-16-le"),
    ],
    ids=["bom", "no-bom", "big-endian", "chinese-only"],
)
def test_a_utf16_file_is_named_as_such_not_as_binary(ctx, data):
    assert (
        _line_refused(data)
        == "文件以 UTF-16（Unicode 文本）编码保存：请另存为 UTF-8 编码后重新上传。"
    )


def test_a_cell_over_the_csv_size_limit_names_its_line_in_words(ctx):
    with pytest.raises(TableError) as refused:
        read_csv("姓名,用户名\n张三,zhangsan\n".encode() + b"x" * 140_000 + b",lisi\n")
    assert str(refused.value).startswith("第 3 行：有单元格超过 131,072 个字符")


def test_a_utf8_file_with_a_stray_nul_is_still_not_text(ctx):
    assert (
        _line_refused("题型,题干\n单选,第一题\x00\n".encode())
        == "文件包含 NUL 字节，不是文本文件。"
    )


def _sheets(**sheets) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_other_sheets_holding_data_are_named_empty_ones_and_the_notes_sheet_are_not(ctx):
    data = _sheets(
        一支部=[["姓名"], ["张三"]],
        二支部=[["姓名"], ["李四"]],
        空白=[],
        说明=[["列", "说明"], ["姓名", "必填"]],
        三支部=[[None, ""], [None, "王五"]],
    )
    table = read_xlsx(data)
    assert table.rows == [(2, ["张三"])]
    assert table.other_sheets == ["二支部", "三支部"]


def test_a_one_sheet_workbook_names_no_other_sheet(ctx):
    assert read_xlsx(_workbook(["姓名"], ["张三"])).other_sheets == []


def test_merged_cells_are_refused_naming_the_first_five_ranges(ctx):
    workbook = Workbook()
    sheet = workbook.active
    for number in range(1, 2001):
        sheet.append([f"r{number}", "x", "y"])
    for number in range(2, 16, 2):
        sheet.merge_cells(f"A{number}:B{number}")
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(TableError) as refused:
        read_xlsx(buffer.getvalue())
    message = str(refused.value)
    assert "A2:B2、A4:B4、A6:B6、A8:B8、A10:B10…" in message
    assert read_xlsx(_workbook(["a", "b"], ["1", "2"])).rows == [(2, ["1", "2"])]
