"""Regrading after a question is corrected (dry run, then applied and audited), the formula-safe
report export, and durability of autosaved answers."""

import io
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from alembic import command
from flask_babel import force_locale
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from learnapp.audit.models import AuditEntry
from learnapp.cli import alembic_config, upgrade_database
from learnapp.errors import DomainError
from learnapp.question_bank.draft import QuestionDraft
from learnapp.question_bank.services import update_question
from learnapp.question_bank.services.workflow import (
    approve_question,
    reject_question,
    retire_question,
)
from learnapp.quizzes import answers
from learnapp.quizzes import attempts as svc
from learnapp.quizzes.marking import regrade_question
from learnapp.quizzes.models import Attempt, AttemptQuestion, FinishedBy
from learnapp.quizzes.queries import slots_of
from tests.conftest import DB_KIND, POSTGRES_URL, ScratchPostgres, reload
from tests.factories import FIXED_NOW, make_user
from tests.quizzes.helpers import make_paper, make_quiz
from tests.world import build_world


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


def _correct(session, question, answer: int, approver=None):
    """Edit the single-choice key: a new version, in review until `approver` approves it."""
    spec = dict(question.current_version.spec, answer=answer)
    draft = QuestionDraft(
        type="single",
        stem=question.current_version.stem,
        spec=spec,
        points=question.current_version.points,
        knowledge_point=["党章", "第三章"],
    )
    update_question(session, None, question, draft, FIXED_NOW)
    if approver is not None:
        approve_question(session, approver, question, FIXED_NOW)


def test_regrade_dry_run_changes_nothing_and_apply_is_audited(app, session, world):
    with app.test_request_context(), force_locale("en"):
        quiz, question, attempt = _wrong_key_exam(session, world)
        assert attempt.score == Decimal("2.00") and attempt.passed
        asked = question.current_version_id
        _correct(session, question, 1, world.admin)
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
        # The attempt still points at the version it was asked, and names the one it was
        # scored with.
        slot = slots_of(session, attempt)[0]
        assert slot.version_id == asked
        assert slot.graded_version_id == question.current_version_id
        assert slot.key_version is question.current_version
        entry = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "quiz.regraded")
        ).one()
        assert entry.before["score"] == "2.00" and entry.after["score"] == "0.00"
        assert regrade_question(session, world.admin, quiz, question, FIXED_NOW, apply=True) == []


@pytest.mark.parametrize("then", ["in_review", "retired"])
def test_a_version_nobody_approved_is_never_used_to_regrade(app, session, world, then):
    """An edit waiting for review (or a retired question) is nobody's key: the dry run and the
    apply are both refused and no mark, score or pinned version changes."""
    with app.test_request_context(), force_locale("en"):
        quiz, question, attempt = _wrong_key_exam(session, world)
        asked = question.current_version_id
        _correct(session, question, 1)
        if then == "retired":
            retire_question(session, world.admin, question, FIXED_NOW)
        for apply in (False, True):
            with pytest.raises(DomainError, match="only an approved version"):
                regrade_question(session, world.admin, quiz, question, FIXED_NOW, apply=apply)
        session.refresh(attempt)
        slot = slots_of(session, attempt)[0]
        assert attempt.score == Decimal("2.00") and attempt.passed
        assert (slot.awarded, slot.graded_version_id) == (Decimal("2.00"), None)
        assert quiz.items[0].version_id == asked


def test_a_correction_sent_back_is_never_the_key(app, session, world):
    """The question stays active with the version it was asked in: a regrade scores against
    that one, so nothing changes."""
    with app.test_request_context(), force_locale("en"):
        quiz, question, attempt = _wrong_key_exam(session, world)
        asked = question.current_version_id
        _correct(session, question, 1)
        reject_question(session, world.admin, question, "答案不对", FIXED_NOW)
        assert question.current_version_id == asked
        for apply in (False, True):
            assert (
                regrade_question(session, world.admin, quiz, question, FIXED_NOW, apply=apply) == []
            )
        session.refresh(attempt)
        slot = slots_of(session, attempt)[0]
        assert attempt.score == Decimal("2.00") and attempt.passed
        assert (slot.awarded, slot.graded_version_id) == (Decimal("2.00"), None)
        assert not session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "quiz.regraded")
        ).all()


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
        approve_question(session, world.admin, question, FIXED_NOW)
        with pytest.raises(DomainError, match="number of options"):
            regrade_question(session, world.admin, quiz, question, FIXED_NOW, apply=False)


def test_regrade_routes_for_authors_only(app, session, auth, world):
    with app.test_request_context(), force_locale("en"):
        quiz, question, attempt = _wrong_key_exam(session, world)
        _correct(session, question, 1, world.admin)
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


def test_the_regrade_page_offers_nothing_while_the_correction_awaits_review(
    app, session, auth, world
):
    with app.test_request_context(), force_locale("en"):
        quiz, question, attempt = _wrong_key_exam(session, world)
        _correct(session, question, 1)
    session.commit()
    path = f"/quizzes/manage/{quiz.id}/regrade/{question.id}"
    auth.login("admin")
    response = auth.client.get(path)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-testid="regrade-refused"' in page
    assert "regrade-changes" not in page and "apply-regrade" not in page
    assert auth.post(path).status_code == 400
    reload(session)
    assert session.get(Attempt, attempt.id).score == Decimal("2.00")
    assert session.scalars(sa.select(AttemptQuestion.graded_version_id)).all() == [None, None]


def test_the_result_shows_the_key_the_answer_was_regraded_with(app, session, auth, world):
    """After a regrade the member's result shows the corrected key, not the one asked, so the
    mark and the key agree."""
    with app.test_request_context(), force_locale("en"):
        quiz, question, attempt = _wrong_key_exam(session, world)
        last = svc.start_attempt(session, world.member_a, quiz, FIXED_NOW)  # keys show after it
        svc.finalize(session, last.id, FIXED_NOW, FinishedBy.MEMBER)
        _correct(session, question, 1, world.admin)
        regrade_question(session, world.admin, quiz, question, FIXED_NOW, apply=True)
    session.commit()
    auth.login("mema")
    page = auth.client.get(f"/quizzes/attempts/{attempt.id}/result").get_data(as_text=True)
    first = page[page.index('id="item-1"') : page.index('id="item-2"')]
    assert 'data-outcome="wrong"' in first
    assert re.search(r'data-testid="review-key">B<', first)
    assert 'data-testid="review-regraded"' in first
    second = page[page.index('id="item-2"') :]
    assert 'data-testid="review-regraded"' not in second


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


def test_the_migration_names_the_version_earlier_regrades_scored_with(app, tmp_path):
    """Answers regraded before answers named their key version get it from the regrade's audit
    entry when the database is upgraded."""
    scratch = ScratchPostgres(POSTGRES_URL, "regrade") if DB_KIND == "postgres" else None
    url = scratch.create() if scratch else f"sqlite:///{tmp_path}/regraded.db"
    engine = sa.create_engine(url)
    try:
        upgrade_database(engine)
        with Session(engine) as session, app.test_request_context(), force_locale("en"):
            world = build_world(session)
            quiz, question, attempt = _wrong_key_exam(session, world)
            _correct(session, question, 1, world.admin)
            regrade_question(session, world.admin, quiz, question, FIXED_NOW, apply=True)
            session.commit()
            attempt_id, question_id = attempt.id, question.id
            corrected = question.current_version_id
        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "c5e1a7d93b42")
        upgrade_database(engine)
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT question_id, graded_version_id FROM quiz_attempt_questions"
                    " WHERE attempt_id = :a ORDER BY position"
                ),
                {"a": attempt_id},
            ).all()
        assert [tuple(row) for row in rows] == [(question_id, corrected), (rows[1][0], None)]
    finally:
        engine.dispose()
        if scratch:
            scratch.drop()
