"""What the home pages show."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.jobs import latest_runs
from learnapp.orgs.models import Unit
from learnapp.orgs.queries import category_counts, sizing_warnings
from learnapp.quizzes.presenters import RunningAttempt, running_attempts
from learnapp.quizzes.queries import attempts_in_progress, visible_quizzes

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


def home_quizzes(session: Session, member, now: datetime) -> tuple[list, dict[int, RunningAttempt]]:
    """The quizzes the home page lists, with the member's attempts in progress by quiz id
    (one query): those being answered first, whatever their age, then the newest open ones."""
    quizzes = visible_quizzes(session, member)
    running = running_attempts(
        attempts_in_progress(session, member.id, [q.id for q in quizzes]), now
    )
    ordered = sorted(quizzes, key=lambda quiz: quiz.id not in running)  # stable: newest first
    return ordered[: max(HOME_QUIZZES, len(running))], running
