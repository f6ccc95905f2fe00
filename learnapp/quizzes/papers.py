"""The paper of one examinee: the fixed paper, or a draw by the random rules from a stored seed.
Pure reads; nothing here writes."""

import heapq
import random
from datetime import datetime
from operator import itemgetter

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, contains_eager

from learnapp.errors import DomainError
from learnapp.hours.services import org_day
from learnapp.question_bank.models import Question
from learnapp.quizzes.models import (
    Attempt,
    AttemptQuestion,
    Composition,
    Quiz,
    QuizKind,
    WrongAnswer,
)
from learnapp.quizzes.random_rules import candidate_ids
from learnapp.quizzes.release import withholdings


def _seen_counts(session: Session, member_id: int) -> dict[int, int]:
    rows = session.execute(
        sa.select(AttemptQuestion.question_id, sa.func.count())
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .where(Attempt.member_id == member_id)
        .group_by(AttemptQuestion.question_id)
    )
    return dict(rows.all())


def _withheld_exam_attempts(session: Session, member, now: datetime) -> list[int]:
    """The ids of the member's exam attempts whose questions `withholdings` holds back from
    them now: in progress, not graded, results not released, or an exam they may answer again."""
    exams = session.scalars(
        sa.select(Attempt)
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(Attempt.member_id == member.id, Quiz.kind == QuizKind.EXAM)
        .options(contains_eager(Attempt.quiz))
    ).all()
    held = withholdings(session, member, exams, now)
    return sorted(attempt.id for attempt in exams if held[attempt.id] is not None)


def _daily_preferences(session: Session, member, now: datetime) -> tuple[set, set]:
    """Question ids due in the member's 错题本, and knowledge points they often get wrong.

    A weak point counts only answers whose correctness the member may see now: none in an
    exam attempt whose questions are withheld from them, nor any answer to a question such an
    attempt asked (as `release.question_withholdings` hides it on every page). Steering the
    draw by them would tell which exam answers were wrong before the exam shows its answers."""
    due = set(
        session.scalars(
            sa.select(WrongAnswer.question_id).where(
                WrongAnswer.member_id == member.id,
                WrongAnswer.is_mastered.is_(False),
                WrongAnswer.due_on <= org_day(now),
            )
        )
    )
    query = (
        sa.select(
            Question.knowledge_point_id,
            sa.func.count(),
            sa.func.sum(sa.case((AttemptQuestion.is_correct.is_(True), 1), else_=0)),
        )
        .join(Question, Question.id == AttemptQuestion.question_id)
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .where(Attempt.member_id == member.id, AttemptQuestion.is_correct.is_not(None))
        .group_by(Question.knowledge_point_id)
    )
    withheld = _withheld_exam_attempts(session, member, now)
    if withheld:
        asked = sa.select(AttemptQuestion.question_id).where(
            AttemptQuestion.attempt_id.in_(withheld)
        )
        query = query.where(AttemptQuestion.question_id.not_in(asked))
    rows = session.execute(query).all()
    weak = {
        kp for kp, total, right in rows if kp is not None and total >= 2 and right < total * 0.6
    }
    return due, weak


def compose(session: Session, quiz: Quiz, member, rng: random.Random, now) -> list[tuple]:
    """The paper for one examinee: (question id, version id, points or None) in order.

    Random rules prefer questions the member has seen least, never repeat a question within the
    paper, and for 每日答题 put due 错题本 items and weak knowledge points first. Ties break by
    the seeded generator, so the stored seed and history reproduce the draw.
    """
    if quiz.composition == Composition.FIXED:
        # A published paper asks the versions pinned at publication; a draft (its preview)
        # follows the bank: each question's version in use, the approved one while an edit
        # awaits review.
        rows = session.execute(
            sa.select(Question.id, Question.version_in_use_id)
            .where(
                Question.id.in_([i.question_id for i in quiz.items if i.version_id is None]),
                Question.version_in_use_id.is_not(None),
            )
            .order_by(Question.id)
        ).all()
        current = dict(rows)
        paper = [
            (item.question_id, item.version_id or current[item.question_id], item.points)
            for item in quiz.items
            if item.version_id is not None or item.question_id in current
        ]
    else:
        seen = _seen_counts(session, member.id)
        due, weak = (set(), set())
        kp_of: dict[int, int | None] = {}
        if quiz.kind == QuizKind.DAILY:
            due, weak = _daily_preferences(session, member, now)
        chosen: set[int] = set()
        draw = rng.random
        paper = []
        for rule in quiz.rules:
            candidates = [c for c in candidate_ids(session, rule) if c[0] not in chosen]
            if weak:
                kp_of = dict(
                    session.execute(
                        sa.select(Question.id, Question.knowledge_point_id).where(
                            Question.id.in_([c[0] for c in candidates])
                        )
                    ).all()
                )
            # Due 错题本 items first, then weak knowledge points, then the least seen; ties by
            # the seeded generator, one draw per candidate in id order.
            if due or weak:
                keyed = [
                    ((c[0] not in due, kp_of.get(c[0]) not in weak, seen.get(c[0], 0), draw()), c)
                    for c in candidates
                ]
            else:  # the same order without the two keys that are then equal for all
                keyed = [((seen.get(c[0], 0), draw()), c) for c in candidates]
            picked = [c for _, c in heapq.nsmallest(rule.count, keyed, key=itemgetter(0))]
            if len(picked) < rule.count:
                raise DomainError(None, _l("The question bank cannot fill this paper right now."))
            for question_id, version_id in picked:
                chosen.add(question_id)
                paper.append((question_id, version_id, rule.points))
    if not paper:
        raise DomainError(None, _l("This quiz has no questions to ask."))
    if quiz.shuffle_questions:
        rng.shuffle(paper)
    return paper
