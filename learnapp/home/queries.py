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
from learnapp.quizzes.presenters import RunningAttempt, running_attempts
from learnapp.quizzes.queries import current_attempts, visible_quizzes

HOME_QUIZZES = 3  # the newest open quizzes on the home page; the rest are one click away


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


def home_quizzes(session: Session, member, now: datetime) -> HomeQuizzes:
    """The quizzes the home page lists, with the member's attempts in progress and today's
    daily practice (one query): those being answered first, whatever their age, then the
    newest open ones."""
    quizzes = visible_quizzes(session, member)
    today = org_day(now)
    attempts = current_attempts(session, member.id, [q.id for q in quizzes], today)
    running = running_attempts(attempts, now)
    ordered = sorted(quizzes, key=lambda quiz: quiz.id not in running)  # stable: newest first
    return HomeQuizzes(
        ordered[: max(HOME_QUIZZES, len(running))],
        running,
        {a.quiz_id for a in attempts if a.practice_day == today},
    )
