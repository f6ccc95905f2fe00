"""The Excel template and CSV: answers in every spelling, row-level errors with their column,
and the malformed files of security.md §6.3 (rows 39–50)."""

import io
import zipfile

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from learnapp.question_bank.formats import csv as csv_format
from learnapp.question_bank.formats import detect, xlsx
from learnapp.question_bank.formats.sheet import COLUMNS
from tests.question_bank.import_helpers import (
    csv_text,
    messages,
    row,
    template_examples,
    xlsx_bytes,
    xlsx_with_formulas,
    zip_bomb,
)


def parse_csv(rows, header=None, encoding="utf-8"):
    return csv_format.parse(csv_text(rows, header).encode(encoding), "t.csv")


def errors_at(result):
    return [(p.line, p.column) for p in result.errors]


def test_template_header_and_examples_import_cleanly():
    data = xlsx.template_workbook()
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["题目", "说明"]
    assert [c.value for c in workbook["题目"][1]] == list(COLUMNS)
    result = xlsx.parse(template_examples(), "template.xlsx")
    assert result.errors == [] and result.skipped == []
    assert [q.draft.type for q in result.questions] == [
        "single",
        "multiple",
        "judge",
        "fill",
        "short",
    ]
    assert [q.line for q in result.questions] == [2, 3, 4, 5, 6]


@pytest.mark.parametrize(
    ("type_", "options", "answer", "spec"),
    [
        ("单选", ("a", "b", "c"), "B", {"options": ["a", "b", "c"], "answer": 1}),
        ("单选题", ("a", "b"), "ｂ．", {"options": ["a", "b"], "answer": 1}),
        (
            "多选",
            ("a", "b", "c", "d"),
            "ACD",
            {"options": ["a", "b", "c", "d"], "answers": [0, 2, 3], "partial_credit": 0.5},
        ),
        (
            "多选",
            ("a", "b", "c", "d"),
            "Ｃ，Ｄ",
            {"options": ["a", "b", "c", "d"], "answers": [2, 3], "partial_credit": 0.5},
        ),
        (
            "多项选择题",
            ("a", "b", "c"),
            "a、b",
            {"options": ["a", "b", "c"], "answers": [0, 1], "partial_credit": 0.5},
        ),
        ("判断", (), "对", {"answer": True}),
        ("判断", (), "×", {"answer": False}),
        ("判断", (), "正确", {"answer": True}),
        ("判断", (), "F", {"answer": False}),
        ("判断", (), "√", {"answer": True}),
        ("判断题", (), "错误", {"answer": False}),
    ],
)
def test_answers_in_every_spelling(type_, options, answer, spec):
    result = parse_csv([row(type_, "题干", options, answer)])
    assert result.errors == []
    assert result.questions[0].draft.spec == spec


def test_fill_blanks_synonyms_and_full_width_separators():
    result = parse_csv(
        [
            row(
                "填空",
                "党的最高领导机关是____和它产生的____。",
                (),
                "全国代表大会|全国党代会;;中央委员会",
            ),
            row("填空", "不少于____学时", (), "32｜三十二"),
        ]
    )
    assert result.errors == []
    assert result.questions[0].draft.spec["blanks"] == [
        ["全国代表大会", "全国党代会"],
        ["中央委员会"],
    ]
    assert result.questions[1].draft.spec["blanks"] == [["32", "三十二"]]


def test_short_answer_key_points():
    result = parse_csv([row("简答", "简述", (), "要点一;;要点二")])
    assert result.questions[0].draft.spec == {
        "reference": "要点一\n要点二",
        "key_points": ["要点一", "要点二"],
    }


def test_metadata_columns():
    result = parse_csv(
        [
            row(
                分值="2.5",
                难度="较难",
                知识点="党章 › 第一章 党员",
                出处="《中国共产党章程》第五条",
                依据版本="2022-10-22 00:00:00",
                解析="因为",
                标签="入党；基础、预备期，基础",
            )
        ]
    )
    draft = result.questions[0].draft
    assert (str(draft.points), draft.difficulty) == ("2.5", 4)
    assert draft.knowledge_point == ["党章", "第一章 党员"]
    assert draft.source_version == "2022-10-22"
    assert draft.tags == ["入党", "基础", "预备期"]


def test_defaults_for_empty_points_difficulty_and_knowledge_point():
    result = csv_format.parse(csv_text([row("多选", answer="AB")]).encode(), default_kp=["党史"])
    draft = result.questions[0].draft
    assert (str(draft.points), draft.difficulty, draft.knowledge_point) == ("2", 2, ["党史"])


def test_every_bad_row_is_reported_with_row_and_column():
    result = parse_csv(
        [
            row(),  # row 2 fine
            row(stem=""),  # 3
            row("论述"),  # 4
            row(answer="E"),  # 5
            row("多选", answer="B"),  # 6: 多选 with a single answer marked
            row("单选", answer="AB"),  # 7
            row(options=("a", "", "c")),  # 8: a gap
            row("判断", options=(), answer="也许"),  # 9
            row("填空", "没有空", (), "x"),  # 10
            row("填空", "一个____", (), "a;;b"),  # 11
            row(分值="abc"),  # 12
            row(分值=""),  # 13 fine
            row(难度="6"),  # 14
            row(stem="=1+1"),  # 15
            row(stem="x" * 2001),  # 16
            row(知识点="/".join(["层"] * 7)),  # 17
            row(分值="-5"),  # 18
            row(分值="nan"),  # 19
            row(标签=";".join(f"t{i}" for i in range(11))),  # 20
            row(options=("a",)),  # 21
            row(options=("a", "a")),  # 22: duplicate options
        ]
    )
    assert errors_at(result) == [
        (3, "题干"),
        (4, "题型"),
        (5, "答案"),
        (6, "答案"),
        (7, "答案"),
        (8, "选项B"),
        (9, "答案"),
        (10, "题干"),
        (11, "答案"),
        (12, "分值"),
        (14, "难度"),
        (15, "题干"),
        (16, "题干"),
        (17, "知识点"),
        (18, "分值"),
        (19, "分值"),
        (20, "标签"),
        (21, "选项A"),
        (22, "答案"),
    ]
    assert [q.line for q in result.questions] == [2, 13]


def test_the_templates_example_rows_left_in_are_listed_and_never_imported():
    workbook = load_workbook(io.BytesIO(xlsx.template_workbook()))
    workbook["题目"].append(row(stem="真题：党员的预备期为一年。", options=("对", "错")))
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = xlsx.parse(buffer.getvalue(), "t.xlsx")
    assert result.errors == []
    assert [q.draft.stem for q in result.questions] == ["真题：党员的预备期为一年。"]
    assert [(p.line, p.column) for p in result.skipped] == [(n, "题干") for n in range(2, 7)]
    assert all("（示例）" in text for text in messages(result.skipped))


def test_a_file_of_only_example_rows_is_refused_even_as_csv():
    assert xlsx.parse(xlsx.template_workbook()).errors[0].line is None
    result = parse_csv([row(stem="(示例) 一道题"), row(stem="　（示例）另一道题")])
    assert result.questions == [] and len(result.skipped) == 2
    assert "only the template's example rows" in messages(result.errors)[0]


def test_formula_cells_are_errors_at_their_row_and_column_never_their_cached_value():
    data = xlsx_with_formulas(
        {
            "题干": "=cmd|' /C calc'!A0",
            "选项A": '=HYPERLINK("http://example.test","甲")',
            "解析": "=1+1",
            "标签": "=A1",
        }
    )
    result = xlsx.parse(data, "t.xlsx")
    assert result.questions == []
    assert errors_at(result) == [(2, "题干"), (2, "选项A"), (2, "解析"), (2, "标签")]
    texts = messages(result.errors)
    assert all("formula" in text for text in texts)
    assert "=cmd|' /C calc'!A0" in texts[0] and "=1+1" in texts[2]
    assert result.warnings == []


def test_a_formula_anywhere_is_an_error_even_in_an_ignored_column_or_the_header():
    header = [*COLUMNS, "备注"]
    letter = get_column_letter(len(header))  # 备注's: the first column after the template's
    data = xlsx_with_formulas({"备注": "=HYPERLINK(1)"}, header)
    assert errors_at(xlsx.parse(data)) == [(2, letter)]
    data = xlsx_with_formulas({("header", "备注"): "=A1"}, header)
    assert errors_at(xlsx.parse(data)) == [(1, letter)]
    data = xlsx_with_formulas({"答案": "=CHAR(65)", "题型": "=A3"})
    assert errors_at(xlsx.parse(data)) == [(2, "题型"), (2, "答案")]  # and not "required"


def test_a_too_long_option_is_reported_once_not_also_as_a_gap():
    result = parse_csv([row(options=("甲" * 1001, "乙", "丙"))])
    assert errors_at(result) == [(2, "选项A")]
    assert "1000" in messages(result.errors)[0]


def test_more_cells_than_columns_and_fewer_cells_are_row_errors():
    longer = [*row(stem="题干2", options=("a", "b")), "EXTRA"]
    text = csv_text([row(), longer]) + "单选,题干3,a,b\n"
    result = csv_format.parse(text.encode())
    extra = get_column_letter(len(COLUMNS) + 1)
    assert [(p.line, p.column) for p in result.errors] == [(3, extra), (4, "")]
    assert [q.line for q in result.questions] == [2]


def test_missing_and_unknown_columns():
    header = ["题型", "题干", "选项A", "选项G"]
    result = parse_csv([["单选", "x", "a", "b"]], header=header)
    texts = messages(result.errors)
    assert "选项F" in texts[0] and "Missing columns: 答案" in texts[1]
    extra = parse_csv([[*row(), "x"]], header=[*COLUMNS, "备注"])
    assert extra.errors == [] and "备注" in messages(extra.warnings)[0]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_text_that_looks_like_html_is_kept_as_typed_without_a_warning(fmt):
    cells = {
        "stem": "比较大小：若 a<b 且 b>c，则（  ）。",
        "options": ("<b>粗体</b><script>alert(1)</script>", "<img src=x onerror=alert(1)>甲"),
        "解析": "…<b>粗体</b>",
        "标签": "<b>重点</b>",
        "出处": "《条例》&lt;第三条&gt;",
    }
    rows = [row(**cells), row("填空", "A&amp;B 是____", (), "<i>甲</i>|甲&乙")]
    data = csv_text(rows).encode() if fmt == "csv" else xlsx_bytes(rows)
    result = csv_format.parse(data) if fmt == "csv" else xlsx.parse(data)
    assert result.errors == [] and result.warnings == []
    choice, fill = (q.draft for q in result.questions)
    assert choice.stem == "比较大小：若 a<b 且 b>c，则（  ）。"
    assert choice.spec["options"] == list(cells["options"])
    assert (choice.explanation, choice.tags) == ("…<b>粗体</b>", ["<b>重点</b>"])
    assert choice.source_document == "《条例》&lt;第三条&gt;"
    assert fill.stem == "A&amp;B 是____"
    assert fill.spec["blanks"] == [["<i>甲</i>", "甲&乙"]]


def test_invisible_and_control_characters_leave_cells_even_in_multi_line_cells():
    result = parse_csv(
        [
            row(
                stem="第一行\u200b\x07\n第二\ufeff行",
                options=("甲\u00ad", "乙"),
                解析="解\x0b析\n二",
            )
        ]
    )
    draft = result.questions[0].draft
    assert (draft.stem, draft.spec["options"]) == ("第一行\n第二行", ["甲", "乙"])
    assert draft.explanation == "解析\n二"


def test_escaped_formula_text_from_our_exports_reads_back():
    result = parse_csv([row(stem="'=1+1 是几？", options=("'-x", "'@y"))])
    assert result.errors == []
    assert result.questions[0].draft.stem == "=1+1 是几？"
    assert result.questions[0].draft.spec["options"] == ["-x", "@y"]


def test_negative_number_options_are_not_formulas():
    result = parse_csv([row(options=("-5", "-3.5", "+1"), answer="A")])
    assert errors_at(result) == [(2, "选项C")]


# security.md §6.3


def test_39_utf8_bom_header_is_clean():
    data = ("\ufeff" + csv_text([row()])).encode()
    result = csv_format.parse(data)
    assert result.errors == [] and len(result.questions) == 1


def test_40_gbk_csv_is_detected():
    result = parse_csv([row(stem="题库张三")], encoding="gbk")
    assert result.encoding == "gb18030"
    assert result.questions[0].draft.stem == "题库张三"


def test_40_gb18030_characters_outside_gbk_are_read():
    result = parse_csv([row(stem="𠀀字题")], encoding="gb18030")
    assert result.encoding == "gb18030" and result.questions[0].draft.stem == "𠀀字题"


@pytest.mark.parametrize("delimiter", [",", "\t"])
def test_utf16_with_bom_comma_or_tab_separated_is_read(delimiter):
    text = csv_text([row(stem="党章题")]).replace(",", delimiter)
    result = csv_format.parse(text.encode("utf-16"), "t.csv")
    assert result.errors == [] and result.encoding == "utf-16"
    assert result.questions[0].draft.stem == "党章题"


def test_41_utf8_is_never_read_as_gbk():
    result = parse_csv([row(stem="题库")])
    assert result.encoding == "utf-8" and result.questions[0].draft.stem == "题库"


def test_42_mixed_encodings_refuse_the_whole_file_naming_the_line():
    data = (
        csv_text([row(stem="第一题")]).encode()
        + csv_text([row(stem="第二题")]).split("\n", 1)[1].encode("gbk")
        + "单选,𠀀,a,b,,,,,A,,,,,,,\n".encode()
    )
    result = csv_format.parse(data)
    assert result.questions == []
    assert "line" in messages(result.errors)[0]


def test_43_nul_bytes_are_refused():
    result = csv_format.parse(csv_text([row()]).encode().replace(b"A,", b"A\x00,", 1))
    assert "NUL" in messages(result.errors)[0]


def test_44_huge_field_is_a_friendly_error():
    result = parse_csv([row(stem="x" * 140_000)])
    assert result.questions == [] and messages(result.errors) == [
        'Line 2: a cell is longer than 131,072 characters (an unmatched " can make the rest of'
        " the file one cell)."
    ]


def test_47_zip_bomb_is_refused_before_parsing():
    result = xlsx.parse(zip_bomb())
    assert "expands" in messages(result.errors)[0]


def _lying_xlsx() -> bytes:
    """A real workbook whose sheet holds 30 MB of text while the zip declares 1,000 bytes."""
    import struct
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([row()])))
    out, big = io.BytesIO(), 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                head, tail = data.split(b"</sheetData>")
                cell = b'<row r="9"><c r="A9" t="inlineStr"><is><t>' + b"x" * 30_000_000
                data = head + cell + b"</t></is></c></row></sheetData>" + tail
                big = len(data)
            archive.writestr(info.filename, data)
    raw = bytearray(out.getvalue())
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = raw.find(signature)
        while start != -1:
            if struct.unpack_from("<I", raw, start + offset)[0] == big:
                struct.pack_into("<I", raw, start + offset, 1000)
            start = raw.find(signature, start + 4)
    return bytes(raw)


def test_47_zip_whose_declared_sizes_lie_is_refused_without_reading_it_all():
    data = _lying_xlsx()
    assert len(data) < 100_000
    result = xlsx.parse(data)
    assert result.questions == [] and len(result.errors) == 1


def _with_doctype(doctype: bytes, text: bytes) -> bytes:
    """The template with a DTD in its sheet and an entity reference in the first stem."""
    source = zipfile.ZipFile(io.BytesIO(xlsx.template_workbook()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = doctype + data.replace(
                    b'<c r="B2" t="inlineStr"><is><t>', b'<c r="B2" t="inlineStr"><is><t>' + text, 1
                )
            archive.writestr(info, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "doctype, reference",
    [
        (
            b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
            b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>',
            b"&d;",
        ),
        (b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>', b"&e;"),
    ],
    ids=["billion-laughs", "external-entity"],
)
def test_48_entities_inside_a_workbook_are_refused(doctype, reference):
    result = xlsx.parse(_with_doctype(doctype, reference), "t.xlsx")
    assert result.questions == []
    assert [(p.line, *messages([p])) for p in result.errors] == [
        (None, "The workbook could not be opened.")
    ]


def test_49_macros_binary_excel_and_png_renamed_are_refused():
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/vbaProject.bin", b"\x00")
    assert "macros" in messages(xlsx.parse(buffer.getvalue()).errors)[0]
    assert "not an .xlsx" in messages(xlsx.parse(b"\x89PNG\r\n\x1a\n" + b"0" * 100).errors)[0]
    with pytest.raises(ValueError, match="xlsx"):
        detect("题库.xlsm", b"PK")
    with pytest.raises(ValueError, match="xlsx"):
        detect("题库.xls", b"\xd0\xcf")


def test_50_zip_with_traversal_names_is_never_extracted():
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("../../x", "evil")
    result = xlsx.parse(buffer.getvalue())
    assert result.questions == [] and result.errors


def test_xlsx_reads_like_csv():
    rows = [row(), row("判断", "对吗", (), "对", 难度=3)]
    result = xlsx.parse(xlsx_bytes(rows), "t.xlsx")
    assert result.errors == [] and [q.draft.difficulty for q in result.questions] == [2, 3]


def test_detect_by_extension_and_content():
    assert detect("a.XLSX", b"") == "xlsx" and detect("a.csv", b"") == "csv"
    assert detect("a.gift", b"") == "gift"
    assert detect("a.txt", b"Q\nA) a\nB) b\nANSWER: A\n") == "aiken"
    assert detect("a.txt", b"Q {T}") == "gift"
    with pytest.raises(ValueError):
        detect("a.pdf", b"")


def test_the_template_gives_no_warning_of_other_sheets():
    assert xlsx.parse(template_examples(), "template.xlsx").warnings == []


def test_rows_on_another_sheet_are_named_in_a_warning():
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(xlsx_bytes([row(stem="第一页的题")])))
    workbook.create_sheet("第二页").append(row(stem="第二页的题"))
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = xlsx.parse(buffer.getvalue(), "t.xlsx")
    assert [q.draft.stem for q in result.questions] == ["第一页的题"]
    assert [(p.line, str(p.message)) for p in result.warnings] == [
        (
            None,
            "Only the first sheet is read. These sheets also hold data and were not read: "
            "第二页. Put all the rows on the first sheet.",
        )
    ]
