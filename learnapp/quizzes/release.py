"""What a member may see of their finished attempt, and when (security.md E2, E13).

The score and pass follow the quiz's release policy (`review_open`). The review of each
question (right or wrong, the key, the explanation, the source) comes with them for practice,
which is what practice is for; for an exam only once the member can no longer answer its
questions: no attempt of it in progress and none left to start (`answers_open`). A second
attempt asks the same questions, so keys seen after the first would be copied into it."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.quizzes.models import Attempt, AttemptState, QuizState, ReleasePolicy
from learnapp.quizzes.terms import Terms, in_audience, limit_reached, overrides_for_member


def review_open(attempt: Attempt, now: datetime) -> bool:
    """Whether the member may see the attempt's score and pass: practice at once, an exam by
    its release policy. What they may see of each question is `answers_open`."""
    if attempt.state != AttemptState.GRADED:
        return False
    quiz = attempt.quiz
    if quiz.kind.is_practice or quiz.release == ReleasePolicy.IMMEDIATELY:
        return True
    if quiz.release == ReleasePolicy.AFTER_CLOSE:
        # After the last member's close: an extended member must not meet the keys early.
        return quiz.last_close is None or now >= quiz.last_close
    return False


def still_to_answer(session: Session, member, quizzes, now: datetime) -> set[int]:
    """The ids of those of `quizzes` that `member` may still answer: an attempt of theirs is in
    progress, or they may start another, on their own terms (an override may add attempts or
    close later): attempts left, and the quiz published, in their audience and not closed for
    them. A quiz that has not opened (again) yet still counts."""
    by_id = {quiz.id: quiz for quiz in quizzes}
    if not by_id:
        return set()
    ids = sorted(by_id)
    rows = session.execute(
        sa.select(
            Attempt.quiz_id,
            sa.func.count(),
            sa.func.sum(sa.case((Attempt.state == AttemptState.IN_PROGRESS, 1), else_=0)),
        )
        .where(Attempt.member_id == member.id, Attempt.quiz_id.in_(ids))
        .group_by(Attempt.quiz_id)
    ).all()
    used = {quiz_id: count for quiz_id, count, _ in rows}
    answering = {quiz_id for quiz_id, _, in_progress in rows if in_progress}
    overrides = overrides_for_member(session, member.id, ids)
    for quiz_id in ids:
        quiz = by_id[quiz_id]
        terms = Terms.of(quiz, overrides.get(quiz_id))
        if (
            quiz_id in answering
            or limit_reached(quiz, used.get(quiz_id, 0), terms)
            or quiz.state != QuizState.PUBLISHED
            or not in_audience(quiz, member)
            or (terms.closes_at is not None and now >= terms.closes_at)
        ):
            continue
        answering.add(quiz_id)
    return answering


def answers_open(session: Session, attempt: Attempt, now: datetime) -> bool:
    """Whether the member may see each question of the attempt: right or wrong, the key, the
    explanation and the source. Practice: with the score. An exam: with the score, and only
    while the member can no longer answer it (`still_to_answer`)."""
    if not review_open(attempt, now):
        return False
    quiz = attempt.quiz
    return quiz.kind.is_practice or not still_to_answer(session, attempt.member, [quiz], now)
