"""A bank exported as GIFT or Moodle XML and imported again: every type, with settings other than
the defaults, comes back the same as far as the format carries it, without a warning, and a
second import is all duplicates.

What neither format carries: difficulty, 出处 and 依据版本 (nor, in GIFT, the points), which an
import sets to the usual values."""

from decimal import Decimal

import pytest

from learnapp.question_bank import importing, queries
from learnapp.question_bank.draft import QuestionDraft
from learnapp.question_bank.formats import export
from learnapp.question_bank.models import QuestionStatus
from learnapp.question_bank.services import add_question, to_draft
from tests.factories import FIXED_NOW
from tests.question_bank.factories import make_bank
from tests.question_bank.import_helpers import messages

pytestmark = pytest.mark.usefixtures("ctx")

KP = ["党章", "第一章 党员"]


def every_type() -> list[QuestionDraft]:
    common = {
        "knowledge_point": KP,
        "source_document": "《中国共产党章程》第五条",
        "source_version": "2022-10-22",
        "difficulty": 4,
    }
    return [
        QuestionDraft(
            "single",
            "党员的预备期是几年？",
            {"options": ["半年", "一年", "两年", "三年", "四年", "五年", "六年"], "answer": 6},
            Decimal("3.5"),
            explanation="第七条\n第二行",
            tags=["预备期", "基础"],
            **common,
        ),
        QuestionDraft(
            "multiple",
            "党员的权利包括哪些？",
            {"options": ["讨论", "表决", "不服从"], "answers": [0, 1], "partial_credit": 0.0},
            Decimal("4"),
            explanation="错选、少选均不得分。",
            **common,
        ),
        QuestionDraft(
            "multiple",
            "下列属于党的纪律处分的有哪几种？",
            {
                "options": ["警告", "罚款", "严重警告", "开除党籍"],
                "answers": [0, 2, 3],
                "partial_credit": 0.335,
            },
            **common,
        ),
        QuestionDraft(
            "judge", "党员可以不交党费。", {"answer": False}, explanation="第八条。", **common
        ),
        QuestionDraft(
            "fill",
            "党的最高领导机关是党的____和它所产生的中央委员会。",
            {"blanks": [["全国代表大会", "全国党代会"]], "any_order": False},
            Decimal("2"),
            explanation="第十条。",
            **common,
        ),
        QuestionDraft(
            "short",
            "简述“四个意识”的内容。",
            {
                "reference": "增强政治意识、大局意识、核心意识、看齐意识。\n四者统一。",
                "key_points": ["政治意识", "大局意识", "核心意识", "看齐意识 [见]"],
            },
            Decimal("10"),
            explanation="出自十八届六中全会。",
            tags=["意识"],
            **common,
        ),
        QuestionDraft(
            "short",
            "网页中 <b> 标签的作用是什么？ a & b",
            {"reference": "加粗 <strong>", "key_points": []},
            Decimal("5"),
            **common,
        ),
    ]


def carried(draft: QuestionDraft, fmt: str) -> tuple:
    """What GIFT and Moodle XML carry of a question (Moodle XML its points too)."""
    points = draft.points if fmt == "xml" else None
    return (
        draft.type,
        draft.stem,
        draft.spec,
        draft.knowledge_point,
        draft.explanation,
        sorted(draft.tags),
        points,
    )


def bank_drafts(session, bank) -> list[QuestionDraft]:
    return [to_draft(v) for v in queries.export_versions(session, bank)]


def filled_bank(session):
    bank = make_bank(session, name="原题库")
    for draft in every_type():
        add_question(session, None, bank, draft, FIXED_NOW, QuestionStatus.ACTIVE)
    return bank


@pytest.mark.parametrize("fmt", ["gift", "xml"])
def test_export_then_import_into_an_empty_bank_gives_the_same_questions(session, fmt):
    source = filled_bank(session)
    originals = bank_drafts(session, source)
    exported = export(fmt, originals)
    assert exported.exported == len(originals) and exported.skipped == []

    target = make_bank(session, name="新题库")
    preview = importing.preview_import(session, target, f"题库.{fmt}", exported.data)
    assert (preview.errors, preview.skipped) == ([], [])
    assert messages(preview.warnings) == []
    assert all(item.is_new for item in preview.items)
    importing.commit_import(session, None, target, preview, FIXED_NOW)

    back = bank_drafts(session, target)
    assert [carried(d, fmt) for d in back] == [carried(d, fmt) for d in originals]
    short = next(d for d in back if d.type == "short")
    assert short.spec["key_points"] == ["政治意识", "大局意识", "核心意识", "看齐意识 [见]"]
    assert short.explanation == "出自十八届六中全会。"


@pytest.mark.parametrize("fmt", ["gift", "xml"])
def test_importing_an_export_again_gives_only_duplicates_that_agree(session, fmt):
    source = filled_bank(session)
    data = export(fmt, bank_drafts(session, source)).data
    target = make_bank(session, name="新题库")
    importing.commit_import(
        session,
        None,
        target,
        importing.preview_import(session, target, f"a.{fmt}", data),
        FIXED_NOW,
    )
    for bank in (source, target):
        preview = importing.preview_import(session, bank, f"a.{fmt}", data)
        assert preview.errors == [] and messages(preview.warnings) == []
        assert len(preview.items) == len(every_type())
        assert all(item.duplicate_of is not None for item in preview.items)


def test_gift_export_carries_reference_key_points_and_partial_credit_in_comments():
    drafts = every_type()
    text = export("gift", drafts).data.decode()
    assert "// [partial-credit:0%]" in text and "// [partial-credit:33.5%]" in text
    assert (
        "// [reference:增强政治意识、大局意识、核心意识、看齐意识。\\n四者统一。]\n"
        "// [key-point:政治意识] [key-point:大局意识] [key-point:核心意识] "
        "[key-point:看齐意识 [见\\]]\n"
        "简述“四个意识”的内容。 {####出自十八届六中全会。}"
    ) in text
    # Read as HTML by Moodle unless marked plain: the whole question is.
    assert "[plain]网页中 <b> 标签的作用是什么？ a & b {}" in text


def test_moodle_xml_essay_keeps_the_explanation_as_general_feedback_and_marking_for_graders():
    data = export("xml", every_type()[5:6]).data.decode()
    assert '<generalfeedback format="plain_text">\n      <text>出自十八届六中全会。</text>' in data
    assert '<graderinfo format="html">' in data
    assert "&lt;li&gt;政治意识&lt;/li&gt;" in data  # a numbered list a Moodle marker reads
    assert "<partialcredit>" not in data
    multiple = export("xml", every_type()[1:2]).data.decode()
    assert "<partialcredit>0</partialcredit>" in multiple
