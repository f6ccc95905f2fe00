"""Question bank factories: plain functions that flush and never commit."""

from decimal import Decimal

from learnapp.question_bank.draft import QuestionDraft
from learnapp.question_bank.models import QuestionBank, QuestionStatus
from learnapp.question_bank.services import add_question
from tests.factories import FIXED_NOW


def make_bank(session, *, unit=None, two_person_review=True, name="测试题库") -> QuestionBank:
    bank = QuestionBank(
        name=name,
        unit_id=unit.id if unit else None,
        two_person_review=two_person_review,
        created_at=FIXED_NOW,
    )
    session.add(bank)
    session.flush()
    return bank


def single_draft(stem="党的最高领导机关是什么？", **overrides) -> QuestionDraft:
    fields = {
        "type": "single",
        "stem": stem,
        "spec": {
            "options": ["党的全国代表大会和它所产生的中央委员会", "中央政治局", "中央书记处"],
            "answer": 0,
        },
        "points": Decimal("2"),
        "difficulty": 2,
        "knowledge_point": ["党章", "第三章 党的中央组织"],
        "source_document": "《中国共产党章程》第二十条",
        "source_version": "2022-10-22",
        "explanation": "党章第二十条。",
        "tags": ["组织"],
    }
    fields.update(overrides)
    return QuestionDraft(**fields)


def make_question(session, bank, author=None, status=QuestionStatus.DRAFT, **overrides):
    return add_question(session, author, bank, single_draft(**overrides), FIXED_NOW, status)
