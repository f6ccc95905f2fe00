"""Regrading after a question is corrected (dry run, then applied and audited), the formula-safe
report export, and durability of autosaved answers."""

import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from openpyxl import load_workbook

from learnapp.audit.models import AuditEntry
from learnapp.errors import DomainError
from learnapp.question_bank.draft import QuestionDraft
from learnapp.question_bank.services import update_question
from learnapp.quizzes import answers
from learnapp.quizzes import attempts as svc
from learnapp.quizzes.marking import regrade_question
from learnapp.quizzes.models import Attempt, AttemptQuestion, FinishedBy
from learnapp.quizzes.queries import slots_of
from tests.conftest import reload
from tests.factories import FIXED_NOW, make_user
from tests.quizzes.helpers import make_paper, make_quiz


def _wrong_key_exam(session, world):
    """A graded exam in which member_a chose option A of the single-choice question, right
    by the key the question had then."""
    paper = make_paper(session, types=("single", "judge"))
    question = paper.questions[0]
    quiz = make_quiz(session, world.root, paper)
    attempt = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)
    slot = slots_of(session, attempt)[0]
    chosen = slot.option_ids[slot.option_order.index(0)]
    answers.save_answer(
        session, attempt.id, 1, 0, {"value": chosen}, FIXED_NOW, member_id=attempt.member_id
    )
    svc.finalize(session, attempt.id, FIXED_NOW, FinishedBy.MEMBER)
    return quiz, question, attempt


def _correct(session, question, answer: int):
    spec = dict(question.current_version.spec, answer=answer)
    draft = QuestionDraft(
        type="single",
        stem=question.current_version.stem,
        spec=spec,
        points=question.current_version.points,
        knowledge_point=["党章", "第三章"],
    )
    update_question(session, None, question, draft, FIXED_NOW)


def test_regrade_dry_run_changes_nothing_and_apply_is_audited(app, session, world):
    with app.test_request_context(), force_locale("en"):
        quiz, question, attempt = _wrong_key_exam(session, world)
        assert attempt.score == Decimal("2.00") and attempt.passed
        _correct(session, question, 1)
        dry = regrade_question(session, world.admin, quiz, question, FIXED_NOW, apply=False)
        assert [(c.old_score, c.new_score, c.new_passed) for c in dry] == [
            (Decimal("2.00"), Decimal("0.00"), False)
        ]
        session.refresh(attempt)
        assert attempt.score == Decimal("2.00")
        applied = regrade_question(session, world.admin, quiz, question, FIXED_NOW, apply=True)
        assert applied == dry
        session.refresh(attempt)
        assert attempt.score == Decimal("0.00") and attempt.passed is False
        # The attempt still points at the version it was asked.
        assert slots_of(session, attempt)[0].version_id != question.current_version_id
        entry = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "quiz.regraded")
        ).one()
        assert entry.before["score"] == "2.00" and entry.after["score"] == "0.00"
        assert regrade_question(session, world.admin, quiz, question, FIXED_NOW, apply=True) == []


def test_regrade_refuses_changed_options(app, session, world):
    with app.test_request_context(), force_locale("en"):
        quiz, question, _ = _wrong_key_exam(session, world)
        draft = QuestionDraft(
            type="single",
            stem="改过选项",
            spec={"options": ["甲", "乙"], "answer": 0},
            knowledge_point=["党章"],
        )
        update_question(session, None, question, draft, FIXED_NOW)
        with pytest.raises(DomainError, match="number of options"):
            regrade_question(session, world.admin, quiz, question, FIXED_NOW, apply=False)


def test_regrade_routes_for_authors_only(app, session, auth, world):
    with app.test_request_context(), force_locale("en"):
        quiz, question, attempt = _wrong_key_exam(session, world)
        _correct(session, question, 1)
    session.commit()
    path = f"/quizzes/manage/{quiz.id}/regrade/{question.id}"
    auth.login("memb")
    assert auth.client.get(path).status_code == 403
    auth.logout()
    auth.login("seca")
    assert auth.client.get(path).status_code == 404
    auth.logout()
    auth.login("admin")
    assert auth.client.get(f"/quizzes/manage/{quiz.id}/regrade/999999").status_code == 404
    page = auth.client.get(path).get_data(as_text=True)
    assert "regrade-changes" in page
    reload(session)
    assert session.get(Attempt, attempt.id).score == Decimal("2.00")
    assert auth.post(path).status_code == 302
    reload(session)
    assert session.get(Attempt, attempt.id).score == Decimal("0.00")


def test_report_export_is_formula_safe_and_audited(app, session, auth, world):
    hostile = make_user(session, unit=world.branch_a, display_name="=HYPERLINK(1)")
    with app.test_request_context(), force_locale("en"):
        quiz = make_quiz(session, world.root, make_paper(session, types=("single",)))
        attempt = svc.start_attempt(session, hostile, quiz, FIXED_NOW)
        svc.finalize(session, attempt.id, FIXED_NOW, FinishedBy.MEMBER)
    session.commit()
    auth.login("memb")
    assert auth.client.get(f"/quizzes/manage/{quiz.id}/report.xlsx").status_code == 403
    auth.logout()
    auth.login("admin")
    response = auth.client.get(f"/quizzes/manage/{quiz.id}/report.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    _overview, grades, attempts, items, _missing = book.worksheets
    for sheet in (grades, attempts):
        cell = sheet["A3"]  # under the title row and the header
        assert cell.value == "'=HYPERLINK(1)" and cell.data_type == "s"
    assert items["A3"].value.startswith("党的最高领导机关")
    reload(session)
    assert session.scalar(
        sa.select(sa.func.count()).where(AuditEntry.action == "quiz.report_exported")
    )


def test_a_saved_answer_survives_the_worker_that_saved_it(app, session, auth, world):
    """Each autosave commits before it answers: a new process (a fresh engine on the same
    database) sees every acknowledged answer, so killing a worker loses none."""
    with app.test_request_context(), force_locale("en"):
        quiz = make_quiz(session, world.root, make_paper(session, types=("single",)))
    session.commit()
    auth.login("mema")
    started = auth.post(f"/quizzes/{quiz.id}/start")
    attempt_id = int(started.headers["Location"].rsplit("/", 1)[1])
    reload(session)
    slot = session.scalars(
        sa.select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id)
    ).one()
    answer = slot.option_ids[slot.option_order.index(0)]
    saved = auth.client.post(
        f"/quizzes/attempts/{attempt_id}/answers",
        json={"position": 1, "seq": 0, "response": {"value": answer}},
        headers={"X-CSRFToken": auth.csrf("/profile")},
    )
    assert saved.status_code == 200
    slot_id = slot.id
    reload(session)  # the test holds no connection either
    app.extensions["learnapp.db"].engine.dispose()  # the worker's connections are gone
    fresh = sa.create_engine(app.config["DATABASE_URL"])
    try:
        with fresh.connect() as connection:
            stored = connection.scalar(
                sa.select(AttemptQuestion.response).where(AttemptQuestion.id == slot_id)
            )
    finally:
        fresh.dispose()
    assert stored == {"choice": 0}
