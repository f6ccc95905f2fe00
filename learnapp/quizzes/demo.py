"""Demo quizzes: 每日答题 and a 专项答题 set for everyone, an open exam for the demo branch, and
finished attempts by its members (one short answer waits for the demo secretary to mark).

Attempts are made through the same services as on the web, at earlier times of the window.
"""

import random
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.question_bank.models import KnowledgePoint, Question, QuestionStatus
from learnapp.question_bank.services import default_bank
from learnapp.quizzes.answers import save_answer
from learnapp.quizzes.attempts import finalize, start_attempt
from learnapp.quizzes.authoring import QuizSettings, create_quiz, publish_quiz
from learnapp.quizzes.composition import RuleInput, add_questions, add_rule
from learnapp.quizzes.marking import mark_answer
from learnapp.quizzes.models import (
    Attempt,
    AttemptQuestion,
    AttemptState,
    Composition,
    FinishedBy,
    QuizKind,
    ReleasePolicy,
)
from learnapp.quizzes.queries import slots_of
from learnapp.quizzes.reports import report_question

EXAM_TITLE = "2026年第四季度党章党规知识测试"
TOPIC_TITLE = "党章专项答题"
CHARTER_POINT = "党章"  # the top-level knowledge point of the 党章 questions (question_bank/)
EXAM_MIX = (("single", 4), ("multiple", 2), ("judge", 2), ("fill", 1), ("short", 1))


def _exam_questions(session: Session, bank) -> list[int]:
    ids = []
    for code, count in EXAM_MIX:
        ids += session.scalars(
            sa.select(Question.id)
            .where(
                Question.bank_id == bank.id,
                Question.type == code,
                Question.status == QuestionStatus.ACTIVE,
            )
            .order_by(Question.id)
            .limit(count)
        ).all()
    return ids


def _charter_point(session: Session, bank) -> KnowledgePoint:
    """The 党章 branch of the demo bank's knowledge tree: the topic set draws from it (with its
    chapters) only, not from whichever top-level point happens to come first (条例, 党史)."""
    point = session.scalar(
        sa.select(KnowledgePoint).where(
            KnowledgePoint.bank_id == bank.id,
            KnowledgePoint.parent_id.is_(None),
            KnowledgePoint.name == CHARTER_POINT,
        )
    )
    if point is None:
        raise LookupError(f"the demo bank has no knowledge point {CHARTER_POINT!r}")
    return point


def _raw(slot, rng: random.Random, skill: float) -> dict | None:
    """A plausible answer: right with probability `skill`."""
    spec = slot.version.spec
    right = rng.random() < skill
    if slot.question_type == "single":
        index = spec["answer"] if right else (spec["answer"] + 1) % len(spec["options"])
        return {"value": slot.option_ids[slot.option_order.index(index)]}
    if slot.question_type == "multiple":
        chosen = spec["answers"] if right else spec["answers"][:1]
        return {"values": [slot.option_ids[slot.option_order.index(i)] for i in chosen]}
    if slot.question_type == "judge":
        return {"value": "true" if spec["answer"] == right else "false"}
    if slot.question_type == "fill":
        return {"blanks": [b[0] if right else "不知道" for b in spec["blanks"]]}
    return {"text": "要坚持理论联系实际，在学懂弄通做实上下功夫，把学习成果转化为工作动力。"}


def _take(session, member, quiz, at: datetime, rng, skill: float, answer_short: bool):
    attempt = start_attempt(session, member, quiz, at)
    for slot in slots_of(session, attempt):
        if slot.question_type == "short" and not answer_short:
            continue
        save_answer(
            session, attempt.id, slot.position, 0, _raw(slot, rng, skill), at, member_id=member.id
        )
    return finalize(
        session, attempt.id, at + timedelta(minutes=rng.randint(8, 25)), FinishedBy.MEMBER
    )


def seed(session: Session, org, now: datetime) -> str:
    rng = random.Random(5)  # noqa: S311  (demo data, not a secret)
    bank = default_bank(session, now)
    window_start = now - timedelta(days=7)
    daily = create_quiz(
        session,
        None,
        QuizSettings(
            title="每日答题",
            kind=QuizKind.DAILY,
            owner_unit=org.root,
            composition=Composition.RANDOM,
            description="每天5道题，优先出现你的错题和薄弱知识点。",
            attempts_allowed=0,
            grace_seconds=60,
        ),
        now,
    )
    publish_quiz(session, None, daily, now)
    topic = create_quiz(
        session,
        None,
        QuizSettings(
            title=TOPIC_TITLE,
            kind=QuizKind.TOPIC,
            owner_unit=org.root,
            composition=Composition.RANDOM,
            description="围绕党章的10道题，首次作答计分。",
            attempts_allowed=0,
        ),
        now,
    )
    charter = _charter_point(session, bank)
    add_rule(session, None, topic, RuleInput(bank, charter, "single", None, 6, Decimal("1")), now)
    add_rule(session, None, topic, RuleInput(bank, charter, "judge", None, 4, Decimal("1")), now)
    publish_quiz(session, None, topic, now)
    exam = create_quiz(
        session,
        None,
        QuizSettings(
            title=EXAM_TITLE,
            kind=QuizKind.EXAM,
            owner_unit=org.demo_branch,
            composition=Composition.FIXED,
            description="闭卷作答，限时30分钟，可作答2次，取最高分。60分及格。",
            opens_at=window_start,
            closes_at=now + timedelta(days=14),
            duration_seconds=30 * 60,
            attempts_allowed=2,
            shuffle_options=True,
            release=ReleasePolicy.IMMEDIATELY,
        ),
        now,
    )
    add_questions(session, None, exam, _exam_questions(session, bank), now)
    publish_quiz(session, None, exam, now)

    takers = [
        m
        for m in org.members
        if m.unit and m.unit.path.startswith(org.demo_branch.path) and m is not org.member
    ][:8]
    waiting = 0
    for number, member in enumerate(takers):
        at = window_start + timedelta(days=1 + number % 5, hours=number)
        attempt = _take(
            session, member, exam, at, rng, rng.uniform(0.4, 0.95), answer_short=number < 3
        )
        waiting += attempt.state == AttemptState.AWAITING_MARKING
    # He has used both attempts: a marker who may still answer an exam reads none of its answers.
    if org.secretary in takers:
        _take(session, org.secretary, exam, now - timedelta(hours=3), rng, 0.8, answer_short=True)
    # The secretary's queue keeps one answer; he marked the other members', and the admin his
    # own (nobody marks themselves).
    awaiting = _awaiting(session, exam)
    others = [s for s in awaiting if s.attempt.member_id != org.secretary.id]
    for attempt_slot in others[1:]:
        mark_answer(session, org.secretary, attempt_slot, "3", "要点较全", now)
    for attempt_slot in awaiting:
        if attempt_slot.attempt.member_id == org.secretary.id:
            mark_answer(session, org.admin, attempt_slot, "3", "要点较全", now)
    # One 纠错 report waits for the bank's editors and reviewers.
    first = session.scalar(
        sa.select(Attempt).where(Attempt.quiz_id == exam.id).order_by(Attempt.id).limit(1)
    )
    report_question(
        session,
        first.member,
        slots_of(session, first)[0].version,
        "选项中“八项”与党章第三条的表述方式不同，建议核对题干与选项。",
        now,
    )
    session.flush()
    return (
        f"quizzes: daily practice, a topic set and the exam “{EXAM_TITLE}” "
        f"with {len(takers)} finished attempts ({min(waiting, 1)} short answer to mark, "
        "1 question reported as faulty)"
    )


def _awaiting(session: Session, exam):
    return list(
        session.scalars(
            sa.select(AttemptQuestion)
            .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
            .where(
                Attempt.quiz_id == exam.id,
                AttemptQuestion.needs_marking.is_(True),
                AttemptQuestion.marked_at.is_(None),
            )
            .order_by(AttemptQuestion.id)
        )
    )
