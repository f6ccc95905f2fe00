"""What the home pages show."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.hours.services import org_day
from learnapp.jobs import latest_runs
from learnapp.orgs.models import Unit
from learnapp.orgs.queries import category_counts, sizing_warnings
from learnapp.quizzes.attempts import unavailable_reason
from learnapp.quizzes.presenters import RunningAttempt, running_attempts
from learnapp.quizzes.queries import attempt_counts, current_attempts, visible_quizzes
from learnapp.quizzes.terms import Terms, limit_reached, overrides_for_member

HOME_QUIZZES = 3  # the member's to-do on the home page; the rest are one click away


@dataclass
class ManagedUnit:
    unit: Unit
    counts: dict
    warnings: list


def manager_overview(session: Session, user) -> list[ManagedUnit]:
    overview = []
    for unit in user.managed_units:
        counts = category_counts(session, unit)
        overview.append(ManagedUnit(unit, counts, sizing_warnings(session, unit, counts)))
    return overview


def admin_overview(session: Session) -> dict:
    return {
        "units": session.scalar(sa.select(sa.func.count()).select_from(Unit)),
        "users": session.scalar(sa.select(sa.func.count()).select_from(User)),
        "inactive": session.scalar(
            sa.select(sa.func.count()).select_from(User).where(User.is_active.is_(False))
        ),
        "last_runs": latest_runs(session),
    }


@dataclass
class HomeQuizzes:
    quizzes: list
    running: dict[int, RunningAttempt]  # the member's attempts in progress, by quiz id
    done_today: set[int]  # 每日答题 quizzes with an attempt of today, as the quiz list says
    terms: dict[int, Terms]  # the member's close (an override may extend it), by quiz id


def home_quizzes(session: Session, member, now: datetime) -> HomeQuizzes:
    """What the member has to do, at least HOME_QUIZZES of it: their attempts in progress first
    (however many: each is a 继续作答), then the quizzes they can start now, the nearest close
    on their own terms first (ties and those that never close newest first), and last any
    每日答题 done today, filling what is left. A quiz they cannot start (not open yet, closed,
    every attempt used) is left to the quiz list, where it says why. One query each for the
    quizzes, the attempts to flag, the attempt counts and the member's overrides."""
    quizzes = visible_quizzes(session, member)
    ids = [quiz.id for quiz in quizzes]
    today = org_day(now)
    attempts = current_attempts(session, member.id, ids, today)
    running = running_attempts(attempts, now)
    done_today = {a.quiz_id for a in attempts if a.practice_day == today}
    used = attempt_counts(session, member.id, ids)
    overrides = overrides_for_member(session, member.id, ids)
    terms = {quiz.id: Terms.of(quiz, overrides.get(quiz.id)) for quiz in quizzes}
    open_now = [
        quiz
        for quiz in quizzes
        if quiz.id not in running and unavailable_reason(quiz, member, now, terms[quiz.id]) is None
    ]
    startable = [
        quiz
        for quiz in open_now
        if quiz.id not in done_today
        and not limit_reached(quiz, used.get(quiz.id, 0), terms[quiz.id])
    ]
    # Stable: quizzes closing together stay newest first.
    startable.sort(
        key=lambda quiz: (terms[quiz.id].closes_at is None, terms[quiz.id].closes_at or now)
    )
    ordered = [
        *(quiz for quiz in quizzes if quiz.id in running),
        *startable,
        *(quiz for quiz in open_now if quiz.id in done_today),
    ]
    return HomeQuizzes(ordered[: max(HOME_QUIZZES, len(running))], running, done_today, terms)
