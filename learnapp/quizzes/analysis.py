"""The exam report: attempts, the distribution of members' grades, pass rate by unit and item
analysis (facility and discrimination per question), counted over the members of the viewer's
subtrees only.

An attempt belongs to the unit its member was in when they started it (`unit_then`, from the
transfer history), not to the one they are in today: a branch's report keeps the attempts of
members who have moved away since, and leaves out those of members who joined it after their
attempt. Which units lie in a subtree is the organisation as it stands today.

Grades, pass rates and the distribution count members, not attempts: each member once, with
the grade the quiz's grading method gives them (`queries.official_grade`, the same grade their
exam results carry). Item statistics count answers, so every graded attempt is a sample there.

Item statistics on a handful of answers are noise: an item answered fewer than
`MIN_ITEM_SAMPLE` times shows its figures but is never flagged for review (the page says why)."""

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from learnapp.accounts.models import User
from learnapp.authz import unit_in_scope_clause
from learnapp.orgs.models import MemberTransfer, Unit
from learnapp.quizzes.models import Attempt, AttemptQuestion, AttemptSignal, AttemptState, Quiz
from learnapp.quizzes.queries import OfficialGrade, official_grade
from learnapp.text import pinyin_key

# Below about 30 answers the facility's and, above all, the correlation's sampling error is as
# large as the thresholds themselves (a correlation's standard error is about 1/sqrt(n)).
MIN_ITEM_SAMPLE = 30


@dataclass(frozen=True)
class ItemStat:
    position_label: str
    question_id: int
    stem: str
    answers: int
    facility: float | None  # mean mark / max mark
    discrimination: float | None  # correlation of the item with the rest of the test

    @property
    def is_reliable(self) -> bool:
        """Answered often enough for its figures to mean something."""
        return self.answers >= MIN_ITEM_SAMPLE

    @property
    def is_weak(self) -> bool:
        """Flagged for review (建议复核): very hard, very easy or discriminating poorly, on a
        sample large enough to say so."""
        if self.facility is None or not self.is_reliable:
            return False
        too_hard_or_easy = self.facility < 0.2 or self.facility > 0.95
        poor = self.discrimination is not None and self.discrimination < 0.2
        return too_hard_or_easy or poor


class UnitPassRate(NamedTuple):
    name: str
    members: int  # members with a graded attempt
    passed: int  # of those, members whose official grade reaches the pass mark
    attempts: int  # graded attempts

    @property
    def rate(self) -> float | None:
        """Passed ÷ graded members, 0–1; None with nobody graded."""
        return self.passed / self.members if self.members else None


class MemberResult(NamedTuple):
    member: User
    unit: Unit  # the unit of their latest graded attempt (`unit_then`)
    attempts: int  # graded attempts the grade combines
    grade: OfficialGrade


def _correlation(xs: list[float], ys: list[float]) -> float | None:
    n = len(xs)
    if n < 3:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sx = math.sqrt(sum((x - mx) ** 2 for x in xs))
    sy = math.sqrt(sum((y - my) ** 2 for y in ys))
    if sx == 0 or sy == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / (sx * sy)


@dataclass(frozen=True)
class QuizReport:
    attempts: int
    graded: int  # graded attempts
    results: list[MemberResult]  # one per member with a graded attempt, by unit then name
    mean_percent: float | None  # of the members' grades
    pass_rate: float | None  # of the members graded
    distribution: list[int]  # members' grades in ten bands of 10 percentage points
    by_unit: list[UnitPassRate]
    items: list[ItemStat]
    tab_switches: int
    units: dict[int, Unit]  # the unit each attempt belongs to (`unit_then`), by attempt id

    @property
    def small_sample(self) -> bool:
        """Some item was answered too few times to be judged (none is flagged then)."""
        return any(not item.is_reliable for item in self.items)


def member_results(quiz: Quiz, graded: list[Attempt], units: dict[int, Unit]) -> list[MemberResult]:
    """Each member's official grade over their graded attempts, in the unit of the latest of
    them (`units`, by attempt id), by unit then name."""
    by_member: dict[int, list[Attempt]] = defaultdict(list)
    for attempt in sorted(graded, key=lambda a: (a.member_id, a.number)):
        by_member[attempt.member_id].append(attempt)
    results = [
        MemberResult(
            rows[0].member, units[rows[-1].id], len(rows), official_grade(quiz.grading, rows)
        )
        for rows in by_member.values()
    ]
    return sorted(
        results, key=lambda r: (r.unit.name, r.unit.id, pinyin_key(r.member.display_name))
    )


def _by_unit(results: list[MemberResult]) -> list[UnitPassRate]:
    """Per unit (by id, as two branches may share a name), sorted by name."""
    units: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for result in results:
        tally = units[(result.unit.name, result.unit.id)]
        tally[0] += 1
        tally[1] += int(result.grade.passed)
        tally[2] += result.attempts
    return [UnitPassRate(key[0], *tally) for key, tally in sorted(units.items())]


def _distribution(results: list[MemberResult]) -> list[int]:
    bands = [0] * 10
    for result in results:
        bands[min(int(result.grade.percent // 10), 9)] += 1
    return bands


def _item_stats(session: Session, quiz: Quiz, graded: list[Attempt]) -> list[ItemStat]:
    slots = session.scalars(
        sa.select(AttemptQuestion).where(
            AttemptQuestion.attempt_id.in_([a.id for a in graded]),
        )
    ).all()
    totals = {a.id: float(a.score or 0) for a in graded}
    per_question: dict[int, list[AttemptQuestion]] = defaultdict(list)
    for slot in slots:
        per_question[slot.question_id].append(slot)
    # Numbered as the paper is: a fixed paper's own order; a drawn one (no common order) by where
    # the question stood on average, then by id.
    paper_order = {item.question_id: item.position for item in quiz.items}

    def order(entry):
        question_id, rows = entry
        if question_id in paper_order:
            return (0, paper_order[question_id], question_id)
        return (1, sum(r.position for r in rows) / len(rows), question_id)

    items = []
    for number, (question_id, rows) in enumerate(sorted(per_question.items(), key=order), start=1):
        marks = [float(r.awarded or 0) / float(r.points) for r in rows]
        rest = [totals[r.attempt_id] - float(r.awarded or 0) for r in rows]
        items.append(
            ItemStat(
                position_label=str(number),
                question_id=question_id,
                stem=rows[0].version.stem,
                answers=len(rows),
                facility=sum(marks) / len(marks) if marks else None,
                discrimination=_correlation(marks, rest),
            )
        )
    return items


def unit_then() -> sa.ColumnElement[int | None]:
    """SQL over attempts joined to their members: the unit the member was in when they started
    the attempt, the `from_unit` of their first transfer after it (none when that transfer
    placed them for the first time), else the unit they are in now."""
    later = (
        sa.select(MemberTransfer.id)
        .where(
            MemberTransfer.user_id == Attempt.member_id,
            MemberTransfer.moved_at > Attempt.started_at,
        )
        .order_by(MemberTransfer.moved_at, MemberTransfer.id)
        .limit(1)
        .correlate(Attempt)
        .scalar_subquery()
    )
    moved = aliased(MemberTransfer)
    came_from = sa.select(moved.from_unit_id).where(moved.id == later).scalar_subquery()
    return sa.case((later.is_not(None), came_from), else_=User.unit_id)


def _scoped_attempts(session: Session, user, quiz: Quiz, order) -> list[tuple[Attempt, Unit]]:
    """The quiz's attempts the user reports on, each with the unit it belongs to (`unit_then`):
    those of units in the user's subtrees."""
    return list(
        session.execute(
            sa.select(Attempt, Unit)
            .join(User, User.id == Attempt.member_id)
            .join(Unit, Unit.id == unit_then())
            .where(Attempt.quiz_id == quiz.id, unit_in_scope_clause(user, Unit.path))
            .order_by(*order)
        )
    )


def quiz_report(session: Session, user, quiz: Quiz) -> QuizReport:
    """Attempts, members' grades (their distribution, mean and pass rate, overall and by unit)
    and item statistics; a secretary sees the attempts their subtree's units hold only, each
    in the unit its member was in when they started it (`unit_then`)."""
    rows = _scoped_attempts(session, user, quiz, (Attempt.id,))
    attempts = [attempt for attempt, _ in rows]
    units = {attempt.id: unit for attempt, unit in rows}
    graded = [a for a in attempts if a.state == AttemptState.GRADED]
    results = member_results(quiz, graded, units)
    signals = session.scalar(
        sa.select(sa.func.count()).where(
            AttemptSignal.attempt_id.in_([a.id for a in attempts]), AttemptSignal.kind == "hidden"
        )
    )
    return QuizReport(
        attempts=len(attempts),
        graded=len(graded),
        results=results,
        mean_percent=(sum(float(r.grade.percent) for r in results) / len(results))
        if results
        else None,
        pass_rate=(sum(1 for r in results if r.grade.passed) / len(results)) if results else None,
        distribution=_distribution(results),
        by_unit=_by_unit(results),
        items=_item_stats(session, quiz, graded),
        tab_switches=signals or 0,
        units=units,
    )


def attempts_for_report(session: Session, user, quiz: Quiz) -> list[Attempt]:
    """The attempts `quiz_report` counts, latest first."""
    order = (Attempt.started_at.desc(), Attempt.id.desc())
    return [attempt for attempt, _ in _scoped_attempts(session, user, quiz, order)]


def signal_counts(session: Session, attempt_ids: list[int]) -> dict[int, int]:
    if not attempt_ids:
        return {}
    rows = session.execute(
        sa.select(AttemptSignal.attempt_id, sa.func.count())
        .where(AttemptSignal.attempt_id.in_(attempt_ids), AttemptSignal.kind == "hidden")
        .group_by(AttemptSignal.attempt_id)
    )
    return dict(rows.all())
