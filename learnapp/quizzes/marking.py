"""Marking 简答 answers (markers see the answer, never the member) and regrading a question
after it was corrected, with a dry run first."""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from learnapp.audit.services import record
from learnapp.errors import DomainError
from learnapp.notifications.messages import declare
from learnapp.notifications.preferences import register_kind
from learnapp.notifications.services import notify
from learnapp.question_bank.models import STATUS_LABELS, Question, QuestionStatus
from learnapp.question_bank.types import grade
from learnapp.quizzes.grading import CENT, HUNDRED, complete, credit_course_test
from learnapp.quizzes.models import Attempt, AttemptQuestion, AttemptState, Quiz, ReleasePolicy
from learnapp.quizzes.responses import grading_input

MAX_COMMENT = 2000

# About one's own work: always sent.
register_kind("quiz_marked", _l("My marked exam answers"), mandatory=True)
QUIZ_MARKED = declare(
    "quiz_marked",
    "quiz_marked",
    _l("Your answers to “%(quiz)s” have been marked"),
    ("quiz", "attempt"),
)


def mark_answer(
    session: Session, actor, slot: AttemptQuestion, points, comment: str, now: datetime
) -> None:
    """Give a 简答 its mark, once, in points with at most two decimals. Nobody marks their own
    answer. When the attempt's last answer is marked, the attempt is graded. The caller has
    checked the marker's scope; the mark is audited."""
    attempt = session.get(Attempt, slot.attempt_id)
    if attempt.member_id == actor.id:
        raise DomainError(None, _l("You cannot mark your own answer."))
    try:
        value = Decimal(str(points))
    except (InvalidOperation, ValueError):
        raise DomainError("points", _l("Points must be a number.")) from None
    if not value.is_finite() or not 0 <= value <= slot.points:
        raise DomainError(
            "points", _l("Points from 0 to %(max)s.") % {"max": f"{slot.points.normalize():f}"}
        )
    if value != value.quantize(CENT):
        raise DomainError("points", _l("Points have at most two decimal places."))
    if len(comment or "") > MAX_COMMENT:
        raise DomainError("comment", _l("The comment is too long."))
    value = value.quantize(CENT)
    done = session.execute(
        sa.update(AttemptQuestion)
        .where(
            AttemptQuestion.id == slot.id,
            AttemptQuestion.needs_marking.is_(True),
            AttemptQuestion.marked_at.is_(None),
        )
        .values(
            awarded=value,
            is_correct=value == slot.points,
            marked_by_id=actor.id,
            marked_at=now,
            marker_comment=(comment or "").strip(),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        raise DomainError(None, _l("This answer has already been marked."))
    session.refresh(slot)
    record(
        session,
        actor,
        "quiz.answer_marked",
        "quiz_attempt_question",
        slot.id,
        now=now,
        after={"points": str(value), "attempt": slot.attempt_id},
    )
    waiting = session.scalar(
        sa.select(sa.func.count()).where(
            AttemptQuestion.attempt_id == slot.attempt_id,
            AttemptQuestion.needs_marking.is_(True),
            AttemptQuestion.marked_at.is_(None),
        )
    )
    if not waiting and attempt.state == AttemptState.AWAITING_MARKING:
        complete(session, attempt, now)
        _tell_member(session, attempt, now)
    session.flush()


def _tell_member(session: Session, attempt: Attempt, now: datetime) -> None:
    """The member learns that their last answer was marked; the link leads to the result page,
    which still follows the quiz's release policy. Not sent when the quiz never shows results.
    Written in the marker's transaction."""
    quiz = attempt.quiz
    if quiz.release == ReleasePolicy.NEVER:
        return
    link = current_app.url_map.bind("localhost").build("quizzes.result", {"attempt_id": attempt.id})
    params = {"quiz": quiz.title, "attempt": attempt.id}
    notify(session, [attempt.member_id], QUIZ_MARKED, link, now, params)


@dataclass(frozen=True)
class RegradeChange:
    attempt_id: int
    old_score: Decimal
    new_score: Decimal
    old_passed: bool
    new_passed: bool


def regrade_question(
    session: Session, actor, quiz: Quiz, question: Question, now: datetime, *, apply: bool
) -> list[RegradeChange]:
    """Score every graded answer to `question` in `quiz` again against the question's approved
    version (the corrected one), keeping the version each attempt was asked. Only an approved
    version is ever used: while the question is not active (an edit waits for review, it was
    sent back, or it is retired) its newest version is nobody's key yet and the regrade is
    refused. With apply=False it is a dry run: the score changes are returned and nothing is
    stored. Applying updates the marks and totals, records on each answer the version it was
    scored with (the result page shows that key) and audits every changed attempt; a newly
    passed course final test is credited. 简答 answers are marked by a person and are not
    regraded."""
    if question.type == "short":
        raise DomainError(None, _l("Short answers are marked by a person, not regraded."))
    if question.status != QuestionStatus.ACTIVE:
        raise DomainError(
            None,
            _l(
                "Regrading uses only an approved version of the question, and this question is"
                " “%(status)s” now: regrade once a reviewer has approved its newest version."
            )
            % {"status": STATUS_LABELS[question.status]},
        )
    version = question.current_version
    slots = session.scalars(
        sa.select(AttemptQuestion)
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .where(
            Attempt.quiz_id == quiz.id,
            Attempt.state == AttemptState.GRADED,
            AttemptQuestion.question_id == question.id,
        )
        .order_by(AttemptQuestion.attempt_id)
    ).all()
    options = len(version.spec.get("options") or [])
    changes = []
    for slot in slots:
        if len(slot.option_order) != options:
            raise DomainError(
                None, _l("The correction changed the number of options; it cannot be regraded.")
            )
        result = grade(
            slot.question_type,
            version.spec,
            grading_input(slot.question_type, slot.response),
            slot.points,
        )
        if apply:
            slot.graded_version_id = None if version.id == slot.version_id else version.id
        if result.points == slot.awarded:
            continue
        attempt = session.get(Attempt, slot.attempt_id)
        new_score = attempt.score - (slot.awarded or Decimal("0")) + result.points
        percent = (
            (new_score * HUNDRED / attempt.max_score).quantize(CENT, rounding=ROUND_HALF_UP)
            if attempt.max_score
            else Decimal("0.00")
        )
        change = RegradeChange(
            attempt.id,
            attempt.score,
            new_score,
            bool(attempt.passed),
            percent >= attempt.pass_percent,
        )
        changes.append(change)
        if not apply:
            continue
        slot.awarded, slot.is_correct = result.points, bool(result.correct)
        attempt.score, attempt.percent, attempt.passed = new_score, percent, change.new_passed
        session.flush()
        record(
            session,
            actor,
            "quiz.regraded",
            "quiz_attempt",
            attempt.id,
            now=now,
            before={"score": str(change.old_score), "passed": change.old_passed},
            after={
                "score": str(new_score),
                "passed": change.new_passed,
                "question": question.id,
                "version": version.id,
            },
        )
        if change.new_passed and not change.old_passed:
            credit_course_test(session, attempt, now)
    if apply:
        # Examinees still to come get the corrected version the others were regraded against.
        for item in quiz.items:
            if item.question_id == question.id and item.version_id is not None:
                item.version_id = version.id
    session.flush()
    return changes
