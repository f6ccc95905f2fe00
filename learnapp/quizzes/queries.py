"""Read functions of quizzes: the public read API for other packages (`exam_results`) and the
queries behind the pages. The exam report's statistics are in `analysis`."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from learnapp.authz import scope_paths, unit_in_scope_clause
from learnapp.orgs.models import Unit
from learnapp.question_bank.models import QuestionVersion
from learnapp.quizzes.models import (
    Attempt,
    AttemptQuestion,
    AttemptState,
    GradingMethod,
    Quiz,
    QuizKind,
    QuizState,
    WrongAnswer,
)
from learnapp.quizzes.release import (
    Withheld,
    Withholding,
    question_withholdings,
    results_releases,
    score_shown,
)
from learnapp.quizzes.terms import in_audience

CENT = Decimal("0.01")


@dataclass(frozen=True)
class ExamResult:
    quiz_id: int
    title: str
    percent: Decimal  # 0–100
    passed: bool
    finished_at: datetime


class OfficialGrade(NamedTuple):
    percent: Decimal  # 0–100
    passed: bool
    finished_at: datetime


def official_grade(method: GradingMethod, attempts: list[Attempt]) -> OfficialGrade:
    """A member's grade on a quiz from their graded attempts (in start order), combined by the
    quiz's grading method; passed against the pass mark the latest attempt was taken under."""
    if method == GradingMethod.FIRST:
        percent, finished_at = attempts[0].percent, attempts[0].submitted_at
    elif method == GradingMethod.LAST:
        percent, finished_at = attempts[-1].percent, attempts[-1].submitted_at
    elif method == GradingMethod.AVERAGE:
        mean = sum((a.percent for a in attempts), Decimal("0")) / len(attempts)
        percent = mean.quantize(CENT, rounding=ROUND_HALF_UP)
        finished_at = attempts[-1].submitted_at
    else:
        best = max(attempts, key=lambda a: (a.percent, -a.number))
        percent, finished_at = best.percent, best.submitted_at
    return OfficialGrade(percent, percent >= attempts[-1].pass_percent, finished_at)


def exam_results(
    session: Session, member_ids, start: datetime, end: datetime
) -> dict[int, list[ExamResult]]:
    """Each member's exam results over graded attempts finished in [start, end): one result per
    exam, combined across attempts by the quiz's grading method; pass against the pass mark the
    attempts were taken under. Practice, daily and topic sets are not exams and do not count."""
    ids = sorted(set(member_ids))
    results: dict[int, list[ExamResult]] = {member_id: [] for member_id in ids}
    if not ids:
        return results
    attempts = session.scalars(
        sa.select(Attempt)
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(
            Attempt.member_id.in_(ids),
            Attempt.state == AttemptState.GRADED,
            Quiz.kind == QuizKind.EXAM,
            Attempt.submitted_at >= start,
            Attempt.submitted_at < end,
        )
        .order_by(Attempt.member_id, Attempt.quiz_id, Attempt.number)
    ).all()
    grouped: dict[tuple[int, int], list[Attempt]] = defaultdict(list)
    for attempt in attempts:
        grouped[(attempt.member_id, attempt.quiz_id)].append(attempt)
    for (member_id, _quiz_id), rows in grouped.items():
        quiz = rows[0].quiz
        grade = official_grade(quiz.grading, rows)
        results[member_id].append(
            ExamResult(
                quiz_id=quiz.id,
                title=quiz.title,
                percent=grade.percent,
                passed=grade.passed,
                finished_at=grade.finished_at,
            )
        )
    for rows in results.values():
        rows.sort(key=lambda r: (r.finished_at, r.quiz_id))
    return results


def withheld_exam_results(session: Session, quiz_ids, now: datetime) -> set[int]:
    """Those of the quizzes whose scores their release policy still keeps from the members who
    took them (release.results_releases: never shown, or not until nobody can answer any more):
    what a member's own pages must not show, in a fixed number of queries."""
    ids = sorted(set(quiz_ids))
    if not ids:
        return set()
    quizzes = session.scalars(
        sa.select(Quiz).where(Quiz.id.in_(ids)).options(selectinload(Quiz.overrides))
    ).all()
    held = results_releases(session, quizzes, now)
    return {quiz_id for quiz_id, reason in held.items() if not score_shown(reason)}


def manageable_quizzes_clause(user):
    return Quiz.owner_unit_id.in_(
        sa.select(Unit.id).where(unit_in_scope_clause(user, Unit.path)).scalar_subquery()
    )


def manageable_quizzes(session: Session, user) -> list[Quiz]:
    return list(
        session.scalars(
            sa.select(Quiz)
            .where(manageable_quizzes_clause(user))
            .order_by(Quiz.updated_at.desc(), Quiz.id.desc())
        )
    )


def manageable_quiz(session: Session, user, quiz_id: int) -> Quiz | None:
    return session.scalar(
        sa.select(Quiz).where(Quiz.id == quiz_id, manageable_quizzes_clause(user))
    )


def _reaches_scope(quiz: Quiz, paths: list[str]) -> bool:
    """The quiz's audience (its audience units, else the owner's subtree) overlaps a subtree."""
    audience = [u.path for u in quiz.audience_units or [quiz.owner_unit]]
    return any(a.startswith(p) or p.startswith(a) for a in audience for p in paths)


def reportable_quiz(session: Session, user, quiz_id: int) -> Quiz | None:
    """A quiz whose report the manager may open: one they manage, or a published (or archived)
    one whose audience reaches into their units, such as the 党委's exam for a branch
    secretary. The report itself counts only members of their subtree (`analysis.quiz_report`)."""
    quiz = manageable_quiz(session, user, quiz_id)
    if quiz is not None:
        return quiz
    quiz = session.get(Quiz, quiz_id)
    if quiz is None or quiz.state == QuizState.DRAFT:
        return None
    return quiz if _reaches_scope(quiz, scope_paths(user)) else None


def reportable_quizzes(session: Session, user) -> list[Quiz]:
    """Published or archived quizzes owned outside the manager's units whose audience reaches
    into them (their own quizzes are on the management list already)."""
    paths = scope_paths(user)
    quizzes = session.scalars(
        sa.select(Quiz)
        .where(Quiz.state != QuizState.DRAFT, ~manageable_quizzes_clause(user))
        .order_by(Quiz.id.desc())
    ).all()
    return [quiz for quiz in quizzes if _reaches_scope(quiz, paths)]


def visible_quizzes(session: Session, member) -> list[Quiz]:
    """Published quizzes whose audience includes the member."""
    quizzes = session.scalars(
        sa.select(Quiz).where(Quiz.state == QuizState.PUBLISHED).order_by(Quiz.id.desc())
    ).all()
    return [quiz for quiz in quizzes if in_audience(quiz, member)]


def course_final_tests(session: Session, member, course_id: int) -> list[Quiz]:
    """The published final tests of a course that the member may take, oldest first."""
    quizzes = session.scalars(
        sa.select(Quiz)
        .where(Quiz.course_id == course_id, Quiz.state == QuizState.PUBLISHED)
        .order_by(Quiz.id)
    ).all()
    return [quiz for quiz in quizzes if in_audience(quiz, member)]


def visible_quiz(session: Session, member, quiz_id: int) -> Quiz | None:
    quiz = session.get(Quiz, quiz_id)
    if quiz is None or quiz.state != QuizState.PUBLISHED or not in_audience(quiz, member):
        return None
    return quiz


def member_attempts(session: Session, member_id: int, quiz_ids=None) -> list[Attempt]:
    query = sa.select(Attempt).where(Attempt.member_id == member_id)
    if quiz_ids is not None:
        query = query.where(Attempt.quiz_id.in_(list(quiz_ids)))
    return list(session.scalars(query.order_by(Attempt.quiz_id, Attempt.number)))


def current_attempts(session: Session, member_id: int, quiz_ids, day: date) -> list[Attempt]:
    """The member's attempts in progress on these quizzes (at most one a quiz) and their 每日答题
    attempts of practice day `day`, in one query: the home page flags the ones in progress
    beside the quizzes it lists, and the daily practice done today."""
    ids = sorted(set(quiz_ids))
    if not ids:
        return []
    return list(
        session.scalars(
            sa.select(Attempt).where(
                Attempt.member_id == member_id,
                Attempt.quiz_id.in_(ids),
                sa.or_(Attempt.state == AttemptState.IN_PROGRESS, Attempt.practice_day == day),
            )
        )
    )


def attempt_counts(session: Session, member_id: int, quiz_ids) -> dict[int, int]:
    """How many attempts the member has made of each of these quizzes, in one query; an
    abandoned attempt counts (E8). Quizzes not attempted are left out."""
    ids = sorted(set(quiz_ids))
    if not ids:
        return {}
    return dict(
        session.execute(
            sa.select(Attempt.quiz_id, sa.func.count())
            .where(Attempt.member_id == member_id, Attempt.quiz_id.in_(ids))
            .group_by(Attempt.quiz_id)
        ).all()
    )


def own_attempt(session: Session, member, attempt_id: int) -> Attempt | None:
    """The attempt if it is the member's (never another's: E6)."""
    return session.scalar(
        sa.select(Attempt).where(Attempt.id == attempt_id, Attempt.member_id == member.id)
    )


def own_attempt_id(session: Session, member, attempt_id: int) -> int | None:
    """The id if the attempt is the member's: the one-column check of the autosave path."""
    return session.scalar(
        sa.select(Attempt.id).where(Attempt.id == attempt_id, Attempt.member_id == member.id)
    )


def slots_of(session: Session, attempt: Attempt) -> list[AttemptQuestion]:
    return list(
        session.scalars(
            sa.select(AttemptQuestion)
            .where(AttemptQuestion.attempt_id == attempt.id)
            .order_by(AttemptQuestion.position)
        )
    )


def wrong_book(session: Session, member_id: int) -> list[WrongAnswer]:
    return list(
        session.scalars(
            sa.select(WrongAnswer)
            .where(WrongAnswer.member_id == member_id)
            .options(joinedload(WrongAnswer.version).joinedload(QuestionVersion.question))
            .order_by(WrongAnswer.is_mastered, WrongAnswer.due_on, WrongAnswer.id)
        )
    )


def wrong_answer_reviews(
    session: Session, member, question_ids, now: datetime
) -> dict[int, tuple[AttemptQuestion, Withholding | None]]:
    """For each question, the member's wrong (or partly wrong) answer the 错题本 goes by, with
    why its key is withheld (`release.question_withholdings`). The latest answer they may see
    now comes with None: the 错题本 shows it with its key and explanation. Failing that, the
    latest one they may see once the attempt in progress that asks the question is submitted
    comes with that reason (ANSWERING), and failing that their latest wrong answer with its
    own: results not released (E2), an exam they may still answer (a later attempt asks the
    same questions), or an exam of theirs that asked the question and withholds it (IN_EXAM).
    A question with no wrong answer on record is left out."""
    ids = sorted(set(question_ids))
    if not ids:
        return {}
    slots = session.scalars(
        sa.select(AttemptQuestion)
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .where(
            Attempt.member_id == member.id,
            Attempt.state == AttemptState.GRADED,
            AttemptQuestion.question_id.in_(ids),
            AttemptQuestion.is_correct.is_(False),
        )
        .options(contains_eager(AttemptQuestion.attempt))
        .order_by(Attempt.submitted_at, AttemptQuestion.id)
    ).all()
    held = question_withholdings(session, member, slots, now)
    chosen: dict[int, tuple[AttemptQuestion, Withholding | None]] = {}
    for slot in slots:  # oldest first: a later answer replaces one shown no later
        current = chosen.get(slot.question_id)
        reason = held[slot.id]
        if current is None or _showable(reason) >= _showable(current[1]):
            chosen[slot.question_id] = (slot, reason)
    return chosen


def _showable(held: Withholding | None) -> int:
    """How soon a wrong answer so withheld can show its key: now, once the attempt in progress
    that asks the question is submitted (its own results are out), or later."""
    if held is None:
        return 2
    return 1 if held.reason == Withheld.ANSWERING else 0


def exams_awaiting_marking(
    session: Session, member_ids, start: datetime, end: datetime
) -> dict[int, list[str]]:
    """Titles of the exams each member submitted in [start, end) that wait for a marker (a 简答
    to mark) and have no graded attempt yet: taken, but with no result to show."""
    ids = sorted(set(member_ids))
    if not ids:
        return {}
    rows = session.execute(
        sa.select(Attempt.member_id, Attempt.quiz_id, Attempt.state, Quiz.title)
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(
            Attempt.member_id.in_(ids),
            Attempt.state.in_([AttemptState.AWAITING_MARKING, AttemptState.GRADED]),
            Quiz.kind == QuizKind.EXAM,
            Attempt.submitted_at >= start,
            Attempt.submitted_at < end,
        )
        .order_by(Attempt.member_id, Attempt.quiz_id)
    ).all()
    graded = {(m, q) for m, q, state, _t in rows if state == AttemptState.GRADED}
    waiting: dict[int, dict[int, str]] = defaultdict(dict)
    for member_id, quiz_id, state, title in rows:
        if state == AttemptState.AWAITING_MARKING and (member_id, quiz_id) not in graded:
            waiting[member_id][quiz_id] = title
    return {member_id: list(titles.values()) for member_id, titles in waiting.items()}
