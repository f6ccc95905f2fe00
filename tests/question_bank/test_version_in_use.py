"""Which version of a question quizzes ask (`Question.version_in_use_id`), and the audit of an
edit that changes only where a question is filed (its knowledge point, its tags)."""

import pytest
import sqlalchemy as sa

from learnapp.audit.models import AuditEntry
from learnapp.orgs.models import Role
from learnapp.question_bank import importing, services
from learnapp.question_bank.models import Question, QuestionStatus, ReviewFlag
from tests.factories import FIXED_NOW, make_unit, make_user
from tests.question_bank.factories import make_bank, make_question, single_draft
from tests.question_bank.test_import_conflicts import preview, single_row

pytestmark = pytest.mark.usefixtures("ctx")


@pytest.fixture
def reviewer(session):
    root = make_unit(session, name="党委")
    return make_user(session, roles=((Role.BANK_EDITOR, root), (Role.REVIEWER, root)))


def _in_use(session, question) -> int | None:
    """The version in use as the database computes it."""
    return session.scalar(sa.select(Question.version_in_use_id).where(Question.id == question.id))


def _edits(session, question) -> list[AuditEntry]:
    return session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.action == "question.edited", AuditEntry.target_id == str(question.id))
        .order_by(AuditEntry.id)
    ).all()


def test_the_version_in_use_follows_the_review(session, reviewer):
    bank = make_bank(session, two_person_review=False)
    question = make_question(session, bank, reviewer)
    assert question.version_in_use_id is None is _in_use(session, question)
    services.submit_for_review(session, reviewer, question, FIXED_NOW)
    assert question.version_in_use_id is None is _in_use(session, question)
    services.approve_question(session, reviewer, question, FIXED_NOW)
    approved = question.current_version_id
    assert question.version_in_use_id == approved == _in_use(session, question)
    services.mark_used(session, [approved], FIXED_NOW)
    edit = services.update_question(session, reviewer, question, single_draft(stem="改"), FIXED_NOW)
    assert question.status == QuestionStatus.IN_REVIEW and edit.id != approved
    assert question.version_in_use_id == approved == _in_use(session, question)
    # Edited again while in review: still the approved version.
    services.update_question(session, reviewer, question, single_draft(stem="再改"), FIXED_NOW)
    assert question.version_in_use_id == approved == _in_use(session, question)
    # The edit sent back: the approved version goes on being asked, and is current again.
    services.reject_question(session, reviewer, question, "题干有误", FIXED_NOW)
    assert question.status == QuestionStatus.ACTIVE
    assert question.version_in_use_id == approved == _in_use(session, question)
    assert question.current_version_id == approved and edit.rejected_at == FIXED_NOW
    # The next edit, once approved, is asked.
    edit = services.update_question(
        session, reviewer, question, single_draft(stem="三改"), FIXED_NOW
    )
    assert edit.number == 3 and question.version_in_use_id == approved
    services.approve_question(session, reviewer, question, FIXED_NOW)
    assert question.version_in_use_id == edit.id == _in_use(session, question)
    services.retire_question(session, reviewer, question, FIXED_NOW)
    assert question.version_in_use_id is None is _in_use(session, question)


def test_a_retired_and_reopened_question_is_not_asked_before_its_next_approval(session, reviewer):
    bank = make_bank(session, two_person_review=False)
    question = make_question(session, bank, reviewer, status=QuestionStatus.ACTIVE)
    services.update_question(session, reviewer, question, single_draft(stem="改"), FIXED_NOW)
    services.retire_question(session, reviewer, question, FIXED_NOW)
    services.reopen_question(session, reviewer, question, FIXED_NOW)
    services.submit_for_review(session, reviewer, question, FIXED_NOW)
    assert question.version_in_use_id is None is _in_use(session, question)


def test_a_superseded_source_of_the_approved_version_takes_an_edit_in_review_out_of_use(
    session, reviewer
):
    """The edit cites the new 党章, the approved version the old one: marking the old one
    superseded flags the question, and its approved version is no longer asked."""
    bank = make_bank(session, two_person_review=False)
    question = make_question(
        session, bank, reviewer, source_version="2017-10-24", status=QuestionStatus.ACTIVE
    )
    old = question.current_version.source
    services.update_question(
        session, reviewer, question, single_draft(source_version="2022-10-22"), FIXED_NOW
    )
    assert question.version_in_use_id is not None
    assert services.supersede_source(session, reviewer, old, FIXED_NOW) == 1
    assert question.status_reason_code == ReviewFlag.SOURCE_SUPERSEDED
    assert question.version_in_use_id is None is _in_use(session, question)


def test_moving_a_question_to_another_knowledge_point_is_audited(session, reviewer):
    bank = make_bank(session, two_person_review=False)
    question = make_question(session, bank, reviewer, status=QuestionStatus.ACTIVE)
    version = question.current_version_id
    before = question.knowledge_point
    services.update_question(
        session,
        reviewer,
        question,
        single_draft(knowledge_point=["党章", "第一章 党员"]),
        FIXED_NOW,
    )
    assert question.current_version_id == version and question.status == QuestionStatus.ACTIVE
    (entry,) = _edits(session, question)
    assert entry.before == {
        "knowledge_point_id": before.id,
        "knowledge_point": "党章 › 第三章 党的中央组织",
    }
    assert entry.after == {
        "knowledge_point_id": question.knowledge_point.id,
        "knowledge_point": "党章 › 第一章 党员",
    }


def test_changing_only_the_tags_is_audited_and_saving_nothing_new_is_not(session, reviewer):
    bank = make_bank(session, two_person_review=False)
    question = make_question(session, bank, reviewer, status=QuestionStatus.ACTIVE)
    services.update_question(session, reviewer, question, single_draft(), FIXED_NOW)
    assert _edits(session, question) == []
    services.update_question(
        session, reviewer, question, single_draft(tags=["重点", "组织"]), FIXED_NOW
    )
    (entry,) = _edits(session, question)
    assert (entry.before, entry.after) == ({"tags": ["组织"]}, {"tags": ["组织", "重点"]})
    services.update_question(
        session, reviewer, question, single_draft(tags=["组织", "重点"]), FIXED_NOW
    )
    assert len(_edits(session, question)) == 1


def test_an_edit_of_the_text_and_the_knowledge_point_is_one_entry_naming_both(session, reviewer):
    bank = make_bank(session, two_person_review=False)
    question = make_question(session, bank, reviewer, status=QuestionStatus.ACTIVE)
    first = question.current_version_id
    edit = services.update_question(
        session,
        reviewer,
        question,
        single_draft(stem="改过的题干", knowledge_point=["党章", "第一章 党员"]),
        FIXED_NOW,
    )
    (entry,) = _edits(session, question)
    assert entry.before["version_id"] == first and entry.after["version_id"] == edit.id
    assert entry.before["knowledge_point"] == "党章 › 第三章 党的中央组织"
    assert entry.after["knowledge_point"] == "党章 › 第一章 党员"
    assert entry.after["status"] == "in_review" and "tags" not in entry.after


def test_an_import_that_only_moves_a_question_is_audited(session):
    bank = make_bank(session)
    question = make_question(session, bank, status=QuestionStatus.ACTIVE)
    result = preview(session, bank, [single_row(知识点="党章/第一章 党员")])
    assert result.items[0].differences == ["knowledge_point"]
    importing.commit_import(session, None, bank, result, FIXED_NOW, update={2})
    (entry,) = _edits(session, question)
    assert entry.before["knowledge_point"] == "党章 › 第三章 党的中央组织"
    assert entry.after["knowledge_point"] == "党章 › 第一章 党员"
    assert question.status == QuestionStatus.ACTIVE
