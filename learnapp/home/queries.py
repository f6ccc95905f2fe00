"""What the home pages show."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.accounts.models import User
from learnapp.jobs import latest_runs
from learnapp.orgs.models import Unit
from learnapp.orgs.queries import category_counts, sizing_warnings


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
