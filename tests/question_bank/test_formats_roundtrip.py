"""Export then import gives back the same questions, as far as each format holds them; exports
never hand a spreadsheet a formula (security.md §6.2 rows 32–38)."""

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from learnapp.question_bank.draft import QuestionDraft
from learnapp.question_bank.formats import export, parse
from learnapp.question_bank.formats.sheet import COLUMNS


def drafts() -> list[QuestionDraft]:
    common = {
        "knowledge_point": ["党章", "第一章 党员"],
        "source_document": "《中国共产党章程》第五条",
        "source_version": "2022-10-22",
        "tags": ["入党", "基础"],
    }
    return [
        QuestionDraft(
            "single",
            "申请入党要有（  ）名介绍人：{a} #1 = ~",
            {"options": ["一", "两", "三 = {x}", "五"], "answer": 1},
            Decimal("1"),
            1,
            explanation="第五条\n第二行",
            **common,
        ),
        QuestionDraft(
            "multiple",
            "党员的权利包括（  ）。",
            {
                "options": ["讨论", "表决", "选举", "不服从"],
                "answers": [0, 1, 2],
                "partial_credit": 0.5,
            },
            Decimal("2.5"),
            3,
            **common,
        ),
        QuestionDraft(
            "judge",
            "预备期为一年。",
            {"answer": True},
            Decimal("1"),
            2,
            explanation="第七条",
            **common,
        ),
        QuestionDraft("judge", "预备期为两年。", {"answer": False}, Decimal("1"), 2, **common),
        QuestionDraft(
            "fill",
            "最高领导机关是____。",
            {"blanks": [["全国代表大会", "党的全国代表大会"]], "any_order": False},
            Decimal("2"),
            2,
            **common,
        ),
        QuestionDraft(
            "fill",
            "____是党的基础，____是根本。",
            {"blanks": [["甲"], ["乙"]], "any_order": False},
            Decimal("2"),
            4,
            **common,
        ),
        QuestionDraft(
            "short",
            "简述民主集中制。",
            {
                "reference": "个人服从组织\n少数服从多数",
                "key_points": ["个人服从组织", "少数服从多数"],
            },
            Decimal("5"),
            5,
            **common,
        ),
        QuestionDraft(
            "single",
            "=1+1 等于几？",
            {"options": ["-1+1", "@SUM(1,1)", "+2", "\t=x"], "answer": 0},
            Decimal("1"),
            2,
            knowledge_point=["党史"],
            tags=['=HYPERLINK("x")'],
        ),
    ]


def full(draft):
    return (
        draft.type,
        draft.stem,
        draft.spec,
        draft.points,
        draft.difficulty,
        draft.knowledge_point,
        draft.source_document,
        draft.source_version,
        draft.explanation,
        draft.tags,
    )


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_spreadsheets_round_trip_everything(fmt):
    originals = drafts()
    originals[-1].spec["options"][3] = "=x"  # a tab would be trimmed: keep the test exact
    exported = export(fmt, originals)
    assert exported.exported == len(originals) and exported.skipped == []
    back = parse(fmt, exported.data, f"e.{fmt}")
    assert back.errors == []
    assert [full(q.draft) for q in back.questions] == [full(d) for d in originals]


def test_gift_round_trips_what_gift_holds():
    originals = drafts()
    originals[-1].spec["options"][3] = "=x"  # GIFT trims answers
    exported = export("gift", originals)
    assert exported.exported == 7
    assert [d.stem for d, _ in exported.skipped] == ["____是党的基础，____是根本。"]
    back = parse("gift", exported.data, "e.gift")
    assert back.errors == [] and back.skipped == []
    kept = [d for d in originals if d.stem != "____是党的基础，____是根本。"]

    def held(draft):
        return (
            draft.type,
            draft.stem,
            draft.spec,
            draft.knowledge_point,
            draft.explanation,
            draft.tags,
        )

    assert [held(q.draft) for q in back.questions] == [held(d) for d in kept]


def test_moodle_xml_round_trips_what_it_holds_with_the_points():
    originals = drafts()
    originals[-1].spec["options"][3] = "=x"  # answers are trimmed, as in GIFT
    exported = export("xml", originals)
    assert exported.exported == 7
    assert [d.stem for d, _ in exported.skipped] == ["____是党的基础，____是根本。"]
    back = parse("xml", exported.data, "e.xml")
    assert back.errors == [] and back.skipped == []
    kept = [d for d in originals if d.stem != "____是党的基础，____是根本。"]

    def held(draft):
        return (
            draft.type,
            draft.stem,
            draft.spec,
            draft.points,
            draft.knowledge_point,
            draft.explanation,
            draft.tags,
        )

    assert [held(q.draft) for q in back.questions] == [held(d) for d in kept]


@pytest.mark.parametrize("fmt", ["gift", "xml"])
def test_multiple_choice_exports_import_back_without_warnings(fmt):
    multiple = [d for d in drafts() if d.type == "multiple"]
    exported = export(fmt, multiple).data
    # A wrong option weighs -100%, so that Moodle too scores 0 when one is chosen.
    assert b"-100" in exported
    back = parse(fmt, exported)
    assert back.warnings == [] and back.errors == []
    assert [q.draft.spec for q in back.questions] == [d.spec for d in multiple]


def test_aiken_round_trips_single_choice():
    originals = drafts()
    exported = export("aiken", originals)
    assert exported.exported == 2 and len(exported.skipped) == 6
    back = parse("aiken", exported.data, "e.txt")
    singles = [d for d in originals if d.type == "single"]
    assert [(q.draft.stem, q.draft.spec) for q in back.questions] == [
        (d.stem, {"options": [o.strip() for o in d.spec["options"]], "answer": d.spec["answer"]})
        for d in singles
    ]


def test_fill_blank_at_start_and_end_round_trip_in_gift():
    originals = [
        QuestionDraft(
            "fill", "____是党的最高领导机关", {"blanks": [["全国代表大会"]], "any_order": False}
        ),
        QuestionDraft(
            "fill", "党的最高领导机关是 ____", {"blanks": [["全国代表大会"]], "any_order": False}
        ),
        QuestionDraft("single", "// 像注释的题干", {"options": ["[html]a", "b"], "answer": 0}),
    ]
    back = parse("gift", export("gift", originals).data)
    assert [(q.draft.stem, q.draft.spec) for q in back.questions] == [
        (d.stem, d.spec) for d in originals
    ]


# security.md §6.2


def test_formula_cells_in_xlsx_are_text_with_an_apostrophe():
    sheet = load_workbook(io.BytesIO(export("xlsx", drafts()).data))["题目"]
    last = list(sheet[sheet.max_row])
    assert last[1].value == "'=1+1 等于几？" and last[1].data_type == "s"
    assert [c.value for c in last[2:6]] == ["'-1+1", "'@SUM(1,1)", "'+2", "'\t=x"]
    tags, points = last[COLUMNS.index("标签")], last[COLUMNS.index("分值")]
    assert tags.value == '\'=HYPERLINK("x")'
    assert points.value == 1 and points.data_type == "n"  # numbers stay numbers (row 36)
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)


def test_formula_cells_in_csv_and_bom_and_quoting():
    data = export("csv", drafts()).data
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 1 + len(drafts())  # the newline in an explanation is quoted (row 37)
    assert rows[-1][1] == "'=1+1 等于几？" and rows[-1][2] == "'-1+1"
    assert rows[1][COLUMNS.index("解析")] == "第五条\n第二行"
