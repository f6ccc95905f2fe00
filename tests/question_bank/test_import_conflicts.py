"""A file's question that the bank holds with other settings (学习对象, 少选得分比例, 各空答案不分顺序,
解析, 分值, 难度, 知识点 …) is a conflict, never an identical duplicate silently dropped: the preview
names what differs, and the bank's question is kept or updated as the editor chooses."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from learnapp.audit.models import AuditEntry
from learnapp.question_bank import importing
from learnapp.question_bank.models import Audience, Question, QuestionStatus, QuestionVersion
from tests.factories import FIXED_NOW
from tests.question_bank.factories import make_bank, make_question
from tests.question_bank.import_helpers import csv_text, messages, row

pytestmark = pytest.mark.usefixtures("ctx")

STEM = "党的最高领导机关是什么？"
OPTIONS = ("党的全国代表大会和它所产生的中央委员会", "中央政治局", "中央书记处")
# The row of the factory's question (factories.single_draft), every setting written out.
SAME = {
    "分值": "2",
    "难度": "2",
    "知识点": "党章/第三章 党的中央组织",
    "出处": "《中国共产党章程》第二十条",
    "依据版本": "2022-10-22",
    "解析": "党章第二十条。",
    "标签": "组织",
    "学习对象": "全体人员",
}
MULTIPLE = {
    "type": "multiple",
    "stem": "党员的权利包括（  ）。",
    "spec": {"options": ["讨论", "表决", "选举"], "answers": [0, 1], "partial_credit": 0.5},
}
FILL = {
    "type": "fill",
    "stem": "党的根本组织原则是____，党的最高理想是____。",
    "spec": {"blanks": [["民主集中制"], ["共产主义"]], "any_order": False},
}


def preview(session, bank, rows, name="t.csv"):
    return importing.preview_import(session, bank, name, csv_text(rows).encode())


def single_row(**cells):
    return row(stem=STEM, options=OPTIONS, answer="A", **{**SAME, **cells})


def version_of(session, question) -> QuestionVersion:
    session.expire_all()
    return session.get(Question, question.id).current_version


@pytest.mark.parametrize(
    ("factory", "cells", "setting", "before", "after"),
    [
        ({}, {"学习对象": "党员"}, "audience", "Everyone", "Party members"),
        ({}, {"解析": "见党章第二十条。"}, "explanation", "党章第二十条。", "见党章第二十条。"),
        ({}, {"分值": "3"}, "points", "2", "3"),
        ({}, {"难度": "4"}, "difficulty", "2", "4"),
        (
            {},
            {"知识点": "党章/第一章 党员"},
            "knowledge_point",
            "党章 › 第三章 党的中央组织",
            "党章 › 第一章 党员",
        ),
        ({}, {"标签": "组织;重点"}, "tags", "组织", "组织, 重点"),
        (
            {},
            {"出处": "《中国共产党章程》第十九条"},
            "source_document",
            "《中国共产党章程》第二十条",
            "《中国共产党章程》第十九条",
        ),
        ({}, {"依据版本": "2017-10-24"}, "source_version", "2022-10-22", "2017-10-24"),
        (MULTIPLE, {"少选得分比例": "0"}, "partial_credit", "50", "0"),
        (FILL, {"各空答案不分顺序": "是"}, "any_order", "No", "Yes"),
    ],
)
def test_each_setting_that_differs_makes_a_conflict_naming_it(
    session, factory, cells, setting, before, after
):
    bank = make_bank(session)
    existing = make_question(session, bank, **factory)
    cells = {**SAME, **cells}
    if factory is MULTIPLE:
        line = row(
            "多选", stem=MULTIPLE["stem"], options=("讨论", "表决", "选举"), answer="AB", **cells
        )
    elif factory is FILL:
        line = row("填空", stem=FILL["stem"], options=(), answer="民主集中制;;共产主义", **cells)
    else:
        line = single_row(**cells)
    result = preview(session, bank, [line])
    assert result.ok and result.errors == [] and result.warnings == []
    (item,) = result.items
    assert item.duplicate_of == existing.id and item.differences == [setting]
    assert result.conflicts == [item] and result.duplicates == [] and result.new_items == []
    (change,) = item.changes
    assert (change.before, change.after) == (before, after)


def test_the_same_settings_are_an_identical_duplicate(session):
    bank = make_bank(session)
    existing = make_question(session, bank)
    result = preview(session, bank, [single_row()])
    (item,) = result.items
    assert item.duplicate_of == existing.id and item.differences == []
    assert result.duplicates == [item] and result.conflicts == []


def test_empty_cells_and_missing_columns_state_nothing_so_differ_from_nothing(session):
    """An empty cell is a default for a new question, not a value that replaces the bank's."""
    bank = make_bank(session)
    make_question(
        session, bank, audience="party_members", points=Decimal("5"), difficulty=4, tags=["甲"]
    )
    empty = dict.fromkeys(SAME, "")
    result = preview(session, bank, [single_row(**empty)])
    assert result.conflicts == [] and len(result.duplicates) == 1
    old_header = ["题型", "题干", "选项A", "选项B", "选项C", "答案"]
    older = csv_text([["单选", STEM, *OPTIONS, "A"]], header=old_header)
    result = importing.preview_import(session, bank, "old.csv", older.encode())
    assert result.conflicts == [] and len(result.duplicates) == 1


def test_formats_that_cannot_state_a_setting_do_not_conflict_on_it(session):
    """GIFT has no audience or difficulty, Aiken no points: their defaults are not the file's."""
    bank = make_bank(session)
    make_question(session, bank, audience="leaders", difficulty=5, points=Decimal("3"))
    gift = f"{STEM} {{={OPTIONS[0]} ~{OPTIONS[1]} ~{OPTIONS[2]}}}".encode()
    aiken = f"{STEM}\nA. {OPTIONS[0]}\nB. {OPTIONS[1]}\nC. {OPTIONS[2]}\nANSWER: A\n".encode()
    for name, data in (("q.gift", gift), ("q.txt", aiken)):
        result = importing.preview_import(session, bank, name, data)
        assert result.conflicts == [] and len(result.duplicates) == 1, name


def test_a_gift_file_that_states_points_conflicts_on_them(session):
    bank = make_bank(session)
    existing = make_question(session, bank)
    gift = "::q:: " + STEM + " {=" + OPTIONS[0] + " ~" + OPTIONS[1] + " ~" + OPTIONS[2] + "}"
    xml = (
        "<quiz><question type='multichoice'><name><text>q</text></name>"
        f"<questiontext format='plain_text'><text>{STEM}</text></questiontext>"
        "<defaultgrade>4</defaultgrade><single>true</single>"
        f"<answer fraction='100'><text>{OPTIONS[0]}</text></answer>"
        f"<answer fraction='0'><text>{OPTIONS[1]}</text></answer>"
        f"<answer fraction='0'><text>{OPTIONS[2]}</text></answer>"
        "</question></quiz>"
    )
    assert preview_of(session, bank, "q.gift", gift).conflicts == []
    result = preview_of(session, bank, "q.xml", xml)
    assert [(i.duplicate_of, i.differences) for i in result.conflicts] == [
        (existing.id, ["points"])
    ]


def preview_of(session, bank, name, text):
    return importing.preview_import(session, bank, name, text.encode())


def test_without_a_choice_the_bank_question_is_kept_and_counted(session):
    bank = make_bank(session)
    existing = make_question(session, bank, status=QuestionStatus.ACTIVE)
    before = existing.current_version_id
    result = preview(session, bank, [single_row(学习对象="党员"), row(stem="新题")])
    outcome = importing.commit_import(session, None, bank, result, FIXED_NOW)
    assert (outcome.added, outcome.duplicates, outcome.updated, outcome.kept) == (1, 0, 0, 1)
    version = version_of(session, existing)
    assert version.id == before and version.audience == Audience.ALL
    entry = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "questions.imported")
    ).one()
    assert (entry.after["updated"], entry.after["kept"]) == (0, 1)


def test_updating_an_active_question_makes_a_version_and_sends_it_to_review(session):
    bank = make_bank(session)
    existing = make_question(session, bank, status=QuestionStatus.ACTIVE)
    first = existing.current_version_id
    result = preview(session, bank, [single_row(学习对象="党员", 分值="3")])
    assert result.items[0].differences == ["audience", "points"]
    outcome = importing.commit_import(session, None, bank, result, FIXED_NOW, update={2})
    assert (outcome.added, outcome.updated, outcome.kept) == (0, 1, 0)
    version = version_of(session, existing)
    assert version.id != first and version.number == 2
    assert (version.audience, version.points) == (Audience.PARTY_MEMBERS, Decimal("3"))
    # Everything the file does not change is the bank's: stem, options and the other settings.
    assert version.stem == STEM and version.explanation == "党章第二十条。"
    question = session.get(Question, existing.id)
    assert question.status == QuestionStatus.IN_REVIEW
    assert session.scalar(sa.select(sa.func.count()).select_from(Question)) == 1


def test_updating_a_draft_changes_it_in_place_including_knowledge_point_tags_and_settings(
    session,
):
    bank = make_bank(session)
    multiple = make_question(session, bank, **MULTIPLE)
    first = multiple.current_version_id
    line = row(
        "多选",
        stem=MULTIPLE["stem"],
        options=("讨论", "表决", "选举"),
        answer="AB",
        少选得分比例="0",
        知识点="党章/第一章 党员",
        标签="权利",
    )
    result = preview(session, bank, [line])
    assert result.items[0].differences == ["partial_credit", "knowledge_point", "tags"]
    importing.commit_import(session, None, bank, result, FIXED_NOW, update={2})
    version = version_of(session, multiple)
    question = session.get(Question, multiple.id)
    assert version.id == first and version.spec["partial_credit"] == 0.0
    assert question.knowledge_point.names == ["党章", "第一章 党员"]
    assert [tag.name for tag in question.tags] == ["权利"]
    assert question.status == QuestionStatus.DRAFT


def test_only_the_chosen_lines_are_updated(session):
    bank = make_bank(session)
    one = make_question(session, bank, stem="第一题？")
    two = make_question(session, bank, stem="第二题？")
    rows = [
        row(stem="第一题？", options=OPTIONS, 学习对象="党员"),
        row(stem="第二题？", options=OPTIONS, 学习对象="党员"),
    ]
    result = preview(session, bank, rows)
    assert [i.duplicate_of for i in result.conflicts] == [one.id, two.id]
    outcome = importing.commit_import(session, None, bank, result, FIXED_NOW, update={3, 99})
    assert (outcome.updated, outcome.kept) == (1, 1)
    assert version_of(session, one).audience == Audience.ALL
    assert version_of(session, two).audience == Audience.PARTY_MEMBERS


def test_a_withdrawn_question_is_not_updated_and_nothing_is_stored(session):
    bank = make_bank(session)
    existing = make_question(session, bank)
    existing.retire()
    session.flush()
    result = preview(session, bank, [single_row(学习对象="党员"), row(stem="新题")])
    (conflict,) = result.conflicts
    assert not conflict.updatable
    with pytest.raises(importing.ImportFailed) as failed:
        importing.commit_import(session, None, bank, result, FIXED_NOW, update={2})
    assert failed.value.problem.line == 2 and "Reopen" in str(failed.value.problem.message)
    assert version_of(session, existing).audience == Audience.ALL


def test_a_question_changed_since_the_preview_is_not_updated(session):
    bank = make_bank(session)
    existing = make_question(session, bank)
    checked = preview(session, bank, [single_row(学习对象="党员")])
    payload = importing.stash_payload(checked)
    question = session.get(Question, existing.id)
    question.touch(FIXED_NOW)
    session.flush()
    again = importing.preview_from_payload(session, bank, "t.csv", payload)
    assert again.items[0].checked_revision == 1 and again.conflicts
    with pytest.raises(importing.ImportFailed) as failed:
        importing.commit_import(session, None, bank, again, FIXED_NOW, update={2})
    assert f"#{existing.id} changed after the file was checked" in str(failed.value.problem.message)


def test_the_stash_keeps_the_file_own_values_apart_from_defaults(session):
    bank = make_bank(session)
    make_question(session, bank, audience="leaders")
    checked = preview(session, bank, [single_row(学习对象="", 分值="3")])
    payload = importing.stash_payload(checked)
    again = importing.preview_from_payload(session, bank, "t.csv", payload)
    assert [i.differences for i in again.items] == [["points"]]


def test_an_answer_that_disagrees_stays_a_warning_whatever_the_settings(session):
    bank = make_bank(session)
    existing = make_question(session, bank)
    result = preview(session, bank, [single_row(答案="B", 学习对象="党员")])
    (item,) = result.items
    assert item.duplicate_of == existing.id and not item.is_conflict
    assert result.duplicates == [item]
    assert "answers disagree" in messages(result.warnings)[0]


def test_repeated_lines_with_other_settings_are_errors_naming_them(session):
    bank = make_bank(session)
    result = preview(
        session,
        bank,
        [
            row(stem="预备期几年？", options=("一年", "两年")),  # 2: everyone, by default
            row(stem="预备期几年？", options=("一年", "两年"), 学习对象="全体人员"),  # 3
            row(stem="预备期几年？", options=("一年", "两年"), 学习对象="党员", 难度="3"),  # 4
            row(stem="发展对象？", options=("甲", "乙"), 学习对象="党员"),  # 5
            row(stem="发展对象？", options=("甲", "乙")),  # 6: states nothing
        ],
    )
    assert [(i.line, i.duplicate_line) for i in result.items if i.duplicate_line] == [
        (3, 2),
        (4, 2),
        (6, 5),
    ]
    assert [p.line for p in result.errors] == [4] and not result.ok
    (message,) = messages(result.errors)
    assert "line 2" in message and "Audience and Difficulty" in message


def test_a_line_repeating_a_line_that_updates_the_bank_is_compared_with_what_it_would_be(
    session,
):
    bank = make_bank(session)
    existing = make_question(session, bank, audience="leaders")
    result = preview(
        session,
        bank,
        [
            single_row(学习对象="党员"),  # 2: a conflict
            single_row(学习对象=""),  # 3: states nothing: a repeat of line 2
            single_row(学习对象="党员", 分值="3"),  # 4: another value than line 2
        ],
    )
    assert [(i.line, i.duplicate_of, i.duplicate_line) for i in result.items] == [
        (2, existing.id, None),
        (3, None, 2),
        (4, None, 2),
    ]
    assert [p.line for p in result.errors] == [4]
    assert "Points" in messages(result.errors)[0]
