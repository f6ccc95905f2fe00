"""Sending back an edit of an approved question rejects the proposal alone: the question stays
active with its approved version, in every pool, and the editor reads the proposal with the
reviewer's words and reworks it from there."""

import pytest
import sqlalchemy as sa

from learnapp.audit.models import AuditEntry
from learnapp.errors import DomainError
from learnapp.notifications.models import Notification
from learnapp.orgs.models import Role
from learnapp.question_bank import services
from learnapp.question_bank.models import Question, QuestionStatus, QuestionVersion
from tests.factories import FIXED_NOW, make_user
from tests.question_bank.factories import make_bank, make_question, single_draft
from tests.world import build_world

OLD, NEW, NOTE = "党的最高领导机关是什么？", "改过的题干：党的最高领导机关是？", "题干表述不准确"


@pytest.fixture
def edited(session):
    """An approved question in use, and an editor's edit of it awaiting review."""
    world = build_world(session)
    editor = make_user(session, username="editor", roles=((Role.BANK_EDITOR, world.root),))
    reviewer = make_user(session, username="reviewer", roles=((Role.REVIEWER, world.root),))
    author = make_user(session, username="author", roles=((Role.BANK_EDITOR, world.root),))
    bank = make_bank(session, unit=world.root)
    # Stored active by its author, who counts as the reviewer of version 1.
    question = make_question(session, bank, author, stem=OLD, status=QuestionStatus.ACTIVE)
    approved = question.current_version
    services.mark_used(session, [approved.id], FIXED_NOW)
    proposal = services.update_question(
        session, editor, question, single_draft(stem=NEW), FIXED_NOW
    )
    session.commit()
    return {
        "editor": editor,
        "reviewer": reviewer,
        "author": author,
        "question": question,
        "approved": approved,
        "proposal": proposal,
    }


def _in_use(session, question) -> int | None:
    return session.scalar(sa.select(Question.version_in_use_id).where(Question.id == question.id))


def test_a_rejected_edit_leaves_the_approved_version_active_and_in_use(ctx, session, edited):
    question, approved, proposal = edited["question"], edited["approved"], edited["proposal"]
    assert question.is_edit_in_review
    services.reject_question(session, edited["reviewer"], question, NOTE, FIXED_NOW)
    session.flush()
    session.expire_all()
    assert question.status == QuestionStatus.ACTIVE and question.status_reason == ""
    assert question.current_version_id == approved.id == _in_use(session, question)
    assert question.stem == OLD and question.current_version.stem == OLD
    # The approval stands with its reviewer; the proposal carries the rejection.
    assert question.reviewer_of(approved) == edited["author"]
    assert (proposal.rejected_at, proposal.rejected_by, proposal.rejection_reason) == (
        FIXED_NOW,
        edited["reviewer"],
        NOTE,
    )
    assert approved.rejected_at is None
    entry = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "question.rejected")
    ).one()
    assert entry.before == {"status": "in_review"}
    assert entry.after == {"status": "active", "reason": NOTE}
    notice = session.scalars(
        sa.select(Notification).where(Notification.user_id == edited["editor"].id)
    ).one()
    assert notice.link == f"/bank/questions/{question.id}?version={proposal.number}"
    assert notice.params["reason"] == NOTE


def test_the_next_edit_follows_the_rejected_proposal_and_is_reviewed_against_the_approved(
    ctx, session, edited
):
    question, approved, proposal = edited["question"], edited["approved"], edited["proposal"]
    services.reject_question(session, edited["reviewer"], question, NOTE, FIXED_NOW)
    again = services.update_question(
        session, edited["editor"], question, single_draft(stem="再改的题干"), FIXED_NOW
    )
    assert (approved.number, proposal.number, again.number) == (1, 2, 3)
    assert question.is_edit_in_review and _in_use(session, question) == approved.id
    services.approve_question(session, edited["reviewer"], question, FIXED_NOW)
    assert _in_use(session, question) == again.id and proposal.rejection_reason == NOTE


def test_a_rejection_without_a_reason_changes_nothing(ctx, session, edited):
    question = edited["question"]
    with pytest.raises(DomainError):
        services.reject_question(session, edited["reviewer"], question, "  ", FIXED_NOW)
    assert question.status == QuestionStatus.IN_REVIEW
    assert edited["proposal"].rejected_at is None


# The pages


def test_the_reviewer_rejects_the_edit_and_the_editor_reads_it_with_the_note(session, auth, edited):
    question, proposal = edited["question"], edited["proposal"]
    auth.login("reviewer")
    response = auth.post(f"/bank/questions/{question.id}/reject", {"reason": NOTE})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Question, question.id).status == QuestionStatus.ACTIVE
    assert session.get(QuestionVersion, proposal.id).rejection_reason == NOTE
    auth.logout()
    auth.login("editor")
    page = auth.client.get(f"/bank/questions/{question.id}").get_data(as_text=True)
    assert 'data-testid="rejected-edit"' in page and NOTE in page
    assert OLD in page  # the question shows its version in use
    assert "已退回" in page
    page = auth.client.get(f"/bank/questions/{question.id}?version=2").get_data(as_text=True)
    assert 'data-testid="rejected-version"' in page and NOTE in page and NEW in page
    assert f"/bank/questions/{question.id}/edit?version=2" in page
    form = auth.client.get(f"/bank/questions/{question.id}/edit?version=2").get_data(as_text=True)
    assert NEW in form


def test_an_editor_who_is_not_a_reviewer_cannot_reject_the_edit(session, auth, edited):
    question = edited["question"]
    auth.login("editor")
    response = auth.post(f"/bank/questions/{question.id}/reject", {"reason": NOTE})
    assert response.status_code == 403
    session.expire_all()
    assert session.get(Question, question.id).status == QuestionStatus.IN_REVIEW
    assert session.get(QuestionVersion, edited["proposal"].id).rejected_at is None


def test_a_rejection_without_a_reason_is_refused_on_the_page(session, auth, edited):
    question = edited["question"]
    auth.login("reviewer")
    response = auth.post(f"/bank/questions/{question.id}/reject", {"reason": ""})
    assert response.status_code == 302
    page = auth.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "请填写修改意见。" in page
    session.expire_all()
    assert session.get(Question, question.id).status == QuestionStatus.IN_REVIEW
