"""What a member may see of their finished attempt, and when (security.md E2, E13).

One function decides it for an attempt, `withholdings`: why the member may not see its
questions now (right or wrong, the key, the explanation, the source), or nothing when they may.
The quiz page and the grade's entry into the 错题本 ask it. The score and pass follow the quiz's
release policy; the questions come with them for practice, which is what practice is for, and
for an exam only once the member can no longer answer it: a second attempt asks the same
questions, so keys seen after the first would be copied into it. Every page that shows a
question's review (the result page, the 错题本, reporting a question) asks
`question_withholdings`, which adds the rules of the question, whatever quiz asked it: none is
shown while it stands in an attempt the member is answering, nor while an exam of theirs that
asked it withholds its questions from them (between two attempts, or until its results are
released): a practice asking it again must not give the exam's keys away."""

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, contains_eager

from learnapp.quizzes.models import (
    Attempt,
    AttemptQuestion,
    AttemptState,
    Quiz,
    QuizKind,
    QuizState,
    ReleasePolicy,
)
from learnapp.quizzes.terms import Terms, in_audience, limit_reached, overrides_for_member


class Withheld(enum.StrEnum):
    """Why a member does not see an answer's key."""

    PENDING = "pending"  # not graded yet: a 简答 waits for its marker
    NEVER = "never"  # the exam shows no results
    AFTER_CLOSE = "after_close"  # the results wait until nobody can answer the exam any more
    ANSWERABLE = "answerable"  # the score is out; the member may still answer the exam
    ANSWERING = "answering"  # the question is in an attempt the member is answering now
    IN_EXAM = "in_exam"  # the question is in an exam of the member's that withholds it from them
    REMARKED = "remarked"  # 错题本: no wrong answer on record (a corrected question re-marked it)

    @property
    def hides_score(self) -> bool:
        return self in (Withheld.PENDING, Withheld.NEVER, Withheld.AFTER_CLOSE)


@dataclass(frozen=True)
class Withholding:
    reason: Withheld
    # When it ends, where that is known: the last moment anyone can answer the exam, after
    # which its results show (AFTER_CLOSE), or the member's own close (ANSWERABLE).
    until: datetime | None = None


def score_shown(held: Withholding | None) -> bool:
    """Whether the member may see the score and pass of an attempt so withheld."""
    return held is None or not held.reason.hides_score


def answering_ends(session: Session, quizzes, now: datetime) -> dict[int, datetime | None]:
    """The last moment an attempt of each of `quizzes` can take an answer, by quiz id: results
    released "after close" show once it has passed. That is the quiz's latest close, members'
    own later closes included (an extended member must not meet the keys early), plus its
    grace; later still while an attempt in progress has more (a grace shortened after it
    started): the latest deadline of those attempts with the longest of their graces. None while
    the quiz has no close time, or an attempt in progress has no deadline: the results then
    wait until a close time is set and has passed."""
    times: dict[int, datetime | None] = {}
    for quiz in quizzes:
        close = quiz.last_close
        times[quiz.id] = None if close is None else close + timedelta(seconds=quiz.grace_seconds)
    # Until the close and its grace have passed the results wait whatever attempts remain.
    due = sorted(quiz_id for quiz_id, at in times.items() if at is not None and now > at)
    if not due:
        return times
    rows = session.execute(
        sa.select(
            Attempt.quiz_id,
            sa.func.max(Attempt.deadline_at),
            sa.func.max(Attempt.grace_seconds),
            sa.func.count() - sa.func.count(Attempt.deadline_at),
        )
        .where(Attempt.quiz_id.in_(due), Attempt.state == AttemptState.IN_PROGRESS)
        .group_by(Attempt.quiz_id)
    ).all()
    for quiz_id, latest, grace, open_ended in rows:
        if open_ended:
            times[quiz_id] = None
        else:
            times[quiz_id] = max(times[quiz_id], latest + timedelta(seconds=grace))
    return times


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


def _score_withheld(quiz: Quiz, ends: dict, now: datetime) -> Withholding | None:
    if quiz.release == ReleasePolicy.NEVER:
        return Withholding(Withheld.NEVER)
    if quiz.release == ReleasePolicy.AFTER_CLOSE:
        # An answer is taken up to and including the end of the grace (attempts.is_overdue).
        end = ends[quiz.id]
        if end is None or now <= end:
            return Withholding(Withheld.AFTER_CLOSE, end)
    return None


def results_releases(session: Session, quizzes, now: datetime) -> dict[int, Withholding | None]:
    """When members' scores on each of `quizzes` show, by quiz id, as a quiz's page says before
    they start: None when they submit (practice, and an exam released at once); else why they
    wait, as `withholdings` will say of a graded attempt: never (NEVER), or until nobody can
    answer the exam any more (AFTER_CLOSE, with that moment where it is known). The same for
    every member, in a fixed number of queries (load the quizzes' overrides with them)."""
    exams = [quiz for quiz in quizzes if not quiz.kind.is_practice]
    ends = answering_ends(
        session, [q for q in exams if q.release == ReleasePolicy.AFTER_CLOSE], now
    )
    held: dict[int, Withholding | None] = {quiz.id: None for quiz in quizzes}
    for quiz in exams:
        held[quiz.id] = _score_withheld(quiz, ends, now)
    return held


def results_release(session: Session, quiz: Quiz, now: datetime) -> Withholding | None:
    """`results_releases` of one quiz."""
    return results_releases(session, [quiz], now)[quiz.id]


def withholdings(
    session: Session, member, attempts, now: datetime
) -> dict[int, Withholding | None]:
    """Why `member` may not see the questions of each of their `attempts` now, by attempt id;
    None where they may. An attempt not graded yet shows nothing (PENDING). Practice shows
    everything with the score. An exam shows its score by its release policy: at once, never
    (NEVER), or "after close" once nobody can answer it any more (`answering_ends`; AFTER_CLOSE
    until then, and for good while it has no close time); and its questions with the score only
    once the member can no longer answer it themselves (`still_to_answer`; ANSWERABLE until
    their own close)."""
    attempts = list(attempts)
    exams = {
        a.quiz for a in attempts if a.state == AttemptState.GRADED and not a.quiz.kind.is_practice
    }
    return _withholdings(session, member, attempts, results_releases(session, exams, now), now)


@dataclass(frozen=True)
class QuizHolds:
    """What the page of one quiz shows of the member's results on it."""

    release: Withholding | None  # the quiz's `results_release`
    attempts: dict[int, Withholding | None]  # the `withholdings` of their attempts of it


def quiz_withholdings(session: Session, member, quiz: Quiz, attempts, now: datetime) -> QuizHolds:
    """`results_release` of `quiz` with the `withholdings` of `member`'s `attempts` of it, the
    release worked out once for both."""
    release = results_release(session, quiz, now)
    held = _withholdings(session, member, list(attempts), {quiz.id: release}, now)
    return QuizHolds(release, held)


def _withholdings(
    session: Session, member, attempts: list, released: dict, now: datetime
) -> dict[int, Withholding | None]:
    """`withholdings`, with `released` the `results_releases` of the attempts' graded exams."""
    held: dict[int, Withholding | None] = {}
    scored = []
    for attempt in attempts:
        quiz = attempt.quiz
        if attempt.state != AttemptState.GRADED:
            held[attempt.id] = Withholding(Withheld.PENDING)
        elif quiz.kind.is_practice:
            held[attempt.id] = None
        else:
            held[attempt.id] = released[quiz.id]
            if held[attempt.id] is None:
                scored.append(attempt)
    answerable = still_to_answer(session, member, {a.quiz for a in scored}, now)
    if answerable:
        overrides = overrides_for_member(session, member.id, answerable)
        for attempt in scored:
            quiz = attempt.quiz
            if quiz.id in answerable:
                close = Terms.of(quiz, overrides.get(quiz.id)).closes_at
                held[attempt.id] = Withholding(Withheld.ANSWERABLE, close)
    return held


@dataclass(frozen=True)
class QuestionHolds:
    """Which of some questions the member's attempts hold back, whatever attempt they are
    looked at from: those in an attempt of theirs in progress (`answering`: a 每日答题 draws from
    the 错题本, a second attempt of an exam asks its questions again), and those in an attempt
    of an exam of theirs whose questions `withholdings` holds back from them (`in_exam`: one
    in progress, or not graded, or with its results not released, or that they may answer
    again)."""

    answering: frozenset[int]
    in_exam: frozenset[int]


def questions_held(session: Session, member, question_ids, now: datetime) -> QuestionHolds:
    """`QuestionHolds` of these questions for `member`: one query for the attempts asking them
    (by their frozen questions), then `withholdings` of those of exams."""
    ids = sorted(set(question_ids))
    if not ids:
        return QuestionHolds(frozenset(), frozenset())
    rows = session.execute(
        sa.select(AttemptQuestion.question_id, Attempt)
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(
            Attempt.member_id == member.id,
            AttemptQuestion.question_id.in_(ids),
            sa.or_(Attempt.state == AttemptState.IN_PROGRESS, Quiz.kind == QuizKind.EXAM),
        )
        .options(contains_eager(Attempt.quiz))
    ).all()
    exams = {attempt for _, attempt in rows if not attempt.quiz.kind.is_practice}
    held = withholdings(session, member, exams, now)
    return QuestionHolds(
        answering=frozenset(q for q, a in rows if a.state == AttemptState.IN_PROGRESS),
        in_exam=frozenset(q for q, a in rows if held.get(a.id) is not None),
    )


def question_withholdings(
    session: Session, member, slots, now: datetime
) -> dict[int, Withholding | None]:
    """Why `member` may not see each of these answered questions of theirs (slots of their
    attempts) now, by slot id; None where they may. Their attempt's reason comes first
    (`withholdings`); where it holds nothing back, the question's (`questions_held`): one that
    stands in an attempt of theirs in progress waits for it (ANSWERING), that attempt asks it
    now; one asked by an exam of theirs that withholds it waits for that exam to show its
    answers (IN_EXAM). A key seen on any page would be copied into the exam. The attempt's
    score shows as its own reason says."""
    slots = list(slots)
    attempts = {slot.attempt_id: slot.attempt for slot in slots}
    held = withholdings(session, member, attempts.values(), now)
    open_ids = [slot.question_id for slot in slots if held[slot.attempt_id] is None]
    holds = questions_held(session, member, open_ids, now)
    by_slot: dict[int, Withholding | None] = {}
    for slot in slots:
        reason = held[slot.attempt_id]
        if reason is None and slot.question_id in holds.answering:
            reason = Withholding(Withheld.ANSWERING)
        elif reason is None and slot.question_id in holds.in_exam:
            reason = Withholding(Withheld.IN_EXAM)
        by_slot[slot.id] = reason
    return by_slot


def withholding(session: Session, attempt: Attempt, now: datetime) -> Withholding | None:
    """`withholdings` of one attempt."""
    return withholdings(session, attempt.member, [attempt], now)[attempt.id]


def answers_open(session: Session, attempt: Attempt, now: datetime) -> bool:
    """Whether the attempt itself lets the member see its questions now: right or wrong, the
    key, the explanation and the source; each question may still wait for an attempt in
    progress or an exam (`question_withholdings`)."""
    return withholding(session, attempt, now) is None
