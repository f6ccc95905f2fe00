"""A member's standing for the annual 学时 requirement, now and at the end of a past year.

The standing is what decides the requirement (DOMAIN.md, Study hours): the member category
(only party members have one), 年老体弱 (exempt) and whether they hold a 书记 or 委员 role (the
higher target). Every change is kept (models.StandingChange), so that a finished year is judged
by the standing at its end, as it is counted in the unit the member was in at its end: a role
granted, a category changed or an exemption recorded afterwards changes nothing in it.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from learnapp.orgs.models import LEADERSHIP_ROLES, MemberCategory, StandingChange


@dataclass(frozen=True)
class Standing:
    category: MemberCategory
    is_elderly_exempt: bool
    is_leader: bool
    # False: the platform holds no record of the standing at that time, and this is today's.
    recorded: bool = True


def is_leader(member) -> bool:
    """基层党组织书记 and committee members (书记, 委员 in any unit) carry the higher target."""
    return any(assignment.role in LEADERSHIP_ROLES for assignment in member.roles)


def standing_now(member) -> Standing:
    return Standing(member.category, member.is_elderly_exempt, is_leader(member))


def record_standing_change(
    session: Session, actor, member, before: Standing, now: datetime
) -> StandingChange | None:
    """Keep the change from `before` to the member's standing now, if there is one (the caller
    has just changed the category, the exemption or a 书记/委员 role)."""
    after = standing_now(member)
    if after == before:
        return None
    change = StandingChange(
        user_id=member.id,
        changed_at=now,
        actor_id=getattr(actor, "id", None),
        category_before=before.category,
        is_elderly_exempt_before=before.is_elderly_exempt,
        is_leader_before=before.is_leader,
        category_after=after.category,
        is_elderly_exempt_after=after.is_elderly_exempt,
        is_leader_after=after.is_leader,
    )
    session.add(change)
    session.flush()
    return change


def standing_at(session: Session, member, moment: datetime) -> Standing:
    """The member's standing just before `moment` (for a finished year: its end): what their
    first change since then says it was before it, else their standing now."""
    change = session.scalar(
        sa.select(StandingChange)
        .where(StandingChange.user_id == member.id, StandingChange.changed_at >= moment)
        .order_by(StandingChange.id)
        .limit(1)
    )
    now = standing_now(member)
    if change is None:
        return now
    if change.category_before is None:
        return Standing(now.category, now.is_elderly_exempt, now.is_leader, recorded=False)
    return Standing(
        change.category_before, change.is_elderly_exempt_before, change.is_leader_before
    )


def first_changes_since(moment: datetime):
    """The SQL form of standing_at for many members at once: joined on `user_id`, each member's
    first change since `moment` (one aggregate over the few changes since then), whose
    `*_before` columns override the standing now; no row: no change since."""
    later = (
        sa.select(StandingChange.user_id, sa.func.min(StandingChange.id).label("id"))
        .where(StandingChange.changed_at >= moment)
        .group_by(StandingChange.user_id)
        .subquery("later_standing")
    )
    changes = StandingChange.__table__.alias("standing")
    return (
        sa.select(
            later.c.user_id,
            changes.c.category_before,
            changes.c.is_elderly_exempt_before,
            changes.c.is_leader_before,
        )
        .join(changes, changes.c.id == later.c.id)
        .subquery("standing_then")
    )
