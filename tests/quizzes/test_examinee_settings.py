"""An organiser who may still answer an exam (an attempt in progress, or one they may still
start) cannot change its settings: they would change the terms of an exam they sit, for
everyone. Another organiser or an admin who does not sit it can."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from learnapp.audit.models import AuditEntry
from learnapp.errors import DomainError
from learnapp.quizzes import attempts as svc
from learnapp.quizzes.authoring import settings_locked, update_quiz
from learnapp.quizzes.models import FinishedBy, Quiz, QuizKind
from tests.conftest import reload
from tests.factories import FIXED_NOW
from tests.quizzes.helpers import make_paper, make_quiz, settings_of
from tests.quizzes.test_field_limits import _quiz_form

LOCKED = (
    "您本人仍可参加这场考试（有正在进行的作答，或还能开始作答），因此不能修改考试设置；"
    "可请本考试的其他组织者或管理员修改。"
)


def _exam(session, world, **fields):
    """An exam of 甲支部, whose secretary is in its audience."""
    return make_quiz(session, world.branch_a, make_paper(session, types=("judge",)), **fields)


def _rename(session, actor, quiz, at=FIXED_NOW):
    update_quiz(session, actor, quiz, settings_of(quiz, title="改名"), at)


@pytest.mark.usefixtures("ctx")
class TestSettingsLocked:
    def test_an_organiser_answering_the_exam_is_refused(self, session, world):
        exam = _exam(session, world)
        svc.start_attempt(session, world.secretary_a, exam, FIXED_NOW)
        with pytest.raises(DomainError, match="Another organiser"):
            _rename(session, world.secretary_a, exam)
        assert exam.title != "改名"

    def test_an_organiser_who_may_still_start_an_attempt_is_refused(self, session, world):
        exam = _exam(session, world)
        with pytest.raises(DomainError):
            _rename(session, world.secretary_a, exam)
        # Before it opens as well: they may start one then.
        later = _exam(session, world, opens_at=FIXED_NOW + timedelta(days=1))
        assert settings_locked(session, world.secretary_a, later, FIXED_NOW)

    def test_an_organiser_with_no_attempt_left_may_edit(self, session, world):
        exam = _exam(session, world, attempts_allowed=1)
        attempt = svc.start_attempt(session, world.secretary_a, exam, FIXED_NOW)
        svc.finalize(session, attempt.id, FIXED_NOW, FinishedBy.MEMBER)
        _rename(session, world.secretary_a, exam)
        assert exam.title == "改名"

    def test_an_organiser_may_edit_once_the_exam_has_closed(self, session, world):
        exam = _exam(session, world)
        _rename(session, world.secretary_a, exam, at=exam.closes_at)
        assert exam.title == "改名"

    def test_an_admin_outside_the_audience_may_edit(self, session, world):
        exam = _exam(session, world)
        svc.start_attempt(session, world.member_a, exam, FIXED_NOW)
        _rename(session, world.admin, exam)
        assert exam.title == "改名"

    def test_a_draft_and_practice_stay_editable(self, session, world):
        draft = _exam(session, world, publish=False)
        assert not settings_locked(session, world.secretary_a, draft, FIXED_NOW)
        practice = _exam(session, world, kind=QuizKind.PRACTICE, attempts_allowed=0)
        svc.start_attempt(session, world.secretary_a, practice, FIXED_NOW)
        assert not settings_locked(session, world.secretary_a, practice, FIXED_NOW)


def _form(world) -> dict:
    return _quiz_form(world, title="改名", owner_unit_id=str(world.branch_a.id))


def _updates(session, quiz) -> int:
    return session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "quiz.updated", AuditEntry.target_id == str(quiz.id))
    )


@pytest.fixture
def exam_in_progress(app, session, world):
    """甲支部's exam, which its secretary is answering."""
    with app.test_request_context():
        exam = _exam(session, world)
        svc.start_attempt(session, world.secretary_a, exam, FIXED_NOW)
    session.commit()
    return exam


def test_the_settings_page_tells_an_examinee_why_it_is_locked(
    session, auth, world, exam_in_progress
):
    auth.login("seca")
    page = auth.client.get(f"/quizzes/manage/{exam_in_progress.id}/edit").get_data(as_text=True)
    assert 'data-testid="settings-locked"' in page and LOCKED in page
    assert "<fieldset disabled>" in page and 'data-testid="save-quiz"' not in page
    refused = auth.post(f"/quizzes/manage/{exam_in_progress.id}/edit", _form(world))
    assert refused.status_code == 200
    assert refused.get_data(as_text=True).count(LOCKED) == 1
    reload(session)
    assert session.get(Quiz, exam_in_progress.id).title != "改名"
    assert _updates(session, exam_in_progress) == 0


def test_an_admin_who_does_not_sit_the_exam_edits_it(session, auth, world, exam_in_progress):
    auth.login("admin")
    page = auth.client.get(f"/quizzes/manage/{exam_in_progress.id}/edit").get_data(as_text=True)
    assert 'data-testid="settings-locked"' not in page and 'data-testid="save-quiz"' in page
    saved = auth.post(f"/quizzes/manage/{exam_in_progress.id}/edit", _form(world))
    assert saved.status_code == 302
    reload(session)
    assert session.get(Quiz, exam_in_progress.id).title == "改名"
    assert _updates(session, exam_in_progress) == 1


def test_a_member_still_cannot_reach_the_settings(auth, exam_in_progress):
    auth.login("mema")
    assert auth.client.get(f"/quizzes/manage/{exam_in_progress.id}/edit").status_code == 403
