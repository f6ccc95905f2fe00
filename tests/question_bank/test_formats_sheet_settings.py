"""The Excel template and CSV keep every setting the question form has (少选得分比例,
各空答案不分顺序, 学习对象) and every cell as typed, so that an export reads back unchanged: as
files, through the bank's services and through the export and import screens."""

import dataclasses
import io
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from learnapp.errors import DomainError
from learnapp.question_bank import importing, services
from learnapp.question_bank.draft import QuestionDraft
from learnapp.question_bank.formats import csv as csv_format
from learnapp.question_bank.formats import export, parse, xlsx
from learnapp.question_bank.formats.sheet import ANY_ORDER, AUDIENCE, COLUMNS, PARTIAL_CREDIT
from learnapp.question_bank.models import Audience, Question, QuestionStatus
from learnapp.web import LANG_COOKIE
from tests.factories import FIXED_NOW
from tests.question_bank.factories import make_bank
from tests.question_bank.import_helpers import csv_text, messages, row, xlsx_bytes
from tests.world import build_world

TOKEN = re.compile(r'name="token" value="([^"]+)"')
SETTINGS = (PARTIAL_CREDIT, ANY_ORDER, AUDIENCE)
OLD_COLUMNS = [name for name in COLUMNS if name not in SETTINGS]
LOOKS_LIKE_HTML = "比较大小：若 a<b 且 b>c，则（  ）。"


def drafts() -> list[QuestionDraft]:
    """Every type, each setting away from its default, and text that looks like HTML."""
    common = {
        "knowledge_point": ["党章", "第一章 党员"],
        "source_document": "《中国共产党章程》第五条",
        "source_version": "2022-10-22",
        "tags": ["入党", "<b>重点</b>"],
    }
    options = ["讨论", "表决", "选举", "不服从"]
    return [
        QuestionDraft(
            "single",
            LOOKS_LIKE_HTML,
            {
                "options": ["a>c", "<b>不一定</b>", "R&amp;D", "<img src=x onerror=alert(1)>"],
                "answer": 1,
            },
            Decimal("1.5"),
            4,
            explanation="…<b>粗体</b>，&amp; 是 &。",
            audience="leaders",
            **common,
        ),
        QuestionDraft(
            "multiple",
            "<b>党员的权利</b>包括（  ）。",
            {"options": options, "answers": [0, 1, 2], "partial_credit": 0.0},
            Decimal("2"),
            3,
            audience="leaders",
            **common,
        ),
        QuestionDraft(
            "multiple",
            "少选得三分之一多一点（  ）。",
            {"options": options, "answers": [0, 2], "partial_credit": 0.335},
            Decimal("3"),
            2,
            audience="applicants",
            **common,
        ),
        QuestionDraft(
            "multiple",
            "少选只得百分之零点五（  ）。",
            {"options": options, "answers": [1, 3], "partial_credit": 0.005},
            Decimal("2"),
            2,
            audience="party_members",
            **common,
        ),
        QuestionDraft(
            "multiple",
            "少选也得满分（  ）。",
            {"options": options, "answers": [0, 1], "partial_credit": 1.0},
            Decimal("2"),
            2,
            **common,
        ),
        QuestionDraft(
            "judge",
            "预备期为两年。",
            {"answer": False},
            Decimal("1"),
            1,
            audience="applicants",
            **common,
        ),
        QuestionDraft(
            "fill",
            "党的组织原则包括____和____。",
            {"blanks": [["民主集中制", "民主集中"], ["集体领导"]], "any_order": True},
            Decimal("2"),
            5,
            audience="party_members",
            **common,
        ),
        QuestionDraft(
            "fill",
            "A&amp;B：最高领导机关是____。",
            {"blanks": [["全国代表大会"]], "any_order": False},
            Decimal("2"),
            2,
            **common,
        ),
        QuestionDraft(
            "short",
            "简述民主集中制。",
            {"reference": "完整的参考答案\n第二行 <br>", "key_points": ["要点一", "要点二"]},
            Decimal("5"),
            3,
            audience="party_members",
            **common,
        ),
    ]


def without_origin(draft: QuestionDraft) -> QuestionDraft:
    return dataclasses.replace(draft, origin="")


def as_stored(draft: QuestionDraft) -> QuestionDraft:
    """A draft as the bank gives it back: tags are a set, listed by name."""
    return dataclasses.replace(draft, origin="", tags=sorted(draft.tags))


def parse_csv(rows, header=None):
    return csv_format.parse(csv_text(rows, header).encode(), "t.csv")


def cells(header, **named) -> list:
    """A template row (import_helpers.row) cut down to `header`'s columns, in its order."""
    values = dict(zip(COLUMNS, row(**named), strict=True))
    return [values[name] for name in header]


def problems_at(problems):
    return [(p.line, p.column) for p in problems]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_every_type_and_setting_round_trips_exactly_without_warnings(fmt):
    originals = drafts()
    exported = export(fmt, originals)
    assert exported.exported == len(originals) and exported.skipped == []
    back = parse(fmt, exported.data, f"e.{fmt}")
    assert back.errors == [] and back.warnings == [] and back.skipped == []
    assert [without_origin(q.draft) for q in back.questions] == originals


def test_the_export_writes_each_setting_out_even_at_its_default():
    originals = drafts()
    workbook = load_workbook(io.BytesIO(export("xlsx", originals).data))
    sheet = workbook["题目"]
    header = [cell.value for cell in sheet[1]]
    assert header == list(COLUMNS)
    written = [
        tuple(cell.value for cell in line[len(OLD_COLUMNS) :])
        for line in sheet.iter_rows(min_row=2)
    ]
    assert written == [
        (None, None, "书记和支委委员"),
        (0, None, "书记和支委委员"),
        (33.5, None, "入党积极分子和发展对象"),
        ("0.5%", None, "党员"),
        (100, None, "全体人员"),
        (None, None, "入党积极分子和发展对象"),
        (None, "是", "党员"),
        (None, "否", "全体人员"),
        (None, None, "党员"),
    ]
    assert sheet.cell(row=2, column=2).value == LOOKS_LIKE_HTML


def test_settings_are_read_in_every_spelling_and_empty_cells_are_the_forms_defaults():
    rows = [
        row("多选", stem="五成", answer="AB", 少选得分比例="50"),
        row("多选", stem="全角百分号", answer="AB", 少选得分比例="２５％"),
        row("多选", stem="小于百分之一", answer="AB", 少选得分比例="0.5 %"),
        row("多选", stem="留空", answer="AB"),
        row("填空", "____", (), "甲", 各空答案不分顺序="√"),
        row("填空", "____", (), "乙", 各空答案不分顺序="对"),
        row("填空", "____", (), "丙", 各空答案不分顺序="否"),
        row("填空", "____", (), "丁", 各空答案不分顺序="TRUE"),
        row("填空", "____", (), "戊"),
        row(stem="党员题", 学习对象="党员"),
        row(stem="代码", 学习对象="Leaders"),
        row(stem="全角空格", 学习对象="入党积极分子和发展对象\u3000"),
        row(stem="默认对象"),
    ]
    result = parse_csv(rows)
    assert result.errors == [] and result.warnings == []
    got = [q.draft for q in result.questions]
    assert [d.spec["partial_credit"] for d in got[:4]] == [0.5, 0.25, 0.005, 0.5]
    assert [d.spec["any_order"] for d in got[4:9]] == [True, True, False, True, False]
    assert [d.audience for d in got[9:]] == ["party_members", "leaders", "applicants", "all"]


def test_columns_are_found_by_header_in_any_order():
    header = list(reversed(COLUMNS))
    line = cells(header, type_="多选", answer="AC", 少选得分比例="0", 学习对象="党员")
    result = parse_csv([line], header=header)
    assert result.errors == []
    draft = result.questions[0].draft
    assert (draft.spec["partial_credit"], draft.audience) == (0.0, "party_members")


@pytest.mark.parametrize("header", [OLD_COLUMNS, [c for c in OLD_COLUMNS if c != "参考答案"]])
def test_an_older_template_without_the_setting_columns_imports_with_the_defaults(header):
    rows = [
        cells(header, type_="多选", stem="多选题", answer="AB"),
        cells(header, type_="填空", stem="填空____", options=(), answer="甲"),
        cells(header, type_="判断", stem="判断题", options=(), answer="对"),
    ]
    for data, fmt in ((csv_text(rows, header).encode(), "csv"), (xlsx_bytes(rows, header), "xlsx")):
        result = parse(fmt, data, f"old.{fmt}")
        assert result.errors == [] and result.warnings == [], fmt
        multiple, fill, judge = (q.draft for q in result.questions)
        assert multiple.spec["partial_credit"] == 0.5
        assert fill.spec["any_order"] is False
        assert {multiple.audience, fill.audience, judge.audience} == {"all"}


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        (PARTIAL_CREDIT, "一半", "Write a percentage from 0 to 100"),
        (PARTIAL_CREDIT, "101", "Write a percentage from 0 to 100"),
        (PARTIAL_CREDIT, "-5", "Write a percentage from 0 to 100"),
        (PARTIAL_CREDIT, "50%%", "Write a percentage from 0 to 100"),
        (PARTIAL_CREDIT, "NaN", "Write a percentage from 0 to 100"),
        (PARTIAL_CREDIT, "0.5", "not the share 0.5"),
        (AUDIENCE, "群众", "Unknown audience “群众”"),
        (AUDIENCE, "党员;书记", "Unknown audience"),
    ],
)
def test_a_bad_setting_is_an_error_at_its_row_and_column_and_the_row_is_not_imported(
    column, value, message
):
    result = parse_csv([row(stem="好题"), row("多选", stem="坏题", answer="AB", **{column: value})])
    assert problems_at(result.errors) == [(3, column)]
    assert message in messages(result.errors)[0]
    assert [q.draft.stem for q in result.questions] == ["好题"]


def test_a_bad_setting_is_reported_with_the_rows_other_problems():
    result = parse_csv(
        [
            row("多选", stem="两处错", answer="G", 少选得分比例="一半", 学习对象="群众"),
            row("填空", "没有空", (), "甲", 各空答案不分顺序="也许"),
        ]
    )
    assert problems_at(result.errors) == [
        (2, "答案"),
        (2, PARTIAL_CREDIT),
        (2, AUDIENCE),
        (3, "题干"),
        (3, ANY_ORDER),
    ]
    assert result.questions == []


@pytest.mark.parametrize("value", ["也许", "2", "不分"])
def test_a_bad_any_order_is_an_error_at_its_row_and_column(value):
    result = parse_csv([row("填空", "甲是____", (), "甲", 各空答案不分顺序=value)])
    assert problems_at(result.errors) == [(2, ANY_ORDER)]
    assert messages(result.errors) == ["Write 是 or 否 (对/错 and √/× are read too)."]
    assert result.questions == []


def test_a_cell_excel_formats_as_a_percentage_reads_as_the_percentage_shown():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(COLUMNS))
    sheet.append(row("多选", stem="百分比格式", answer="AB"))
    cell = sheet.cell(row=2, column=COLUMNS.index(PARTIAL_CREDIT) + 1, value=0.3)
    cell.number_format = "0%"
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = xlsx.parse(buffer.getvalue())
    # 30% as shown, not a share of 0.3 read as 0.3%.
    assert result.errors == []
    assert [q.draft.spec["partial_credit"] for q in result.questions] == [0.3]


def test_a_setting_filled_in_for_a_type_that_does_not_use_it_is_ignored_with_a_warning():
    result = parse_csv(
        [
            row(stem="单选题", 少选得分比例="30", 各空答案不分顺序="是"),
            row("多选", stem="多选题", answer="AB", 各空答案不分顺序="是"),
            row("判断", "判断题", (), "对", 少选得分比例="随便"),
        ]
    )
    assert result.errors == []
    assert problems_at(result.warnings) == [
        (2, PARTIAL_CREDIT),
        (2, ANY_ORDER),
        (3, ANY_ORDER),
        (4, PARTIAL_CREDIT),
    ]
    assert (
        messages(result.warnings)[0] == "Only 多选 questions use 少选得分比例; it is ignored here."
    )
    assert (
        messages(result.warnings)[1]
        == "Only 填空 questions use 各空答案不分顺序; it is ignored here."
    )
    single, multiple, judge = (q.draft for q in result.questions)
    assert single.spec == {"options": ["甲", "乙", "丙", "丁"], "answer": 0}
    assert multiple.spec["partial_credit"] == 0.5 and "any_order" not in multiple.spec
    assert judge.spec == {"answer": True}


def test_the_template_offers_and_explains_the_setting_columns():
    workbook = load_workbook(io.BytesIO(xlsx.template_workbook()))
    assert [c.value for c in workbook["题目"][1]] == list(COLUMNS)
    notes = {line[0].value: line[1].value for line in workbook["说明"].iter_rows(min_row=2)}
    assert "仅多选题" in notes[PARTIAL_CREDIT] and "留空为 50" in notes[PARTIAL_CREDIT]
    assert "仅填空题" in notes[ANY_ORDER] and "“是”" in notes[ANY_ORDER]
    for name in ("全体人员", "党员", "书记和支委委员", "入党积极分子和发展对象", "留空为全体人员"):
        assert name in notes[AUDIENCE]
    assert "a<b" in notes["注意"] and "原样" in notes["注意"]
    lists = {v.formula1 for v in workbook["题目"].data_validations.dataValidation}
    assert '"是,否"' in lists and '"全体人员,党员,书记和支委委员,入党积极分子和发展对象"' in lists


def test_the_templates_examples_carry_settings():
    data = xlsx.template_workbook()
    workbook = load_workbook(io.BytesIO(data))
    for (cell,) in workbook["题目"].iter_rows(min_row=2, min_col=2, max_col=2):
        cell.value = cell.value.removeprefix("（示例）")
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = xlsx.parse(buffer.getvalue())
    assert result.errors == [] and result.warnings == []
    single, multiple, judge, fill, short = (q.draft for q in result.questions)
    assert multiple.spec["partial_credit"] == 0.5 and fill.spec["any_order"] is False
    assert [d.audience for d in (single, multiple, judge, fill, short)] == [
        "all",
        "party_members",
        "applicants",
        "all",
        "party_members",
    ]


# The bank's services: the audience travels with the draft.


@pytest.mark.usefixtures("ctx")
def test_a_draft_with_an_unknown_audience_is_refused_and_nothing_stored(session):
    bank = make_bank(session)
    bad = dataclasses.replace(drafts()[5], audience="everybody")
    with pytest.raises(DomainError) as refused:
        services.check_draft(bad)
    assert refused.value.field == "audience"
    preview = importing.preview_import(session, bank, "t.csv", csv_text([row()]).encode())
    preview.items.append(importing.PreviewItem(7, bad))
    with pytest.raises(importing.ImportFailed) as failed:
        importing.commit_import(session, None, bank, preview, FIXED_NOW)
    assert (failed.value.problem.line, failed.value.problem.column) == (7, "audience")
    assert session.scalar(sa.select(sa.func.count()).select_from(Question)) == 0


@pytest.mark.usefixtures("ctx")
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_banks_export_imports_into_an_empty_bank_unchanged_and_again_adds_nothing(session, fmt):
    source, empty = make_bank(session, name="原题库"), make_bank(session, name="新题库")
    originals = drafts()
    for draft in originals:
        services.add_question(session, None, source, draft, FIXED_NOW, QuestionStatus.ACTIVE)
    single = session.scalars(sa.select(Question).where(Question.bank_id == source.id)).first()
    assert single.current_version.audience == Audience.LEADERS

    def bank_drafts(bank):
        questions = session.scalars(
            sa.select(Question).where(Question.bank_id == bank.id).order_by(Question.id)
        ).all()
        return [as_stored(services.to_draft(q.current_version)) for q in questions]

    originals = [as_stored(draft) for draft in originals]
    assert bank_drafts(source) == originals
    exported = export(fmt, bank_drafts(source))
    preview = importing.preview_import(session, empty, f"e.{fmt}", exported.data)
    assert preview.errors == [] and preview.warnings == []
    importing.commit_import(session, None, empty, preview, FIXED_NOW)
    assert bank_drafts(empty) == originals
    again = importing.preview_import(session, source, f"e.{fmt}", exported.data)
    assert again.errors == [] and again.new_items == []
    assert len(again.duplicates) == len(originals)


# The export and import screens.


@pytest.fixture
def world(session):
    world = build_world(session)
    world.source = make_bank(session, unit=world.root, two_person_review=False, name="原题库")
    world.empty = make_bank(session, unit=world.root, two_person_review=False, name="新题库")
    for draft in drafts():
        services.add_question(session, world.admin, world.source, draft, FIXED_NOW)
    session.commit()
    return world


def _upload(auth, bank_id, data, filename):
    return auth.post(
        f"/bank/{bank_id}/import",
        data={"file": (io.BytesIO(data), filename), "format": "auto"},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_export_screens_file_imports_back_through_the_import_screen(
    client, auth, session, world, fmt
):
    client.set_cookie(LANG_COOKIE, "en")
    auth.login("admin")
    exported = client.get(f"/bank/{world.source.id}/export?download=1&format={fmt}")
    assert exported.status_code == 200
    auth.logout()
    auth.login("mema")
    refused = _upload(auth, world.empty.id, exported.data, f"e.{fmt}")
    assert refused.status_code == 403
    auth.logout()
    auth.login("admin")
    page = _upload(auth, world.empty.id, exported.data, f"e.{fmt}")
    assert page.status_code == 200
    assert 'data-testid="import-warnings"' not in page.get_data(as_text=True)
    token = TOKEN.search(page.get_data(as_text=True)).group(1)
    auth.post(f"/bank/{world.empty.id}/import/confirm", data={"token": token})
    session.rollback()
    stored = session.scalars(
        sa.select(Question).where(Question.bank_id == world.empty.id).order_by(Question.id)
    ).all()
    got = [as_stored(services.to_draft(q.current_version)) for q in stored]
    assert got == [as_stored(draft) for draft in drafts()]
    shown = client.get(f"/bank/questions/{stored[0].id}").get_data(as_text=True)
    assert "<img src=x" not in shown and "&lt;img src=x onerror=alert(1)&gt;" in shown
    assert "a&lt;b 且 b&gt;c" in shown
